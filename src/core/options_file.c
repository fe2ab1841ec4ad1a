/* options_file.c — the options files checked before PETSc reads them (see options.h).
 *
 * Owns: the syntax of one options file (PETSc 3.18's PetscOptionsInsertFile, made
 * stricter where PETSc would silently change a value), and the walk over every file
 * PETSc is about to read — -options_file on the command line, in PETSC_OPTIONS, in the
 * petscrc files, and -options_file lines inside those files — with include cycles and
 * runaway nesting refused.
 *
 * Why before PETSc: PETSc follows an -options_file line of a file recursively with no
 * depth bound (a file that includes itself overflowed the stack: a segfault), and it
 * reports a syntax error as a 30-line trace with its configure flags.  Here every
 * problem is one "file:line: ..." message.  No MPI or PETSc is used, so the fuzz harness
 * (fuzz/fuzz_options.c) calls sf_options_scan_text on raw bytes.
 *
 * The syntax PETSc accepts, line by line: '#' starts a comment (anywhere, even inside
 * quotes); tabs and carriage returns are blanks; tokens are separated by blanks and a
 * token opening with '"' runs to the next '"'.  A line is empty, or "-key [value]", or
 * "alias -new -old".  A key is '-' or '--' then a letter and not a number ("-inf" is a
 * value).  An "-options_file FILE" line includes FILE (relative to the working folder,
 * as PETSc opens it).  Stricter than PETSc: an unbalanced quote, a quote inside a token,
 * control bytes, over-long lines and YAML input are refused, since PETSc would read
 * them as something other than what was written (or as YAML).
 */
#define _POSIX_C_SOURCE 200809L /* strncasecmp */
#include "strainfield/options.h"

#include "strainfield/core.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_TOKENS 4 /* "alias -a -b" is the longest valid line; a 4th is an error */

/* PETSc's PetscOptionsValidKey: "-x..." or "--x..." with x a letter, and not a number. */
static int valid_key(const char *s)
{
  if (s[0] != '-') return 0;
  const char *k = s[1] == '-' ? s + 1 : s;
  if (!isalpha((unsigned char)k[1])) return 0;
  char *end;
  (void)strtod(k, &end);
  return end == k || *end == '_' || isalnum((unsigned char)*end);
}

static int ends_with(const char *s, const char *tail)
{
  size_t n = strlen(s), m = strlen(tail);
  return n >= m && !strcasecmp(s + n - m, tail);
}

/* PETSc reads a file as YAML by its name or first bytes; we support only its plain format. */
static int check_not_yaml(const char *name, const char *text, size_t len)
{
  static const char *tails[] = {".yaml", ".yml", ".json", ":yaml"};
  for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++)
    if (ends_with(name, tails[i]))
      SF_ERROR(SF_ERR_FILE, "%s: YAML options files are not supported; use lines '-option value'",
               name);
  if ((len >= 6 && !memcmp(text, "%YAML ", 6)) || (len >= 3 && !memcmp(text, "---", 3)))
    SF_ERROR(SF_ERR_FILE,
             "%s:1: starts like YAML ('---' or '%%YAML'), which PETSc would read as YAML; "
             "options files hold lines '-option value'",
             name);
  return SF_OK;
}

/* Splits one line (comment already cut, blanks normalised, NUL-terminated, writable) into
 * at most MAX_TOKENS tokens, PETSc's way; *ntok may reach MAX_TOKENS + 1 ("too many"). */
static int tokenize(const char *name, int ln, char *s, char *tok[MAX_TOKENS], int *ntok)
{
  *ntok = 0;
  while (*s) {
    while (*s == ' ') s++;
    if (!*s) break;
    char *t = s, close = ' ';
    if (*s == '"') close = '"', t = ++s;
    while (*s && *s != close) {
      if (*s == '"')
        SF_ERROR(SF_ERR_FILE, "%s:%d: a quote inside '%.40s' (PETSc would split the value there)",
                 name, ln, t);
      s++;
    }
    if (close == '"' && !*s)
      SF_ERROR(SF_ERR_FILE, "%s:%d: unbalanced quote (a '#' inside quotes starts a comment)", name,
               ln);
    if (*s) *s++ = '\0';
    if (*ntok == MAX_TOKENS) {
      (*ntok)++;
      return SF_OK;
    }
    tok[(*ntok)++] = t;
  }
  return SF_OK;
}

