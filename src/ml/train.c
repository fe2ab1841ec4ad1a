/* train.c — `strainfield train`: distributed PCA of each field, training of the networks
 * D → coefficients / xred / F (side by side on rank groups, data-parallel inside each:
 * train_groups.c), linear baselines, test metrics (paper eq. 12), optional
 * cross-validation and learning curve, and the model file.  Every rank takes part; the
 * snapshot matrix is split by grid planes and never gathered. */
#include "strainfield/core.h"
#include "strainfield/dataset.h"
#include "strainfield/ml.h"
#include "strainfield/options.h"
#include "strainfield/output.h"
#include "train_internal.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *net_label[SF_NNET] = {"rho", "phi", "u", "s", "xred", "energy"};

/* Bounds of the counts, far above any real use, so a typo fails at once instead of
 * asking for terabytes or years. */
#define SF_TRAIN_MAXWIDTH 65536
#define SF_TRAIN_MAXEPOCHS 100000000

int sf_train_make_net(const sf_train_cfg *c, int i, int nout, uint64_t seed, sf_mlp *m)
{
  int w[SF_MLP_MAXLAYER + 1];
  w[0] = 6;
  for (int l = 0; l < c->nhidden[i]; l++) w[l + 1] = c->hidden[i][l];
  w[c->nhidden[i] + 1] = nout;
  SF_CHECK(sf_mlp_create(m, c->nhidden[i] + 1, w, seed));
  return SF_OK;
}

void sf_train_set_scalers(const sf_train_cfg *c, int f, const sf_pca *pca, sf_mlp *m, const double *X,
                          const double *Y, int n)
{
  sf_mlp_fit_scalers(m, X, Y, n);
  if (f >= 0 && c->coef_scaling[f] >= 1 && pca && pca->eig[0] > 0) {
    /* one scale for all coefficients: the MSE loss is then proportional to the L2 error
     * of the reconstructed field, the quantity NRMSE measures */
    const int k = m->width[m->nlayer];
    for (int j = 0; j < k; j++) m->ystd[j] = sqrt(pca->eig[0]);
  }
}

