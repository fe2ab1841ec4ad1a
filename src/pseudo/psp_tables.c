/* psp_tables.c — builds the q-space tables of an sf_psp from the raw radial data:
 * epsatm and vloc_short, the KB normalisation and projector form factors, and the
 * model-core tables (q space and real space).
 *
 * Every integral reproduces ABINIT's way of doing it on the same mesh (see psp_quad.c),
 * including the [0, r_1] pieces on the log mesh and the treatment of the Coulomb tail,
 * so that epsatm / ekb / form factors agree with ABINIT's to ~1e-10 relative; the q
 * tables are then much finer than needed so the spline adds < 1e-9.
 */
#include "psp_internal.h"
#include "strainfield/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double FOURPI = 4.0 * PSP_PI;

/* j_0 alone (the core transforms need only it; sbessel_all would also build j_1..j_3). */
static double sph_j0(double x)
{
  if (x < 1e-2) {
    double x2 = x * x;
    return 1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0));
  }
  return sin(x) / x;
}

/* ABINIT refines a linear mesh so that one period at qmax has >= 200 points. */
static int mesh_multiplier(double amesh, double qmax)
{
  double target = 4.0 * PSP_PI * PSP_PI / (200.0 * qmax);
  return (int)(amesh / target) + 1;
}

/* 4-point Lagrange interpolation of f (linear mesh from 0, spacing h, m points) at
 * r = k h / mult; consistent with how psp8 data were interpolated by their generator. */
static double lagrange4(const double *f, int m, double h, int k, int mult)
{
  if (mult == 1) return f[k];
  int i = k / mult;
  if (i < 1) i = 1;
  if (i > m - 3) i = m - 3;
  double xp = (k * (h / mult) - i * h) / h;
  double c1 = -xp * (xp - 1) * (xp - 2) / 6.0, c2 = (xp + 1) * (xp - 1) * (xp - 2) / 2.0;
  double c3 = -xp * (xp + 1) * (xp - 2) / 2.0, c4 = xp * (xp + 1) * (xp - 1) / 6.0;
  return c1 * f[i - 1] + c2 * f[i] + c3 * f[i + 1] + c4 * f[i + 2];
}

/* ---------- local part ---------- */

static int local_15(const psp_raw *raw, sf_psp *psp, double *f, double *w, double *g)
{
  int m = raw->mmax, log_mesh = raw->mesh == PSP_MESH_LOG;
  const double *r = raw->r, *v = raw->vloc;
  double Z = psp->zion, r1 = r[0], v1 = v[0];
  for (int i = 0; i < m; i++) {
    double test = v[i] + Z / r[i];
    int drop = fabs(test) < 1e-20 || (!log_mesh && i == 0) ||
               (log_mesh && r[i] > 20.0 && fabs(test) > 2e-8); /* single-precision tails */
    f[i] = drop ? 0.0 : r[i] * (r[i] * v[i] + Z);
    /* for q > 0, drop what is within a decade of machine precision of the Coulomb tail */
    g[i] = ((10.0 + fabs(test)) == 10.0 || (!log_mesh && i == 0)) ? 0.0 : r[i] * v[i] + Z;
  }
  double eps = psp_int_mesh(raw, f, w, m);
  if (log_mesh) eps += (0.5 * Z + r1 * v1 / 3.0) * r1 * r1; /* V ≈ V(r_1) on [0, r_1] */
  psp->epsatm = FOURPI * eps;
  sf_qtable *t = &psp->vloc_short;
  t->y[0] = psp->epsatm;
  for (int iq = 1; iq < t->n; iq++) {
    double q = iq * t->dq;
    for (int i = 0; i < m; i++) f[i] = sin(q * r[i]) * g[i];
    double res = psp_int_mesh(raw, f, w, m);
    if (log_mesh) { /* ∫_0^{r_1} sin(qr)(r V_1 + Z) dr in closed form */
      double s = sin(0.5 * q * r1);
      res += v1 * r1 * r1 * psp_sbessel(1, q * r1) + 2.0 * Z * s * s / q;
    }
    t->y[iq] = FOURPI * res / q;
  }
  return SF_OK;
}

