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
} sf_eigen_params;

/* On entry X holds nband initial vectors (any, need not be orthonormal, must be linearly
 * independent); on exit the Ritz vectors, orthonormal, with eig ascending and resnorm the
 * final residual norms.  *niter receives the iterations done. Does not fail on
 * non-convergence (the SCF loop decides); fails on LAPACK errors. */
int sf_eigen_lobpcg(const sf_eigen_params *p, double complex *X, double *eig, double *resnorm,
                    int *niter);

#endif
