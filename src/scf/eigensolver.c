/* eigensolver.c — block LOBPCG driver (sf_eigen_lobpcg).
 *
 * Owns: the iteration (residuals, soft locking, Teter-Payne-Allan preconditioning, the
 * bookkeeping of the basis [X | P | W] and of its image under A) and the workspace.  The
 * dense subspace kernels live in eigensolver_subspace.c.
 *
 * The operator is applied exactly once per iteration, to the new W block only: A·X and
 * A·P are carried along by the same linear combinations that update X and P.  Likewise
 * the Rayleigh-Ritz Gram matrices: the [X P] blocks of Y^H Y and Y^H A Y follow from the
 * small matrices (C^H S C, C^H H C with [X P] = Y·C), so only the W columns are formed
 * from n-length vectors; the full products come back whenever the last basis was
 * ill-conditioned or rank-deficient, and every SFE_REGRAM iterations.
 */
#include "strainfield/eigensolver.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "eigensolver_impl.h"
#include "strainfield/core.h"

static void ws_free(sfe_ws *w)
{
  for (int b = 0; b < 2; b++) {
    sf_free(w->Y[b]);
    sf_free(w->AY[b]);
  }
  sf_free(w->Z);
  sf_free(w->S);
  sf_free(w->H);
  sf_free(w->T);
  sf_free(w->V);
  sf_free(w->G);
  sf_free(w->cX);
  sf_free(w->mu);
  sf_free(w->theta);
  sf_free(w->d);
  sf_free(w->zwork);
  sf_free(w->rwork);
  sf_free(w->iwork);
  sfe_pgrid_free(w->pg);
}

/* The local buffers; on an error the caller frees what was allocated (ws_free). */
static int ws_alloc_local(sfe_ws *w, int n, int m)
{
  memset(w, 0, sizeof *w);
  w->n = n;
  w->m = m;
  w->smax = 3 * m;
  const size_t big = (size_t)n * w->smax, sm = (size_t)w->smax * w->smax;
  const size_t s = (size_t)w->smax;
  for (int b = 0; b < 2; b++) {
    SF_CHECK(sf_calloc((void **)&w->Y[b], big, sizeof(double complex)));
    SF_CHECK(sf_calloc((void **)&w->AY[b], big, sizeof(double complex)));
  }
  SF_CHECK(sf_calloc((void **)&w->Z, big, sizeof(double complex)));
  double complex **small[] = {&w->S, &w->H, &w->T, &w->V, &w->G, &w->cX};
  for (size_t i = 0; i < sizeof small / sizeof *small; i++)
    SF_CHECK(sf_calloc((void **)small[i], sm, sizeof(double complex)));
  w->cP = w->cX + (size_t)m * w->smax; /* [cX | cP] contiguous: one zgemm per update */
  SF_CHECK(sf_calloc((void **)&w->mu, s, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&w->theta, s, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&w->d, s, sizeof(double)));
  /* zheevd workspace for the largest order (LAPACK's documented minimum for JOBZ='V'). */
  w->lzwork = (lapack_int)(2 * s + s * s);
  w->lrwork = (lapack_int)(1 + 5 * s + 2 * s * s);
  w->liwork = (lapack_int)(3 + 5 * s);
  SF_CHECK(sf_calloc((void **)&w->zwork, (size_t)w->lzwork, sizeof(double complex)));
  SF_CHECK(sf_calloc((void **)&w->rwork, (size_t)w->lrwork, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&w->iwork, (size_t)w->liwork, sizeof(lapack_int)));
  return SF_OK;
}

/* All buffers and, over a parallel comm, the ScaLAPACK grid.  The grid's creation and
 * the iteration are collective, so the ranks agree on the local allocations first. */
