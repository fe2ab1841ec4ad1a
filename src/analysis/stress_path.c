/* stress_path.c — σ = (1/V) ∂F/∂ε from a learned F(D), and uniaxial stress states
 * (the paper's §4.5); see stresspath.h for the conventions. */
#include "strainfield/stresspath.h"
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/sampling.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#define DEG (180.0 / 3.14159265358979323846)
#define MAX_MOVE 2e-3   /* largest change of one strain component per descent step */
#define MAX_STRAIN 0.3  /* beyond this the small-strain picture (and any training set) is left */

/* ∂ε/∂e_v applied to a vector: the symmetric unit tensor of Voigt component v */
static void unit_apply(int v, const double x[3], double y[3])
{
  static const int pair[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};
  const int i = pair[v][0], j = pair[v][1];
  y[0] = y[1] = y[2] = 0;
  y[i] += x[j];
  if (i != j) y[j] += x[i];
}

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

void sf_strain_to_D(const double ref[3][3], const double e[6], double D[6], double J[6][6])
{
  const double eps[3][3] = {{e[0], e[5], e[4]}, {e[5], e[1], e[3]}, {e[4], e[3], e[2]}};
  double a[3][3]; /* deformed vectors (rows) */
  sf_lattice_apply_strain(ref, eps, a);
  double len0[3], len[3];
  for (int i = 0; i < 3; i++) {
    len0[i] = sqrt(dot3(ref[i], ref[i]));
    len[i] = sqrt(dot3(a[i], a[i]));
    D[i] = len[i] / len0[i];
  }
  static const int ang[3][2] = {{1, 2}, {0, 2}, {0, 1}}; /* θa = ∠(b, c), θb = ∠(a, c), θc = ∠(a, b) */
  double c[3], s[3];
  for (int t = 0; t < 3; t++) {
    const int u = ang[t][0], w = ang[t][1];
    c[t] = dot3(a[u], a[w]) / (len[u] * len[w]);
    s[t] = sqrt(fmax(1 - c[t] * c[t], 1e-300));
    D[3 + t] = DEG * acos(fmax(-1.0, fmin(1.0, c[t])));
  }
  if (!J) return;
  for (int v = 0; v < 6; v++) {
    double da[3][3]; /* ∂a_i/∂e_v = E_v a0_i */
    for (int i = 0; i < 3; i++) unit_apply(v, ref[i], da[i]);
    for (int i = 0; i < 3; i++) J[i][v] = dot3(a[i], da[i]) / (len[i] * len0[i]);
    for (int t = 0; t < 3; t++) {
      const int u = ang[t][0], w = ang[t][1];
      const double dc = (dot3(da[u], a[w]) + dot3(a[u], da[w])) / (len[u] * len[w]) -
                        c[t] * (dot3(a[u], da[u]) / (len[u] * len[u]) + dot3(a[w], da[w]) / (len[w] * len[w]));
      J[3 + t][v] = -DEG * dc / s[t];
    }
  }
}

int sf_stress_at(sf_energy_fn f, void *ctx, const double ref[3][3], const double e[6], double *F, double D[6],
                 double *V, double sigma[6], double g[6])
{
  double J[6][6], dF[6], gl[6];
  sf_strain_to_D(ref, e, D, J);
  SF_CHECK(f(ctx, D, F, dF));
  const double A[3][3] = {{1 + e[0], e[5], e[4]}, {e[5], 1 + e[1], e[3]}, {e[4], e[3], 1 + e[2]}};
  *V = fabs(sf_mat3_det(ref)) * sf_mat3_det(A);
  for (int v = 0; v < 6; v++) {
    gl[v] = 0;
    for (int d = 0; d < 6; d++) gl[v] += dF[d] * J[d][v];
    /* a shear variable moves ε_ij and ε_ji together: ∂F/∂e_v = 2 ∂F/∂ε_ij */
    sigma[v] = (v < 3 ? 1.0 : 0.5) * gl[v] / *V;
  }
  if (g) memcpy(g, gl, sizeof gl);
  return SF_OK;
}

