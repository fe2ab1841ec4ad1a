/* test_elastic.c — stress, elastic constants and stability from a learned energy
 * (elastic.h), against finite differences and known answers:
 *
 *  1. the Lagrangian-strain map D(η) against sf_strain_D_of_lattice of the deformed cell,
 *     its first derivatives against central differences of D, its second against central
 *     differences of the first (orthorhombic and triclinic cells, strained);
 *  2. on a trained energy network (6→50→100→50→1, float64) inside a model: the stress
 *     against central differences of the predicted F (1e-6 relative), also as the paper's
 *     eq. 13 from the reference cell's Lagrangian strain; the small-strain stress (eq. 14)
 *     against differences of F in the small strain; C against central differences of the
 *     predicted stress (1e-5), C symmetric to round-off; Wallace's B against the second
 *     differences of F minus the work of the stress held constant; every tensor under a
 *     rotation of the cell; at a stress-free state (Newton on the network) B's eigenvalues
 *     equal C's;
 *  3. known answers: B of an isotropic solid under pressure, the Mandel eigenvalues of a
 *     cubic C, and the Voigt-Reuss-Hill moduli of an isotropic and a cubic (copper) C. */
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/elastic.h"
#include "strainfield/sampling.h"
#include "strainfield/stresspath.h"
#include "expect.h"

#include <lapacke.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int vp[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};

/* the symmetric tensor of Voigt engineering strain v (shear entries halved) */
static void voigt_tensor(const double v[6], double t[3][3])
{
  for (int a = 0; a < 6; a++) {
    const double x = a < 3 ? v[a] : 0.5 * v[a];
    t[vp[a][0]][vp[a][1]] = t[vp[a][1]][vp[a][0]] = x;
  }
}

/* rows a_i' = M a_i */
static void apply(const double M[3][3], const double a[3][3], double out[3][3])
{
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++) out[i][k] = M[k][0] * a[i][0] + M[k][1] * a[i][1] + M[k][2] * a[i][2];
}

/* U = sqrt(S) of a symmetric positive definite 3 × 3 S */
static void sqrtm3(const double S[3][3], double U[3][3])
{
  double q[9], w[3];
  for (int i = 0; i < 9; i++) q[i] = S[i / 3][i % 3];
  LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', 3, q, 3, w);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      U[i][j] = 0;
      for (int k = 0; k < 3; k++) U[i][j] += q[3 * i + k] * sqrt(w[k]) * q[3 * j + k];
    }
}

static void inv3(const double a[3][3], double b[3][3])
{
  const double det = sf_mat3_det(a);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      const int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
      b[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / det;
    }
}

