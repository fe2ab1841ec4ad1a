/* stress.c — the analytic stress tensor of a converged ground state (props.h): the sum of
 * every term's raw stress (ham.h's table, sf_terms[t]->stress), symmetrised over the
 * space group.
 *
 * σ_ij = (1/Ω) ∂F/∂ε_ij under the homogeneous strain r → (1+ε) r with reduced
 * coordinates, the plane-wave coefficients ψ(G) and the charges Ωρ(G) held fixed; then
 * G → (1−εᵀ) G, so ∂|G|²/∂ε_ij = −2 G_i G_j, and Ω → Ω(1 + tr ε).  As for the forces this
 * partial derivative is the total one because F is stationary in ψ, f and ρ.  Each term's
 * file in src/ham/ gives its formula.
 */
#include "props_internal.h"
#include "strainfield/core.h"
#include "strainfield/props.h"

#include <string.h>

int sf_stress_terms(sf_scf *s, double st[SF_NTERM][3][3])
{
  sf_term_state v;
  sf_scf_term_state(s, &v);
  memset(st, 0, sizeof(double) * 9 * SF_NTERM);
  for (int t = 0; t < SF_NTERM; t++)
    if (sf_terms[t]->stress) SF_CHECK(sf_terms[t]->stress(&v, st[t]));
  return SF_OK;
}

int sf_scf_stress(sf_scf *s, double stress[3][3])
{
  double st[SF_NTERM][3][3];
  SF_CHECK(sf_stress_terms(s, st));
  memset(stress, 0, sizeof(double) * 9);
  for (int t = 0; t < SF_NTERM; t++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) stress[i][j] += st[t][i][j];
  /* the k-point and band sums run over the irreducible wedge: average over the group */
  sf_props_symmetrize_tensor(s, stress);
  return SF_OK;
}
