/* rounds.c — campaigns in rounds that learn as they go (issue 13): `generate -sampling
 * active` (the strains of round r ≥ 1 chosen where an ensemble trained on rounds < r
 * disagrees most) and `generate -accelerate -accel_every N` (random strains; the samples
 * of round r start from the prediction of the model trained on rounds < r).
 *
 * Owns: the round options (-al_batch, -al_pool, -al_ensemble, -al_epochs), the round
 * model (trained in the job on every finished sample of the earlier rounds, through the
 * training workflow on an intermediate dataset; saved as DATASET.parts/round_RRR.model.h5),
 * the normalised ensemble spread, the greedy max-min choice of a batch, and the round file
 * DATASET.parts/round_RRR.json (the round's strains and spreads, written atomically before
 * any of its samples runs).
 *
 * Determinism: a round's strains and its model depend only on the finished samples of the
 * earlier rounds (bitwise reproducible, -fft_reproducible) and on the options; a round is
 * begun only when every earlier sample is finished, and once its file exists it is read,
 * never chosen again, so a campaign killed at any moment resumes to the same dataset.  The
 * ranks evaluate the (broadcast) model identically; rank 0 writes. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/options.h"
#include "strainfield/training.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NREF 256      /* strains of the reference set that normalises the spread */
#define NLEAD 4       /* leading PCA coefficients of each field in the spread */
#define PURPOSE_POOL 0x706f6f6cULL
#define PURPOSE_REF 0x72656673ULL

struct sf_rounds_s {
  int active, accelerate; /* -sampling active; round models start samples (-accelerate) */
  long size, nsamples, nround;
  int pool, ensemble, epochs;
  sf_sampler base;        /* the campaign distribution (random draws) */
  sf_train_cfg *train;    /* the round models' training settings */
  sf_model model;         /* the model of round `model_round` (-1: none) */
  int model_round;
  double norm[SF_NNET][64]; /* the reference set's spread of each output of the mean */
};

int sf_rounds_options(sf_rounds **R, const char *sampling, const sf_sampler *dist, long nsamples, int accel_every,
                      int accelerate)
{
  *R = NULL;
  int active = !strcmp(sampling, "active"), batch, set_batch, pool, K, epochs, set_pool, set_k, set_ep;
  SF_CHECK(sf_opt_int("-al_batch", 40, "-sampling active: samples per round (round 0: the campaign's random draws)",
                      &batch, &set_batch));
  SF_CHECK(sf_opt_int("-al_pool", 2000, "-sampling active: candidates scored per round", &pool, &set_pool));
  SF_CHECK(sf_opt_int("-al_ensemble", 5, "-sampling active, -accel_every: members of each round's ensemble", &K, &set_k));
  SF_CHECK(sf_opt_int("-al_epochs", 1000, "-sampling active, -accel_every: training epochs of each round's model",
                      &epochs, &set_ep));
  if (sf_options_help_requested()) return SF_OK;
  if (!active && (set_batch || set_pool))
    SF_ERROR(SF_ERR_INPUT, "%s is used only with -sampling active", set_batch ? "-al_batch" : "-al_pool");
  if (!active && !accel_every && (set_k || set_ep))
    SF_ERROR(SF_ERR_INPUT, "%s is used only with -sampling active or -accel_every", set_k ? "-al_ensemble" : "-al_epochs");
  if (!active && !accel_every) return SF_OK;
  if (active && accel_every)
    SF_ERROR(SF_ERR_INPUT, "-accel_every is for random campaigns; an active campaign starts each round from its own "
             "ensemble (-accelerate alone)");
  long size = active ? batch : accel_every;
  if (size < 8) SF_ERROR(SF_ERR_INPUT, "%s %ld: must be >= 8 (the fewest samples a model trains on)",
                         active ? "-al_batch" : "-accel_every", size);
  if (active && pool < batch) SF_ERROR(SF_ERR_INPUT, "-al_pool %d must be >= -al_batch %d", pool, batch);
  if (K < 2 || K > SF_MODEL_MAXENS) SF_ERROR(SF_ERR_INPUT, "-al_ensemble %d: must be in 2..%d (a spread needs two members)", K, SF_MODEL_MAXENS);
  if (epochs < 1) SF_ERROR(SF_ERR_INPUT, "-al_epochs %d must be >= 1", epochs);
  SF_CHECK(sf_calloc((void **)R, 1, sizeof **R));
  sf_rounds *r = *R;
  r->active = active;
  r->accelerate = accelerate;
  r->size = size;
  r->nsamples = nsamples;
  r->nround = (nsamples + size - 1) / size;
  r->pool = pool;
  r->ensemble = K;
  r->epochs = epochs;
  r->base = *dist;
  r->base.method = SF_SAMPLE_RANDOM;
  r->base.table = NULL;
  r->base.ntable = 0;
  r->model_round = -1;
  /* the round models train with train's own options (architecture, optimiser, ...) */
  SF_CHECK(sf_train_prepare(&r->train));
  return SF_OK;
}

