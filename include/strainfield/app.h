/* app.h — the subcommands and the shared reading of a calculation's input options.
 *
 * Owns: translating options (ABINIT names and units) into a cell, pseudopotentials and
 * SCF parameters; the subcommand entry points called by main.c.
 */
#ifndef STRAINFIELD_APP_H
#define STRAINFIELD_APP_H

#include "strainfield/crystal.h"
#include "strainfield/ml.h"
#include "strainfield/pseudo.h"
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

int sf_cmd_scf(void);
int sf_cmd_relax(void);
int sf_cmd_train(void);   /* src/app/cmd_train.c */
int sf_cmd_predict(void); /* src/app/cmd_predict.c */
int sf_cmd_generate(void);
int sf_cmd_run(void);
int sf_cmd_path(void);    /* src/app/cmd_path.c */
/* predict's fields file (D, F, xred, dF/dD, coefficients, the four fields; docs/model.md)
 * for n strains of model m; written to PATH.tmp, then renamed. */
int sf_predict_fields_file(const char *path, const sf_model *m, const double *D, int n);

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
