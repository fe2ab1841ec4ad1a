/* dataset_parts.c — the schema table, the sample record and the per-sample part files
 * of a running campaign (written atomically, checked on -resume; see dataset.h). */
#include "dataset_internal.h"
#include "strainfield/core.h"
#include "strainfield/h5io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const sf_field_names[SF_NFIELD] = {"rho", "phi", "u", "s"};

#define O(m) offsetof(sf_sample_record, m)
const sf_column sf_columns[] = {
    {"D", COL_DOUBLE, 1, {6, 0}, O(D), 0, "lambda_a, lambda_b, lambda_c (1), theta_a, theta_b, theta_c (deg)"},
    {"lattice", COL_DOUBLE, 2, {3, 3}, O(lattice), 0, "Bohr; row i = lattice vector i (rprimd)"},
    {"strain_F", COL_DOUBLE, 2, {3, 3}, O(strain_F), 0, "1; deformation gradient, a_i = F a0_i"},
    {"strain_E", COL_DOUBLE, 2, {3, 3}, O(strain_E), 0, "1; Green-Lagrange strain (F^T F - I)/2"},
    {"strain_eps", COL_DOUBLE, 2, {3, 3}, O(strain_eps), 0, "1; small strain (F + F^T)/2 - I"},
    {"xred", COL_DOUBLE, 2, {-1, 3}, O(xred), 1, "1; relaxed reduced atom positions"},
    {"fcart", COL_DOUBLE, 2, {-1, 3}, O(fcart), 1, "Ha/Bohr; residual Cartesian forces"},
    {"max_force", COL_DOUBLE, 0, {0, 0}, O(max_force), 0, "Ha/Bohr"},
    {"stress", COL_DOUBLE, 2, {3, 3}, O(stress), 0, "Ha/Bohr^3; (1/Omega) dF/d eps, ABINIT's sign"},
    {"free_energy", COL_DOUBLE, 0, {0, 0}, O(free_energy), 0, "Ha; F = internal + entropy_term (ABINIT etotal)"},
    {"internal_energy", COL_DOUBLE, 0, {0, 0}, O(internal_energy), 0, "Ha; all terms but -TS"},
    {"band_energy", COL_DOUBLE, 0, {0, 0}, O(band_energy), 0, "Ha; U = sum_k w_k sum_n f_nk e_nk"},
    {"entropy_term", COL_DOUBLE, 0, {0, 0}, O(entropy_term), 0, "Ha; -TS"},
    {"fermi_energy", COL_DOUBLE, 0, {0, 0}, O(fermi_energy), 0, "Ha"},
#define TERM_COLUMN(id, name) {"e_" #name, COL_DOUBLE, 0, {0, 0}, O(e_term[SF_TERM_##id]), 0, "Ha"},
    SF_TERMS(TERM_COLUMN)
#undef TERM_COLUMN
    {"scf_iterations", COL_INT, 0, {0, 0}, O(scf_iterations), 0, "SCF iterations summed over the relaxation"},
    {"scf_runs", COL_INT, 0, {0, 0}, O(scf_runs), 0, "SCF runs (relaxation function evaluations)"},
    {"ionic_steps", COL_INT, 0, {0, 0}, O(ionic_steps), 0, "BFGS iterations"},
    {"attempts", COL_INT, 0, {0, 0}, O(attempts), 0, "1, or 2 when retried with safer mixing"},
    {"wall_time", COL_DOUBLE, 0, {0, 0}, O(wall_time), 0, "s; of the sample's group, all attempts"},
    {"status", COL_INT, 0, {0, 0}, O(status), 0, "1 ok, 0 missing, -1 failed"},
    {"reason", COL_STRING, 0, {0, 0}, O(reason), 0, "why a sample failed; empty when ok"},
};
const int sf_ncolumns = (int)(sizeof sf_columns / sizeof sf_columns[0]);

size_t sf_column_count(const sf_column *c, int natom)
{
  size_t n = 1;
  for (int k = 0; k < c->rank; k++) n *= (size_t)(c->dims[k] < 0 ? natom : c->dims[k]);
  return n;
}

void *sf_column_data(const sf_column *c, sf_sample_record *r)
{
  char *p = (char *)r + c->offset;
  return c->pointer ? *(void **)p : (void *)p;
}

hid_t sf_column_h5type(const sf_column *c)
{
  if (c->type == COL_DOUBLE) return H5Tcopy(H5T_NATIVE_DOUBLE);
  if (c->type == COL_INT) return H5Tcopy(H5T_NATIVE_INT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, SF_REASON_LEN);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  return t;
}