long sf_rounds_count(const sf_rounds *R) { return R ? R->nround : 1; }
long sf_rounds_size(const sf_rounds *R) { return R ? R->size : 0; }
int sf_rounds_active(const sf_rounds *R) { return R && R->active; }
const sf_model *sf_rounds_model(const sf_rounds *R) { return R && R->model_round >= 0 ? &R->model : NULL; }

void sf_rounds_free(sf_rounds **R)
{
  if (!*R) return;
  if ((*R)->model_round >= 0) sf_model_free(&(*R)->model);
  sf_train_cfg_free(&(*R)->train);
  sf_free(*R);
  *R = NULL;
}

static int exists(const char *p) { struct stat sb; return stat(p, &sb) == 0; }

static void round_path(const char *parts, int r, const char *ext, char *p, size_t len)
{
  snprintf(p, len, "%s/round_%03d%s", parts, r, ext);
}

/* The model of round r: read from its file, or trained on samples [0, lo) of the parts and
 * saved.  Collective. */
static int round_model(sf_rounds *R, MPI_Comm world, int r, const char *parts, const sf_dataset_meta *meta0,
                       const double *Dall)
{
  if (R->model_round == r) return SF_OK;
  if (R->model_round >= 0) sf_model_free(&R->model);
  R->model_round = -1;
  int rank, st = SF_OK;
  MPI_Comm_rank(world, &rank);
  char mpath[1200], dpath[1200];
  round_path(parts, r, ".model.h5", mpath, sizeof mpath);
  round_path(parts, r, ".train.h5", dpath, sizeof dpath);
  memset(&R->model, 0, sizeof R->model);
  if (exists(mpath)) {
    SF_CHECK(sf_model_read(mpath, &R->model));
    R->model.have_fast = 0; /* float64 on every rank: the same numbers everywhere */
    R->model_round = r;
    sf_log(1, "  round %d: model %s (from an earlier run)\n", r, mpath);
    return SF_OK;
  }
  long lo = (long)r * R->size, counts[3];
  sf_dataset_meta meta = *meta0;
  meta.nsamples = lo;
  meta.compress = 0;
  double t0 = sf_wtime();
  SF_CHECK(sf_dataset_assemble(world, dpath, parts, &meta, Dall, counts));
  sf_dataset ds;
  memset(&ds, 0, sizeof ds);
  cJSON *root = cJSON_CreateObject();
  sf_train_cfg cfg = *R->train;
  cfg.tp.epochs = R->epochs;
  cfg.ensemble = R->ensemble;
  cfg.ntrain = 0; /* all of them (failed ones skipped) */
  cfg.ntest = -1; /* every finished sample trains the round model */
  cfg.resume = 0;
  cfg.checkpoint[0] = 0;
  cfg.nlc = 0;
  cfg.cv_folds = 0;
  SF_CHECK_GOTO(sf_dataset_open(dpath, &ds));
  int lvl = sf_log_level();
  if (lvl < 2) sf_log_set_level(0);
  st = sf_training_run(world, &cfg, &ds, root, &R->model);
  sf_log_set_level(lvl);
  SF_CHECK_GOTO(st);
  SF_CHECK_GOTO(sf_model_write(world, mpath, &R->model));
  /* used as read back from its file, as a resumed campaign uses it (and with the float32
   * bases the reconstruction of a start needs) */
  sf_model_free(&R->model);
  memset(&R->model, 0, sizeof R->model);
  MPI_Barrier(world);
  SF_CHECK_GOTO(sf_status_agree(world, sf_model_read(mpath, &R->model)));
  R->model.have_fast = 0;
  R->model_round = r;
  sf_log(1, "  round %d: trained an ensemble of %d on %ld samples (%d epochs) in %.1f s -> %s\n", r, R->ensemble,
         counts[0], R->epochs, sf_wtime() - t0, mpath);
cleanup:
  cJSON_Delete(root);
  sf_dataset_free(&ds);
  if (rank == 0) unlink(dpath);
  return st;
}

