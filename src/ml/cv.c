/* cv.c — k-fold cross-validation of network architectures (the paper's §4.2): every
 * (depth, width) candidate × fold is one task; tasks are dealt round-robin to the
 * training groups of the world (contiguous rank groups, layout.h), each group trains
 * data-parallel, and the validation errors are summed over the world.  The candidate
 * with the lowest mean validation MSE (standardised units) wins. */
#include "strainfield/core.h"
#include "strainfield/layout.h"
#include "train_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>


/* One fold's training and validation rows (inputs D, targets Y, loss weights W), the
 * predictions, and every task's score. */
typedef struct {
  double *Dt, *Yt, *Wt, *Dv, *Yv, *Wv, *yp, *score;
} cv_work;

static int work_alloc(cv_work *w, int ntask, int n, int nout)
{
  SF_CHECK(sf_calloc((void **)&w->score, ntask, sizeof *w->score));
  SF_CHECK(sf_calloc((void **)&w->Dt, 6 * (size_t)n, sizeof *w->Dt));
  SF_CHECK(sf_calloc((void **)&w->Yt, (size_t)n * nout, sizeof *w->Yt));
  SF_CHECK(sf_calloc((void **)&w->Dv, 6 * (size_t)n, sizeof *w->Dv));
  SF_CHECK(sf_calloc((void **)&w->Yv, (size_t)n * nout, sizeof *w->Yv));
  SF_CHECK(sf_calloc((void **)&w->Wt, (size_t)n, sizeof *w->Wt));
  SF_CHECK(sf_calloc((void **)&w->Wv, (size_t)n, sizeof *w->Wv));
  SF_CHECK(sf_calloc((void **)&w->yp, (size_t)n * nout, sizeof *w->yp));
  return SF_OK;
}

static void work_free(cv_work *w)
{
  double *p[] = {w->Dt, w->Yt, w->Wt, w->Dv, w->Yv, w->Wv, w->yp, w->score};
  for (size_t k = 0; k < sizeof p / sizeof p[0]; k++) sf_free(p[k]);
  memset(w, 0, sizeof *w);
}

/* Task t (candidate t / K, fold t % K) trained on the group gc: the validation MSE in
 * standardised units, weighted as the training loss.  cc: the cfg with this task's
 * architecture is written into net i. */
static int cv_task(MPI_Comm gc, const sf_train_cfg *c, sf_train_cfg *cc, int i, int t, const double *D,
                   const double *Y, int nout, const sf_pca *pca, int n, cv_work *w, double *mse_out)
{
  int st = SF_OK;
  const int K = c->cv_folds, cand = t / K, fold = t % K;
  const int depth = c->cv_depths[cand / c->ncv_w], width = c->cv_widths[cand % c->ncv_w];
  cc->nhidden[i] = depth;
  for (int l = 0; l < depth; l++) cc->hidden[i][l] = width;
  /* contiguous folds, in sample order */
  const int v0 = (int)((long)n * fold / K), v1 = (int)((long)n * (fold + 1) / K);
  int nt = 0, nv = 0;
  for (int s = 0; s < n; s++) {
    int val = s >= v0 && s < v1;
    memcpy((val ? w->Dv + 6 * (size_t)nv : w->Dt + 6 * (size_t)nt), D + 6 * (size_t)s, 6 * sizeof *D);
    memcpy((val ? w->Yv + (size_t)nv * nout : w->Yt + (size_t)nt * nout), Y + (size_t)s * nout, nout * sizeof *Y);
    (val ? w->Wv : w->Wt)[val ? nv : nt] = c->sample_w ? c->sample_w[s] : 1.0;
    if (val) nv++;
    else nt++;
  }
  sf_mlp m;
  memset(&m, 0, sizeof m);
  SF_CHECK_GOTO(sf_train_make_net(cc, i, nout, c->tp.seed + 31 * t, &m));
  sf_train_set_scalers(cc, i < 4 ? i : -1, pca, &m, w->Dt, w->Yt, nt);
  sf_train_params tp = cc->tp;
  tp.weight = c->sample_w ? w->Wt : NULL;
  char name[64];
  snprintf(name, sizeof name, "%s cross-validation", sf_train_net_names[i]);
  tp.name = name;
  SF_CHECK_GOTO(sf_mlp_train(gc, &m, w->Dt, w->Yt, nt, &tp, NULL));
  SF_CHECK_GOTO(sf_mlp_predict(&m, w->Dv, nv, w->yp, NULL));
  double mse = 0, wsum = 0;
  for (int s = 0; s < nv; s++) {
    for (int o = 0; o < nout; o++) {
      double d = (w->yp[(size_t)s * nout + o] - w->Yv[(size_t)s * nout + o]) / m.ystd[o];
      mse += w->Wv[s] * d * d;
    }
    wsum += w->Wv[s];
  }
  *mse_out = mse / (wsum * nout);
cleanup:
  sf_mlp_free(&m);
  return st;
}

/* The candidate with the lowest mean score over the folds becomes net i's architecture;
 * every candidate's score goes to json. */
static void cv_choose(sf_train_cfg *c, int i, const double *score, int ngroups, cJSON *json, double t0)
{
  const int K = c->cv_folds, ncand = c->ncv_w * c->ncv_d;
  cJSON *o = cJSON_AddObjectToObject(json, sf_train_net_names[i]);
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
         sf_train_net_names[i], K, ncand, ngroups, c->nhidden[i], c->hidden[i][0], bestv, sf_wtime() - t0);
}

int sf_train_cv(MPI_Comm comm, sf_train_cfg *c, int i, const double *D, const double *Y, int nout,
                const sf_pca *pca, int n, void *json)
{
  int size;
  MPI_Comm_size(comm, &size);
  const int K = c->cv_folds, ntask = c->ncv_w * c->ncv_d * K;
  if (K < 2 || n < 2 * K) SF_ERROR(SF_ERR_INPUT, "-cv_folds %d needs at least %d training samples", K, 2 * K);
  int st = SF_OK;
  sf_layout_groups tg = {.comm = MPI_COMM_NULL};
  cv_work w = {0};
  sf_train_cfg cc = *c;
  if (c->cv_epochs > 0) cc.tp.epochs = c->cv_epochs;
  cc.sample_w = NULL;
  SF_CHECK_GOTO(sf_layout_groups_create(comm, size < ntask ? size : ntask, "training", &tg));
  SF_CHECK_GOTO(sf_status_agree(comm, work_alloc(&w, ntask, n, nout)));
  double t0 = sf_wtime();
  /* a task failing in one group must not leave the others in the sum below: the groups
   * agree on the status first (a stop signal, SF_STOPPED, keeps its code) */
  int task_st = SF_OK;
  for (int t = tg.my_group; t < ntask && !task_st; t += tg.ngroups) {
    double mse = 0;
    task_st = cv_task(tg.comm, c, &cc, i, t, D, Y, nout, pca, n, &w, &mse);
    if (tg.rank == 0) w.score[t] = mse;
  }
  SF_CHECK_GOTO(sf_status_agree(comm, task_st));
  if (MPI_Allreduce(MPI_IN_PLACE, w.score, ntask, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS)
    SF_ERROR_GOTO(SF_ERR_MPI, "MPI_Allreduce of the cross-validation scores failed");
  cv_choose(c, i, w.score, tg.ngroups, (cJSON *)json, t0);
cleanup:
  sf_layout_groups_free(&tg);
  work_free(&w);
  return st;
}
