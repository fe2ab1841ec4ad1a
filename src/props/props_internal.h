/* props_internal.h — pieces shared by forces.c, stress.c and stress_nonlocal.c, and the
 * per-term entry points the unit tests use to look at each contribution separately.
 *
 * Per-term results are "raw": not symmetrised over the space group, mean force not
 * removed, stress tensor not made symmetric.  The public sf_scf_forces / sf_scf_stress
 * (props.h) add the terms and then do those three things.
 */
#ifndef STRAINFIELD_PROPS_INTERNAL_H
#define STRAINFIELD_PROPS_INTERNAL_H

#include "strainfield/scf.h"

enum { SF_FORCE_LOCAL, SF_FORCE_NONLOCAL, SF_FORCE_EWALD, SF_FORCE_CORE, SF_FORCE_NTERMS };
enum {
  SF_STRESS_KINETIC, SF_STRESS_HARTREE, SF_STRESS_XC, SF_STRESS_LOCAL, SF_STRESS_NONLOCAL,
  SF_STRESS_EWALD, SF_STRESS_PSPCORE, SF_STRESS_NTERMS
};

/* f[term] is [natom][3], Cartesian Ha/Bohr, raw (see above). */
int sf_forces_terms(sf_scf *s, double (*f[SF_FORCE_NTERMS])[3]);
/* st[term] = (1/Ω) ∂E_term/∂ε, raw. */
int sf_stress_terms(sf_scf *s, double st[SF_STRESS_NTERMS][3][3]);
/* stress_nonlocal.c: the nonlocal term, ∂E_nl/∂ε_ij (not divided by Ω). */
int sf_stress_nonlocal_dE(sf_scf *s, double dE[3][3]);

/* Symmetrisation over s->sym (rotations act on reduced coordinates). */
int sf_props_symmetrize_forces(const sf_scf *s, double (*f)[3]);
void sf_props_symmetrize_tensor(const sf_scf *s, double t[3][3]);

/* The bands this rank handles at local k-point j (as scf.c's band_energies: band n is
 * done by rank n mod size of band_comm), copied into a contiguous block with their
 * weights w_k f_nk.  *mine is the count; X and w are allocated here. */
int sf_props_my_bands(const sf_scf *s, int j, int *mine, double complex **X, double **w);
/* Atom index of each projector of sf_nonlocal_build's ordering; [nproj], allocated here. */
int sf_props_projector_atoms(const sf_scf *s, int **atom);

/* src/pseudo/ylm_deriv.c: real Y_lm as sf_ylm_real and the Cartesian gradient
 * dylm[lm][c] = ∂Y_lm(x/|x|)/∂x_c (zero at x = 0). */
void sf_ylm_real_grad(const double x[3], double ylm[16], double dylm[16][3]);

#endif
