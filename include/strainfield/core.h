/* core.h — error propagation, logging and small utilities shared by every module.
 *
 * Owns: the status codes, the SF_CHECK / SF_ERROR idiom (PETSc style: each fallible
 * function returns an int, a failure is recorded once with its message and then
 * every caller on the way up adds its file:line to a trace), the logger and the
 * checked allocator.  Nothing here knows about physics.
 */
#ifndef STRAINFIELD_CORE_H
#define STRAINFIELD_CORE_H

#include <mpi.h>
#include <stddef.h>
#include <stdio.h>

#define SF_VERSION "0.1.0"

/* Status codes: 0 is success; each non-zero code says which kind of thing failed so
 * that main can choose the exit code and a test can assert the kind of failure. */
enum {
  SF_OK = 0,
  SF_ERR_INPUT = 2,   /* bad option, bad cell, inconsistent settings */
  SF_ERR_FILE = 3,    /* missing, truncated or malformed file */
  SF_ERR_MEM = 4,     /* allocation failed */
  SF_ERR_NOCONV = 5,  /* an iterative method (SCF, relaxation) did not converge */
  SF_ERR_LIB = 6,     /* an external library reported an error */
  SF_ERR_MPI = 7,     /* ranks disagree or MPI failed */
  SF_ERR_INTERNAL = 8, /* a bug: an invariant did not hold */
  SF_STOPPED = 75       /* stopped cleanly by a signal (SIGTERM, SIGINT, SIGUSR1): what is
                         * complete is written and the run resumes (sysexits' EX_TEMPFAIL,
                         * so job scripts can requeue on it) */
};

/* Record a new error (message printf-style) and return its code. */
int sf_error_set(int code, const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Append file:line to the trace of an error that is propagating; returns code. */
int sf_error_trace(int code, const char *file, int line, const char *func);
/* The first message recorded since the last reset, and the trace. */
const char *sf_error_message(void);
void sf_error_print(FILE *out);
void sf_error_reset(void);

#define SF_ERROR(code, ...) return sf_error_set((code), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define SF_CHECK(call)                                                      \
  do {                                                                      \
    int sf_status_ = (call);                                                \
    if (sf_status_) return sf_error_trace(sf_status_, __FILE__, __LINE__, __func__); \
  } while (0)

/* The cleanup form, for a function that owns resources: it declares `int st = SF_OK;`,
 * ends with a `cleanup:` label that releases everything (NULL-safe) and returns st.
 * SF_CHECK_GOTO(call) / SF_ERROR_GOTO(code, fmt, ...) set st (adding file:line) and
 * jump there, so an error path frees what the function allocated:
 *   int st = SF_OK; double *a = NULL;
 *   SF_CHECK_GOTO(sf_calloc((void **)&a, n, sizeof *a));
 *   SF_CHECK_GOTO(work(a));
 * cleanup:
 *   sf_free(a);
 *   return st;
 * The compiler refuses a function that lacks `st` or `cleanup`. */
#define SF_CHECK_GOTO(call)                                                 \
  do {                                                                      \
    int sf_status_ = (call);                                                \
    if (sf_status_) {                                                       \
      st = sf_error_trace(sf_status_, __FILE__, __LINE__, __func__);        \
      goto cleanup;                                                         \
    }                                                                       \
  } while (0)
#define SF_ERROR_GOTO(code, ...)                                            \
  do {                                                                      \
    st = sf_error_set((code), __FILE__, __LINE__, __func__, __VA_ARGS__);   \
    goto cleanup;                                                           \
  } while (0)

/* Ranks agree on a status before a collective that follows fallible local work (else a
 * rank that failed alone returns while the others wait in the collective).  Collective
 * over comm: returns the lowest-ranked failing rank's status on every rank, and that
 * rank's message becomes every rank's error message ("rank R: ..."); SF_OK when all
 * succeeded.  Usage:  SF_CHECK(sf_status_agree(comm, local_status)); */
int sf_status_agree(MPI_Comm comm, int st);

/* A PETSc call checked on its own: a non-zero PetscErrorCode becomes SF_ERR_LIB with the
 * call's text and file:line (ierr is any integer-typed expression). */
#define SF_PETSC(call)                                                      \
  do {                                                                      \
    int sf_perr_ = (int)(call);                                             \
    if (sf_perr_)                                                           \
      return sf_error_set(SF_ERR_LIB, __FILE__, __LINE__, __func__,         \
                          "PETSc error %d in %s", sf_perr_, #call);         \
  } while (0)
#define SF_PETSC_GOTO(call)                                                 \
  do {                                                                      \
    int sf_perr_ = (int)(call);                                             \
    if (sf_perr_) SF_ERROR_GOTO(SF_ERR_LIB, "PETSc error %d in %s", sf_perr_, #call); \
  } while (0)

/* Checked allocation: zero-filled; on failure records SF_ERR_MEM. Usage:
 *   SF_CHECK(sf_calloc((void **)&p, n, sizeof *p)); */
int sf_calloc_impl(void **p, size_t n, size_t size, const char *file, int line, const char *func);
#define sf_calloc(p, n, size) sf_calloc_impl((p), (n), (size), __FILE__, __LINE__, __func__)
void sf_free(void *p); /* free(NULL) is fine; exists so every module frees the same way */

/* Logging.  Levels: 0 quiet, 1 normal (default), 2 verbose (-v), 3 debug.
 * Only rank 0 of MPI_COMM_WORLD prints unless sf_log_all_ranks(1). */
void sf_log_set_level(int level);
int sf_log_level(void);
void sf_log_set_rank(int rank);
void sf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Wall-clock seconds since an arbitrary origin. */
double sf_wtime(void);

/* MD5 of a file as 32 hex chars + NUL; used to identify pseudopotentials in outputs. */
int sf_md5_file(const char *path, char hex[33]);
/* MD5 of n bytes in memory (the checksum of a campaign part file's content). */
void sf_md5_buffer(const void *data, size_t n, char hex[33]);

/* Paths, checked before any work starts.  sf_path_check_regular: `path` exists and is
 * a regular file (not a device, FIFO or folder); the message names `option`.
 * sf_path_check_output: `path` is not an existing folder, its folder exists and is
 * writable, and it is not the same file (by name, or device and inode) as any input. */
typedef struct {
  const char *option; /* e.g. "-dataset" */
  const char *path;   /* NULL or "" entries are skipped */
} sf_path_input;
int sf_path_check_regular(const char *option, const char *path);
int sf_path_check_output(const char *option, const char *path, const sf_path_input *inputs,
                         int ninputs);
/* A folder shipped with strainfield: <folder of the running binary>/install_rel when it
 * exists (an installed, or moved, tree: e.g. "../share/strainfield/psp"), else source_dir
 * (a binary run from its build tree: the source's folder), else "" (neither exists). */
void sf_path_shipped_dir(const char *install_rel, const char *source_dir, char *out, size_t len);

/* Clean stops.  sf_signals_install: SIGTERM, SIGINT and SIGUSR1 set a flag instead of
 * killing the process (a second identical signal kills).  Long loops poll
 * sf_stop_requested() (0, or the signal number) where stopping loses nothing; in a
 * collective loop every rank calls sf_stop_agreed(comm), which returns the same non-zero
 * value on all ranks of comm once any rank has seen a signal.  sf_stop_request sets the
 * flag by hand (tests, kill points). */
void sf_signals_install(void);
int sf_stop_requested(void);
void sf_stop_request(int sig);
int sf_stop_agreed(MPI_Comm comm);
const char *sf_signal_name(int sig);

#endif