static int read_cfg(sf_train_cfg *c)
{
  memset(c, 0, sizeof *c);
  sf_train_defaults(&c->tp);
  int set;
  SF_CHECK(sf_opt_string("-dataset", NULL, "dataset HDF5 written by generate", c->dataset, sizeof c->dataset, &set));
  if (!set) c->dataset[0] = 0;
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 to write (run: DATASET.model.h5)", c->model, sizeof c->model,
                         &c->have_model));
  SF_CHECK(sf_opt_string("-summary", NULL, "metrics JSON to write", c->summary, sizeof c->summary, &c->have_summary));
  SF_CHECK(sf_opt_int("-ntrain", 0, "training samples: the first n of the dataset (0: all but -ntest)", &c->ntrain, NULL));
  SF_OPT_REJECT_IF(c->ntrain < 0, "-ntrain %d: must be >= 0 (0: all samples but -ntest)", c->ntrain);
  SF_CHECK(sf_opt_int("-ntest", 0, "test samples: the last m of the dataset (0: a third of it)", &c->ntest, NULL));
  SF_OPT_REJECT_IF(c->ntest < 0, "-ntest %d: must be >= 0 (0: a third of the samples)", c->ntest);
  int def_nc[SF_NFIELD] = {50, 50, 50, 50}, n;
  SF_CHECK(sf_opt_int_array("-pca_components", SF_NFIELD, 0, def_nc, SF_NFIELD,
                            "PCA components of rho,phi,u,s (one value: all fields)", c->ncomp, &n, NULL));
  if (n == 1)
    for (int f = 1; f < SF_NFIELD; f++) c->ncomp[f] = c->ncomp[0];
  else if (n != SF_NFIELD) SF_ERROR(SF_ERR_INPUT, "-pca_components takes 1 or 4 values");
  const int def_field[] = {500, 500}, def_small[] = {50, 100, 50};
  static const char *arch_opt[SF_NNET] = {"-arch_rho", "-arch_phi", "-arch_u", "-arch_s", "-arch_xred", "-arch_energy"};
  for (int i = 0; i < SF_NNET; i++) {
    char help[128];
    snprintf(help, sizeof help, "hidden-layer widths of the network D -> %s", net_label[i]);
    SF_CHECK(sf_opt_int_array(arch_opt[i], SF_MLP_MAXLAYER - 1, 0, i < 4 ? def_field : def_small, i < 4 ? 2 : 3, help,
                              c->hidden[i], &c->nhidden[i], NULL));
    for (int l = 0; l < c->nhidden[i]; l++)
      SF_OPT_REJECT_IF(c->hidden[i][l] < 1 || c->hidden[i][l] > SF_TRAIN_MAXWIDTH, "%s: width %d must be in 1..%d",
                       arch_opt[i], c->hidden[i][l], SF_TRAIN_MAXWIDTH);
  }
  char sc[SF_NFIELD][1024];
  int nsc = 0, scset;
  SF_CHECK(sf_opt_string_array("-coef_scaling", SF_NFIELD,
                               "output scaling of rho,phi,u,s coefficients: standard (each unit variance, the paper), "
                               "variance (one scale per field: loss = field L2 error) or range (variance, and each "
                               "sample's loss divided by its field's range squared: loss = sum of NRMSE^2, the paper's "
                               "metric); default standard for all four",
                               sc, &nsc, &scset));
  if (scset) {
    if (nsc != 1 && nsc != SF_NFIELD) SF_ERROR(SF_ERR_INPUT, "-coef_scaling takes 1 or 4 values");
    for (int f = 0; f < SF_NFIELD; f++) {
      const char *s = sc[nsc == 1 ? 0 : f];
      if (!strcmp(s, "standard")) c->coef_scaling[f] = 0;
      else if (!strcmp(s, "variance")) c->coef_scaling[f] = 1;
      else if (!strcmp(s, "range")) c->coef_scaling[f] = 2;
      else SF_ERROR(SF_ERR_INPUT, "-coef_scaling: '%s' is not standard, variance or range", s);
    }
  }
  SF_CHECK(sf_opt_real("-lr", 1e-3, "Adam learning rate", &c->tp.lr, NULL));
  /* no upper bound: too large a rate shows as a diverged loss (mlp_train.c), named there */
  SF_OPT_REJECT_IF(!(c->tp.lr > 0 && isfinite(c->tp.lr)), "-lr %g: must be finite and > 0", c->tp.lr);
  SF_CHECK(sf_opt_real("-l2", 1e-4, "l2 penalty on the weights (loss += l2 sum W^2)", &c->tp.l2, NULL));
  SF_OPT_REJECT_IF(!(c->tp.l2 >= 0 && isfinite(c->tp.l2)), "-l2 %g: must be finite and >= 0", c->tp.l2);
  SF_CHECK(sf_opt_int("-batch", 128, "mini-batch size (split over the ranks of the network's group, see -train_groups)", &c->tp.batch, NULL));
  SF_OPT_REJECT_IF(c->tp.batch < 1, "-batch %d: must be >= 1", c->tp.batch);
  SF_CHECK(sf_opt_int("-epochs", 4000, "training epochs", &c->tp.epochs, NULL));
  SF_OPT_REJECT_IF(c->tp.epochs < 0 || c->tp.epochs > SF_TRAIN_MAXEPOCHS, "-epochs %d: must be in 0..%d", c->tp.epochs,
                   SF_TRAIN_MAXEPOCHS);
  int seed;
  SF_CHECK(sf_opt_int("-seed", 1, "seed of initial weights and shuffles", &seed, NULL));
  SF_OPT_REJECT_IF(seed < 0, "-seed %d: must be >= 0", seed);
  c->tp.seed = (uint64_t)seed;
  SF_CHECK(sf_opt_int("-cv_folds", 0, "k-fold cross-validation of the architectures (0: off)", &c->cv_folds, NULL));
  SF_OPT_REJECT_IF(c->cv_folds < 0 || c->cv_folds == 1, "-cv_folds %d: must be 0 (off) or >= 2", c->cv_folds);
  SF_CHECK(sf_opt_int("-cv_epochs", 0, "epochs per cross-validation fit (0: -epochs)", &c->cv_epochs, NULL));
  SF_OPT_REJECT_IF(c->cv_epochs < 0 || c->cv_epochs > SF_TRAIN_MAXEPOCHS, "-cv_epochs %d: must be in 0..%d",
                   c->cv_epochs, SF_TRAIN_MAXEPOCHS);
  const int dw[] = {50, 100, 500}, dd[] = {1, 2, 3};
  SF_CHECK(sf_opt_int_array("-cv_widths", 8, 0, dw, 3, "hidden widths tried by cross-validation", c->cv_widths, &c->ncv_w, NULL));
  for (int k = 0; k < c->ncv_w; k++)
    SF_OPT_REJECT_IF(c->cv_widths[k] < 1 || c->cv_widths[k] > SF_TRAIN_MAXWIDTH, "-cv_widths: width %d must be in 1..%d",
                     c->cv_widths[k], SF_TRAIN_MAXWIDTH);
  SF_CHECK(sf_opt_int_array("-cv_depths", 8, 0, dd, 3, "hidden depths tried by cross-validation", c->cv_depths, &c->ncv_d, NULL));
  for (int k = 0; k < c->ncv_d; k++)
    SF_OPT_REJECT_IF(c->cv_depths[k] < 1 || c->cv_depths[k] > SF_MLP_MAXLAYER - 1, "-cv_depths: depth %d must be in 1..%d",
                     c->cv_depths[k], SF_MLP_MAXLAYER - 1);
  SF_CHECK(sf_opt_int_array("-learning_curve", 16, 0, NULL, 0,
                            "training-set sizes of the learning curve, e.g. 250,500,1000,2000 (default: none)",
                            c->lc_sizes, &c->nlc, NULL));
  for (int k = 0; k < c->nlc; k++)
    SF_OPT_REJECT_IF(c->lc_sizes[k] < 8, "-learning_curve: size %d must be >= 8 (the fewest samples train accepts)",
                     c->lc_sizes[k]);
  SF_CHECK(sf_opt_int("-train_groups", 0,
                      "rank groups training different networks side by side, data-parallel inside a group "
                      "(0: one per network of the largest size, at most one per rank; 1: all ranks on each network)",
                      &c->train_groups, NULL));
  int every;
  SF_CHECK(sf_opt_int("-log_every", 0, "log the training loss every this many epochs (at -verbosity 2)", &every, NULL));
  SF_OPT_REJECT_IF(every < 0, "-log_every %d: must be >= 0 (0: never)", every);
  c->tp.verbose_every = every;
  SF_CHECK(sf_opt_bool("-resume", 0,
                       "continue from MODEL.checkpoint.h5, written when a signal (SIGTERM, SIGINT, SIGUSR1) stopped "
                       "a train with the same options (none: start from the beginning)",
                       &c->resume, NULL));
  return SF_OK;
}

