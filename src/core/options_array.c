/* options_array.c — comma-separated array queries (see options.h): integers parsed here
 * as 64 bits like sf_opt_int, reals and strings through PETSc's getters; a count beyond
 * nmax, or other than `exact`, is an error naming the option. */
#include "options_internal.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static void array_def_text(char *out, size_t len, const int *ivals, const double *rvals, int n)
{
  size_t used = 0;
  out[0] = '\0';
  if (n <= 0) {
    snprintf(out, len, "(none)");
    return;
  }
  for (int i = 0; i < n && used + 24 < len; i++)
    used += (size_t)(ivals ? snprintf(out + used, len - used, "%s%d", i ? "," : "", ivals[i])
                           : snprintf(out + used, len - used, "%s%g", i ? "," : "", rvals[i]));
}

/* The registry's type text: "int[3]" when the count is exact, "int[<=8]" otherwise. */
static void array_type_text(char type[24], const char *base, int nmax, int exact)
{
  snprintf(type, 24, exact > 0 ? "%s[%d]" : "%s[<=%d]", base, exact > 0 ? exact : nmax);
}

static int check_count(const char *p, const char *raw, int n, int nmax, int exact)
{
  if (n > nmax) SF_ERROR(SF_ERR_INPUT, "option %s: '%s' has more than %d values", p, raw, nmax);
  if (exact > 0 && n != exact)
    SF_ERROR(SF_ERR_INPUT, "option %s: '%s' has %d value%s, expected exactly %d", p, raw, n,
             n == 1 ? "" : "s", exact);
  return SF_OK;
}

/* The comma-separated integers of `raw` into v[0..nmax] (one more than allowed, so that
 * check_count sees an excess); *cnt counts them all.  Each is checked like sf_opt_int. */
static int parse_int_list(const char *p, const char *raw, int nmax, int min, int max,
                          long long *v, int *cnt)
{
  char item[64];
  const char *s = raw;
  *cnt = 0;
  for (int k = 1;; k++) {
    size_t len = strcspn(s, ",");
    snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), s);
    long long x;
    if (len >= sizeof item || sfo_parse_ll(item, &x))
      SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as comma-separated integers", p, raw);
    if (x < INT_MIN || x > INT_MAX || (!sf_options_help_requested() && (x < min || x > max))) {
      char head[144], pre[32];
      snprintf(head, sizeof head, "%s %.60s%s", p, raw, strlen(raw) > 60 ? "..." : "");
      snprintf(pre, sizeof pre, "component %d = ", k);
      return sfo_range_error(head, pre, item, min, max);
    }
    if (*cnt <= nmax) v[*cnt] = x;
    (*cnt)++;
    if (!s[len]) return SF_OK;
    s += len + 1;
  }
}

int sf_opt_int_array_range(const char *name, int nmax, int exact, const int *def, int ndef,
                           int min, int max, const char *help, int *vals, int *n, int *set)
{
  char p[72], d[160], type[24];
  const char *raw;
  int st = SF_OK, given, cnt = 0;
  long long *tmp = NULL;
  cJSON *arr = NULL;
  array_def_text(d, sizeof d, def, NULL, ndef);
  array_type_text(type, "int", nmax, exact);
  SF_CHECK(sfo_query_begin(name, type, d, help, "comma-separated integers", p, &raw, &given));
  SF_CHECK_GOTO(sf_calloc((void **)&tmp, (size_t)nmax + 1, sizeof *tmp)); /* +1 detects excess */
  if (given) {
    SF_CHECK_GOTO(parse_int_list(p, raw, nmax, min, max, tmp, &cnt));
    SF_CHECK_GOTO(check_count(p, raw, cnt, nmax, exact));
  }
  arr = cJSON_CreateArray();
  int m = given ? cnt : (ndef < nmax ? ndef : nmax);
  for (int i = 0; i < m; i++) {
    vals[i] = given ? (int)tmp[i] : def[i];
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(vals[i]));
  }
  *n = m;
  if (set) *set = given;
  st = sfo_record(name, arr);
cleanup:
  sf_free(tmp);
  return st;
}