static int local_8(const psp_raw *raw, sf_psp *psp)
{
  int m = raw->mmax, st = SF_OK, mult = mesh_multiplier(raw->amesh, psp->qmax);
  int mn = mult * (m - 1) + 1;
  double h = raw->amesh, hn = h / mult, Z = psp->zion;
  double *g = NULL, *g2 = NULL, *gn = NULL, *f = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&g, (size_t)m, sizeof *g));
  SF_CHECK_GOTO(sf_calloc((void **)&g2, (size_t)m, sizeof *g2));
  SF_CHECK_GOTO(sf_calloc((void **)&gn, (size_t)mn, sizeof *gn));
  SF_CHECK_GOTO(sf_calloc((void **)&f, (size_t)mn, sizeof *f));
  for (int i = 0; i < m; i++) {
    g[i] = raw->r[i] * raw->vloc[i] + Z;
    f[i] = raw->r[i] * g[i];
  }
  psp->epsatm = FOURPI * psp_int_uniform(f, m, h);
  if (mult > 1) { /* spline r V + Z onto the finer mesh */
    double yp1 = (-25 * g[0] + 48 * g[1] - 36 * g[2] + 16 * g[3] - 3 * g[4]) / (12 * h);
    double ypn = (3 * g[m - 5] - 16 * g[m - 4] + 36 * g[m - 3] - 48 * g[m - 2] + 25 * g[m - 1]) /
                 (12 * h);
    SF_CHECK_GOTO(psp_spline(m, h, g, yp1, ypn, g2));
    sf_qtable tmp = {m, h, g, g2};
    for (int k = 0; k < mn; k++) gn[k] = sf_qtable_eval(&tmp, k * hn);
    gn[mn - 1] = g[m - 1];
  } else {
    memcpy(gn, g, (size_t)m * sizeof *g);
  }
  sf_qtable *t = &psp->vloc_short;
  t->y[0] = psp->epsatm;
  for (int iq = 1; iq < t->n; iq++) {
    double q = iq * t->dq;
    for (int k = 0; k < mn; k++) f[k] = sin(q * k * hn) * gn[k];
    t->y[iq] = FOURPI * psp_int_uniform(f, mn, hn) / q;
  }
cleanup:
  sf_free(g);
  sf_free(g2);
  sf_free(gn);
  sf_free(f);
  return st;
}

/* ---------- nonlocal part ---------- */

/* pspcod 1/5: KB energies and normalised projectors χ = ΔV u / (r √D); g[c] holds
 * r² χ(r) = r ΔV u / √D, the form-factor integrand apart from j_l(qr). */
