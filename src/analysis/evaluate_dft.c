/* evaluate_dft.c — what `evaluate` computes with the DFT engine on one sample, on the
 * ranks of its sample group, with the campaign's settings:
 *   the orbital, harris and scf routes and the orbital-route fields: H[ρ] at the used
 *     positions diagonalised once (sf_scf_solve_fixed_density, sf_scf_nsc_energies);
 *   -residual_forces: the SCF at the used positions, from ρ, and its forces;
 *   -warm_start: the SCF at the used positions from the uniform and from the used density,
 *     and the sample's relaxation twice, as generate starts it (ideal sites, uniform
 *     density) and from the prediction (positions and density), counted and compared;
 *   -strain_file: the reference at a strain the dataset does not hold, that cold
 *     relaxation (its fields, F, U, −TS, positions), which -warm_start then reuses.
 * The symmetry of every calculation is the one generate's relaxation of the sample has
 * (found at the ideal sites of the strained cell); the used positions are averaged over
 * it first (a prediction breaks it at round-off or worse, and a lower symmetry would mean
 * more k-points than the campaign's). */
#include "evaluate_internal.h"
#include "strainfield/core.h"
#include "strainfield/init_guess.h"
#include "strainfield/props.h"
#include "train_internal.h"

#include <math.h>
#include <string.h>

/* s set up for the sample's strained cell with the atoms at the campaign's start
 * positions (the campaign's symmetry), then moved to xred (NULL: stay) and started from
 * rho (NULL: the uniform density). */
static int start(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], const double *xred,
                 const double *rho, sf_cell *cell, sf_scf *s, int *have_s)
{
  const sf_evaluate_campaign *cp = c->campaign;
  SF_CHECK(sf_eval_make_cell(cp, rprimd, (const double *)cp->ref_cell->xred, cell));
  SF_CHECK(sf_scf_setup(s, &cp->scf, cell, cp->psps, comm));
  *have_s = 1;
  if (xred) {
    memcpy(cell->xred, xred, sizeof(double) * 3 * cell->natom);
    SF_CHECK(sf_symmetry_average_xred(&s->sym, cell, cell->xred));
    SF_CHECK(sf_cell_finish(cell, 0.0));
    SF_CHECK(sf_scf_update_geometry(s));
  }
  if (rho) SF_CHECK(sf_scf_set_density(s, rho));
  return SF_OK;
}

/* The orbital-route fields ρ_out, u, s of s against the dataset's (NRMSE, eq. 12). */
static int orbital_fields(sf_scf *s, const double *rho_out, const double *const truth[SF_NFIELD], double nrmse[3])
{
  int st = SF_OK;
  const long n = s->box.nfft;
  double *u = NULL, *sd = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&u, n, sizeof *u));
  SF_CHECK_GOTO(sf_calloc((void **)&sd, n, sizeof *sd));
  SF_CHECK_GOTO(sf_scf_fields(s, NULL, NULL, u, sd));
  SF_CHECK_GOTO(sf_train_nrmse(MPI_COMM_SELF, rho_out, truth[SF_FIELD_RHO], 1, n, n, &nrmse[0]));
  SF_CHECK_GOTO(sf_train_nrmse(MPI_COMM_SELF, u, truth[SF_FIELD_U], 1, n, n, &nrmse[1]));
  SF_CHECK_GOTO(sf_train_nrmse(MPI_COMM_SELF, sd, truth[SF_FIELD_S], 1, n, n, &nrmse[2]));
cleanup:
  sf_free(u);
  sf_free(sd);
  return st;
}

/* The routes that share one diagonalisation, then (with -residual_forces) the SCF on. */
static int nsc_sample(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], const double *xred,
                      const double *rho, const double *const truth[SF_NFIELD], sf_eval_dft *out)
{
  int st = SF_OK, have_s = 0;
  sf_cell cell = {0};
  sf_scf s;
  memset(&s, 0, sizeof s);
  double *rho_out = NULL, (*f)[3] = NULL, t0 = sf_wtime();
  SF_CHECK_GOTO(start(comm, c, rprimd, xred, rho, &cell, &s, &have_s));
  SF_CHECK_GOTO(sf_calloc((void **)&rho_out, s.box.nfft, sizeof *rho_out));
  SF_CHECK_GOTO(sf_scf_solve_fixed_density(&s));
  SF_CHECK_GOTO(sf_scf_nsc_energies(&s, rho_out, &out->e));
  out->time_nsc = sf_wtime() - t0;
  SF_CHECK_GOTO(orbital_fields(&s, rho_out, truth, out->nrmse));
  if (c->residual_forces) {
    t0 = sf_wtime();
    SF_CHECK_GOTO(sf_scf_run(&s)); /* from ρ again: the first step redoes the diagonalisation */
    SF_CHECK_GOTO(sf_calloc((void **)&f, cell.natom, sizeof *f));
    SF_CHECK_GOTO(sf_scf_forces(&s, f));
    out->fres_max = out->fres_mean = 0.0;
    for (int a = 0; a < cell.natom; a++) {
      double m = sqrt(f[a][0] * f[a][0] + f[a][1] * f[a][1] + f[a][2] * f[a][2]);
      out->fres_max = fmax(out->fres_max, m);
      out->fres_mean += m / cell.natom;
    }
    out->time_resid = sf_wtime() - t0;
  }
cleanup:
  sf_free(rho_out);
  sf_free(f);
  if (have_s) sf_scf_free(&s);
  sf_cell_free(&cell);
  return st;
}

/* One relaxation of the sample: k = 0 cold, 1 from the prediction; the relaxed positions
 * go to x [natom*3]; with ref, the relaxed state's fields, U and −TS too. */
