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

int sf_h5_attr_string(hid_t obj, const char *name, const char *text)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(text) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  int st = attr_array(obj, name, t, 0, NULL, text);
  H5Tclose(t);
  return st;
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
  SF_CHECK(attr_array(file, SF_ATTR_REFERENCE_LATTICE, H5T_NATIVE_DOUBLE, 2, d33, m->ref_rprimd));
  SF_CHECK(attr_array(file, "reference_xred", H5T_NATIVE_DOUBLE, 2, dna, m->ref_xred));
  int typat1[4096];
  for (int a = 0; a < m->natom && a < 4096; a++) typat1[a] = m->typat[a] + 1;
  SF_CHECK(attr_array(file, "typat", H5T_NATIVE_INT, 1, &dn, typat1));
  SF_CHECK(attr_array(file, "znucl", H5T_NATIVE_DOUBLE, 1, &dt, m->znucl));
  long long ns = m->nsamples, c[3] = {counts[0], counts[1], counts[2]};
  SF_CHECK(attr_array(file, "nsamples", H5T_NATIVE_LLONG, 0, NULL, &ns));
  SF_CHECK(attr_array(file, SF_ATTR_NSAMPLES_OK, H5T_NATIVE_LLONG, 0, NULL, &c[0]));
  SF_CHECK(attr_array(file, SF_ATTR_NSAMPLES_FAILED, H5T_NATIVE_LLONG, 0, NULL, &c[1]));
  SF_CHECK(attr_array(file, SF_ATTR_NSAMPLES_MISSING, H5T_NATIVE_LLONG, 0, NULL, &c[2]));
  return SF_OK;
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

/* One rank's contiguous block of samples [b0, b0 + nb): their records (small columns
 * only) and whether each had a part. */
typedef struct {
  long b0, nb;
  sf_sample_record *rec;
  char *have;
} sample_block;

static void block_free(sample_block *b)
{
  for (long j = 0; b->rec && j < b->nb; j++) sf_record_free(&b->rec[j]);
  sf_free(b->rec);
  sf_free(b->have);
  b->rec = NULL;
  b->have = NULL;
}

/* Local: reads the block's parts (a sample without one gets fill_missing); counts[] +=
 * ok, failed, missing. */
static int read_block(const char *parts_dir, const sf_dataset_meta *m, const double *Dall, sample_block *b,
                      long counts[3])
{
  int st = SF_OK;
  char part[1400];
  SF_CHECK_GOTO(sf_calloc((void **)&b->rec, b->nb > 0 ? b->nb : 1, sizeof *b->rec));
  SF_CHECK_GOTO(sf_calloc((void **)&b->have, b->nb > 0 ? b->nb : 1, 1));
  for (long j = 0; j < b->nb; j++) {
    sf_sample_record *r = &b->rec[j];
    SF_CHECK_GOTO(sf_record_alloc(r, m->natom, m->n, 0));
    sf_part_path(parts_dir, b->b0 + j, part, sizeof part);
    FILE *f = fopen(part, "rb");
    if (f) {
      fclose(f);
      b->have[j] = 1;
      SF_CHECK_GOTO(sf_part_read(part, r, 0));
      r->index = b->b0 + j;
    } else fill_missing(r, b->b0 + j, Dall, m);
    counts[r->status == SF_SAMPLE_OK ? 0 : r->status == SF_SAMPLE_FAILED ? 1 : 2]++;
  }
cleanup:
  return st;
}

/* Local part of one column: creates /samples/<name> (N × per-sample shape) and writes
 * the block's rows by hyperslab (a rank with no rows selects none: H5Dwrite is
 * collective). */
