/* test_mlp_gradloss.c — the energy network's stress term (mlp_gradloss.c, `train
 * -stress_weight`).
 *
 *  1. The gradient of the combined loss (output misfit + λ · input-gradient misfit) with
 *     respect to every weight and bias of a small random two-hidden-layer tanh network,
 *     against central finite differences of the loss: 1e-6 relative to the largest
 *     component or better.
 *  2. Training on a synthetic F(D) with a known analytic gradient: at equal epochs the
 *     network trained with the gradient term (λ = 1) has a clearly smaller gradient
 *     ("stress") error on held-out samples than the energy-only one (below half of it),
 *     and its F error does not blow up.
 *  3. Training with the gradient term on all ranks of MPI_COMM_WORLD equals training on
 *     MPI_COMM_SELF to 1e-12 relative in every weight (run on 2 ranks by the .mpi file). */
#include "strainfield/core.h"
#include "strainfield/mlp.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

static double urand(uint64_t k, uint64_t i) { return 2 * sf_ml_rng_uniform(77, k, i) - 1; }

static double loss_at(const sf_mlp *m, const double *P, int nb, const double *X, const double *T, const double *G,
                      const double *c, double lam, const double *wr, double *grad, double *ws)
{
  double sse, gsse;
  sf_mlp_gradloss_block(m, P, nb, X, T, G, c, lam, wr, grad, 1, ws, &sse, &gsse);
  return sse + lam * gsse;
}

static void check_fd(void)
{
  const int w[4] = {6, 5, 4, 1}, nb = 7;
  sf_mlp m;
  EXPECT(sf_mlp_create(&m, 3, w, 5) == SF_OK, "sf_mlp_create(&m, 3, w, 5) == SF_OK");
  for (size_t i = 0; i < m.nparam; i++) m.params[i] = 0.8 * urand(1, i);
  double X[7 * 6], T[7], G[7 * 6], c[6], wr[7], lam = 0.7;
  for (int i = 0; i < nb * 6; i++) X[i] = 1.5 * urand(2, i), G[i] = urand(3, i);
  for (int i = 0; i < nb; i++) T[i] = urand(4, i), wr[i] = 1 + 0.5 * urand(5, i);
  for (int j = 0; j < 6; j++) c[j] = 0.5 + 0.4 * urand(6, j);
  double *ws = malloc(sf_mlp_gradloss_ws_size(&m, nb) * sizeof *ws), *g = malloc(m.nparam * sizeof *g),
         *scr = malloc(m.nparam * sizeof *scr), *P = malloc(m.nparam * sizeof *P);
  memcpy(P, m.params, m.nparam * sizeof *P);
  loss_at(&m, P, nb, X, T, G, c, lam, wr, g, ws);
  double gmax = 0, emax = 0;
  for (size_t i = 0; i < m.nparam; i++) gmax = fmax(gmax, fabs(g[i]));
  for (size_t i = 0; i < m.nparam; i++) {
    const double h = 1e-5, p0 = P[i];
    P[i] = p0 + h;
    const double lp = loss_at(&m, P, nb, X, T, G, c, lam, wr, scr, ws);
    P[i] = p0 - h;
    const double lm = loss_at(&m, P, nb, X, T, G, c, lam, wr, scr, ws);
    P[i] = p0;
    emax = fmax(emax, fabs((lp - lm) / (2 * h) - g[i]));
  }
  printf("1. combined-loss gradient vs central differences (%zu parameters): max |error| / max |g| = %.2e\n",
         m.nparam, emax / gmax);
  EXPECT(gmax > 0 && emax / gmax < 1e-6, "gmax > 0 && emax / gmax < 1e-6");
  /* λ = 0 is the ordinary loss: its gradient is that of Σ w (y − t)² alone */
  double sse, gsse;
  sf_mlp_gradloss_block(&m, P, nb, X, T, G, c, 0.0, wr, g, 1, ws, &sse, &gsse);
  EXPECT(sse > 0 && gsse > 0, "sse > 0 && gsse > 0");
  free(ws);
  free(g);
  free(scr);
  free(P);
  sf_mlp_free(&m);
}

/* A smooth F(D) on the strain box of the demo campaign and its exact gradient. */
static double synth_F(const double *x, double *g)
{
  double u[6], s = 0;
  for (int j = 0; j < 6; j++) u[j] = j < 3 ? 20 * (x[j] - 1) : 0.3 * (x[j] - 90);
  double e = 0;
  for (int j = 0; j < 6; j++) e += u[j] * cos(0.7 + j);
  const double F = 0.05 * sin(e) + 0.01 * (u[0] * u[0] + u[1] * u[2] + u[3] * u[4] + u[5] * u[5]);
  double du[6] = {0};
  for (int j = 0; j < 6; j++) du[j] = 0.05 * cos(e) * cos(0.7 + j);
  du[0] += 0.02 * u[0], du[1] += 0.01 * u[2], du[2] += 0.01 * u[1];
  du[3] += 0.01 * u[4], du[4] += 0.01 * u[3], du[5] += 0.02 * u[5];
  for (int j = 0; j < 6; j++) {
    g[j] = du[j] * (j < 3 ? 20 : 0.3);
    s += g[j];
  }
  (void)s;
  return F;
}

