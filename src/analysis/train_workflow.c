/* train_workflow.c — the training workflow: split of the dataset, distributed PCA of each
 * field, the targets and untrained networks (with optional cross-validation), the six
 * networks trained side by side on rank groups (train_groups.c; resumable from the
 * checkpoint), then the metrics (train_metrics.c), for the learning-curve points and the
 * full training set.  Every rank takes part; the snapshot matrix is split by grid planes
 * and never gathered. */
#include "strainfield/core.h"
#include "train_internal.h"
#include "strainfield/elastic.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sample selection: first ntrain train, last ntest test; failed/missing samples skipped. */
int sf_train_make_split(const sf_dataset *ds, sf_train_cfg *c, int **itr, int **ite, int *ntr, int *nte, int *nskip)
{
  int N = ds->N;
  /* ntest < 0: no test set (a model of every sample, as active learning's round models) */
  int ntest = c->ntest > 0 ? c->ntest : c->ntest < 0 ? 0 : N / 3;
  int ntrain = c->ntrain > 0 ? c->ntrain : N - ntest;
  if (ntrain + ntest > N)
    SF_ERROR(SF_ERR_INPUT, "-ntrain %d + -ntest %d exceeds the %d samples of %s", ntrain, ntest, N, ds->path);
  c->ntrain = ntrain;
  c->ntest = ntest;
  SF_CHECK(sf_calloc((void **)itr, ntrain + 1, sizeof(int)));
  SF_CHECK(sf_calloc((void **)ite, ntest + 1, sizeof(int)));
  *ntr = *nte = *nskip = 0;
  for (int i = 0; i < N; i++) {
    int ok = ds->status[i] == 1 && isfinite(ds->F[i]);
    int in_tr = i < ntrain, in_te = i >= N - ntest;
    if (!in_tr && !in_te) continue;
    if (!ok) {
      (*nskip)++;
      continue;
    }
    if (in_tr) (*itr)[(*ntr)++] = i;
    else (*ite)[(*nte)++] = i;
  }
  if (*ntr < 8) SF_ERROR(SF_ERR_INPUT, "only %d usable training samples (at least 8 are needed; see -ntrain, -ntest)", *ntr);
  if (*nte < 1 && ntest > 0) SF_ERROR(SF_ERR_INPUT, "no usable test samples");
  return SF_OK;
}

/* ---------- the targets of each network ---------- */

/* What the preparation hands to the training and to the metrics. */
typedef struct {
  double *Ctr[SF_NFIELD]; /* training coefficients of each field, ntr × k (every rank) */
  double *wts[SF_NFIELD]; /* per-sample loss weights (range scaling), or NULL */
  double *Xtr, *Ftr;      /* unwrapped xred (ntr × 3 natom) and F (ntr) */
  double *Gtr;            /* -stress_weight: ∂F/∂D of each training sample's DFT stress (ntr × 6) */
} targets;

static void targets_free(targets *t)
{
  for (int f = 0; f < SF_NFIELD; f++) {
    sf_free(t->Ctr[f]);
    sf_free(t->wts[f]);
  }
  sf_free(t->Xtr);
  sf_free(t->Ftr);
  sf_free(t->Gtr);
  memset(t, 0, sizeof *t);
}

/* Range scaling: per-sample loss weights 1/range² of the distributed snapshots X
 * (ntr × nloc), normalised to mean 1.  Collective. */
