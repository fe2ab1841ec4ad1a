/* test_pca.c — distributed PCA against LAPACK on one rank.
 *
 * A snapshot matrix with a known, well-separated spectrum (n = 60 samples, 1500 grid
 * points) is split by planes over the ranks; components (up to sign) and eigenvalues must
 * match a LAPACK SVD of the full centred matrix (computed on every rank) to 1e-10
 * relative, reconstruction from all n−1 components must be exact, and the coefficients
 * must be the same on every rank.  Run on 1 and on 2 ranks (test_pca.mpi). */
#include "strainfield/core.h"
#include "strainfield/mlp.h"
#include "strainfield/pca.h"

#include <lapacke.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int n = 60, n1 = 15, plane = 100, K = 8;
  const long npt = (long)n1 * plane;
  /* X = mean + Σ_j σ_j a_ij v_j + tiny noise, σ_j = 10·2^-j: known leading spectrum */
  double *X = calloc((size_t)n * npt, sizeof *X);
  for (long p = 0; p < npt; p++) {
    double x = (double)p / npt;
    for (int i = 0; i < n; i++) {
      double v = 3 + sin(2 * M_PI * x);
      for (int j = 0; j < 12; j++)
        v += 10 * pow(0.5, j) * (2 * sf_ml_rng_uniform(5, j, i) - 1) * cos(2 * M_PI * (j + 1) * x + 0.3 * j);
      v += 1e-6 * (2 * sf_ml_rng_uniform(6, i, p) - 1);
      X[(size_t)i * npt + p] = v;
    }
  }
  /* reference: SVD of the centred full matrix */
  double *Xc = calloc((size_t)n * npt, sizeof *Xc), *S = calloc(n, sizeof *S), *VT = calloc((size_t)n * npt, sizeof *VT),
         *superb = calloc(n, sizeof *superb);
  for (long p = 0; p < npt; p++) {
    double m = 0;
    for (int i = 0; i < n; i++) m += X[(size_t)i * npt + p];
    m /= n;
    for (int i = 0; i < n; i++) Xc[(size_t)i * npt + p] = X[(size_t)i * npt + p] - m;
  }
  int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'S', n, (int)npt, Xc, (int)npt, S, NULL, 1, VT, (int)npt, superb);
  EXPECT(info == 0, "dgesvd info %d", info);
  /* distributed */
  int pl0, npl;
  sf_split_planes(n1, size, rank, &pl0, &npl);
  long nloc = (long)npl * plane, p0 = (long)pl0 * plane;
  double *Xl = calloc((size_t)n * (nloc ? nloc : 1), sizeof *Xl);
  for (int i = 0; i < n; i++) memcpy(Xl + (size_t)i * nloc, X + (size_t)i * npt + p0, nloc * sizeof(double));
  sf_pca pca;
  int st = sf_pca_fit(MPI_COMM_WORLD, Xl, n, nloc, p0, npt, K, &pca);
  if (st) sf_error_print(stderr);
  EXPECT(st == 0, "sf_pca_fit failed");
  double worst_eig = 0, worst_vec = 0;
  for (int j = 0; j < K && !st; j++) {
    double ref = S[j] * S[j] / (n - 1);
    double e = fabs(pca.eig[j] - ref) / ref;
    if (e > worst_eig) worst_eig = e;
    /* sign from the local overlap, reduced */
    double dot = 0, d2 = 0, r2 = 0;
    for (long p = 0; p < nloc; p++) dot += pca.basis[(size_t)j * nloc + p] * VT[(size_t)j * npt + p0 + p];
    MPI_Allreduce(MPI_IN_PLACE, &dot, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double sg = dot < 0 ? -1 : 1;
    for (long p = 0; p < nloc; p++) {
      double d = pca.basis[(size_t)j * nloc + p] - sg * VT[(size_t)j * npt + p0 + p];
      d2 += d * d;
      r2 += VT[(size_t)j * npt + p0 + p] * VT[(size_t)j * npt + p0 + p];
    }
    MPI_Allreduce(MPI_IN_PLACE, &d2, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &r2, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double e2 = sqrt(d2 / r2);
    if (e2 > worst_vec) worst_vec = e2;
  }
  EXPECT(worst_eig < 1e-10, "eigenvalues differ from LAPACK by %.3e relative", worst_eig);
  EXPECT(worst_vec < 1e-10, "components differ from LAPACK by %.3e relative", worst_vec);
  double tv = 0;
  for (int j = 0; j < n; j++) tv += S[j] * S[j] / (n - 1);
  EXPECT(fabs(pca.total_var - tv) < 1e-10 * tv, "total variance %.15g vs %.15g", pca.total_var, tv);
  if (rank == 0) printf("pca (%d ranks): eigenvalues %.2e, components %.2e relative to LAPACK\n", size, worst_eig, worst_vec);
  sf_pca_free(&pca);
  /* all n−1 components: projection + reconstruction is exact */
  for (int i = 0; i < n; i++) memcpy(Xl + (size_t)i * nloc, X + (size_t)i * npt + p0, nloc * sizeof(double));
  st = sf_pca_fit(MPI_COMM_WORLD, Xl, n, nloc, p0, npt, n, &pca);
  EXPECT(st == 0 && pca.k == n - 1, "full PCA (k=%d)", pca.k);
  double *C = calloc((size_t)n * pca.k, sizeof *C), *R = calloc((size_t)n * (nloc ? nloc : 1), sizeof *R);
  for (int i = 0; i < n; i++) memcpy(Xl + (size_t)i * nloc, X + (size_t)i * npt + p0, nloc * sizeof(double));
  st = sf_pca_project(MPI_COMM_WORLD, &pca, Xl, n, C);
  sf_pca_reconstruct(&pca, C, n, R);
  double err = 0;
  for (size_t i = 0; i < (size_t)n * nloc; i++) err = fmax(err, fabs(R[i] - Xl[i]));
  MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  /* the data carry 1e-6 noise; the trailing components at noise level are determined only
   * to sqrt(eps)·σ_max through the Gram matrix, so exactness is checked at that level */
  EXPECT(err < 2e-5, "full reconstruction error %.3e", err);
  /* coefficients identical on every rank */
  double c0 = C[0] + C[n * pca.k - 1], cmin = c0, cmax = c0;
  MPI_Allreduce(MPI_IN_PLACE, &cmin, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &cmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT(cmin == cmax, "coefficients differ between ranks");
  sf_pca_free(&pca);
  free(X), free(Xc), free(S), free(VT), free(superb), free(Xl), free(C), free(R);
  int all = failures;
  MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("%s\n", all ? "FAILED" : "ok");
  MPI_Finalize();
  return all ? 1 : 0;
}
