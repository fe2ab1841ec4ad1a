/* core_charge.c — the model core charge of nonlinear core correction: ρ_core on the box,
 * added to the valence density wherever exchange-correlation is evaluated (xc_term.c),
 * and the forces it carries: ρ_core(G) = Σ_a S_a(G) c_a(|G|)/Ω moves with the atoms, so
 *   F_a = Σ_G G c_a(|G|) Im[e^{iG·τ_a} V_xc(G)]       (0 < |G| ≤ gcut_dens). */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

int sf_ham_core_build(sf_ham *H)
{
  const sf_cell *cell = H->cell;
  int any = 0, st = SF_OK;
  for (int it = 0; it < cell->ntypat; it++) any |= H->psps[it].has_core;
  if (!any) return SF_OK;
  sf_fftbox *box = H->box;
  double complex *cg = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&cg, box->nfft, sizeof *cg));
  if (!H->rhocore_r) SF_CHECK_GOTO(sf_calloc((void **)&H->rhocore_r, box->nfft, sizeof *H->rhocore_r));
  double gcut2 = H->gcut_dens * H->gcut_dens;
  for (int i = 0; i < box->nfft; i++) {
    const int *g = box->gvec[i];
    double q[3];
    double g2 = sf_cell_gcart(cell, g, q);
    if (g2 > gcut2) continue; /* G = 0 included: the core charge itself */
    double complex v = 0.0;
    for (int it = 0; it < cell->ntypat; it++)
      if (H->psps[it].has_core) v += sf_structure_factor(cell, it, g) * sf_qtable_eval(&H->psps[it].core, sqrt(g2));
    cg[i] = v / cell->ucvol;
  }
  sf_fft_g2r(box, cg, H->rhocore_r);
cleanup:
  sf_free(cg);
  return st;
}

/* c(|G|) of a species, 0 without a core charge. */
static double core_q(const sf_psp *p, double gn, double g2)
{
  (void)g2;
  return p->has_core ? sf_qtable_eval(&p->core, gn) : 0.0;
}

int sf_core_charge_forces(const sf_term_state *v, double (*f)[3])
{
  const sf_ham *H = v->H;
  const int nfft = H->box->nfft;
  int st = SF_OK;
  double *vxc = NULL;
  double complex *vxc_g = NULL;
  if (!H->rhocore_r) {
    memset(f, 0, sizeof(double) * 3 * H->cell->natom);
    return SF_OK;
  }
  SF_CHECK_GOTO(sf_calloc((void **)&vxc, nfft, sizeof *vxc));
  SF_CHECK_GOTO(sf_calloc((void **)&vxc_g, nfft, sizeof *vxc_g));
  SF_CHECK_GOTO(sf_xc_term_eval(H, v->rho_r, vxc, NULL, NULL));
  sf_fft_r2g(H->box, vxc, vxc_g);
  sf_ham_sphere_forces(H, vxc_g, core_q, f);
cleanup:
  sf_free(vxc);
  sf_free(vxc_g);
  return st;
}
