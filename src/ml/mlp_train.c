/* mlp_train.c — data-parallel mini-batch Adam for sf_mlp (see mlp.h).
 *
 * Loss = mean over the batch and outputs of the squared error in standardised units
 * + l2 · Σ W² (weights only), as PyTorch's MSELoss plus an explicit penalty, or Keras'
 * kernel_regularizer.  Each epoch visits a permutation of the samples (keyed by seed and
 * epoch); each mini-batch is split into contiguous slices over the ranks, the gradient
 * sums are added with one MPI_Allreduce, and every rank applies the same Adam step. */
#include "strainfield/core.h"
#include "strainfield/mlp.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void sf_train_defaults(sf_train_params *p)
{
  p->lr = 1e-3;
  p->beta1 = 0.9;
  p->beta2 = 0.999;
  p->eps = 1e-8;
  p->l2 = 1e-4;
  p->batch = 128;
  p->epochs = 4000;
  p->seed = 1;
  p->verbose_every = 0;
  p->weight = NULL;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SF_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SF_CLONES
#endif

/* One Adam step on n parameters (vectorised): g = grad·inv + l2x2·p;
 * m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; p ← p − (lr/c1) m / (√v/√c2 + ε). */
SF_CLONES static void adam_step(size_t n, double *restrict p, const double *restrict grad, double *restrict mom,
                                double *restrict vel, double inv, double l2x2, double b1, double b2, double lr_c1,
                                double isc2, double eps)
{
  for (size_t i = 0; i < n; i++) {
    double g = grad[i] * inv + l2x2 * p[i];
    double mi = b1 * mom[i] + (1 - b1) * g;
    double vi = b2 * vel[i] + (1 - b2) * g * g;
    mom[i] = mi;
    vel[i] = vi;
    p[i] -= lr_c1 * mi / (sqrt(vi) * isc2 + eps);
  }
}

/* d = 2 w_row (y − t), returns Σ w_row (y − t)² */
SF_CLONES static double out_delta(int nb, int nout, const double *restrict y, const double *restrict t,
                                  const double *restrict wrow, double *restrict d)
{
  double sse = 0;
  for (int i = 0; i < nb; i++) {
    const double wi = wrow ? wrow[i] : 1.0;
    double s = 0;
    for (int o = 0; o < nout; o++) {
      double e = y[(size_t)i * nout + o] - t[(size_t)i * nout + o];
      s += e * e;
      d[(size_t)i * nout + o] = 2 * wi * e;
    }
    sse += wi * s;
  }
  return sse;
}

/* dprev *= 1 − a² ; gb += column sums of d */
SF_CLONES static void dtanh_mul(size_t n, double *restrict dp, const double *restrict a)
{
  for (size_t i = 0; i < n; i++) dp[i] *= 1 - a[i] * a[i];
}

SF_CLONES static void col_sums(int nb, int wo, const double *restrict d, double *restrict gb)
{
  for (int i = 0; i < nb; i++)
    for (int o = 0; o < wo; o++) gb[o] += d[(size_t)i * wo + o];
}

typedef struct {
  double *A[SF_MLP_MAXLAYER + 1]; /* activations per layer, batch × width */
  double *delta, *dprev;          /* batch × max width */
  double *T;                      /* targets batch × nout */
  double *wrow;                   /* per-row loss weights (NULL: 1) */
  double *grad, *mom, *vel;       /* nparam */
} train_ws;

/* Gradient of Σ_batch Σ_out (y − t)² (not yet divided) accumulated into g; returns the
 * sum of squared errors. */
static double batch_grad(const sf_mlp *m, train_ws *w, int nb, double *g)
{
  const int L = m->nlayer, nout = m->width[L];
  for (int l = 0; l < L; l++) {
    const int wi = m->width[l], wo = m->width[l + 1];
    double *z = w->A[l + 1];
    for (int i = 0; i < nb; i++) memcpy(z + (size_t)i * wo, m->b[l], wo * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, wo, wi, 1.0, w->A[l], wi, m->W[l], wo, 1.0, z, wo);
    if (l < L - 1) sf_mlp_tanh_inplace(z, (size_t)nb * wo);
  }
  double *d = w->delta;
  double sse = out_delta(nb, nout, w->A[L], w->T, w->wrow, d);
  /* g layout = params layout: W_l then b_l */
  for (int l = L - 1; l >= 0; l--) {
    const int wi = m->width[l], wo = m->width[l + 1];
    double *gW = g + (m->W[l] - m->params), *gb = g + (m->b[l] - m->params);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, wi, wo, nb, 1.0, w->A[l], wi, d, wo, 1.0, gW, wo);
    col_sums(nb, wo, d, gb);
    if (l > 0) {
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, wi, wo, 1.0, d, wo, m->W[l], wo, 0.0, w->dprev, wi);
      dtanh_mul((size_t)nb * wi, w->dprev, w->A[l]);
      double *t = d;
      d = w->dprev;
      w->dprev = t;
    }
  }
  w->delta = d;
  return sse;
}

