/* elastic_fd.c — the strained cells of `strainfield elastic`, the stress measure that makes
 * their finite differences the C of elastic.h, and the fit (elastic_dft.h).
 *
 * Why the second Piola-Kirchhoff stress: C = (1/V) ∂²F/∂η∂η is the derivative of
 * S = (1/V) ∂F/∂η, and S(η) = J Fd⁻¹ σ Fd⁻ᵀ is what a strained cell's Cauchy stress σ is
 * in those terms.  Differencing σ itself would give C plus stress terms (dσ/dε = C + terms
 * in σ0), which for the demo's ~14 GPa residual stress are not small.  The strain is
 * applied exactly (Fd = (I + 2η)^½), so the only error of the fit is the truncation of
 * S(η) at first order, O(δ²). */
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/elastic_dft.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

static const int voigt_pair[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};

int sf_elastic_fd_ncell(const sf_elastic_fd *p) { return 1 + 6 * p->npoints; }

void sf_elastic_fd_strain(const sf_elastic_fd *p, int k, double eta[6], int *component)
{
  memset(eta, 0, 6 * sizeof *eta);
  *component = -1;
  if (k < 1) return;
  const int b = (k - 1) / p->npoints, q = (k - 1) % p->npoints;
  const double size = q < 2 ? p->delta : 0.5 * p->delta;
  eta[b] = (q % 2 ? 1.0 : -1.0) * size;
  *component = b;
}

int sf_lagrangian_stretch(const double eta[6], double Fd[3][3])
{
  double m[9] = {0}, w[3];
  for (int a = 0; a < 6; a++) { /* I + 2E with E_ij = η_a (normal) or η_a / 2 (shear) */
    const int i = voigt_pair[a][0], j = voigt_pair[a][1];
    m[3 * i + j] = m[3 * j + i] = (i == j ? 2.0 : 1.0) * eta[a];
  }
  for (int i = 0; i < 3; i++) m[4 * i] += 1.0;
  if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', 3, m, 3, w))
    SF_ERROR(SF_ERR_LIB, "LAPACK dsyev failed on the 3x3 strain metric");
  if (!(w[0] > 0)) SF_ERROR(SF_ERR_INPUT, "the strain makes a cell of zero or negative volume (I + 2 eta not positive)");
  for (int i = 0; i < 3; i++) /* Fd = Q diag(√w) Qᵀ, Q's columns the eigenvectors */
    for (int j = 0; j < 3; j++) {
      double f = 0;
      for (int e = 0; e < 3; e++) f += m[3 * i + e] * sqrt(w[e]) * m[3 * j + e];
      Fd[i][j] = f;
    }
  return SF_OK;
}

int sf_pk2_stress(const double Fd[3][3], const double sigma[3][3], double S[6])
{
  const double J = sf_mat3_det(Fd);
  double inv[3][3], t[3][3];
  SF_CHECK(sf_mat3_inverse(Fd, inv));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      t[i][j] = 0;
      for (int k = 0; k < 3; k++) t[i][j] += inv[i][k] * sigma[k][j];
    }
  for (int a = 0; a < 6; a++) {
    const int i = voigt_pair[a][0], j = voigt_pair[a][1];
    double s = 0;
    for (int k = 0; k < 3; k++) s += t[i][k] * inv[j][k];
    S[a] = J * s;
  }
  return SF_OK;
}

void sf_elastic_fd_fit(const sf_elastic_fd *p, const double (*S)[6], double C[6][6], double Craw[6][6],
                       double *asymmetry)
{
  const int n = sf_elastic_fd_ncell(p);
  double R[6][6];
  for (int b = 0; b < 6; b++) {
    /* the cells of component b and the unstrained one: (η_b, S) pairs */
    double x[1 + 2 * 4], mean_x = 0, mean_s[6] = {0};
    int idx[1 + 2 * 4], m = 0;
    for (int k = 0; k < n; k++) {
      double eta[6];
      int comp;
      sf_elastic_fd_strain(p, k, eta, &comp);
      if (k && comp != b) continue;
      x[m] = eta[b];
      idx[m++] = k;
    }
    for (int q = 0; q < m; q++) {
      mean_x += x[q] / m;
      for (int a = 0; a < 6; a++) mean_s[a] += S[idx[q]][a] / m;
    }
    double sxx = 0;
    for (int q = 0; q < m; q++) sxx += (x[q] - mean_x) * (x[q] - mean_x);
    for (int a = 0; a < 6; a++) {
      double sxy = 0;
      for (int q = 0; q < m; q++) sxy += (x[q] - mean_x) * (S[idx[q]][a] - mean_s[a]);
      R[a][b] = sxy / sxx;
    }
  }
  double big = 0, asym = 0;
  for (int a = 0; a < 6; a++)
    for (int b = 0; b < 6; b++) {
      big = fmax(big, fabs(R[a][b]));
      asym = fmax(asym, fabs(R[a][b] - R[b][a]));
      C[a][b] = 0.5 * (R[a][b] + R[b][a]);
    }
  if (Craw) memcpy(Craw, R, sizeof R);
  *asymmetry = big > 0 ? asym / big : 0.0;
}
