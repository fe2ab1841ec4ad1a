/* fields_h5.c — the fields file: ρ, φ, u, s on the FFT grid in reduced coordinates
 * (format: docs/formats.md).  Written to PATH.tmp and renamed when complete. */
#include "strainfield/core.h"
#include "strainfield/output.h"

#include <hdf5.h>
#include <stdio.h>

int sf_write_fields(const char *path, const sf_scf *s, const double *rho, const double *phi, const double *u,
                    const double *sdens)
{
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "-fields: cannot create %s", tmp);
  hsize_t dims[3] = {(hsize_t)s->box.n[0], (hsize_t)s->box.n[1], (hsize_t)s->box.n[2]};
  hsize_t d33[2] = {3, 3}, d1[1] = {1};
  const double fe = s->E.free, ef = s->fermi;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "rho", 3, dims, rho));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "phi", 3, dims, phi));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "u", 3, dims, u));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "s", 3, dims, sdens));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "lattice", 2, d33, &s->cell->rprimd[0][0]));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "free_energy", 1, d1, &fe));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "fermi_energy", 1, d1, &ef));
cleanup: /* removes the partial file on failure */
  return sf_h5_finish(file, st, tmp, path);
}