static int ws_alloc(sfe_ws *w, int n, int m, MPI_Comm comm)
{
  int st = ws_alloc_local(w, n, m);
  if (sfe_comm_is_parallel(comm)) st = sf_status_agree(comm, st);
  SF_CHECK(st);
  SF_CHECK(sfe_pgrid_create(comm, w->smax, &w->pg));
  return SF_OK;
}

static int apply(const sf_eigen_params *p, int k, const double complex *X, double complex *AX)
{
  if (k <= 0) return SF_OK;
  int st = p->apply(p->ctx, k, X, AX);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

/* Deterministic fill for initial vectors that turned out dependent, so repeated runs
 * (and all MPI ranks) see the same numbers. */
static void fill_random(double complex *x, int n, unsigned long long seed)
{
  unsigned long long s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int i = 0; i < n; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double a = (double)(s >> 11) / 9007199254740992.0 - 0.5;
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double b = (double)(s >> 11) / 9007199254740992.0 - 0.5;
    x[i] = a + I * b;
  }
}

/* Orthonormal X from the caller's vectors; dependent ones are replaced by random vectors
 * rather than failing, since an SCF restart can legitimately hand in near-duplicates. */
static int initial_basis(sfe_ws *w, double complex *X)
{
  const int n = w->n, m = w->m;
  int k = 0;
  for (int attempt = 0; attempt < 4; attempt++) {
    SF_CHECK(sfe_ortho_self(w, X, m, 0.0, &k, NULL));
    SF_CHECK(sfe_ortho_self(w, X, k, 0.0, &k, NULL));
    if (k == m) return SF_OK;
    for (int j = k; j < m; j++) fill_random(X + (size_t)j * n, n, 1000ULL * attempt + j + 1);
    /* The accepted ones stay first and orthonormal; the random ones get projected. */
    sfe_ortho_against(w, X, k, X + (size_t)k * n, m - k);
  }
  SF_ERROR(SF_ERR_INTERNAL, "could not build %d independent start vectors of length %d", m, n);
}

/* Teter-Payne-Allan, scaled per band by that band's kinetic energy: large-|G| components
 * of the residual are damped like 1/kin, small ones passed as they are. */
static void precondition(const sf_eigen_params *p, const double complex *X, const int *act,
                         int na, double complex *W)
{
  const int n = p->n;
  const double *kin = p->precond_kin;
  if (!kin) return;
  for (int c = 0; c < na; c++) {
    const double complex *x = X + (size_t)act[c] * n;
    double complex *r = W + (size_t)c * n;
    double ek = 0;
    for (int i = 0; i < n; i++) ek += kin[i] * (creal(x[i]) * creal(x[i]) + cimag(x[i]) * cimag(x[i]));
    if (!(ek > 1e-12)) continue; /* a band with no kinetic energy has no scale to use */
    const double inv = 1.0 / ek;
    for (int i = 0; i < n; i++) {
      double y = kin[i] * inv;
      double num = 27 + y * (18 + y * (12 + 8 * y));
      r[i] *= num / (num + 16 * y * y * y * y);
    }
  }
}

/* R = AX - X·diag(lam) into Z; norms into res. */
static void residuals(sfe_ws *w, const double complex *X, const double complex *AX,
                      const double *lam, double *res)
{
  const int n = w->n;
  for (int j = 0; j < w->m; j++) {
    const double complex *x = X + (size_t)j * n, *ax = AX + (size_t)j * n;
    double complex *r = w->Z + (size_t)j * n;
    for (int i = 0; i < n; i++) r[i] = ax[i] - lam[j] * x[i];
    res[j] = cblas_dznrm2(n, r, 1);
  }
}

/* Warm start: an X whose Gram matrix is within this of the identity (max entry) goes into
 * the first Rayleigh-Ritz as it is, with that Gram matrix as the metric, instead of being
 * Cholesky-QR'd twice first: the Ritz pairs depend only on span(X), and a metric this close
 * to I costs no accuracy.  SCF restarts hand back the previous call's orthonormal X. */
