/* elastic.c — the Cauchy stress, the elastic tensor, Wallace's stability coefficients and
 * the Voigt-Reuss-Hill moduli of a free energy F(D), from its exact first and second
 * derivatives through the strain map; see elastic.h for the conventions and
 * docs/physics.md for the formulas. */
#include "strainfield/elastic.h"
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#define DEG (180.0 / 3.14159265358979323846)

/* Voigt index → tensor indices */
static const int voigt_pair[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};
/* θa = ∠(b, c), θb = ∠(a, c), θc = ∠(a, b) */
static const int angle_pair[3][2] = {{1, 2}, {0, 2}, {0, 1}};

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* ∂g_uw/∂η_α of the metric g_uw = a_u·(I + 2η)·a_w: a_u·2E_α·a_w, E_α the symmetric unit
 * tensor of Voigt engineering component α (½ on each off-diagonal entry of a shear). */
static double dmetric(const double a[3][3], int u, int w, int al)
{
  const int i = voigt_pair[al][0], j = voigt_pair[al][1];
  if (i == j) return 2 * a[u][i] * a[w][i];
  return a[u][i] * a[w][j] + a[u][j] * a[w][i];
}

void sf_lagrangian_to_D(const double ref[3][3], const double lattice[3][3], const double eta[6], double D[6],
                        double J[6][6], double H[6][6][6])
{
  double K[3][3][6], g[3][3];
  for (int u = 0; u < 3; u++)
    for (int w = 0; w < 3; w++) {
      g[u][w] = dot3(lattice[u], lattice[w]);
      for (int al = 0; al < 6; al++) {
        K[u][w][al] = dmetric(lattice, u, w, al);
        g[u][w] += K[u][w][al] * eta[al];
      }
    }
  for (int i = 0; i < 3; i++) { /* λ_i = |a_i| / |a0_i| = sqrt(g_ii) / L0 */
    const double L0 = sqrt(dot3(ref[i], ref[i])), len = sqrt(g[i][i]);
    D[i] = len / L0;
    for (int al = 0; al < 6 && J; al++) J[i][al] = K[i][i][al] / (2 * L0 * len);
    for (int al = 0; al < 6 && H; al++)
      for (int be = 0; be < 6; be++) H[i][al][be] = -K[i][i][al] * K[i][i][be] / (4 * L0 * len * len * len);
  }
  for (int t = 0; t < 3; t++) { /* θ = acos(c), c = p / sqrt(q r) with p = g_uw, q = g_uu, r = g_ww */
    const int u = angle_pair[t][0], w = angle_pair[t][1];
    const double p = g[u][w], q = g[u][u], r = g[w][w];
    const double c = p / sqrt(q * r), s = sqrt(fmax(1 - c * c, 1e-300));
    D[3 + t] = DEG * acos(fmax(-1.0, fmin(1.0, c)));
    /* c's derivatives with respect to (p, q, r) */
    const double dc[3] = {1 / sqrt(q * r), -c / (2 * q), -c / (2 * r)};
    const double hc[3][3] = {{0, -dc[0] / (2 * q), -dc[0] / (2 * r)},
                             {-dc[0] / (2 * q), 0.75 * c / (q * q), 0.25 * c / (q * r)},
                             {-dc[0] / (2 * r), 0.25 * c / (q * r), 0.75 * c / (r * r)}};
    const double *Kx[3] = {K[u][w], K[u][u], K[w][w]};
    double ca[6];
    for (int al = 0; al < 6; al++) ca[al] = dc[0] * Kx[0][al] + dc[1] * Kx[1][al] + dc[2] * Kx[2][al];
    for (int al = 0; al < 6 && J; al++) J[3 + t][al] = -DEG * ca[al] / s;
    for (int al = 0; al < 6 && H; al++)
      for (int be = 0; be < 6; be++) {
        double cab = 0;
        for (int x = 0; x < 3; x++)
          for (int y = 0; y < 3; y++) cab += hc[x][y] * Kx[x][al] * Kx[y][be];
        /* d²acos/dc² = −c / s³ */
        H[3 + t][al][be] = -DEG * (cab / s + c * ca[al] * ca[be] / (s * s * s));
      }
  }
}

void sf_cauchy_from_dF(const double ref[3][3], const double lattice[3][3], const double dF[6], double sigma[3][3])
{
  const double zero[6] = {0};
  double D[6], J[6][6];
  sf_lagrangian_to_D(ref, lattice, zero, D, J, NULL);
  const double V = fabs(sf_mat3_det(lattice));
  for (int al = 0; al < 6; al++) {
    double g = 0;
    for (int d = 0; d < 6; d++) g += dF[d] * J[d][al];
    const int i = voigt_pair[al][0], j = voigt_pair[al][1];
    sigma[i][j] = sigma[j][i] = g / V;
  }
}

int sf_cauchy_to_dF(const double ref[3][3], const double lattice[3][3], const double sigma[3][3], double dF[6])
{
  const double zero[6] = {0};
  double D[6], J[6][6], A[36], g[6];
  int piv[6];
  sf_lagrangian_to_D(ref, lattice, zero, D, J, NULL);
  const double V = fabs(sf_mat3_det(lattice));
  for (int al = 0; al < 6; al++) {
    g[al] = V * sigma[voigt_pair[al][0]][voigt_pair[al][1]];
    for (int d = 0; d < 6; d++) A[6 * al + d] = J[d][al];
  }
  if (LAPACKE_dgesv(LAPACK_ROW_MAJOR, 6, 1, A, 6, piv, g, 1))
    SF_ERROR(SF_ERR_INPUT, "the strain map of the cell is singular: no dF/dD from its stress");
  memcpy(dF, g, sizeof g);
  return SF_OK;
}

