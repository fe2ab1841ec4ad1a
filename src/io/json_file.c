/* json_file.c — a JSON document written through PATH.tmp and renamed when complete, so a
 * reader never sees a half-written file (the summaries of scf, train and predict), and the
 * array-of-rows form every summary writes its matrices in. */
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
