/* test_crystal.c — unit tests of the crystal module: lattice construction and checks,
 * spglib symmetry, Monkhorst-Pack reduction and Ewald against ABINIT 9.6.2, Ewald forces
 * and stress against finite differences.
 *
 * Reference numbers were produced with the Debian abinit 9.6.2 package, serial, one run per
 * case: ecut 5, nstep 1, toldfe 1e-10, occopt 4, tsmear 0.01, kptopt 1, chkprim 0 (the Mg cell
 * is the 2-fold orthohexagonal cell), chksymbreak 0 for Si with shiftk 1/2 1/2 1/2,
 * pseudos 12mg/14si/13al.pspnc (zion 2/4/3).  nkpt, nsym, wtk (printed to 5 decimals; given
 * here as exact integer multiplicities over the full mesh), rprim and the "Ewald energy"
 * line of run.abo were copied.
 */
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

typedef struct {
  const char *name;
  double rprimd[3][3];
  int natom;
  double xred[4][3];
  double znucl, zion;
} testcell;

static const double mg_acell[3] = {6.0646, 10.5042, 9.8477};
static const double mg_xred[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0, 2.0 / 3, 0.5}, {0.5, 1.0 / 6, 0.5}};
static const double mg_tri_acell[3] = {6.1252, 10.3992, 9.9462}, mg_tri_ang[3] = {92, 87, 89};

static int make_cell(double rprimd[3][3], int natom, const double (*xred)[3], double znucl,
                     double zion, sf_cell *cell)
{
  SF_CHECK(sf_cell_alloc(cell, natom, 1));
  memcpy(cell->rprimd, rprimd, sizeof cell->rprimd);
  for (int i = 0; i < natom; i++) memcpy(cell->xred[i], xred[i], sizeof cell->xred[i]);
  cell->znucl[0] = znucl;
  cell->zion[0] = zion;
  SF_CHECK(sf_cell_finish(cell, 0.5));
  return SF_OK;
}

static void fcc(double a, double r[3][3])
{
  const double p[9] = {0, .5, .5, .5, 0, .5, .5, .5, 0};
  const double acell[3] = {a, a, a};
  sf_lattice_from_rprim(acell, p, r);
}

