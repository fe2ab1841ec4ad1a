/* nonlocal_deriv.c — the forces and the stress of the Kleinman-Bylander term, from the
 * derivatives of its projectors.  With b_j = ⟨p_j|ψ⟩ and E_nl = Σ w f Σ_j ekb_j |b_j|²:
 *
 * Forces: ∂b_j/∂τ = ⟨p_j|i(k+G)ψ⟩ for the projectors of atom τ, so
 *   F_a = −Σ w f Σ_{j ∈ a} ekb_j 2 Re[b_j* ∂b_j].
 * Stress: p_j(q) = Ω^{-1/2} (−i)^l f_li(|q|) Y_lm(q) e^{−iq·τ} (pseudo.h), q = k+G.  Under
 * strain q·τ is unchanged, Ω^{-1/2} gives −δ_ij/2 per projector (−δ_ij E_nl in all), and
 * ∂q_a/∂ε_ij = −δ_aj q_i, so for the symmetric strain
 *   ∂p/∂ε_ij = −δ_ij p/2 + Ω^{-1/2} (−i)^l e^{−iq·τ} [−f' Y q_i q_j/|q| − f (q_i ∂_jY + q_j ∂_iY)/2]
 *   ∂E_nl/∂ε = −δ E_nl + Σ_k w Σ_n f Σ_j ekb_j 2 Re[b_j* ⟨∂p_j|ψ⟩].
 */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* This rank's bands at one local k-point with their projections B = P^H X (np × m) and a
 * scratch block D of the same shape for the projections on a derivative. */
typedef struct {
  const sf_pwbasis *pw;
  const sf_nonlocal_k *nl;
  int m;
  double complex *X, *B, *D;
  double *w;
} nl_block;

static void nl_block_close(nl_block *b)
{
  sf_free(b->X); sf_free(b->w); sf_free(b->B); sf_free(b->D);
  memset(b, 0, sizeof *b);
}

/* Leaves b->nl->nproj == 0 (nothing to add) for a k-point without projectors. */
static int nl_block_open(const sf_term_state *v, int j, nl_block *b)
{
  int st = SF_OK;
  memset(b, 0, sizeof *b);
  b->pw = &v->pw[j];
  SF_CHECK(v->projectors(v->projectors_ctx, j, &b->nl));
  const int np = b->nl->nproj, npw = b->pw->npw;
  if (np == 0) return SF_OK;
  SF_CHECK_GOTO(sf_term_state_my_bands(v, j, &b->m, &b->X, &b->w));
  const int mm = b->m > 0 ? b->m : 1;
  SF_CHECK_GOTO(sf_calloc((void **)&b->B, (size_t)np * mm, sizeof *b->B));
  SF_CHECK_GOTO(sf_calloc((void **)&b->D, (size_t)np * mm, sizeof *b->D));
  const double complex one = 1.0, zero = 0.0;
  if (b->m > 0)
    cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, b->m, npw, &one, b->nl->proj, npw, b->X, npw, &zero,
                b->B, np);
cleanup:
  if (st) nl_block_close(b);
  return st;
}

/* D = Q^H Y for np columns Q [np][npw] and the m bands Y [m][npw]. */
static void nl_block_project(nl_block *b, const double complex *Q, const double complex *Y)
{
  const double complex one = 1.0, zero = 0.0;
  const int np = b->nl->nproj, npw = b->pw->npw;
  cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, b->m, npw, &one, Q, npw, Y, npw, &zero, b->D, np);
}

/* Atom index of each projector in sf_nonlocal_build's ordering; [nproj], allocated here. */
static int projector_atoms(const sf_ham *H, int **atom)
{
  const sf_cell *cell = H->cell;
  int nproj = 0;
  for (int pass = 0; pass < 2; pass++) { /* count, then fill */
    int j = 0;
    for (int ia = 0; ia < cell->natom; ia++) {
      const sf_psp *p = &H->psps[cell->typat[ia]];
      for (int l = 0; l <= SF_PSP_LMAX; l++)
        for (int k = 0; k < p->nproj[l] * (2 * l + 1); k++, j++)
          if (pass) (*atom)[j] = ia;
    }
    if (!pass) SF_CHECK(sf_calloc((void **)atom, (nproj = j) > 0 ? nproj : 1, sizeof **atom));
  }
  return SF_OK;
}

/* This rank's k-points and bands; f must be zero on entry. */
static int forces_mine(const sf_term_state *v, double (*f)[3])
{
  int st = SF_OK, *patom = NULL;
  double complex *Xd = NULL;
  nl_block b = {0};
  SF_CHECK_GOTO(projector_atoms(v->H, &patom));
  for (int j = 0; j < v->nk; j++) {
    SF_CHECK_GOTO(nl_block_open(v, j, &b));
    const int np = b.nl->nproj, npw = b.pw->npw, m = b.m;
    if (np > 0 && m > 0) {
      SF_CHECK_GOTO(sf_calloc((void **)&Xd, (size_t)m * npw, sizeof *Xd));
      for (int c = 0; c < 3; c++) {
        for (int n = 0; n < m; n++)
          for (int i = 0; i < npw; i++) Xd[(size_t)n * npw + i] = I * b.pw->kpg[i][c] * b.X[(size_t)n * npw + i];
        nl_block_project(&b, b.nl->proj, Xd);
        for (int n = 0; n < m; n++)
          for (int p = 0; p < np; p++)
            f[patom[p]][c] -= 2.0 * b.w[n] * b.nl->ekb[p] * creal(conj(b.B[(size_t)n * np + p]) * b.D[(size_t)n * np + p]);
      }
      sf_free(Xd);
      Xd = NULL;
    }
    nl_block_close(&b);
  }
cleanup:
  nl_block_close(&b);
  sf_free(Xd);
  sf_free(patom);
  return st;
}

