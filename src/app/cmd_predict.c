/* cmd_predict.c — `strainfield predict`: a trained model at one or many strains D:
 * free energy, relaxed xred, ∂F/∂D (JSON), the four fields (HDF5, and XSF for VESTA),
 * and with -bench the timings of single and batched prediction. */
#include "strainfield/app.h"
#include "strainfield/output.h"
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/dataset.h"
#include "strainfield/ml.h"
#include "strainfield/options.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOHR_ANGSTROM 0.52917721067

/* Why D is not a cell (NULL when it is one): the model would still return numbers. */
static const char *invalid_strain(const double *D)
{
  for (int j = 0; j < 3; j++)
    if (!(D[j] > 0)) return "the stretches la, lb, lc must be positive";
  for (int j = 3; j < 6; j++)
    if (!(D[j] > 0 && D[j] < 180)) return "the angles must lie strictly between 0 and 180 degrees";
  const double ca = cos(D[3] * M_PI / 180), cb = cos(D[4] * M_PI / 180), cc = cos(D[5] * M_PI / 180);
  if (1 - ca * ca - cb * cb - cc * cc + 2 * ca * cb * cc <= 1e-12) return "the three angles make no cell (zero volume)";
  return NULL;
}

/* Strains outside the box the training campaign sampled (its -sample_lambda_range and
 * -sample_theta_range): the networks extrapolate there.  Returns how many; 0 when the
 * campaign listed its strains in a file (no box). */
static int count_outside(const sf_model *m, const double *D, int n, double box[4])
{
  cJSON *top = m->dataset_settings ? cJSON_Parse(m->dataset_settings) : NULL, *o = top;
  /* the dataset's identity keeps generate's resolved options as a JSON string */
  const cJSON *opts = cJSON_GetObjectItemCaseSensitive(top, "options");
  cJSON *inner = cJSON_IsString(opts) ? cJSON_Parse(opts->valuestring) : NULL;
  if (inner) o = inner;
  const cJSON *lam = cJSON_GetObjectItemCaseSensitive(o, "sample_lambda_range"),
              *th = cJSON_GetObjectItemCaseSensitive(o, "sample_theta_range"),
              *how = cJSON_GetObjectItemCaseSensitive(o, "sampling");
  int out = 0;
  if (cJSON_GetArraySize(lam) == 2 && cJSON_GetArraySize(th) == 2 && !(cJSON_IsString(how) && !strcmp(how->valuestring, "file"))) {
    for (int k = 0; k < 2; k++) {
      box[k] = cJSON_GetArrayItem(lam, k)->valuedouble;
      box[2 + k] = cJSON_GetArrayItem(th, k)->valuedouble;
    }
    for (int i = 0; i < n; i++) {
      int in = 1;
      for (int j = 0; j < 6; j++) {
        const double lo = box[j < 3 ? 0 : 2], hi = box[j < 3 ? 1 : 3], v = D[6 * i + j];
        in = in && v >= lo - 1e-9 * fabs(lo) && v <= hi + 1e-9 * fabs(hi);
      }
      out += !in;
    }
  }
  cJSON_Delete(inner);
  cJSON_Delete(top);
  return out;
}

static int read_strain_file(const char *path, double **D, int *n)
{
  FILE *fp = fopen(path, "r");
  if (!fp) SF_ERROR(SF_ERR_FILE, "cannot open strain file %s", path);
  int cap = 64, cnt = 0, st = 0;
  char line[1024];
  st = sf_calloc((void **)D, 6 * (size_t)cap, sizeof(double));
  for (int lineno = 1; !st && fgets(line, sizeof line, fp); lineno++) {
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || !*p) continue;
    for (char *q = p; *q; q++)
      if (*q == ',') *q = ' ';
    double v[6];
    if (sscanf(p, "%lf %lf %lf %lf %lf %lf", v, v + 1, v + 2, v + 3, v + 4, v + 5) != 6) {
      st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "%s line %d: '%.40s' is not 6 numbers", path, lineno, p);
      break;
    }
    const char *why = invalid_strain(v);
    if (why) {
      st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "%s line %d: %s", path, lineno, why);
      break;
    }
    if (cnt == cap) {
      double *nd = NULL;
      st = sf_calloc((void **)&nd, 12 * (size_t)cap, sizeof(double));
      if (st) break;
      memcpy(nd, *D, 6 * (size_t)cap * sizeof(double));
      sf_free(*D);
      *D = nd;
      cap *= 2;
    }
    memcpy(*D + 6 * (size_t)cnt++, v, sizeof v);
  }
  fclose(fp);
  SF_CHECK(st);
  if (!cnt) SF_ERROR(SF_ERR_INPUT, "%s has no strains", path);
  *n = cnt;
  return SF_OK;
}