int sf_mlp_train(MPI_Comm comm, sf_mlp *m, const double *X, const double *Y, int n, const sf_train_params *p,
                 double *loss)
{
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  const int L = m->nlayer, nin = m->width[0], nout = m->width[L];
  const int B = p->batch < n ? p->batch : n;
  const int bmax = (B + size - 1) / size + 1;
  int mw = 0;
  for (int l = 0; l <= L; l++)
    if (m->width[l] > mw) mw = m->width[l];
  train_ws w;
  memset(&w, 0, sizeof w);
  double *Xs = NULL, *Ys = NULL, *buf = NULL;
  int *perm = NULL;
  size_t nbuf = 0;
  for (int l = 0; l <= L; l++) nbuf += (size_t)bmax * m->width[l];
  nbuf += 2 * (size_t)bmax * mw + (size_t)bmax * nout + 3 * m->nparam + 1 + bmax;
  SF_CHECK(sf_calloc((void **)&buf, nbuf, sizeof *buf));
  int st = sf_calloc((void **)&Xs, (size_t)n * nin, sizeof *Xs);
  if (!st) st = sf_calloc((void **)&Ys, (size_t)n * nout, sizeof *Ys);
  if (!st) st = sf_calloc((void **)&perm, n, sizeof *perm);
  if (st) {
    sf_free(buf);
    sf_free(Xs);
    sf_free(Ys);
    return sf_error_trace(st, __FILE__, __LINE__, __func__);
  }
  double *q = buf;
  for (int l = 0; l <= L; l++) {
    w.A[l] = q;
    q += (size_t)bmax * m->width[l];
  }
  w.delta = q;
  q += (size_t)bmax * mw;
  w.dprev = q;
  q += (size_t)bmax * mw;
  w.T = q;
  q += (size_t)bmax * nout;
  w.grad = q;
  q += m->nparam;
  w.mom = q;
  q += m->nparam;
  w.vel = q;
  q += m->nparam;
  w.wrow = p->weight ? q : NULL;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < nin; j++) Xs[(size_t)i * nin + j] = (X[(size_t)i * nin + j] - m->xmean[j]) / m->xstd[j];
    for (int j = 0; j < nout; j++) Ys[(size_t)i * nout + j] = (Y[(size_t)i * nout + j] - m->ymean[j]) / m->ystd[j];
  }
  /* mask: 1 for weights (l2 applies), 0 for biases — from the layout */
  long step = 0;
  double epoch_loss = 0;
  for (int ep = 0; ep < p->epochs && !st; ep++) {
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates keyed by (seed, epoch) */
      int j = (int)(sf_ml_rng_u64(p->seed, 2000000 + (uint64_t)ep, (uint64_t)i) % (uint64_t)(i + 1));
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    double sse_epoch = 0;
    for (int b0 = 0; b0 < n; b0 += B) {
      const int nbg = b0 + B <= n ? B : n - b0;
      const int lo = (int)((long)nbg * rank / size), hi = (int)((long)nbg * (rank + 1) / size);
      const int nb = hi - lo;
      for (int i = 0; i < nb; i++) {
        int s = perm[b0 + lo + i];
        memcpy(w.A[0] + (size_t)i * nin, Xs + (size_t)s * nin, nin * sizeof(double));
        memcpy(w.T + (size_t)i * nout, Ys + (size_t)s * nout, nout * sizeof(double));
        if (w.wrow) w.wrow[i] = p->weight[s];
      }
      double wsum = nbg; /* the whole batch's weight, the same sum on every rank */
      if (p->weight) {
        wsum = 0;
        for (int i = 0; i < nbg; i++) wsum += p->weight[perm[b0 + i]];
      }
      memset(w.grad, 0, (m->nparam + 1) * sizeof(double));
      double sse = nb > 0 ? batch_grad(m, &w, nb, w.grad) : 0;
      w.grad[m->nparam] = sse; /* the loss rides along in the same reduction */
      if (size > 1 && MPI_Allreduce(MPI_IN_PLACE, w.grad, (int)m->nparam + 1, MPI_DOUBLE, MPI_SUM, comm)) {
        st = sf_error_set(SF_ERR_MPI, __FILE__, __LINE__, __func__, "MPI_Allreduce of gradients failed");
        break;
      }
      sse_epoch += w.grad[m->nparam];
      step++;
      const double inv = 1.0 / (wsum * nout);
      const double c1 = 1 - pow(p->beta1, (double)step), c2 = 1 - pow(p->beta2, (double)step);
      const double b1 = p->beta1, b2 = p->beta2, eps = p->eps, l2x2 = 2 * p->l2, lr_c1 = p->lr / c1,
                   isc2 = 1 / sqrt(c2);
      for (int l = 0; l < L; l++) { /* weights (with the l2 term), then biases (without) */
        size_t off = m->W[l] - m->params, nw = (size_t)m->width[l] * m->width[l + 1], ob = m->b[l] - m->params;
        adam_step(nw, m->params + off, w.grad + off, w.mom + off, w.vel + off, inv, l2x2, b1, b2, lr_c1, isc2, eps);
        adam_step(m->width[l + 1], m->params + ob, w.grad + ob, w.mom + ob, w.vel + ob, inv, 0.0, b1, b2, lr_c1, isc2,
                  eps);
      }
    }
    epoch_loss = sse_epoch / ((double)n * nout); /* weighted: relative to mean weight 1 only if normalised */
    if (p->verbose_every > 0 && (ep + 1) % p->verbose_every == 0)
      sf_log(2, "    epoch %5d  loss %.6e\n", ep + 1, epoch_loss);
  }
  if (loss) *loss = epoch_loss;
  sf_free(buf);
  sf_free(Xs);
  sf_free(Ys);
  sf_free(perm);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}
