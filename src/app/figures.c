/* figures.c — `run -figures DIR`: the paper's figures of a finished run.  The numbers
 * the figures need that no earlier stage wrote are computed here with the run's model —
 * the predicted fields of one test sample (Figure 2) and the uniaxial paths along the
 * three axes (Figures 9, 10, with the fields along ε22) — and then the plotting tool
 * shipped with strainfield (scripts/figures/sf_figures.py: Python 3 with Debian's
 * python3-matplotlib and python3-h5py) draws every figure from the files, each PNG with
 * its CSV (docs/figures.md).  The tool is found like the pseudopotentials: beside an
 * installed binary, else in the source tree (sf_path_shipped_dir). */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"
#include "strainfield/predict.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Set by CMakeLists.txt, as for the pseudopotentials (psp_find.c). */
#ifndef SF_FIGURES_INSTALL_REL
#define SF_FIGURES_INSTALL_REL "../share/strainfield/figures"
#endif
#ifndef SF_FIGURES_SOURCE_DIR
#define SF_FIGURES_SOURCE_DIR ""
#endif
#define SF_FIGURES_TOOL "sf_figures.py"
#define SF_FIGURES_TIMEOUT_S 3600.0 /* the tool draws a 1000-sample run in seconds */

/* The paths of run -figures: the three uniaxial paths, as `path` with its defaults
 * over a range that keeps the demo models converged (docs/figures.md). */
static const double path_range[2] = {-0.06, 0.06};
enum { PATH_NPT = 25 };

static void out_name(const sf_figures_opts *o, const char *leaf, char *out, size_t len)
{
  snprintf(out, len, "%s/%s", o->dir, leaf);
}

int sf_figures_read_opts(sf_figures_opts *o)
{
  memset(o, 0, sizeof *o);
  SF_CHECK(sf_opt_string("-figures", NULL, "folder for the paper's figures (PNG + CSV, docs/figures.md), drawn at the end",
                         o->dir, sizeof o->dir, &o->on));
  SF_CHECK(sf_opt_string("-figures_python", "/usr/bin/python3",
                         "Python 3 with matplotlib and h5py that runs the figures tool (Debian's python3)", o->python,
                         sizeof o->python, NULL));
  if (o->on && !o->dir[0]) SF_ERROR(SF_ERR_INPUT, "-figures needs a folder");
  return SF_OK;
}

/* Runs argv (argv[0] a path) and waits for it, bounded by SF_FIGURES_TIMEOUT_S; a stop
 * signal ends it and returns SF_STOPPED. */
static int run_tool(char *const *argv)
{
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), status = 0;
  if (rc) SF_ERROR(SF_ERR_FILE, "-figures_python: cannot start %s (%s)", argv[0], strerror(rc));
  const double t0 = sf_wtime();
  const struct timespec nap = {0, 50000000};
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) SF_ERROR(SF_ERR_FILE, "the figures tool: waitpid failed (%s)", strerror(errno));
    const int sig = sf_stop_requested();
    if (sig || sf_wtime() - t0 > SF_FIGURES_TIMEOUT_S) {
      kill(pid, SIGTERM);
      waitpid(pid, &status, 0);
      if (sig) SF_ERROR(SF_STOPPED, "stopped by %s while drawing the figures", sf_signal_name(sig));
      SF_ERROR(SF_ERR_FILE, "the figures tool ran longer than %.0f s: stopped", SF_FIGURES_TIMEOUT_S);
    }
    nanosleep(&nap, NULL);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status))
    SF_ERROR(SF_ERR_FILE, "the figures tool %s failed (%s %d; its message is above)", argv[1],
             WIFEXITED(status) ? "exit code" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  return SF_OK;
}

/* Rank 0: the folder (made if missing), the tool and its Python (that they import what
 * they need: a missing python3-matplotlib is found before the campaign, not after). */
static int check_local(sf_figures_opts *o, const sf_path_input *inputs, int nin)
{
  struct stat st;
  if (stat(o->dir, &st) && mkdir(o->dir, 0777) && errno != EEXIST)
    SF_ERROR(SF_ERR_FILE, "-figures %s: cannot create the folder (%s)", o->dir, strerror(errno));
  if (stat(o->dir, &st) || !S_ISDIR(st.st_mode)) SF_ERROR(SF_ERR_INPUT, "-figures %s is not a folder", o->dir);
  static const char *leaves[] = {"fig2_predict.h5", "path_1.json", "path_2.json", "path_3.json", "path_2_fields.h5"};
  for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
    char p[1100];
    out_name(o, leaves[i], p, sizeof p);
    SF_CHECK(sf_path_check_output("-figures", p, inputs, nin));
  }
  char dir[1024];
  sf_path_shipped_dir(SF_FIGURES_INSTALL_REL, SF_FIGURES_SOURCE_DIR, dir, sizeof dir);
  if (!dir[0]) SF_ERROR(SF_ERR_FILE, "-figures: the figures tool is neither installed beside the binary nor in the source tree");
  snprintf(o->tool, sizeof o->tool, "%s/%s", dir, SF_FIGURES_TOOL);
  SF_CHECK(sf_path_check_regular("-figures (the tool)", o->tool));
  if (access(o->python, X_OK)) SF_ERROR(SF_ERR_FILE, "-figures_python %s: not an executable (%s)", o->python, strerror(errno));
  char *argv[] = {o->python, o->tool, "--check", NULL};
  SF_CHECK(run_tool(argv));
  return SF_OK;
}

