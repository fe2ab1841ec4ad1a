/* output.h — the results of `scf` and `relax`: the summary JSON and the fields HDF5 file
 * (src/app/summary.c, src/app/fields_h5.c; formats in docs/formats.md).  Layer app: they
 * record the calculation's input (sf_input), so nothing below app includes this header;
 * the file helpers they use are in h5io.h.  Files are written to NAME.tmp and renamed
 * when complete, so a partial file never looks finished. */
#ifndef STRAINFIELD_OUTPUT_H
#define STRAINFIELD_OUTPUT_H

#include "strainfield/app.h"
#include "strainfield/h5io.h"
#include "strainfield/relax.h"
#include "strainfield/scf.h"

/* What started the calculation (the summary's `init`): density "model", "file" or
 * "default" (uniform), xred "model" or "input"; source is the -init_model or -init_density
 * path (empty for default), sample the index of FILE:INDEX (−1: none), D the strain the
 * model was evaluated at (have_D). */
typedef struct {
  const char *density, *xred;
  char source[1100];
  long sample;
  double D[6];
  int have_D;
} sf_init_record;

/* What a subcommand adds to the ground-state summary; NULL members are left out. */
typedef struct {
  const double (*fcart)[3];     /* [natom] Ha/Bohr */
  const double (*stress)[3];    /* 3x3 Ha/Bohr^3 */
  const sf_relax_result *relax;
  const sf_uniaxial_result *uniaxial;
  int uniaxial_dir;
  const sf_init_record *init;
} sf_summary_extra;

int sf_write_summary(const char *path, const sf_input *in, const sf_scf *s, const sf_summary_extra *extra,
                     int status, const char *message);
int sf_write_fields(const char *path, const sf_scf *s, const double *rho, const double *phi, const double *u,
                    const double *sdens);

#endif
