/* test_errors.c — the error idiom of core.h: sf_status_agree gives every rank the
 * lowest failing rank's status and message (run on 2 ranks); SF_CHECK_GOTO / SF_PETSC
 * propagate with the right code and message; error paths of functions in the cleanup
 * form free what they allocated (the sanitizer build, scripts/run_sanitizers.sh, reports
 * any leak of these error paths). */
#include "strainfield/core.h"
#include "strainfield/options.h"
#include "strainfield/pseudo.h"
#include "expect.h"

#include <petscvec.h>
#include <stdlib.h>
#include <string.h>

static int rank, nproc;

static void test_agree(void)
{
  /* nobody failed */
  sf_error_reset();
  EXPECT(sf_status_agree(MPI_COMM_WORLD, SF_OK) == SF_OK, "all ranks OK");
  EXPECT(sf_error_message()[0] == '\0', "no message when all succeed: '%s'", sf_error_message());

  /* the last rank fails alone: every rank returns its status and sees its message */
  const int bad = nproc - 1;
  sf_error_reset();
  int st = rank == bad ? sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot read x.dat") : SF_OK;
  st = sf_status_agree(MPI_COMM_WORLD, st);
  EXPECT(st == SF_ERR_FILE, "status %d, expected SF_ERR_FILE from rank %d", st, bad);
  EXPECT(strstr(sf_error_message(), "cannot read x.dat"), "message '%s'", sf_error_message());
  if (rank != bad) {
    char want[64];
    snprintf(want, sizeof want, "rank %d: ", bad);
    EXPECT(!strncmp(sf_error_message(), want, strlen(want)), "message '%s' names rank %d", sf_error_message(),
           bad);
  }

  /* every rank fails differently: the lowest rank's status and message win */
  sf_error_reset();
  st = sf_error_set(rank == 0 ? SF_ERR_INPUT : SF_ERR_MEM, __FILE__, __LINE__, __func__, "failure of rank %d",
                    rank);
  st = sf_status_agree(MPI_COMM_WORLD, st);
  EXPECT(st == SF_ERR_INPUT, "status %d, expected rank 0's SF_ERR_INPUT", st);
  EXPECT(strstr(sf_error_message(), "failure of rank 0"), "message '%s'", sf_error_message());
  sf_error_reset();
}

/* A function in the cleanup form: allocates, then fails at step `fail_at`. */
static int cleanup_form(int fail_at, int *reached)
{
  int st = SF_OK;
  double *a = NULL, *b = NULL;
  *reached = 0;
  SF_CHECK_GOTO(sf_calloc((void **)&a, 1000, sizeof *a));
  if (fail_at == 1) SF_ERROR_GOTO(SF_ERR_INPUT, "step 1 failed");
  SF_CHECK_GOTO(sf_calloc((void **)&b, 1000, sizeof *b));
  SF_CHECK_GOTO(fail_at == 2 ? sf_error_set(SF_ERR_NOCONV, __FILE__, __LINE__, __func__, "step 2 failed") : SF_OK);
  *reached = 1;
cleanup:
  sf_free(a);
  sf_free(b);
  return st;
}

static int petsc_failure(void)
{
  Vec v = NULL;
  PetscInt i;
  PetscBool set;
  SF_PETSC(PetscOptionsSetValue(NULL, "-not_an_int", "abc"));
  SF_PETSC(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  int st = SF_OK;
  SF_PETSC_GOTO(VecCreateSeq(PETSC_COMM_SELF, 3, &v));
  SF_PETSC_GOTO(PetscOptionsGetInt(NULL, NULL, "-not_an_int", &i, &set)); /* PETSc refuses "abc" */
cleanup:
  PetscPopErrorHandler();
  VecDestroy(&v);
  PetscOptionsClearValue(NULL, "-not_an_int");
  return st;
}

static void test_idiom(void)
{
  int reached;
  sf_error_reset();
  EXPECT(cleanup_form(0, &reached) == SF_OK && reached, "no failure");
  EXPECT(cleanup_form(1, &reached) == SF_ERR_INPUT && !reached, "SF_ERROR_GOTO");
  EXPECT(!strcmp(sf_error_message(), "step 1 failed"), "message '%s'", sf_error_message());
  sf_error_reset();
  EXPECT(cleanup_form(2, &reached) == SF_ERR_NOCONV && !reached, "SF_CHECK_GOTO");
  EXPECT(!strcmp(sf_error_message(), "step 2 failed"), "message '%s'", sf_error_message());
  sf_error_reset();
  EXPECT(petsc_failure() == SF_ERR_LIB, "SF_PETSC_GOTO gives SF_ERR_LIB");
  EXPECT(strstr(sf_error_message(), "PetscOptionsGetInt"), "the message names the PETSc call: '%s'",
         sf_error_message());
  sf_error_reset();
}

/* Error paths after allocations, in library functions (leaks show in the ASan build). */
static void test_error_paths(void)
{
  int v[4], n;
  double r[4];
  char s[4][1024];
  char longitem[1500];
  memset(longitem, 'a', sizeof longitem - 1);
  longitem[sizeof longitem - 1] = '\0';
  EXPECT(sf_options_begin("test") == SF_OK, "options begin");
  PetscOptionsSetValue(NULL, "-bad_ints", "1,x,3");
  /* (not a bad real: PETSc 3.18's PetscOptionsGetRealArray leaks its tokenizer when it
   * refuses a value, which the sanitizer build would report as ours) */
  PetscOptionsSetValue(NULL, "-many_reals", "1,2,3,4,5,6");
  PetscOptionsSetValue(NULL, "-many_ints", "1,2,3,4,5,6");
  PetscOptionsSetValue(NULL, "-long_strings", longitem);
  EXPECT(sf_opt_int_array("bad_ints", 4, 0, NULL, 0, "", v, &n, NULL) == SF_ERR_INPUT, "bad integer list");
  EXPECT(sf_opt_int_array("many_ints", 4, 0, NULL, 0, "", v, &n, NULL) == SF_ERR_INPUT, "too many integers");
  EXPECT(sf_opt_real_array("many_reals", 4, 0, NULL, 0, "", r, &n, NULL) == SF_ERR_INPUT, "too many reals");
  EXPECT(sf_opt_string_array("long_strings", 4, "", s, &n, NULL) == SF_ERR_INPUT, "over-long item");
  sf_error_reset();

  /* a pseudopotential cut short in its radial tables: read, partly tabulated, refused */
  FILE *f = fopen(SF_SOURCE_DIR "/data/psp/mg.pseu", "rb");
  static char text[1 << 20];
  size_t len = f ? fread(text, 1, sizeof text, f) : 0;
  if (f) fclose(f);
  EXPECT(len > 1000, "read mg.pseu");
  sf_psp psp;
  EXPECT(sf_psp_read_buffer("cut.pseu", text, len / 2, 20.0, &psp) == SF_ERR_FILE, "truncated psp refused");
  sf_error_reset();
}

int main(int argc, char **argv)
{
  if (sf_options_initialize(&argc, &argv)) return 90;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nproc);
  expect_rank = nproc > 1 ? rank : -1;
  test_agree();
  test_idiom();
  test_error_paths();
  MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("test_errors: %d failures\n", failures);
  sf_options_finalize();
  return failures != 0;
}
