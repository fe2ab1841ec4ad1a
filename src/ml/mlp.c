/* mlp.c — dense tanh networks: creation, standardisation, batched evaluation (GEMM),
 * Jacobian by forward-mode differentiation, and the counter-based RNG (see mlp.h). */
#include "strainfield/core.h"
#include "strainfield/mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64 finaliser applied to a mix of the key: a counter-based generator */
static uint64_t mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* tanh in place, vectorisable (AVX-512 / AVX2 clones): tanh|x| = (1 − e)/(1 + e) with
 * e = exp(−2|x|) from a round-to-nearest range reduction and a degree-13 Taylor
 * polynomial on |r| ≤ ln2/2 (truncation < 2e-16).  Absolute error a few 1e-16 against
 * libm's tanh (what the networks need); 4-8× faster than calling libm per element.
 * Pure arithmetic: the same result on every rank and for any batch split. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SF_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SF_CLONES
#endif
SF_CLONES void sf_mlp_tanh_inplace(double *z, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    double x = z[i], ax = fabs(x);
    ax = ax < 20.0 ? ax : 20.0;
    double y = -2.0 * ax;
    double kd = y * 1.4426950408889634 + 0x1.8p52;
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= 0x1.8p52;
    double r = y - kd * 6.93147180369123816490e-01 - kd * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t sb = (ki + 1023) << 52;
    double sc;
    memcpy(&sc, &sb, sizeof sc);
    double e = p * sc;
    double t = (1.0 - e) / (1.0 + e);
    z[i] = x < 0 ? -t : t;
  }
}

uint64_t sf_ml_rng_u64(uint64_t seed, uint64_t purpose, uint64_t counter)
{
  return mix64(mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ (purpose * 0xd1342543de82ef95ULL)) ^
               (counter + 0x632be59bd9b4e019ULL));
}

double sf_ml_rng_uniform(uint64_t seed, uint64_t purpose, uint64_t counter)
{
  return (double)(sf_ml_rng_u64(seed, purpose, counter) >> 11) * 0x1.0p-53;
}

/* The parameters and scalers of m's shape; on an error the caller frees them. */
static int mlp_alloc(sf_mlp *m)
{
  const int nin = m->width[0], nout = m->width[m->nlayer];
  SF_CHECK(sf_calloc((void **)&m->params, m->nparam, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&m->xmean, nin, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&m->xstd, nin, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&m->ymean, nout, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&m->ystd, nout, sizeof(double)));
  return SF_OK;
}

int sf_mlp_create(sf_mlp *m, int nlayer, const int *width, uint64_t seed)
{
  memset(m, 0, sizeof *m);
  if (nlayer < 1 || nlayer > SF_MLP_MAXLAYER) SF_ERROR(SF_ERR_INPUT, "network depth %d outside 1..%d", nlayer, SF_MLP_MAXLAYER);
  m->nlayer = nlayer;
  size_t np = 0;
  for (int l = 0; l <= nlayer; l++) {
    if (width[l] < 1) SF_ERROR(SF_ERR_INPUT, "network layer %d has width %d", l, width[l]);
    m->width[l] = width[l];
  }
  for (int l = 0; l < nlayer; l++) np += (size_t)width[l] * width[l + 1] + width[l + 1];
  m->nparam = np;
  int st = mlp_alloc(m);
  if (st) {
    sf_mlp_free(m);
    return sf_error_trace(st, __FILE__, __LINE__, __func__);
  }
  for (int i = 0; i < width[0]; i++) m->xstd[i] = 1;
  for (int i = 0; i < width[nlayer]; i++) m->ystd[i] = 1;
  double *p = m->params;
  for (int l = 0; l < nlayer; l++) {
    m->W[l] = p;
    size_t nw = (size_t)width[l] * width[l + 1];
    /* U(±1/sqrt(fan_in)) for weights and biases, the initialisation of PyTorch's Linear
     * that the reference protocol uses; zero biases train tanh networks markedly worse */
    double lim = 1.0 / sqrt((double)width[l]);
    for (size_t i = 0; i < nw; i++) p[i] = lim * (2 * sf_ml_rng_uniform(seed, 1000 + l, i) - 1);
    p += nw;
    m->b[l] = p;
    for (int i = 0; i < width[l + 1]; i++) p[i] = lim * (2 * sf_ml_rng_uniform(seed, 2000 + l, (uint64_t)i) - 1);
    p += width[l + 1];
  }
  return SF_OK;
}

