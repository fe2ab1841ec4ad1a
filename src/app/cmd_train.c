/* cmd_train.c — `strainfield train` (docs/model.md): its options, the checks of its
 * inputs and outputs, and its files: the model and the metrics JSON.  The workflow
 * itself (split, PCA, networks, metrics) is analysis's (training.h). */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"
#include "strainfield/training.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds of the counts, far above any real use, so a typo fails at once instead of
 * asking for terabytes or years. */
#define SF_TRAIN_MAXWIDTH 65536
#define SF_TRAIN_MAXEPOCHS 100000000

/* PCA components, hidden layers and output scaling of the six networks. */
static int read_networks(sf_train_cfg *c)
{
  int def_nc[SF_NFIELD] = {50, 50, 50, 50}, n;
  SF_CHECK(sf_opt_int_array("-pca_components", SF_NFIELD, 0, def_nc, SF_NFIELD,
                            "PCA components of rho,phi,u,s (one value: all fields)", c->ncomp, &n, NULL));
  if (n == 1)
    for (int f = 1; f < SF_NFIELD; f++) c->ncomp[f] = c->ncomp[0];
  else if (n != SF_NFIELD) SF_ERROR(SF_ERR_INPUT, "-pca_components takes 1 or 4 values");
  const int def_field[] = {500, 500}, def_small[] = {50, 100, 50};
  static const char *arch_opt[SF_NNET] = {"-arch_rho", "-arch_phi", "-arch_u", "-arch_s", "-arch_xred", "-arch_energy"};
  for (int i = 0; i < SF_NNET; i++) {
    char help[128];
    snprintf(help, sizeof help, "hidden-layer widths of the network D -> %s", sf_train_net_names[i]);
    SF_CHECK(sf_opt_int_array(arch_opt[i], SF_MLP_MAXLAYER - 1, 0, i < 4 ? def_field : def_small, i < 4 ? 2 : 3, help,
                              c->hidden[i], &c->nhidden[i], NULL));
    for (int l = 0; l < c->nhidden[i]; l++)
      SF_OPT_REJECT_IF(c->hidden[i][l] < 1 || c->hidden[i][l] > SF_TRAIN_MAXWIDTH, "%s: width %d must be in 1..%d",
                       arch_opt[i], c->hidden[i][l], SF_TRAIN_MAXWIDTH);
  }
  char sc[SF_NFIELD][1024];
  int nsc = 0, scset;
  SF_CHECK(sf_opt_string_array("-coef_scaling", SF_NFIELD,
                               "output scaling of rho,phi,u,s coefficients: standard (each unit variance, the paper), "
                               "variance (one scale per field: loss = field L2 error) or range (variance, and each "
                               "sample's loss divided by its field's range squared: loss = sum of NRMSE^2, the paper's "
                               "metric); default standard for all four",
                               sc, &nsc, &scset));
  if (scset) {
    if (nsc != 1 && nsc != SF_NFIELD) SF_ERROR(SF_ERR_INPUT, "-coef_scaling takes 1 or 4 values");
    for (int f = 0; f < SF_NFIELD; f++) {
      const char *s = sc[nsc == 1 ? 0 : f];
      if (!strcmp(s, "standard")) c->coef_scaling[f] = 0;
      else if (!strcmp(s, "variance")) c->coef_scaling[f] = 1;
      else if (!strcmp(s, "range")) c->coef_scaling[f] = 2;
      else SF_ERROR(SF_ERR_INPUT, "-coef_scaling: '%s' is not standard, variance or range", s);
    }
  }
  return SF_OK;
}

