/* eigensolver_subspace.c — the dense linear algebra inside LOBPCG.
 *
 * Owns: block orthonormalisation (Cholesky-QR, falling back to an eigen-decomposition of
 * the Gram matrix that drops dependent directions — the SVQB of Stathopoulos & Wu), the
 * Rayleigh-Ritz step and the Hetmaniuk-Lehoucq choice of the next conjugate block.
 * Every block product is one cblas_zgemm/zherk; the small problems use LAPACK _work
 * routines on the workspace allocated once by the driver (eigensolver.c), or, when the
 * band group has several ranks, ScaLAPACK (eigensolver_scalapack.c) for every dense
 * eigenproblem: the Rayleigh-Ritz metric and projected matrix, and the SVQB Gram matrices.
 */
#include "eigensolver_impl.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "strainfield/core.h"

/* A Cholesky factor whose diagonal spans more than this ratio means cond(W) > 1e4; one
 * CholQR pass would then lose ~eps·1e8 of orthogonality, so we switch to SVQB. */
#define SFE_CHOL_MAXRATIO 1e4
/* Relative Gram eigenvalue under which a direction is treated as dependent. */
#define SFE_DROP_TOL 1e-12

static void zgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K,
                  double complex alpha, const double complex *A, int lda,
                  const double complex *B, int ldb, double complex beta, double complex *C,
                  int ldc)
{
  if (M <= 0 || N <= 0) return;
  cblas_zgemm(CblasColMajor, ta, tb, M, N, K, &alpha, A, lda, B, ldb, &beta, C, ldc);
}

/* Make the upper triangle's Hermitian partner explicit so the matrix can enter zgemm. */
static void fill_lower(double complex *A, int k, int ld)
{
  for (int j = 0; j < k; j++) {
    A[j * ld + j] = creal(A[j * ld + j]);
    for (int i = j + 1; i < k; i++) A[j * ld + i] = conj(A[i * ld + j]);
  }
}

static int heevd(sfe_ws *w, double complex *A, int k, int ld, double *ev)
{
  if (w->pg) {
    SF_CHECK(sfe_pheevd(w->pg, A, k, ld, ev));
    return SF_OK;
  }
  lapack_int info = LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'V', 'U', k, A, ld, ev, w->zwork,
                                        w->lzwork, w->rwork, w->lrwork, w->iwork, w->liwork);
  if (info) SF_ERROR(SF_ERR_LIB, "zheevd failed (info=%d, order %d)", (int)info, k);
  return SF_OK;
}

/* Given a Hermitian positive semi-definite Gram matrix G (k x k, destroyed), build M
 * (k x *kout, in w->T) with M^H G M = I spanning the numerically independent part.
 * Diagonal scaling first so that the drop test compares directions, not lengths. */
static int gram_transform(sfe_ws *w, double complex *G, int k, int ld, int *kout, double *cond)
{
  const int ldm = w->smax;
  double *d = w->d, *mu = w->mu;
  for (int i = 0; i < k; i++) {
    double g = creal(G[i * ld + i]);
    d[i] = (g > 0 && isfinite(g)) ? 1.0 / sqrt(g) : 0.0;
  }
  for (int j = 0; j < k; j++)
    for (int i = 0; i <= j; i++) G[j * ld + i] *= d[i] * d[j];
  SF_CHECK(heevd(w, G, k, ld, mu));
  *kout = 0;
  if (cond) *cond = INFINITY;
  if (k == 0 || !(mu[k - 1] > 0)) return SF_OK;
  int j0 = 0;
  while (j0 < k && mu[j0] <= SFE_DROP_TOL * mu[k - 1]) j0++;
  if (cond) *cond = mu[k - 1] / mu[j0];
  for (int c = 0; c < k - j0; c++) {
    double s = 1.0 / sqrt(mu[j0 + c]);
    for (int i = 0; i < k; i++) w->T[c * ldm + i] = d[i] * G[(j0 + c) * ld + i] * s;
  }
  *kout = k - j0;
  return SF_OK;
}

void sfe_normalise(const sfe_ws *w, double complex *W, int k, int *kout)
{
  const int n = w->n;
  int kk = 0;
  for (int j = 0; j < k; j++) {
    double nr = cblas_dznrm2(n, W + (size_t)j * n, 1);
    if (!(nr > 0) || !isfinite(nr)) continue;
    if (kk != j) memmove(W + (size_t)kk * n, W + (size_t)j * n, (size_t)n * sizeof *W);
    cblas_zdscal(n, 1.0 / nr, W + (size_t)kk * n, 1);
    kk++;
  }
  *kout = kk;
}

