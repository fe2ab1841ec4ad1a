/* scf.c — the self-consistent field loop: diagonalise at fixed potential, occupy, build
 * the output density, evaluate the energy, mix.  Also the fields of the final state. */
#include "scf_internal.h"
#include "strainfield/core.h"
#include "strainfield/eigensolver.h"
#include "strainfield/smearing.h"

#include <math.h>
#include <string.h>

/* H applied with the block's columns spread over the ranks of the k group. */
typedef struct {
  sf_ham_k hk;
  MPI_Comm comm;
} band_split_ctx;

static int apply_band_split(void *ctx, int m, const double complex *X, double complex *Y)
{
  band_split_ctx *c = ctx;
  int size, rank;
  MPI_Comm_size(c->comm, &size);
  if (size == 1) return sf_ham_apply(&c->hk, m, X, Y);
  MPI_Comm_rank(c->comm, &rank);
  int npw = c->hk.pw->npw;
  int counts[size], displs[size];
  for (int r = 0, off = 0; r < size; r++) {
    int nb = m / size + (r < m % size);
    counts[r] = nb * npw * 2; /* complex as 2 doubles */
    displs[r] = off;
    off += counts[r];
  }
  int first = displs[rank] / (2 * npw), mine = counts[rank] / (2 * npw);
  if (mine > 0) SF_CHECK(sf_ham_apply(&c->hk, mine, X + (size_t)first * npw, Y + (size_t)first * npw));
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, (double *)Y, counts, displs, MPI_DOUBLE, c->comm);
  return SF_OK;
}

static int diagonalize(sf_scf *s, int maxiter)
{
  int nband = s->par.nband;
  memset(s->eig, 0, sizeof(double) * s->kp.nkpt * nband);
  memset(s->resid, 0, sizeof(double) * s->kp.nkpt * nband);
  int brank;
  MPI_Comm_rank(s->layout.kpt, &brank);
  for (int j = 0; j < s->nk_local; j++) {
    int ik = s->k_local[j];
    const sf_nonlocal_k *nl;
    SF_CHECK(sf_scf_projectors(s, j, &nl));
    band_split_ctx ctx = {{&s->H, &s->pw[j], nl}, s->layout.kpt};
    /* ScaLAPACK pays off only for large subspaces (the idea of ABINIT's np_slk) */
    MPI_Comm slk = 3 * nband >= s->par.slk_min_order ? s->layout.kpt : MPI_COMM_NULL;
    /* bands that held no electrons in the previous step need not be converged tightly:
     * they do not enter the density, and their eigenvalues are still good to resid² */
    double btol[nband];
    for (int n = 0; n < nband; n++)
      btol[n] = s->iterations_done > 0 && s->occ[ik * nband + n] < 1e-12 ? fmax(s->par.eig_tol, 1e-5) : s->par.eig_tol;
    sf_eigen_params ep = {.n = s->pw[j].npw, .nband = nband, .apply = apply_band_split, .ctx = &ctx,
                          .precond_kin = s->pw[j].kin, .maxiter = maxiter, .tol = s->par.eig_tol, .comm = slk,
                          .ws = s->eig_ws, .band_tol = btol};
    double eig[nband], res[nband];
    int niter;
    SF_CHECK(sf_eigen_lobpcg(&ep, s->psi[j], eig, res, &niter));
    /* the nonlocal energy needs these projectors too: take it now rather than rebuild
     * them (without -nl_keep only one k-point's projectors are in memory) */
    SF_CHECK(sf_nonlocal_band_energies(nl, s->pw[j].npw, nband, s->psi[j], s->enl_band + (size_t)j * nband));
    if (brank == 0)
      for (int n = 0; n < nband; n++) {
        s->eig[ik * nband + n] = eig[n];
        s->resid[ik * nband + n] = res[n];
      }
  }
  MPI_Allreduce(MPI_IN_PLACE, s->eig, s->kp.nkpt * nband, MPI_DOUBLE, MPI_SUM, s->comm);
  MPI_Allreduce(MPI_IN_PLACE, s->resid, s->kp.nkpt * nband, MPI_DOUBLE, MPI_SUM, s->comm);
  return SF_OK;
}

/* Passes of eig_maxiter_first iterations at fixed potential (no mixing) until the band
 * energy Σ w f ε moves by less than toldfe/10 between passes (at most SF_FIXED_PASSES),
 * occupations after each: random orbitals in a good potential are the whole error of a
 * warm start's first step, and one pass leaves ~1e-6 Ha of it.  Sets occ, fermi and the
 * −TS of the last pass. */
