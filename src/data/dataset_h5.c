/* dataset_h5.c — the final campaign file, written collectively with parallel HDF5
 * (MPI-IO driver) from the part files, and read back on -resume. */
#include "dataset_internal.h"
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/sampling.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sf_h5_attr_string(hid_t obj, const char *name, const char *text)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(text) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a < 0 ? -1 : H5Awrite(a, t, text);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot write attribute %s", name);
  return SF_OK;
}

static int attr_array(hid_t obj, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data)
{
  hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a < 0 ? -1 : H5Awrite(a, type, data);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot write attribute %s", name);
  return SF_OK;
}

static int write_meta(hid_t file, const sf_dataset_meta *m, const long counts[3])
{
  SF_CHECK(sf_h5_attr_string(file, "program", "strainfield"));
  SF_CHECK(sf_h5_attr_string(file, "version", SF_VERSION));
  SF_CHECK(sf_h5_attr_string(file, "schema", "strainfield-dataset-1"));
  SF_CHECK(sf_h5_attr_string(file, "options", m->options_json));
  SF_CHECK(sf_h5_attr_string(file, "settings", m->settings_json));
  char buf[8192] = "", md5[4096] = "";
  for (int t = 0; t < m->npsp; t++) {
    strncat(buf, m->psp_paths[t], sizeof buf - strlen(buf) - 2);
    strncat(md5, m->psp_md5[t], sizeof md5 - strlen(md5) - 2);
    if (t + 1 < m->npsp) { strcat(buf, "\n"); strcat(md5, "\n"); }
  }
  SF_CHECK(sf_h5_attr_string(file, "psp_files", buf));
  SF_CHECK(sf_h5_attr_string(file, "psp_md5", md5));
  hsize_t d3 = 3, d33[2] = {3, 3}, dna[2] = {(hsize_t)m->natom, 3}, dn = (hsize_t)m->natom, dt = (hsize_t)m->ntypat;
  SF_CHECK(attr_array(file, "ngfft", H5T_NATIVE_INT, 1, &d3, m->n));
  SF_CHECK(attr_array(file, "reference_lattice", H5T_NATIVE_DOUBLE, 2, d33, m->ref_rprimd));
  SF_CHECK(attr_array(file, "reference_xred", H5T_NATIVE_DOUBLE, 2, dna, m->ref_xred));
  int typat1[4096];
  for (int a = 0; a < m->natom && a < 4096; a++) typat1[a] = m->typat[a] + 1;
  SF_CHECK(attr_array(file, "typat", H5T_NATIVE_INT, 1, &dn, typat1));
  SF_CHECK(attr_array(file, "znucl", H5T_NATIVE_DOUBLE, 1, &dt, m->znucl));
  long long ns = m->nsamples, c[3] = {counts[0], counts[1], counts[2]};
  SF_CHECK(attr_array(file, "nsamples", H5T_NATIVE_LLONG, 0, NULL, &ns));
  SF_CHECK(attr_array(file, "nsamples_ok", H5T_NATIVE_LLONG, 0, NULL, &c[0]));
  SF_CHECK(attr_array(file, "nsamples_failed", H5T_NATIVE_LLONG, 0, NULL, &c[1]));
  SF_CHECK(attr_array(file, "nsamples_missing", H5T_NATIVE_LLONG, 0, NULL, &c[2]));
  return SF_OK;
}

/* Parallel HDF5 calls that change metadata are collective: after a failure on one rank
 * (a full disk shows on rank 0 first) every rank must take the same path, or the others
 * wait forever in the next collective call. */
static int agree(MPI_Comm comm, int st, const char *tmp)
{
  int any = st;
  MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, comm);
  if (any && !st) return sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "another rank failed writing %s", tmp);
  return st;
}

/* The record of a sample that has no part: D and the quantities that follow from it. */
static void fill_missing(sf_sample_record *r, long i, const double *Dall, const sf_dataset_meta *m)
{
  r->index = i;
  r->status = SF_SAMPLE_MISSING;
  memcpy(r->D, Dall + 6 * i, sizeof r->D);
  if (!sf_lattice_from_strain(m->ref_rprimd, r->D, r->lattice))
    sf_strain_measures(m->ref_rprimd, (const double(*)[3])r->lattice, r->strain_F, r->strain_E, r->strain_eps);
  else sf_error_reset();
}