int sf_figures_check(sf_figures_opts *o, const sf_path_input *inputs, int nin)
{
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (!o->on) return SF_OK;
  SF_CHECK(sf_status_agree(MPI_COMM_WORLD, rank == 0 ? check_local(o, inputs, nin) : SF_OK));
  return SF_OK;
}

/* The test sample of Figure 2: the one of median ρ NRMSE (a typical one, as the paper's),
 * from train's test_samples; its dataset index and strain. */
static int typical_sample(const char *train_json, int *index, double D[6])
{
  cJSON *root = NULL;
  SF_CHECK(sf_read_json_file(train_json, &root));
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "test_samples"),
              *idx = cJSON_GetObjectItemCaseSensitive(t, "index"), *Ds = cJSON_GetObjectItemCaseSensitive(t, "D"),
              *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
                                                        cJSON_GetObjectItemCaseSensitive(t, "nrmse"), "rho"),
                                                    "network");
  const int n = cJSON_GetArraySize(idx);
  int best = -1;
  if (n > 0 && cJSON_GetArraySize(v) == n && cJSON_GetArraySize(Ds) == n)
    for (int i = 0; i < n && best < 0; i++) { /* the sample with as many values below as above it */
      int below = 0, above = 0;
      const double x = cJSON_GetArrayItem(v, i)->valuedouble;
      for (int j = 0; j < n; j++) {
        const double y = cJSON_GetArrayItem(v, j)->valuedouble;
        below += y < x || (y == x && j < i);
        above += y > x || (y == x && j > i);
      }
      if (below == above || below == above - 1) best = i;
    }
  if (best >= 0) {
    *index = cJSON_GetArrayItem(idx, best)->valueint;
    for (int k = 0; k < 6; k++) D[k] = cJSON_GetArrayItem(cJSON_GetArrayItem(Ds, best), k)->valuedouble;
  }
  cJSON_Delete(root);
  if (best < 0) SF_ERROR(SF_ERR_FILE, "-figures: %s has no test_samples (a train summary of this version is needed)", train_json);
  return SF_OK;
}

/* The files only the model can give: Figure 2's prediction and the three paths. */
static int model_files(const sf_figures_opts *o, const char *model_path, const char *train_json, int *sample)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sf_model m;
  SF_CHECK(sf_model_read(model_path, &m));
  double D[6];
  char p[1100], fields[1100];
  if (rank == 0) st = typical_sample(train_json, sample, D);
  SF_CHECK_GOTO(sf_status_agree(MPI_COMM_WORLD, st));
  out_name(o, "fig2_predict.h5", p, sizeof p);
  if (rank == 0) st = sf_predict_fields_file(p, &m, D, 1);
  SF_CHECK_GOTO(sf_status_agree(MPI_COMM_WORLD, st));
  for (int dir = 1; dir <= 3; dir++) {
    char leaf[32];
    snprintf(leaf, sizeof leaf, "path_%d.json", dir);
    out_name(o, leaf, p, sizeof p);
    out_name(o, "path_2_fields.h5", fields, sizeof fields);
    const sf_path_args a = {model_path, dir, {path_range[0], path_range[1]}, PATH_NPT, "subtract", 1e-9, 5000, p,
                            dir == 2 ? fields : NULL, 1};
    int nconv = 0;
    SF_CHECK_GOTO(sf_path_files(&m, &a, &nconv));
    if (nconv < PATH_NPT)
      sf_log(1, "run: figures: %d of %d points of the path along %d did not converge (drawn as such)\n", PATH_NPT - nconv,
             PATH_NPT, dir);
  }
cleanup:
  sf_model_free(&m);
  return st;
}

int sf_figures_write(const sf_figures_opts *o, const char *dataset, const char *model, const char *train_json,
                     const char *eval_json)
{
  int rank, sample = -1, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (!o->on) return SF_OK;
  sf_log(1, "\nrun: drawing the figures into %s\n", o->dir);
  SF_CHECK(model_files(o, model, train_json, &sample));
  if (rank == 0) {
    char s[32], f2[1100], p[3][1100], pf[1100];
    snprintf(s, sizeof s, "%d", sample);
    out_name(o, "fig2_predict.h5", f2, sizeof f2);
    out_name(o, "path_2_fields.h5", pf, sizeof pf);
    for (int d = 0; d < 3; d++) {
      char leaf[32];
      snprintf(leaf, sizeof leaf, "path_%d.json", d + 1);
      out_name(o, leaf, p[d], sizeof p[d]);
    }
    char *argv[] = {(char *)o->python, (char *)o->tool, "--dataset", (char *)dataset, "--model", (char *)model,
                    "--train", (char *)train_json, "--evaluate", (char *)eval_json, "--predict-fields", f2,
                    "--sample", s, "--path", p[0], "--path", p[1], "--path", p[2], "--path-fields", pf, "--out",
                    (char *)o->dir, NULL};
    st = run_tool(argv);
  }
  SF_CHECK(sf_status_agree(MPI_COMM_WORLD, st));
  sf_log(1, "run: figures 2, 3, 4, 5, 7, 8, 9, 10 (PNG and CSV) in %s\n", o->dir);
  return SF_OK;
}
