/* cmd_generate.c — `strainfield generate`: sample strains D, relax each strained cell,
 * store everything in one resumable dataset (docs/dataset.md).
 *
 * Crash safety: each finished sample goes to its own part file in DATASET.parts/
 * (tmp → fsync → rename), so a job killed at any moment loses at most the samples in
 * flight; -resume recomputes exactly the missing ones.  The final DATASET is written
 * collectively with parallel HDF5 to DATASET.tmp and renamed, then the parts are removed. */
#include "generate_internal.h"

#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/dataset.h"
#include "strainfield/layout.h"
#include "strainfield/options.h"
#include "strainfield/sampling.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <mpi.h>
#include <petscsys.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int exists(const char *p) { struct stat sb; return stat(p, &sb) == 0; }

/* An existing final dataset: its settings must be the campaign's; prev = its ok and
 * failed counts, *missing = its missing samples. */
static int check_finished(const gen_opts *g, const char *settings, long prev[2], long *missing)
{
  int st = SF_OK;
  char *old = NULL;
  int *status = NULL;
  long n = 0;
  SF_CHECK_GOTO(sf_dataset_read_state(g->dataset, &old, &status, &n));
  SF_CHECK_GOTO(sf_settings_compare(old, settings, g->dataset));
  prev[0] = prev[1] = 0;
  *missing = 0;
  for (long i = 0; i < n; i++) {
    if (status[i] == SF_SAMPLE_MISSING) (*missing)++;
    else prev[status[i] > 0 ? 0 : 1]++;
  }
cleanup:
  free(old);
  free(status);
  return st;
}

/* Rank 0: what is on disk and what to do.  Returns 1 in *complete when the dataset is
 * already complete (nothing to run); fills have[] from the parts otherwise. */
static int decide_locked(const gen_opts *g, const char *settings, int natom, const int grid[3], char *have,
                         int *complete, long prev[2])
{
  *complete = 0;
  char cj[1200];
  sf_settings_path(g->parts, cj, sizeof cj);
  int have_ds = exists(g->dataset), have_parts = exists(cj);
  /* we hold the lock: no campaign is running on this dataset, so -resume is safe advice */
  if ((have_ds || have_parts) && !g->resume)
    SF_ERROR(SF_ERR_INPUT, "%s exists%s: rerun with -resume to complete that campaign, or choose another -dataset",
             have_parts ? g->parts : g->dataset, have_parts ? " (an interrupted campaign; no process is running it)" : "");
  if (have_ds) {
    long missing = 0;
    SF_CHECK(check_finished(g, settings, prev, &missing));
    if (!missing) {
      *complete = 1;
      sf_parts_remove(g->parts); /* left over from a job killed while cleaning up */
      return SF_OK;
    }
    if (!have_parts) SF_ERROR(SF_ERR_FILE, "%s is incomplete (%ld samples missing) and %s is gone: cannot resume", g->dataset, missing, g->parts);
  }
  if (have_parts) {
    char *old = NULL;
    SF_CHECK(sf_settings_read(cj, &old));
    int st = sf_settings_compare(old, settings, g->parts);
    free(old);
    SF_CHECK(st);
  } else {
    SF_CHECK(sf_settings_write(cj, settings));
  }
  SF_CHECK(sf_parts_scan(g->parts, g->nsamples, natom, grid, have));
  return SF_OK;
}

/* Rank 0: takes the campaign's lock (held in *lock_fd until the end), then decides.  A
 * refusal leaves no folder behind that this call created. */
static int decide(const gen_opts *g, const char *settings, int natom, const int grid[3], char *have, int *complete,
                  long prev[2], int *lock_fd)
{
  int created = 0;
  SF_CHECK(sf_campaign_lock(g->parts, lock_fd, &created));
  int st = decide_locked(g, settings, natom, grid, have, complete, prev);
  if (st) {
    char cj[1200];
    sf_settings_path(g->parts, cj, sizeof cj);
    sf_campaign_unlock(g->parts, *lock_fd, created && !exists(cj));
    *lock_fd = -1;
  }
  return st;
}

static int choose_groups(int req, int nranks, long nsamples, int *ns)
{
  if (req < 0) SF_ERROR(SF_ERR_INPUT, "-par_sample_groups %d must be >= 0", req);
  if (req > 0) {
    if (nranks % req) SF_ERROR(SF_ERR_INPUT, "-par_sample_groups %d does not divide the %d ranks", req, nranks);
    *ns = req;
    return SF_OK;
  }
  /* automatic: samples are independent, so one rank per group is the most efficient,
   * unless there are fewer samples than ranks */
  *ns = sf_layout_sample_groups_auto(nranks, nsamples);
  return SF_OK;
}

