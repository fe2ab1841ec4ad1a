/* xc.h — exchange-correlation on the real-space grid through libxc.
 *
 * Owns: the mapping from ABINIT's ixc to libxc functionals (ixc 7 = LDA_X + LDA_C_PW;
 * negative ixc = −(XXXCCC) libxc ids as in ABINIT), and the evaluation of the energy
 * density and potential for a spin-unpolarised density.  LDA only for now; GGA ids are
 * rejected with a clear message.
 *
 * ixc mapping (checked against ABINIT 9.6.2 on Al: the xc energies of each pair agree
 * to 1e-14 Ha):  0 → none;  1 (Teter93 Padé) → −20 (LDA_XC_TETER93);
 * 2 (Perdew-Zunger) → −1009 (LDA_X + LDA_C_PZ);  7 (PW92) → −1012 (LDA_X + LDA_C_PW).
 * Negative ixc = −(XXX·1000 + CCC): exchange id XXX and correlation id CCC (0 = absent,
 * e.g. −20 is the single xc functional 20).  Every id must be a libxc LDA; other native
 * ixc (3-6, 8, 9 and all GGAs) and non-LDA libxc ids give SF_ERR_INPUT naming the ixc.
 */
#ifndef STRAINFIELD_XC_H
#define STRAINFIELD_XC_H

typedef struct sf_xc sf_xc;

int sf_xc_create(int ixc, sf_xc **xc);
void sf_xc_destroy(sf_xc **xc);
/* For n grid points of density rho (e/Bohr^3, valence + core if NLCC), fills
 * exc[i] = ρ·ε_xc, the energy per volume (Ha/Bohr^3; E_xc = Σ exc · ucvol/nfft), and
 * vxc[i] = d(ρ ε_xc)/dρ (Ha).  Points with ρ <= 1e-14, including negative densities from
 * FFT noise, get exc = vxc = 0 (set here, independent of libxc's own thresholds). */
int sf_xc_eval(const sf_xc *xc, int n, const double *rho, double *exc, double *vxc);
/* Human-readable name, e.g. "LDA_X+LDA_C_PW". */
const char *sf_xc_name(const sf_xc *xc);

#endif
