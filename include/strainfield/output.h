/* output.h — machine-readable results: the summary JSON and the fields HDF5 file.
 * Formats are documented in docs/formats.md.  Files are written to NAME.tmp and renamed
 * when complete, so a partial file never looks finished. */
#ifndef STRAINFIELD_OUTPUT_H
#define STRAINFIELD_OUTPUT_H

#include "strainfield/app.h"
#include "strainfield/scf.h"

int sf_write_summary(const char *path, const sf_input *in, const sf_scf *s, int status, const char *message);
int sf_write_fields(const char *path, const sf_scf *s, const double *rho, const double *phi, const double *u,
                    const double *sdens);

#endif
