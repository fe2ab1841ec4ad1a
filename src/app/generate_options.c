/* generate_options.c — the options of `strainfield generate` (the campaign: samples,
 * sampling and strain distribution, groups, limits, the dataset) and the campaign's
 * settings record, the part of the options that -resume compares. */
#include "generate_internal.h"

#include "strainfield/core.h"
#include "strainfield/options.h"

#include <cjson/cJSON.h>
#include <string.h>

/* Options that do not change any sample: left out of the resume check. */
static const char *const volatile_keys[] = {"resume", "dataset", "dataset_compress", "v", "verbosity", "par_sample_groups",
                                            "par_kpt_groups", "par_band_groups", "nl_keep", "pseudos", "walltime",
                                            "summary", "fields", "dataset_keep_parts", "sample_timeout", "help", NULL};


int sf_generate_read_options(gen_opts *g, sf_relax_params *rp, sf_sampler *smp)
{
  int set, n;
  SF_CHECK(sf_input_read_relax(rp));
  int ns;
  SF_CHECK(sf_opt_int("-samples", 0, "number of samples of the campaign (required)", &ns, &set));
  SF_OPT_REJECT_IF(!set || ns < 1, "-samples N (>= 1) is required");
  g->nsamples = ns;
  SF_CHECK(sf_opt_string("-dataset", "", "the dataset file (HDF5) to write (required)", g->dataset, sizeof g->dataset, &set));
  SF_OPT_REJECT_IF(!set || !g->dataset[0], "-dataset FILE is required");
  snprintf(g->parts, sizeof g->parts, "%s.parts", g->dataset);
  SF_CHECK(sf_opt_bool("-resume", 0, "complete an interrupted campaign (same settings) instead of refusing to overwrite", &g->resume, NULL));
  SF_CHECK(sf_opt_int("-seed", 1, "random seed: sample i's D depends only on (seed, i)", &g->seed, NULL));
  SF_CHECK(sf_opt_string("-sampling", "random", "random (independent draws), lhs (Latin hypercube), file, or active "
                         "(rounds chosen by an ensemble's spread, docs/dataset.md)", g->sampling, sizeof g->sampling, NULL));
  SF_CHECK(sf_opt_string("-sample_dist", "normal", "marginal of each coordinate: normal (truncated at +-nsigma, mapped to the range) or uniform", g->dist, sizeof g->dist, NULL));
  double lam_def[2] = {0.9, 1.1}, th_def[2] = {84.0, 96.0};
  SF_CHECK(sf_opt_real_array("-sample_lambda_range", 2, 2, lam_def, 2, "range of lambda_a,b,c (the +-nsigma points of the normal)", g->lam, &n, NULL));
  SF_CHECK(sf_opt_real_array("-sample_theta_range", 2, 2, th_def, 2, "range of theta_a,b,c in degrees", g->theta, &n, NULL));
  SF_CHECK(sf_opt_real("-sample_nsigma", 2.0, "truncation of the normal in standard deviations", &g->nsigma, NULL));
  SF_CHECK(sf_opt_string("-sample_file", "", "with -sampling file: text file, one D per line (la lb lc tha thb thc)", g->sample_file, sizeof g->sample_file, NULL));
  SF_CHECK(sf_opt_int("-par_sample_groups", 0, "number of sample groups (0 = automatic: one rank per group)", &g->nsample_groups, NULL));
  SF_CHECK(sf_opt_int("-dataset_compress", 0, "deflate level 0-9 of the fields in the final dataset (0 = none)", &g->compress, NULL));
  SF_CHECK(sf_opt_real("-walltime", 0.0, "seconds after which no new sample is started; the dataset is then written partial (0 = no limit)", &g->walltime, NULL));
  SF_CHECK(sf_opt_bool("-dataset_keep_parts", 0, "keep DATASET.parts/ after the final file is complete", &g->keep_parts, NULL));
  SF_CHECK(sf_opt_bool("-fft_reproducible", 1,
                       "FFT plans from FFTW's cost model: reruns and resumes bitwise equal (0: timed plans, "
                       "samples ~1.3-1.7x faster, results differ at round-off between runs)", &g->fft_reproducible, NULL));
  SF_CHECK(sf_opt_real("-sample_timeout", 0.0, "seconds after which a sample is stored as failed and the campaign goes on (0 = no limit)", &g->sample_timeout, NULL));
  SF_OPT_REJECT_IF(!(g->sample_timeout >= 0), "-sample_timeout %g must be >= 0 seconds", g->sample_timeout);

  memset(smp, 0, sizeof *smp);
  smp->seed = (uint64_t)(int64_t)g->seed;
  smp->nsamples = g->nsamples;
  smp->nsigma = g->nsigma;
  /* active: round 0 is the random campaign's draws, the later rounds come from rounds.c */
  if (!strcmp(g->sampling, "random") || !strcmp(g->sampling, "active")) smp->method = SF_SAMPLE_RANDOM;
  else if (!strcmp(g->sampling, "lhs")) smp->method = SF_SAMPLE_LHS;
  else if (!strcmp(g->sampling, "file")) smp->method = SF_SAMPLE_FILE;
  else SF_OPT_REJECT_IF(1, "-sampling %s: expected random, lhs, file or active", g->sampling);
  if (!strcmp(g->dist, "normal")) smp->dist = SF_DIST_NORMAL;
  else if (!strcmp(g->dist, "uniform")) smp->dist = SF_DIST_UNIFORM;
  else SF_OPT_REJECT_IF(1, "-sample_dist %s: expected normal or uniform", g->dist);
  SF_OPT_REJECT_IF(!(g->nsigma > 0), "-sample_nsigma %g must be positive", g->nsigma);
  SF_OPT_REJECT_IF(!(g->lam[0] > 0 && g->lam[1] >= g->lam[0]), "-sample_lambda_range %g,%g: need 0 < lo <= hi", g->lam[0], g->lam[1]);
  SF_OPT_REJECT_IF(!(g->theta[0] > 0 && g->theta[1] >= g->theta[0] && g->theta[1] < 180), "-sample_theta_range %g,%g: need 0 < lo <= hi < 180", g->theta[0], g->theta[1]);
  SF_OPT_REJECT_IF(g->compress < 0 || g->compress > 9, "-dataset_compress %d must be in 0..9", g->compress);
  for (int j = 0; j < 3; j++) {
    smp->lo[j] = g->lam[0]; smp->hi[j] = g->lam[1];
    smp->lo[j + 3] = g->theta[0]; smp->hi[j + 3] = g->theta[1];
  }
  if (smp->method == SF_SAMPLE_FILE && !sf_options_help_requested()) {
    if (!g->sample_file[0]) SF_ERROR(SF_ERR_INPUT, "-sampling file needs -sample_file FILE");
    SF_CHECK(sf_sampler_read_file(smp, g->sample_file));
    if (smp->ntable < g->nsamples) SF_ERROR(SF_ERR_INPUT, "-sample_file %s lists %ld strains, fewer than -samples %ld", g->sample_file, smp->ntable, g->nsamples);
  }
  return SF_OK;
}

