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
  int st = sf_h5_write_doubles(file, "rho", 3, dims, rho);
  if (!st) st = sf_h5_write_doubles(file, "phi", 3, dims, phi);
  if (!st) st = sf_h5_write_doubles(file, "u", 3, dims, u);
  if (!st) st = sf_h5_write_doubles(file, "s", 3, dims, sdens);
  if (!st) st = sf_h5_write_doubles(file, "lattice", 2, d33, &s->cell->rprimd[0][0]);
  double fe = s->E.free, ef = s->fermi;
  if (!st) st = sf_h5_write_doubles(file, "free_energy", 1, d1, &fe);
  if (!st) st = sf_h5_write_doubles(file, "fermi_energy", 1, d1, &ef);
  SF_CHECK(sf_h5_finish(file, st, tmp, path));
  return SF_OK;
}
