/* predict.c — a trained model at given strains: the predictions of many strains, the
 * checks of the strains (a cell; inside the training box) and of a dataset (the model's),
 * and the files of the predicted fields (HDF5; XSF and Gaussian cube for structure viewers).  See predict.h. */
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/gridfile.h"
#include "strainfield/h5io.h"
#include "strainfield/predict.h"
#include "predict_internal.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sf_predict_invalid_strain(const double D[6])
{
  for (int j = 0; j < 3; j++)
    if (!(D[j] > 0)) return "the stretches la, lb, lc must be positive";
  for (int j = 3; j < 6; j++)
    if (!(D[j] > 0 && D[j] < 180)) return "the angles must lie strictly between 0 and 180 degrees";
  const double ca = cos(D[3] * M_PI / 180), cb = cos(D[4] * M_PI / 180), cc = cos(D[5] * M_PI / 180);
  if (1 - ca * ca - cb * cb - cc * cc + 2 * ca * cb * cc <= 1e-12) return "the three angles make no cell (zero volume)";
  return NULL;
}

/* The training campaign's recorded settings (the caller deletes both): the dataset's
 * identity keeps generate's resolved options as a JSON string, parsed into *inner (NULL
 * when absent: then the settings themselves hold what there is). */
static cJSON *campaign_options(const sf_model *m, cJSON **inner)
{
  cJSON *top = m->dataset_settings ? cJSON_Parse(m->dataset_settings) : NULL;
  const cJSON *opts = cJSON_GetObjectItemCaseSensitive(top, "options");
  *inner = cJSON_IsString(opts) ? cJSON_Parse(opts->valuestring) : NULL;
  return top;
}

int sf_predict_count_outside(const sf_model *m, const double *D, int n, double box[4])
{
  cJSON *inner = NULL, *top = campaign_options(m, &inner), *o = inner ? inner : top;
  const cJSON *lam = cJSON_GetObjectItemCaseSensitive(o, "sample_lambda_range"),
              *th = cJSON_GetObjectItemCaseSensitive(o, "sample_theta_range"),
              *how = cJSON_GetObjectItemCaseSensitive(o, "sampling");
  int out = 0;
  if (cJSON_GetArraySize(lam) == 2 && cJSON_GetArraySize(th) == 2 && !(cJSON_IsString(how) && !strcmp(how->valuestring, "file"))) {
    for (int k = 0; k < 2; k++) {
      box[k] = cJSON_GetArrayItem(lam, k)->valuedouble;
      box[2 + k] = cJSON_GetArrayItem(th, k)->valuedouble;
    }
    for (int i = 0; i < n; i++) {
      int in = 1;
      for (int j = 0; j < 6; j++) {
        const double lo = box[j < 3 ? 0 : 2], hi = box[j < 3 ? 1 : 3], v = D[6 * i + j];
        in = in && v >= lo - 1e-9 * fabs(lo) && v <= hi + 1e-9 * fabs(hi);
      }
      out += !in;
    }
  }
  cJSON_Delete(inner);
  cJSON_Delete(top);
  return out;
}

int sf_model_check_dataset(const sf_model *m, const sf_dataset *ds)
{
  if (ds->ngrid[0] != m->ngrid[0] || ds->ngrid[1] != m->ngrid[1] || ds->ngrid[2] != m->ngrid[2])
    SF_ERROR(SF_ERR_INPUT, "model was trained on a %dx%dx%d grid, dataset %s is on %dx%dx%d: refusing", m->ngrid[0],
             m->ngrid[1], m->ngrid[2], ds->path, ds->ngrid[0], ds->ngrid[1], ds->ngrid[2]);
  if (ds->natom != m->natom)
    SF_ERROR(SF_ERR_INPUT, "model was trained for %d atoms, dataset %s has %d: refusing", m->natom, ds->path, ds->natom);
  if (strcmp(ds->checksum, m->dataset_checksum))
    SF_ERROR(SF_ERR_INPUT, "model was trained on dataset %s, %s is dataset %s: refusing", m->dataset_checksum, ds->path,
             ds->checksum);
  return SF_OK;
}

/* BLAS threads for field reconstruction (sf_predict_set_reconstruct_threads); 1 outside it */
static int rec_nthreads = 1;

void sf_predict_set_reconstruct_threads(int n) { rec_nthreads = n; }

void sf_predict_threads_on(void)
{
  if (rec_nthreads > 1) openblas_set_num_threads(rec_nthreads);
}
void sf_predict_threads_off(void)
{
  if (rec_nthreads > 1) openblas_set_num_threads(1);
}

