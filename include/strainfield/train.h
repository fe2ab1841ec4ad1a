/* train.h — the building blocks of training, below the training workflow (analysis/):
 * the resolved train settings, the networks' construction and output scalers
 * (train_nets.c), k-fold cross-validation (cv.c), side-by-side training of several
 * networks on rank groups (train_groups.c) and the checkpoint of a stopped train
 * (checkpoint.c).  Layer ml: depends on core (and io) only. */
#ifndef STRAINFIELD_TRAIN_H
#define STRAINFIELD_TRAIN_H

#include "strainfield/ml.h"

#define SF_NNET (SF_NFIELD + 2) /* the fields, xred, energy */
/* The most networks one sf_train_networks call trains: every member of an ensemble. */
#define SF_TRAIN_MAXJOBS (SF_NNET * SF_MODEL_MAXENS)

/* The networks in training order: the fields (fields.h), "xred", "energy". */
extern const char *const sf_train_net_names[SF_NNET];

typedef struct sf_train_cfg_s {
  char dataset[1024], model[1024], summary[1024];
  int have_summary, have_model;
  int ntrain, ntest;
  int ncomp[SF_NFIELD];
  int nhidden[SF_NNET], hidden[SF_NNET][SF_MLP_MAXLAYER]; /* hidden widths per network */
  int coef_scaling[SF_NFIELD];  /* 0 standard (each coefficient unit variance), 1 variance,
                                   2 range (variance + per-sample loss weight 1/range²) */
  const double *sample_w;       /* per-training-sample loss weights of the current network (NULL: 1) */
  sf_train_params tp;
  int ensemble;                 /* -ensemble K: members per network (1: no ensemble) */
  int ensemble_bootstrap;       /* -ensemble_bootstrap: each member sees a resample of the training set */
  double stress_weight;         /* -stress_weight: the energy network's stress term (mlp.h grad_weight) */
  int cv_folds, cv_epochs, ncv_w, ncv_d, cv_widths[8], cv_depths[8];
  int nlc, lc_sizes[16];
  int train_groups;             /* -train_groups (0: automatic) */
  int resume;                   /* -resume: continue from the checkpoint if there is one */
  char checkpoint[1100];        /* MODEL.checkpoint.h5 */
  int checkpoint_written;       /* a stop signal's state is saved there */
} sf_train_cfg;

/* train_nets.c.  Builds an untrained network D → nout with the cfg's hidden layers of net i. */
int sf_train_make_net(const sf_train_cfg *c, int i, int nout, uint64_t seed, sf_mlp *m);
/* k-fold cross-validation of network i (0..3 fields, 4 xred, 5 energy) over the cfg's
 * widths × depths, tasks spread over rank groups; overwrites the cfg's architecture of
 * net i with the winner and records the scores in json (a cJSON object).  pca: the
 * field's PCA for variance scaling, NULL otherwise.  Collective over comm. */
int sf_train_cv(MPI_Comm comm, sf_train_cfg *c, int i, const double *D, const double *Y, int nout,
                const sf_pca *pca, int n, void *json);
/* Standardises the outputs as the cfg says (field f's PCA eigenvalues when variance
 * scaling; f < 0 for a non-field network). */
void sf_train_set_scalers(const sf_train_cfg *c, int f, const sf_pca *pca, sf_mlp *m, const double *X,
                          const double *Y, int n);

/* Trains nnet (≤ SF_TRAIN_MAXJOBS) independent networks on the same inputs X (n rows) and
 * targets Y[i], each with its own parameters tp[i], spread over ngroups rank groups of
 * comm (0: automatic; at most one per rank) — see train_groups.c.  Collective; every rank ends with every
 * trained network, and logs name them by label[i]. */
int sf_train_networks(MPI_Comm comm, int ngroups, int nnet, sf_mlp *const *nets, const double *X,
                      const double *const *Y, int n, const sf_train_params *tp, const char *const *label,
                      sf_mlp_state *const *states);
/* ...with states (may be NULL): each network starts from states[i] and leaves its end
 * state there; on a stop signal every rank gets every network's weights and state and
 * SF_STOPPED is returned (train then writes the checkpoint). */

/* The checkpoint of a stopped train (checkpoint.c, format in docs/model.md): for each
 * network its weights, Adam moments, step count, epochs done and last loss, and the
 * identity of the run (the train options that change the weights, and the dataset id).
 * write: rank 0 only, to PATH.tmp then renamed.  read: refuses a checkpoint of another
 * identity or other networks, naming the first differing option; fills nets' params
 * and states. */
int sf_train_checkpoint_write(const char *path, const char *identity, int nnet, const char *const *label,
                              sf_mlp *const *nets, sf_mlp_state *const *states);
int sf_train_checkpoint_read(const char *path, const char *identity, int nnet, const char *const *label,
                             sf_mlp *const *nets, sf_mlp_state *const *states);
/* The identity of this run for the checkpoint: JSON text of the resolved options, less
 * those that do not change the weights (paths of outputs, verbosity, -resume,
 * -train_groups), and the dataset id.  Caller frees with free(). */
char *sf_train_identity(const char *dataset_checksum);

#endif