struct sf_generate_s {
  sf_input in;
  gen_opts g;
  sf_relax_params rp;
  sf_sampler smp;
  sf_accelerate *acc;
  sf_rounds *rounds; /* NULL unless -sampling active or -accel_every */
  char *opts; /* the campaign's options only, taken before any later stage queries its own */
};

int sf_generate_prepare(sf_generate **gen, int in_run)
{
  SF_CHECK(sf_calloc((void **)gen, 1, sizeof **gen));
  sf_generate *G = *gen;
  SF_CHECK(sf_input_read(&G->in));
  int set_D, n;
  double Dtmp[6];
  SF_CHECK(sf_opt_real_array("-strain_D", 6, 6, NULL, 0, "deformation la,lb,lc,tha,thb,thc (deg) of the -acell/-rprim reference cell", Dtmp, &n, &set_D));
  if (set_D) SF_ERROR(SF_ERR_INPUT, "-strain_D is not used by generate: the campaign samples D (see -sampling)");
  /* in `run`, -summary belongs to the training metrics */
  if (!in_run && (G->in.have_summary || G->in.have_fields))
    SF_ERROR(SF_ERR_INPUT, "-summary and -fields are not used by generate: everything goes to -dataset");
  SF_CHECK(sf_generate_read_options(&G->g, &G->rp, &G->smp));
  SF_CHECK(sf_accelerate_options(&G->acc, !strcmp(G->g.sampling, "active")));
  SF_CHECK(sf_rounds_options(&G->rounds, G->g.sampling, &G->smp, G->g.nsamples, sf_accelerate_every(G->acc),
                             sf_accelerate_on(G->acc)));
  SF_CHECK(sf_options_json(&G->opts));
  return SF_OK;
}

void sf_generate_free(sf_generate **gen)
{
  if (!*gen) return;
  sf_free((*gen)->opts);
  sf_rounds_free(&(*gen)->rounds);
  sf_accelerate_free(&(*gen)->acc);
  sf_sampler_free(&(*gen)->smp);
  sf_input_free(&(*gen)->in);
  sf_free(*gen);
  *gen = NULL;
}

const char *sf_generate_dataset_path(const sf_generate *gen) { return gen->g.dataset; }

int sf_cmd_generate(void)
{
  int st = SF_OK;
  sf_generate *G = NULL;
  SF_CHECK_GOTO(sf_generate_prepare(&G, 0));
  SF_CHECK_GOTO(sf_options_finish());
  SF_CHECK_GOTO(sf_generate_execute(G));
cleanup:
  sf_generate_free(&G);
  return st;
}

/* -options_file names, as inputs that no output may overwrite. */
static int options_files(sf_path_input *out, int max)
{
  int argc = 0, n = 0;
  char **argv = NULL;
  if (PetscGetArgs(&argc, &argv) || !argv) return 0;
  for (int i = 1; i + 1 < argc && n < max; i++)
    if (!strcmp(argv[i], "-options_file")) out[n++] = (sf_path_input){"-options_file", argv[i + 1]};
  return n;
}

int sf_generate_check_outputs(const sf_generate *G, const char *option, const char *path)
{
  sf_path_input in[SF_MAXTYPAT + 12];
  int n = options_files(in, 8);
  if (G->g.sample_file[0]) in[n++] = (sf_path_input){"-sample_file", G->g.sample_file};
  for (int t = 0; t < G->in.npsp; t++) in[n++] = (sf_path_input){"-pseudos", G->in.psp_paths[t]};
  if (strcmp(path, G->g.dataset)) in[n++] = (sf_path_input){"-dataset", G->g.dataset};
  if (sf_accelerate_model_path(G->acc)) in[n++] = (sf_path_input){"-init_model", sf_accelerate_model_path(G->acc)};
  return sf_path_check_output(option, path, in, n);
}

/* The final file needs about its uncompressed size free: refusing before writing keeps
 * the parts and a clear message, where a full disk in the middle of a collective
 * parallel-HDF5 write could only fail (rank 0). */