static void test_lattice(void)
{
  double r[3][3], ref[3][3];
  const double a90[3] = {90, 90, 90};
  EXPECT(sf_lattice_from_angdeg(mg_acell, a90, r) == 0, "angdeg 90 90 90");
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      EXPECT(fabs(r[i][j] - (i == j ? mg_acell[i] : 0.0)) < 1e-14, "angdeg 90: rprimd[%d][%d]=%g", i, j, r[i][j]);

  /* ABINIT's echoed rprim (10 digits) for three angdeg inputs */
  struct { double acell[3], ang[3], rprim[9]; } abi[3] = {
      {{6.1252, 10.3992, 9.9462}, {92, 87, 89},
       {1, 0, 0, 1.7452406437E-02, 9.9984769516E-01, 0, 5.2335956243E-02, -3.5818340389E-02, 9.9798697094E-01}},
      {{7, 7, 7}, {60, 60, 60},
       {5.7735026919E-01, 0, 8.1649658093E-01, -2.8867513459E-01, 5.0E-01, 8.1649658093E-01,
        -2.8867513459E-01, -5.0E-01, 8.1649658093E-01}},
      {{7, 7.5, 8}, {70, 70, 70},
       {6.6230901986E-01, 0, 7.4923078035E-01, -3.3115450993E-01, 5.7357643635E-01, 7.4923078035E-01,
        -3.3115450993E-01, -5.7357643635E-01, 7.4923078035E-01}}};
  for (int c = 0; c < 3; c++) {
    EXPECT(sf_lattice_from_angdeg(abi[c].acell, abi[c].ang, r) == 0, "angdeg case %d", c);
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        EXPECT(fabs(r[i][j] / abi[c].acell[i] - abi[c].rprim[3 * i + j]) < 2e-10,
               "angdeg case %d rprim[%d][%d] %.12f vs ABINIT %.12f", c, i, j, r[i][j] / abi[c].acell[i],
               abi[c].rprim[3 * i + j]);
  }

  /* strain: identity D on an orthorhombic reference returns it; lengths and angles follow D */
  sf_lattice_from_angdeg(mg_acell, a90, ref);
  const double D0[6] = {1, 1, 1, 90, 90, 90};
  EXPECT(sf_lattice_from_strain(ref, D0, r) == 0, "strain identity");
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) EXPECT(fabs(r[i][j] - ref[i][j]) < 1e-14, "strain identity [%d][%d]", i, j);
  const double D[6] = {1.01, 0.99, 1.0, 92, 87, 89};
  EXPECT(sf_lattice_from_strain(ref, D, r) == 0, "strain D");
  double len[3];
  for (int i = 0; i < 3; i++) {
    len[i] = sqrt(r[i][0] * r[i][0] + r[i][1] * r[i][1] + r[i][2] * r[i][2]);
    EXPECT(fabs(len[i] - D[i] * mg_acell[i]) < 1e-12, "strain length %d", i);
  }
  for (int t = 0; t < 3; t++) {
    int p = (t + 1) % 3, q = (t + 2) % 3;
    double c = (r[p][0] * r[q][0] + r[p][1] * r[q][1] + r[p][2] * r[q][2]) / (len[p] * len[q]);
    EXPECT(fabs(acos(c) * 180 / 3.14159265358979323846 - D[3 + t]) < 1e-10, "strain angle %d", t);
  }
  const double Dbad[6] = {1, 1, 1, 100, 100, 170};
  sf_error_reset();
  EXPECT(sf_lattice_from_strain(ref, Dbad, r) == SF_ERR_INPUT, "impossible angles refused");

  /* left-handed cell refused */
  sf_cell cell;
  double lh[3][3];
  memcpy(lh, ref, sizeof lh);
  for (int k = 0; k < 3; k++) lh[2][k] = -ref[2][k];
  sf_error_reset();
  int rc = make_cell(lh, 4, mg_xred, 12, 2, &cell);
  EXPECT(rc == SF_ERR_INPUT && strstr(sf_error_message(), "cell volume") &&
             strstr(sf_error_message(), "is not positive"),
         "left-handed cell: rc %d msg '%s'", rc, sf_error_message());
  sf_cell_free(&cell);

  /* overlapping atoms refused, also through a periodic image; messages name the atoms */
  double xo[4][3];
  memcpy(xo, mg_xred, sizeof xo);
  xo[2][0] = 0.5, xo[2][1] = 0.5, xo[2][2] = 0.01; /* 0.1 Bohr from atom 2 */
  sf_error_reset();
  rc = make_cell(ref, 4, (const double(*)[3])xo, 12, 2, &cell);
  EXPECT(rc == SF_ERR_INPUT && strstr(sf_error_message(), "atoms 2 and 3"), "overlap: rc %d msg '%s'", rc,
         sf_error_message());
  sf_cell_free(&cell);
  memcpy(xo, mg_xred, sizeof xo);
  xo[3][0] = 0.999, xo[3][1] = 0.0, xo[3][2] = 0.0; /* image of atom 1 at 0.006 Bohr */
  sf_error_reset();
  rc = make_cell(ref, 4, (const double(*)[3])xo, 12, 2, &cell);
  EXPECT(rc == SF_ERR_INPUT && strstr(sf_error_message(), "atoms 1 and 4"), "image overlap: rc %d msg '%s'", rc,
         sf_error_message());
  sf_cell_free(&cell);
  sf_error_reset();
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* nkpt and sorted weights against ABINIT's; mult[] are ABINIT's wtk times ndiv */
static void check_kpts(const char *name, const sf_cell *cell, int nsym_abinit, int ngk, int nshift,
                       const double (*shift)[3], int nkpt_abinit, const int *mult, double ndiv)
{
  sf_symmetry sym;
  sf_kpoints kp = {0};
  int ngkpt[3] = {ngk, ngk, ngk};
  EXPECT(sf_symmetry_find(cell, 1e-5, &sym) == 0, "%s: symmetry", name);
  EXPECT(sym.nsym == nsym_abinit, "%s: nsym %d vs ABINIT %d", name, sym.nsym, nsym_abinit);
  int id = 1;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) id &= sym.rot[0][i][j] == (i == j) && sym.tnons[0][i] == 0.0;
  EXPECT(id, "%s: identity not first", name);
  /* every operation, read as x' = R x + t, must send each atom onto an atom */
  int bad = 0;
  for (int s = 0; s < sym.nsym; s++)
    for (int i = 0; i < cell->natom; i++) {
      double xp[3];
      for (int a = 0; a < 3; a++)
        xp[a] = sym.rot[s][a][0] * cell->xred[i][0] + sym.rot[s][a][1] * cell->xred[i][1] +
                sym.rot[s][a][2] * cell->xred[i][2] + sym.tnons[s][a];
      int found = 0;
      for (int j = 0; j < cell->natom && !found; j++) {
        double d = 0;
        for (int a = 0; a < 3; a++) {
          double u = xp[a] - cell->xred[j][a];
          d += fabs(u - nearbyint(u));
        }
        found = d < 1e-6;
      }
      bad += !found;
    }
  EXPECT(bad == 0, "%s: %d atom images of symmetry operations are not atoms", name, bad);
  /* without symmetry nor time reversal the mesh is returned whole */
  sf_symmetry none;
  sf_symmetry_identity(&none);
  EXPECT(sf_kpoints_monkhorst_pack(&none, ngkpt, nshift, shift, 0, &kp) == 0 &&
             kp.nkpt == nshift * ngk * ngk * ngk,
         "%s: full mesh has %d points", name, kp.nkpt);
  sf_kpoints_free(&kp);
  EXPECT(sf_kpoints_monkhorst_pack(&sym, ngkpt, nshift, shift, 1, &kp) == 0, "%s: kpoints", name);
  EXPECT(kp.nkpt == nkpt_abinit, "%s: nkpt %d vs ABINIT %d", name, kp.nkpt, nkpt_abinit);
  if (kp.nkpt == nkpt_abinit) {
    double *ref = malloc(sizeof *ref * (size_t)kp.nkpt), sum = 0;
    for (int i = 0; i < kp.nkpt; i++) ref[i] = mult[i] / ndiv, sum += kp.wtk[i];
    qsort(ref, (size_t)kp.nkpt, sizeof *ref, cmp_double);
    qsort(kp.wtk, (size_t)kp.nkpt, sizeof *kp.wtk, cmp_double);
    double dmax = 0;
    for (int i = 0; i < kp.nkpt; i++) dmax = fmax(dmax, fabs(ref[i] - kp.wtk[i]));
    EXPECT(dmax < 1e-12 && fabs(sum - 1) < 1e-12, "%s: weights differ from ABINIT by %g (sum %g)", name, dmax, sum);
    free(ref);
  }
  sf_kpoints_free(&kp);
}

