/* psp_core.c — ABINIT's "psp core" energy E = Σ_atoms epsatm · N/Ω: the G = 0 average of
 * each local pseudopotential beyond its −Z/r tail (epsatm, pseudo.h), which V_loc(G)
 * leaves out, acting on the N electrons.  It depends on the positions not at all and
 * on the strain through Ω only: ∂E/∂ε_ij = −δ_ij E. */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <string.h>

static int psp_core_energy(const sf_term_state *v, double *energy)
{
  const sf_cell *cell = v->H->cell;
  double epsatm_sum = 0.0;
  for (int ia = 0; ia < cell->natom; ia++) epsatm_sum += v->H->psps[cell->typat[ia]].epsatm;
  *energy = epsatm_sum * v->H->nelect / cell->ucvol;
  return SF_OK;
}

static int psp_core_stress(const sf_term_state *v, double sigma[3][3])
{
  double e;
  SF_CHECK(psp_core_energy(v, &e));
  memset(sigma, 0, sizeof(double) * 9);
  for (int i = 0; i < 3; i++) sigma[i][i] -= e;
  sf_tensor_div(sigma, v->H->cell->ucvol);
  return SF_OK;
}

const sf_term sf_term_psp_core = {.depends = SF_DEPENDS_GEOMETRY, .energy = psp_core_energy, .stress = psp_core_stress};
