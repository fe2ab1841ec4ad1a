/* hamiltonian.c — owns the sf_ham potentials and applies H = T + V_eff + V_nl to a block
 * of bands at one k-point.  The term files (ham.h's contract) compute the pieces; this
 * file only adds. */
#include "strainfield/ham.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

int sf_ham_create(const sf_cell *cell, const sf_psp *psps, sf_fftbox *box, const sf_xc *xc,
                  double ecut, double nelect, sf_ham *H)
{
  memset(H, 0, sizeof *H);
  H->cell = cell;
  H->psps = psps;
  H->box = box;
  H->xc = xc;
  H->nelect = nelect;
  /* boxcut: the largest |G| sphere inside the box, relative to the basis sphere */
  double gbox = INFINITY;
  for (int i = 0; i < 3; i++) {
    /* the face g_i = n_i/2 of the box lies at distance (n_i/2)·2π/|a_i| from the origin */
    double alen = sqrt(cell->rprimd[i][0] * cell->rprimd[i][0] + cell->rprimd[i][1] * cell->rprimd[i][1] +
                       cell->rprimd[i][2] * cell->rprimd[i][2]);
    double d = 0.5 * box->n[i] * 2.0 * M_PI / alen;
    if (d < gbox) gbox = d;
  }
  double gsph = sqrt(2.0 * ecut);
  double boxcut = gbox / gsph;
  H->gcut_dens = (boxcut < 2.0 ? boxcut : 2.0) * gsph;
  size_t n = (size_t)box->nfft;
  SF_CHECK(sf_calloc((void **)&H->vloc_g, n, sizeof *H->vloc_g));
  SF_CHECK(sf_calloc((void **)&H->vloc_r, n, sizeof *H->vloc_r));
  SF_CHECK(sf_calloc((void **)&H->vh_r, n, sizeof *H->vh_r));
  SF_CHECK(sf_calloc((void **)&H->vh_g, n, sizeof *H->vh_g));
  SF_CHECK(sf_calloc((void **)&H->vxc_r, n, sizeof *H->vxc_r));
  SF_CHECK(sf_calloc((void **)&H->veff_r, n, sizeof *H->veff_r));
  return SF_OK;
}

void sf_ham_free(sf_ham *H)
{
  sf_free(H->vloc_g); sf_free(H->vloc_r); sf_free(H->rhocore_r);
  sf_free(H->vh_r); sf_free(H->vh_g); sf_free(H->vxc_r); sf_free(H->veff_r);
  memset(H, 0, sizeof *H);
}

void sf_ham_veff(sf_ham *H)
{
  for (int i = 0; i < H->box->nfft; i++) H->veff_r[i] = H->vloc_r[i] + H->vh_r[i] + H->vxc_r[i];
}

int sf_ham_apply(void *ctx, int m, const double complex *X, double complex *Y)
{
  sf_ham_k *hk = ctx;
  const sf_pwbasis *pw = hk->pw;
  sf_fftbox *box = hk->H->box;
  const double *veff = hk->H->veff_r;
  const double inv = 1.0 / box->nfft;
  const int nfft = box->nfft, npw = pw->npw;
  const int *ifft = pw->ifft;
  const double *kin = pw->kin;
  for (int n = 0; n < m; n++) {
    const double complex *x = X + (size_t)n * npw;
    double complex *y = Y + (size_t)n * npw;
    /* zero-padded FFTs (fft_sphere.c): only the sphere's columns/planes are transformed */
    SF_CHECK(sf_fft_sphere_g2r(box, pw, x));
    double complex *restrict work = box->work;
    for (int i = 0; i < nfft; i++) work[i] *= veff[i];
    SF_CHECK(sf_fft_sphere_r2g(box, pw));
    for (int i = 0; i < npw; i++) y[i] = kin[i] * x[i] + work[ifft[i]] * inv;
  }
  if (hk->nl) SF_CHECK(sf_nonlocal_apply(hk->nl, pw->npw, m, X, Y));
  return SF_OK;
}

void sf_ham_accumulate_density(sf_fftbox *box, const sf_pwbasis *pw, int m, const double complex *X,
                               const double *w, double *rho)
{
  for (int n = 0; n < m; n++) {
    if (w[n] == 0.0) continue;
    const double complex *x = X + (size_t)n * pw->npw;
    if (sf_fft_sphere_g2r(box, pw, x) != SF_OK) {
      /* no zero-padded plans (FFTW failure, already reported): the full transform */
      memset(box->work, 0, sizeof(double complex) * (size_t)box->nfft);
      for (int i = 0; i < pw->npw; i++) box->work[pw->ifft[i]] = x[i];
      fftw_execute(box->to_real);
    }
    const double wn = w[n];
    const double complex *restrict work = box->work;
    for (int i = 0; i < box->nfft; i++) {
      double complex u = work[i];
      rho[i] += wn * (creal(u) * creal(u) + cimag(u) * cimag(u));
    }
  }
}
