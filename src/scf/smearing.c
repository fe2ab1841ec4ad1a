/* smearing.c — occupation functions, generalized entropy and the Fermi level.
 *
 * Owns the closed forms of ABINIT's occopt 3 (Fermi-Dirac), 4 and 5 (cold smearing,
 * a = −0.5634 and −0.8165), 6 (Methfessel-Paxton, first order) and 7 (Gaussian) and the
 * bisection for μ.  ABINIT tabulates these functions by
 * integrating the smeared delta on a grid (m_occ.F90, init_occ_ent) and splines them;
 * we integrate analytically instead, which agrees with its tables to ~1e-12.
 *
 * Sign convention: here x = (ε − μ)/tsmear, while ABINIT's tables use u = (μ − ε)/tsmear
 * = −x.  ABINIT's cold delta is δ(u) = (1/√π)e^{−u²}(a u³ − u² − 3/2 a u + 3/2); in x the
 * odd terms flip sign.  See smearing.h for the formulas and the relation to the paper.
 */
#include "strainfield/smearing.h"
#include "strainfield/core.h"

#include <math.h>

#define SF_INV_SQRT_PI 0.56418958354775628695

/* The parameter a of the cold/Methfessel-Paxton delta for occopt 4, 5, 6. */
static double cold_a(int occopt)
{
  return occopt == SF_OCC_COLD ? -0.5634 : (occopt == SF_OCC_COLD_B ? -0.8165 : 0.0);
}

int sf_smear_supported(int occopt)
{
  return occopt == SF_OCC_FIXED || occopt == SF_OCC_FERMI_DIRAC || occopt == SF_OCC_COLD ||
         occopt == SF_OCC_COLD_B || occopt == SF_OCC_MP1 || occopt == SF_OCC_GAUSSIAN;
}

int sf_smear_occ(int occopt, double x, double *occ, double *entropy, double *docc_dx)
{
  double f, s, d;
  if (!isfinite(x)) SF_ERROR(SF_ERR_INPUT, "smearing argument x=%g is not finite", x);
  switch (occopt) {
  case SF_OCC_FERMI_DIRAC: {
    /* Written with |x| so that neither exp() overflows nor 1 − f loses digits. */
    double ax = fabs(x), e = exp(-ax), fs = e / (1.0 + e); /* fs = f(|x|) <= 1/2 */
    f = x > 0 ? fs : 1.0 - fs;
    s = log1p(e) + ax * fs;
    d = -fs * (1.0 - fs);
    break;
  }
  case SF_OCC_COLD:
  case SF_OCC_COLD_B:
  case SF_OCC_MP1: {
    /* One family: ABINIT defines occopt 6 as the cold delta with a = 0 (first-order
     * Methfessel-Paxton), occopt 5 as a = −0.8165 (Marzari's other root). */
    const double a = cold_a(occopt);
    if (fabs(x) > 40.0) { /* e^{−1600} underflows anyway; avoid 0·inf */
      f = x > 0 ? 0.0 : 1.0;
      s = 0.0;
      d = 0.0;
      break;
    }
    double g = SF_INV_SQRT_PI * exp(-x * x);
    f = 0.5 * erfc(x) + 0.5 * g * (0.5 * a - x - a * x * x);
    s = 0.5 * g * (0.5 - x * x - a * x * x * x);
    d = -g * (1.5 + 1.5 * a * x - x * x - a * x * x * x);
    break;
  }
  case SF_OCC_GAUSSIAN: {
    if (fabs(x) > 40.0) {
      f = x > 0 ? 0.0 : 1.0;
      s = 0.0;
      d = 0.0;
      break;
    }
    double g = SF_INV_SQRT_PI * exp(-x * x);
    f = 0.5 * erfc(x);
    s = 0.5 * g;
    d = -g;
    break;
  }
  case SF_OCC_FIXED:
    /* A step: the entropy of integer occupations is zero. */
    f = x < 0 ? 1.0 : (x > 0 ? 0.0 : 0.5);
    s = 0.0;
    d = 0.0;
    break;
  default:
    SF_ERROR(SF_ERR_INPUT, "occopt %d is not supported (use " SF_OCCOPT_LIST ")", occopt);
  }
  if (occ) *occ = f;
  if (entropy) *entropy = s;
  if (docc_dx) *docc_dx = d;
  return SF_OK;
}

/* Electrons per cell for a trial μ; optionally fills occupations and Σ w 2 s. */
static double count_electrons(int occopt, double tsmear, double mu, int nkpt, int nband,
                              const double *wtk, const double *eig, double *occ,
                              double *wsum_entropy)
{
  double n = 0.0, ent = 0.0;
  for (int k = 0; k < nkpt; k++) {
    double nk = 0.0, ek = 0.0;
    for (int b = 0; b < nband; b++) {
      double f, s;
      sf_smear_occ(occopt, (eig[(size_t)k * nband + b] - mu) / tsmear, &f, &s, NULL);
      if (occ) occ[(size_t)k * nband + b] = 2.0 * f;
      nk += 2.0 * f;
      ek += 2.0 * s;
    }
    n += wtk[k] * nk;
    ent += wtk[k] * ek;
  }
  if (wsum_entropy) *wsum_entropy = ent;
  return n;
}