/* Checks that need every option resolved (after sf_options_finish). */
static int check_cfg(const sf_train_cfg *c)
{
  if (!c->dataset[0]) SF_ERROR(SF_ERR_INPUT, "train needs -dataset FILE");
  for (int f = 0; f < SF_NFIELD; f++)
    if (c->ncomp[f] < 1 || c->ncomp[f] > 1024) SF_ERROR(SF_ERR_INPUT, "-pca_components must be in 1..1024");
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (c->train_groups < 0 || c->train_groups > size)
    SF_ERROR(SF_ERR_INPUT, "-train_groups %d: must be 0 (automatic) or 1..%d, the number of ranks", c->train_groups, size);
  if (c->tp.epochs < 0 || c->tp.batch < 1) SF_ERROR(SF_ERR_INPUT, "-epochs must be >= 0 and -batch >= 1");
  return SF_OK;
}

/* Every output (the model, its checkpoint, the metrics) checked before any work: not an
 * input, in a writable folder.  Rank 0 looks, so that all ranks take the same way. */
static int check_outputs(MPI_Comm comm, const sf_train_cfg *c)
{
  int rank, st = 0;
  MPI_Comm_rank(comm, &rank);
  const sf_path_input in[] = {{"-dataset", c->dataset}};
  const sf_path_input out[] = {{"-model", c->model},
                               {"-summary", c->have_summary ? c->summary : NULL},
                               {"-model's checkpoint", c->checkpoint}};
  if (rank == 0) st = sf_check_outputs(out, 3, in, 1);
  MPI_Bcast(&st, 1, MPI_INT, 0, comm);
  if (st && rank) SF_ERROR(st, "an output path was refused on rank 0");
  SF_CHECK(st);
  return SF_OK;
}

/* ---------- metrics helpers ---------- */

/* per-sample NRMSE (paper eq. 12) of distributed fields: pred, truth n × nloc */
static int nrmse_dist(MPI_Comm comm, const double *pred, const double *truth, int n, long nloc, long npt, double *out)
{
  double *a = NULL;
  SF_CHECK(sf_calloc((void **)&a, 3 * (size_t)n, sizeof *a));
  double *sse = a, *mx = a + n, *mn = a + 2 * n;
  for (int i = 0; i < n; i++) {
    const double *p = pred + (size_t)i * nloc, *t = truth + (size_t)i * nloc;
    double s = 0, hi = -INFINITY, lo = INFINITY;
    for (long q = 0; q < nloc; q++) {
      double d = p[q] - t[q];
      s += d * d;
      if (t[q] > hi) hi = t[q];
      if (t[q] < lo) lo = t[q];
    }
    sse[i] = s;
    mx[i] = hi;
    mn[i] = -lo;
  }
  MPI_Allreduce(MPI_IN_PLACE, sse, n, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, mx, 2 * n, MPI_DOUBLE, MPI_MAX, comm);
  for (int i = 0; i < n; i++) {
    double range = mx[i] + mn[i];
    out[i] = sqrt(sse[i] / npt) / (range > 0 ? range : 1);
  }
  sf_free(a);
  return SF_OK;
}

static void mean_max(const double *v, int n, double *mean, double *max)
{
  double s = 0, m = 0;
  for (int i = 0; i < n; i++) {
    s += v[i];
    if (v[i] > m) m = v[i];
  }
  *mean = n ? s / n : 0;
  *max = m;
}

typedef struct {
  double mean, max, pca_mean, pca_max, lin_mean, lin_max, explained;
} field_metrics;

typedef struct {
  const sf_dataset *ds;
  const int *itr, *ite;
  int ntr, nte;
  double *Dtr, *Dte;
} split;

/* Sample selection: first ntrain train, last ntest test; failed/missing samples skipped. */
static int make_split(const sf_dataset *ds, sf_train_cfg *c, int **itr, int **ite, int *ntr, int *nte, int *nskip)
{
  int N = ds->N;
  int ntest = c->ntest > 0 ? c->ntest : N / 3;
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
  if (*nte < 1) SF_ERROR(SF_ERR_INPUT, "no usable test samples");
  return SF_OK;
}

/* ---------- one field: PCA and network setup, then metrics ---------- */

/* What a field's preparation hands to the training and to the metrics. */
typedef struct {
  double *Ctr; /* training coefficients, ntr × k (every rank) */
  double *wts; /* per-sample loss weights (range scaling), or NULL */
} field_work;

static void field_work_free(field_work *w)
{
  sf_free(w->Ctr);
  sf_free(w->wts);
  memset(w, 0, sizeof *w);
}

/* This rank's grid planes [pl0, pl0 + npl) of the distributed fields; returns their points. */
static long my_planes(MPI_Comm comm, const sf_dataset *ds, int *pl0, int *npl)
{
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  sf_split_planes(ds->ngrid[0], size, rank, pl0, npl);
  return *npl * (long)ds->ngrid[1] * ds->ngrid[2];
}

/* PCA of the training snapshots, their coefficients, optional cross-validation, and the
 * untrained network with its scalers. */
