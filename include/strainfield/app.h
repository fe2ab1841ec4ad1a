/* app.h — the subcommands and the shared reading of a calculation's input options.
 *
 * Owns: translating options (ABINIT names and units) into a cell, pseudopotentials and
 * SCF parameters; the subcommand entry points called by main.c; every command's option
 * handling, output checks and printing.  Layer app, the top: nothing below includes it.
 */
#ifndef STRAINFIELD_APP_H
#define STRAINFIELD_APP_H

#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/dataset.h"
#include "strainfield/train.h"
#include "strainfield/pseudo.h"
#include "strainfield/relax.h"
#include "strainfield/scf.h"

#define SF_MAXTYPAT 8
#define SF_MAXATOM 256

typedef struct {
  sf_cell cell;
  sf_psp psps[SF_MAXTYPAT];
  int npsp;
  char psp_paths[SF_MAXTYPAT][1024];
  sf_scf_params scf;
  char summary[1024], fields[1024];
  int have_summary, have_fields;
} sf_input;

/* Queries every option of a ground-state calculation; reads the pseudopotentials. */
int sf_input_read(sf_input *in);
void sf_input_free(sf_input *in);
/* The warnings a new calculation prints about its input (a pseudopotential built with
 * another xc functional, as ABINIT warns); a replayed campaign does not repeat them. */
void sf_input_warn(const sf_input *in);
/* -tolmxf and -ntime of a relaxation (relax, generate and a replayed campaign). */
int sf_input_read_relax(sf_relax_params *rp);
/* The campaign recorded in a dataset's attributes (attributes_json: its `options` as a
 * JSON string and `psp_files`, as sf_dataset.settings holds them; `where` names the
 * dataset in messages): the options replayed through sf_input_read and
 * sf_input_read_relax in an options database of their own (src/app/campaign_input.c).
 * Starts a fresh options registry: call it after the command's sf_options_finish. */
int sf_campaign_input_read(const char *attributes_json, const char *where, sf_input *in, sf_relax_params *rp);

int sf_cmd_scf(void);
int sf_cmd_relax(void);
int sf_cmd_train(void);   /* src/app/cmd_train.c */
int sf_cmd_predict(void); /* src/app/cmd_predict.c */
int sf_cmd_generate(void);
int sf_cmd_run(void);
int sf_cmd_path(void);    /* src/app/cmd_path.c */
/* One uniaxial path of model m as `path` computes it (src/app/cmd_path.c), logged and
 * written to summary (JSON) and fields (HDF5 of the predicted fields at every point; NULL:
 * none) by rank 0; *nconverged points reached tol (the others are kept, marked). */
typedef struct {
  const char *model; /* the model file's path, recorded in the JSON */
  int dir;           /* loaded axis 1, 2, 3 */
  double range[2];   /* first, last ε_ii */
  int npt;
  const char *residual; /* "subtract" or "zero" (-path_residual) */
  double tol;
  int maxiter;
  const char *summary, *fields;
  int quiet; /* 1: no table of the points in the log (run -figures) */
} sf_path_args;
int sf_path_files(const sf_model *m, const sf_path_args *a, int *nconverged);
int sf_cmd_evaluate(void); /* src/app/cmd_evaluate.c */
int sf_cmd_elastic(void);  /* src/app/cmd_elastic.c */
/* evaluate of model on dataset into summary (also the end of `run`): samples as -samples,
 * routes as -routes, use_dataset = -prediction dataset, -warm_start, -residual_forces,
 * tolmxf of the warm-start relaxations (0: the campaign's), -strain_file. */
typedef struct {
  const char *model, *dataset, *summary, *samples, *routes;
  int use_dataset, warm_start, residual_forces;
  double tolmxf;
  const char *strain_file; /* NULL: the dataset's samples */
} sf_evaluate_args;
/* run -figures DIR (src/app/figures.c, docs/figures.md): the paper's figures of the run,
 * drawn by the plotting tool shipped with strainfield from the run's files. */
typedef struct {
  char dir[1024], python[1024], tool[4200];
  int on; /* -figures given */
} sf_figures_opts;
/* -figures and -figures_python. */
int sf_figures_read_opts(sf_figures_opts *o);
/* Before any work (collective): the folder (made if missing), its files against the
 * inputs, the tool and its Python (it must import matplotlib, h5py, numpy). */
