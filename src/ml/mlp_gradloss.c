/* mlp_gradloss.c — the loss of a one-output tanh network with a term on its input
 * gradient (the energy network trained on stresses, `train -stress_weight`), and the
 * gradient of that loss with respect to the weights (see mlp.h).
 *
 * Why double back-propagation in this form: the gradient term's derivative with respect
 * to a weight θ is q · ∂g/∂θ, g = ∂y/∂x and q = ∂L/∂g.  Since q · g is the directional
 * derivative of y along q, it is the output of the network's forward-mode tangent
 * (ẋ = q, ż_l = ȧ_{l−1} W_l, ȧ_l = (1 − a_l²) ż_l) with q held fixed; one reverse pass
 * through the primal and the tangent together then gives every weight's gradient of
 * both loss terms at the cost of about three ordinary back-propagations.  Float64
 * throughout (dgemm): the finite-difference test checks it to 1e-6 relative, and a
 * block is computed the same way whichever rank owns it. */
#include "strainfield/mlp.h"

#include <cblas.h>
#include <string.h>

static int max_width(const sf_mlp *m)
{
  int mw = 0;
  for (int l = 0; l <= m->nlayer; l++)
    if (m->width[l] > mw) mw = m->width[l];
  return mw;
}

size_t sf_mlp_gradloss_ws_size(const sf_mlp *m, int nb)
{
  size_t sw = 0;
  for (int l = 0; l <= m->nlayer; l++) sw += m->width[l];
  return (size_t)nb * (3 * sw + 4 * (size_t)max_width(m));
}

static void swap(double **a, double **b)
{
  double *t = *a;
  *a = *b;
  *b = t;
}

/* C (n × k) = A (n × i) · B (i × k), or A · Bᵀ when B is k × i (tb), or += when beta = 1 */
static void mm(int tb, int n, int k, int i, const double *A, const double *B, double beta, double *C)
{
  cblas_dgemm(CblasRowMajor, CblasNoTrans, tb ? CblasTrans : CblasNoTrans, n, k, i, 1.0, A, i, B, tb ? i : k, beta, C,
              k);
}

/* gW (+)= Aᵀ D for A n × i, D n × k */
static void mm_at(int n, int i, int k, const double *A, const double *D, double beta, double *gW)
{
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i, k, n, 1.0, A, i, D, k, beta, gW, k);
}