/* Normalised spread of n strains: the mean over the outputs (F; the xred components and the
 * NLEAD leading coefficients of each field that vary over the reference set) of the
 * ensemble standard deviation divided by the reference set's standard deviation of the
 * ensemble mean, averaged per output group (F, xred, each field) and then over groups. */
static int spread(const sf_rounds *R, const double *D, int n, int set_norm, double *score)
{
  int st = SF_OK;
  const sf_model *m = &R->model;
  int nx = 3 * m->natom, nc = 0, off[SF_NFIELD];
  for (int f = 0; f < SF_NFIELD; f++) off[f] = nc, nc += m->ncomp[f];
  double *F = NULL, *Fs = NULL, *x = NULL, *xs = NULL, *c = NULL, *cs = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&F, 2 * (size_t)n, sizeof *F));
  SF_CHECK_GOTO(sf_calloc((void **)&x, 2 * (size_t)n * (nx + 1), sizeof *x));
  SF_CHECK_GOTO(sf_calloc((void **)&c, 2 * (size_t)n * nc, sizeof *c));
  Fs = F + n, xs = x + (size_t)n * (nx + 1), cs = c + (size_t)n * nc;
  SF_CHECK_GOTO(sf_model_predict_std(m, D, n, F, Fs, x, xs, c, cs));
  /* group g: 0 F, 1 xred, 2.. the fields; output k of group g at values v (stride s) */
  for (int g = 0; g < 2 + SF_NFIELD; g++) {
    int no = g == 0 ? 1 : g == 1 ? nx : (m->ncomp[g - 2] < NLEAD ? m->ncomp[g - 2] : NLEAD);
    for (int k = 0; k < no && k < 64; k++) {
      const double *v = g == 0 ? F : g == 1 ? x + k : c + off[g - 2] + k;
      int s = g == 0 ? 1 : g == 1 ? nx : nc;
      if (set_norm) {
        double mu = 0, var = 0;
        for (int j = 0; j < n; j++) mu += v[(size_t)j * s];
        mu /= n;
        for (int j = 0; j < n; j++) var += (v[(size_t)j * s] - mu) * (v[(size_t)j * s] - mu);
        ((sf_rounds *)R)->norm[g][k] = sqrt(var / n);
      }
    }
  }
  if (set_norm) goto cleanup;
  for (int j = 0; j < n; j++) {
    double tot = 0;
    int ng = 0;
    for (int g = 0; g < 2 + SF_NFIELD; g++) {
      int no = g == 0 ? 1 : g == 1 ? nx : (m->ncomp[g - 2] < NLEAD ? m->ncomp[g - 2] : NLEAD), cnt = 0;
      double sum = 0;
      for (int k = 0; k < no && k < 64; k++) {
        double sd = g == 0 ? Fs[j] : g == 1 ? xs[(size_t)j * nx + k] : cs[(size_t)j * nc + off[g - 2] + k];
        double nrm = R->norm[g][k];
        if (!(nrm > 1e-12)) continue; /* fixed by symmetry over the whole distribution */
        sum += sd / nrm;
        cnt++;
      }
      if (cnt) tot += sum / cnt, ng++;
    }
    score[j] = ng ? tot / ng : 0.0;
  }
cleanup:
  sf_free(F);
  sf_free(x);
  sf_free(c);
  return st;
}

