/* relax_atoms.c — fixed-cell relaxation: TAO's limited-memory BFGS (lmvm) minimises the
 * free energy over Cartesian atom positions, one warm-started SCF per evaluation. */
#include "strainfield/relax.h"
#include "strainfield/core.h"
#include "strainfield/props.h"

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

/* Cartesian → reduced with the inverse lattice: x_red = G · x_cart (rows of gprimd). */
static void set_positions(sf_cell *cell, const double (*x0)[3], const PetscScalar *d)
{
  for (int a = 0; a < cell->natom; a++) {
    double x[3];
    for (int c = 0; c < 3; c++) x[c] = x0[a][c] + d[3 * a + c];
    for (int i = 0; i < 3; i++)
      cell->xred[a][i] = cell->gprimd[i][0] * x[0] + cell->gprimd[i][1] * x[1] + cell->gprimd[i][2] * x[2];
  }
}

static PetscErrorCode objective(Tao tao, Vec X, PetscReal *f, Vec G, void *vctx)
{
  relax_ctx *c = vctx;
  sf_scf *s = c->s;
  int natom = c->cell->natom;
  const PetscScalar *d;
  PetscCall(VecGetArrayRead(X, &d));
  set_positions(c->cell, (const double(*)[3])c->x0, d);
  PetscCall(VecRestoreArrayRead(X, &d));
  double (*fc)[3] = c->res->fcart;
  int st = sf_scf_update_geometry(s);
  if (!st) st = sf_scf_run(s);
  if (!st) st = sf_scf_forces(s, fc);
  if (st) {
    if (!c->status) c->status = st;
    /* a failed evaluation makes TAO stop: an infinite objective rejects the step */
    *f = PETSC_INFINITY;
    PetscCall(VecSet(G, 0.0));
    return 0;
  }
  /* every rank drives its own copy of TAO: make them see bit-identical numbers */
  double buf[1 + 3 * SF_MAXATOM_RELAX];
  buf[0] = s->E.free;
  memcpy(buf + 1, fc, sizeof(double) * 3 * natom);
  MPI_Bcast(buf, 1 + 3 * natom, MPI_DOUBLE, 0, s->comm);
  memcpy(fc, buf + 1, sizeof(double) * 3 * natom);
  *f = buf[0];
  PetscScalar *g;
  PetscCall(VecGetArray(G, &g));
  for (int i = 0; i < 3 * natom; i++) g[i] = -buf[1 + i];
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

static PetscErrorCode converged_test(Tao tao, void *vctx)
{
  relax_ctx *c = vctx;
  PetscInt its;
  PetscCall(TaoGetIterationNumber(tao, &its));
  if (c->status) PetscCall(TaoSetConvergedReason(tao, TAO_DIVERGED_USER));
  else if (c->fmax <= c->p->tolmxf) PetscCall(TaoSetConvergedReason(tao, TAO_CONVERGED_USER));
  else if (its >= c->p->ntime) PetscCall(TaoSetConvergedReason(tao, TAO_DIVERGED_MAXITS));
  else PetscCall(TaoSetConvergedReason(tao, TAO_CONTINUE_ITERATING));
  return 0;
}

int sf_relax_atoms(sf_scf *s, sf_cell *cell, const sf_relax_params *p, sf_relax_result *res)
{
  int natom = cell->natom;
  if (natom > SF_MAXATOM_RELAX) SF_ERROR(SF_ERR_INPUT, "relax supports at most %d atoms", SF_MAXATOM_RELAX);
  memset(res, 0, sizeof *res);
  relax_ctx c = {.s = s, .cell = cell, .p = p, .res = res, .fmax = INFINITY};
  c.capacity = 4 * p->ntime + 16;
  SF_CHECK(sf_calloc((void **)&res->fcart, natom, sizeof *res->fcart));
  SF_CHECK(sf_calloc((void **)&res->traj_energy, c.capacity, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&res->traj_fmax, c.capacity, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&res->traj_scf, c.capacity, sizeof(int)));
  for (int a = 0; a < natom; a++) sf_cell_xcart(cell, a, c.x0[a]);

  Tao tao;
  Vec X;
  if (VecCreateSeq(PETSC_COMM_SELF, 3 * natom, &X) || VecSet(X, 0.0) || TaoCreate(PETSC_COMM_SELF, &tao) ||
      TaoSetType(tao, TAOLMVM) || TaoSetSolution(tao, X) ||
      TaoSetObjectiveAndGradient(tao, NULL, objective, &c) || TaoSetConvergenceTest(tao, converged_test, &c) ||
      TaoSetMaximumIterations(tao, p->ntime) || TaoSetMaximumFunctionEvaluations(tao, 10 * p->ntime + 20) ||
      TaoSetFromOptions(tao))
    SF_ERROR(SF_ERR_LIB, "PETSc TAO could not be set up for the relaxation");
  PetscErrorCode perr = TaoSolve(tao);
  PetscInt its;
  TaoConvergedReason reason;
  TaoGetIterationNumber(tao, &its);
  TaoGetConvergedReason(tao, &reason);
  TaoDestroy(&tao);
  VecDestroy(&X);
  res->steps = (int)its;
  res->fmax = c.fmax;
  res->converged = c.fmax <= p->tolmxf && !c.status;
  if (c.status) return sf_error_trace(c.status, __FILE__, __LINE__, __func__);
  if (perr) SF_ERROR(SF_ERR_LIB, "PETSc TAO failed during the relaxation (error %d)", (int)perr);
  if (!res->converged)
    SF_ERROR(SF_ERR_NOCONV, "relaxation did not reach -tolmxf %.2e Ha/Bohr in -ntime %d steps: max force %.3e "
             "(TAO reason %d)", p->tolmxf, p->ntime, c.fmax, (int)reason);
  return SF_OK;
}

void sf_relax_result_free(sf_relax_result *res)
{
  sf_free(res->fcart);
  sf_free(res->traj_energy);
  sf_free(res->traj_fmax);
  sf_free(res->traj_scf);
  memset(res, 0, sizeof *res);
}