int sf_opt_int_array(const char *name, int nmax, int exact, const int *def, int ndef,
                     const char *help, int *vals, int *n, int *set)
{
  return sf_opt_int_array_range(name, nmax, exact, def, ndef, INT_MIN, INT_MAX, help, vals, n,
                                set);
}

int sf_opt_real_array(const char *name, int nmax, int exact, const double *def, int ndef,
                      const char *help, double *vals, int *n, int *set)
{
  char p[72], d[160], type[24];
  const char *raw;
  int st = SF_OK, given;
  PetscErrorCode ierr;
  PetscReal *tmp = NULL;
  PetscInt cnt = nmax + 1;
  PetscBool flg = PETSC_FALSE;
  cJSON *arr = NULL;
  array_def_text(d, sizeof d, NULL, def, ndef);
  array_type_text(type, "real", nmax, exact);
  SF_CHECK(sfo_query_begin(name, type, d, help, "comma-separated real numbers", p, &raw, &given));
  SF_CHECK_GOTO(sf_calloc((void **)&tmp, (size_t)nmax + 1, sizeof *tmp));
  SFO_QUIET(SF_PETSC_GOTO, PetscOptionsGetRealArray(NULL, NULL, p, tmp, &cnt, &flg), ierr);
  if (!ierr && flg)
    for (PetscInt i = 0; i < cnt && i <= nmax; i++)
      if (!isfinite((double)tmp[i])) ierr = 1;
  if (ierr)
    SF_ERROR_GOTO(SF_ERR_INPUT, "option %s: cannot read '%s' as comma-separated real numbers", p,
                  raw ? raw : "");
  if (flg) SF_CHECK_GOTO(check_count(p, raw, (int)cnt, nmax, exact));
  arr = cJSON_CreateArray();
  int m = flg ? (int)cnt : (ndef < nmax ? ndef : nmax);
  for (int i = 0; i < m; i++) {
    vals[i] = flg ? (double)tmp[i] : def[i];
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(vals[i]));
  }
  *n = m;
  if (set) *set = flg ? 1 : 0;
  st = sfo_record(name, arr);
cleanup:
  sf_free(tmp);
  return st;
}

int sf_opt_string_array(const char *name, int nmax, const char *help, char (*vals)[1024], int *n,
                        int *set)
{
  char p[72], type[24];
  const char *raw;
  int given, st = SF_OK;
  PetscErrorCode ierr;
  char **tmp = NULL;
  PetscInt cnt = 0, room = nmax + 1;
  PetscBool flg = PETSC_FALSE;
  cJSON *arr = NULL;
  snprintf(type, sizeof type, "string[<=%d]", nmax);
  SF_CHECK(sfo_query_begin(name, type, "(none)", help, "comma-separated strings", p, &raw, &given));
  SF_CHECK_GOTO(sf_calloc((void **)&tmp, (size_t)nmax + 1, sizeof *tmp));
  SFO_QUIET(SF_PETSC_GOTO, PetscOptionsGetStringArray(NULL, NULL, p, tmp, &room, &flg), ierr);
  if (ierr)
    SF_ERROR_GOTO(SF_ERR_INPUT, "option %s: cannot read '%s' as comma-separated strings", p,
                  raw ? raw : "");
  if (flg) cnt = room; /* PETSc allocated tmp[0..cnt) */
  SF_CHECK_GOTO(check_count(p, raw, (int)cnt, nmax, 0));
  arr = cJSON_CreateArray();
  for (PetscInt i = 0; i < cnt; i++) {
    if (strlen(tmp[i]) >= 1024)
      SF_ERROR_GOTO(SF_ERR_INPUT, "option %s: item '%.60s...' is longer than 1023 characters", p,
                    tmp[i]);
    snprintf(vals[i], 1024, "%s", tmp[i]);
    cJSON_AddItemToArray(arr, cJSON_CreateString(tmp[i]));
  }
  *n = (int)cnt;
  if (set) *set = flg ? 1 : 0;
  st = sfo_record(name, arr);
  arr = NULL; /* the registry owns it now */
cleanup:
  for (PetscInt i = 0; tmp && i < cnt; i++) PetscFree(tmp[i]);
  sf_free(tmp);
  cJSON_Delete(arr);
  return st;
}
