/* test_options.c — the options module against the real PETSc options database.
 *
 * PETSc can be initialized once per process, so the parent re-executes this binary
 * once per case (case name in SF_TEST_OPTIONS_CASE, argv as a user would type it);
 * each child initializes PETSc, checks its case and exits with its failure count.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, fork */
#include "strainfield/core.h"
#include "strainfield/options.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expect.h"

static int has(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

/* ------------------------------------------------------------------ child cases */

static void case_values(void)
{
  int nband, occopt, verbose, ngkpt[3], n, set, nps;
  double ecut, tsmear, acell[3], shiftk[6];
  char title[64], pseudos[4][1024], out[256];
  const double shdef[3] = {0.5, 0.5, 0.5};
  const int ngdef[3] = {1, 1, 1};

  EXPECT(sf_options_begin("scf") == 0, "begin");
  EXPECT(sf_opt_real("-ecut", 10.0, "cutoff (Ha)", &ecut, &set) == 0, "ecut");
  EXPECT(ecut == 15.0 && set == 1, "command line overrides file: ecut=%g", ecut);
  EXPECT(sf_opt_real("-tsmear", 0.02, "smearing (Ha)", &tsmear, &set) == 0, "tsmear");
  EXPECT(tsmear == 0.005 && set == 1, "tsmear from file: %g", tsmear);
  EXPECT(sf_opt_int("-nband", 4, "bands", &nband, &set) == 0 && nband == 8 && set, "nband=%d",
         nband);
  EXPECT(sf_opt_int("-occopt", 3, "occupations", &occopt, &set) == 0 && occopt == 3 && !set,
         "default occopt=%d", occopt);
  EXPECT(sf_opt_bool("-verbose", 0, "talk", &verbose, &set) == 0 && verbose == 1 && set,
         "bare flag is true");
  EXPECT(sf_opt_int_array("-ngkpt", 3, 3, ngdef, 3, "k grid", ngkpt, &n, &set) == 0, "ngkpt");
  EXPECT(n == 3 && ngkpt[0] == 6 && ngkpt[1] == 6 && ngkpt[2] == 4 && set, "ngkpt values");
  EXPECT(sf_opt_real_array("-acell", 3, 3, NULL, 0, "cell", acell, &n, &set) == 0 && n == 3 &&
             acell[2] == 9.75,
         "acell from file");
  EXPECT(sf_opt_real_array("-shiftk", 6, 0, shdef, 3, "shifts", shiftk, &n, &set) == 0 && n == 3 &&
             shiftk[1] == 0.5 && !set,
         "default real array");
  EXPECT(sf_opt_string("-title", "none", "title", title, sizeof title, &set) == 0 &&
             !strcmp(title, "hello world") && set,
         "string '%s'", title);
  EXPECT(sf_opt_string("-summary", NULL, "summary file", out, sizeof out, &set) == 0 && !out[0] &&
             !set,
         "unset string");
  EXPECT(sf_opt_string_array("-pseudos", 4, "pseudos", pseudos, &nps, &set) == 0 && nps == 2 &&
             !strcmp(pseudos[1], "b.psp"),
         "string array");
  EXPECT(sf_options_finish() == 0, "finish: %s", sf_error_message());

  char *json = NULL;
  EXPECT(sf_options_json(&json) == 0 && json, "json");
  cJSON *j = cJSON_Parse(json);
  EXPECT(j != NULL, "json parses");
  if (j) {
    cJSON *e = cJSON_GetObjectItem(j, "ecut"), *k = cJSON_GetObjectItem(j, "ngkpt");
    EXPECT(cJSON_IsNumber(e) && e->valuedouble == 15.0, "json ecut");
    EXPECT(cJSON_IsArray(k) && cJSON_GetArraySize(k) == 3 &&
               cJSON_GetArrayItem(k, 2)->valuedouble == 4,
           "json ngkpt");
    EXPECT(cJSON_IsNumber(cJSON_GetObjectItem(j, "occopt")), "json default int");
    EXPECT(cJSON_IsTrue(cJSON_GetObjectItem(j, "verbose")), "json bool");
    EXPECT(cJSON_IsNull(cJSON_GetObjectItem(j, "summary")), "json unset string is null");
    EXPECT(cJSON_IsString(cJSON_GetObjectItem(j, "title")), "json string");
    cJSON_Delete(j);
  }
  sf_free(json);
}

static void case_unused(void)
{
  double ecut;
  int nband;
  EXPECT(sf_options_begin("scf") == 0, "begin");
  EXPECT(sf_opt_real("-ecut", 10.0, "cutoff", &ecut, NULL) == 0, "ecut");
  EXPECT(sf_opt_int("-nband", 4, "bands", &nband, NULL) == 0, "nband");
  EXPECT(sf_options_finish() == SF_ERR_INPUT, "unused option must fail");
  const char *m = sf_error_message();
  EXPECT(has(m, "-ecutt") && has(m, "did you mean -ecut?"), "message: %s", m);
  EXPECT(has(m, "-zzqq_other") && has(m, "line 3") && has(m, ".opts"), "file location: %s", m);
  EXPECT(!has(m, "-nband"), "used option reported: %s", m);
}

static void case_bad(void)
{
  double ecut, acell[3];
  int nband, ngkpt[3], n, flag;
  EXPECT(sf_options_begin("scf") == 0, "begin");
  EXPECT(sf_opt_real("-ecut", 10.0, "cutoff", &ecut, NULL) == SF_ERR_INPUT, "ecut abc fails");
  EXPECT(has(sf_error_message(), "-ecut") && has(sf_error_message(), "abc"), "msg: %s",
         sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_int("-nband", 4, "bands", &nband, NULL) == SF_ERR_INPUT, "nband 3.5 fails");
  EXPECT(has(sf_error_message(), "-nband") && has(sf_error_message(), "3.5"), "msg: %s",
         sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_int_array("-ngkpt", 3, 3, NULL, 0, "k", ngkpt, &n, NULL) == SF_ERR_INPUT,
         "ngkpt 4,4 fails");
  EXPECT(has(sf_error_message(), "-ngkpt") && has(sf_error_message(), "4,4"), "msg: %s",
         sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_real_array("-acell", 3, 0, NULL, 0, "c", acell, &n, NULL) == SF_ERR_INPUT,
         "too many values fails");
  sf_error_reset();
  EXPECT(sf_opt_bool("-flag", 0, "f", &flag, NULL) == SF_ERR_INPUT, "bool maybe fails");
  EXPECT(has(sf_error_message(), "maybe"), "msg: %s", sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_real("-tsmear", 0.01, "s", &ecut, NULL) == SF_ERR_INPUT, "missing value fails");
  EXPECT(has(sf_error_message(), "-tsmear") && has(sf_error_message(), "needs a value"), "msg: %s",
         sf_error_message());
}

static void case_help(void)
{
  double ecut;
  EXPECT(sf_options_begin("scf") == 0, "begin");
  EXPECT(sf_opt_real("-ecut", 10.0, "plane-wave kinetic-energy cutoff (Ha)", &ecut, NULL) == 0,
         "ecut");
  EXPECT(sf_opt_passthrough("-tao_", "TAO solver options") == 0, "passthrough");
  EXPECT(sf_options_finish() == SF_HELP_SHOWN, "-help gives SF_HELP_SHOWN, %s", sf_error_message());
}

/* Integers are 64-bit text checked against int and the query's range: PETSc's reader
 * wrapped 4294967297 to 1 and 4294967298 to 2. */
static void case_ints(void)
{
  int v = 0, set = 0, arr[3] = {0, 0, 0}, n = 0;
  const int def3[3] = {1, 1, 1};
  EXPECT(sf_options_begin("scf") == 0, "begin");
  EXPECT(sf_opt_int("-wrap", 4, "w", &v, NULL) == SF_ERR_INPUT, "4294967297 is not an int: %d", v);
  EXPECT(has(sf_error_message(), "-wrap") && has(sf_error_message(), "4294967297"), "msg: %s",
         sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_int("-huge", 4, "h", &v, NULL) == SF_ERR_INPUT, "1e30 digits is not an int");
  sf_error_reset();
  EXPECT(sf_opt_int_range("-nstep", 60, 1, 100, "n", &v, NULL) == SF_ERR_INPUT,
         "-nstep -5 below the minimum must fail, got %d", v);
  EXPECT(has(sf_error_message(), "-nstep") && has(sf_error_message(), "-5") &&
             has(sf_error_message(), "1..100"),
         "msg: %s", sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_int_range("-nband", 8, 1, 100, "b", &v, &set) == 0 && v == 100 && set,
         "the maximum itself is accepted: %d", v);
  EXPECT(sf_opt_int_range("-absent", 7, 1, 100, "a", &v, &set) == 0 && v == 7 && !set,
         "default when absent: %d", v);
  EXPECT(sf_opt_int_array_range("-ngkpt", 3, 3, def3, 3, 1, 1000, "k", arr, &n, NULL) ==
             SF_ERR_INPUT,
         "-ngkpt 4294967298,2,2 must fail, got %d,%d,%d", arr[0], arr[1], arr[2]);
  EXPECT(has(sf_error_message(), "-ngkpt") && has(sf_error_message(), "component 1"), "msg: %s",
         sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_int_array_range("-ngfft", 3, 3, def3, 3, 0, 1000, "f", arr, &n, NULL) ==
             SF_ERR_INPUT,
         "-ngfft 24,-40,40 must fail, got %d,%d,%d", arr[0], arr[1], arr[2]);
  EXPECT(has(sf_error_message(), "-ngfft") && has(sf_error_message(), "component 2 = -40"),
         "msg: %s", sf_error_message());
  sf_error_reset();
  EXPECT(sf_opt_int_array("-typat", 4, 0, NULL, 0, "t", arr, &n, NULL) == 0 && n == 3 &&
             arr[0] == -2 && arr[1] == 0 && arr[2] == 2147483647,
         "-typat -2,+0,2147483647: n=%d", n);
  EXPECT(sf_opt_int_array("-bad", 4, 0, NULL, 0, "b", arr, &n, NULL) == SF_ERR_INPUT,
         "-bad 1,,2 has an empty item");
  sf_error_reset();
}

/* The "did you mean" of a misspelled option survives when the correct one is required:
 * that error comes before sf_options_finish's unused-option report. */
static void case_required(void)
{
  double ecut;
  int set;
  EXPECT(sf_options_begin("scf") == 0, "begin");
  EXPECT(sf_opt_real("-ecut", 0.0, "cutoff", &ecut, &set) == 0 && !set, "ecut not given");
  EXPECT(sf_opt_required("-ecut", set, "cutoff") == SF_ERR_INPUT, "required -ecut missing");
  const char *m = sf_error_message();
  EXPECT(has(m, "-ecut is required") && has(m, "did you mean -ecut for the given -ecutt"),
         "msg: %s", m);
  sf_error_reset();
  EXPECT(sf_opt_required("-xred", 0, "positions") == SF_ERR_INPUT &&
             !has(sf_error_message(), "did you mean"),
         "no far-fetched hint: %s", sf_error_message());
  sf_error_reset();
}

static int run_case(const char *name)
{
  if (!strcmp(name, "values")) case_values();
  else if (!strcmp(name, "unused")) case_unused();
  else if (!strcmp(name, "bad")) case_bad();
  else if (!strcmp(name, "help")) case_help();
  else if (!strcmp(name, "ints")) case_ints();
  else if (!strcmp(name, "required")) case_required();
  else EXPECT(0, "unknown case %s", name);
  return failures;
}

/* ------------------------------------------------------------------ parent */

/* The options-file scanner, run in this process (it needs no PETSc). */
static int nincl;
static char incl_path[64];
static int incl_line;
static int record_include(void *ctx, const char *path, const char *from, int line)
{
  nincl++;
  snprintf(incl_path, sizeof incl_path, "%s", path);
  incl_line = line;
  return SF_OK;
}

static void expect_scan_error(const char *text, size_t len, const char *must)
{
  sf_error_reset();
  int st = sf_options_scan_text("t.opts", text, len, NULL, NULL);
  EXPECT(st == SF_ERR_FILE && has(sf_error_message(), must), "scan of '%.30s': st=%d msg '%s' lacks '%s'",
         text, st, sf_error_message(), must);
  sf_error_reset();
}

static void test_scan_text(void)
{
  const char *ok = "# comment\n\n  -ecut 10   # trailing\n-title \"a b\"\r\n\t-verbose\n"
                   "alias -ec -ecut\n-OPTIONS_FILE inc.opts\n-shift -0.5,-inf\n";
  nincl = 0;
  EXPECT(sf_options_scan_text("t.opts", ok, strlen(ok), record_include, NULL) == 0,
         "valid file: %s", sf_error_message());
  EXPECT(nincl == 1 && !strcmp(incl_path, "inc.opts") && incl_line == 7,
         "include reported: %d '%s' line %d", nincl, incl_path, incl_line);
  expect_scan_error("-ecut 10\n-title \"abc\n", 21, "t.opts:2: unbalanced quote");
  expect_scan_error("-ecut 10 11\n", 12, "t.opts:1: extra text '11'");
  expect_scan_error("-ecut -nband\n", 13, "t.opts:1: two options");
  expect_scan_error("-ecut\n10\n", 9, "t.opts:2: expected an option");
  expect_scan_error("-title ab\"c\n", 12, "t.opts:1: a quote inside");
  expect_scan_error("-ecut 1\n-x \0\x01\x02\n", 14, "t.opts:2: a NUL byte");
  expect_scan_error("-ecut 1\x1b[0m\n", 12, "t.opts:1: control byte 0x1b");
  expect_scan_error("---\necut: 10\n", 14, "YAML");
  expect_scan_error("-options_file\n", 14, "t.opts:1: -options_file needs a value");
  expect_scan_error("alias -a\n", 9, "t.opts:1: an alias line");
  static char longline[6000];
  memset(longline, 'x', sizeof longline);
  memcpy(longline, "-title ", 7);
  expect_scan_error(longline, sizeof longline, "t.opts:1: line longer than");
}

/* Include chains on disk: a cycle is named file by file, in include order. */
static void test_include_files(const char *dir)
{
  char a[160], b[160], c[160], self[160];
  snprintf(a, sizeof a, "%s/a.opts", dir);
  snprintf(b, sizeof b, "%s/b.opts", dir);
  snprintf(c, sizeof c, "%s/c.opts", dir);
  snprintf(self, sizeof self, "%s/self.opts", dir);
  FILE *f = fopen(self, "w");
  if (f) fprintf(f, "-ecut 5\n-options_file %s\n", self), fclose(f);
  sf_error_reset();
  EXPECT(sf_options_check_file(self) == SF_ERR_FILE && has(sf_error_message(), "cycle") &&
             has(sf_error_message(), "self.opts -> ") && has(sf_error_message(), self),
         "self include: %s", sf_error_message());
  f = fopen(a, "w");
  if (f) fprintf(f, "-options_file %s\n-options_file %s\n", b, b), fclose(f); /* twice: fine */
  f = fopen(b, "w");
  if (f) fprintf(f, "-nband 4\n"), fclose(f);
  sf_error_reset();
  EXPECT(sf_options_check_file(a) == 0, "including one file twice is no cycle: %s",
         sf_error_message());
  f = fopen(b, "w");
  if (f) fprintf(f, "-options_file %s\n", c), fclose(f);
  f = fopen(c, "w");
  if (f) fprintf(f, "# back to the start\n-options_file %s\n", a), fclose(f);
  char chain[700];
  snprintf(chain, sizeof chain, "%s -> %s -> %s -> %s", a, b, c, a);
  sf_error_reset();
  EXPECT(sf_options_check_file(a) == SF_ERR_FILE && has(sf_error_message(), chain),
         "3-file cycle: %s", sf_error_message());
  /* a chain of distinct files deeper than the bound: d0 -> d1 -> ... -> d17 */
  for (int i = 0; i <= SF_OPTIONS_MAX_DEPTH + 1; i++) {
    char d[160];
    snprintf(d, sizeof d, "%s/d%d.opts", dir, i);
    f = fopen(d, "w");
    if (f) fprintf(f, "-options_file %s/d%d.opts\n", dir, i + 1), fclose(f);
  }
  char d0[160];
  snprintf(d0, sizeof d0, "%s/d0.opts", dir);
  sf_error_reset();
  EXPECT(sf_options_check_file(d0) == SF_ERR_FILE && has(sf_error_message(), "deeper than 16"),
         "depth bound: %s", sf_error_message());
  sf_error_reset();
  snprintf(c, sizeof c, "%s/missing.opts", dir);
  f = fopen(b, "w");
  if (f) fprintf(f, "\n-options_file %s\n", c), fclose(f);
  EXPECT(sf_options_check_file(b) == SF_ERR_FILE && has(sf_error_message(), "missing.opts") &&
             has(sf_error_message(), "b.opts:2"),
         "missing include names where: %s", sf_error_message());
  sf_error_reset();
}

static char optsfile[128], outfile[128];

static int spawn(const char *name, char **args)
{
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) dup2(fd, 1);
    setenv("SF_TEST_OPTIONS_CASE", name, 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    execv("/proc/self/exe", args);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  FILE *f = fopen(outfile, "r");
  char line[1024];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "FAIL", 4)) printf("[%s] %s", name, line);
  if (f) fclose(f);
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
  if (rc) printf("case %s: %d failure(s)\n", name, rc);
  return rc;
}

