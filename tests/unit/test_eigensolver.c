/* test_eigensolver.c — LOBPCG against LAPACK on explicit Hermitian matrices: a
 * plane-wave-like matrix (kinetic diagonal + random Hermitian perturbation), a spectrum
 * with exactly repeated eigenvalues, exact-eigenvector and dependent starting blocks,
 * and the Teter-Payne-Allan preconditioner's effect on the iteration count.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strainfield/core.h"
#include "strainfield/eigensolver.h"
#include "expect.h"

typedef struct {
  int n;
  const double complex *A;
  long napplied; /* vectors applied, to check the solver does not waste operator calls */
} mat_ctx;

static int apply_dense(void *ctx, int m, const double complex *X, double complex *Y)
{
  mat_ctx *c = ctx;
  double complex one = 1.0, zero = 0.0;
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, c->n, m, c->n, &one, c->A, c->n, X,
              c->n, &zero, Y, c->n);
  c->napplied += m;
  return 0;
}

#include "eig_testlib.h"

/* Q diag(ev) Q^H with Q a random unitary (QR of a random matrix). */
static void build_spectrum_matrix(int n, const double *ev, double complex *A)
{
  double complex *Q = malloc((size_t)n * n * sizeof *Q), *B = malloc((size_t)n * n * sizeof *B);
  double complex *tau = malloc((size_t)n * sizeof *tau);
  for (size_t i = 0; i < (size_t)n * n; i++) Q[i] = crand();
  LAPACKE_zgeqrf(LAPACK_COL_MAJOR, n, n, Q, n, tau);
  LAPACKE_zungqr(LAPACK_COL_MAJOR, n, n, n, Q, n, tau);
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) B[(size_t)j * n + i] = Q[(size_t)j * n + i] * ev[j];
  double complex one = 1.0, zero = 0.0;
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasConjTrans, n, n, n, &one, B, n, Q, n, &zero, A,
              n);
  for (int j = 0; j < n; j++) { /* exactly Hermitian */
    A[(size_t)j * n + j] = creal(A[(size_t)j * n + j]);
    for (int i = 0; i < j; i++) A[(size_t)i * n + j] = conj(A[(size_t)j * n + i]);
  }
  free(Q);
  free(B);
  free(tau);
}

/* Reference: all eigenpairs by zheevd (A copied). */
static void reference(int n, const double complex *A, double *w, double complex *V)
{
  memcpy(V, A, (size_t)n * n * sizeof *V);
  LAPACKE_zheevd(LAPACK_COL_MAJOR, 'V', 'U', n, V, n, w);
}

/* Checks shared by every case: eigenvalues vs reference, X^H X = I, true residuals. */
static void check_result(const char *name, int n, int m, const double complex *A,
                         const double *wref, const double complex *X, const double *eig,
                         const double *res, double tol)
{
  double emax = 0;
  for (int j = 0; j < m; j++) emax = fmax(emax, fabs(eig[j] - wref[j]));
  EXPECT(emax < 1e-9, "%s: max eigenvalue error %.3e", name, emax);
  for (int j = 1; j < m; j++) EXPECT(eig[j] >= eig[j - 1], "%s: eig not ascending at %d", name, j);

  double complex *G = malloc((size_t)m * m * sizeof *G);
  double complex one = 1.0, zero = 0.0;
  cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, m, m, n, &one, X, n, X, n, &zero, G,
              m);
  double oerr = 0;
  for (int j = 0; j < m; j++)
    for (int i = 0; i < m; i++) oerr = fmax(oerr, cabs(G[j * m + i] - (i == j ? 1.0 : 0.0)));
  EXPECT(oerr < 1e-12, "%s: orthonormality error %.3e", name, oerr);

  double complex *AX = malloc((size_t)n * m * sizeof *AX);
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, m, n, &one, A, n, X, n, &zero, AX, n);
  double rmax = 0, rdiff = 0;
  for (int j = 0; j < m; j++) {
    double r2 = 0;
    for (int i = 0; i < n; i++) {
      double complex r = AX[(size_t)j * n + i] - eig[j] * X[(size_t)j * n + i];
      r2 += creal(r) * creal(r) + cimag(r) * cimag(r);
    }
    rmax = fmax(rmax, sqrt(r2));
    rdiff = fmax(rdiff, fabs(sqrt(r2) - res[j]));
    EXPECT(res[j] < tol, "%s: reported resnorm[%d] = %.3e >= tol", name, j, res[j]);
  }
  EXPECT(rmax < tol, "%s: true residual %.3e >= tol %.1e", name, rmax, tol);
  EXPECT(rdiff < 1e-11, "%s: reported vs true residual differ by %.3e", name, rdiff);
  free(G);
  free(AX);
}

