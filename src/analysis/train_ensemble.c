/* train_ensemble.c — the members of `train -ensemble K` and how well their spread
 * predicts their error.
 *
 * Members: member 0 of each network is the network a train without -ensemble builds
 * (same seed, same data); member k ≥ 1 has its own initial weights and shuffles (seed
 * shifted by k · 7919), the same output scalers, and under -ensemble_bootstrap every
 * member k ≥ 0 weighs each training sample by how often a draw of ntr samples with
 * replacement picked it (one resample per member, shared by its six networks).  A weight
 * of 0 leaves the sample out, a weight of 2 counts it twice: the loss of a resampled
 * training set, without copying the data.  The draw depends only on (seed, k, ntr).
 *
 * Calibration: on the test set, the fraction of |error| ≤ σ and ≤ 2σ (a Gaussian gives
 * 0.683 and 0.954) and Spearman's rank correlation between σ and |error| (does a larger
 * spread mean a larger error?), σ the members' sample standard deviation. */
#include "strainfield/core.h"
#include "train_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_STEP 7919ULL
#define BOOT_PURPOSE 0xB0075ULL

static int member_params(const sf_train_cfg *c, int k, int ntr, const sf_train_params *base, sf_train_params *tp,
                         double **wbuf)
{
  *tp = *base;
  tp->seed = c->tp.seed + SEED_STEP * (uint64_t)k;
  *wbuf = NULL;
  if (!c->ensemble_bootstrap) return SF_OK;
  SF_CHECK(sf_calloc((void **)wbuf, ntr + 1, sizeof(double)));
  for (int d = 0; d < ntr; d++) {
    int i = (int)(sf_ml_rng_uniform(c->tp.seed, BOOT_PURPOSE + (uint64_t)k, (uint64_t)d) * ntr);
    (*wbuf)[i < ntr ? i : ntr - 1] += 1;
  }
  for (int i = 0; i < ntr && base->weight; i++) (*wbuf)[i] *= base->weight[i];
  tp->weight = *wbuf;
  return SF_OK;
}

static void copy_scalers(const sf_mlp *from, sf_mlp *to)
{
  memcpy(to->xmean, from->xmean, from->width[0] * sizeof(double));
  memcpy(to->xstd, from->xstd, from->width[0] * sizeof(double));
  memcpy(to->ymean, from->ymean, from->width[from->nlayer] * sizeof(double));
  memcpy(to->ystd, from->ystd, from->width[from->nlayer] * sizeof(double));
}

int sf_train_jobs_add_members(const sf_train_cfg *c, sf_model *m, int K, int ntr, sf_train_jobs *j)
{
  const int n0 = j->n;
  if (K > 1) SF_CHECK(sf_model_set_ensemble(m, K));
  for (int a = 0; a < n0 && c->ensemble_bootstrap; a++) { /* member 0 resampled too */
    sf_train_params base = j->tp[a];
    SF_CHECK(member_params(c, 0, ntr, &base, &j->tp[a], &j->wbuf[a]));
    j->tp[a].seed = base.seed;
  }
  for (int k = 1; k < K; k++)
    for (int a = 0; a < n0; a++) {
      const int i = j->netid[a], b = j->n;
      if (b >= SF_TRAIN_MAXJOBS) SF_ERROR(SF_ERR_INTERNAL, "more than %d networks to train", SF_TRAIN_MAXJOBS);
      const sf_mlp *first = j->nets[a];
      sf_mlp *net = sf_model_net(m, i, k);
      SF_CHECK(sf_train_make_net(c, i, first->width[first->nlayer], c->tp.seed + 101 * (i + 1) + SEED_STEP * k, net));
      copy_scalers(first, net);
      sf_train_params base = j->tp[a];
      base.weight = j->base_weight[a];
      SF_CHECK(member_params(c, k, ntr, &base, &j->tp[b], &j->wbuf[b]));
      snprintf(j->labbuf[b], sizeof j->labbuf[b], "%s_member%d", j->lab[a], k);
      j->nets[b] = net;
      j->Y[b] = j->Y[a];
      j->lab[b] = j->labbuf[b];
      j->netid[b] = i;
      j->n++;
    }
  return SF_OK;
}

void sf_train_jobs_free(sf_train_jobs *j)
{
  for (int a = 0; a < SF_TRAIN_MAXJOBS; a++) sf_free(j->wbuf[a]);
  memset(j, 0, sizeof *j);
}

/* ---------- calibration ---------- */

typedef struct {
  double v;
  int i;
} keyed;

static int by_value(const void *a, const void *b)
{
  const keyed *x = a, *y = b;
  return x->v < y->v ? -1 : x->v > y->v ? 1 : x->i - y->i;
}

/* Ranks 1..n of v (ties: their mean rank), into r. */
static void ranks_of(const double *v, int n, keyed *tmp, double *r)
{
  for (int i = 0; i < n; i++) tmp[i] = (keyed){v[i], i};
  qsort(tmp, n, sizeof *tmp, by_value);
  for (int a = 0; a < n;) {
    int b = a;
    while (b + 1 < n && tmp[b + 1].v == tmp[a].v) b++;
    for (int t = a; t <= b; t++) r[tmp[t].i] = 0.5 * (a + b) + 1;
    a = b + 1;
  }
}

