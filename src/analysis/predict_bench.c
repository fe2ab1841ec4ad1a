/* predict_bench.c — `predict -bench`: single-strain latency hot (repeated calls, weights
 * in cache: the stress-strain-path case) and cold (caches flushed with a 64 MB buffer
 * before each call), ∂F/∂D, ∂²F/∂D², the stress and elastic tensor, the four fields, batched throughput; min and median over
 * repeats; float32 vs float64 agreement. */
#include "strainfield/core.h"
#include "strainfield/elastic.h"
#include "strainfield/predict.h"
#include "predict_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

/* Positions on the stack: as many atoms as a cell may have (app.h's SF_MAXATOM). */
#define SF_MAXATOM_PREDICT 256

static int cmp_dbl(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* min and median of t[0..n) (sorted in place) */
static void min_med(double *t, int n, double *mn, double *med)
{
  qsort(t, n, sizeof *t, cmp_dbl);
  *mn = t[0];
  *med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* evicts the model from the caches: reads and writes a buffer larger than L3 */
static double flush_caches(double *buf, size_t n)
{
  double s = 0;
  for (size_t i = 0; i < n; i += 8) {
    buf[i] += 1.0;
    s += buf[i];
  }
  return s;
}

static void add_stat(cJSON *o, const char *name, double mn, double med)
{
  cJSON *t = cJSON_AddObjectToObject(o, name);
  cJSON_AddNumberToObject(t, "min", mn);
  cJSON_AddNumberToObject(t, "median", med);
}

/* What one timed call of -bench does. */
typedef enum { CALL_ALL, CALL_F_XRED, CALL_ALL_COLD, CALL_DF_DD, CALL_D2F, CALL_ELASTIC, CALL_RECONSTRUCT, CALL_BATCH } bench_call;

typedef struct {
  const sf_model *m;
  const double *D; /* one strain, or n for CALL_BATCH */
  int n;
  double *F, *x, *coef, *dF, *d2F, *fld;
  sf_elastic *el;
  double *flush; /* CALL_ALL_COLD: a buffer larger than L3, swept before each call */
  size_t nflush;
  double sink;   /* keeps the sweep from being optimised away */
} bench_ctx;

/* times reps calls (the sweep of a cold call is not timed); min and median in seconds */
static int timed(bench_ctx *c, bench_call what, int reps, double *t, double *mn, double *med)
{
  for (int r = 0; r < reps; r++) {
    if (what == CALL_ALL_COLD) c->sink += flush_caches(c->flush, c->nflush);
    double t0 = sf_wtime(), F64;
    switch (what) {
    case CALL_ALL:
    case CALL_ALL_COLD: SF_CHECK(sf_model_predict(c->m, c->D, 1, c->F, c->x, c->coef)); break;
    case CALL_F_XRED: SF_CHECK(sf_model_predict(c->m, c->D, 1, c->F, c->x, NULL)); break;
    case CALL_DF_DD: SF_CHECK(sf_model_dF_dD(c->m, c->D, &F64, c->dF)); break;
    case CALL_D2F: SF_CHECK(sf_model_d2F_dD2(c->m, c->D, &F64, c->dF, c->d2F)); break;
    case CALL_ELASTIC: SF_CHECK(sf_model_elastic(c->m, c->D, c->el)); break;
    case CALL_RECONSTRUCT: sf_model_reconstruct_all(c->m, c->coef, c->fld); break;
    case CALL_BATCH: SF_CHECK(sf_model_predict(c->m, c->D, c->n, c->F, c->x, c->coef)); break;
    }
    t[r] = sf_wtime() - t0;
  }
  min_med(t, reps, mn, med);
  return SF_OK;
}

/* float32 vs float64 at D0: max |Δ| over the outputs, relative to the largest |value| of
 * each group (rel[0..2]: F, xred, coefficients), and in units of the output standard
 * deviation (rel[3], the scale the networks learn). */
static int precision_check(const sf_model *m, const double D0[6], double *coef, double *c64, cJSON *b, double rel[4])
{
  const int nx = 3 * m->natom;
  int ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  double F, F64, x[3 * SF_MAXATOM_PREDICT], x64[3 * SF_MAXATOM_PREDICT];
  SF_CHECK(sf_model_predict64(m, D0, 1, &F64, x64, c64));
  SF_CHECK(sf_model_predict(m, D0, 1, &F, x, coef));
  double eF = fabs(F - F64) / fmax(fabs(F64), 1e-300), ex = 0, xs = 0, ec = 0, cs = 0, esd = 0;
  for (int i = 0; i < nx; i++) ex = fmax(ex, fabs(x[i] - x64[i])), xs = fmax(xs, fabs(x64[i]));
  for (int i = 0; i < ktot; i++) ec = fmax(ec, fabs(coef[i] - c64[i])), cs = fmax(cs, fabs(c64[i]));
  esd = fabs(F - F64) / m->net_energy.ystd[0];
  for (int i = 0; i < nx; i++) esd = fmax(esd, fabs(x[i] - x64[i]) / m->net_xred.ystd[i]);
  for (int f = 0, off = 0; f < SF_NFIELD; off += m->ncomp[f], f++)
    for (int i = 0; i < m->ncomp[f]; i++) esd = fmax(esd, fabs(coef[off + i] - c64[off + i]) / m->net_field[f].ystd[i]);
  rel[0] = eF;
  rel[1] = ex / fmax(xs, 1e-300);
  rel[2] = ec / fmax(cs, 1e-300);
  rel[3] = esd;
  cJSON *acc = cJSON_AddObjectToObject(b, "float32_vs_float64");
  cJSON_AddNumberToObject(acc, "free_energy_rel", rel[0]);
  cJSON_AddNumberToObject(acc, "xred_rel_to_max", rel[1]);
  cJSON_AddNumberToObject(acc, "coefficients_rel_to_max", rel[2]);
  cJSON_AddNumberToObject(acc, "max_in_output_std_units", rel[3]);
  return SF_OK;
}

/* Throughput of batches of 256, 1024 and 4096 strains around D0; the best rate and its
 * batch size. */
static int batched(const sf_model *m, const double D0[6], cJSON *b, double *t, double *best_rate, int *best_nb)
{
  const int nbmax = 4096, nx = 3 * m->natom;
  int ktot = 0, st = SF_OK;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  double mn, med, *Db = NULL, *Fb = NULL, *xb = NULL, *cb = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&Db, 6 * (size_t)nbmax, sizeof *Db));
  SF_CHECK_GOTO(sf_calloc((void **)&Fb, nbmax, sizeof *Fb));
  SF_CHECK_GOTO(sf_calloc((void **)&xb, (size_t)nbmax * nx + 1, sizeof *xb));
  SF_CHECK_GOTO(sf_calloc((void **)&cb, (size_t)nbmax * ktot, sizeof *cb));
  for (int i = 0; i < nbmax; i++)
    for (int j = 0; j < 6; j++) Db[6 * i + j] = D0[j] + (j < 3 ? 0.05 : 3.0) * (2 * sf_ml_rng_uniform(3, j, i) - 1);
  cJSON *bt = cJSON_AddArrayToObject(b, "batched");
  *best_rate = 0;
  *best_nb = 0;
  bench_ctx cb_ctx = {.m = m, .D = Db, .F = Fb, .x = xb, .coef = cb};
  for (int nb = 256; nb <= nbmax; nb *= 4) {
    cb_ctx.n = nb;
    SF_CHECK_GOTO(timed(&cb_ctx, CALL_BATCH, 1, t, &mn, &med)); /* warm-up */
    SF_CHECK_GOTO(timed(&cb_ctx, CALL_BATCH, 5, t, &mn, &med));
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "batch_size", nb);
    cJSON_AddNumberToObject(e, "strains_per_s_best", nb / mn);
    cJSON_AddNumberToObject(e, "strains_per_s_median", nb / med);
    cJSON_AddItemToArray(bt, e);
    if (nb / mn > *best_rate) *best_rate = nb / mn, *best_nb = nb;
  }
  cJSON_AddNumberToObject(b, "batch_size", *best_nb);
  cJSON_AddNumberToObject(b, "batch_throughput_per_s", *best_rate);