/* Draws of the campaign distribution for round r's pool (or the reference set, r < 0). */
static int draw(const sf_rounds *R, int r, int n, double *D)
{
  sf_sampler s = R->base;
  s.seed = sf_rng_hash(R->base.seed, (uint64_t)(r < 0 ? 0 : r), r < 0 ? PURPOSE_REF : PURPOSE_POOL);
  s.nsamples = n;
  for (int j = 0; j < n; j++) SF_CHECK(sf_sampler_D(&s, j, D + 6 * (size_t)j));
  return SF_OK;
}

/* Greedy max-min: repeatedly the candidate of largest spread × distance (in D scaled by
 * the distribution's range) to every strain computed or chosen so far; ties: lowest index. */
static void choose(const sf_rounds *R, const double *pool, const double *score, int np, const double *Dprev, long nprev,
                   int nb, int *pick, double *dmin)
{
  const sf_sampler *s = &R->base;
  for (int j = 0; j < np; j++) dmin[j] = INFINITY;
  for (int b = -1; b < nb; b++) {
    /* distances to the strains added last: all earlier samples (b = -1), then pick b */
    long nq = b < 0 ? nprev : 1;
    for (long q = 0; q < nq; q++) {
      const double *y = b < 0 ? Dprev + 6 * q : pool + 6 * (size_t)pick[b];
      for (int j = 0; j < np; j++) {
        double d2 = 0;
        for (int k = 0; k < 6; k++) {
          double w = s->hi[k] > s->lo[k] ? (pool[6 * (size_t)j + k] - y[k]) / (s->hi[k] - s->lo[k]) : 0.0;
          d2 += w * w;
        }
        if (d2 < dmin[j]) dmin[j] = d2;
      }
    }
    if (b == nb - 1) break;
    int best = -1;
    double bu = -1;
    for (int j = 0; j < np; j++) {
      double u = score[j] * sqrt(dmin[j]);
      if (dmin[j] > 0 && u > bu) bu = u, best = j;
    }
    pick[b + 1] = best < 0 ? 0 : best;
    dmin[pick[b + 1]] = 0; /* never twice */
  }
}

/* A double as text that reads back to the same double (cJSON's own printing may be 1 ulp off). */
static cJSON *exact_number(double v)
{
  char t[40];
  snprintf(t, sizeof t, "%.17g", v);
  return cJSON_CreateRaw(t);
}

static cJSON *exact_row(const double *v, int n)
{
  cJSON *a = cJSON_CreateArray();
  for (int k = 0; k < n; k++) cJSON_AddItemToArray(a, exact_number(v[k]));
  return a;
}

/* The round file: {"round": r, "D": [[6]...], "predicted_std": [...]} (null: no model). */
static int write_round(const char *path, int r, const double *D, const double *sd, long n)
{
  cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "D"), *s = cJSON_AddArrayToObject(o, "predicted_std");
  cJSON_AddNumberToObject(o, "round", r);
  for (long j = 0; j < n; j++) {
    cJSON_AddItemToArray(a, exact_row(D + 6 * j, 6));
    cJSON_AddItemToArray(s, isfinite(sd[j]) ? exact_number(sd[j]) : cJSON_CreateNull());
  }
  char *txt = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!txt) SF_ERROR(SF_ERR_MEM, "cannot print %s", path);
  int st = sf_settings_write(path, txt);
  free(txt);
  return st;
}

static int read_round(const char *path, int r, double *D, double *sd, long n)
{
  char *txt = NULL;
  SF_CHECK(sf_settings_read(path, &txt));
  cJSON *o = cJSON_Parse(txt);
  free(txt);
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "D"), *s = cJSON_GetObjectItemCaseSensitive(o, "predicted_std");
  const cJSON *rr = cJSON_GetObjectItemCaseSensitive(o, "round");
  int ok = o && cJSON_IsNumber(rr) && rr->valueint == r && cJSON_GetArraySize(a) == n && cJSON_GetArraySize(s) == n;
  for (long j = 0; ok && j < n; j++) {
    const cJSON *row = cJSON_GetArrayItem(a, (int)j), *v = cJSON_GetArrayItem(s, (int)j);
    ok = cJSON_GetArraySize(row) == 6 && (cJSON_IsNumber(v) || cJSON_IsNull(v));
    for (int k = 0; ok && k < 6; k++) ok = cJSON_IsNumber(cJSON_GetArrayItem(row, k)), D[6 * j + k] = cJSON_GetArrayItem(row, k)->valuedouble;
    if (ok) sd[j] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
  }
  cJSON_Delete(o);
  if (!ok) SF_ERROR(SF_ERR_FILE, "%s is not round %d's file of %ld strains: remove the campaign's parts to start over", path, r, n);
  return SF_OK;
}

