/* expect.h — the one assertion idiom of the unit tests: EXPECT(cond, printf-args) counts
 * a failure and says where; each test ends with "test_X: N failures" and exits non-zero
 * when N > 0. */
#ifndef STRAINFIELD_TEST_EXPECT_H
#define STRAINFIELD_TEST_EXPECT_H

#include <stdio.h>

static int failures;
#define EXPECT(cond, ...)                           \
  do {                                              \
    if (!(cond)) {                                  \
      failures++;                                   \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);   \
      printf(__VA_ARGS__);                          \
      printf("\n");                                 \
      fflush(stdout);                               \
    }                                               \
  } while (0)

#endif
