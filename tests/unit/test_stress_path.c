/* test_stress_path.c — the strain → D map and its derivative against sf_strain_D_of_lattice
 * and finite differences; σ = (1/V) ∂F/∂ε against finite differences of F; a uniaxial
 * path on an energy whose answer is known in closed form, including where it becomes
 * unstable (the strain Hessian, and Wallace's B with the onset and mode of its first
 * zero eigenvalue). */
#include "strainfield/core.h"
#include "strainfield/sampling.h"
#include "strainfield/stresspath.h"
#include "expect.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


/* Separable test energy: a, c and the angles held by springs, b by a cubic well whose
 * stiffness 2A + 6B(λb − 1) vanishes at λb − 1 = −A/(3B). */
static const double KS = 1.0, A = 0.5, B = 5.0, KT = 1e-3;
static int toy(void *ctx, const double D[6], double *F, double dF[6])
{
  (void)ctx;
  const double x = D[1] - 1;
  *F = 0.5 * KS * ((D[0] - 1) * (D[0] - 1) + (D[2] - 1) * (D[2] - 1)) + A * x * x + B * x * x * x;
  dF[0] = KS * (D[0] - 1);
  dF[1] = 2 * A * x + 3 * B * x * x;
  dF[2] = KS * (D[2] - 1);
  for (int t = 3; t < 6; t++) {
    *F += 0.5 * KT * (D[t] - 90) * (D[t] - 90);
    dF[t] = KT * (D[t] - 90);
  }
  return SF_OK;
}

/* the toy with its Hessian (separable: diagonal) */
static int toy_hess(void *ctx, const double D[6], double *F, double dF[6], double d2F[36])
{
  toy(ctx, D, F, dF);
  if (d2F) {
    memset(d2F, 0, 36 * sizeof *d2F);
    d2F[0] = d2F[14] = KS;
    d2F[7] = 2 * A + 6 * B * (D[1] - 1);
    d2F[21] = d2F[28] = d2F[35] = KT;
  }
  return SF_OK;
}

/* Wallace's B (Voigt) of the toy in closed form at the uniaxial state e22 = x (the other
 * strains 0): with f(λb) = A x² + B x³, V = V0 (1 + x), σ22 = f'/V0,
 * B22 = f'' (1 + x)² / V, B11 = B33 = KS / V, B12 = B23 = −σ22/2, and the shears
 * KT (180/π)² / V, plus σ22/2 on the 23 and 12 ones. */
static void toy_B(double x, double V0, double Bc[6][6])
{
  const double V = V0 * (1 + x), s = (2 * A * x + 3 * B * x * x) / V0, k = KT * pow(180 / M_PI, 2) / V;
  memset(Bc, 0, 36 * sizeof(double));
  Bc[0][0] = Bc[2][2] = KS / V;
  Bc[1][1] = (2 * A + 6 * B * x) * (1 + x) * (1 + x) / V;
  Bc[0][1] = Bc[1][0] = Bc[1][2] = Bc[2][1] = -0.5 * s;
  Bc[3][3] = Bc[5][5] = k + 0.5 * s;
  Bc[4][4] = k;
}

/* A coupled, non-separable energy for the derivative checks */
static int coupled(void *ctx, const double D[6], double *F, double dF[6])
{
  (void)ctx;
  const double u[6] = {D[0] - 1, D[1] - 1, D[2] - 1, (D[3] - 90) / 50, (D[4] - 90) / 50, (D[5] - 90) / 50};
  double s = 0;
  for (int i = 0; i < 6; i++) s += (i + 1) * u[i];
  *F = -3.6 + 0.3 * s * s + 0.2 * sin(u[0] + 2 * u[4]) * u[1] + 0.1 * u[3] * u[5] * u[2];
  const double du[6] = {1, 1, 1, 1.0 / 50, 1.0 / 50, 1.0 / 50};
  double g[6];
  for (int i = 0; i < 6; i++) g[i] = 0.6 * s * (i + 1);
  g[0] += 0.2 * cos(u[0] + 2 * u[4]) * u[1];
  g[4] += 0.4 * cos(u[0] + 2 * u[4]) * u[1];
  g[1] += 0.2 * sin(u[0] + 2 * u[4]);
  g[3] += 0.1 * u[5] * u[2];
  g[5] += 0.1 * u[3] * u[2];
  g[2] += 0.1 * u[3] * u[5];
  for (int i = 0; i < 6; i++) dF[i] = g[i] * du[i];
  return SF_OK;
}

