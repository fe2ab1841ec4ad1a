/* scf_energy.c — the energies and fields of a Kohn-Sham state: the band sums of the
 * orbitals on the box (density, band-energy density u, entropy density s), the energy of
 * the output state, the energies of the input density on the same orbitals (Harris-Foulkes,
 * and the paper's "orbital" combination), and evaluate's non-self-consistent energies of
 * one diagonalisation at a given density (docs/physics.md, "energy routes"). */
#include "scf_internal.h"
#include "strainfield/core.h"
#include "strainfield/smearing.h"

#include <math.h>
#include <string.h>

/* Each rank does the bands n ≡ its rank (mod group size) of its k-points; one Allreduce
 * sums. */
int sf_scf_band_sum_field(sf_scf *s, const double *weight, double *f)
{
  int nband = s->par.nband, bsize, brank;
  MPI_Comm_size(s->layout.kpt, &bsize);
  MPI_Comm_rank(s->layout.kpt, &brank);
  memset(f, 0, sizeof(double) * s->box.nfft);
  double w[nband];
  for (int j = 0; j < s->nk_local; j++) {
    int ik = s->k_local[j];
    for (int n = 0; n < nband; n++) w[n] = (n % bsize == brank) ? weight[ik * nband + n] / s->cell->ucvol : 0.0;
    sf_ham_accumulate_density(&s->box, &s->pw[j], nband, s->psi[j], w, f);
  }
  MPI_Allreduce(MPI_IN_PLACE, f, s->box.nfft, MPI_DOUBLE, MPI_SUM, s->comm);
  SF_CHECK(sf_symmetrize_field(&s->sym, &s->box, f));
  return SF_OK;
}


/* s->E of the output state (scf_internal.h). */
int sf_scf_output_energies(sf_scf *s, const double *rho_out, const double complex *rho_out_g, const double *wgt,
                           double entropy_term)
{
  sf_energies *E = &s->E;
  sf_term_state v;
  sf_scf_term_state(s, &v);
  v.rho_r = rho_out;
  v.rho_g = (double complex *)rho_out_g;
  v.enl_band = s->enl_band;
  /* the geometry terms (Ewald, psp core) were evaluated once before the loop */
  SF_CHECK(sf_terms_energies_of(&v, SF_DEPENDS_ORBITALS | SF_DEPENDS_DENSITY, E->term));
  E->entropy_term = entropy_term;
  E->band = 0.0;
  for (int k = 0; k < s->kp.nkpt * s->par.nband; k++) E->band += wgt[k] * s->eig[k];
  E->internal = 0.0;
  for (int t = 0; t < SF_NTERM; t++) E->internal += E->term[t];
  E->free = E->internal + E->entropy_term;
  return SF_OK;
}

/* The energies of the input density on the same orbitals.  Harris-Foulkes: the output
 * energy with its density terms at ρ_in instead of ρ_out, plus ∫V_eff[ρ_in](ρ_out − ρ_in)
 * (the band energy counts V_eff against ρ_out).  Both densities hold nelect electrons, so
 * the G = 0 part of V_eff does not enter.  Stationary in ρ_in; equal to F when ρ_in is
 * self-consistent. */
int sf_scf_input_energies(sf_scf *s, const double *rho_out, double *orbital, double *harris)
{
  sf_term_state v;
  sf_scf_term_state(s, &v);
  v.enl_band = s->enl_band;
  double term[SF_NTERM], e = s->E.entropy_term, dv = 0.0;
  memcpy(term, s->E.term, sizeof term); /* the same orbitals and geometry: only ρ differs */
  SF_CHECK(sf_terms_energies_of(&v, SF_DEPENDS_DENSITY, term));
  for (int t = 0; t < SF_NTERM; t++) e += term[t];
  for (int i = 0; i < s->box.nfft; i++) dv += s->H.veff_r[i] * (rho_out[i] - s->rho_r[i]);
  *orbital = e;
  *harris = e + dv * s->cell->ucvol / s->box.nfft;
  return SF_OK;
}


int sf_scf_fields(sf_scf *s, double *rho, double *phi, double *u, double *sdens)
{
  int nfft = s->box.nfft, nband = s->par.nband, nkb = s->kp.nkpt * nband;
  double *w;
  SF_CHECK(sf_calloc((void **)&w, nkb, sizeof *w));
  if (rho) memcpy(rho, s->rho_r, sizeof(double) * nfft);
  if (phi)
    for (int i = 0; i < nfft; i++) phi[i] = s->H.vh_r[i] + s->H.vloc_r[i];
  if (u) {
    for (int k = 0; k < nkb; k++) w[k] = s->kp.wtk[k / nband] * s->occ[k] * s->eig[k];
    SF_CHECK(sf_scf_band_sum_field(s, w, u));
  }
  if (sdens) {
    /* entropy density: −tsmear·∫ s = the −TS energy term (paper eq. 18) */
    for (int k = 0; k < nkb; k++) {
      double o, ent, d;
      double x = s->par.tsmear > 0 ? (s->eig[k] - s->fermi) / s->par.tsmear : 0.0;
      if (s->par.occopt == 1) ent = 0.0;
      else SF_CHECK(sf_smear_occ(s->par.occopt, x, &o, &ent, &d));
      w[k] = s->kp.wtk[k / nband] * 2.0 * ent;
    }
    SF_CHECK(sf_scf_band_sum_field(s, w, sdens));
  }
  sf_free(w);
  return SF_OK;
}

void sf_scf_occupation_weights(const sf_scf *s, double *wgt)
{
  const int nband = s->par.nband;
  for (int ik = 0; ik < s->kp.nkpt; ik++)
    for (int n = 0; n < nband; n++) wgt[ik * nband + n] = s->kp.wtk[ik] * s->occ[ik * nband + n];
}

int sf_scf_nsc_energies(sf_scf *s, double *rho_out, sf_nsc_energies *e)
{
  int st = SF_OK;
  const int nfft = s->box.nfft;
  double *wgt = NULL, *rho = rho_out;
  double complex *rho_g = NULL;
  if (!s->iterations_done) SF_ERROR(SF_ERR_INTERNAL, "sf_scf_nsc_energies before any diagonalisation");
  SF_CHECK_GOTO(sf_calloc((void **)&wgt, (size_t)s->kp.nkpt * s->par.nband, sizeof *wgt));
  SF_CHECK_GOTO(sf_calloc((void **)&rho_g, nfft, sizeof *rho_g));
  if (!rho) SF_CHECK_GOTO(sf_calloc((void **)&rho, nfft, sizeof *rho));
  {
    sf_term_state v; /* the terms of the geometry alone (sf_scf_run does them once per run) */
    sf_scf_term_state(s, &v);
    SF_CHECK_GOTO(sf_terms_energies_of(&v, SF_DEPENDS_GEOMETRY, s->E.term));
  }
  sf_scf_occupation_weights(s, wgt);
  SF_CHECK_GOTO(sf_scf_band_sum_field(s, wgt, rho));
  sf_fft_r2g(&s->box, rho, rho_g);
  SF_CHECK_GOTO(sf_scf_output_energies(s, rho, rho_g, wgt, s->E.entropy_term));
  e->scf = s->E.free;
  e->band = s->E.band;
  e->entropy_term = s->E.entropy_term;
  SF_CHECK_GOTO(sf_scf_input_energies(s, rho, &e->orbital, &e->harris));
cleanup:
  if (rho != rho_out) sf_free(rho);
  sf_free(wgt);
  sf_free(rho_g);
  return st;
}