static int write_xsf(const char *path, const sf_model *m, const double rprimd[9], const double *xred, int znucl,
                     const double *field)
{
  char tmp[1200]; /* written to PATH.tmp and renamed when complete */
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *fp = fopen(tmp, "w");
  if (!fp) SF_ERROR(SF_ERR_FILE, "-xsf: cannot write %s", tmp);
  fprintf(fp, "# strainfield %s predicted field (atomic units; lattice in Angstrom)\nCRYSTAL\nPRIMVEC\n", SF_VERSION);
  for (int i = 0; i < 3; i++)
    fprintf(fp, " %.10f %.10f %.10f\n", rprimd[3 * i] * BOHR_ANGSTROM, rprimd[3 * i + 1] * BOHR_ANGSTROM,
            rprimd[3 * i + 2] * BOHR_ANGSTROM);
  fprintf(fp, "PRIMCOORD\n %d 1\n", m->natom);
  for (int a = 0; a < m->natom; a++) {
    double c[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
      for (int j = 0; j < 3; j++) c[k] += xred[3 * a + j] * rprimd[3 * j + k];
    fprintf(fp, " %d %.10f %.10f %.10f\n", znucl, c[0] * BOHR_ANGSTROM, c[1] * BOHR_ANGSTROM, c[2] * BOHR_ANGSTROM);
  }
  const int n1 = m->ngrid[0], n2 = m->ngrid[1], n3 = m->ngrid[2];
  fprintf(fp, "BEGIN_BLOCK_DATAGRID_3D\n strainfield\n BEGIN_DATAGRID_3D_field\n %d %d %d\n 0 0 0\n", n1 + 1, n2 + 1, n3 + 1);
  for (int i = 0; i < 3; i++)
    fprintf(fp, " %.10f %.10f %.10f\n", rprimd[3 * i] * BOHR_ANGSTROM, rprimd[3 * i + 1] * BOHR_ANGSTROM,
            rprimd[3 * i + 2] * BOHR_ANGSTROM);
  /* XSF: first index fastest, periodic end points included */
  int cnt = 0;
  for (int k = 0; k <= n3; k++)
    for (int j = 0; j <= n2; j++)
      for (int i = 0; i <= n1; i++) {
        fprintf(fp, " %.8e", field[((size_t)(i % n1) * n2 + j % n2) * n3 + k % n3]);
        if (++cnt % 6 == 0) fputc('\n', fp);
      }
  int ok = fprintf(fp, "\n END_DATAGRID_3D\nEND_BLOCK_DATAGRID_3D\n") > 0 && !ferror(fp);
  ok = !fclose(fp) && ok;
  if (!ok || rename(tmp, path)) {
    remove(tmp);
    SF_ERROR(SF_ERR_FILE, "-xsf: cannot write %s", path);
  }
  return SF_OK;
}

/* BLAS threads for field reconstruction (see sf_predict_run); 1 outside it */
static int rec_nthreads = 1;
static void rec_threads_on(void)
{
  if (rec_nthreads > 1) openblas_set_num_threads(rec_nthreads);
}
static void rec_threads_off(void)
{
  if (rec_nthreads > 1) openblas_set_num_threads(1);
}

static int write_fields_h5(const char *path, const sf_model *m, const double *D, int n, const double *F,
                           const double *xred, const double *dF, const double *coef)
{
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot create %s", tmp);
  int ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  hsize_t d6[2] = {(hsize_t)n, 6}, d1 = (hsize_t)n, dx[3] = {(hsize_t)n, (hsize_t)m->natom, 3},
          dc[2] = {(hsize_t)n, (hsize_t)ktot};
  int st = sf_h5_write_doubles(file, "D", 2, d6, D);
  if (!st) st = sf_h5_write_doubles(file, "free_energy", 1, &d1, F);
  if (!st) st = sf_h5_write_doubles(file, "xred", 3, dx, xred);
  if (!st) st = sf_h5_write_doubles(file, "dF_dD", 2, d6, dF);
  if (!st) st = sf_h5_write_doubles(file, "coefficients", 2, dc, coef);
  double *fld = NULL;
  if (!st) st = sf_calloc((void **)&fld, (size_t)n * m->npt, sizeof *fld);
  hid_t g = H5Gcreate2(file, "fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int off = 0;
  for (int f = 0; f < SF_NFIELD && !st; f++) {
    rec_threads_on();
    for (int i = 0; i < n; i++) sf_model_reconstruct(m, f, coef + (size_t)i * ktot + off, fld + (size_t)i * m->npt);
    rec_threads_off();
    hsize_t df[4] = {(hsize_t)n, (hsize_t)m->ngrid[0], (hsize_t)m->ngrid[1], (hsize_t)m->ngrid[2]};
    st = sf_h5_write_doubles(g, sf_ml_field_names[f], 4, df, fld);
    off += m->ncomp[f];
  }
  H5Gclose(g);
  sf_free(fld);
  SF_CHECK(sf_h5_finish(file, st, tmp, path));
  return SF_OK;
}

/* Everything predict reports for n strains: F, xred, dF/dD and the coefficients. */
typedef struct {
  double *F, *x, *dF, *coef;
} predictions;

static void predictions_free(predictions *p)
{
  sf_free(p->F);
  sf_free(p->x);
  sf_free(p->dF);
  sf_free(p->coef);
}

static int predict_all(const sf_model *m, const double *D, int n, predictions *p)
{
  int ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  memset(p, 0, sizeof *p);
  int st = sf_calloc((void **)&p->F, n, sizeof *p->F);
  if (!st) st = sf_calloc((void **)&p->x, (size_t)n * 3 * m->natom + 1, sizeof *p->x);
  if (!st) st = sf_calloc((void **)&p->dF, 6 * (size_t)n, sizeof *p->dF);
  if (!st) st = sf_calloc((void **)&p->coef, (size_t)n * ktot, sizeof *p->coef);
  if (!st) st = sf_model_predict(m, D, n, p->F, p->x, p->coef);
  for (int i = 0; i < n && !st; i++) st = sf_model_dF_dD(m, D + 6 * i, NULL, p->dF + 6 * i);
  if (st) {
    predictions_free(p);
    return sf_error_trace(st, __FILE__, __LINE__, __func__);
  }
  return SF_OK;
}

int sf_predict_fields_file(const char *path, const sf_model *m, const double *D, int n)
{
  predictions p;
  SF_CHECK(predict_all(m, D, n, &p));
  int st = write_fields_h5(path, m, D, n, p.F, p.x, p.dF, p.coef);
  predictions_free(&p);
  SF_CHECK(st);
  return SF_OK;
}

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
typedef enum { CALL_ALL, CALL_F_XRED, CALL_ALL_COLD, CALL_DF_DD, CALL_RECONSTRUCT, CALL_BATCH } bench_call;

typedef struct {
  const sf_model *m;
  const double *D; /* one strain, or n for CALL_BATCH */
  int n;
  double *F, *x, *coef, *dF, *fld;
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
    case CALL_RECONSTRUCT: sf_model_reconstruct_all(c->m, c->coef, c->fld); break;
    case CALL_BATCH: SF_CHECK(sf_model_predict(c->m, c->D, c->n, c->F, c->x, c->coef)); break;
    }
    t[r] = sf_wtime() - t0;
  }
  min_med(t, reps, mn, med);
  return SF_OK;
}

