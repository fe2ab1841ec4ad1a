/* test_nsc.c — the energies of one diagonalisation at a given density (scf.h,
 * sf_scf_nsc_energies: evaluate's orbital, harris and scf routes).  From the converged
 * density of the distorted Mg cell (12mg.pspnc: a model core charge, so E_xc is of ρ + ρ_c)
 * all three give the SCF's F and ρ_out = ρ.  From ρ_in = ρ + ε (ρ_uniform − ρ) (the same
 * charge), the Harris-Foulkes and Kohn-Sham (scf) energies are stationary at ρ: their
 * errors grow as ε², the orbital route's as ε, and the scf route stays above F (the
 * Mermin functional is minimal at the ground state).  On 1 and 2 ranks (test_nsc.mpi). */
#include "props_testlib.h"

#include <mpi.h>

/* The routes from ρ_in = ρ + eps (ρ̄ − ρ), on a fresh state of the same cell. */
static int routes_at(const sf_scf_params *p, const sf_cell *c, const sf_psp *psp, const double *rho, double eps,
                     sf_nsc_energies *e, double *drho_out)
{
  sf_scf s;
  memset(&s, 0, sizeof s);
  sf_scf_params q = *p;
  q.eig_maxiter_first = 6; /* input.c's default (the shared test parameters leave it 0) */
  SF_CHECK(sf_scf_setup(&s, &q, c, psp, MPI_COMM_WORLD));
  const int n = s.box.nfft;
  double *in = calloc(n, sizeof *in), *out = calloc(n, sizeof *out), mean = s.nelect / c->ucvol;
  for (int i = 0; i < n; i++) in[i] = rho[i] + eps * (mean - rho[i]);
  int st = sf_scf_set_density(&s, in);
  if (!st) st = sf_scf_solve_fixed_density(&s);
  if (!st) st = sf_scf_nsc_energies(&s, out, e);
  *drho_out = 0.0;
  for (int i = 0; i < n; i++) *drho_out = fmax(*drho_out, fabs(out[i] - rho[i]));
  free(in);
  free(out);
  sf_scf_free(&s);
  return st;
}

int main(int argc, char **argv)
{
  props_test_begin(&argc, &argv);
  sf_psp psp;
  sf_scf_params p;
  sf_cell c;
  sf_scf s;
  int n[3];
  if (mg_converged(SF_PSP_DIR "/12mg.pspnc", 8.0, 0.5, &psp, &c, &p, n, &s)) {
    sf_error_print(stdout);
    return props_test_end("test_nsc");
  }
  const double F = s.E.free, eps[3] = {0.0, 0.01, 0.02};
  sf_nsc_energies e[3];
  double drho[3];
  for (int k = 0; k < 3; k++) {
    if (routes_at(&p, &c, &psp, s.rho_r, eps[k], &e[k], &drho[k])) {
      sf_error_print(stdout);
      failures++;
      return props_test_end("test_nsc");
    }
    printf("eps %.2f: orbital %+.3e  harris %+.3e  scf %+.3e Ha from F; max|rho_out - rho| %.2e\n", eps[k],
           e[k].orbital - F, e[k].harris - F, e[k].scf - F, drho[k]);
  }
  EXPECT(fabs(e[0].orbital - F) < 1e-8 && fabs(e[0].harris - F) < 1e-8 && fabs(e[0].scf - F) < 1e-8,
         "from the converged density every route gives F (orbital %.2e, harris %.2e, scf %.2e)", e[0].orbital - F,
         e[0].harris - F, e[0].scf - F);
  EXPECT(drho[0] < 1e-6, "from the converged density rho_out = rho (max diff %.2e)", drho[0]);
  EXPECT(fabs(e[0].band - s.E.band) < 1e-8 && fabs(e[0].entropy_term - s.E.entropy_term) < 1e-8,
         "band energy and -TS of the converged state (diff %.2e, %.2e)", e[0].band - s.E.band,
         e[0].entropy_term - s.E.entropy_term);
  const double ro = (e[2].orbital - F) / (e[1].orbital - F), rh = (e[2].harris - F) / (e[1].harris - F),
               rs = (e[2].scf - F) / (e[1].scf - F);
  printf("error ratios at 2 eps / eps: orbital %.3f (first order: 2), harris %.3f, scf %.3f (second order: 4)\n", ro,
         rh, rs);
  EXPECT(ro > 1.7 && ro < 2.3, "the orbital route's error is first order in the density error (ratio %.3f)", ro);
  EXPECT(rh > 3.5 && rh < 4.5, "the Harris-Foulkes error is second order (ratio %.3f)", rh);
  EXPECT(rs > 3.5 && rs < 4.5, "the scf route's error is second order (ratio %.3f)", rs);
  EXPECT(fabs(e[1].harris - F) < 0.1 * fabs(e[1].orbital - F), "Harris beats the orbital route by 10x at eps 0.01");
  EXPECT(e[1].scf > F - 1e-10 && e[2].scf > F - 1e-10, "the scf route is above F (variational)");
  mg_free(&s, &c, &psp);
  return props_test_end("test_nsc");
}
