/* test_mlp.c — networks, back-propagation and data-parallel Adam.
 *
 *  1. ∂output/∂D of every default architecture (fields 6→500→500→50, positions
 *     6→50→100→50→12, energy 6→50→100→50→1), with non-trivial scalers and trained
 *     weights, against central finite differences; the exact input Hessian against
 *     central differences of that Jacobian.
 *  2. One epoch on all ranks of MPI_COMM_WORLD equals one epoch on MPI_COMM_SELF (1 rank)
 *     to 1e-12 relative in every weight (run on 2 ranks by test_mlp.mpi).
 *  3. Training learns a known smooth map, and is deterministic in the seed.
 *  4. The linear baseline reproduces an exactly linear map.
 *  5. The float32 prediction copy agrees with the float64 forward pass to 1e-5 (output
 *     std units and relative to the largest output); its tanh to 3e-7 absolute. */
#include "strainfield/core.h"
#include "strainfield/mlp.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

static void make_data(int n, int nout, double *X, double *Y)
{
  for (int i = 0; i < n; i++) {
    double *x = X + 6 * i;
    for (int j = 0; j < 3; j++) x[j] = 1 + 0.05 * (2 * sf_ml_rng_uniform(11, j, i) - 1);
    for (int j = 3; j < 6; j++) x[j] = 90 + 3 * (2 * sf_ml_rng_uniform(11, j, i) - 1);
    for (int o = 0; o < nout; o++) {
      double e = 0;
      for (int j = 0; j < 6; j++) e += (j < 3 ? 20 * (x[j] - 1) : 0.3 * (x[j] - 90)) * cos(0.7 * o + j);
      Y[(size_t)i * nout + o] = (o + 1) * 0.01 * sin(e) + 0.5 * o;
    }
  }
}

/* A network of widths w trained 3 epochs on make_data's map (scalers fitted), and its
 * 64 inputs *X (the caller frees *X and m). */
static void trained_net(int nlayer, const int *w, uint64_t seed, const char *name, sf_mlp *m, double **X)
{
  const int nout = w[nlayer], n = 64;
  double *Y = calloc((size_t)n * nout, sizeof *Y);
  *X = calloc(6 * n, sizeof **X);
  make_data(n, nout, *X, Y);
  EXPECT(!sf_mlp_create(m, nlayer, w, seed), "create %s", name);
  sf_mlp_fit_scalers(m, *X, Y, n);
  sf_train_params p;
  sf_train_defaults(&p);
  p.epochs = 3;
  p.batch = 32;
  EXPECT(!sf_mlp_train(MPI_COMM_SELF, m, *X, Y, n, &p, NULL), "train %s", name);
  free(Y);
}

static void check_jacobian(int nlayer, const int *w, const char *name)
{
  const int nout = w[nlayer];
  double *X;
  sf_mlp m;
  trained_net(nlayer, w, 3, name, &m, &X);
  double *J = calloc((size_t)nout * 6, sizeof *J), *yp = calloc(nout, sizeof *yp), *ym = calloc(nout, sizeof *ym);
  const double *x0 = X + 6 * 5;
  EXPECT(!sf_mlp_jacobian(&m, x0, NULL, J), "jacobian %s", name);
  double worst = 0, scale = 0;
  for (int j = 0; j < 6; j++) {
    double h = (j < 3 ? 1e-5 : 1e-3), xp[6], xm[6];
    memcpy(xp, x0, sizeof xp);
    memcpy(xm, x0, sizeof xm);
    xp[j] += h;
    xm[j] -= h;
    sf_mlp_predict(&m, xp, 1, yp, NULL);
    sf_mlp_predict(&m, xm, 1, ym, NULL);
    for (int o = 0; o < nout; o++) {
      double fd = (yp[o] - ym[o]) / (2 * h);
      worst = fmax(worst, fabs(fd - J[(size_t)o * 6 + j]));
      scale = fmax(scale, fabs(J[(size_t)o * 6 + j]));
    }
  }
  EXPECT(worst < 1e-6 * scale, "%s: Jacobian vs finite differences %.3e (scale %.3e)", name, worst, scale);
  printf("jacobian %-9s: max |J - FD| / max |J| = %.2e\n", name, worst / scale);
  free(J), free(yp), free(ym), free(X);
  sf_mlp_free(&m);
}