/* ---- 1. the strain map ---- */
static void check_map(const double ref[3][3], const double cur[3][3], const char *name)
{
  const double eta[6] = {0.011, -0.007, 0.004, 0.009, -0.005, 0.013}, zero[6] = {0};
  double D[6], Dl[6], J[6][6], H[6][6][6], worst = 0;
  sf_lagrangian_to_D(ref, cur, zero, D, NULL, NULL);
  sf_strain_D_of_lattice(ref, cur, Dl);
  for (int d = 0; d < 6; d++) worst = fmax(worst, fabs(D[d] - Dl[d]));
  EXPECT(worst < 1e-12, "%s: D(0) differs from the cell's D by %.2e", name, worst);
  double S[3][3], U[3][3], a[3][3];
  voigt_tensor(eta, S);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) S[i][j] = (i == j) + 2 * S[i][j];
  sqrtm3(S, U); /* U a_i has the metric a·(I + 2η)·a */
  apply(U, cur, a);
  sf_lagrangian_to_D(ref, cur, eta, D, J, H);
  sf_strain_D_of_lattice(ref, a, Dl);
  worst = 0;
  for (int d = 0; d < 6; d++) worst = fmax(worst, fabs(D[d] - Dl[d]));
  EXPECT(worst < 1e-12, "%s: D(eta) differs from D of sqrt(I + 2 eta) a by %.2e", name, worst);
  double wj = 0, wh = 0, hs = 0;
  const double h = 1e-6;
  for (int b = 0; b < 6; b++) {
    double ep[6], em[6], Dp[6], Dm[6], Jp[6][6], Jm[6][6];
    memcpy(ep, eta, sizeof ep);
    memcpy(em, eta, sizeof em);
    ep[b] += h;
    em[b] -= h;
    sf_lagrangian_to_D(ref, cur, ep, Dp, Jp, NULL);
    sf_lagrangian_to_D(ref, cur, em, Dm, Jm, NULL);
    for (int d = 0; d < 6; d++) {
      const double sc = d < 3 ? 1 : 57.3; /* degrees */
      wj = fmax(wj, fabs((Dp[d] - Dm[d]) / (2 * h) - J[d][b]) / sc);
      for (int al = 0; al < 6; al++) {
        wh = fmax(wh, fabs((Jp[d][al] - Jm[d][al]) / (2 * h) - H[d][al][b]) / sc);
        hs = fmax(hs, fabs(H[d][al][b]) / sc);
      }
    }
  }
  EXPECT(wj < 1e-8, "%s: dD/deta against central differences: %.2e", name, wj);
  EXPECT(wh < 1e-7 * hs, "%s: d2D/deta2 against differences of dD/deta: %.2e (scale %.2e)", name, wh, hs);
  printf("%s: D(eta) vs the deformed cell ok; dD/deta vs FD %.1e, d2D/deta2 vs FD %.1e relative\n", name, wj, wh / hs);
}

/* ---- 2. a trained energy network ---- */
static const double REF[3][3] = {{6.0646, 0, 0}, {0, 10.5042, 0}, {0, 0, 9.8477}};

/* the learned function: convex, minimum near D = 1 and 90 degrees, anharmonic */
static double target(const double *D)
{
  const double x[3] = {D[0] - 1.003, D[1] - 0.998, D[2] - 1.001};
  double F = -3.6 + 0.55 * (x[0] * x[0] + x[1] * x[1]) + 0.6 * x[2] * x[2] + 0.2 * x[0] * x[1] + 0.1 * x[1] * x[2] +
             2.0 * x[1] * x[1] * x[1];
  for (int t = 3; t < 6; t++) F += 1.5e-4 * (D[t] - 90.1) * (D[t] - 90.1) * (1 + 0.5 * x[0]);
  return F;
}

static void make_model(sf_model *m)
{
  const int n = 256, w[5] = {6, 50, 100, 50, 1};
  double *X = calloc(6 * n, sizeof *X), *Y = calloc(n, sizeof *Y);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < 6; j++)
      X[6 * i + j] = j < 3 ? 1 + 0.05 * (2 * sf_ml_rng_uniform(21, j, i) - 1) : 90 + 3 * (2 * sf_ml_rng_uniform(21, j, i) - 1);
    Y[i] = target(X + 6 * i);
  }
  memset(m, 0, sizeof *m);
  EXPECT(!sf_mlp_create(&m->net_energy, 4, w, 7), "create the energy network");
  sf_mlp_fit_scalers(&m->net_energy, X, Y, n);
  sf_train_params p;
  sf_train_defaults(&p);
  p.epochs = 300;
  p.batch = 64;
  EXPECT(!sf_mlp_train(MPI_COMM_SELF, &m->net_energy, X, Y, n, &p, NULL), "train the energy network");
  memcpy(m->ref_rprimd, REF, sizeof REF);
  m->have_ref = 1;
  free(X), free(Y);
}

static double F_of(const sf_model *m, const double a[3][3])
{
  double D[6], F;
  sf_strain_D_of_lattice(REF, a, D);
  sf_model_predict64(m, D, 1, &F, NULL, NULL);
  return F;
}

