/* pca.c — distributed PCA: Gram matrix by local DSYRK + MPI_Allreduce, eigenproblem by
 * ScaLAPACK PDSYEVD, components by local GEMM (see pca.h). */
#include "strainfield/core.h"
#include "strainfield/pca.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ScaLAPACK / BLACS have no C header: Fortran conventions. */
extern int Csys2blacs_handle(MPI_Comm comm);
extern void Cfree_blacs_system_handle(int handle);
extern void Cblacs_gridinit(int *ictxt, const char *order, int nprow, int npcol);
extern void Cblacs_gridinfo(int ictxt, int *nprow, int *npcol, int *myrow, int *mycol);
extern void Cblacs_gridexit(int ictxt);
extern int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
extern void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
                      const int *icsrc, const int *ictxt, const int *lld, int *info);
extern void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia, const int *ja,
                     const int *desca, double *w, double *z, const int *iz, const int *jz, const int *descz,
                     double *work, const int *lwork, int *iwork, const int *liwork, int *info);

void sf_split_planes(int n1, int size, int rank, int *first, int *count)
{
  int base = n1 / size, extra = n1 % size;
  *count = base + (rank < extra);
  *first = rank * base + (rank < extra ? rank : extra);
}

/* Eigen-decomposition of the replicated symmetric n×n matrix G (row-major, full) on a
 * BLACS grid over comm; returns all eigenvalues ascending in w and the eigenvectors as
 * columns of Z (n×n column-major, replicated). */
static int sym_eig_scalapack(MPI_Comm comm, const double *G, int n, double *w, double *Z)
{
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  int nprow = (int)sqrt((double)size);
  while (size % nprow) nprow--;
  int npcol = size / nprow;
  int handle = Csys2blacs_handle(comm);
  int ictxt = handle;
  Cblacs_gridinit(&ictxt, "R", nprow, npcol);
  int myrow, mycol, pr, pc;
  Cblacs_gridinfo(ictxt, &pr, &pc, &myrow, &mycol);
  int nb = 64;
  if (n / (nprow > npcol ? nprow : npcol) < nb) nb = n / (nprow > npcol ? nprow : npcol) > 8 ? n / (nprow > npcol ? nprow : npcol) : 8;
  const int zero = 0, one = 1;
  int mloc = numroc_(&n, &nb, &myrow, &zero, &nprow);
  int nlocc = numroc_(&n, &nb, &mycol, &zero, &npcol);
  int lld = mloc > 1 ? mloc : 1, desc[9], info;
  descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &ictxt, &lld, &info);
  double *a = NULL, *z = NULL, *work = NULL;
  int *iwork = NULL, st = 0;
  st = sf_calloc((void **)&a, (size_t)lld * (nlocc > 0 ? nlocc : 1), sizeof *a);
  if (!st) st = sf_calloc((void **)&z, (size_t)lld * (nlocc > 0 ? nlocc : 1), sizeof *z);
  if (!st) {
    /* block-cyclic local piece of G: global (i,j) column-major */
    for (int jl = 0; jl < nlocc; jl++) {
      int jg = (jl / nb) * nb * npcol + mycol * nb + jl % nb;
      for (int il = 0; il < mloc; il++) {
        int ig = (il / nb) * nb * nprow + myrow * nb + il % nb;
        a[(size_t)jl * lld + il] = G[(size_t)ig * n + jg];
      }
    }
    double wq;
    int lwork = -1, liwork = -1, iwq;
    pdsyevd_("V", "U", &n, a, &one, &one, desc, w, z, &one, &one, desc, &wq, &lwork, &iwq, &liwork, &info);
    /* the documented minimum (the query alone is too small in some ScaLAPACK builds) */
    int np0 = numroc_(&n, &nb, &myrow, &zero, &nprow), nq0 = numroc_(&n, &nb, &mycol, &zero, &npcol);
    int trilw = 3 * n + (nb * (np0 + 1) > 3 * nb ? nb * (np0 + 1) : 3 * nb);
    int lmin = (1 + 6 * n + 2 * np0 * nq0 > trilw ? 1 + 6 * n + 2 * np0 * nq0 : trilw) + 2 * n;
    lwork = 2 * ((int)wq > lmin ? (int)wq : lmin);
    liwork = iwq > 7 * n + 8 * npcol + 2 ? iwq : 7 * n + 8 * npcol + 2;
    st = sf_calloc((void **)&work, (size_t)lwork, sizeof *work);
    if (!st) st = sf_calloc((void **)&iwork, (size_t)liwork, sizeof *iwork);
    if (!st) {
      pdsyevd_("V", "U", &n, a, &one, &one, desc, w, z, &one, &one, desc, work, &lwork, iwork, &liwork, &info);
      if (info) st = sf_error_set(SF_ERR_LIB, __FILE__, __LINE__, __func__, "PDSYEVD failed (info %d)", info);
    }
  }
  if (!st) {
    memset(Z, 0, (size_t)n * n * sizeof *Z);
    for (int jl = 0; jl < nlocc; jl++) {
      int jg = (jl / nb) * nb * npcol + mycol * nb + jl % nb;
      for (int il = 0; il < mloc; il++) {
        int ig = (il / nb) * nb * nprow + myrow * nb + il % nb;
        Z[(size_t)jg * n + ig] = z[(size_t)jl * lld + il];
      }
    }
    if (MPI_Allreduce(MPI_IN_PLACE, Z, n * n, MPI_DOUBLE, MPI_SUM, comm))
      st = sf_error_set(SF_ERR_MPI, __FILE__, __LINE__, __func__, "MPI_Allreduce of eigenvectors failed");
  }
  sf_free(a);
  sf_free(z);
  sf_free(work);
  sf_free(iwork);
  Cblacs_gridexit(ictxt);
  Cfree_blacs_system_handle(handle);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

