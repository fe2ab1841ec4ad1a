/* options.c — typed option queries over PETSc's options database (see options.h).
 *
 * Owns: the registry of every option a subcommand queried (name, type, default text,
 * help, resolved value as cJSON), the -help table, the unused-option check with its
 * "did you mean" suggestion and file:line location, and the resolved-options JSON.
 *
 * PETSc does the parsing (command line, -options_file, PETSC_OPTIONS) so users get
 * PETSc's semantics everywhere, including inside PETSc objects such as TAO.  PETSc's
 * own errors are caught with PetscReturnErrorHandler and re-issued as SF_ERR_INPUT
 * messages that name the option and the offending text.  Integers are the exception:
 * PETSc narrows them to its 32-bit PetscInt without a check, so they are parsed here from
 * the raw text.  The options files themselves are checked first (options_file.c).
 */
#include "strainfield/options.h"

#include "strainfield/core.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <petscsys.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char name[64]; /* without the leading dash */
  char type[24];
  char def[160];
  char help[320];
} opt_entry;

static opt_entry *entries;
static int nentries, capentries;
static cJSON *resolved; /* name -> value, in query order */
static char subcmd[64];
static int help_asked;

int sf_options_help_requested(void) { return help_asked; }
static char passthrough[16][32];
static char passthrough_help[16][160];
static int npassthrough;

/* ---------------------------------------------------------------- PETSc setup */

static PetscErrorCode silent_help(MPI_Comm comm, const char fmt[], ...) { return 0; }

int sf_options_initialize(int *argc, char ***argv)
{
  /* PETSc's report for a bad options file is a page of configure flags, and it follows
   * includes with no cycle check (a file including itself overflowed the stack); check
   * every file first, each problem in one line.  (MPI is not up yet, so every rank checks
   * for itself.) */
  SF_CHECK(sf_options_check_args(*argc, *argv));
  /* PETSc prints its own long -help text inside PetscInitialize; the only hook that
   * exists before that point is the PetscHelpPrintf pointer.  Restore it afterwards so
   * that PETSc objects still document their options if someone asks them directly. */
  PetscErrorCode (*saved)(MPI_Comm, const char[], ...) = PetscHelpPrintf;
  PetscHelpPrintf = silent_help;
  PetscErrorCode ierr = PetscInitialize(argc, argv, NULL, NULL);
  PetscHelpPrintf = saved;
  if (ierr) SF_ERROR(SF_ERR_LIB, "PetscInitialize failed (PETSc error %d)", (int)ierr);
  return SF_OK;
}

static void registry_free(void)
{
  sf_free(entries);
  entries = NULL;
  nentries = capentries = 0;
  cJSON_Delete(resolved);
  resolved = NULL;
  npassthrough = 0;
}

int sf_options_finalize(void)
{
  registry_free();
  if (PetscFinalize()) SF_ERROR(SF_ERR_LIB, "PetscFinalize failed");
  return SF_OK;
}

int sf_options_begin(const char *subcommand)
{
  PetscBool init = PETSC_FALSE, h = PETSC_FALSE;
  PetscInitialized(&init);
  if (!init) SF_ERROR(SF_ERR_INTERNAL, "sf_options_begin called before PetscInitialize");
  registry_free();
  resolved = cJSON_CreateObject();
  if (!resolved) SF_ERROR(SF_ERR_MEM, "out of memory creating the options registry");
  snprintf(subcmd, sizeof subcmd, "%s", subcommand ? subcommand : "");
  if (PetscOptionsHasHelp(NULL, &h)) SF_ERROR(SF_ERR_LIB, "PetscOptionsHasHelp failed");
  help_asked = h ? 1 : 0;
  return SF_OK;
}

/* ---------------------------------------------------------------- registry */

static const char *bare(const char *name) { return name[0] == '-' ? name + 1 : name; }

