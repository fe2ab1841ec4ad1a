/* hartree.c — V_H(G) = 4π ρ(G)/|G|² inside the density sphere, G = 0 excluded (the
 * neutralising background), and E_H = ½ ∫ V_H ρ. */
#include "strainfield/ham.h"
#include "strainfield/core.h"

#include <math.h>

int sf_ham_hartree(sf_ham *H, const double complex *rho_g)
{
  const sf_cell *cell = H->cell;
  sf_fftbox *box = H->box;
  double gcut2 = H->gcut_dens * H->gcut_dens, e = 0.0;
  for (int i = 0; i < box->nfft; i++) {
    const int *g = box->gvec[i];
    double q[3];
    double g2 = sf_cell_gcart(cell, g, q);
    if (g2 == 0.0 || g2 > gcut2) {
      H->vh_g[i] = 0.0;
      continue;
    }
    H->vh_g[i] = 4.0 * M_PI * rho_g[i] / g2;
    e += creal(conj(H->vh_g[i]) * rho_g[i]);
  }
  H->hartree_energy = 0.5 * e * cell->ucvol;
  sf_fft_g2r(box, H->vh_g, H->vh_r);
  return SF_OK;
}

