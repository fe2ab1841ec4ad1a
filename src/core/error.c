/* error.c — the recorded error and its trace (see core.h). */
#include "strainfield/core.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char message[2048];
static char trace[4096];
static int have_error;

int sf_error_set(int code, const char *file, int line, const char *func, const char *fmt, ...)
{
  va_list ap;
  if (!have_error) {
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(trace, sizeof trace, "  at %s (%s:%d)\n", func, file, line);
    have_error = 1;
  }
  return code;
}

int sf_error_trace(int code, const char *file, int line, const char *func)
{
  size_t used = strlen(trace);
  if (used + 200 < sizeof trace)
    snprintf(trace + used, sizeof trace - used, "  at %s (%s:%d)\n", func, file, line);
  return code;
}

const char *sf_error_message(void) { return have_error ? message : ""; }

void sf_error_print(FILE *out)
{
  if (!have_error) return;
  fprintf(out, "strainfield: error: %s\n", message);
  if (sf_log_level() >= 2) fputs(trace, out);
}

void sf_error_reset(void)
{
  have_error = 0;
  message[0] = trace[0] = '\0';
}

int sf_status_agree(MPI_Comm comm, int st)
{
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  /* lowest failing rank: MPI_MIN over (rank if failed, else size) */
  int mine = st ? rank : size, first;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return SF_OK;
  int code = st;
  char msg[sizeof message];
  if (rank == first) snprintf(msg, sizeof msg, "%s", message);
  MPI_Bcast(&code, 1, MPI_INT, first, comm);
  MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, comm);
  if (rank != first) {
    sf_error_reset();
    if (size > 1) sf_error_set(code, __FILE__, __LINE__, __func__, "rank %d: %s", first, msg);
  }
  return code;
}

int sf_calloc_impl(void **p, size_t n, size_t size, const char *file, int line, const char *func)
{
  *p = NULL;
  if (n == 0) n = 1; /* a valid pointer even for empty arrays keeps callers simple */
  *p = calloc(n, size);
  if (!*p)
    return sf_error_set(SF_ERR_MEM, file, line, func, "out of memory allocating %zu x %zu bytes", n,
                        size);
  return SF_OK;
}

void sf_free(void *p) { free(p); }