/* Adam, the l2 penalty, mini-batches, epochs and the seed. */
static int read_optimiser(sf_train_cfg *c)
{
  SF_CHECK(sf_opt_real("-lr", 1e-3, "Adam learning rate", &c->tp.lr, NULL));
  /* no upper bound: too large a rate shows as a diverged loss (mlp_train.c), named there */
  SF_OPT_REJECT_IF(!(c->tp.lr > 0 && isfinite(c->tp.lr)), "-lr %g: must be finite and > 0", c->tp.lr);
  SF_CHECK(sf_opt_real("-l2", 1e-4, "l2 penalty on the weights (loss += l2 sum W^2)", &c->tp.l2, NULL));
  SF_OPT_REJECT_IF(!(c->tp.l2 >= 0 && isfinite(c->tp.l2)), "-l2 %g: must be finite and >= 0", c->tp.l2);
  SF_CHECK(sf_opt_int("-batch", 128, "mini-batch size (split over the ranks of the network's group, see -train_groups)", &c->tp.batch, NULL));
  SF_OPT_REJECT_IF(c->tp.batch < 1, "-batch %d: must be >= 1", c->tp.batch);
  SF_CHECK(sf_opt_int("-epochs", 4000, "training epochs", &c->tp.epochs, NULL));
  SF_OPT_REJECT_IF(c->tp.epochs < 0 || c->tp.epochs > SF_TRAIN_MAXEPOCHS, "-epochs %d: must be in 0..%d", c->tp.epochs,
                   SF_TRAIN_MAXEPOCHS);
  int seed;
  SF_CHECK(sf_opt_int("-seed", 1, "seed of initial weights and shuffles", &seed, NULL));
  SF_OPT_REJECT_IF(seed < 0, "-seed %d: must be >= 0", seed);
  c->tp.seed = (uint64_t)seed;
  SF_CHECK(sf_opt_real("-stress_weight", 0, "weight of the energy network's stress misfit (dF/dD against the "
                       "DFT stress through the strain map, normalised by the targets' variance; 0: energies only)",
                       &c->stress_weight, NULL));
  SF_OPT_REJECT_IF(!(c->stress_weight >= 0 && isfinite(c->stress_weight)), "-stress_weight %g: must be finite and >= 0",
                   c->stress_weight);
  SF_CHECK(sf_opt_int("-ensemble", 1, "members per network: K networks from different seeds, whose mean is the "
                      "prediction and whose spread its uncertainty (docs/model.md)", &c->ensemble, NULL));
  SF_OPT_REJECT_IF(c->ensemble < 1 || c->ensemble > SF_MODEL_MAXENS, "-ensemble %d: must be in 1..%d", c->ensemble,
                   SF_MODEL_MAXENS);
  SF_CHECK(sf_opt_bool("-ensemble_bootstrap", 0, "each ensemble member trains on its own resample (with replacement) "
                       "of the training set", &c->ensemble_bootstrap, NULL));
  return SF_OK;
}

