/* train_internal.h — kept so that cv.c and train_groups.c need no edit: what they share
 * with the training workflow is public now, in strainfield/train.h. */
#ifndef STRAINFIELD_TRAIN_INTERNAL_H
#define STRAINFIELD_TRAIN_INTERNAL_H

#include "strainfield/train.h"

#endif
