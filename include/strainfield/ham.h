/* ham.h — the Kohn-Sham Hamiltonian, one file per term (as DFTK): kinetic.c, local.c,
 * nonlocal.c, hartree.c, xc.c (libxc, see xc.h), core.c (model core charge);
 * hamiltonian.c assembles the effective potential and applies H to a block of bands.
 *
 * Owns: the potentials on the FFT box and the per-k-point projector tables.  The ion-ion
 * term (Ewald) lives in crystal.h because it needs no electrons.
 *
 * Cutoff convention (ABINIT's gsqcut): V_loc(G), V_H(G) and ρ_core(G) are zero for
 * |G| > gcut_dens = min(2, boxcut)·sqrt(2 ecut), the sphere that ψ*ψ can reach.
 */
#ifndef STRAINFIELD_HAM_H
#define STRAINFIELD_HAM_H

#include <complex.h>

#include "strainfield/crystal.h"
#include "strainfield/pseudo.h"
#include "strainfield/pw.h"
#include "strainfield/terms.h"
#include "strainfield/xc.h"

typedef struct {
  const sf_cell *cell;
  const sf_psp *psps;       /* [ntypat] */
  sf_fftbox *box;
  const sf_xc *xc;
  double gcut_dens;         /* Bohr^-1 */
  double nelect;
  /* fixed by the geometry */
  double complex *vloc_g;   /* [nfft] V_loc(G), G=0 set to 0 (its average is E_psp_core) */
  double *vloc_r;           /* [nfft] */
  double *rhocore_r;        /* [nfft] core density, NULL without NLCC */
  double epsatm_sum;        /* Σ_atoms epsatm */
  /* depend on the density */
  double *vh_r, *vxc_r, *veff_r; /* [nfft] */
  double complex *vh_g;     /* [nfft] */
  double exc_energy, vxc_rho; /* ∫exc(ρ+ρc), ∫vxc ρ */
  double hartree_energy;
} sf_ham;

typedef struct {
  int nproj;                /* Σ over atoms, l, m, i */
  double complex *proj;     /* [nproj][npw]: projector j is proj + j*npw */
  double *ekb;              /* [nproj] */
} sf_nonlocal_k;

int sf_ham_create(const sf_cell *cell, const sf_psp *psps, sf_fftbox *box, const sf_xc *xc,
                  double ecut, double nelect, sf_ham *H);
void sf_ham_free(sf_ham *H);

/* local.c: V_loc on the box for the current atom positions. */
int sf_ham_local_build(sf_ham *H);
/* core.c: model core density on the box (nothing if no psp has one). */
int sf_ham_core_build(sf_ham *H);
/* hartree.c + xc: potentials and energies from the valence density ρ(r) and ρ(G). */
int sf_ham_hartree(sf_ham *H, const double complex *rho_g);
int sf_ham_xc(sf_ham *H, const double *rho_r);
/* V_eff = V_loc + V_H + V_xc on the box. */
void sf_ham_veff(sf_ham *H);
/* ∫ V_loc ρ  = Ω Σ_G V_loc(G)^* ρ(G). */
double sf_ham_local_energy(const sf_ham *H, const double complex *rho_g);

/* nonlocal.c */
/* e^{-i(k+G)·τ_ia}/√Ω for every plane wave of pw: the atom's factor in its projectors. */
void sf_nonlocal_phase(const sf_cell *cell, const sf_pwbasis *pw, int ia, double complex *phase);
int sf_nonlocal_build(const sf_ham *H, const sf_pwbasis *pw, sf_nonlocal_k *nl);
void sf_nonlocal_free(sf_nonlocal_k *nl);
/* Y += V_nl X for m bands (two ZGEMMs through the projector coefficients P^H X). */
int sf_nonlocal_apply(const sf_nonlocal_k *nl, int npw, int m, const double complex *X,
                      double complex *Y);
/* e[n] = ⟨x_n|V_nl|x_n⟩ = Σ_j ekb_j |⟨p_j|x_n⟩|² for m bands. */
int sf_nonlocal_band_energies(const sf_nonlocal_k *nl, int npw, int m, const double complex *X, double *e);

/* hamiltonian.c: H X for m bands at one k-point. */
typedef struct {
  sf_ham *H;
  const sf_pwbasis *pw;
  const sf_nonlocal_k *nl;
} sf_ham_k;
int sf_ham_apply(void *ctx, int m, const double complex *X, double complex *Y);
/* |u_n(r)|² accumulated with weight w into rho (nfft) for m bands (a real-space helper for
 * densities and the u, s fields). */
void sf_ham_accumulate_density(sf_fftbox *box, const sf_pwbasis *pw, int m,
                               const double complex *X, const double *w, double *rho);

#endif
