/* training.h — the training workflow of `strainfield train` (src/analysis/train_*.c):
 * the split of a dataset into training and test samples, the distributed PCA of each
 * field, the targets and scalers of the six networks, their training side by side
 * (resumable from a checkpoint), the linear baselines, the test metrics (paper eq. 12),
 * the optional cross-validation and learning curve, and the assembly of the model.
 * Layer analysis: uses the learning blocks of ml (train.h) and the dataset; the command's
 * options, output checks, files and printing are app's (src/app/cmd_train.c). */
#ifndef STRAINFIELD_TRAINING_H
#define STRAINFIELD_TRAINING_H

#include "strainfield/dataset.h"
#include "strainfield/ml.h"
#include "strainfield/train.h"

#include <cjson/cJSON.h>
#include <mpi.h>


/* The whole workflow on dataset ds with the resolved settings c (c->ntrain and c->ntest
 * are set to the counts used; c->checkpoint_written says whether a stop was saved): the
 * metrics go into root (dataset identity, counts, cross-validation, learning curve,
 * test errors, times, architectures) and the trained model into *model (zeroed by the
 * caller; filled but not written, without options or metrics text).  Collective over
 * comm; SF_STOPPED after a clean stop. */
int sf_training_run(MPI_Comm comm, sf_train_cfg *c, const sf_dataset *ds, cJSON *root, sf_model *model);

#endif
