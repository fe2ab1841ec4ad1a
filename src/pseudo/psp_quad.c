/* psp_quad.c — numerical kernels of the pseudopotential module: radial quadratures,
 * spherical Bessel functions, cubic splines of the q tables, the pspcod 1/5 model-core
 * shape, and freeing an sf_psp.
 *
 * To reproduce ABINIT's total energies to ~1e-6 Ha the integrals must agree with
 * ABINIT's to many digits, so each mesh is integrated the way ABINIT does it:
 *   Teter mesh (pspcod 1): trapezoid in r with the Euler-Maclaurin end correction on every
 *     interval, derivatives from 5-point differences in the mesh index;
 *   log mesh (pspcod 5): integrand × r on the uniform exponent grid with 5-point
 *     Gregory-type end weights, plus the [0, r_1] piece from the small-r behaviour;
 *   linear mesh (pspcod 8): the same end-corrected rule, the mesh being refined (spline
 *     for r·V+Z, 4-point Lagrange for projectors) when it is too coarse for qmax.
 * Tail values within machine precision of the Coulomb tail are dropped as ABINIT does.
 */
#include "psp_internal.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

/* ---------- spherical Bessel functions ---------- */

void psp_sbessel_all(double x, double j[4])
{
  if (x < 1.0) { /* series: the closed forms cancel catastrophically at small x */
    double x2 = 0.5 * x * x, xl = 1.0, dfact = 1.0;
    for (int l = 0; l < 4; l++) {
      double term = 1.0, sum = 1.0;
      for (int k = 1; k < 14; k++) {
        term *= -x2 / (k * (2.0 * l + 2.0 * k + 1.0));
        sum += term;
      }
      j[l] = xl / dfact * sum;
      xl *= x;
      dfact *= 2.0 * l + 3.0;
    }
    return;
  }
  double s = sin(x), c = cos(x), ix = 1.0 / x;
  j[0] = s * ix;
  j[1] = (j[0] - c) * ix;
  j[2] = 3.0 * ix * j[1] - j[0];
  j[3] = 5.0 * ix * j[2] - j[1];
}

double psp_sbessel(int l, double x)
{
  double j[4];
  psp_sbessel_all(x, j);
  return j[l];
}

/* ---------- quadratures ---------- */

/* df/dr at point i of the Teter mesh from 5-point differences in the index. */
static double teter_deriv(const double *f, const double *drdi, int i, int last)
{
  double df;
  if (i == 0)
    df = (-25.0 * f[0] + 48.0 * f[1] - 36.0 * f[2] + 16.0 * f[3] - 3.0 * f[4]) / 12.0;
  else if (i == 1)
    df = (-3.0 * f[0] - 10.0 * f[1] + 18.0 * f[2] - 6.0 * f[3] + f[4]) / 12.0;
  else if (i == last - 1)
    df = (-f[i - 3] + 6.0 * f[i - 2] - 18.0 * f[i - 1] + 10.0 * f[i] + 3.0 * f[i + 1]) / 12.0;
  else if (i == last)
    df = (3.0 * f[i - 4] - 16.0 * f[i - 3] + 36.0 * f[i - 2] - 48.0 * f[i - 1] + 25.0 * f[i]) / 12.0;
  else
    df = (f[i - 2] - 8.0 * f[i - 1] + 8.0 * f[i + 1] - f[i + 2]) / 12.0;
  return df / drdi[i];
}

/* ∫ f dr over points 0..n-1 of the Teter mesh: trapezoid plus the Euler-Maclaurin
 * h²/12 (f'_j - f'_{j+1}) correction on each interval. */
static double int_teter(const double *f, const double *r, const double *drdi, int n)
{
  int last = n - 1;
  double s = 0.0, da = teter_deriv(f, drdi, 0, last);
  for (int j = 0; j < last; j++) {
    double db = teter_deriv(f, drdi, j + 1, last), h = r[j + 1] - r[j];
    s += h * (6.0 * (f[j] + f[j + 1]) + h * (da - db));
    da = db;
  }
  return s / 12.0;
}

/* Σ w_i f_i h on a uniform grid with 5-point end corrections (exact for low-degree
 * polynomials near the ends, trapezoid weight 1 inside). */
double psp_int_uniform(const double *f, int n, double h)
{
  static const double w[5] = {23.75 / 72, 95.10 / 72, 55.20 / 72, 79.30 / 72, 70.65 / 72};
  if (n < 10) {
    double s = 0.5 * (f[0] + f[n - 1]);
    for (int i = 1; i < n - 1; i++) s += f[i];
    return s * h;
  }
  double s = 0.0;
  for (int i = 0; i < 5; i++) s += w[i] * (f[i] + f[n - 1 - i]);
  for (int i = 5; i < n - 5; i++) s += f[i];
  return s * h;
}

/* ∫_{r_0}^{r_{n-1}} f(r) dr on the mesh of raw (f given at mesh points). */
double psp_int_mesh(const psp_raw *raw, const double *f, double *work, int n)
{
  switch (raw->mesh) {
  case PSP_MESH_TETER: return int_teter(f, raw->r, raw->drdi, n);
  case PSP_MESH_LOG:
    for (int i = 0; i < n; i++) work[i] = f[i] * raw->r[i]; /* dr = al r di */
    return psp_int_uniform(work, n, raw->al);
  default: return psp_int_uniform(f, n, raw->amesh);
  }
}

