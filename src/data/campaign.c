/* campaign.c — the sample loop of `strainfield generate`: sample groups claim samples
 * from a one-sided counter, relax each strained cell (retrying once with safer mixing,
 * within the sample timeout), and write each finished sample to its own part file; a
 * signal stops the claiming (see dataset.h). */
#include "strainfield/core.h"
#include "strainfield/dataset.h"
#include "strainfield/layout.h"
#include "strainfield/props.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void kill_mid_sample(void *ctx) { sf_test_kill_point("mid-sample"); }

/* The quantities of a converged relaxation into r. */
static int store_results(sf_scf *s, const sf_cell *cell, sf_sample_record *r)
{
  double stress[3][3];
  SF_CHECK(sf_scf_forces(s, (double(*)[3])r->fcart));
  SF_CHECK(sf_scf_stress(s, stress));
  SF_CHECK(sf_scf_fields(s, r->field[SF_FIELD_RHO], r->field[SF_FIELD_PHI], r->field[SF_FIELD_U], r->field[SF_FIELD_S]));
  const sf_energies *E = &s->E;
  memcpy(r->stress, stress, sizeof stress);
  memcpy(r->xred, cell->xred, sizeof(double) * 3 * cell->natom);
  r->free_energy = E->free;
  r->internal_energy = E->internal;
  r->band_energy = E->band;
  r->entropy_term = E->entropy_term;
  r->fermi_energy = s->fermi;
  memcpy(r->e_term, E->term, sizeof r->e_term);
  double fm = 0;
  for (int a = 0; a < cell->natom; a++) {
    const double *f = r->fcart + 3 * a;
    fm = fmax(fm, sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]));
  }
  r->max_force = fm;
  return SF_OK;
}

/* The start of an accelerated sample on s (set up at the campaign's start positions, so
 * with their symmetry): the predicted positions averaged over that symmetry, the geometry
 * rebuilt, the predicted density (docs/physics.md, "Warm starts").  r->init says which. */
static int accelerated_start(const sf_campaign *c, sf_scf *s, sf_cell *cell, sf_sample_record *r)
{
  int st = SF_OK, use = 0;
  const int nfft = s->box.nfft;
  double *rho = NULL, (*x)[3] = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&rho, nfft, sizeof *rho));
  SF_CHECK_GOTO(sf_calloc((void **)&x, cell->natom, sizeof *x));
  SF_CHECK_GOTO(c->start(c->start_ctx, r->index, r->D, (double *)x, rho, &use));
  if (use) {
    SF_CHECK_GOTO(sf_symmetry_average_xred(&s->sym, cell, x));
    memcpy(cell->xred, x, sizeof(double) * 3 * cell->natom);
    SF_CHECK_GOTO(sf_cell_finish(cell, 0.5));
    SF_CHECK_GOTO(sf_scf_update_geometry(s));
    SF_CHECK_GOTO(sf_scf_set_density(s, rho));
    r->init = SF_INIT_MODEL;
  }
cleanup:
  sf_free(rho);
  sf_free(x);
  return st;
}

/* *timed_out = 1 when the SCF stopped at the sample's deadline (par->deadline); first: the
 * first attempt (the only one an accelerated campaign starts from a prediction). */
static int attempt(MPI_Comm comm, const sf_campaign *c, const sf_scf_params *par, sf_sample_record *r,
                   int first, int *timed_out)
{
  int st = SF_OK;
  const sf_cell *ref = c->ref_cell;
  sf_cell cell;
  sf_scf s;
  memset(&s, 0, sizeof s);
  sf_relax_result rr;
  memset(&rr, 0, sizeof rr);
  SF_CHECK(sf_cell_alloc(&cell, ref->natom, ref->ntypat));
  memcpy(cell.typat, ref->typat, sizeof(int) * ref->natom);
  memcpy(cell.xred, ref->xred, sizeof(double) * 3 * ref->natom);
  memcpy(cell.znucl, ref->znucl, sizeof(double) * ref->ntypat);
  memcpy(cell.zion, ref->zion, sizeof(double) * ref->ntypat);
  memcpy(cell.rprimd, r->lattice, sizeof cell.rprimd);
  SF_CHECK_GOTO(sf_cell_finish(&cell, 0.5));
  SF_CHECK_GOTO(sf_scf_setup(&s, par, &cell, c->psps, comm));
  r->init = SF_INIT_DEFAULT;
  if (c->start && first) SF_CHECK_GOTO(sf_status_agree(comm, accelerated_start(c, &s, &cell, r)));
  SF_CHECK_GOTO(sf_relax_atoms(&s, &cell, &c->relax, &rr));
  SF_CHECK_GOTO(store_results(&s, &cell, r));
cleanup:
  /* counts of the last attempt, kept for failed samples too */
  r->relax_evaluations = rr.evaluations;
  r->ionic_steps = rr.steps;
  r->scf_iterations = 0;
  for (int k = 0; k < rr.ntraj; k++) r->scf_iterations += rr.traj_scf[k];
  *timed_out = s.timed_out;
  sf_relax_result_free(&rr);
  sf_scf_free(&s);
  sf_cell_free(&cell);
  return st;
}

