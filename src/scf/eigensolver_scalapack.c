/* eigensolver_scalapack.c — the dense Hermitian eigenproblems of LOBPCG on ScaLAPACK.
 *
 * Owns: the BLACS process grid over a band group's communicator, the block-cyclic
 * copy of a small replicated matrix, the call to pzheevd and the reassembly of the
 * eigenpairs on every rank.  eigensolver_subspace.c calls sfe_pheevd in place of LAPACK's
 * zheevd whenever the driver (eigensolver.c) created a grid, i.e. whenever the band group
 * has several ranks.
 *
 * Every rank of the group holds the same replicated input (the subspace matrices are
 * built from identical X on every rank), so distributing needs no communication: each
 * rank copies the blocks it owns.  Reassembly is one Allreduce in which exactly one rank
 * contributes each number and the others contribute +0; that sum is exact in any order,
 * so all ranks end with bitwise identical eigenvectors, and the eigenvalues are taken from
 * rank 0 alone so that they are too.  Without that, round-off differences between ranks
 * would let the ranks' copies of X drift apart over the iteration.
 *
 * Debian ships no C header for BLACS or ScaLAPACK: the prototypes below follow the
 * Fortran conventions of libscalapack-openmpi (32-bit INTEGER, trailing hidden lengths of
 * CHARACTER arguments as size_t, which gfortran >= 8 expects).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eigensolver_impl.h"
#include "strainfield/core.h"

extern int Csys2blacs_handle(MPI_Comm comm);
extern void Cfree_blacs_system_handle(int handle);
extern void Cblacs_gridinit(int *ictxt, const char *order, int nprow, int npcol);
extern void Cblacs_gridinfo(int ictxt, int *nprow, int *npcol, int *myrow, int *mycol);
extern void Cblacs_gridexit(int ictxt);
extern int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
                   const int *nprocs);
extern void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
                      const int *irsrc, const int *icsrc, const int *ictxt, const int *lld,
                      int *info);
extern void pzheevd_(const char *jobz, const char *uplo, const int *n, double complex *a,
                     const int *ia, const int *ja, const int *desca, double *w,
                     double complex *z, const int *iz, const int *jz, const int *descz,
                     double complex *work, const int *lwork, double *rwork, const int *lrwork,
                     int *iwork, const int *liwork, int *info, size_t ljobz, size_t luplo);

/* Largest distribution block.  The subspace matrices are at most a few hundred wide, so a
 * bigger block would leave most ranks without any part of the matrix. */
#define SFE_PG_MAXNB 32
/* pzheevd passes its workspace on to pzhetrd/pdstedc/pzunmtr and ignores their error
 * codes, so too small a workspace would give silent garbage: allocate well above the
 * documented minimum (the arrays are tiny next to the n x 3m blocks). */
#define SFE_PG_WORK_MARGIN 2

struct sfe_pgrid {
  MPI_Comm comm;
  int rank;
  int ictxt, nprow, npcol, myrow, mycol, nb, smax;
  int lld, nqmax; /* local leading dimension and columns for order smax */
  double complex *a, *z, *work;
  double *rwork, *ev, *buf;
  int *iwork;
  int lwork, lrwork, liwork;
};

int sfe_comm_is_parallel(MPI_Comm comm)
{
  /* OpenMPI's MPI_COMM_NULL is the address of a global, not 0, so a zero-initialised
   * handle must be recognised separately; with MPICH 0 is not a valid handle either. */
  if (comm == MPI_COMM_NULL || comm == (MPI_Comm)0) return 0;
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (!init || fin) return 0;
  int size = 1;
  MPI_Comm_size(comm, &size);
  return size > 1;
}

/* Global index of local index l (0-based) along a block-cyclic dimension. */
static int l2g(int l, int nb, int me, int np) { return ((l / nb) * np + me) * nb + l % nb; }

void sfe_pgrid_free(sfe_pgrid *pg)
{
  if (!pg) return;
  if (pg->ictxt >= 0) Cblacs_gridexit(pg->ictxt);
  sf_free(pg->a);
  sf_free(pg->z);
  sf_free(pg->work);
  sf_free(pg->rwork);
  sf_free(pg->ev);
  sf_free(pg->buf);
  sf_free(pg->iwork);
  sf_free(pg);
}

