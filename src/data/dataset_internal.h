/* dataset_internal.h — the column table shared by the part files and the final file. */
#ifndef STRAINFIELD_DATASET_INTERNAL_H
#define STRAINFIELD_DATASET_INTERNAL_H

#include "strainfield/dataset.h"

#include <hdf5.h>
#include <stddef.h>

enum { COL_DOUBLE, COL_INT, COL_STRING };

typedef struct {
  const char *name;   /* path inside the file, under /samples */
  int type;
  int rank;           /* per-sample rank (0 = scalar) */
  int dims[2];        /* -1 = natom */
  size_t offset;      /* into sf_sample_record */
  int pointer;        /* the member is a pointer to the data (xred, fcart) */
  const char *units;
} sf_column;

extern const sf_column sf_columns[];
extern const int sf_ncolumns;

/* Number of values of a column for one sample, and a pointer to them in r. */
size_t sf_column_count(const sf_column *c, int natom);
void *sf_column_data(const sf_column *c, sf_sample_record *r);
hid_t sf_column_h5type(const sf_column *c); /* caller closes (H5Tclose) */
/* A scalar string attribute of obj (dataset_h5.c). */
int sf_h5_attr_string(hid_t obj, const char *name, const char *text);


#endif
