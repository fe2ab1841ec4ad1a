/* dataset_parts.c — the sample record and the per-sample part files of a running
 * campaign (written atomically, checked on -resume; see dataset.h), laid out by the
 * schema of schema.c. */
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

int sf_record_alloc(sf_sample_record *r, int natom, const int n[3], int with_fields)
{
  int st = SF_OK;
  memset(r, 0, sizeof *r);
  r->natom = natom;
  memcpy(r->n, n, sizeof r->n);
  SF_CHECK_GOTO(sf_calloc((void **)&r->xred, 3 * (size_t)natom, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&r->fcart, 3 * (size_t)natom, sizeof(double)));
  size_t nfft = (size_t)n[0] * n[1] * n[2];
  for (int f = 0; f < SF_NFIELD && with_fields; f++) SF_CHECK_GOTO(sf_calloc((void **)&r->field[f], nfft, sizeof(double)));
  for (int k = 0; k < sf_ncolumns; k++) {
    const sf_column *c = &sf_columns[k];
    if (c->type != SF_COL_DOUBLE) continue;
    double *d = sf_column_data(c, r);
    for (size_t i = 0; i < sf_column_count(c, natom); i++) d[i] = NAN;
  }
  for (int f = 0; f < SF_NFIELD && with_fields; f++)
    for (size_t i = 0; i < nfft; i++) r->field[f][i] = NAN;
  r->status = SF_SAMPLE_MISSING;
cleanup:
  if (st) sf_record_free(r);
  return st;
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

/* The part's columns and fields, in schema order, into an open file. */
static int write_part_data(hid_t file, const sf_sample_record *r)
{
  char name[128];
  for (int k = 0; k < sf_ncolumns; k++) {
    const sf_column *c = &sf_columns[k];
    hsize_t dims[2];
    for (int d = 0; d < c->rank; d++) dims[d] = (hsize_t)(c->dims[d] < 0 ? r->natom : c->dims[d]);
    hid_t t = sf_column_h5type(c);
    sf_column_path(c, name, sizeof name);
    int st = write_one(file, name, t, c->rank, dims, sf_column_data(c, (sf_sample_record *)r));
    H5Tclose(t);
    SF_CHECK(st);
  }
  hsize_t fd[3] = {(hsize_t)r->n[0], (hsize_t)r->n[1], (hsize_t)r->n[2]};
  for (int f = 0; f < SF_NFIELD; f++) {
    if (!r->field[f]) continue;
    sf_field_path(f, name, sizeof name);
    SF_CHECK(write_one(file, name, H5T_NATIVE_DOUBLE, 3, fd, r->field[f]));
  }
  char md5[33];
  sf_record_md5(r, md5);
  SF_CHECK(sf_h5_attr_string(file, "md5", md5));
  return SF_OK;
}

/* The part as an HDF5 file image in memory (core driver, no backing store). */
static int build_image(const sf_sample_record *r, const char *name_for_errors, char **image, size_t *size)
{
  int st = SF_OK;
  hid_t g1 = -1, g2 = -1;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 20, 0);
  hid_t file = H5Fcreate(name_for_errors, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (file < 0) SF_ERROR_GOTO(SF_ERR_FILE, "HDF5: cannot build the part %s in memory", name_for_errors);
  g1 = H5Gcreate2(file, SF_SAMPLES_GROUP, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  g2 = H5Gcreate2(file, SF_FIELDS_GROUP, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g1 < 0 || g2 < 0) SF_ERROR_GOTO(SF_ERR_FILE, "HDF5: cannot create groups in %s", name_for_errors);
  SF_CHECK_GOTO(write_part_data(file, r));
  ssize_t n = H5Fflush(file, H5F_SCOPE_GLOBAL) < 0 ? -1 : H5Fget_file_image(file, NULL, 0);
  if (n <= 0) SF_ERROR_GOTO(SF_ERR_FILE, "HDF5: no image of the part %s", name_for_errors);
  SF_CHECK_GOTO(sf_calloc((void **)image, (size_t)n, 1));
  if (H5Fget_file_image(file, *image, (size_t)n) != n)
    SF_ERROR_GOTO(SF_ERR_FILE, "HDF5: cannot copy the image of the part %s", name_for_errors);
  *size = (size_t)n;
cleanup:
  if (g1 >= 0) H5Gclose(g1);
  if (g2 >= 0) H5Gclose(g2);
  if (file >= 0) H5Fclose(file);
  return st;
}

int sf_part_write(const char *dir, const sf_sample_record *r)
{
  int st = SF_OK;
  char path[1200], tmp[1300];
  sf_part_path(dir, r->index, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  char *image = NULL;
  size_t n = 0;
  SF_CHECK_GOTO(build_image(r, path, &image, &n));
  SF_CHECK_GOTO(write_image(tmp, image, n));
  if (rename(tmp, path)) {
    int e = errno;
    unlink(tmp);
    SF_ERROR_GOTO(SF_ERR_FILE, "cannot rename %s to %s: %s", tmp, path, strerror(e));
  }
  SF_CHECK_GOTO(sf_fsync_dir_of(path));
cleanup:
  sf_free(image);
  return st;
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
  int st = SF_OK;
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot open part file %s", path);
  char name[128];
  for (int k = 0; k < sf_ncolumns; k++) {
    const sf_column *c = &sf_columns[k];
    hid_t t = sf_column_h5type(c);
    sf_column_path(c, name, sizeof name);
    int cst = read_one(file, name, t, sf_column_data(c, r), sf_column_count(c, r->natom));
    H5Tclose(t);
    SF_CHECK_GOTO(cst);
  }
  size_t nfft = (size_t)r->n[0] * r->n[1] * r->n[2];
  for (int f = 0; f < SF_NFIELD && with_fields; f++) {
    sf_field_path(f, name, sizeof name);
    if (r->status == SF_SAMPLE_OK || H5Lexists(file, name, H5P_DEFAULT) > 0)
      SF_CHECK_GOTO(read_one(file, name, H5T_NATIVE_DOUBLE, r->field[f], nfft));
  }
cleanup:
  if (file >= 0) H5Fclose(file);
  return st;
}

void sf_parts_remove(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char p[1400];
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, SF_SETTINGS_FILE) ||
        !strcmp(e->d_name, "lock"))
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
    sf_test_kill_point("parts-removal");
  }
  closedir(d);
  sf_settings_path(dir, p, sizeof p); /* last: while it exists the dir is a campaign */
  unlink(p);
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