static int range_weights(MPI_Comm comm, const double *X, int ntr, long nloc, double **wts_out)
{
  double *wts = NULL;
  SF_CHECK(sf_status_agree(comm, sf_calloc((void **)&wts, 2 * (size_t)ntr, sizeof *wts)));
  for (int i = 0; i < ntr; i++) {
    double hi = -INFINITY, lo = INFINITY;
    for (long q = 0; q < nloc; q++) {
      double x = X[(size_t)i * nloc + q];
      hi = x > hi ? x : hi;
      lo = x < lo ? x : lo;
    }
    wts[i] = hi;
    wts[ntr + i] = -lo;
  }
  MPI_Allreduce(MPI_IN_PLACE, wts, 2 * ntr, MPI_DOUBLE, MPI_MAX, comm);
  double sum = 0;
  for (int i = 0; i < ntr; i++) {
    double r = wts[i] + wts[ntr + i];
    wts[i] = r > 0 ? 1 / (r * r) : 0;
    sum += wts[i];
  }
  for (int i = 0; i < ntr; i++) wts[i] = sum > 0 ? wts[i] * ntr / sum : 1;
  *wts_out = wts;
  return SF_OK;
}

/* PCA of the training snapshots of field f, their coefficients, optional
 * cross-validation, and the untrained network with its scalers. */
static int field_prepare(MPI_Comm comm, sf_train_cfg *c, const sf_train_split *sp, int f, int ntr, sf_pca *pca,
                         sf_mlp *net, targets *tg, double *t_pca, cJSON *cvjson)
{
  const sf_dataset *ds = sp->ds;
  int pl0, npl, st = SF_OK;
  const long nloc = sf_train_my_planes(comm, ds, &pl0, &npl), p0 = pl0 * (long)ds->ngrid[1] * ds->ngrid[2];
  double *X = NULL;
  double t0 = sf_wtime();
  SF_CHECK_GOTO(sf_status_agree(comm, sf_calloc((void **)&X, (size_t)ntr * (nloc ? nloc : 1), sizeof *X)));
  SF_CHECK_GOTO(sf_dataset_read_field(ds, f, sp->itr, ntr, pl0, npl, X));
  if (c->coef_scaling[f] == 2) SF_CHECK_GOTO(range_weights(comm, X, ntr, nloc, &tg->wts[f]));
  double t1 = sf_wtime();
  SF_CHECK_GOTO(sf_pca_fit(comm, X, ntr, nloc, p0, ds->npt, c->ncomp[f], pca));
  const int k = pca->k;
  SF_CHECK_GOTO(sf_status_agree(comm, sf_calloc((void **)&tg->Ctr[f], (size_t)ntr * k, sizeof(double))));
  double *Ctr = tg->Ctr[f];
  /* X is centred: coefficients are X basis^T */
  if (nloc) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ntr, k, (int)nloc, 1.0, X, (int)nloc, pca->basis, (int)nloc, 0.0, Ctr, k);
  MPI_Allreduce(MPI_IN_PLACE, Ctr, ntr * k, MPI_DOUBLE, MPI_SUM, comm);
  sf_free(X);
  X = NULL;
  double t2 = sf_wtime();
  *t_pca += t2 - t1;
  double expl = 0;
  for (int j = 0; j < k; j++) expl += pca->eig[j];
  if (pca->total_var > 0) expl /= pca->total_var;
  sf_log(1, "  %-4s PCA: %d components explain %.8f of the variance (read %.2f s, PCA %.2f s)\n", sf_field_names[f],
         k, expl, t1 - t0, t2 - t1);
  c->sample_w = tg->wts[f]; /* cross-validation weighs its folds alike */
  if (cvjson) st = sf_train_cv(comm, c, f, sp->Dtr, Ctr, k, pca, ntr, cvjson);
  c->sample_w = NULL;
  SF_CHECK_GOTO(st);
  SF_CHECK_GOTO(sf_train_make_net(c, f, k, c->tp.seed + 101 * (f + 1), net));
  sf_train_set_scalers(c, f, pca, net, sp->Dtr, Ctr, ntr);
cleanup:
  sf_free(X);
  return st;
}

/* Positions taken to the periodic image nearest ref, so that a network learns a smooth
 * function of D. */
static void unwrap_xred(const sf_dataset *ds, const int *idx, int n, const double *ref, double *out)
{
  const int m = 3 * ds->natom;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) {
      double x = ds->xred[(size_t)idx[i] * m + j];
      out[(size_t)i * m + j] = x - round(x - ref[j]);
    }
}