static double maxabs(const double *a, int n)
{
  double s = 0;
  for (int i = 0; i < n; i++) s = fmax(s, fabs(a[i]));
  return s;
}

/* stress against central differences of F in the current cell's strain, and eq. 13 from
 * the reference cell's Lagrangian strain */
static void check_stress(const sf_model *m, const sf_elastic *s)
{
  const double h = 2e-5;
  double fd[3][3] = {{0}}, worst = 0;
  for (int al = 0; al < 6; al++) {
    double v[6] = {0}, u[3][3], ap[3][3], am[3][3];
    v[al] = h;
    voigt_tensor(v, u);
    sf_lattice_apply_strain(s->lattice, (const double(*)[3])u, ap);
    for (int i = 0; i < 9; i++) u[i / 3][i % 3] = -u[i / 3][i % 3];
    sf_lattice_apply_strain(s->lattice, (const double(*)[3])u, am);
    const double g = (F_of(m, ap) - F_of(m, am)) / (2 * h) / s->V; /* (1/V) ∂F/∂η_α */
    fd[vp[al][0]][vp[al][1]] = fd[vp[al][1]][vp[al][0]] = g;
  }
  for (int i = 0; i < 9; i++) worst = fmax(worst, fabs(fd[i / 3][i % 3] - s->stress[i / 3][i % 3]));
  const double smax = maxabs(&s->stress[0][0], 9);
  EXPECT(worst < 1e-6 * smax, "stress against central differences of F: %.2e (max |sigma| %.2e)", worst, smax);
  printf("network: stress vs FD of the predicted F %.1e relative (max |sigma| %.2e Ha/Bohr^3)\n", worst / smax, smax);
  /* eq. 13: σ = (1/V) Fd (∂F/∂E) Fdᵀ, E = (Fdᵀ Fd − I)/2 the reference cell's Lagrangian strain */
  double Fd[3][3], E0[3][3], S[3][3];
  sf_strain_measures(REF, s->lattice, Fd, E0, NULL);
  for (int i = 0; i < 3; i++)
    for (int j = i; j < 3; j++) {
      double Fpm[2];
      for (int sg = 0; sg < 2; sg++) {
        double M[3][3], U[3][3], a[3][3];
        for (int k = 0; k < 9; k++) M[k / 3][k % 3] = (k / 3 == k % 3) + 2 * E0[k / 3][k % 3];
        M[i][j] += 2 * (sg ? -h : h); /* E_ij and E_ji together */
        if (i != j) M[j][i] += 2 * (sg ? -h : h);
        sqrtm3(M, U);
        apply(U, REF, a);
        Fpm[sg] = F_of(m, a);
      }
      S[i][j] = S[j][i] = (Fpm[0] - Fpm[1]) / (2 * h) / (i == j ? 1 : 2);
    }
  worst = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double t = 0;
      for (int k = 0; k < 3; k++)
        for (int l = 0; l < 3; l++) t += Fd[i][k] * S[k][l] * Fd[j][l];
      worst = fmax(worst, fabs(t / s->V - s->stress[i][j]));
    }
  EXPECT(worst < 1e-6 * smax, "eq. 13 from the reference cell's Lagrangian strain: %.2e", worst);
  printf("network: eq. 13, (1/V) F dF/dE F^T by FD from the reference, %.1e relative\n", worst / smax);
}

/* C against central differences of the predicted stress: the stress σ' of the cell (I + u) a
 * is pulled back to the current cell, T = V' (I + u)⁻¹ σ' (I + u)⁻ᵀ = ∂F/∂η, and
 * C = (1/V) ∂T/∂η. */