/* -bench: single-D latency hot (repeated calls, weights in cache: the stress-strain-path
 * case) and cold (caches flushed with a 64 MB buffer before each call), ∂F/∂D, the four
 * fields, batched throughput; min and median over repeats; float32 vs float64 agreement. */
static int bench(const sf_model *m, cJSON *root, int rec_threads)
{
  const double D0[6] = {1.01, 0.99, 1.0, 90.5, 89.5, 90.0};
  int ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  const int nx = 3 * m->natom, nbmax = 4096, reps = 2000, creps = 50, rreps = 15;
  double F, F64, x[3 * SF_MAXATOM], x64[3 * SF_MAXATOM], *coef = NULL, *c64 = NULL, *fld = NULL, *Db = NULL, *Fb = NULL,
                                                      *xb = NULL, *cb = NULL, *t = NULL, *flush = NULL;
  const size_t nflush = (size_t)64 << 20 >> 3; /* 64 MB */
  SF_CHECK(sf_calloc((void **)&coef, ktot, sizeof *coef));
  SF_CHECK(sf_calloc((void **)&c64, ktot, sizeof *c64));
  SF_CHECK(sf_calloc((void **)&fld, (size_t)SF_NFIELD * m->npt, sizeof *fld));
  SF_CHECK(sf_calloc((void **)&Db, 6 * (size_t)nbmax, sizeof *Db));
  SF_CHECK(sf_calloc((void **)&Fb, nbmax, sizeof *Fb));
  SF_CHECK(sf_calloc((void **)&xb, (size_t)nbmax * nx + 1, sizeof *xb));
  SF_CHECK(sf_calloc((void **)&cb, (size_t)nbmax * ktot, sizeof *cb));
  SF_CHECK(sf_calloc((void **)&t, reps, sizeof *t));
  SF_CHECK(sf_calloc((void **)&flush, nflush, sizeof *flush));
  cJSON *b = cJSON_AddObjectToObject(root, "timing");
  cJSON_AddStringToObject(b, "precision", m->have_fast ? "float32 weights, float64 scalers and outputs" : "float64");
  double mn, med, dF[6];
  bench_ctx c = {.m = m, .D = D0, .n = 1, .F = &F, .x = x, .coef = coef, .dF = dF, .fld = fld, .flush = flush, .nflush = nflush};
  /* hot: back-to-back calls */
  SF_CHECK(timed(&c, CALL_ALL, 50, t, &mn, &med)); /* warm-up */
  SF_CHECK(timed(&c, CALL_ALL, reps, t, &mn, &med));
  double hot_min = mn, hot_med = med;
  add_stat(b, "predict_one_hot_us", 1e6 * mn, 1e6 * med);
  /* energy and positions only (what a stress-strain path needs, with ∂F/∂D) */
  SF_CHECK(timed(&c, CALL_F_XRED, reps, t, &mn, &med));
  add_stat(b, "predict_F_xred_hot_us", 1e6 * mn, 1e6 * med);
  SF_CHECK(timed(&c, CALL_ALL_COLD, creps, t, &mn, &med));
  double cold_min = mn, cold_med = med;
  add_stat(b, "predict_one_cold_us", 1e6 * mn, 1e6 * med);
  SF_CHECK(timed(&c, CALL_DF_DD, reps, t, &mn, &med));
  double grad_med = med;
  add_stat(b, "dF_dD_one_us", 1e6 * mn, 1e6 * med);
  /* float32 vs float64: max |Δ| over the outputs, relative to the largest |value| of each
   * group, and in units of the output standard deviation (the scale the networks learn) */
  SF_CHECK(sf_model_predict64(m, D0, 1, &F64, x64, c64));
  SF_CHECK(sf_model_predict(m, D0, 1, &F, x, coef));
  double eF = fabs(F - F64) / fmax(fabs(F64), 1e-300), ex = 0, xs = 0, ec = 0, cs = 0, esd = 0;
  for (int i = 0; i < nx; i++) ex = fmax(ex, fabs(x[i] - x64[i])), xs = fmax(xs, fabs(x64[i]));
  for (int i = 0; i < ktot; i++) ec = fmax(ec, fabs(coef[i] - c64[i])), cs = fmax(cs, fabs(c64[i]));
  esd = fabs(F - F64) / m->net_energy.ystd[0];
  for (int i = 0; i < nx; i++) esd = fmax(esd, fabs(x[i] - x64[i]) / m->net_xred.ystd[i]);
  for (int f = 0, off = 0; f < SF_NFIELD; off += m->ncomp[f], f++)
    for (int i = 0; i < m->ncomp[f]; i++) esd = fmax(esd, fabs(coef[off + i] - c64[off + i]) / m->net_field[f].ystd[i]);
  cJSON *acc = cJSON_AddObjectToObject(b, "float32_vs_float64");
  cJSON_AddNumberToObject(acc, "free_energy_rel", eF);
  cJSON_AddNumberToObject(acc, "xred_rel_to_max", ex / fmax(xs, 1e-300));
  cJSON_AddNumberToObject(acc, "coefficients_rel_to_max", ec / fmax(cs, 1e-300));
  cJSON_AddNumberToObject(acc, "max_in_output_std_units", esd);
  /* reconstruction of the four fields */
  rec_threads_on();
  int st = timed(&c, CALL_RECONSTRUCT, 2, t, &mn, &med); /* warm-up */
  if (!st) st = timed(&c, CALL_RECONSTRUCT, rreps, t, &mn, &med);
  rec_threads_off();
  SF_CHECK(st);
  double rec_min = mn, rec_med = med;
  add_stat(b, "reconstruct_4_fields_ms", 1e3 * mn, 1e3 * med);
  cJSON_AddNumberToObject(b, "reconstruct_blas_threads", rec_threads);
  cJSON_AddItemToObject(b, "grid", cJSON_CreateIntArray(m->ngrid, 3));
  double basis_mb = 0;
  for (int f = 0; f < SF_NFIELD; f++) basis_mb += 4.0 * m->ncomp[f] * m->npt / 1e6;
  cJSON_AddNumberToObject(b, "reconstruct_basis_MB", basis_mb);
  cJSON_AddNumberToObject(b, "reconstruct_GB_per_s", basis_mb / 1e3 / rec_min);
  /* batched */
  for (int i = 0; i < nbmax; i++)
    for (int j = 0; j < 6; j++) Db[6 * i + j] = D0[j] + (j < 3 ? 0.05 : 3.0) * (2 * sf_ml_rng_uniform(3, j, i) - 1);
  cJSON *bt = cJSON_AddArrayToObject(b, "batched");
  double best_rate = 0;
  int best_nb = 0;
  bench_ctx cb_ctx = {.m = m, .D = Db, .F = Fb, .x = xb, .coef = cb};
  for (int nb = 256; nb <= nbmax; nb *= 4) {
    cb_ctx.n = nb;
    SF_CHECK(timed(&cb_ctx, CALL_BATCH, 1, t, &mn, &med)); /* warm-up */
    SF_CHECK(timed(&cb_ctx, CALL_BATCH, 5, t, &mn, &med));
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "batch_size", nb);
    cJSON_AddNumberToObject(e, "strains_per_s_best", nb / mn);
    cJSON_AddNumberToObject(e, "strains_per_s_median", nb / med);
    cJSON_AddItemToArray(bt, e);
    if (nb / mn > best_rate) best_rate = nb / mn, best_nb = nb;
  }
  cJSON_AddNumberToObject(b, "batch_size", best_nb);
  cJSON_AddNumberToObject(b, "batch_throughput_per_s", best_rate);
  cJSON_AddNumberToObject(b, "predict_one_us", 1e6 * hot_med); /* kept for older readers */
  cJSON_AddNumberToObject(b, "reconstruct_4_fields_ms_median", 1e3 * rec_med);
  sf_log(1,
         "predict bench (%s): one D (F, xred, %d coefficients) hot %.2f us min / %.2f median, cold %.1f / %.1f us; "
         "dF/dD %.2f us; 4 fields on %dx%dx%d %.3f ms min / %.3f median (%d BLAS thread%s, %.1f GB/s); batched %.0f "
         "strains/s (batch %d); float32 vs float64: F %.1e rel, xred %.1e, coef %.1e rel to max, %.1e output-std\n",
         m->have_fast ? "float32" : "float64", ktot, 1e6 * hot_min, 1e6 * hot_med, 1e6 * cold_min, 1e6 * cold_med,
         1e6 * grad_med, m->ngrid[0], m->ngrid[1], m->ngrid[2], 1e3 * rec_min, 1e3 * rec_med, rec_threads,
         rec_threads == 1 ? "" : "s", basis_mb / 1e3 / rec_min, best_rate, best_nb, eF, ex / fmax(xs, 1e-300),
         ec / fmax(cs, 1e-300), esd);
  if (c.sink == 42.0) sf_log(3, "%g\n", c.sink);
  sf_free(coef);
  sf_free(c64);
  sf_free(fld);
  sf_free(Db);
  sf_free(Fb);
  sf_free(xb);
  sf_free(cb);
  sf_free(t);
  sf_free(flush);
  return SF_OK;
}

