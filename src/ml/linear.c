/* linear.c — the linear-regression baseline y = a + B x (the paper's Figure 8), by QR
 * least squares on standardised inputs (see mlp.h). */
#include "strainfield/core.h"
#include "strainfield/mlp.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

int sf_linear_fit(const double *X, const double *Y, int n, int nin, int nout, double *coef)
{
  if (n < nin + 1) SF_ERROR(SF_ERR_INPUT, "linear fit needs at least %d samples (got %d)", nin + 1, n);
  double mu[64], sd[64];
  if (nin > 64) SF_ERROR(SF_ERR_INPUT, "linear fit: too many inputs");
  for (int j = 0; j < nin; j++) {
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) s += X[(size_t)i * nin + j];
    s /= n;
    for (int i = 0; i < n; i++) s2 += (X[(size_t)i * nin + j] - s) * (X[(size_t)i * nin + j] - s);
    mu[j] = s;
    sd[j] = s2 > 0 ? sqrt(s2 / n) : 1;
  }
  const int na = nin + 1;
  double *A = NULL, *Bm = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&A, (size_t)n * na, sizeof *A));
  SF_CHECK_GOTO(sf_calloc((void **)&Bm, (size_t)n * nout, sizeof *Bm));
  for (int i = 0; i < n; i++) {
    A[(size_t)i * na] = 1;
    for (int j = 0; j < nin; j++) A[(size_t)i * na + 1 + j] = (X[(size_t)i * nin + j] - mu[j]) / sd[j];
  }
  memcpy(Bm, Y, (size_t)n * nout * sizeof *Bm);
  int info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', n, na, nout, A, na, Bm, nout);
  if (info) SF_ERROR_GOTO(SF_ERR_LIB, "DGELS failed (info %d)", info);
  for (int o = 0; o < nout; o++) {
    double a = Bm[o];
    for (int j = 0; j < nin; j++) {
      double bj = Bm[(size_t)(1 + j) * nout + o] / sd[j];
      coef[(size_t)(1 + j) * nout + o] = bj;
      a -= bj * mu[j];
    }
    coef[o] = a;
  }
cleanup:
  sf_free(A);
  sf_free(Bm);
  return st;
}

void sf_linear_predict(const double *coef, const double *X, int n, int nin, int nout, double *Y)
{
  for (int i = 0; i < n; i++)
    for (int o = 0; o < nout; o++) {
      double y = coef[o];
      for (int j = 0; j < nin; j++) y += coef[(size_t)(1 + j) * nout + o] * X[(size_t)i * nin + j];
      Y[(size_t)i * nout + o] = y;
    }
}
