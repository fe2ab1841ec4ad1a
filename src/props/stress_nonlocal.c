/* stress_nonlocal.c — the strain derivative of the Kleinman-Bylander energy.
 *
 * p_j(q) = Ω^{-1/2} (−i)^l f_li(|q|) Y_lm(q) e^{−iq·τ} (pseudo.h), q = k+G.  Under strain
 * q·τ is unchanged, Ω^{-1/2} gives −δ_ij/2 per projector (−δ_ij E_nl in all), and
 * ∂q_a/∂ε_ij = −δ_aj q_i, so for the symmetric strain
 *   ∂p/∂ε_ij = −δ_ij p/2 + Ω^{-1/2} (−i)^l e^{−iq·τ} [−f' Y q_i q_j/|q| − f (q_i ∂_jY + q_j ∂_iY)/2].
 * With b = ⟨p|ψ⟩:  ∂E_nl/∂ε = −δ E_nl + Σ_k w Σ_n f Σ_j ekb_j 2 Re[b_j* ⟨∂p_j|ψ⟩].
 */
#include "props_internal.h"
#include "strainfield/core.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static const int va[6] = {0, 1, 2, 1, 0, 0}, vb[6] = {0, 1, 2, 2, 2, 1};

/* dP[v] for the six Voigt components at one k-point, ordered as sf_nonlocal_build. */
static int build_dproj(const sf_scf *s, const sf_pwbasis *pw, int nproj, double complex *dP[6])
{
  const sf_cell *cell = s->cell;
  int npw = pw->npw;
  double *ylm, (*dylm)[3], *qn;
  double complex *phase;
  SF_CHECK(sf_calloc((void **)&ylm, (size_t)npw * 16, sizeof *ylm));
  SF_CHECK(sf_calloc((void **)&dylm, (size_t)npw * 16, sizeof *dylm));
  SF_CHECK(sf_calloc((void **)&qn, npw, sizeof *qn));
  SF_CHECK(sf_calloc((void **)&phase, npw, sizeof *phase));
  for (int i = 0; i < npw; i++) {
    sf_ylm_real_grad(pw->kpg[i], ylm + 16 * i, (double(*)[3])dylm[16 * i]);
    qn[i] = sqrt(pw->kpg[i][0] * pw->kpg[i][0] + pw->kpg[i][1] * pw->kpg[i][1] + pw->kpg[i][2] * pw->kpg[i][2]);
  }
  int j = 0;
  for (int ia = 0; ia < cell->natom; ia++) {
    const sf_psp *p = &s->psps[cell->typat[ia]];
    sf_nonlocal_phase(cell, pw, ia, phase);
    for (int l = 0; l <= SF_PSP_LMAX; l++) {
      double complex il = cpow(-I, l);
      for (int ip = 0; ip < p->nproj[l]; ip++)
        for (int m = -l; m <= l; m++, j++) {
          int lm = l * l + l + m;
          for (int i = 0; i < npw; i++) {
            const double *q = pw->kpg[i];
            double d[6] = {0};
            if (qn[i] > 0.0) {
              double f = sf_qtable_eval(&p->proj[l][ip], qn[i]);
              double fp = sf_qtable_deriv(&p->proj[l][ip], qn[i]) * ylm[16 * i + lm] / qn[i];
              const double *dy = dylm[16 * i + lm];
              for (int v = 0; v < 6; v++) {
                int a = va[v], b = vb[v];
                d[v] = -fp * q[a] * q[b] - 0.5 * f * (q[a] * dy[b] + q[b] * dy[a]);
              }
            }
            for (int v = 0; v < 6; v++) dP[v][(size_t)j * npw + i] = il * d[v] * phase[i];
          }
        }
    }
  }
  sf_free(ylm); sf_free(dylm); sf_free(qn); sf_free(phase);
  if (j != nproj) SF_ERROR(SF_ERR_INTERNAL, "projector count %d differs from the nonlocal table's %d", j, nproj);
  return SF_OK;
}

int sf_stress_nonlocal_dE(sf_scf *s, double dE[3][3])
{
  double acc[7] = {0}; /* six Voigt components and E_nl */
  for (int j = 0; j < s->nk_local; j++) {
    const sf_pwbasis *pw = &s->pw[j];
    const sf_nonlocal_k *nl;
    SF_CHECK(sf_scf_projectors(s, j, &nl));
    int npw = pw->npw, np = nl->nproj, m;
    if (np == 0) continue;
    double complex *X, *B, *D, *dP[6] = {0};
    double *w;
    SF_CHECK(sf_props_my_bands(s, j, &m, &X, &w));
    int mm = m > 0 ? m : 1;
    SF_CHECK(sf_calloc((void **)&B, (size_t)np * mm, sizeof *B));
    SF_CHECK(sf_calloc((void **)&D, (size_t)np * mm, sizeof *D));
    for (int v = 0; v < 6; v++) SF_CHECK(sf_calloc((void **)&dP[v], (size_t)np * npw, sizeof *dP[v]));
    SF_CHECK(build_dproj(s, pw, np, dP));
    const double complex one = 1.0, zero = 0.0;
    if (m > 0) {
      cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, m, npw, &one, nl->proj, npw, X, npw, &zero, B, np);
      for (int n = 0; n < m; n++)
        for (int p = 0; p < np; p++) {
          double complex b = B[(size_t)n * np + p];
          acc[6] += w[n] * nl->ekb[p] * (creal(b) * creal(b) + cimag(b) * cimag(b));
        }
      for (int v = 0; v < 6; v++) {
        cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, m, npw, &one, dP[v], npw, X, npw, &zero, D, np);
        for (int n = 0; n < m; n++)
          for (int p = 0; p < np; p++)
            acc[v] += 2.0 * w[n] * nl->ekb[p] * creal(conj(B[(size_t)n * np + p]) * D[(size_t)n * np + p]);
      }
    }
    sf_free(X); sf_free(w); sf_free(B); sf_free(D);
    for (int v = 0; v < 6; v++) sf_free(dP[v]);
  }
  MPI_Allreduce(MPI_IN_PLACE, acc, 7, MPI_DOUBLE, MPI_SUM, s->comm);
  for (int v = 0; v < 6; v++) dE[va[v]][vb[v]] = dE[vb[v]][va[v]] = acc[v];
  for (int i = 0; i < 3; i++) dE[i][i] -= acc[6];
  return SF_OK;
}
