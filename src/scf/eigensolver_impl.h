/* eigensolver_impl.h — private to src/scf/eigensolver*.c: the LOBPCG workspace and the
 * dense subspace kernels (orthonormalisation with dropping, Rayleigh-Ritz, next search
 * direction) that eigensolver_subspace.c provides to the driver in eigensolver.c.
 * Not part of the public API.
 */
#ifndef STRAINFIELD_EIGENSOLVER_IMPL_H
#define STRAINFIELD_EIGENSOLVER_IMPL_H

#include <complex.h>
#include <lapacke.h>
#include <mpi.h>

/* BLACS grid and buffers for the distributed dense eigensolver (eigensolver_scalapack.c). */
typedef struct sfe_pgrid sfe_pgrid;

/* Everything one call needs, allocated once: the iteration never touches malloc. */
typedef struct {
  int n, m, smax; /* vector length, bands, largest subspace (3m) */
  double complex *Y[2], *AY[2]; /* basis [X | P | W] and its image; two so we can swap */
  double complex *Z;            /* n x smax scratch for out-of-place block updates */
  double complex *S, *H, *T, *V, *G, *cX; /* smax x smax small matrices */
  double complex *cP;  /* = cX + m·smax: [cX | cP] is one s x (m + kp) coefficient block */
  double *mu, *theta, *d;                      /* smax */
  double complex *zwork;
  double *rwork;
  lapack_int *iwork;
  lapack_int lzwork, lrwork, liwork;
  sfe_pgrid *pg; /* non-NULL: the band group has several ranks and every dense
                    eigenproblem goes through ScaLAPACK on this grid */
  int rr_rank;     /* last Rayleigh-Ritz: directions kept, and the condition number of */
  double rr_cond;  /* the (diagonally scaled) Gram matrix over the kept ones */
} sfe_ws;

/* The public workspace: an sfe_ws that outlives the call, with the capacity of its
 * n x smax blocks (elements), so that a smaller n reuses them. */
struct sf_eigen_workspace {
  sfe_ws w;
  size_t cap;
  int live;
};

/* Scale the k columns of W to unit norm, dropping (packing out) zero and non-finite ones;
 * *kout receives the survivors. */
void sfe_normalise(const sfe_ws *w, double complex *W, int k, int *kout);

/* W (n x k, ld n) <- W - Q (Q^H W), Q (n x q) orthonormal. */
void sfe_ortho_against(const sfe_ws *w, const double complex *Q, int q, double complex *W, int k);

/* Orthonormalise the k columns of W in place, dropping columns of norm <= droptol and
 * directions that are numerically dependent; *kout receives the survivors, packed at the
 * front; *minnorm (if not NULL) the smallest column norm found on entry. */
int sfe_ortho_self(sfe_ws *w, double complex *W, int k, double droptol, int *kout,
                   double *minnorm);

/* Rayleigh-Ritz on the s columns of Y (with AY = A·Y), which come in nblk blocks of
 * blk[] columns (sum = s).  Y need only be nearly orthonormal: its Gram matrix is kept in
 * w->S and used as the metric.  Leaves the m lowest Ritz values in lam and their
 * coefficients in w->cX (s x m, ld smax, cX^H S cX = I), and w->rr_rank / rr_cond.
 * The leading sknown x sknown block of w->S (upper triangle) and hknown x hknown block of
 * w->H are taken as already known (sfe_track_gram); only the rest is computed from the
 * n-length vectors.  hknown must fall on a block boundary; 0, 0 = compute everything. */
int sfe_rayleigh_ritz(sfe_ws *w, const double complex *Y, const double complex *AY, int s,
                      const int *blk, int nblk, int sknown, int hknown, double *lam);

/* After Rayleigh-Ritz (and sfe_next_p) on s columns: the Gram matrix and projected
 * operator of the new basis Y·[cX | cP] (c = m + kp columns), C^H S C and C^H H C, into
 * the leading c x c blocks of w->S and w->H.  Exact up to round-off, and O(s²c) instead of
 * O(n c²). */
void sfe_track_gram(sfe_ws *w, int s, int c);

/* Coefficients (in w->cP, s x *kp, ld smax) of the next conjugate directions for the
 * columns act[0..na) of cX: the part of each new Ritz vector outside the old X block,
 * made S-orthonormal and S-orthogonal to all of cX. */
int sfe_next_p(sfe_ws *w, int s, const int *act, int na, int *kp);

/* 1 if comm names a communicator of more than one rank (the ScaLAPACK path), 0 for
 * MPI_COMM_NULL, a zero handle (zero-initialised sf_eigen_params) or a single rank. */
int sfe_comm_is_parallel(MPI_Comm comm);

/* Collective on comm: a BLACS grid over all its ranks with buffers for Hermitian problems
 * up to order smax.  *out = NULL (and no MPI calls beyond a size query) when comm is not
 * parallel in the sense above. */
int sfe_pgrid_create(MPI_Comm comm, int smax, sfe_pgrid **out);
/* Collective on the grid's comm; NULL is fine. */
void sfe_pgrid_free(sfe_pgrid *pg);
/* 1 if pg is what sfe_pgrid_create(comm, smax) would give (NULL for a serial comm). */
int sfe_pgrid_matches(const sfe_pgrid *pg, MPI_Comm comm, int smax);

/* Drop-in for LAPACK zheevd('V','U') on the k x k matrix A (ld): A is replaced by the
 * eigenvectors and ev by the eigenvalues, ascending.  Collective; A must be identical on
 * every rank, and the results are bitwise identical on every rank. */
int sfe_pheevd(sfe_pgrid *pg, double complex *A, int k, int ld, double *ev);

#endif
