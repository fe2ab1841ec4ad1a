/* elastic_dft.h — the relaxed-ion elastic tensor of a cell from DFT (`strainfield elastic`;
 * src/analysis/elastic_fd.c: the strains, the stress measure and the fit;
 * elastic_dft.c: the strained cells as a small campaign on sample groups; layer analysis).
 * docs/physics.md, "Elastic constants from DFT", has the method.
 *
 * Owns: the set of strained cells (each of the six Voigt components at ±δ, optionally
 * also ±δ/2, and the cell itself), the deformation that applies an exact Lagrangian strain
 * without rotation, the second Piola-Kirchhoff stress of a strained cell relative to the
 * unstrained one, the least-squares fit of that stress against the strain and its
 * symmetrisation, and the DFT runs (atoms relaxed at every strain) spread over sample
 * groups, each finished cell kept in a part file so that a stopped run resumes.
 *
 * Conventions: those of elastic.h, so that the DFT tensor and the model's compare one to
 * one — η is the Lagrangian strain of the unstrained (current) cell in Voigt engineering
 * form, C_αβ = ∂S_α/∂η_β = (1/V) ∂²F/∂η_α∂η_β at η = 0 (V the unstrained volume), in the
 * Cartesian frame of the given lattice; stresses in Ha/Bohr³, ABINIT's sign. */
#ifndef STRAINFIELD_ELASTIC_DFT_H
#define STRAINFIELD_ELASTIC_DFT_H

#include "strainfield/elastic.h"
#include "strainfield/relax.h"
#include "strainfield/scf.h"

#include <mpi.h>

typedef struct {
  double delta; /* the largest strain of each component (engineering for the shears) */
  int npoints;  /* strained cells per component: 2 (±δ) or 4 (±δ, ±δ/2) */
} sf_elastic_fd;

/* Cells of the run: cell 0 is the unstrained one, cell 1 + β·npoints + p strains Voigt
 * component β by −δ, +δ, −δ/2, +δ/2 for p = 0, 1, 2, 3. */
int sf_elastic_fd_ncell(const sf_elastic_fd *p);
/* The Voigt engineering Lagrangian strain of cell k (zeros for cell 0); its component. */
void sf_elastic_fd_strain(const sf_elastic_fd *p, int k, double eta[6], int *component);
/* The symmetric deformation gradient Fd = (I + 2η)^½ (FdᵀFd = I + 2η, no rotation); the
 * strained lattice has rows a_i Fd.  SF_ERR_INPUT when I + 2η is not positive definite. */
int sf_lagrangian_stretch(const double eta[6], double Fd[3][3]);
/* The second Piola-Kirchhoff stress S = J Fd⁻¹ σ Fd⁻ᵀ (Voigt, no factor) of a cell strained
 * by Fd with Cauchy stress σ: the conjugate of η, dF = V0 Σ S_α dη_α, V0 the unstrained
 * volume.  At η = 0 it is σ.  SF_ERR_INPUT for a singular Fd. */
int sf_pk2_stress(const double Fd[3][3], const double sigma[3][3], double S[6]);
/* C_αβ: the least-squares slope of S_α (S[k], cell k's PK2 stress) against η_β over the
 * cells of component β and cell 0, then symmetrised.  Craw (may be NULL) gets the tensor
 * before symmetrisation; *asymmetry = max |Craw − Crawᵀ| / max |Craw|. */
void sf_elastic_fd_fit(const sf_elastic_fd *p, const double (*S)[6], double C[6][6], double Craw[6][6],
                       double *asymmetry);

/* One strained cell after its relaxation. */
typedef struct {
  double eta[6];
  double lattice[3][3], stress[3][3], pk2[6]; /* stress: Cauchy, in the lattice's frame */
  double F, fmax, wall;                       /* free energy (Ha), largest force, seconds */
  int steps, evaluations, reused;             /* reused: read from its part file (-resume) */
  double xred[SF_MAXATOM_RELAX][3];           /* relaxed positions */
} sf_elastic_fd_cell;

typedef struct {
  const sf_cell *cell;         /* the unstrained cell, atoms at their start positions */
  const sf_psp *psps;
  const sf_scf_params *scf;
  const sf_relax_params *relax;
  sf_elastic_fd fd;
  int nsample_groups;          /* 0: automatic (generate's rule) */
  const char *parts;           /* folder of the part files (one JSON per finished cell) */
  const char *identity;        /* what a part must record to be reused: the run's settings */
  int resume;                  /* reuse the parts of the same identity */
} sf_elastic_dft_cfg;

/* Every cell relaxed (cells[sf_elastic_fd_ncell], filled on every rank) and the tensor:
 * el gets the unstrained cell's lattice, volume, F, stress, C (the fit) and everything
 * sf_elastic_finish derives (B, stability, VRH moduli).  Collective over comm: the sample
 * groups take contiguous blocks of the cells, each runs its DFT on its group.  A cell
 * that does not relax is SF_ERR_NOCONV naming it; a stop signal SF_STOPPED with the
 * finished cells kept in their parts. */
int sf_elastic_dft_run(MPI_Comm comm, const sf_elastic_dft_cfg *c, sf_elastic_fd_cell *cells, sf_elastic *el,
                       double Craw[6][6], double *asymmetry);
/* After the summary is written: the part files and their folder (rank 0). */
void sf_elastic_dft_parts_remove(const sf_elastic_dft_cfg *c);
/* One cell as JSON (the summary's `cells` and the part files): eta, lattice, free_energy,
 * stress, pk2_stress, xred (natom rows), max_force, relax_steps, scf_runs, wall_time_s,
 * reused. */
cJSON *sf_elastic_fd_cell_json(const sf_elastic_fd_cell *x, int natom);

#endif