void sfe_ortho_against(const sfe_ws *w, const double complex *Q, int q, double complex *W, int k)
{
  if (q <= 0 || k <= 0) return;
  const int n = w->n, ld = w->smax;
  zgemm(CblasConjTrans, CblasNoTrans, q, k, n, 1.0, Q, n, W, n, 0.0, w->G, ld);
  zgemm(CblasNoTrans, CblasNoTrans, n, k, q, -1.0, Q, n, w->G, ld, 1.0, W, n);
}

int sfe_ortho_self(sfe_ws *w, double complex *W, int k, double droptol, int *kout,
                   double *minnorm)
{
  const int n = w->n, ld = w->smax;
  /* Unit columns first: the preconditioned residuals range over many orders of magnitude
   * and would otherwise look ill-conditioned to the Cholesky test. */
  int kk = 0;
  double nmin = INFINITY;
  for (int j = 0; j < k; j++) {
    double nr = cblas_dznrm2(n, W + (size_t)j * n, 1);
    nmin = fmin(nmin, nr);
    if (!(nr > droptol) || !isfinite(nr)) continue;
    if (kk != j) memmove(W + (size_t)kk * n, W + (size_t)j * n, (size_t)n * sizeof *W);
    cblas_zdscal(n, 1.0 / nr, W + (size_t)kk * n, 1);
    kk++;
  }
  *kout = kk;
  if (minnorm) *minnorm = nmin;
  if (kk == 0) return SF_OK;

  cblas_zherk(CblasColMajor, CblasUpper, CblasConjTrans, kk, n, 1.0, W, n, 0.0, w->G, ld);
  for (int j = 0; j < kk; j++) memcpy(w->V + j * ld, w->G + j * ld, (size_t)kk * sizeof *w->V);
  lapack_int info = LAPACKE_zpotrf_work(LAPACK_COL_MAJOR, 'U', kk, w->V, ld);
  if (info == 0) {
    double rmax = 0, rmin = INFINITY;
    for (int j = 0; j < kk; j++) {
      double r = cabs(w->V[j * ld + j]);
      rmax = fmax(rmax, r);
      rmin = fmin(rmin, r);
    }
    if (rmin > 0 && rmax / rmin < SFE_CHOL_MAXRATIO) {
      double complex one = 1.0;
      cblas_ztrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, n, kk,
                  &one, w->V, ld, W, n);
      return SF_OK;
    }
  } else if (info < 0) {
    SF_ERROR(SF_ERR_LIB, "zpotrf argument error (info=%d)", (int)info);
  }
  /* Ill-conditioned or singular: SVQB, which discards the dependent directions. */
  int kn;
  SF_CHECK(gram_transform(w, w->G, kk, ld, &kn, NULL));
  zgemm(CblasNoTrans, CblasNoTrans, n, kn, kk, 1.0, W, n, w->T, ld, 0.0, w->Z, n);
  memcpy(W, w->Z, (size_t)n * kn * sizeof *W);
  *kout = kn;
  return SF_OK;
}

