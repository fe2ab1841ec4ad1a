/* model.c — evaluating a trained model: energy, positions and PCA coefficients for many
 * strains, field reconstruction and ∂F/∂D (see ml.h). */
#include "strainfield/core.h"
#include "strainfield/ml.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SF_CLONES_MODEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SF_CLONES_MODEL
#endif

/* ensemble.c: the members' mean (and spread) with float32 copies (fast) or float64 */
int sf_model_predict_std_impl(const sf_model *m, int fast, const double *D, int n, double *F, double *Fstd,
                              double *xred, double *xstd, double *coef, double *cstd);

int sf_model_predict64(const sf_model *m, const double *D, int n, double *F, double *xred, double *coef)
{
  return sf_model_predict_std_impl(m, 0, D, n, F, NULL, xred, NULL, coef, NULL);
}

int sf_model_prepare_fast(sf_model *m)
{
  if (m->have_fast) return SF_OK;
  size_t ws = 0;
  for (int i = 0; i < SF_NFIELD + 2; i++) {
    const sf_mlp *net = i < SF_NFIELD ? &m->net_field[i] : i == SF_NFIELD ? &m->net_xred : &m->net_energy;
    sf_mlp32 *q = i < SF_NFIELD ? &m->fast_field[i] : i == SF_NFIELD ? &m->fast_xred : &m->fast_energy;
    SF_CHECK(sf_mlp32_from(q, net));
    size_t w = sf_mlp32_workspace_size(q, SF_MLP32_CHUNK);
    if (w > ws) ws = w;
    for (int k = 1; k < sf_model_ensemble_size(m); k++) /* members share the workspace */
      SF_CHECK(sf_mlp32_from(&m->member32[i][k - 1], sf_model_net(m, i, k)));
  }
  void *p = NULL;
  if (posix_memalign(&p, 64, ws * sizeof(float))) SF_ERROR(SF_ERR_MEM, "out of memory (%zu floats)", ws);
  memset(p, 0, ws * sizeof(float));
  m->ws32 = p;
  p = NULL;
  if (posix_memalign(&p, 64, ((size_t)m->npt + 16) * sizeof(float)))
    SF_ERROR(SF_ERR_MEM, "out of memory (%ld floats)", m->npt);
  m->rec32 = p;
  m->have_fast = 1;
  return SF_OK;
}

int sf_model_predict(const sf_model *m, const double *D, int n, double *F, double *xred, double *coef)
{
  /* float32 networks when prepared, outputs written in place (strided), shared
   * preallocated scratch (one member: no allocation) */
  return sf_model_predict_std_impl(m, 1, D, n, F, NULL, xred, NULL, coef, NULL);
}

SF_CLONES_MODEL static void add_mean(double *field, const double *mean, const float *t, long n)
{
  for (long p = 0; p < n; p++) field[p] = mean[p] + (double)t[p];
}

void sf_model_reconstruct(const sf_model *m, int f, const double *coef, double *field)
{
  /* single-precision basis (half the memory traffic; 1e-7 relative, far below the
   * model's error): field = mean + basis^T coef.  The basis is k × npt (component-major):
   * SGEMV streams it once, contiguously, keeping a block of the result in cache. */
  const long npt = m->npt;
  const int k = m->ncomp[f];
  float c32[1024];
  for (int j = 0; j < k && j < 1024; j++) c32[j] = (float)coef[j];
  if (m->rec32) {
    cblas_sgemv(CblasRowMajor, CblasTrans, k, (int)npt, 1.0f, m->basis32[f], (int)npt, c32, 1, 0.0f, m->rec32, 1);
    add_mean(field, m->pca[f].mean, m->rec32, npt);
    return;
  }
  float *tmp = (float *)field; /* no scratch: the float result is built in the first half of field */
  cblas_sgemv(CblasRowMajor, CblasTrans, k, (int)npt, 1.0f, m->basis32[f], (int)npt, c32, 1, 0.0f, tmp, 1);
  /* widen in place from the end so no float is overwritten before it is read */
  for (long p = npt - 1; p >= 0; p--) field[p] = m->pca[f].mean[p] + (double)tmp[p];
}

void sf_model_reconstruct_all(const sf_model *m, const double *coef, double *fields)
{
  int off = 0;
  for (int f = 0; f < SF_NFIELD; f++) {
    sf_model_reconstruct(m, f, coef + off, fields + (size_t)f * m->npt);
    off += m->ncomp[f];
  }
}

int sf_model_dF_dD(const sf_model *m, const double D[6], double *F, double dF[6])
{
  if (sf_model_ensemble_size(m) == 1) SF_CHECK(sf_mlp_jacobian(&m->net_energy, D, F, dF));
  else SF_CHECK(sf_model_dF_dD_std(m, D, F, dF, NULL, NULL));
  return SF_OK;
}

int sf_model_d2F_dD2(const sf_model *m, const double D[6], double *F, double dF[6], double d2F[36])
{
  const int K = sf_model_ensemble_size(m);
  if (K == 1) return sf_mlp_hessian(&m->net_energy, D, F, dF, d2F);
  /* the mean of the members' derivatives is the derivative of their mean */
  double y, g[6], h[36], sy = 0, sg[6] = {0}, sh[36] = {0};
  for (int k = 0; k < K; k++) {
    SF_CHECK(sf_mlp_hessian(sf_model_net(m, SF_NFIELD + 1, k), D, &y, g, h));
    sy += y;
    for (int j = 0; j < 36; j++) sh[j] += h[j];
    for (int j = 0; j < 6; j++) sg[j] += g[j];
  }
  if (F) *F = sy / K;
  for (int j = 0; j < 6 && dF; j++) dF[j] = sg[j] / K;
  for (int j = 0; j < 36 && d2F; j++) d2F[j] = sh[j] / K;
  return SF_OK;
}