/* The strains of round r chosen by its model (the pool's greedy max-min), into D and sd. */
static int choose_round(sf_rounds *R, int r, const double *Dprev, long nprev, double *D, double *sd, long nb)
{
  int st = SF_OK, np = R->pool, *pick = NULL;
  double *pool = NULL, *score = NULL, *dmin = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&pool, 6 * (size_t)np, sizeof *pool));
  SF_CHECK_GOTO(sf_calloc((void **)&score, np, sizeof *score));
  SF_CHECK_GOTO(sf_calloc((void **)&dmin, np, sizeof *dmin));
  SF_CHECK_GOTO(sf_calloc((void **)&pick, nb, sizeof *pick));
  SF_CHECK_GOTO(draw(R, r, np, pool));
  SF_CHECK_GOTO(spread(R, pool, np, 0, score));
  choose(R, pool, score, np, Dprev, nprev, (int)nb, pick, dmin);
  double smax = 0, smean = 0;
  for (long b = 0; b < nb; b++) {
    memcpy(D + 6 * b, pool + 6 * (size_t)pick[b], 6 * sizeof *D);
    sd[b] = score[pick[b]];
    smean += sd[b] / nb;
  }
  for (int j = 0; j < np; j++) smax = fmax(smax, score[j]);
  sf_log(1, "  round %d: %ld strains chosen from %d candidates (spread: chosen mean %.3f, pool max %.3f)\n", r, nb, np,
         smean, smax);
cleanup:
  sf_free(pool);
  sf_free(score);
  sf_free(dmin);
  sf_free(pick);
  return st;
}

int sf_rounds_begin(sf_rounds *R, MPI_Comm world, int r, const char *parts, const sf_dataset_meta *meta,
                    const char *have, double *Dall, int *round_of, double *std_of)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(world, &rank);
  long lo = (long)r * R->size, hi = lo + R->size < R->nsamples ? lo + R->size : R->nsamples, nb = hi - lo, missing = 0;
  for (long i = lo; i < hi; i++) round_of[i] = r, missing += !have[i];
  char path[1200];
  round_path(parts, r, ".json", path, sizeof path);
  if (exists(path)) {
    SF_CHECK(read_round(path, r, Dall + 6 * lo, std_of + lo, nb));
    /* the spreads are in the file; the model is needed only to start the missing samples */
    if (R->accelerate && r > 0 && missing) SF_CHECK(round_model(R, world, r, parts, meta, Dall));
    return SF_OK;
  }
  for (long i = lo; i < hi; i++) std_of[i] = NAN;
  if (r > 0) {
    SF_CHECK(round_model(R, world, r, parts, meta, Dall));
    double *ref = NULL;
    SF_CHECK(sf_calloc((void **)&ref, 6 * NREF, sizeof *ref));
    st = draw(R, -1, NREF, ref);
    if (!st) st = spread(R, ref, NREF, 1, NULL);
    sf_free(ref);
    SF_CHECK(st);
    if (R->active) SF_CHECK(choose_round(R, r, Dall, lo, Dall + 6 * lo, std_of + lo, nb));
    else SF_CHECK(spread(R, Dall + 6 * lo, (int)nb, 0, std_of + lo));
  }
  if (rank == 0) st = write_round(path, r, Dall + 6 * lo, std_of + lo, nb);
  SF_CHECK(sf_status_agree(world, st));
  /* the numbers as the file holds them, as a resumed campaign reads them */
  SF_CHECK(sf_status_agree(world, read_round(path, r, Dall + 6 * lo, std_of + lo, nb)));
  return SF_OK;
}