static void test_kpoints_ewald(void)
{
  const double half[1][3] = {{.5, .5, .5}}, zero[1][3] = {{0, 0, 0}};
  const double four[4][3] = {{.5, .5, .5}, {.5, 0, 0}, {0, .5, 0}, {0, 0, .5}};
  const double a90[3] = {90, 90, 90};
  double r[3][3], e;
  sf_cell c;

  /* (a) orthorhombic Mg, 4 atoms */
  sf_lattice_from_angdeg(mg_acell, a90, r);
  EXPECT(make_cell(r, 4, mg_xred, 12, 2, &c) == 0, "mg cell");
  static const int m_half[8] = {8, 8, 8, 8, 8, 8, 8, 8};
  static const int m_zero[27] = {1, 2, 1, 2, 4, 2, 1, 2, 1, 2, 4, 2, 4, 8, 4, 2, 4, 2, 1, 2, 1, 2, 4, 2, 1, 2, 1};
  check_kpts("Mg ortho 1/2", &c, 16, 4, 1, half, 8, m_half, 64);
  check_kpts("Mg ortho 0", &c, 16, 4, 1, zero, 27, m_zero, 64);
  sf_ewald(&c, &e, NULL, NULL);
  EXPECT(fabs(e - -4.28445933264799E+00) < 1e-9, "Mg ortho Ewald %.14f vs ABINIT -4.28445933264799 (diff %.2e)", e,
         e + 4.28445933264799);
  printf("Ewald Mg ortho   %.14f  ABINIT -4.28445933264799  diff %+.2e\n", e, e + 4.28445933264799);
  sf_cell_free(&c);

  /* (b) the same atoms in a triclinic cell (ABINIT input acell 6.1252 10.3992 9.9462 angdeg 92 87 89) */
  sf_lattice_from_angdeg(mg_tri_acell, mg_tri_ang, r);
  EXPECT(make_cell(r, 4, mg_xred, 12, 2, &c) == 0, "mg tri cell");
  int m_tri_half[32], m_tri_zero[36];
  for (int i = 0; i < 32; i++) m_tri_half[i] = 2;
  for (int i = 0; i < 36; i++) m_tri_zero[i] = i < 8 ? 1 : 2; /* 8 time-reversal-invariant points */
  check_kpts("Mg tri 1/2", &c, 4, 4, 1, half, 32, m_tri_half, 64);
  check_kpts("Mg tri 0", &c, 4, 4, 1, zero, 36, m_tri_zero, 64);
  sf_ewald(&c, &e, NULL, NULL);
  EXPECT(fabs(e - -4.27262071184666E+00) < 1e-9, "Mg tri Ewald %.14f (diff %.2e)", e, e + 4.27262071184666);
  printf("Ewald Mg tri     %.14f  ABINIT -4.27262071184666  diff %+.2e\n", e, e + 4.27262071184666);
  sf_cell_free(&c);

  /* (c) Si diamond */
  const double si_x[2][3] = {{0, 0, 0}, {.25, .25, .25}};
  fcc(10.26, r);
  EXPECT(make_cell(r, 2, si_x, 14, 4, &c) == 0, "si cell");
  static const int m_si[10] = {1, 3, 3, 3, 3, 6, 6, 3, 1, 3};
  static const int m_si4[10] = {24, 24, 24, 48, 24, 24, 24, 48, 8, 8};
  check_kpts("Si 1/2", &c, 48, 4, 1, half, 10, m_si, 32);
  check_kpts("Si 4 shifts", &c, 48, 4, 4, four, 10, m_si4, 256);
  {
    /* an elongated 1x1x5 supercell (c/a = 5) must give 5 times the energy and the same stress */
    sf_cell sc;
    double rs[3][3], xs[10][3], e1, e5, s1[6], s5[6];
    memcpy(rs, r, sizeof rs);
    for (int k = 0; k < 3; k++) rs[2][k] *= 5;
    for (int l = 0; l < 5; l++)
      for (int i = 0; i < 2; i++) {
        xs[2 * l + i][0] = si_x[i][0], xs[2 * l + i][1] = si_x[i][1];
        xs[2 * l + i][2] = (si_x[i][2] + l) / 5.0;
      }
    sf_ewald(&c, &e1, NULL, s1);
    if (make_cell(rs, 10, (const double(*)[3])xs, 14, 4, &sc) == 0) {
      sf_ewald(&sc, &e5, NULL, s5);
      double ds = 0;
      for (int v = 0; v < 6; v++) ds = fmax(ds, fabs(s1[v] - s5[v]));
      EXPECT(fabs(e5 - 5 * e1) < 1e-10 && ds < 1e-12, "Si 1x1x5 supercell: E %.14f vs 5x %.14f, stress diff %.2e",
             e5, 5 * e1, ds);
    } else EXPECT(0, "si supercell");
    sf_cell_free(&sc);
  }
  sf_ewald(&c, &e, NULL, NULL);
  EXPECT(fabs(e - -8.40046478618609E+00) < 1e-9, "Si Ewald %.14f (diff %.2e)", e, e + 8.40046478618609);
  printf("Ewald Si         %.14f  ABINIT -8.40046478618609  diff %+.2e\n", e, e + 8.40046478618609);
  sf_cell_free(&c);

  /* (d) Al fcc, acell 3*7.60 */
  const double al_x[1][3] = {{0, 0, 0}};
  fcc(7.60, r);
  EXPECT(make_cell(r, 1, al_x, 13, 3, &c) == 0, "al cell");
  static const int m_al[16] = {1, 8, 8, 4, 6, 24, 24, 24, 12, 6, 24, 12, 3, 24, 24, 12};
  check_kpts("Al 6x6x6", &c, 48, 6, 1, zero, 16, m_al, 216);
  sf_ewald(&c, &e, NULL, NULL);
  EXPECT(fabs(e - -2.71472096493581E+00) < 1e-9, "Al Ewald %.14f (diff %.2e)", e, e + 2.71472096493581);
  printf("Ewald Al         %.14f  ABINIT -2.71472096493581  diff %+.2e\n", e, e + 2.71472096493581);
  sf_cell_free(&c);

  /* one-atom Al cells given by angdeg: hexagonal and two rhombohedral orientations, ngkpt 2 2 2 */
  struct { const char *name; double acell[3], ang[3]; int nsym, nkpt, mult[8]; double eabi; } s[3] = {
      {"Al hex", {5, 5, 8}, {90, 90, 120}, 24, 4, {1, 3, 1, 3}, -2.05073479602631},
      {"Al rhomb 60", {7, 7, 7}, {60, 60, 60}, 48, 3, {1, 4, 3}, -2.08413454076415},
      {"Al rhomb 70", {7, 7.5, 8}, {70, 70, 70}, 2, 8, {1, 1, 1, 1, 1, 1, 1, 1}, -1.81396020025374}};
  for (int t = 0; t < 3; t++) {
    sf_lattice_from_angdeg(s[t].acell, s[t].ang, r);
    EXPECT(make_cell(r, 1, al_x, 13, 3, &c) == 0, "%s cell", s[t].name);
    check_kpts(s[t].name, &c, s[t].nsym, 2, 1, zero, s[t].nkpt, s[t].mult, 8);
    sf_ewald(&c, &e, NULL, NULL);
    EXPECT(fabs(e - s[t].eabi) < 1e-9, "%s Ewald %.14f vs %.14f", s[t].name, e, s[t].eabi);
    printf("Ewald %-11s %.14f  ABINIT %.14f  diff %+.2e\n", s[t].name, e, s[t].eabi, e - s[t].eabi);
    sf_cell_free(&c);
  }
}

