/* test_eigensolver_mpi.c — LOBPCG with the subspace problems on ScaLAPACK (band group of
 * several ranks) against the serial-LAPACK path, on the plane-wave-like matrix of
 * test_eigensolver.c: same eigenvalues and invariant subspace to round-off, and bitwise
 * identical results on every rank.  Also drives the pzheevd kernel directly on orders
 * below, at and off the distribution block, and times it against zheevd.
 * Registered for 1 rank (serial path only: every choice of comm must agree exactly) and,
 * through test_eigensolver_mpi.mpi, for 2 ranks.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/scf/eigensolver_impl.h"
#include "strainfield/core.h"
#include "strainfield/eigensolver.h"
#include "expect.h"

static int rank = 0, nproc = 1;

/* The operator spread over the ranks by columns, as scf.c's apply_band_split does, so
 * that the test exercises the same division of labour as the SCF. */
typedef struct {
  int n;
  const double complex *A;
  MPI_Comm comm;
} mat_ctx;

static int apply_split(void *ctx, int m, const double complex *X, double complex *Y)
{
  mat_ctx *c = ctx;
  int size = 1, me = 0;
  if (c->comm != MPI_COMM_NULL) {
    MPI_Comm_size(c->comm, &size);
    MPI_Comm_rank(c->comm, &me);
  }
  int counts[size], displs[size];
  for (int r = 0, off = 0; r < size; r++) {
    counts[r] = (m / size + (r < m % size)) * c->n * 2;
    displs[r] = off;
    off += counts[r];
  }
  int first = displs[me] / (2 * c->n), mine = counts[me] / (2 * c->n);
  double complex one = 1.0, zero = 0.0;
  if (mine > 0)
    cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, c->n, mine, c->n, &one, c->A, c->n,
                X + (size_t)first * c->n, c->n, &zero, Y + (size_t)first * c->n, c->n);
  if (size > 1)
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, (double *)Y, counts, displs, MPI_DOUBLE,
                   c->comm);
  return 0;
}

#include "eig_testlib.h"

static double maxabs_diff(const double complex *a, const double complex *b, size_t len)
{
  double d = 0;
  for (size_t i = 0; i < len; i++) d = fmax(d, cabs(a[i] - b[i]));
  return d;
}

/* Largest |difference| between this rank's data and rank 0's, over all ranks: exactly 0
 * when every rank holds the same bits (bits that differ count even where the values compare equal). */
static double spread_over_ranks(const double *x, size_t len)
{
  double *x0 = malloc(len * sizeof *x0), d = 0;
  memcpy(x0, x, len * sizeof *x0);
  MPI_Bcast(x0, (int)len, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  for (size_t i = 0; i < len; i++) {
    if (!memcmp(&x[i], &x0[i], sizeof *x)) continue;
    double e = fabs(x[i] - x0[i]);
    d = fmax(d, e > 0 ? e : INFINITY); /* -0 vs +0, or NaN: different bits all the same */
  }
  MPI_Allreduce(MPI_IN_PLACE, &d, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  free(x0);
  return d;
}

/* max_ij |(X1 X1^H − X2 X2^H)_ij|: compares the invariant subspaces, not the phases. */
static double projector_diff(int n, int m, const double complex *X1, const double complex *X2)
{
  double complex *P = malloc((size_t)n * n * sizeof *P), one = 1.0, mone = -1.0, zero = 0.0;
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasConjTrans, n, n, m, &one, X1, n, X1, n, &zero,
              P, n);
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasConjTrans, n, n, m, &mone, X2, n, X2, n, &one,
              P, n);
  double d = 0;
  for (size_t i = 0; i < (size_t)n * n; i++) d = fmax(d, cabs(P[i]));
  free(P);
  return d;
}

static int run(int n, int m, const double complex *A, const double *kin, MPI_Comm comm,
               const double complex *X0, double complex *X, double *eig, double *res,
               double *secs, int *niter)
{
  mat_ctx ctx = {n, A, comm};
  sf_eigen_params p;
  memset(&p, 0, sizeof p); /* comm stays 0 unless set: the zero-initialised serial case */
  p.n = n;
  p.nband = m;
  p.apply = apply_split;
  p.ctx = &ctx;
  p.precond_kin = kin;
  p.maxiter = 500;
  p.tol = 1e-9;
  if (comm != MPI_COMM_NULL) p.comm = comm;
  memcpy(X, X0, (size_t)n * m * sizeof *X);
  int it = 0;
  if (!niter) niter = &it;
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  int st = sf_eigen_lobpcg(&p, X, eig, res, niter);
  if (secs) *secs = MPI_Wtime() - t0;
  if (st) {
    printf("[rank %d] sf_eigen_lobpcg: %s\n", rank, sf_error_message());
    sf_error_reset();
  }
  return st;
}

