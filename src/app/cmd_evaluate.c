/* cmd_evaluate.c — `strainfield evaluate`: the options (-model, -dataset, -summary,
 * -samples or -strain_file, -routes, -warm_start, -residual_forces, -tolmxf, the check
 * -prediction dataset), the replay of the dataset's campaign, the output checks, the run's record
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

/* -routes a,b,...: any of sf_route_names. */
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
    if (!found) SF_ERROR(SF_ERR_INPUT, "-routes %s: unknown route (direct, sum, orbital, harris, scf)", t);
    any = 1;
  }
  if (!any) SF_ERROR(SF_ERR_INPUT, "-routes '%s': no route given (direct, sum, orbital, harris, scf)", list);
  return SF_OK;
}

/* root[a][b] (root[a] when b is NULL) as a number, NaN when absent. */
static double val(const cJSON *o, const char *a, const char *b)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* The field lines of the table: the network's, and the orbital route's ρ, u, s. */
static void print_fields(const cJSON *root)
{
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(root, "fields");
  const cJSON *net = cJSON_GetObjectItemCaseSensitive(fields, "network"),
              *orb = cJSON_GetObjectItemCaseSensitive(fields, "orbital");
  sf_log(1, "  %-16s %12s %12s %12s\n", "field NRMSE", "network", "orbital", "(mean)");
  for (int f = 0; f < SF_NFIELD; f++)
  {
    const double o = val(orb, sf_field_names[f], "nrmse_mean");
    if (isnan(o)) sf_log(1, "  %-16s %12.3e %12s\n", sf_field_names[f], val(net, sf_field_names[f], "nrmse_mean"), "-");
    else sf_log(1, "  %-16s %12.3e %12.3e\n", sf_field_names[f], val(net, sf_field_names[f], "nrmse_mean"), o);
  }
}

/* -warm_start and -residual_forces lines. */
static void print_dft_checks(const cJSON *root)
{
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "warm_start");
  if (w)
    sf_log(1, "  warm start, scf: iterations %.1f -> %.1f, wall %.2f -> %.2f s per sample, max |dF| %.2e Ha\n"
           "  warm start, relax: SCF runs %.1f -> %.1f, SCF iterations %.1f -> %.1f, wall %.2f -> %.2f s per "
           "sample; max |dF| %.2e Ha, max |dx| %.2e Bohr\n", val(w, "scf_iterations_cold_mean", NULL),
           val(w, "scf_iterations_warm_mean", NULL), val(w, "scf_wall_cold_s", NULL), val(w, "scf_wall_warm_s", NULL),
           val(w, "scf_max_dF_Ha", NULL), val(w, "relax_evaluations_cold_mean", NULL),
           val(w, "relax_evaluations_warm_mean", NULL), val(w, "relax_scf_iterations_cold_mean", NULL),
           val(w, "relax_scf_iterations_warm_mean", NULL), val(w, "wall_cold_s", NULL), val(w, "wall_warm_s", NULL),
           val(w, "max_dF_Ha", NULL), val(w, "max_dxred_bohr", NULL));
  if (cJSON_GetObjectItemCaseSensitive(root, "residual_forces"))
    sf_log(1, "  DFT forces at the predicted positions: mean %.3e, max %.3e Ha/Bohr\n",
           val(root, "residual_forces", "mean"), val(root, "residual_forces", "max"));
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
  print_fields(root);
  print_dft_checks(root);
}

/* The dataset's campaign (its options replayed, app/campaign_input.c) for the routes;
 * the grid is the dataset's. */
static int open_campaign(const sf_dataset *ds, sf_input *in, sf_evaluate_campaign *cp, double tolmxf)
{
  sf_relax_params rp;
  SF_CHECK(sf_campaign_input_read(ds->settings, ds->path, in, &rp));
  *cp = (sf_evaluate_campaign){.ref_cell = &in->cell, .psps = in->psps, .scf = in->scf, .relax = rp};
  memcpy(cp->scf.ngfft, ds->ngrid, sizeof cp->scf.ngfft);
  if (tolmxf > 0) cp->relax.tolmxf = tolmxf;
  return SF_OK;
}

