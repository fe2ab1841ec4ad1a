/* mlp_train.c — data-parallel mini-batch Adam for sf_mlp (see mlp.h).
 *
 * Loss = mean over the batch and outputs of the squared error in standardised units
 * + l2 · Σ W² (weights only), as PyTorch's MSELoss plus an explicit penalty, or Keras'
 * kernel_regularizer.  Each epoch visits a permutation of the samples (keyed by seed and
 * epoch).  Precision is PyTorch's: forward and backward passes in float32 (SGEMM), while
 * the master weights, the gradient sums and Adam's arithmetic stay float64 (its two moment
 * vectors are float32, as PyTorch's).  So that the result does not depend on the number
 * of ranks, each mini-batch is cut into fixed blocks of SF_TRAIN_BLOCK samples, each
 * block's float32 gradient is computed the same way whichever rank owns it, and the blocks
 * are summed in float64 (ranks own contiguous runs of blocks; MPI_Reduce_scatter adds the
 * ranks' sums, each rank updates its slice of the parameters, MPI_Allgatherv shares the
 * float32 copies): 1 and N ranks then differ by float64 round-off only.  With an
 * input-gradient term (p->grad_weight > 0, the energy network's stress) each block's
 * gradient is computed in float64 by mlp_gradloss.c from the float64 image of the same
 * float32 weights, and summed the same way. */
#include "strainfield/core.h"
#include "strainfield/mlp.h"

#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
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
  p->name = NULL;
  p->grad_target = NULL;
  p->grad_weight = 0;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SF_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SF_CLONES
#endif

/* One Adam step on n parameters (vectorised): g = grad·inv + l2x2·p;
 * m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; p ← p − (lr/c1) m / (√v/√c2 + ε); and the
 * float32 copy p32 = p.  The moments are stored in float32 as PyTorch's (the step is
 * memory-bound: 44 instead of 60 bytes per parameter), the arithmetic is float64. */
SF_CLONES static void adam_step(size_t n, double *restrict p, float *restrict p32, const double *restrict grad,
                                float *restrict mom, float *restrict vel, double inv, double l2x2, double b1,
                                double b2, double lr_c1, double isc2, double eps)
{
  for (size_t i = 0; i < n; i++) {
    double g = grad[i] * inv + l2x2 * p[i];
    double mi = b1 * mom[i] + (1 - b1) * g;
    double vi = b2 * vel[i] + (1 - b2) * g * g;
    mom[i] = (float)mi;
    vel[i] = (float)vi;
    p[i] -= lr_c1 * mi / (sqrt(vi) * isc2 + eps);
    p32[i] = (float)p[i];
  }
}

/* Samples per gradient block: a 128-batch still spreads over 2 ranks, and a block's
 * SGEMMs are large enough to run near peak. */
#define SF_TRAIN_BLOCK 64

/* d = 2 w_row (y − t), returns Σ w_row (y − t)² */
SF_CLONES static double out_delta(int nb, int nout, const float *restrict y, const float *restrict t,
                                  const double *restrict wrow, float *restrict d)
{
  double sse = 0;
  for (int i = 0; i < nb; i++) {
    const double wi = wrow ? wrow[i] : 1.0;
    double s = 0;
    for (int o = 0; o < nout; o++) {
      float e = y[(size_t)i * nout + o] - t[(size_t)i * nout + o];
      s += (double)e * e;
      d[(size_t)i * nout + o] = (float)(2 * wi) * e;
    }
    sse += wi * s;
  }
  return sse;
}

/* dprev *= 1 − a² */
SF_CLONES static void dtanh_mul(size_t n, float *restrict dp, const float *restrict a)
{
  for (size_t i = 0; i < n; i++) dp[i] *= 1 - a[i] * a[i];
}

/* g (float64) += column sums of d (bias gradients); = on the first block */
SF_CLONES static void col_sums(int nb, int wo, const float *restrict d, double *restrict gb, int first)
{
  if (first)
    for (int o = 0; o < wo; o++) gb[o] = 0;
  for (int i = 0; i < nb; i++)
    for (int o = 0; o < wo; o++) gb[o] += d[(size_t)i * wo + o];
}