int sfe_rayleigh_ritz(sfe_ws *w, const double complex *Y, const double complex *AY, int s,
                      const int *blk, int nblk, int sknown, int hknown, double *lam)
{
  const int n = w->n, m = w->m, ld = w->smax;
  /* Keeping the Gram matrix as the metric (rather than trusting Y^H Y = I) stops the
   * slow drift of orthogonality that X = Y·c accumulates over many iterations, and
   * lets the W block get away with one orthogonalisation pass.  The blocks of the basis
   * carried over from the previous step are known from the small matrices
   * (sfe_track_gram); only the columns of the new vectors are formed here. */
  if (sknown <= 0) {
    cblas_zherk(CblasColMajor, CblasUpper, CblasConjTrans, s, n, 1.0, Y, n, 0.0, w->S, ld);
  } else if (sknown < s) {
    const int kn = s - sknown;
    const double complex *Yn = Y + (size_t)sknown * n;
    zgemm(CblasConjTrans, CblasNoTrans, sknown, kn, n, 1.0, Y, n, Yn, n, 0.0,
          w->S + (size_t)sknown * ld, ld);
    cblas_zherk(CblasColMajor, CblasUpper, CblasConjTrans, kn, n, 1.0, Yn, n, 0.0,
                w->S + (size_t)sknown * ld + sknown, ld);
  }
  fill_lower(w->S, s, ld);
  /* Only the block upper triangle of Y^H·AY: the rest is its Hermitian image, and this
   * product is the most expensive step after the operator itself. */
  for (int b = 0, c0 = 0; b < nblk; c0 += blk[b], b++)
    if (c0 + blk[b] > hknown)
      zgemm(CblasConjTrans, CblasNoTrans, c0 + blk[b], blk[b], n, 1.0, Y, n,
            AY + (size_t)c0 * n, n, 0.0, w->H + (size_t)c0 * ld, ld);
  fill_lower(w->H, s, ld);
  for (int j = 0; j < s; j++) memcpy(w->G + j * ld, w->S + j * ld, (size_t)s * sizeof *w->G);
  int k;
  SF_CHECK(gram_transform(w, w->G, s, ld, &k, &w->rr_cond));
  w->rr_rank = k;
  if (k < m)
    SF_ERROR(SF_ERR_INTERNAL, "Rayleigh-Ritz basis has rank %d < %d wanted bands", k, m);
  zgemm(CblasNoTrans, CblasNoTrans, s, k, s, 1.0, w->H, ld, w->T, ld, 0.0, w->V, ld);
  zgemm(CblasConjTrans, CblasNoTrans, k, k, s, 1.0, w->T, ld, w->V, ld, 0.0, w->G, ld);
  SF_CHECK(heevd(w, w->G, k, ld, w->theta));
  zgemm(CblasNoTrans, CblasNoTrans, s, m, k, 1.0, w->T, ld, w->G, ld, 0.0, w->cX, ld);
  for (int j = 0; j < m; j++) lam[j] = w->theta[j];
  return SF_OK;
}

void sfe_track_gram(sfe_ws *w, int s, int c)
{
  const int ld = w->smax;
  double complex *M[2] = {w->S, w->H};
  for (int t = 0; t < 2; t++) {
    zgemm(CblasNoTrans, CblasNoTrans, s, c, s, 1.0, M[t], ld, w->cX, ld, 0.0, w->V, ld);
    zgemm(CblasConjTrans, CblasNoTrans, c, c, s, 1.0, w->cX, ld, w->V, ld, 0.0, w->G, ld);
    for (int j = 0; j < c; j++) memcpy(M[t] + j * ld, w->G + j * ld, (size_t)c * sizeof *w->G);
  }
}

int sfe_next_p(sfe_ws *w, int s, const int *act, int na, int *kp)
{
  const int m = w->m, ld = w->smax;
  double complex *cP = w->cP;
  *kp = 0;
  if (na == 0 || s == m) return SF_OK;
  for (int c = 0; c < na; c++) {
    memset(cP + c * ld, 0, (size_t)m * sizeof *cP);
    memcpy(cP + c * ld + m, w->cX + act[c] * ld + m, (size_t)(s - m) * sizeof *cP);
  }
  int k = na;
  /* Twice: a nearly converged band has a tiny step, and one projection would leave
   * eps/|step| of X in its normalised direction. */
  for (int pass = 0; pass < 2 && k > 0; pass++) {
    zgemm(CblasNoTrans, CblasNoTrans, s, k, s, 1.0, w->S, ld, cP, ld, 0.0, w->V, ld);
    zgemm(CblasConjTrans, CblasNoTrans, m, k, s, 1.0, w->cX, ld, w->V, ld, 0.0, w->G, ld);
    zgemm(CblasNoTrans, CblasNoTrans, s, k, m, -1.0, w->cX, ld, w->G, ld, 1.0, cP, ld);
    zgemm(CblasNoTrans, CblasNoTrans, s, k, s, 1.0, w->S, ld, cP, ld, 0.0, w->V, ld);
    zgemm(CblasConjTrans, CblasNoTrans, k, k, s, 1.0, cP, ld, w->V, ld, 0.0, w->G, ld);
    int kn;
    SF_CHECK(gram_transform(w, w->G, k, ld, &kn, NULL));
    zgemm(CblasNoTrans, CblasNoTrans, s, kn, k, 1.0, cP, ld, w->T, ld, 0.0, w->V, ld);
    for (int c = 0; c < kn; c++) memcpy(cP + c * ld, w->V + c * ld, (size_t)s * sizeof *cP);
    k = kn;
  }
  *kp = k;
  return SF_OK;
}