static int field_prepare(MPI_Comm comm, sf_train_cfg *c, const split *sp, int f, int ntr, sf_pca *pca, sf_mlp *net,
                         field_work *fw, double *t_pca, cJSON *cvjson)
{
  const sf_dataset *ds = sp->ds;
  int pl0, npl;
  const long nloc = my_planes(comm, ds, &pl0, &npl), p0 = pl0 * (long)ds->ngrid[1] * ds->ngrid[2];
  double *X = NULL, *Ctr = NULL;
  double t0 = sf_wtime();
  SF_CHECK(sf_calloc((void **)&X, (size_t)ntr * (nloc ? nloc : 1), sizeof *X));
  int st = sf_dataset_read_field(ds, f, sp->itr, ntr, pl0, npl, X);
  double *wts = NULL;
  if (!st && c->coef_scaling[f] == 2) { /* per-sample weights 1/range², mean 1 */
    st = sf_calloc((void **)&wts, 2 * (size_t)ntr, sizeof *wts);
    for (int i = 0; i < ntr && !st; i++) {
      double hi = -INFINITY, lo = INFINITY;
      for (long q = 0; q < nloc; q++) {
        double x = X[(size_t)i * nloc + q];
        hi = x > hi ? x : hi;
        lo = x < lo ? x : lo;
      }
      wts[i] = hi;
      wts[ntr + i] = -lo;
    }
    if (!st) MPI_Allreduce(MPI_IN_PLACE, wts, 2 * ntr, MPI_DOUBLE, MPI_MAX, comm);
    double sum = 0;
    for (int i = 0; i < ntr && !st; i++) {
      double r = wts[i] + wts[ntr + i];
      wts[i] = r > 0 ? 1 / (r * r) : 0;
      sum += wts[i];
    }
    for (int i = 0; i < ntr && !st; i++) wts[i] = sum > 0 ? wts[i] * ntr / sum : 1;
  }
  fw->wts = wts;
  double t1 = sf_wtime();
  if (!st) st = sf_pca_fit(comm, X, ntr, nloc, p0, ds->npt, c->ncomp[f], pca);
  const int k = pca->k;
  if (!st) st = sf_calloc((void **)&Ctr, (size_t)ntr * k, sizeof *Ctr);
  if (!st) { /* X is centred: coefficients are X basis^T */
    if (nloc) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ntr, k, (int)nloc, 1.0, X, (int)nloc, pca->basis, (int)nloc, 0.0, Ctr, k);
    MPI_Allreduce(MPI_IN_PLACE, Ctr, ntr * k, MPI_DOUBLE, MPI_SUM, comm);
  }
  fw->Ctr = Ctr;
  sf_free(X);
  double t2 = sf_wtime();
  *t_pca += t2 - t1;
  double expl = 0;
  for (int j = 0; j < k && !st; j++) expl += pca->eig[j];
  if (!st && pca->total_var > 0) expl /= pca->total_var;
  if (!st)
    sf_log(1, "  %-4s PCA: %d components explain %.8f of the variance (read %.2f s, PCA %.2f s)\n", sf_ml_field_names[f],
           k, expl, t1 - t0, t2 - t1);
  c->sample_w = wts; /* cross-validation weighs its folds alike */
  if (!st && cvjson) st = sf_train_cv(comm, c, f, sp->Dtr, Ctr, k, pca, ntr, cvjson);
  c->sample_w = NULL;
  if (!st) st = sf_train_make_net(c, f, k, c->tp.seed + 101 * (f + 1), net);
  if (!st) sf_train_set_scalers(c, f, pca, net, sp->Dtr, Ctr, ntr);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

/* Linear baseline and the test-set metrics of a trained field network. */
static int field_finish(MPI_Comm comm, const split *sp, int f, int ntr, const sf_pca *pca, const sf_mlp *net,
                        const field_work *fw, double **lin, field_metrics *fm)
{
  const sf_dataset *ds = sp->ds;
  int pl0, npl;
  const long nloc = my_planes(comm, ds, &pl0, &npl);
  const int nte = sp->nte, k = pca->k;
  double *X = NULL, *Cte = NULL, *Cpred = NULL, *R = NULL, *v = NULL;
  int st = sf_calloc((void **)lin, 7 * (size_t)k, sizeof(double));
  if (!st) st = sf_linear_fit(sp->Dtr, fw->Ctr, ntr, 6, k, *lin);
  /* test set: true fields (distributed), PCA-only, network and linear reconstructions */
  if (!st) st = sf_calloc((void **)&X, (size_t)nte * (nloc ? nloc : 1), sizeof *X);
  if (!st) st = sf_calloc((void **)&R, (size_t)nte * (nloc ? nloc : 1), sizeof *R);
  if (!st) st = sf_calloc((void **)&Cte, (size_t)nte * k, sizeof *Cte);
  if (!st) st = sf_calloc((void **)&Cpred, (size_t)nte * k, sizeof *Cpred);
  if (!st) st = sf_calloc((void **)&v, nte, sizeof *v);
  if (!st) st = sf_dataset_read_field(ds, f, sp->ite, nte, pl0, npl, X);
  if (!st) st = sf_pca_project(comm, pca, X, nte, Cte);
  if (!st) {
    sf_pca_reconstruct(pca, Cte, nte, R);
    st = nrmse_dist(comm, R, X, nte, nloc, ds->npt, v);
    mean_max(v, nte, &fm->pca_mean, &fm->pca_max);
  }
  if (!st) st = sf_mlp_predict(net, sp->Dte, nte, Cpred, NULL);
  if (!st) {
    sf_pca_reconstruct(pca, Cpred, nte, R);
    st = nrmse_dist(comm, R, X, nte, nloc, ds->npt, v);
    mean_max(v, nte, &fm->mean, &fm->max);
  }
  if (!st) {
    sf_linear_predict(*lin, sp->Dte, nte, 6, k, Cpred);
    sf_pca_reconstruct(pca, Cpred, nte, R);
    st = nrmse_dist(comm, R, X, nte, nloc, ds->npt, v);
    mean_max(v, nte, &fm->lin_mean, &fm->lin_max);
  }
  double s = 0;
  for (int j = 0; j < k; j++) s += pca->eig[j];
  fm->explained = pca->total_var > 0 ? s / pca->total_var : 1;
  sf_free(X);
  sf_free(R);
  sf_free(Cte);
  sf_free(Cpred);
  sf_free(v);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  sf_log(1, "  %-4s test NRMSE: mean %.4e max %.4e | PCA-only mean %.4e | linear mean %.4e\n", sf_ml_field_names[f],
         fm->mean, fm->max, fm->pca_mean, fm->lin_mean);
  return SF_OK;
}

