/* mlp_hessian.c — the exact second derivatives of a tanh network with respect to its
 * inputs (see mlp.h): value, Jacobian and Hessian at one input by second-order forward
 * (Taylor) mode.  Elastic constants are second strain derivatives of the energy network,
 * and finite differences of its gradient would cost 12 gradients per Hessian and lose
 * half the digits; the inputs are few (6), so carrying every first and second input
 * derivative through the layers costs one small GEMM per layer. */
#include "strainfield/core.h"
#include "strainfield/mlp.h"

#include <cblas.h>
#include <string.h>

static int max_width(const sf_mlp *m)
{
  int w = 0;
  for (int l = 0; l <= m->nlayer; l++)
    if (m->width[l] > w) w = m->width[l];
  return w;
}

/* Row of the second-derivative pair (i, j), i ≤ j, among the packed rows after the value
 * row and the nin first-derivative rows. */
static int pair_row(int nin, int i, int j) { return 1 + nin + i * nin - i * (i - 1) / 2 + (j - i); }

int sf_mlp_hessian(const sf_mlp *m, const double *x, double *y, double *J, double *H)
{
  const int nin = m->width[0], nout = m->width[m->nlayer], mw = max_width(m);
  /* rows: value, ∂/∂x_i (nin), ∂²/∂x_i∂x_j for i ≤ j (nin(nin+1)/2), each of a layer's width */
  const int nrow = 1 + nin + nin * (nin + 1) / 2;
  double *buf = NULL;
  SF_CHECK(sf_calloc((void **)&buf, 2 * (size_t)nrow * mw, sizeof *buf));
  double *A = buf, *Z = buf + (size_t)nrow * mw;
  for (int i = 0; i < nin; i++) {
    A[i] = (x[i] - m->xmean[i]) / m->xstd[i];
    A[(size_t)(1 + i) * nin + i] = 1.0 / m->xstd[i]; /* the scaler is affine: no second derivative */
  }
  for (int l = 0; l < m->nlayer; l++) {
    const int wi = m->width[l], wo = m->width[l + 1];
    /* every row is linear in the previous layer's rows: one GEMM; the bias shifts the value only */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nrow, wo, wi, 1.0, A, wi, m->W[l], wo, 0.0, Z, wo);
    for (int o = 0; o < wo; o++) Z[o] += m->b[l][o];
    if (l < m->nlayer - 1) {
      sf_mlp_tanh_inplace(Z, wo); /* the same tanh as the forward pass: the same value */
      for (int o = 0; o < wo; o++) {
        const double h = Z[o], d1 = 1 - h * h, d2 = -2 * h * d1; /* tanh' and tanh'' */
        for (int i = 0; i < nin; i++)
          for (int j = i; j < nin; j++) {
            double *s = Z + (size_t)pair_row(nin, i, j) * wo + o;
            *s = d1 * *s + d2 * Z[(size_t)(1 + i) * wo + o] * Z[(size_t)(1 + j) * wo + o];
          }
        for (int i = 0; i < nin; i++) Z[(size_t)(1 + i) * wo + o] *= d1;
      }
    }
    double *t = A;
    A = Z;
    Z = t;
  }
  for (int o = 0; o < nout; o++) {
    const double s = m->ystd[o];
    if (y) y[o] = m->ymean[o] + s * A[o];
    for (int i = 0; i < nin; i++) {
      if (J) J[(size_t)o * nin + i] = s * A[(size_t)(1 + i) * nout + o];
      for (int j = i; j < nin && H; j++) {
        const double v = s * A[(size_t)pair_row(nin, i, j) * nout + o];
        H[((size_t)o * nin + i) * nin + j] = H[((size_t)o * nin + j) * nin + i] = v;
      }
    }
  }
  sf_free(buf);
  return SF_OK;
}