/* 1b. The exact input Hessian (second-order forward mode) against central differences of
 * the Jacobian, and its value and Jacobian against the plain forward pass and
 * sf_mlp_jacobian. */
static void check_hessian(int nlayer, const int *w, const char *name)
{
  const int nout = w[nlayer];
  double *X;
  sf_mlp m;
  trained_net(nlayer, w, 5, name, &m, &X);
  double *H = calloc((size_t)nout * 36, sizeof *H), *J = calloc((size_t)nout * 6, sizeof *J),
         *J0 = calloc((size_t)nout * 6, sizeof *J0), *Jp = calloc((size_t)nout * 6, sizeof *Jp),
         *Jm = calloc((size_t)nout * 6, sizeof *Jm), *y = calloc(nout, sizeof *y), *y0 = calloc(nout, sizeof *y0);
  const double *x0 = X + 6 * 7;
  EXPECT(!sf_mlp_hessian(&m, x0, y, J, H), "hessian %s", name);
  sf_mlp_predict(&m, x0, 1, y0, NULL);
  sf_mlp_jacobian(&m, x0, NULL, J0);
  double dy = 0, ys = 0, dj = 0, js = 0, worst = 0, scale = 0, asym = 0;
  for (int o = 0; o < nout; o++) dy = fmax(dy, fabs(y[o] - y0[o])), ys = fmax(ys, fabs(y0[o]));
  for (int i = 0; i < 6 * nout; i++) dj = fmax(dj, fabs(J[i] - J0[i])), js = fmax(js, fabs(J0[i]));
  for (int j = 0; j < 6; j++) {
    const double h = (j < 3 ? 1e-5 : 1e-3);
    double xp[6], xm[6];
    memcpy(xp, x0, sizeof xp);
    memcpy(xm, x0, sizeof xm);
    xp[j] += h;
    xm[j] -= h;
    sf_mlp_jacobian(&m, xp, NULL, Jp);
    sf_mlp_jacobian(&m, xm, NULL, Jm);
    for (int o = 0; o < nout; o++)
      for (int i = 0; i < 6; i++) {
        const double fd = (Jp[6 * o + i] - Jm[6 * o + i]) / (2 * h), an = H[(size_t)o * 36 + 6 * i + j];
        worst = fmax(worst, fabs(fd - an));
        scale = fmax(scale, fabs(an));
        asym = fmax(asym, fabs(an - H[(size_t)o * 36 + 6 * j + i]));
      }
  }
  EXPECT(dy <= 1e-13 * ys && dj <= 1e-13 * js, "%s: Hessian pass value %.2e, Jacobian %.2e off the plain passes", name,
         dy / ys, dj / js);
  EXPECT(worst < 1e-6 * scale, "%s: Hessian vs finite differences of the Jacobian %.3e (scale %.3e)", name, worst, scale);
  EXPECT(asym == 0, "%s: Hessian not symmetric (%.2e)", name, asym);
  printf("hessian  %-9s: max |H - FD(J)| / max |H| = %.2e; value, Jacobian vs plain passes %.1e, %.1e\n", name,
         worst / scale, dy / ys, dj / js);
  free(H), free(J), free(J0), free(Jp), free(Jm), free(y), free(y0), free(X);
  sf_mlp_free(&m);
}

/* 5. The float32 inference copy (prediction) agrees with the float64 forward pass: max
 * |Δy| ≤ 1e-5 in units of each output's standard deviation (the scale the network
 * learns) and ≤ 1e-5 of the largest |y|; one sample (SGEMV) and 700 (SGEMM, two chunks). */