/* The ∂F/∂D whose eq. 13 stress through each sample's cell is its DFT stress (the same
 * map `predict` uses for the model's stress, so the loss is linear in ∂F/∂D). */
static int stress_targets(const sf_dataset *ds, const int *itr, int ntr, double **G)
{
  if (!ds->stress || !ds->rprimd || !ds->have_ref)
    SF_ERROR(SF_ERR_INPUT, "-stress_weight: %s has no stress column, sample lattices or reference lattice", ds->path);
  SF_CHECK(sf_calloc((void **)G, 6 * (size_t)ntr, sizeof(double)));
  double ref[3][3];
  memcpy(ref, ds->ref_rprimd, sizeof ref);
  for (int i = 0; i < ntr; i++) {
    double lat[3][3], sig[3][3];
    memcpy(lat, ds->rprimd + 9 * (size_t)itr[i], sizeof lat);
    memcpy(sig, ds->stress + 9 * (size_t)itr[i], sizeof sig);
    SF_CHECK(sf_cauchy_to_dF(ref, (const double(*)[3])lat, (const double(*)[3])sig, *G + 6 * (size_t)i));
  }
  return SF_OK;
}

/* Targets, optional cross-validation and the untrained xred (when there are atoms) and
 * energy networks with their scalers. */
static int scalar_prepare(MPI_Comm comm, sf_train_cfg *c, const sf_train_split *sp, int ntr, sf_mlp *netx,
                          sf_mlp *netF, targets *tg, cJSON *cvjson)
{
  const sf_dataset *ds = sp->ds;
  const int m = 3 * ds->natom;
  SF_CHECK(sf_calloc((void **)&tg->Xtr, (size_t)ntr * (m ? m : 1), sizeof(double)));
  SF_CHECK(sf_calloc((void **)&tg->Ftr, ntr, sizeof(double)));
  for (int i = 0; i < ntr; i++) tg->Ftr[i] = ds->F[sp->itr[i]];
  if (c->stress_weight > 0) SF_CHECK(stress_targets(ds, sp->itr, ntr, &tg->Gtr));
  if (m) {
    unwrap_xred(ds, sp->itr, ntr, ds->xred + (size_t)sp->itr[0] * m, tg->Xtr);
    if (cvjson) SF_CHECK(sf_train_cv(comm, c, 4, sp->Dtr, tg->Xtr, m, NULL, ntr, cvjson));
    SF_CHECK(sf_train_make_net(c, 4, m, c->tp.seed + 707, netx));
    sf_train_set_scalers(c, -1, NULL, netx, sp->Dtr, tg->Xtr, ntr);
  }
  if (cvjson) SF_CHECK(sf_train_cv(comm, c, 5, sp->Dtr, tg->Ftr, 1, NULL, ntr, cvjson));
  SF_CHECK(sf_train_make_net(c, 5, 1, c->tp.seed + 909, netF));
  sf_train_set_scalers(c, -1, NULL, netF, sp->Dtr, tg->Ftr, ntr);
  return SF_OK;
}

/* ---------- training ---------- */

/* Under -resume: the networks' weights and states from the checkpoint, when there is one.
 * Every rank reads it (a small file) and the ranks agree before training. */
static int resume_from_checkpoint(MPI_Comm comm, const sf_train_cfg *c, const char *identity, int nn,
                                  sf_mlp *const *nets, sf_mlp_state *const *states, const char *const *lab)
{
  int rank, have = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) have = access(c->checkpoint, F_OK) == 0;
  MPI_Bcast(&have, 1, MPI_INT, 0, comm);
  if (!have) {
    sf_log(1, "train: -resume: no checkpoint %s, starting from the beginning\n", c->checkpoint);
    return SF_OK;
  }
  SF_CHECK(sf_status_agree(comm, sf_train_checkpoint_read(c->checkpoint, identity, nn, lab, nets, states)));
  sf_log(1, "train: resuming from %s:", c->checkpoint);
  for (int i = 0; i < nn; i++) sf_log(1, " %s epoch %d%s", lab[i], states[i]->epoch, i + 1 < nn ? "," : "\n");
  return SF_OK;
}