/* One line's tokens against PETSc's grammar; reports an include through the callback. */
static int check_line(const char *name, int ln, char *tok[], int n, sf_options_include_fn include,
                      void *ctx)
{
  if (n == 0) return SF_OK;
  if (!strcasecmp(tok[0], "alias")) {
    if (n < 3 || !valid_key(tok[1]) || !valid_key(tok[2]))
      SF_ERROR(SF_ERR_FILE, "%s:%d: an alias line is 'alias -new_name -existing_name'", name, ln);
    if (n > 3) SF_ERROR(SF_ERR_FILE, "%s:%d: extra text after the alias", name, ln);
    return SF_OK;
  }
  if (!valid_key(tok[0]))
    SF_ERROR(SF_ERR_FILE, "%s:%d: expected an option such as '-ecut 10', found '%.40s'", name, ln,
             tok[0]);
  if (n > 1 && valid_key(tok[1]))
    SF_ERROR(SF_ERR_FILE, "%s:%d: two options on one line (%.40s %.40s); give one per line", name,
             ln, tok[0], tok[1]);
  if (n > 2)
    SF_ERROR(SF_ERR_FILE, "%s:%d: extra text '%.40s' after %.40s %.40s (quote a value with blanks)",
             name, ln, tok[2], tok[0], tok[1]);
  if (!strcasecmp(tok[0], "-options_file_yaml") || !strcasecmp(tok[0], "-options_string_yaml"))
    SF_ERROR(SF_ERR_FILE, "%s:%d: %s: YAML options are not supported", name, ln, tok[0]);
  if ((!strcasecmp(tok[0], "-options_file") || !strcasecmp(tok[0], "-prefix_push")) &&
      (n < 2 || !tok[1][0]))
    SF_ERROR(SF_ERR_FILE, "%s:%d: %s needs a value", name, ln, tok[0]);
  if (!strcasecmp(tok[0], "-options_file") && include) SF_CHECK(include(ctx, tok[1], name, ln));
  return SF_OK;
}

int sf_options_scan_text(const char *name, const char *text, size_t len,
                         sf_options_include_fn include, void *ctx)
{
  char line[SF_OPTIONS_MAX_LINE + 1];
  SF_CHECK(check_not_yaml(name, text, len));
  size_t pos = 0;
  for (int ln = 1; pos < len; ln++) {
    /* PETSc's lines end at '\n' (fgets); a '\r' is a blank, so a file with old Mac line
     * ends is one long line for PETSc as for us */
    size_t n = 0;
    int comment = 0;
    for (; pos < len && text[pos] != '\n'; pos++, n++) {
      unsigned char c = (unsigned char)text[pos];
      if (c == '#') comment = 1;
      if (!c) SF_ERROR(SF_ERR_FILE, "%s:%d: a NUL byte: not a text file", name, ln);
      if (c < 32 && c != '\t' && c != '\r' && !comment)
        SF_ERROR(SF_ERR_FILE, "%s:%d: control byte 0x%02x: not a text file", name, ln, c);
      if (n >= SF_OPTIONS_MAX_LINE)
        SF_ERROR(SF_ERR_FILE, "%s:%d: line longer than %d characters", name, ln,
                 SF_OPTIONS_MAX_LINE);
      line[n] = comment ? '\0' : (c == '\t' || c == '\r' ? ' ' : (char)c);
    }
    line[n] = '\0';
    if (pos < len) pos++;
    char *tok[MAX_TOKENS];
    int ntok;
    SF_CHECK(tokenize(name, ln, line, tok, &ntok));
    SF_CHECK(check_line(name, ln, tok, ntok, include, ctx));
  }
  return SF_OK;
}

/* ---------------------------------------------------------------- the walk over files */

typedef struct {
  int depth;
  const char *name[SF_OPTIONS_MAX_DEPTH + 1]; /* the chain of includes, outermost first */
  dev_t dev[SF_OPTIONS_MAX_DEPTH + 1];
  ino_t ino[SF_OPTIONS_MAX_DEPTH + 1];
} walk;

static void chain_text(const walk *w, const char *last, char *out, size_t len)
{
  size_t used = 0;
  out[0] = '\0';
  for (int i = 0; i < w->depth && used < len; i++)
    used += (size_t)snprintf(out + used, len - used, "%s -> ", w->name[i]);
  if (used < len) snprintf(out + used, len - used, "%s", last);
}

/* The whole file in memory (options files are small); *len excludes the added NUL. */
static int read_whole(const char *path, const char *where, char **text, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) SF_ERROR(SF_ERR_FILE, "cannot open options file %s%s", path, where);
  size_t cap = 4096, n = 0;
  char *buf = NULL, *bigger = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&buf, cap + 1, 1));
  while ((n += fread(buf + n, 1, cap - n, f)) == cap) {
    SF_CHECK_GOTO(sf_calloc((void **)&bigger, 2 * cap + 1, 1));
    memcpy(bigger, buf, n);
    sf_free(buf);
    buf = bigger;
    bigger = NULL;
    cap *= 2;
  }
