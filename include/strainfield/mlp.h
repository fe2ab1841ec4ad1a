/* mlp.h — dense tanh networks, their derivatives and data-parallel Adam training.
 *
 * Owns: the multilayer perceptron used for every map D → outputs (hidden layers tanh,
 * output linear), with its input/output standardisation; batched evaluation with GEMM;
 * ∂output/∂input by forward-mode differentiation and ∂²output/∂input² by
 * second-order forward mode; the training loop (MSE + l2 on the
 * weights, Adam) where each mini-batch is split over the ranks of a communicator in
 * fixed blocks (float32 passes, float64 sums; see mlp_train.c), the Adam update is split
 * over the ranks, and every rank ends with the same network.
 * Random numbers (initial weights, shuffles) come from a counter-based generator keyed
 * by (seed, purpose, counter): results do not depend on the number of ranks.
 */
#ifndef STRAINFIELD_MLP_H
#define STRAINFIELD_MLP_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define SF_MLP_MAXLAYER 8

typedef struct {
  int nlayer;                      /* dense layers (hidden + output) */
  int width[SF_MLP_MAXLAYER + 1];  /* width[0] = inputs, width[nlayer] = outputs */
  double *params;                  /* all weights and biases, contiguous */
  size_t nparam;
  double *W[SF_MLP_MAXLAYER];      /* layer l: width[l] × width[l+1], row-major (in × out) */
  double *b[SF_MLP_MAXLAYER];      /* layer l: width[l+1] */
  double *xmean, *xstd;            /* [width[0]]: x_scaled = (x − xmean)/xstd */
  double *ymean, *ystd;            /* [width[nlayer]]: y = ymean + ystd · y_scaled */
} sf_mlp;

typedef struct {
  double lr, beta1, beta2, eps; /* Adam */
  double l2;                    /* loss += l2 · Σ W² (weights, not biases) */
  int batch, epochs;
  uint64_t seed;
  int verbose_every;            /* log the loss every this many epochs (0: never) */
  const double *weight;         /* optional per-sample loss weights [n] (NULL: all 1); the
                                   loss is Σ_i w_i Σ_out e² / (Σ_batch w · nout) */
  const char *name;             /* the network, for error messages (NULL: "the") */
  /* Optional input-gradient term (one-output networks: the energy network's stress):
   * grad_target [n × nin] are targets of ∂y/∂x in physical units; with grad_weight λ > 0
   * the loss per sample adds λ (1/nin) Σ_d (∂y/∂x_d − g_d)² / var_d(g), var_d the
   * variance of the targets over the n samples (so λ is dimensionless: predicting the
   * mean gradient costs λ, as predicting the mean costs 1 in the output term); the
   * gradient is by double back-propagation in float64 (mlp_gradloss.c).  λ = 0: the
   * float32 training as without it, bit for bit. */
  const double *grad_target;
  double grad_weight;
} sf_train_params;

/* Where a training stands between two epochs: with the network's float64 weights, all
 * that Adam needs to continue bitwise as if never stopped (the shuffles are keyed by the
 * epoch, so there is no generator state).  mom and vel hold nparam floats each, owned by
 * the caller; the struct is filled in full on every rank of the training communicator. */
typedef struct {
  int epoch;       /* epochs completed */
  long step;       /* Adam steps taken (its bias corrections) */
  float *mom, *vel;
  double loss;     /* the last completed epoch's mean loss */
} sf_mlp_state;

/* Training diverged: a mean loss (standardised units, where predicting the mean costs
 * about 1) above this, or not finite, stops training with an error. */
#define SF_TRAIN_DIVERGED_LOSS 1e8

/* z[i] = tanh(z[i]) (vectorised; absolute error a few 1e-16, deterministic). */
void sf_mlp_tanh_inplace(double *z, size_t n);

/* 64-bit counter-based random numbers: deterministic in (seed, purpose, counter). */
uint64_t sf_ml_rng_u64(uint64_t seed, uint64_t purpose, uint64_t counter);
double sf_ml_rng_uniform(uint64_t seed, uint64_t purpose, uint64_t counter); /* [0,1) */

/* Layer widths "6,500,500,50"; weights and biases uniform in ±1/sqrt(fan_in), identity scalers. */
int sf_mlp_create(sf_mlp *m, int nlayer, const int *width, uint64_t seed);
void sf_mlp_free(sf_mlp *m);
/* Sets the scalers to the mean and standard deviation of the data (std 0 → 1). */
void sf_mlp_fit_scalers(sf_mlp *m, const double *X, const double *Y, int n);
/* y (n × nout) from x (n × nin) in physical units.  ws: workspace of
 * sf_mlp_workspace_size(m, n) doubles, or NULL (allocated and freed inside). */
size_t sf_mlp_workspace_size(const sf_mlp *m, int n);
int sf_mlp_predict(const sf_mlp *m, const double *x, int n, double *y, double *ws);
/* J (nout × nin, row-major) = ∂y/∂x at one x, physical units; y may be NULL. */
int sf_mlp_jacobian(const sf_mlp *m, const double *x, double *y, double *J);
/* The same with the second derivatives, exact (second-order forward mode,
 * src/ml/mlp_hessian.c): H (nout × nin × nin) = ∂²y_o/∂x_i∂x_j, symmetric in i, j.  y, J
 * and H may each be NULL. */
int sf_mlp_hessian(const sf_mlp *m, const double *x, double *y, double *J, double *H);