/* The members' spread of field f's reconstruction at strain D (fld: npt; work: 2 npt). */
static int field_std(const sf_model *m, int f, const double D[6], double *fld, double *work)
{
  const int K = sf_model_ensemble_size(m);
  int ktot = 0, off = 0, st = SF_OK;
  for (int g = 0; g < SF_NFIELD; g++) ktot += m->ncomp[g];
  for (int g = 0; g < f; g++) off += m->ncomp[g];
  double *c = NULL, *mean = work, *x = work + m->npt;
  SF_CHECK(sf_calloc((void **)&c, ktot, sizeof *c));
  memset(fld, 0, m->npt * sizeof *fld);
  memset(mean, 0, m->npt * sizeof *mean);
  for (int k = 0; k < K; k++) { /* Welford: mean and sum of squared deviations */
    SF_CHECK_GOTO(sf_model_member_predict(m, k, D, 1, NULL, NULL, c));
    sf_model_reconstruct(m, f, c + off, x);
    for (long q = 0; q < m->npt; q++) {
      const double d = x[q] - mean[q];
      mean[q] += d / (k + 1);
      fld[q] += d * (x[q] - mean[q]);
    }
  }
  const double sc = sf_model_std_scale(m, f);
  for (long q = 0; q < m->npt; q++) fld[q] = sc * sqrt(fld[q] / (K - 1));
cleanup:
  sf_free(c);
  return st;
}

/* /fields_std of the fields file: field_std of every field and strain. */
static int write_fields_std(hid_t file, const char *tmp, const sf_model *m, const double *D, int n, double *fld)
{
  double *work = NULL;
  int st = SF_OK;
  hid_t g = H5Gcreate2(file, "fields_std", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) SF_ERROR(SF_ERR_FILE, "cannot create the group /fields_std of %s", tmp);
  SF_CHECK_GOTO(sf_calloc((void **)&work, 2 * (size_t)m->npt, sizeof *work));
  for (int f = 0; f < SF_NFIELD; f++) {
    for (int i = 0; i < n; i++) SF_CHECK_GOTO(field_std(m, f, D + 6 * i, fld + (size_t)i * m->npt, work));
    hsize_t df[4] = {(hsize_t)n, (hsize_t)m->ngrid[0], (hsize_t)m->ngrid[1], (hsize_t)m->ngrid[2]};
    SF_CHECK_GOTO(sf_h5_write_doubles(g, sf_field_names[f], 4, df, fld));
  }
cleanup:
  sf_free(work);
  H5Gclose(g);
  return st;
}

int sf_predict_write_fields(const char *path, const sf_model *m, const double *D, int n, const sf_predictions *p)
{
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot create %s", tmp);
  int ktot = 0, st = SF_OK;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  hsize_t d6[2] = {(hsize_t)n, 6}, d1 = (hsize_t)n, dx[3] = {(hsize_t)n, (hsize_t)m->natom, 3},
          dc[2] = {(hsize_t)n, (hsize_t)ktot};
  double *fld = NULL;
  hid_t g = H5I_INVALID_HID;
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "D", 2, d6, D));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "free_energy", 1, &d1, p->F));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "xred", 3, dx, p->x));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "dF_dD", 2, d6, p->dF));
  SF_CHECK_GOTO(sf_h5_write_doubles(file, "coefficients", 2, dc, p->coef));
  if (p->Fstd) {
    SF_CHECK_GOTO(sf_h5_write_doubles(file, "free_energy_std", 1, &d1, p->Fstd));
    SF_CHECK_GOTO(sf_h5_write_doubles(file, "xred_std", 3, dx, p->xstd));
    SF_CHECK_GOTO(sf_h5_write_doubles(file, "dF_dD_std", 2, d6, p->dFstd));
    SF_CHECK_GOTO(sf_h5_write_doubles(file, "coefficients_std", 2, dc, p->cstd));
  }
  SF_CHECK_GOTO(sf_calloc((void **)&fld, (size_t)n * m->npt, sizeof *fld));
  g = H5Gcreate2(file, "fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot create the group /fields of %s", tmp);
  for (int f = 0, off = 0; f < SF_NFIELD; off += m->ncomp[f], f++) {
    sf_predict_threads_on();
    for (int i = 0; i < n; i++) sf_model_reconstruct(m, f, p->coef + (size_t)i * ktot + off, fld + (size_t)i * m->npt);
    sf_predict_threads_off();
    hsize_t df[4] = {(hsize_t)n, (hsize_t)m->ngrid[0], (hsize_t)m->ngrid[1], (hsize_t)m->ngrid[2]};
    SF_CHECK_GOTO(sf_h5_write_doubles(g, sf_field_names[f], 4, df, fld));
  }
  if (p->fields_std && sf_model_ensemble_size(m) > 1) SF_CHECK_GOTO(write_fields_std(file, tmp, m, D, n, fld));
cleanup:
  if (g >= 0) H5Gclose(g);
  sf_free(fld);
  return sf_h5_finish(file, st, tmp, path);
}

void sf_predictions_free(sf_predictions *p)
{
  sf_free(p->F);
  sf_free(p->x);
  sf_free(p->dF);
  sf_free(p->coef);
  sf_free(p->Fstd);
  sf_free(p->xstd);
  sf_free(p->dFstd);
  sf_free(p->cstd);
}

