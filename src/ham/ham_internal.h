/* ham_internal.h — what the term files of src/ham/ share: the term objects the table
 * points to, the density-sphere test, the structure factor, the xc evaluation that the
 * xc term and the core charge both use, and small tensor helpers. */
#ifndef STRAINFIELD_HAM_INTERNAL_H
#define STRAINFIELD_HAM_INTERNAL_H

#include "strainfield/ham.h"

/* One object per term, sf_term_<name>, each defined in its own file. */
#define SF_TERM_DECLARE_(id, name) extern const sf_term sf_term_##name;
SF_TERMS(SF_TERM_DECLARE_)
#undef SF_TERM_DECLARE_

/* Cartesian G of box point i in q, |G|² in *g2; true when 0 < |G| ≤ gcut_dens, the G set
 * of V_loc, V_H and their derivatives (G = 0 is the neutralising background). */
static inline int sf_ham_in_sphere(const sf_ham *H, int i, double q[3], double *g2)
{
  *g2 = sf_cell_gcart(H->cell, H->box->gvec[i], q);
  return *g2 != 0.0 && !(*g2 > H->gcut_dens * H->gcut_dens);
}

/* local.c: e^{-2πi g·xred} summed over the atoms of one type. */
double complex sf_structure_factor(const sf_cell *cell, int itypat, const int g[3]);

/* local.c: F_a = Σ_G G radial_a(|G|) Im[e^{iG·τ_a} x(G)] over the density sphere, the force of
 * an energy Σ_G Σ_a Re[S_a(G)* radial_a x(G)] (local: x = ρ; core charge: x = V_xc). */
void sf_ham_sphere_forces(const sf_ham *H, const double complex *x_g,
                          double (*radial)(const sf_psp *p, double gn, double g2), double (*f)[3]);

/* xc_term.c: V_xc[ρ + ρ_core] into vxc [nfft], with E_xc = ∫ e_xc(ρ + ρ_core) and ∫ V_xc ρ
 * (either pointer may be NULL). */
/* xc_gga.c: a GGA on the box for the total density rt: exc, V_xc, and Σ_r 2 ∂e/∂σ ∂_iρ ∂_jρ. */
int sf_xc_gga_box(const sf_ham *H, const double *rt, double *exc, double *vxc, double gsum[3][3]);
/* core_charge.c: the xc term's forces, through the model core charge's positions. */
int sf_core_charge_forces(const sf_term_state *st, double (*f)[3]);

/* nonlocal_deriv.c: the nonlocal term's forces and stress (entries of sf_term_nonlocal_psp). */
int sf_nonlocal_forces(const sf_term_state *v, double (*f)[3]);
int sf_nonlocal_stress(const sf_term_state *v, double sigma[3][3]);

/* Voigt order xx yy zz yz xz xy: component v is (sf_voigt_i[v], sf_voigt_j[v]). */
extern const int sf_voigt_i[6], sf_voigt_j[6];

static inline void sf_add_outer(double t[3][3], double w, const double q[3])
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) t[i][j] += w * q[i] * q[j];
}

/* t /= d elementwise (a division, as the stress was always scaled: bitwise stable). */
static inline void sf_tensor_div(double t[3][3], double d)
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) t[i][j] /= d;
}

#endif