/* The loss with an input-gradient term of a one-output network on nb samples, all in
 * standardised units (src/ml/mlp_gradloss.c), float64 with the weights `params` (m's
 * layout; m gives the shapes):
 *   L = Σ_i w_i [ (y_i − t_i)² + lam Σ_d c_d (∂y_i/∂x_d − g_id)² ]
 * (w_i = wrow[i], or 1 when wrow is NULL).  Its gradient with respect to every weight
 * and bias (double back-propagation: forward mode for the input gradient along
 * q = ∂L/∂(∂y/∂x), reverse mode through both) is stored in grad (first != 0) or added.
 * *sse gets Σ w_i (y − t)², *gsse Σ w_i Σ_d c_d (∂y/∂x_d − g_d)².  ws: at least
 * sf_mlp_gradloss_ws_size(m, nb) doubles. */
size_t sf_mlp_gradloss_ws_size(const sf_mlp *m, int nb);
void sf_mlp_gradloss_block(const sf_mlp *m, const double *params, int nb, const double *X, const double *T,
                           const double *G, const double *c, double lam, const double *wrow, double *grad,
                           int first, double *ws, double *sse, double *gsse);
/* Trains on (X, Y) (n rows, every rank holds all of them) with standardised inputs and
 * outputs (the scalers must be set).  Collective over comm.  *loss: final epoch's mean
 * data loss (standardised units). */
void sf_train_defaults(sf_train_params *p);
int sf_mlp_train(MPI_Comm comm, sf_mlp *m, const double *X, const double *Y, int n,
                 const sf_train_params *p, double *loss);
/* The same, resumable: starts from *state (epoch 0: a fresh start; otherwise m holds the
 * weights of that state) and leaves the end state in it.  At every epoch boundary the
 * ranks of comm agree on a stop signal (sf_stop_agreed); on one, *state is filled and
 * SF_STOPPED returned.  Without a state (NULL) a stop returns SF_STOPPED with nothing
 * saved.  A diverged loss (SF_TRAIN_DIVERGED_LOSS) or non-finite final weights are
 * SF_ERR_NOCONV naming p->name, the epoch and -lr.  Test hook: the environment variable
 * SF_TEST_STOP_AT_EPOCH=N requests a stop (as SIGTERM) at the start of epoch N. */
int sf_mlp_train_state(MPI_Comm comm, sf_mlp *m, const double *X, const double *Y, int n,
                       const sf_train_params *p, sf_mlp_state *state, double *loss);

/* Single-precision inference copy of a network, made once (e.g. at model load) for fast
 * prediction; training and ∂y/∂x keep the float64 network.  Weights are float32 in one
 * 64-byte-aligned block, each layer in × out like the float64 network (one SGEMV streams
 * it row by row, y += a_i W_i: on one thread ~10% faster than the out × in dot-product
 * form, and far better for the 6-wide first layer), except narrowing layers (500→50),
 * stored out × in where the dot-product form is ~1.6× faster; biases float32; the input and output
 * scalers stay float64 (applied to the 6 inputs and nout outputs, so x − x_mean does not
 * lose digits to float rounding of e.g. 90°).  Evaluation: one SGEMV per layer for one
 * sample, one SGEMM per layer per chunk of SF_MLP32_CHUNK samples, then a fused
 * bias + tanh pass in float32; no allocation (the caller passes the workspace). */
#define SF_MLP32_CHUNK 512
typedef struct {
  int nlayer;
  int width[SF_MLP_MAXLAYER + 1];
  float *mem;                      /* owns every float32 array below */
  float *W[SF_MLP_MAXLAYER];       /* layer l: width[l] × width[l+1] row-major (in × out), or
                                      out × in when outmajor[l] */
  int outmajor[SF_MLP_MAXLAYER];   /* 1 for narrowing layers (width[l+1] < width[l]) */
  float *b[SF_MLP_MAXLAYER];       /* layer l: width[l+1] */
  double *xmean, *xinv, *ymean, *ystd; /* xinv = 1/xstd; in one owned double block */
  double *dmem;
} sf_mlp32;

int sf_mlp32_from(sf_mlp32 *q, const sf_mlp *m);
void sf_mlp32_free(sf_mlp32 *q);
/* floats of workspace sf_mlp32_predict needs for n samples (n is capped at SF_MLP32_CHUNK:
 * larger batches are done in chunks with the same workspace). */
size_t sf_mlp32_workspace_size(const sf_mlp32 *q, int n);
/* y (row i at y + i·ldy, nout values, float64) from x (n × nin, float64, physical units).
 * ws: sf_mlp32_workspace_size(q, n) floats, 64-byte aligned.  Never allocates. */
void sf_mlp32_predict(const sf_mlp32 *q, const double *x, int n, double *y, int ldy, float *ws);
/* z[i] = tanh(z[i] + b[i % nb]) in float32 (absolute error ≲ 2e-7), n a multiple of nb. */
void sf_mlp32_bias_tanh(float *z, const float *b, size_t n, int nb);

/* Linear least-squares baseline y = a + B x (the paper's Figure 8): coef is
 * (nin+1) × nout, row 0 the intercept.  Solved by QR (LAPACK DGELS) on standardised x. */
int sf_linear_fit(const double *X, const double *Y, int n, int nin, int nout, double *coef);
void sf_linear_predict(const double *coef, const double *X, int n, int nin, int nout, double *Y);

#endif