/* ---------- splines ---------- */

int psp_spline(int n, double h, const double *y, double yp1, double ypn, double *y2)
{
  double *u;
  SF_CHECK(sf_calloc((void **)&u, (size_t)n, sizeof *u));
  /* Tridiagonal system of the clamped cubic spline on a uniform grid, by elimination. */
  y2[0] = -0.5;
  u[0] = 3.0 / h * ((y[1] - y[0]) / h - yp1);
  for (int i = 1; i < n - 1; i++) {
    double p = 0.5 * y2[i - 1] + 2.0;
    y2[i] = -0.5 / p;
    u[i] = (y[i + 1] - 2.0 * y[i] + y[i - 1]) / h;
    u[i] = (3.0 * u[i] / h - 0.5 * u[i - 1]) / p;
  }
  double qn = 0.5, un = 3.0 / h * (ypn - (y[n - 1] - y[n - 2]) / h);
  y2[n - 1] = (un - qn * u[n - 2]) / (qn * y2[n - 2] + 1.0);
  for (int k = n - 2; k >= 0; k--) y2[k] = y2[k] * y2[k + 1] + u[k];
  sf_free(u);
  return SF_OK;
}

static void locate(const sf_qtable *t, double q, int *j, double *a, double *b)
{
  int k = (int)floor(q / t->dq);
  if (k < 0) k = 0;
  if (k > t->n - 2) k = t->n - 2;
  *j = k;
  *a = ((k + 1) * t->dq - q) / t->dq;
  *b = 1.0 - *a;
}

double sf_qtable_eval(const sf_qtable *t, double q)
{
  int j;
  double a, b, h = t->dq;
  locate(t, q, &j, &a, &b);
  return a * t->y[j] + b * t->y[j + 1] +
         ((a * a * a - a) * t->y2[j] + (b * b * b - b) * t->y2[j + 1]) * h * h / 6.0;
}

double sf_qtable_deriv(const sf_qtable *t, double q)
{
  int j;
  double a, b, h = t->dq;
  locate(t, q, &j, &a, &b);
  return (t->y[j + 1] - t->y[j]) / h - (3.0 * a * a - 1.0) / 6.0 * h * t->y2[j] +
         (3.0 * b * b - 1.0) / 6.0 * h * t->y2[j + 1];
}

int psp_table_alloc(sf_qtable *t, int n, double dq)
{
  t->n = n;
  t->dq = dq;
  SF_CHECK(sf_calloc((void **)&t->y, (size_t)n, sizeof *t->y));
  SF_CHECK(sf_calloc((void **)&t->y2, (size_t)n, sizeof *t->y2));
  return SF_OK;
}

/* End slopes from 5-point one-sided differences (4th order), as for the psp8 tables. */
int psp_table_fit(sf_qtable *t)
{
  const double *y = t->y;
  int n = t->n;
  double h = t->dq;
  double yp1 = (-25.0 * y[0] + 48.0 * y[1] - 36.0 * y[2] + 16.0 * y[3] - 3.0 * y[4]) / (12.0 * h);
  double ypn = (3.0 * y[n - 5] - 16.0 * y[n - 4] + 36.0 * y[n - 3] - 48.0 * y[n - 2] +
                25.0 * y[n - 1]) / (12.0 * h);
  SF_CHECK(psp_spline(n, h, y, yp1, ypn, t->y2));
  return SF_OK;
}

void sf_psp_free(sf_psp *psp)
{
  if (!psp) return;
  sf_qtable *all[3 + (SF_PSP_LMAX + 1) * SF_PSP_NPROJ];
  int k = 0;
  all[k++] = &psp->vloc_short;
  all[k++] = &psp->core;
  all[k++] = &psp->core_r;
  for (int l = 0; l <= SF_PSP_LMAX; l++)
    for (int j = 0; j < SF_PSP_NPROJ; j++) all[k++] = &psp->proj[l][j];
  for (int i = 0; i < k; i++) {
    sf_free(all[i]->y);
    sf_free(all[i]->y2);
    memset(all[i], 0, sizeof *all[i]);
  }
}

/* ---------- model core charge of pspcod 1/5 ---------- */

static double sinc(double t)
{
  if (fabs(t) < 0.1) {
    double t2 = t * t;
    return 1.0 - t2 / 6.0 * (1.0 - t2 / 20.0 * (1.0 - t2 / 42.0 * (1.0 - t2 / 72.0)));
  }
  return sin(t) / t;
}

/* ABINIT's 1992 model core shape g(x) = [sin(2πx)/(2πx (1-4x²)(1-x²))]², x = r/rchrg,
 * zero beyond x = 3.  The removable singularities at x = 1/2 and 1 are cancelled
 * analytically so the formula is accurate everywhere. */
double psp_core_shape(double x)
{
  if (x >= 3.0) return 0.0;
  double s, tp = 2.0 * PSP_PI;
  if (fabs(x - 0.5) < 0.25)
    s = PSP_PI * sinc(tp * (x - 0.5)) / (tp * x * (1.0 + 2.0 * x) * (1.0 - x * x));
  else if (fabs(x - 1.0) < 0.25)
    s = -tp * sinc(tp * (x - 1.0)) / (tp * x * (1.0 - 4.0 * x * x) * (1.0 + x));
  else
    s = sinc(tp * x) / ((1.0 - 4.0 * x * x) * (1.0 - x * x));
  return s * s;
}
