/* props_internal.h — the per-term results behind sf_scf_forces / sf_scf_stress, for the
 * unit tests that look at each contribution separately, and the symmetrisations.
 *
 * Per-term results are "raw" (ham.h's term contract): not symmetrised over the space
 * group, mean force not removed, stress tensor not made symmetric.  The public
 * sf_scf_forces / sf_scf_stress (props.h) add the terms and then do those three things.
 */
#ifndef STRAINFIELD_PROPS_INTERNAL_H
#define STRAINFIELD_PROPS_INTERNAL_H

#include "strainfield/scf.h"

/* f[t] is [natom][3], Cartesian Ha/Bohr, raw; zero for a term without forces. */
int sf_forces_terms(sf_scf *s, double (*f[SF_NTERM])[3]);
/* st[t] = (1/Ω) ∂E_t/∂ε, raw; zero for a term without stress. */
int sf_stress_terms(sf_scf *s, double st[SF_NTERM][3][3]);

/* Symmetrisation over s->sym (rotations act on reduced coordinates). */
int sf_props_symmetrize_forces(const sf_scf *s, double (*f)[3]);
void sf_props_symmetrize_tensor(const sf_scf *s, double t[3][3]);

#endif
