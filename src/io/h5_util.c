/* h5_util.c — the small HDF5 helpers every file writer and reader shares (the model, the
 * train checkpoint, predict's and scf's fields files): one dataset or attribute per
 * call, with errors that name it.  Declared in h5io.h. */
#include "strainfield/core.h"
#include "strainfield/h5io.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sf_h5_write(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data)
{
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t set = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = set < 0 ? -1 : H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (set >= 0) H5Dclose(set);
  H5Sclose(space);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot write dataset %s", name);
  return SF_OK;
}

int sf_h5_write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data)
{
  return sf_h5_write(loc, name, H5T_NATIVE_DOUBLE, rank, dims, data);
}

int sf_h5_read(hid_t loc, const char *what, const char *name, hid_t type, size_t count, void *data)
{
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) SF_ERROR(SF_ERR_FILE, "%s: no dataset %s", what, name);
  hid_t sp = H5Dget_space(d);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  herr_t st = (size_t)n == count ? H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
  H5Sclose(sp);
  H5Dclose(d);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "%s: cannot read %s (%lld values, expected %zu)", what, name, (long long)n, count);
  return SF_OK;
}

void sf_h5_attr_str(hid_t loc, const char *name, const char *s)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(s) + 1);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, s);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

char *sf_h5_attr_str_read(hid_t loc, const char *name)
{
  if (H5Aexists(loc, name) <= 0) return NULL;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t t = H5Aget_type(a);
  size_t n = H5Tget_size(t);
  char *s = calloc(n + 1, 1);
  if (s && H5Aread(a, t, s) < 0) s[0] = 0;
  H5Tclose(t);
  H5Aclose(a);
  return s;
}

/* A one-dimensional attribute of n values of memory type `type`. */
static void attr_write(hid_t loc, const char *name, hid_t type, int n, const void *v)
{
  hsize_t d = (hsize_t)n;
  hid_t sp = H5Screate_simple(1, &d, NULL);
  hid_t a = H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, type, v);
  H5Aclose(a);
  H5Sclose(sp);
}

void sf_h5_attr_ints(hid_t loc, const char *name, int n, const int *v) { attr_write(loc, name, H5T_NATIVE_INT, n, v); }

/* The values of attribute `name` (at most nmax, of memory type `type`): their count, or
 * -1 when it is absent or longer. */
static int attr_read(hid_t loc, const char *name, hid_t type, int nmax, void *v)
{
  if (H5Aexists(loc, name) <= 0) return -1;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t sp = H5Aget_space(a);
  int n = (int)H5Sget_simple_extent_npoints(sp);
  if (n > nmax || H5Aread(a, type, v) < 0) n = -1;
  H5Sclose(sp);
  H5Aclose(a);
  return n;
}

int sf_h5_attr_ints_read(hid_t loc, const char *name, int nmax, int *v)
{
  return attr_read(loc, name, H5T_NATIVE_INT, nmax, v);
}

void sf_h5_attr_double(hid_t loc, const char *name, int n, const double *v)
{
  attr_write(loc, name, H5T_NATIVE_DOUBLE, n, v);
}

int sf_h5_attr_double_read(hid_t loc, const char *name, int nmax, double *v)
{
  return attr_read(loc, name, H5T_NATIVE_DOUBLE, nmax, v);
}

int sf_h5_finish(hid_t file, int status, const char *tmp, const char *path)
{
  if (H5Fclose(file) < 0 && !status)
    status = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot close %s", tmp);
  if (!status && rename(tmp, path))
    status = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot rename %s to %s", tmp, path);
  if (status) {
    remove(tmp); /* never leave a partial file behind */
    return sf_error_trace(status, __FILE__, __LINE__, __func__);
  }
  return SF_OK;
}
