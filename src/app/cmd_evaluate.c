/* cmd_evaluate.c — `strainfield evaluate`: the options (-model, -dataset, -summary,
 * -samples, -routes, the check -prediction dataset), the output checks, the run's record
 * (model and dataset with their checksums, time) in the JSON and the closing table; the
 * samples and routes themselves are analysis's (evaluate.h).  `run` ends with it too. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/evaluate.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"
#include "strainfield/predict.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

/* Routes of the contract that need the fixed-density diagonalisation. */
static const char *const later_routes[] = {"orbital", "harris", "scf"};

/* -routes a,b,...: direct and sum; the contract's other routes are refused for now. */
static int parse_routes(const char *list, sf_evaluate_cfg *c)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  memset(c->route, 0, sizeof c->route);
  int any = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int found = 0;
    for (int r = 0; r < SF_NROUTE; r++)
      if (!strcmp(t, sf_route_names[r])) c->route[r] = found = 1;
    for (size_t k = 0; k < sizeof later_routes / sizeof *later_routes && !found; k++)
      if (!strcmp(t, later_routes[k]))
        SF_ERROR(SF_ERR_INPUT, "-routes %s: not yet available (it needs the fixed-density diagonalisation); use direct,sum", t);
    if (!found) SF_ERROR(SF_ERR_INPUT, "-routes %s: unknown route (direct, sum, orbital, harris, scf)", t);
    any = 1;
  }
  if (!any) SF_ERROR(SF_ERR_INPUT, "-routes '%s': no route given (direct, sum)", list);
  return SF_OK;
}

/* root[a][b] (root[a] when b is NULL) as a number, NaN when absent. */
static double val(const cJSON *o, const char *a, const char *b)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* The table: route or energy, MAE and max in mHa, with the paper's Figure 3 / 7 values. */
static void print_table(const cJSON *root)
{
  const cJSON *routes = cJSON_GetObjectItemCaseSensitive(root, "routes");
  const cJSON *pred = cJSON_GetObjectItemCaseSensitive(root, "prediction");
  sf_log(1, "\nstrainfield evaluate: %g samples (%s prediction)\n", val(root, "nsamples", NULL),
         cJSON_IsString(pred) ? pred->valuestring : "model");
  sf_log(1, "  %-16s %12s %12s\n", "route", "MAE mHa", "max mHa");
  for (int r = 0; r < SF_NROUTE; r++)
    if (cJSON_GetObjectItemCaseSensitive(routes, sf_route_names[r]))
      sf_log(1, "  %-16s %12.4f %12.4f\n", sf_route_names[r], val(routes, sf_route_names[r], "mae_mHa"),
             val(routes, sf_route_names[r], "max_mHa"));
  sf_log(1, "  %-16s %12.4f %12.4f\n", "U = int u", val(root, "band_energy", "mae_mHa"), val(root, "band_energy", "max_mHa"));
  sf_log(1, "  %-16s %12.4f %12.4f\n", "-TS = -T int s", val(root, "entropy_energy", "mae_mHa"),
         val(root, "entropy_energy", "max_mHa"));
  sf_log(1, "  (paper, Fig. 7, its four routes: mean 0.10, 0.16, 0.087, 0.0015 mHa; max 1.5, 2.3, 1.2, 0.37 mHa)\n");
}

int sf_evaluate_files(const sf_evaluate_args *a)
{
  int rank, st = SF_OK, have_model = 0, have_ds = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sf_evaluate_cfg c = {.samples = a->samples, .use_dataset = a->use_dataset};
  SF_CHECK(parse_routes(a->routes, &c));
  sf_model m;
  sf_dataset ds;
  cJSON *root = cJSON_CreateObject();
  const double t0 = MPI_Wtime();
  SF_CHECK_GOTO(sf_model_read(a->model, &m));
  have_model = 1;
  /* float64 networks: the float32 copies round differently with the batch size, so the
   * answers would depend on how the samples are shared out (cost: microseconds) */
  m.have_fast = 0;
  SF_CHECK_GOTO(sf_dataset_open(a->dataset, &ds));
  have_ds = 1;
  SF_CHECK_GOTO(sf_model_check_dataset(&m, &ds));
  char md5[33] = "";
  SF_CHECK_GOTO(sf_md5_file(a->model, md5));
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "model", a->model);
  cJSON_AddStringToObject(root, "model_md5", md5);
  cJSON_AddStringToObject(root, "dataset", a->dataset);
  cJSON_AddStringToObject(root, "dataset_checksum", ds.checksum);
  cJSON_AddStringToObject(root, "samples", a->samples);
  SF_CHECK_GOTO(sf_evaluate_run(MPI_COMM_WORLD, &m, &ds, &c, root));
  cJSON_AddNumberToObject(root, "time_s", MPI_Wtime() - t0);
  cJSON_AddStringToObject(root, "units", "mae_mHa, max_mHa, error_mHa in mHa; energies in Ha");
  if (rank == 0) print_table(root);
  if (rank == 0) SF_CHECK_GOTO(sf_write_json_file(a->summary, root));
cleanup:
  st = sf_status_agree(MPI_COMM_WORLD, st);
  cJSON_Delete(root);
  if (have_ds) sf_dataset_free(&ds);
  if (have_model) sf_model_free(&m);
  return st;
}

int sf_cmd_evaluate(void)
{
  char model[1024], dataset[1024], summary[1024], samples[256], routes[256], pred[32];
  int set_sum;
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 written by train", model, sizeof model, NULL));
  SF_CHECK(sf_opt_string("-dataset", "dataset.h5", "the dataset the model was trained on", dataset, sizeof dataset, NULL));
  SF_CHECK(sf_opt_string("-summary", "", "JSON of the errors (required)", summary, sizeof summary, &set_sum));
  SF_CHECK(sf_opt_string("-samples", "test", "test (the model's test samples), all, or FIRST-LAST (0-based)", samples,
                         sizeof samples, NULL));
  SF_CHECK(sf_opt_string("-routes", "direct,sum", "energy routes: direct, sum (orbital, harris, scf: not yet available)",
                         routes, sizeof routes, NULL));
  SF_CHECK(sf_opt_string("-prediction", "model", "model, or dataset: a check, the samples' own DFT fields and "
                         "positions replace the prediction (the sum route then gives the dataset's F)", pred, sizeof pred, NULL));
  SF_OPT_REJECT_IF(strcmp(pred, "model") && strcmp(pred, "dataset"), "-prediction %s: model or dataset", pred);
  SF_CHECK(sf_options_finish());
  if (!set_sum || !summary[0]) SF_ERROR(SF_ERR_INPUT, "-summary: evaluate needs the path of its JSON");
  const sf_path_input in[] = {{"-model", model}, {"-dataset", dataset}}, out[] = {{"-summary", summary}};
  SF_CHECK(sf_check_outputs(out, 1, in, 2));
  sf_evaluate_args a = {model, dataset, summary, samples, routes, !strcmp(pred, "dataset")};
  SF_CHECK(sf_evaluate_files(&a));
  return SF_OK;
}
