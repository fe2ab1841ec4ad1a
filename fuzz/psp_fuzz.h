/* psp_fuzz.h — the body shared by the pseudopotential harnesses fuzz_psp1/5/8.c.
 *
 * Each input is the text of one pseudopotential file.  A harness keeps only inputs whose
 * line 3 starts with its pspcod, so each fuzzes one format's reader (the shared header
 * lines are fuzzed by all three), and parses them with sf_psp_read_buffer.  Beyond what
 * ASan/UBSan catch it aborts when the reader breaks its contract:
 *   - a failure must come with a message naming the file ("fuzz-input");
 *   - a success must give finite numbers everywhere (ekb, epsatm, every table), since a
 *     NaN would otherwise surface much later as an eigensolver failure.
 * The tables go to a small qmax so one input costs milliseconds.
 */
#ifndef STRAINFIELD_PSP_FUZZ_H
#define STRAINFIELD_PSP_FUZZ_H

#include "strainfield/core.h"
#include "strainfield/pseudo.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PSP_FUZZ_NAME "fuzz-input"
#define PSP_FUZZ_QMAX 1.0

/* pspcod on line 3, or -1 when there is no third line. */
static int psp_fuzz_pspcod(const uint8_t *data, size_t size)
{
  size_t i = 0;
  for (int newlines = 0; newlines < 2; i++) {
    if (i >= size) return -1;
    newlines += data[i] == '\n';
  }
  while (i < size && (data[i] == ' ' || data[i] == '\t')) i++;
  int v = 0, digits = 0;
  for (; i < size && data[i] >= '0' && data[i] <= '9' && digits < 4; i++, digits++)
    v = 10 * v + (data[i] - '0');
  return digits ? v : -1;
}

static int psp_fuzz_table_finite(const sf_qtable *t)
{
  for (int i = 0; i < t->n; i++)
    if (!isfinite(t->y[i]) || !isfinite(t->y2[i])) return 0;
  return 1;
}

static int psp_fuzz_finite(const sf_psp *p)
{
  int ok = isfinite(p->epsatm) && psp_fuzz_table_finite(&p->vloc_short) &&
           psp_fuzz_table_finite(&p->core) && psp_fuzz_table_finite(&p->core_r);
  for (int l = 0; l <= SF_PSP_LMAX; l++)
    for (int j = 0; j < SF_PSP_NPROJ; j++)
      ok = ok && isfinite(p->ekb[l][j]) && psp_fuzz_table_finite(&p->proj[l][j]);
  return ok;
}

static int psp_fuzz_one(const uint8_t *data, size_t size, int pspcod)
{
  if (psp_fuzz_pspcod(data, size) != pspcod) return 0;
  sf_psp psp;
  sf_error_reset();
  int st = sf_psp_read_buffer(PSP_FUZZ_NAME, (const char *)data, size, PSP_FUZZ_QMAX, &psp);
  if (st && strncmp(sf_error_message(), PSP_FUZZ_NAME, strlen(PSP_FUZZ_NAME))) abort();
  if (!st) {
    if (!psp_fuzz_finite(&psp)) abort();
    sf_psp_free(&psp);
  }
  sf_error_reset();
  return 0;
}

#endif