/* After a stop signal: every network's state to the checkpoint (rank 0 writes), and
 * SF_STOPPED with a message that says how to continue. */
static int save_on_stop(MPI_Comm comm, sf_train_cfg *c, const char *identity, int nn, sf_mlp *const *nets,
                        sf_mlp_state *const *states, const char *const *lab)
{
  int rank;
  MPI_Comm_rank(comm, &rank);
  char why[1024];
  snprintf(why, sizeof why, "%s", sf_error_message());
  int wst = rank == 0 ? sf_train_checkpoint_write(c->checkpoint, identity, nn, lab, nets, states) : SF_OK;
  SF_CHECK(sf_status_agree(comm, wst));
  sf_error_reset();
  c->checkpoint_written = 1;
  SF_ERROR(SF_STOPPED, "%s; the training state is saved in %s: run the same train command with -resume to continue",
           why, c->checkpoint);
}

/* The final training of the networks, resumable: from the checkpoint under -resume, and
 * on a stop signal every network's state goes to the checkpoint and SF_STOPPED is
 * returned.  (Learning-curve points and cross-validation are not checkpointed: they are
 * redone, identically, by a resumed run.) */
static int train_resumable(MPI_Comm comm, sf_train_cfg *c, const sf_dataset *ds, int nn, sf_mlp *const *nets,
                           const double *X, const double *const *Y, int n, const sf_train_params *tp,
                           const char *const *lab)
{
  int st = SF_OK;
  static sf_mlp_state state[SF_TRAIN_MAXJOBS];
  sf_mlp_state *sp[SF_TRAIN_MAXJOBS];
  memset(state, 0, sizeof state);
  float *mem = NULL;
  char *identity = NULL;
  size_t total = 0;
  for (int i = 0; i < nn; i++) total += nets[i]->nparam;
  SF_CHECK_GOTO(sf_calloc((void **)&mem, 2 * total, sizeof *mem));
  identity = sf_train_identity(ds->checksum);
  if (!identity) SF_ERROR_GOTO(SF_ERR_MEM, "cannot format the run identity");
  for (size_t i = 0, off = 0; i < (size_t)nn; off += 2 * nets[i]->nparam, i++) {
    state[i].mom = mem + off;
    state[i].vel = mem + off + nets[i]->nparam;
    sp[i] = &state[i];
  }
  if (c->resume) SF_CHECK_GOTO(resume_from_checkpoint(comm, c, identity, nn, nets, sp, lab));
  st = sf_train_networks(comm, c->train_groups, nn, nets, X, Y, n, tp, lab, sp);
  if (st == SF_STOPPED) st = save_on_stop(comm, c, identity, nn, nets, sp, lab);
  SF_CHECK_GOTO(st);
cleanup:
  free(identity);
  sf_free(mem);
  return st;
}

/* All networks and metrics for the first ntr training samples; the model is filled when
 * `model` is not NULL (otherwise everything is freed: a learning-curve point).  Every
 * network's data and initial weights first, then all networks trained side by side on
 * rank groups, then the metrics. */
