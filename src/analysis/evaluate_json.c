/* evaluate_json.c — the summary of `evaluate` from the rows of its samples
 * (docs/formats.md, "evaluate summary"): per route the errors against the dataset's F
 * with every sample, U and −TS, the field NRMSE of the network and of the orbital route,
 * the residual forces, the cold and warm relaxations, and the cost of each route. */
#include "evaluate_internal.h"
#include "train_internal.h"

#include <math.h>
#include <string.h>

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

/* Mean and max of column a over the rows (column b subtracted unless b < 0). */
static void column_stats(const double *R, int n, int a, int b, double *err, double *mean, double *max)
{
  for (int k = 0; k < n; k++) err[k] = R[(size_t)k * NV + a] - (b >= 0 ? R[(size_t)k * NV + b] : 0.0);
  sf_train_mean_max(err, n, mean, max);
}

static void route_json(cJSON *routes, int rt, const double *R, const int *idx, int n, double *err)
{
  const int col = V_F + rt;
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

/* {name: {nrmse_mean, nrmse_max}} of the nf columns from col. */
static cJSON *nrmse_json(const double *R, int n, int col, int nf, const int *field, double *err)
{
  cJSON *o = cJSON_CreateObject();
  for (int f = 0; f < nf; f++) {
    double mean, max;
    column_stats(R, n, col + f, -1, err, &mean, &max);
    cJSON *e = cJSON_AddObjectToObject(o, sf_field_names[field[f]]);
    cJSON_AddNumberToObject(e, "nrmse_mean", mean);
    cJSON_AddNumberToObject(e, "nrmse_max", max);
  }
  return o;
}

static void fields_json(cJSON *root, const sf_evaluate_cfg *c, const double *R, int n, double *err)
{
  static const int all[SF_NFIELD] = {SF_FIELD_RHO, SF_FIELD_PHI, SF_FIELD_U, SF_FIELD_S},
                   orbital[3] = {SF_FIELD_RHO, SF_FIELD_U, SF_FIELD_S};
  cJSON *fo = cJSON_AddObjectToObject(root, "fields");
  cJSON_AddItemToObject(fo, "network", nrmse_json(R, n, V_NRMSE, SF_NFIELD, all, err));
  if (c->route[SF_ROUTE_ORBITAL] || c->route[SF_ROUTE_HARRIS] || c->route[SF_ROUTE_SCF])
    cJSON_AddItemToObject(fo, "orbital", nrmse_json(R, n, V_NRMSE_ORB, 3, orbital, err));
}

static void warm_json(cJSON *root, const double *R, const int *idx, int n, double *err)
{
  static const char *const names[] = {"scf_iterations_cold_mean", "scf_iterations_warm_mean", "scf_wall_cold_s",
                                      "scf_wall_warm_s", "relax_evaluations_cold_mean",
                                      "relax_evaluations_warm_mean", "relax_scf_iterations_cold_mean",
                                      "relax_scf_iterations_warm_mean", "wall_cold_s", "wall_warm_s"};
  static const int cols[] = {V_SCF_ITER, V_SCF_ITER + 1, V_SCF_WALL, V_SCF_WALL + 1, V_EVAL, V_EVAL + 1,
                             V_ITER, V_ITER + 1, V_WALL, V_WALL + 1};
  cJSON *w = cJSON_AddObjectToObject(root, "warm_start");
  double mean, max;
  for (int k = 0; k < 10; k++) {
    column_stats(R, n, cols[k], -1, err, &mean, &max);
    cJSON_AddNumberToObject(w, names[k], mean);
  }
  for (int k = 0; k < n; k++) err[k] = fabs(R[(size_t)k * NV + V_DF]);
  sf_train_mean_max(err, n, &mean, &max);
  cJSON_AddNumberToObject(w, "max_dF_Ha", max);
  for (int k = 0; k < n; k++) err[k] = fabs(R[(size_t)k * NV + V_SCF_DF]);
  sf_train_mean_max(err, n, &mean, &max);
  cJSON_AddNumberToObject(w, "scf_max_dF_Ha", max);
  column_stats(R, n, V_DX, -1, err, &mean, &max);
  cJSON_AddNumberToObject(w, "max_dxred_bohr", max);
  int nconv = 0;
  for (int k = 0; k < n; k++) nconv += R[(size_t)k * NV + V_CONV] > 0.5 && R[(size_t)k * NV + V_CONV + 1] > 0.5;
  cJSON_AddNumberToObject(w, "both_converged", nconv);
  cJSON *a = cJSON_AddArrayToObject(w, "per_sample");
  for (int k = 0; k < n; k++) {
    const double *r = R + (size_t)k * NV;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "index", idx[k]);
    cJSON_AddItemToObject(s, "scf_iterations", cJSON_CreateDoubleArray(r + V_SCF_ITER, 2));
    cJSON_AddItemToObject(s, "relax_scf_iterations", cJSON_CreateDoubleArray(r + V_ITER, 2));
    cJSON_AddItemToObject(s, "relax_evaluations", cJSON_CreateDoubleArray(r + V_EVAL, 2));
    cJSON_AddItemToObject(s, "wall_s", cJSON_CreateDoubleArray(r + V_WALL, 2));
    cJSON_AddNumberToObject(s, "dF_Ha", r[V_DF]);
    cJSON_AddNumberToObject(s, "dxred_bohr", r[V_DX]);
    cJSON_AddItemToArray(a, s);
  }
}

