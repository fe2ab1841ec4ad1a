/* options.c — typed option queries over PETSc's options database (see options.h).
 *
 * Owns: PETSc's setup for strainfield, the registry of every option a subcommand queried
 * (name, type, default text, help, resolved value as cJSON; options_internal.h), the
 * scalar queries and the pass-through prefixes.  Arrays are in options_array.c; -help,
 * the unused-option check and the resolved-options JSON in options_report.c.
 *
 * PETSc does the parsing (command line, -options_file, PETSC_OPTIONS) so users get
 * PETSc's semantics everywhere, including inside PETSc objects such as TAO.  PETSc's
 * own errors are caught with PetscReturnErrorHandler and re-issued as SF_ERR_INPUT
 * messages that name the option and the offending text.  Integers are the exception:
 * PETSc narrows them to its 32-bit PetscInt without a check, so they are parsed here from
 * the raw text.  The options files themselves are checked first (options_file.c).
 */
#include "options_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

sfo_registry sfo_reg;

int sf_options_help_requested(void) { return sfo_reg.help_asked; }

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
  sf_free(sfo_reg.entries);
  sfo_reg.entries = NULL;
  sfo_reg.nentries = sfo_reg.capentries = 0;
  cJSON_Delete(sfo_reg.resolved);
  sfo_reg.resolved = NULL;
  sfo_reg.npassthrough = 0;
}

int sf_options_finalize(void)
{
  registry_free();
  SF_PETSC(PetscFinalize());
  return SF_OK;
}

int sf_options_begin(const char *subcommand)
{
  PetscBool init = PETSC_FALSE, h = PETSC_FALSE;
  SF_PETSC(PetscInitialized(&init));
  if (!init) SF_ERROR(SF_ERR_INTERNAL, "sf_options_begin called before PetscInitialize");
  registry_free();
  sfo_reg.resolved = cJSON_CreateObject();
  if (!sfo_reg.resolved) SF_ERROR(SF_ERR_MEM, "out of memory creating the options registry");
  snprintf(sfo_reg.subcmd, sizeof sfo_reg.subcmd, "%s", subcommand ? subcommand : "");
  SF_PETSC(PetscOptionsHasHelp(NULL, &h));
  sfo_reg.help_asked = h ? 1 : 0;
  return SF_OK;
}

/* ---------------------------------------------------------------- registry */

const char *sfo_bare(const char *name) { return name[0] == '-' ? name + 1 : name; }

static int registry_add(const char *name, const char *type, const char *def, const char *help)
{
  sfo_registry *r = &sfo_reg;
  if (!r->resolved) SF_ERROR(SF_ERR_INTERNAL, "option -%s queried before sf_options_begin", sfo_bare(name));
  const char *b = sfo_bare(name);
  if (strlen(b) >= sizeof r->entries[0].name) SF_ERROR(SF_ERR_INTERNAL, "option name too long: %s", b);
  for (int i = 0; i < r->nentries; i++)
    if (!strcmp(r->entries[i].name, b)) return SF_OK; /* queried twice: first text wins */
  if (r->nentries == r->capentries) {
    int cap = r->capentries ? 2 * r->capentries : 64;
    sfo_entry *e;
    SF_CHECK(sf_calloc((void **)&e, (size_t)cap, sizeof *e));
    if (r->nentries) memcpy(e, r->entries, (size_t)r->nentries * sizeof *e);
    sf_free(r->entries);
    r->entries = e;
    r->capentries = cap;
  }
  sfo_entry *e = &r->entries[r->nentries++];
  snprintf(e->name, sizeof e->name, "%s", b);
  snprintf(e->type, sizeof e->type, "%s", type);
  snprintf(e->def, sizeof e->def, "%s", def);
  snprintf(e->help, sizeof e->help, "%s", help ? help : "");
  return SF_OK;
}

int sfo_record(const char *name, cJSON *value)
{
  if (!value) SF_ERROR(SF_ERR_MEM, "out of memory recording option -%s", sfo_bare(name));
  const char *b = sfo_bare(name);
  if (cJSON_GetObjectItemCaseSensitive(sfo_reg.resolved, b))
    cJSON_ReplaceItemInObjectCaseSensitive(sfo_reg.resolved, b, value);
  else
    cJSON_AddItemToObject(sfo_reg.resolved, b, value);
  return SF_OK;
}

/* The raw text is needed because PETSc silently reports "not set" for "-ecut" without a
 * value and silently truncates long strings and long arrays. */
