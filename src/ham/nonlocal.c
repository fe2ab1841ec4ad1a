/* nonlocal.c — the Kleinman-Bylander nonlocal term at one k-point: the projector table
 * ⟨k+G|χ_lmi,τ⟩ (pseudo.h gives the convention), its application V_nl X = P·diag(ekb)·P^H X
 * by two ZGEMMs, and its energy. */
#include "strainfield/ham.h"
#include "strainfield/core.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void sf_nonlocal_phase(const sf_cell *cell, const sf_pwbasis *pw, int ia, double complex *phase)
{
  const double *x = cell->xred[ia], norm = 1.0 / sqrt(cell->ucvol);
  for (int i = 0; i < pw->npw; i++) {
    double ph = -2.0 * M_PI * ((pw->g[i][0] + pw->kred[0]) * x[0] + (pw->g[i][1] + pw->kred[1]) * x[1] +
                               (pw->g[i][2] + pw->kred[2]) * x[2]);
    phase[i] = norm * (cos(ph) + I * sin(ph));
  }
}

int sf_nonlocal_build(const sf_ham *H, const sf_pwbasis *pw, sf_nonlocal_k *nl)
{
  const sf_cell *cell = H->cell;
  memset(nl, 0, sizeof *nl);
  int nproj = 0;
  for (int ia = 0; ia < cell->natom; ia++) {
    const sf_psp *p = &H->psps[cell->typat[ia]];
    for (int l = 0; l <= SF_PSP_LMAX; l++) nproj += p->nproj[l] * (2 * l + 1);
  }
  nl->nproj = nproj;
  int npw = pw->npw;
  SF_CHECK(sf_calloc((void **)&nl->proj, (size_t)nproj * npw, sizeof *nl->proj));
  SF_CHECK(sf_calloc((void **)&nl->ekb, nproj, sizeof *nl->ekb));
  double *ylm, *qn;
  double complex *phase;
  SF_CHECK(sf_calloc((void **)&ylm, (size_t)npw * 16, sizeof *ylm));
  SF_CHECK(sf_calloc((void **)&qn, npw, sizeof *qn));
  SF_CHECK(sf_calloc((void **)&phase, npw, sizeof *phase));
  for (int i = 0; i < npw; i++) {
    sf_ylm_real(pw->kpg[i], ylm + 16 * i);
    qn[i] = sqrt(pw->kpg[i][0] * pw->kpg[i][0] + pw->kpg[i][1] * pw->kpg[i][1] + pw->kpg[i][2] * pw->kpg[i][2]);
  }
  int j = 0;
  for (int ia = 0; ia < cell->natom; ia++) {
    const sf_psp *p = &H->psps[cell->typat[ia]];
    sf_nonlocal_phase(cell, pw, ia, phase);
    for (int l = 0; l <= SF_PSP_LMAX; l++) {
      /* (−i)^l makes the projector the true Fourier transform; it cancels in V_nl but
       * keeps derivatives (forces, stress) consistent. */
      double complex il = cpow(-I, l);
      for (int ip = 0; ip < p->nproj[l]; ip++) {
        for (int m = -l; m <= l; m++) {
          double complex *col = nl->proj + (size_t)j * npw;
          for (int i = 0; i < npw; i++)
            col[i] = il * sf_qtable_eval(&p->proj[l][ip], qn[i]) * ylm[16 * i + l * l + l + m] * phase[i];
          nl->ekb[j] = p->ekb[l][ip];
          j++;
        }
      }
    }
  }
  sf_free(ylm);
  sf_free(qn);
  sf_free(phase);
  return SF_OK;
}

void sf_nonlocal_free(sf_nonlocal_k *nl)
{
  sf_free(nl->proj);
  sf_free(nl->ekb);
  memset(nl, 0, sizeof *nl);
}

/* B = P^H X, nproj × m */
static int project(const sf_nonlocal_k *nl, int npw, int m, const double complex *X, double complex **B)
{
  SF_CHECK(sf_calloc((void **)B, (size_t)nl->nproj * m, sizeof **B));
  const double complex one = 1.0, zero = 0.0;
  cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, nl->nproj, m, npw, &one, nl->proj, npw, X, npw, &zero,
              *B, nl->nproj);
  return SF_OK;
}

int sf_nonlocal_apply(const sf_nonlocal_k *nl, int npw, int m, const double complex *X, double complex *Y)
{
  if (nl->nproj == 0) return SF_OK;
  double complex *B;
  SF_CHECK(project(nl, npw, m, X, &B));
  for (int n = 0; n < m; n++)
    for (int j = 0; j < nl->nproj; j++) B[(size_t)n * nl->nproj + j] *= nl->ekb[j];
  const double complex one = 1.0;
  cblas_zgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, npw, m, nl->nproj, &one, nl->proj, npw, B, nl->nproj, &one,
              Y, npw);
  sf_free(B);
  return SF_OK;
}

int sf_nonlocal_energy(const sf_nonlocal_k *nl, int npw, int m, const double complex *X, const double *wocc,
                       double *energy)
{
  *energy = 0.0;
  if (nl->nproj == 0) return SF_OK;
  double complex *B;
  SF_CHECK(project(nl, npw, m, X, &B));
  double e = 0.0;
  for (int n = 0; n < m; n++)
    for (int j = 0; j < nl->nproj; j++) {
      double complex b = B[(size_t)n * nl->nproj + j];
      e += wocc[n] * nl->ekb[j] * (creal(b) * creal(b) + cimag(b) * cimag(b));
    }
  *energy = e;
  sf_free(B);
  return SF_OK;
}
