/* options_report.c — what the options registry reports (see options.h): the -help
 * table, the unused-option check with its "did you mean" suggestion and the file:line
 * where the user gave the option, -ecut-style required options, the resolved-options
 * JSON, and the folder of the options file an option's value came from. */
#include "options_internal.h"

#include <stdlib.h>
#include <string.h>

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
  for (int i = 0; i < sfo_reg.nentries; i++) {
    int l = (int)strlen(sfo_reg.entries[i].name) + 1;
    if (l > wo) wo = l;
    if ((int)strlen(sfo_reg.entries[i].type) > wt) wt = (int)strlen(sfo_reg.entries[i].type);
    if ((int)strlen(sfo_reg.entries[i].def) > wd) wd = (int)strlen(sfo_reg.entries[i].def);
  }
  if (wd > 24) wd = 24; /* a long default (a path) may overflow its column; the rest aligns */
  printf("strainfield %s %s - options (Hartree atomic units; arrays are comma-separated)\n"
         "Options come from -options_file FILE and the command line, read left to right;\n"
         "a later value overrides an earlier one.\n\n",
         sfo_reg.subcmd, SF_VERSION);
  printf("  %-*s  %-*s  %-*s  %s\n", wo, "option", wt, "type", wd, "default", "description");
  for (int i = 0; i < sfo_reg.nentries; i++) {
    char o[72];
    snprintf(o, sizeof o, "-%s", sfo_reg.entries[i].name);
    help_row(o, sfo_reg.entries[i].type, sfo_reg.entries[i].def, sfo_reg.entries[i].help, wo, wt, wd);
  }
  for (int i = 0; i < sfo_reg.npassthrough; i++) {
    char o[72];
    snprintf(o, sizeof o, "-%.31s*", sfo_reg.passthrough[i]);
    help_row(o, "", "", sfo_reg.passthrough_help[i], wo, wt, wd);
  }
  help_row("-options_file", "string", "(none)", "read options from this file (PETSc format)", wo,
           wt, wd);
  help_row("-help", "", "", "print this table and exit", wo, wt, wd);
  fflush(stdout);
}

/* ---------------------------------------------------------------- unused options */

/* PETSc consumes these itself (or they steer PETSc's runtime), they are not ours. */
int sfo_petsc_internal(const char *b)
{
  static const char *exact[] = {"help", "h", "skip_petscrc", "options_file", "options_left",
                                "version", "info", "log_view", "history", "fp_trap", NULL};
  static const char *prefix[] = {"options_", "log_", "malloc", "info_", "on_error_",
                                 "debugger", "start_in_debugger", "petsc", "mpi_", NULL};
  for (int i = 0; exact[i]; i++)
    if (!strcmp(b, exact[i])) return 1;
  for (int i = 0; prefix[i]; i++)
    if (!strncmp(b, prefix[i], strlen(prefix[i]))) return 1;
  for (int i = 0; i < sfo_reg.npassthrough; i++)
    if (!strncmp(b, sfo_reg.passthrough[i], strlen(sfo_reg.passthrough[i]))) return 1;
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
  for (int i = 0; i < sfo_reg.nentries; i++) {
    int dd = edit_distance(b, sfo_reg.entries[i].name);
    if (dd < bestd) bestd = dd, best = sfo_reg.entries[i].name;
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
  if (PetscGetArgs(&argc, &argv) || !argv) return; /* best effort: only a hint's location */
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && !strcmp(sfo_bare(argv[i]), b)) {
      snprintf(out, len, " (on the command line)");
      return;
    }
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "-options_file")) continue;
    FILE *f = fopen(argv[i + 1], "r");
    if (!f) continue;
    char line[4096], tok[128];
    for (int ln = 1; fgets(line, sizeof line, f); ln++)
      if (sscanf(line, " %127s", tok) == 1 && tok[0] == '-' && !strcmp(sfo_bare(tok), b)) {
        snprintf(out, len, " (in %s line %d)", argv[i + 1], ln);
        fclose(f);
        return;
      }
    fclose(f);
  }
}

int sf_opt_required(const char *name, int given, const char *what)
{
  if (given || sfo_reg.help_asked) return SF_OK;
  /* A misspelled required option (-ecutt) is given but never queried; this error comes
   * before sf_options_finish would name it, so look for it among the unused ones now. */
  const char *b = sfo_bare(name);
  char hint[256] = "", where[600] = "";
  PetscInt nleft = 0;
  char **names = NULL, **values = NULL;
  SF_PETSC(PetscOptionsLeftGet(NULL, &nleft, &names, &values));
  {
    int bestd = 1000;
    for (PetscInt i = 0; i < nleft; i++) {
      const char *g = sfo_bare(names[i]);
      int d = sfo_petsc_internal(g) ? 1000 : edit_distance(g, b);
      if (d <= typo_limit(g) && d < bestd) {
        bestd = d;
        locate(g, where, sizeof where);
        snprintf(hint, sizeof hint, "; did you mean -%s for the given -%.60s%.120s?", b, g, where);
      }
    }
  }
  SF_PETSC(PetscOptionsLeftRestore(NULL, &nleft, &names, &values));
  SF_ERROR(SF_ERR_INPUT, "-%s is required (%s)%s", b, what, hint);
}

int sf_options_finish(void)
{
  if (!sfo_reg.resolved) SF_ERROR(SF_ERR_INTERNAL, "sf_options_finish called before sf_options_begin");
  if (sfo_reg.help_asked) {
    if (world_rank() == 0) print_help();
    return SF_HELP_SHOWN;
  }
  PetscInt nleft = 0;
  char **names = NULL, **values = NULL;
  SF_PETSC(PetscOptionsLeftGet(NULL, &nleft, &names, &values));
  char msg[1536] = "";
  size_t used = 0;
  int nbad = 0;
  for (PetscInt i = 0; i < nleft; i++) {
    const char *b = sfo_bare(names[i]);
    if (sfo_petsc_internal(b)) continue;
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
  SF_PETSC(PetscOptionsLeftRestore(NULL, &nleft, &names, &values));
  if (nbad)
    SF_ERROR(SF_ERR_INPUT, "unknown or unused option%s %s; 'strainfield %s -help' lists them all",
             nbad > 1 ? "s" : "", msg, sfo_reg.subcmd);
  return SF_OK;
}

int sf_options_json(char **json_text)
{
  *json_text = NULL;
  if (!sfo_reg.resolved) SF_ERROR(SF_ERR_INTERNAL, "sf_options_json called before sf_options_begin");
  char *t = cJSON_Print(sfo_reg.resolved);
  if (!t) SF_ERROR(SF_ERR_MEM, "out of memory printing the options JSON");
  size_t n = strlen(t) + 1;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)json_text, n, 1));
  memcpy(*json_text, t, n);
cleanup:
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
      found = tok[0] == '-' && !strcmp(sfo_bare(tok), b);
  }
  fclose(f);
  return found;
}

int sf_options_origin_folder(const char *name, char *dir, size_t len)
{
  int argc = 0;
  char **argv = NULL;
  dir[0] = '\0';
  SF_PETSC(PetscGetArgs(&argc, &argv));
  if (!argv) return SF_OK;
  /* PETSc reads the command line left to right, inserting each -options_file where it
   * stands, so the last place that names the option gave its value. */
  const char *b = sfo_bare(name), *file = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-options_file") && i + 1 < argc) {
      if (file_names_option(argv[i + 1], b)) file = argv[i + 1];
      i++;
    } else if (argv[i][0] == '-' && !strcmp(sfo_bare(argv[i]), b)) {
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