static int registry_add(const char *name, const char *type, const char *def, const char *help)
{
  if (!resolved) SF_ERROR(SF_ERR_INTERNAL, "option -%s queried before sf_options_begin", bare(name));
  const char *b = bare(name);
  if (strlen(b) >= sizeof entries[0].name) SF_ERROR(SF_ERR_INTERNAL, "option name too long: %s", b);
  for (int i = 0; i < nentries; i++)
    if (!strcmp(entries[i].name, b)) return SF_OK; /* queried twice: first text wins */
  if (nentries == capentries) {
    int cap = capentries ? 2 * capentries : 64;
    opt_entry *e;
    SF_CHECK(sf_calloc((void **)&e, (size_t)cap, sizeof *e));
    if (nentries) memcpy(e, entries, (size_t)nentries * sizeof *e);
    sf_free(entries);
    entries = e;
    capentries = cap;
  }
  opt_entry *e = &entries[nentries++];
  snprintf(e->name, sizeof e->name, "%s", b);
  snprintf(e->type, sizeof e->type, "%s", type);
  snprintf(e->def, sizeof e->def, "%s", def);
  snprintf(e->help, sizeof e->help, "%s", help ? help : "");
  return SF_OK;
}

static int record(const char *name, cJSON *value)
{
  if (!value) SF_ERROR(SF_ERR_MEM, "out of memory recording option -%s", bare(name));
  const char *b = bare(name);
  if (cJSON_GetObjectItemCaseSensitive(resolved, b))
    cJSON_ReplaceItemInObjectCaseSensitive(resolved, b, value);
  else
    cJSON_AddItemToObject(resolved, b, value);
  return SF_OK;
}

/* The raw text the user gave (NULL if none) and whether the option is present.
 * Needed because PETSc silently reports "not set" for "-ecut" without a value and
 * silently truncates long strings and long arrays. */
static int raw_value(const char *pname, const char **raw, int *given)
{
  PetscBool set = PETSC_FALSE;
  *raw = NULL;
  if (PetscOptionsFindPair(NULL, NULL, pname, raw, &set))
    SF_ERROR(SF_ERR_LIB, "PetscOptionsFindPair failed for %s", pname);
  *given = set ? 1 : 0;
  if (!set) *raw = NULL;
  return SF_OK;
}

static int need_value(const char *pname, const char *raw, int given, const char *what)
{
  if (given && (!raw || !raw[0]))
    SF_ERROR(SF_ERR_INPUT, "option %s needs a value (%s)", pname, what);
  return SF_OK;
}

static void dashed(const char *name, char out[72]) { snprintf(out, 72, "-%s", bare(name)); }

/* PETSc getters print a full error report by default; we want only our message. */
#define PETSC_QUIET(call, ierr)                          \
  do {                                                   \
    PetscPushErrorHandler(PetscReturnErrorHandler, NULL); \
    ierr = (call);                                       \
    PetscPopErrorHandler();                              \
  } while (0)

/* ---------------------------------------------------------------- scalar queries */

/* PETSc reads an integer with strtol and casts it to its 32-bit PetscInt, so
 * "-nstep 4294967297" became 1; read the whole text as 64 bits and check the range
 * before narrowing.  Returns 0 on success, 1 if the text is not an integer. */
static int parse_ll(const char *text, long long *v)
{
  char *end;
  if (!text || !text[0] || isspace((unsigned char)text[0])) return 1;
  errno = 0;
  *v = strtoll(text, &end, 10);
  if (errno == ERANGE) *v = text[0] == '-' ? LLONG_MIN : LLONG_MAX; /* still out of range */
  return *end != '\0';
}

/* "option -nstep: 0 is out of range (must be in 1..100000)"; `what` is the user's text,
 * with "component 2 = " before it for an array. */
static int range_error(const char *p, const char *pre, const char *what, int min, int max)
{
  if (max == INT_MAX)
    SF_ERROR(SF_ERR_INPUT, "option %s: %s%s is out of range (must be >= %d)", p, pre, what, min);
  SF_ERROR(SF_ERR_INPUT, "option %s: %s%s is out of range (must be in %d..%d)", p, pre, what, min,
           max);
}