static int predict_body(sf_model *m, double *D, int n, const char *summary, int have_summary, const char *fields,
                        int have_fields, const char *xsf, int have_xsf, int znucl, int do_bench, int rec_threads)
{
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int nx = 3 * m->natom;
  predictions pr;
  SF_CHECK(predict_all(m, D, n, &pr));
  double *F = pr.F, *x = pr.x, *dF = pr.dF, *coef = pr.coef;
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "dataset_checksum", m->dataset_checksum);
  if (n == 1) {
    cJSON_AddItemToObject(root, "strain_D", cJSON_CreateDoubleArray(D, 6));
    cJSON_AddNumberToObject(root, "free_energy", F[0]);
    cJSON_AddItemToObject(root, "xred", cJSON_CreateDoubleArray(x, nx));
    cJSON_AddItemToObject(root, "dF_dD", cJSON_CreateDoubleArray(dF, 6));
  } else {
    cJSON *a = cJSON_AddArrayToObject(root, "strain_D"), *b = cJSON_AddArrayToObject(root, "xred"),
          *c = cJSON_AddArrayToObject(root, "dF_dD");
    cJSON_AddItemToObject(root, "free_energy", cJSON_CreateDoubleArray(F, n));
    for (int i = 0; i < n; i++) {
      cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(D + 6 * i, 6));
      cJSON_AddItemToArray(b, cJSON_CreateDoubleArray(x + (size_t)i * nx, nx));
      cJSON_AddItemToArray(c, cJSON_CreateDoubleArray(dF + 6 * i, 6));
    }
  }
  cJSON_AddStringToObject(root, "units", "free_energy Ha; xred reduced; dF_dD Ha per unit lambda and Ha per degree");
  double box[4];
  const int nout = count_outside(m, D, n, box);
  cJSON_AddNumberToObject(root, "outside_training_range", nout);
  if (nout && rank == 0)
    fprintf(stderr,
            "strainfield: warning: %d of %d strain%s outside the training campaign's box (lambda in [%g, %g], theta in "
            "[%g, %g] deg): the networks extrapolate there\n",
            nout, n, n == 1 ? " lies" : "s lie", box[0], box[1], box[2], box[3]);
  sf_log(1, "predict: %d strain(s); first: F = %.8f Ha, dF/dD = [%.5f %.5f %.5f %.6f %.6f %.6f]\n", n, F[0], dF[0], dF[1],
         dF[2], dF[3], dF[4], dF[5]);
  int st = 0;
  if (do_bench) st = bench(m, root, rec_threads);
  if (!st && rank == 0 && have_fields) st = write_fields_h5(fields, m, D, n, F, x, dF, coef);
  if (!st && rank == 0 && have_xsf) {
    if (!m->have_ref) st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "-xsf: the model has no reference lattice");
    double r[3][3], ref[3][3], *fld = NULL;
    memcpy(ref, m->ref_rprimd, sizeof ref);
    if (!st) st = sf_lattice_from_strain(ref, D, r);
    if (!st) st = sf_calloc((void **)&fld, m->npt, sizeof *fld);
    int off = 0;
    for (int f = 0; f < SF_NFIELD && !st; f++) {
      char p[1100];
      snprintf(p, sizeof p, "%s_%s.xsf", xsf, sf_ml_field_names[f]);
      rec_threads_on();
      sf_model_reconstruct(m, f, coef + off, fld);
      rec_threads_off();
      st = write_xsf(p, m, (const double *)r, x, znucl, fld);
      off += m->ncomp[f];
    }
    sf_free(fld);
  }
  if (!st && rank == 0 && have_summary) st = sf_write_json_file(summary, root);
  cJSON_Delete(root);
  predictions_free(&pr);
  SF_CHECK(st);
  return SF_OK;
}