double sf_spearman(const double *x, const double *y, int n)
{
  double *r = NULL;
  keyed *tmp = NULL;
  if (n < 2 || sf_calloc((void **)&r, 2 * (size_t)n, sizeof *r) || sf_calloc((void **)&tmp, n, sizeof *tmp)) {
    sf_free(r);
    sf_error_reset();
    return NAN;
  }
  ranks_of(x, n, tmp, r);
  ranks_of(y, n, tmp, r + n);
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; i++) mx += r[i] / n, my += r[n + i] / n;
  for (int i = 0; i < n; i++) {
    const double a = r[i] - mx, b = r[n + i] - my;
    sxy += a * b, sxx += a * a, syy += b * b;
  }
  sf_free(r);
  sf_free(tmp);
  return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

void sf_calibration_of(const double *err, const double *std, int n, sf_calibration *out)
{
  int in1 = 0, in2 = 0;
  double *a = NULL;
  for (int i = 0; i < n; i++) {
    in1 += fabs(err[i]) <= std[i];
    in2 += fabs(err[i]) <= 2 * std[i];
  }
  out->n = n;
  out->within1 = n ? (double)in1 / n : NAN;
  out->within2 = n ? (double)in2 / n : NAN;
  out->spearman = NAN;
  if (n > 1 && sf_calloc((void **)&a, n, sizeof *a) == SF_OK) {
    for (int i = 0; i < n; i++) a[i] = fabs(err[i]);
    out->spearman = sf_spearman(std, a, n);
    sf_free(a);
  }
  sf_error_reset();
}

cJSON *sf_calibration_json(const sf_calibration *c)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "within_1sigma", c->within1);
  cJSON_AddNumberToObject(o, "within_2sigma", c->within2);
  cJSON_AddNumberToObject(o, "spearman", c->spearman);
  cJSON_AddNumberToObject(o, "n", c->n);
  return o;
}

void sf_calibration_log(const char *what, const sf_calibration *c)
{
  sf_log(1, "  %-22s calibration: %5.1f %% within 1 sigma, %5.1f %% within 2 sigma, spearman(sigma, |error|) %.3f (n %d)\n",
         what, 100 * c->within1, 100 * c->within2, c->spearman, c->n);
}

/* ---------- the out-of-bag scale of the spread ---------- */

/* An ensemble's spread underestimates its error (its members share the data and the
 * architecture).  Under -ensemble_bootstrap each training sample was left out by some
 * members: their mean there is a prediction for an unseen strain, so that the
 * out-of-bag errors e and the ensemble's spread σ at the training samples give, per
 * network, the factor s with mean(e² / (s σ)²) = 1.  The model keeps s and multiplies
 * every spread by it (docs/model.md).  Without bootstrap, or where no member left a
 * sample out, s = 1. */
static int oob_scale(const sf_train_jobs *j, const sf_model *m, int i, const double *Dtr, int ntr, double *scale)
{
  const int K = sf_model_ensemble_size(m), nout = sf_model_net(m, i, 0)->width[sf_model_net(m, i, 0)->nlayer];
  const double *Y = NULL;
  const double *inbag[SF_MODEL_MAXENS] = {0};
  for (int a = 0; a < j->n; a++)
    if (j->netid[a] == i) {
      const int k = a / (j->n / K); /* members are added network by network, member-major */
      inbag[k] = j->wbuf[a];
      Y = j->Y[a];
    }
  double *all = NULL, *sd = NULL, *mean = NULL, sum = 0;
  long cnt = 0;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&all, (size_t)K * ntr * nout, sizeof *all));
  SF_CHECK_GOTO(sf_calloc((void **)&sd, 2 * (size_t)ntr * nout, sizeof *sd));
  mean = sd + (size_t)ntr * nout;
  for (int k = 0; k < K; k++) SF_CHECK_GOTO(sf_mlp_predict(sf_model_net(m, i, k), Dtr, ntr, all + (size_t)k * ntr * nout, NULL));
  SF_CHECK_GOTO(sf_model_net_predict(m, i, 0, Dtr, ntr, mean, nout, sd, nout));
  for (int s = 0; s < ntr; s++) {
    int nob = 0;
    for (int k = 0; k < K; k++) nob += inbag[k] && inbag[k][s] == 0;
    if (!nob) continue;
    for (int o = 0; o < nout; o++) {
      double p = 0;
      for (int k = 0; k < K; k++)
        if (inbag[k] && inbag[k][s] == 0) p += all[((size_t)k * ntr + s) * nout + o] / nob;
      const double e = p - Y[(size_t)s * nout + o], v = sd[(size_t)s * nout + o];
      if (v > 0) sum += e * e / (v * v), cnt++;
    }
  }
  *scale = cnt ? sqrt(sum / cnt) : 1;
cleanup:
  sf_free(all);
  sf_free(sd);
  return st;
}

int sf_train_ensemble_scale(const sf_train_jobs *j, sf_model *m, const double *Dtr, int ntr)
{
  for (int i = 0; i < SF_NNET; i++) m->std_scale[i] = 1;
  if (sf_model_ensemble_size(m) < 2 || !j->wbuf[0]) return SF_OK;
  for (int a = 0; a < j->n / sf_model_ensemble_size(m); a++) {
    const int i = j->netid[a];
    double s = 1;
    SF_CHECK(oob_scale(j, m, i, Dtr, ntr, &s));
    sf_log(1, "  %-6s ensemble spread scaled by %.3f (out-of-bag errors of the training samples)\n", j->lab[a], s);
    m->std_scale[i] = s;
  }
  return SF_OK;
}
