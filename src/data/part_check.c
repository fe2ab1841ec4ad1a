/* part_check.c — the checksum of a part file's content and its verification on -resume.
 *
 * Why: a part truncated or damaged on disk (a node crash without a journal, a full
 * quota, a copy gone wrong) used to count as done on resume and failed only at the
 * assembly, after every other sample had run.  The MD5 is taken over the values (not
 * the HDF5 bytes), so it also catches a part whose metadata is intact but whose numbers
 * changed. */
#include "dataset_internal.h"
#include "strainfield/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every column in schema order, then each field present: the bytes of the values. */
void sf_record_md5(const sf_sample_record *r, char hex[33])
{
  size_t nfft = (size_t)r->n[0] * r->n[1] * r->n[2], total = 0;
  for (int k = 0; k < sf_ncolumns; k++) {
    hid_t t = sf_column_h5type(&sf_columns[k]);
    total += sf_column_count(&sf_columns[k], r->natom) * H5Tget_size(t);
    H5Tclose(t);
  }
  for (int f = 0; f < SF_NFIELD; f++) total += r->field[f] ? nfft * sizeof(double) : 0;
  char *buf = calloc(total ? total : 1, 1), *p = buf;
  if (!buf) { snprintf(hex, 33, "(out of memory)"); return; }
  for (int k = 0; k < sf_ncolumns; k++) {
    const sf_column *c = &sf_columns[k];
    const void *data = sf_column_data(c, (sf_sample_record *)r);
    if (c->type == SF_COL_STRING) { /* only up to the NUL: HDF5 need not keep what follows */
      size_t len = strnlen(data, SF_REASON_LEN);
      memcpy(p, data, len);
      p += SF_REASON_LEN;
      continue;
    }
    hid_t t = sf_column_h5type(c);
    size_t bytes = sf_column_count(c, r->natom) * H5Tget_size(t);
    H5Tclose(t);
    memcpy(p, data, bytes);
    p += bytes;
  }
  for (int f = 0; f < SF_NFIELD; f++)
    if (r->field[f]) { memcpy(p, r->field[f], nfft * sizeof(double)); p += nfft * sizeof(double); }
  sf_md5_buffer(buf, total, hex);
  free(buf);
}

static int read_md5(const char *path, char hex[33])
{
  hex[0] = 0;
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return 0;
  hid_t a = H5Aexists(file, "md5") > 0 ? H5Aopen(file, "md5", H5P_DEFAULT) : -1;
  int ok = 0;
  if (a >= 0) {
    hid_t t = H5Aget_type(a);
    char buf[64] = "";
    if (H5Tget_size(t) < sizeof buf && H5Aread(a, t, buf) >= 0) {
      snprintf(hex, 33, "%s", buf);
      ok = strlen(hex) == 32;
    }
    H5Tclose(t);
    H5Aclose(a);
  }
  H5Fclose(file);
  return ok;
}

int sf_part_verify(const char *path, int natom, const int n[3], char *why, size_t len)
{
  char stored[33], now[33];
  sf_sample_record r;
  if (sf_record_alloc(&r, natom, n, 1)) {
    snprintf(why, len, "%s", sf_error_message());
    sf_error_reset();
    return 0;
  }
  int good = 0;
  /* a damaged file is an expected outcome here, not an HDF5 trace on stderr */
  H5E_BEGIN_TRY {
    if (!read_md5(path, stored)) snprintf(why, len, "cannot be opened or has no checksum");
    else if (sf_part_read(path, &r, 1)) {
      snprintf(why, len, "unreadable: %.200s", sf_error_message());
      sf_error_reset();
    } else {
      /* fields of a failed sample are absent from the part: hash what was stored */
      for (int f = 0; f < SF_NFIELD && r.status != SF_SAMPLE_OK; f++) { sf_free(r.field[f]); r.field[f] = NULL; }
      sf_record_md5(&r, now);
      good = !strcmp(now, stored);
      if (!good) snprintf(why, len, "checksum %s, stored %s", now, stored);
    }
  } H5E_END_TRY;
  sf_record_free(&r);
  return good;
}
