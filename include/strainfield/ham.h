/* ham.h — the Kohn-Sham Hamiltonian and the contract of its terms.
 *
 * Owns: the potentials on the FFT box (sf_ham), the per-k-point projector tables, the
 * application of H to a block of bands, and the term contract: each term of the energy
 * (terms.h lists them) is one sf_term in one file of src/ham/, holding its potential,
 * its energy, its forces and its stress, evaluated on a state view (sf_term_state) that
 * the caller fills — sf_scf for its own state, or anyone for an arbitrary density and
 * set of orbitals.  The SCF energy, the forces and the stress loop over sf_terms[].
 *
 * Files: terms.c (the table, the loops over it, the band helper of the view);
 * kinetic.c, hartree.c, xc_term.c (xc.c is the libxc wrapper, xc.h), local.c,
 * nonlocal.c + nonlocal_deriv.c, ewald.c (wraps crystal's sf_ewald), psp_core.c;
 * core_charge.c (the model core density of the xc term and its forces);
 * hamiltonian.c assembles V_eff and applies H = T + V_eff + V_nl.
 *
 * Cutoff convention (ABINIT's gsqcut): V_loc(G), V_H(G) and ρ_core(G) are zero for
 * |G| > gcut_dens = min(2, boxcut)·sqrt(2 ecut), the sphere that ψ*ψ can reach.
 */
#ifndef STRAINFIELD_HAM_H
#define STRAINFIELD_HAM_H

#include <complex.h>
#include <mpi.h>

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
  /* depend on the density (the potential of each term, sf_terms_potentials) */
  double *vh_r, *vxc_r, *veff_r; /* [nfft] */
  double complex *vh_g;     /* [nfft] */
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
/* core_charge.c: model core density on the box (nothing if no psp has one). */
int sf_ham_core_build(sf_ham *H);
/* V_eff = V_loc + V_H + V_xc on the box. */
void sf_ham_veff(sf_ham *H);

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

/* ---- The term contract ------------------------------------------------------------
 *
 * A view of one electronic state: what a term needs to evaluate itself.  Nothing in it
 * is owned; the caller keeps every array alive.  Band sums are split like the SCF's:
 * local k-point j is global k-point k_index[j]; of its nband bands this rank takes
 * n ≡ band_rank (mod band_size), with weight wtk[k]·occ[k·nband + n]; the band terms
 * sum over `comm`, so every rank of it gets the same numbers. */
typedef struct {
  const sf_ham *H;              /* geometry: cell, pseudopotentials, box, cutoff, V_loc, ρ_core, xc */
  const double *rho_r;          /* [nfft] valence density (e/Bohr^3) */
  const double complex *rho_g;  /* [nfft] its Fourier coefficients */
  int nk;                       /* local k-points */
  const int *k_index;           /* [nk] global index of each */
  const sf_pwbasis *pw;         /* [nk] */
  double complex *const *psi;   /* [nk][nband·npw] */
  int nband, band_rank, band_size;
  const double *wtk, *occ;      /* [nkpt], [nkpt·nband] */
  double ecut, ecutsm;          /* the kinetic energy's smoothing (pw.h) */
  const double *enl_band;       /* [nk·nband] ⟨ψ|V_nl|ψ⟩ if already known, else NULL */
  /* the projector table of local k-point j (kept by the caller, which may build it now) */
  int (*projectors)(void *ctx, int j, const sf_nonlocal_k **nl);
  void *projectors_ctx;
  MPI_Comm comm;                /* the ranks sharing the k-points and bands */
} sf_term_state;

/* One term.  Every pointer but energy may be NULL:
 *   potential  its density-dependent local potential, written into H (V_H, V_xc); NULL when
 *              it has none or the geometry fixes it (V_loc: sf_ham_local_build).  Operators
 *              (kinetic, nonlocal) are applied by sf_ham_apply.
 *   energy     its energy (Ha) for the state.
 *   forces     raw −∂E/∂τ (Cartesian Ha/Bohr, [natom][3], overwritten): NULL = the energy
 *              does not depend on the positions explicitly.
 *   stress     raw (1/Ω) ∂E/∂ε (Ha/Bohr^3, overwritten): NULL only if it is zero.
 *   depends    what its energy depends on besides the geometry (SF_DEPENDS_*): a term of
 *              the geometry alone is evaluated once per SCF run, not per iteration.
 * "Raw": not symmetrised, mean force not removed (props.h does both on the sum). */
enum {
  SF_DEPENDS_GEOMETRY = 1, /* cell, atoms and pseudopotentials only (Ewald, psp core) */
  SF_DEPENDS_ORBITALS = 2, /* the bands and occupations (kinetic, nonlocal) */
  SF_DEPENDS_DENSITY = 4,  /* the density (Hartree, xc, local) */
  SF_DEPENDS_ALL = 7
};
typedef struct {
  int depends;
  int (*potential)(sf_ham *H, const sf_term_state *v);
  int (*energy)(const sf_term_state *v, double *energy);
  int (*forces)(const sf_term_state *v, double (*f)[3]);
  int (*stress)(const sf_term_state *v, double sigma[3][3]);
} sf_term;

/* The table, indexed by SF_TERM_*; sf_terms[t]'s name is sf_term_names[t]. */
extern const sf_term *const sf_terms[SF_NTERM];

/* E[t] for every term of the state (the energies of an arbitrary density and orbitals). */
int sf_terms_energies(const sf_term_state *v, double E[SF_NTERM]);
/* E[t] for the terms whose `depends` is in the mask `kinds` (SF_DEPENDS_*); the other
 * entries of E are left as they are. */
int sf_terms_energies_of(const sf_term_state *v, int kinds, double E[SF_NTERM]);
/* The xc term's pieces from one libxc evaluation on ρ + ρ_core: V_xc into vxc [nfft],
 * E_xc and ∫V_xc ρ over the valence ρ (either may be NULL). */
int sf_xc_term_eval(const sf_ham *H, const double *rho_r, double *vxc, double *exc_energy, double *vxc_rho);
/* Every term's potential from the state's density, then V_eff. */
int sf_terms_potentials(sf_ham *H, const sf_term_state *v);
/* The bands this rank handles at local k-point j, copied into a contiguous block X
 * [m·npw] with their weights w [m] (both allocated here, at least one element). */
int sf_term_state_my_bands(const sf_term_state *v, int j, int *m, double complex **X, double **w);

#endif