void sf_mlp_free(sf_mlp *m)
{
  sf_free(m->params);
  sf_free(m->xmean);
  sf_free(m->xstd);
  sf_free(m->ymean);
  sf_free(m->ystd);
  memset(m, 0, sizeof *m);
}

static void mean_std(const double *A, int n, int d, double *mean, double *std)
{
  for (int j = 0; j < d; j++) {
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) s += A[(size_t)i * d + j];
    s /= n;
    for (int i = 0; i < n; i++) {
      double t = A[(size_t)i * d + j] - s;
      s2 += t * t;
    }
    mean[j] = s;
    std[j] = n > 0 && s2 > 0 ? sqrt(s2 / n) : 1.0;
    if (std[j] < 1e-300) std[j] = 1.0;
  }
}

void sf_mlp_fit_scalers(sf_mlp *m, const double *X, const double *Y, int n)
{
  mean_std(X, n, m->width[0], m->xmean, m->xstd);
  mean_std(Y, n, m->width[m->nlayer], m->ymean, m->ystd);
}

static int max_width(const sf_mlp *m)
{
  int w = 0;
  for (int l = 0; l <= m->nlayer; l++)
    if (m->width[l] > w) w = m->width[l];
  return w;
}

size_t sf_mlp_workspace_size(const sf_mlp *m, int n) { return 2 * (size_t)n * max_width(m); }

int sf_mlp_predict(const sf_mlp *m, const double *x, int n, double *y, double *ws)
{
  double *own = NULL;
  if (!ws) {
    SF_CHECK(sf_calloc((void **)&own, sf_mlp_workspace_size(m, n), sizeof(double)));
    ws = own;
  }
  const int nin = m->width[0], nout = m->width[m->nlayer];
  double *a = ws, *z = ws + (size_t)n * max_width(m);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < nin; j++) a[(size_t)i * nin + j] = (x[(size_t)i * nin + j] - m->xmean[j]) / m->xstd[j];
  for (int l = 0; l < m->nlayer; l++) {
    const int wi = m->width[l], wo = m->width[l + 1];
    for (int i = 0; i < n; i++) memcpy(z + (size_t)i * wo, m->b[l], wo * sizeof(double));
    if (n == 1)
      cblas_dgemv(CblasRowMajor, CblasTrans, wi, wo, 1.0, m->W[l], wo, a, 1, 1.0, z, 1);
    else
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, wo, wi, 1.0, a, wi, m->W[l], wo, 1.0, z, wo);
    if (l < m->nlayer - 1) sf_mlp_tanh_inplace(z, (size_t)n * wo);
    double *t = a;
    a = z;
    z = t;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < nout; j++) y[(size_t)i * nout + j] = m->ymean[j] + m->ystd[j] * a[(size_t)i * nout + j];
  sf_free(own);
  return SF_OK;
}

