/* dataset_read.c — the training view of a `generate` dataset (sf_dataset, dataset.h):
 * small columns on every rank, fields read by plane ranges so the snapshot matrix stays
 * distributed.  Every path, type and per-sample shape comes from the schema (schema.c). */
#include "dataset_internal.h"
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  if (!strcmp(name, SF_ATTR_NSAMPLES_OK) || !strcmp(name, SF_ATTR_NSAMPLES_FAILED) ||
      !strcmp(name, SF_ATTR_NSAMPLES_MISSING))
    return 0;
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

/* Reads column `name` of every sample (N × its per-sample shape, in the schema's type).
 * A missing optional column leaves buf alone and *found = 0. */
static int read_column(hid_t file, const sf_dataset *ds, const char *name, void *buf, int required, int *found)
{
  int st = SF_OK;
  const sf_column *c = sf_column_find(name);
  if (!c) SF_ERROR(SF_ERR_INTERNAL, "no column %s in the schema", name);
  char path[128];
  sf_column_path(c, path, sizeof path);
  if (found) *found = 0;
  if (H5Lexists(file, "/" SF_SAMPLES_GROUP, H5P_DEFAULT) <= 0 || H5Lexists(file, path, H5P_DEFAULT) <= 0) {
    if (required) SF_ERROR(SF_ERR_FILE, "%s: no %s (not a strainfield dataset?)", ds->path, path);
    return SF_OK;
  }
  size_t count = (size_t)ds->N * sf_column_count(c, ds->natom);
  hid_t type = sf_column_h5type(c), sp = -1;
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) SF_ERROR_GOTO(SF_ERR_FILE, "%s: cannot open %s", ds->path, path);
  sp = H5Dget_space(d);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  if ((size_t)n != count || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    SF_ERROR_GOTO(SF_ERR_FILE, "cannot read %s (%lld values, expected %zu)", path, (long long)n, count);
  if (found) *found = 1;
cleanup:
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  H5Tclose(type);
  return st;
}

/* The dimensions of dataset `path` into dims (at most 4); its rank, or -1 when absent. */
static int dims_of(hid_t file, const char *group, const char *path, hsize_t dims[4])
{
  if (H5Lexists(file, group, H5P_DEFAULT) <= 0 || H5Lexists(file, path, H5P_DEFAULT) <= 0) return -1;
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d);
  int rank = H5Sget_simple_extent_ndims(sp);
  if (rank > 4) rank = 5; /* no dataset of the schema has more than 4 */
  else H5Sget_simple_extent_dims(sp, dims, NULL);
  H5Sclose(sp);
  H5Dclose(d);
  return rank;
}

/* N from the D column, natom from xred (0 without it), the grid from the fields. */
static int read_sizes(hid_t file, sf_dataset *ds)
{
  hsize_t dims[4] = {0};
  char path[128];
  sf_column_path(sf_column_find("D"), path, sizeof path);
  if (dims_of(file, "/" SF_SAMPLES_GROUP, path, dims) < 1)
    SF_ERROR(SF_ERR_FILE, "%s: no %s (not a strainfield dataset?)", ds->path, path);
  ds->N = (int)dims[0];
  sf_column_path(sf_column_find("xred"), path, sizeof path);
  if (dims_of(file, "/" SF_SAMPLES_GROUP, path, dims) >= 2) ds->natom = (int)dims[1];
  for (int f = 0; f < SF_NFIELD; f++) {
    sf_field_path(f, path, sizeof path);
    int rk = dims_of(file, "/" SF_FIELDS_GROUP, path, dims);
    if (rk < 0) continue;
    if (rk != 4 || (int)dims[0] != ds->N) SF_ERROR(SF_ERR_FILE, "%s: %s is not N×n1×n2×n3", ds->path, path);
    if (ds->npt && (ds->ngrid[0] != (int)dims[1] || ds->ngrid[1] != (int)dims[2] || ds->ngrid[2] != (int)dims[3]))
      SF_ERROR(SF_ERR_FILE, "%s: fields on different grids", ds->path);
    for (int i = 0; i < 3; i++) ds->ngrid[i] = (int)dims[i + 1];
    ds->npt = (long)dims[1] * dims[2] * dims[3];
    ds->has_field[f] = 1;
  }
  return SF_OK;
}

/* D, free energy, positions and status of every sample (status 1 when absent). */
static int read_small_columns(hid_t file, sf_dataset *ds)
{
  size_t N = ds->N;
  int found;
  SF_CHECK(sf_calloc((void **)&ds->D, N * 6 + 1, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&ds->F, N + 1, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&ds->xred, N * 3 * (ds->natom + 1), sizeof(double)));
  SF_CHECK(sf_calloc((void **)&ds->status, N + 1, sizeof(int)));
  SF_CHECK(read_column(file, ds, "D", ds->D, 1, NULL));
  SF_CHECK(read_column(file, ds, "free_energy", ds->F, 1, NULL));
  if (ds->natom) SF_CHECK(read_column(file, ds, "xred", ds->xred, 1, NULL));
  SF_CHECK(read_column(file, ds, "status", ds->status, 0, &found));
  if (!found)
    for (size_t i = 0; i < N; i++) ds->status[i] = SF_SAMPLE_OK;
  SF_CHECK(sf_calloc((void **)&ds->stress, N * 9 + 1, sizeof(double)));
  SF_CHECK(read_column(file, ds, "stress", ds->stress, 0, &found));
  if (!found) {
    sf_free(ds->stress);
    ds->stress = NULL;
  }
  return SF_OK;
}