int sf_pca_fit(MPI_Comm comm, double *X, int n, long nloc, long p0, long npt, int k, sf_pca *pca)
{
  memset(pca, 0, sizeof *pca);
  if (n < 2) SF_ERROR(SF_ERR_INPUT, "PCA needs at least 2 samples (got %d)", n);
  if (k > n - 1) k = n - 1;
  if (k < 1) SF_ERROR(SF_ERR_INPUT, "PCA needs at least one component");
  pca->k = k;
  pca->npt = npt;
  pca->p0 = p0;
  pca->nloc = nloc;
  SF_CHECK(sf_calloc((void **)&pca->mean, nloc > 0 ? nloc : 1, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&pca->basis, (size_t)k * (nloc > 0 ? nloc : 1), sizeof(double)));
  SF_CHECK(sf_calloc((void **)&pca->eig, k, sizeof(double)));
  /* mean and centring are local: each grid point's column lives on one rank */
  for (int i = 0; i < n; i++) {
    const double *xi = X + (size_t)i * nloc;
    for (long p = 0; p < nloc; p++) pca->mean[p] += xi[p];
  }
  for (long p = 0; p < nloc; p++) pca->mean[p] /= n;
  for (int i = 0; i < n; i++) {
    double *xi = X + (size_t)i * nloc;
    for (long p = 0; p < nloc; p++) xi[p] -= pca->mean[p];
  }
  double *G = NULL, *Z = NULL, *w = NULL, *Uk = NULL;
  SF_CHECK(sf_calloc((void **)&G, (size_t)n * n, sizeof *G));
  if (nloc > 0) cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, (int)nloc, 1.0, X, (int)nloc, 0.0, G, n);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) G[(size_t)i * n + j] = G[(size_t)j * n + i];
  if (MPI_Allreduce(MPI_IN_PLACE, G, n * n, MPI_DOUBLE, MPI_SUM, comm)) {
    sf_free(G);
    SF_ERROR(SF_ERR_MPI, "MPI_Allreduce of the Gram matrix failed");
  }
  double trace = 0;
  for (int i = 0; i < n; i++) trace += G[(size_t)i * n + i];
  pca->total_var = trace / (n - 1);
  int st = sf_calloc((void **)&Z, (size_t)n * n, sizeof *Z);
  if (!st) st = sf_calloc((void **)&w, n, sizeof *w);
  if (!st) st = sf_calloc((void **)&Uk, (size_t)k * n, sizeof *Uk);
  if (!st) st = sym_eig_scalapack(comm, G, n, w, Z);
  if (!st) {
    /* top k, descending; Uk row j = eigenvector / sqrt(λ_j) with a fixed sign */
    for (int j = 0; j < k; j++) {
      int col = n - 1 - j;
      double lam = w[col];
      const double *zc = Z + (size_t)col * n;
      int imax = 0;
      for (int i = 1; i < n; i++)
        if (fabs(zc[i]) > fabs(zc[imax]) * (1 + 1e-12)) imax = i;
      double sgn = zc[imax] < 0 ? -1.0 : 1.0;
      pca->eig[j] = lam > 0 ? lam / (n - 1) : 0;
      double scale = lam > 1e-300 * trace && lam > 0 ? sgn / sqrt(lam) : 0;
      for (int i = 0; i < n; i++) Uk[(size_t)j * n + i] = scale * zc[i];
    }
    if (nloc > 0)
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, (int)nloc, n, 1.0, Uk, n, X, (int)nloc, 0.0,
                  pca->basis, (int)nloc);
  }
  sf_free(G);
  sf_free(Z);
  sf_free(w);
  sf_free(Uk);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

int sf_pca_project(MPI_Comm comm, const sf_pca *pca, const double *X, int n, double *coef)
{
  const long nloc = pca->nloc;
  const int k = pca->k;
  double *Xc = NULL;
  memset(coef, 0, (size_t)n * k * sizeof *coef);
  if (nloc > 0) {
    SF_CHECK(sf_calloc((void **)&Xc, (size_t)n * nloc, sizeof *Xc));
    for (int i = 0; i < n; i++)
      for (long p = 0; p < nloc; p++) Xc[(size_t)i * nloc + p] = X[(size_t)i * nloc + p] - pca->mean[p];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, (int)nloc, 1.0, Xc, (int)nloc, pca->basis,
                (int)nloc, 0.0, coef, k);
    sf_free(Xc);
  }
  if (MPI_Allreduce(MPI_IN_PLACE, coef, n * k, MPI_DOUBLE, MPI_SUM, comm))
    SF_ERROR(SF_ERR_MPI, "MPI_Allreduce of PCA coefficients failed");
  return SF_OK;
}

void sf_pca_reconstruct(const sf_pca *pca, const double *coef, int n, double *Xloc)
{
  const long nloc = pca->nloc;
  if (nloc <= 0) return;
  for (int i = 0; i < n; i++) memcpy(Xloc + (size_t)i * nloc, pca->mean, nloc * sizeof(double));
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, (int)nloc, pca->k, 1.0, coef, pca->k, pca->basis,
              (int)nloc, 1.0, Xloc, (int)nloc);
}

void sf_pca_free(sf_pca *pca)
{
  sf_free(pca->mean);
  sf_free(pca->basis);
  sf_free(pca->eig);
  memset(pca, 0, sizeof *pca);
}
