/* eigensolver.h — lowest eigenpairs of a Hermitian operator known only by its action.
 *
 * Owns: block LOBPCG (Knyazev) with a diagonal preconditioner, soft locking, and the
 * Rayleigh-Ritz subspace step on LAPACK (zheevd / zhegvd).  It knows nothing of plane
 * waves: the Hamiltonian and preconditioner come in as callbacks, so tests can drive it
 * with explicit matrices.
 *
 * Vectors are columns of length n stored contiguously: X[j*n + i] is element i of vector j.
 */
#ifndef STRAINFIELD_EIGENSOLVER_H
#define STRAINFIELD_EIGENSOLVER_H

#include <complex.h>

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
} sf_eigen_params;

/* On entry X holds nband initial vectors (any, need not be orthonormal, must be linearly
 * independent); on exit the Ritz vectors, orthonormal, with eig ascending and resnorm the
 * final residual norms.  *niter receives the iterations done. Does not fail on
 * non-convergence (the SCF loop decides); fails on LAPACK errors. */
int sf_eigen_lobpcg(const sf_eigen_params *p, double complex *X, double *eig, double *resnorm,
                    int *niter);

#endif
