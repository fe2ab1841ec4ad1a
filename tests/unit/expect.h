/* expect.h — the one assertion idiom of the unit tests: EXPECT(cond, printf-args) counts
 * a failure and says where; each test ends with "test_X: N failures" and exits non-zero
 * when N > 0.  A test on several ranks sets expect_rank to its rank, so each failure
 * says which rank saw it (and sums `failures` over the ranks at the end). */
#ifndef STRAINFIELD_TEST_EXPECT_H
#define STRAINFIELD_TEST_EXPECT_H

#include <stdio.h>

static int failures;
static int expect_rank __attribute__((unused)) = -1; /* < 0: a one-rank test, no rank in the message */
#define EXPECT(cond, ...)                                             \
  do {                                                                \
    if (!(cond)) {                                                    \
      failures++;                                                     \
      if (expect_rank >= 0) printf("[rank %d] ", expect_rank);        \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                     \
      printf(__VA_ARGS__);                                            \
      printf("\n");                                                   \
      fflush(stdout);                                                 \
    }                                                                 \
  } while (0)

#endif