/* ---------- xred and energy ---------- */

static void unwrap_xred(const sf_dataset *ds, const int *idx, int n, const double *ref, double *out)
{
  const int m = 3 * ds->natom;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) {
      double x = ds->xred[(size_t)idx[i] * m + j];
      out[(size_t)i * m + j] = x - round(x - ref[j]);
    }
}

static void xred_errors(const sf_dataset *ds, const int *idx, int n, const double *pred, double *mae, double *max)
{
  const int na = ds->natom;
  double s = 0, mx = 0;
  for (int i = 0; i < n; i++) {
    const double *R = ds->rprimd ? ds->rprimd + 9 * (size_t)idx[i] : NULL;
    for (int a = 0; a < na; a++) {
      double d[3], c[3] = {0, 0, 0};
      for (int j = 0; j < 3; j++) {
        d[j] = pred[(size_t)i * 3 * na + 3 * a + j] - ds->xred[((size_t)idx[i] * na + a) * 3 + j];
        d[j] -= round(d[j]);
      }
      for (int k = 0; k < 3; k++)
        for (int j = 0; j < 3; j++) c[k] += d[j] * (R ? R[3 * j + k] : (j == k));
      double e = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
      s += e;
      if (e > mx) mx = e;
    }
  }
  *mae = s / ((double)n * na);
  *max = mx;
}

typedef struct {
  double F_mae, F_max, F_lin_mae, x_mae, x_max, x_lin_mae;
} scalar_metrics;

typedef struct {
  double *Xtr, *Ftr; /* training targets: unwrapped xred (ntr × 3 natom) and F (ntr) */
} scalar_work;

static void scalar_work_free(scalar_work *w)
{
  sf_free(w->Xtr);
  sf_free(w->Ftr);
  memset(w, 0, sizeof *w);
}

/* Targets, optional cross-validation and the untrained xred (when there are atoms) and
 * energy networks with their scalers. */
static int scalar_prepare(MPI_Comm comm, sf_train_cfg *c, const split *sp, int ntr, sf_mlp *netx, sf_mlp *netF,
                          scalar_work *sw, cJSON *cvjson)
{
  const sf_dataset *ds = sp->ds;
  const int m = 3 * ds->natom;
  int st = sf_calloc((void **)&sw->Xtr, (size_t)ntr * (m ? m : 1), sizeof(double));
  if (!st) st = sf_calloc((void **)&sw->Ftr, ntr, sizeof(double));
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  for (int i = 0; i < ntr; i++) sw->Ftr[i] = ds->F[sp->itr[i]];
  if (m) {
    unwrap_xred(ds, sp->itr, ntr, ds->xred + (size_t)sp->itr[0] * m, sw->Xtr);
    if (cvjson) st = sf_train_cv(comm, c, 4, sp->Dtr, sw->Xtr, m, NULL, ntr, cvjson);
    if (!st) st = sf_train_make_net(c, 4, m, c->tp.seed + 707, netx);
    if (!st) sf_train_set_scalers(c, -1, NULL, netx, sp->Dtr, sw->Xtr, ntr);
  }
  if (!st && cvjson) st = sf_train_cv(comm, c, 5, sp->Dtr, sw->Ftr, 1, NULL, ntr, cvjson);
  if (!st) st = sf_train_make_net(c, 5, 1, c->tp.seed + 909, netF);
  if (!st) sf_train_set_scalers(c, -1, NULL, netF, sp->Dtr, sw->Ftr, ntr);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

/* Linear baselines and test errors of the trained xred and energy networks. */
static int scalar_finish(const split *sp, int ntr, const sf_mlp *netx, double **linx, const sf_mlp *netF,
                         double **linF, const scalar_work *sw, scalar_metrics *sm)
{
  const sf_dataset *ds = sp->ds;
  const int m = 3 * ds->natom, nte = sp->nte;
  double *pred = NULL;
  int st = sf_calloc((void **)&pred, (size_t)nte * (m ? m : 1) + nte, sizeof *pred);
  if (!st && m) {
    st = sf_calloc((void **)linx, 7 * (size_t)m, sizeof(double));
    if (!st) st = sf_linear_fit(sp->Dtr, sw->Xtr, ntr, 6, m, *linx);
    if (!st) st = sf_mlp_predict(netx, sp->Dte, nte, pred, NULL);
    if (!st) xred_errors(ds, sp->ite, nte, pred, &sm->x_mae, &sm->x_max);
    if (!st) {
      double dummy;
      sf_linear_predict(*linx, sp->Dte, nte, 6, m, pred);
      xred_errors(ds, sp->ite, nte, pred, &sm->x_lin_mae, &dummy);
    }
  }
  if (!st) st = sf_calloc((void **)linF, 7, sizeof(double));
  if (!st) st = sf_linear_fit(sp->Dtr, sw->Ftr, ntr, 6, 1, *linF);
  if (!st) st = sf_mlp_predict(netF, sp->Dte, nte, pred, NULL);
  if (!st) {
    double s = 0, mx = 0, sl = 0;
    for (int i = 0; i < nte; i++) {
      double e = fabs(pred[i] - ds->F[sp->ite[i]]);
      s += e;
      if (e > mx) mx = e;
    }
    sf_linear_predict(*linF, sp->Dte, nte, 6, 1, pred);
    for (int i = 0; i < nte; i++) sl += fabs(pred[i] - ds->F[sp->ite[i]]);
    sm->F_mae = 1e3 * s / nte;
    sm->F_max = 1e3 * mx;
    sm->F_lin_mae = 1e3 * sl / nte;
  }
  sf_free(pred);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  sf_log(1, "  free energy test |error|: mean %.4f mHa, max %.4f mHa (linear mean %.4f mHa)\n", sm->F_mae, sm->F_max,
         sm->F_lin_mae);
  sf_log(1, "  positions test error: mean %.5f Bohr, max %.5f Bohr (linear mean %.5f Bohr)%s\n", sm->x_mae, sm->x_max,
         sm->x_lin_mae, ds->rprimd ? "" : " [no lattice in dataset: reduced units]");
  return SF_OK;
}

/* ---------- the run ---------- */

static cJSON *field_json(const field_metrics *fm, int k)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "mean", fm->mean);
  cJSON_AddNumberToObject(o, "max", fm->max);
  cJSON_AddNumberToObject(o, "pca_mean", fm->pca_mean);
  cJSON_AddNumberToObject(o, "pca_max", fm->pca_max);
  cJSON_AddNumberToObject(o, "linear_mean", fm->lin_mean);
  cJSON_AddNumberToObject(o, "linear_max", fm->lin_max);
  cJSON_AddNumberToObject(o, "explained_variance", fm->explained);
  cJSON_AddNumberToObject(o, "ncomp", k);
  return o;
}