void sf_mlp_gradloss_block(const sf_mlp *m, const double *params, int nb, const double *X, const double *T,
                           const double *G, const double *c, double lam, const double *wrow, double *grad,
                           int first, double *ws, double *sse, double *gsse)
{
  const int L = m->nlayer, nin = m->width[0], mw = max_width(m);
  const double *W[SF_MLP_MAXLAYER], *b[SF_MLP_MAXLAYER];
  double *gW[SF_MLP_MAXLAYER], *gb[SF_MLP_MAXLAYER];
  double *A[SF_MLP_MAXLAYER + 1], *Zd[SF_MLP_MAXLAYER + 1], *Ad[SF_MLP_MAXLAYER + 1];
  for (int l = 0; l < L; l++) {
    W[l] = params + (m->W[l] - m->params);
    b[l] = params + (m->b[l] - m->params);
    gW[l] = grad + (m->W[l] - m->params);
    gb[l] = grad + (m->b[l] - m->params);
  }
  double *q = ws;
  for (int l = 0; l <= L; l++) {
    A[l] = q;
    Zd[l] = q + (size_t)nb * m->width[l];
    Ad[l] = q + 2 * (size_t)nb * m->width[l];
    q += 3 * (size_t)nb * m->width[l];
  }
  double *s1 = q, *s2 = q + (size_t)nb * mw, *s3 = q + 2 * (size_t)nb * mw, *s4 = q + 3 * (size_t)nb * mw;
  /* primal forward: A[l+1] = tanh(A[l] W_l + b_l), linear output */
  memcpy(A[0], X, (size_t)nb * nin * sizeof(double));
  for (int l = 0; l < L; l++) {
    const int wo = m->width[l + 1];
    for (int i = 0; i < nb; i++) memcpy(A[l + 1] + (size_t)i * wo, b[l], wo * sizeof(double));
    mm(0, nb, wo, m->width[l], A[l], W[l], 1.0, A[l + 1]);
    if (l < L - 1) sf_mlp_tanh_inplace(A[l + 1], (size_t)nb * wo);
  }
  /* input gradient g = ∂y/∂x: reverse from the single output (seed 1) */
  double *d = s1, *r = s2;
  for (int i = 0; i < nb; i++) d[i] = 1;
  for (int l = L - 1; l >= 0; l--) {
    const int wi = m->width[l];
    mm(1, nb, wi, m->width[l + 1], d, W[l], 0.0, r);
    if (l > 0)
      for (size_t k = 0; k < (size_t)nb * wi; k++) r[k] *= 1 - A[l][k] * A[l][k];
    swap(&d, &r);
  }
  /* d = g (nb × nin); the tangent seed q = ∂L/∂g, and the loss terms */
  double e2 = 0, g2 = 0;
  for (int i = 0; i < nb; i++) {
    const double wi = wrow ? wrow[i] : 1.0;
    double s = 0;
    for (int j = 0; j < nin; j++) {
      const double e = d[(size_t)i * nin + j] - G[(size_t)i * nin + j];
      s += c[j] * e * e;
      Ad[0][(size_t)i * nin + j] = 2 * wi * lam * c[j] * e;
    }
    g2 += wi * s;
    const double ey = A[L][i] - T[i];
    e2 += wi * ey * ey;
  }
  /* tangent forward: Zd[l+1] = Ad[l] W_l, Ad[l+1] = (1 − a²) Zd[l+1] */
  for (int l = 0; l < L; l++) {
    const int wo = m->width[l + 1];
    mm(0, nb, wo, m->width[l], Ad[l], W[l], 0.0, Zd[l + 1]);
    if (l < L - 1)
      for (size_t k = 0; k < (size_t)nb * wo; k++) Ad[l + 1][k] = (1 - A[l + 1][k] * A[l + 1][k]) * Zd[l + 1][k];
  }
  /* reverse through both: zb = ∂L/∂z (primal), zdb = ∂L/∂ż (tangent) */
  double *zb = s1, *zdb = s2, *ab = s3, *adb = s4;
  for (int i = 0; i < nb; i++) {
    zb[i] = 2 * (wrow ? wrow[i] : 1.0) * (A[L][i] - T[i]);
    zdb[i] = 1;
  }
  for (int l = L - 1; l >= 0; l--) {
    const int wi = m->width[l], wo = m->width[l + 1];
    mm_at(nb, wi, wo, A[l], zb, first ? 0.0 : 1.0, gW[l]);
    mm_at(nb, wi, wo, Ad[l], zdb, 1.0, gW[l]);
    if (first)
      for (int o = 0; o < wo; o++) gb[l][o] = 0;
    for (int i = 0; i < nb; i++)
      for (int o = 0; o < wo; o++) gb[l][o] += zb[(size_t)i * wo + o];
    if (l == 0) break;
    mm(1, nb, wi, wo, zb, W[l], 0.0, ab);
    mm(1, nb, wi, wo, zdb, W[l], 0.0, adb);
    /* a = tanh z, ȧ = s ż with s = 1 − a², ∂s/∂z = −2 a s */
    for (size_t k = 0; k < (size_t)nb * wi; k++) {
      const double a = A[l][k], s = 1 - a * a;
      ab[k] = s * (ab[k] - 2 * a * adb[k] * Zd[l][k]);
      adb[k] *= s;
    }
    swap(&zb, &ab);
    swap(&zdb, &adb);
  }
  *sse = e2;
  *gsse = g2;
}
