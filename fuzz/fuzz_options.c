/* fuzz_options.c — libFuzzer harness of the options-file scanner (src/core/options_file.c).
 *
 * Each input is the bytes of one options file.  sf_options_scan_text must return (SF_OK
 * or one recorded error) without reading out of bounds, whatever the bytes; includes are
 * reported to a callback that checks the path it gets is a NUL-terminated string within
 * the line limit, and are not followed (the walk over real files is covered by
 * tests/unit/test_options.c).  Seed corpus: fuzz/corpus/options/.
 */
#include "strainfield/core.h"
#include "strainfield/options.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int check_include(void *ctx, const char *path, const char *from, int line)
{
  if (strlen(path) > SF_OPTIONS_MAX_LINE || line < 1 || strcmp(from, "fuzz.opts")) abort();
  ++*(int *)ctx;
  return SF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int nincludes = 0;
  /* an exact-size copy, so reading one byte past the input is caught by ASan */
  char *text = malloc(size ? size : 1);
  if (!text) return 0;
  if (size) memcpy(text, data, size);
  int st = sf_options_scan_text("fuzz.opts", text, size, check_include, &nincludes);
  /* an error always comes with its one-line message naming the file */
  if (st && strncmp(sf_error_message(), "fuzz.opts", 9)) abort();
  sf_error_reset();
  free(text);
  return 0;
}
