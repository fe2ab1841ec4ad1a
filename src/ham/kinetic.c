/* kinetic.c — the kinetic term T = Σ_k w_k Σ_n f_nk Σ_G kin(k+G) |ψ_nk(G)|², with ABINIT's
 * ecutsm smoothing of kin (pw.h).  Its operator is the diagonal pw->kin that
 * sf_ham_apply applies.
 *
 * Stress: with q = k+G and ψ(G) fixed, ∂|q|²/∂ε_ij = −2 q_i q_j, so
 *   ∂T/∂ε_ij = −Σ w f Σ_G |ψ|² kin'(|q|²/2) q_i q_j        (kin' = dkin/d(|q|²/2)). */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <string.h>

static int kinetic_energy(const sf_term_state *v, double *energy)
{
  const int nband = v->nband;
  double e = 0.0;
  for (int j = 0; j < v->nk; j++) {
    const int ik = v->k_index[j];
    const sf_pwbasis *pw = &v->pw[j];
    for (int n = v->band_rank; n < nband; n += v->band_size) {
      const double complex *x = v->psi[j] + (size_t)n * pw->npw;
      double t = 0.0;
      for (int i = 0; i < pw->npw; i++) t += pw->kin[i] * (creal(x[i]) * creal(x[i]) + cimag(x[i]) * cimag(x[i]));
      e += v->wtk[ik] * v->occ[ik * nband + n] * t;
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, &e, 1, MPI_DOUBLE, MPI_SUM, v->comm);
  *energy = e;
  return SF_OK;
}

/* This rank's k-points and bands, into sigma (zero on entry). */
static int stress_mine(const sf_term_state *v, double sigma[3][3])
{
  for (int j = 0; j < v->nk; j++) {
    const sf_pwbasis *pw = &v->pw[j];
    int m;
    double complex *X;
    double *w;
    SF_CHECK(sf_term_state_my_bands(v, j, &m, &X, &w));
    for (int i = 0; i < pw->npw; i++) {
      double occ = 0.0, dkin;
      for (int n = 0; n < m; n++) {
        double complex x = X[(size_t)n * pw->npw + i];
        occ += w[n] * (creal(x) * creal(x) + cimag(x) * cimag(x));
      }
      sf_kinetic_smoothed(pw->kin_raw[i], v->ecut, v->ecutsm, &dkin);
      sf_add_outer(sigma, -occ * dkin, pw->kpg[i]);
    }
    sf_free(X);
    sf_free(w);
  }
  return SF_OK;
}

static int kinetic_stress(const sf_term_state *v, double sigma[3][3])
{
  memset(sigma, 0, sizeof(double) * 9);
  SF_CHECK(sf_status_agree(v->comm, stress_mine(v, sigma)));
  MPI_Allreduce(MPI_IN_PLACE, sigma, 9, MPI_DOUBLE, MPI_SUM, v->comm);
  sf_tensor_div(sigma, v->H->cell->ucvol);
  return SF_OK;
}

const sf_term sf_term_kinetic = {.depends = SF_DEPENDS_ORBITALS, .energy = kinetic_energy, .stress = kinetic_stress};
