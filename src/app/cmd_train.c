/* cmd_train.c — `strainfield train`: the learning stage (src/ml/train.c, docs/model.md). */
#include "strainfield/app.h"
#include "strainfield/ml.h"

int sf_cmd_train(void) { return sf_train_run(); }