#define SFE_WARM_ORTHO_TOL 1e-8
/* The [X P] blocks of the Rayleigh-Ritz Gram matrices are carried over from the small
 * matrices (sfe_track_gram) only while the last Rayleigh-Ritz basis was this well
 * conditioned and full rank; otherwise, and every SFE_REGRAM iterations (so round-off
 * cannot drift over long runs), they are formed again from the vectors. */
#define SFE_TRACK_MAXCOND 1e4
#define SFE_REGRAM 10

static int track_ok(const sfe_ws *w, int s) { return w->rr_rank == s && w->rr_cond < SFE_TRACK_MAXCOND; }

static int lobpcg(const sf_eigen_params *p, sfe_ws *w, double complex *X, double *eig,
                  double *res, int *niter)
{
  const int n = p->n, m = p->nband, ld = w->smax;
  const double complex one = 1.0, zero = 0.0;
  int act[m], cur = 0, kp = 0;
  *niter = 0;

  double complex *Y = w->Y[0], *AY = w->AY[0];
  memcpy(Y, X, (size_t)n * m * sizeof *Y);
  cblas_zherk(CblasColMajor, CblasUpper, CblasConjTrans, m, n, 1.0, Y, n, 0.0, w->S, ld);
  double dev = 0;
  for (int j = 0; j < m; j++)
    for (int i = 0; i <= j; i++) dev = fmax(dev, cabs(w->S[j * ld + i] - (i == j ? 1.0 : 0.0)));
  int sknown = m; /* columns of Y whose Gram (w->S) / projected operator (w->H) are known */
  if (!(dev < SFE_WARM_ORTHO_TOL)) {
    SF_CHECK(initial_basis(w, Y));
    sknown = 0;
  }
  SF_CHECK(apply(p, m, Y, AY));
  /* Initial Rayleigh-Ritz on X alone, so the first residuals belong to Ritz pairs. */
  SF_CHECK(sfe_rayleigh_ritz(w, Y, AY, m, &m, 1, sknown, 0, eig));
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, m, m, &one, Y, n, w->cX, ld, &zero,
              w->Y[1], n);
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, m, m, &one, AY, n, w->cX, ld,
              &zero, w->AY[1], n);
  cur = 1;
  int known = 0;
  if (track_ok(w, m)) {
    sfe_track_gram(w, m, m);
    known = m;
  }

  for (int it = 0;; it++) {
    Y = w->Y[cur];
    AY = w->AY[cur];
    residuals(w, Y, AY, eig, res);
    /* Soft locking: converged bands stay in the Rayleigh-Ritz basis (so they keep
     * improving through P and the other W) but get no residual direction of their own. */
    int na = 0;
    for (int j = 0; j < m; j++)
      if (!(res[j] < (p->band_tol ? p->band_tol[j] : p->tol))) act[na++] = j;
    if (na == 0 || it >= p->maxiter) break;

    double complex *W = Y + (size_t)(m + kp) * n, *AW = AY + (size_t)(m + kp) * n;
    for (int c = 0; c < na; c++)
      memcpy(W + (size_t)c * n, w->Z + (size_t)act[c] * n, (size_t)n * sizeof *W);
    precondition(p, Y, act, na, W);
    int kw;
    sfe_normalise(w, W, na, &kw); /* unit columns, for the cancellation test below */
    /* Project out [X P] and orthonormalise.  The Rayleigh-Ritz step uses the exact Gram
     * matrix, so W need not be orthogonal to working precision; a second pass is needed
     * only when projection cancelled most of a column ("twice is enough"), which is also
     * where columns lying in span[X P] to within roundoff are dropped.  (Orthonormalising
     * W before the projection as well would not change span[X P W].) */
    double nmin = 0;
    for (int pass = 0; pass < 2 && kw > 0 && nmin < 0.5; pass++) {
      sfe_ortho_against(w, Y, m + kp, W, kw);
      SF_CHECK(sfe_ortho_self(w, W, kw, pass ? 0.0 : 1e-10, &kw, &nmin));
    }
    if (kw == 0 && kp == 0) break; /* nothing new to search: stagnated at roundoff */
    SF_CHECK(apply(p, kw, W, AW));
    (*niter)++;

    const int s = m + kp + kw, blk[3] = {m, kp, kw};
    SF_CHECK(sfe_rayleigh_ritz(w, Y, AY, s, blk, 3, known, known, eig));
    /* The loop stops at the top of the next pass, whatever the residuals: no P needed. */
    const int last = it + 1 >= p->maxiter;
    int kpn = 0;
    if (!last) SF_CHECK(sfe_next_p(w, s, act, na, &kpn));

    /* New [X | P] and their images straight into the other buffer: no copies, no A. */
    const int nxt = 1 - cur;
    cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, m + kpn, s, &one, Y, n, w->cX,
                ld, &zero, w->Y[nxt], n);
    cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, m + kpn, s, &one, AY, n, w->cX,
                ld, &zero, w->AY[nxt], n);
    known = 0;
    if (!last && track_ok(w, s) && (it + 1) % SFE_REGRAM != 0) {
      sfe_track_gram(w, s, m + kpn);
      known = m + kpn;
    }
    kp = kpn;
    cur = nxt;
  }
  memcpy(X, w->Y[cur], (size_t)n * m * sizeof *X);
  return SF_OK;
}