#define SF_FIXED_PASSES 12
static int update_potentials(sf_scf *s);
static int diagonalize_converged(sf_scf *s, double *entropy_term)
{
  int nkb = s->kp.nkpt * s->par.nband, nband = s->par.nband;
  double prev = 0.0;
  for (int pass = 0; pass < SF_FIXED_PASSES; pass++) {
    SF_CHECK(diagonalize(s, s->par.eig_maxiter_first));
    SF_CHECK(sf_smear_fermi(s->par.occopt, s->par.tsmear, s->nelect, s->kp.nkpt, nband, s->kp.wtk, s->eig, s->occ,
                            &s->fermi, entropy_term));
    double eband = 0.0;
    for (int k = 0; k < nkb; k++) eband += s->kp.wtk[k / nband] * s->occ[k] * s->eig[k];
    sf_log(3, "  scf: fixed-density pass %d: band energy %.12f\n", pass + 1, eband);
    if (pass > 0 && fabs(eband - prev) < 0.1 * s->par.toldfe) break;
    prev = eband;
  }
  return SF_OK;
}

int sf_scf_solve_fixed_density(sf_scf *s)
{
  SF_CHECK(update_potentials(s));
  SF_CHECK(diagonalize_converged(s, &s->E.entropy_term));
  s->iterations_done = 1;
  return SF_OK;
}

static int scf_projectors(void *ctx, int j, const sf_nonlocal_k **nl)
{
  return sf_scf_projectors(ctx, j, nl);
}

void sf_scf_term_state(sf_scf *s, sf_term_state *v)
{
  int bsize, brank;
  MPI_Comm_size(s->layout.kpt, &bsize);
  MPI_Comm_rank(s->layout.kpt, &brank);
  *v = (sf_term_state){.H = &s->H, .rho_r = s->rho_r, .rho_g = s->rho_g, .nk = s->nk_local, .k_index = s->k_local,
                       .pw = s->pw, .psi = s->psi, .nband = s->par.nband, .band_rank = brank, .band_size = bsize,
                       .wtk = s->kp.wtk, .occ = s->occ, .ecut = s->par.ecut, .ecutsm = s->par.ecutsm,
                       .projectors = scf_projectors, .projectors_ctx = s, .comm = s->comm};
}

/* Potentials from the density held in s->rho_r / s->rho_g. */
static int update_potentials(sf_scf *s)
{
  sf_term_state v;
  sf_scf_term_state(s, &v);
  SF_CHECK(sf_terms_potentials(&s->H, &v));
  return SF_OK;
}

int sf_scf_set_density(sf_scf *s, const double *rho)
{
  int nfft = s->box.nfft;
  double q = 0.0;
  for (int i = 0; i < nfft; i++) q += rho[i];
  q *= s->cell->ucvol / nfft;
  if (!(q > 0)) SF_ERROR(SF_ERR_INPUT, "the starting density holds %g electrons (expected %g)", q, s->nelect);
  double scale = s->nelect / q;
  for (int i = 0; i < nfft; i++) s->rho_r[i] = rho[i] * scale;
  sf_fft_r2g(&s->box, s->rho_r, s->rho_g); /* the potentials are built from both */
  sf_log(2, "  scf: starting density holds %.10f electrons, scaled by %.10f to nelect = %g\n", q, scale, s->nelect);
  s->density_given = 1;
  return SF_OK;
}

/* Between two iterations stopping loses nothing.  All ranks of comm take the same
 * decision (one Allreduce), or a collective inside the next iteration would hang. */
static int poll_stop(sf_scf *s, int it)
{
  if (s->par.iteration_hook) s->par.iteration_hook(s->par.hook_ctx);
  int v[2] = {sf_stop_requested(), s->par.deadline > 0 && sf_wtime() > s->par.deadline};
  MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_INT, MPI_MAX, s->comm);
  if (v[0]) {
    sf_stop_request(v[0]);
    SF_ERROR(SF_STOPPED, "stopped by %s during SCF iteration %d", sf_signal_name(v[0]), it + 1);
  }
  if (v[1]) {
    s->timed_out = 1;
    SF_ERROR(SF_ERR_NOCONV, "time limit reached at SCF iteration %d", it + 1);
  }
  return SF_OK;
}

