/* model.c — evaluating a trained model: energy, positions and PCA coefficients for many
 * strains, field reconstruction, ∂F/∂D, and the dataset-identity check (see ml.h). */
#include "strainfield/core.h"
#include "strainfield/ml.h"

#include <cblas.h>
#include <string.h>

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

int sf_model_predict(const sf_model *m, const double *D, int n, double *F, double *xred, double *coef)
{
  if (F) SF_CHECK(sf_mlp_predict(&m->net_energy, D, n, F, NULL));
  if (xred) SF_CHECK(sf_mlp_predict(&m->net_xred, D, n, xred, NULL));
  if (coef) {
    int ktot = 0;
    for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
    double *c = NULL;
    SF_CHECK(sf_calloc((void **)&c, (size_t)n * ktot, sizeof *c));
    int off = 0, st = 0;
    for (int f = 0; f < SF_NFIELD && !st; f++) {
      int k = m->ncomp[f];
      st = sf_mlp_predict(&m->net_field[f], D, n, c, NULL);
      for (int i = 0; i < n && !st; i++) memcpy(coef + (size_t)i * ktot + off, c + (size_t)i * k, k * sizeof *c);
      off += k;
    }
    sf_free(c);
    SF_CHECK(st);
  }
  return SF_OK;
}

void sf_model_reconstruct(const sf_model *m, int f, const double *coef, double *field)
{
  /* single-precision basis (half the memory traffic; 1e-7 relative, far below the
   * model's error): field = mean + basis^T coef */
  const long npt = m->npt;
  const int k = m->ncomp[f];
  float c32[1024], *tmp = (float *)field; /* the float result is built in the first half of field */
  for (int j = 0; j < k && j < 1024; j++) c32[j] = (float)coef[j];
  cblas_sgemv(CblasRowMajor, CblasTrans, k, (int)npt, 1.0f, m->basis32[f], (int)npt, c32, 1, 0.0f, tmp, 1);
  /* widen in place from the end so no float is overwritten before it is read */
  for (long p = npt - 1; p >= 0; p--) field[p] = m->pca[f].mean[p] + (double)tmp[p];
}

int sf_model_dF_dD(const sf_model *m, const double D[6], double *F, double dF[6])
{
  SF_CHECK(sf_mlp_jacobian(&m->net_energy, D, F, dF));
  return SF_OK;
}
