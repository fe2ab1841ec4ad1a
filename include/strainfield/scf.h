/* scf.h — one Kohn-Sham ground state: the self-consistent field loop and its results.
 *
 * Owns: the state of one calculation (bases, wavefunctions, density, potentials) in one
 * struct, so a rank group can run many samples in turn; the SCF iteration (eigensolver →
 * occupations → density → mixing) with its stopping rules; the energy decomposition in
 * ABINIT's terms; the fields ρ, φ, u, s on the FFT box.
 *
 * Parallel layout: k-points are spread over k-point groups; inside a group the bands of
 * every H application are spread over the group's ranks (band groups).  Sums over
 * k-points and bands go through MPI_Allreduce on `comm`, so every rank ends with the
 * same density, eigenvalues and energies.
 */
#ifndef STRAINFIELD_SCF_H
#define STRAINFIELD_SCF_H

#include <complex.h>
#include <mpi.h>

#include "strainfield/crystal.h"
#include "strainfield/eigensolver.h"
#include "strainfield/ham.h"
#include "strainfield/layout.h"
#include "strainfield/mixing.h"
#include "strainfield/pseudo.h"
#include "strainfield/pw.h"
#include "strainfield/terms.h"
#include "strainfield/xc.h"

/* At most this many k-mesh shifts (ABINIT allows 210; 4 covers fcc, 2 bcc). */
#define SF_MAX_NSHIFTK 8

typedef struct {
  double ecut, ecutsm;
  int ngfft[3];            /* 0,0,0 = ABINIT's default for ecut */
  int ngkpt[3];
  int kptrlatt[3][3];      /* ABINIT's kptrlatt, [i][j] = kptrlatt(i+1,j+1); all 0 = diag(ngkpt) */
  int nshiftk;             /* shifts of the mesh (ABINIT's nshiftk); 0 is taken as 1 */
  double shiftk[SF_MAX_NSHIFTK][3];
  int nband;
  int occopt;
  double tsmear;
  int ixc;
  double toldfe;           /* stop when |ΔF| < toldfe twice in a row */
  double tolrho;           /* and/or when the density residual (e/cell) < tolrho; 0 = off */
  int nstep;
  int nosym;               /* 1: no symmetry (identity only; time reversal still used) */
  int eig_maxiter;         /* eigensolver iterations per SCF step */
  int eig_maxiter_first;   /* ... in the first step from random wavefunctions */
  double eig_tol;
  sf_mixer_params mix;
  int nkpt_groups;         /* 0 = automatic */
  int nband_groups;        /* 0 = automatic */
  int slk_min_order;       /* band groups use ScaLAPACK for subspaces of this order or more */
  int nl_keep;             /* 1: keep every k-point's projector table (memory ∝ nkpt); 0: build
                            * each when it is used, as ABINIT does (~1% more time) */
  double deadline;         /* sf_wtime() after which sf_scf_run gives up (SF_ERR_NOCONV with
                            * sf_scf.timed_out set): a campaign's -sample_timeout; 0 = none */
  void (*iteration_hook)(void *ctx); /* called on every rank before each SCF iteration (the
                            * campaign's test-only kill point); NULL = none */
  void *hook_ctx;
} sf_scf_params;

typedef struct {
  double term[SF_NTERM];   /* indexed by SF_TERM_* (terms.h); their sum is `internal` */
  double band;             /* U = Σ_k w_k Σ_n f_nk ε_nk */
  double entropy_term;     /* −T S */
  double internal;         /* all terms but −TS */
  double free;             /* F = internal + entropy_term (ABINIT's etotal) */
} sf_energies;

typedef struct {
  sf_scf_params par;
  const sf_cell *cell;
  const sf_psp *psps;
  double nelect;
  MPI_Comm comm;           /* all ranks of this calculation */
  sf_layout layout;        /* k-point groups x band groups of comm; the bands of a
                            * k-point are spread over the ranks of layout.kpt */
  int nkpt_groups, my_kpt_group;
  sf_symmetry sym;
  sf_kpoints kp;
  sf_fftbox box;
  sf_xc *xc;
  sf_ham H;
  /* k-points owned by this rank's k group */
  int nk_local;
  int *k_local;            /* global indices */
  sf_pwbasis *pw;          /* [nk_local] */
  sf_nonlocal_k *nl;       /* [nk_local] with par.nl_keep, else [1] holding local k-point nl_k */
  int nl_k;                /* which local k-point nl[0] holds without nl_keep (−1: none) */
  double complex **psi;    /* [nk_local][nband*npw] */
  double *eig, *occ, *resid; /* [nkpt*nband], on every rank */
  double *enl_band;        /* [nk_local*nband] ⟨ψ|V_nl|ψ⟩ per band, from the last
                              diagonalisation (while its projectors were in memory) */
  double fermi;
  double *rho_r;           /* [nfft] valence density (e/Bohr^3) */
  double complex *rho_g;
  sf_energies E;
  int iterations, converged;
  int timed_out;           /* the last sf_scf_run stopped at par.deadline */
  int iterations_done;     /* diagonalisations so far: occupations of the last one exist */
  int density_given;       /* sf_scf_set_density was called: the first run starts from
                            * s->rho_r instead of the uniform density */
  sf_eigen_workspace *eig_ws; /* eigensolver scratch shared by the k-points */
  double *hist_energy, *hist_dfe, *hist_resid; /* [nstep] */
} sf_scf;

