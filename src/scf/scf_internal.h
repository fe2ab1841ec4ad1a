/* scf_internal.h — what scf.c (the loop) and scf_energy.c (energies and fields of a
 * state) share inside src/scf; nothing outside the folder includes it. */
#ifndef STRAINFIELD_SCF_INTERNAL_H
#define STRAINFIELD_SCF_INTERNAL_H
#include "strainfield/scf.h"

/* Σ_k Σ_n weight(k,n)·|u_nk(r)|²/Ω over all k-points and bands, symmetrised, into f
 * [nfft] on every rank (weight [nkpt*nband] includes the k-point weight). */
int sf_scf_band_sum_field(sf_scf *s, const double *weight, double *f);
/* s->E of the output state: band terms from ψ (the nonlocal one as the diagonalisation
 * left it), density terms from ρ_out (rho_out, rho_out_g); U from the eigenvalues with
 * weights wgt.  The geometry terms in s->E.term are left as they are. */
int sf_scf_output_energies(sf_scf *s, const double *rho_out, const double complex *rho_out_g, const double *wgt,
                           double entropy_term);
/* With s->E the output energies of orbitals solved in V_eff[ρ_in] (ρ_in in s->rho_r, the
 * potentials of ρ_in in H): *orbital = the same energy with its density terms at ρ_in,
 * and *harris = *orbital + ∫V_eff[ρ_in](ρ_out − ρ_in), the Harris-Foulkes energy. */
int sf_scf_input_energies(sf_scf *s, const double *rho_out, double *orbital, double *harris);
/* The occupation weights w_k f_nk [nkpt*nband] of the current occupations. */
void sf_scf_occupation_weights(const sf_scf *s, double *wgt);
#endif