/* The strained lattice of r->D and its strain measures. */
static int strain_sample(const double ref[3][3], sf_sample_record *r)
{
  SF_CHECK(sf_lattice_from_strain(ref, r->D, r->lattice));
  SF_CHECK(sf_strain_measures(ref, (const double(*)[3])r->lattice, r->strain_F, r->strain_E, r->strain_eps));
  return SF_OK;
}

int sf_campaign_sample(MPI_Comm comm, const sf_campaign *c, long i, sf_sample_record *r)
{
  double t0 = sf_wtime();
  SF_CHECK(sf_record_alloc(r, c->ref_cell->natom, c->scf.ngfft, 1));
  r->index = i;
  r->round = c->round ? c->round[i] : 0;
  r->predicted_std = c->predicted_std ? c->predicted_std[i] : NAN;
  SF_CHECK(sf_sampler_D(c->sampler, i, r->D));
  char reason[2][SF_REASON_LEN];
  int st = strain_sample(c->ref_cell->rprimd, r);
  int na = 0, timed_out = 0;
  if (st) { snprintf(reason[0], SF_REASON_LEN, "%s", sf_error_message()); sf_error_reset(); na = 1; }
  while (!st && na < 2) {
    sf_scf_params par = c->scf;
    if (na == 1) { /* safer mixing: half the weight, twice the iterations */
      par.mix.alpha *= 0.5;
      par.nstep *= 2;
    }
    /* one deadline for both attempts; each rank counts from its own start (clocks of
     * different nodes need not agree), the SCF makes the ranks agree on it */
    par.deadline = c->sample_timeout > 0 ? t0 + c->sample_timeout : 0.0;
    par.iteration_hook = kill_mid_sample;
    st = attempt(comm, c, &par, r, na == 0, &timed_out);
    na++;
    if (!st) break;
    if (st == SF_STOPPED) return sf_error_trace(st, __FILE__, __LINE__, __func__); /* not done: no record */
    if (timed_out) { /* the whole story; a retry would have no time left */
      snprintf(reason[0], SF_REASON_LEN, "-sample_timeout %g s exceeded in attempt %d (%d ionic steps, %d SCF "
               "runs): %.120s", c->sample_timeout, na, r->ionic_steps, r->relax_evaluations, sf_error_message());
      sf_error_reset();
      break;
    }
    snprintf(reason[na - 1], SF_REASON_LEN, "%s", sf_error_message());
    sf_error_reset();
    if (na < 2) st = 0;
  }
  r->attempts = na;
  if (!st) {
    r->status = SF_SAMPLE_OK;
    r->reason[0] = 0;
  } else {
    r->status = SF_SAMPLE_FAILED;
    if (na == 2 && !timed_out) snprintf(r->reason, SF_REASON_LEN, "%.100s | retry with safer mixing: %.100s", reason[0], reason[1]);
    else snprintf(r->reason, SF_REASON_LEN, "%s", reason[0]);
    /* keep D, lattice and strains; everything computed is NaN */
    double *keep[2] = {r->xred, r->fcart};
    for (int k = 0; k < 2; k++) for (int j = 0; j < 3 * r->natom; j++) keep[k][j] = NAN;
    for (int f = 0; f < SF_NFIELD; f++) { sf_free(r->field[f]); r->field[f] = NULL; }
    double *scal[] = {&r->max_force, &r->free_energy, &r->internal_energy, &r->band_energy, &r->entropy_term,
                      &r->fermi_energy};
    for (size_t k = 0; k < sizeof scal / sizeof scal[0]; k++) *scal[k] = NAN;
    for (int t = 0; t < SF_NTERM; t++) r->e_term[t] = NAN;
    for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) r->stress[a][b] = NAN;
  }
  /* every rank of the group stores the same wall time (the leader's) */
  r->wall_s = sf_wtime() - t0;
  MPI_Bcast(&r->wall_s, 1, MPI_DOUBLE, 0, comm);
  return SF_OK;
}

/* One line per finished sample (-v), from its group's leader. */
static void report_sample(const sf_sample_record *r, int group)
{
  if (r->status == SF_SAMPLE_OK)
    printf("  sample %6ld [group %d]: F = %.10f Ha, max|f| = %.1e Ha/Bohr, %d ionic steps, %d SCF runs, "
           "%d SCF iterations%s, %.1f s\n", r->index, group, r->free_energy, r->max_force, r->ionic_steps,
           r->relax_evaluations, r->scf_iterations, r->attempts > 1 ? " (retried)" : "", r->wall_s);
  else printf("  sample %6ld [group %d]: FAILED after %d attempts: %s\n", r->index, group, r->attempts, r->reason);
  fflush(stdout);
}

