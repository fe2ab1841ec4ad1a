/* core.c — the model core charge of nonlinear core correction: ρ_core on the box, added
 * to the valence density wherever exchange-correlation is evaluated. */
#include "strainfield/ham.h"
#include "strainfield/core.h"

#include <math.h>

double complex sf_structure_factor(const sf_cell *cell, int itypat, const int g[3]);

int sf_ham_core_build(sf_ham *H)
{
  const sf_cell *cell = H->cell;
  int any = 0;
  for (int it = 0; it < cell->ntypat; it++) any |= H->psps[it].has_core;
  if (!any) return SF_OK;
  sf_fftbox *box = H->box;
  double complex *cg;
  SF_CHECK(sf_calloc((void **)&cg, box->nfft, sizeof *cg));
  if (!H->rhocore_r) SF_CHECK(sf_calloc((void **)&H->rhocore_r, box->nfft, sizeof *H->rhocore_r));
  double gcut2 = H->gcut_dens * H->gcut_dens;
  for (int i = 0; i < box->nfft; i++) {
    const int *g = box->gvec[i];
    double q[3];
    double g2 = sf_cell_gcart(cell, g, q);
    if (g2 > gcut2) continue;
    double complex v = 0.0;
    for (int it = 0; it < cell->ntypat; it++)
      if (H->psps[it].has_core) v += sf_structure_factor(cell, it, g) * sf_qtable_eval(&H->psps[it].core, sqrt(g2));
    cg[i] = v / cell->ucvol;
  }
  sf_fft_g2r(box, cg, H->rhocore_r);
  sf_free(cg);
  return SF_OK;
}