static int check_room(const gen_opts *g, const int n[3])
{
  if (g->compress > 0) return SF_OK; /* size unknown; the write reports a full disk */
  char copy[1100];
  snprintf(copy, sizeof copy, "%s", g->dataset);
  struct statvfs vfs;
  if (statvfs(dirname(copy), &vfs)) return SF_OK;
  /* the fields, ~1.5 kB of columns per sample, the attributes (measured: 650544 bytes
   * for 4 samples on 12x20x20 against 618240 bytes of fields) */
  double need = (double)g->nsamples * (SF_NFIELD * 8.0 * n[0] * n[1] * n[2] + 2048.0) + 65536.0;
  double room = (double)vfs.f_bavail * vfs.f_frsize;
  if (room < need)
    SF_ERROR(SF_ERR_FILE, "-dataset %s: about %.1f MB are needed and %.1f MB are free on its file system; the "
             "finished samples are kept in %s: make room, then rerun with -resume", g->dataset, need / 1e6,
             room / 1e6, g->parts);
  return SF_OK;
}

static int execute_locked(sf_generate *G, int *lock_fd, int *remove_dir);

int sf_generate_execute(sf_generate *G)
{
  int lock_fd = -1, remove_dir = 0;
  int st = execute_locked(G, &lock_fd, &remove_dir);
  sf_campaign_unlock(G->g.parts, lock_fd, remove_dir); /* rank 0 holds it */
  return st;
}

/* The campaign's fixed grid: -ngfft, or ABINIT's choice for the reference cell stretched
 * by the largest lambda. */
static int campaign_grid(const sf_input *in, const gen_opts *g, sf_scf_params *par)
{
  if (par->ngfft[0] > 0) return SF_OK;
  int st = SF_OK;
  sf_cell big;
  SF_CHECK(sf_cell_alloc(&big, in->cell.natom, in->cell.ntypat));
  double lmax = fmax(1.0, g->lam[1]);
  for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) big.rprimd[i][j] = lmax * in->cell.rprimd[i][j];
  for (int a = 0; a < in->cell.natom; a++) memcpy(big.xred[a], in->cell.xred[a], sizeof big.xred[a]);
  SF_CHECK_GOTO(sf_cell_finish(&big, 0.0));
  SF_CHECK_GOTO(sf_fftbox_default_size(&big, NULL, par->ecut, 2.0, par->ngfft));
cleanup:
  sf_cell_free(&big);
  return st;
}

/* Rank 0 looks at the disk (and takes the lock); every rank learns the outcome: have[]
 * from the parts, or *complete with the previous counts. */
static int start_campaign(const gen_opts *g, const char *settings, int natom, const int grid[3], char *have,
                          int *complete, long prev[2], int *lock_fd)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    st = decide(g, settings, natom, grid, have, complete, prev, lock_fd);
    if (st) sf_error_print(stderr), sf_error_reset();
  }
  int flag[2] = {st, *complete};
  MPI_Bcast(flag, 2, MPI_INT, 0, MPI_COMM_WORLD);
  if (flag[0]) {
    if (rank == 0) SF_ERROR(flag[0], "cannot start the campaign (see above)");
    return flag[0];
  }
  *complete = flag[1];
  if (*complete) MPI_Bcast(prev, 2, MPI_LONG, 0, MPI_COMM_WORLD);
  else MPI_Bcast(have, (int)g->nsamples, MPI_CHAR, 0, MPI_COMM_WORLD);
  return SF_OK;
}

static void log_campaign(const sf_generate *G, const sf_scf_params *par, long nhave, int ns)
{
  const gen_opts *g = &G->g;
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  sf_log(1, "strainfield generate: %ld samples (%ld done earlier, %ld to run) -> %s\n", g->nsamples, nhave, g->nsamples - nhave, g->dataset);
  sf_log(1, "  sampling %s/%s, seed %d, lambda in [%g, %g], theta in [%g, %g] deg%s\n", g->sampling, g->dist, g->seed,
         g->lam[0], g->lam[1], g->theta[0], g->theta[1], G->smp.dist == SF_DIST_NORMAL ? " (+-nsigma of a truncated normal)" : "");
  const int(*K)[3] = (const int(*)[3])par->kptrlatt;
  char mesh[128];
  if (!sf_scf_params_has_kptrlatt(par)) snprintf(mesh, sizeof mesh, "%dx%dx%d", par->ngkpt[0], par->ngkpt[1], par->ngkpt[2]);
  else /* ABINIT's order: one column per triple */
    snprintf(mesh, sizeof mesh, "kptrlatt %d %d %d / %d %d %d / %d %d %d", K[0][0], K[1][0], K[2][0], K[0][1], K[1][1],
             K[2][1], K[0][2], K[1][2], K[2][2]);
  sf_log(1, "  %d atoms, ecut %g Ha, k-mesh %s, fixed grid %dx%dx%d, nband %d, tolmxf %g Ha/Bohr\n", G->in.cell.natom,
         par->ecut, mesh, par->ngfft[0], par->ngfft[1], par->ngfft[2], par->nband, G->rp.tolmxf);
  sf_layout_print_campaign(size, ns, par->nkpt_groups, par->nband_groups);
}