static cJSON *arch_json(const sf_mlp *m)
{
  return cJSON_CreateIntArray(m->width, m->nlayer + 1);
}

/* The final training of the networks, resumable: from the checkpoint under -resume, and
 * on a stop signal every network's state goes to the checkpoint and SF_STOPPED is
 * returned.  (Learning-curve points and cross-validation are not checkpointed: they are
 * redone, identically, by a resumed run.) */
static int train_resumable(MPI_Comm comm, sf_train_cfg *c, const sf_dataset *ds, int nn, sf_mlp *const *nets,
                           const double *X, const double *const *Y, int n, const sf_train_params *tp,
                           const char *const *lab)
{
  int rank;
  MPI_Comm_rank(comm, &rank);
  sf_mlp_state state[SF_NNET], *sp[SF_NNET];
  memset(state, 0, sizeof state);
  float *mem = NULL;
  size_t total = 0;
  for (int i = 0; i < nn; i++) total += nets[i]->nparam;
  int st = sf_calloc((void **)&mem, 2 * total, sizeof *mem);
  char *identity = st ? NULL : sf_train_identity(ds->checksum);
  if (!st && !identity) st = sf_error_set(SF_ERR_MEM, __FILE__, __LINE__, __func__, "cannot format the run identity");
  for (size_t i = 0, off = 0; !st && i < (size_t)nn; off += 2 * nets[i]->nparam, i++) {
    state[i].mom = mem + off;
    state[i].vel = mem + off + nets[i]->nparam;
    sp[i] = &state[i];
  }
  int have = 0;
  if (!st && c->resume) { /* every rank reads it: a small file */
    if (rank == 0) have = access(c->checkpoint, F_OK) == 0;
    MPI_Bcast(&have, 1, MPI_INT, 0, comm);
    if (!have) sf_log(1, "train: -resume: no checkpoint %s, starting from the beginning\n", c->checkpoint);
    else st = sf_train_checkpoint_read(c->checkpoint, identity, nn, lab, nets, sp);
    int any = st; /* every rank agrees before training */
    MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, comm);
    if (!st && any) st = sf_error_set(any, __FILE__, __LINE__, __func__, "reading the checkpoint failed on another rank");
    if (!st && have) {
      sf_log(1, "train: resuming from %s:", c->checkpoint);
      for (int i = 0; i < nn; i++) sf_log(1, " %s epoch %d%s", lab[i], state[i].epoch, i + 1 < nn ? "," : "\n");
    }
  }
  if (!st) st = sf_train_networks(comm, c->train_groups, nn, nets, X, Y, n, tp, lab, sp);
  if (st == SF_STOPPED) {
    char why[1024];
    snprintf(why, sizeof why, "%s", sf_error_message());
    int wst = rank == 0 ? sf_train_checkpoint_write(c->checkpoint, identity, nn, lab, nets, sp) : SF_OK;
    MPI_Bcast(&wst, 1, MPI_INT, 0, comm);
    if (wst) st = rank == 0 ? wst : sf_error_set(wst, __FILE__, __LINE__, __func__, "writing the checkpoint failed");
    else {
      sf_error_reset();
      st = sf_error_set(SF_STOPPED, __FILE__, __LINE__, __func__,
                        "%s; the training state is saved in %s: run the same train command with -resume to continue",
                        why, c->checkpoint);
      c->checkpoint_written = 1;
    }
  }
  free(identity);
  sf_free(mem);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

/* all networks and metrics for the first ntr training samples; the model is filled when
 * `model` is not NULL (otherwise everything is freed: a learning-curve point) */
