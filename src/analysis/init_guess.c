/* init_guess.c — the start of a warm-started scf/relax: a density from a fields file or
 * a dataset sample, or the density and positions a model predicts at the cell's strain.
 * See init_guess.h.  Rank 0 reads; the ranks agree on the outcome before the broadcast,
 * so a file that fails on rank 0 never leaves the others waiting. */
#include "strainfield/init_guess.h"
#include "strainfield/core.h"
#include "strainfield/ml.h"
#include "strainfield/predict.h"
#include "strainfield/sampling.h"

#include <ctype.h>
#include <math.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "FILE:17" → FILE and 17; "FILE" → FILE and −1.  Only an all-digit tail is an index, so
 * a path with another colon is read whole. */
static void split_spec(const char *spec, char *path, size_t n, long *index)
{
  snprintf(path, n, "%s", spec);
  *index = -1;
  char *c = strrchr(path, ':');
  if (!c || !c[1]) return;
  for (const char *p = c + 1; *p; p++)
    if (!isdigit((unsigned char)*p)) return;
  *index = strtol(c + 1, NULL, 10);
  *c = '\0';
}

/* Sample `index` of a dataset's status column must be 1 (a failed or missing sample holds
 * NaN fields). */
static int check_sample_status(hid_t file, const char *path, long index)
{
  if (H5Lexists(file, "samples", H5P_DEFAULT) <= 0 || H5Lexists(file, "samples/status", H5P_DEFAULT) <= 0)
    return SF_OK; /* predict's fields file: no status */
  hid_t d = H5Dopen2(file, "samples/status", H5P_DEFAULT), fsp = H5Dget_space(d), msp = -1;
  hsize_t start = (hsize_t)index, count = 1;
  int status = 0, st = SF_OK;
  msp = H5Screate_simple(1, &count, NULL);
  if (H5Sselect_hyperslab(fsp, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
      H5Dread(d, H5T_NATIVE_INT, msp, fsp, H5P_DEFAULT, &status) < 0)
    SF_ERROR_GOTO(SF_ERR_FILE, "-init_density %s:%ld: cannot read /samples/status", path, index);
  if (status != 1)
    SF_ERROR_GOTO(SF_ERR_INPUT, "-init_density %s:%ld: sample %ld has status %d (1 = ok): no fields", path, index,
                  index, status);
cleanup:
  H5Sclose(msp);
  H5Sclose(fsp);
  H5Dclose(d);
  return st;
}

/* The grid of dataset `name` (its last three dimensions; lead = the sample count or 0). */
static int read_rho(hid_t file, const char *path, long index, const int ngfft[3], double *rho)
{
  const char *name = H5Lexists(file, "rho", H5P_DEFAULT) > 0 ? "rho"
                     : H5Lexists(file, "fields", H5P_DEFAULT) > 0 && H5Lexists(file, "fields/rho", H5P_DEFAULT) > 0
                         ? "fields/rho"
                         : NULL;
  if (!name) SF_ERROR(SF_ERR_INPUT, "-init_density %s: no /rho or /fields/rho (not a fields file or dataset)", path);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT), fsp = H5Dget_space(d), msp = -1;
  int st = SF_OK, rank = H5Sget_simple_extent_ndims(fsp), lead = !strcmp(name, "fields/rho");
  hsize_t dims[4] = {0, 0, 0, 0};
  if (rank != 3 + lead) SF_ERROR_GOTO(SF_ERR_FILE, "-init_density %s: /%s has rank %d, expected %d", path, name, rank, 3 + lead);
  H5Sget_simple_extent_dims(fsp, dims, NULL);
  const hsize_t *g = dims + lead;
  if ((int)g[0] != ngfft[0] || (int)g[1] != ngfft[1] || (int)g[2] != ngfft[2])
    SF_ERROR_GOTO(SF_ERR_INPUT, "-init_density %s: its grid %dx%dx%d is not the calculation's FFT grid (ngfft) %dx%dx%d",
                  path, (int)g[0], (int)g[1], (int)g[2], ngfft[0], ngfft[1], ngfft[2]);
  if (!lead && index > 0) SF_ERROR_GOTO(SF_ERR_INPUT, "-init_density %s:%ld: a fields file holds one density (index 0)", path, index);
  if (lead && index < 0 && dims[0] != 1)
    SF_ERROR_GOTO(SF_ERR_INPUT, "-init_density %s holds %d samples: give one as %s:INDEX (0-based)", path, (int)dims[0], path);
  if (lead && index >= (long)dims[0])
    SF_ERROR_GOTO(SF_ERR_INPUT, "-init_density %s:%ld: sample index out of range (%d samples, 0-based)", path, index, (int)dims[0]);
  if (lead) SF_CHECK_GOTO(check_sample_status(file, path, index < 0 ? 0 : index));
  hsize_t start[4] = {index < 0 ? 0 : (hsize_t)index, 0, 0, 0}, count[4] = {1, g[0], g[1], g[2]};
  if (!lead) memcpy(count, dims, sizeof dims);
  msp = H5Screate_simple(rank, count, NULL);
  if (H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dread(d, H5T_NATIVE_DOUBLE, msp, fsp, H5P_DEFAULT, rho) < 0)
    SF_ERROR_GOTO(SF_ERR_FILE, "-init_density %s: cannot read /%s", path, name);
cleanup:
  if (msp >= 0) H5Sclose(msp);
  H5Sclose(fsp);
  H5Dclose(d);
  return st;
}