static void check_float32(int nlayer, const int *w, const char *name)
{
  const int nout = w[nlayer], n = 700;
  double *X = calloc(6 * n, sizeof *X), *Y = calloc((size_t)n * nout, sizeof *Y);
  double *y64 = calloc((size_t)n * nout, sizeof *y64), *y32 = calloc((size_t)n * nout, sizeof *y32);
  make_data(n, nout, X, Y);
  sf_mlp m;
  sf_mlp32 q;
  EXPECT(!sf_mlp_create(&m, nlayer, w, 5), "create %s", name);
  sf_mlp_fit_scalers(&m, X, Y, n);
  sf_train_params p;
  sf_train_defaults(&p);
  p.epochs = 2;
  p.batch = 64;
  EXPECT(!sf_mlp_train(MPI_COMM_SELF, &m, X, Y, 128, &p, NULL), "train %s", name);
  EXPECT(!sf_mlp32_from(&q, &m), "float32 copy %s", name);
  float *ws = NULL;
  EXPECT(!posix_memalign((void **)&ws, 64, sf_mlp32_workspace_size(&q, n) * sizeof(float)), "workspace");
  sf_mlp_predict(&m, X, n, y64, NULL);
  double e_std = 0, e_abs = 0, ymax = 0;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0)
      for (int i = 0; i < n; i++) sf_mlp32_predict(&q, X + 6 * i, 1, y32 + (size_t)i * nout, nout, ws);
    else
      sf_mlp32_predict(&q, X, n, y32, nout, ws);
    for (int i = 0; i < n; i++)
      for (int o = 0; o < nout; o++) {
        double d = fabs(y32[(size_t)i * nout + o] - y64[(size_t)i * nout + o]);
        e_std = fmax(e_std, d / m.ystd[o]);
        e_abs = fmax(e_abs, d);
        ymax = fmax(ymax, fabs(y64[(size_t)i * nout + o]));
      }
  }
  EXPECT(e_std <= 1e-5, "%s: float32 vs float64 %.3e output std", name, e_std);
  EXPECT(e_abs <= 1e-5 * ymax, "%s: float32 vs float64 %.3e of max |y|", name, e_abs / ymax);
  printf("float32   %-9s: max |y32 - y64| = %.2e output std, %.2e of max |y|\n", name, e_std, e_abs / ymax);
  free(ws), free(X), free(Y), free(y64), free(y32);
  sf_mlp32_free(&q);
  sf_mlp_free(&m);
}

static void check_tanh32(void)
{
  enum { N = 4801 };
  static float z[N], b[N];
  double worst = 0;
  for (int i = 0; i < N; i++) z[i] = (float)(-12.0 + 24.0 * i / (N - 1)), b[i] = 0;
  z[N / 2] = 1e-30f;
  float z0[N];
  memcpy(z0, z, sizeof z0);
  sf_mlp32_bias_tanh(z, b, N, N);
  for (int i = 0; i < N; i++) worst = fmax(worst, fabs(z[i] - tanh((double)z0[i])));
  EXPECT(worst < 3e-7, "float32 tanh error %.3e", worst);
  printf("float32   tanh     : max abs error %.2e on [-12, 12]\n", worst);
}

/* Two identical 3-layer networks (widths w, seed) with their scalers fitted to n samples
 * of make_data, and default training parameters. */
static void twin_networks(int n, const int w[4], uint64_t seed, double **X, double **Y, sf_mlp *a,
                          sf_mlp *b, sf_train_params *p)
{
  *X = calloc(6 * (size_t)n, sizeof **X);
  *Y = calloc((size_t)n * w[3], sizeof **Y);
  make_data(n, w[3], *X, *Y);
  sf_mlp_create(a, 3, w, seed);
  sf_mlp_create(b, 3, w, seed);
  sf_mlp_fit_scalers(a, *X, *Y, n);
  sf_mlp_fit_scalers(b, *X, *Y, n);
  sf_train_defaults(p);
}

/* Mean squared error in standardised units (the training loss without L2), through the
 * network's own prediction. */