static int nonlocal_15(const psp_raw *raw, sf_psp *psp, double *f, double *w)
{
  int m = raw->mmax, st = SF_OK, nch = 0, log_mesh = raw->mesh == PSP_MESH_LOG;
  int cl[8], cj[8];
  double *g[8] = {0}, *J = NULL;
  const double *r = raw->r;
  for (int l = 0; l <= psp->lmax; l++)
    for (int j = 0; j < psp->nproj[l]; j++) {
      const double *u = raw->ul[l][j], *vl = raw->vl[l], *v0 = raw->vloc;
      double corr = log_mesh ? r[0] / (2.0 * l + 3.0) : 0.0; /* [0, r_1]: u ΔV ~ r^{l+1} */
      double d0 = (vl[0] - v0[0]) * u[0];
      for (int i = 0; i < m; i++) f[i] = u[i] * u[i] * (vl[i] - v0[i]);
      double eta = psp_int_mesh(raw, f, w, m) + u[0] * d0 * corr;
      for (int i = 0; i < m; i++) f[i] = pow((vl[i] - v0[i]) * u[i], 2);
      double dvms = psp_int_mesh(raw, f, w, m) + d0 * d0 * corr;
      if (dvms == 0.0) { /* no nonlocal correction in this channel */
        psp->nproj[l] = j;
        break;
      }
      psp->ekb[l][j] = dvms / eta;
      SF_CHECK_GOTO(sf_calloc((void **)&g[nch], (size_t)m, sizeof(double)));
      for (int i = 0; i < m; i++)
        g[nch][i] = (!log_mesh && i == 0) ? 0.0 : r[i] * (vl[i] - v0[i]) * u[i] / sqrt(dvms);
      cl[nch] = l;
      cj[nch++] = j;
    }
  if (!nch) goto cleanup;
  /* Beyond the core radius ΔV vanishes up to rounding; dropping those points (with 6
   * exact zeros kept so the end formulas of the quadratures see only zeros) changes
   * nothing and saves most of the Bessel evaluations on the long Teter mesh. */
  int mq = 0;
  for (int c = 0; c < nch; c++)
    for (int i = 0; i < m; i++) {
      if ((10.0 + fabs(g[c][i])) == 10.0) g[c][i] = 0.0;
      if (g[c][i] != 0.0 && i + 1 > mq) mq = i + 1;
    }
  mq = mq + 6 < m ? mq + 6 : m;
  if (mq < 10) mq = m < 10 ? m : 10;
  SF_CHECK_GOTO(sf_calloc((void **)&J, (size_t)m * 4, sizeof *J));
  int nq = psp->vloc_short.n;
  double dq = psp->vloc_short.dq;
  for (int c = 0; c < nch; c++) SF_CHECK_GOTO(psp_table_alloc(&psp->proj[cl[c]][cj[c]], nq, dq));
  for (int iq = 0; iq < nq; iq++) {
    double q = iq * dq;
    for (int i = 0; i < mq; i++) psp_sbessel_all(q * r[i], J + 4 * i);
    for (int c = 0; c < nch; c++) {
      int l = cl[c];
      for (int i = 0; i < mq; i++) f[i] = J[4 * i + l] * g[c][i];
      double res = psp_int_mesh(raw, f, w, mq);
      if (log_mesh) res += J[l] * g[c][0] * r[0] / (2.0 * l + 3.0);
      psp->proj[l][cj[c]].y[iq] = FOURPI * res;
    }
  }
cleanup:
  for (int c = 0; c < 8; c++) sf_free(g[c]);
  sf_free(J);
  return st;
}

/* pspcod 8: projectors r·β from the file; ekb were read with them. */
static int nonlocal_8(const psp_raw *raw, sf_psp *psp)
{
  int m = raw->mmax, st = SF_OK, mult = mesh_multiplier(raw->amesh, psp->qmax);
  int mn = mult * (m - 1) + 1, nch = 0, mv = 0, cl[8], cj[8];
  double h = raw->amesh, hn = h / mult, *p[8] = {0}, *f = NULL, *J = NULL;
  for (int l = 0; l <= psp->lmax; l++)
    for (int j = 0; j < psp->nproj[l]; j++) {
      SF_CHECK_GOTO(sf_calloc((void **)&p[nch], (size_t)mn, sizeof(double)));
      for (int k = 0; k < mn; k++) {
        double tv = lagrange4(raw->rbeta[l][j], m, h, k, mult);
        p[nch][k] = fabs(tv) > 1e-10 ? tv : 0.0; /* ABINIT's cut of the projector tail */
        if (p[nch][k] != 0.0 && k + 1 > mv) mv = k + 1;
      }
      cl[nch] = l;
      cj[nch++] = j;
    }
  if (!nch) goto cleanup;
  SF_CHECK_GOTO(sf_calloc((void **)&f, (size_t)mn, sizeof *f));
  SF_CHECK_GOTO(sf_calloc((void **)&J, (size_t)mn * 4, sizeof *J));
  int nq = psp->vloc_short.n;
  double dq = psp->vloc_short.dq;
  for (int c = 0; c < nch; c++) SF_CHECK_GOTO(psp_table_alloc(&psp->proj[cl[c]][cj[c]], nq, dq));
  for (int iq = 0; iq < nq; iq++) {
    double q = iq * dq;
    for (int k = 0; k < mv; k++) psp_sbessel_all(q * k * hn, J + 4 * k);
    for (int c = 0; c < nch; c++) {
      for (int k = 0; k < mv; k++) f[k] = J[4 * k + cl[c]] * (k * hn) * p[c][k];
      psp->proj[cl[c]][cj[c]].y[iq] = FOURPI * psp_int_uniform(f, mv, hn);
    }
  }
cleanup:
  for (int c = 0; c < 8; c++) sf_free(p[c]);
  sf_free(f);
  sf_free(J);
  return st;
}

