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

/* A BLACS process grid over comm, as square as the rank count allows, with the block
 * size of the n×n matrix on it and this rank's share (mloc rows, nloc columns). */
typedef struct {
  int handle, ictxt, nprow, npcol, myrow, mycol, nb, mloc, nlocc, lld;
} blacs_grid;

static void blacs_grid_create(MPI_Comm comm, int n, blacs_grid *g)
{
  int size;
  MPI_Comm_size(comm, &size);
  g->nprow = (int)sqrt((double)size);
  while (size % g->nprow) g->nprow--;
  g->npcol = size / g->nprow;
  g->handle = Csys2blacs_handle(comm);
  g->ictxt = g->handle;
  Cblacs_gridinit(&g->ictxt, "R", g->nprow, g->npcol);
  int pr, pc;
  Cblacs_gridinfo(g->ictxt, &pr, &pc, &g->myrow, &g->mycol);
  const int per = n / (g->nprow > g->npcol ? g->nprow : g->npcol), zero = 0;
  g->nb = per < 64 ? (per > 8 ? per : 8) : 64;
  g->mloc = numroc_(&n, &g->nb, &g->myrow, &zero, &g->nprow);
  g->nlocc = numroc_(&n, &g->nb, &g->mycol, &zero, &g->npcol);
  g->lld = g->mloc > 1 ? g->mloc : 1;
}

static void blacs_grid_free(blacs_grid *g)
{
  Cblacs_gridexit(g->ictxt);
  Cfree_blacs_system_handle(g->handle);
}

/* Global index of local index l in a block-cyclic distribution (block nb, nprocs, me). */
static int block_cyclic_global(int l, int nb, int nprocs, int me) { return (l / nb) * nb * nprocs + me * nb + l % nb; }

/* PDSYEVD's workspace: the query's answer, but at least the documented minimum (the
 * query alone is too small in some ScaLAPACK builds), doubled. */
static void pdsyevd_work_sizes(const blacs_grid *g, int n, double wq, int iwq, int *lwork, int *liwork)
{
  const int np0 = g->mloc, nq0 = g->nlocc, nb = g->nb;
  int trilw = 3 * n + (nb * (np0 + 1) > 3 * nb ? nb * (np0 + 1) : 3 * nb);
  int lmin = (1 + 6 * n + 2 * np0 * nq0 > trilw ? 1 + 6 * n + 2 * np0 * nq0 : trilw) + 2 * n;
  *lwork = 2 * ((int)wq > lmin ? (int)wq : lmin);
  *liwork = iwq > 7 * n + 8 * g->npcol + 2 ? iwq : 7 * n + 8 * g->npcol + 2;
}

/* Two arrays of n1 and n2 doubles (either may be left allocated on an error: the caller
 * frees both); local work that the caller agrees on before a collective. */
static int alloc_pair(double **a, size_t n1, double **b, size_t n2)
{
  SF_CHECK(sf_calloc((void **)a, n1, sizeof **a));
  SF_CHECK(sf_calloc((void **)b, n2, sizeof **b));
  return SF_OK;
}

static int alloc_work(double **work, size_t lwork, int **iwork, size_t liwork)
{
  SF_CHECK(sf_calloc((void **)work, lwork, sizeof **work));
  SF_CHECK(sf_calloc((void **)iwork, liwork, sizeof **iwork));
  return SF_OK;
}

/* Eigen-decomposition of the replicated symmetric n×n matrix G (row-major, full) on a
 * BLACS grid over comm; returns all eigenvalues ascending in w and the eigenvectors as
 * columns of Z (n×n column-major, replicated). */
static int sym_eig_scalapack(MPI_Comm comm, const double *G, int n, double *w, double *Z)
{
  blacs_grid g;
  blacs_grid_create(comm, n, &g);
  const int zero = 0, one = 1;
  int desc[9], info, st = SF_OK;
  descinit_(desc, &n, &n, &g.nb, &g.nb, &zero, &zero, &g.ictxt, &g.lld, &info);
  double *a = NULL, *z = NULL, *work = NULL;
  int *iwork = NULL;
  const size_t nlocal = (size_t)g.lld * (g.nlocc > 0 ? g.nlocc : 1);
  SF_CHECK_GOTO(sf_status_agree(comm, alloc_pair(&a, nlocal, &z, nlocal))); /* PDSYEVD is collective */
  /* block-cyclic local piece of G: global (i,j) column-major */
  for (int jl = 0; jl < g.nlocc; jl++) {
    int jg = block_cyclic_global(jl, g.nb, g.npcol, g.mycol);
    for (int il = 0; il < g.mloc; il++)
      a[(size_t)jl * g.lld + il] = G[(size_t)block_cyclic_global(il, g.nb, g.nprow, g.myrow) * n + jg];
  }
  double wq;
  int lwork = -1, liwork = -1, iwq;
  pdsyevd_("V", "U", &n, a, &one, &one, desc, w, z, &one, &one, desc, &wq, &lwork, &iwq, &liwork, &info);
  pdsyevd_work_sizes(&g, n, wq, iwq, &lwork, &liwork);
  SF_CHECK_GOTO(sf_status_agree(comm, alloc_work(&work, (size_t)lwork, &iwork, (size_t)liwork)));
  pdsyevd_("V", "U", &n, a, &one, &one, desc, w, z, &one, &one, desc, work, &lwork, iwork, &liwork, &info);
  st = info ? sf_error_set(SF_ERR_LIB, __FILE__, __LINE__, __func__, "PDSYEVD failed (info %d)", info) : SF_OK;
  SF_CHECK_GOTO(sf_status_agree(comm, st)); /* before the Allreduce */
  memset(Z, 0, (size_t)n * n * sizeof *Z);
  for (int jl = 0; jl < g.nlocc; jl++) {
    int jg = block_cyclic_global(jl, g.nb, g.npcol, g.mycol);
    for (int il = 0; il < g.mloc; il++)
      Z[(size_t)jg * n + block_cyclic_global(il, g.nb, g.nprow, g.myrow)] = z[(size_t)jl * g.lld + il];
  }
  if (MPI_Allreduce(MPI_IN_PLACE, Z, n * n, MPI_DOUBLE, MPI_SUM, comm))
    SF_ERROR_GOTO(SF_ERR_MPI, "MPI_Allreduce of eigenvectors failed");
cleanup:
  sf_free(a);
  sf_free(z);
  sf_free(work);
  sf_free(iwork);
  blacs_grid_free(&g);
  return st;
}