/* g (float64) = x, or += x after the first block: no separate zeroing pass */
SF_CLONES static void add_f32(size_t n, double *restrict g, const float *restrict x, int first)
{
  if (first)
    for (size_t i = 0; i < n; i++) g[i] = x[i];
  else
    for (size_t i = 0; i < n; i++) g[i] += x[i];
}

SF_CLONES static void to_f32(size_t n, float *restrict y, const double *restrict x)
{
  for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
}

typedef struct {
  float *A[SF_MLP_MAXLAYER + 1]; /* activations per layer, block × width */
  float *delta, *dprev;          /* block × max width */
  float *T;                      /* targets block × nout */
  float *P32;                    /* float32 copy of the parameters (same layout) */
  float *gW;                     /* one layer's weight gradient of one block */
  double *wrow;                  /* per-row loss weights (NULL: 1) */
  float *mom, *vel;              /* Adam moments, nparam */
  double *grad;                  /* nparam, float64 */
} train_ws;

/* Gradient of Σ_block Σ_out (y − t)² (not yet divided) of one block of nb samples, added
 * to g in float64 (stored, for this rank's first block); returns the sum of squared errors. */
static double block_grad(const sf_mlp *m, train_ws *w, int nb, double *g, int first)
{
  const int L = m->nlayer, nout = m->width[L];
  for (int l = 0; l < L; l++) {
    const int wi = m->width[l], wo = m->width[l + 1];
    const float *W = w->P32 + (m->W[l] - m->params), *b = w->P32 + (m->b[l] - m->params);
    float *z = w->A[l + 1];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, wo, wi, 1.0f, w->A[l], wi, W, wo, 0.0f, z, wo);
    if (l < L - 1)
      sf_mlp32_bias_tanh(z, b, (size_t)nb * wo, wo);
    else
      for (int i = 0; i < nb; i++)
        for (int o = 0; o < wo; o++) z[(size_t)i * wo + o] += b[o];
  }
  float *d = w->delta;
  double sse = out_delta(nb, nout, w->A[L], w->T, w->wrow, d);
  /* g layout = params layout: W_l then b_l */
  for (int l = L - 1; l >= 0; l--) {
    const int wi = m->width[l], wo = m->width[l + 1];
    const float *W = w->P32 + (m->W[l] - m->params);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, wi, wo, nb, 1.0f, w->A[l], wi, d, wo, 0.0f, w->gW, wo);
    add_f32((size_t)wi * wo, g + (m->W[l] - m->params), w->gW, first);
    col_sums(nb, wo, d, g + (m->b[l] - m->params), first);
    if (l > 0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, wi, wo, 1.0f, d, wo, W, wo, 0.0f, w->dprev, wi);
      dtanh_mul((size_t)nb * wi, w->dprev, w->A[l]);
      float *t = d;
      d = w->dprev;
      w->dprev = t;
    }
  }
  w->delta = d;
  return sse;
}

typedef struct {
  double inv, l2x2, b1, b2, lr_c1, isc2, eps;
} adam_coef;

/* Adam on the parameters [r0, r1) of m's layout — weights with the l2 term, biases
 * without; g holds their summed gradients from index r0 on. */
static void adam_range(sf_mlp *m, train_ws *w, size_t r0, size_t r1, const double *g, const adam_coef *a)
{
  for (int l = 0; l < m->nlayer; l++)
    for (int bias = 0; bias < 2; bias++) {
      size_t lo = (bias ? m->b[l] : m->W[l]) - m->params;
      size_t hi = lo + (bias ? (size_t)m->width[l + 1] : (size_t)m->width[l] * m->width[l + 1]);
      if (lo < r0) lo = r0;
      if (hi > r1) hi = r1;
      if (lo < hi)
        adam_step(hi - lo, m->params + lo, w->P32 + lo, g + (lo - r0), w->mom + lo, w->vel + lo, a->inv,
                  bias ? 0.0 : a->l2x2, a->b1, a->b2, a->lr_c1, a->isc2, a->eps);
    }
}

