/* smearing.h — occupation numbers, Fermi level and electronic entropy.
 *
 * Owns: ABINIT's occopt 1 (fixed, insulators), 3 (Fermi-Dirac), 4 (cold smearing,
 * Marzari with a = −0.5634, the paper's eq. 6), 5 (cold, a = −0.8165), 6 (first-order
 * Methfessel-Paxton) and 7 (Gaussian), the bisection for the Fermi level and
 * the entropy.  Spin-unpolarised: each band holds up to 2 electrons.
 *
 * For one state at energy ε with x = (ε − μ)/tsmear:
 *   occupation   f(ε) = 2 · occ(x),  occ from 1 (x → −∞) to 0 (x → +∞)
 *   entropy term: the free energy carries −T·S = −tsmear · Σ_k w_k Σ_n 2·s(x_nk)
 *   s(x) is the per-state entropy function (dimensionless) of the scheme; the paper's
 *   entropy density eq. 18 is the same quantity resolved in space.
 *
 * Sign convention.  ABINIT tabulates its functions in u = (μ − ε)/tsmear = −x
 * (m_occ.F90: arg = (fermie − eigen)/tsmear), with occfun(u) = ∫_{−∞}^{u} δ̃ and the
 * generalized entropy entfun(u) = ∫_{−∞}^{u} (−u') δ̃(u') du'.  We return
 * occ(x) = occfun(−x), s(x) = entfun(−x); docc_dx = −δ̃(−x).
 *
 * occopt 3 (Fermi-Dirac):  occ = 1/(1 + e^x),
 *   s = −[occ ln occ + (1−occ) ln(1−occ)] = ln(1 + e^{−|x|}) + |x|/(1 + e^{|x|}),
 *   docc/dx = −occ(1 − occ).
 * occopt 4 (cold, a = −0.5634).  ABINIT's delta, written in u, is
 *   δ̃(u) = (1/√π) e^{−u²} (a u³ − u² − 3/2 a u + 3/2)     (normalised to 1 per spin;
 *   the (2/√π) form counts both spins); in x the odd terms flip sign:
 *   δ̃(−x) = (1/√π) e^{−x²} (−a x³ − x² + 3/2 a x + 3/2).  Integrating:
 *   occ(x)  = ½ erfc(x) + (1/(2√π)) e^{−x²} (a/2 − x − a x²)
 *   s(x)    = (1/(2√π)) e^{−x²} (1/2 − x² − a x³)
 *   docc/dx = −(1/√π) e^{−x²} (3/2 + 3/2 a x − x² − a x³)
 *   (cold smearing: occ exceeds 1 slightly for x ≲ −1, by up to ~2e-2, and s changes sign.)
 * occopt 5: the same formulas with a = −0.8165 (Marzari's second choice of a).
 * occopt 6 (Methfessel-Paxton, order 1, as ABINIT defines it: the cold delta with a = 0),
 *   δ̃ = (1/√π) e^{−x²} (3/2 − x²):
 *   occ(x)  = ½ erfc(x) − (1/(2√π)) x e^{−x²}
 *   s(x)    = (1/(2√π)) e^{−x²} (1/2 − x²)
 *   docc/dx = −(1/√π) e^{−x²} (3/2 − x²)
 *   (occ dips below 0 for x ≳ 1.2 and exceeds 1 for x ≲ −1.2; N(μ) need not be monotonic.)
 * occopt 7 (Gaussian), δ̃ = (1/√π) e^{−x²}:
 *   occ(x) = ½ erfc(x),  s(x) = (1/(2√π)) e^{−x²},  docc/dx = −(1/√π) e^{−x²}.
 * occopt 1: a step, s = 0.
 * Identity (all schemes): ds/dx = x · docc/dx, which makes E − TS stationary with
 * respect to the occupations at fixed electron count (the free energy is variational).
 *
 * Relation to the paper (t = β(E − E_f) = x, κ = a = −0.5634).  Eq. 18 per state,
 *   −(1/√π) e^{−t²}(κ t³ + t² − 1/2) = (1/√π) e^{−t²}(1/2 − t² − κ t³) = 2·s(x),
 * i.e. the same function: the 2 is the spin degeneracy, and eq. 18 gives S (in units of
 * k_B), so the energy is −tsmear·∫ s(r) dr = entropy_term of sf_smear_fermi.  Note that
 * ABINIT's delta polynomial (a u³ − u² − 3/2 a u + 3/2) is in u = −t; written in t with
 * the same polynomial one would need a → −a.  The Al/ABINIT check in test_smearing
 * (μ to 9e-11 Ha, −kT·S to 2e-11 Ha) confirms this sign choice.
 */
#ifndef STRAINFIELD_SMEARING_H
#define STRAINFIELD_SMEARING_H

enum {
  SF_OCC_FIXED = 1,
  SF_OCC_FERMI_DIRAC = 3,
  SF_OCC_COLD = 4,
  SF_OCC_COLD_B = 5,
  SF_OCC_MP1 = 6,
  SF_OCC_GAUSSIAN = 7
};

/* The accepted occopt values, for messages and -help. */
#define SF_OCCOPT_LIST "1, 3, 4, 5, 6 or 7"

/* 1 if occopt is one of SF_OCCOPT_LIST, else 0. */
int sf_smear_supported(int occopt);

/* occ(x) (per spin channel; in [0,1] except cold smearing's small overshoot), its
 * entropy function s(x) (formulas above) such that −tsmear·2·Σ w s is ABINIT's
 * "-kT*entropy" energy, and the derivative d occ/dx.  Any output pointer may be NULL.
 * occopt outside SF_OCCOPT_LIST → SF_ERR_INPUT. */
int sf_smear_occ(int occopt, double x, double *occ, double *entropy, double *docc_dx);

/* Given eigenvalues eig[k*nband + n] and k weights wtk[k] (sum 1), find the Fermi level μ
 * such that Σ_k w_k Σ_n 2·occ((ε−μ)/tsmear) = nelect (to 1e-14 relative), fill occ[] with
 * 2·occ (electrons per state) and return entropy_term = −tsmear·Σ w 2 s (Ha, <= 0 for FD).
 * occopt 1: the lowest nelect/2 bands of each k are doubly occupied; error if nelect is odd
 * or exceeds 2·nband; μ is the midpoint of the gap and entropy_term = 0.
 * Occopt 3-7: μ by bisection (at most 300 halvings, robust when N(μ) is not monotonic) on [min ε − pad, max ε + pad] down to one ulp or
 * |ΔN| ≤ 1e-14·nelect; occ[] are then consistent with nelect to ~1e-14.
 * Errors (SF_ERR_INPUT): nband too small for nelect (smearing needs 2·nband > nelect;
 * the message gives both), tsmear <= 0 with smearing, weights not summing to 1 (1e-8),
 * non-finite eigenvalues, unsupported occopt. */
int sf_smear_fermi(int occopt, double tsmear, double nelect, int nkpt, int nband,
                   const double *wtk, const double *eig, double *occ, double *fermi,
                   double *entropy_term);

#endif
