/* test_mixing.c — Pulay+Kerker on a synthetic metallic fixed point ρ_out = A ρ_in + b,
 * compared with plain linear mixing; G = 0 kept; aliasing; degenerate history. */
#include "strainfield/core.h"
#include "strainfield/mixing.h"
#include "expect.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 300 };
static double g2[N], A[N][N];
static double complex b[N];

static double urand(void) { return rand() / (double)RAND_MAX; }

/* Metal-like response: the Thomas-Fermi screening term −q_TF² s_i/G² (s_i in [0.7,1.3],
 * so the Kerker q0 does not match it exactly) dominates at small G (−130 at the smallest
 * G), plus a dense random coupling between G vectors.  Index 0 is G = 0 with ρ_out = ρ_in. */
static void build_problem(void)
{
  srand(7);
  const double qtf2 = 1.0, eps = 0.3;
  for (int i = 0; i < N; i++) {
    g2[i] = i == 0 ? 0.0 : 0.01 + 30.0 * pow((i - 1) / (double)(N - 2), 2);
    for (int j = 0; j < N; j++) A[i][j] = (i && j) ? eps * (2 * urand() - 1) / sqrt(N) : 0.0;
    if (i) A[i][i] += -qtf2 * (0.7 + 0.6 * urand()) / g2[i];
    b[i] = i ? (2 * urand() - 1) + I * (2 * urand() - 1) : 0.0;
  }
  A[0][0] = 1.0;
}

static void apply(const double complex *in, double complex *out)
{
  for (int i = 0; i < N; i++) {
    double complex s = b[i];
    for (int j = 0; j < N; j++) s += A[i][j] * in[j];
    out[i] = s;
  }
}

/* Iterations to reach max|ρ_out − ρ_in| < tol, or maxit+1. */
static int run(const sf_mixer_params *p, int maxit, double tol, double *final_res)
{
  sf_mixer *m = NULL;
  double complex rin[N], rout[N];
  if (sf_mixer_create(p, N, g2, 270.0, &m)) { failures++; return maxit + 1; }
  for (int i = 0; i < N; i++) rin[i] = 0.0;
  rin[0] = 3.0; /* the "charge": must survive unchanged */
  int it;
  double r = 0;
  for (it = 0; it <= maxit; it++) {
    apply(rin, rout);
    r = 0;
    for (int i = 0; i < N; i++) r = fmax(r, cabs(rout[i] - rin[i]));
    if (r < tol || !isfinite(r)) break;
    if (sf_mixer_step(m, rin, rout, rin)) { failures++; break; } /* rho_next aliases rho_in */
  }
  EXPECT(rin[0] == 3.0, "G=0 component changed to %g", creal(rin[0]));
  sf_mixer_destroy(&m);
  *final_res = r;
  return it;
}

static void test_convergence(void)
{
  double r;
  sf_mixer_params pulay = {7, 0.7, 1.0};
  int n_pulay = run(&pulay, 200, 1e-10, &r);
  printf("Pulay+Kerker (history 7, alpha 0.7, q0 1): %d iterations to 1e-10\n", n_pulay);
  EXPECT(n_pulay <= 25, "Pulay+Kerker needed %d iterations (residual %.3g)", n_pulay, r);

  sf_mixer_params kerker = {0, 0.7, 1.0};
  int n_kerker = run(&kerker, 1000, 1e-10, &r);
  printf("Kerker linear mixing: %d iterations to 1e-10\n", n_kerker);
  EXPECT(n_kerker > n_pulay, "Pulay (%d) should beat Kerker-only linear mixing (%d)", n_pulay,
         n_kerker);

  /* Plain linear mixing must use α < 2/(1 + 130·1.3) to be stable at the smallest G,
   * which leaves the large-G error shrinking by only ~1% per iteration. */
  sf_mixer_params plain = {0, 0.01, 0.0};
  int n_plain = run(&plain, 300, 1e-10, &r);
  printf("plain linear mixing (alpha 0.01): residual %.3g after %d iterations\n", r, n_plain);
  EXPECT(n_plain > 300 && r > 1e-4, "plain linear mixing unexpectedly converged (%d, %.3g)",
         n_plain, r);

  sf_mixer_params plain_pulay = {7, 0.01, 0.0};
  int n_pp = run(&plain_pulay, 400, 1e-10, &r);
  printf("Pulay without Kerker (alpha 0.01): %d iterations, residual %.3g\n", n_pp, r);
}

static void test_robustness(void)
{
  sf_mixer *m = NULL;
  sf_mixer_params p = {4, 0.5, 0.8};
  double complex rin[N], rout[N], next[N];
  EXPECT(sf_mixer_create(&p, N, g2, 100.0, &m) == SF_OK, "create");
  for (int i = 0; i < N; i++) rin[i] = 0.1 * i;
  apply(rin, rout);
  /* The same pair over and over: every ΔR is zero, the history must be discarded. */
  for (int k = 0; k < 6; k++) EXPECT(sf_mixer_step(m, rin, rout, next) == SF_OK, "step %d", k);
  int finite = 1;
  for (int i = 0; i < N; i++) finite &= isfinite(creal(next[i])) && isfinite(cimag(next[i]));
  EXPECT(finite, "degenerate history produced NaN");
  /* Converged input: R = 0 gives ρ_next = ρ_in. */
  sf_mixer_destroy(&m); /* a fresh mixer: no history */
  EXPECT(sf_mixer_create(&p, N, g2, 100.0, &m) == SF_OK, "create again");
  for (int i = 0; i < N; i++) rout[i] = rin[i];
  sf_mixer_step(m, rin, rout, next);
  sf_mixer_step(m, rin, rout, next);
  double d = 0;
  for (int i = 0; i < N; i++) d = fmax(d, cabs(next[i] - rin[i]));
  EXPECT(d == 0.0, "fixed point moved by %g", d);
  sf_mixer_destroy(&m);
  EXPECT(m == NULL, "destroy clears");
  sf_mixer_params bad = {-1, 0.5, 0.8};
  EXPECT(sf_mixer_create(&bad, N, g2, 100.0, &m) == SF_ERR_INPUT, "negative history rejected");
  sf_error_reset();
}

int main(void)
{
  build_problem();
  test_convergence();
  test_robustness();
  printf("test_mixing: %d failures\n", failures);
  return failures != 0;
}
