/* forces.c — Hellmann-Feynman forces of a converged ground state (props.h), and the
 * helpers the stress files share (band selection, projector atoms, symmetrisation).
 *
 * F is a partial derivative of the free energy at fixed ψ, occupations and ρ, which is
 * exact because F is stationary in all of them.  Only terms that depend on τ explicitly
 * contribute; with S_a(G) = e^{−iG·τ_a}:
 *   local:     E = Σ_G Σ_a Re[S_a* v_a(|G|) ρ(G)]        → F_a = Σ_G G v_a Im[e^{iG·τ_a} ρ(G)]
 *   core:      E_xc(ρ + ρc), ρc(G) = Σ_a S_a c_a/Ω      → F_a = Σ_G G c_a Im[e^{iG·τ_a} V_xc(G)]
 *   nonlocal:  b_j = ⟨p_j|ψ⟩, ∂b_j/∂τ = ⟨p_j|i(k+G)ψ⟩  → F_a = −Σ w f ekb 2Re[b_j* ∂b_j]
 *   Ewald:     sf_ewald.
 * The G sums use exactly the G set of sf_ham_local_build / sf_ham_core_build (0 < |G| ≤
 * gcut_dens; G = 0 for the core), so the forces are the derivatives of the energy the
 * code computes, grid effects included.
 */
#include "props_internal.h"
#include "strainfield/core.h"
#include "strainfield/props.h"

#include <cblas.h>
#include <math.h>
#include <string.h>


int sf_props_my_bands(const sf_scf *s, int j, int *mine, double complex **X, double **w)
{
  int nband = s->par.nband, bsize, brank, ik = s->k_local[j], npw = s->pw[j].npw;
  MPI_Comm_size(s->band_comm, &bsize);
  MPI_Comm_rank(s->band_comm, &brank);
  int m = 0;
  for (int n = brank; n < nband; n += bsize) m++;
  *mine = m;
  SF_CHECK(sf_calloc((void **)X, (size_t)(m > 0 ? m : 1) * npw, sizeof **X));
  SF_CHECK(sf_calloc((void **)w, m > 0 ? m : 1, sizeof **w));
  for (int n = brank, i = 0; n < nband; n += bsize, i++) {
    memcpy(*X + (size_t)i * npw, s->psi[j] + (size_t)n * npw, sizeof(double complex) * npw);
    (*w)[i] = s->kp.wtk[ik] * s->occ[ik * nband + n];
  }
  return SF_OK;
}

int sf_props_projector_atoms(const sf_scf *s, int **atom)
{
  const sf_cell *cell = s->cell;
  int nproj = 0;
  for (int pass = 0; pass < 2; pass++) { /* count, then fill */
    int j = 0;
    for (int ia = 0; ia < cell->natom; ia++) {
      const sf_psp *p = &s->psps[cell->typat[ia]];
      for (int l = 0; l <= SF_PSP_LMAX; l++)
        for (int k = 0; k < p->nproj[l] * (2 * l + 1); k++, j++)
          if (pass) (*atom)[j] = ia;
    }
    if (!pass) SF_CHECK(sf_calloc((void **)atom, (nproj = j) > 0 ? nproj : 1, sizeof **atom));
  }
  return SF_OK;
}

/* Cartesian form R_c = Aᵀ R G of a reduced rotation (A rows a_i, G rows b_i). */
static void cart_rotation(const sf_cell *cell, const int R[3][3], double Rc[3][3])
{
  for (int c = 0; c < 3; c++)
    for (int d = 0; d < 3; d++) {
      double v = 0.0;
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) v += cell->rprimd[i][c] * R[i][j] * cell->gprimd[j][d];
      Rc[c][d] = v;
    }
}