int sf_opt_int_range(const char *name, int def, int min, int max, const char *help, int *val,
                     int *set)
{
  char p[72], d[32];
  const char *raw;
  int given;
  long long v = def;
  dashed(name, p);
  snprintf(d, sizeof d, "%d", def);
  SF_CHECK(registry_add(name, "int", d, help));
  SF_CHECK(raw_value(p, &raw, &given));
  SF_CHECK(need_value(p, raw, given, "an integer"));
  if (given && parse_ll(raw, &v))
    SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as an integer", p, raw);
  /* out of int range is an error even under -help: there is no value to show */
  if (given && (v < INT_MIN || v > INT_MAX || (!sf_options_help_requested() && (v < min || v > max))))
    return range_error(p, "", raw, min, max);
  *val = given ? (int)v : def;
  if (set) *set = given;
  return record(name, cJSON_CreateNumber(*val));
}

int sf_opt_int(const char *name, int def, const char *help, int *val, int *set)
{
  return sf_opt_int_range(name, def, INT_MIN, INT_MAX, help, val, set);
}

int sf_opt_real(const char *name, double def, const char *help, double *val, int *set)
{
  char p[72], d[32];
  const char *raw;
  int given;
  PetscErrorCode ierr;
  PetscReal v = def;
  PetscBool flg = PETSC_FALSE;
  dashed(name, p);
  snprintf(d, sizeof d, "%g", def);
  SF_CHECK(registry_add(name, "real", d, help));
  SF_CHECK(raw_value(p, &raw, &given));
  SF_CHECK(need_value(p, raw, given, "a real number"));
  PETSC_QUIET(PetscOptionsGetReal(NULL, NULL, p, &v, &flg), ierr);
  if (ierr || (flg && !isfinite((double)v)))
    SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as a finite real number", p,
             raw ? raw : "");
  *val = flg ? (double)v : def;
  if (set) *set = flg ? 1 : 0;
  return record(name, cJSON_CreateNumber(*val));
}

int sf_opt_bool(const char *name, int def, const char *help, int *val, int *set)
{
  char p[72];
  const char *raw;
  int given;
  PetscErrorCode ierr;
  PetscBool v = def ? PETSC_TRUE : PETSC_FALSE, flg = PETSC_FALSE;
  dashed(name, p);
  SF_CHECK(registry_add(name, "bool", def ? "true" : "false", help));
  SF_CHECK(raw_value(p, &raw, &given));
  PETSC_QUIET(PetscOptionsGetBool(NULL, NULL, p, &v, &flg), ierr);
  if (ierr)
    SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as a boolean (use true/false, yes/no, 1/0)",
             p, raw ? raw : "");
  *val = flg ? (v ? 1 : 0) : (def ? 1 : 0);
  if (set) *set = flg ? 1 : 0;
  return record(name, cJSON_CreateBool(*val));
}

