/* xc.h — exchange-correlation on the real-space grid through libxc.
 *
 * Owns: the mapping from ABINIT's ixc to libxc functionals, and the evaluation of the
 * energy density and its derivatives for a spin-unpolarised density (LDA and GGA; no
 * spin polarisation: nsppol 1 only).  Meta-GGAs, hybrids and functionals with nonlocal
 * (VV10) correlation are refused by name.
 *
 * ixc mapping (checked against ABINIT 9.6.2: the xc energies of each pair agree to
 * 1e-14 Ha for the LDAs on Al, docs/validation.md for PBE):  0 → none;
 * 1 (Teter93 Padé) → −20 (LDA_XC_TETER93);  2 (Perdew-Zunger) → −1009 (LDA_X + LDA_C_PZ);
 * 7 (PW92) → −1012 (LDA_X + LDA_C_PW);  11 (PBE) → −101130 (GGA_X_PBE + GGA_C_PBE).
 * Negative ixc = −(XXX·1000 + CCC): exchange id XXX and correlation id CCC (0 = absent,
 * e.g. −20 is the single xc functional 20), each a libxc LDA or GGA (e.g. −101130 PBE,
 * −106131 BLYP, −106132 BP86, −116133 PBEsol).  ABINIT's other native ixc (3-6, 8, 9,
 * 12-28, ...) and libxc ids of other families give SF_ERR_INPUT naming the ixc.
 */
#ifndef STRAINFIELD_XC_H
#define STRAINFIELD_XC_H

/* The accepted values, for -help and the messages. */
#define SF_IXC_LIST                                                                              \
  "0 none, 1 Teter93, 2 PZ, 7 PW92 (LDA), 11 PBE (GGA), or -XXXCCC libxc LDA/GGA ids (e.g. -1012, " \
  "-101130)"

typedef struct sf_xc sf_xc;

int sf_xc_create(int ixc, sf_xc **xc);
void sf_xc_destroy(sf_xc **xc);
/* True when some functional of xc depends on the density gradient (GGA). */
int sf_xc_is_gga(const sf_xc *xc);
/* LDA: for n grid points of density rho (e/Bohr^3, valence + core if NLCC), fills
 * exc[i] = ρ·ε_xc, the energy per volume (Ha/Bohr^3; E_xc = Σ exc · ucvol/nfft), and
 * vxc[i] = d(ρ ε_xc)/dρ (Ha).  Points with ρ <= 1e-14, including negative densities from
 * FFT noise, get exc = vxc = 0 (set here, independent of libxc's own thresholds).
 * A GGA xc is an SF_ERR_INTERNAL here: use sf_xc_eval_gga. */
int sf_xc_eval(const sf_xc *xc, int n, const double *rho, double *exc, double *vxc);
/* LDA or GGA: also takes sigma[i] = |∇ρ|² (Bohr^-8) and returns vsigma[i] = ∂(ρ ε_xc)/∂σ
 * (0 for an LDA); exc and vrho as sf_xc_eval, with the same cut at ρ <= 1e-14 (where
 * vsigma = 0 too). */
int sf_xc_eval_gga(const sf_xc *xc, int n, const double *rho, const double *sigma, double *exc, double *vrho,
                   double *vsigma);
/* Human-readable name, e.g. "LDA_X+LDA_C_PW". */
const char *sf_xc_name(const sf_xc *xc);

#endif