static int write_column(hid_t gs, hid_t dxpl, const sf_column *c, const sample_block *b, long N, int natom)
{
  int st = SF_OK;
  size_t cnt = sf_column_count(c, natom);
  hsize_t dims[3] = {(hsize_t)N, 0, 0};
  for (int d = 0; d < c->rank; d++) dims[d + 1] = (hsize_t)(c->dims[d] < 0 ? natom : c->dims[d]);
  hid_t t = sf_column_h5type(c);
  size_t esize = H5Tget_size(t);
  hid_t fs = H5Screate_simple(c->rank + 1, dims, NULL), ms = -1;
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(dcpl, 0);
  hid_t set = H5Dcreate2(gs, c->name, t, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  char *buf = NULL, units[512];
  if (set < 0) SF_ERROR_GOTO(SF_ERR_FILE, "HDF5: cannot create /" SF_SAMPLES_GROUP "/%s", c->name);
  SF_CHECK_GOTO(sf_calloc((void **)&buf, (b->nb > 0 ? b->nb : 1) * cnt, esize));
  for (long j = 0; j < b->nb; j++) memcpy(buf + j * cnt * esize, sf_column_data(c, &b->rec[j]), cnt * esize);
  hsize_t start[3] = {(hsize_t)b->b0, 0, 0}, count[3] = {(hsize_t)b->nb, dims[1], dims[2]};
  hsize_t mdim = (hsize_t)b->nb * cnt;
  ms = H5Screate_simple(1, &mdim, NULL);
  if (b->nb > 0) H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  else { H5Sselect_none(fs); H5Sselect_none(ms); }
  if (H5Dwrite(set, t, ms, fs, dxpl, buf) < 0) SF_ERROR_GOTO(SF_ERR_FILE, "HDF5: cannot write /" SF_SAMPLES_GROUP "/%s", c->name);
  sf_column_units_attr(c, units, sizeof units);
  SF_CHECK_GOTO(sf_h5_attr_string(set, "units", units));
cleanup:
  sf_free(buf);
  if (ms >= 0) H5Sclose(ms);
  if (set >= 0) H5Dclose(set);
  H5Sclose(fs);
  H5Tclose(t);
  return st;
}

/* Collective: every column in schema order, the ranks agreeing after each (a failure on
 * one rank, a full disk shows on rank 0 first, must not leave the others waiting in the
 * next collective call). */
static int write_columns(MPI_Comm comm, hid_t gs, hid_t dxpl, const sample_block *b, long N, int natom)
{
  for (int k = 0; k < sf_ncolumns; k++)
    SF_CHECK(sf_status_agree(comm, write_column(gs, dxpl, &sf_columns[k], b, N, natom)));
  return SF_OK;
}

/* Round r reads sample b0 + r's fields from its part (NaN without one) and writes them;
 * every rank takes part in every round (H5Dwrite is collective), selecting nothing
 * when it has no sample r or failed locally. */
static int write_field_round(int rank, const hid_t fset[SF_NFIELD], hid_t fspace, hid_t dxpl, const char *parts_dir,
                             const sample_block *b, long r, sf_sample_record *full, const char *tmp)
{
  int st = SF_OK, mine = r < b->nb;
  size_t nfft = (size_t)full->n[0] * full->n[1] * full->n[2];
  if (mine) {
    for (int f = 0; f < SF_NFIELD; f++)
      for (size_t i = 0; i < nfft; i++) full->field[f][i] = NAN;
    if (b->have[r]) {
      char part[1400];
      sf_part_path(parts_dir, b->b0 + r, part, sizeof part);
      st = sf_part_read(part, full, 1);
    }
  }
  hid_t ms = H5Screate_simple(1, &(hsize_t){nfft}, NULL);
  hid_t fs = H5Scopy(fspace);
  hsize_t start[4] = {(hsize_t)(b->b0 + r), 0, 0, 0}, chunk[4] = {1, (hsize_t)full->n[0], (hsize_t)full->n[1], (hsize_t)full->n[2]};
  if (mine && !st) H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, chunk, NULL);
  else { H5Sselect_none(fs); H5Sselect_none(ms); }
  for (int f = 0; f < SF_NFIELD; f++) {
    if (H5Dwrite(fset[f], H5T_NATIVE_DOUBLE, ms, fs, dxpl, full->field[f]) < 0 && !st)
      st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot write /" SF_FIELDS_GROUP "/%s of %s",
                        sf_field_names[f], tmp);
    if (!st && rank == 0 && sf_test_fail_point("assembly"))
      st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot write %s: %s (SF_TEST_FAIL_AT)", tmp, strerror(ENOSPC));
  }
  H5Sclose(ms);
  H5Sclose(fs);
  return st;
}