/* ---------- model core charge ---------- */

/* n-point Gauss-Legendre nodes/weights on [-1, 1] by Newton iteration on P_n. */
static void gauss_legendre(int n, double *x, double *w)
{
  for (int i = 0; i < n; i++) {
    double z = cos(PSP_PI * (i + 0.75) / (n + 0.5)), dp = 1.0;
    for (int it = 0; it < 100; it++) {
      double p0 = 1.0, p1 = z;
      for (int k = 2; k <= n; k++) {
        double p2 = ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (z * p1 - p0) / (z * z - 1.0);
      double dz = p1 / dp;
      z -= dz;
      if (fabs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
  }
}

static int core_15(sf_psp *psp)
{
  enum { NPAN = 300, NG = 8, NR = 2001 };
  double xg[NG], wg[NG], rc = psp->rchrg, rmax = 3.0 * rc;
  psp->core_rmax = rmax;
  SF_CHECK(psp_table_alloc(&psp->core_r, NR, rmax / (NR - 1)));
  for (int i = 0; i < NR; i++)
    psp->core_r.y[i] = psp->fchrg * psp_core_shape(i * psp->core_r.dq / rc);
  /* ρc is even in r and ρc'(3 rchrg) = 0 (it is a square vanishing there) */
  SF_CHECK(psp_spline(NR, psp->core_r.dq, psp->core_r.y, 0.0, 0.0, psp->core_r.y2));
  gauss_legendre(NG, xg, wg);
  double rr[NPAN * NG], ww[NPAN * NG], hp = rmax / NPAN;
  for (int p = 0; p < NPAN; p++)
    for (int k = 0; k < NG; k++) {
      double rk = (p + 0.5 * (xg[k] + 1.0)) * hp;
      rr[p * NG + k] = rk;
      ww[p * NG + k] = 0.5 * hp * wg[k] * rk * rk * psp->fchrg * psp_core_shape(rk / rc);
    }
  sf_qtable *t = &psp->core;
  for (int iq = 0; iq < t->n; iq++) {
    double q = iq * t->dq, s = 0.0;
    for (int k = 0; k < NPAN * NG; k++) s += ww[k] * sph_j0(q * rr[k]);
    t->y[iq] = FOURPI * s;
  }
  return SF_OK;
}

static int core_8(const psp_raw *raw, sf_psp *psp)
{
  int m = raw->mmax, st = SF_OK, nc = 0, mult = mesh_multiplier(raw->amesh, psp->qmax);
  double h = raw->amesh;
  for (int i = 0; i < m; i++)
    if (raw->r[i] <= psp->rchrg + 1e-9) nc = i + 1;
  if (nc < 10) SF_ERROR(SF_ERR_FILE, "%s: model core charge radius %g too small", psp->path, psp->rchrg);
  psp->core_rmax = (nc - 1) * h;
  SF_CHECK(psp_table_alloc(&psp->core_r, nc, h));
  memcpy(psp->core_r.y, raw->rhoc, (size_t)nc * sizeof(double));
  SF_CHECK(psp_spline(nc, h, raw->rhoc, raw->drhoc[0], raw->drhoc[nc - 1], psp->core_r.y2));
  int mn = mult * (nc - 1) + 1;
  double hn = h / mult, *c = NULL, *f = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&c, (size_t)mn, sizeof *c));
  SF_CHECK_GOTO(sf_calloc((void **)&f, (size_t)mn, sizeof *f));
  for (int k = 0; k < mn; k++) c[k] = pow(k * hn, 2) * lagrange4(raw->rhoc, nc, h, k, mult);
  sf_qtable *t = &psp->core;
  for (int iq = 0; iq < t->n; iq++) {
    double q = iq * t->dq;
    for (int k = 0; k < mn; k++) f[k] = c[k] * sph_j0(q * k * hn);
    t->y[iq] = FOURPI * psp_int_uniform(f, mn, hn);
  }
cleanup:
  sf_free(c);
  sf_free(f);
  return st;
}

/* ---------- driver ---------- */

static int table_finite(const sf_qtable *t)
{
  for (int i = 0; i < t->n; i++)
    if (!isfinite(t->y[i]) || !isfinite(t->y2[i])) return 0;
  return 1;
}

/* Finite numbers in the file can still overflow the integrals (a value of 1e300 squared);
 * the result is refused here rather than as a failed eigensolver later. */
static int check_finite_tables(const sf_psp *psp)
{
  const char *bad = !isfinite(psp->epsatm)            ? "epsatm"
                    : !table_finite(&psp->vloc_short) ? "local potential"
                    : !table_finite(&psp->core)       ? "model core"
                    : !table_finite(&psp->core_r)     ? "model core (real space)"
                                                      : NULL;
  for (int l = 0; l <= SF_PSP_LMAX && !bad; l++)
    for (int j = 0; j < SF_PSP_NPROJ && !bad; j++)
      if (!isfinite(psp->ekb[l][j]) || !table_finite(&psp->proj[l][j])) bad = "projector";
  if (bad)
    SF_ERROR(SF_ERR_FILE, "%s: the %s computed from this file is not finite (numbers too large "
             "or a degenerate channel)", psp->path, bad);
  return SF_OK;
}

int psp_tabulate(const psp_raw *raw, double qmax, double dq, sf_psp *psp)
{
  int st = SF_OK, m = raw->mmax;
  int nq = (int)ceil(qmax / dq) + 6; /* a few points of margin beyond qmax */
  double *f = NULL, *w = NULL, *g = NULL;
  psp->qmax = (nq - 1) * dq;
  psp->rchrg = raw->rchrg;
  psp->fchrg = raw->fchrg;
  psp->qchrg = raw->qchrg;
  SF_CHECK_GOTO(psp_table_alloc(&psp->vloc_short, nq, dq));
  if (raw->mesh == PSP_MESH_LINEAR) {
    SF_CHECK_GOTO(local_8(raw, psp));
    SF_CHECK_GOTO(nonlocal_8(raw, psp));
  } else {
    SF_CHECK_GOTO(sf_calloc((void **)&f, (size_t)m, sizeof *f));
    SF_CHECK_GOTO(sf_calloc((void **)&w, (size_t)m, sizeof *w));
    SF_CHECK_GOTO(sf_calloc((void **)&g, (size_t)m, sizeof *g));
    SF_CHECK_GOTO(local_15(raw, psp, f, w, g));
    SF_CHECK_GOTO(nonlocal_15(raw, psp, f, w));
  }
  if (psp->has_core) {
    SF_CHECK_GOTO(psp_table_alloc(&psp->core, nq, dq));
    if (raw->mesh == PSP_MESH_LINEAR)
      SF_CHECK_GOTO(core_8(raw, psp));
    else
      SF_CHECK_GOTO(core_15(psp));
    SF_CHECK_GOTO(psp_table_fit(&psp->core));
  }
  SF_CHECK_GOTO(psp_table_fit(&psp->vloc_short));
  for (int l = 0; l <= SF_PSP_LMAX; l++)
    for (int j = 0; j < SF_PSP_NPROJ; j++)
      if (psp->proj[l][j].n) SF_CHECK_GOTO(psp_table_fit(&psp->proj[l][j]));
  SF_CHECK_GOTO(check_finite_tables(psp));
cleanup:
  sf_free(f);
  sf_free(w);
  sf_free(g);
  return st;
}
