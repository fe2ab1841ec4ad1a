/* output_paths.c — every output of a subcommand checked before any work starts (see
 * sf_check_outputs in h5io.h): an output that is the same file as an input (the
 * dataset, the model, a pseudopotential, an -options_file) would destroy it, and a
 * missing folder found after hours of work wastes them. */
#include "strainfield/core.h"
#include "strainfield/h5io.h"

#include <petscsys.h>
#include <string.h>

#define MAX_CHECKED 64

int sf_check_outputs(const sf_path_input *outputs, int nout, const sf_path_input *inputs, int nin)
{
  sf_path_input all[MAX_CHECKED];
  int n = 0;
  for (int i = 0; i < nin && n < MAX_CHECKED; i++) all[n++] = inputs[i];
  /* the options files: PETSc read them, so they are inputs too */
  int argc = 0;
  char **argv = NULL;
  if (!PetscGetArgs(&argc, &argv) && argv)
    for (int i = 1; i + 1 < argc && n < MAX_CHECKED; i++)
      if (!strcmp(argv[i], "-options_file")) all[n++] = (sf_path_input){"-options_file", argv[i + 1]};
  for (int o = 0; o < nout; o++) {
    if (!outputs[o].path || !outputs[o].path[0]) continue;
    SF_CHECK(sf_path_check_output(outputs[o].option, outputs[o].path, all, n));
    for (int p = 0; p < o; p++) /* two outputs must not be one file either */
      if (outputs[p].path && !strcmp(outputs[p].path, outputs[o].path))
        SF_ERROR(SF_ERR_INPUT, "%s and %s both name %s; choose two files", outputs[p].option, outputs[o].option,
                 outputs[o].path);
  }
  return SF_OK;
}
