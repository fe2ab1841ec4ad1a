/* xc_gga.c — the gradient part of a GGA on the FFT box: ∇ρ, σ = |∇ρ|², libxc (xc.c), and
 * the potential v_xc = ∂e/∂ρ − ∇·(2 ∂e/∂σ ∇ρ), for a spin-unpolarised density ρ (valence
 * + model core).
 *
 * The derivatives are ABINIT's (m_xctk.F90, xcden and xcpot): ∂_d f = FFT⁻¹[i G_d f(G)]
 * over the whole box, with the Nyquist component of each even direction given G = 0 in
 * that direction, so the operator D_d is real and antisymmetric (Dᵀ = −D) and the
 * gradient of a real field is real.  Then the potential is exactly the derivative of the
 * grid energy E = ΔV Σ_r e(ρ_r, σ_r): ∂E/∂ρ_s = ΔV [∂e/∂ρ − Σ_d D_d(2 ∂e/∂σ ∂_dρ)]_s,
 * which the finite-difference tests check to round-off.
 *
 * Stress: under a strain ε at fixed reduced density, ∂_iρ → ∂_iρ − ε_ij ∂_jρ, so σ moves
 * by −2 ε_ij ∂_iρ ∂_jρ: the GGA adds −(1/Ω) ∫ 2 ∂e/∂σ ∂_iρ ∂_jρ to the LDA-like stress of
 * xc_term.c; this file returns the grid sum Σ_r 2 ∂e/∂σ ∂_iρ ∂_jρ. */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

/* Cartesian G of box point i for a derivative: the Nyquist component (−n/2 of an even n)
 * counts as 0, as in ABINIT, so that G and −G stay paired. */
static void deriv_gcart(const sf_ham *H, int i, double q[3])
{
  int g[3];
  for (int k = 0; k < 3; k++) {
    g[k] = H->box->gvec[i][k];
    if (H->box->n[k] % 2 == 0 && g[k] == -H->box->n[k] / 2) g[k] = 0;
  }
  sf_cell_gcart(H->cell, g, q);
}

int sf_xc_gga_box(const sf_ham *H, const double *rt, double *exc, double *vxc, double gsum[3][3])
{
  sf_fftbox *box = H->box;
  const int n = box->nfft;
  int st = SF_OK;
  double *grad = NULL, *sigma = NULL, *vsig = NULL, *work = NULL;
  double complex *rg = NULL, *tg = NULL, *acc = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&grad, 3 * (size_t)n, sizeof *grad));
  SF_CHECK_GOTO(sf_calloc((void **)&sigma, n, sizeof *sigma));
  SF_CHECK_GOTO(sf_calloc((void **)&vsig, n, sizeof *vsig));
  SF_CHECK_GOTO(sf_calloc((void **)&work, n, sizeof *work));
  SF_CHECK_GOTO(sf_calloc((void **)&rg, n, sizeof *rg));
  SF_CHECK_GOTO(sf_calloc((void **)&tg, n, sizeof *tg));
  SF_CHECK_GOTO(sf_calloc((void **)&acc, n, sizeof *acc));
  sf_fft_r2g(box, rt, rg);
  for (int d = 0; d < 3; d++) {
    for (int i = 0; i < n; i++) {
      double q[3];
      deriv_gcart(H, i, q);
      tg[i] = I * q[d] * rg[i];
    }
    sf_fft_g2r(box, tg, grad + (size_t)d * n);
  }
  for (int i = 0; i < n; i++) {
    double gx = grad[i], gy = grad[n + i], gz = grad[2 * (size_t)n + i];
    sigma[i] = gx * gx + gy * gy + gz * gz;
  }
  SF_CHECK_GOTO(sf_xc_eval_gga(H->xc, n, rt, sigma, exc, vxc, vsig));
  /* v = ∂e/∂ρ − Σ_d D_d h_d with h_d = 2 ∂e/∂σ ∂_dρ, the divergence summed in G space */
  for (int d = 0; d < 3; d++) {
    for (int i = 0; i < n; i++) work[i] = 2.0 * vsig[i] * grad[(size_t)d * n + i];
    sf_fft_r2g(box, work, tg);
    for (int i = 0; i < n; i++) {
      double q[3];
      deriv_gcart(H, i, q);
      acc[i] += I * q[d] * tg[i];
    }
  }
  sf_fft_g2r(box, acc, work);
  for (int i = 0; i < n; i++) vxc[i] -= work[i];
  if (gsum) {
    memset(gsum, 0, sizeof(double) * 9);
    for (int i = 0; i < n; i++) {
      double g[3] = {grad[i], grad[n + i], grad[2 * (size_t)n + i]};
      sf_add_outer(gsum, 2.0 * vsig[i], g);
    }
  }
cleanup:
  sf_free(grad);
  sf_free(sigma);
  sf_free(vsig);
  sf_free(work);
  sf_free(rg);
  sf_free(tg);
  sf_free(acc);
  return st;
}