static void check_C(const sf_model *m, const sf_elastic *s)
{
  const double h = 3e-5;
  double fd[6][6], worst = 0, asym = 0;
  for (int be = 0; be < 6; be++) {
    double T[2][6];
    for (int sg = 0; sg < 2; sg++) {
      double v[6] = {0}, u[3][3], a[3][3], G[3][3], Gi[3][3];
      v[be] = sg ? -h : h;
      voigt_tensor(v, u);
      sf_lattice_apply_strain(s->lattice, (const double(*)[3])u, a);
      sf_elastic sp;
      EXPECT(!sf_elastic_at(sf_model_energy_hess, (void *)m, REF, (const double(*)[3])a, &sp), "elastic at a strained cell");
      for (int i = 0; i < 9; i++) G[i / 3][i % 3] = (i / 3 == i % 3) + u[i / 3][i % 3];
      inv3(G, Gi);
      for (int al = 0; al < 6; al++) {
        const int i = vp[al][0], j = vp[al][1];
        double t = 0;
        for (int k = 0; k < 3; k++)
          for (int l = 0; l < 3; l++) t += Gi[i][k] * sp.stress[k][l] * Gi[j][l];
        T[sg][al] = sp.V * t;
      }
    }
    for (int al = 0; al < 6; al++) fd[al][be] = (T[0][al] - T[1][al]) / (2 * h) / s->V;
  }
  const double cmax = maxabs(&s->C[0][0], 36);
  for (int al = 0; al < 6; al++)
    for (int be = 0; be < 6; be++) {
      worst = fmax(worst, fabs(fd[al][be] - s->C[al][be]));
      asym = fmax(asym, fabs(s->C[al][be] - s->C[be][al]));
    }
  EXPECT(worst < 1e-5 * cmax, "C against central differences of the stress: %.2e (max |C| %.2e)", worst, cmax);
  EXPECT(asym <= 1e-14 * cmax, "C not symmetric to round-off: %.2e (max |C| %.2e)", asym, cmax);
  printf("network: C vs FD of the predicted stress %.1e relative, |C - C^T| %.1e relative (C11 %.1f GPa)\n",
         worst / cmax, asym / cmax, s->C[0][0] * SF_HA_BOHR3_GPA);
}

/* Wallace's B (Voigt) against the second differences of F minus the work of the current
 * Cauchy stress held constant along u(t) = t u: W = V [σ:u + ½(tr u σ:u − σ:(u u))]. */
static void check_B(const sf_model *m, const sf_elastic *s)
{
  const double h = 1e-4;
  double worst = 0;
  for (int al = 0; al < 6; al++)
    for (int be = al; be < 6; be++) {
      double G[4];
      for (int c = 0; c < 4; c++) {
        double v[6] = {0}, u[3][3], a[3][3], uu[3][3] = {{0}};
        v[al] += c & 1 ? -h : h;
        v[be] += c & 2 ? -h : h;
        voigt_tensor(v, u);
        sf_lattice_apply_strain(s->lattice, (const double(*)[3])u, a);
        double su = 0, tr = u[0][0] + u[1][1] + u[2][2], suu = 0;
        for (int i = 0; i < 3; i++)
          for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) uu[i][j] += u[i][k] * u[k][j];
        for (int i = 0; i < 9; i++) su += s->stress[i / 3][i % 3] * u[i / 3][i % 3], suu += s->stress[i / 3][i % 3] * uu[i / 3][i % 3];
        G[c] = F_of(m, a) - s->V * (su + 0.5 * (tr * su - suu));
      }
      const double d2 = (G[0] - G[1] - G[2] + G[3]) / (4 * h * h) / s->V;
      worst = fmax(worst, fabs(d2 - s->B[al][be]));
    }
  const double bmax = maxabs(&s->B[0][0], 36);
  EXPECT(worst < 1e-4 * bmax, "B against second differences of F - W: %.2e (max |B| %.2e)", worst, bmax);
  printf("network: Wallace's B vs second differences of F - W %.1e relative\n", worst / bmax);
}

/* a rotation of the cell rotates the stresses and leaves F, the eigenvalues of B and the
 * moduli unchanged */