static double energy_of(sf_cell *c)
{
  double e = 0;
  sf_cell_finish(c, 0.0);
  sf_ewald(c, &e, NULL, NULL);
  return e;
}

/* forces and stress against central differences of the energy */
static void fd_check(const char *name, sf_cell *c)
{
  const double hx = 1e-4, he = 1e-5;
  int n = c->natom;
  double (*f)[3] = calloc((size_t)n, sizeof *f), sig[6], e0;
  EXPECT(sf_ewald(c, &e0, f, sig) == 0, "%s ewald", name);
  double fmaxerr = 0, smaxerr = 0, fsum[3] = {0};
  for (int i = 0; i < n; i++)
    for (int a = 0; a < 3; a++) {
      double save[3];
      memcpy(save, c->xred[i], sizeof save);
      for (int k = 0; k < 3; k++) c->xred[i][k] = save[k] + hx * c->gprimd[k][a];
      double ep = energy_of(c);
      for (int k = 0; k < 3; k++) c->xred[i][k] = save[k] - hx * c->gprimd[k][a];
      double em = energy_of(c);
      memcpy(c->xred[i], save, sizeof save);
      fmaxerr = fmax(fmaxerr, fabs(-(ep - em) / (2 * hx) - f[i][a]));
      fsum[a] += f[i][a];
    }
  energy_of(c);
  static const int va[6] = {0, 1, 2, 1, 0, 0}, vb[6] = {0, 1, 2, 2, 2, 1};
  double r0[3][3], omega = c->ucvol;
  memcpy(r0, c->rprimd, sizeof r0);
  for (int v = 0; v < 6; v++) {
    double ev[2];
    for (int s = 0; s < 2; s++) {
      memcpy(c->rprimd, r0, sizeof r0);
      for (int i = 0; i < 3; i++) c->rprimd[i][va[v]] += (s ? -he : he) * r0[i][vb[v]];
      ev[s] = energy_of(c);
    }
    smaxerr = fmax(smaxerr, fabs((ev[0] - ev[1]) / (2 * he * omega) - sig[v]));
  }
  memcpy(c->rprimd, r0, sizeof r0);
  energy_of(c);
  EXPECT(fmaxerr < 1e-7, "%s: force vs FD error %.2e", name, fmaxerr);
  EXPECT(smaxerr < 1e-7, "%s: stress vs FD error %.2e", name, smaxerr);
  EXPECT(fabs(fsum[0]) + fabs(fsum[1]) + fabs(fsum[2]) < 1e-10, "%s: forces do not sum to zero", name);
  printf("FD %-22s max|F-Ffd| %.2e  max|sigma-sigma_fd| %.2e  (|F|max %.3f, sigma_xx %.3e)\n", name,
         fmaxerr, smaxerr, fabs(f[0][0]) + fabs(f[0][1]) + fabs(f[0][2]), sig[0]);
  free(f);
}

