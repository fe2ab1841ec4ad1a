/* ensemble.c — a model's ensemble (train -ensemble K, docs/model.md): K members of every
 * network, their mean (what sf_model_predict returns) and their spread, the sample
 * standard deviation over the members (K − 1 in the denominator: with the few members an
 * ensemble has, the population form would understate the spread by sqrt((K−1)/K)).
 * Member 0 is the model's named network (net_field, net_xred, net_energy), so that a
 * model of one member is evaluated exactly as before ensembles. */
#include "strainfield/core.h"
#include "strainfield/ml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NNET (SF_NFIELD + 2)

int sf_model_predict_std_impl(const sf_model *m, int fast, const double *D, int n, double *F, double *Fstd,
                              double *xred, double *xstd, double *coef, double *cstd);

int sf_model_ensemble_size(const sf_model *m) { return m->nens > 1 ? m->nens : 1; }

double sf_model_std_scale(const sf_model *m, int i) { return m->std_scale[i] > 0 ? m->std_scale[i] : 1; }

sf_mlp *sf_model_net(const sf_model *mc, int i, int k)
{
  sf_model *m = (sf_model *)mc;
  if (k > 0) return &m->member[i][k - 1];
  return i < SF_NFIELD ? &m->net_field[i] : i == SF_NFIELD ? &m->net_xred : &m->net_energy;
}

static const sf_mlp32 *fast_net(const sf_model *m, int i, int k)
{
  if (k > 0) return &m->member32[i][k - 1];
  return i < SF_NFIELD ? &m->fast_field[i] : i == SF_NFIELD ? &m->fast_xred : &m->fast_energy;
}

int sf_model_set_ensemble(sf_model *m, int K)
{
  if (K < 1) SF_ERROR(SF_ERR_INTERNAL, "an ensemble of %d members", K);
  m->nens = K;
  for (int i = 0; i < NNET && K > 1; i++) {
    SF_CHECK(sf_calloc((void **)&m->member[i], K - 1, sizeof(sf_mlp)));
    SF_CHECK(sf_calloc((void **)&m->member32[i], K - 1, sizeof(sf_mlp32)));
  }
  return SF_OK;
}

/* One member's outputs of network i: rows at y + j·ldy. */
static int member_rows(const sf_model *m, int i, int k, int fast, const double *D, int n, double *y, int ldy,
                       double *tmp)
{
  const sf_mlp *net = sf_model_net(m, i, k);
  const int nout = net->width[net->nlayer];
  if (fast && m->have_fast) {
    sf_mlp32_predict(fast_net(m, i, k), D, n, y, ldy, m->ws32);
    return SF_OK;
  }
  if (ldy == nout) return sf_mlp_predict(net, D, n, y, NULL);
  SF_CHECK(sf_mlp_predict(net, D, n, tmp, NULL));
  for (int j = 0; j < n; j++) memcpy(y + (size_t)j * ldy, tmp + (size_t)j * nout, nout * sizeof *y);
  return SF_OK;
}

/* Rows of at most CHUNK strains at a time, so that the members' outputs (K × CHUNK × nout)
 * stay small whatever n. */
#define CHUNK 512

int sf_model_net_predict(const sf_model *m, int i, int fast, const double *D, int n, double *mean, int ldm,
                         double *std, int lds)
{
  const int K = sf_model_ensemble_size(m), nout = sf_model_net(m, i, 0)->width[sf_model_net(m, i, 0)->nlayer];
  const int rows = n < CHUNK ? n : CHUNK;
  const double scale = sf_model_std_scale(m, i);
  double *tmp = NULL, *all = NULL;
  int st = SF_OK;
  if (K == 1 && fast && m->have_fast) { /* no allocation: the fast path's promise (ml.h) */
    sf_mlp32_predict(fast_net(m, i, 0), D, n, mean, ldm, m->ws32);
    for (int j = 0; j < n && std; j++) memset(std + (size_t)j * lds, 0, nout * sizeof *std);
    return SF_OK;
  }
  SF_CHECK_GOTO(sf_calloc((void **)&tmp, (size_t)rows * nout + 1, sizeof *tmp));
  if (K == 1) {
    SF_CHECK_GOTO(member_rows(m, i, 0, fast, D, n, mean, ldm, tmp));
    for (int j = 0; j < n && std; j++) memset(std + (size_t)j * lds, 0, nout * sizeof *std);
    goto cleanup;
  }
  SF_CHECK_GOTO(sf_calloc((void **)&all, (size_t)K * rows * nout, sizeof *all));
  for (int j0 = 0; j0 < n; j0 += CHUNK) {
    const int nb = n - j0 < CHUNK ? n - j0 : CHUNK;
    for (int k = 0; k < K; k++)
      SF_CHECK_GOTO(member_rows(m, i, k, fast, D + 6 * (size_t)j0, nb, all + (size_t)k * rows * nout, nout, tmp));
    for (int j = 0; j < nb; j++)
      for (int o = 0; o < nout; o++) {
        double s = 0, v = 0;
        for (int k = 0; k < K; k++) s += all[((size_t)k * rows + j) * nout + o];
        s /= K;
        for (int k = 0; k < K; k++) {
          const double d = all[((size_t)k * rows + j) * nout + o] - s;
          v += d * d;
        }
        mean[(size_t)(j0 + j) * ldm + o] = s;
        if (std) std[(size_t)(j0 + j) * lds + o] = scale * sqrt(v / (K - 1));
      }
  }
cleanup:
  sf_free(tmp);
  sf_free(all);
  return st;
}