/* Cross-validation of the architectures and the learning curve. */
static int read_model_selection(sf_train_cfg *c)
{
  SF_CHECK(sf_opt_int("-cv_folds", 0, "k-fold cross-validation of the architectures (0: off)", &c->cv_folds, NULL));
  SF_OPT_REJECT_IF(c->cv_folds < 0 || c->cv_folds == 1, "-cv_folds %d: must be 0 (off) or >= 2", c->cv_folds);
  SF_CHECK(sf_opt_int("-cv_epochs", 0, "epochs per cross-validation fit (0: -epochs)", &c->cv_epochs, NULL));
  SF_OPT_REJECT_IF(c->cv_epochs < 0 || c->cv_epochs > SF_TRAIN_MAXEPOCHS, "-cv_epochs %d: must be in 0..%d",
                   c->cv_epochs, SF_TRAIN_MAXEPOCHS);
  const int dw[] = {50, 100, 500}, dd[] = {1, 2, 3};
  SF_CHECK(sf_opt_int_array("-cv_widths", 8, 0, dw, 3, "hidden widths tried by cross-validation", c->cv_widths, &c->ncv_w, NULL));
  for (int k = 0; k < c->ncv_w; k++)
    SF_OPT_REJECT_IF(c->cv_widths[k] < 1 || c->cv_widths[k] > SF_TRAIN_MAXWIDTH, "-cv_widths: width %d must be in 1..%d",
                     c->cv_widths[k], SF_TRAIN_MAXWIDTH);
  SF_CHECK(sf_opt_int_array("-cv_depths", 8, 0, dd, 3, "hidden depths tried by cross-validation", c->cv_depths, &c->ncv_d, NULL));
  for (int k = 0; k < c->ncv_d; k++)
    SF_OPT_REJECT_IF(c->cv_depths[k] < 1 || c->cv_depths[k] > SF_MLP_MAXLAYER - 1, "-cv_depths: depth %d must be in 1..%d",
                     c->cv_depths[k], SF_MLP_MAXLAYER - 1);
  SF_CHECK(sf_opt_int_array("-learning_curve", 16, 0, NULL, 0,
                            "training-set sizes of the learning curve, e.g. 250,500,1000,2000 (default: none)",
                            c->lc_sizes, &c->nlc, NULL));
  for (int k = 0; k < c->nlc; k++)
    SF_OPT_REJECT_IF(c->lc_sizes[k] < 8, "-learning_curve: size %d must be >= 8 (the fewest samples train accepts)",
                     c->lc_sizes[k]);
  return SF_OK;
}
/* Every option of train, in the order -help lists them. */
static int read_cfg(sf_train_cfg *c)
{
  memset(c, 0, sizeof *c);
  sf_train_defaults(&c->tp);
  int set;
  SF_CHECK(sf_opt_string("-dataset", NULL, "dataset HDF5 written by generate", c->dataset, sizeof c->dataset, &set));
  if (!set) c->dataset[0] = 0;
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 to write (run: DATASET.model.h5)", c->model, sizeof c->model,
                         &c->have_model));
  SF_CHECK(sf_opt_string("-summary", NULL, "metrics JSON to write", c->summary, sizeof c->summary, &c->have_summary));
  SF_CHECK(sf_opt_int("-ntrain", 0, "training samples: the first n of the dataset (0: all but -ntest)", &c->ntrain, NULL));
  SF_OPT_REJECT_IF(c->ntrain < 0, "-ntrain %d: must be >= 0 (0: all samples but -ntest)", c->ntrain);
  SF_CHECK(sf_opt_int("-ntest", 0, "test samples: the last m of the dataset (0: a third of it)", &c->ntest, NULL));
  SF_OPT_REJECT_IF(c->ntest < 0, "-ntest %d: must be >= 0 (0: a third of the samples)", c->ntest);
  SF_CHECK(read_networks(c));
  SF_CHECK(read_optimiser(c));
  SF_CHECK(read_model_selection(c));
  SF_CHECK(sf_opt_int("-train_groups", 0,
                      "rank groups training different networks side by side, data-parallel inside a group "
                      "(0: one per network of the largest size, at most one per rank; 1: all ranks on each network)",
                      &c->train_groups, NULL));
  int every;
  SF_CHECK(sf_opt_int("-log_every", 0, "log the training loss every this many epochs (at -verbosity 2)", &every, NULL));
  SF_OPT_REJECT_IF(every < 0, "-log_every %d: must be >= 0 (0: never)", every);
  c->tp.verbose_every = every;
  SF_CHECK(sf_opt_bool("-resume", 0,
                       "continue from MODEL.checkpoint.h5, written when a signal (SIGTERM, SIGINT, SIGUSR1) stopped "
                       "a train with the same options (none: start from the beginning)",
                       &c->resume, NULL));
  return SF_OK;
}

/* Checks that need every option resolved (after sf_options_finish). */
static int check_cfg(const sf_train_cfg *c)
{
  if (!c->dataset[0]) SF_ERROR(SF_ERR_INPUT, "train needs -dataset FILE");
  for (int f = 0; f < SF_NFIELD; f++)
    if (c->ncomp[f] < 1 || c->ncomp[f] > 1024) SF_ERROR(SF_ERR_INPUT, "-pca_components must be in 1..1024");
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (c->train_groups < 0 || c->train_groups > size)
    SF_ERROR(SF_ERR_INPUT, "-train_groups %d: must be 0 (automatic) or 1..%d, the number of ranks", c->train_groups, size);
  if (c->tp.epochs < 0 || c->tp.batch < 1) SF_ERROR(SF_ERR_INPUT, "-epochs must be >= 0 and -batch >= 1");
  return SF_OK;
}

/* Every output (the model, its checkpoint, the metrics) checked before any work: not an
 * input, in a writable folder.  Rank 0 looks, so that all ranks take the same way. */
static int check_outputs(MPI_Comm comm, const sf_train_cfg *c)
{
  int rank;
  MPI_Comm_rank(comm, &rank);
  const sf_path_input in[] = {{"-dataset", c->dataset}};
  const sf_path_input out[] = {{"-model", c->model},
                               {"-summary", c->have_summary ? c->summary : NULL},
                               {"-model's checkpoint", c->checkpoint}};
  SF_CHECK(sf_status_agree(comm, rank == 0 ? sf_check_outputs(out, 3, in, 1) : SF_OK));
  return SF_OK;
}