static void test_fd(void)
{
  double r[3][3];
  sf_cell c;
  double x[4][3];
  memcpy(x, mg_xred, sizeof x);
  x[1][0] += 0.013, x[2][1] -= 0.021, x[3][2] += 0.017; /* break symmetry so forces are non-zero */
  const double D[6] = {1.02, 0.97, 1.01, 92, 87, 89};
  double ref[3][3];
  const double a90[3] = {90, 90, 90};
  sf_lattice_from_angdeg(mg_acell, a90, ref);
  sf_lattice_from_strain(ref, D, r);
  if (make_cell(r, 4, (const double(*)[3])x, 12, 2, &c) == 0) fd_check("Mg strained, displaced", &c);
  else EXPECT(0, "mg strained cell");
  sf_cell_free(&c);
  const double si_x[2][3] = {{0.01, -0.02, 0.005}, {.25, .26, .24}};
  fcc(10.26, r);
  if (make_cell(r, 2, si_x, 14, 4, &c) == 0) fd_check("Si displaced", &c);
  else EXPECT(0, "si cell");
  sf_cell_free(&c);
}

/* Degenerate and oversized cells are refused quickly with a message saying what is wrong
 * (issue 10, 2.1: -angdeg 120,120,120 used to hang in the image search); strongly sheared
 * but valid cells are accepted. */
