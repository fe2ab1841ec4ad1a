/* ewald.c — ion-ion energy, forces and stress by Ewald summation (see crystal.h).
 *
 * Owns: the point-ion energy in a uniform compensating background (ABINIT's "Ewald
 * energy") and its analytic derivatives.
 *
 *   E = 1/2 Σ'_{ijL} Zi Zj erfc(η d)/d                       d = |r_i - r_j + L|
 *     + (2π/Ω) Σ_{G≠0} exp(-G²/4η²)/G² |S(G)|²               S(G) = Σ_j Zj exp(iG·r_j)
 *     - η/√π Σ Zi²  -  π Q²/(2 Ω η²)                         Q = Σ Zi
 *
 * The last term is the interaction with the background; with it E does not depend on η.
 * Stress is (1/Ω) ∂E/∂ε with reduced coordinates held fixed: under a strain ε, d_a → d_a +
 * ε_ab d_b, G_a → G_a - ε_ba G_b and Ω → Ω(1 + tr ε).
 *
 * Cutoffs: terms are dropped below exp(-42) ≈ 6e-19 relative (η d ≤ 6.5 in real space,
 * G²/4η² ≤ 42 in reciprocal space), which leaves the sums exact to rounding (~1e-13 Ha).
 */
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <math.h>
#include <string.h>

static const double pi = 3.14159265358979323846;

static double norm3(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

/* The real-space sum: returns its energy; adds to fcart (may be NULL) and dE/dε. */
static double ewald_real(const sf_cell *cell, const double *z, double eta, double rmax, const int nr[3],
                         double (*fcart)[3], double dedeps[3][3])
{
  const int n = cell->natom;
  double ereal = 0.0;
  const double twoeta_sqrtpi = 2.0 * eta / sqrt(pi);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double f[3];
      for (int a = 0; a < 3; a++) {
        f[a] = cell->xred[i][a] - cell->xred[j][a];
        f[a] -= floor(f[a] + 0.5);
      }
      double zz = z[i] * z[j];
      for (int n0 = -nr[0]; n0 <= nr[0]; n0++)
        for (int n1 = -nr[1]; n1 <= nr[1]; n1++)
          for (int n2 = -nr[2]; n2 <= nr[2]; n2++) {
            double g[3] = {f[0] + n0, f[1] + n1, f[2] + n2}, d[3];
            for (int a = 0; a < 3; a++)
              d[a] = g[0] * cell->rprimd[0][a] + g[1] * cell->rprimd[1][a] + g[2] * cell->rprimd[2][a];
            double r = norm3(d);
            if (r > rmax || r < 1e-10) continue; /* r≈0 only for the atom itself */
            double erfcr = erfc(eta * r);
            ereal += 0.5 * zz * erfcr / r;
            /* -dφ/dr for φ = erfc(ηr)/r, divided by r to turn d into a unit vector */
            double gr = zz * (erfcr / r + twoeta_sqrtpi * exp(-eta * eta * r * r)) / (r * r);
            if (fcart)
              for (int a = 0; a < 3; a++) fcart[i][a] += gr * d[a];
            for (int a = 0; a < 3; a++)
              for (int b = 0; b < 3; b++) dedeps[a][b] -= 0.5 * gr * d[a] * d[b];
          }
    }
  return ereal;
}