static void synth_data(int n, uint64_t key, double *X, double *F, double *G)
{
  for (int i = 0; i < n; i++) {
    double *x = X + 6 * i;
    for (int j = 0; j < 3; j++) x[j] = 1 + 0.05 * urand(100 + key, 6 * i + j);
    for (int j = 3; j < 6; j++) x[j] = 90 + 3 * urand(100 + key, 6 * i + j);
    F[i] = synth_F(x, G + 6 * i);
  }
}

/* Mean over samples and inputs of |∂F/∂D − G| / std_d(G), and the mean |F error|. */
static void errors(const sf_mlp *m, int n, const double *X, const double *F, const double *G, double *gerr,
                   double *ferr)
{
  double sd[6];
  for (int j = 0; j < 6; j++) {
    double mu = 0, v = 0;
    for (int i = 0; i < n; i++) mu += G[6 * i + j] / n;
    for (int i = 0; i < n; i++) v += (G[6 * i + j] - mu) * (G[6 * i + j] - mu) / n;
    sd[j] = sqrt(v);
  }
  *gerr = *ferr = 0;
  for (int i = 0; i < n; i++) {
    double y, J[6];
    sf_mlp_jacobian(m, X + 6 * i, &y, J);
    *ferr += fabs(y - F[i]) / n;
    for (int j = 0; j < 6; j++) *gerr += fabs(J[j] - G[6 * i + j]) / sd[j] / (6.0 * n);
  }
}

static void train_net(MPI_Comm comm, const double *X, const double *F, const double *G, int n, double lam,
                      int epochs, sf_mlp *m)
{
  const int w[4] = {6, 24, 24, 1};
  EXPECT(sf_mlp_create(m, 3, w, 9) == SF_OK, "sf_mlp_create(m, 3, w, 9) == SF_OK");
  sf_mlp_fit_scalers(m, X, F, n);
  sf_train_params p;
  sf_train_defaults(&p);
  p.epochs = epochs;
  p.batch = 100; /* two blocks: spread over 2 ranks */
  p.lr = 3e-3;
  p.grad_target = lam > 0 ? G : NULL;
  p.grad_weight = lam;
  double loss;
  EXPECT(sf_mlp_train(comm, m, X, F, n, &p, &loss) == SF_OK, "sf_mlp_train(comm, m, X, F, n, &p, &loss) == SF_OK");
}

static void check_training(void)
{
  const int ntr = 200, nte = 200, epochs = 300;
  double *X = malloc(6 * sizeof(double) * (ntr + nte)), *F = malloc(sizeof(double) * (ntr + nte)),
         *G = malloc(6 * sizeof(double) * (ntr + nte));
  synth_data(ntr + nte, 0, X, F, G);
  sf_mlp a, b;
  train_net(MPI_COMM_SELF, X, F, G, ntr, 0.0, epochs, &a);
  train_net(MPI_COMM_SELF, X, F, G, ntr, 1.0, epochs, &b);
  double ga, fa, gb, fb;
  errors(&a, nte, X + 6 * ntr, F + ntr, G + 6 * ntr, &ga, &fa);
  errors(&b, nte, X + 6 * ntr, F + ntr, G + 6 * ntr, &gb, &fb);
  printf("2. synthetic F(D), %d epochs, test set: gradient error / std %.4f (energy only) vs %.4f (lambda = 1); "
         "|F error| %.3e vs %.3e\n", epochs, ga, gb, fa, fb);
  EXPECT(gb < 0.5 * ga, "gb < 0.5 * ga");
  EXPECT(fb < 2 * fa + 1e-4, "fb < 2 * fa + 1e-4");
  sf_mlp_free(&a);
  sf_mlp_free(&b);
  free(X);
  free(F);
  free(G);
}

static void check_ranks(void)
{
  const int n = 200;
  double *X = malloc(6 * sizeof(double) * n), *F = malloc(sizeof(double) * n), *G = malloc(6 * sizeof(double) * n);
  synth_data(n, 1, X, F, G);
  sf_mlp a, b;
  train_net(MPI_COMM_WORLD, X, F, G, n, 2.0, 5, &a);
  train_net(MPI_COMM_SELF, X, F, G, n, 2.0, 5, &b);
  double dmax = 0, pmax = 0;
  for (size_t i = 0; i < a.nparam; i++) {
    dmax = fmax(dmax, fabs(a.params[i] - b.params[i]));
    pmax = fmax(pmax, fabs(b.params[i]));
  }
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  printf("3. %d ranks vs 1 rank, 5 epochs with lambda = 2: max |weight difference| / max |weight| = %.2e\n", size,
         dmax / pmax);
  EXPECT(dmax / pmax < 1e-12, "dmax / pmax < 1e-12");
  sf_mlp_free(&a);
  sf_mlp_free(&b);
  free(X);
  free(F);
  free(G);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  expect_rank = rank;
  if (rank == 0) check_fd();
  if (rank == 0) check_training();
  check_ranks();
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("test_mlp_gradloss: %d failures\n", total);
  MPI_Finalize();
  return total ? 1 : 0;
}
