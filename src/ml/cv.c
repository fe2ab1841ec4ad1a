/* cv.c — k-fold cross-validation of network architectures (the paper's §4.2): every
 * (depth, width) candidate × fold is one task; tasks are dealt round-robin to rank
 * groups (MPI_Comm_split of the world), each group trains data-parallel, and the
 * validation errors are summed over the world.  The candidate with the lowest mean
 * validation MSE (standardised units) wins. */
#include "strainfield/core.h"
#include "train_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

int sf_train_cv(MPI_Comm comm, sf_train_cfg *c, int i, const double *D, const double *Y, int nout,
                const sf_pca *pca, int n, void *json)
{
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  static const char *label[] = {"rho", "phi", "u", "s", "xred", "energy"};
  const int K = c->cv_folds, ncand = c->ncv_w * c->ncv_d, ntask = ncand * K;
  if (K < 2 || n < 2 * K) SF_ERROR(SF_ERR_INPUT, "-cv_folds %d needs at least %d training samples", K, 2 * K);
  const int G = size < ntask ? size : ntask, g = rank % G;
  MPI_Comm gc;
  if (MPI_Comm_split(comm, g, rank, &gc)) SF_ERROR(SF_ERR_MPI, "MPI_Comm_split failed");
  int grank;
  MPI_Comm_rank(gc, &grank);
  sf_train_cfg cc = *c;
  if (c->cv_epochs > 0) cc.tp.epochs = c->cv_epochs;
  double *score = NULL, *Dt = NULL, *Yt = NULL, *Dv = NULL, *Yv = NULL, *Wt = NULL, *Wv = NULL, *yp = NULL;
  cc.sample_w = NULL;
  int st = sf_calloc((void **)&score, ntask, sizeof *score);
  if (!st) st = sf_calloc((void **)&Dt, 6 * (size_t)n, sizeof *Dt);
  if (!st) st = sf_calloc((void **)&Yt, (size_t)n * nout, sizeof *Yt);
  if (!st) st = sf_calloc((void **)&Dv, 6 * (size_t)n, sizeof *Dv);
  if (!st) st = sf_calloc((void **)&Yv, (size_t)n * nout, sizeof *Yv);
  if (!st) st = sf_calloc((void **)&Wt, (size_t)n, sizeof *Wt);
  if (!st) st = sf_calloc((void **)&Wv, (size_t)n, sizeof *Wv);
  if (!st) st = sf_calloc((void **)&yp, (size_t)n * nout, sizeof *yp);
  double t0 = sf_wtime();
  for (int t = g; t < ntask && !st; t += G) {
    const int cand = t / K, fold = t % K;
    const int depth = c->cv_depths[cand / c->ncv_w], width = c->cv_widths[cand % c->ncv_w];
    cc.nhidden[i] = depth;
    for (int l = 0; l < depth; l++) cc.hidden[i][l] = width;
    /* contiguous folds, in sample order */
    const int v0 = (int)((long)n * fold / K), v1 = (int)((long)n * (fold + 1) / K);
    int nt = 0, nv = 0;
    for (int s = 0; s < n; s++) {
      int val = s >= v0 && s < v1;
      memcpy((val ? Dv + 6 * (size_t)nv : Dt + 6 * (size_t)nt), D + 6 * (size_t)s, 6 * sizeof *D);
      memcpy((val ? Yv + (size_t)nv * nout : Yt + (size_t)nt * nout), Y + (size_t)s * nout, nout * sizeof *Y);
      (val ? Wv : Wt)[val ? nv : nt] = c->sample_w ? c->sample_w[s] : 1.0;
      if (val) nv++;
      else nt++;
    }
    sf_mlp m;
    st = sf_train_make_net(&cc, i, nout, c->tp.seed + 31 * t, &m);
    if (!st) {
      sf_train_set_scalers(&cc, i < 4 ? i : -1, pca, &m, Dt, Yt, nt);
      sf_train_params tp = cc.tp;
      tp.weight = c->sample_w ? Wt : NULL;
      char name[64];
      snprintf(name, sizeof name, "%s cross-validation", label[i]);
      tp.name = name;
      st = sf_mlp_train(gc, &m, Dt, Yt, nt, &tp, NULL);
    }
    /* validation MSE in standardised units, weighted as the training loss */
    double mse = 0, wsum = 0;
    if (!st) st = sf_mlp_predict(&m, Dv, nv, yp, NULL);
    for (int s = 0; s < nv && !st; s++) {
      for (int o = 0; o < nout; o++) {
        double d = (yp[(size_t)s * nout + o] - Yv[(size_t)s * nout + o]) / m.ystd[o];
        mse += Wv[s] * d * d;
      }
      wsum += Wv[s];
    }
    if (!st) mse /= wsum * nout;
    if (grank == 0) score[t] = mse;
    sf_mlp_free(&m);
  }
  MPI_Comm_free(&gc);
  int any = st;
  MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, comm);
  /* a stop signal (SF_STOPPED) keeps its code: the run stops cleanly, it did not fail */
  if (!st && any) st = sf_error_set(any, __FILE__, __LINE__, __func__, "cross-validation %s on another rank", any == SF_STOPPED ? "stopped" : "failed");
  if (!st) MPI_Allreduce(MPI_IN_PLACE, score, ntask, MPI_DOUBLE, MPI_SUM, comm);
  if (!st) {
    cJSON *o = cJSON_AddObjectToObject((cJSON *)json, label[i]);
    cJSON *arr = cJSON_AddArrayToObject(o, "candidates");
    int best = 0;
    double bestv = 0;
    for (int cand = 0; cand < ncand; cand++) {
      double v = 0;
      for (int k = 0; k < K; k++) v += score[cand * K + k] / K;
      cJSON *e = cJSON_CreateObject();
      cJSON_AddNumberToObject(e, "depth", c->cv_depths[cand / c->ncv_w]);
      cJSON_AddNumberToObject(e, "width", c->cv_widths[cand % c->ncv_w]);
      cJSON_AddNumberToObject(e, "val_mse", v);
      cJSON_AddItemToArray(arr, e);
      if (cand == 0 || v < bestv) best = cand, bestv = v;
    }
    c->nhidden[i] = c->cv_depths[best / c->ncv_w];
    for (int l = 0; l < c->nhidden[i]; l++) c->hidden[i][l] = c->cv_widths[best % c->ncv_w];
    cJSON_AddNumberToObject(o, "chosen_depth", c->nhidden[i]);
    cJSON_AddNumberToObject(o, "chosen_width", c->hidden[i][0]);
    cJSON_AddNumberToObject(o, "time_s", sf_wtime() - t0);
    sf_log(1, "  cv %-6s: %d folds x %d candidates on %d rank groups: chosen %d x %d (val MSE %.3e, %.1f s)\n",
           label[i], K, ncand, G, c->nhidden[i], c->hidden[i][0], bestv, sf_wtime() - t0);
  }
  sf_free(score);
  sf_free(Dt);
  sf_free(Yt);
  sf_free(Dv);
  sf_free(Yv);
  sf_free(Wt);
  sf_free(Wv);
  sf_free(yp);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}
