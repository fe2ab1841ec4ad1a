/* pca.h — distributed principal component analysis of a snapshot matrix.
 *
 * Owns: the PCA of one field.  The snapshot matrix X (n samples × npt grid points) is
 * split by grid points: each rank holds the columns [p0, p0+nloc) of every sample and
 * the full matrix is never gathered.  The n×n Gram matrix is formed with local BLAS
 * (DSYRK) plus MPI_Allreduce and diagonalised with ScaLAPACK (PDSYEVD) on a process grid
 * spanning the communicator; the components are then X^T U Λ^{-1/2}, again local.
 * Components are orthonormal over the full grid; eigenvalues are variances (divided by
 * n−1, as scikit-learn's explained_variance_).  Sign: the largest sample-space entry of
 * each component is positive (deterministic, rank-count independent).
 */
#ifndef STRAINFIELD_PCA_H
#define STRAINFIELD_PCA_H

#include <mpi.h>

typedef struct {
  int k;          /* number of components kept */
  long npt;       /* global number of grid points */
  long p0, nloc;  /* this rank's grid range */
  double *mean;   /* [nloc] local part of the mean snapshot */
  double *basis;  /* [k][nloc] local part of the components (row = component) */
  double *eig;    /* [k] variances along the components, descending */
  double total_var; /* sum of all variances (trace of the covariance) */
} sf_pca;

/* Fits the PCA; X (n × nloc, row-major, this rank's columns) is centred in place.
 * k is clipped to n−1.  Collective over comm. */
int sf_pca_fit(MPI_Comm comm, double *X, int n, long nloc, long p0, long npt, int k, sf_pca *pca);
/* coef (n × k, identical on every rank) = (X − mean) · basis^T; X is this rank's columns.
 * Collective. */
int sf_pca_project(MPI_Comm comm, const sf_pca *pca, const double *X, int n, double *coef);
/* Xloc (n × nloc) = mean + coef · basis for this rank's columns.  Local. */
void sf_pca_reconstruct(const sf_pca *pca, const double *coef, int n, double *Xloc);
void sf_pca_free(sf_pca *pca);

/* The grid split used by training: ranks get contiguous ranges of the slowest index
 * (planes of n2·n3 points), as even as possible.  Returns the first plane and count. */
void sf_split_planes(int n1, int size, int rank, int *first, int *count);

#endif
