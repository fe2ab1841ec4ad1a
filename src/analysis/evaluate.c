/* evaluate.c — `evaluate`'s samples and routes: the selection (the model's test split
 * through train's own split code, all samples, or a range), the sharing of the samples
 * over sample groups, per sample the prediction (or, as a check, the sample's own DFT
 * fields and positions), the direct and sum routes, U = ∫u and −TS = −T∫s against the
 * dataset's, the network's field NRMSE (train's eq. 12 code), the DFT of evaluate_dft.c,
 * and the reduction to every rank (the JSON: evaluate_json.c). */
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

const char *const sf_route_names[SF_NROUTE] = {"direct", "sum", "orbital", "harris", "scf"};

int sf_evaluate_needs_dft(const sf_evaluate_cfg *c)
{
  return c->route[SF_ROUTE_ORBITAL] || c->route[SF_ROUTE_HARRIS] || c->route[SF_ROUTE_SCF] || c->warm_start ||
         c->residual_forces;
}

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

/* The dataset's per-sample columns evaluate compares with. */
typedef struct {
  double *U, *TS, *wall;
} ref_columns;

/* Work space of one sample: the true fields, the used fields, a reference's positions. */
typedef struct {
  double *truth, *used, *xref;
} sample_buf;

/* The reference of sample k: dataset sample i (its fields into b->truth, positions,
 * energies), or for a strain list the relaxation at strain D (evaluate_dft.c). */
static int reference(MPI_Comm group, const sf_dataset *ds, const sf_evaluate_cfg *c, int i, const double *D,
                     const ref_columns *cols, sample_buf *b, double rprimd[9], const double **xref, double *r,
                     sf_eval_reference *ref, sf_eval_dft *d)
{
  const long npt = ds->npt;
  if (c->strains) {
    SF_CHECK(sf_lattice_from_strain((const double(*)[3])ds->ref_rprimd, D, (double(*)[3])rprimd));
    for (int f = 0; f < SF_NFIELD; f++) ref->field[f] = b->truth + f * npt;
    ref->xred = b->xref;
    SF_CHECK(sf_eval_dft_reference(group, c, rprimd, ref, d));
    *xref = b->xref;
    r[V_F_REF] = ref->F;
    r[V_U_REF] = ref->U;
    r[V_TS_REF] = ref->TS;
    r[V_T_RELAX] = ref->wall;
    return SF_OK;
  }
  for (int f = 0; f < SF_NFIELD; f++) SF_CHECK(sf_dataset_read_field(ds, f, &i, 1, 0, ds->ngrid[0], b->truth + f * npt));
  if (ds->rprimd) memcpy(rprimd, ds->rprimd + 9 * (size_t)i, 9 * sizeof(double));
  else SF_CHECK(sf_lattice_from_strain((const double(*)[3])ds->ref_rprimd, D, (double(*)[3])rprimd));
  *xref = ds->xred + (size_t)i * 3 * ds->natom;
  r[V_F_REF] = ds->F[i];
  r[V_U_REF] = cols->U[i];
  r[V_TS_REF] = cols->TS[i];
  r[V_T_RELAX] = cols->wall[i];
  return SF_OK;
}

/* Sample i (dataset index, or index into the strain list) at strain D into row r (NV
 * values, written by the group's leader): prediction p (row k) or the reference's own
 * fields; the DFT on the group's ranks. */