/* Sets up symmetry, k-points, the FFT box, bases, projectors; does not iterate. */
/* 1 if par gives ABINIT's kptrlatt (any non-zero entry), 0 if the mesh is diag(ngkpt). */
int sf_scf_params_has_kptrlatt(const sf_scf_params *par);
int sf_scf_setup(sf_scf *s, const sf_scf_params *par, const sf_cell *cell, const sf_psp *psps,
                 MPI_Comm comm);
/* Runs the SCF loop; SF_ERR_NOCONV when nstep is exhausted (the state is kept).  Before
 * each iteration the ranks of comm agree on a stop: a signal (sf_stop_requested) gives
 * SF_STOPPED, the deadline SF_ERR_NOCONV with timed_out = 1. */
int sf_scf_run(sf_scf *s);
/* ρ, φ = V_H + V_loc, u (band-energy density), s (entropy density) on the box, from the
 * converged state.  Each is [nfft] and must be allocated by the caller. */
int sf_scf_fields(sf_scf *s, double *rho, double *phi, double *u, double *sdens);
void sf_scf_free(sf_scf *s);
/* A warm start: the next sf_scf_run (the first, before any iteration) starts from the
 * valence density rho [nfft] (e/Bohr^3, the box's grid order, that of the fields file)
 * instead of the uniform one.  The density is renormalised to nelect (the correction is
 * logged at verbosity 2); a density with no positive charge is SF_ERR_INPUT.  The first
 * diagonalisation (random wavefunctions) is in V[rho] and is repeated, at fixed density,
 * until converged (sf_scf_solve_fixed_density's passes); its energy change is measured against the Harris-Foulkes energy of rho, so a
 * converged rho stops after 2 iterations.  Collective only in that every rank must call it
 * with the same rho. */
int sf_scf_set_density(sf_scf *s, const double *rho);
/* H[ρ] of the density in s->rho_r / rho_g diagonalised once to convergence, without
 * mixing or self-consistency (the first step of a warm start does the same): potentials,
 * passes of eig_maxiter_first LOBPCG iterations until the band energy moves by less than
 * toldfe/10, then occupations (s->eig, occ, fermi, psi, and −TS in s->E.entropy_term).
 * The density is not changed. */
int sf_scf_solve_fixed_density(sf_scf *s);
/* The energies of that one diagonalisation at the input density ρ_in = s->rho_r (after
 * sf_scf_set_density and sf_scf_solve_fixed_density; `evaluate`'s routes, docs/physics.md
 * "energy routes"):
 *   orbital  T[ψ] + E_nl[ψ] − TS[f] from the orbitals, E_loc + E_H + E_xc at ρ_in, and the
 *            geometry terms (Ewald, psp core): the paper's route;
 *   harris   the Harris-Foulkes energy: orbital + ∫V_eff[ρ_in](ρ_out − ρ_in), stationary
 *            in ρ_in (its error is second order in ρ_in − ρ_scf);
 *   scf      the Kohn-Sham F of the orbitals with their own density ρ_out (one SCF step);
 *   band     U = Σ w f ε; entropy_term −TS.
 * All three equal F when ρ_in is self-consistent.  ρ_out goes to rho_out [nfft] (may be
 * NULL); s->E becomes the output state's energies (s->rho_r stays ρ_in, so a following
 * sf_scf_run starts from ρ_in).  Collective over s->comm. */
typedef struct {
  double orbital, harris, scf, band, entropy_term;
} sf_nsc_energies;
int sf_scf_nsc_energies(sf_scf *s, double *rho_out, sf_nsc_energies *e);
/* After the atoms of the cell moved (same lattice): rebuilds the geometry-dependent
 * parts (local potential, core charge, projectors); wavefunctions and density are kept
 * as the warm start of the next sf_scf_run. */
int sf_scf_update_geometry(sf_scf *s);
/* After the lattice of the cell changed (the caller has called sf_cell_finish): rebuilds
 * the bases (same k-points in reduced coordinates, same FFT box) and every
 * metric-dependent table; wavefunctions are carried over by G vector and the density
 * by reduced coordinates, as the warm start.  The symmetry found at setup is kept: the
 * caller deforms the cell in ways that preserve it. */
int sf_scf_update_cell(sf_scf *s);
/* The view of the state that the Hamiltonian's terms act on (ham.h): this rank's k-points
 * and bands, the density s->rho_r / s->rho_g; the caller may point rho_r / rho_g, psi or
 * occ elsewhere to evaluate the terms (sf_terms_energies) on another state. */
void sf_scf_term_state(sf_scf *s, sf_term_state *v);
/* The projector table of local k-point j (index into k_local): the stored one with
 * par.nl_keep, else built now into the single slot (kept until another k-point asks). */
int sf_scf_projectors(sf_scf *s, int j, const sf_nonlocal_k **nl);

/* symmetrize.c: drop operations whose rotation does not map the FFT grid onto itself
 * (returns how many were dropped), and average a real field over the remaining group. */
int sf_symmetry_restrict_to_grid(sf_symmetry *sym, const int n[3], int *ndropped);
int sf_symmetrize_field(const sf_symmetry *sym, sf_fftbox *box, double *f);

#endif