cleanup:
  sf_free(Db);
  sf_free(Fb);
  sf_free(xb);
  sf_free(cb);
  return st;
}

/* Reconstruction of the four fields (with the reconstruction threads): min and median. */
static int reconstruct_timing(bench_ctx *c, cJSON *b, int rec_threads, double *t, double *rec_min, double *rec_med,
                              double *basis_mb)
{
  const sf_model *m = c->m;
  double mn, med;
  sf_predict_threads_on();
  int st = timed(c, CALL_RECONSTRUCT, 2, t, &mn, &med); /* warm-up */
  if (st == SF_OK) st = timed(c, CALL_RECONSTRUCT, 15, t, &mn, &med);
  sf_predict_threads_off();
  SF_CHECK(st);
  *rec_min = mn;
  *rec_med = med;
  add_stat(b, "reconstruct_4_fields_ms", 1e3 * mn, 1e3 * med);
  cJSON_AddNumberToObject(b, "reconstruct_blas_threads", rec_threads);
  cJSON_AddItemToObject(b, "grid", cJSON_CreateIntArray(m->ngrid, 3));
  *basis_mb = 0;
  for (int f = 0; f < SF_NFIELD; f++) *basis_mb += 4.0 * m->ncomp[f] * m->npt / 1e6;
  cJSON_AddNumberToObject(b, "reconstruct_basis_MB", *basis_mb);
  cJSON_AddNumberToObject(b, "reconstruct_GB_per_s", *basis_mb / 1e3 / mn);
  return SF_OK;
}