/* LOBPCG: serial path (zero comm, MPI_COMM_NULL, MPI_COMM_SELF) vs comm = WORLD. */
static void test_lobpcg(int n, int m)
{
  double *kin = malloc(n * sizeof *kin), eig_s[m], res_s[m], eig_p[m], res_p[m], eig_z[m];
  double complex *A = malloc((size_t)n * n * sizeof *A);
  double complex *X0 = malloc((size_t)n * m * sizeof *X0), *Xs = malloc((size_t)n * m * sizeof *Xs);
  double complex *Xp = malloc((size_t)n * m * sizeof *Xp), *Xz = malloc((size_t)n * m * sizeof *Xz);
  rng_state = 12345;
  cubic_kinetic(n, 5.0, kin);
  build_pw_matrix(n, kin, 2.0, A);
  for (size_t i = 0; i < (size_t)n * m; i++) X0[i] = crand();

  double ts = 0, tp = 0;
  int it_s = 0, it_p = 0;
  EXPECT(run(n, m, A, kin, MPI_COMM_NULL, X0, Xz, eig_z, res_s, NULL, NULL) == SF_OK, "zero comm run");
  /* Explicit MPI_COMM_NULL and the zero handle must be the same serial path. */
  {
    mat_ctx ctx = {n, A, MPI_COMM_NULL};
    sf_eigen_params p = {n, m, apply_split, &ctx, kin, 500, 1e-9, MPI_COMM_NULL, NULL, NULL};
    memcpy(Xs, X0, (size_t)n * m * sizeof *Xs);
    double t0 = MPI_Wtime();
    EXPECT(sf_eigen_lobpcg(&p, Xs, eig_s, res_s, &it_s) == SF_OK, "MPI_COMM_NULL run: %s",
           sf_error_message());
    ts = MPI_Wtime() - t0;
  }
  EXPECT(maxabs_diff(Xs, Xz, (size_t)n * m) == 0 && memcmp(eig_s, eig_z, sizeof eig_s) == 0,
         "MPI_COMM_NULL and zero comm differ");
  EXPECT(run(n, m, A, kin, MPI_COMM_SELF, X0, Xz, eig_z, res_p, NULL, NULL) == SF_OK, "SELF run");
  EXPECT(maxabs_diff(Xs, Xz, (size_t)n * m) == 0, "MPI_COMM_SELF differs from serial");

  EXPECT(run(n, m, A, kin, MPI_COMM_WORLD, X0, Xp, eig_p, res_p, &tp, &it_p) == SF_OK, "WORLD run");
  double de = 0, rmax = 0;
  for (int j = 0; j < m; j++) {
    de = fmax(de, fabs(eig_p[j] - eig_s[j]));
    rmax = fmax(rmax, res_p[j]);
  }
  double dp = projector_diff(n, m, Xp, Xs);
  EXPECT(de < 1e-10, "n=%d m=%d: eigenvalues differ from serial by %.3e", n, m, de);
  EXPECT(dp < 1e-8, "n=%d m=%d: projectors differ from serial by %.3e", n, m, dp);
  EXPECT(rmax < 1e-9, "n=%d m=%d: residual %.3e", n, m, rmax);
  double spread = fmax(spread_over_ranks(eig_p, (size_t)m),
                       spread_over_ranks((const double *)Xp, 2 * (size_t)n * m));
  spread = fmax(spread, spread_over_ranks(res_p, (size_t)m));
  EXPECT(spread == 0.0, "n=%d m=%d: ranks disagree by %.3e", n, m, spread);
  if (nproc == 1) EXPECT(dp == 0 && de == 0, "one rank: WORLD is not the serial path");
  if (rank == 0)
    printf("LOBPCG n=%d nband=%d on %d rank(s): |Δeig| %.1e, |ΔP| %.1e, rank spread %.1e; "
           "serial %d it %.3f s, comm %d it %.3f s\n",
           n, m, nproc, de, dp, spread, it_s, ts, it_p, tp);
  free(kin);
  free(A);
  free(X0);
  free(Xs);
  free(Xp);
  free(Xz);
}