int sf_opt_string(const char *name, const char *def, const char *help, char *buf, size_t len,
                  int *set)
{
  char p[72];
  const char *raw;
  int given;
  dashed(name, p);
  SF_CHECK(registry_add(name, "string", def ? def : "(none)", help));
  SF_CHECK(raw_value(p, &raw, &given));
  SF_CHECK(need_value(p, raw, given, "a string"));
  const char *v = given ? raw : def;
  if (v && strlen(v) >= len)
    SF_ERROR(SF_ERR_INPUT, "option %s: value '%s' is longer than %zu characters", p, v, len - 1);
  snprintf(buf, len, "%s", v ? v : "");
  if (set) *set = given;
  return record(name, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

/* ---------------------------------------------------------------- array queries */

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
    if (len >= sizeof item || parse_ll(item, &x))
      SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as comma-separated integers", p, raw);
    if (x < INT_MIN || x > INT_MAX || (!sf_options_help_requested() && (x < min || x > max))) {
      char head[144], pre[32];
      snprintf(head, sizeof head, "%s %.60s%s", p, raw, strlen(raw) > 60 ? "..." : "");
      snprintf(pre, sizeof pre, "component %d = ", k);
      return range_error(head, pre, item, min, max);
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
  int given, cnt = 0;
  long long *tmp;
  dashed(name, p);
  array_def_text(d, sizeof d, def, NULL, ndef);
  snprintf(type, sizeof type, exact > 0 ? "int[%d]" : "int[<=%d]", exact > 0 ? exact : nmax);
  SF_CHECK(registry_add(name, type, d, help));
  SF_CHECK(raw_value(p, &raw, &given));
  SF_CHECK(need_value(p, raw, given, "comma-separated integers"));
  SF_CHECK(sf_calloc((void **)&tmp, (size_t)nmax + 1, sizeof *tmp)); /* +1 detects excess */
  int st = given ? parse_int_list(p, raw, nmax, min, max, tmp, &cnt) : SF_OK;
  if (!st && given) st = check_count(p, raw, cnt, nmax, exact);
  if (st) {
    sf_free(tmp);
    return st;
  }
  cJSON *arr = cJSON_CreateArray();
  int m = given ? cnt : (ndef < nmax ? ndef : nmax);
  for (int i = 0; i < m; i++) {
    vals[i] = given ? (int)tmp[i] : def[i];
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(vals[i]));
  }
  sf_free(tmp);
  *n = m;
  if (set) *set = given;
  return record(name, arr);
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
  int given;
  PetscErrorCode ierr;
  PetscReal *tmp;
  PetscInt cnt = nmax + 1;
  PetscBool flg = PETSC_FALSE;
  dashed(name, p);
  array_def_text(d, sizeof d, NULL, def, ndef);
  snprintf(type, sizeof type, exact > 0 ? "real[%d]" : "real[<=%d]", exact > 0 ? exact : nmax);
  SF_CHECK(registry_add(name, type, d, help));
  SF_CHECK(raw_value(p, &raw, &given));
  SF_CHECK(need_value(p, raw, given, "comma-separated real numbers"));
  SF_CHECK(sf_calloc((void **)&tmp, (size_t)nmax + 1, sizeof *tmp));
  PETSC_QUIET(PetscOptionsGetRealArray(NULL, NULL, p, tmp, &cnt, &flg), ierr);
  int st = SF_OK;
  if (!ierr && flg)
    for (PetscInt i = 0; i < cnt && i <= nmax; i++)
      if (!isfinite((double)tmp[i])) ierr = 1;
  if (ierr)
    st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__,
                      "option %s: cannot read '%s' as comma-separated real numbers", p,
                      raw ? raw : "");
  else if (flg)
    st = check_count(p, raw, (int)cnt, nmax, exact);
  if (st) {
    sf_free(tmp);
    return st;
  }
  cJSON *arr = cJSON_CreateArray();
  int m = flg ? (int)cnt : (ndef < nmax ? ndef : nmax);
  for (int i = 0; i < m; i++) {
    vals[i] = flg ? (double)tmp[i] : def[i];
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(vals[i]));
  }
  sf_free(tmp);
  *n = m;
  if (set) *set = flg ? 1 : 0;
  return record(name, arr);
}

