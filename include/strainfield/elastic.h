/* elastic.h — stress, elastic constants and stability of a crystal whose relaxed free
 * energy is a function F(D) of the lattice descriptor D = (λa, λb, λc, θa, θb, θc)
 * (src/analysis/elastic.c: the strain map and the tensors; model_elastic.c: a trained
 * model at given strains, and the JSON keys; layer analysis).  docs/physics.md,
 * "Stress and elastic constants of the model", has the formulas.
 *
 * Owns: the map from a Lagrangian strain η of the current cell to D, with its exact first
 * and second derivatives; at the current state (η = 0): the Cauchy stress
 * σ = (1/V) ∂F/∂η (the paper's eq. 13, finite strain), the elastic tensor
 * C = (1/V) ∂²F/∂η∂η (relaxed-ion, since F(D) is the relaxed energy), Wallace's
 * stress-strain coefficients B = C + stress terms (symmetrised), the eigenvalues of B
 * (stability under the current load held as a constant Cauchy stress; Born's criteria at
 * zero stress; Mandel form, frame-independent), and the Voigt-Reuss-Hill bulk and shear moduli of C.
 *
 * Conventions: Voigt order (11, 22, 33, 23, 13, 12); strains are engineering strains in
 * Voigt form, η_V = (η11, η22, η33, 2η23, 2η13, 2η12), so that dF = V Σ_α σ_α dη_V,α and
 * σ_α = C_αβ η_V,β to first order; stresses σ_α = σ_ij (no factor).  Tensors are in the
 * Cartesian frame of the given current lattice (rows = lattice vectors, Bohr); V is its
 * volume.  Hartree atomic units (F Ha, σ and C Ha/Bohr³); SF_HA_BOHR3_GPA converts. */
#ifndef STRAINFIELD_ELASTIC_H
#define STRAINFIELD_ELASTIC_H

#include "strainfield/ml.h"

#include <cjson/cJSON.h>

/* 1 Ha/Bohr³ in GPa (CODATA 2018 Hartree energy and Bohr radius). */
#define SF_HA_BOHR3_GPA 29421.0156965221

/* F(D) with ∂F/∂D and ∂²F/∂D_i∂D_j (d2F 6 × 6 row-major; may be NULL: then not needed). */
typedef int (*sf_energy_hess_fn)(void *ctx, const double D[6], double *F, double dF[6], double d2F[36]);

/* Everything about one state. */
typedef struct {
  double D[6], F, V, dF[6];  /* dF: ∂F/∂D */
  double lattice[3][3];      /* the current cell (rows); the frame of every tensor below */
  double stress[3][3];       /* Cauchy stress, eq. 13 (Ha/Bohr³) */
  double stress_small[3][3]; /* eq. 14, (1/V) ∂F/∂ε with ε the small strain of the reference
                                cell (sf_stress_small_strain), rotated into this frame */
  double C[6][6];            /* (1/V) ∂²F/∂η_V∂η_V at η = 0 (Ha/Bohr³) */
  double B[6][6];            /* Wallace's coefficients, symmetrised (Ha/Bohr³) */
  double eig[6];             /* eigenvalues of B, ascending (sf_stability_eig: Mandel form) */
  double mode[6];            /* strain of eig[0]: tensor components in Voigt order, unit norm */
  int stable;                /* eig[0] > 0 */
  double KV, KR, GV, GR;     /* Voigt and Reuss bulk and shear moduli of C (Ha/Bohr³; the
                                Reuss ones NAN when C is singular) */
} sf_elastic;

/* D of the current cell deformed by the Lagrangian strain eta (Voigt engineering, relative
 * to `lattice`), with J[d][α] = ∂D_d/∂η_α and H[d][α][β] = ∂²D_d/∂η_α∂η_β (either may be
 * NULL).  ref: the reference cell, for the stretches.  Exact: D depends on η only through
 * the metric lattice·(I + 2η)·latticeᵀ, which is linear in η. */