/* SF_TEST_STOP_AT_EPOCH=N (tests only): the epoch at which a stop is requested, or -1. */
static int test_stop_epoch(void)
{
  const char *e = getenv("SF_TEST_STOP_AT_EPOCH");
  return e && *e ? atoi(e) : -1;
}

/* Every rank of comm gets the whole vector: slice r of x lives on rank r. */
static int gather_slices(MPI_Comm comm, void *x, MPI_Datatype type, const int *counts, const int *displs)
{
  if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, counts, displs, type, comm))
    SF_ERROR(SF_ERR_MPI, "MPI_Allgatherv of the training state failed");
  return SF_OK;
}

int sf_mlp_train(MPI_Comm comm, sf_mlp *m, const double *X, const double *Y, int n, const sf_train_params *p,
                 double *loss)
{
  return sf_mlp_train_state(comm, m, X, Y, n, p, NULL, loss);
}

/* What one training run allocates: the float32 block (activations, deltas, targets, the
 * float32 weights, Adam's moments, a weight-gradient scratch) that train_ws points into,
 * the float64 gradient / row weights / this rank's reduced slice (dbuf), the slices of the
 * parameters each rank updates (counts, displs), the standardised data and the shuffle. */
typedef struct {
  float *fbuf, *Xs, *Ys;
  double *dbuf, *gpart;
  int *counts, *displs, *perm;
  size_t my0, my1; /* this rank's parameter slice */
  /* with an input-gradient term (p->grad_weight > 0): the standardised data and gradient
   * targets in float64, the per-input scales c, the float64 copy of the float32 weights
   * and one block's rows and workspace (mlp_gradloss.c) */
  double *gbuf, *Xd, *Yd, *Gd, *c, *Pd, *bX, *bY, *bG, *gws;
} train_bufs;

static int train_bufs_alloc(const sf_mlp *m, int n, int size, const sf_train_params *p, train_bufs *b)
{
  const int L = m->nlayer, nin = m->width[0], nout = m->width[L], K = SF_TRAIN_BLOCK;
  int mw = 0, maxw2 = 0;
  for (int l = 0; l <= L; l++)
    if (m->width[l] > mw) mw = m->width[l];
  for (int l = 0; l < L; l++)
    if (m->width[l] * m->width[l + 1] > maxw2) maxw2 = m->width[l] * m->width[l + 1];
  size_t nf = 0;
  for (int l = 0; l <= L; l++) nf += (size_t)K * m->width[l];
  nf += 2 * (size_t)K * mw + (size_t)K * nout + 3 * m->nparam + maxw2;
  SF_CHECK(sf_calloc((void **)&b->fbuf, nf, sizeof *b->fbuf));
  SF_CHECK(sf_calloc((void **)&b->dbuf, 2 * m->nparam + K, sizeof *b->dbuf));
  SF_CHECK(sf_calloc((void **)&b->counts, 2 * (size_t)size, sizeof *b->counts));
  SF_CHECK(sf_calloc((void **)&b->Xs, (size_t)n * nin, sizeof *b->Xs));
  SF_CHECK(sf_calloc((void **)&b->Ys, (size_t)n * nout, sizeof *b->Ys));
  SF_CHECK(sf_calloc((void **)&b->perm, n, sizeof *b->perm));
  if (!(p->grad_weight > 0)) return SF_OK;
  if (nout != 1 || !p->grad_target)
    SF_ERROR(SF_ERR_INTERNAL, "an input-gradient loss needs a one-output network and gradient targets");
  size_t nd = (size_t)n * (2 * nin + 1) + nin + m->nparam + (size_t)K * (2 * nin + 1) + sf_mlp_gradloss_ws_size(m, K);
  SF_CHECK(sf_calloc((void **)&b->gbuf, nd, sizeof *b->gbuf));
  double *q = b->gbuf;
  b->Xd = q, q += (size_t)n * nin;
  b->Gd = q, q += (size_t)n * nin;
  b->Yd = q, q += n;
  b->c = q, q += nin;
  b->Pd = q, q += m->nparam;
  b->bX = q, q += (size_t)K * nin;
  b->bG = q, q += (size_t)K * nin;
  b->bY = q, q += K;
  b->gws = q;
  return SF_OK;
}