static void check_rotation(const sf_model *m, const sf_elastic *s)
{
  const double c = cos(0.7), sn = sin(0.7), n[3] = {0.48, -0.6, 0.64}; /* unit axis */
  double Q[3][3], a[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) /* Rodrigues */
      Q[i][j] = c * (i == j) + (1 - c) * n[i] * n[j] +
                sn * (i == j ? 0 : ((j - i + 3) % 3 == 1 ? -n[3 - i - j] : n[3 - i - j]));
  apply(Q, s->lattice, a);
  sf_elastic r;
  EXPECT(!sf_elastic_at(sf_model_energy_hess, (void *)m, REF, (const double(*)[3])a, &r), "elastic, rotated cell");
  EXPECT(!sf_stress_small_strain(REF, (const double(*)[3])a, r.dF, r.stress_small), "small-strain stress, rotated cell");
  double ws = 0, wss = 0, we = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double t = 0, t2 = 0;
      for (int k = 0; k < 3; k++)
        for (int l = 0; l < 3; l++) t += Q[i][k] * s->stress[k][l] * Q[j][l], t2 += Q[i][k] * s->stress_small[k][l] * Q[j][l];
      ws = fmax(ws, fabs(t - r.stress[i][j]));
      wss = fmax(wss, fabs(t2 - r.stress_small[i][j]));
    }
  for (int i = 0; i < 6; i++) we = fmax(we, fabs(r.eig[i] - s->eig[i]));
  const double smax = maxabs(&s->stress[0][0], 9), emax = maxabs(s->eig, 6);
  EXPECT(ws < 1e-12 * smax && wss < 1e-12 * smax, "rotated cell: stress %.2e, small-strain stress %.2e off Q s Q^T", ws, wss);
  EXPECT(we < 1e-12 * emax, "rotated cell: stability eigenvalues moved by %.2e", we);
  EXPECT(fabs(r.KV - s->KV) + fabs(r.KR - s->KR) + fabs(r.GV - s->GV) + fabs(r.GR - s->GR) < 1e-12 * emax,
         "rotated cell: the VRH moduli moved");
  printf("network: rotated cell: stresses rotate (%.1e), eigenvalues and moduli unchanged (%.1e)\n", fmax(ws, wss) / smax,
         we / emax);
}

/* eq. 14 against differences of F in the reference cell's small strain (a symmetric
 * deformation, whose polar rotation is the identity); eq. 13 = eq. 14 at the reference */
static void check_small_strain(const sf_model *m)
{
  const double e0[6] = {0.009, -0.006, 0.004, 0.003, -0.005, 0.002}, h = 2e-5;
  double eps[3][3], a[3][3], sig[3][3], worst = 0;
  for (int v = 0; v < 6; v++) eps[vp[v][0]][vp[v][1]] = eps[vp[v][1]][vp[v][0]] = e0[v];
  sf_lattice_apply_strain(REF, (const double(*)[3])eps, a);
  double Da[6], Fa, dFa[6];
  sf_strain_D_of_lattice(REF, a, Da);
  sf_model_dF_dD(m, Da, &Fa, dFa);
  EXPECT(!sf_stress_small_strain(REF, (const double(*)[3])a, dFa, sig), "small-strain stress");
  const double V = sf_mat3_det(a);
  for (int v = 0; v < 6; v++) {
    double Fpm[2];
    for (int sg = 0; sg < 2; sg++) {
      double ep[3][3], ap[3][3];
      memcpy(ep, eps, sizeof ep);
      ep[vp[v][0]][vp[v][1]] += sg ? -h : h;
      if (v >= 3) ep[vp[v][1]][vp[v][0]] += sg ? -h : h;
      sf_lattice_apply_strain(REF, (const double(*)[3])ep, ap);
      Fpm[sg] = F_of(m, ap);
    }
    const double fd = (Fpm[0] - Fpm[1]) / (2 * h) / V / (v < 3 ? 1 : 2);
    worst = fmax(worst, fabs(fd - sig[vp[v][0]][vp[v][1]]));
  }
  const double smax = maxabs(&sig[0][0], 9);
  EXPECT(worst < 1e-6 * smax, "eq. 14 against differences of F in the small strain: %.2e", worst);
  sf_elastic r;
  const double D1[6] = {1, 1, 1, 90, 90, 90};
  EXPECT(!sf_model_elastic(m, D1, &r), "elastic at the reference cell");
  double d = 0;
  for (int i = 0; i < 9; i++) d = fmax(d, fabs(r.stress[i / 3][i % 3] - r.stress_small[i / 3][i % 3]));
  EXPECT(d < 1e-12 * maxabs(&r.stress[0][0], 9), "eq. 13 and eq. 14 differ at the reference cell by %.2e", d);
  printf("network: eq. 14 vs FD of F in the small strain %.1e relative; = eq. 13 at the reference (%.1e)\n",
         worst / smax, d);
}