int sfo_query_begin(const char *name, const char *type, const char *def, const char *help,
                    const char *what, char p[72], const char **raw, int *given)
{
  PetscBool set = PETSC_FALSE;
  snprintf(p, 72, "-%s", sfo_bare(name));
  SF_CHECK(registry_add(name, type, def, help));
  *raw = NULL;
  SF_PETSC(PetscOptionsFindPair(NULL, NULL, p, raw, &set));
  *given = set ? 1 : 0;
  if (!set) *raw = NULL;
  if (what && set && (!*raw || !(*raw)[0]))
    SF_ERROR(SF_ERR_INPUT, "option %s needs a value (%s)", p, what);
  return SF_OK;
}

/* ---------------------------------------------------------------- scalar queries */

/* PETSc reads an integer with strtol and casts it to its 32-bit PetscInt, so
 * "-nstep 4294967297" became 1; read the whole text as 64 bits and check the range
 * before narrowing. */
int sfo_parse_ll(const char *text, long long *v)
{
  char *end;
  if (!text || !text[0] || isspace((unsigned char)text[0])) return 1;
  errno = 0;
  *v = strtoll(text, &end, 10);
  if (errno == ERANGE) *v = text[0] == '-' ? LLONG_MIN : LLONG_MAX; /* still out of range */
  return *end != '\0';
}

/* `what` is the user's text, with "component 2 = " before it for an array. */
int sfo_range_error(const char *p, const char *pre, const char *what, int min, int max)
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
  snprintf(d, sizeof d, "%d", def);
  SF_CHECK(sfo_query_begin(name, "int", d, help, "an integer", p, &raw, &given));
  if (given && sfo_parse_ll(raw, &v))
    SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as an integer", p, raw);
  /* out of int range is an error even under -help: there is no value to show */
  if (given && (v < INT_MIN || v > INT_MAX || (!sf_options_help_requested() && (v < min || v > max))))
    return sfo_range_error(p, "", raw, min, max);
  *val = given ? (int)v : def;
  if (set) *set = given;
  return sfo_record(name, cJSON_CreateNumber(*val));
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
  snprintf(d, sizeof d, "%g", def);
  SF_CHECK(sfo_query_begin(name, "real", d, help, "a real number", p, &raw, &given));
  SFO_QUIET(SF_PETSC, PetscOptionsGetReal(NULL, NULL, p, &v, &flg), ierr);
  if (ierr || (flg && !isfinite((double)v)))
    SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as a finite real number", p,
             raw ? raw : "");
  *val = flg ? (double)v : def;
  if (set) *set = flg ? 1 : 0;
  return sfo_record(name, cJSON_CreateNumber(*val));
}

int sf_opt_bool(const char *name, int def, const char *help, int *val, int *set)
{
  char p[72];
  const char *raw;
  int given;
  PetscErrorCode ierr;
  PetscBool v = def ? PETSC_TRUE : PETSC_FALSE, flg = PETSC_FALSE;
  SF_CHECK(sfo_query_begin(name, "bool", def ? "true" : "false", help, NULL, p, &raw, &given));
  SFO_QUIET(SF_PETSC, PetscOptionsGetBool(NULL, NULL, p, &v, &flg), ierr);
  if (ierr)
    SF_ERROR(SF_ERR_INPUT, "option %s: cannot read '%s' as a boolean (use true/false, yes/no, 1/0)",
             p, raw ? raw : "");
  *val = flg ? (v ? 1 : 0) : (def ? 1 : 0);
  if (set) *set = flg ? 1 : 0;
  return sfo_record(name, cJSON_CreateBool(*val));
}

int sf_opt_string(const char *name, const char *def, const char *help, char *buf, size_t len,
                  int *set)
{
  char p[72];
  const char *raw;
  int given;
  SF_CHECK(sfo_query_begin(name, "string", def ? def : "(none)", help, "a string", p, &raw, &given));
  const char *v = given ? raw : def;
  if (v && strlen(v) >= len)
    SF_ERROR(SF_ERR_INPUT, "option %s: value '%s' is longer than %zu characters", p, v, len - 1);
  snprintf(buf, len, "%s", v ? v : "");
  if (set) *set = given;
  return sfo_record(name, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

int sf_opt_passthrough(const char *prefix, const char *help)
{
  sfo_registry *r = &sfo_reg;
  if (r->npassthrough == SFO_MAX_PASSTHROUGH)
    SF_ERROR(SF_ERR_INTERNAL, "too many pass-through option prefixes");
  snprintf(r->passthrough[r->npassthrough], sizeof r->passthrough[0], "%s", sfo_bare(prefix));
  snprintf(r->passthrough_help[r->npassthrough], sizeof r->passthrough_help[0], "%s", help ? help : "");
  r->npassthrough++;
  return SF_OK;
}