/* A workspace kept across calls (also across a change of n and of nband, and on the
 * ScaLAPACK path) gives bitwise the results of per-call allocation, and every rank agrees. */
static void test_workspace(void)
{
  const int nn[3] = {400, 300, 400}, mm[3] = {12, 12, 8};
  MPI_Comm comms[2] = {MPI_COMM_NULL, MPI_COMM_WORLD};
  for (int ic = 0; ic < 2; ic++) {
    sf_eigen_workspace *ws = NULL;
    EXPECT(sf_eigen_workspace_create(&ws) == SF_OK, "workspace create");
    for (int c = 0; c < 3; c++) {
      const int n = nn[c], m = mm[c];
      double *kin = malloc(n * sizeof *kin), eig1[12], eig2[12], res1[12], res2[12];
      double complex *A = malloc((size_t)n * n * sizeof *A);
      double complex *X1 = malloc((size_t)n * m * sizeof *X1), *X2 = malloc((size_t)n * m * sizeof *X2);
      rng_state = 777 + c;
      cubic_kinetic(n, 5.0, kin);
      build_pw_matrix(n, kin, 2.0, A);
      for (size_t i = 0; i < (size_t)n * m; i++) X1[i] = crand();
      memcpy(X2, X1, (size_t)n * m * sizeof *X1);
      mat_ctx ctx = {n, A, comms[ic]};
      sf_eigen_params p;
      memset(&p, 0, sizeof p);
      p.n = n;
      p.nband = m;
      p.apply = apply_split;
      p.ctx = &ctx;
      p.precond_kin = kin;
      p.maxiter = 4;
      p.tol = 1e-9;
      if (comms[ic] != MPI_COMM_NULL) p.comm = comms[ic];
      int it1 = 0, it2 = 0;
      /* Two warm-started calls each, as the SCF makes them. */
      for (int r = 0; r < 2; r++) {
        p.ws = NULL;
        EXPECT(sf_eigen_lobpcg(&p, X1, eig1, res1, &it1) == SF_OK, "no-ws run: %s", sf_error_message());
        p.ws = ws;
        EXPECT(sf_eigen_lobpcg(&p, X2, eig2, res2, &it2) == SF_OK, "ws run: %s", sf_error_message());
      }
      EXPECT(it1 == it2 && maxabs_diff(X1, X2, (size_t)n * m) == 0 &&
                 memcmp(eig1, eig2, m * sizeof *eig1) == 0 && memcmp(res1, res2, m * sizeof *res1) == 0,
             "comm %d call %d (n=%d m=%d): workspace changes the results", ic, c, n, m);
      double spread = fmax(spread_over_ranks(eig2, (size_t)m),
                           spread_over_ranks((const double *)X2, 2 * (size_t)n * m));
      EXPECT(spread == 0.0, "workspace run: ranks disagree by %.3e", spread);
      free(kin);
      free(A);
      free(X1);
      free(X2);
    }
    sf_eigen_workspace_free(ws);
  }
  if (rank == 0) printf("workspace reuse (serial and comm, n and nband changing): checked\n");
}

