/* pw.h — plane-wave basis and the FFT box.
 *
 * Owns: the FFT box (size, FFTW plans made once and reused, the map between integer G
 * vectors and box indices), the planner mode (timed or deterministic) of every FFTW plan,
 * ABINIT's default choice of ngfft for an ecut, and the
 * per-k-point basis sphere |k+G|²/2 < ecut with its (ecutsm-smoothed) kinetic energies.
 *
 * Grid convention: box point (i1,i2,i3) is the reduced position (i1/n1, i2/n2, i3/n3);
 * its linear index is (i1*n2 + i2)*n3 + i3 (C order, i3 fastest).  Fields in files use
 * the same order.  Fourier convention: f(r) = Σ_G f(G) e^{iG·r}; f(G) = (1/N) Σ_r f(r) e^{-iG·r}.
 */
#ifndef STRAINFIELD_PW_H
#define STRAINFIELD_PW_H

#include <complex.h>
#include <fftw3.h>
#include <mpi.h>

#include "strainfield/crystal.h"

typedef struct {
  int n[3];
  int nfft;
  fftw_plan to_real;   /* G -> r (FFTW_BACKWARD, unnormalised) in place on work */
  fftw_plan to_recip;  /* r -> G (FFTW_FORWARD, unnormalised) in place on work */
  double complex *work;
  int (*gvec)[3];      /* [nfft] integer G of each box index, components in [-n/2, n/2) */
  void *sphere_plans;  /* fft_sphere.c: cache of the zero-padded (sphere) FFT plans, NULL until used */
} sf_fftbox;

/* ABINIT's default box: in each direction the smallest size with only factors 2, 3, 5
 * that spans the sphere of radius boxcutmin·sqrt(2 ecut), enlarged until every
 * operation of sym (may be NULL) maps the grid onto itself. */
int sf_fftbox_default_size(const sf_cell *cell, const sf_symmetry *sym, double ecut, double boxcutmin,
                           int n[3]);
int sf_fftbox_create(const int n[3], sf_fftbox *box);
void sf_fftbox_free(sf_fftbox *box);
static inline int sf_fftbox_index(const sf_fftbox *b, int g1, int g2, int g3)
{
  g1 = (g1 % b->n[0] + b->n[0]) % b->n[0];
  g2 = (g2 % b->n[1] + b->n[1]) % b->n[1];
  g3 = (g3 % b->n[2] + b->n[2]) % b->n[2];
  return (g1 * b->n[1] + g2) * b->n[2] + g3;
}
/* FFTW planner mode of every plan made by this module (box and sphere plans).  The default,
 * FFTW_MEASURE, picks the fastest algorithm by timing it, so two runs (or two ranks) may pick
 * different ones and differ in the last bits.  sf_fft_plans_deterministic (collective on
 * world, once, before any box is created) switches the process to FFTW_ESTIMATE, forgets
 * any wisdom, and checks that every rank plans a few probe boxes identically (an error
 * SF_ERR_MPI if not: mixed FFTW builds or CPUs).  The same problem then gets the same plan
 * in every run, resumed run and rank; `generate` calls it (docs/performance.md: the cost). */
int sf_fft_plans_deterministic(MPI_Comm world);
unsigned sf_fft_planner_flag(void);
/* Real field (nfft) -> its Fourier coefficients (nfft, normalised by 1/N). */
void sf_fft_r2g(sf_fftbox *box, const double *f, double complex *fg);
/* Fourier coefficients (nfft) -> real part of the field (imaginary part discarded). */
void sf_fft_g2r(sf_fftbox *box, const double complex *fg, double *f);

typedef struct {
  double kred[3];
  int npw;
  int *ifft;           /* [npw] box index of G */
  int (*g)[3];         /* [npw] integer G */
  double (*kpg)[3];    /* [npw] Cartesian k+G (Bohr^-1, 2π included) */
  double *kin;         /* [npw] kinetic energy, smoothed by ecutsm as ABINIT's mkkin */
  double *kin_raw;     /* [npw] |k+G|²/2 */
  int gmax[3];         /* max |g_i| over the sphere: the sphere lies in the box rows
                        * i_i in [0, gmax_i] ∪ [n_i - gmax_i, n_i) (zero-padded FFTs) */
} sf_pwbasis;

/* Sphere |k+G|²/2 < ecut (ABINIT's kpgsph), error if it does not fit in the box. */
int sf_pwbasis_create(const sf_cell *cell, const double kred[3], double ecut, double ecutsm,
                      const sf_fftbox *box, sf_pwbasis *pw);
void sf_pwbasis_free(sf_pwbasis *pw);
/* Zero-padded FFTs of one wavefunction (fft_sphere.c), as ABINIT's fftpad / QE's pruned FFTs.
 * In C order the 3-D transform is done as 1-D transforms, G->r: along i3 only for the
 * (i1,i2) columns of the sphere's bounding box, along i2 only for the i1 planes the sphere
 * touches, along i1 everywhere; r->G the reverse.  Plans are made once per box and sphere
 * extent (sf_fft_planner_flag(), on a scratch array) and cached in box->sphere_plans.
 * sf_fft_sphere_g2r: box->work = Σ_{G in sphere} c_G e^{iG·r} (unnormalised, FFTW_BACKWARD),
 * equal to scattering c into a zeroed box and executing box->to_real.
 * sf_fft_sphere_r2g: transforms box->work in place (FFTW_FORWARD, unnormalised) such that
 * box->work[pw->ifft[i]] are exact for the sphere; every other entry is left undefined.
 * Both return SF_OK, or an error when FFTW cannot plan (box->work is then untouched). */
int sf_fft_sphere_g2r(sf_fftbox *box, const sf_pwbasis *pw, const double complex *c);
int sf_fft_sphere_r2g(sf_fftbox *box, const sf_pwbasis *pw);
void sf_fft_sphere_free(sf_fftbox *box);

/* ABINIT's smoothed kinetic energy for a raw |k+G|²/2, and its derivative d kin/d kin_raw. */
double sf_kinetic_smoothed(double kin_raw, double ecut, double ecutsm, double *dkin);

#endif