static void check_maps(const double ref[3][3], const char *name)
{
  const double e[6] = {0.013, -0.021, 0.008, 0.011, -0.006, 0.017};
  double D[6], J[6][6], a[3][3], Dl[6];
  sf_strain_to_D(ref, e, D, J);
  const double eps[3][3] = {{e[0], e[5], e[4]}, {e[5], e[1], e[3]}, {e[4], e[3], e[2]}};
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++) {
      a[i][k] = ref[i][k];
      for (int j = 0; j < 3; j++) a[i][k] += eps[k][j] * ref[i][j];
    }
  sf_strain_D_of_lattice(ref, a, Dl);
  double worst = 0;
  for (int d = 0; d < 6; d++) worst = fmax(worst, fabs(D[d] - Dl[d]));
  EXPECT(worst < 1e-12, "%s: D(e) differs from sf_strain_D_of_lattice by %.2e", name, worst);
  const double h = 1e-6;
  worst = 0;
  for (int v = 0; v < 6; v++) {
    double ep[6], em[6], Dp[6], Dm[6];
    memcpy(ep, e, sizeof ep);
    memcpy(em, e, sizeof em);
    ep[v] += h;
    em[v] -= h;
    sf_strain_to_D(ref, ep, Dp, NULL);
    sf_strain_to_D(ref, em, Dm, NULL);
    for (int d = 0; d < 6; d++) worst = fmax(worst, fabs((Dp[d] - Dm[d]) / (2 * h) - J[d][v]) / (d < 3 ? 1 : 57.3));
  }
  EXPECT(worst < 1e-8, "%s: dD/de against central differences: %.2e", name, worst);
  printf("%s: D(e) vs lattice ok, dD/de vs FD %.1e\n", name, worst);
  /* σ against central differences of F(e) */
  double F, V, s[6], g[6];
  sf_stress_at(coupled, NULL, ref, e, &F, D, &V, s, g);
  worst = 0;
  double smax = 0;
  for (int v = 0; v < 6; v++) {
    double ep[6], em[6], Fp, Fm, Vx, sx[6], Dx[6];
    memcpy(ep, e, sizeof ep);
    memcpy(em, e, sizeof em);
    ep[v] += 1e-5;
    em[v] -= 1e-5;
    sf_stress_at(coupled, NULL, ref, ep, &Fp, Dx, &Vx, sx, NULL);
    sf_stress_at(coupled, NULL, ref, em, &Fm, Dx, &Vx, sx, NULL);
    const double fd = (v < 3 ? 1.0 : 0.5) * (Fp - Fm) / 2e-5 / V;
    worst = fmax(worst, fabs(fd - s[v]));
    smax = fmax(smax, fabs(s[v]));
  }
  EXPECT(worst < 1e-6 * smax, "%s: stress against finite differences of F: %.2e (max |sigma| %.2e)", name, worst, smax);
  printf("%s: stress vs FD of F: max diff %.1e, max |sigma| %.1e Ha/Bohr^3\n", name, worst, smax);
  /* sf_cauchy_to_dF inverts sf_cauchy_from_dF (eq. 13; the stress targets of train
   * -stress_weight), also on a rotated copy of the cell, and sf_cauchy_from_dF is
   * sf_elastic_at's stress */
  const double c = cos(0.3), sn = sin(0.3), Rot[3][3] = {{c, -sn, 0}, {sn, c, 0}, {0, 0, 1}};
  double ar[3][3], dF[6], sig[3][3], back[6];
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++) ar[i][k] = Rot[k][0] * a[i][0] + Rot[k][1] * a[i][1] + Rot[k][2] * a[i][2];
  coupled(NULL, D, &F, dF);
  for (int r = 0; r < 2; r++) {
    const double(*lat)[3] = r ? (const double(*)[3])ar : (const double(*)[3])a;
    sf_cauchy_from_dF(ref, lat, dF, sig);
    EXPECT(!sf_cauchy_to_dF(ref, lat, (const double(*)[3])sig, back), "%s: sf_cauchy_to_dF", name);
    sf_elastic el;
    EXPECT(!sf_elastic_at(toy_hess, NULL, ref, lat, &el), "%s: sf_elastic_at", name);
    double dF2[6], sig2[3][3], ws = 0;
    toy(NULL, el.D, &F, dF2);
    sf_cauchy_from_dF(ref, lat, dF2, sig2);
    for (int i = 0; i < 9; i++) ws = fmax(ws, fabs(sig2[i / 3][i % 3] - el.stress[i / 3][i % 3]));
    EXPECT(ws < 1e-15, "%s: sf_cauchy_from_dF differs from sf_elastic_at's stress by %.2e", name, ws);
    double w = 0, dmax = 0;
    for (int d = 0; d < 6; d++) {
      w = fmax(w, fabs(back[d] - dF[d]));
      dmax = fmax(dmax, fabs(dF[d]));
    }
    EXPECT(w < 1e-12 * dmax, "%s%s: dF/dD -> stress -> dF/dD round trip %.2e (max |dF| %.2e)", name,
           r ? " (rotated)" : "", w, dmax);
    printf("%s%s: Cauchy stress -> dF/dD inverts dF/dD -> stress to %.1e relative\n", name, r ? " (rotated)" : "", w / dmax);
  }
}