/* The settings that every sample depends on: the resolved options minus the volatile
 * ones, plus the pseudopotential checksums, the grid and the listed D's. */
int sf_generate_settings(const char *opts_json, const sf_input *in, char md5[][33], const int ngfft[3],
                         const sf_sampler *smp, char **out)
{
  cJSON *o = cJSON_Parse(opts_json);
  if (!o) SF_ERROR(SF_ERR_INTERNAL, "cannot parse the options JSON");
  for (int k = 0; volatile_keys[k]; k++) cJSON_DeleteItemFromObjectCaseSensitive(o, volatile_keys[k]);
  cJSON *a = cJSON_AddArrayToObject(o, "psp_md5");
  for (int t = 0; t < in->npsp; t++) cJSON_AddItemToArray(a, cJSON_CreateString(md5[t]));
  cJSON_AddItemToObject(o, "grid", cJSON_CreateIntArray(ngfft, 3));
  if (smp->method == SF_SAMPLE_FILE && !sf_options_help_requested()) {
    /* the file's content, not its name, defines the samples */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "sample_file");
    cJSON *t = cJSON_AddArrayToObject(o, "sample_file_D");
    for (long i = 0; i < smp->nsamples; i++) cJSON_AddItemToArray(t, cJSON_CreateDoubleArray(smp->table[i], 6));
  }
  char *txt = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!txt) SF_ERROR(SF_ERR_MEM, "cannot print the settings JSON");
  *out = txt;
  return SF_OK;
}