int sf_mlp_jacobian(const sf_mlp *m, const double *x, double *y, double *J)
{
  const int nin = m->width[0], nout = m->width[m->nlayer], mw = max_width(m);
  double *buf = NULL;
  SF_CHECK(sf_calloc((void **)&buf, 2 * (size_t)mw + 2 * (size_t)nin * mw, sizeof *buf));
  double *a = buf, *z = buf + mw, *T = buf + 2 * mw, *Tz = T + (size_t)nin * mw;
  for (int j = 0; j < nin; j++) {
    a[j] = (x[j] - m->xmean[j]) / m->xstd[j];
    T[(size_t)j * nin + j] = 1.0 / m->xstd[j]; /* tangent rows: ∂a/∂x_j */
  }
  for (int l = 0; l < m->nlayer; l++) {
    const int wi = m->width[l], wo = m->width[l + 1];
    memcpy(z, m->b[l], wo * sizeof(double));
    cblas_dgemv(CblasRowMajor, CblasTrans, wi, wo, 1.0, m->W[l], wo, a, 1, 1.0, z, 1);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nin, wo, wi, 1.0, T, wi, m->W[l], wo, 0.0, Tz, wo);
    if (l < m->nlayer - 1) {
      sf_mlp_tanh_inplace(z, wo);
      for (int o = 0; o < wo; o++) {
        double d = 1 - z[o] * z[o];
        for (int j = 0; j < nin; j++) Tz[(size_t)j * wo + o] *= d;
      }
    }
    double *t = a;
    a = z;
    z = t;
    t = T;
    T = Tz;
    Tz = t;
  }
  for (int o = 0; o < nout; o++) {
    if (y) y[o] = m->ymean[o] + m->ystd[o] * a[o];
    for (int j = 0; j < nin; j++) J[(size_t)o * nin + j] = m->ystd[o] * T[(size_t)j * nout + o];
  }
  sf_free(buf);
  return SF_OK;
}

/* ---- single-precision inference copy (prediction only; training never uses it) ---- */

/* z = tanh(z + b) in float32: tanh|x| = (1 − e)/(1 + e), e = exp(−2|x|) by round-to-nearest
 * range reduction and a degree-7 polynomial on |r| ≤ ln2/2 (truncation < 5e-9 relative);
 * absolute error ≲ 2e-7, i.e. float rounding.  Vectorised (AVX-512 / AVX2 clones). */
SF_CLONES void sf_mlp32_bias_tanh(float *z, const float *b, size_t n, int nb)
{
  for (size_t r0 = 0; r0 < n; r0 += (size_t)nb) {
    float *zr = z + r0;
    for (int i = 0; i < nb; i++) {
      float x = zr[i] + b[i], ax = fabsf(x);
      ax = ax < 9.0f ? ax : 9.0f; /* tanh(9) = 1 − 3e-8: 1 in float */
      float y = -2.0f * ax;
      float kd = y * 1.44269504f + 0x1.8p23f;
      uint32_t ki;
      memcpy(&ki, &kd, sizeof ki);
      kd -= 0x1.8p23f;
      float rr = y - kd * 0.693145752f - kd * 1.42860677e-06f;
      float p = 1.0f / 5040.0f;
      p = p * rr + 1.0f / 720.0f;
      p = p * rr + 1.0f / 120.0f;
      p = p * rr + 1.0f / 24.0f;
      p = p * rr + 1.0f / 6.0f;
      p = p * rr + 0.5f;
      p = p * rr + 1.0f;
      p = p * rr + 1.0f;
      uint32_t sb = (ki + 127u) << 23; /* ki holds k in its low bits (k in −26..0) */
      float sc;
      memcpy(&sc, &sb, sizeof sc);
      float e = p * sc;
      float t = (1.0f - e) / (1.0f + e);
      zr[i] = x < 0 ? -t : t;
    }
  }
}