static char *slurp(const char *path)
{
  static char buf[65536];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = '\0';
  if (f) fclose(f);
  return buf;
}

int main(int argc, char **argv)
{
  const char *c = getenv("SF_TEST_OPTIONS_CASE");
  if (c) {
    if (sf_options_initialize(&argc, &argv)) return 90;
    int nf = run_case(c);
    fflush(stdout);
    sf_options_finalize();
    return nf;
  }

  snprintf(optsfile, sizeof optsfile, "/tmp/sf_test_options_%d.opts", (int)getpid());
  snprintf(outfile, sizeof outfile, "/tmp/sf_test_options_%d.out", (int)getpid());
  FILE *f = fopen(optsfile, "w");
  if (!f) {
    printf("test_options: cannot write %s\n", optsfile);
    return 1;
  }
  fprintf(f, "# test options\n-ecut 12   # overridden\n-zzqq_other 1\n-tsmear 0.005\n"
             "-acell 9.5,9.5,9.75\n");
  fclose(f);

  /* "values" reads its own file: the shared one holds the stray -zzqq_other. */
  char valfile[140];
  snprintf(valfile, sizeof valfile, "%s.v", optsfile);
  f = fopen(valfile, "w");
  if (f) {
    fprintf(f, "-ecut 12\n-tsmear 0.005\n-acell 9.5,9.5,9.75\n");
    fclose(f);
  }
  char *a_values[] = {argv[0], "-options_file", valfile, "-ecut", "15", "-nband", "8",
                      "-ngkpt", "6,6,4", "-verbose", "-title", "hello world", "-pseudos",
                      "a.psp,b.psp", NULL};
  char *a_unused[] = {argv[0], "-options_file", optsfile, "-ecutt", "10", "-nband", "3", NULL};
  char *a_bad[] = {argv[0], "-ecut", "abc", "-nband", "3.5", "-ngkpt", "4,4", "-acell",
                   "1,2,3,4", "-flag", "maybe", "-tsmear", NULL};
  char *a_help[] = {argv[0], "-help", "-ecut", "3", "-bogus", "1", NULL};

  char *a_ints[] = {argv[0], "-wrap", "4294967297", "-huge", "99999999999999999999999999999",
                    "-nstep", "-5", "-nband", "100", "-ngkpt", "4294967298,2,2", "-ngfft",
                    "24,-40,40", "-typat", "-2,+0,2147483647", "-bad", "1,,2", NULL};
  char *a_required[] = {argv[0], "-ecutt", "10", NULL};

  test_scan_text();
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/sf_test_options_%d.d", (int)getpid());
  if (!mkdir(dir, 0700)) {
    test_include_files(dir);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) printf("test_options: could not remove %s\n", dir);
  }
  failures += spawn("values", a_values);
  failures += spawn("unused", a_unused);
  failures += spawn("bad", a_bad);
  failures += spawn("ints", a_ints);
  failures += spawn("required", a_required);
  failures += spawn("help", a_help);
  const char *h = slurp(outfile);
  EXPECT(has(h, "-ecut") && has(h, "plane-wave kinetic-energy cutoff (Ha)") && has(h, "10"),
         "help table lists -ecut with default and help:\n%s", h);
  EXPECT(has(h, "-tao_*"), "help lists pass-through prefix");
  EXPECT(!has(h, "Options for all PETSc programs"), "PETSc's own help is silenced:\n%s", h);

  remove(optsfile);
  remove(valfile);
  remove(outfile);
  printf("test_options: %d failures\n", failures);
  return failures ? 1 : 0;
}
