/* generate_internal.h — what cmd_generate.c and generate_options.c share: the campaign's
 * own options (beside the calculation's, input.c) and the settings record that -resume
 * compares.  Private to src/app. */
#ifndef STRAINFIELD_GENERATE_INTERNAL_H
#define STRAINFIELD_GENERATE_INTERNAL_H

#include "strainfield/app.h"
#include "strainfield/relax.h"
#include "strainfield/sampling.h"

typedef struct {
  long nsamples;
  char dataset[1024], parts[1100], sampling[32], dist[32], sample_file[1024];
  int resume, seed, nsample_groups, compress, keep_parts, fft_reproducible;
  double lam[2], theta[2], nsigma, walltime, sample_timeout;
} gen_opts;

/* Reads generate's options (relaxation, sampling, the campaign) into g, rp and the sampler. */
int sf_generate_read_options(gen_opts *g, sf_relax_params *rp, sf_sampler *smp);
/* The settings that every sample depends on (JSON text in *out, caller frees): the
 * resolved options minus those that change no sample, the pseudopotential checksums, the
 * grid and the listed D's. */
int sf_generate_settings(const char *opts_json, const sf_input *in, char md5[][33], const int ngfft[3],
                         const sf_sampler *smp, char **out);

#endif
