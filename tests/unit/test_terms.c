/* test_terms.c — the term contract (ham.h): the table has every term, and the energies
 * computed through sf_terms_energies from a converged state's ρ and ψ equal the SCF's
 * E.term[] (the energies of an arbitrary density and set of orbitals: the same
 * functions); with the nonlocal energies recomputed from the projectors or taken from the
 * SCF's cache; and a uniform density has no Hartree or local energy.  Distorted Mg cell
 * with 12mg.pspnc (model core charge), on 1 and 2 ranks (test_terms.mpi); the PBE potential
 * against finite differences of E_xc in a direction of the density. */
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

/* PBE (ixc 11) with the model core charge: V_xc against the central difference of
 * E_xc[ρ + h δρ] in a direction δρ = ρ·(0.3 cos 2πx1 + 0.2 sin 2π(x2 + x3)), so the gradient
 * terms −∇·(2 ∂e/∂σ ∇ρ) and the core charge are both in the check. */
static void check_gga_potential(void)
{
  props_ixc = 11;
  sf_psp psp;
  sf_scf_params p;
  sf_cell c;
  sf_scf s;
  int n[3];
  if (mg_converged(SF_PSP_DIR "/12mg.pspnc", 8.0, 0.5, &psp, &c, &p, n, &s)) {
    sf_error_print(stdout);
    failures++;
    props_ixc = 7;
    return;
  }
  const int nfft = s.box.nfft;
  double *drho = calloc(nfft, sizeof *drho), *rt = calloc(nfft, sizeof *rt), *v = calloc(nfft, sizeof *v);
  for (int i1 = 0; i1 < n[0]; i1++)
    for (int i2 = 0; i2 < n[1]; i2++)
      for (int i3 = 0; i3 < n[2]; i3++) {
        int i = (i1 * n[1] + i2) * n[2] + i3;
        drho[i] = s.rho_r[i] * (0.3 * cos(2 * M_PI * i1 / n[0]) + 0.2 * sin(2 * M_PI * ((double)i2 / n[1] + (double)i3 / n[2])));
      }
  double e0, e[4], vd = 0.0, h = 1e-3;
  static const double steps[4] = {1, -1, 2, -2};
  EXPECT(sf_xc_term_eval(&s.H, s.rho_r, v, &e0, NULL) == SF_OK, "xc of the converged density");
  for (int i = 0; i < nfft; i++) vd += v[i] * drho[i];
  vd *= c.ucvol / nfft;
  for (int k = 0; k < 4; k++) {
    for (int i = 0; i < nfft; i++) rt[i] = s.rho_r[i] + steps[k] * h * drho[i];
    sf_xc_term_eval(&s.H, rt, v, &e[k], NULL);
  }
  /* fourth-order central difference: a large step keeps E_xc's round-off out of the quotient */
  double fd = (8 * (e[0] - e[1]) - (e[2] - e[3])) / (12 * h);
  printf("PBE potential: int V_xc drho = %.12f, FD of E_xc = %.12f, diff %.2e (E_xc %.8f)\n", vd, fd, vd - fd, e0);
  EXPECT(fabs(vd - fd) < 1e-8 * fabs(fd), "PBE V_xc vs FD of E_xc: %.12f vs %.12f", vd, fd);
  free(drho);
  free(rt);
  free(v);
  mg_free(&s, &c, &psp);
  props_ixc = 7;
}

int main(int argc, char **argv)
{
  props_test_begin(&argc, &argv);
  check_table();
  check_energies();
  check_gga_potential();
  return props_test_end("test_terms");
}
