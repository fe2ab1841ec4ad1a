/* dataset.c — the training view of a `generate` dataset (contract in ml.h): small arrays
 * on every rank, fields read by plane ranges so the snapshot matrix stays distributed. */
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/ml.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sf_ml_field_names[SF_NFIELD] = {"rho", "phi", "u", "s"};

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

typedef struct {
  uint64_t hash;
  cJSON *json;
} attr_ctx;

static herr_t attr_visit(hid_t loc, const char *name, const H5A_info_t *info, void *op)
{
  attr_ctx *c = op;
  /* progress counters of a campaign are not part of its identity */
  if (!strcmp(name, "nsamples_ok") || !strcmp(name, "nsamples_failed") || !strcmp(name, "nsamples_missing")) return 0;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
  hssize_t npts = H5Sget_simple_extent_npoints(sp);
  H5T_class_t cls = H5Tget_class(ft);
  c->hash = fnv1a(c->hash, name, strlen(name) + 1);
  herr_t st = 0;
  if (cls == H5T_STRING) {
    char *s = NULL;
    if (H5Tis_variable_str(ft) > 0) {
      hid_t mt = H5Tcopy(H5T_C_S1);
      H5Tset_size(mt, H5T_VARIABLE);
      H5Tset_cset(mt, H5Tget_cset(ft)); /* h5py writes UTF-8; HDF5 converts no character sets */
      if (npts == 1 && H5Aread(a, mt, &s) >= 0 && s) {
        c->hash = fnv1a(c->hash, s, strlen(s));
        cJSON_AddStringToObject(c->json, name, s);
        H5free_memory(s);
      }
      H5Tclose(mt);
    } else {
      size_t len = H5Tget_size(ft) * (npts > 0 ? (size_t)npts : 1);
      s = calloc(len + 1, 1);
      if (s && H5Aread(a, ft, s) >= 0) {
        c->hash = fnv1a(c->hash, s, strlen(s));
        cJSON_AddStringToObject(c->json, name, s);
      }
      free(s);
    }
  } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    double *v = calloc(npts > 0 ? (size_t)npts : 1, sizeof *v);
    if (v && H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0) {
      c->hash = fnv1a(c->hash, v, (size_t)npts * sizeof *v);
      if (npts == 1) cJSON_AddNumberToObject(c->json, name, v[0]);
      else cJSON_AddItemToObject(c->json, name, cJSON_CreateDoubleArray(v, (int)npts));
    } else
      st = -1;
    free(v);
  }
  H5Tclose(ft);
  H5Sclose(sp);
  H5Aclose(a);
  return st;
}

static int read_attr_doubles(hid_t file, const char *name, int n, double *v)
{
  if (H5Aexists(file, name) <= 0) return 0;
  hid_t a = H5Aopen(file, name, H5P_DEFAULT);
  hid_t sp = H5Aget_space(a);
  int ok = H5Sget_simple_extent_npoints(sp) == n && H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0;
  H5Sclose(sp);
  H5Aclose(a);
  return ok;
}

/* reads a whole double/int dataset whose element count must be `count` */
static int read_all(hid_t file, const char *name, hid_t mtype, size_t count, void *buf, int required)
{
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
    if (required) SF_ERROR(SF_ERR_FILE, "dataset has no %s", name);
    return SF_OK;
  }
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  herr_t st = (size_t)n == count ? H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : -1;
  H5Sclose(sp);
  H5Dclose(d);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "cannot read %s (%lld values, expected %zu)", name, (long long)n, count);
  return SF_OK;
}