static int one_sample(MPI_Comm group, const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c,
                      sf_eval_geometry *g, const sf_predictions *p, int k, int i, const double *D,
                      const ref_columns *cols, sample_buf *b, double *r)
{
  const long npt = ds->npt;
  int off = 0, ktot = 0, grank;
  MPI_Comm_rank(group, &grank);
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  double rprimd[9];
  const double *xref = NULL, *truth[SF_NFIELD], *used[SF_NFIELD];
  sf_eval_reference ref;
  sf_eval_dft d;
  memset(&d, 0, sizeof d);
  SF_CHECK(reference(group, ds, c, i, D, cols, b, rprimd, &xref, r, &ref, &d));
  for (int f = 0; f < SF_NFIELD; f++) {
    if (c->use_dataset) memcpy(b->used + f * npt, b->truth + f * npt, npt * sizeof(double));
    else sf_model_reconstruct(m, f, p->coef + (size_t)k * ktot + off, b->used + f * npt);
    off += m->ncomp[f];
    truth[f] = b->truth + f * npt;
    used[f] = b->used + f * npt;
    SF_CHECK(sf_train_nrmse(MPI_COMM_SELF, used[f], truth[f], 1, npt, npt, &r[V_NRMSE + f]));
  }
  const double *x = c->use_dataset ? xref : p->x + (size_t)k * 3 * m->natom;
  r[V_F + SF_ROUTE_DIRECT] = p->F[k];
  { /* the sum route's integrals also give U and −TS (reported without the route too) */
    const double t0 = sf_wtime();
    sf_eval_terms t;
    SF_CHECK(sf_eval_sum_route(g, rprimd, x, used, &t));
    r[V_F + SF_ROUTE_SUM] = t.free;
    r[V_U] = t.band;
    r[V_TS] = t.entropy;
    for (int j = 0; j < SF_EVAL_NTERM; j++) r[V_TERMS + j] = t.term[sf_eval_sum_terms[j]];
    r[V_TERMS + SF_EVAL_NTERM] = t.vxc_rho;
    r[V_T_SUM] = sf_wtime() - t0;
  }
  if (sf_evaluate_needs_dft(c)) {
    SF_CHECK(sf_eval_dft_sample(group, c, rprimd, x, used[SF_FIELD_RHO], truth, c->strains ? &ref : NULL, &d));
    r[V_F + SF_ROUTE_ORBITAL] = d.e.orbital;
    r[V_F + SF_ROUTE_HARRIS] = d.e.harris;
    r[V_F + SF_ROUTE_SCF] = d.e.scf;
    for (int j = 0; j < 3; j++) r[V_NRMSE_ORB + j] = d.nrmse[j];
    r[V_FRES_MAX] = d.fres_max;
    r[V_FRES_MEAN] = d.fres_mean;
    for (int j = 0; j < 2; j++) {
      r[V_SCF_ITER + j] = d.scf_iterations[j];
      r[V_SCF_WALL + j] = d.scf_wall[j];
      r[V_ITER + j] = d.relax_scf_iterations[j];
      r[V_EVAL + j] = d.evaluations[j];
      r[V_CONV + j] = d.converged[j];
      r[V_WALL + j] = d.wall[j];
    }
    r[V_DF] = d.dF;
    r[V_SCF_DF] = d.scf_F[1] - d.scf_F[0];
    r[V_DX] = d.dx_max;
    r[V_T_NSC] = d.time_nsc;
    r[V_T_RESID] = d.time_resid;
  }
  if (grank) memset(r, 0, NV * sizeof *r); /* the leader's row only */
  return SF_OK;
}

/* The number of sample groups: generate's automatic rule, the largest divisor of the
 * ranks that is at most the number of samples (one rank per group when there are enough
 * samples: the samples are independent). */
static int sample_groups(int size, int n)
{
  int g = 1;
  for (int d = 1; d <= size; d++)
    if (size % d == 0 && d <= n) g = d;
  return g;
}

/* The rows of this group's samples (a contiguous block per group), zero elsewhere: a sum
 * over the ranks then assembles them exactly, so the results do not depend on the rank
 * count beyond the round-off of the DFT's own parallel sums. */