int sf_record_alloc(sf_sample_record *r, int natom, const int n[3], int with_fields)
{
  memset(r, 0, sizeof *r);
  r->natom = natom;
  memcpy(r->n, n, sizeof r->n);
  SF_CHECK(sf_calloc((void **)&r->xred, 3 * (size_t)natom, sizeof(double)));
  SF_CHECK(sf_calloc((void **)&r->fcart, 3 * (size_t)natom, sizeof(double)));
  size_t nfft = (size_t)n[0] * n[1] * n[2];
  for (int f = 0; f < SF_NFIELD && with_fields; f++) SF_CHECK(sf_calloc((void **)&r->field[f], nfft, sizeof(double)));
  for (int k = 0; k < sf_ncolumns; k++) {
    const sf_column *c = &sf_columns[k];
    if (c->type != COL_DOUBLE) continue;
    double *d = sf_column_data(c, r);
    for (size_t i = 0; i < sf_column_count(c, natom); i++) d[i] = NAN;
  }
  for (int f = 0; f < SF_NFIELD && with_fields; f++)
    for (size_t i = 0; i < nfft; i++) r->field[f][i] = NAN;
  r->status = SF_SAMPLE_MISSING;
  return SF_OK;
}

void sf_record_free(sf_sample_record *r)
{
  sf_free(r->xred);
  sf_free(r->fcart);
  for (int f = 0; f < SF_NFIELD; f++) sf_free(r->field[f]);
  memset(r, 0, sizeof *r);
}

void sf_part_path(const char *dir, long index, char *path, size_t len)
{
  snprintf(path, len, "%s/sample_%07ld.h5", dir, index);
}

int sf_fsync_path(const char *path)
{
  int fd = open(path, O_RDONLY);
  if (fd < 0) SF_ERROR(SF_ERR_FILE, "cannot open %s to flush it: %s", path, strerror(errno));
  int st = fsync(fd);
  close(fd);
  if (st) SF_ERROR(SF_ERR_FILE, "fsync of %s failed: %s", path, strerror(errno));
  return SF_OK;
}

int sf_fsync_dir_of(const char *path)
{
  char buf[1200];
  snprintf(buf, sizeof buf, "%s", path);
  int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return SF_OK; /* best effort */
  fsync(fd);
  close(fd);
  return SF_OK;
}

static int write_one(hid_t file, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data)
{
  const hsize_t one = 1; /* a scalar column is stored as one element */
  return sf_h5_write(file, name, type, rank ? rank : 1, rank ? dims : &one, data);
}

/* The part's bytes go to disk through plain POSIX calls, so that a full disk is one
 * clean error (no HDF5 handle is left open on it) and the temporary is removed. */
static int write_image(const char *tmp, const char *buf, size_t n)
{
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) SF_ERROR(SF_ERR_FILE, "cannot create %s: %s", tmp, strerror(errno));
  size_t done = 0, half = n / 2;
  int e = 0;
  while (done < n && !e) {
    size_t want = (done < half ? half : n) - done;
    ssize_t w = write(fd, buf + done, want);
    if (w < 0 && errno != EINTR) e = errno;
    if (w > 0) done += (size_t)w;
    if (done == half && w > 0) { /* half a part on disk: the tests' moment */
      sf_test_kill_point("part-write");
      if (sf_test_fail_point("part-write")) e = ENOSPC;
    }
  }
  if (!e && fsync(fd)) e = errno;
  if (close(fd) && !e) e = errno;
  if (e) {
    unlink(tmp);
    SF_ERROR(SF_ERR_FILE, "cannot write %s: %s", tmp, strerror(e));
  }
  return SF_OK;
}