/* pzheevd kernel vs zheevd on random Hermitian matrices of several orders. */
static void test_kernel(void)
{
  const int smax = 60;
  sfe_pgrid *pg = NULL;
  EXPECT(sfe_pgrid_create(MPI_COMM_WORLD, smax, &pg) == SF_OK, "grid: %s", sf_error_message());
  EXPECT((pg != NULL) == (nproc > 1), "grid exists iff several ranks");
  if (!pg) return;
  const int orders[] = {1, 2, 7, 29, 30, 31, 45, 60};
  const int ld = smax + 3; /* ld > k, as in the subspace code */
  double complex *A = calloc((size_t)ld * smax, sizeof *A), *Z = calloc((size_t)ld * smax, sizeof *Z);
  double complex *R = malloc((size_t)smax * smax * sizeof *R);
  double w[smax], wref[smax];
  for (size_t o = 0; o < sizeof orders / sizeof *orders; o++) {
    const int k = orders[o];
    rng_state = 777 + k;
    for (int j = 0; j < k; j++) {
      for (int i = 0; i < j; i++) {
        A[(size_t)j * ld + i] = crand();
        A[(size_t)i * ld + j] = 12345.0; /* lower triangle must not be read */
      }
      A[(size_t)j * ld + j] = j * 0.1 + urand();
    }
    memcpy(Z, A, (size_t)ld * smax * sizeof *Z);
    LAPACKE_zheevd(LAPACK_COL_MAJOR, 'N', 'U', k, Z, ld, wref);
    memcpy(Z, A, (size_t)ld * smax * sizeof *Z);
    EXPECT(sfe_pheevd(pg, Z, k, ld, w) == SF_OK, "pzheevd order %d: %s", k, sf_error_message());
    double de = 0, scale = fmax(fabs(wref[0]), fabs(wref[k - 1]));
    for (int j = 0; j < k; j++) de = fmax(de, fabs(w[j] - wref[j]));
    /* A Z - Z diag(w) and Z^H Z - I, with A's Hermitian lower half rebuilt. */
    for (int j = 0; j < k; j++)
      for (int i = j + 1; i < k; i++) A[(size_t)j * ld + i] = conj(A[(size_t)i * ld + j]);
    double complex one = 1.0, zero = 0.0;
    cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, k, k, k, &one, A, ld, Z, ld, &zero, R, k);
    double res = 0, orth = 0;
    for (int j = 0; j < k; j++)
      for (int i = 0; i < k; i++) res = fmax(res, cabs(R[(size_t)j * k + i] - w[j] * Z[(size_t)j * ld + i]));
    cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, k, k, k, &one, Z, ld, Z, ld, &zero, R, k);
    for (int j = 0; j < k; j++)
      for (int i = 0; i < k; i++) orth = fmax(orth, cabs(R[(size_t)j * k + i] - (i == j)));
    EXPECT(de < 1e-13 * fmax(scale, 1), "order %d: eigenvalues off by %.3e", k, de);
    EXPECT(res < 1e-12 * fmax(scale, 1), "order %d: residual %.3e", k, res);
    EXPECT(orth < 1e-12, "order %d: orthonormality %.3e", k, orth);
    double spread = fmax(spread_over_ranks(w, (size_t)k),
                         spread_over_ranks((const double *)Z, 2 * (size_t)ld * k));
    EXPECT(spread == 0.0, "order %d: ranks disagree by %.3e", k, spread);
  }

  /* Timing at order 60 = 3·nband for nband = 20: one Rayleigh-Ritz-sized problem. */
  const int k = smax, reps = 200;
  rng_state = 4242;
  for (int j = 0; j < k; j++) {
    for (int i = 0; i < j; i++) A[(size_t)j * ld + i] = crand();
    A[(size_t)j * ld + j] = j * 0.1 + urand();
  }
  /* Best of many: the machine may be shared, and the minimum is the cost itself. */
  double t_ser = INFINITY, t_par = INFINITY, t_grid = INFINITY;
  for (int r = 0; r < reps; r++) {
    memcpy(Z, A, (size_t)ld * k * sizeof *Z);
    double t0 = MPI_Wtime();
    LAPACKE_zheevd(LAPACK_COL_MAJOR, 'V', 'U', k, Z, ld, wref);
    t_ser = fmin(t_ser, MPI_Wtime() - t0);
  }
  for (int r = 0; r < reps; r++) {
    memcpy(Z, A, (size_t)ld * k * sizeof *Z);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    sfe_pheevd(pg, Z, k, ld, w);
    t_par = fmin(t_par, MPI_Wtime() - t0);
  }
  sfe_pgrid_free(pg);
  for (int r = 0; r < 20; r++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    sfe_pgrid_create(MPI_COMM_WORLD, smax, &pg);
    sfe_pgrid_free(pg);
    t_grid = fmin(t_grid, MPI_Wtime() - t0);
  }
  MPI_Allreduce(MPI_IN_PLACE, &t_par, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &t_grid, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0)
    printf("order %d Hermitian eigenproblem (best of %d): zheevd %.1f us, pzheevd+gather on %d "
           "ranks %.1f us (x%.1f); grid setup+teardown %.1f us per LOBPCG call\n",
           k, reps, 1e6 * t_ser, nproc, 1e6 * t_par, t_par / t_ser, 1e6 * t_grid);
  free(A);
  free(Z);
  free(R);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  expect_rank = rank;
  MPI_Comm_size(MPI_COMM_WORLD, &nproc);
  sf_log_set_rank(rank);

  test_lobpcg(400, 12);
  test_lobpcg(400, 20);
  test_workspace();
  test_kernel();

  MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("test_eigensolver_mpi: %d failures\n", failures);
  MPI_Finalize();
  return failures != 0;
}