static int fermi_fixed(double nelect, int nkpt, int nband, const double *eig, double *occ,
                       double *fermi, double *entropy_term)
{
  long ne = lround(nelect);
  if (fabs(nelect - (double)ne) > 1e-8 || ne % 2 != 0 || ne <= 0)
    SF_ERROR(SF_ERR_INPUT,
             "occopt 1 needs an even, positive integer number of electrons, got nelect=%.10g",
             nelect);
  int nocc = (int)(ne / 2);
  double homo = -HUGE_VAL, lumo = HUGE_VAL;
  /* Bands are taken in the order given (the eigensolver returns them ascending). */
  for (int k = 0; k < nkpt; k++)
    for (int b = 0; b < nband; b++) {
      double e = eig[(size_t)k * nband + b];
      occ[(size_t)k * nband + b] = b < nocc ? 2.0 : 0.0;
      if (b < nocc && e > homo) homo = e;
      if (b >= nocc && e < lumo) lumo = e;
    }
  *fermi = nocc < nband ? 0.5 * (homo + lumo) : homo;
  *entropy_term = 0.0;
  return SF_OK;
}

int sf_smear_fermi(int occopt, double tsmear, double nelect, int nkpt, int nband,
                   const double *wtk, const double *eig, double *occ, double *fermi,
                   double *entropy_term)
{
  if (nkpt <= 0 || nband <= 0)
    SF_ERROR(SF_ERR_INPUT, "need nkpt > 0 and nband > 0 (got nkpt=%d, nband=%d)", nkpt, nband);
  if (!(nelect > 0.0)) SF_ERROR(SF_ERR_INPUT, "nelect must be positive, got %g", nelect);
  if (!sf_smear_supported(occopt))
    SF_ERROR(SF_ERR_INPUT, "occopt %d is not supported (use " SF_OCCOPT_LIST ")", occopt);

  double wsum = 0.0, emin = HUGE_VAL, emax = -HUGE_VAL;
  for (int k = 0; k < nkpt; k++) {
    if (!(wtk[k] >= 0.0)) SF_ERROR(SF_ERR_INPUT, "k-point weight %d is %g", k, wtk[k]);
    wsum += wtk[k];
  }
  for (size_t i = 0; i < (size_t)nkpt * nband; i++) {
    if (!isfinite(eig[i])) SF_ERROR(SF_ERR_INPUT, "eigenvalue %zu is not finite", i);
    if (eig[i] < emin) emin = eig[i];
    if (eig[i] > emax) emax = eig[i];
  }
  if (fabs(wsum - 1.0) > 1e-8)
    SF_ERROR(SF_ERR_INPUT, "k-point weights must sum to 1, they sum to %.12g", wsum);
  if (nelect > 2.0 * nband * (1.0 + 1e-12))
    SF_ERROR(SF_ERR_INPUT,
             "nband=%d holds at most %d electrons per k-point but nelect=%.10g; increase nband",
             nband, 2 * nband, nelect);

  if (occopt == SF_OCC_FIXED) {
    SF_CHECK(fermi_fixed(nelect, nkpt, nband, eig, occ, fermi, entropy_term));
    return SF_OK;
  }
  if (!(tsmear > 0.0)) SF_ERROR(SF_ERR_INPUT, "occopt %d needs tsmear > 0, got %g", occopt, tsmear);
  /* Metals need some empty room: with every band full μ is undetermined. */
  if (nelect > 2.0 * nband - 1e-10)
    SF_ERROR(SF_ERR_INPUT,
             "nband=%d is too small for nelect=%.10g with smearing (need 2*nband > nelect)",
             nband, nelect);

  /* Far enough out that every occupation is 0 (lo) or 1 (hi) to machine precision:
   * FD tails are e^{−|x|}, cold/MP/Gaussian tails e^{−x²}. */
  double pad = (occopt == SF_OCC_FERMI_DIRAC ? 50.0 : 10.0) * tsmear;
  double lo = emin - pad, hi = emax + pad;
  double nlo = count_electrons(occopt, tsmear, lo, nkpt, nband, wtk, eig, NULL, NULL);
  double nhi = count_electrons(occopt, tsmear, hi, nkpt, nband, wtk, eig, NULL, NULL);
  if (!(nlo <= nelect && nhi >= nelect))
    SF_ERROR(SF_ERR_INTERNAL, "Fermi level not bracketed: N(%g)=%g, N(%g)=%g, nelect=%g", lo,
             nlo, hi, nhi, nelect);

  /* Plain bisection: the cold and Methfessel-Paxton counts (occopt 4-6) need not be
   * monotonic in μ (their occupations overshoot 1 and dip below 0), so a
   * Newton step could leave the bracket; bisection to machine precision is cheap. */
  for (int it = 0; it < 300; it++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break; /* interval is one ulp wide */
    double nmid = count_electrons(occopt, tsmear, mid, nkpt, nband, wtk, eig, NULL, NULL);
    if (nmid >= nelect) { hi = mid; nhi = nmid; }
    else { lo = mid; nlo = nmid; }
    if (nhi - nlo <= 1e-14 * nelect) break;
  }
  double mu = (nelect - nlo <= nhi - nelect) ? lo : hi;
  double ws;
  double n = count_electrons(occopt, tsmear, mu, nkpt, nband, wtk, eig, occ, &ws);
  if (fabs(n - nelect) > 1e-10 * nelect)
    SF_ERROR(SF_ERR_NOCONV, "Fermi level bisection ended with N=%.15g for nelect=%.15g", n,
             nelect);
  *fermi = mu;
  *entropy_term = -tsmear * ws;
  return SF_OK;
}