int sfe_pgrid_matches(const sfe_pgrid *pg, MPI_Comm comm, int smax)
{
  if (!sfe_comm_is_parallel(comm)) return pg == NULL;
  return pg && pg->comm == comm && pg->smax == smax;
}

static int pgrid_buffers(sfe_pgrid *pg)
{
  const int zero = 0, s = pg->smax, nb = pg->nb;
  int mp = numroc_(&s, &nb, &pg->myrow, &zero, &pg->nprow);
  pg->nqmax = numroc_(&s, &nb, &pg->mycol, &zero, &pg->npcol);
  pg->lld = mp > 1 ? mp : 1;
  /* pzheevd's documented minima at the largest order; they grow with the order, so they
   * also cover every smaller problem of the iteration. */
  int nn = s > nb ? s : nb;
  if (nn < 2) nn = 2;
  int np0 = numroc_(&nn, &nb, &zero, &zero, &pg->nprow);
  int nq0 = numroc_(&nn, &nb, &zero, &zero, &pg->npcol);
  pg->lwork = SFE_PG_WORK_MARGIN * (s + (np0 + nq0 + nb) * nb);
  pg->lrwork = SFE_PG_WORK_MARGIN * (1 + 9 * s + 3 * np0 * nq0);
  pg->liwork = SFE_PG_WORK_MARGIN * (7 * s + 8 * pg->npcol + 2);
  const size_t loc = (size_t)pg->lld * (pg->nqmax > 1 ? pg->nqmax : 1);
  SF_CHECK(sf_calloc((void **)&pg->a, loc, sizeof(double complex)));
  SF_CHECK(sf_calloc((void **)&pg->z, loc, sizeof(double complex)));
  SF_CHECK(sf_calloc((void **)&pg->work, (size_t)pg->lwork, sizeof(double complex)));
  SF_CHECK(sf_calloc((void **)&pg->rwork, (size_t)pg->lrwork, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&pg->iwork, (size_t)pg->liwork, sizeof(int)));
  SF_CHECK(sf_calloc((void **)&pg->ev, (size_t)s, sizeof(double)));
  /* Reassembly buffer: the k x k eigenvectors as pairs of doubles, the k eigenvalues and
   * one slot for the error flag, all in one Allreduce. */
  SF_CHECK(sf_calloc((void **)&pg->buf, 2 * (size_t)s * s + s + 1, sizeof(double)));
  return SF_OK;
}

/* This rank's place in the BLACS grid just made, and its buffers (local work). */
static int pgrid_local(sfe_pgrid *pg, int size)
{
  int nr, nc;
  Cblacs_gridinfo(pg->ictxt, &nr, &nc, &pg->myrow, &pg->mycol);
  if (nr != pg->nprow || nc != pg->npcol || pg->myrow < 0 || pg->mycol < 0) {
    pg->ictxt = -1; /* not part of a usable grid: nothing to exit */
    SF_ERROR(SF_ERR_LIB, "BLACS grid %dx%d on %d ranks came back as %dx%d", pg->nprow, pg->npcol, size, nr,
             nc);
  }
  SF_CHECK(pgrid_buffers(pg));
  return SF_OK;
}

int sfe_pgrid_create(MPI_Comm comm, int smax, sfe_pgrid **out)
{
  *out = NULL;
  if (!sfe_comm_is_parallel(comm)) return SF_OK;
  if (smax <= 0) SF_ERROR(SF_ERR_INTERNAL, "ScaLAPACK grid for order %d", smax);
  sfe_pgrid *pg = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&pg, 1, sizeof *pg));
  pg->ictxt = -1;
  pg->comm = comm;
  pg->smax = smax;
  int size;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &pg->rank);
  /* As square as the rank count allows: pzheevd's communication volume grows with the
   * longer side of the grid. */
  int pr = (int)sqrt((double)size);
  while (size % pr) pr--;
  pg->nprow = pr;
  pg->npcol = size / pr;
  int longer = pg->nprow > pg->npcol ? pg->nprow : pg->npcol;
  int nb = (smax + longer - 1) / longer;
  pg->nb = nb < 1 ? 1 : nb > SFE_PG_MAXNB ? SFE_PG_MAXNB : nb;

  int handle = Csys2blacs_handle(comm);
  pg->ictxt = handle;
  Cblacs_gridinit(&pg->ictxt, "Row", pg->nprow, pg->npcol);
  /* The grid keeps its own communicator; the table slot would otherwise leak per call. */
  Cfree_blacs_system_handle(handle);
  /* every later pzheevd is collective: a rank whose grid or buffers failed alone must
   * not leave the others waiting in it */
  SF_CHECK_GOTO(sf_status_agree(comm, pgrid_local(pg, size)));
  *out = pg;
  pg = NULL;