int sf_opt_string_array(const char *name, int nmax, const char *help, char (*vals)[1024], int *n,
                        int *set)
{
  char p[72], type[24];
  const char *raw;
  int given, st = SF_OK;
  PetscErrorCode ierr;
  char **tmp;
  PetscInt cnt = nmax + 1;
  PetscBool flg = PETSC_FALSE;
  dashed(name, p);
  snprintf(type, sizeof type, "string[<=%d]", nmax);
  SF_CHECK(registry_add(name, type, "(none)", help));
  SF_CHECK(raw_value(p, &raw, &given));
  SF_CHECK(need_value(p, raw, given, "comma-separated strings"));
  SF_CHECK(sf_calloc((void **)&tmp, (size_t)nmax + 1, sizeof *tmp));
  PETSC_QUIET(PetscOptionsGetStringArray(NULL, NULL, p, tmp, &cnt, &flg), ierr);
  if (ierr) {
    sf_free(tmp);
    SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as comma-separated strings", p,
             raw ? raw : "");
  }
  if (!flg) cnt = 0;
  st = check_count(p, raw, (int)cnt, nmax, 0);
  cJSON *arr = cJSON_CreateArray();
  for (PetscInt i = 0; i < cnt; i++) {
    if (!st && i < nmax && strlen(tmp[i]) >= 1024)
      st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__,
                        "option %s: item '%.60s...' is longer than 1023 characters", p, tmp[i]);
    if (!st && i < nmax) {
      snprintf(vals[i], 1024, "%s", tmp[i]);
      cJSON_AddItemToArray(arr, cJSON_CreateString(tmp[i]));
    }
    PetscFree(tmp[i]);
  }
  sf_free(tmp);
  if (st) {
    cJSON_Delete(arr);
    return st;
  }
  *n = (int)cnt;
  if (set) *set = flg ? 1 : 0;
  return record(name, arr);
}

int sf_opt_passthrough(const char *prefix, const char *help)
{
  if (npassthrough == (int)(sizeof passthrough / sizeof passthrough[0]))
    SF_ERROR(SF_ERR_INTERNAL, "too many pass-through option prefixes");
  snprintf(passthrough[npassthrough], sizeof passthrough[0], "%s", bare(prefix));
  snprintf(passthrough_help[npassthrough], sizeof passthrough_help[0], "%s", help ? help : "");
  npassthrough++;
  return SF_OK;
}

/* ---------------------------------------------------------------- -help */

static int world_rank(void)
{
  int r = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r;
}

/* One table row; the description wraps under its own column so long help stays legible. */
static void help_row(const char *opt, const char *type, const char *def, const char *help, int wo,
                     int wt, int wd)
{
  const int width = 100, col = 2 + wo + 2 + wt + 2 + wd + 2;
  int room = width - col > 30 ? width - col : 30;
  printf("  %-*s  %-*s  %-*s  ", wo, opt, wt, type, wd, def);
  const char *s = help;
  int first = 1;
  if ((int)strlen(def) > wd) { /* an over-long default (a path) pushes help to its own line */
    printf("\n");
    first = 0;
  }
  do {
    int len = (int)strlen(s);
    if (len > room) {
      len = room;
      while (len > 0 && s[len] != ' ') len--;
      if (len == 0) len = room;
    }
    printf("%*s%.*s\n", first ? 0 : col, "", len, s);
    s += len;
    while (*s == ' ') s++;
    first = 0;
  } while (*s);
}

static void print_help(void)
{
  int wo = 14, wt = 4, wd = 7;
  for (int i = 0; i < nentries; i++) {
    int l = (int)strlen(entries[i].name) + 1;
    if (l > wo) wo = l;
    if ((int)strlen(entries[i].type) > wt) wt = (int)strlen(entries[i].type);
    if ((int)strlen(entries[i].def) > wd) wd = (int)strlen(entries[i].def);
  }
  if (wd > 24) wd = 24; /* a long default (a path) may overflow its column; the rest aligns */
  printf("strainfield %s %s - options (Hartree atomic units; arrays are comma-separated)\n"
         "Options come from -options_file FILE and the command line, read left to right;\n"
         "a later value overrides an earlier one.\n\n",
         subcmd, SF_VERSION);
  printf("  %-*s  %-*s  %-*s  %s\n", wo, "option", wt, "type", wd, "default", "description");
  for (int i = 0; i < nentries; i++) {
    char o[72];
    snprintf(o, sizeof o, "-%s", entries[i].name);
    help_row(o, entries[i].type, entries[i].def, entries[i].help, wo, wt, wd);
  }
  for (int i = 0; i < npassthrough; i++) {
    char o[72];
    snprintf(o, sizeof o, "-%.31s*", passthrough[i]);
    help_row(o, "", "", passthrough_help[i], wo, wt, wd);
  }
  help_row("-options_file", "string", "(none)", "read options from this file (PETSc format)", wo,
           wt, wd);
  help_row("-help", "", "", "print this table and exit", wo, wt, wd);
  fflush(stdout);
}

