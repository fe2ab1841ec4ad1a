/* relax_atoms.c — fixed-cell relaxation: TAO's limited-memory BFGS (lmvm) minimises the
 * free energy over Cartesian atom positions, one warm-started SCF per evaluation. */
#include "strainfield/relax.h"
#include "strainfield/core.h"
#include "strainfield/props.h"
#include "relax_internal.h"

#include <math.h>
#include <petsctao.h>
#include <string.h>

typedef struct {
  sf_scf *s;
  sf_cell *cell;
  double x0[SF_MAXATOM_RELAX][3]; /* Cartesian start; the variables are displacements */
  const sf_relax_params *p;
  sf_relax_result *res;
  int status;      /* first error raised inside a callback */
  double fmax;
  int capacity;
  double scale;    /* TAO's variables are y = scale · displacement, scale = sqrt(hessian0) */
} relax_ctx;

static double max_force(int natom, double (*f)[3])
{
  double m = 0.0;
  for (int a = 0; a < natom; a++) {
    double n = sqrt(f[a][0] * f[a][0] + f[a][1] * f[a][1] + f[a][2] * f[a][2]);
    if (n > m) m = n;
  }
  return m;
}

/* Cartesian → reduced with the inverse lattice: x_red = G · x_cart (rows of gprimd), at
 * the displacements y / scale. */
static void set_positions(sf_cell *cell, const double (*x0)[3], const PetscScalar *y, double scale)
{
  for (int a = 0; a < cell->natom; a++) {
    double x[3];
    for (int c = 0; c < 3; c++) x[c] = x0[a][c] + y[3 * a + c] / scale;
    for (int i = 0; i < 3; i++)
      cell->xred[a][i] = cell->gprimd[i][0] * x[0] + cell->gprimd[i][1] * x[1] + cell->gprimd[i][2] * x[2];
  }
}

/* One evaluation: the SCF at the new positions (warm-started) and its forces. */
static int scf_forces_at(sf_scf *s, double (*fc)[3])
{
  SF_CHECK(sf_scf_update_geometry(s));
  SF_CHECK(sf_scf_run(s));
  SF_CHECK(sf_scf_forces(s, fc));
  return SF_OK;
}

static PetscErrorCode objective(Tao tao, Vec X, PetscReal *f, Vec G, void *vctx)
{
  relax_ctx *c = vctx;
  sf_scf *s = c->s;
  int natom = c->cell->natom;
  const PetscScalar *d;
  PetscCall(VecGetArrayRead(X, &d));
  set_positions(c->cell, (const double(*)[3])c->x0, d, c->scale);
  PetscCall(VecRestoreArrayRead(X, &d));
  double (*fc)[3] = c->res->fcart;
  int st = scf_forces_at(s, fc);
  /* every rank drives its own copy of TAO: all must take the same branch (the Bcast) */
  st = sf_status_agree(s->comm, st);
  if (st) {
    if (!c->status) c->status = st;
    /* a failed evaluation makes TAO stop: an infinite objective rejects the step */
    *f = PETSC_INFINITY;
    PetscCall(VecSet(G, 0.0));
    return 0;
  }
  /* ... and see bit-identical numbers */
  double buf[1 + 3 * SF_MAXATOM_RELAX];
  buf[0] = s->E.free;
  memcpy(buf + 1, fc, sizeof(double) * 3 * natom);
  MPI_Bcast(buf, 1 + 3 * natom, MPI_DOUBLE, 0, s->comm);
  memcpy(fc, buf + 1, sizeof(double) * 3 * natom);
  *f = buf[0];
  PetscScalar *g;
  PetscCall(VecGetArray(G, &g));
  for (int i = 0; i < 3 * natom; i++) g[i] = -buf[1 + i] / c->scale; /* dF/dy */
  PetscCall(VecRestoreArray(G, &g));
  c->fmax = max_force(natom, fc);
  sf_relax_result *r = c->res;
  if (r->ntraj < c->capacity) {
    r->traj_energy[r->ntraj] = s->E.free;
    r->traj_fmax[r->ntraj] = c->fmax;
    r->traj_scf[r->ntraj] = s->iterations;
    r->ntraj++;
  }
  r->evaluations++;
  sf_log(1, "  relax eval %3d: F = %.10f Ha  max|force| = %.3e Ha/Bohr  (%d SCF iterations)\n", r->evaluations,
         s->E.free, c->fmax, s->iterations);
  return 0;
}

