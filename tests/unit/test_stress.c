/* test_stress.c — the analytic stress (props.h) against central finite differences of
 * the free energy under homogeneous strain (rprimd → (1+ε) rprimd, xred fixed), for the
 * distorted Mg cell with mg.pseu (psp5) and 12mg.pspnc (psp1, model core), ecutsm 0.5
 * and 0, and 12mg.pspnc with PBE (ixc 11); the gradient of the real Y_lm used by the nonlocal term; ABINIT's stress for
 * both pseudopotentials (reference numbers: props_testlib.h).
 */
#include "props_testlib.h"
#include "../../src/props/props_internal.h"

#include <mpi.h>

static void test_ylm_grad(void)
{
  const double x[3] = {0.31, -0.72, 0.45}, h = 1e-6;
  double y[16], dy[16][3], yp[16], ym[16], d2[16][3];
  sf_ylm_real_grad(x, y, dy);
  double worst = 0.0;
  for (int c = 0; c < 3; c++) {
    double xp[3] = {x[0], x[1], x[2]}, xm[3] = {x[0], x[1], x[2]};
    xp[c] += h;
    xm[c] -= h;
    sf_ylm_real_grad(xp, yp, d2);
    sf_ylm_real_grad(xm, ym, d2);
    for (int i = 0; i < 16; i++) {
      double e = fabs((yp[i] - ym[i]) / (2 * h) - dy[i][c]);
      if (e > worst) worst = e;
    }
  }
  printf("Y_lm gradient vs FD: max error %.2e\n", worst);
  EXPECT(worst < 1e-8, "Y_lm gradient error %.3e", worst);
}

/* rprimd rows are lattice vectors: a' = (1+ε) a. */
static void strain(const double r0[3][3], int i, int j, double e, double r[3][3])
{
  double eps[3][3] = {{0}};
  eps[i][j] += i == j ? e : 0.5 * e;
  eps[j][i] += i == j ? 0.0 : 0.5 * e;
  for (int a = 0; a < 3; a++)
    for (int c = 0; c < 3; c++) r[a][c] = r0[a][c] + eps[c][0] * r0[a][0] + eps[c][1] * r0[a][1] + eps[c][2] * r0[a][2];
}

static double free_energy_strained(const sf_scf_params *p, const sf_psp *psp, int i, int j, double e,
                                   const sf_scf *warm)
{
  double r0[3][3], r[3][3];
  mg_rprimd(r0);
  strain(r0, i, j, e, r);
  sf_cell c;
  if (mg_cell(&c, r, mg_xred, psp->zion)) return NAN;
  sf_scf s;
  double F = NAN;
  if (!run_scf(&s, p, &c, psp, warm)) F = s.E.free;
  else sf_error_print(stdout);
  sf_scf_free(&s);
  sf_cell_free(&c);
  return F;
}

static void check(const char *path, double ecut, double ecutsm, double e, double tol, int ncomp)
{
  double t0 = sf_wtime();
  sf_psp psp;
  sf_scf_params p;
  sf_cell c;
  sf_scf s;
  int n[3];
  if (mg_converged(path, ecut, ecutsm, &psp, &c, &p, n, &s)) {
    sf_error_print(stdout);
    failures++;
    return;
  }
  double st[SF_NTERM][3][3], sigma[3][3];
  EXPECT(sf_stress_terms(&s, st) == SF_OK, "stress terms");
  EXPECT(sf_scf_stress(&s, sigma) == SF_OK, "stress");
  printf("%s: ecut %g ecutsm %g, %dx%dx%d box, F = %.12f, strain step %g\n", psp.path, ecut, ecutsm, n[0], n[1],
         n[2], s.E.free, e);
  for (int t = 0; t < SF_NTERM; t++)
    printf("  %-12s %14.9f %14.9f %14.9f %14.9f %14.9f %14.9f\n", sf_term_names[t], st[t][0][0], st[t][1][1], st[t][2][2],
           st[t][1][2], st[t][0][2], st[t][0][1]);
  static const int va[6] = {0, 1, 2, 1, 0, 0}, vb[6] = {0, 1, 2, 2, 2, 1};
  for (int v = 0; v < ncomp; v++) {
    int i = va[v], j = vb[v];
    double fp = free_energy_strained(&p, &psp, i, j, e, &s);
    double fm = free_energy_strained(&p, &psp, i, j, -e, &s);
    /* off-diagonal: ε_ij = ε_ji = e/2, so dF/de = Ω σ_ij; diagonal dF/de = Ω σ_ii too */
    double fd = (fp - fm) / (2 * e) / c.ucvol;
    printf("  sigma_%d%d: analytic %.10f  FD %.10f  diff %.2e\n", i + 1, j + 1, sigma[i][j], fd, sigma[i][j] - fd);
    EXPECT(fabs(sigma[i][j] - fd) < tol, "%s ecutsm %g sigma_%d%d: analytic %.10f vs FD %.10f", path, ecutsm, i + 1,
           j + 1, sigma[i][j], fd);
  }
  sf_scf_free(&s);
  sf_cell_free(&c);
  sf_psp_free(&psp);
  printf("  (%.1f s)\n", sf_wtime() - t0);
}

static void check_abinit(const abinit_ref *ref)
{
  double t0 = sf_wtime();
  sf_psp psp;
  sf_scf s;
  sf_cell c;
  double st[3][3];
  if (sf_psp_read(ref->psp, 2.4 * sqrt(24.0) + 1.0, &psp) || abinit_case_scf(&s, &c, &psp) || sf_scf_stress(&s, st)) {
    sf_error_print(stdout);
    failures++;
    return;
  }
  static const int va[6] = {0, 1, 2, 1, 0, 0}, vb[6] = {0, 1, 2, 2, 2, 1};
  double worst = 0.0;
  for (int v = 0; v < 6; v++) worst = fmax(worst, fabs(st[va[v]][vb[v]] - ref->stress[v]));
  printf("ABINIT %s: etotal %.10f vs %.10f, max |sigma - sigma_abinit| = %.2e Ha/Bohr^3 (%.1f s)\n", ref->psp,
         s.E.free, ref->etotal, worst, sf_wtime() - t0);
  EXPECT(worst < 2e-7, "stress differs from ABINIT by %.3e Ha/Bohr^3", worst);
  sf_scf_free(&s);
  sf_cell_free(&c);
  sf_psp_free(&psp);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  sf_log_set_level(0);
  test_ylm_grad();
  check(SF_DATA_PSP_DIR "/mg.pseu", 8.0, 0.5, 1e-4, 2e-7, 6);
  check(SF_PSP_DIR "/12mg.pspnc", 8.0, 0.5, 1e-4, 2e-7, 6);
  check(SF_DATA_PSP_DIR "/mg.pseu", 8.0, 0.0, 1e-5, 2e-7, 6);
  props_ixc = 11; /* PBE with the model core: the gradient term and the core term with V_xc of the GGA */
  check(SF_PSP_DIR "/12mg.pspnc", 8.0, 0.5, 1e-4, 2e-7, 6);
  props_ixc = 7;
  check_abinit(&abinit_refs[0]);
  check_abinit(&abinit_refs[1]);
  return props_test_end("test_stress");
}