static int pipeline(MPI_Comm comm, sf_train_cfg *c, sf_train_split *sp, int ntr, sf_model *model, cJSON *res,
                    cJSON *cvjson)
{
  sf_model tmp;
  sf_model *m = model ? model : &tmp;
  static sf_train_jobs jobs; /* large; one pipeline at a time */
  sf_train_jobs *j = &jobs;
  memset(&tmp, 0, sizeof tmp);
  sf_field_metrics fm[SF_NFIELD];
  sf_scalar_metrics sm;
  targets tg;
  memset(fm, 0, sizeof fm);
  memset(&sm, 0, sizeof sm);
  memset(&tg, 0, sizeof tg);
  double t_pca = 0, t_train = 0, t0 = sf_wtime();
  int st = SF_OK;
  for (int f = 0; f < SF_NFIELD; f++)
    SF_CHECK_GOTO(field_prepare(comm, c, sp, f, ntr, &m->pca[f], &m->net_field[f], &tg, &t_pca, cvjson));
  SF_CHECK_GOTO(scalar_prepare(comm, c, sp, ntr, &m->net_xred, &m->net_energy, &tg, cvjson));
  /* the model's networks, then (final model only) their other ensemble members */
  memset(j, 0, sizeof *j);
  for (int i = 0; i < SF_NNET; i++) {
    if (i == 4 && !sp->ds->natom) continue;
    const int a = j->n++;
    j->nets[a] = sf_model_net(m, i, 0);
    j->netid[a] = i;
    j->Y[a] = i < SF_NFIELD ? tg.Ctr[i] : i == 4 ? tg.Xtr : tg.Ftr;
    j->lab[a] = sf_train_net_names[i];
    j->tp[a] = c->tp;
    j->tp[a].weight = j->base_weight[a] = i < SF_NFIELD ? tg.wts[i] : NULL;
    j->tp[a].name = sf_train_net_names[i];
    if (i == 5 && c->stress_weight > 0) {
      j->tp[a].grad_target = tg.Gtr;
      j->tp[a].grad_weight = c->stress_weight;
    }
  }
  const int K = model && c->ensemble > 1 ? c->ensemble : 1;
  if (model && (K > 1 || c->ensemble_bootstrap)) SF_CHECK_GOTO(sf_train_jobs_add_members(c, m, K, ntr, j));
  double t1 = sf_wtime();
  if (model) SF_CHECK_GOTO(train_resumable(comm, c, sp->ds, j->n, j->nets, sp->Dtr, j->Y, ntr, j->tp, j->lab));
  else SF_CHECK_GOTO(sf_train_networks(comm, c->train_groups, j->n, j->nets, sp->Dtr, j->Y, ntr, j->tp, j->lab, NULL));
  t_train = sf_wtime() - t1;
  if (K > 1) SF_CHECK_GOTO(sf_train_ensemble_scale(j, m, sp->Dtr, ntr));
  for (int f = 0; f < SF_NFIELD; f++)
    SF_CHECK_GOTO(sf_train_field_metrics(comm, sp, f, ntr, m, tg.Ctr[f], &m->lin_field[f], &fm[f]));
  SF_CHECK_GOTO(sf_train_scalar_metrics(sp, ntr, m, tg.Xtr, &m->lin_xred, tg.Ftr, &m->lin_energy, &sm));
  targets_free(&tg);
  const double times[3] = {t_pca, t_train, sf_wtime() - t0};
  if (sp->nte) sf_train_metrics_json(res, m, fm, &sm, ntr, times);
  if (model && sp->nte) sf_train_test_samples_json(res, sp, fm, &sm);
cleanup:
  sf_train_jobs_free(&jobs);
  sf_train_metrics_free(fm, &sm);
  targets_free(&tg);
  if (!model) sf_model_free(&tmp);
  return st;
}

/* ---------- the run ---------- */

/* The identity and counts of the run, first in the metrics. */
static void header_json(cJSON *root, const sf_dataset *ds, const sf_train_split *sp, int nskip, int nranks)
{
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "dataset", ds->path);
  cJSON_AddStringToObject(root, "dataset_checksum", ds->checksum);
  cJSON_AddNumberToObject(root, "ntrain", sp->ntr);
  cJSON_AddNumberToObject(root, "ntest", sp->nte);
  cJSON_AddNumberToObject(root, "nskipped", nskip);
  cJSON_AddNumberToObject(root, "nranks", nranks);
}

