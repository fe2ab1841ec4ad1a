/* relax.h — relaxation of the atoms with BFGS through PETSc TAO.
 *
 * Owns: the ionic loop (TAO's quasi-Newton method, its line search and Hessian update;
 * one SCF per function evaluation, warm-started from the previous one), the stopping
 * rule on the largest force, and the trajectory.
 */
#ifndef STRAINFIELD_RELAX_H
#define STRAINFIELD_RELAX_H

#include "strainfield/scf.h"

#define SF_MAXATOM_RELAX 64

typedef struct {
  double tolmxf; /* stop when max_a |F_a| <= tolmxf (Ha/Bohr) */
  int ntime;     /* maximum number of ionic steps */
  double hessian0; /* the BFGS's initial Hessian is hessian0 · I (Ha/Bohr²), a typical
                    * interatomic force constant; 0 = SF_RELAX_HESSIAN0 */
} sf_relax_params;
#define SF_RELAX_HESSIAN0 0.05 /* what the start of a relaxation assumes, see relax_atoms.c */

typedef struct {
  int steps;           /* ionic steps (TAO iterations) */
  int evaluations;     /* SCF runs */
  int converged;
  double fmax;         /* final largest force (Ha/Bohr) */
  double (*fcart)[3];  /* [natom] final forces */
  int ntraj;
  double *traj_energy; /* [ntraj] free energy of each evaluation */
  double *traj_fmax;   /* [ntraj] its largest force */
  int *traj_scf;       /* [ntraj] its SCF iterations */
} sf_relax_result;

/* Moves the atoms of cell (the one s was set up with) to zero force at fixed cell.  The
 * centroid stays fixed.  SF_ERR_NOCONV when ntime steps were not enough; the state and
 * the result then hold the last geometry. */
int sf_relax_atoms(sf_scf *s, sf_cell *cell, const sf_relax_params *p, sf_relax_result *res);

/* Uniaxial loading (the paper's "true" stress-strain curves): the strain component
 * eps[dir][dir] of the cell relative to the reference lattice ref is held at e; the
 * other five components of the symmetric strain and the atoms relax until those five
 * stress components are <= tolstress and the forces <= tolmxf.  Nested: TAO (lmvm) over
 * the five strains, with the atoms relaxed at each cell (so the strain gradient is the
 * stress alone).  On return the cell is the relaxed one. */
typedef struct {
  int dir;          /* 0, 1, 2 for x1, x2, x3 */
  double strain;    /* the prescribed eps_dir,dir */
  double tolstress; /* Ha/Bohr^3 */
  int ncell_steps;  /* maximum strain iterations */
  double strtarget[6]; /* Voigt (11, 22, 33, 23, 13, 12) target of the five free
                          components: the minimised function is F − V0 Σ c_v s_v e_v
                          (c = 1 normal, 2 shear; V0 the reference volume), so at the end
                          (1/V) ∂F/∂ε_v = (V0/V) s_v.  Zeros: uniaxial stress proper.
                          The reference cell's own stress here keeps a path near the
                          reference when that cell is not stress-free (paper §4.5). */
} sf_uniaxial_params;

typedef struct {
  double eps[3][3];    /* relaxed strain relative to the reference lattice */
  double stress[3][3]; /* final stress (Ha/Bohr^3) */
  double sigma;        /* stress[dir][dir] */
  int steps, converged;
  double max_offaxis;  /* largest free component of (1/Ω) dF/dε at the end (Ha/Bohr^3) */
} sf_uniaxial_result;

int sf_relax_uniaxial(sf_scf *s, sf_cell *cell, const double ref[3][3], const sf_relax_params *ap,
                      const sf_uniaxial_params *up, sf_uniaxial_result *ur, sf_relax_result *ar);
void sf_relax_result_free(sf_relax_result *res);

#endif
