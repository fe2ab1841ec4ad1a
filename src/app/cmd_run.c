/* cmd_run.c — `strainfield run`: generate → train → evaluate in one mpirun, ending with
 * the table of the test errors and the evaluate table (the five energy routes on the test
 * samples, JSON next to the train summary), and with -figures DIR the paper's figures
 * (figures.c).  The stages query their options first, so a
 * typo in any is caught before any sample is computed. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double num(const cJSON *o, const char *a, const char *b)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
  if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* The closing table, read back from the metrics JSON that train wrote. */
static int print_table(const char *path)
{
  cJSON *root = NULL;
  SF_CHECK(sf_read_json_file(path, &root));
  const cJSON *nr = cJSON_GetObjectItemCaseSensitive(root, "nrmse");
  sf_log(1, "\nstrainfield run: test errors (%g training, %g test samples)\n", num(root, "ntrain", NULL),
         num(root, "ntest", NULL));
  sf_log(1, "  %-14s %12s %12s %12s %12s\n", "field", "NRMSE mean", "NRMSE max", "PCA only", "linear");
  for (int i = 0; i < SF_NFIELD; i++) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(nr, sf_field_names[i]);
    sf_log(1, "  %-14s %12.3e %12.3e %12.3e %12.3e\n", sf_field_names[i], num(o, "mean", NULL), num(o, "max", NULL),
           num(o, "pca_mean", NULL), num(o, "linear_mean", NULL));
  }
  sf_log(1, "  %-14s mean %.4f mHa, max %.4f mHa\n", "free energy", num(root, "free_energy_mae_mHa", NULL),
         num(root, "free_energy_max_mHa", NULL));
  sf_log(1, "  %-14s mean %.5f Bohr\n", "positions", num(root, "xred_mae_bohr", NULL));
  cJSON_Delete(root);
  return SF_OK;
}

/* The generate stage; samples that failed are recorded in the dataset and skipped by
 * training, so their error is printed and the run goes on. */
static int generate_stage(sf_generate *G)
{
  int st = sf_generate_execute(G);
  if (st == SF_ERR_NOCONV) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) sf_error_print(stderr);
    sf_error_reset();
    return SF_OK;
  }
  SF_CHECK(st);
  return SF_OK;
}

/* The evaluate JSON next to the train summary: X.train.json -> X.evaluate.json, else
 * X -> X.evaluate.json. */
static void evaluate_path(const char *train_summary, char *out, size_t len)
{
  const char *suffix = "train.json";
  size_t n = strlen(train_summary), k = strlen(suffix);
  if (n >= k && !strcmp(train_summary + n - k, suffix)) snprintf(out, len, "%.*sevaluate.json", (int)(n - k), train_summary);
  else snprintf(out, len, "%s.evaluate.json", train_summary);
}

int sf_cmd_run(void)
{
  sf_generate *G = NULL;
  sf_train_cfg *T = NULL;
  sf_figures_opts fig;
  int rank, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  SF_CHECK_GOTO(sf_generate_prepare(&G, 1));
  SF_CHECK_GOTO(sf_train_prepare(&T));
  SF_CHECK_GOTO(sf_figures_read_opts(&fig));
  SF_CHECK_GOTO(sf_options_finish());
  sf_train_default_paths(T, sf_generate_dataset_path(G));
  /* every output up front: a missing folder must not be found after the campaign */
  SF_CHECK_GOTO(sf_generate_check_outputs(G, "-dataset", sf_generate_dataset_path(G)));
  SF_CHECK_GOTO(sf_generate_check_outputs(G, "-model", sf_train_model_path(T)));
  SF_CHECK_GOTO(sf_generate_check_outputs(G, "-summary", sf_train_summary_path(T)));
  char eval_json[1100];
  evaluate_path(sf_train_summary_path(T), eval_json, sizeof eval_json);
  SF_CHECK_GOTO(sf_generate_check_outputs(G, "the evaluate summary", eval_json));
  const sf_path_input made[] = {{"-dataset", sf_generate_dataset_path(G)},
                                {"-model", sf_train_model_path(T)},
                                {"-summary", sf_train_summary_path(T)},
                                {"the evaluate summary", eval_json}};
  SF_CHECK_GOTO(sf_figures_check(&fig, made, 4));
  SF_CHECK_GOTO(generate_stage(G));
  SF_CHECK_GOTO(sf_train_execute(T));
  if (rank == 0) SF_CHECK_GOTO(print_table(sf_train_summary_path(T)));
  const sf_evaluate_args ev = {sf_train_model_path(T), sf_generate_dataset_path(G), eval_json, "test", SF_EVALUATE_ROUTES, 0, 0, 0, 0.0, NULL};
  SF_CHECK_GOTO(sf_evaluate_files(&ev));
  SF_CHECK_GOTO(sf_figures_write(&fig, sf_generate_dataset_path(G), sf_train_model_path(T), sf_train_summary_path(T),
                                 eval_json));
cleanup:
  sf_train_cfg_free(&T);
  sf_generate_free(&G);
  return st;
}