/* a stress-free state of the network (Newton on ∂F/∂D = 0): B = C, the same eigenvalues */
static void check_zero_stress(const sf_model *m)
{
  double D[6] = {1.003, 0.998, 1.001, 90.1, 90.1, 90.1}, F, g[6], H[36];
  int it = 0;
  for (; it < 30; it++) {
    sf_model_d2F_dD2(m, D, &F, g, H);
    if (maxabs(g, 6) < 1e-13) break;
    int ipiv[6];
    LAPACKE_dgesv(LAPACK_ROW_MAJOR, 6, 1, H, 6, ipiv, g, 1);
    for (int j = 0; j < 6; j++) D[j] -= g[j];
  }
  EXPECT(it < 30, "Newton did not find a stationary point of the network");
  sf_elastic s;
  EXPECT(!sf_model_elastic(m, D, &s), "elastic at the stress-free state");
  double ec[6], v[6], we = 0;
  sf_stability_eig((const double(*)[6])s.C, ec, v);
  for (int i = 0; i < 6; i++) we = fmax(we, fabs(ec[i] - s.eig[i]));
  const double emax = maxabs(ec, 6), smax = maxabs(&s.stress[0][0], 9);
  EXPECT(smax < 1e-12 * emax, "the stationary point has stress %.2e", smax);
  EXPECT(we <= 1e-12 * emax, "at zero stress B's eigenvalues differ from C's by %.2e", we);
  EXPECT(s.stable, "the network of a convex energy is unstable at its minimum (lowest eigenvalue %.2e)", s.eig[0]);
  printf("network: zero stress after %d Newton steps (|sigma| %.1e): eig(B) = eig(C) to %.1e; lowest %.2f GPa\n", it, smax,
         we / emax, s.eig[0] * SF_HA_BOHR3_GPA);
}

/* ---- 3. known answers ---- */
static void isotropic(double lam, double mu, double C[6][6])
{
  memset(C, 0, 36 * sizeof(double));
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) C[i][j] = lam + (i == j) * 2 * mu;
    C[3 + i][3 + i] = mu;
  }
}