int main(void)
{
  const double ortho[3][3] = {{6.0646, 0, 0}, {0, 10.5042, 0}, {0, 0, 9.8477}};
  const double tric[3][3] = {{6.0, 0.3, 0.1}, {-1.2, 9.9, 0.4}, {0.5, -0.7, 9.6}};
  check_maps(ortho, "orthorhombic Mg cell");
  check_maps(tric, "triclinic cell");

  /* uniaxial σ22 path on the toy energy: transverse strains relax to 0 exactly,
   * σ22 = (2A x + 3B x²)/(V0 (1 + x)) with x = e22, and the stiffness changes sign at
   * x = −A/(3B) = −1/30 */
  sf_path_params p = {.dir = 1, .tol = 1e-11, .maxiter = 500, .fd_step = 1e-5};
  const double V0 = 6.0646 * 10.5042 * 9.8477;
  double e[6] = {0.003, 0, -0.002, 0.004, 0.001, -0.003}; /* a start away from the answer */
  int first_unstable = -1, all_conv = 1;
  double worst_e = 0, worst_s = 0, worst_b = 0, bmax = 0;
  static sf_path_point pts[17];
  for (int k = 0; k <= 16; k++) {
    const double x = 0.02 - 0.005 * k;
    sf_path_point pt;
    sf_uniaxial_point(toy, NULL, ortho, &p, x, e, &pt);
    EXPECT(!sf_path_point_elastic(toy_hess, NULL, ortho, &pt), "the finite-strain state of a path point");
    double Bc[6][6];
    toy_B(x, V0, Bc);
    for (int i = 0; i < 36; i++) {
      worst_b = fmax(worst_b, fabs(pt.el.B[i / 6][i % 6] - Bc[i / 6][i % 6]));
      bmax = fmax(bmax, fabs(Bc[i / 6][i % 6]));
    }
    pts[k] = pt;
    memcpy(e, pt.e, sizeof e);
    all_conv = all_conv && pt.converged;
    for (int v = 0; v < 6; v++)
      if (v != 1) worst_e = fmax(worst_e, fabs(pt.e[v]));
    const double s22 = (2 * A * x + 3 * B * x * x) / (V0 * (1 + x));
    worst_s = fmax(worst_s, fabs(pt.sigma[1] - s22));
    if (first_unstable < 0 && pt.stiffness_min <= 0) first_unstable = k;
    EXPECT(pt.transverse_min > 0, "e22 = %.3f: the transverse block must stay stable (%.3e)", x, pt.transverse_min);
  }
  EXPECT(all_conv, "every uniaxial point converges");
  EXPECT(worst_e < 1e-8, "transverse strains relax to 0 (worst %.2e)", worst_e);
  EXPECT(worst_s < 1e-10, "sigma22 against the closed form: %.2e Ha/Bohr^3", worst_s);
  /* grid 0.02 − 0.005 k: −0.030 (k = 10) is stable, −0.035 (k = 11) is not */
  EXPECT(first_unstable == 11, "instability first flagged at k = %d (e22 = %.3f); expected k = 11 (e22 = -0.035)",
         first_unstable, 0.02 - 0.005 * first_unstable);
  printf("uniaxial path: transverse strains %.1e, sigma22 vs closed form %.1e, unstable from e22 = %.3f\n", worst_e,
         worst_s, 0.02 - 0.005 * first_unstable);
  /* Wallace's B along the path against its closed form, and where its lowest eigenvalue
   * crosses zero: the exact onset by bisection on the closed form, between −0.030 and −0.035 */
  EXPECT(worst_b < 1e-8 * bmax, "B along the path against the closed form: %.2e (max |B| %.2e)", worst_b, bmax);
  double lo = -0.035, hi = -0.030, w[6], mode[6], Bc[6][6];
  for (int it = 0; it < 100; it++) {
    toy_B(0.5 * (lo + hi), V0, Bc);
    sf_stability_eig((const double(*)[6])Bc, w, mode);
    if (w[0] > 0) hi = 0.5 * (lo + hi);
    else lo = 0.5 * (lo + hi);
  }
  const double x_exact = 0.5 * (lo + hi);
  toy_B(x_exact, V0, Bc);
  sf_stability_eig((const double(*)[6])Bc, w, mode);
  sf_path_onset on, none;
  EXPECT(!sf_path_onset_find(pts, 17, 4, 1, 1, &on), "onset towards compression");
  EXPECT(!sf_path_onset_find(pts, 17, 4, 1, -1, &none), "onset towards tension");
  double dm = 0;
  for (int i = 0; i < 6; i++) dm = fmax(dm, fabs(on.mode[i] - mode[i]));
  EXPECT(on.found && on.k == 11 && fabs(on.strain - x_exact) < 2e-5,
         "onset found %d at k = %d, e22 = %.7f; exact %.7f (grid 0.005, linear interpolation of B)", on.found, on.k,
         on.strain, x_exact);
  EXPECT(dm < 1e-3, "instability mode off the closed form's null vector by %.2e", dm);
  EXPECT(!none.found, "an onset under tension, where the toy is stable");
  printf("Wallace's B along the path vs closed form %.1e; onset e22 = %.6f (exact %.6f, -1/30 = %.6f without the stress "
         "terms), mode (%.3f %.3f %.3f %.3f %.3f %.3f), off by %.1e\n",
         worst_b / bmax, on.strain, x_exact, -1.0 / 30, on.mode[0], on.mode[1], on.mode[2], on.mode[3], on.mode[4],
         on.mode[5], dm);
  pts[4].el.eig[0] = -1; /* a path unstable at its start crosses nothing */
  sf_path_onset_find(pts, 17, 4, 1, 1, &on);
  EXPECT(!on.found, "an onset reported from an unstable starting point");
  /* a point that cannot converge in the steps allowed says so */
  sf_path_params q = p;
  q.maxiter = 2;
  sf_path_point pt;
  const double e0[6] = {0.01, 0, 0.01, 0.01, 0.01, 0.01};
  sf_uniaxial_point(toy, NULL, ortho, &q, 0.0, e0, &pt);
  EXPECT(!pt.converged && pt.iterations == 2, "maxiter 2: converged %d after %d steps", pt.converged, pt.iterations);
  printf("test_stress_path: %d failures\n", failures);
  return failures ? 1 : 0;
}
