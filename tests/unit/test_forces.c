/* test_forces.c — analytic forces (props.h) against central finite differences of the
 * free energy, for the distorted Mg cell with mg.pseu (psp5, no core charge) and
 * 12mg.pspnc (psp1, model core charge), with LDA and with PBE (ixc 11); the net force before its removal; symmetrised
 * forces against a run without symmetry; ABINIT's forces for both pseudopotentials
 * (reference numbers and how they were made: props_testlib.h).
 */
#include "props_testlib.h"
#include "../../src/props/props_internal.h"

#include <mpi.h>

static double free_energy_displaced(const sf_scf_params *p, const sf_psp *psp, double zion, int atom, int comp,
                                    double h, const sf_scf *warm)
{
  double rprimd[3][3], xred[4][3];
  mg_rprimd(rprimd);
  memcpy(xred, mg_xred, sizeof xred);
  sf_cell c;
  if (mg_cell(&c, rprimd, mg_xred, zion)) return NAN;
  for (int i = 0; i < 3; i++) xred[atom][i] += h * c.gprimd[i][comp]; /* Δx_red = Δr · b_i */
  memcpy(c.xred[atom], xred[atom], sizeof xred[atom]);
  sf_scf s;
  double F = NAN;
  if (!run_scf(&s, p, &c, psp, warm)) F = s.E.free;
  else sf_error_print(stdout);
  sf_scf_free(&s);
  sf_cell_free(&c);
  return F;
}

static void check_psp(const char *path, double ecut, int ncheck, const int (*checks)[2])
{
  double t0 = sf_wtime();
  sf_psp psp;
  sf_scf_params p;
  sf_cell c;
  sf_scf s;
  int n[3];
  if (mg_converged(path, ecut, 0.5, &psp, &c, &p, n, &s)) {
    sf_error_print(stdout);
    failures++;
    return;
  }
  double fbuf[SF_NTERM][4][3], f[4][3];
  double(*terms[SF_NTERM])[3];
  for (int t = 0; t < SF_NTERM; t++) terms[t] = fbuf[t];
  EXPECT(sf_forces_terms(&s, terms) == SF_OK, "forces terms");
  EXPECT(sf_scf_forces(&s, f) == SF_OK, "forces");
  double net[3] = {0, 0, 0};
  for (int t = 0; t < SF_NTERM; t++)
    for (int a = 0; a < 4; a++)
      for (int k = 0; k < 3; k++) net[k] += fbuf[t][a][k];
  double netn = sqrt(net[0] * net[0] + net[1] * net[1] + net[2] * net[2]);
  printf("%s: ecut %g, %dx%dx%d box, F = %.12f; net force before removal %.2e Ha/Bohr\n", psp.path, ecut, n[0],
         n[1], n[2], s.E.free, netn);
  /* The net force is the "egg-box" term: E_xc evaluated on the FFT grid is not exactly
   * invariant under a rigid translation of the atoms (~5e-8 Ha/Bohr here). */
  EXPECT(netn < 1e-6, "net force %.3e", netn);
  for (int a = 0; a < 4; a++)
    printf("  atom %d  F = %14.9f %14.9f %14.9f   (loc %10.6f nl %10.6f ew %10.6f core %10.6f | x)\n", a + 1, f[a][0],
           f[a][1], f[a][2], fbuf[SF_TERM_LOCAL_PSP][a][0], fbuf[SF_TERM_NONLOCAL_PSP][a][0], fbuf[SF_TERM_EWALD][a][0],
           fbuf[SF_TERM_XC][a][0]);
  const double h = 1e-3;
  for (int k = 0; k < ncheck; k++) {
    int a = checks[k][0], comp = checks[k][1];
    double fp = free_energy_displaced(&p, &psp, psp.zion, a, comp, h, &s);
    double fm = free_energy_displaced(&p, &psp, psp.zion, a, comp, -h, &s);
    double fd = -(fp - fm) / (2 * h), raw = 0.0;
    for (int t = 0; t < SF_NTERM; t++) raw += fbuf[t][a][comp];
    printf("  atom %d comp %d: analytic %.9f  FD %.9f  diff %.2e  (before mean removal: diff %.2e)\n", a + 1, comp,
           f[a][comp], fd, f[a][comp] - fd, raw - fd);
    EXPECT(fabs(f[a][comp] - fd) < 1e-5, "%s atom %d comp %d: analytic %.9f vs FD %.9f", path, a + 1, comp,
           f[a][comp], fd);
  }
  sf_scf_free(&s);
  sf_cell_free(&c);
  sf_psp_free(&psp);
  printf("  (%.1f s)\n", sf_wtime() - t0);
}

