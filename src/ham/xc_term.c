/* xc_term.c — the exchange-correlation term: libxc (xc.c, through xc.h) evaluated on the
 * valence + model core density, LDA pointwise, GGA with its gradients on the box
 * (xc_gga.c).  V_xc is its potential, E_xc = ∫ e_xc(ρ + ρ_core, |∇(ρ + ρ_core)|²).
 *
 * Stress: at fixed reduced density the volume gives δ_ij (E_xc − ∫ V_xc (ρ + ρ_core)); a
 * GGA adds −(1/Ω) ∫ 2 ∂e/∂σ ∂_i(ρ+ρ_core) ∂_j(ρ+ρ_core) (the strain turns the Cartesian
 * gradient); the core charge ρ_core(G) = Σ_a S_a(G) c(|G|)/Ω moves with the cell, adding
 *   − Σ_G Re[V_xc(G)* S(G)] c'(|G|) G_i G_j/|G|   (V_xc the full, GGA, potential).
 * Forces come from the core charge's positions only (core_charge.c). */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

/* sf_xc_term_eval, plus for a GGA the grid sum Σ_r 2 ∂e/∂σ ∂_iρ ∂_jρ in gsum (NULL: not
 * wanted; zero for an LDA). */
static int xc_eval(const sf_ham *H, const double *rho_r, double *vxc, double *exc_energy, double *vxc_rho,
                   double gsum[3][3])
{
  int st = SF_OK, n = H->box->nfft;
  double *rt = NULL, *exc = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&rt, n, sizeof *rt));
  SF_CHECK_GOTO(sf_calloc((void **)&exc, n, sizeof *exc));
  for (int i = 0; i < n; i++) rt[i] = rho_r[i] + (H->rhocore_r ? H->rhocore_r[i] : 0.0);
  if (sf_xc_is_gga(H->xc)) SF_CHECK_GOTO(sf_xc_gga_box(H, rt, exc, vxc, gsum));
  else {
    SF_CHECK_GOTO(sf_xc_eval(H->xc, n, rt, exc, vxc));
    if (gsum) memset(gsum, 0, sizeof(double) * 9);
  }
  double ex = 0.0, vr = 0.0;
  for (int i = 0; i < n; i++) {
    ex += exc[i];
    vr += vxc[i] * rho_r[i];
  }
  double dv = H->cell->ucvol / n;
  if (exc_energy) *exc_energy = ex * dv;
  if (vxc_rho) *vxc_rho = vr * dv;
cleanup:
  sf_free(rt);
  sf_free(exc);
  return st;
}

int sf_xc_term_eval(const sf_ham *H, const double *rho_r, double *vxc, double *exc_energy, double *vxc_rho)
{
  return xc_eval(H, rho_r, vxc, exc_energy, vxc_rho, NULL);
}

static int xc_potential(sf_ham *H, const sf_term_state *v)
{
  SF_CHECK(sf_xc_term_eval(H, v->rho_r, H->vxc_r, NULL, NULL));
  return SF_OK;
}

static int xc_energy(const sf_term_state *v, double *energy)
{
  int st = SF_OK;
  double *vxc = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&vxc, v->H->box->nfft, sizeof *vxc));
  SF_CHECK_GOTO(sf_xc_term_eval(v->H, v->rho_r, vxc, energy, NULL));
cleanup:
  sf_free(vxc);
  return st;
}

/* The core charge's part of the stress: −Σ_G Re[V_xc(G)* S(G)] c'(|G|) G_i G_j/|G|. */
static void core_stress(const sf_ham *H, const double complex *vxc_g, double sigma[3][3])
{
  const sf_cell *cell = H->cell;
  for (int i = 0; i < H->box->nfft; i++) {
    double q[3], g2;
    if (!sf_ham_in_sphere(H, i, q, &g2)) continue;
    double gn = sqrt(g2);
    for (int it = 0; it < cell->ntypat; it++) {
      const sf_psp *p = &H->psps[it];
      if (!p->has_core) continue;
      double complex sg = sf_structure_factor(cell, it, H->box->gvec[i]);
      sf_add_outer(sigma, -creal(conj(vxc_g[i]) * sg) * sf_qtable_deriv(&p->core, gn) / gn, q);
    }
  }
}

static int xc_stress(const sf_term_state *v, double sigma[3][3])
{
  const sf_ham *H = v->H;
  const int nfft = H->box->nfft;
  const double omega = H->cell->ucvol;
  int st = SF_OK;
  double *vxc = NULL, exc_energy, vxc_rho, vxc_core = 0.0, gsum[3][3];
  double complex *vxc_g = NULL;
  memset(sigma, 0, sizeof(double) * 9);
  SF_CHECK_GOTO(sf_calloc((void **)&vxc, nfft, sizeof *vxc));
  SF_CHECK_GOTO(xc_eval(H, v->rho_r, vxc, &exc_energy, &vxc_rho, gsum));
  if (H->rhocore_r) {
    SF_CHECK_GOTO(sf_calloc((void **)&vxc_g, nfft, sizeof *vxc_g));
    sf_fft_r2g(H->box, vxc, vxc_g);
    core_stress(H, vxc_g, sigma);
    for (int i = 0; i < nfft; i++) vxc_core += vxc[i] * H->rhocore_r[i];
    vxc_core *= omega / nfft;
  }
  for (int i = 0; i < 3; i++) sigma[i][i] += exc_energy - vxc_rho - vxc_core;
  sf_tensor_div(sigma, omega);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) sigma[i][j] -= gsum[i][j] / nfft; /* −(1/Ω) ∫ = −(1/N) Σ_r */
cleanup:
  sf_free(vxc);
  sf_free(vxc_g);
  return st;
}

const sf_term sf_term_xc = {
    .depends = SF_DEPENDS_DENSITY,
    .potential = xc_potential, .energy = xc_energy, .forces = sf_core_charge_forces, .stress = xc_stress};