void sf_wallace_B(const double C[6][6], const double sigma[3][3], double B[6][6])
{
#define KD(a, b) ((a) == (b) ? 1.0 : 0.0)
  for (int al = 0; al < 6; al++)
    for (int be = 0; be < 6; be++) {
      const int i = voigt_pair[al][0], j = voigt_pair[al][1], k = voigt_pair[be][0], l = voigt_pair[be][1];
      B[al][be] = C[al][be] +
                  0.5 * (KD(i, k) * sigma[j][l] + KD(j, k) * sigma[i][l] + KD(i, l) * sigma[j][k] +
                         KD(j, l) * sigma[i][k]) -
                  0.5 * (sigma[i][j] * KD(k, l) + KD(i, j) * sigma[k][l]);
    }
#undef KD
}

int sf_stability_eig(const double B[6][6], double w[6], double mode[6])
{
  /* Mandel form: √2 on the shear rows and columns makes the matrix the orthonormal
   * representation of the tensor, so its eigenvalues do not depend on the frame */
  const double m[6] = {1, 1, 1, M_SQRT2, M_SQRT2, M_SQRT2};
  double a[36];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) a[6 * i + j] = 0.5 * (B[i][j] + B[j][i]) * m[i] * m[j];
  const int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', 6, a, 6, w);
  if (info) SF_ERROR(SF_ERR_LIB, "LAPACK dsyev failed (info %d) on the 6x6 stability matrix", info);
  double v[6];
  int big = 0;
  for (int i = 0; i < 6; i++) v[i] = a[6 * i] / m[i]; /* Mandel vector → tensor components */
  for (int i = 1; i < 6; i++)
    if (fabs(v[i]) > fabs(v[big])) big = i;
  const double sgn = v[big] < 0 ? -1.0 : 1.0; /* an eigenvector's sign is arbitrary: fix it */
  for (int i = 0; i < 6; i++) mode[i] = sgn * v[i];
  return SF_OK;
}

void sf_vrh(const double C[6][6], double *KV, double *KR, double *GV, double *GR)
{
  const double d = C[0][0] + C[1][1] + C[2][2], o = C[0][1] + C[0][2] + C[1][2], sh = C[3][3] + C[4][4] + C[5][5];
  *KV = (d + 2 * o) / 9;
  *GV = (d - o + 3 * sh) / 15;
  double S[36];
  int ipiv[6];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) S[6 * i + j] = C[i][j];
  *KR = *GR = NAN;
  if (LAPACKE_dgetrf(LAPACK_ROW_MAJOR, 6, 6, S, 6, ipiv) || LAPACKE_dgetri(LAPACK_ROW_MAJOR, 6, S, 6, ipiv))
    return; /* singular: no compliance, no Reuss average */
  const double sd = S[0] + S[7] + S[14], so = S[1] + S[2] + S[8], ss = S[21] + S[28] + S[35];
  *KR = 1 / (sd + 2 * so);
  *GR = 15 / (4 * sd - 4 * so + 3 * ss);
}

int sf_elastic_at(sf_energy_hess_fn f, void *ctx, const double ref[3][3], const double lattice[3][3], sf_elastic *s)
{
  memset(s, 0, sizeof *s);
  memcpy(s->lattice, lattice, sizeof s->lattice);
  const double zero[6] = {0};
  double J[6][6], H[6][6][6], *dF = s->dF, d2F[36], sv[6];
  sf_lagrangian_to_D(ref, lattice, zero, s->D, J, H);
  SF_CHECK(f(ctx, s->D, &s->F, dF, d2F));
  s->V = fabs(sf_mat3_det(lattice));
  /* F(η) = F(D(η)): ∂F/∂η = Σ_d F_d J_d, ∂²F/∂η∂η = Jᵀ (∂²F/∂D²) J + Σ_d F_d H_d */
  for (int al = 0; al < 6; al++) {
    double g = 0;
    for (int d = 0; d < 6; d++) g += dF[d] * J[d][al];
    sv[al] = g / s->V;
    for (int be = 0; be < 6; be++) {
      double c = 0;
      for (int d = 0; d < 6; d++) {
        double t = 0;
        for (int e = 0; e < 6; e++) t += d2F[6 * d + e] * J[e][be];
        c += J[d][al] * t + dF[d] * H[d][al][be];
      }
      s->C[al][be] = c / s->V;
    }
  }
  for (int al = 0; al < 6; al++) {
    const int i = voigt_pair[al][0], j = voigt_pair[al][1];
    s->stress[i][j] = s->stress[j][i] = sv[al];
  }
  SF_CHECK(sf_elastic_finish(s));
  return SF_OK;
}

int sf_elastic_finish(sf_elastic *s)
{
  sf_wallace_B(s->C, (const double(*)[3])s->stress, s->B);
  SF_CHECK(sf_stability_eig((const double(*)[6])s->B, s->eig, s->mode));
  s->stable = s->eig[0] > 0;
  sf_vrh((const double(*)[6])s->C, &s->KV, &s->KR, &s->GV, &s->GR);
  return SF_OK;
}
