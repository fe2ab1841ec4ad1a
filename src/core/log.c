/* log.c — the one logger (see core.h): rank 0 prints, levels gate verbosity. */
#define _POSIX_C_SOURCE 200809L
#include "strainfield/core.h"

#include <stdarg.h>
#include <time.h>

static int log_level = 1;
static int log_rank = 0;

void sf_log_set_level(int level) { log_level = level; }
int sf_log_level(void) { return log_level; }
void sf_log_set_rank(int rank) { log_rank = rank; }

void sf_log(int level, const char *fmt, ...)
{
  va_list ap;
  if (level > log_level || log_rank != 0) return;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fflush(stdout);
}

double sf_wtime(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