/* Collective: /fields/<name> (N × n1 × n2 × n3, one chunk per sample, NaN fill), written
 * in rounds; round r writes sample b0 + r of every rank. */
static int write_fields(MPI_Comm comm, hid_t gf, hid_t dxpl, const char *parts_dir, const sf_dataset_meta *m,
                        const sample_block *b, const char *tmp)
{
  int st = SF_OK, have_full = 0, rank;
  MPI_Comm_rank(comm, &rank);
  hid_t fset[SF_NFIELD];
  for (int f = 0; f < SF_NFIELD; f++) fset[f] = -1;
  hsize_t fdims[4] = {(hsize_t)m->nsamples, (hsize_t)m->n[0], (hsize_t)m->n[1], (hsize_t)m->n[2]};
  hsize_t chunk[4] = {1, fdims[1], fdims[2], fdims[3]};
  hid_t fspace = H5Screate_simple(4, fdims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(dcpl, 0);
  H5Pset_chunk(dcpl, 4, chunk);
  double nan = NAN;
  H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
  if (m->compress > 0) { H5Pset_shuffle(dcpl); H5Pset_deflate(dcpl, (unsigned)m->compress); }
  for (int f = 0; f < SF_NFIELD; f++) { /* collective: every rank creates all four */
    fset[f] = H5Dcreate2(gf, sf_field_names[f], H5T_NATIVE_DOUBLE, fspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (fset[f] < 0 && !st) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot create /" SF_FIELDS_GROUP "/%s", sf_field_names[f]);
  }
  H5Pclose(dcpl);
  SF_CHECK_GOTO(sf_status_agree(comm, st));
  long rounds = b->nb;
  MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_LONG, MPI_MAX, comm);
  sf_sample_record full;
  st = sf_record_alloc(&full, m->natom, m->n, 1);
  have_full = !st;
  SF_CHECK_GOTO(sf_status_agree(comm, st));
  for (long r = 0; r < rounds; r++)
    SF_CHECK_GOTO(sf_status_agree(comm, write_field_round(rank, fset, fspace, dxpl, parts_dir, b, r, &full, tmp)));
cleanup:
  if (have_full) sf_record_free(&full);
  for (int f = 0; f < SF_NFIELD; f++) if (fset[f] >= 0) H5Dclose(fset[f]);
  H5Sclose(fspace);
  return st;
}

/* Collective: PATH.tmp with its groups, attributes, columns and fields; closed.  On a
 * failure (agreed by every rank) rank 0 removes it: it must never look like a dataset,
 * and the parts remain for -resume. */
static int write_tmp(MPI_Comm comm, const char *tmp, const char *parts_dir, const sf_dataset_meta *m,
                     const sample_block *b, const long counts[3])
{
  int st = SF_OK, rank;
  MPI_Comm_rank(comm, &rank);
  hid_t gs = -1, gf = -1, dxpl = -1;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  st = file < 0 ? sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot create %s (parallel HDF5)", tmp) : SF_OK;
  SF_CHECK_GOTO(sf_status_agree(comm, st));
  hid_t ocpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(ocpl, 0);
  gs = H5Gcreate2(file, SF_SAMPLES_GROUP, H5P_DEFAULT, ocpl, H5P_DEFAULT);
  gf = H5Gcreate2(file, SF_FIELDS_GROUP, H5P_DEFAULT, ocpl, H5P_DEFAULT);
  H5Pclose(ocpl);
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  SF_CHECK_GOTO(sf_status_agree(comm, write_meta(file, m, counts)));
  SF_CHECK_GOTO(write_columns(comm, gs, dxpl, b, m->nsamples, m->natom));
  sf_test_kill_point("assembly"); /* the final file half written */
  SF_CHECK_GOTO(write_fields(comm, gf, dxpl, parts_dir, m, b, tmp));
cleanup:
  if (dxpl >= 0) H5Pclose(dxpl);
  if (gs >= 0) H5Gclose(gs);
  if (gf >= 0) H5Gclose(gf);
  if (file >= 0) {
    /* collective; st is already the same on every rank */
    herr_t closed = H5Fclose(file);
    if (!st)
      st = sf_status_agree(comm, closed < 0 ? sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__,
                                                           "HDF5: cannot close %s", tmp) : SF_OK);
  }
  if (st && rank == 0) remove(tmp);
  return st;
}

