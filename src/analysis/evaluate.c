/* evaluate.c — `evaluate`'s samples and routes: the selection (the model's test split
 * through train's own split code, all samples, or a range), the sharing of the samples
 * over sample groups, per sample the prediction (or, as a check, the sample's own DFT
 * fields and positions), the direct and sum routes, U = ∫u and −TS = −T∫s against the
 * dataset's, the network's field NRMSE (train's eq. 12 code), the reduction to every rank
 * and the JSON (docs/formats.md, "evaluate summary"). */
#include "evaluate_internal.h"
#include "strainfield/core.h"
#include "strainfield/h5io.h"
#include "strainfield/layout.h"
#include "strainfield/predict.h"
#include "train_internal.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sf_route_names[SF_NROUTE] = {"direct", "sum"};

/* One selected sample's results, reduced over the ranks by a sum (one rank writes each). */
enum { V_F_REF, V_F_DIRECT, V_F_SUM, V_U, V_U_REF, V_TS, V_TS_REF, V_NRMSE, V_TERMS = V_NRMSE + SF_NFIELD, NV = V_TERMS + SF_EVAL_NTERM + 1 };

/* The model's train options record -ntrain / -ntest as given (0: the default rule). */
static int test_split(const sf_model *m, const sf_dataset *ds, int **idx, int *n, int *nskip)
{
  cJSON *o = cJSON_Parse(m->options_json ? m->options_json : "{}");
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "ntrain"), *b = cJSON_GetObjectItemCaseSensitive(o, "ntest");
  sf_train_cfg c;
  memset(&c, 0, sizeof c);
  c.ntrain = cJSON_IsNumber(a) ? a->valueint : 0;
  c.ntest = cJSON_IsNumber(b) ? b->valueint : 0;
  cJSON_Delete(o);
  int *itr = NULL, ntr;
  int st = sf_train_make_split(ds, &c, &itr, idx, &ntr, n, nskip);
  sf_free(itr);
  SF_CHECK(st);
  return SF_OK;
}

int sf_evaluate_select(const sf_model *m, const sf_dataset *ds, const char *spec, int **idx, int *n, int *nskip)
{
  *idx = NULL;
  *n = *nskip = 0;
  if (!strcmp(spec, "test")) {
    SF_CHECK(test_split(m, ds, idx, n, nskip));
    return SF_OK;
  }
  long lo = 0, hi = ds->N - 1;
  char *end = NULL;
  if (strcmp(spec, "all")) {
    lo = strtol(spec, &end, 10);
    if (end == spec || *end != '-') SF_ERROR(SF_ERR_INPUT, "-samples %s: expected test, all or FIRST-LAST", spec);
    const char *p = end + 1;
    hi = strtol(p, &end, 10);
    if (end == p || *end) SF_ERROR(SF_ERR_INPUT, "-samples %s: expected test, all or FIRST-LAST", spec);
    if (lo < 0 || hi < lo || hi >= ds->N)
      SF_ERROR(SF_ERR_INPUT, "-samples %s: the range must lie in 0-%d (the samples of %s)", spec, ds->N - 1, ds->path);
  }
  SF_CHECK(sf_calloc((void **)idx, hi - lo + 2, sizeof **idx));
  for (long i = lo; i <= hi; i++) {
    if (ds->status[i] == 1 && isfinite(ds->F[i])) (*idx)[(*n)++] = (int)i;
    else (*nskip)++;
  }
  if (!*n) SF_ERROR(SF_ERR_INPUT, "-samples %s: no usable (ok) sample selected", spec);
  return SF_OK;
}

/* The dataset's column /samples/name for every sample. */
static int read_column(const sf_dataset *ds, const char *name, double *v)
{
  hid_t f = H5Fopen(ds->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) SF_ERROR(SF_ERR_FILE, "cannot open dataset %s", ds->path);
  char path[128];
  snprintf(path, sizeof path, "/%s/%s", SF_SAMPLES_GROUP, name);
  int st = sf_h5_read(f, "dataset", path, H5T_NATIVE_DOUBLE, (size_t)ds->N, v);
  H5Fclose(f);
  SF_CHECK(st);
  return SF_OK;
}

/* Work space of one sample: the true fields, the used fields, the positions. */
typedef struct {
  double *truth, *used, *xred;
} sample_buf;