/* Seconds per sample of each computed part, beside the campaign's relaxation of the
 * sample (the dataset's wall_s: one sample group of the campaign's ranks). */
static void cost_json(cJSON *root, const sf_evaluate_cfg *c, const double *R, int n, double *err)
{
  cJSON *o = cJSON_AddObjectToObject(root, "cost_s_per_sample");
  double mean, max;
  const int nsc = c->route[SF_ROUTE_ORBITAL] || c->route[SF_ROUTE_HARRIS] || c->route[SF_ROUTE_SCF] ||
                  c->residual_forces;
  const struct {
    const char *name;
    int col, on;
  } parts[] = {{"direct", V_T_DIRECT, 1}, {"sum", V_T_SUM, 1},
               {"orbital_harris_scf", V_T_NSC, nsc}, {"residual_forces", V_T_RESID, c->residual_forces},
               {"campaign_relax", V_T_RELAX, 1}};
  for (size_t k = 0; k < sizeof parts / sizeof *parts; k++) {
    if (!parts[k].on) continue;
    column_stats(R, n, parts[k].col, -1, err, &mean, &max);
    cJSON_AddNumberToObject(o, parts[k].name, mean);
  }
}

void sf_eval_json(cJSON *root, const sf_evaluate_cfg *c, const double *R, const int *idx, int n, double *err)
{
  cJSON_AddStringToObject(root, "prediction", c->use_dataset ? "dataset" : "model");
  cJSON *routes = cJSON_AddObjectToObject(root, "routes");
  for (int rt = 0; rt < SF_NROUTE; rt++)
    if (c->route[rt]) route_json(routes, rt, R, idx, n, err);
  cJSON_AddItemToObject(root, "band_energy", errors_json(R, n, V_U, V_U_REF, err));
  cJSON_AddItemToObject(root, "entropy_energy", errors_json(R, n, V_TS, V_TS_REF, err));
  fields_json(root, c, R, n, err);
  if (c->residual_forces) {
    double mean, max, m2, x2;
    column_stats(R, n, V_FRES_MEAN, -1, err, &mean, &m2);
    column_stats(R, n, V_FRES_MAX, -1, err, &x2, &max);
    cJSON *f = cJSON_AddObjectToObject(root, "residual_forces");
    cJSON_AddNumberToObject(f, "mean", mean);
    cJSON_AddNumberToObject(f, "max", max);
  }
  if (c->warm_start) warm_json(root, R, idx, n, err);
  cost_json(root, c, R, n, err);
}
