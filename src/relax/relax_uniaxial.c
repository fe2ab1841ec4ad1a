/* relax_uniaxial.c — relaxation under a prescribed uniaxial strain: TAO (lmvm) over the
 * five free components of the symmetric strain, the atoms relaxed at every cell.  With
 * relaxed atoms ∂F/∂x = 0, so dF/dε is the stress alone (Hellmann-Feynman). */
#include "strainfield/relax.h"
#include "strainfield/core.h"
#include "strainfield/props.h"
#include "relax_internal.h"

#include <math.h>
#include <petsctao.h>
#include <string.h>

/* The free strain components stay within ±this of the reference (TAO's bounds). */
#define SF_UNIAXIAL_MAXSTRAIN 0.3
/* TAO's variables are the strains in units of this.  LMVM's first step is the raw
 * gradient, ~V·σ ≈ 0.3 in strain for a cell 1e-4 Ha/Bohr³ off target: in percent it is
 * 1e-4 of that, and the quasi-Newton scaling then takes over. */
#define SF_UNIAXIAL_VARSCALE 0.01

typedef struct {
  sf_scf *s;
  sf_cell *cell;
  const double (*ref)[3];
  const sf_relax_params *ap;
  const sf_uniaxial_params *up;
  sf_uniaxial_result *ur;
  sf_relax_result *ar;
  int idx[5][2]; /* the free components (k <= l) */
  int status;
  double maxres;
  double V0; /* reference volume */
} cell_ctx;

/* Voigt index of the symmetric pair (k, l): 11 22 33 23 13 12 */
static int voigt(int k, int l) { return k == l ? k : 6 - k - l; }

static void strain_from_vars(const cell_ctx *c, const PetscScalar *v, double eps[3][3])
{
  memset(eps, 0, 9 * sizeof(double));
  eps[c->up->dir][c->up->dir] = c->up->strain;
  for (int m = 0; m < 5; m++) {
    int k = c->idx[m][0], l = c->idx[m][1];
    eps[k][l] = eps[l][k] = SF_UNIAXIAL_VARSCALE * v[m];
  }
}

/* The trial cell's geometry (a local check, the same on every rank), then the SCF's
 * cell-dependent setup (collective): the ranks agree on the check first. */
static int trial_cell(cell_ctx *c)
{
  SF_CHECK(sf_status_agree(c->s->comm, sf_cell_finish(c->cell, 0.5)));
  SF_CHECK(sf_scf_update_cell(c->s));
  return SF_OK;
}

static int evaluate(cell_ctx *c, const PetscScalar *v, double *f, double grad[5])
{
  double eps[3][3], Finv[3][3], Fdef[3][3];
  strain_from_vars(c, v, eps);
  sf_lattice_apply_strain(c->ref, (const double(*)[3])eps, c->cell->rprimd);
  /* A trial cell the line search overshot to (its plane-wave sphere leaves the FFT box,
   * atoms collide) is not an error of the run: report +inf so TAO steps back, and keep
   * the last good state to restart from. */
  int st = trial_cell(c);
  if (st == SF_ERR_INPUT) {
    sf_log(1, "  uniaxial: trial strain rejected (%s)\n", sf_error_message());
    sf_error_reset();
    *f = INFINITY;
    return SF_OK;
  }
  SF_CHECK(st);
  sf_relax_result_free(c->ar);
  SF_CHECK(sf_relax_atoms(c->s, c->cell, c->ap, c->ar));
  double stress[3][3];
  /* a rank whose stress failed alone must not leave the others in the Bcast */
  SF_CHECK(sf_status_agree(c->s->comm, sf_scf_stress(c->s, stress)));
  MPI_Bcast(stress, 9, MPI_DOUBLE, 0, c->s->comm);
  double fe = c->s->E.free;
  MPI_Bcast(&fe, 1, MPI_DOUBLE, 0, c->s->comm);
  /* dF/dε_ref = Ω σ (I+ε)^{-T}; a symmetric pair k≠l moves both entries */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) Fdef[i][j] = (i == j) + eps[i][j];
  SF_CHECK(sf_mat3_inverse((const double(*)[3])Fdef, Finv));
  double dF[3][3];
  for (int k = 0; k < 3; k++)
    for (int l = 0; l < 3; l++) {
      dF[k][l] = 0.0;
      for (int m = 0; m < 3; m++) dF[k][l] += c->cell->ucvol * stress[k][m] * Finv[l][m];
    }
  /* converged when the free components of (1/Ω) dF/dε vanish: the paper's definition of
   * the stress (eq. 14); it equals the Cauchy stress when the shear strains are zero */
  c->maxres = 0.0;
  double load = 0.0;
  for (int m = 0; m < 5; m++) {
    int k = c->idx[m][0], l = c->idx[m][1];
    const double target = (k == l ? 1.0 : 2.0) * c->V0 * c->up->strtarget[voigt(k, l)];
    grad[m] = (k == l ? dF[k][k] : dF[k][l] + dF[l][k]) - target;
    load += target * SF_UNIAXIAL_VARSCALE * v[m];
    double r = fabs(k == l ? grad[m] : 0.5 * grad[m]) / c->cell->ucvol;
    if (r > c->maxres) c->maxres = r;
  }
  *f = fe - load;
  memcpy(c->ur->eps, eps, sizeof eps);
  memcpy(c->ur->stress, stress, sizeof stress);
  c->ur->sigma = stress[c->up->dir][c->up->dir];
  c->ur->max_offaxis = c->maxres;
  sf_log(1, "  uniaxial: eps_%d%d = %+.5f  sigma = %+.6e Ha/Bohr^3  max relaxed |sigma| = %.3e  F = %.10f\n",
         c->up->dir + 1, c->up->dir + 1, c->up->strain, c->ur->sigma, c->maxres, fe);
  return SF_OK;
}