/* Symmetrisation: the HCP cell, undistorted but with atoms 1 and 2 moved along c, keeps part of
 * its space group.  Forces and stress from the irreducible wedge plus symmetrisation must
 * equal those of a run without symmetry (full k-mesh, nothing to symmetrise). */
static void check_symmetry(void)
{
  double t0 = sf_wtime();
  sf_psp psp;
  double ecut = 8.0;
  if (sf_psp_read(SF_PSP_DIR "/12mg.pspnc", 2.4 * sqrt(2.0 * ecut) + 1.0, &psp)) {
    sf_error_print(stdout);
    failures++;
    return;
  }
  const double acell[3] = {6.0646, 10.5042, 9.8477}, ang[3] = {90, 90, 90};
  double r[3][3], x[4][3] = {{0, 0, 0.02}, {0.5, 0.5, 0.02}, {0, 2.0 / 3, 0.5}, {0.5, 1.0 / 6, 0.5}};
  sf_lattice_from_angdeg(acell, ang, r);
  sf_cell c;
  mg_cell(&c, r, x, psp.zion);
  int n[3];
  sf_symmetry sym;
  sf_symmetry_find(&c, 1e-5, &sym);
  sf_fftbox_default_size(&c, &sym, ecut, 2.3, n);
  printf("symmetry test cell: spglib finds %d operations, box %dx%dx%d\n", sym.nsym, n[0], n[1], n[2]);
  double f[2][4][3], st[2][3][3];
  int nsym[2] = {0, 0};
  for (int nosym = 0; nosym < 2; nosym++) {
    sf_scf_params p = mg_params(ecut, 0.5, n);
    p.ngkpt[0] = p.ngkpt[1] = p.ngkpt[2] = 2;
    p.nosym = nosym;
    sf_scf s;
    if (run_scf(&s, &p, &c, &psp, NULL) || sf_scf_forces(&s, f[nosym]) || sf_scf_stress(&s, st[nosym])) {
      sf_error_print(stdout);
      failures++;
      return;
    }
    nsym[nosym] = s.sym.nsym;
    sf_scf_free(&s);
  }
  double df = 0.0, ds = 0.0;
  for (int a = 0; a < 4; a++)
    for (int k = 0; k < 3; k++) df = fmax(df, fabs(f[0][a][k] - f[1][a][k]));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) ds = fmax(ds, fabs(st[0][i][j] - st[1][i][j]));
  printf("symmetrisation (%d operations vs none): max |dF| %.2e Ha/Bohr, max |dsigma| %.2e Ha/Bohr^3, "
         "F_1z = %.9f (%.1f s)\n", nsym[0], df, ds, f[0][0][2], sf_wtime() - t0);
  EXPECT(nsym[0] > 1, "the test cell should keep some symmetry");
  EXPECT(df < 1e-6, "symmetrised forces differ from the no-symmetry run by %.3e", df);
  EXPECT(ds < 1e-8, "symmetrised stress differs from the no-symmetry run by %.3e", ds);
  sf_cell_free(&c);
  sf_psp_free(&psp);
}

static void check_abinit(const abinit_ref *ref)
{
  double t0 = sf_wtime();
  sf_psp psp;
  sf_scf s;
  sf_cell c;
  double f[4][3];
  if (sf_psp_read(ref->psp, 2.4 * sqrt(24.0) + 1.0, &psp) || abinit_case_scf(&s, &c, &psp) || sf_scf_forces(&s, f)) {
    sf_error_print(stdout);
    failures++;
    return;
  }
  double worst = 0.0;
  for (int a = 0; a < 4; a++)
    for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(f[a][k] - ref->fcart[a][k]));
  printf("ABINIT %s: etotal %.10f vs %.10f, max |F - F_abinit| = %.2e Ha/Bohr (%.1f s)\n", ref->psp, s.E.free,
         ref->etotal, worst, sf_wtime() - t0);
  EXPECT(worst < 1e-5, "forces differ from ABINIT by %.3e Ha/Bohr", worst);
  sf_scf_free(&s);
  sf_cell_free(&c);
  sf_psp_free(&psp);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  sf_log_set_level(0);
  static const int checks[4][2] = {{0, 0}, {1, 1}, {2, 2}, {3, 0}};
  check_psp(SF_DATA_PSP_DIR "/mg.pseu", 8.0, 4, checks);
  check_psp(SF_PSP_DIR "/12mg.pspnc", 8.0, 4, checks);
  props_ixc = 11; /* PBE: the core-charge forces carry the GGA potential */
  check_psp(SF_PSP_DIR "/12mg.pspnc", 8.0, 2, checks);
  props_ixc = 7;
  check_symmetry();
  check_abinit(&abinit_refs[0]);
  check_abinit(&abinit_refs[1]);
  return props_test_end("test_forces");
}
