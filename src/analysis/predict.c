/* predict.c — a trained model at given strains: the predictions of many strains, the
 * checks of the strains (a cell; inside the training box) and of a dataset (the model's),
 * and the files of the predicted fields (HDF5; XSF for VESTA).  See predict.h. */
#include "strainfield/core.h"
#include "strainfield/crystal.h"
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

#define BOHR_ANGSTROM 0.52917721067

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

int sf_predict_count_outside(const sf_model *m, const double *D, int n, double box[4])
{
  cJSON *top = m->dataset_settings ? cJSON_Parse(m->dataset_settings) : NULL, *o = top;
  /* the dataset's identity keeps generate's resolved options as a JSON string */
  const cJSON *opts = cJSON_GetObjectItemCaseSensitive(top, "options");
  cJSON *inner = cJSON_IsString(opts) ? cJSON_Parse(opts->valuestring) : NULL;
  if (inner) o = inner;
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

static int write_xsf_file(const char *path, const sf_model *m, const double rprimd[9], const double *xred, int znucl,
                     const double *field)
{
  char tmp[1200]; /* written to PATH.tmp and renamed when complete */
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *fp = fopen(tmp, "w");
  if (!fp) SF_ERROR(SF_ERR_FILE, "-xsf: cannot write %s", tmp);
  fprintf(fp, "# strainfield %s predicted field (atomic units; lattice in Angstrom)\nCRYSTAL\nPRIMVEC\n", SF_VERSION);
  for (int i = 0; i < 3; i++)
    fprintf(fp, " %.10f %.10f %.10f\n", rprimd[3 * i] * BOHR_ANGSTROM, rprimd[3 * i + 1] * BOHR_ANGSTROM,
            rprimd[3 * i + 2] * BOHR_ANGSTROM);
  fprintf(fp, "PRIMCOORD\n %d 1\n", m->natom);
  for (int a = 0; a < m->natom; a++) {
    double c[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
      for (int j = 0; j < 3; j++) c[k] += xred[3 * a + j] * rprimd[3 * j + k];
    fprintf(fp, " %d %.10f %.10f %.10f\n", znucl, c[0] * BOHR_ANGSTROM, c[1] * BOHR_ANGSTROM, c[2] * BOHR_ANGSTROM);
  }
  const int n1 = m->ngrid[0], n2 = m->ngrid[1], n3 = m->ngrid[2];
  fprintf(fp, "BEGIN_BLOCK_DATAGRID_3D\n strainfield\n BEGIN_DATAGRID_3D_field\n %d %d %d\n 0 0 0\n", n1 + 1, n2 + 1, n3 + 1);
  for (int i = 0; i < 3; i++)
    fprintf(fp, " %.10f %.10f %.10f\n", rprimd[3 * i] * BOHR_ANGSTROM, rprimd[3 * i + 1] * BOHR_ANGSTROM,
            rprimd[3 * i + 2] * BOHR_ANGSTROM);
  /* XSF: first index fastest, periodic end points included */
  int cnt = 0;
  for (int k = 0; k <= n3; k++)
    for (int j = 0; j <= n2; j++)
      for (int i = 0; i <= n1; i++) {
        fprintf(fp, " %.8e", field[((size_t)(i % n1) * n2 + j % n2) * n3 + k % n3]);
        if (++cnt % 6 == 0) fputc('\n', fp);
      }
  int ok = fprintf(fp, "\n END_DATAGRID_3D\nEND_BLOCK_DATAGRID_3D\n") > 0 && !ferror(fp);
  ok = !fclose(fp) && ok;
  if (!ok || rename(tmp, path)) {
    remove(tmp);
    SF_ERROR(SF_ERR_FILE, "-xsf: cannot write %s", path);
  }
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
  SF_CHECK_GOTO(sf_model_predict(m, D, n, p->F, p->x, p->coef));
  for (int i = 0; i < n; i++) SF_CHECK_GOTO(sf_model_dF_dD(m, D + 6 * i, NULL, p->dF + 6 * i));
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

int sf_predict_write_xsf(const char *prefix, const sf_model *m, const double D[6], const double *xred,
                         const double *coef, int znucl)
{
  if (!m->have_ref) SF_ERROR(SF_ERR_INPUT, "-xsf: the model has no reference lattice");
  double r[3][3], ref[3][3], *fld = NULL;
  memcpy(ref, m->ref_rprimd, sizeof ref);
  SF_CHECK(sf_lattice_from_strain(ref, D, r));
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&fld, m->npt, sizeof *fld));
  for (int f = 0, off = 0; f < SF_NFIELD; off += m->ncomp[f], f++) {
    char p[1100];
    snprintf(p, sizeof p, "%s_%s.xsf", prefix, sf_field_names[f]);
    sf_predict_threads_on();
    sf_model_reconstruct(m, f, coef + off, fld);
    sf_predict_threads_off();
    SF_CHECK_GOTO(write_xsf_file(p, m, (const double *)r, xred, znucl, fld));
  }
cleanup:
  sf_free(fld);
  return st;
}