static int read_density_local(const char *spec, const int ngfft[3], double *rho)
{
  char path[1100];
  long index;
  split_spec(spec, path, sizeof path, &index);
  SF_CHECK(sf_path_check_regular("-init_density", path));
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "-init_density %s: not an HDF5 file", path);
  int st = read_rho(file, path, index, ngfft, rho);
  H5Fclose(file);
  SF_CHECK(st);
  return SF_OK;
}

int sf_init_density_read(MPI_Comm comm, const char *spec, const int ngfft[3], double *rho)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) st = read_density_local(spec, ngfft, rho);
  SF_CHECK(sf_status_agree(comm, st));
  MPI_Bcast(rho, ngfft[0] * ngfft[1] * ngfft[2], MPI_DOUBLE, 0, comm);
  return SF_OK;
}

int sf_init_model_check(const sf_model *m, const char *path, int natom, const int ngfft[3])
{
  if (!m->have_ref) SF_ERROR(SF_ERR_INPUT, "-init_model %s: the model stores no reference lattice, so the cell's strain D is unknown", path);
  if (m->natom != natom)
    SF_ERROR(SF_ERR_INPUT, "-init_model %s: the model is for %d atoms, this cell has %d", path, m->natom, natom);
  if (m->ngrid[0] != ngfft[0] || m->ngrid[1] != ngfft[1] || m->ngrid[2] != ngfft[2])
    SF_ERROR(SF_ERR_INPUT, "-init_model %s: the model's grid %dx%dx%d is not the calculation's FFT grid (ngfft) %dx%dx%d",
             path, m->ngrid[0], m->ngrid[1], m->ngrid[2], ngfft[0], ngfft[1], ngfft[2]);
  return SF_OK;
}

int sf_init_model_predict(const sf_model *m, const double D[6], double *rho, double *xred)
{
  int st = SF_OK, ncoef = 0, off = 0;
  double *coef = NULL;
  for (int f = 0; f < SF_NFIELD; f++) ncoef += m->ncomp[f];
  SF_CHECK(sf_calloc((void **)&coef, ncoef, sizeof *coef));
  SF_CHECK_GOTO(sf_model_predict(m, D, 1, NULL, xred, coef));
  for (int f = 0; f < SF_FIELD_RHO; f++) off += m->ncomp[f];
  sf_model_reconstruct(m, SF_FIELD_RHO, coef + off, rho);
cleanup:
  sf_free(coef);
  return st;
}

/* Rank 0's part of sf_init_model_guess: read, check, predict, reconstruct ρ. */
static int model_guess_local(const char *path, const sf_cell *cell, const int ngfft[3], double *rho, double *xred,
                             double D[6])
{
  sf_model m = {0};
  int st = SF_OK;
  SF_CHECK(sf_path_check_regular("-init_model", path));
  SF_CHECK_GOTO(sf_model_read(path, &m));
  SF_CHECK_GOTO(sf_init_model_check(&m, path, cell->natom, ngfft));
  double ref[3][3];
  memcpy(ref, m.ref_rprimd, sizeof ref);
  sf_strain_D_of_lattice((const double(*)[3])ref, (const double(*)[3])cell->rprimd, D);
  const char *why = sf_predict_invalid_strain(D);
  if (why) SF_ERROR_GOTO(SF_ERR_INPUT, "-init_model %s: the cell's strain D is no cell (%s)", path, why);
  double box[4];
  if (sf_predict_count_outside(&m, D, 1, box))
    sf_log(1, "  warning: -init_model: D = (%.4f %.4f %.4f; %.3f %.3f %.3f) lies outside the training box: the model extrapolates\n",
           D[0], D[1], D[2], D[3], D[4], D[5]);
  SF_CHECK_GOTO(sf_init_model_predict(&m, D, rho, xred));
cleanup:
  sf_model_free(&m);
  return st;
}

int sf_init_model_guess(MPI_Comm comm, const char *path, const sf_cell *cell, const int ngfft[3], double *rho,
                        double (*xred)[3], double D[6])
{
  int rank, st = SF_OK, natom = cell->natom;
  double *x = NULL, Dl[6] = {0};
  MPI_Comm_rank(comm, &rank);
  SF_CHECK_GOTO(sf_status_agree(comm, sf_calloc((void **)&x, 3 * natom, sizeof *x)));
  if (rank == 0) st = model_guess_local(path, cell, ngfft, rho, x, Dl);
  SF_CHECK_GOTO(sf_status_agree(comm, st));
  MPI_Bcast(rho, ngfft[0] * ngfft[1] * ngfft[2], MPI_DOUBLE, 0, comm);
  MPI_Bcast(x, 3 * natom, MPI_DOUBLE, 0, comm);
  MPI_Bcast(Dl, 6, MPI_DOUBLE, 0, comm);
  if (xred) memcpy(xred, x, sizeof(double) * 3 * natom);
  if (D) memcpy(D, Dl, sizeof Dl);
cleanup:
  sf_free(x);
  return st;
}
