/* test_psp_find.c — which file a -pseudos name means (sf_psp_find): the search order
 * options-file folder > -pp_dirpath > data/psp > /usr/share/abinit/psp, the working
 * directory for a name given on the command line, absolute paths in the result, one
 * message listing the folders for a name found nowhere, and devices, FIFOs and folders
 * refused (also by sf_md5_file, which would otherwise digest /dev/zero forever). */
#define _DEFAULT_SOURCE
#include "strainfield/core.h"
#include "strainfield/pseudo.h"
#include "expect.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SF_SOURCE_DIR
#error "SF_SOURCE_DIR (the repository root) is set by tests/CMakeLists.txt"
#endif
#define ABINIT_PSP "/usr/share/abinit/psp"

static char top[PATH_MAX], dir_a[PATH_MAX + 8], dir_b[PATH_MAX + 8];

static void touch(const char *dir, const char *name)
{
  char p[2 * PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (f) {
    fprintf(f, "%s\n", p);
    fclose(f);
  }
}

/* sf_psp_find(name, origin, pp_dirpath) must succeed with realpath(want). */
static void expect_found(const char *name, const char *origin, const char *pp, const char *want_dir,
                         const char *want_name)
{
  char got[PATH_MAX] = "", want[2 * PATH_MAX], *real;
  snprintf(want, sizeof want, "%s/%s", want_dir, want_name);
  real = realpath(want, NULL);
  sf_error_reset();
  int st = sf_psp_find(name, origin, pp, got, sizeof got);
  EXPECT(st == SF_OK, "%s (origin %s, pp_dirpath %s): %s", name, origin, pp, sf_error_message());
  EXPECT(real && !strcmp(got, real), "%s (origin %s, pp_dirpath %s) gave %s, expected %s", name, origin,
         pp, got, real ? real : want);
  EXPECT(got[0] == '/', "%s: result %s is not absolute", name, got);
  free(real);
}

/* sf_psp_find must fail with SF_ERR_FILE and a message naming `option` and saying `text`. */
static void expect_refused(const char *name, const char *origin, const char *pp, const char *option,
                           const char *text)
{
  char got[PATH_MAX];
  sf_error_reset();
  int st = sf_psp_find(name, origin, pp, got, sizeof got);
  EXPECT(st == SF_ERR_FILE, "%s: status %d, expected SF_ERR_FILE", name, st);
  EXPECT(strstr(sf_error_message(), option) && strstr(sf_error_message(), text),
         "%s: message \"%s\" lacks %s / \"%s\"", name, sf_error_message(), option, text);
}

int main(void)
{
  snprintf(top, sizeof top, "/tmp/sf_psp_find_XXXXXX");
  if (!mkdtemp(top)) return printf("test_psp_find: mkdtemp failed\n"), 1;
  snprintf(dir_a, sizeof dir_a, "%s/a", top); /* the options file's folder */
  snprintf(dir_b, sizeof dir_b, "%s/b", top); /* -pp_dirpath */
  mkdir(dir_a, 0755);
  mkdir(dir_b, 0755);
  touch(dir_a, "x.psp");
  touch(dir_b, "x.psp");
  touch(dir_b, "only_b.psp");
  touch(dir_b, "mg.pseu");

  /* the order: options-file folder, then -pp_dirpath, then data/psp, then ABINIT's */
  expect_found("x.psp", dir_a, dir_b, dir_a, "x.psp");
  expect_found("only_b.psp", dir_a, dir_b, dir_b, "only_b.psp");
  expect_found("mg.pseu", dir_a, dir_b, dir_b, "mg.pseu");
  expect_found("mg.pseu", dir_a, NULL, SF_SOURCE_DIR "/data/psp", "mg.pseu");
  expect_found("12mg.pspnc", dir_a, "", ABINIT_PSP, "12mg.pspnc");
  touch(dir_a, "12mg.pspnc");
  expect_found("12mg.pspnc", dir_a, "", dir_a, "12mg.pspnc");
  /* subfolders and "..", and an absolute name taken as is */
  expect_found("../b/only_b.psp", dir_a, NULL, dir_b, "only_b.psp");
  expect_found(ABINIT_PSP "/13al.pspnc", dir_a, dir_b, ABINIT_PSP, "13al.pspnc");
  /* given on the command line (no origin folder): the working directory */
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) && !chdir(dir_b)) {
    expect_found("x.psp", "", dir_a, dir_b, "x.psp");
    expect_found("x.psp", NULL, NULL, dir_b, "x.psp");
    if (chdir(cwd)) printf("cannot return to %s\n", cwd);
  }

  /* found nowhere: one message listing every folder searched, in order */
  expect_refused("nothere.psp", dir_a, dir_b, "-pseudos: ", "nothere.psp not found in");
  char list[4 * PATH_MAX];
  snprintf(list, sizeof list, "%s, %s, %s, %s", dir_a, dir_b, SF_SOURCE_DIR "/data/psp", ABINIT_PSP);
  EXPECT(strstr(sf_error_message(), list) != NULL, "message \"%s\" does not list \"%s\"",
         sf_error_message(), list);

  /* a -pp_dirpath that is no folder is named, even when the name is found elsewhere */
  char file_b[2 * PATH_MAX];
  snprintf(file_b, sizeof file_b, "%s/x.psp", dir_b);
  expect_refused("x.psp", dir_a, "/nonexistent_pp_dirpath", "-pp_dirpath: /nonexistent_pp_dirpath",
                 "is not a folder");
  expect_refused("x.psp", dir_a, file_b, "-pp_dirpath: ", "is not a folder");

  /* not regular files: a device, a FIFO (opening it would block), a folder */
  char fifo[2 * PATH_MAX], sub[2 * PATH_MAX];
  snprintf(fifo, sizeof fifo, "%s/fifo.psp", dir_a);
  snprintf(sub, sizeof sub, "%s/sub.psp", dir_a);
  EXPECT(mkfifo(fifo, 0644) == 0, "mkfifo %s failed", fifo);
  EXPECT(mkdir(sub, 0755) == 0, "mkdir %s failed", sub);
  expect_refused("/dev/zero", dir_a, NULL, "-pseudos: ", "not a regular file");
  expect_refused("fifo.psp", dir_a, NULL, "-pseudos: ", "not a regular file");
  /* a folder of that name in an earlier folder is refused, not skipped past */
  touch(dir_b, "sub.psp");
  expect_refused("sub.psp", dir_a, dir_b, "-pseudos: ", "not a regular file");
  char hex[33];
  sf_error_reset();
  EXPECT(sf_md5_file("/dev/zero", hex) == SF_ERR_FILE && strstr(sf_error_message(), "not a regular file"),
         "sf_md5_file(/dev/zero): \"%s\"", sf_error_message());
  sf_error_reset();
  EXPECT(sf_md5_file(fifo, hex) == SF_ERR_FILE, "sf_md5_file(FIFO) accepted");

  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
  if (system(cmd)) printf("could not remove %s\n", top);
  printf("test_psp_find: %d failures\n", failures);
  return failures != 0;
}
