/* test_points.c — test-only kill and failure points of the campaign (docs/dataset.md,
 * "Testing crash safety").  Nothing happens unless the environment asks for it:
 *
 *   SF_TEST_KILL_AT=PHASE[:N]  the process raises SIGKILL on itself the N-th time
 *                              (default 1) it reaches PHASE;
 *   SF_TEST_FAIL_AT=PHASE[:N]  the N-th write at PHASE fails as on a full disk (ENOSPC).
 *
 * The tests use them to stop a campaign at every phase (start, mid-sample, part-write,
 * assembly, parts-removal) rather than at random moments, and to check each error path. */
#include "strainfield/dataset.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phases[] = {"start", "mid-sample", "part-write", "assembly", "parts-removal", NULL};

/* 1 when this is the N-th time `phase` is reached and the variable `var` names it. */
static int hit(const char *var, const char *phase, int *counts)
{
  const char *want = getenv(var);
  if (!want || !want[0]) return 0;
  size_t len = strcspn(want, ":");
  if (strlen(phase) != len || strncmp(want, phase, len)) return 0;
  long n = want[len] == ':' ? strtol(want + len + 1, NULL, 10) : 1;
  for (int k = 0; phases[k]; k++)
    if (!strcmp(phases[k], phase)) return ++counts[k] == n;
  return 0;
}

void sf_test_kill_point(const char *phase)
{
  static int counts[8];
  if (!hit("SF_TEST_KILL_AT", phase, counts)) return;
  fprintf(stderr, "strainfield: SF_TEST_KILL_AT=%s: killing myself\n", getenv("SF_TEST_KILL_AT"));
  fflush(stderr);
  raise(SIGKILL);
}

int sf_test_fail_point(const char *phase)
{
  static int counts[8];
  return hit("SF_TEST_FAIL_AT", phase, counts);
}