/* The float64 standardised data and gradient targets, and c_d = (ystd/xstd_d)² /
 * (nin var_d): in standardised units c_d (∂y/∂x_d − G_d)² is the physical misfit over
 * nin times the targets' variance (mlp.h). */
static void grad_setup(const sf_mlp *m, const double *X, const double *Y, int n, const sf_train_params *p,
                       train_bufs *b)
{
  const int nin = m->width[0];
  for (int j = 0; j < nin; j++) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += p->grad_target[(size_t)i * nin + j];
    mean /= n;
    for (int i = 0; i < n; i++) {
      const double e = p->grad_target[(size_t)i * nin + j] - mean;
      var += e * e;
    }
    var /= n;
    const double r = m->ystd[0] / m->xstd[j];
    b->c[j] = var > 0 ? r * r / (nin * var) : 0;
    for (int i = 0; i < n; i++) {
      b->Xd[(size_t)i * nin + j] = (X[(size_t)i * nin + j] - m->xmean[j]) / m->xstd[j];
      b->Gd[(size_t)i * nin + j] = p->grad_target[(size_t)i * nin + j] * m->xstd[j] / m->ystd[0];
    }
  }
  for (int i = 0; i < n; i++) b->Yd[i] = (Y[i] - m->ymean[0]) / m->ystd[0];
}

/* One block of the gradient-term loss: its rows gathered, the float64 gradient into g. */
static double block_grad64(const sf_mlp *m, const train_bufs *b, const train_ws *w, const sf_train_params *p,
                           const int *rows, int nb, double *g, int first)
{
  const int nin = m->width[0];
  for (int i = 0; i < nb; i++) {
    memcpy(b->bX + (size_t)i * nin, b->Xd + (size_t)rows[i] * nin, nin * sizeof(double));
    memcpy(b->bG + (size_t)i * nin, b->Gd + (size_t)rows[i] * nin, nin * sizeof(double));
    b->bY[i] = b->Yd[rows[i]];
  }
  double sse, gsse;
  sf_mlp_gradloss_block(m, b->Pd, nb, b->bX, b->bY, b->bG, b->c, p->grad_weight, w->wrow, g, first, b->gws, &sse,
                        &gsse);
  return sse;
}

static void train_bufs_free(train_bufs *b)
{
  sf_free(b->counts);
  sf_free(b->fbuf);
  sf_free(b->dbuf);
  sf_free(b->Xs);
  sf_free(b->Ys);
  sf_free(b->perm);
  sf_free(b->gbuf);
}

/* Points the workspace into the buffers, cuts the parameters into the ranks' slices and
 * standardises the data into float32. */
static void train_setup(const sf_mlp *m, const double *X, const double *Y, int n, const sf_train_params *p,
                        int size, int rank, train_bufs *b, train_ws *w)
{
  const int L = m->nlayer, nin = m->width[0], nout = m->width[L], K = SF_TRAIN_BLOCK;
  int mw = 0;
  for (int l = 0; l <= L; l++)
    if (m->width[l] > mw) mw = m->width[l];
  float *q = b->fbuf;
  for (int l = 0; l <= L; l++) {
    w->A[l] = q;
    q += (size_t)K * m->width[l];
  }
  w->delta = q;
  q += (size_t)K * mw;
  w->dprev = q;
  q += (size_t)K * mw;
  w->T = q;
  q += (size_t)K * nout;
  w->P32 = q;
  q += m->nparam;
  w->mom = q;
  q += m->nparam;
  w->vel = q;
  q += m->nparam;
  w->gW = q;
  w->grad = b->dbuf;
  w->wrow = p->weight ? b->dbuf + m->nparam : NULL;
  /* Adam is split over the ranks: each sums and updates a contiguous slice of the
   * parameters (reduce-scatter), then the float32 copies are gathered — the same traffic
   * as one all-reduce, and 1/size of the update work. */
  b->gpart = b->dbuf + m->nparam + K;
  b->displs = b->counts + size;
  for (int r = 0; r < size; r++) {
    b->displs[r] = (int)(m->nparam * r / size);
    b->counts[r] = (int)(m->nparam * (r + 1) / size) - b->displs[r];
  }
  b->my0 = (size_t)b->displs[rank];
  b->my1 = b->my0 + b->counts[rank];
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < nin; j++)
      b->Xs[(size_t)i * nin + j] = (float)((X[(size_t)i * nin + j] - m->xmean[j]) / m->xstd[j]);
    for (int j = 0; j < nout; j++)
      b->Ys[(size_t)i * nout + j] = (float)((Y[(size_t)i * nout + j] - m->ymean[j]) / m->ystd[j]);
  }
  to_f32(m->nparam, w->P32, m->params);
  if (b->gbuf) grad_setup(m, X, Y, n, p, b);
}