int sf_nonlocal_forces(const sf_term_state *v, double (*f)[3])
{
  const int natom = v->H->cell->natom;
  memset(f, 0, sizeof(double) * 3 * natom);
  SF_CHECK(sf_status_agree(v->comm, forces_mine(v, f)));
  MPI_Allreduce(MPI_IN_PLACE, f, 3 * natom, MPI_DOUBLE, MPI_SUM, v->comm);
  return SF_OK;
}

/* dP[k] for the six Voigt components at one k-point, ordered as sf_nonlocal_build. */
static int build_dproj(const sf_ham *H, const sf_pwbasis *pw, int nproj, double complex *dP[6])
{
  const sf_cell *cell = H->cell;
  const int npw = pw->npw;
  int st = SF_OK, j = 0;
  double *ylm = NULL, (*dylm)[3] = NULL, *qn = NULL;
  double complex *phase = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&ylm, (size_t)npw * 16, sizeof *ylm));
  SF_CHECK_GOTO(sf_calloc((void **)&dylm, (size_t)npw * 16, sizeof *dylm));
  SF_CHECK_GOTO(sf_calloc((void **)&qn, npw, sizeof *qn));
  SF_CHECK_GOTO(sf_calloc((void **)&phase, npw, sizeof *phase));
  for (int i = 0; i < npw; i++) {
    sf_ylm_real_grad(pw->kpg[i], ylm + 16 * i, (double(*)[3])dylm[16 * i]);
    qn[i] = sqrt(pw->kpg[i][0] * pw->kpg[i][0] + pw->kpg[i][1] * pw->kpg[i][1] + pw->kpg[i][2] * pw->kpg[i][2]);
  }
  for (int ia = 0; ia < cell->natom; ia++) {
    const sf_psp *p = &H->psps[cell->typat[ia]];
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
              for (int k = 0; k < 6; k++) {
                int a = sf_voigt_i[k], c = sf_voigt_j[k];
                d[k] = -fp * q[a] * q[c] - 0.5 * f * (q[a] * dy[c] + q[c] * dy[a]);
              }
            }
            for (int k = 0; k < 6; k++) dP[k][(size_t)j * npw + i] = il * d[k] * phase[i];
          }
        }
    }
  }
  if (j != nproj) SF_ERROR_GOTO(SF_ERR_INTERNAL, "projector count %d differs from the nonlocal table's %d", j, nproj);
cleanup:
  sf_free(ylm); sf_free(dylm); sf_free(qn); sf_free(phase);
  return st;
}

/* acc[0..5]: Σ 2 w f ekb Re[b* ⟨∂p|ψ⟩] per Voigt component, acc[6]: E_nl, on this rank's
 * k-points and bands (acc zero on entry). */
static int stress_mine(const sf_term_state *v, double acc[7])
{
  int st = SF_OK;
  double complex *dP[6] = {0};
  nl_block b = {0};
  for (int j = 0; j < v->nk; j++) {
    SF_CHECK_GOTO(nl_block_open(v, j, &b));
    const int np = b.nl->nproj, npw = b.pw->npw, m = b.m;
    if (np == 0) continue;
    for (int k = 0; k < 6; k++) SF_CHECK_GOTO(sf_calloc((void **)&dP[k], (size_t)np * npw, sizeof *dP[k]));
    SF_CHECK_GOTO(build_dproj(v->H, b.pw, np, dP));
    if (m > 0) {
      for (int n = 0; n < m; n++)
        for (int p = 0; p < np; p++) {
          double complex x = b.B[(size_t)n * np + p];
          acc[6] += b.w[n] * b.nl->ekb[p] * (creal(x) * creal(x) + cimag(x) * cimag(x));
        }
      for (int k = 0; k < 6; k++) {
        nl_block_project(&b, dP[k], b.X);
        for (int n = 0; n < m; n++)
          for (int p = 0; p < np; p++)
            acc[k] += 2.0 * b.w[n] * b.nl->ekb[p] * creal(conj(b.B[(size_t)n * np + p]) * b.D[(size_t)n * np + p]);
      }
    }
    for (int k = 0; k < 6; k++) {
      sf_free(dP[k]);
      dP[k] = NULL;
    }
    nl_block_close(&b);
  }
cleanup:
  nl_block_close(&b);
  for (int k = 0; k < 6; k++) sf_free(dP[k]);
  return st;
}

int sf_nonlocal_stress(const sf_term_state *v, double sigma[3][3])
{
  double acc[7] = {0}; /* six Voigt components and E_nl */
  SF_CHECK(sf_status_agree(v->comm, stress_mine(v, acc)));
  MPI_Allreduce(MPI_IN_PLACE, acc, 7, MPI_DOUBLE, MPI_SUM, v->comm);
  for (int k = 0; k < 6; k++) sigma[sf_voigt_i[k]][sf_voigt_j[k]] = sigma[sf_voigt_j[k]][sf_voigt_i[k]] = acc[k];
  for (int i = 0; i < 3; i++) sigma[i][i] -= acc[6];
  sf_tensor_div(sigma, v->H->cell->ucvol);
  return SF_OK;
}