/* What the model records besides its networks: the grid, the reference cell and the
 * dataset it was trained on. */
static int model_finish(sf_model *model, const sf_dataset *ds)
{
  model->natom = ds->natom;
  memcpy(model->ngrid, ds->ngrid, sizeof model->ngrid);
  model->npt = ds->npt;
  for (int f = 0; f < SF_NFIELD; f++) model->ncomp[f] = model->pca[f].k;
  memcpy(model->ref_rprimd, ds->ref_rprimd, sizeof model->ref_rprimd);
  model->have_ref = ds->have_ref;
  snprintf(model->dataset_checksum, sizeof model->dataset_checksum, "%s", ds->checksum);
  model->dataset_settings = ds->settings ? strdup(ds->settings) : NULL;
  if (ds->settings && !model->dataset_settings) SF_ERROR(SF_ERR_MEM, "cannot copy the dataset settings");
  return SF_OK;
}

int sf_training_run(MPI_Comm comm, sf_train_cfg *c, const sf_dataset *ds, cJSON *root, sf_model *model)
{
  int size, st = SF_OK;
  MPI_Comm_size(comm, &size);
  int *itr = NULL, *ite = NULL, ntr = 0, nte = 0, nskip = 0;
  sf_train_split sp = {ds, NULL, NULL, 0, 0, NULL, NULL};
  SF_CHECK_GOTO(sf_train_make_split(ds, c, &itr, &ite, &ntr, &nte, &nskip));
  sp = (sf_train_split){ds, itr, ite, ntr, nte, NULL, NULL};
  SF_CHECK_GOTO(sf_calloc((void **)&sp.Dtr, 6 * (size_t)ntr, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&sp.Dte, 6 * (size_t)nte + 6, sizeof(double)));
  for (int i = 0; i < ntr; i++) memcpy(sp.Dtr + 6 * i, ds->D + 6 * (size_t)itr[i], 6 * sizeof(double));
  for (int i = 0; i < nte; i++) memcpy(sp.Dte + 6 * i, ds->D + 6 * (size_t)ite[i], 6 * sizeof(double));
  sf_log(1, "train: dataset %s (id %s): %d samples, grid %dx%dx%d, %d atoms; %d ranks\n", ds->path, ds->checksum, ds->N,
         ds->ngrid[0], ds->ngrid[1], ds->ngrid[2], ds->natom, size);
  sf_log(1, "train: %d training samples (first %d), %d test samples (last %d), %d failed/missing skipped\n", ntr,
         c->ntrain, nte, c->ntest, nskip);
  header_json(root, ds, &sp, nskip, size);
  cJSON_AddNumberToObject(root, "stress_weight", c->stress_weight);
  cJSON *cvjson = c->cv_folds > 1 ? cJSON_AddObjectToObject(root, "cv") : NULL;
  /* learning curve first (sizes below ntrain), then the model on the full training set */
  if (c->nlc) {
    cJSON *lc = cJSON_AddArrayToObject(root, "learning_curve");
    for (int i = 0; i < c->nlc; i++) {
      int n = c->lc_sizes[i] < ntr ? c->lc_sizes[i] : ntr;
      sf_log(1, "train: learning curve point n = %d\n", n);
      cJSON *pt = cJSON_CreateObject();
      cJSON_AddItemToArray(lc, pt);
      SF_CHECK_GOTO(pipeline(comm, c, &sp, n, NULL, pt, NULL));
    }
  }
  sf_log(1, "train: full training set (%d samples)\n", ntr);
  SF_CHECK_GOTO(pipeline(comm, c, &sp, ntr, model, root, cvjson));
  SF_CHECK_GOTO(model_finish(model, ds));
cleanup:
  sf_free(itr);
  sf_free(ite);
  sf_free(sp.Dtr);
  sf_free(sp.Dte);
  return st;
}