int sf_evaluate_files(const sf_evaluate_args *a)
{
  int rank, st = SF_OK, have_model = 0, have_ds = 0, have_in = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sf_evaluate_cfg c = {.samples = a->samples, .use_dataset = a->use_dataset, .warm_start = a->warm_start,
                       .residual_forces = a->residual_forces};
  sf_input in;
  sf_evaluate_campaign cp;
  double *strains = NULL;
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
  if (a->strain_file) SF_CHECK_GOTO(sf_read_strain_file(a->strain_file, &strains, &c.nstrains));
  c.strains = strains;
  SF_CHECK_GOTO(open_campaign(&ds, &in, &cp, a->tolmxf));
  have_in = 1;
  c.campaign = &cp;
  /* FFTW's cost-model plans, as generate's: the DFT of a sample is the same in every run */
  if (sf_evaluate_needs_dft(&c)) SF_CHECK_GOTO(sf_fft_plans_deterministic(MPI_COMM_WORLD));
  char md5[33] = "";
  SF_CHECK_GOTO(sf_md5_file(a->model, md5));
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "model", a->model);
  cJSON_AddStringToObject(root, "model_md5", md5);
  cJSON_AddStringToObject(root, "dataset", a->dataset);
  cJSON_AddStringToObject(root, "dataset_checksum", ds.checksum);
  if (a->strain_file) cJSON_AddStringToObject(root, "strain_file", a->strain_file);
  else cJSON_AddStringToObject(root, "samples", a->samples);
  if (c.warm_start) cJSON_AddNumberToObject(root, "tolmxf", cp.relax.tolmxf);
  SF_CHECK_GOTO(sf_evaluate_run(MPI_COMM_WORLD, &m, &ds, &c, root));
  cJSON_AddNumberToObject(root, "time_s", MPI_Wtime() - t0);
  cJSON_AddStringToObject(root, "units", "mae_mHa, max_mHa, error_mHa in mHa; energies in Ha");
  if (rank == 0) print_table(root);
  if (rank == 0) SF_CHECK_GOTO(sf_write_json_file(a->summary, root));
cleanup:
  st = sf_status_agree(MPI_COMM_WORLD, st);
  cJSON_Delete(root);
  sf_free(strains);
  if (have_in) sf_input_free(&in);
  if (have_ds) sf_dataset_free(&ds);
  if (have_model) sf_model_free(&m);
  return st;
}

int sf_cmd_evaluate(void)
{
  char model[1024], dataset[1024], summary[1024], samples[256], routes[256], pred[32], sfile[1024];
  int set_sum, set_samples, set_sfile;
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 written by train", model, sizeof model, NULL));
  SF_CHECK(sf_opt_string("-dataset", "dataset.h5", "the dataset the model was trained on", dataset, sizeof dataset, NULL));
  SF_CHECK(sf_opt_string("-summary", "", "JSON of the errors (required)", summary, sizeof summary, &set_sum));
  SF_CHECK(sf_opt_string("-samples", "test", "test (the model's test samples), all, or FIRST-LAST (0-based)", samples,
                         sizeof samples, &set_samples));
  SF_CHECK(sf_opt_string("-strain_file", "", "instead of dataset samples: strains (6 numbers a line), each relaxed "
                         "with the campaign's settings as the reference", sfile, sizeof sfile, &set_sfile));
  SF_CHECK(sf_opt_string("-routes", SF_EVALUATE_ROUTES, "energy routes: direct (the network), sum (eq. 20-21), "
                         "orbital, harris, scf (one diagonalisation at the predicted density each)", routes, sizeof routes, NULL));
  int warm, resid;
  double tolmxf;
  SF_CHECK(sf_opt_bool("-warm_start", 0, "also relax every sample cold and from the prediction, and compare", &warm, NULL));
  SF_CHECK(sf_opt_bool("-residual_forces", 0, "also the DFT forces at the predicted positions (one SCF per sample)",
                       &resid, NULL));
  SF_CHECK(sf_opt_real("-tolmxf", 0.0, "-warm_start's relaxations stop at this max |force| (Ha/Bohr; 0: the campaign's)",
                       &tolmxf, NULL));
  SF_OPT_REJECT_IF(!(tolmxf >= 0), "-tolmxf %g must be >= 0 (0: the campaign's)", tolmxf);
  SF_CHECK(sf_opt_string("-prediction", "model", "model, or dataset: a check, the samples' own DFT fields and "
                         "positions replace the prediction (the sum route then gives the dataset's F)", pred, sizeof pred, NULL));
  SF_OPT_REJECT_IF(strcmp(pred, "model") && strcmp(pred, "dataset"), "-prediction %s: model or dataset", pred);
  SF_CHECK(sf_options_finish());
  if (!set_sum || !summary[0]) SF_ERROR(SF_ERR_INPUT, "-summary: evaluate needs the path of its JSON");
  set_sfile = set_sfile && sfile[0];
  if (set_sfile && set_samples) SF_ERROR(SF_ERR_INPUT, "-strain_file and -samples: give one set of samples, not both");
  const sf_path_input in[] = {{"-model", model}, {"-dataset", dataset}, {"-strain_file", set_sfile ? sfile : NULL}},
                      out[] = {{"-summary", summary}};
  SF_CHECK(sf_check_outputs(out, 1, in, 3));
  sf_evaluate_cfg probe;
  SF_CHECK(parse_routes(routes, &probe)); /* a bad -routes fails before any file is read */
  sf_evaluate_args a = {model, dataset, summary, samples, routes, !strcmp(pred, "dataset"), warm, resid, tolmxf,
                        set_sfile ? sfile : NULL};
  SF_CHECK(sf_evaluate_files(&a));
  return SF_OK;
}