/* Sample i (dataset index) into row r (NV values): prediction p (row k) or its own fields. */
static int one_sample(const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c, sf_eval_geometry *g,
                      const sf_predictions *p, int k, int i, const double *Uref, const double *TSref, sample_buf *b,
                      double *r)
{
  const long npt = ds->npt;
  int off = 0, ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  for (int f = 0; f < SF_NFIELD; f++) {
    SF_CHECK(sf_dataset_read_field(ds, f, &i, 1, 0, ds->ngrid[0], b->truth + f * npt));
    if (c->use_dataset) memcpy(b->used + f * npt, b->truth + f * npt, npt * sizeof(double));
    else sf_model_reconstruct(m, f, p->coef + (size_t)k * ktot + off, b->used + f * npt);
    off += m->ncomp[f];
    SF_CHECK(sf_train_nrmse(MPI_COMM_SELF, b->used + f * npt, b->truth + f * npt, 1, npt, npt, &r[V_NRMSE + f]));
  }
  const double *x = c->use_dataset ? ds->xred + (size_t)i * 3 * ds->natom : p->x + (size_t)k * 3 * m->natom;
  r[V_F_REF] = ds->F[i];
  r[V_F_DIRECT] = p->F[k];
  r[V_U_REF] = Uref[i];
  r[V_TS_REF] = TSref[i];
  { /* the sum route's integrals also give U and −TS (reported without the route too) */
    const double *fields[SF_NFIELD];
    for (int f = 0; f < SF_NFIELD; f++) fields[f] = b->used + f * npt;
    double rprimd[9];
    if (ds->rprimd) memcpy(rprimd, ds->rprimd + 9 * (size_t)i, sizeof rprimd);
    else SF_CHECK(sf_lattice_from_strain((const double(*)[3])ds->ref_rprimd, ds->D + 6 * (size_t)i, (double(*)[3])rprimd));
    sf_eval_terms t;
    SF_CHECK(sf_eval_sum_route(g, ds->natom, rprimd, x, fields, &t));
    r[V_F_SUM] = t.free;
    r[V_U] = t.band;
    r[V_TS] = t.entropy;
    for (int k = 0; k < SF_EVAL_NTERM; k++) r[V_TERMS + k] = t.term[sf_eval_sum_terms[k]];
    r[V_TERMS + SF_EVAL_NTERM] = t.vxc_rho;
  }
  return SF_OK;
}

/* The rows of this rank's samples (sample groups of one rank each, a contiguous block of
 * samples per group), zero elsewhere: a sum over the ranks then assembles them exactly,
 * so the results do not depend on the rank count. */
static int my_samples(MPI_Comm comm, const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c,
                      const int *idx, int n, double *R)
{
  int st = SF_OK, size, first, cnt, have_geo = 0;
  MPI_Comm_size(comm, &size);
  sf_layout_groups G = {.comm = MPI_COMM_NULL};
  sf_eval_geometry g;
  sf_predictions p = {0};
  sample_buf b = {0};
  double *D = NULL, *Uref = NULL, *TSref = NULL;
  SF_CHECK(sf_layout_groups_create(comm, size, "evaluate sample groups", &G));
  /* one rank per group (the sum route of a sample is serial and takes milliseconds) */
  sf_layout_block_range(n, G.ngroups, G.my_group, &first, &cnt);
  SF_CHECK_GOTO(sf_calloc((void **)&D, 6 * (size_t)(cnt + 1), sizeof *D));
  SF_CHECK_GOTO(sf_calloc((void **)&Uref, ds->N, sizeof *Uref));
  SF_CHECK_GOTO(sf_calloc((void **)&TSref, ds->N, sizeof *TSref));
  SF_CHECK_GOTO(sf_calloc((void **)&b.truth, SF_NFIELD * (size_t)ds->npt, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&b.used, SF_NFIELD * (size_t)ds->npt, sizeof(double)));
  if (cnt > 0) {
    SF_CHECK_GOTO(read_column(ds, "band_energy", Uref));
    SF_CHECK_GOTO(read_column(ds, "entropy_term", TSref));
    for (int k = 0; k < cnt; k++) memcpy(D + 6 * k, ds->D + 6 * (size_t)idx[first + k], 6 * sizeof(double));
    SF_CHECK_GOTO(sf_predict_all(m, D, cnt, &p));
    SF_CHECK_GOTO(sf_eval_geometry_open(ds, &g));
    have_geo = 1;
  }
  for (int k = 0; k < cnt; k++) {
    SF_CHECK_GOTO(one_sample(m, ds, c, &g, &p, k, idx[first + k], Uref, TSref, &b, R + (size_t)(first + k) * NV));
    sf_log(2, "evaluate: sample %d done\n", idx[first + k]);
  }
cleanup:
  st = sf_status_agree(comm, st);
  if (have_geo) sf_eval_geometry_free(&g);
  if (p.F) sf_predictions_free(&p);
  sf_free(D);
  sf_free(Uref);
  sf_free(TSref);
  sf_free(b.truth);
  sf_free(b.used);
  sf_layout_groups_free(&G);
  return st;
}