static int relax_once(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], const double *xred,
                      const double *rho, int k, double *x, sf_eval_dft *out, sf_eval_reference *ref)
{
  int st = SF_OK, have_s = 0;
  sf_cell cell = {0};
  sf_scf s;
  memset(&s, 0, sizeof s);
  sf_relax_result rr;
  memset(&rr, 0, sizeof rr);
  const double t0 = sf_wtime();
  SF_CHECK_GOTO(start(comm, c, rprimd, k ? xred : NULL, k ? rho : NULL, &cell, &s, &have_s));
  int status = sf_relax_atoms(&s, &cell, &c->campaign->relax, &rr);
  if (status == SF_ERR_NOCONV && !ref) { /* counted as not converged: the comparison says so */
    sf_log(1, "evaluate: %s relaxation not converged: %s\n", k ? "warm" : "cold", sf_error_message());
    sf_error_reset();
  } else SF_CHECK_GOTO(status); /* a reference must converge */
  out->wall[k] = sf_wtime() - t0;
  MPI_Bcast(&out->wall[k], 1, MPI_DOUBLE, 0, comm); /* the group leader's clock, as generate */
  out->F[k] = s.E.free;
  out->evaluations[k] = rr.evaluations;
  out->converged[k] = rr.converged;
  out->relax_scf_iterations[k] = 0;
  for (int j = 0; j < rr.ntraj; j++) out->relax_scf_iterations[k] += rr.traj_scf[j];
  memcpy(x, cell.xred, sizeof(double) * 3 * cell.natom);
  if (ref) {
    double *const *f = ref->field;
    SF_CHECK_GOTO(sf_scf_fields(&s, f[SF_FIELD_RHO], f[SF_FIELD_PHI], f[SF_FIELD_U], f[SF_FIELD_S]));
    ref->F = s.E.free;
    ref->U = s.E.band;
    ref->TS = s.E.entropy_term;
    ref->wall = out->wall[k];
  }
cleanup:
  sf_relax_result_free(&rr);
  if (have_s) sf_scf_free(&s);
  sf_cell_free(&cell);
  return st;
}

/* Largest Cartesian distance between the atoms of two structures of lattice rprimd (rows),
 * each reduced difference taken to its nearest image. */
static double max_displacement(const double rprimd[9], const double *x0, const double *x1, int natom)
{
  double dmax = 0.0;
  for (int a = 0; a < natom; a++) {
    double d[3], r[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) d[k] = x1[3 * a + k] - x0[3 * a + k] - nearbyint(x1[3 * a + k] - x0[3 * a + k]);
    for (int k = 0; k < 3; k++)
      for (int j = 0; j < 3; j++) r[j] += d[k] * rprimd[3 * k + j];
    dmax = fmax(dmax, sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]));
  }
  return dmax;
}

/* The SCF at the used positions xred, from the uniform density (k = 0) and from rho (1). */
static int scf_once(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], const double *xred,
                    const double *rho, int k, sf_eval_dft *out)
{
  int st = SF_OK, have_s = 0;
  sf_cell cell = {0};
  sf_scf s;
  memset(&s, 0, sizeof s);
  const double t0 = sf_wtime();
  SF_CHECK_GOTO(start(comm, c, rprimd, xred, k ? rho : NULL, &cell, &s, &have_s));
  SF_CHECK_GOTO(sf_scf_run(&s));
  out->scf_wall[k] = sf_wtime() - t0;
  MPI_Bcast(&out->scf_wall[k], 1, MPI_DOUBLE, 0, comm);
  out->scf_iterations[k] = s.iterations;
  out->scf_F[k] = s.E.free;
cleanup:
  if (have_s) sf_scf_free(&s);
  sf_cell_free(&cell);
  return st;
}

/* The two SCFs, then the cold relaxation (unless ref already did it: its positions are
 * ref->xred) and the warm one, compared. */
static int warm_sample(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], const double *xred,
                       const double *rho, const sf_eval_reference *ref, sf_eval_dft *out)
{
  int st = SF_OK;
  const int natom = c->campaign->ref_cell->natom;
  double *x = NULL;
  SF_CHECK(sf_calloc((void **)&x, 6 * (size_t)natom, sizeof *x));
  for (int k = 0; k < 2; k++) SF_CHECK_GOTO(scf_once(comm, c, rprimd, xred, rho, k, out));
  if (ref) memcpy(x, ref->xred, sizeof(double) * 3 * natom);
  for (int k = ref ? 1 : 0; k < 2; k++) SF_CHECK_GOTO(relax_once(comm, c, rprimd, xred, rho, k, x + 3 * natom * k, out, NULL));
  out->dF = out->F[1] - out->F[0];
  out->dx_max = max_displacement(rprimd, x, x + 3 * natom, natom);
cleanup:
  sf_free(x);
  return st;
}

int sf_eval_dft_reference(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], sf_eval_reference *ref,
                          sf_eval_dft *out)
{
  memset(out, 0, sizeof *out);
  SF_CHECK(relax_once(comm, c, rprimd, NULL, NULL, 0, ref->xred, out, ref));
  return SF_OK;
}

int sf_eval_dft_sample(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], const double *xred,
                       const double *rho, const double *const truth[SF_NFIELD], const sf_eval_reference *ref,
                       sf_eval_dft *out)
{
  if (!ref) memset(out, 0, sizeof *out);
  const int *r = c->route;
  if (r[SF_ROUTE_ORBITAL] || r[SF_ROUTE_HARRIS] || r[SF_ROUTE_SCF] || c->residual_forces)
    SF_CHECK(nsc_sample(comm, c, rprimd, xred, rho, truth, out));
  if (c->warm_start) SF_CHECK(warm_sample(comm, c, rprimd, xred, rho, ref, out));
  return SF_OK;
}
