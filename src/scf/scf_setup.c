/* scf_setup.c — builds everything a ground state needs before iterating: symmetry
 * restricted to the FFT grid, the irreducible k-points, the FFT box, the bases and
 * projectors of this rank's k-points, deterministic starting wavefunctions. */
#include "strainfield/scf.h"
#include "strainfield/layout.h"
#include "strainfield/core.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Counter-based random numbers (splitmix64): the starting wavefunction of band n at
 * k-point ik depends only on (ik, n, G), never on the rank layout or basis order. */
static uint64_t mix64(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static double uniform01(uint64_t key) { return (double)(mix64(key) >> 11) * 0x1.0p-53; }

static void random_start(const sf_pwbasis *pw, int ik, int nband, double complex *psi)
{
  for (int n = 0; n < nband; n++)
    for (int i = 0; i < pw->npw; i++) {
      const int *g = pw->g[i];
      uint64_t key = ((uint64_t)(ik + 1) << 48) ^ ((uint64_t)(n + 1) << 36) ^
                     ((uint64_t)(g[0] & 0xfff) << 24) ^ ((uint64_t)(g[1] & 0xfff) << 12) ^ (uint64_t)(g[2] & 0xfff);
      double a = uniform01(key) - 0.5, b = uniform01(key ^ 0x5555555555555555ULL) - 0.5;
      /* damp high kinetic energies so the start is already smooth */
      psi[(size_t)n * pw->npw + i] = (a + I * b) / (1.0 + pw->kin_raw[i]);
    }
}

int sf_scf_params_has_kptrlatt(const sf_scf_params *par)
{
  for (int i = 0; i < 9; i++)
    if (par->kptrlatt[i / 3][i % 3]) return 1;
  return 0;
}

int sf_scf_setup(sf_scf *s, const sf_scf_params *par, const sf_cell *cell, const sf_psp *psps, MPI_Comm comm)
{
  memset(s, 0, sizeof *s);
  s->par = *par;
  s->cell = cell;
  s->psps = psps;
  s->comm = comm;

  s->nelect = 0.0;
  for (int ia = 0; ia < cell->natom; ia++) s->nelect += psps[cell->typat[ia]].zion;
  if (par->occopt == 1 ? 2 * par->nband < s->nelect - 1e-8 : 2 * par->nband < s->nelect + 1e-8)
    SF_ERROR(SF_ERR_INPUT, "-nband %d is too small for %g electrons (need more than %d bands%s)", par->nband,
             s->nelect, (int)ceil(s->nelect / 2 - 1e-9), par->occopt == 1 ? "" : " with smearing");

  /* symmetry first: ABINIT's default grid is chosen to be compatible with it */
  if (par->nosym) sf_symmetry_identity(&s->sym);
  else SF_CHECK(sf_symmetry_find(cell, 1e-5, &s->sym));
  for (int k = 0; k < s->sym.nsym; k++) {
    const int(*R)[3] = (const int(*)[3])s->sym.rot[k];
    sf_log(3, "  sym %2d: R = [%d %d %d; %d %d %d; %d %d %d]  t = (%.6f %.6f %.6f)\n", k + 1, R[0][0], R[0][1], R[0][2],
           R[1][0], R[1][1], R[1][2], R[2][0], R[2][1], R[2][2], s->sym.tnons[k][0], s->sym.tnons[k][1], s->sym.tnons[k][2]);
  }
  int n[3];
  if (par->ngfft[0] > 0) memcpy(n, par->ngfft, sizeof n);
  else SF_CHECK(sf_fftbox_default_size(cell, &s->sym, par->ecut, 2.0, n));
  SF_CHECK(sf_fftbox_create(n, &s->box));
  int ndrop = 0;
  SF_CHECK(sf_symmetry_restrict_to_grid(&s->sym, n, &ndrop));
  if (ndrop) sf_log(1, "  %d symmetry operations dropped: they do not map the %dx%dx%d grid onto itself\n", ndrop, n[0], n[1], n[2]);
  /* nshiftk 0: parameters built without input.c (zero-initialised) mean one shift */
  int nshiftk = par->nshiftk > 0 ? par->nshiftk : 1;
  if (nshiftk > SF_MAX_NSHIFTK) SF_ERROR(SF_ERR_INPUT, "nshiftk %d exceeds %d", nshiftk, SF_MAX_NSHIFTK);
  if (!sf_scf_params_has_kptrlatt(par)) SF_CHECK(sf_kpoints_monkhorst_pack(&s->sym, par->ngkpt, nshiftk, (const double(*)[3])par->shiftk, 1, &s->kp));
  else SF_CHECK(sf_kpoints_kptrlatt(&s->sym, (const int(*)[3])par->kptrlatt, nshiftk, (const double(*)[3])par->shiftk, 1, &s->kp));

  SF_CHECK(sf_xc_create(par->ixc, &s->xc));
  SF_CHECK(sf_ham_create(cell, psps, &s->box, s->xc, par->ecut, s->nelect, &s->H));
  SF_CHECK(sf_ham_local_build(&s->H));
  SF_CHECK(sf_ham_core_build(&s->H));

  /* k-point groups own blocks of k-points; inside a group the ranks split the bands */
  SF_CHECK(sf_layout_create(comm, 1, par->nkpt_groups, par->nband_groups, s->kp.nkpt, &s->layout));
  s->nkpt_groups = s->layout.nkpt_groups;
  s->my_kpt_group = s->layout.my_kpt_group;

  int nk = 0;
  for (int ik = 0; ik < s->kp.nkpt; ik++) nk += sf_layout_kpt_owner(&s->layout, ik) == s->my_kpt_group;
  s->nk_local = nk;
  SF_CHECK(sf_calloc((void **)&s->k_local, nk, sizeof *s->k_local));
  SF_CHECK(sf_calloc((void **)&s->pw, nk, sizeof *s->pw));
  SF_CHECK(sf_calloc((void **)&s->nl, par->nl_keep && nk > 0 ? nk : 1, sizeof *s->nl));
  s->nl_k = -1;
  SF_CHECK(sf_calloc((void **)&s->psi, nk, sizeof *s->psi));
  for (int ik = 0, j = 0; ik < s->kp.nkpt; ik++) {
    if (sf_layout_kpt_owner(&s->layout, ik) != s->my_kpt_group) continue;
    s->k_local[j] = ik;
    SF_CHECK(sf_pwbasis_create(cell, s->kp.kred[ik], par->ecut, par->ecutsm, &s->box, &s->pw[j]));
    if (s->pw[j].npw < par->nband)
      SF_ERROR(SF_ERR_INPUT, "-nband %d exceeds the %d plane waves at k-point %d; raise -ecut", par->nband,
               s->pw[j].npw, ik + 1);
    if (par->nl_keep) SF_CHECK(sf_nonlocal_build(&s->H, &s->pw[j], &s->nl[j]));
    SF_CHECK(sf_calloc((void **)&s->psi[j], (size_t)par->nband * s->pw[j].npw, sizeof **s->psi));
    random_start(&s->pw[j], ik, par->nband, s->psi[j]);
    j++;
  }
  SF_CHECK(sf_eigen_workspace_create(&s->eig_ws));
  size_t nkb = (size_t)s->kp.nkpt * par->nband;
  SF_CHECK(sf_calloc((void **)&s->eig, nkb, sizeof *s->eig));
  SF_CHECK(sf_calloc((void **)&s->occ, nkb, sizeof *s->occ));
  SF_CHECK(sf_calloc((void **)&s->resid, nkb, sizeof *s->resid));
  SF_CHECK(sf_calloc((void **)&s->enl_band, (size_t)(s->nk_local > 0 ? s->nk_local : 1) * par->nband, sizeof *s->enl_band));
  SF_CHECK(sf_calloc((void **)&s->rho_r, s->box.nfft, sizeof *s->rho_r));
  SF_CHECK(sf_calloc((void **)&s->rho_g, s->box.nfft, sizeof *s->rho_g));
  int ns = par->nstep > 0 ? par->nstep : 1;
  SF_CHECK(sf_calloc((void **)&s->hist_energy, ns, sizeof *s->hist_energy));
  SF_CHECK(sf_calloc((void **)&s->hist_dfe, ns, sizeof *s->hist_dfe));
  SF_CHECK(sf_calloc((void **)&s->hist_resid, ns, sizeof *s->hist_resid));
  return SF_OK;
}

/* Projectors after the atoms or the cell changed: rebuilt now if stored, else on demand. */
static int rebuild_projectors(sf_scf *s)
{
  if (!s->par.nl_keep) {
    sf_nonlocal_free(&s->nl[0]);
    s->nl_k = -1;
    return SF_OK;
  }
  for (int j = 0; j < s->nk_local; j++) {
    sf_nonlocal_free(&s->nl[j]);
    SF_CHECK(sf_nonlocal_build(&s->H, &s->pw[j], &s->nl[j]));
  }
  return SF_OK;
}

int sf_scf_projectors(sf_scf *s, int j, const sf_nonlocal_k **nl)
{
  if (s->par.nl_keep) {
    *nl = &s->nl[j];
    return SF_OK;
  }
  if (s->nl_k != j) {
    sf_nonlocal_free(&s->nl[0]);
    s->nl_k = -1;
    SF_CHECK(sf_nonlocal_build(&s->H, &s->pw[j], &s->nl[0]));
    s->nl_k = j;
  }
  *nl = &s->nl[0];
  return SF_OK;
}

int sf_scf_update_geometry(sf_scf *s)
{
  SF_CHECK(sf_ham_local_build(&s->H));
  SF_CHECK(sf_ham_core_build(&s->H));
  return rebuild_projectors(s);
}

/* Coefficients of the old basis carried to the new one by their integer G label; plane
 * waves that left the sphere are dropped, new ones start at zero. */
static int carry_wavefunctions(const sf_pwbasis *old, const sf_pwbasis *new, int nband, int nfft,
                               const double complex *psi_old, double complex *psi_new)
{
  int *pos;
  SF_CHECK(sf_calloc((void **)&pos, nfft, sizeof *pos));
  for (int i = 0; i < nfft; i++) pos[i] = -1;
  for (int i = 0; i < new->npw; i++) pos[new->ifft[i]] = i;
  for (int n = 0; n < nband; n++)
    for (int i = 0; i < old->npw; i++) {
      int j = pos[old->ifft[i]];
      if (j >= 0) psi_new[(size_t)n * new->npw + j] = psi_old[(size_t)n * old->npw + i];
    }
  sf_free(pos);
  return SF_OK;
}

int sf_scf_update_cell(sf_scf *s)
{
  /* everything that depends on the metric: the density cutoff, V_loc, the core charge,
   * the bases and projectors; k-points stay fixed in reduced coordinates */
  sf_ham_free(&s->H);
  SF_CHECK(sf_ham_create(s->cell, s->psps, &s->box, s->xc, s->par.ecut, s->nelect, &s->H));
  SF_CHECK(sf_ham_local_build(&s->H));
  SF_CHECK(sf_ham_core_build(&s->H));
  for (int j = 0; j < s->nk_local; j++) {
    int ik = s->k_local[j];
    sf_pwbasis pw;
    double complex *psi;
    SF_CHECK(sf_pwbasis_create(s->cell, s->kp.kred[ik], s->par.ecut, s->par.ecutsm, &s->box, &pw));
    if (pw.npw < s->par.nband)
      SF_ERROR(SF_ERR_INPUT, "-nband %d exceeds the %d plane waves at k-point %d of the deformed cell", s->par.nband,
               pw.npw, ik + 1);
    SF_CHECK(sf_calloc((void **)&psi, (size_t)s->par.nband * pw.npw, sizeof *psi));
    SF_CHECK(carry_wavefunctions(&s->pw[j], &pw, s->par.nband, s->box.nfft, s->psi[j], psi));
    sf_free(s->psi[j]);
    sf_pwbasis_free(&s->pw[j]);
    s->psi[j] = psi;
    s->pw[j] = pw;
  }
  SF_CHECK(rebuild_projectors(s));
  /* the density is kept in reduced coordinates; rescale so it still holds N electrons */
  double q = 0.0;
  for (int i = 0; i < s->box.nfft; i++) q += s->rho_r[i];
  q *= s->cell->ucvol / s->box.nfft;
  if (q > 0)
    for (int i = 0; i < s->box.nfft; i++) s->rho_r[i] *= s->nelect / q;
  sf_fft_r2g(&s->box, s->rho_r, s->rho_g);
  return SF_OK;
}

void sf_scf_free(sf_scf *s)
{
  for (int j = 0; j < s->nk_local; j++) {
    sf_pwbasis_free(&s->pw[j]);
    sf_free(s->psi[j]);
  }
  for (int j = 0; j < (s->par.nl_keep ? s->nk_local : 1) && s->nl; j++) sf_nonlocal_free(&s->nl[j]);
  sf_free(s->pw); sf_free(s->nl); sf_free(s->psi); sf_free(s->k_local);
  sf_free(s->eig); sf_free(s->occ); sf_free(s->resid); sf_free(s->enl_band);
  sf_free(s->rho_r); sf_free(s->rho_g);
  sf_free(s->hist_energy); sf_free(s->hist_dfe); sf_free(s->hist_resid);
  sf_ham_free(&s->H);
  if (s->eig_ws) sf_eigen_workspace_free(s->eig_ws);
  if (s->xc) sf_xc_destroy(&s->xc);
  sf_kpoints_free(&s->kp);
  sf_fftbox_free(&s->box);
  if (s->layout.world) sf_layout_free(&s->layout);
  memset(s, 0, sizeof *s);
}