static double mse(const sf_mlp *m, const double *X, const double *Y, int n)
{
  const int nout = m->width[m->nlayer];
  double *y = calloc((size_t)n * nout, sizeof *y), s = 0;
  EXPECT(y && sf_mlp_predict(m, X, n, y, NULL) == SF_OK, "predict for the MSE");
  for (int i = 0; y && i < n; i++)
    for (int j = 0; j < nout; j++) {
      double d = (y[(size_t)i * nout + j] - Y[(size_t)i * nout + j]) / m->ystd[j];
      s += d * d;
    }
  free(y);
  return s / ((double)n * nout);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0) {
    const int wf[] = {6, 500, 500, 50}, wx[] = {6, 50, 100, 50, 12}, we[] = {6, 50, 100, 50, 1};
    check_jacobian(3, wf, "fields");
    check_jacobian(4, wx, "positions");
    check_jacobian(4, we, "energy");
    check_hessian(3, wf, "fields");
    check_hessian(4, wx, "positions");
    check_hessian(4, we, "energy");
    check_float32(3, wf, "fields");
    check_float32(4, wx, "positions");
    check_float32(4, we, "energy");
    check_tanh32();
  }
  /* 2. one epoch: world vs self */
  {
    const int n = 300, w[] = {6, 40, 30, 7};
    double *X, *Y;
    sf_mlp a, b;
    sf_train_params p;
    twin_networks(n, w, 9, &X, &Y, &a, &b, &p);
    p.epochs = 1;
    p.batch = 64; /* 300 = 4·64 + 44: includes a partial batch */
    EXPECT(!sf_mlp_train(MPI_COMM_WORLD, &a, X, Y, n, &p, NULL), "train world");
    EXPECT(!sf_mlp_train(MPI_COMM_SELF, &b, X, Y, n, &p, NULL), "train self");
    double worst = 0, moved = 0;
    sf_mlp c;
    sf_mlp_create(&c, 3, w, 9);
    for (size_t i = 0; i < a.nparam; i++) {
      worst = fmax(worst, fabs(a.params[i] - b.params[i]) / fmax(fabs(b.params[i]), 1e-3));
      moved = fmax(moved, fabs(a.params[i] - c.params[i]));
    }
    EXPECT(worst < 1e-12, "one epoch on %d ranks vs 1 rank: %.3e relative", size, worst);
    EXPECT(moved > 1e-4, "training did not move the weights");
    if (rank == 0) printf("one epoch on %d ranks vs 1: max relative weight difference %.2e\n", size, worst);
    sf_mlp_free(&a), sf_mlp_free(&b), sf_mlp_free(&c);
    free(X), free(Y);
  }
  /* 3. learns a smooth map; deterministic */
  {
    const int n = 256, w[] = {6, 32, 32, 3};
    double *X, *Y;
    sf_mlp a, b;
    sf_train_params p;
    twin_networks(n, w, 4, &X, &Y, &a, &b, &p);
    p.epochs = 300;
    p.batch = 32;
    p.l2 = 1e-6;
    p.lr = 3e-3;
    double l0, l1, l2v;
    l0 = mse(&a, X, Y, n);
    sf_mlp_train(MPI_COMM_WORLD, &a, X, Y, n, &p, NULL);
    sf_mlp_train(MPI_COMM_WORLD, &b, X, Y, n, &p, NULL);
    l1 = mse(&a, X, Y, n);
    l2v = mse(&b, X, Y, n);
    EXPECT(l1 < 2e-3 * fmax(l0, 1), "training MSE %.3e (initial %.3e)", l1, l0);
    EXPECT(l1 == l2v && !memcmp(a.params, b.params, a.nparam * sizeof(double)), "training is not deterministic");
    if (rank == 0) printf("smooth map: MSE %.3e -> %.3e (standardised)\n", l0, l1);
    sf_mlp_free(&a), sf_mlp_free(&b);
    free(X), free(Y);
  }
  /* 4. linear baseline */
  {
    const int n = 50;
    double X[6 * 50], Y[2 * 50], coef[14], Yp[2 * 50];
    make_data(n, 1, X, Y);
    for (int i = 0; i < n; i++)
      for (int o = 0; o < 2; o++) {
        double y = 0.3 + o;
        for (int j = 0; j < 6; j++) y += (j + 1 + o) * 0.1 * X[6 * i + j];
        Y[2 * i + o] = y;
      }
    EXPECT(!sf_linear_fit(X, Y, n, 6, 2, coef), "linear fit");
    sf_linear_predict(coef, X, n, 6, 2, Yp);
    double e = 0;
    for (int i = 0; i < 2 * n; i++) e = fmax(e, fabs(Yp[i] - Y[i]));
    EXPECT(e < 1e-9, "linear baseline error %.3e", e);
  }
  int all = failures;
  MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("%s\n", all ? "FAILED" : "ok");
  MPI_Finalize();
  return all ? 1 : 0;
}
