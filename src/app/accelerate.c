/* accelerate.c — `generate -accelerate`: each sample's relaxation starts from a trained
 * model's prediction at its strain (relaxed positions and density, the warm start of
 * `relax -init_model`) instead of the ideal sites and the uniform density.  Owns the
 * options, the model's checks against the campaign, and the start callback the campaign
 * loop calls (sf_campaign.start, data layer).  Every rank holds the model and evaluates it
 * in float64 for its own samples, so a sample's start depends only on (model, D): not on
 * the rank count, the sample groups or the timing, and a resumed campaign equals an
 * uninterrupted one. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/init_guess.h"
#include "strainfield/options.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct sf_accelerate_s {
  int on, every;
  double max_std;
  char model_path[1024];
  sf_model m;
  int have_model;
  const sf_model *round_model; /* a round's model (rounds.c), borrowed */
  const double *std_of;        /* per sample: the round model's spread (NaN: unknown) */
  long nused, ngated;
};

int sf_accelerate_options(sf_accelerate **acc, int active)
{
  SF_CHECK(sf_calloc((void **)acc, 1, sizeof **acc));
  sf_accelerate *a = *acc;
  int set_model, set_every, set_std;
  SF_CHECK(sf_opt_bool("-accelerate", 0, "start each sample's relaxation from a model's prediction (positions and "
                       "density) at its strain", &a->on, NULL));
  SF_CHECK(sf_opt_string("-init_model", "", "-accelerate: the trained model whose predictions start the samples "
                         "(of round 0 with -accel_every or -sampling active)", a->model_path, sizeof a->model_path,
                         &set_model));
  SF_CHECK(sf_opt_int("-accel_every", 0, "-accelerate in a random campaign: the samples of round r (N samples each) "
                      "start from a model trained in the job on rounds < r", &a->every, &set_every));
  SF_CHECK(sf_opt_real("-accel_max_std", 0.0, "-accelerate: start the default way where the round model's normalised "
                       "ensemble spread exceeds this (0: never)", &a->max_std, &set_std));
  if (sf_options_help_requested()) return SF_OK;
  if (set_model && !a->on) SF_ERROR(SF_ERR_INPUT, "-init_model is used by generate only with -accelerate");
  if ((set_every || set_std) && !a->on)
    SF_ERROR(SF_ERR_INPUT, "%s is used only with -accelerate", set_every ? "-accel_every" : "-accel_max_std");
  SF_OPT_REJECT_IF(a->every < 0, "-accel_every %d must be >= 0", a->every);
  SF_OPT_REJECT_IF(!(a->max_std >= 0), "-accel_max_std %g must be >= 0", a->max_std);
  if (a->on && !a->model_path[0] && !a->every && !active)
    SF_ERROR(SF_ERR_INPUT, "-accelerate needs a model: -init_model M.h5, -accel_every N (trained in the job) or "
             "-sampling active (its rounds' ensembles)");
  if (set_std && !a->every && !active)
    SF_ERROR(SF_ERR_INPUT, "-accel_max_std needs the spread of a round model: -accel_every N or -sampling active");
  return SF_OK;
}

int sf_accelerate_every(const sf_accelerate *a) { return a && a->on ? a->every : 0; }
int sf_accelerate_on(const sf_accelerate *a) { return a && a->on; }

void sf_accelerate_set_round(sf_accelerate *a, const sf_model *m, const double *std_of)
{
  a->round_model = m;
  a->std_of = std_of;
}

const char *sf_accelerate_model_path(const sf_accelerate *a) { return a && a->on && a->model_path[0] ? a->model_path : NULL; }

int sf_accelerate_open(sf_accelerate *a, const sf_cell *ref, const int ngfft[3])
{
  if (!a->on || !a->model_path[0]) return SF_OK;
  SF_CHECK(sf_path_check_regular("-init_model", a->model_path));
  SF_CHECK(sf_model_read(a->model_path, &a->m));
  a->have_model = 1;
  a->m.have_fast = 0; /* float64: the float32 copies round with the batch, ranks would differ */
  SF_CHECK(sf_init_model_check(&a->m, a->model_path, ref->natom, ngfft));
  double d = 0.0;
  for (int i = 0; i < 9; i++) d = fmax(d, fabs(a->m.ref_rprimd[i] - (&ref->rprimd[0][0])[i]));
  if (d > 1e-8)
    SF_ERROR(SF_ERR_INPUT, "-init_model %s: the model's reference lattice differs from the campaign's by %.2e Bohr, "
             "so its D would mean other cells", a->model_path, d);
  sf_log(1, "  accelerated: each sample starts from the prediction of %s\n", a->model_path);
  return SF_OK;
}

int sf_accelerate_start(void *ctx, long index, const double D[6], double *xred, double *rho, int *use)
{
  sf_accelerate *a = ctx;
  const sf_model *m = a->round_model ? a->round_model : a->have_model ? &a->m : NULL;
  double sd = a->std_of ? a->std_of[index] : NAN;
  *use = 0;
  if (!m) return SF_OK; /* round 0 of a campaign in rounds without -init_model */
  if (a->max_std > 0 && sd > a->max_std) { /* outside what the model has seen */
    a->ngated++;
    return SF_OK;
  }
  SF_CHECK(sf_init_model_predict(m, D, rho, xred));
  *use = 1;
  a->nused++;
  return SF_OK;
}

void sf_accelerate_free(sf_accelerate **a)
{
  if (!*a) return;
  if ((*a)->have_model) sf_model_free(&(*a)->m);
  sf_free(*a);
  *a = NULL;
}