/* Make *e fit (n, m, comm), keeping its buffers when they are big enough. */
static int ws_prepare(sf_eigen_workspace *e, int n, int m, MPI_Comm comm)
{
  const size_t need = (size_t)n * 3 * m;
  if (e->live && e->w.m == m && e->cap >= need && sfe_pgrid_matches(e->w.pg, comm, 3 * m)) {
    e->w.n = n;
    return SF_OK;
  }
  if (e->live) ws_free(&e->w);
  e->live = 0;
  int st = SF_OK;
  SF_CHECK_GOTO(ws_alloc(&e->w, n, m, comm));
  e->cap = need;
  e->live = 1;
cleanup:
  if (st) {
    ws_free(&e->w);
    memset(&e->w, 0, sizeof e->w);
  }
  return st;
}

int sf_eigen_workspace_create(sf_eigen_workspace **out)
{
  if (!out) SF_ERROR(SF_ERR_INPUT, "sf_eigen_workspace_create: NULL argument");
  SF_CHECK(sf_calloc((void **)out, 1, sizeof **out));
  return SF_OK;
}

void sf_eigen_workspace_free(sf_eigen_workspace *ws)
{
  if (!ws) return;
  if (ws->live) ws_free(&ws->w);
  sf_free(ws);
}

int sf_eigen_lobpcg(const sf_eigen_params *p, double complex *X, double *eig, double *resnorm,
                    int *niter)
{
  if (!p || !X || !eig || !resnorm || !niter || !p->apply)
    SF_ERROR(SF_ERR_INPUT, "sf_eigen_lobpcg: NULL argument");
  if (p->n <= 0 || p->nband <= 0 || p->nband > p->n)
    SF_ERROR(SF_ERR_INPUT, "sf_eigen_lobpcg: need 0 < nband (%d) <= n (%d)", p->nband, p->n);
  if (p->ws) {
    SF_CHECK(ws_prepare(p->ws, p->n, p->nband, p->comm));
    SF_CHECK(lobpcg(p, &p->ws->w, X, eig, resnorm, niter));
    return SF_OK;
  }
  sfe_ws w;
  int st = SF_OK;
  SF_CHECK_GOTO(ws_alloc(&w, p->n, p->nband, p->comm)); /* memsets w first */
  SF_CHECK_GOTO(lobpcg(p, &w, X, eig, resnorm, niter));
cleanup:
  ws_free(&w);
  return st;
}