static void test_cell_refusals(void)
{
  double r[3][3], ref[3][3];
  const double ones[3] = {1, 1, 1};
  const double flat[3] = {120, 120, 120}, impossible[3] = {100, 100, 170};
  sf_error_reset();
  EXPECT(sf_lattice_from_angdeg(mg_acell, flat, r) == SF_ERR_INPUT && strstr(sf_error_message(), "degenerate") &&
             !strstr(sf_error_message(), "-angdeg"),
         "angdeg 120 120 120: '%s'", sf_error_message());
  sf_error_reset();
  EXPECT(sf_lattice_from_angdeg(mg_acell, impossible, r) == SF_ERR_INPUT && strstr(sf_error_message(), "do not form"),
         "angdeg 100 100 170: '%s'", sf_error_message());
  sf_error_reset();
  sf_lattice_from_angdeg(mg_acell, (const double[3]){90, 90, 90}, ref);
  const double Dflat[6] = {1, 1, 1, 120, 120, 120};
  EXPECT(sf_lattice_from_strain(ref, Dflat, r) == SF_ERR_INPUT && strstr(sf_error_message(), "degenerate"),
         "strain_D with angles 120 120 120: '%s'", sf_error_message());
  sf_error_reset();
  /* c 0.006 deg out of the ab plane: relative volume 1e-4 */
  const double sliver[9] = {1, 0, 0, 0, 1, 0, 1, 1, 1e-4 * sqrt(2.0)};
  EXPECT(sf_lattice_from_rprim(ones, sliver, r) == SF_ERR_INPUT && strstr(sf_error_message(), "coplanar"),
         "rprim sliver: '%s'", sf_error_message());
  sf_error_reset();
  EXPECT(fabs(sf_lattice_relative_volume((const double(*)[3])r) - 1e-4) < 1e-12, "relative volume %g",
         sf_lattice_relative_volume((const double(*)[3])r));
  /* the same sliver handed straight to sf_cell_finish (as relax or the campaign do) */
  const double x1[1][3] = {{0, 0, 0}};
  sf_cell c;
  int rc = make_cell(r, 1, x1, 12, 2, &c);
  EXPECT(rc == SF_ERR_INPUT && strstr(sf_error_message(), "nearly coplanar"), "sliver cell: rc %d '%s'", rc,
         sf_error_message());
  sf_cell_free(&c);
  sf_error_reset();

  /* a 0.001 Bohr cube: 1e9 images within 0.5 Bohr, refused before searching them */
  double tiny[3][3] = {{1e-3, 0, 0}, {0, 1e-3, 0}, {0, 0, 1e-3}};
  rc = make_cell(tiny, 1, x1, 12, 2, &c);
  EXPECT(rc == SF_ERR_INPUT && strstr(sf_error_message(), "too small"), "tiny cell: rc %d '%s'", rc, sf_error_message());
  sf_cell_free(&c);
  sf_error_reset();
  /* a 1 x 1 x 1e9 Bohr needle: Ewald would need 1.6e8 real-space points */
  double needle[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1e9}};
  EXPECT(sf_cell_alloc(&c, 1, 1) == 0, "alloc");
  memcpy(c.rprimd, needle, sizeof needle);
  c.zion[0] = 2;
  EXPECT(sf_cell_finish(&c, 0.0) == 0, "needle cell finish: '%s'", sf_error_message());
  double e;
  rc = sf_ewald(&c, &e, NULL, NULL);
  EXPECT(rc == SF_ERR_INPUT && strstr(sf_error_message(), "Ewald"), "needle Ewald: rc %d '%s'", rc, sf_error_message());
  sf_cell_free(&c);
  sf_error_reset();
  /* a 400^3 k-point mesh (6.4e7 points) */
  sf_symmetry id;
  sf_symmetry_identity(&id);
  sf_kpoints kp;
  const double sh[1][3] = {{0, 0, 0}};
  rc = sf_kpoints_monkhorst_pack(&id, (const int[3]){400, 400, 400}, 1, sh, 1, &kp);
  EXPECT(rc == SF_ERR_INPUT && strstr(sf_error_message(), "k-point mesh"), "huge k mesh: rc %d '%s'", rc,
         sf_error_message());
  sf_kpoints_free(&kp);
  sf_error_reset();

  /* accepted: rhombohedral 60 60 60 (relative volume 1/sqrt 2) and the extremes of the
   * campaigns' default strain box (lambda 0.9..1.1, theta 84..96 deg) */
  const double rh[3] = {60, 60, 60};
  EXPECT(sf_lattice_from_angdeg(mg_acell, rh, r) == 0, "angdeg 60 60 60: '%s'", sf_error_message());
  EXPECT(fabs(sf_lattice_relative_volume((const double(*)[3])r) - sqrt(0.5)) < 1e-12, "60 60 60 relative volume");
  rc = make_cell(r, 4, mg_xred, 12, 2, &c);
  EXPECT(rc == 0 && sf_ewald(&c, &e, NULL, NULL) == 0, "60 60 60 cell: '%s'", sf_error_message());
  sf_cell_free(&c);
  const double ext[2][6] = {{0.9, 1.1, 0.9, 84, 96, 84}, {1.1, 0.9, 1.1, 96, 84, 96}};
  sf_lattice_from_rprim(mg_acell, (const double[9]){1, 0, 0, 0, 1, 0, 0, 0, 1}, ref);
  for (int k = 0; k < 2; k++) {
    sf_error_reset();
    rc = sf_lattice_from_strain(ref, ext[k], r);
    if (!rc) rc = make_cell(r, 4, mg_xred, 12, 2, &c);
    if (!rc) rc = sf_ewald(&c, &e, NULL, NULL);
    EXPECT(rc == 0, "campaign extreme %d refused: '%s'", k, sf_error_message());
    sf_cell_free(&c);
  }
  sf_error_reset();
}