/* The top k components, descending: Uk row j = eigenvector / sqrt(λ_j), its largest
 * entry positive; pca->eig the variances. */
static void top_components(const double *w, const double *Z, int n, int k, double trace, sf_pca *pca, double *Uk)
{
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
}

/* Subtracts the local mean of the n snapshots (this rank's columns) from X. */
static void centre(double *X, int n, long nloc, double *mean)
{
  for (int i = 0; i < n; i++) {
    const double *xi = X + (size_t)i * nloc;
    for (long p = 0; p < nloc; p++) mean[p] += xi[p];
  }
  for (long p = 0; p < nloc; p++) mean[p] /= n;
  for (int i = 0; i < n; i++) {
    double *xi = X + (size_t)i * nloc;
    for (long p = 0; p < nloc; p++) xi[p] -= mean[p];
  }
}

/* The fit's arrays; on an error the caller frees what was allocated. */
static int fit_alloc(sf_pca *pca, int n, size_t nl, double **G, double **Z, double **w, double **Uk)
{
  const int k = pca->k;
  SF_CHECK(alloc_pair(&pca->mean, nl, &pca->basis, (size_t)k * nl));
  SF_CHECK(alloc_pair(&pca->eig, k, w, n));
  SF_CHECK(alloc_pair(G, (size_t)n * n, Z, (size_t)n * n));
  SF_CHECK(sf_calloc((void **)Uk, (size_t)k * n, sizeof **Uk));
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
  int st = SF_OK;
  double *G = NULL, *Z = NULL, *w = NULL, *Uk = NULL;
  const size_t nl = nloc > 0 ? (size_t)nloc : 1;
  /* local allocations, then collectives: the ranks agree first */
  SF_CHECK_GOTO(sf_status_agree(comm, fit_alloc(pca, n, nl, &G, &Z, &w, &Uk)));
  /* mean and centring are local: each grid point's column lives on one rank */
  centre(X, n, nloc, pca->mean);
  if (nloc > 0) cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, (int)nloc, 1.0, X, (int)nloc, 0.0, G, n);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) G[(size_t)i * n + j] = G[(size_t)j * n + i];
  if (MPI_Allreduce(MPI_IN_PLACE, G, n * n, MPI_DOUBLE, MPI_SUM, comm))
    SF_ERROR_GOTO(SF_ERR_MPI, "MPI_Allreduce of the Gram matrix failed");
  double trace = 0;
  for (int i = 0; i < n; i++) trace += G[(size_t)i * n + i];
  pca->total_var = trace / (n - 1);
  SF_CHECK_GOTO(sym_eig_scalapack(comm, G, n, w, Z));
  top_components(w, Z, n, k, trace, pca, Uk);
  if (nloc > 0)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, (int)nloc, n, 1.0, Uk, n, X, (int)nloc, 0.0,
                pca->basis, (int)nloc);
cleanup:
  sf_free(G);
  sf_free(Z);
  sf_free(w);
  sf_free(Uk);
  if (st) sf_pca_free(pca);
  return st;
}

int sf_pca_project(MPI_Comm comm, const sf_pca *pca, const double *X, int n, double *coef)
{
  const long nloc = pca->nloc;
  const int k = pca->k;
  double *Xc = NULL;
  memset(coef, 0, (size_t)n * k * sizeof *coef);
  if (nloc > 0) {
    /* the local allocation is agreed on before the Allreduce below */
    SF_CHECK(sf_status_agree(comm, sf_calloc((void **)&Xc, (size_t)n * nloc, sizeof *Xc)));
    for (int i = 0; i < n; i++)
      for (long p = 0; p < nloc; p++) Xc[(size_t)i * nloc + p] = X[(size_t)i * nloc + p] - pca->mean[p];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, (int)nloc, 1.0, Xc, (int)nloc, pca->basis,
                (int)nloc, 0.0, coef, k);
    sf_free(Xc);
  } else {
    SF_CHECK(sf_status_agree(comm, SF_OK)); /* the ranks with columns agree in the branch above */
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