/* What the dataset file records of the campaign (the final file, and the intermediate
 * files of the round models). */
static sf_dataset_meta dataset_meta(const sf_generate *G, const char *settings, char md5[][33], const int grid[3])
{
  const sf_input *in = &G->in;
  sf_dataset_meta meta = {.options_json = G->opts, .settings_json = settings, .npsp = in->npsp,
                          .psp_paths = (const char(*)[1024])in->psp_paths, .psp_md5 = (const char(*)[33])md5,
                          .natom = in->cell.natom, .ntypat = in->cell.ntypat, .typat = in->cell.typat,
                          .znucl = in->cell.znucl, .ref_xred = (const double(*)[3])in->cell.xred,
                          .nsamples = G->g.nsamples, .compress = G->g.compress};
  memcpy(meta.n, grid, sizeof meta.n);
  memcpy(meta.ref_rprimd, in->cell.rprimd, sizeof meta.ref_rprimd);
  return meta;
}

/* Runs the campaign, round by round when it is in rounds (rounds.c): round r begins when
 * every sample of the earlier rounds is finished.  Dall, round_of, std_of: per sample. */
static int run_rounds(sf_generate *G, sf_campaign *c, const sf_dataset_meta *meta, char *have, double *Dall,
                      int *round_of, double *std_of, long *ok, long *failed, int *stopped)
{
  long nr = sf_rounds_count(G->rounds), size = G->rounds ? sf_rounds_size(G->rounds) : G->g.nsamples;
  *ok = *failed = 0;
  *stopped = 0;
  for (long r = 0; r < nr && !*stopped; r++) {
    long hi = (r + 1) * size < G->g.nsamples ? (r + 1) * size : G->g.nsamples, todo = 0, o = 0, f = 0;
    if (G->rounds) {
      int st = sf_rounds_begin(G->rounds, MPI_COMM_WORLD, (int)r, G->g.parts, meta, have, Dall, round_of, std_of);
      if (st == SF_STOPPED) { /* a signal while the round model trained: nothing of it is kept */
        sf_error_reset();
        *stopped = sf_stop_agreed(MPI_COMM_WORLD);
        break;
      }
      SF_CHECK(st);
      sf_accelerate_set_round(G->acc, sf_rounds_model(G->rounds), std_of);
    }
    for (long i = r * size; i < hi; i++) todo += !have[i];
    if (!todo) continue;
    c->nsamples = hi;
    SF_CHECK(sf_campaign_run(MPI_COMM_WORLD, c, &o, &f, stopped));
    *ok += o, *failed += f;
    if (G->rounds && !*stopped && o + f < todo) /* -walltime: a later round needs this one whole */
      *stopped = -1;
    for (long i = r * size; i < hi; i++) have[i] = 1;
  }
  return SF_OK;
}