int sf_model_predict_std(const sf_model *m, const double *D, int n, double *F, double *Fstd, double *xred,
                         double *xstd, double *coef, double *cstd)
{
  return sf_model_predict_std_impl(m, 1, D, n, F, Fstd, xred, xstd, coef, cstd);
}

int sf_model_predict_std64(const sf_model *m, const double *D, int n, double *F, double *Fstd, double *xred,
                           double *xstd, double *coef, double *cstd)
{
  return sf_model_predict_std_impl(m, 0, D, n, F, Fstd, xred, xstd, coef, cstd);
}

int sf_model_predict_std_impl(const sf_model *m, int fast, const double *D, int n, double *F, double *Fstd,
                              double *xred, double *xstd, double *coef, double *cstd)
{
  /* the xred network's width, not 3·natom: a model being trained has no natom yet */
  const int nx = m->net_xred.params ? m->net_xred.width[m->net_xred.nlayer] : 0;
  if (F) SF_CHECK(sf_model_net_predict(m, SF_NFIELD + 1, fast, D, n, F, 1, Fstd, 1));
  if (xred && nx) SF_CHECK(sf_model_net_predict(m, SF_NFIELD, fast, D, n, xred, nx, xstd, nx));
  if (coef) {
    int ktot = 0;
    for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
    for (int f = 0, off = 0; f < SF_NFIELD; off += m->ncomp[f], f++)
      SF_CHECK(sf_model_net_predict(m, f, fast, D, n, coef + off, ktot, cstd ? cstd + off : NULL, ktot));
  }
  return SF_OK;
}

int sf_model_member_predict(const sf_model *m, int k, const double *D, int n, double *F, double *xred, double *coef)
{
  if (k < 0 || k >= sf_model_ensemble_size(m))
    SF_ERROR(SF_ERR_INTERNAL, "member %d of an ensemble of %d", k, sf_model_ensemble_size(m));
  int ktot = 0, st = SF_OK, wmax = 1;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  for (int f = 0; f < SF_NFIELD; f++) wmax = m->ncomp[f] > wmax ? m->ncomp[f] : wmax;
  double *tmp = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&tmp, (size_t)n * (wmax > 3 * m->natom ? wmax : 3 * m->natom) + 1, sizeof *tmp));
  if (F) SF_CHECK_GOTO(member_rows(m, SF_NFIELD + 1, k, 1, D, n, F, 1, tmp));
  if (xred && m->natom) SF_CHECK_GOTO(member_rows(m, SF_NFIELD, k, 1, D, n, xred, 3 * m->natom, tmp));
  for (int f = 0, off = 0; coef && f < SF_NFIELD; off += m->ncomp[f], f++)
    SF_CHECK_GOTO(member_rows(m, f, k, 1, D, n, coef + off, ktot, tmp));
cleanup:
  sf_free(tmp);
  return st;
}

int sf_model_dF_dD_std(const sf_model *m, const double D[6], double *F, double dF[6], double *Fstd, double dFstd[6])
{
  const int K = sf_model_ensemble_size(m);
  double y[SF_MODEL_MAXENS], g[SF_MODEL_MAXENS * 6];
  if (K > SF_MODEL_MAXENS) SF_ERROR(SF_ERR_INTERNAL, "at most %d members", SF_MODEL_MAXENS);
  for (int k = 0; k < K; k++) SF_CHECK(sf_mlp_jacobian(sf_model_net(m, SF_NFIELD + 1, k), D, &y[k], g + 6 * k));
  for (int j = 0; j < 7; j++) {
    double s = 0, v = 0;
    for (int k = 0; k < K; k++) s += j < 6 ? g[6 * k + j] : y[k];
    s /= K;
    for (int k = 0; k < K; k++) {
      const double d = (j < 6 ? g[6 * k + j] : y[k]) - s;
      v += d * d;
    }
    v = K > 1 ? sf_model_std_scale(m, SF_NFIELD + 1) * sqrt(v / (K - 1)) : 0;
    if (j < 6) {
      dF[j] = K > 1 ? s : g[j];
      if (dFstd) dFstd[j] = v;
    } else {
      if (F) *F = K > 1 ? s : y[0];
      if (Fstd) *Fstd = v;
    }
  }
  return SF_OK;
}