int sf_stress_small_strain(const double ref[3][3], const double lattice[3][3], const double dF[6], double sigma[3][3])
{
  double Fd[3][3], Q[9], w[3];
  SF_CHECK(sf_strain_measures(ref, lattice, Fd, NULL, NULL));
  for (int i = 0; i < 3; i++) /* Fdᵀ Fd = U², U = Q diag(√w) Qᵀ */
    for (int j = 0; j < 3; j++) Q[3 * i + j] = Fd[0][i] * Fd[0][j] + Fd[1][i] * Fd[1][j] + Fd[2][i] * Fd[2][j];
  if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', 3, Q, 3, w) || !(w[0] > 0))
    SF_ERROR(SF_ERR_INPUT, "the cell is not a deformation of the reference cell (singular deformation gradient)");
  double U[3][3], Ui[3][3], R[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      U[i][j] = Ui[i][j] = 0;
      for (int k = 0; k < 3; k++) {
        U[i][j] += Q[3 * i + k] * sqrt(w[k]) * Q[3 * j + k];
        Ui[i][j] += Q[3 * i + k] / sqrt(w[k]) * Q[3 * j + k];
      }
    }
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) R[i][j] = Fd[i][0] * Ui[0][j] + Fd[i][1] * Ui[1][j] + Fd[i][2] * Ui[2][j];
  /* U a0 is the cell rotated by Rᵀ: the same lengths and angles, the same D, so ∂F/∂D is
   * the one given and no energy evaluation is needed */
  const double e[6] = {U[0][0] - 1, U[1][1] - 1, U[2][2] - 1, U[1][2], U[0][2], U[0][1]};
  double D[6], J[6][6], sv[6];
  sf_strain_to_D(ref, e, D, J);
  const double V = fabs(sf_mat3_det(lattice));
  for (int v = 0; v < 6; v++) {
    double g = 0;
    for (int d = 0; d < 6; d++) g += dF[d] * J[d][v];
    sv[v] = (v < 3 ? 1.0 : 0.5) * g / V; /* as sf_stress_at */
  }
  const double su[3][3] = {{sv[0], sv[5], sv[4]}, {sv[5], sv[1], sv[3]}, {sv[4], sv[3], sv[2]}};
  for (int i = 0; i < 3; i++) /* σ = R σ_U Rᵀ: from the frame of U a0 to that of Fd a0 */
    for (int j = 0; j < 3; j++) {
      sigma[i][j] = 0;
      for (int k = 0; k < 3; k++)
        for (int l = 0; l < 3; l++) sigma[i][j] += R[i][k] * su[k][l] * R[j][l];
    }
  return SF_OK;
}

/* Lowest eigenvalue of the symmetric n×n H (row-major), or NAN. */
static double min_eig(int n, double *H)
{
  double w[6];
  if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', n, H, n, w)) return NAN;
  return w[0];
}

/* (1/V) ∂²F/∂e² by central differences of the analytic gradient, its lowest eigenvalue,
 * and that of the block without the loaded component. */
static int stiffness(sf_energy_fn f, void *ctx, const double ref[3][3], const sf_path_params *p, sf_path_point *pt)
{
  double H[6][6], h = p->fd_step;
  for (int v = 0; v < 6; v++) {
    double ep[6], em[6], gp[6], gm[6], F, D[6], V, s[6];
    memcpy(ep, pt->e, sizeof ep);
    memcpy(em, pt->e, sizeof em);
    ep[v] += h;
    em[v] -= h;
    SF_CHECK(sf_stress_at(f, ctx, ref, ep, &F, D, &V, s, gp));
    SF_CHECK(sf_stress_at(f, ctx, ref, em, &F, D, &V, s, gm));
    for (int w = 0; w < 6; w++) H[v][w] = (gp[w] - gm[w]) / (2 * h) / pt->V;
  }
  double Hs[36], Ht[25];
  for (int v = 0; v < 6; v++)
    for (int w = 0; w < 6; w++) Hs[6 * v + w] = 0.5 * (H[v][w] + H[w][v]);
  for (int v = 0, i = 0; v < 6; v++)
    for (int w = 0; w < 6; w++)
      if (v != p->dir && w != p->dir) Ht[i++] = Hs[6 * v + w];
  pt->stiffness_min = min_eig(6, Hs);
  pt->transverse_min = min_eig(5, Ht);
  return SF_OK;
}