cleanup:
  fclose(f);
  if (st) {
    sf_free(buf);
    buf = NULL;
  }
  *text = buf;
  *len = n;
  return st;
}

static int walk_file(void *ctx, const char *path, const char *from, int from_line)
{
  walk *w = ctx;
  char where[1100] = "", chain[2048];
  if (from) snprintf(where, sizeof where, " (-options_file in %s:%d)", from, from_line);
  if (strchr(path, '$'))
    SF_ERROR(SF_ERR_FILE, "options file %s%s: names with $ variables are not supported", path,
             where);
  struct stat sb;
  if (stat(path, &sb)) SF_ERROR(SF_ERR_FILE, "cannot open options file %s%s", path, where);
  if (!S_ISREG(sb.st_mode))
    SF_ERROR(SF_ERR_FILE, "options file %s%s is not a regular file", path, where);
  for (int i = 0; i < w->depth; i++)
    if (w->dev[i] == sb.st_dev && w->ino[i] == sb.st_ino) {
      chain_text(w, path, chain, sizeof chain);
      SF_ERROR(SF_ERR_FILE, "options files include each other in a cycle: %s", chain);
    }
  if (w->depth == SF_OPTIONS_MAX_DEPTH) {
    chain_text(w, path, chain, sizeof chain);
    SF_ERROR(SF_ERR_FILE, "options files nested deeper than %d: %s", SF_OPTIONS_MAX_DEPTH, chain);
  }
  char *text = NULL;
  size_t len = 0;
  int st = SF_OK;
  SF_CHECK_GOTO(read_whole(path, where, &text, &len));
  w->name[w->depth] = path;
  w->dev[w->depth] = sb.st_dev;
  w->ino[w->depth] = sb.st_ino;
  w->depth++;
  st = sf_options_scan_text(path, text, len, walk_file, w);
  w->depth--;
  SF_CHECK_GOTO(st);
cleanup:
  sf_free(text);
  return st;
}

int sf_options_check_file(const char *path)
{
  walk w = {0};
  return walk_file(&w, path, NULL, 0);
}

/* PETSC_OPTIONS is one line of "-key value" pairs: reuse the tokenizer, then follow
 * its includes. */
static int check_env_options(const char *env)
{
  size_t n = strlen(env);
  char *copy = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&copy, n + 1, 1));
  memcpy(copy, env, n);
  char *tok[SF_OPTIONS_MAX_LINE / 2];
  int ntok = 0;
  for (char *s = strtok(copy, " \t"); s && ntok < (int)(sizeof tok / sizeof tok[0]); s = strtok(NULL, " \t"))
    tok[ntok++] = s;
  for (int i = 0; i < ntok; i++) {
    if (strcasecmp(tok[i], "-options_file")) continue;
    if (i + 1 >= ntok) SF_ERROR_GOTO(SF_ERR_INPUT, "PETSC_OPTIONS: -options_file needs a file name");
    SF_CHECK_GOTO(sf_options_check_file(tok[i + 1]));
  }
cleanup:
  sf_free(copy);
  return st;
}

/* PETSc reads, in order: ~/.petscrc, .petscrc, petscrc (unless -skip_petscrc), then
 * PETSC_OPTIONS, then the command line; each may name -options_file. */
int sf_options_check_args(int argc, char **argv)
{
  int skip_rc = 0;
  for (int i = 1; i < argc; i++)
    if (!strcasecmp(argv[i], "-skip_petscrc")) skip_rc = 1;
  if (!skip_rc) {
    char home_rc[1024];
    const char *home = getenv("HOME");
    snprintf(home_rc, sizeof home_rc, "%s/.petscrc", home ? home : "");
    const char *rc[] = {home ? home_rc : NULL, ".petscrc", "petscrc"};
    struct stat sb;
    for (int i = 0; i < 3; i++)
      if (rc[i] && !stat(rc[i], &sb)) SF_CHECK(sf_options_check_file(rc[i]));
  }
  const char *env = getenv("PETSC_OPTIONS");
  if (env && env[0]) SF_CHECK(check_env_options(env));
  for (int i = 1; i < argc; i++) {
    if (strcasecmp(argv[i], "-options_file")) continue;
    if (i + 1 >= argc || argv[i + 1][0] == '-')
      SF_ERROR(SF_ERR_INPUT, "-options_file needs a file name");
    SF_CHECK(sf_options_check_file(argv[i + 1]));
  }
  return SF_OK;
}