/* Rank 0: the complete temporary, flushed, becomes the dataset. */
static int publish(const char *tmp, const char *path)
{
  SF_CHECK(sf_fsync_path(tmp));
  if (rename(tmp, path)) SF_ERROR(SF_ERR_FILE, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  SF_CHECK(sf_fsync_dir_of(path));
  return SF_OK;
}

int sf_dataset_assemble(MPI_Comm comm, const char *path, const char *parts_dir, const sf_dataset_meta *m,
                        const double *Dall, long counts_out[3])
{
  int st = SF_OK, rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  long N = m->nsamples;
  sample_block b = {.b0 = N * rank / size, .nb = N * (rank + 1) / size - N * rank / size};
  long counts[3] = {0, 0, 0};
  SF_CHECK_GOTO(sf_status_agree(comm, read_block(parts_dir, m, Dall, &b, counts)));
  MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_LONG, MPI_SUM, comm);
  char tmp[1300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  SF_CHECK_GOTO(write_tmp(comm, tmp, parts_dir, m, &b, counts));
  SF_CHECK_GOTO(sf_status_agree(comm, rank == 0 ? publish(tmp, path) : SF_OK));
  memcpy(counts_out, counts, sizeof counts);
cleanup:
  block_free(&b);
  return st;
}

int sf_dataset_read_state(const char *path, char **settings_json, int **status, long *n)
{
  int st = SF_OK;
  *settings_json = NULL;
  *status = NULL;
  hid_t a = -1, t = -1, set = -1;
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot open %s as HDF5", path);
  a = H5Aopen(file, "settings", H5P_DEFAULT);
  if (a < 0) SF_ERROR_GOTO(SF_ERR_FILE, "%s has no 'settings' attribute: not a strainfield dataset", path);
  t = H5Aget_type(a);
  size_t len = H5Tget_size(t);
  *settings_json = calloc(len + 1, 1);
  if (!*settings_json) SF_ERROR_GOTO(SF_ERR_MEM, "out of memory reading the settings of %s", path);
  if (H5Aread(a, t, *settings_json) < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot read settings of %s", path);
  const sf_column *c = sf_column_find("status");
  char name[128];
  sf_column_path(c, name, sizeof name);
  set = H5Dopen2(file, name, H5P_DEFAULT);
  if (set < 0) SF_ERROR_GOTO(SF_ERR_FILE, "%s has no %s", path, name);
  hid_t sp = H5Dget_space(set);
  *n = (long)H5Sget_simple_extent_npoints(sp);
  H5Sclose(sp);
  *status = calloc(*n > 0 ? *n : 1, sizeof(int));
  if (!*status) SF_ERROR_GOTO(SF_ERR_MEM, "out of memory reading %s of %s", name, path);
  if (H5Dread(set, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *status) < 0)
    SF_ERROR_GOTO(SF_ERR_FILE, "cannot read %s of %s", name, path);
cleanup:
  if (set >= 0) H5Dclose(set);
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  if (file >= 0) H5Fclose(file);
  return st;
}
