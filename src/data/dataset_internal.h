/* dataset_internal.h — what the files of data/ share beyond dataset.h: the HDF5 side of
 * the column table, and small HDF5 helpers. */
#ifndef STRAINFIELD_DATASET_INTERNAL_H
#define STRAINFIELD_DATASET_INTERNAL_H

#include "strainfield/dataset.h"

#include <hdf5.h>
#include <stddef.h>

hid_t sf_column_h5type(const sf_column *c); /* caller closes (H5Tclose) */
/* The text of a column's `units` attribute: "units; meaning", or the one not empty. */
void sf_column_units_attr(const sf_column *c, char *text, size_t len);
/* A scalar string attribute of obj (dataset_h5.c). */
int sf_h5_attr_string(hid_t obj, const char *name, const char *text);

#endif
