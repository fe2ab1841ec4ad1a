/* psp_internal.h — private interface between the pseudopotential reader (psp_read.c)
 * and the radial-transform / spline code (psp_tables.c).  Not part of the public API. */
#ifndef STRAINFIELD_PSP_INTERNAL_H
#define STRAINFIELD_PSP_INTERNAL_H

#include "strainfield/pseudo.h"

/* The three radial meshes the formats use; each needs its own quadrature so that the
 * integrals reproduce ABINIT's to the last digits. */
enum { PSP_MESH_TETER = 1, PSP_MESH_LOG = 5, PSP_MESH_LINEAR = 8 };

#define PSP_PI 3.14159265358979323846

/* Default spacing of the q tables (Bohr^-1). */
#define SF_PSP_DQ 0.005

typedef struct {
  int mesh, mmax;
  double *r;    /* r_i, i = 0..mmax-1 */
  double *drdi; /* Teter mesh only: dr/di */
  double al;    /* log mesh: r_i = r_0 exp(al*i) */
  double amesh; /* linear mesh spacing */
  double *vloc;
  /* pspcod 1/5: semilocal potentials V_l and reference pseudo-wavefunctions u_l = r R_l
   * (second set for nproj = 2). */
  double *vl[SF_PSP_LMAX + 1];
  double *ul[SF_PSP_LMAX + 1][SF_PSP_NPROJ];
  /* pspcod 8: projectors as stored in the file, i.e. r·β(r), and ekb from the file. */
  double *rbeta[SF_PSP_LMAX + 1][SF_PSP_NPROJ];
  double rchrg, fchrg, qchrg;
  /* pspcod 8 core density (4π already divided out) and its first derivative. */
  double *rhoc, *drhoc;
} psp_raw;

void psp_raw_free(psp_raw *raw);

/* Fills psp->ekb (pspcod 1/5), epsatm and every table from the raw data; dq is the q
 * spacing of the tables. */
int psp_tabulate(const psp_raw *raw, double qmax, double dq, sf_psp *psp);

/* Same as sf_psp_read with an explicit table spacing (tests use it to get direct
 * quadrature values at the midpoints of the default grid). */
int sf_psp_read_dq(const char *path, double qmax, double dq, sf_psp *psp);

/* Spherical Bessel j_l(x), l = 0..3, accurate for small x (series below x = 1). */
double psp_sbessel(int l, double x);
void psp_sbessel_all(double x, double j[4]);

/* Quadratures (psp_quad.c): end-corrected trapezoid on a uniform grid of spacing h, and
 * ∫ f dr over the first n points of raw's mesh (work: scratch of n doubles). */
double psp_int_uniform(const double *f, int n, double h);
double psp_int_mesh(const psp_raw *raw, const double *f, double *work, int n);

/* Table helpers: allocate n points of spacing dq; fit the spline (clamped, end slopes
 * from 5-point differences). */
int psp_table_alloc(sf_qtable *t, int n, double dq);
int psp_table_fit(sf_qtable *t);

/* pspcod 1/5 model core shape g(x), x = r/rchrg; rho_core = fchrg g(r/rchrg). */
double psp_core_shape(double x);

/* Clamped cubic spline through y[0..n-1] on a uniform grid of spacing h. */
int psp_spline(int n, double h, const double *y, double yp1, double ypn, double *y2);

#endif