int sf_props_symmetrize_forces(const sf_scf *s, double (*f)[3])
{
  const sf_cell *cell = s->cell;
  const sf_symmetry *sym = &s->sym;
  if (sym->nsym <= 1) return SF_OK;
  int n = cell->natom;
  double(*acc)[3];
  SF_CHECK(sf_calloc((void **)&acc, n, sizeof *acc));
  for (int is = 0; is < sym->nsym; is++) {
    double Rc[3][3];
    cart_rotation(cell, (const int(*)[3])sym->rot[is], Rc);
    for (int a = 0; a < n; a++) {
      double x[3];
      for (int i = 0; i < 3; i++)
        x[i] = sym->rot[is][i][0] * cell->xred[a][0] + sym->rot[is][i][1] * cell->xred[a][1] +
               sym->rot[is][i][2] * cell->xred[a][2] + sym->tnons[is][i];
      int b = -1;
      for (int t = 0; t < n && b < 0; t++) {
        if (cell->typat[t] != cell->typat[a]) continue;
        double d = 0.0;
        for (int i = 0; i < 3; i++) {
          double e = x[i] - cell->xred[t][i];
          d += fabs(e - nearbyint(e));
        }
        if (d < 1e-4) b = t;
      }
      if (b < 0) {
        sf_free(acc);
        SF_ERROR(SF_ERR_INTERNAL, "symmetry %d maps atom %d onto no atom", is + 1, a + 1);
      }
      for (int c = 0; c < 3; c++) acc[b][c] += Rc[c][0] * f[a][0] + Rc[c][1] * f[a][1] + Rc[c][2] * f[a][2];
    }
  }
  for (int a = 0; a < n; a++)
    for (int c = 0; c < 3; c++) f[a][c] = acc[a][c] / sym->nsym;
  sf_free(acc);
  return SF_OK;
}

void sf_props_symmetrize_tensor(const sf_scf *s, double t[3][3])
{
  const sf_symmetry *sym = &s->sym;
  double acc[3][3] = {{0}};
  for (int is = 0; is < sym->nsym; is++) {
    double R[3][3];
    cart_rotation(s->cell, (const int(*)[3])sym->rot[is], R);
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        for (int k = 0; k < 3; k++)
          for (int l = 0; l < 3; l++) acc[i][j] += R[i][k] * t[k][l] * R[j][l];
  }
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) t[i][j] = 0.5 * (acc[i][j] + acc[j][i]) / sym->nsym;
}

/* Local and model-core terms: both are Σ_G G·radial(|G|)·Im[e^{iG·τ_a} X(G)], with X = ρ
 * for the local potential and X = V_xc(G) for the core charge. */
static int density_forces(sf_scf *s, double (*floc)[3], double (*fcore)[3])
{
  const sf_cell *cell = s->cell;
  sf_fftbox *box = &s->box;
  int has_core = s->H.rhocore_r != NULL;
  double complex *vxc_g = NULL;
  if (has_core) {
    SF_CHECK(sf_calloc((void **)&vxc_g, box->nfft, sizeof *vxc_g));
    sf_fft_r2g(box, s->H.vxc_r, vxc_g);
  }
  double gcut2 = s->H.gcut_dens * s->H.gcut_dens;
  for (int i = 0; i < box->nfft; i++) {
    const int *g = box->gvec[i];
    double q[3];
    sf_cell_gcart(cell, g, q);
    double g2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
    if (g2 > gcut2 || g2 == 0.0) continue; /* G = 0 carries no force in either term */
    double gn = sqrt(g2);
    for (int a = 0; a < cell->natom; a++) {
      const sf_psp *p = &s->psps[cell->typat[a]];
      double ph = 2.0 * M_PI * (g[0] * cell->xred[a][0] + g[1] * cell->xred[a][1] + g[2] * cell->xred[a][2]);
      double complex e = cos(ph) + I * sin(ph);
      double vq = sf_qtable_eval(&p->vloc_short, gn) - 4.0 * M_PI * p->zion / g2;
      double wl = vq * cimag(e * s->rho_g[i]);
      double wc = (has_core && p->has_core) ? sf_qtable_eval(&p->core, gn) * cimag(e * vxc_g[i]) : 0.0;
      for (int c = 0; c < 3; c++) {
        floc[a][c] += q[c] * wl;
        fcore[a][c] += q[c] * wc;
      }
    }
  }
  sf_free(vxc_g);
  return SF_OK;
}