/* One epoch: the samples in the order of a Fisher-Yates shuffle keyed by (seed, epoch),
 * one Adam step per mini-batch; *sse the epoch's summed squared error (every rank). */
static int train_epoch(MPI_Comm comm, sf_mlp *m, int n, const sf_train_params *p, int ep, train_bufs *b,
                       train_ws *w, long *step, double *sse_out)
{
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  const int nin = m->width[0], nout = m->width[m->nlayer], K = SF_TRAIN_BLOCK;
  const int B = p->batch < n ? p->batch : n;
  int *perm = b->perm;
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(sf_ml_rng_u64(p->seed, 2000000 + (uint64_t)ep, (uint64_t)i) % (uint64_t)(i + 1));
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  double sse_epoch = 0;
  for (int b0 = 0; b0 < n; b0 += B) {
    const int nbg = b0 + B <= n ? B : n - b0, nblk = (nbg + K - 1) / K;
    const int k0 = (int)((long)nblk * rank / size), k1 = (int)((long)nblk * (rank + 1) / size);
    if (k0 == k1) memset(w->grad, 0, m->nparam * sizeof(double)); /* no block here: contributes zeros */
    double sse = 0;
    /* the gradient term works on the float64 image of the shared float32 weights, the
     * same on every rank */
    if (b->gbuf && k0 < k1)
      for (size_t i = 0; i < m->nparam; i++) b->Pd[i] = w->P32[i];
    for (int k = k0; k < k1; k++) { /* this rank's blocks of the batch */
      const int lo = k * K, nb = lo + K <= nbg ? K : nbg - lo;
      for (int i = 0; i < nb; i++) {
        int s = perm[b0 + lo + i];
        memcpy(w->A[0] + (size_t)i * nin, b->Xs + (size_t)s * nin, nin * sizeof(float));
        memcpy(w->T + (size_t)i * nout, b->Ys + (size_t)s * nout, nout * sizeof(float));
        if (w->wrow) w->wrow[i] = p->weight[s];
      }
      if (b->gbuf) sse += block_grad64(m, b, w, p, perm + b0 + lo, nb, w->grad, k == k0);
      else sse += block_grad(m, w, nb, w->grad, k == k0);
    }
    double wsum = nbg; /* the whole batch's weight, the same sum on every rank */
    if (p->weight) {
      wsum = 0;
      for (int i = 0; i < nbg; i++) wsum += p->weight[perm[b0 + i]];
    }
    sse_epoch += sse;
    if (size > 1 && MPI_Reduce_scatter(w->grad, b->gpart, b->counts, MPI_DOUBLE, MPI_SUM, comm))
      SF_ERROR(SF_ERR_MPI, "MPI_Reduce_scatter of gradients failed");
    (*step)++;
    const double c1 = 1 - pow(p->beta1, (double)*step), c2 = 1 - pow(p->beta2, (double)*step);
    const adam_coef a = {.inv = 1.0 / (wsum * nout), .l2x2 = 2 * p->l2, .b1 = p->beta1, .b2 = p->beta2,
                         .lr_c1 = p->lr / c1, .isc2 = 1 / sqrt(c2), .eps = p->eps};
    adam_range(m, w, b->my0, b->my1, size > 1 ? b->gpart : w->grad, &a);
    if (size > 1 &&
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, w->P32, b->counts, b->displs, MPI_FLOAT, comm))
      SF_ERROR(SF_ERR_MPI, "MPI_Allgatherv of parameters failed");
  }
  if (size > 1 && MPI_Allreduce(MPI_IN_PLACE, &sse_epoch, 1, MPI_DOUBLE, MPI_SUM, comm))
    SF_ERROR(SF_ERR_MPI, "MPI_Allreduce of the loss failed");
  *sse_out = sse_epoch;
  return SF_OK;
}

