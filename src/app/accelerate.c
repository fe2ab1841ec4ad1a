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
  int on;
  char model_path[1024];
  sf_model m;
  int have_model;
  long nused;
};

int sf_accelerate_options(sf_accelerate **acc)
{
  SF_CHECK(sf_calloc((void **)acc, 1, sizeof **acc));
  sf_accelerate *a = *acc;
  int set_model, every, set_every, set_std;
  double max_std;
  SF_CHECK(sf_opt_bool("-accelerate", 0, "start each sample's relaxation from a model's prediction (positions and "
                       "density) at its strain", &a->on, NULL));
  SF_CHECK(sf_opt_string("-init_model", "", "-accelerate: the trained model whose predictions start the samples",
                         a->model_path, sizeof a->model_path, &set_model));
  SF_CHECK(sf_opt_int("-accel_every", 0, "-accelerate: retrain the model every N samples (not yet available)", &every,
                      &set_every));
  SF_CHECK(sf_opt_real("-accel_max_std", 0.0, "-accelerate: start the default way where the ensemble spread exceeds "
                       "this (not yet available)", &max_std, &set_std));
  if (sf_options_help_requested()) return SF_OK;
  if (set_every || set_std)
    SF_ERROR(SF_ERR_INPUT, "%s: not yet available (it needs in-job training and ensembles); use -accelerate "
             "-init_model M.h5", set_every ? "-accel_every" : "-accel_max_std");
  if (set_model && !a->on) SF_ERROR(SF_ERR_INPUT, "-init_model is used by generate only with -accelerate");
  if (a->on && !a->model_path[0]) SF_ERROR(SF_ERR_INPUT, "-accelerate needs -init_model M.h5 (the model to start from)");
  return SF_OK;
}

const char *sf_accelerate_model_path(const sf_accelerate *a) { return a && a->on ? a->model_path : NULL; }

int sf_accelerate_open(sf_accelerate *a, const sf_cell *ref, const int ngfft[3])
{
  if (!a->on) return SF_OK;
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
  (void)index;
  SF_CHECK(sf_init_model_predict(&a->m, D, rho, xred));
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
