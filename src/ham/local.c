/* local.c — the local pseudopotential term: V_loc(G) = (1/Ω) Σ_atoms e^{-iG·τ} v(|G|),
 * v = vloc_short − 4πZ/|G|², and E_loc = ∫ V_loc ρ = Ω Σ_G V_loc(G)* ρ(G).  The G = 0
 * component is left out: its average, Σ epsatm / Ω, is ABINIT's separate "psp core"
 * term (psp_core.c), together with the G = 0 parts of the Hartree and Ewald terms that
 * cancel for a neutral cell.  V_loc is fixed by the geometry (sf_ham_local_build).
 *
 * Forces: F_a = Σ_G G v_a(|G|) Im[e^{iG·τ_a} ρ(G)].
 * Stress: ∂E_loc/∂ε_ij = −δ_ij E_loc − Σ_G Re[S(G)* ρ(G)] v'(|G|) G_i G_j/|G|, with S the
 * structure factor.  The G sums run over the set of the energy (sf_ham_in_sphere), so
 * these are the derivatives of the energy the code computes, grid effects included. */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

double complex sf_structure_factor(const sf_cell *cell, int itypat, const int g[3])
{
  double complex s = 0.0;
  for (int ia = 0; ia < cell->natom; ia++) {
    if (cell->typat[ia] != itypat) continue;
    double ph = -2.0 * M_PI * (g[0] * cell->xred[ia][0] + g[1] * cell->xred[ia][1] + g[2] * cell->xred[ia][2]);
    s += cos(ph) + I * sin(ph);
  }
  return s;
}

/* v(|G|) of one species and its radial derivative v'(|G|). */
static double vloc_q(const sf_psp *p, double gn, double g2)
{
  return sf_qtable_eval(&p->vloc_short, gn) - 4.0 * M_PI * p->zion / g2;
}

static double vloc_dq(const sf_psp *p, double gn, double g2)
{
  return sf_qtable_deriv(&p->vloc_short, gn) + 8.0 * M_PI * p->zion / (g2 * gn);
}

int sf_ham_local_build(sf_ham *H)
{
  const sf_cell *cell = H->cell;
  sf_fftbox *box = H->box;
  for (int i = 0; i < box->nfft; i++) {
    H->vloc_g[i] = 0.0;
    double q[3], g2;
    if (!sf_ham_in_sphere(H, i, q, &g2)) continue;
    double gn = sqrt(g2);
    double complex v = 0.0;
    for (int it = 0; it < cell->ntypat; it++) v += sf_structure_factor(cell, it, box->gvec[i]) * vloc_q(&H->psps[it], gn, g2);
    H->vloc_g[i] = v / cell->ucvol;
  }
  sf_fft_g2r(box, H->vloc_g, H->vloc_r);
  return SF_OK;
}

static int local_energy(const sf_term_state *v, double *energy)
{
  const sf_ham *H = v->H;
  double e = 0.0;
  for (int i = 0; i < H->box->nfft; i++) e += creal(conj(H->vloc_g[i]) * v->rho_g[i]);
  *energy = e * H->cell->ucvol;
  return SF_OK;
}

void sf_ham_sphere_forces(const sf_ham *H, const double complex *x_g,
                          double (*radial)(const sf_psp *p, double gn, double g2), double (*f)[3])
{
  const sf_cell *cell = H->cell;
  memset(f, 0, sizeof(double) * 3 * cell->natom);
  for (int i = 0; i < H->box->nfft; i++) {
    const int *g = H->box->gvec[i];
    double q[3], g2;
    if (!sf_ham_in_sphere(H, i, q, &g2)) continue; /* G = 0 carries no force */
    double gn = sqrt(g2);
    for (int a = 0; a < cell->natom; a++) {
      double ph = 2.0 * M_PI * (g[0] * cell->xred[a][0] + g[1] * cell->xred[a][1] + g[2] * cell->xred[a][2]);
      double complex e = cos(ph) + I * sin(ph);
      double w = radial(&H->psps[cell->typat[a]], gn, g2) * cimag(e * x_g[i]);
      for (int c = 0; c < 3; c++) f[a][c] += q[c] * w;
    }
  }
}

static int local_forces(const sf_term_state *v, double (*f)[3])
{
  sf_ham_sphere_forces(v->H, v->rho_g, vloc_q, f);
  return SF_OK;
}

static int local_stress(const sf_term_state *v, double sigma[3][3])
{
  const sf_ham *H = v->H;
  const sf_cell *cell = H->cell;
  double eloc;
  memset(sigma, 0, sizeof(double) * 9);
  for (int i = 0; i < H->box->nfft; i++) {
    double q[3], g2;
    if (!sf_ham_in_sphere(H, i, q, &g2)) continue;
    double gn = sqrt(g2);
    for (int it = 0; it < cell->ntypat; it++) {
      double complex sg = sf_structure_factor(cell, it, H->box->gvec[i]);
      sf_add_outer(sigma, -creal(conj(sg) * v->rho_g[i]) * vloc_dq(&H->psps[it], gn, g2) / gn, q);
    }
  }
  SF_CHECK(local_energy(v, &eloc));
  for (int i = 0; i < 3; i++) sigma[i][i] -= eloc;
  sf_tensor_div(sigma, cell->ucvol);
  return SF_OK;
}

const sf_term sf_term_local_psp = {.depends = SF_DEPENDS_DENSITY, .energy = local_energy, .forces = local_forces, .stress = local_stress};
