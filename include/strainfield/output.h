/* output.h — machine-readable results: the summary JSON and the fields HDF5 file.
 * Formats are documented in docs/formats.md.  Files are written to NAME.tmp and renamed
 * when complete, so a partial file never looks finished. */
#ifndef STRAINFIELD_OUTPUT_H
#define STRAINFIELD_OUTPUT_H

#include <cjson/cJSON.h>
#include <hdf5.h>

#include "strainfield/app.h"
#include "strainfield/relax.h"
#include "strainfield/scf.h"

/* What a subcommand adds to the ground-state summary; NULL members are left out. */
typedef struct {
  const double (*fcart)[3];     /* [natom] Ha/Bohr */
  const double (*stress)[3];    /* 3x3 Ha/Bohr^3 */
  const sf_relax_result *relax;
  const sf_uniaxial_result *uniaxial;
  int uniaxial_dir;
} sf_summary_extra;

/* root as indented JSON to path (via path.tmp, renamed when complete). */
int sf_write_json_file(const char *path, cJSON *root);
int sf_write_summary(const char *path, const sf_input *in, const sf_scf *s, const sf_summary_extra *extra,
                     int status, const char *message);
/* One double dataset `name` of shape dims[rank] under loc (a file or group); errors name it. */
int sf_h5_write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data);
int sf_write_fields(const char *path, const sf_scf *s, const double *rho, const double *phi, const double *u,
                    const double *sdens);

#endif