int sf_mlp_train_state(MPI_Comm comm, sf_mlp *m, const double *X, const double *Y, int n, const sf_train_params *p,
                       sf_mlp_state *state, double *loss)
{
  int size, rank, st = SF_OK;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  const int nout = m->width[m->nlayer];
  train_ws w;
  memset(&w, 0, sizeof w);
  train_bufs b = {0};
  long step = 0;
  double epoch_loss = 0;
  /* local allocations before the collective loop: the ranks agree first */
  SF_CHECK_GOTO(sf_status_agree(comm, train_bufs_alloc(m, n, size, p, &b)));
  train_setup(m, X, Y, n, p, size, rank, &b, &w);
  const int ep0 = state ? state->epoch : 0, stop_at = test_stop_epoch();
  const char *name = p->name ? p->name : "the";
  if (ep0 > 0) { /* resumed: the weights are in m, the moments and counters in the state */
    step = state->step;
    epoch_loss = state->loss;
    memcpy(w.mom, state->mom, m->nparam * sizeof(float));
    memcpy(w.vel, state->vel, m->nparam * sizeof(float));
  }
  int ep = ep0, stop = 0;
  for (; ep < p->epochs; ep++) {
    /* an epoch boundary: nothing is lost by stopping here */
    if (ep == stop_at && ep > ep0) sf_stop_request(SIGTERM);
    if ((stop = sf_stop_agreed(comm))) break;
    double sse_epoch = 0;
    SF_CHECK_GOTO(train_epoch(comm, m, n, p, ep, &b, &w, &step, &sse_epoch));
    epoch_loss = sse_epoch / ((double)n * nout); /* weighted: relative to mean weight 1 only if normalised */
    if (p->verbose_every > 0 && (ep + 1) % p->verbose_every == 0)
      sf_log(2, "    epoch %5d  loss %.6e\n", ep + 1, epoch_loss);
    /* the same sum on every rank, so every rank stops here together */
    if (!(epoch_loss <= SF_TRAIN_DIVERGED_LOSS))
      SF_ERROR_GOTO(SF_ERR_NOCONV,
                    "the %s network diverged at epoch %d of %d (mean loss %.3g in standardised units, where "
                    "predicting the mean costs about 1): no model is written; try a smaller -lr (now %g)",
                    name, ep + 1, p->epochs, epoch_loss, p->lr);
  }
  /* every rank leaves with the whole float64 network (and, for a state, the moments) */
  if (size > 1) SF_CHECK_GOTO(gather_slices(comm, m->params, MPI_DOUBLE, b.counts, b.displs));
  if (state && size > 1) {
    SF_CHECK_GOTO(gather_slices(comm, w.mom, MPI_FLOAT, b.counts, b.displs));
    SF_CHECK_GOTO(gather_slices(comm, w.vel, MPI_FLOAT, b.counts, b.displs));
  }
  for (size_t i = 0; i < m->nparam; i++)
    if (!isfinite(m->params[i]))
      SF_ERROR_GOTO(SF_ERR_NOCONV, "the %s network has a non-finite weight after %d epochs: no model is "
                    "written; try a smaller -lr (now %g)", name, ep, p->lr);
  if (state) {
    state->epoch = ep;
    state->step = step;
    state->loss = epoch_loss;
    memcpy(state->mom, w.mom, m->nparam * sizeof(float));
    memcpy(state->vel, w.vel, m->nparam * sizeof(float));
  }
  if (stop)
    SF_ERROR_GOTO(SF_STOPPED, "stopped by %s at epoch %d of the %s network", sf_signal_name(stop), ep, name);
cleanup:
  if (loss) *loss = epoch_loss;
  train_bufs_free(&b);
  return st;
}