/* Every output (NULL: not asked for) checked against the inputs before the model is read. */
static int check_outputs(const char *model, const char *sfile, const char *dataset, const char *summary,
                         const char *fields, const char *xsf)
{
  const sf_path_input in[] = {{"-model", model}, {"-strain_file", sfile}, {"-dataset", dataset}};
  sf_path_input out[2 + SF_NFIELD] = {{"-summary", summary}, {"-fields", fields}};
  char xsf_path[SF_NFIELD][1100];
  for (int f = 0; f < SF_NFIELD; f++) {
    snprintf(xsf_path[f], sizeof xsf_path[f], "%s_%s.xsf", xsf ? xsf : "", sf_ml_field_names[f]);
    out[2 + f] = (sf_path_input){"-xsf", xsf ? xsf_path[f] : NULL};
  }
  SF_CHECK(sf_check_outputs(out, 2 + SF_NFIELD, in, 3));
  return SF_OK;
}

int sf_predict_run(void)
{
  char model_path[1024], summary[1024], fields[1024], xsf[1024], sfile[1024], dataset[1024];
  int have_summary, have_fields, have_xsf, have_sfile, have_D, have_ds, nD, do_bench, znucl;
  double D1[6];
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 written by train", model_path, sizeof model_path, NULL));
  SF_CHECK(sf_opt_real_array("-strain_D", 6, 6, NULL, 0, "one strain: la,lb,lc,tha,thb,thc (degrees)", D1, &nD, &have_D));
  SF_CHECK(sf_opt_string("-strain_file", NULL, "text file of strains, 6 numbers a line", sfile, sizeof sfile, &have_sfile));
  SF_CHECK(sf_opt_string("-summary", NULL, "JSON: free_energy, xred, dF_dD", summary, sizeof summary, &have_summary));
  SF_CHECK(sf_opt_string("-fields", NULL, "HDF5 of the predicted fields", fields, sizeof fields, &have_fields));
  SF_CHECK(sf_opt_string("-xsf", NULL, "prefix of XSF files (VESTA) of the first strain's fields", xsf, sizeof xsf, &have_xsf));
  SF_CHECK(sf_opt_int("-xsf_znucl", 12, "atomic number written to the XSF files", &znucl, NULL));
  SF_CHECK(sf_opt_string("-dataset", NULL, "refuse unless the model was trained on this dataset", dataset, sizeof dataset, &have_ds));
  int fp64;
  SF_CHECK(sf_opt_bool("-fp64", 0, "evaluate the networks in float64 (default: float32 copies, ~1e-7 relative)", &fp64, NULL));
  SF_CHECK(sf_opt_bool("-bench", 0, "time single and batched prediction and field reconstruction", &do_bench, NULL));
  SF_CHECK(sf_options_finish());
  if (have_D == have_sfile) SF_ERROR(SF_ERR_INPUT, "predict needs exactly one of -strain_D and -strain_file");
  SF_CHECK(check_outputs(model_path, have_sfile ? sfile : NULL, have_ds ? dataset : NULL, have_summary ? summary : NULL,
                         have_fields ? fields : NULL, have_xsf ? xsf : NULL));
  sf_model m;
  SF_CHECK(sf_model_read(model_path, &m));
  if (fp64) m.have_fast = 0; /* sf_model_predict then runs the float64 networks */
  /* Field reconstruction streams ~28 MB of basis per field (36x64x60, 50 components): it
   * is memory-bound and a second core nearly doubles the bandwidth.  On one rank, with
   * OPENBLAS_NUM_THREADS unset (main.c then forces 1), BLAS gets every core for it;
   * network prediction stays single-threaded (tiny GEMVs: thread wake-up costs more). */
  int nrank, rec_threads = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &nrank);
  if (nrank == 1 && !getenv("OPENBLAS_NUM_THREADS")) rec_threads = openblas_get_num_procs();
  else if (getenv("OPENBLAS_NUM_THREADS")) rec_threads = atoi(getenv("OPENBLAS_NUM_THREADS")); /* report only */
  if (rec_threads < 1) rec_threads = 1;
  if (rec_threads > 2 && !getenv("OPENBLAS_NUM_THREADS")) rec_threads = 2;
  rec_nthreads = getenv("OPENBLAS_NUM_THREADS") ? 1 : rec_threads;
  int st = 0;
  if (have_ds) {
    sf_dataset ds;
    st = sf_dataset_open(dataset, &ds);
    if (!st) {
      st = sf_model_check_dataset(&m, &ds);
      sf_dataset_free(&ds);
    }
  }
  double *D = D1;
  int n = 1;
  if (!st && have_sfile) st = read_strain_file(sfile, &D, &n);
  const char *why = have_D ? invalid_strain(D1) : NULL;
  if (!st && why) st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "-strain_D: %s", why);
  if (!st) st = predict_body(&m, D, n, summary, have_summary, fields, have_fields, xsf, have_xsf, znucl, do_bench, rec_threads);
  if (D != D1) sf_free(D);
  sf_model_free(&m);
  SF_CHECK(st);
  return SF_OK;
}

int sf_cmd_predict(void) { return sf_predict_run(); }
