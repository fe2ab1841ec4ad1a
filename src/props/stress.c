/* stress.c — the analytic stress tensor of a converged ground state (props.h).
 *
 * σ_ij = (1/Ω) ∂F/∂ε_ij under the homogeneous strain r → (1+ε) r with reduced
 * coordinates, the plane-wave coefficients ψ(G) and the charges Ωρ(G) held fixed; then
 * G → (1−εᵀ) G, so ∂|G|²/∂ε_ij = −2 G_i G_j, and Ω → Ω(1 + tr ε).  As for the forces this
 * partial derivative is the total one because F is stationary in ψ, f and ρ.  Terms:
 *   kinetic   −Σ w f Σ_G |ψ|² kin'(|q|²/2) q_i q_j                q = k+G, kin' from ecutsm
 *   Hartree   −δ E_H + Ω Σ_G 4π|ρ(G)|² G_i G_j / G⁴
 *   xc        δ (E_xc − ∫V_xc (ρ+ρc)) − Σ_G Re[V_xc(G)* S(G)] c'(|G|) G_i G_j/|G|
 *   local     −δ E_loc − Σ_G Re[S(G)* ρ(G)] v'(|G|) G_i G_j/|G|, v = vloc_short − 4πZ/G²
 *   psp core  −δ E_pspcore (E_pspcore = Σ epsatm · N/Ω)
 *   nonlocal  stress_nonlocal.c;  Ewald: sf_ewald.
 * (S(G) = Σ_atoms of a type e^{−iG·τ}; all G sums over the same set as the energy.)
 */
#include "props_internal.h"
#include "strainfield/core.h"
#include "strainfield/props.h"

#include <math.h>
#include <string.h>

double complex sf_structure_factor(const sf_cell *cell, int itypat, const int g[3]);

static void add_outer(double t[3][3], double w, const double q[3])
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) t[i][j] += w * q[i] * q[j];
}

static int kinetic_dE(sf_scf *s, double dE[3][3])
{
  memset(dE, 0, sizeof(double) * 9);
  for (int j = 0; j < s->nk_local; j++) {
    const sf_pwbasis *pw = &s->pw[j];
    int m;
    double complex *X;
    double *w;
    SF_CHECK(sf_props_my_bands(s, j, &m, &X, &w));
    for (int i = 0; i < pw->npw; i++) {
      double occ = 0.0, dkin;
      for (int n = 0; n < m; n++) {
        double complex x = X[(size_t)n * pw->npw + i];
        occ += w[n] * (creal(x) * creal(x) + cimag(x) * cimag(x));
      }
      sf_kinetic_smoothed(pw->kin_raw[i], s->par.ecut, s->par.ecutsm, &dkin);
      add_outer(dE, -occ * dkin, pw->kpg[i]);
    }
    sf_free(X);
    sf_free(w);
  }
  MPI_Allreduce(MPI_IN_PLACE, dE, 9, MPI_DOUBLE, MPI_SUM, s->comm);
  return SF_OK;
}

/* Hartree, xc (without its δ part), local: the density-space G sums; every rank has ρ
 * and V_xc, so no reduction. */
static int density_dE(sf_scf *s, double dh[3][3], double dxc[3][3], double dloc[3][3])
{
  const sf_cell *cell = s->cell;
  sf_fftbox *box = &s->box;
  memset(dh, 0, sizeof(double) * 9);
  memset(dxc, 0, sizeof(double) * 9);
  memset(dloc, 0, sizeof(double) * 9);
  int has_core = s->H.rhocore_r != NULL;
  double complex *vxc_g = NULL;
  if (has_core) {
    SF_CHECK(sf_calloc((void **)&vxc_g, box->nfft, sizeof *vxc_g));
    sf_fft_r2g(box, s->H.vxc_r, vxc_g);
  }
  double gcut2 = s->H.gcut_dens * s->H.gcut_dens;
  for (int i = 0; i < box->nfft; i++) {
    const int *g = box->gvec[i];
    double q[3];
    sf_cell_gcart(cell, g, q);
    double g2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
    if (g2 > gcut2 || g2 == 0.0) continue;
    double gn = sqrt(g2);
    double complex rho = s->rho_g[i];
    add_outer(dh, cell->ucvol * 4.0 * M_PI * (creal(rho) * creal(rho) + cimag(rho) * cimag(rho)) / (g2 * g2), q);
    for (int it = 0; it < cell->ntypat; it++) {
      const sf_psp *p = &s->psps[it];
      double complex sg = sf_structure_factor(cell, it, g);
      double dv = sf_qtable_deriv(&p->vloc_short, gn) + 8.0 * M_PI * p->zion / (g2 * gn);
      add_outer(dloc, -creal(conj(sg) * rho) * dv / gn, q);
      if (has_core && p->has_core)
        add_outer(dxc, -creal(conj(vxc_g[i]) * sg) * sf_qtable_deriv(&p->core, gn) / gn, q);
    }
  }
  sf_free(vxc_g);
  return SF_OK;
}

int sf_stress_terms(sf_scf *s, double st[SF_STRESS_NTERMS][3][3])
{
  const sf_cell *cell = s->cell;
  const sf_ham *H = &s->H;
  double omega = cell->ucvol;
  memset(st, 0, sizeof(double) * 9 * SF_STRESS_NTERMS);
  SF_CHECK(kinetic_dE(s, st[SF_STRESS_KINETIC]));
  SF_CHECK(density_dE(s, st[SF_STRESS_HARTREE], st[SF_STRESS_XC], st[SF_STRESS_LOCAL]));
  SF_CHECK(sf_stress_nonlocal_dE(s, st[SF_STRESS_NONLOCAL]));

  /* diagonal (volume) parts: energies of the final density and potentials */
  double vxc_core = 0.0;
  if (H->rhocore_r) {
    for (int i = 0; i < s->box.nfft; i++) vxc_core += H->vxc_r[i] * H->rhocore_r[i];
    vxc_core *= omega / s->box.nfft;
  }
  double eloc = sf_ham_local_energy(H, s->rho_g);
  double epspcore = H->epsatm_sum * s->nelect / omega;
  for (int i = 0; i < 3; i++) {
    st[SF_STRESS_HARTREE][i][i] -= H->hartree_energy;
    st[SF_STRESS_XC][i][i] += H->exc_energy - H->vxc_rho - vxc_core;
    st[SF_STRESS_LOCAL][i][i] -= eloc;
    st[SF_STRESS_PSPCORE][i][i] -= epspcore;
  }
  for (int t = 0; t < SF_STRESS_NTERMS; t++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) st[t][i][j] /= omega;

  double ev[6];
  SF_CHECK(sf_ewald(cell, NULL, NULL, ev));
  static const int va[6] = {0, 1, 2, 1, 0, 0}, vb[6] = {0, 1, 2, 2, 2, 1};
  for (int v = 0; v < 6; v++) st[SF_STRESS_EWALD][va[v]][vb[v]] = st[SF_STRESS_EWALD][vb[v]][va[v]] = ev[v];
  return SF_OK;
}

int sf_scf_stress(sf_scf *s, double stress[3][3])
{
  double st[SF_STRESS_NTERMS][3][3];
  SF_CHECK(sf_stress_terms(s, st));
  memset(stress, 0, sizeof(double) * 9);
  for (int t = 0; t < SF_STRESS_NTERMS; t++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) stress[i][j] += st[t][i][j];
  /* the k-point and band sums run over the irreducible wedge: average over the group */
  sf_props_symmetrize_tensor(s, stress);
  return SF_OK;
}