/* {mae_mHa, max_mHa} of column a against column ref (in Ha) over the n rows. */
static cJSON *errors_json(const double *R, int n, int a, int ref, double *err)
{
  for (int k = 0; k < n; k++) err[k] = 1e3 * fabs(R[(size_t)k * NV + a] - R[(size_t)k * NV + ref]);
  double mean, max;
  sf_train_mean_max(err, n, &mean, &max);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "mae_mHa", mean);
  cJSON_AddNumberToObject(o, "max_mHa", max);
  return o;
}

static void route_json(cJSON *routes, int rt, const double *R, const int *idx, int n, double *err)
{
  const int col = rt == SF_ROUTE_DIRECT ? V_F_DIRECT : V_F_SUM;
  cJSON *o = errors_json(R, n, col, V_F_REF, err), *a = cJSON_AddArrayToObject(o, "per_sample");
  for (int k = 0; k < n; k++) {
    const double *r = R + (size_t)k * NV;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "index", idx[k]);
    cJSON_AddNumberToObject(s, "free_energy", r[col]);
    cJSON_AddNumberToObject(s, "dataset_free_energy", r[V_F_REF]);
    cJSON_AddNumberToObject(s, "error_mHa", 1e3 * (r[col] - r[V_F_REF]));
    if (rt == SF_ROUTE_SUM) {
      cJSON_AddNumberToObject(s, "band", r[V_U]);
      cJSON_AddNumberToObject(s, "entropy_term", r[V_TS]);
      for (int t = 0; t < SF_EVAL_NTERM; t++) cJSON_AddNumberToObject(s, sf_term_names[sf_eval_sum_terms[t]], r[V_TERMS + t]);
      cJSON_AddNumberToObject(s, "vxc_rho", r[V_TERMS + SF_EVAL_NTERM]);
    }
    cJSON_AddItemToArray(a, s);
  }
  cJSON_AddItemToObject(routes, sf_route_names[rt], o);
}

static void fields_json(cJSON *root, const double *R, int n, double *err)
{
  cJSON *net = cJSON_CreateObject();
  for (int f = 0; f < SF_NFIELD; f++) {
    double mean, max;
    for (int k = 0; k < n; k++) err[k] = R[(size_t)k * NV + V_NRMSE + f];
    sf_train_mean_max(err, n, &mean, &max);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nrmse_mean", mean);
    cJSON_AddNumberToObject(o, "nrmse_max", max);
    cJSON_AddItemToObject(net, sf_field_names[f], o);
  }
  cJSON *fo = cJSON_CreateObject();
  cJSON_AddItemToObject(fo, "network", net);
  cJSON_AddItemToObject(root, "fields", fo);
}

int sf_evaluate_run(MPI_Comm comm, const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c, cJSON *root)
{
  int st = SF_OK, *idx = NULL, n, nskip;
  double *R = NULL, *err = NULL;
  SF_CHECK(sf_evaluate_select(m, ds, c->samples, &idx, &n, &nskip));
  SF_CHECK_GOTO(sf_calloc((void **)&R, (size_t)n * NV, sizeof *R));
  SF_CHECK_GOTO(sf_calloc((void **)&err, n, sizeof *err));
  SF_CHECK_GOTO(my_samples(comm, m, ds, c, idx, n, R));
  MPI_Allreduce(MPI_IN_PLACE, R, n * NV, MPI_DOUBLE, MPI_SUM, comm);
  cJSON_AddNumberToObject(root, "nsamples", n);
  cJSON_AddNumberToObject(root, "skipped", nskip);
  cJSON_AddStringToObject(root, "prediction", c->use_dataset ? "dataset" : "model");
  cJSON *routes = cJSON_AddObjectToObject(root, "routes");
  for (int rt = 0; rt < SF_NROUTE; rt++)
    if (c->route[rt]) route_json(routes, rt, R, idx, n, err);
  cJSON_AddItemToObject(root, "band_energy", errors_json(R, n, V_U, V_U_REF, err));
  cJSON_AddItemToObject(root, "entropy_energy", errors_json(R, n, V_TS, V_TS_REF, err));
  fields_json(root, R, n, err);
cleanup:
  sf_free(idx);
  sf_free(R);
  sf_free(err);
  return st;
}