int sf_dataset_open(const char *path, sf_dataset *ds)
{
  memset(ds, 0, sizeof *ds);
  snprintf(ds->path, sizeof ds->path, "%s", path);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot open dataset %s", path);
  int st = SF_OK;
  hsize_t dims[4] = {0};
  /* sizes: N from /samples/D, natom from /samples/xred, grid from /fields/rho */
  hid_t d = H5Lexists(file, "/samples/D", H5P_DEFAULT) > 0 ? H5Dopen2(file, "/samples/D", H5P_DEFAULT) : -1;
  if (d < 0) {
    H5Fclose(file);
    SF_ERROR(SF_ERR_FILE, "%s: no /samples/D (not a strainfield dataset?)", path);
  }
  hid_t sp = H5Dget_space(d);
  H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  H5Dclose(d);
  ds->N = (int)dims[0];
  d = H5Lexists(file, "/samples/xred", H5P_DEFAULT) > 0 ? H5Dopen2(file, "/samples/xred", H5P_DEFAULT) : -1;
  if (d >= 0) {
    sp = H5Dget_space(d);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    ds->natom = (int)dims[1];
    H5Sclose(sp);
    H5Dclose(d);
  }
  for (int f = 0; f < SF_NFIELD; f++) {
    char name[64];
    snprintf(name, sizeof name, "/fields/%s", sf_ml_field_names[f]);
    if (H5Lexists(file, "/fields", H5P_DEFAULT) <= 0 || H5Lexists(file, name, H5P_DEFAULT) <= 0) continue;
    d = H5Dopen2(file, name, H5P_DEFAULT);
    sp = H5Dget_space(d);
    int rk = H5Sget_simple_extent_ndims(sp);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    if (rk != 4 || (int)dims[0] != ds->N) {
      st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "%s: %s is not N×n1×n2×n3", path, name);
      break;
    }
    if (ds->npt && (ds->ngrid[0] != (int)dims[1] || ds->ngrid[1] != (int)dims[2] || ds->ngrid[2] != (int)dims[3])) {
      st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "%s: fields on different grids", path);
      break;
    }
    for (int i = 0; i < 3; i++) ds->ngrid[i] = (int)dims[i + 1];
    ds->npt = (long)dims[1] * dims[2] * dims[3];
    ds->has_field[f] = 1;
  }
  size_t N = ds->N;
  if (!st) st = sf_calloc((void **)&ds->D, N * 6 + 1, sizeof(double));
  if (!st) st = sf_calloc((void **)&ds->F, N + 1, sizeof(double));
  if (!st) st = sf_calloc((void **)&ds->xred, N * 3 * (ds->natom + 1), sizeof(double));
  if (!st) st = sf_calloc((void **)&ds->status, N + 1, sizeof(int));
  if (!st) st = read_all(file, "/samples/D", H5T_NATIVE_DOUBLE, N * 6, ds->D, 1);
  if (!st) st = read_all(file, "/samples/free_energy", H5T_NATIVE_DOUBLE, N, ds->F, 1);
  if (!st && ds->natom) st = read_all(file, "/samples/xred", H5T_NATIVE_DOUBLE, N * 3 * ds->natom, ds->xred, 1);
  if (!st) {
    if (H5Lexists(file, "/samples/status", H5P_DEFAULT) > 0)
      st = read_all(file, "/samples/status", H5T_NATIVE_INT, N, ds->status, 1);
    else
      for (size_t i = 0; i < N; i++) ds->status[i] = 1;
  }
  if (!st) {
    double acell[3], rprim[9];
    ds->have_ref = read_attr_doubles(file, "reference_lattice", 9, ds->ref_rprimd) ||
                   read_attr_doubles(file, "ref_rprimd", 9, ds->ref_rprimd) ||
                   read_attr_doubles(file, "rprimd_ref", 9, ds->ref_rprimd) ||
                   read_attr_doubles(file, "rprimd", 9, ds->ref_rprimd);
    if (!ds->have_ref && read_attr_doubles(file, "acell", 3, acell) && read_attr_doubles(file, "rprim", 9, rprim)) {
      double r[3][3];
      if (!sf_lattice_from_rprim(acell, rprim, r)) {
        memcpy(ds->ref_rprimd, r, sizeof r);
        ds->have_ref = 1;
      }
    }
    /* `generate` writes /samples/lattice; /samples/rprimd is the older name */
    const char *lat = H5Lexists(file, "/samples/lattice", H5P_DEFAULT) > 0   ? "/samples/lattice"
                      : H5Lexists(file, "/samples/rprimd", H5P_DEFAULT) > 0 ? "/samples/rprimd"
                                                                             : NULL;
    if (lat) {
      st = sf_calloc((void **)&ds->rprimd, N * 9, sizeof(double));
      if (!st) st = read_all(file, lat, H5T_NATIVE_DOUBLE, N * 9, ds->rprimd, 1);
    } else if (ds->have_ref) {
      st = sf_calloc((void **)&ds->rprimd, N * 9, sizeof(double));
      for (size_t i = 0; i < N && !st; i++) {
        double r[3][3];
        memcpy(r, ds->ref_rprimd, sizeof r);
        double out[3][3];
        if (sf_lattice_from_strain(r, ds->D + 6 * i, out)) {
          sf_error_reset();
          memset(out, 0, sizeof out);
        }
        memcpy(ds->rprimd + 9 * i, out, sizeof out);
      }
    }
  }
  if (!st) {
    attr_ctx c = {0xcbf29ce484222325ULL, cJSON_CreateObject()};
    hsize_t idx = 0;
    H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_visit, &c);
    c.hash = fnv1a(c.hash, ds->D, N * 6 * sizeof(double));
    snprintf(ds->checksum, sizeof ds->checksum, "%016llx", (unsigned long long)c.hash);
    cJSON_AddNumberToObject(c.json, "nsamples", ds->N);
    cJSON_AddItemToObject(c.json, "ngrid", cJSON_CreateIntArray(ds->ngrid, 3));
    cJSON_AddNumberToObject(c.json, "natom", ds->natom);
    ds->settings = cJSON_PrintUnformatted(c.json);
    cJSON_Delete(c.json);
  }
  H5Fclose(file);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  if (!ds->npt) SF_ERROR(SF_ERR_FILE, "%s: no /fields/{rho,phi,u,s}", path);
  return SF_OK;
}

