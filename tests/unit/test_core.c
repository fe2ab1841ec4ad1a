/* test_core.c — the error idiom records the first message and propagates the code. */
#include "strainfield/core.h"
#include <string.h>

static int inner(int x) { if (x < 0) SF_ERROR(SF_ERR_INPUT, "x=%d is negative", x); return SF_OK; }
static int outer(int x) { SF_CHECK(inner(x)); return SF_OK; }

int main(void)
{
  int fails = 0;
  if (outer(1) != SF_OK) fails++;
  if (outer(-3) != SF_ERR_INPUT) fails++;
  if (strcmp(sf_error_message(), "x=-3 is negative") != 0) fails++;
  sf_error_reset();
  if (sf_error_message()[0]) fails++;
  double *p = NULL;
  if (sf_calloc((void **)&p, 10, sizeof *p) || p[9] != 0.0) fails++;
  sf_free(p);
  printf("test_core: %d failures\n", fails);
  return fails != 0;
}
