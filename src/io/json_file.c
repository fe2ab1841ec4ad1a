/* json_file.c — a JSON document written through PATH.tmp and renamed when complete, so a
 * reader never sees a half-written file (the summaries of scf, train and predict), read
 * back (run's closing table and its figures read train's summary), and the array-of-rows
 * form every summary writes its matrices in. */
#include "strainfield/core.h"
#include "strainfield/h5io.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

int sf_write_json_file(const char *path, cJSON *root)
{
  char *text = cJSON_Print(root);
  if (!text) SF_ERROR(SF_ERR_MEM, "cannot format JSON for %s", path);
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    free(text);
    SF_ERROR(SF_ERR_FILE, "cannot write %s", tmp);
  }
  int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  ok = (fclose(f) == 0) && ok;
  free(text);
  if (!ok || rename(tmp, path)) {
    remove(tmp); /* never leave a partial file behind */
    SF_ERROR(SF_ERR_FILE, "cannot write %s", path);
  }
  return SF_OK;
}

cJSON *sf_json_matrix(const double *a, int rows, int cols, double scale)
{
  cJSON *m = cJSON_CreateArray();
  for (int i = 0; i < rows; i++) {
    cJSON *r = cJSON_CreateArray();
    for (int j = 0; j < cols; j++) cJSON_AddItemToArray(r, cJSON_CreateNumber(scale * a[(size_t)i * cols + j]));
    cJSON_AddItemToArray(m, r);
  }
  return m;
}

int sf_read_json_file(const char *path, cJSON **root)
{
  *root = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) SF_ERROR(SF_ERR_FILE, "cannot read %s", path);
  char *text = NULL;
  long len = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
  if (len >= 0 && !fseek(f, 0, SEEK_SET)) text = malloc((size_t)len + 1);
  size_t got = text ? fread(text, 1, (size_t)len, f) : 0;
  fclose(f);
  if (!text) SF_ERROR(SF_ERR_FILE, "cannot read %s", path);
  text[got] = '\0';
  *root = cJSON_Parse(text);
  free(text);
  if (!*root) SF_ERROR(SF_ERR_FILE, "%s is not valid JSON", path);
  return SF_OK;
}