/* The reciprocal-space sum over G ≠ 0: returns its energy; adds to fcart and dE/dε. */
static double ewald_recip(const sf_cell *cell, const double *z, double eta, double gmax, const int ng[3],
                          double (*fcart)[3], double dedeps[3][3])
{
  const int n = cell->natom;
  const double omega = cell->ucvol;
  double erecip = 0.0;
  const double inv4eta2 = 1.0 / (4.0 * eta * eta);
  for (int m0 = -ng[0]; m0 <= ng[0]; m0++)
    for (int m1 = -ng[1]; m1 <= ng[1]; m1++)
      for (int m2 = -ng[2]; m2 <= ng[2]; m2++) {
        if (!m0 && !m1 && !m2) continue;
        double G[3];
        for (int a = 0; a < 3; a++)
          G[a] = 2.0 * pi * (m0 * cell->gprimd[0][a] + m1 * cell->gprimd[1][a] + m2 * cell->gprimd[2][a]);
        double g2 = G[0] * G[0] + G[1] * G[1] + G[2] * G[2];
        if (g2 > gmax * gmax) continue;
        double sr = 0.0, si = 0.0;
        for (int j = 0; j < n; j++) {
          double ph = 2.0 * pi * (m0 * cell->xred[j][0] + m1 * cell->xred[j][1] + m2 * cell->xred[j][2]);
          sr += z[j] * cos(ph);
          si += z[j] * sin(ph);
        }
        double phi = exp(-g2 * inv4eta2) / g2, s2 = sr * sr + si * si;
        erecip += 2.0 * pi / omega * phi * s2;
        double c = 2.0 * pi / omega * phi * s2 * 2.0 * (inv4eta2 + 1.0 / g2);
        for (int a = 0; a < 3; a++)
          for (int b = 0; b < 3; b++) dedeps[a][b] += c * G[a] * G[b];
        if (fcart)
          for (int i = 0; i < n; i++) {
            double ph = 2.0 * pi * (m0 * cell->xred[i][0] + m1 * cell->xred[i][1] + m2 * cell->xred[i][2]);
            double im = sin(ph) * sr - cos(ph) * si; /* Im[e^{iG·r_i} S*(G)] */
            double w = 4.0 * pi / omega * phi * z[i] * im;
            for (int a = 0; a < 3; a++) fcart[i][a] += w * G[a];
          }
      }
  return erecip;
}

int sf_ewald(const sf_cell *cell, double *energy, double (*fcart)[3], double stress[6])
{
  int n = cell->natom, st = SF_OK;
  double omega = cell->ucvol;
  if (!(omega > 0.0)) SF_ERROR(SF_ERR_INPUT, "sf_ewald needs a finished cell (ucvol = %g)", omega);
  double *z = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&z, (size_t)n, sizeof *z));
  double q = 0.0, z2 = 0.0;
  for (int i = 0; i < n; i++) {
    z[i] = cell->zion[cell->typat[i]];
    q += z[i];
    z2 += z[i] * z[i];
  }
  if (fcart) memset(fcart, 0, (size_t)n * sizeof *fcart);

  /* η ~ √π/Ω^(1/3) roughly balances the number of real-space images and of G vectors. */
  const double eta = sqrt(pi) / cbrt(omega);
  const double rmax = 6.5 / eta, gmax = 2.0 * eta * sqrt(42.0);
  double dedeps[3][3] = {{0}};

  /* real space: with the reduced difference folded into [-1/2,1/2), |n_a| ≤ rmax|b_a| + 1/2 */
  int nr[3], ng[3];
  double nreal = 1.0, nrecip = 1.0;
  for (int a = 0; a < 3; a++) {
    double mr = ceil(rmax * norm3(cell->gprimd[a])) + 1.0, mg = ceil(gmax / (2.0 * pi) * norm3(cell->rprimd[a])) + 1.0;
    nreal *= 2.0 * mr + 1.0;
    nrecip *= 2.0 * mg + 1.0;
    nr[a] = mr < 1e6 ? (int)mr : 1000000;
    ng[a] = mg < 1e6 ? (int)mg : 1000000;
  }
  /* Both counts grow only as the cell flattens (nreal ~ 1/relative volume along the short
   * reciprocal direction); refuse rather than sum for hours. */
  if (nreal > (double)SF_CELL_MAX_POINTS || nrecip > (double)SF_CELL_MAX_POINTS)
    SF_ERROR_GOTO(SF_ERR_INPUT, "the Ewald sum of this cell needs %.3g real-space and %.3g reciprocal-space "
                  "lattice points (more than %ld): the cell is too flat", nreal, nrecip, SF_CELL_MAX_POINTS);
  const double ereal = ewald_real(cell, z, eta, rmax, nr, fcart, dedeps);
  const double erecip = ewald_recip(cell, z, eta, gmax, ng, fcart, dedeps);
  double eself = -eta / sqrt(pi) * z2;
  double ebg = -pi * q * q / (2.0 * omega * eta * eta);
  for (int a = 0; a < 3; a++) dedeps[a][a] -= erecip + ebg; /* both scale as 1/Ω */
  if (energy) *energy = ereal + erecip + eself + ebg;
  if (stress) {
    static const int va[6] = {0, 1, 2, 1, 0, 0}, vb[6] = {0, 1, 2, 2, 2, 1};
    for (int v = 0; v < 6; v++) stress[v] = 0.5 * (dedeps[va[v]][vb[v]] + dedeps[vb[v]][va[v]]) / omega;
  }
cleanup:
  sf_free(z);
  return st;
}
