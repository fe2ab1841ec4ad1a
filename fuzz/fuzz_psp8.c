/* fuzz_psp8.c — libFuzzer harness of the pspcod 8 pseudopotential reader
 * (src/pseudo/psp_read.c); what it checks is in psp_fuzz.h.  Seed corpus: fuzz/corpus/psp8/. */
#include "psp_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return psp_fuzz_one(data, size, 8); }