int sf_dataset_assemble(MPI_Comm comm, const char *path, const char *parts_dir, const sf_dataset_meta *m,
                        const double *Dall, long counts_out[3])
{
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  long N = m->nsamples;
  long b0 = N * rank / size, b1 = N * (rank + 1) / size, nb = b1 - b0;
  int natom = m->natom, st = SF_OK;
  size_t nfft = (size_t)m->n[0] * m->n[1] * m->n[2];

  /* 1. my block's records (small columns only) */
  sf_sample_record *rec = NULL;
  char *have = NULL;
  SF_CHECK(sf_calloc((void **)&rec, nb > 0 ? nb : 1, sizeof *rec));
  SF_CHECK(sf_calloc((void **)&have, nb > 0 ? nb : 1, 1));
  long counts[3] = {0, 0, 0};
  char part[1400];
  for (long j = 0; j < nb && !st; j++) {
    st = sf_record_alloc(&rec[j], natom, m->n, 0);
    if (st) break;
    sf_part_path(parts_dir, b0 + j, part, sizeof part);
    FILE *f = fopen(part, "rb");
    if (f) {
      fclose(f);
      have[j] = 1;
      st = sf_part_read(part, &rec[j], 0);
      rec[j].index = b0 + j;
    } else fill_missing(&rec[j], b0 + j, Dall, m);
    if (!st) counts[rec[j].status == SF_SAMPLE_OK ? 0 : rec[j].status == SF_SAMPLE_FAILED ? 1 : 2]++;
  }
  int gst = st;
  MPI_Allreduce(MPI_IN_PLACE, &gst, 1, MPI_INT, MPI_MAX, comm);
  if (gst) {
    for (long j = 0; j < nb; j++) sf_record_free(&rec[j]);
    sf_free(rec);
    sf_free(have);
    if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
    SF_ERROR(SF_ERR_FILE, "another rank could not read its part files");
  }
  MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_LONG, MPI_SUM, comm);

  /* 2. the file, its groups and datasets (collective) */
  char tmp[1300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot create %s (parallel HDF5)", tmp);
  hid_t ocpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(ocpl, 0);
  hid_t gs = H5Gcreate2(file, "samples", H5P_DEFAULT, ocpl, H5P_DEFAULT);
  hid_t gf = H5Gcreate2(file, "fields", H5P_DEFAULT, ocpl, H5P_DEFAULT);
  H5Pclose(ocpl);
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  st = agree(comm, write_meta(file, m, counts), tmp);

  for (int k = 0; k < sf_ncolumns && !st; k++) {
    const sf_column *c = &sf_columns[k];
    size_t cnt = sf_column_count(c, natom);
    hsize_t dims[3] = {(hsize_t)N, 0, 0};
    for (int d = 0; d < c->rank; d++) dims[d + 1] = (hsize_t)(c->dims[d] < 0 ? natom : c->dims[d]);
    hid_t t = sf_column_h5type(c);
    size_t esize = H5Tget_size(t);
    hid_t fs = H5Screate_simple(c->rank + 1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t set = H5Dcreate2(gs, c->name, t, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    char *buf = NULL;
    st = set < 0 ? sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot create /samples/%s", c->name)
                 : sf_calloc((void **)&buf, (nb > 0 ? nb : 1) * cnt, esize);
    if (!st) {
      for (long j = 0; j < nb; j++) memcpy(buf + j * cnt * esize, sf_column_data(c, &rec[j]), cnt * esize);
      hsize_t start[3] = {(hsize_t)b0, 0, 0}, count[3] = {(hsize_t)nb, dims[1], dims[2]};
      hsize_t mdim = (hsize_t)nb * cnt;
      hid_t ms = H5Screate_simple(1, &mdim, NULL);
      if (nb > 0) H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
      else { H5Sselect_none(fs); H5Sselect_none(ms); }
      if (H5Dwrite(set, t, ms, fs, dxpl, buf) < 0)
        st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot write /samples/%s", c->name);
      H5Sclose(ms);
      hid_t ts = H5Screate(H5S_SCALAR), st_ = H5Tcopy(H5T_C_S1);
      H5Tset_size(st_, strlen(c->units) + 1);
      hid_t a = H5Acreate2(set, "units", st_, ts, H5P_DEFAULT, H5P_DEFAULT);
      if (a >= 0) { H5Awrite(a, st_, c->units); H5Aclose(a); }
      H5Sclose(ts);
      H5Tclose(st_);
    }
    sf_free(buf);
    if (set >= 0) H5Dclose(set);
    H5Sclose(fs);
    H5Tclose(t);
    st = agree(comm, st, tmp);
  }
  sf_test_kill_point("assembly"); /* the final file half written */

  /* 3. the fields: one chunk per sample; round r writes sample b0 + r of every rank */
  hid_t fset[SF_NFIELD], fspace;
  hsize_t fdims[4] = {(hsize_t)N, (hsize_t)m->n[0], (hsize_t)m->n[1], (hsize_t)m->n[2]};
  hsize_t chunk[4] = {1, fdims[1], fdims[2], fdims[3]};
  fspace = H5Screate_simple(4, fdims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(dcpl, 0);
  H5Pset_chunk(dcpl, 4, chunk);
  double nan = NAN;
  H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
  if (m->compress > 0) { H5Pset_shuffle(dcpl); H5Pset_deflate(dcpl, (unsigned)m->compress); }
  for (int f = 0; f < SF_NFIELD; f++) {
    fset[f] = st ? -1 : H5Dcreate2(gf, sf_field_names[f], H5T_NATIVE_DOUBLE, fspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (!st && fset[f] < 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot create /fields/%s", sf_field_names[f]);
  }
  H5Pclose(dcpl);
  st = agree(comm, st, tmp);
  long rounds = nb;
  MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_LONG, MPI_MAX, comm);
  sf_sample_record full;
  int have_full = 0;
  if (!st) { st = sf_record_alloc(&full, natom, m->n, 1); have_full = !st; }
  for (long r = 0; r < rounds && !st; r++) {
    int mine = r < nb;
    if (mine) {
      for (int f = 0; f < SF_NFIELD; f++)
        for (size_t i = 0; i < nfft; i++) full.field[f][i] = NAN;
      if (have[r]) {
        sf_part_path(parts_dir, b0 + r, part, sizeof part);
        st = sf_part_read(part, &full, 1);
      }
    }
    hid_t ms = H5Screate_simple(1, &(hsize_t){nfft}, NULL);
    hid_t fs = H5Scopy(fspace);
    hsize_t start[4] = {(hsize_t)(b0 + r), 0, 0, 0};
    if (mine && !st) H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, chunk, NULL);
    else { H5Sselect_none(fs); H5Sselect_none(ms); }
    for (int f = 0; f < SF_NFIELD; f++) {
      if (H5Dwrite(fset[f], H5T_NATIVE_DOUBLE, ms, fs, dxpl, full.field[f]) < 0 && !st)
        st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot write /fields/%s of %s", sf_field_names[f], tmp);
      if (!st && rank == 0 && sf_test_fail_point("assembly"))
        st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot write %s: %s (SF_TEST_FAIL_AT)", tmp, strerror(ENOSPC));
    }
    H5Sclose(ms);
    H5Sclose(fs);
    st = agree(comm, st, tmp);
  }
  if (have_full) sf_record_free(&full);
  for (int f = 0; f < SF_NFIELD; f++) if (fset[f] >= 0) H5Dclose(fset[f]);
  H5Sclose(fspace);
  H5Pclose(dxpl);
  H5Gclose(gs);
  H5Gclose(gf);
  if (H5Fclose(file) < 0 && !st) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot close %s", tmp);
  for (long j = 0; j < nb; j++) sf_record_free(&rec[j]);
  sf_free(rec);
  sf_free(have);
  gst = st;
  MPI_Allreduce(MPI_IN_PLACE, &gst, 1, MPI_INT, MPI_MAX, comm);
  if (gst && rank == 0) remove(tmp); /* never left to look like a dataset; the parts remain */
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  if (gst) SF_ERROR(SF_ERR_FILE, "another rank failed while writing %s", tmp);
  if (rank == 0) {
    st = sf_fsync_path(tmp);
    if (!st && rename(tmp, path)) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (!st) sf_fsync_dir_of(path);
  }
  MPI_Bcast(&st, 1, MPI_INT, 0, comm);
  if (st) {
    if (rank == 0) return sf_error_trace(st, __FILE__, __LINE__, __func__);
    SF_ERROR(SF_ERR_FILE, "rank 0 could not finish %s", path);
  }
  memcpy(counts_out, counts, sizeof counts);
  return SF_OK;
}

int sf_dataset_read_state(const char *path, char **settings_json, int **status, long *n)
{
  *settings_json = NULL;
  *status = NULL;
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot open %s as HDF5", path);
  int st = SF_OK;
  hid_t a = H5Aopen(file, "settings", H5P_DEFAULT);
  if (a < 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "%s has no 'settings' attribute: not a strainfield dataset", path);
  else {
    hid_t t = H5Aget_type(a);
    size_t len = H5Tget_size(t);
    *settings_json = calloc(len + 1, 1);
    if (H5Aread(a, t, *settings_json) < 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot read settings of %s", path);
    H5Tclose(t);
    H5Aclose(a);
  }
  hid_t set = st ? -1 : H5Dopen2(file, "samples/status", H5P_DEFAULT);
  if (!st && set < 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "%s has no /samples/status", path);
  if (!st) {
    hid_t sp = H5Dget_space(set);
    *n = (long)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    *status = calloc(*n > 0 ? *n : 1, sizeof(int));
    if (H5Dread(set, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *status) < 0)
      st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot read /samples/status of %s", path);
  }
  if (set >= 0) H5Dclose(set);
  H5Fclose(file);
  return st;
}
