/* signals.c — a clean stop on SIGTERM, SIGINT and SIGUSR1 (see core.h).
 *
 * Owns: the handlers and the one flag they set.  SLURM sends SIGTERM at the time limit
 * (or the signal of --signal before it); Open MPI's mpirun forwards SIGTERM, SIGINT and
 * SIGUSR1 to every rank.  The handler only records the signal: long loops poll
 * sf_stop_requested() at points where stopping loses nothing, and the ranks agree with
 * sf_stop_agreed() so that all of them stop at the same point of a collective loop.
 */
#include "strainfield/core.h"

#include <mpi.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
  /* A second signal of the same kind means "now": restore the default and re-raise. */
  if (stop_signal == sig) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  stop_signal = sig;
}

void sf_signals_install(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGTERM, SIGINT, SIGUSR1};
  for (int i = 0; i < 3; i++) sigaction(sigs[i], &sa, NULL);
}

int sf_stop_requested(void) { return stop_signal; }

void sf_stop_request(int sig) { stop_signal = sig; }

int sf_stop_agreed(MPI_Comm comm)
{
  int mine = stop_signal, any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm);
  if (any && !stop_signal) stop_signal = any;
  return any;
}

const char *sf_signal_name(int sig)
{
  switch (sig) {
  case SIGTERM: return "SIGTERM";
  case SIGINT: return "SIGINT";
  case SIGUSR1: return "SIGUSR1";
  default: return "a signal";
  }
}