static int execute_locked(sf_generate *G, int *lock_fd, int *remove_dir)
{
  const sf_input *in = &G->in;
  const gen_opts *g = &G->g;
  int rank, size, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char *settings = NULL, *have = NULL;
  double *Dall = NULL, *std_of = NULL;
  int *round_of = NULL;
  /* the same FFT plans in every run, resume and rank, unless the user trades that for speed */
  if (g->fft_reproducible) SF_CHECK_GOTO(sf_fft_plans_deterministic(MPI_COMM_WORLD));
  if (in->cell.natom > SF_MAXATOM_RELAX) SF_ERROR_GOTO(SF_ERR_INPUT, "generate relaxes at most %d atoms", SF_MAXATOM_RELAX);
  sf_scf_params par = in->scf;
  SF_CHECK_GOTO(campaign_grid(in, g, &par));
  char md5[SF_MAXTYPAT][33];
  for (int t = 0; t < in->npsp; t++) SF_CHECK_GOTO(sf_md5_file(in->psp_paths[t], md5[t]));
  SF_CHECK_GOTO(sf_generate_check_outputs(G, "-dataset", g->dataset)); /* every rank: same verdict */
  sf_input_warn(&G->in); /* after every check: a bad option is one line */
  SF_CHECK_GOTO(sf_generate_settings(G->opts, in, md5, par.ngfft, &G->smp, &settings));
  SF_CHECK_GOTO(sf_status_agree(MPI_COMM_WORLD, sf_accelerate_open(G->acc, &in->cell, par.ngfft)));

  SF_CHECK_GOTO(sf_calloc((void **)&have, g->nsamples, 1));
  int complete = 0;
  long prev[2] = {0, 0};
  SF_CHECK_GOTO(start_campaign(g, settings, in->cell.natom, par.ngfft, have, &complete, prev, lock_fd));
  if (complete) {
    sf_log(1, "strainfield generate: %s is already complete (%ld ok, %ld failed); nothing to do\n", g->dataset, prev[0], prev[1]);
    *remove_dir = 1;
    if (prev[1]) SF_ERROR_GOTO(SF_ERR_NOCONV, "%ld of %ld samples in %s failed (status -1; see /samples/reason)", prev[1], g->nsamples, g->dataset);
    goto cleanup;
  }
  long nhave = 0;
  for (long i = 0; i < g->nsamples; i++) nhave += have[i];
  int ns = 1;
  SF_CHECK_GOTO(choose_groups(g->nsample_groups, size, g->nsamples, &ns));
  log_campaign(G, &par, nhave, ns);

  /* every sample's D (the sampler's, or a round's choice: the campaign reads them as a table) */
  SF_CHECK_GOTO(sf_calloc((void **)&Dall, 6 * (size_t)g->nsamples, sizeof *Dall));
  SF_CHECK_GOTO(sf_calloc((void **)&round_of, g->nsamples, sizeof *round_of));
  SF_CHECK_GOTO(sf_calloc((void **)&std_of, g->nsamples, sizeof *std_of));
  for (long i = 0; i < g->nsamples; i++) {
    SF_CHECK_GOTO(sf_sampler_D(&G->smp, i, Dall + 6 * i));
    std_of[i] = NAN;
  }
  sf_sampler table = {.method = SF_SAMPLE_FILE, .nsamples = g->nsamples, .table = (double(*)[6])Dall, .ntable = g->nsamples};
  sf_dataset_meta meta = dataset_meta(G, settings, md5, par.ngfft);
  sf_campaign c = {.ref_cell = &in->cell, .psps = in->psps, .scf = par, .relax = G->rp, .sampler = &table,
                   .parts_dir = g->parts, .nsamples = g->nsamples, .have = have, .nsample_groups = ns,
                   .walltime = g->walltime, .sample_timeout = g->sample_timeout,
                   .start = sf_accelerate_on(G->acc) ? sf_accelerate_start : NULL, .start_ctx = G->acc,
                   .round = G->rounds ? round_of : NULL, .predicted_std = G->rounds ? std_of : NULL};
  long ok = 0, failed = 0, nhave0 = nhave;
  int stopped = 0;
  sf_test_kill_point("start");
  double t0 = sf_wtime();
  SF_CHECK_GOTO(run_rounds(G, &c, &meta, have, Dall, round_of, std_of, &ok, &failed, &stopped));
  double el = sf_wtime() - t0;
  if (stopped) /* what is complete is in the parts; the final file waits for -resume */
    SF_ERROR_GOTO(SF_STOPPED, "stopped by %s: %ld of %ld samples are complete in %s (%ld in this run); to finish the "
                  "campaign, rerun the same command with -resume", stopped < 0 ? "-walltime (a campaign in rounds "
                  "finishes each round before the next)" : sf_signal_name(stopped), nhave0 + ok + failed,
                  g->nsamples, g->parts, ok + failed);
  SF_CHECK_GOTO(sf_status_agree(MPI_COMM_WORLD, rank == 0 ? check_room(g, par.ngfft) : SF_OK));

  long counts[3];
  double ta = sf_wtime();
  SF_CHECK_GOTO(sf_dataset_assemble(MPI_COMM_WORLD, g->dataset, g->parts, &meta, Dall, counts));
  ta = sf_wtime() - ta;
  if (rank == 0 && counts[2] == 0 && !g->keep_parts) {
    sf_parts_remove(g->parts);
    *remove_dir = 1;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  sf_log(1, "\nstrainfield generate: %ld ok, %ld failed, %ld missing of %ld samples -> %s (written in %.1f s)\n",
         counts[0], counts[1], counts[2], g->nsamples, g->dataset, ta);
  sf_log(1, "  this run: %ld samples in %.1f s = %.1f samples/h on %d ranks (%d sample groups)\n", ok + failed, el,
         el > 0 ? (ok + failed) / el * 3600.0 : 0.0, size, ns);
  if (counts[1]) SF_ERROR_GOTO(SF_ERR_NOCONV, "%ld of %ld samples failed (status -1; reasons in /samples/reason)", counts[1], g->nsamples);
  if (counts[2]) sf_log(1, "  incomplete (-walltime reached): rerun the same command with -resume to finish\n");
cleanup:
  sf_free(have);
  sf_free(Dall);
  sf_free(round_of);
  sf_free(std_of);
  free(settings);
  return st;
}