static void progress(MPI_Win win, long npending, long nearlier, double t0)
{
  long v[3];
  for (int k = 0; k < 3; k++) MPI_Fetch_and_op(NULL, &v[k], MPI_LONG, 0, k, MPI_NO_OP, win);
  MPI_Win_flush(0, win);
  long ok = v[1], failed = v[2], done = ok + failed, remaining = npending - done;
  double el = sf_wtime() - t0, rate = done > 0 ? done / el * 3600.0 : 0.0;
  double eta = done > 0 ? remaining / (done / el) : 0.0;
  sf_log(1, "  progress: %ld ok, %ld failed this run (+%ld earlier), %ld remaining | %.1f samples/h | ETA %.1f min\n",
         ok, failed, nearlier, remaining, rate, eta / 60.0);
}

int sf_campaign_run(MPI_Comm world, const sf_campaign *c, long *ok_out, long *failed_out, int *stopped)
{
  int rank, size;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  int ns = c->nsample_groups, gsize = size / ns;
  sf_layout_groups sg; /* contiguous sample groups: group rank / gsize (layout.h) */
  SF_CHECK(sf_layout_groups_create(world, ns, "sample", &sg));
  MPI_Comm gcomm = sg.comm;
  int grank = sg.rank;
  long *pending = NULL, npending = 0, nearlier = 0;
  int st = sf_status_agree(world, sf_calloc((void **)&pending, c->nsamples > 0 ? c->nsamples : 1, sizeof(long)));
  if (st) { /* agreed before the collective window */
    sf_free(pending);
    MPI_Comm_free(&gcomm);
    return sf_error_trace(st, __FILE__, __LINE__, __func__);
  }
  for (long i = 0; i < c->nsamples; i++) {
    if (!c->have[i]) pending[npending++] = i;
    else nearlier++;
  }
  /* the counters: next pending slot, samples ok, samples failed, and the signal that
   * stopped a group (so that a signal seen by one rank stops every group) */
  long *base = NULL;
  MPI_Win win;
  MPI_Win_allocate(rank == 0 ? 4 * sizeof(long) : 0, sizeof(long), MPI_INFO_NULL, world, &base, &win);
  if (rank == 0) base[0] = base[1] = base[2] = base[3] = 0;
  MPI_Barrier(world);
  MPI_Win_lock_all(0, win);
  double t0 = sf_wtime();
  long my_ok = 0, my_failed = 0;
  int err = 0, lvl = sf_log_level();
  for (;;) {
    long k = npending;
    int stop = sf_stop_agreed(gcomm);
    if (grank == 0 && !stop) {
      long sig = 0;
      MPI_Fetch_and_op(NULL, &sig, MPI_LONG, 0, 3, MPI_NO_OP, win);
      MPI_Win_flush(0, win);
      if (sig) sf_stop_request((int)sig); /* another group saw a signal */
      else if (!(c->walltime > 0 && sf_wtime() - t0 > c->walltime)) {
        long one = 1;
        MPI_Fetch_and_op(&one, &k, MPI_LONG, 0, 0, MPI_SUM, win);
        MPI_Win_flush(0, win);
      }
    }
    MPI_Bcast(&k, 1, MPI_LONG, 0, gcomm);
    if (k >= npending) break;
    long i = pending[k];
    sf_sample_record r;
    if (lvl < 3) sf_log_set_level(0); /* the inner SCF/relax logs would interleave */
    err = sf_campaign_sample(gcomm, c, i, &r);
    sf_log_set_level(lvl);
    if (err == SF_STOPPED) { /* the sample is simply not done */
      sf_record_free(&r);
      sf_error_reset();
      err = 0;
      if (grank == 0) {
        long sig = sf_stop_requested();
        MPI_Accumulate(&sig, 1, MPI_LONG, 0, 3, 1, MPI_LONG, MPI_REPLACE, win);
        MPI_Win_flush(0, win);
      }
      break;
    }
    if (!err && grank == 0) err = sf_part_write(c->parts_dir, &r);
    MPI_Bcast(&err, 1, MPI_INT, 0, gcomm);
    if (err) { sf_record_free(&r); break; }
    if (grank == 0) {
      long one = 1;
      MPI_Accumulate(&one, 1, MPI_LONG, 0, r.status == SF_SAMPLE_OK ? 1 : 2, 1, MPI_LONG, MPI_SUM, win);
      MPI_Win_flush(0, win);
      if (r.status == SF_SAMPLE_OK) my_ok++;
      else my_failed++;
      if (lvl >= 2) report_sample(&r, rank / gsize);
    }
    if (rank == 0) progress(win, npending, nearlier, t0);
    sf_record_free(&r);
  }
  MPI_Win_unlock_all(win);
  MPI_Win_free(&win);
  sf_free(pending);
  long loc[3] = {grank == 0 ? my_ok : 0, grank == 0 ? my_failed : 0, err};
  MPI_Allreduce(MPI_IN_PLACE, loc, 3, MPI_LONG, MPI_SUM, world);
  sf_layout_groups_free(&sg);
  *ok_out = loc[0];
  *failed_out = loc[1];
  *stopped = sf_stop_agreed(world);
  if (!loc[2]) return SF_OK;
  /* Only world rank 0 prints errors, but the failure may be another group's: every rank
   * gets the first failing rank's message (which names the file). */
  SF_CHECK(sf_status_agree(world, err));
  return SF_OK;
}
