/* settings.c — what a campaign's samples depend on: the settings record of a running
 * campaign (DATASET.parts/campaign.json), and the refusal to mix datasets written with
 * different settings on -resume. */
#include "strainfield/core.h"
#include "strainfield/dataset.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sf_settings_path(const char *dir, char *path, size_t len) { snprintf(path, len, "%s/" SF_SETTINGS_FILE, dir); }

int sf_settings_read(const char *path, char **text)
{
  int st = SF_OK;
  *text = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) SF_ERROR_GOTO(SF_ERR_FILE, "cannot read %s: %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (n < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot read %s: %s", path, strerror(errno));
  *text = calloc((size_t)n + 1, 1);
  if (!*text) SF_ERROR_GOTO(SF_ERR_MEM, "out of memory reading %s", path);
  if ((long)fread(*text, 1, (size_t)n, f) != n) SF_ERROR_GOTO(SF_ERR_FILE, "cannot read %s", path);
cleanup:
  if (f) fclose(f);
  if (st) { free(*text); *text = NULL; }
  return st;
}

int sf_settings_write(const char *path, const char *text)
{
  char tmp[1300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) SF_ERROR(SF_ERR_FILE, "cannot write %s: %s", tmp, strerror(errno));
  int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  ok = fclose(f) == 0 && ok;
  if (!ok) SF_ERROR(SF_ERR_FILE, "cannot write %s", tmp);
  SF_CHECK(sf_fsync_path(tmp));
  if (rename(tmp, path)) SF_ERROR(SF_ERR_FILE, "cannot rename %s: %s", tmp, strerror(errno));
  SF_CHECK(sf_fsync_dir_of(path));
  return SF_OK;
}

static char *value_text(const cJSON *v)
{
  return v ? cJSON_PrintUnformatted(v) : strdup("(absent)");
}

int sf_settings_compare(const char *stored, const char *now, const char *where)
{
  cJSON *a = cJSON_Parse(stored), *b = cJSON_Parse(now);
  if (!a || !b || !cJSON_IsObject(a) || !cJSON_IsObject(b)) {
    cJSON_Delete(a);
    cJSON_Delete(b);
    SF_ERROR(SF_ERR_FILE, "the settings recorded in %s cannot be parsed", where);
  }
  size_t cap = 4096, len = 0;
  char *msg = calloc(cap, 1);
  int ndiff = 0;
  for (int pass = 0; pass < 2; pass++) {
    const cJSON *obj = pass ? b : a, *other = pass ? a : b;
    for (const cJSON *it = obj->child; it; it = it->next) {
      const cJSON *o = cJSON_GetObjectItemCaseSensitive(other, it->string);
      if (pass && o) continue; /* keys present in both were compared in pass 0 */
      if (o && cJSON_Compare(it, o, 1)) continue;
      char *x = value_text(pass ? o : it), *y = value_text(pass ? it : o);
      size_t need = strlen(it->string) + strlen(x) + strlen(y) + 40;
      if (len + need >= cap) { cap = 2 * (len + need); msg = realloc(msg, cap); }
      len += (size_t)snprintf(msg + len, cap - len, "\n    %s: dataset %s, now %s", it->string, x, y);
      free(x);
      free(y);
      ndiff++;
    }
  }
  cJSON_Delete(a);
  cJSON_Delete(b);
  if (ndiff) {
    int code = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__,
                            "%s was written with other settings; refusing to resume (%d difference%s):%s\n"
                            "  rerun with the original settings, or write to a new -dataset",
                            where, ndiff, ndiff > 1 ? "s" : "", msg);
    free(msg);
    return code;
  }
  free(msg);
  return SF_OK;
}
