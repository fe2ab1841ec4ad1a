/* test_terms.c — the term contract (ham.h): the table has every term, and the energies
 * computed through sf_terms_energies from a converged state's ρ and ψ equal the SCF's
 * E.term[] (the energies of an arbitrary density and set of orbitals: the same
 * functions); with the nonlocal energies recomputed from the projectors or taken from the
 * SCF's cache; and a uniform density has no Hartree or local energy.  Distorted Mg cell
 * with 12mg.pspnc (model core charge), on 1 and 2 ranks (test_terms.mpi). */
#include "props_testlib.h"

#include <mpi.h>

static void check_table(void)
{
  for (int t = 0; t < SF_NTERM; t++) {
    EXPECT(sf_terms[t] != NULL && sf_terms[t]->energy != NULL, "term %s has no energy", sf_term_names[t]);
    EXPECT(sf_terms[t] != NULL && sf_terms[t]->stress != NULL, "term %s has no stress", sf_term_names[t]);
    int k = sf_terms[t]->depends;
    EXPECT(k == SF_DEPENDS_GEOMETRY || k == SF_DEPENDS_ORBITALS || k == SF_DEPENDS_DENSITY,
           "term %s: depends = %d is not one of SF_DEPENDS_*", sf_term_names[t], k);
  }
  EXPECT(sf_terms[SF_TERM_LOCAL_PSP]->forces && sf_terms[SF_TERM_NONLOCAL_PSP]->forces &&
         sf_terms[SF_TERM_EWALD]->forces && sf_terms[SF_TERM_XC]->forces, "terms that move with the atoms have forces");
  EXPECT(!sf_terms[SF_TERM_KINETIC]->forces && !sf_terms[SF_TERM_HARTREE]->forces && !sf_terms[SF_TERM_PSP_CORE]->forces,
         "terms without explicit dependence on the positions have no forces");
}

static double worst_diff(const double a[SF_NTERM], const double b[SF_NTERM])
{
  double w = 0.0;
  for (int t = 0; t < SF_NTERM; t++) w = fmax(w, fabs(a[t] - b[t]));
  return w;
}

static void check_energies(void)
{
  const double ecut = 8.0;
  sf_psp psp;
  sf_scf_params p;
  sf_cell c;
  sf_scf s;
  int n[3];
  if (mg_converged(SF_PSP_DIR "/12mg.pspnc", ecut, 0.5, &psp, &c, &p, n, &s)) {
    sf_error_print(stdout);
    failures++;
    return;
  }
  sf_term_state v;
  double E[SF_NTERM], Ecached[SF_NTERM], Euni[SF_NTERM];
  sf_scf_term_state(&s, &v);
  EXPECT(sf_terms_energies(&v, E) == SF_OK, "energies from the projectors");
  v.enl_band = s.enl_band;
  EXPECT(sf_terms_energies(&v, Ecached) == SF_OK, "energies with the cached nonlocal band energies");
  for (int t = 0; t < SF_NTERM; t++)
    printf("  %-12s SCF %20.14f  terms %20.14f  diff %.1e\n", sf_term_names[t], s.E.term[t], E[t], E[t] - s.E.term[t]);
  double d = worst_diff(E, s.E.term), dc = worst_diff(Ecached, s.E.term);
  printf("energies through the table vs the SCF's: max |diff| %.2e Ha (cached nonlocal: %.2e)\n", d, dc);
  EXPECT(d < 1e-12, "energies of the converged state differ from E.term by %.3e Ha", d);
  EXPECT(dc < 1e-12, "energies with the cached nonlocal part differ from E.term by %.3e Ha", dc);

  /* A uniform density of the same charge: ρ(G) = 0 for G ≠ 0, so E_H = E_loc = 0. */
  const int nfft = s.box.nfft;
  double *rho = calloc(nfft, sizeof *rho);
  double complex *rho_g = calloc(nfft, sizeof *rho_g);
  for (int i = 0; i < nfft; i++) rho[i] = s.nelect / c.ucvol;
  sf_fft_r2g(&s.box, rho, rho_g);
  v.rho_r = rho;
  v.rho_g = rho_g;
  EXPECT(sf_terms_energies(&v, Euni) == SF_OK, "energies of a uniform density");
  printf("uniform density: E_H %.3e, E_loc %.3e, E_xc %.6f (converged %.6f)\n", Euni[SF_TERM_HARTREE],
         Euni[SF_TERM_LOCAL_PSP], Euni[SF_TERM_XC], E[SF_TERM_XC]);
  EXPECT(fabs(Euni[SF_TERM_HARTREE]) < 1e-12 && fabs(Euni[SF_TERM_LOCAL_PSP]) < 1e-12,
         "a uniform density has E_H %.3e, E_loc %.3e", Euni[SF_TERM_HARTREE], Euni[SF_TERM_LOCAL_PSP]);
  EXPECT(Euni[SF_TERM_KINETIC] == E[SF_TERM_KINETIC], "band terms do not depend on the density");
  /* what `depends` says is what the energies do: only the density terms changed */
  for (int t = 0; t < SF_NTERM; t++)
    if (!(sf_terms[t]->depends & SF_DEPENDS_DENSITY))
      EXPECT(Euni[t] == E[t], "term %s is not a density term but changed with the density", sf_term_names[t]);
  free(rho);
  free(rho_g);
  mg_free(&s, &c, &psp);
}

int main(int argc, char **argv)
{
  props_test_begin(&argc, &argv);
  check_table();
  check_energies();
  return props_test_end("test_terms");
}
