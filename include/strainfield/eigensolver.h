/* eigensolver.h — lowest eigenpairs of a Hermitian operator known only by its action.
 *
 * Owns: block LOBPCG (Knyazev) with a diagonal preconditioner, soft locking, and the
 * Rayleigh-Ritz subspace step on LAPACK (zheevd), or on ScaLAPACK (pzheevd) when the
 * block is shared by a band group of several ranks.  It knows nothing of plane
 * waves: the Hamiltonian and preconditioner come in as callbacks, so tests can drive it
 * with explicit matrices.
 *
 * Vectors are columns of length n stored contiguously: X[j*n + i] is element i of vector j.
 */
#ifndef STRAINFIELD_EIGENSOLVER_H
#define STRAINFIELD_EIGENSOLVER_H

#include <complex.h>
#include <mpi.h>

/* Y = A·X for m vectors. */
typedef int (*sf_apply_fn)(void *ctx, int m, const double complex *X, double complex *Y);

/* Reusable scratch for sf_eigen_lobpcg (the n x 3·nband blocks, the small subspace
 * matrices, the LAPACK/ScaLAPACK work arrays).  Opaque; one per thread of calls.  It grows
 * to the largest n seen and is rebuilt when nband or the communicator changes, so one
 * workspace can serve all k-points of an SCF run.  Holding it saves the ~17 MB allocation
 * and page faults of every call at n = 3500, nband = 20. */
typedef struct sf_eigen_workspace sf_eigen_workspace;

typedef struct {
  int n;                   /* vector length */
  int nband;               /* number of wanted eigenpairs */
  sf_apply_fn apply;       /* Hermitian operator */
  void *ctx;
  const double *precond_kin; /* optional: kinetic energy of each basis function (Ha); the
                                solver then applies the Teter-Payne-Allan preconditioner
                                with each band's own kinetic energy. NULL = none */
  int maxiter;             /* iterations of the block method per call */
  double tol;              /* residual norm ‖Ax − λx‖ below which a vector is converged */
  MPI_Comm comm;           /* ranks that share this k-point's block: all hold identical X
                              on entry (and apply must give identical AX on all of them)
                              and all get bitwise identical results.  With more than one
                              rank the dense subspace eigenproblems run on ScaLAPACK over
                              these ranks and the call is collective on comm.
                              MPI_COMM_NULL, 0 (a zero-initialised struct: no need to set
                              it, and no MPI_Init needed) or a one-rank communicator ->
                              serial LAPACK. */
  /* Optional fields: zero (NULL) keeps the behaviour of a struct without them. */
  sf_eigen_workspace *ws;  /* scratch kept between calls (sf_eigen_workspace_create); NULL =
                              allocate and free inside every call.  Not for concurrent calls.
                              With a parallel comm the workspace holds a BLACS grid on that
                              comm: use it with that comm only, or free it first */
  const double *band_tol;  /* optional, nband entries: per-band residual tolerance (e.g.
                              loose for nearly empty bands).  Band j is converged (soft-
                              locked: no residual direction of its own, though it still
                              improves through the Rayleigh-Ritz step) once
                              resnorm[j] < band_tol[j].  NULL = tol for every band. */
} sf_eigen_params;

/* On entry X holds nband initial vectors (any, need not be orthonormal, must be linearly
 * independent; an orthonormal X, e.g. the previous call's output, skips the initial
 * orthonormalisation); on exit the Ritz vectors, orthonormal, with eig ascending and resnorm the
 * final residual norms.  *niter receives the iterations done. Does not fail on
 * non-convergence (the SCF loop decides); fails on LAPACK errors. */
int sf_eigen_lobpcg(const sf_eigen_params *p, double complex *X, double *eig, double *resnorm,
                    int *niter);

/* *out = an empty workspace (buffers are allocated by the first sf_eigen_lobpcg call that
 * uses it).  Free with sf_eigen_workspace_free, which is collective on the communicator of
 * the last call when that had several ranks; NULL is fine. */
int sf_eigen_workspace_create(sf_eigen_workspace **out);
void sf_eigen_workspace_free(sf_eigen_workspace *ws);

#endif