int sf_figures_check(sf_figures_opts *o, const sf_path_input *inputs, int nin);
/* After evaluate (collective): Figure 2's prediction and the three uniaxial paths into the
 * folder, then the tool draws every figure from them and the run's files. */
int sf_figures_write(const sf_figures_opts *o, const char *dataset, const char *model, const char *train_json,
                     const char *eval_json);
/* The strains of a strain file (src/app/strain_file.c): 6 numbers a line (commas allowed),
 * # comments; *D (6 per strain) is the caller's to free, also on failure. */
int sf_read_strain_file(const char *path, double **D, int *n);
#define SF_EVALUATE_ROUTES "direct,sum,orbital,harris,scf" /* evaluate's default -routes */
int sf_evaluate_files(const sf_evaluate_args *a);
/* train in two phases (src/app/cmd_train.c), so `run` can query the options of several
 * stages before sf_options_finish: prepare reads the options, execute does the work. */
int sf_train_prepare(sf_train_cfg **cfg);
int sf_train_execute(sf_train_cfg *cfg);
void sf_train_cfg_free(sf_train_cfg **cfg);
/* The -summary path given to train, or NULL. */
const char *sf_train_summary_path(const sf_train_cfg *cfg);
const char *sf_train_model_path(const sf_train_cfg *cfg); /* NULL when not set */
/* For `run`: unless given, the model goes to DATASET.model.h5 and the metrics to
 * DATASET.train.json. */
void sf_train_default_paths(sf_train_cfg *cfg, const char *dataset);

/* generate -accelerate (src/app/accelerate.c): its options (queried with generate's), the
 * model read and checked against the campaign's reference cell and grid (collective: every
 * rank reads), and the campaign's start callback (sf_campaign.start). */
typedef struct sf_accelerate_s sf_accelerate;
int sf_accelerate_options(sf_accelerate **a, int active);
int sf_accelerate_every(const sf_accelerate *a); /* -accel_every N (0: none) */
int sf_accelerate_on(const sf_accelerate *a);
/* The model that starts the samples from now on (a round's, borrowed; NULL: -init_model's)
 * and the spread of every sample (for the -accel_max_std gate; NULL: no gate). */
void sf_accelerate_set_round(sf_accelerate *a, const sf_model *m, const double *std_of);
const char *sf_accelerate_model_path(const sf_accelerate *a); /* -init_model, or NULL */
int sf_accelerate_open(sf_accelerate *a, const sf_cell *ref, const int ngfft[3]);
int sf_accelerate_start(void *ctx, long index, const double D[6], double *xred, double *rho, int *use);
void sf_accelerate_free(sf_accelerate **a);

/* Campaigns in rounds (src/app/rounds.c): generate -sampling active, -accelerate
 * -accel_every.  options: NULL *R when the campaign is not in rounds.  begin (collective):
 * round r's strains into Dall[6·lo..] (read from DATASET.parts/round_RRR.json, or chosen by
 * the model trained on the earlier rounds, which is then written there), round_of and
 * std_of (the model's normalised spread) of its samples, and the round model when its
 * samples start from it.  Every earlier round must be finished. */
typedef struct sf_rounds_s sf_rounds;
int sf_rounds_options(sf_rounds **R, const char *sampling, const sf_sampler *dist, long nsamples, int accel_every,
                      int accelerate);
long sf_rounds_count(const sf_rounds *R); /* 1 when not in rounds */
long sf_rounds_size(const sf_rounds *R);
int sf_rounds_active(const sf_rounds *R);
int sf_rounds_begin(sf_rounds *R, MPI_Comm world, int r, const char *parts, const sf_dataset_meta *meta,
                    const char *have, double *Dall, int *round_of, double *std_of);
const sf_model *sf_rounds_model(const sf_rounds *R); /* the current round's model, or NULL */
void sf_rounds_free(sf_rounds **R);

/* generate in two phases (see sf_train_prepare): in_run lets -summary through for train. */
typedef struct sf_generate_s sf_generate;
int sf_generate_prepare(sf_generate **gen, int in_run);
int sf_generate_execute(sf_generate *gen);
void sf_generate_free(sf_generate **gen);
const char *sf_generate_dataset_path(const sf_generate *gen);
/* sf_path_check_output of `path` (named `option` in the message) against the campaign's
 * inputs: -options_file, -sample_file, -pseudos and (for another output) -dataset. */
int sf_generate_check_outputs(const sf_generate *gen, const char *option, const char *path);

#endif