int sf_scf_run(sf_scf *s)
{
  const sf_cell *cell = s->cell;
  int nfft = s->box.nfft, nband = s->par.nband;
  int st = SF_OK;
  double *rho_out = NULL, *g2 = NULL, *wgt = NULL;
  double complex *rho_out_g = NULL;
  sf_mixer *mixer = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&rho_out, nfft, sizeof *rho_out));
  SF_CHECK_GOTO(sf_calloc((void **)&rho_out_g, nfft, sizeof *rho_out_g));
  SF_CHECK_GOTO(sf_calloc((void **)&g2, nfft, sizeof *g2));
  SF_CHECK_GOTO(sf_calloc((void **)&wgt, (size_t)s->kp.nkpt * nband, sizeof *wgt));
  for (int i = 0; i < nfft; i++) {
    const int *g = s->box.gvec[i];
    double q[3];
    g2[i] = sf_cell_gcart(cell, g, q);
  }
  SF_CHECK_GOTO(sf_mixer_create(&s->par.mix, nfft, g2, cell->ucvol, &mixer));

  /* A uniform start unless sf_scf_set_density gave one: no atomic densities are needed,
   * and the first diagonalisation is given extra iterations because the wavefunctions
   * start random (in the potential of the given density when there is one). */
  int restart = s->iterations > 0, warm = !restart && s->density_given;
  if (!restart) {
    sf_log(2, "  scf: xc functional %s, %d k-points, %d bands\n", sf_xc_name(s->xc), s->kp.nkpt, nband);
    if (!warm)
      for (int i = 0; i < nfft; i++) s->rho_r[i] = s->nelect / cell->ucvol;
    sf_fft_r2g(&s->box, s->rho_r, s->rho_g);
  }
  {
    sf_term_state v; /* the terms of the geometry alone, once per run */
    sf_scf_term_state(s, &v);
    SF_CHECK_GOTO(sf_terms_energies_of(&v, SF_DEPENDS_GEOMETRY, s->E.term));
  }
  double fprev = 0.0;
  int in_row = 0;
  s->converged = 0;
  int it, stop = SF_OK;
  s->timed_out = 0;
  for (it = 0; it < s->par.nstep; it++) {
    if ((stop = poll_stop(s, it))) break;
    double t0 = sf_wtime();
    SF_CHECK_GOTO(update_potentials(s));
    double entropy_term;
    if (warm && it == 0) SF_CHECK_GOTO(diagonalize_converged(s, &entropy_term));
    else {
      SF_CHECK_GOTO(diagonalize(s, it == 0 && !restart ? s->par.eig_maxiter_first : s->par.eig_maxiter));
      SF_CHECK_GOTO(sf_smear_fermi(s->par.occopt, s->par.tsmear, s->nelect, s->kp.nkpt, nband, s->kp.wtk, s->eig,
                                   s->occ, &s->fermi, &entropy_term));
    }
    s->iterations_done = it + 1;
    sf_scf_occupation_weights(s, wgt);
    SF_CHECK_GOTO(sf_scf_band_sum_field(s, wgt, rho_out));
    sf_fft_r2g(&s->box, rho_out, rho_out_g);

    sf_energies *E = &s->E;
    SF_CHECK_GOTO(sf_scf_output_energies(s, rho_out, rho_out_g, wgt, entropy_term));
    double resid = 0.0;
    for (int i = 0; i < nfft; i++) resid += fabs(rho_out[i] - s->rho_r[i]);
    resid *= cell->ucvol / nfft;
    /* from a given density, the first change is against that density's Harris-Foulkes
     * energy: equal to F at self-consistency, so a converged start stops at iteration 2 */
    double dfe = it > 0 ? E->free - fprev : E->free, ehf = 0.0;
    if (it == 0 && warm) {
      double eorb;
      SF_CHECK_GOTO(sf_scf_input_energies(s, rho_out, &eorb, &ehf));
      dfe = E->free - ehf;
    }
    fprev = E->free;
    s->hist_energy[it] = E->free;
    s->hist_dfe[it] = dfe;
    s->hist_resid[it] = resid;
    double maxres = 0.0;
    for (int k = 0; k < s->kp.nkpt * nband; k++) if (s->resid[k] > maxres) maxres = s->resid[k];
    sf_log(2, "  scf %3d  F = %.12f  dF = %+.3e  |drho| = %.3e  max|Hpsi-e psi| = %.1e  (%.2f s)\n", it + 1,
           E->free, dfe, resid, maxres, sf_wtime() - t0);
    in_row = ((it > 0 || warm) && fabs(dfe) < s->par.toldfe) ? in_row + 1 : 0;
    int done = in_row >= 2 || (s->par.tolrho > 0 && resid < s->par.tolrho && it > 0);
    if (done) {
      memcpy(s->rho_r, rho_out, sizeof(double) * nfft);
      memcpy(s->rho_g, rho_out_g, sizeof(double complex) * nfft);
      s->converged = 1;
      it++;
      break;
    }
    SF_CHECK_GOTO(sf_mixer_step(mixer, s->rho_g, rho_out_g, s->rho_g));
    s->rho_g[0] = s->nelect / cell->ucvol; /* charge exactly conserved */
    sf_fft_g2r(&s->box, s->rho_g, s->rho_r);
  }
  s->iterations = it;
  s->density_given = 0;
  /* leave the potentials consistent with the final density (φ and forces use them) */
  if (stop) {
    st = sf_error_trace(stop, __FILE__, __LINE__, __func__);
    goto cleanup;
  }
  SF_CHECK_GOTO(update_potentials(s));
  if (!s->converged)
    SF_ERROR_GOTO(SF_ERR_NOCONV, "SCF did not converge in -nstep %d iterations: last dF = %.3e Ha (toldfe %.1e), "
                  "density residual %.3e e", s->par.nstep, s->hist_dfe[s->par.nstep - 1], s->par.toldfe,
                  s->hist_resid[s->par.nstep - 1]);
cleanup:
  sf_mixer_destroy(&mixer);
  sf_free(rho_out);
  sf_free(rho_out_g);
  sf_free(g2);
  sf_free(wgt);
  return st;
}