static PetscErrorCode objective(Tao tao, Vec X, PetscReal *f, Vec G, void *vctx)
{
  cell_ctx *c = vctx;
  const PetscScalar *v;
  PetscScalar *g;
  double grad[5];
  PetscCall(VecGetArrayRead(X, &v));
  int st = c->status ? c->status : evaluate(c, v, f, grad);
  PetscCall(VecRestoreArrayRead(X, &v));
  if (st) {
    if (!c->status) c->status = st;
    *f = PETSC_INFINITY;
    return 0;
  }
  if (isinf(*f)) {
    PetscCall(VecSet(G, 0.0));
    return 0;
  }
  PetscCall(VecGetArray(G, &g));
  for (int m = 0; m < 5; m++) g[m] = SF_UNIAXIAL_VARSCALE * grad[m];
  PetscCall(VecRestoreArray(G, &g));
  return 0;
}

static PetscErrorCode converged_test(Tao tao, void *vctx)
{
  cell_ctx *c = vctx;
  return sf_relax_tao_reason(tao, c->status, c->maxres, c->up->tolstress, c->up->ncell_steps);
}

int sf_relax_uniaxial(sf_scf *s, sf_cell *cell, const double ref[3][3], const sf_relax_params *ap,
                      const sf_uniaxial_params *up, sf_uniaxial_result *ur, sf_relax_result *ar)
{
  if (up->dir < 0 || up->dir > 2) SF_ERROR(SF_ERR_INPUT, "-uniaxial_dir must be 1, 2 or 3");
  memset(ur, 0, sizeof *ur);
  cell_ctx c = {.s = s, .cell = cell, .ref = ref, .ap = ap, .up = up, .ur = ur, .ar = ar, .maxres = INFINITY};
  c.V0 = fabs(sf_mat3_det(ref));
  int m = 0;
  for (int k = 0; k < 3; k++)
    for (int l = k; l < 3; l++)
      if (!(k == up->dir && l == up->dir)) {
        c.idx[m][0] = k;
        c.idx[m][1] = l;
        m++;
      }
  int st = SF_OK;
  Tao tao = NULL;
  Vec X = NULL, lo = NULL, hi = NULL;
  SF_PETSC_GOTO(VecCreateSeq(PETSC_COMM_SELF, 5, &X));
  SF_PETSC_GOTO(VecSet(X, 0.0));
  SF_PETSC_GOTO(TaoCreate(PETSC_COMM_SELF, &tao));
  SF_PETSC_GOTO(TaoSetOptionsPrefix(tao, "cell_"));
  SF_PETSC_GOTO(TaoSetType(tao, TAOBLMVM));
  SF_PETSC_GOTO(TaoSetSolution(tao, X));
  SF_PETSC_GOTO(VecDuplicate(X, &lo));
  SF_PETSC_GOTO(VecDuplicate(X, &hi));
  SF_PETSC_GOTO(VecSet(lo, -SF_UNIAXIAL_MAXSTRAIN / SF_UNIAXIAL_VARSCALE));
  SF_PETSC_GOTO(VecSet(hi, SF_UNIAXIAL_MAXSTRAIN / SF_UNIAXIAL_VARSCALE));
  SF_PETSC_GOTO(TaoSetVariableBounds(tao, lo, hi));
  SF_PETSC_GOTO(TaoSetObjectiveAndGradient(tao, NULL, objective, &c));
  SF_PETSC_GOTO(TaoSetConvergenceTest(tao, converged_test, &c));
  SF_PETSC_GOTO(TaoSetMaximumIterations(tao, up->ncell_steps));
  SF_PETSC_GOTO(TaoSetFromOptions(tao));
  /* TaoSolve's own error is reported after a callback's, which is the cause */
  PetscErrorCode perr = TaoSolve(tao);
  PetscInt its;
  SF_PETSC_GOTO(TaoGetIterationNumber(tao, &its));
  ur->steps = (int)its;
  ur->converged = !c.status && c.maxres <= up->tolstress && ar->converged;
  SF_CHECK_GOTO(c.status);
  if (perr) SF_ERROR_GOTO(SF_ERR_LIB, "PETSc TAO failed during the uniaxial relaxation (error %d)", (int)perr);
  if (!ur->converged)
    SF_ERROR_GOTO(SF_ERR_NOCONV, "uniaxial relaxation did not reach -tolstress %.1e Ha/Bohr^3 in %d cell steps "
                  "(largest free component of dF/deps / volume %.3e)", up->tolstress, up->ncell_steps, c.maxres);
cleanup:
  TaoDestroy(&tao);
  VecDestroy(&X);
  VecDestroy(&lo);
  VecDestroy(&hi);
  return st;
}
