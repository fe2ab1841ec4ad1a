/* main.c — subcommand dispatch only: PETSc/MPI start-up, error reporting, exit code. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/options.h"
#include "sf_git_commit.h" /* SF_GIT_COMMIT, generated at build time (cmake/GitCommit.cmake) */

#include <cblas.h>
#include <petscsys.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*run)(void);
  const char *what;
} subcommand;

static const subcommand subcommands[] = {
    {"scf", sf_cmd_scf, "one Kohn-Sham ground state of a cell, with forces and stress"},
    {"relax", sf_cmd_relax, "scf + BFGS (PETSc TAO) relaxation of the atoms: fixed cell or uniaxial strain"},
    {"generate", sf_cmd_generate, "sample strains, relax each cell, write a resumable HDF5 dataset"},
    {"train", sf_cmd_train, "distributed PCA of the fields + Adam training of the networks (rank groups, data-parallel inside)"},
    {"predict", sf_cmd_predict, "a trained model at strains D: fields, positions, energy, dF/dD"},
    {"run", sf_cmd_run, "generate, train, then evaluate the test samples in one run, ending with the tables of the test errors"},
    {"evaluate", sf_cmd_evaluate, "a model against its dataset: F by the direct and sum routes, U, -TS, field errors"},
    {"path", sf_cmd_path, "a trained model under uniaxial stress: stress-strain path, positions, instability"},
    {"elastic", sf_cmd_elastic, "relaxed-ion elastic tensor of a cell from DFT: stress finite differences, atoms relaxed"},
};
#define NSUB (int)(sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *out)
{
  fprintf(out, "usage: strainfield <subcommand> [-options_file FILE] [-option value ...]\n"
               "       strainfield -version\n\nsubcommands:\n");
  for (int i = 0; i < NSUB; i++) fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].what);
  fprintf(out, "\n'strainfield <subcommand> -help' lists that subcommand's options with their defaults.\n");
}

/* The options every subcommand shares (the log level), then the subcommand itself. */
static int run_subcommand(const subcommand *sub, const char *name)
{
  int verbose = 0, verbosity = 1;
  SF_CHECK(sf_options_begin(name));
  SF_CHECK(sf_opt_bool("-v", 0, "verbose: per-iteration SCF residuals (same as -verbosity 2)", &verbose, NULL));
  SF_CHECK(sf_opt_int("-verbosity", 1, "0 quiet, 1 normal, 2 per-iteration, 3 debug", &verbosity, NULL));
  sf_log_set_level(verbose && verbosity < 2 ? 2 : verbosity);
  return sub->run();
}

int main(int argc, char **argv)
{
  /* before MPI starts: a version query must work on a login node without mpirun */
  if (argc >= 2 && (!strcmp(argv[1], "-version") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
    printf("strainfield %s (git %s)\n", SF_VERSION, SF_GIT_COMMIT);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const subcommand *sub = NULL;
  for (int i = 0; i < NSUB; i++)
    if (!strcmp(argv[1], subcommands[i].name)) sub = &subcommands[i];
  if (!sub) {
    fprintf(stderr, "strainfield: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
  }
  /* PETSc must not see the subcommand word */
  char *name = argv[1];
  for (int i = 1; i < argc - 1; i++) argv[i] = argv[i + 1];
  argc--;
  int st0 = sf_options_initialize(&argc, &argv);
  if (st0) {
    sf_error_print(stderr);
    return st0;
  }
  /* after PetscInitialize, whose own SIGTERM handler would abort: ours lets long loops
   * stop at a safe point (SLURM's time limit sends SIGTERM) */
  sf_signals_install();
  /* one BLAS thread per rank: MPI already fills the cores, and threaded small ZGEMMs
   * inside each rank are slower than serial ones */
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sf_log_set_rank(rank);
  int status = run_subcommand(sub, name);
  int code = 0;
  if (status == SF_HELP_SHOWN) code = 0;
  else if (status) {
    /* A stop by signal is not a failure: say what happened and how to go on, without
     * the "error:" a job script's log search would flag. */
    if (rank == 0 && status == SF_STOPPED) fprintf(stderr, "strainfield: %s\n", sf_error_message());
    else if (rank == 0) sf_error_print(stderr);
    code = status;
  }
  sf_options_finalize();
  return code;
}