int sf_dataset_read_field(const sf_dataset *ds, int f, const int *idx, int n, int plane0, int nplanes, double *out)
{
  if (!ds->has_field[f]) SF_ERROR(SF_ERR_FILE, "%s: no /fields/%s", ds->path, sf_ml_field_names[f]);
  hid_t file = H5Fopen(ds->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot open dataset %s", ds->path);
  char name[64];
  snprintf(name, sizeof name, "/fields/%s", sf_ml_field_names[f]);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t fsp = H5Dget_space(d);
  const size_t per = (size_t)nplanes * ds->ngrid[1] * ds->ngrid[2];
  herr_t st = d < 0 ? -1 : 0;
  /* runs of consecutive sample indices are read with one hyperslab */
  for (int i = 0; i < n && st >= 0;) {
    int j = i + 1;
    while (j < n && idx[j] == idx[j - 1] + 1) j++;
    hsize_t start[4] = {(hsize_t)idx[i], (hsize_t)plane0, 0, 0};
    hsize_t count[4] = {(hsize_t)(j - i), (hsize_t)nplanes, (hsize_t)ds->ngrid[1], (hsize_t)ds->ngrid[2]};
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t msp = H5Screate_simple(4, count, NULL);
    if (per) st = H5Dread(d, H5T_NATIVE_DOUBLE, msp, fsp, H5P_DEFAULT, out + (size_t)i * per);
    H5Sclose(msp);
    i = j;
  }
  H5Sclose(fsp);
  if (d >= 0) H5Dclose(d);
  H5Fclose(file);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "cannot read %s from %s", name, ds->path);
  return SF_OK;
}

void sf_dataset_free(sf_dataset *ds)
{
  sf_free(ds->D);
  sf_free(ds->F);
  sf_free(ds->xred);
  sf_free(ds->status);
  sf_free(ds->rprimd);
  free(ds->settings);
  memset(ds, 0, sizeof *ds);
}