/* The reference lattice (generate's attribute, or ref_rprimd of hand-made files) and
 * each sample's lattice: the lattice column, else the reference strained by D. */
static int read_lattices(hid_t file, sf_dataset *ds)
{
  size_t N = ds->N;
  int found;
  ds->have_ref = read_attr_doubles(file, SF_ATTR_REFERENCE_LATTICE, 9, ds->ref_rprimd) ||
                 read_attr_doubles(file, "ref_rprimd", 9, ds->ref_rprimd);
  SF_CHECK(sf_calloc((void **)&ds->rprimd, N * 9, sizeof(double)));
  SF_CHECK(read_column(file, ds, "lattice", ds->rprimd, 0, &found));
  if (found) return SF_OK;
  if (!ds->have_ref) {
    sf_free(ds->rprimd);
    ds->rprimd = NULL;
    return SF_OK;
  }
  for (size_t i = 0; i < N; i++) {
    double r[3][3], out[3][3];
    memcpy(r, ds->ref_rprimd, sizeof r);
    if (sf_lattice_from_strain(r, ds->D + 6 * i, out)) {
      sf_error_reset();
      memset(out, 0, sizeof out);
    }
    memcpy(ds->rprimd + 9 * i, out, sizeof out);
  }
  return SF_OK;
}

/* The identity (checksum) and the settings JSON of the root attributes. */
static int read_identity(hid_t file, sf_dataset *ds)
{
  attr_ctx c = {0xcbf29ce484222325ULL, cJSON_CreateObject()};
  if (!c.json) SF_ERROR(SF_ERR_MEM, "out of memory reading the attributes of %s", ds->path);
  hsize_t idx = 0;
  H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_visit, &c);
  c.hash = fnv1a(c.hash, ds->D, (size_t)ds->N * 6 * sizeof(double));
  snprintf(ds->checksum, sizeof ds->checksum, "%016llx", (unsigned long long)c.hash);
  cJSON_AddNumberToObject(c.json, "nsamples", ds->N);
  cJSON_AddItemToObject(c.json, "ngrid", cJSON_CreateIntArray(ds->ngrid, 3));
  cJSON_AddNumberToObject(c.json, "natom", ds->natom);
  ds->settings = cJSON_PrintUnformatted(c.json);
  cJSON_Delete(c.json);
  if (!ds->settings) SF_ERROR(SF_ERR_MEM, "out of memory printing the attributes of %s", ds->path);
  return SF_OK;
}

int sf_dataset_open(const char *path, sf_dataset *ds)
{
  int st = SF_OK;
  memset(ds, 0, sizeof *ds);
  snprintf(ds->path, sizeof ds->path, "%s", path);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot open dataset %s", path);
  SF_CHECK_GOTO(read_sizes(file, ds));
  SF_CHECK_GOTO(read_small_columns(file, ds));
  SF_CHECK_GOTO(read_lattices(file, ds));
  SF_CHECK_GOTO(read_identity(file, ds));
  if (!ds->npt) SF_ERROR_GOTO(SF_ERR_FILE, "%s: no /" SF_FIELDS_GROUP "/{rho,phi,u,s}", path);
cleanup:
  if (file >= 0) H5Fclose(file);
  if (st) sf_dataset_free(ds);
  return st;
}

int sf_dataset_read_field(const sf_dataset *ds, int f, const int *idx, int n, int plane0, int nplanes, double *out)
{
  int st = SF_OK;
  char name[64];
  sf_field_path(f, name, sizeof name);
  if (!ds->has_field[f]) SF_ERROR(SF_ERR_FILE, "%s: no %s", ds->path, name);
  hid_t file = H5Fopen(ds->path, H5F_ACC_RDONLY, H5P_DEFAULT), fsp = -1, d = -1;
  if (file < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot open dataset %s", ds->path);
  d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot read %s from %s", name, ds->path);
  fsp = H5Dget_space(d);
  const size_t per = (size_t)nplanes * ds->ngrid[1] * ds->ngrid[2];
  /* runs of consecutive sample indices are read with one hyperslab */
  for (int i = 0; i < n;) {
    int j = i + 1;
    while (j < n && idx[j] == idx[j - 1] + 1) j++;
    hsize_t start[4] = {(hsize_t)idx[i], (hsize_t)plane0, 0, 0};
    hsize_t count[4] = {(hsize_t)(j - i), (hsize_t)nplanes, (hsize_t)ds->ngrid[1], (hsize_t)ds->ngrid[2]};
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t msp = H5Screate_simple(4, count, NULL);
    herr_t rd = per ? H5Dread(d, H5T_NATIVE_DOUBLE, msp, fsp, H5P_DEFAULT, out + (size_t)i * per) : 0;
    H5Sclose(msp);
    if (rd < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot read %s from %s", name, ds->path);
    i = j;
  }
cleanup:
  if (fsp >= 0) H5Sclose(fsp);
  if (d >= 0) H5Dclose(d);
  if (file >= 0) H5Fclose(file);
  return st;
}

void sf_dataset_free(sf_dataset *ds)
{
  sf_free(ds->D);
  sf_free(ds->F);
  sf_free(ds->stress);
  sf_free(ds->xred);
  sf_free(ds->status);
  sf_free(ds->rprimd);
  free(ds->settings);
  memset(ds, 0, sizeof *ds);
}
