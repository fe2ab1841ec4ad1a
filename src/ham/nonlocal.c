/* nonlocal.c — the Kleinman-Bylander nonlocal term: the projector table ⟨k+G|χ_lmi,τ⟩ of
 * one k-point (pseudo.h gives the convention), its operator V_nl X = P·diag(ekb)·P^H X by
 * two ZGEMMs, and its energy E_nl = Σ_k w_k Σ_n f_nk ⟨ψ_nk|V_nl|ψ_nk⟩.  Its forces and
 * stress (derivatives of the projectors) are in nonlocal_deriv.c. */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* e^{-2πi(k+G)·x} = e^{-2πi k·x} Π_d e^{-2πi g_d x_d}: one sincos per box line and
 * direction instead of one per plane wave (ABINIT's ph1d), round-off identical to 1e-15. */
void sf_nonlocal_phase(const sf_cell *cell, const sf_pwbasis *pw, int ia, double complex *phase)
{
  const double *x = cell->xred[ia], norm = 1.0 / sqrt(cell->ucvol);
  const int n0 = 2 * pw->gmax[0] + 1, n1 = 2 * pw->gmax[1] + 1, n2 = 2 * pw->gmax[2] + 1;
  double complex line[n0 + n1 + n2], *e[3] = {line + pw->gmax[0], line + n0 + pw->gmax[1], line + n0 + n1 + pw->gmax[2]};
  for (int d = 0; d < 3; d++)
    for (int g = -pw->gmax[d]; g <= pw->gmax[d]; g++) {
      double ph = -2.0 * M_PI * g * x[d];
      e[d][g] = cos(ph) + I * sin(ph);
    }
  double phk = -2.0 * M_PI * (pw->kred[0] * x[0] + pw->kred[1] * x[1] + pw->kred[2] * x[2]);
  double complex c = norm * (cos(phk) + I * sin(phk));
  for (int i = 0; i < pw->npw; i++) phase[i] = c * e[0][pw->g[i][0]] * e[1][pw->g[i][1]] * e[2][pw->g[i][2]];
}

/* Number of projectors (l, i, m) of one atom of pseudopotential p. */
static int atom_nproj(const sf_psp *p)
{
  int n = 0;
  for (int l = 0; l <= SF_PSP_LMAX; l++) n += p->nproj[l] * (2 * l + 1);
  return n;
}

int sf_nonlocal_build(const sf_ham *H, const sf_pwbasis *pw, sf_nonlocal_k *nl)
{
  const sf_cell *cell = H->cell;
  memset(nl, 0, sizeof *nl);
  int nproj = 0, st = SF_OK;
  double *ylm = NULL, *qn = NULL;
  double complex *phase = NULL, *form = NULL;
  for (int ia = 0; ia < cell->natom; ia++) nproj += atom_nproj(&H->psps[cell->typat[ia]]);
  nl->nproj = nproj;
  if (nproj == 0) return SF_OK;
  const int npw = pw->npw;
  SF_CHECK_GOTO(sf_calloc((void **)&nl->proj, (size_t)nproj * npw, sizeof *nl->proj));
  SF_CHECK_GOTO(sf_calloc((void **)&nl->ekb, nproj, sizeof *nl->ekb));
  SF_CHECK_GOTO(sf_calloc((void **)&ylm, (size_t)npw * 16, sizeof *ylm));
  SF_CHECK_GOTO(sf_calloc((void **)&qn, npw, sizeof *qn));
  SF_CHECK_GOTO(sf_calloc((void **)&phase, npw, sizeof *phase));
  for (int i = 0; i < npw; i++) {
    sf_ylm_real(pw->kpg[i], ylm + 16 * i);
    qn[i] = sqrt(pw->kpg[i][0] * pw->kpg[i][0] + pw->kpg[i][1] * pw->kpg[i][1] + pw->kpg[i][2] * pw->kpg[i][2]);
  }
  /* The form factors (−i)^l f_li(|k+G|) Y_lm(k+G) depend on the species only: computed once
   * per type (the first atom of it), then every atom is that block times its phase. */
  int form_type = -1, j = 0;
  for (int ia = 0; ia < cell->natom; ia++) {
    const int t = cell->typat[ia];
    const sf_psp *p = &H->psps[t];
    const int na = atom_nproj(p);
    if (na == 0) continue;
    if (t != form_type) {
      sf_free(form);
      form = NULL;
      SF_CHECK_GOTO(sf_calloc((void **)&form, (size_t)na * npw, sizeof *form));
      int jt = 0;
      for (int l = 0; l <= SF_PSP_LMAX; l++) {
        /* (−i)^l makes the projector the true Fourier transform; it cancels in V_nl but
         * keeps derivatives (forces, stress) consistent. */
        double complex il = cpow(-I, l);
        for (int ip = 0; ip < p->nproj[l]; ip++)
          for (int m = -l; m <= l; m++, jt++) {
            double complex *col = form + (size_t)jt * npw;
            for (int i = 0; i < npw; i++) col[i] = il * sf_qtable_eval(&p->proj[l][ip], qn[i]) * ylm[16 * i + l * l + l + m];
          }
      }
      form_type = t;
    }
    sf_nonlocal_phase(cell, pw, ia, phase);
    int jt = 0;
    for (int l = 0; l <= SF_PSP_LMAX; l++)
      for (int ip = 0; ip < p->nproj[l]; ip++)
        for (int m = -l; m <= l; m++, jt++, j++) {
          const double complex *f = form + (size_t)jt * npw;
          double complex *col = nl->proj + (size_t)j * npw;
          for (int i = 0; i < npw; i++) col[i] = f[i] * phase[i];
          nl->ekb[j] = p->ekb[l][ip];
        }
  }
cleanup:
  sf_free(form);
  sf_free(ylm);
  sf_free(qn);
  sf_free(phase);
  if (st) sf_nonlocal_free(nl);
  return st;
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

int sf_nonlocal_band_energies(const sf_nonlocal_k *nl, int npw, int m, const double complex *X, double *e)
{
  for (int n = 0; n < m; n++) e[n] = 0.0;
  if (nl->nproj == 0) return SF_OK;
  double complex *B;
  SF_CHECK(project(nl, npw, m, X, &B));
  for (int n = 0; n < m; n++)
    for (int j = 0; j < nl->nproj; j++) {
      double complex b = B[(size_t)n * nl->nproj + j];
      e[n] += nl->ekb[j] * (creal(b) * creal(b) + cimag(b) * cimag(b));
    }
  sf_free(B);
  return SF_OK;
}

/* From the state's cached ⟨ψ|V_nl|ψ⟩ when it has them (the SCF takes them while the
 * projectors are in memory), else from the projectors. */
static int nonlocal_energy(const sf_term_state *v, double *energy)
{
  int st = SF_OK;
  const int nband = v->nband;
  double e = 0.0, *scratch = NULL;
  if (!v->enl_band) SF_CHECK_GOTO(sf_calloc((void **)&scratch, nband, sizeof *scratch));
  for (int j = 0; j < v->nk; j++) {
    const int ik = v->k_index[j];
    const double *enl = v->enl_band ? v->enl_band + (size_t)j * nband : scratch;
    if (!v->enl_band) {
      const sf_nonlocal_k *nl;
      SF_CHECK_GOTO(v->projectors(v->projectors_ctx, j, &nl));
      SF_CHECK_GOTO(sf_nonlocal_band_energies(nl, v->pw[j].npw, nband, v->psi[j], scratch));
    }
    for (int n = v->band_rank; n < nband; n += v->band_size) e += v->wtk[ik] * v->occ[ik * nband + n] * enl[n];
  }
cleanup:
  sf_free(scratch);
  SF_CHECK(sf_status_agree(v->comm, st));
  MPI_Allreduce(MPI_IN_PLACE, &e, 1, MPI_DOUBLE, MPI_SUM, v->comm);
  *energy = e;
  return SF_OK;
}

const sf_term sf_term_nonlocal_psp = {
    .depends = SF_DEPENDS_ORBITALS,
    .energy = nonlocal_energy, .forces = sf_nonlocal_forces, .stress = sf_nonlocal_stress};
