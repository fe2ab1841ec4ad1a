/* props_testlib.h — shared by test_forces.c and test_stress.c: the distorted Mg cells,
 * one converged SCF (optionally warm-started from a previous state on the same grid),
 * and the EXPECT idiom.  Header-only so each test stays one executable. */
#ifndef SF_PROPS_TESTLIB_H
#define SF_PROPS_TESTLIB_H

#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/props.h"
#include "strainfield/scf.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

/* HCP Mg in the 4-atom orthohexagonal cell, sheared (angdeg 92 87 89), scaled by 0.98
 * and with every atom pushed ~0.01 off its site so that no symmetry is left. */
static const double mg_xred[4][3] = {{0.0100, -0.0060, 0.0080},
                                     {0.4930, 0.5070, -0.0050},
                                     {0.0040, 0.6666666666666666 + 0.0090, 0.4910},
                                     {0.5080, 0.1666666666666666 - 0.0070, 0.5060}};

static int mg_cell(sf_cell *cell, const double rprimd[3][3], const double xred[4][3], double zion)
{
  SF_CHECK(sf_cell_alloc(cell, 4, 1));
  memcpy(cell->rprimd, rprimd, sizeof cell->rprimd);
  for (int a = 0; a < 4; a++) {
    cell->typat[a] = 0;
    memcpy(cell->xred[a], xred[a], sizeof cell->xred[a]);
  }
  cell->znucl[0] = 12;
  cell->zion[0] = zion;
  SF_CHECK(sf_cell_finish(cell, 0.5));
  return SF_OK;
}

static void mg_rprimd(double rprimd[3][3])
{
  const double acell[3] = {6.0646 * 0.98, 10.5042 * 0.98, 9.8477 * 0.98}, ang[3] = {92, 87, 89};
  sf_lattice_from_angdeg(acell, ang, rprimd);
}

/* The functional of every calculation of the helpers below (the GGA checks set 11, PBE). */
static int props_ixc = 7;

static sf_scf_params mg_params(double ecut, double ecutsm, const int ngfft[3])
{
  sf_scf_params p;
  memset(&p, 0, sizeof p);
  p.ecut = ecut;
  p.ecutsm = ecutsm;
  memcpy(p.ngfft, ngfft, sizeof p.ngfft);
  p.ngkpt[0] = p.ngkpt[1] = p.ngkpt[2] = 1;
  p.nshiftk = 1;
  p.shiftk[0][0] = p.shiftk[0][1] = p.shiftk[0][2] = 0.5;
  p.nband = 8;
  p.occopt = 4;
  p.tsmear = 0.01;
  p.ixc = props_ixc;
  p.toldfe = 1e-13;
  p.nstep = 100;
  p.eig_maxiter = 4;
  p.eig_tol = 1e-10;
  p.mix.history = 8;
  p.mix.alpha = 0.7;
  p.mix.kerker_q0 = 0.8;
  return p;
}

/* Sets up and converges s; when warm is non-NULL and has the same bases, starts from its
 * wavefunctions and density (the finite differences move the state only slightly). */
static int run_scf(sf_scf *s, const sf_scf_params *p, const sf_cell *cell, const sf_psp *psp, const sf_scf *warm)
{
  SF_CHECK(sf_scf_setup(s, p, cell, psp, MPI_COMM_WORLD));
  if (warm && warm->nk_local == s->nk_local && warm->box.nfft == s->box.nfft) {
    int same = 1;
    for (int j = 0; j < s->nk_local; j++)
      if (warm->pw[j].npw != s->pw[j].npw ||
          memcmp(warm->pw[j].g, s->pw[j].g, sizeof(int) * 3 * (size_t)s->pw[j].npw))
        same = 0;
    if (same) {
      for (int j = 0; j < s->nk_local; j++)
        memcpy(s->psi[j], warm->psi[j], sizeof(double complex) * (size_t)p->nband * s->pw[j].npw);
      memcpy(s->rho_r, warm->rho_r, sizeof(double) * s->box.nfft);
      memcpy(s->rho_g, warm->rho_g, sizeof(double complex) * s->box.nfft);
      s->iterations = 1; /* sf_scf_run then keeps ρ instead of the uniform start */
    }
  }
  SF_CHECK(sf_scf_run(s));
  return SF_OK;
}

/* A box with room: ABINIT's rule with boxcutmin 2.3, so the density sphere stays inside
 * the box (and gcut_dens = 2·sqrt(2 ecut) stays fixed) under the small strains used. */
