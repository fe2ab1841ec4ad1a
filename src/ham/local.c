/* local.c — the local pseudopotential V_loc(G) = (1/Ω) Σ_atoms e^{-iG·τ} v(|G|) and its
 * energy.  The G = 0 component is left out here: its average, Σ epsatm / Ω, is ABINIT's
 * separate "psp core" energy Σ epsatm · N / Ω, together with the G = 0 parts of the
 * Hartree and Ewald terms that cancel for a neutral cell. */
#include "strainfield/ham.h"
#include "strainfield/core.h"

#include <math.h>

/* Structure factor e^{-2πi g·xred} summed over the atoms of one type. */
double complex sf_structure_factor(const sf_cell *cell, int itypat, const int g[3])
{
  double complex s = 0.0;
  for (int ia = 0; ia < cell->natom; ia++) {
    if (cell->typat[ia] != itypat) continue;
    double ph = -2.0 * M_PI * (g[0] * cell->xred[ia][0] + g[1] * cell->xred[ia][1] + g[2] * cell->xred[ia][2]);
    s += cos(ph) + I * sin(ph);
  }
  return s;
}

int sf_ham_local_build(sf_ham *H)
{
  const sf_cell *cell = H->cell;
  sf_fftbox *box = H->box;
  double gcut2 = H->gcut_dens * H->gcut_dens;
  H->epsatm_sum = 0.0;
  for (int ia = 0; ia < cell->natom; ia++) H->epsatm_sum += H->psps[cell->typat[ia]].epsatm;
  for (int i = 0; i < box->nfft; i++) {
    H->vloc_g[i] = 0.0;
    double q[3];
    double g2 = sf_cell_gcart(cell, box->gvec[i], q);
    if (g2 == 0.0 || g2 > gcut2) continue;
    double gn = sqrt(g2);
    double complex v = 0.0;
    for (int it = 0; it < cell->ntypat; it++) {
      const sf_psp *p = &H->psps[it];
      double vq = sf_qtable_eval(&p->vloc_short, gn) - 4.0 * M_PI * p->zion / g2;
      v += sf_structure_factor(cell, it, box->gvec[i]) * vq;
    }
    H->vloc_g[i] = v / cell->ucvol;
  }
  sf_fft_g2r(box, H->vloc_g, H->vloc_r);
  return SF_OK;
}

double sf_ham_local_energy(const sf_ham *H, const double complex *rho_g)
{
  double e = 0.0;
  for (int i = 0; i < H->box->nfft; i++) e += creal(conj(H->vloc_g[i]) * rho_g[i]);
  return e * H->cell->ucvol;
}
