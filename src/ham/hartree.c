/* hartree.c — the Hartree term: V_H(G) = 4π ρ(G)/|G|² inside the density sphere, G = 0
 * excluded (the neutralising background), E_H = ½ ∫ V_H ρ = ½ Ω Σ_G V_H(G)* ρ(G).
 *
 * Stress: Ωρ(G) is fixed under strain and |G|² → |G|² − 2 G_i G_j ε_ij, so
 *   ∂E_H/∂ε_ij = −δ_ij E_H + Ω Σ_G 4π |ρ(G)|² G_i G_j / |G|⁴. */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

static int hartree_potential(sf_ham *H, const sf_term_state *v)
{
  for (int i = 0; i < H->box->nfft; i++) {
    double q[3], g2;
    H->vh_g[i] = sf_ham_in_sphere(H, i, q, &g2) ? 4.0 * M_PI * v->rho_g[i] / g2 : 0.0;
  }
  sf_fft_g2r(H->box, H->vh_g, H->vh_r);
  return SF_OK;
}

static int hartree_energy(const sf_term_state *v, double *energy)
{
  const sf_ham *H = v->H;
  double e = 0.0;
  for (int i = 0; i < H->box->nfft; i++) {
    double q[3], g2;
    if (!sf_ham_in_sphere(H, i, q, &g2)) continue;
    double complex vh = 4.0 * M_PI * v->rho_g[i] / g2;
    e += creal(conj(vh) * v->rho_g[i]);
  }
  *energy = 0.5 * e * H->cell->ucvol;
  return SF_OK;
}

static int hartree_stress(const sf_term_state *v, double sigma[3][3])
{
  const sf_ham *H = v->H;
  const double omega = H->cell->ucvol;
  double eh;
  memset(sigma, 0, sizeof(double) * 9);
  for (int i = 0; i < H->box->nfft; i++) {
    double q[3], g2;
    if (!sf_ham_in_sphere(H, i, q, &g2)) continue;
    double complex rho = v->rho_g[i];
    sf_add_outer(sigma, omega * 4.0 * M_PI * (creal(rho) * creal(rho) + cimag(rho) * cimag(rho)) / (g2 * g2), q);
  }
  SF_CHECK(hartree_energy(v, &eh));
  for (int i = 0; i < 3; i++) sigma[i][i] -= eh;
  sf_tensor_div(sigma, omega);
  return SF_OK;
}

const sf_term sf_term_hartree = {
    .depends = SF_DEPENDS_DENSITY,
    .potential = hartree_potential, .energy = hartree_energy, .stress = hartree_stress};