static int roomy_ngfft(const double rprimd[3][3], double ecut, int n[3])
{
  sf_cell c;
  SF_CHECK(mg_cell(&c, rprimd, mg_xred, 2.0));
  int st = sf_fftbox_default_size(&c, NULL, ecut, 2.3, n);
  sf_cell_free(&c);
  return st;
}

/* Reads the pseudopotential at path and converges the distorted Mg cell with it, ecut and
 * ecutsm, on the roomy box n; the parameters used are in *p.  The caller frees s, c, psp. */
static inline int mg_converged(const char *path, double ecut, double ecutsm, sf_psp *psp, sf_cell *c, sf_scf_params *p,
                               int n[3], sf_scf *s)
{
  double r[3][3];
  SF_CHECK(sf_psp_read(path, 2.4 * sqrt(2.0 * ecut) + 1.0, psp));
  mg_rprimd(r);
  SF_CHECK(roomy_ngfft(r, ecut, n));
  *p = mg_params(ecut, ecutsm, n);
  SF_CHECK(mg_cell(c, r, mg_xred, psp->zion));
  SF_CHECK(run_scf(s, p, c, psp, NULL));
  return SF_OK;
}

static inline void mg_free(sf_scf *s, sf_cell *c, sf_psp *psp)
{
  sf_scf_free(s);
  sf_cell_free(c);
  sf_psp_free(psp);
}

/* The start and the end of a unit test's main. */
static inline void props_test_begin(int *argc, char ***argv)
{
  MPI_Init(argc, argv);
  sf_log_set_level(0);
}

static inline int props_test_end(const char *name)
{
  printf("%s: %d failures\n", name, failures);
  MPI_Finalize();
  return failures ? 1 : 0;
}

/* ABINIT's case tests/abinit/cases/mg4_strained_{psp5,psp1} with the atoms of mg_xred
 * (i.e. pushed off the HCP sites): ecut 12, ecutsm 0.5, ngfft 20 32 32, 2x2x2 shifted
 * mesh, nband 20, occopt 4, tsmear 0.01, ixc 7.  Converges s (caller frees s and c). */
static inline int abinit_case_scf(sf_scf *s, sf_cell *c, const sf_psp *psp)
{
  const double acell[3] = {5.88023616, 9.70272954, 9.75513162}, ang[3] = {92.1598, 85.6196, 87.3824};
  const int n[3] = {20, 32, 32};
  double r[3][3];
  SF_CHECK(sf_lattice_from_angdeg(acell, ang, r));
  SF_CHECK(mg_cell(c, r, mg_xred, psp->zion));
  sf_scf_params p = mg_params(12.0, 0.5, n);
  p.ngkpt[0] = p.ngkpt[1] = p.ngkpt[2] = 2;
  p.nband = 20;
  SF_CHECK(run_scf(s, &p, c, psp, NULL));
  return SF_OK;
}

/* ABINIT 9.6.2 (Debian package, serial), run by hand on the case of abinit_case_scf with
 * "optforces 1 optstress 1 toldfe 1e-12 nband 22" (two buffer bands as the lead's
 * harness), numbers copied from run.abo: "cartesian forces (hartree/bohr) at end" (ABINIT
 * removes the mean force; its printed avg is < 1e-10), "Cartesian components of stress
 * tensor (hartree/bohr^3)" (order here xx yy zz yz xz xy), total_energy. */
typedef struct {
  const char *psp;
  double etotal, fcart[4][3], stress[6];
} abinit_ref;
static const abinit_ref abinit_refs[2] = {
    {SF_DATA_PSP_DIR "/mg.pseu",
     -3.62314244324781,
     {{-0.00080341074310, 0.00873420503361, -0.00273398505205},
      {0.00351942162412, -0.00868439409540, -0.00195584682263},
      {-0.00059634879240, -0.00979817802417, 0.00343043007996},
      {-0.00211966208862, 0.00974836708597, 0.00125940179472}},
     {4.49872390E-04, -3.69448068E-04, -1.92336643E-04, -8.48262993E-05, 1.14167461E-04, 8.18165704E-05}},
    {SF_PSP_DIR "/12mg.pspnc",
     -4.42831508954380,
     {{-0.00079967380366, 0.00917452560710, -0.00292504899772},
      {0.00369432454890, -0.00889335995604, -0.00200427538388},
      {-0.00066795682861, -0.01028411517919, 0.00366567777435},
      {-0.00222669391664, 0.01000294952813, 0.00126364660725}},
     {4.18721564E-04, -4.10166812E-04, -2.31065627E-04, -8.58235105E-05, 1.15261185E-04, 8.47959621E-05}},
};

#endif