static void check_known(void)
{
  const double lam = 2.1e-3, mu = 1.3e-3, P = 2e-4; /* Ha/Bohr³ */
  double C[6][6], B[6][6], w[6], v[6];
  const double sig[3][3] = {{-P, 0, 0}, {0, -P, 0}, {0, 0, -P}};
  isotropic(lam, mu, C);
  sf_wallace_B(C, sig, B);
  sf_stability_eig((const double(*)[6])B, w, v);
  /* under pressure: deviatoric modes 2(μ − P) (five), the volume mode 3λ + 2μ + P */
  double worst = fabs(w[5] - (3 * lam + 2 * mu + P));
  for (int i = 0; i < 5; i++) worst = fmax(worst, fabs(w[i] - 2 * (mu - P)));
  EXPECT(worst < 1e-15, "isotropic solid under pressure: B's eigenvalues off by %.2e", worst);
  EXPECT(fabs(B[0][0] - (lam + 2 * mu - P)) + fabs(B[0][1] - (lam + P)) + fabs(B[3][3] - (mu - P)) < 1e-15,
         "isotropic solid under pressure: B11 = C11 - P, B12 = C12 + P, B44 = C44 - P");
  const double c11 = 168.4, c12 = 121.4, c44 = 75.4; /* copper, GPa */
  double Cc[6][6] = {{0}}, KV, KR, GV, GR;
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) Cc[i][j] = i == j ? c11 : c12;
    Cc[3 + i][3 + i] = c44;
  }
  sf_stability_eig((const double(*)[6])Cc, w, v);
  const double want[6] = {c11 - c12, c11 - c12, 2 * c44, 2 * c44, 2 * c44, c11 + 2 * c12};
  worst = 0;
  for (int i = 0; i < 6; i++) worst = fmax(worst, fabs(w[i] - want[i]));
  EXPECT(worst < 1e-12, "cubic C: Mandel eigenvalues off Born's C11 - C12, 2 C44, C11 + 2 C12 by %.2e", worst);
  sf_vrh((const double(*)[6])Cc, &KV, &KR, &GV, &GR);
  const double K = (c11 + 2 * c12) / 3, gv = (c11 - c12 + 3 * c44) / 5,
               gr = 5 * (c11 - c12) * c44 / (4 * c44 + 3 * (c11 - c12));
  EXPECT(fabs(KV - K) < 1e-12 && fabs(KR - K) < 1e-12 && fabs(GV - gv) < 1e-12 && fabs(GR - gr) < 1e-12,
         "copper: VRH K %g %g (want %g), G %g %g (want %g %g)", KV, KR, K, GV, GR, gv, gr);
  printf("copper: K_VRH %.2f GPa, G_V %.2f G_R %.2f G_VRH %.2f GPa\n", 0.5 * (KV + KR), GV, GR, 0.5 * (GV + GR));
  isotropic(lam, mu, C);
  sf_vrh((const double(*)[6])C, &KV, &KR, &GV, &GR);
  const double Ki = lam + 2 * mu / 3;
  EXPECT(fabs(KV - Ki) + fabs(KR - Ki) < 1e-15 && fabs(GV - mu) + fabs(GR - mu) < 1e-15,
         "isotropic: VRH K %g %g (want %g), G %g %g (want %g)", KV, KR, Ki, GV, GR, mu);
  printf("known answers: B under pressure, cubic Mandel eigenvalues, VRH (isotropic, copper) ok\n");
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  const double tric[3][3] = {{6.0, 0.3, 0.1}, {-1.2, 9.9, 0.4}, {0.5, -0.7, 9.6}};
  const double st[3][3] = {{0.02, 0.01, -0.015}, {0.01, -0.03, 0.02}, {-0.015, 0.02, 0.01}};
  double cur[3][3];
  sf_lattice_apply_strain(REF, st, cur);
  check_map(REF, cur, "orthorhombic Mg cell, strained");
  sf_lattice_apply_strain(tric, st, cur);
  check_map(tric, cur, "triclinic cell, strained");
  check_known();
  sf_model m;
  make_model(&m);
  const double D[6] = {1.012, 0.991, 1.004, 90.6, 89.3, 90.4};
  sf_elastic s;
  EXPECT(!sf_model_elastic(&m, D, &s), "sf_model_elastic");
  double dd = 0;
  for (int j = 0; j < 6; j++) dd = fmax(dd, fabs(s.D[j] - D[j]));
  EXPECT(dd < 1e-12, "the state's D differs from the strain asked for by %.2e", dd);
  check_stress(&m, &s);
  check_C(&m, &s);
  check_B(&m, &s);
  check_rotation(&m, &s);
  check_small_strain(&m);
  check_zero_stress(&m);
  sf_mlp_free(&m.net_energy);
  printf("test_elastic: %d failures\n", failures);
  MPI_Finalize();
  return failures ? 1 : 0;
}