static void random_block(int n, int m, double complex *X)
{
  for (size_t i = 0; i < (size_t)n * m; i++) X[i] = crand();
}

int main(void)
{
  const int n = 400, m = 12;
  const double tol = 1e-9;
  double *kin = malloc(n * sizeof *kin), *wref = malloc(n * sizeof *wref);
  double complex *A = malloc((size_t)n * n * sizeof *A), *V = malloc((size_t)n * n * sizeof *V);
  double complex *X0 = malloc((size_t)n * m * sizeof *X0), *X = malloc((size_t)n * m * sizeof *X);
  double eig[12], res[12];
  int it_pc = 0, it_nopc = 0, it;

  /* Plane-wave-like case: cubic cell a = 5 bohr gives kinetic energies up to ~20 Ha. */
  cubic_kinetic(n, 5.0, kin);
  build_pw_matrix(n, kin, 2.0, A);
  reference(n, A, wref, V);
  random_block(n, m, X0);

  mat_ctx ctx = {n, A, 0};
  sf_eigen_params p = {n, m, apply_dense, &ctx, kin, 500, tol, MPI_COMM_NULL, NULL, NULL};
  memcpy(X, X0, (size_t)n * m * sizeof *X);
  double t0 = sf_wtime();
  EXPECT(sf_eigen_lobpcg(&p, X, eig, res, &it_pc) == SF_OK, "TPA run failed: %s", sf_error_message());
  double t_pc = sf_wtime() - t0;
  long app_pc = ctx.napplied;
  check_result("pw+TPA", n, m, A, wref, X, eig, res, tol);

  p.precond_kin = NULL;
  ctx.napplied = 0;
  memcpy(X, X0, (size_t)n * m * sizeof *X);
  t0 = sf_wtime();
  EXPECT(sf_eigen_lobpcg(&p, X, eig, res, &it_nopc) == SF_OK, "plain run failed: %s", sf_error_message());
  double t_nopc = sf_wtime() - t0;
  long app_nopc = ctx.napplied;
  check_result("pw plain", n, m, A, wref, X, eig, res, tol);
  EXPECT(it_pc < it_nopc, "preconditioner did not help: %d vs %d iterations", it_pc, it_nopc);
  printf("n=%d nband=%d tol=%.0e: TPA %d iterations (%ld vectors applied, %.3f s), "
         "none %d iterations (%ld applied, %.3f s)\n",
         n, m, tol, it_pc, app_pc, t_pc, it_nopc, app_nopc, t_nopc);
  /* One apply of the start block plus at most one per unconverged band per iteration. */
  EXPECT(app_pc <= m + (long)it_pc * m, "too many operator applications: %ld", app_pc);

  /* Start from the exact eigenvectors: converged before any iteration. */
  p.precond_kin = kin;
  memcpy(X, V, (size_t)n * m * sizeof *X);
  ctx.napplied = 0;
  EXPECT(sf_eigen_lobpcg(&p, X, eig, res, &it) == SF_OK, "exact start failed");
  EXPECT(it <= 1, "exact start took %d iterations", it);
  printf("exact eigenvector start: %d iterations, %ld vectors applied\n", it, ctx.napplied);
  EXPECT(ctx.napplied <= 2 * m, "exact start applied %ld vectors", ctx.napplied);
  check_result("exact start", n, m, A, wref, X, eig, res, tol);

  /* Same, with an unreachable tolerance: iterating on roundoff must not break down. */
  sf_eigen_params q = p;
  q.tol = 1e-18;
  q.maxiter = 30;
  memcpy(X, V, (size_t)n * m * sizeof *X);
  EXPECT(sf_eigen_lobpcg(&q, X, eig, res, &it) == SF_OK, "roundoff iteration failed: %s",
         sf_error_message());
  check_result("exact start, tol 1e-18", n, m, A, wref, X, eig, res, 1e-12);
  printf("exact start with tol=1e-18: %d iterations, max resnorm %.2e\n", it, res[m - 1]);

  /* Mixed exact eigenvectors (not orthonormal) plus a duplicated column. */
  for (int j = 0; j < m; j++)
    for (int i = 0; i < n; i++)
      X[(size_t)j * n + i] = V[(size_t)j * n + i] + 0.3 * V[(size_t)((j + 1) % m) * n + i];
  memcpy(X + (size_t)(m - 1) * n, X, (size_t)n * sizeof *X);
  EXPECT(sf_eigen_lobpcg(&p, X, eig, res, &it) == SF_OK, "dependent start failed: %s",
         sf_error_message());
  check_result("dependent start", n, m, A, wref, X, eig, res, tol);
  printf("dependent start (one duplicated column): %d iterations\n", it);

  /* Per-band tolerance: loose for the upper half, as for nearly empty bands.  The tight
   * bands must still meet tol, the loose ones their own tolerance, with fewer operator
   * applications than a uniform tol; a workspace kept across calls changes nothing. */
  {
    double btol[12];
    for (int j = 0; j < m; j++) btol[j] = j < m / 2 ? tol : 1e-4;
    sf_eigen_workspace *ws = NULL;
    EXPECT(sf_eigen_workspace_create(&ws) == SF_OK, "workspace create failed");
    sf_eigen_params b = p;
    b.band_tol = btol;
    b.ws = ws;
    long app[2];
    int itb[2];
    double eigb[2][12];
    for (int r = 0; r < 2; r++) {
      memcpy(X, X0, (size_t)n * m * sizeof *X);
      ctx.napplied = 0;
      EXPECT(sf_eigen_lobpcg(&b, X, eigb[r], res, &itb[r]) == SF_OK, "band_tol run failed: %s",
             sf_error_message());
      app[r] = ctx.napplied;
    }
    EXPECT(itb[0] == itb[1] && app[0] == app[1] && memcmp(eigb[0], eigb[1], sizeof eigb[0]) == 0,
           "band_tol: second call with the same workspace differs");
    double emax = 0;
    for (int j = 0; j < m; j++) {
      EXPECT(res[j] < btol[j], "band_tol: resnorm[%d] = %.3e >= %.1e", j, res[j], btol[j]);
      if (j < m / 2) emax = fmax(emax, fabs(eigb[1][j] - wref[j]));
    }
    EXPECT(emax < 1e-9, "band_tol: tight-band eigenvalue error %.3e", emax);
    EXPECT(app[1] < app_pc, "band_tol: %ld vectors applied, uniform tol %ld", app[1], app_pc);
    printf("band_tol (lower half %.0e, upper 1e-4): %d iterations, %ld vectors applied "
           "(uniform: %d, %ld)\n", tol, itb[1], app[1], it_pc, app_pc);
    sf_eigen_workspace_free(ws);
  }

  /* Degenerate spectrum: 0 x3, 1 x4, 2 x3, 3 x3 (the last group straddles band 12),
   * then distinct levels. */
  double ev[400];
  int mult[] = {3, 4, 3, 3}, k = 0;
  for (int g = 0; g < 4; g++)
    for (int r = 0; r < mult[g]; r++) ev[k++] = g;
  for (; k < n; k++) ev[k] = 3.5 + 0.05 * (k - 13);
  build_spectrum_matrix(n, ev, A);
  reference(n, A, wref, V);
  double *kd = malloc(n * sizeof *kd);
  for (int i = 0; i < n; i++) kd[i] = fmax(0.0, creal(A[(size_t)i * n + i]));
  p.precond_kin = kd;
  random_block(n, m, X);
  t0 = sf_wtime();
  EXPECT(sf_eigen_lobpcg(&p, X, eig, res, &it) == SF_OK, "degenerate run failed: %s",
         sf_error_message());
  check_result("degenerate", n, m, A, wref, X, eig, res, tol);
  printf("degenerate spectrum: %d iterations (%.3f s)\n", it, sf_wtime() - t0);

  /* Bad arguments are reported, not crashed on. */
  sf_eigen_params bad = p;
  bad.nband = n + 1;
  EXPECT(sf_eigen_lobpcg(&bad, X, eig, res, &it) == SF_ERR_INPUT, "nband > n accepted");
  sf_error_reset();

  free(kin);
  free(kd);
  free(wref);
  free(A);
  free(V);
  free(X0);
  free(X);
  printf("test_eigensolver: %d failures\n", failures);
  return failures != 0;
}