void sf_lagrangian_to_D(const double ref[3][3], const double lattice[3][3], const double eta[6], double D[6],
                        double J[6][6], double H[6][6][6]);

/* The Cauchy stress of eq. 13 at the cell `lattice` from ∂F/∂D there: σ_α = (1/V)
 * Σ_d ∂F/∂D_d J[d][α] (J of sf_lagrangian_to_D at η = 0), as sf_elastic_at; 3 × 3, the
 * frame of lattice. */
void sf_cauchy_from_dF(const double ref[3][3], const double lattice[3][3], const double dF[6], double sigma[3][3]);
/* Its inverse: the ∂F/∂D at `lattice` whose eq. 13 stress is sigma (e.g. a sample's DFT
 * stress, the targets of `train -stress_weight`): Jᵀ ∂F/∂D = V σ_α, a 6 × 6 solve. */
int sf_cauchy_to_dF(const double ref[3][3], const double lattice[3][3], const double sigma[3][3], double dF[6]);

/* F, V, σ, C, B, its eigenvalues and mode, and the VRH moduli at the cell `lattice` (the
 * state; D from it and ref).  stress_small is left zero (see sf_model_elastic). */
int sf_elastic_at(sf_energy_hess_fn f, void *ctx, const double ref[3][3], const double lattice[3][3], sf_elastic *s);

/* From s->C and s->stress: B, its eigenvalues and mode, stable and the VRH moduli (what
 * sf_elastic_at does after C; also the DFT tensor of elastic_dft.h). */
int sf_elastic_finish(sf_elastic *s);

/* Wallace's B_ijkl = C_ijkl + ½(δ_ik σ_jl + δ_jk σ_il + δ_il σ_jk + δ_jl σ_ik) − ½(σ_ij δ_kl + δ_ij σ_kl)
 * in Voigt form: the second-order energy change F − W of a symmetric strain from the
 * current state under the current Cauchy stress held fixed, W its work. */
void sf_wallace_B(const double C[6][6], const double sigma[3][3], double B[6][6]);
/* Eigenvalues (ascending) of B (Voigt, symmetric) in Mandel form — √2 on the shear rows and
 * columns, the orthonormal representation of the tensor, so they do not depend on the
 * Cartesian frame; B is positive definite if and only if they are positive — and the
 * unit eigenvector of the lowest as a strain tensor in Voigt order (ε11, ε22, ε33, ε23,
 * ε13, ε12; Σ_ij ε_ij² = 1), its largest-magnitude component positive.  For a cubic C at
 * zero stress: C11 + 2 C12, C11 − C12 (twice), 2 C44 (three times).  SF_ERR_LIB if LAPACK
 * fails (non-finite input). */
int sf_stability_eig(const double B[6][6], double w[6], double mode[6]);
/* Voigt and Reuss averages of the bulk and shear moduli of C (Hill: their means). */
void sf_vrh(const double C[6][6], double *KV, double *KR, double *GV, double *GR);

/* The model's energy network as an sf_energy_hess_fn (ctx: the sf_model). */
int sf_model_energy_hess(void *model, const double D[6], double *F, double dF[6], double d2F[36]);
/* Everything at strain D of a model with a reference lattice: the cell is
 * sf_lattice_from_strain(reference, D) (the frame of `-strain_D`, as scf), and stress_small
 * is filled.  Float64 networks. */
int sf_model_elastic(const sf_model *m, const double D[6], sf_elastic *s);

/* The JSON keys of a state (predict's, and path's `stress`): SF_ELASTIC_NKEY names in
 * sf_elastic_keys, each value made by sf_elastic_json_item (stress and stress_small_strain
 * in Ha/Bohr³ and GPa, elastic_tensor(_GPa), stability_eigenvalues(_GPa), stability_mode,
 * stable, the VRH moduli in GPa, lattice). */
#define SF_ELASTIC_NKEY 14
extern const char *const sf_elastic_keys[SF_ELASTIC_NKEY];
cJSON *sf_elastic_json_item(const sf_elastic *s, int key);

#endif