int sf_predict_all(const sf_model *m, const double *D, int n, sf_predictions *p)
{
  int ktot = 0, st = SF_OK;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  memset(p, 0, sizeof *p);
  SF_CHECK_GOTO(sf_calloc((void **)&p->F, n, sizeof *p->F));
  SF_CHECK_GOTO(sf_calloc((void **)&p->x, (size_t)n * 3 * m->natom + 1, sizeof *p->x));
  SF_CHECK_GOTO(sf_calloc((void **)&p->dF, 6 * (size_t)n, sizeof *p->dF));
  SF_CHECK_GOTO(sf_calloc((void **)&p->coef, (size_t)n * ktot, sizeof *p->coef));
  if (sf_model_ensemble_size(m) > 1) {
    SF_CHECK_GOTO(sf_calloc((void **)&p->Fstd, n, sizeof *p->F));
    SF_CHECK_GOTO(sf_calloc((void **)&p->xstd, (size_t)n * 3 * m->natom + 1, sizeof *p->x));
    SF_CHECK_GOTO(sf_calloc((void **)&p->dFstd, 6 * (size_t)n, sizeof *p->dF));
    SF_CHECK_GOTO(sf_calloc((void **)&p->cstd, (size_t)n * ktot, sizeof *p->coef));
  }
  SF_CHECK_GOTO(sf_model_predict_std(m, D, n, p->F, p->Fstd, p->x, p->xstd, p->coef, p->cstd));
  for (int i = 0; i < n; i++)
    SF_CHECK_GOTO(sf_model_dF_dD_std(m, D + 6 * i, NULL, p->dF + 6 * i, NULL, p->dFstd ? p->dFstd + 6 * i : NULL));
cleanup:
  if (st) sf_predictions_free(p);
  return st;
}

int sf_predict_fields_file(const char *path, const sf_model *m, const double *D, int n)
{
  sf_predictions p;
  SF_CHECK(sf_predict_all(m, D, n, &p));
  int st = sf_predict_write_fields(path, m, D, n, &p);
  sf_predictions_free(&p);
  SF_CHECK(st);
  return SF_OK;
}

/* Z of every atom from the training campaign's options (znucl, typat) recorded in the
 * model: 1 when found. */
static int campaign_znucl(const sf_model *m, int *z)
{
  cJSON *inner = NULL, *top = campaign_options(m, &inner);
  const cJSON *o = inner ? inner : top, *zn = cJSON_GetObjectItemCaseSensitive(o, "znucl"),
              *ty = cJSON_GetObjectItemCaseSensitive(o, "typat");
  int ok = cJSON_GetArraySize(ty) == m->natom && cJSON_GetArraySize(zn) > 0;
  for (int a = 0; a < m->natom && ok; a++) {
    const int t = cJSON_GetArrayItem(ty, a)->valueint;
    ok = t >= 1 && t <= cJSON_GetArraySize(zn);
    if (ok) z[a] = (int)cJSON_GetArrayItem(zn, t - 1)->valuedouble;
  }
  cJSON_Delete(inner);
  cJSON_Delete(top);
  return ok;
}

int sf_predict_write_grid_files(const char *path, int formats, const sf_model *m, const double *D, int n,
                                const sf_predictions *p, int znucl)
{
  if (!m->have_ref) SF_ERROR(SF_ERR_INPUT, "-fields_format: %s has no reference lattice (no cell to write)", path);
  int ktot = 0, st = SF_OK, *z = NULL;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  double r[3][3], ref[3][3], *fld = NULL;
  memcpy(ref, m->ref_rprimd, sizeof ref);
  SF_CHECK_GOTO(sf_calloc((void **)&z, m->natom + 1, sizeof *z));
  SF_CHECK_GOTO(sf_calloc((void **)&fld, m->npt, sizeof *fld));
  if (!znucl && !campaign_znucl(m, z))
    SF_ERROR_GOTO(SF_ERR_INPUT, "-fields_znucl: the model does not record its campaign's znucl and typat; give the "
                                "atomic number");
  for (int a = 0; a < m->natom && znucl; a++) z[a] = znucl;
  for (int i = 0; i < n; i++) {
    SF_CHECK_GOTO(sf_lattice_from_strain(ref, D + 6 * i, r));
    const sf_grid_cell cell = {&r[0][0], m->natom, p->x + (size_t)i * 3 * m->natom, z, NULL, m->ngrid};
    for (int f = 0, off = 0; f < SF_NFIELD; off += m->ncomp[f], f++) {
      sf_predict_threads_on();
      sf_model_reconstruct(m, f, p->coef + (size_t)i * ktot + off, fld);
      sf_predict_threads_off();
      char name[1100], comment[200];
      snprintf(comment, sizeof comment, "strainfield %s predict: %s at D = %.8g %.8g %.8g %.8g %.8g %.8g", SF_VERSION,
               sf_field_names[f], D[6 * i], D[6 * i + 1], D[6 * i + 2], D[6 * i + 3], D[6 * i + 4], D[6 * i + 5]);
      for (int fmt = SF_GRID_XSF; fmt <= SF_GRID_CUBE; fmt *= 2)
        if (formats & fmt) {
          sf_grid_file_name(path, n > 1 ? i : -1, sf_field_names[f], fmt, name, sizeof name);
          SF_CHECK_GOTO(sf_grid_file_write(name, fmt, &cell, comment, fld));
        }
    }
  }
cleanup:
  sf_free(z);
  sf_free(fld);
  return st;
}