int sf_predict_bench(const sf_model *m, cJSON *root, int rec_threads)
{
  const double D0[6] = {1.01, 0.99, 1.0, 90.5, 89.5, 90.0};
  int ktot = 0, st = SF_OK;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  const int reps = 2000, creps = 50;
  double F, x[3 * SF_MAXATOM_PREDICT], *coef = NULL, *c64 = NULL, *fld = NULL, *t = NULL, *flush = NULL;
  const size_t nflush = (size_t)64 << 20 >> 3; /* 64 MB */
  SF_CHECK_GOTO(sf_calloc((void **)&coef, ktot, sizeof *coef));
  SF_CHECK_GOTO(sf_calloc((void **)&c64, ktot, sizeof *c64));
  SF_CHECK_GOTO(sf_calloc((void **)&fld, (size_t)SF_NFIELD * m->npt, sizeof *fld));
  SF_CHECK_GOTO(sf_calloc((void **)&t, reps, sizeof *t));
  SF_CHECK_GOTO(sf_calloc((void **)&flush, nflush, sizeof *flush));
  cJSON *b = cJSON_AddObjectToObject(root, "timing");
  cJSON_AddStringToObject(b, "precision", m->have_fast ? "float32 weights, float64 scalers and outputs" : "float64");
  double mn, med, dF[6], rel[4] = {0}, rec_min = 0, rec_med = 0, basis_mb = 0, best_rate = 0;
  int best_nb = 0;
  double d2F[36];
  sf_elastic el;
  bench_ctx c = {.m = m, .D = D0, .n = 1, .F = &F, .x = x, .coef = coef, .dF = dF, .d2F = d2F, .el = &el, .fld = fld,
                 .flush = flush, .nflush = nflush};
  /* hot: back-to-back calls */
  SF_CHECK_GOTO(timed(&c, CALL_ALL, 50, t, &mn, &med)); /* warm-up */
  SF_CHECK_GOTO(timed(&c, CALL_ALL, reps, t, &mn, &med));
  double hot_min = mn, hot_med = med;
  add_stat(b, "predict_one_hot_us", 1e6 * mn, 1e6 * med);
  /* energy and positions only (what a stress-strain path needs, with ∂F/∂D) */
  SF_CHECK_GOTO(timed(&c, CALL_F_XRED, reps, t, &mn, &med));
  add_stat(b, "predict_F_xred_hot_us", 1e6 * mn, 1e6 * med);
  SF_CHECK_GOTO(timed(&c, CALL_ALL_COLD, creps, t, &mn, &med));
  double cold_min = mn, cold_med = med;
  add_stat(b, "predict_one_cold_us", 1e6 * mn, 1e6 * med);
  SF_CHECK_GOTO(timed(&c, CALL_DF_DD, reps, t, &mn, &med));
  double grad_med = med;
  add_stat(b, "dF_dD_one_us", 1e6 * mn, 1e6 * med);
  SF_CHECK_GOTO(timed(&c, CALL_D2F, reps, t, &mn, &med));
  add_stat(b, "d2F_dD2_one_us", 1e6 * mn, 1e6 * med);
  double el_med = NAN;
  if (m->have_ref) { /* σ, C, B, its eigenvalues and the moduli at one strain: elastic.h */
    SF_CHECK_GOTO(timed(&c, CALL_ELASTIC, reps, t, &mn, &med));
    add_stat(b, "elastic_one_us", 1e6 * mn, 1e6 * med);
    el_med = med;
  }
  SF_CHECK_GOTO(precision_check(m, D0, coef, c64, b, rel));
  SF_CHECK_GOTO(reconstruct_timing(&c, b, rec_threads, t, &rec_min, &rec_med, &basis_mb));
  SF_CHECK_GOTO(batched(m, D0, b, t, &best_rate, &best_nb));
  cJSON_AddNumberToObject(b, "predict_one_us", 1e6 * hot_med); /* kept for older readers */
  cJSON_AddNumberToObject(b, "reconstruct_4_fields_ms_median", 1e3 * rec_med);
  sf_log(1,
         "predict bench (%s): one D (F, xred, %d coefficients) hot %.2f us min / %.2f median, cold %.1f / %.1f us; "
         "dF/dD %.2f us; stress and elastic tensor %.2f us; 4 fields on %dx%dx%d %.3f ms min / %.3f median (%d BLAS thread%s, %.1f GB/s); batched %.0f "
         "strains/s (batch %d); float32 vs float64: F %.1e rel, xred %.1e, coef %.1e rel to max, %.1e output-std\n",
         m->have_fast ? "float32" : "float64", ktot, 1e6 * hot_min, 1e6 * hot_med, 1e6 * cold_min, 1e6 * cold_med,
         1e6 * grad_med, 1e6 * el_med, m->ngrid[0], m->ngrid[1], m->ngrid[2], 1e3 * rec_min, 1e3 * rec_med, rec_threads,
         rec_threads == 1 ? "" : "s", basis_mb / 1e3 / rec_min, best_rate, best_nb, rel[0], rel[1], rel[2], rel[3]);
  if (c.sink == 42.0) sf_log(3, "%g\n", c.sink);
cleanup:
  sf_free(coef);
  sf_free(c64);
  sf_free(fld);
  sf_free(t);
  sf_free(flush);
  return st;
}