/* Every point of a is a point of b modulo the reciprocal lattice, and the counts agree. */
static int same_point_set(const sf_kpoints *a, const sf_kpoints *b)
{
  if (a->nkpt != b->nkpt) return 0;
  for (int i = 0; i < a->nkpt; i++) {
    int found = 0;
    for (int j = 0; j < b->nkpt && !found; j++) {
      double d = 0;
      for (int x = 0; x < 3; x++) {
        double u = a->kred[i][x] - b->kred[j][x];
        d += fabs(u - nearbyint(u));
      }
      found = d < 1e-9;
    }
    if (!found) return 0;
  }
  return 1;
}

/* kptrlatt without symmetry: diag(ngkpt) is the ngkpt mesh point by point; K and K U
 * (U unimodular, shift U^T s) are the same superlattice, hence the same points, whatever
 * the sign of det U; ABINIT's kptrlatt rewrite of the fcc four-shift mesh (4 -4 4 / -4 4 4 /
 * -4 -4 4, one shift 0.5 0.5 0.5) is the ngkpt 4 mesh with the four fcc shifts. */
static void test_kptrlatt(void)
{
  sf_symmetry none;
  sf_symmetry_identity(&none);
  sf_kpoints a, b;
  const int ng[3] = {3, 4, 2}, D[3][3] = {{3, 0, 0}, {0, 4, 0}, {0, 0, 2}};
  const double s1[1][3] = {{0.5, 0, 0.5}};
  EXPECT(sf_kpoints_monkhorst_pack(&none, ng, 1, s1, 0, &a) == 0 && sf_kpoints_kptrlatt(&none, D, 1, s1, 0, &b) == 0,
         "diagonal kptrlatt: '%s'", sf_error_message());
  int same = a.nkpt == b.nkpt && a.nkpt == 24;
  for (int i = 0; same && i < a.nkpt; i++) same = !memcmp(a.kred[i], b.kred[i], sizeof a.kred[i]);
  EXPECT(same, "diag(3,4,2) kptrlatt differs from ngkpt 3 4 2 (%d vs %d points)", b.nkpt, a.nkpt);
  sf_kpoints_free(&a);
  sf_kpoints_free(&b);

  /* ABINIT's kptrlatt 2 1 0  0 3 0  1 0 2 (a column per triple), |det| 12 */
  const int K[3][3] = {{2, 0, 1}, {1, 3, 0}, {0, 0, 2}};
  const int U[2][3][3] = {{{1, 1, 0}, {0, 1, 0}, {-1, 0, 1}}, {{0, 1, 0}, {1, 0, 0}, {2, 3, 1}}}; /* det 1, -1 */
  const double s[1][3] = {{0.5, 0, 0}};
  EXPECT(sf_kpoints_kptrlatt(&none, K, 1, s, 0, &a) == 0 && a.nkpt == 12, "skew kptrlatt: %d points", a.nkpt);
  for (int u = 0; u < 2; u++) {
    int KU[3][3];
    double su[1][3];
    for (int i = 0; i < 3; i++) {
      su[0][i] = 0;
      for (int j = 0; j < 3; j++) {
        KU[i][j] = K[i][0] * U[u][0][j] + K[i][1] * U[u][1][j] + K[i][2] * U[u][2][j];
        su[0][i] += U[u][j][i] * s[0][j];
      }
    }
    EXPECT(sf_kpoints_kptrlatt(&none, (const int(*)[3])KU, 1, (const double(*)[3])su, 0, &b) == 0 &&
               same_point_set(&a, &b),
           "kptrlatt K U (U %d) is not the mesh of K (%d points)", u, b.nkpt);
    sf_kpoints_free(&b);
  }
  sf_kpoints_free(&a);

  const int F[3][3] = {{4, -4, -4}, {-4, 4, -4}, {4, 4, 4}};
  const double h[1][3] = {{0.5, 0.5, 0.5}}, s4[4][3] = {{0.5, 0.5, 0.5}, {0.5, 0, 0}, {0, 0.5, 0}, {0, 0, 0.5}};
  EXPECT(sf_kpoints_kptrlatt(&none, F, 1, h, 0, &a) == 0 &&
             sf_kpoints_monkhorst_pack(&none, (const int[3]){4, 4, 4}, 4, s4, 0, &b) == 0 && same_point_set(&a, &b),
         "fcc kptrlatt rewrite: %d points vs %d of the four-shift mesh", a.nkpt, b.nkpt);
  sf_kpoints_free(&a);
  sf_kpoints_free(&b);

  EXPECT(sf_kpoints_kptrlatt(&none, (const int[3][3]){{1, 1, 0}, {1, 1, 0}, {0, 0, 2}}, 1, s, 0, &a) == SF_ERR_INPUT &&
             strstr(sf_error_message(), "singular"),
         "singular kptrlatt: '%s'", sf_error_message());
  sf_kpoints_free(&a);
  sf_error_reset();
}

int main(void)
{
  test_lattice();
  test_cell_refusals();
  test_kpoints_ewald();
  test_kptrlatt();
  test_fd();
  printf("test_crystal: %d failures\n", failures);
  return failures != 0;
}