int sf_train_prepare(sf_train_cfg **cfg)
{
  SF_CHECK(sf_calloc((void **)cfg, 1, sizeof **cfg));
  SF_CHECK(read_cfg(*cfg));
  return SF_OK;
}

void sf_train_cfg_free(sf_train_cfg **cfg)
{
  sf_free(*cfg);
  *cfg = NULL;
}

const char *sf_train_summary_path(const sf_train_cfg *c) { return c->have_summary ? c->summary : NULL; }
const char *sf_train_model_path(const sf_train_cfg *c) { return c->have_model ? c->model : NULL; }

void sf_train_default_paths(sf_train_cfg *c, const char *dataset)
{
  if (!c->have_summary) snprintf(c->summary, sizeof c->summary, "%s.train.json", dataset);
  if (!c->have_model) snprintf(c->model, sizeof c->model, "%s.model.h5", dataset);
  c->have_summary = c->have_model = 1;
}

int sf_cmd_train(void)
{
  sf_train_cfg *c = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_train_prepare(&c));
  SF_CHECK_GOTO(sf_options_finish());
  SF_CHECK_GOTO(sf_train_execute(c));
cleanup:
  sf_train_cfg_free(&c);
  return st;
}

/* The model file, with the resolved options and the metrics (which record them too). */
static int write_model(MPI_Comm comm, const sf_train_cfg *c, sf_model *model, cJSON *root, double t0)
{
  int rank;
  MPI_Comm_rank(comm, &rank);
  cJSON_AddNumberToObject(root, "wall_time_s", sf_wtime() - t0);
  char *opts = NULL;
  if (!sf_options_json(&opts) && opts) {
    model->options_json = strdup(opts);
    cJSON_AddItemToObject(root, "options", cJSON_Parse(opts));
  }
  sf_free(opts);
  /* every test sample's numbers stay in the summary: in the model's attribute they would
   * pass HDF5's 64 kB limit for compact attributes on large test sets */
  cJSON *per = cJSON_DetachItemFromObjectCaseSensitive(root, "test_samples");
  model->metrics_json = cJSON_PrintUnformatted(root);
  if (per) cJSON_AddItemToObject(root, "test_samples", per);
  SF_CHECK(sf_model_write(comm, c->model, model));
  sf_log(1, "train: model written to %s (%.1f s)\n", c->model, sf_wtime() - t0);
  if (rank == 0) remove(c->checkpoint); /* a resumed run is complete: its checkpoint is spent */
  return SF_OK;
}

/* A stop outside the final training (which saves its checkpoint) saves nothing: say so. */
static int stopped_unsaved(void)
{
  char why[1024];
  snprintf(why, sizeof why, "%s", sf_error_message());
  sf_error_reset();
  SF_ERROR(SF_STOPPED,
           "%s, during the learning curve or cross-validation, which are not checkpointed: nothing is saved; run "
           "train again",
           why);
}

int sf_train_execute(sf_train_cfg *cfg)
{
  SF_CHECK(check_cfg(cfg));
  sf_train_cfg c = *cfg;
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank, st = SF_OK;
  MPI_Comm_rank(comm, &rank);
  snprintf(c.checkpoint, sizeof c.checkpoint, "%s.checkpoint.h5", c.model);
  SF_CHECK(check_outputs(comm, &c));
  double t0 = sf_wtime();
  sf_dataset ds;
  sf_model model;
  memset(&ds, 0, sizeof ds);
  memset(&model, 0, sizeof model);
  cJSON *root = cJSON_CreateObject();
  if (!root) SF_ERROR_GOTO(SF_ERR_MEM, "cannot create the metrics JSON");
  SF_CHECK_GOTO(sf_dataset_open(c.dataset, &ds));
  st = sf_training_run(comm, &c, &ds, root, &model);
  if (!st) st = write_model(comm, &c, &model, root, t0);
  if (st == SF_STOPPED && !c.checkpoint_written) st = stopped_unsaved();
  int wst = !st && c.have_summary && rank == 0 ? sf_write_json_file(c.summary, root) : SF_OK;
  st = sf_status_agree(comm, st ? st : wst); /* rank 0's file writes decide for all */
cleanup:
  cJSON_Delete(root);
  sf_model_free(&model);
  sf_dataset_free(&ds);
  return st;
}