static int pipeline(MPI_Comm comm, sf_train_cfg *c, split *sp, int ntr, sf_model *model, cJSON *res, cJSON *cvjson)
{
  sf_model tmp;
  sf_model *m = model ? model : &tmp;
  memset(&tmp, 0, sizeof tmp);
  field_metrics fm[SF_NFIELD];
  scalar_metrics sm;
  memset(fm, 0, sizeof fm);
  memset(&sm, 0, sizeof sm);
  double t_pca = 0, t_train = 0, t0 = sf_wtime();
  field_work fw[SF_NFIELD];
  scalar_work sw;
  memset(fw, 0, sizeof fw);
  memset(&sw, 0, sizeof sw);
  int st = 0;
  /* every network's data and initial weights first, then all networks trained side by
   * side on rank groups, then the metrics */
  for (int f = 0; f < SF_NFIELD && !st; f++)
    st = field_prepare(comm, c, sp, f, ntr, &m->pca[f], &m->net_field[f], &fw[f], &t_pca, cvjson);
  if (!st) st = scalar_prepare(comm, c, sp, ntr, &m->net_xred, &m->net_energy, &sw, cvjson);
  if (!st) {
    sf_mlp *nets[SF_NNET];
    const double *Y[SF_NNET];
    const char *lab[SF_NNET];
    sf_train_params tp[SF_NNET];
    int nn = 0;
    for (int i = 0; i < SF_NNET; i++) {
      if (i == 4 && !sp->ds->natom) continue;
      nets[nn] = i < SF_NFIELD ? &m->net_field[i] : i == 4 ? &m->net_xred : &m->net_energy;
      Y[nn] = i < SF_NFIELD ? fw[i].Ctr : i == 4 ? sw.Xtr : sw.Ftr;
      lab[nn] = net_label[i];
      tp[nn] = c->tp;
      tp[nn].weight = i < SF_NFIELD ? fw[i].wts : NULL;
      tp[nn].name = net_label[i];
      nn++;
    }
    double t1 = sf_wtime();
    if (model) st = train_resumable(comm, c, sp->ds, nn, nets, sp->Dtr, Y, ntr, tp, lab);
    else st = sf_train_networks(comm, c->train_groups, nn, nets, sp->Dtr, Y, ntr, tp, lab, NULL);
    t_train = sf_wtime() - t1;
  }
  for (int f = 0; f < SF_NFIELD && !st; f++)
    st = field_finish(comm, sp, f, ntr, &m->pca[f], &m->net_field[f], &fw[f], &m->lin_field[f], &fm[f]);
  if (!st) st = scalar_finish(sp, ntr, &m->net_xred, &m->lin_xred, &m->net_energy, &m->lin_energy, &sw, &sm);
  for (int f = 0; f < SF_NFIELD; f++) field_work_free(&fw[f]);
  scalar_work_free(&sw);
  if (!st) {
    cJSON *nr = cJSON_AddObjectToObject(res, "nrmse");
    for (int f = 0; f < SF_NFIELD; f++) cJSON_AddItemToObject(nr, sf_ml_field_names[f], field_json(&fm[f], m->pca[f].k));
    cJSON_AddNumberToObject(res, "free_energy_mae_mHa", sm.F_mae);
    cJSON_AddNumberToObject(res, "free_energy_max_mHa", sm.F_max);
    cJSON_AddNumberToObject(res, "free_energy_linear_mae_mHa", sm.F_lin_mae);
    cJSON_AddNumberToObject(res, "xred_mae_bohr", sm.x_mae);
    cJSON_AddNumberToObject(res, "xred_max_bohr", sm.x_max);
    cJSON_AddNumberToObject(res, "xred_linear_mae_bohr", sm.x_lin_mae);
    cJSON_AddNumberToObject(res, "ntrain_used", ntr);
    cJSON *tj = cJSON_AddObjectToObject(res, "time_s");
    cJSON_AddNumberToObject(tj, "pca", t_pca);
    cJSON_AddNumberToObject(tj, "networks", t_train);
    cJSON_AddNumberToObject(tj, "total", sf_wtime() - t0);
    cJSON *aj = cJSON_AddObjectToObject(res, "architecture");
    for (int f = 0; f < SF_NFIELD; f++) cJSON_AddItemToObject(aj, net_label[f], arch_json(&m->net_field[f]));
    cJSON_AddItemToObject(aj, "xred", arch_json(&m->net_xred));
    cJSON_AddItemToObject(aj, "energy", arch_json(&m->net_energy));
  }
  if (!model) sf_model_free(&tmp);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

int sf_train_prepare(sf_train_cfg **cfg)
{
  SF_CHECK(sf_calloc((void **)cfg, 1, sizeof **cfg));
  SF_CHECK(read_cfg(*cfg));
  return SF_OK;
}

void sf_train_cfg_free(sf_train_cfg **cfg)
{
  sf_free(*cfg);
  *cfg = NULL;
}

const char *sf_train_summary_path(const sf_train_cfg *c) { return c->have_summary ? c->summary : NULL; }
const char *sf_train_model_path(const sf_train_cfg *c) { return c->have_model ? c->model : NULL; }

void sf_train_default_paths(sf_train_cfg *c, const char *dataset)
{
  if (!c->have_summary) snprintf(c->summary, sizeof c->summary, "%s.train.json", dataset);
  if (!c->have_model) snprintf(c->model, sizeof c->model, "%s.model.h5", dataset);
  c->have_summary = c->have_model = 1;
}

int sf_train_run(void)
{
  sf_train_cfg *c = NULL;
  SF_CHECK(sf_train_prepare(&c));
  int st = sf_options_finish();
  if (!st) st = sf_train_execute(c);
  sf_train_cfg_free(&c);
  return st;
}

int sf_train_execute(sf_train_cfg *cfg)
{
  SF_CHECK(check_cfg(cfg));
  sf_train_cfg c = *cfg;
  MPI_Comm comm = MPI_COMM_WORLD;
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  snprintf(c.checkpoint, sizeof c.checkpoint, "%s.checkpoint.h5", c.model);
  SF_CHECK(check_outputs(comm, &c));
  double t0 = sf_wtime();
  sf_dataset ds;
  SF_CHECK(sf_dataset_open(c.dataset, &ds));
  int *itr = NULL, *ite = NULL, ntr = 0, nte = 0, nskip = 0;
  int st = make_split(&ds, &c, &itr, &ite, &ntr, &nte, &nskip);
  split sp = {&ds, itr, ite, ntr, nte, NULL, NULL};
  if (!st) st = sf_calloc((void **)&sp.Dtr, 6 * (size_t)ntr, sizeof(double));
  if (!st) st = sf_calloc((void **)&sp.Dte, 6 * (size_t)nte, sizeof(double));
  if (!st) {
    for (int i = 0; i < ntr; i++) memcpy(sp.Dtr + 6 * i, ds.D + 6 * (size_t)itr[i], 6 * sizeof(double));
    for (int i = 0; i < nte; i++) memcpy(sp.Dte + 6 * i, ds.D + 6 * (size_t)ite[i], 6 * sizeof(double));
    sf_log(1, "train: dataset %s (id %s): %d samples, grid %dx%dx%d, %d atoms; %d ranks\n", ds.path, ds.checksum, ds.N,
           ds.ngrid[0], ds.ngrid[1], ds.ngrid[2], ds.natom, size);
    sf_log(1, "train: %d training samples (first %d), %d test samples (last %d), %d failed/missing skipped\n", ntr,
           c.ntrain, nte, c.ntest, nskip);
  }
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "dataset", ds.path);
  cJSON_AddStringToObject(root, "dataset_checksum", ds.checksum);
  cJSON_AddNumberToObject(root, "ntrain", ntr);
  cJSON_AddNumberToObject(root, "ntest", nte);
  cJSON_AddNumberToObject(root, "nskipped", nskip);
  cJSON_AddNumberToObject(root, "nranks", size);
  cJSON *cvjson = c.cv_folds > 1 ? cJSON_AddObjectToObject(root, "cv") : NULL;
  /* learning curve first (sizes below ntrain), then the model on the full training set */
  if (!st && c.nlc) {
    cJSON *lc = cJSON_AddArrayToObject(root, "learning_curve");
    for (int i = 0; i < c.nlc && !st; i++) {
      int n = c.lc_sizes[i] < ntr ? c.lc_sizes[i] : ntr;
      sf_log(1, "train: learning curve point n = %d\n", n);
      cJSON *pt = cJSON_CreateObject();
      cJSON_AddItemToArray(lc, pt);
      st = pipeline(comm, &c, &sp, n, NULL, pt, NULL);
    }
  }
  sf_model model;
  memset(&model, 0, sizeof model);
  if (!st) {
    sf_log(1, "train: full training set (%d samples)\n", ntr);
    st = pipeline(comm, &c, &sp, ntr, &model, root, cvjson);
  }
  if (!st) {
    cJSON_AddNumberToObject(root, "wall_time_s", sf_wtime() - t0);
    model.natom = ds.natom;
    memcpy(model.ngrid, ds.ngrid, sizeof model.ngrid);
    model.npt = ds.npt;
    for (int f = 0; f < SF_NFIELD; f++) model.ncomp[f] = model.pca[f].k;
    memcpy(model.ref_rprimd, ds.ref_rprimd, sizeof model.ref_rprimd);
    model.have_ref = ds.have_ref;
    snprintf(model.dataset_checksum, sizeof model.dataset_checksum, "%s", ds.checksum);
    model.dataset_settings = ds.settings ? strdup(ds.settings) : NULL;
    char *opts = NULL;
    if (!sf_options_json(&opts) && opts) {
      model.options_json = strdup(opts);
      cJSON_AddItemToObject(root, "options", cJSON_Parse(opts));
    }
    sf_free(opts);
    model.metrics_json = cJSON_PrintUnformatted(root);
    st = sf_model_write(comm, c.model, &model);
    if (!st) sf_log(1, "train: model written to %s (%.1f s)\n", c.model, sf_wtime() - t0);
    if (!st && rank == 0) remove(c.checkpoint); /* a resumed run is complete: its checkpoint is spent */
  }
  if (st == SF_STOPPED && !c.checkpoint_written) {
    char why[1024];
    snprintf(why, sizeof why, "%s", sf_error_message());
    sf_error_reset();
    st = sf_error_set(SF_STOPPED, __FILE__, __LINE__, __func__,
                      "%s, during the learning curve or cross-validation, which are not checkpointed: nothing is "
                      "saved; run train again", why);
  }
  if (!st && c.have_summary && rank == 0) st = sf_write_json_file(c.summary, root);
  MPI_Bcast(&st, 1, MPI_INT, 0, comm);
  cJSON_Delete(root);
  sf_model_free(&model);
  sf_free(itr);
  sf_free(ite);
  sf_free(sp.Dtr);
  sf_free(sp.Dte);
  sf_dataset_free(&ds);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}