/* ---------------------------------------------------------------- unused options */

/* PETSc consumes these itself (or they steer PETSc's runtime), they are not ours. */
static int petsc_internal(const char *b)
{
  static const char *exact[] = {"help", "h", "skip_petscrc", "options_file", "options_left",
                                "version", "info", "log_view", "history", "fp_trap", NULL};
  static const char *prefix[] = {"options_", "log_", "malloc", "info_", "on_error_",
                                 "debugger", "start_in_debugger", "petsc", "mpi_", NULL};
  for (int i = 0; exact[i]; i++)
    if (!strcmp(b, exact[i])) return 1;
  for (int i = 0; prefix[i]; i++)
    if (!strncmp(b, prefix[i], strlen(prefix[i]))) return 1;
  for (int i = 0; i < npassthrough; i++)
    if (!strncmp(b, passthrough[i], strlen(passthrough[i]))) return 1;
  return 0;
}

static int edit_distance(const char *a, const char *b)
{
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 63 || lb > 63) return 1000;
  int d[64][64];
  for (int i = 0; i <= la; i++) d[i][0] = i;
  for (int j = 0; j <= lb; j++) d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
      d[i][j] = c;
    }
  return d[la][lb];
}

/* How many edits make a given name a plausible typo of a known one. */
static int typo_limit(const char *given)
{
  int len = (int)strlen(given);
  return len / 3 > 2 ? len / 3 : 2;
}

static const char *suggest(const char *b)
{
  const char *best = NULL;
  int bestd = 1000;
  for (int i = 0; i < nentries; i++) {
    int dd = edit_distance(b, entries[i].name);
    if (dd < bestd) bestd = dd, best = entries[i].name;
  }
  return bestd <= typo_limit(b) ? best : NULL;
}

/* Where the user gave -b: the command line, or file:line of an -options_file named on
 * it (PETSc keeps no origin per option, so we look for it ourselves). */
static void locate(const char *b, char *out, size_t len)
{
  int argc = 0;
  char **argv = NULL;
  out[0] = '\0';
  if (PetscGetArgs(&argc, &argv) || !argv) return;
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && !strcmp(bare(argv[i]), b)) {
      snprintf(out, len, " (on the command line)");
      return;
    }
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "-options_file")) continue;
    FILE *f = fopen(argv[i + 1], "r");
    if (!f) continue;
    char line[4096], tok[128];
    for (int ln = 1; fgets(line, sizeof line, f); ln++)
      if (sscanf(line, " %127s", tok) == 1 && tok[0] == '-' && !strcmp(bare(tok), b)) {
        snprintf(out, len, " (in %s line %d)", argv[i + 1], ln);
        fclose(f);
        return;
      }
    fclose(f);
  }
}

int sf_opt_required(const char *name, int given, const char *what)
{
  if (given || help_asked) return SF_OK;
  /* A misspelled required option (-ecutt) is given but never queried; this error comes
   * before sf_options_finish would name it, so look for it among the unused ones now. */
  const char *b = bare(name);
  char hint[256] = "", where[600] = "";
  PetscInt nleft = 0;
  char **names = NULL, **values = NULL;
  if (!PetscOptionsLeftGet(NULL, &nleft, &names, &values)) {
    int bestd = 1000;
    for (PetscInt i = 0; i < nleft; i++) {
      const char *g = bare(names[i]);
      int d = petsc_internal(g) ? 1000 : edit_distance(g, b);
      if (d <= typo_limit(g) && d < bestd) {
        bestd = d;
        locate(g, where, sizeof where);
        snprintf(hint, sizeof hint, "; did you mean -%s for the given -%.60s%.120s?", b, g, where);
      }
    }
    PetscOptionsLeftRestore(NULL, &nleft, &names, &values);
  }
  SF_ERROR(SF_ERR_INPUT, "-%s is required (%s)%s", b, what, hint);
}