PetscErrorCode sf_relax_tao_reason(Tao tao, int status, double residual, double tol, int maxits)
{
  PetscInt its;
  PetscCall(TaoGetIterationNumber(tao, &its));
  if (status) PetscCall(TaoSetConvergedReason(tao, TAO_DIVERGED_USER));
  else if (residual <= tol) PetscCall(TaoSetConvergedReason(tao, TAO_CONVERGED_USER));
  else if (its >= maxits) PetscCall(TaoSetConvergedReason(tao, TAO_DIVERGED_MAXITS));
  else PetscCall(TaoSetConvergedReason(tao, TAO_CONTINUE_ITERATING));
  return 0;
}

static PetscErrorCode converged_test(Tao tao, void *vctx)
{
  relax_ctx *c = vctx;
  return sf_relax_tao_reason(tao, c->status, c->fmax, c->p->tolmxf, c->p->ntime);
}

int sf_relax_atoms(sf_scf *s, sf_cell *cell, const sf_relax_params *p, sf_relax_result *res)
{
  int natom = cell->natom;
  if (natom > SF_MAXATOM_RELAX) SF_ERROR(SF_ERR_INPUT, "relax supports at most %d atoms", SF_MAXATOM_RELAX);
  memset(res, 0, sizeof *res);
  /* BFGS starts from the Hessian k·I in the displacements (TAO's from I in its variables):
   * with k a typical interatomic force constant the first step −F/k lands near the minimum,
   * where from I (k = 1 Ha/Bohr², ~20× too stiff for a metal) the line search spent several
   * evaluations growing the step (physics.md, "relaxation") */
  const double k = p->hessian0 > 0 ? p->hessian0 : SF_RELAX_HESSIAN0;
  relax_ctx c = {.s = s, .cell = cell, .p = p, .res = res, .fmax = INFINITY, .scale = sqrt(k)};
  c.capacity = 4 * p->ntime + 16;
  int st = SF_OK;
  Tao tao = NULL;
  Vec X = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&res->fcart, natom, sizeof *res->fcart));
  SF_CHECK_GOTO(sf_calloc((void **)&res->traj_energy, c.capacity, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&res->traj_fmax, c.capacity, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&res->traj_scf, c.capacity, sizeof(int)));
  for (int a = 0; a < natom; a++) sf_cell_xcart(cell, a, c.x0[a]);

  SF_PETSC_GOTO(VecCreateSeq(PETSC_COMM_SELF, 3 * natom, &X));
  SF_PETSC_GOTO(VecSet(X, 0.0));
  SF_PETSC_GOTO(TaoCreate(PETSC_COMM_SELF, &tao));
  SF_PETSC_GOTO(TaoSetType(tao, TAOLMVM));
  SF_PETSC_GOTO(TaoSetSolution(tao, X));
  SF_PETSC_GOTO(TaoSetObjectiveAndGradient(tao, NULL, objective, &c));
  SF_PETSC_GOTO(TaoSetConvergenceTest(tao, converged_test, &c));
  SF_PETSC_GOTO(TaoSetMaximumIterations(tao, p->ntime));
  SF_PETSC_GOTO(TaoSetMaximumFunctionEvaluations(tao, 10 * p->ntime + 20));
  SF_PETSC_GOTO(TaoSetFromOptions(tao));
  /* TaoSolve's own error is reported after a callback's, which is the cause */
  PetscErrorCode perr = TaoSolve(tao);
  PetscInt its;
  TaoConvergedReason reason;
  SF_PETSC_GOTO(TaoGetIterationNumber(tao, &its));
  SF_PETSC_GOTO(TaoGetConvergedReason(tao, &reason));
  res->steps = (int)its;
  res->fmax = c.fmax;
  res->converged = c.fmax <= p->tolmxf && !c.status;
  SF_CHECK_GOTO(c.status);
  if (perr) SF_ERROR_GOTO(SF_ERR_LIB, "PETSc TAO failed during the relaxation (error %d)", (int)perr);
  if (!res->converged)
    SF_ERROR_GOTO(SF_ERR_NOCONV, "relaxation did not reach -tolmxf %.2e Ha/Bohr in -ntime %d steps: max force %.3e "
                  "(TAO reason %d)", p->tolmxf, p->ntime, c.fmax, (int)reason);
cleanup:
  /* the result's arrays belong to the caller (sf_relax_result_free) */
  TaoDestroy(&tao);
  VecDestroy(&X);
  return st;
}

void sf_relax_result_free(sf_relax_result *res)
{
  sf_free(res->fcart);
  sf_free(res->traj_energy);
  sf_free(res->traj_fmax);
  sf_free(res->traj_scf);
  memset(res, 0, sizeof *res);
}