int sf_uniaxial_point(sf_energy_fn f, void *ctx, const double ref[3][3], const sf_path_params *p, double eii,
                      const double e_start[6], sf_path_point *pt)
{
  memset(pt, 0, sizeof *pt);
  double e[6], g[6], e_old[6], g_old[6];
  memcpy(e, e_start, sizeof e);
  e[p->dir] = eii;
  const double V0 = fabs(sf_mat3_det(ref));
  for (int it = 0;; it++) {
    SF_CHECK(sf_stress_at(f, ctx, ref, e, &pt->F, pt->D, &pt->V, pt->sigma, g));
    g[p->dir] = 0; /* the loaded component is prescribed */
    double smax = 0, gmax = 0;
    for (int v = 0; v < 6; v++)
      if (v != p->dir) {
        /* the gradient of F − V0 Σ c_v σ0_v e_v: stationary where σ_v = (V0/V) σ0_v, the
         * condition `relax -uniaxial_strtarget` imposes on the DFT side */
        g[v] -= (v < 3 ? 1.0 : 2.0) * V0 * p->sigma0[v];
        smax = fmax(smax, fabs(pt->sigma[v] - V0 / pt->V * p->sigma0[v]));
        gmax = fmax(gmax, fabs(g[v]));
      }
    pt->iterations = it;
    if (smax <= p->tol) {
      pt->converged = 1;
      break;
    }
    if (it >= p->maxiter) break;
    /* BB1 step s·s / s·y; the first step, and any step after a non-positive curvature,
     * moves 1e-4 in strain */
    double ss = 0, sy = 0;
    for (int v = 0; v < 6 && it > 0; v++) {
      const double sv = e[v] - e_old[v], yv = g[v] - g_old[v];
      ss += sv * sv;
      sy += sv * yv;
    }
    double step = sy > 0 ? ss / sy : 1e-4 / gmax;
    /* BB steps are not monotone: on a learned energy one long step can leave the
     * training domain, where tanh networks are flat and any point looks stationary, so no
     * strain component moves more than MAX_MOVE per step */
    if (step * gmax > MAX_MOVE) step = MAX_MOVE / gmax;
    memcpy(e_old, e, sizeof e);
    memcpy(g_old, g, sizeof g);
    int away = 0;
    for (int v = 0; v < 6; v++) {
      e[v] -= step * g[v];
      away |= fabs(e[v]) > MAX_STRAIN;
    }
    if (away) { /* the energy has no minimum nearby: report the last point, unconverged */
      for (int v = 0; v < 6; v++) e[v] += step * g[v];
      break;
    }
  }
  memcpy(pt->e, e, sizeof e);
  SF_CHECK(stiffness(f, ctx, ref, p, pt));
  return SF_OK;
}

int sf_path_point_elastic(sf_energy_hess_fn f, void *ctx, const double ref[3][3], sf_path_point *pt)
{
  const double *e = pt->e;
  const double eps[3][3] = {{e[0], e[5], e[4]}, {e[5], e[1], e[3]}, {e[4], e[3], e[2]}};
  double a[3][3];
  sf_lattice_apply_strain(ref, eps, a);
  SF_CHECK(sf_elastic_at(f, ctx, ref, (const double(*)[3])a, &pt->el));
  const double *s = pt->sigma; /* eq. 14 at this cell: the path's own σ, already in this frame */
  const double ss[3][3] = {{s[0], s[5], s[4]}, {s[5], s[1], s[3]}, {s[4], s[3], s[2]}};
  memcpy(pt->el.stress_small, ss, sizeof ss);
  return SF_OK;
}