cleanup:
  sfe_pgrid_free(pg); /* only on an error */
  return st;
}

int sfe_pheevd(sfe_pgrid *pg, double complex *A, int k, int ld, double *ev)
{
  if (k <= 0) return SF_OK;
  if (k > pg->smax) SF_ERROR(SF_ERR_INTERNAL, "pzheevd order %d > grid maximum %d", k, pg->smax);
  const int zero = 0, one = 1, nb = pg->nb;
  const int mp = numroc_(&k, &nb, &pg->myrow, &zero, &pg->nprow);
  const int nq = numroc_(&k, &nb, &pg->mycol, &zero, &pg->npcol);
  int desc[9], info = 0;
  descinit_(desc, &k, &k, &nb, &nb, &zero, &zero, &pg->ictxt, &pg->lld, &info);
  if (info) SF_ERROR(SF_ERR_LIB, "descinit failed (info=%d, order %d)", info, k);

  for (int jl = 0; jl < nq; jl++) {
    const int j = l2g(jl, nb, pg->mycol, pg->npcol);
    for (int il = 0; il < mp; il++)
      pg->a[(size_t)jl * pg->lld + il] = A[(size_t)j * ld + l2g(il, nb, pg->myrow, pg->nprow)];
  }
  pzheevd_("V", "U", &k, pg->a, &one, &one, desc, pg->ev, pg->z, &one, &one, desc, pg->work,
           &pg->lwork, pg->rwork, &pg->lrwork, pg->iwork, &pg->liwork, &info, 1, 1);

  const size_t kk = (size_t)k * k, nbuf = 2 * kk + k + 1;
  double *buf = pg->buf;
  memset(buf, 0, nbuf * sizeof *buf);
  for (int jl = 0; jl < nq; jl++) {
    const int j = l2g(jl, nb, pg->mycol, pg->npcol);
    for (int il = 0; il < mp; il++) {
      const double complex v = pg->z[(size_t)jl * pg->lld + il];
      const size_t g = (size_t)j * k + l2g(il, nb, pg->myrow, pg->nprow);
      buf[2 * g] = creal(v);
      buf[2 * g + 1] = cimag(v);
    }
  }
  if (pg->rank == 0) memcpy(buf + 2 * kk, pg->ev, (size_t)k * sizeof *buf);
  /* INFO is documented as global, but a rank that alone saw a failure must not be the
   * only one to return early: the flag travels with the data. */
  buf[nbuf - 1] = info ? 1.0 : 0.0;
  int mst = MPI_Allreduce(MPI_IN_PLACE, buf, (int)nbuf, MPI_DOUBLE, MPI_SUM, pg->comm);
  if (mst != MPI_SUCCESS) SF_ERROR(SF_ERR_MPI, "Allreduce of pzheevd results failed (%d)", mst);
  if (buf[nbuf - 1] != 0.0)
    SF_ERROR(SF_ERR_LIB, "pzheevd failed on %.0f rank(s) (local info=%d, order %d)",
             buf[nbuf - 1], info, k);

  for (int j = 0; j < k; j++)
    for (int i = 0; i < k; i++) {
      const size_t g = (size_t)j * k + i;
      A[(size_t)j * ld + i] = CMPLX(buf[2 * g], buf[2 * g + 1]);
    }
  memcpy(ev, buf + 2 * kk, (size_t)k * sizeof *ev);
  return SF_OK;
}