int sf_options_finish(void)
{
  if (!resolved) SF_ERROR(SF_ERR_INTERNAL, "sf_options_finish called before sf_options_begin");
  if (help_asked) {
    if (world_rank() == 0) print_help();
    return SF_HELP_SHOWN;
  }
  PetscInt nleft = 0;
  char **names = NULL, **values = NULL;
  if (PetscOptionsLeftGet(NULL, &nleft, &names, &values))
    SF_ERROR(SF_ERR_LIB, "PetscOptionsLeftGet failed");
  char msg[1536] = "";
  size_t used = 0;
  int nbad = 0;
  for (PetscInt i = 0; i < nleft; i++) {
    const char *b = bare(names[i]);
    if (petsc_internal(b)) continue;
    const char *s = suggest(b);
    char where[600], hint[96] = "";
    locate(b, where, sizeof where);
    if (s) snprintf(hint, sizeof hint, " (did you mean -%s?)", s);
    if (used + 16 < sizeof msg)
      used += (size_t)snprintf(msg + used, sizeof msg - used, "%s-%s%s%s", nbad ? "; " : "", b,
                               hint, where);
    if (used >= sizeof msg) used = sizeof msg - 1;
    nbad++;
  }
  PetscOptionsLeftRestore(NULL, &nleft, &names, &values);
  if (nbad)
    SF_ERROR(SF_ERR_INPUT, "unknown or unused option%s %s; 'strainfield %s -help' lists them all",
             nbad > 1 ? "s" : "", msg, subcmd);
  return SF_OK;
}

int sf_options_json(char **json_text)
{
  *json_text = NULL;
  if (!resolved) SF_ERROR(SF_ERR_INTERNAL, "sf_options_json called before sf_options_begin");
  char *t = cJSON_Print(resolved);
  if (!t) SF_ERROR(SF_ERR_MEM, "out of memory printing the options JSON");
  size_t n = strlen(t) + 1;
  int st = sf_calloc((void **)json_text, n, 1);
  if (!st) memcpy(*json_text, t, n);
  cJSON_free(t);
  return st;
}

/* ---------------------------------------------------------------- origin of a value */

/* 1 when the options file `path` names -b: a token "-b" before any '#' on some line. */
static int file_names_option(const char *path, const char *b)
{
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[4096];
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) {
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    for (char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save); tok && !found;
         tok = strtok_r(NULL, " \t\r\n", &save))
      found = tok[0] == '-' && !strcmp(bare(tok), b);
  }
  fclose(f);
  return found;
}

int sf_options_origin_folder(const char *name, char *dir, size_t len)
{
  int argc = 0;
  char **argv = NULL;
  dir[0] = '\0';
  if (PetscGetArgs(&argc, &argv) || !argv) return SF_OK;
  /* PETSc reads the command line left to right, inserting each -options_file where it
   * stands, so the last place that names the option gave its value. */
  const char *b = bare(name), *file = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-options_file") && i + 1 < argc) {
      if (file_names_option(argv[i + 1], b)) file = argv[i + 1];
      i++;
    } else if (argv[i][0] == '-' && !strcmp(bare(argv[i]), b)) {
      file = NULL;
    }
  }
  if (!file) return SF_OK;
  const char *slash = strrchr(file, '/');
  size_t n = !slash ? 0 : slash == file ? 1 : (size_t)(slash - file);
  if (n + 2 > len) SF_ERROR(SF_ERR_INPUT, "-options_file %s: path too long", file);
  if (n == 0) snprintf(dir, len, ".");
  else {
    memcpy(dir, file, n);
    dir[n] = '\0';
  }
  return SF_OK;
}