int sf_mlp32_from(sf_mlp32 *q, const sf_mlp *m)
{
  memset(q, 0, sizeof *q);
  q->nlayer = m->nlayer;
  memcpy(q->width, m->width, sizeof q->width);
  size_t nf = 0;
  for (int l = 0; l < m->nlayer; l++) /* each array rounded up to 16 floats: 64-byte aligned */
    nf += ((size_t)m->width[l] * m->width[l + 1] + 15) / 16 * 16 + ((size_t)m->width[l + 1] + 15) / 16 * 16;
  const int nin = m->width[0], nout = m->width[m->nlayer];
  void *mem = NULL;
  if (posix_memalign(&mem, 64, nf * sizeof(float))) SF_ERROR(SF_ERR_MEM, "out of memory (%zu floats)", nf);
  q->mem = mem;
  int st = sf_calloc((void **)&q->dmem, 2 * (size_t)nin + 2 * (size_t)nout, sizeof(double));
  if (st) {
    sf_mlp32_free(q);
    return sf_error_trace(st, __FILE__, __LINE__, __func__);
  }
  float *p = q->mem;
  for (int l = 0; l < m->nlayer; l++) {
    const int wi = m->width[l], wo = m->width[l + 1];
    q->W[l] = p;
    q->outmajor[l] = wo < wi; /* narrowing layers (500→50): out × in, dot-product SGEMV */
    if (q->outmajor[l])
      for (int i = 0; i < wi; i++)
        for (int o = 0; o < wo; o++) p[(size_t)o * wi + i] = (float)m->W[l][(size_t)i * wo + o];
    else
      for (size_t i = 0; i < (size_t)wi * wo; i++) p[i] = (float)m->W[l][i];
    p += ((size_t)wi * wo + 15) / 16 * 16;
    q->b[l] = p;
    for (int o = 0; o < wo; o++) p[o] = (float)m->b[l][o];
    p += ((size_t)wo + 15) / 16 * 16;
  }
  q->xmean = q->dmem;
  q->xinv = q->xmean + nin;
  q->ymean = q->xinv + nin;
  q->ystd = q->ymean + nout;
  for (int j = 0; j < nin; j++) {
    q->xmean[j] = m->xmean[j];
    q->xinv[j] = 1.0 / m->xstd[j];
  }
  memcpy(q->ymean, m->ymean, nout * sizeof(double));
  memcpy(q->ystd, m->ystd, nout * sizeof(double));
  return SF_OK;
}

void sf_mlp32_free(sf_mlp32 *q)
{
  sf_free(q->mem);
  sf_free(q->dmem);
  memset(q, 0, sizeof *q);
}

size_t sf_mlp32_workspace_size(const sf_mlp32 *q, int n)
{
  int w = 0;
  for (int l = 0; l <= q->nlayer; l++)
    if (q->width[l] > w) w = q->width[l];
  if (n > SF_MLP32_CHUNK) n = SF_MLP32_CHUNK;
  if (n < 1) n = 1;
  return 2 * (((size_t)n * w + 15) / 16 * 16);
}

void sf_mlp32_predict(const sf_mlp32 *q, const double *x, int n, double *y, int ldy, float *ws)
{
  const int nin = q->width[0], nout = q->width[q->nlayer];
  int w = 0;
  for (int l = 0; l <= q->nlayer; l++)
    if (q->width[l] > w) w = q->width[l];
  const size_t half = ((size_t)(n < SF_MLP32_CHUNK ? n : SF_MLP32_CHUNK) * w + 15) / 16 * 16;
  for (int i0 = 0; i0 < n; i0 += SF_MLP32_CHUNK) {
    const int nc = n - i0 < SF_MLP32_CHUNK ? n - i0 : SF_MLP32_CHUNK;
    float *a = ws, *z = ws + half;
    for (int i = 0; i < nc; i++)
      for (int j = 0; j < nin; j++)
        a[(size_t)i * nin + j] = (float)((x[(size_t)(i0 + i) * nin + j] - q->xmean[j]) * q->xinv[j]);
    for (int l = 0; l < q->nlayer; l++) {
      const int wi = q->width[l], wo = q->width[l + 1];
      if (q->outmajor[l] && nc == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, wo, wi, 1.0f, q->W[l], wi, a, 1, 0.0f, z, 1);
      else if (q->outmajor[l])
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nc, wo, wi, 1.0f, a, wi, q->W[l], wi, 0.0f, z, wo);
      else if (nc == 1)
        cblas_sgemv(CblasRowMajor, CblasTrans, wi, wo, 1.0f, q->W[l], wo, a, 1, 0.0f, z, 1);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nc, wo, wi, 1.0f, a, wi, q->W[l], wo, 0.0f, z, wo);
      if (l < q->nlayer - 1)
        sf_mlp32_bias_tanh(z, q->b[l], (size_t)nc * wo, wo);
      else
        for (int i = 0; i < nc; i++) {
          double *yr = y + (size_t)(i0 + i) * ldy;
          const float *zr = z + (size_t)i * wo;
          for (int o = 0; o < nout; o++) yr[o] = q->ymean[o] + q->ystd[o] * (double)(zr[o] + q->b[l][o]);
        }
      float *t = a;
      a = z;
      z = t;
    }
  }
}
