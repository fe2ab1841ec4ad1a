/* xc_term.c — the exchange-correlation term: evaluates libxc (through xc.h) on the
 * valence + core density and keeps E_xc and ∫ V_xc ρ for the energy decomposition. */
#include "strainfield/ham.h"
#include "strainfield/core.h"

int sf_ham_xc(sf_ham *H, const double *rho_r)
{
  sf_fftbox *box = H->box;
  int n = box->nfft;
  double *rt, *exc;
  SF_CHECK(sf_calloc((void **)&rt, n, sizeof *rt));
  SF_CHECK(sf_calloc((void **)&exc, n, sizeof *exc));
  for (int i = 0; i < n; i++) rt[i] = rho_r[i] + (H->rhocore_r ? H->rhocore_r[i] : 0.0);
  int st = sf_xc_eval(H->xc, n, rt, exc, H->vxc_r);
  if (st) { sf_free(rt); sf_free(exc); SF_CHECK(st); }
  double ex = 0.0, vr = 0.0;
  for (int i = 0; i < n; i++) {
    ex += exc[i];
    vr += H->vxc_r[i] * rho_r[i];
  }
  double dv = H->cell->ucvol / n;
  H->exc_energy = ex * dv;
  H->vxc_rho = vr * dv;
  sf_free(rt);
  sf_free(exc);
  return SF_OK;
}