/* The part as an HDF5 file image in memory (core driver, no backing store). */
static int build_image(const sf_sample_record *r, const char *name_for_errors, char **image, size_t *size)
{
  char name[128], md5[33];
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 20, 0);
  hid_t file = H5Fcreate(name_for_errors, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot build the part %s in memory", name_for_errors);
  int st = SF_OK;
  hid_t g1 = H5Gcreate2(file, "samples", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g2 = H5Gcreate2(file, "fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g1 < 0 || g2 < 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot create groups in %s", name_for_errors);
  for (int k = 0; k < sf_ncolumns && !st; k++) {
    const sf_column *c = &sf_columns[k];
    hsize_t dims[2];
    for (int d = 0; d < c->rank; d++) dims[d] = (hsize_t)(c->dims[d] < 0 ? r->natom : c->dims[d]);
    hid_t t = sf_column_h5type(c);
    snprintf(name, sizeof name, "samples/%s", c->name);
    st = write_one(file, name, t, c->rank, dims, sf_column_data(c, (sf_sample_record *)r));
    H5Tclose(t);
  }
  hsize_t fd[3] = {(hsize_t)r->n[0], (hsize_t)r->n[1], (hsize_t)r->n[2]};
  for (int f = 0; f < SF_NFIELD && !st; f++) {
    if (!r->field[f]) continue;
    snprintf(name, sizeof name, "fields/%s", sf_field_names[f]);
    st = write_one(file, name, H5T_NATIVE_DOUBLE, 3, fd, r->field[f]);
  }
  if (!st) {
    sf_record_md5(r, md5);
    st = sf_h5_attr_string(file, "md5", md5);
  }
  if (g1 >= 0) H5Gclose(g1);
  if (g2 >= 0) H5Gclose(g2);
  ssize_t n = st || H5Fflush(file, H5F_SCOPE_GLOBAL) < 0 ? -1 : H5Fget_file_image(file, NULL, 0);
  if (!st && n <= 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: no image of the part %s", name_for_errors);
  if (!st) st = sf_calloc((void **)image, (size_t)n, 1);
  if (!st && H5Fget_file_image(file, *image, (size_t)n) != n)
    st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot copy the image of the part %s", name_for_errors);
  H5Fclose(file);
  *size = (size_t)n;
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

int sf_part_write(const char *dir, const sf_sample_record *r)
{
  char path[1200], tmp[1300];
  sf_part_path(dir, r->index, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  char *image = NULL;
  size_t n = 0;
  int st = build_image(r, path, &image, &n);
  if (!st) st = write_image(tmp, image, n);
  sf_free(image);
  SF_CHECK(st);
  if (rename(tmp, path)) {
    int e = errno;
    unlink(tmp);
    SF_ERROR(SF_ERR_FILE, "cannot rename %s to %s: %s", tmp, path, strerror(e));
  }
  SF_CHECK(sf_fsync_dir_of(path));
  return SF_OK;
}

static int read_one(hid_t file, const char *name, hid_t type, void *data, size_t expect)
{
  hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
  if (set < 0) SF_ERROR(SF_ERR_FILE, "HDF5: dataset %s missing", name);
  hid_t space = H5Dget_space(set);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  H5Sclose(space);
  herr_t st = (size_t)n == expect ? H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
  H5Dclose(set);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot read %s (%lld values, expected %zu)", name, (long long)n, expect);
  return SF_OK;
}

int sf_part_read(const char *path, sf_sample_record *r, int with_fields)
{
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot open part file %s", path);
  char name[128];
  int st = SF_OK;
  for (int k = 0; k < sf_ncolumns && !st; k++) {
    const sf_column *c = &sf_columns[k];
    hid_t t = sf_column_h5type(c);
    snprintf(name, sizeof name, "samples/%s", c->name);
    st = read_one(file, name, t, sf_column_data(c, r), sf_column_count(c, r->natom));
    H5Tclose(t);
  }
  size_t nfft = (size_t)r->n[0] * r->n[1] * r->n[2];
  for (int f = 0; f < SF_NFIELD && with_fields && !st; f++) {
    snprintf(name, sizeof name, "fields/%s", sf_field_names[f]);
    if (r->status == SF_SAMPLE_OK || H5Lexists(file, name, H5P_DEFAULT) > 0)
      st = read_one(file, name, H5T_NATIVE_DOUBLE, r->field[f], nfft);
  }
  H5Fclose(file);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

int sf_parts_scan(const char *dir, long n, int natom, const int grid[3], char *have)
{
  memset(have, 0, (size_t)n);
  if (mkdir(dir, 0777) && errno != EEXIST) SF_ERROR(SF_ERR_FILE, "cannot create %s: %s", dir, strerror(errno));
  DIR *d = opendir(dir);
  if (!d) SF_ERROR(SF_ERR_FILE, "cannot read directory %s: %s", dir, strerror(errno));
  struct dirent *e;
  char path[1400];
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len > 4 && !strcmp(e->d_name + len - 4, ".tmp")) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path); /* a write that was interrupted */
      continue;
    }
    long idx;
    char tail[8];
    if (sscanf(e->d_name, "sample_%ld.%7s", &idx, tail) == 2 && !strcmp(tail, "h5") && idx >= 0 && idx < n) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      char why[300];
      if (sf_part_verify(path, natom, grid, why, sizeof why)) have[idx] = 1;
      else {
        sf_log(1, "  part %s is damaged (%s): sample %ld will be computed again\n", path, why, idx);
        unlink(path);
      }
    }
  }
  closedir(d);
  return SF_OK;
}