/* Nonlocal term on this rank's k-points and bands (summed over comm by the caller). */
static int nonlocal_forces(sf_scf *s, double (*fnl)[3])
{
  int *patom;
  SF_CHECK(sf_props_projector_atoms(s, &patom));
  for (int j = 0; j < s->nk_local; j++) {
    const sf_pwbasis *pw = &s->pw[j];
    const sf_nonlocal_k *nl;
    SF_CHECK(sf_scf_projectors(s, j, &nl));
    int npw = pw->npw, np = nl->nproj, m;
    if (np == 0) continue;
    double complex *X, *Xd, *B, *D;
    double *w;
    SF_CHECK(sf_props_my_bands(s, j, &m, &X, &w));
    SF_CHECK(sf_calloc((void **)&Xd, (size_t)(m > 0 ? m : 1) * npw, sizeof *Xd));
    SF_CHECK(sf_calloc((void **)&B, (size_t)np * (m > 0 ? m : 1), sizeof *B));
    SF_CHECK(sf_calloc((void **)&D, (size_t)np * (m > 0 ? m : 1), sizeof *D));
    const double complex one = 1.0, zero = 0.0;
    if (m > 0) {
      cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, m, npw, &one, nl->proj, npw, X, npw, &zero, B, np);
      for (int c = 0; c < 3; c++) {
        for (int n = 0; n < m; n++)
          for (int i = 0; i < npw; i++) Xd[(size_t)n * npw + i] = I * pw->kpg[i][c] * X[(size_t)n * npw + i];
        cblas_zgemm(CblasColMajor, CblasConjTrans, CblasNoTrans, np, m, npw, &one, nl->proj, npw, Xd, npw, &zero, D,
                    np);
        for (int n = 0; n < m; n++)
          for (int p = 0; p < np; p++)
            fnl[patom[p]][c] -= 2.0 * w[n] * nl->ekb[p] * creal(conj(B[(size_t)n * np + p]) * D[(size_t)n * np + p]);
      }
    }
    sf_free(X); sf_free(w); sf_free(Xd); sf_free(B); sf_free(D);
  }
  sf_free(patom);
  return SF_OK;
}

int sf_forces_terms(sf_scf *s, double (*f[SF_FORCE_NTERMS])[3])
{
  int n = s->cell->natom;
  for (int t = 0; t < SF_FORCE_NTERMS; t++) memset(f[t], 0, sizeof(double) * 3 * n);
  SF_CHECK(density_forces(s, f[SF_FORCE_LOCAL], f[SF_FORCE_CORE]));
  SF_CHECK(nonlocal_forces(s, f[SF_FORCE_NONLOCAL]));
  MPI_Allreduce(MPI_IN_PLACE, f[SF_FORCE_NONLOCAL], 3 * n, MPI_DOUBLE, MPI_SUM, s->comm);
  SF_CHECK(sf_ewald(s->cell, NULL, f[SF_FORCE_EWALD], NULL));
  return SF_OK;
}

int sf_scf_forces(sf_scf *s, double (*fcart)[3])
{
  int n = s->cell->natom;
  double(*buf)[3];
  SF_CHECK(sf_calloc((void **)&buf, (size_t)SF_FORCE_NTERMS * n, sizeof *buf));
  double(*f[SF_FORCE_NTERMS])[3];
  for (int t = 0; t < SF_FORCE_NTERMS; t++) f[t] = buf + (size_t)t * n;
  int st = sf_forces_terms(s, f);
  if (st) {
    sf_free(buf);
    SF_CHECK(st);
  }
  memset(fcart, 0, sizeof(double) * 3 * n);
  for (int t = 0; t < SF_FORCE_NTERMS; t++)
    for (int a = 0; a < n; a++)
      for (int c = 0; c < 3; c++) fcart[a][c] += f[t][a][c];
  sf_free(buf);
  SF_CHECK(sf_props_symmetrize_forces(s, fcart));
  /* As ABINIT: the net force (nonzero only through the grid's breaking of translation
   * invariance in xc, and through incomplete convergence) is removed. */
  double mean[3] = {0, 0, 0};
  for (int a = 0; a < n; a++)
    for (int c = 0; c < 3; c++) mean[c] += fcart[a][c] / n;
  for (int a = 0; a < n; a++)
    for (int c = 0; c < 3; c++) fcart[a][c] -= mean[c];
  return SF_OK;
}