static int my_samples(MPI_Comm comm, const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c,
                      const int *idx, int n, double *R)
{
  int st = SF_OK, size, first, cnt, have_geo = 0;
  MPI_Comm_size(comm, &size);
  sf_layout_groups G = {.comm = MPI_COMM_NULL};
  sf_eval_geometry g;
  sf_predictions p = {0};
  sample_buf b = {0};
  ref_columns ref = {0};
  double *D = NULL;
  SF_CHECK(sf_layout_groups_create(comm, sample_groups(size, n), "evaluate sample", &G));
  sf_layout_block_range(n, G.ngroups, G.my_group, &first, &cnt);
  SF_CHECK_GOTO(sf_calloc((void **)&D, 6 * (size_t)(cnt + 1), sizeof *D));
  double **cols[] = {&ref.U, &ref.TS, &ref.wall};
  for (int k = 0; k < 3; k++) SF_CHECK_GOTO(sf_calloc((void **)cols[k], ds->N, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&b.truth, SF_NFIELD * (size_t)ds->npt, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&b.used, SF_NFIELD * (size_t)ds->npt, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&b.xref, 3 * (size_t)ds->natom, sizeof(double)));
  if (cnt > 0) {
    if (!c->strains) {
      SF_CHECK_GOTO(read_column(ds, "band_energy", ref.U));
      SF_CHECK_GOTO(read_column(ds, "entropy_term", ref.TS));
      if (read_column(ds, "wall_s", ref.wall)) { /* a dataset written before the column's rename */
        sf_error_reset();
        SF_CHECK_GOTO(read_column(ds, "wall_time", ref.wall));
      }
    }
    const double *Dall = c->strains ? c->strains : ds->D;
    for (int k = 0; k < cnt; k++) memcpy(D + 6 * k, Dall + 6 * (size_t)idx[first + k], 6 * sizeof(double));
    const double t0 = sf_wtime();
    SF_CHECK_GOTO(sf_predict_all(m, D, cnt, &p));
    const double t_direct = (sf_wtime() - t0) / cnt;
    for (int k = 0; k < cnt; k++) R[(size_t)(first + k) * NV + V_T_DIRECT] = t_direct; /* kept by the leader */
    SF_CHECK_GOTO(sf_eval_geometry_open(ds, c->campaign, &g));
    have_geo = 1;
  }
  for (int k = 0; k < cnt; k++) {
    SF_CHECK_GOTO(one_sample(G.comm, m, ds, c, &g, &p, k, idx[first + k], D + 6 * k, &ref, &b,
                             R + (size_t)(first + k) * NV));
    sf_log(2, "evaluate: sample %d done (%d of %d in this group)\n", idx[first + k], k + 1, cnt);
  }
cleanup:
  st = sf_status_agree(comm, st);
  if (have_geo) sf_eval_geometry_free(&g);
  if (p.F) sf_predictions_free(&p);
  sf_free(D);
  for (int k = 0; k < 3; k++) sf_free(*cols[k]);
  sf_free(b.truth);
  sf_free(b.used);
  sf_free(b.xref);
  sf_layout_groups_free(&G);
  return st;
}

int sf_evaluate_run(MPI_Comm comm, const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c, cJSON *root)
{
  int st = SF_OK, *idx = NULL, n, nskip;
  double *R = NULL, *err = NULL;
  if (!c->campaign) SF_ERROR(SF_ERR_INTERNAL, "evaluate needs the dataset's campaign");
  if (c->strains) { /* a strain list: every strain, its reference relaxed here */
    n = c->nstrains;
    nskip = 0;
    SF_CHECK(sf_calloc((void **)&idx, n, sizeof *idx));
    for (int k = 0; k < n; k++) idx[k] = k;
  } else SF_CHECK(sf_evaluate_select(m, ds, c->samples, &idx, &n, &nskip));
  SF_CHECK_GOTO(sf_calloc((void **)&R, (size_t)n * NV, sizeof *R));
  SF_CHECK_GOTO(sf_calloc((void **)&err, n, sizeof *err));
  SF_CHECK_GOTO(my_samples(comm, m, ds, c, idx, n, R));
  MPI_Allreduce(MPI_IN_PLACE, R, n * NV, MPI_DOUBLE, MPI_SUM, comm);
  cJSON_AddNumberToObject(root, "nsamples", n);
  cJSON_AddNumberToObject(root, "skipped", nskip);
  sf_eval_json(root, c, R, idx, n, err);
cleanup:
  sf_free(idx);
  sf_free(R);
  sf_free(err);
  return st;
}
