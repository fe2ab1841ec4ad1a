/* stresspath.h — stress from a learned free energy F(D), and uniaxial stress paths
 * (src/analysis/stress_path.c, uniaxial_path.c; layer analysis).
 *
 * Owns: the map from a small strain ε of the reference cell to the lattice descriptor
 * D = (λa, λb, λc, θa, θb, θc) and its derivative; the Cauchy stress of the paper's
 * eq. (14), σ = (1/V) ∂F/∂ε, by the chain rule through ∂F/∂D (back-propagation through the
 * energy network); the uniaxial-stress states of §4.5 — ε_ii prescribed, the other five
 * strain components chosen so that their stresses vanish (minimum of F over them,
 * Barzilai-Borwein gradient descent) — and their stability (the strain Hessian, and
 * Wallace's coefficients of the finite-strain state, elastic.h).  When
 * the reference cell is not stress-free (a model trained on unconverged settings), the
 * transverse stresses can be held near their reference values instead of zero (a
 * constant load, see sigma0), so that the path stays in the strain box the model was
 * trained on.
 *
 * Conventions: Voigt order e = (ε11, ε22, ε33, ε23, ε13, ε12) of the symmetric small
 * strain (Cartesian axes of the reference lattice rows); the deformed lattice vectors are
 * a_i' = (I + ε) a_i and D is measured exactly from them (lengths and angles, not the
 * paper's linearised eqs. 15–16), so D(ε) agrees with sf_strain_D_of_lattice.  V is the
 * deformed volume.  σ in Ha/Bohr³, F in Ha, angles of D in degrees (as everywhere).
 */
#ifndef STRAINFIELD_STRESSPATH_H
#define STRAINFIELD_STRESSPATH_H

#include "strainfield/elastic.h"
#include "strainfield/ml.h"

/* A free energy and its gradient at D (e.g. the energy network of a model). */
typedef int (*sf_energy_fn)(void *ctx, const double D[6], double *F, double dF_dD[6]);

/* D at strain e and J[d][v] = ∂D_d/∂e_v (J may be NULL). */
void sf_strain_to_D(const double ref[3][3], const double e[6], double D[6], double J[6][6]);

/* F, D, the volume and σ (Voigt) at strain e; g (may be NULL) gets ∂F/∂e_v. */
int sf_stress_at(sf_energy_fn f, void *ctx, const double ref[3][3], const double e[6], double *F, double D[6],
                 double *V, double sigma[6], double g[6]);
/* Eq. (14) at any cell `lattice` (rows) where ∂F/∂D is dF: its deformation gradient from
 * ref is Fd = R U (polar decomposition), the small strain is ε = U − I, σ = (1/V) ∂F/∂ε
 * there (as sf_stress_at), rotated by R into the frame of `lattice`; 3 × 3 tensor. */
int sf_stress_small_strain(const double ref[3][3], const double lattice[3][3], const double dF[6], double sigma[3][3]);

typedef struct {
  int dir;        /* 0, 1, 2: the loaded axis (σ11, σ22 or σ33 non-zero) */
  double tol;     /* stop when the five transverse |σ| are below tol (Ha/Bohr³) */
  int maxiter;    /* Barzilai-Borwein steps per point */
  double fd_step; /* strain step of the finite-difference Hessian */
  double sigma0[6]; /* transverse targets: the minimised function is F − V0 Σ c_v σ0_v e_v
                       (c = 1 normal, 2 shear), so σ_v = (V0/V) σ0_v at the end; 0, or
                       the reference cell's residual stress (the paper subtracts it, §4.5) */
} sf_path_params;

typedef struct {
  double e[6], D[6], F, V, sigma[6];
  int iterations, converged;
  double stiffness_min;        /* lowest eigenvalue of (1/V) ∂²F/∂e² (6×6; Ha/Bohr³):
                                  ≤ 0 means unstable under the applied stress */
  double transverse_min;       /* the same for the five free components (fixed e_dir) */
  sf_elastic el;               /* finite-strain state of the cell (I + ε) a0 (reference frame):
                                  Cauchy stress (eq. 13), C, Wallace's B and its eigenvalues;
                                  el.stress_small is sigma (filled by sf_path_point_elastic) */
} sf_path_point;

/* Fills pt->el at pt->e (after sf_uniaxial_point) from an energy with its Hessian. */
int sf_path_point_elastic(sf_energy_hess_fn f, void *ctx, const double ref[3][3], sf_path_point *pt);

/* Where a path first loses stability on one side of a point k0: going from k0 towards
 * decreasing (side −1) or increasing (+1) index over converged points, the first pair
 * (k − side, k) with el.eig[0] > 0 at the first and ≤ 0 at the second.  Between them B is
 * interpolated linearly and the crossing found by bisection on its lowest eigenvalue:
 * `strain` is ε_dir there, `mode` the null vector of the interpolated B (as
 * sf_stability_eig: strain tensor components in Voigt order, unit norm).  None (found = 0) also when k0 itself is
 * unstable (nothing to cross from). */
typedef struct {
  int found, k;   /* k: the first unstable point */
  double strain, mode[6];
} sf_path_onset;
int sf_path_onset_find(const sf_path_point *pts, int npt, int k0, int dir, int side, sf_path_onset *o);

/* The uniaxial state at e_dir = eii, starting from e (its other components: the previous
 * point's, for continuity), written to *pt.  Returns SF_OK also when not converged
 * (pt->converged = 0); errors only from f. */
int sf_uniaxial_point(sf_energy_fn f, void *ctx, const double ref[3][3], const sf_path_params *p, double eii,
                      const double e_start[6], sf_path_point *pt);

/* A whole uniaxial path of a model: npt prescribed ε_ii evenly over range (both ends),
 * computed outward from the point nearest ε_ii = 0, each point starting from its
 * neighbour's transverse strains; with subtract_residual the transverse stresses are held
 * at the reference cell's (p->sigma0 is set to it). */
typedef struct {
  int npt, k0;              /* points; the one nearest ε_ii = 0 */
  sf_path_point *pts;       /* [npt] */
  double *xred;             /* [npt][3 natom] predicted positions */
  double sigma_ref[6], V0;  /* stress and volume of the reference cell */
  int nconverged;
  sf_path_onset onset[2];   /* the loss of stability below / above ε_ii = 0 (Wallace's B) */
  int first;                /* the onset nearer ε_ii = 0 (0 or 1), or -1 if none */
} sf_uniaxial_path;

int sf_model_uniaxial_path(const sf_model *m, sf_path_params *p, const double range[2], int npt, int subtract_residual,
                           sf_uniaxial_path *path);
void sf_uniaxial_path_free(sf_uniaxial_path *path);
/* Strain ε_ii of point k of the even grid over [range[0], range[1]]. */
double sf_path_grid_strain(const double range[2], int npt, int k);

#endif
