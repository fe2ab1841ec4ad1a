/* input.c — the options of a ground-state calculation (ABINIT's names and units) turned
 * into a cell, pseudopotentials and SCF parameters.  Every check that can be made before
 * any physics runs is made here, with the option named in the message. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/options.h"
#include "strainfield/smearing.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define REJECT_IF SF_OPT_REJECT_IF

/* Upper bounds of the counts, far above any calculation this code is for (the paper's
 * Mg cell: a 48x80x80 box, 12x12x12 k-points, 20 bands) but low enough that every size
 * derived from them fits its integer type and no allocation is absurd: */
#define MAX_FFT_POINTS (1 << 28) /* 4 GB per complex array; box indices are int */
#define MAX_NGFFT_1D (1 << 20)
#define MAX_NGKPT_1D 1000
#define MAX_KPOINTS (1 << 20)    /* k-points of the full mesh, before symmetry */
#define MAX_NBAND 15000          /* the 3·nband Rayleigh-Ritz matrices stay < 2^31 entries
                                  * (LAPACK/ScaLAPACK index them with int) */
#define MAX_NSTEP 100000         /* the SCF history arrays have nstep entries */
#define MAX_EIG_ITER 1000

/* The crystal module's lattice messages say what is wrong; put the option in front. */
static int with_option(int st, const char *option)
{
  if (!st) return SF_OK;
  char why[1024];
  snprintf(why, sizeof why, "%s", sf_error_message());
  sf_error_reset();
  return sf_error_set(st, __FILE__, __LINE__, __func__, "%s: %s", option, why);
}

static int read_cell(sf_input *in)
{
  double acell[3] = {1, 1, 1}, rprim[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, angdeg[3], D[6];
  int n, set_rprim, set_angdeg, set_D;
  SF_CHECK(sf_opt_real_array("-acell", 3, 3, acell, 3, "cell lengths (Bohr), scale the rprim vectors", acell, &n, NULL));
  SF_CHECK(sf_opt_real_array("-rprim", 9, 9, rprim, 9, "primitive vectors, vector 1 first (dimensionless)", rprim, &n, &set_rprim));
  SF_CHECK(sf_opt_real_array("-angdeg", 3, 3, NULL, 0, "angles (deg) between b,c / a,c / a,b; replaces -rprim", angdeg, &n, &set_angdeg));
  SF_CHECK(sf_opt_real_array("-strain_D", 6, 6, NULL, 0, "deformation la,lb,lc,tha,thb,thc (deg) of the -acell/-rprim reference cell", D, &n, &set_D));
  double znucl[SF_MAXTYPAT], xred[3 * SF_MAXATOM];
  int typat[SF_MAXATOM], ntypat, nx, nt, natom_opt, set_natom, set_typat;
  SF_CHECK(sf_opt_real_array("-znucl", SF_MAXTYPAT, 0, NULL, 0, "nuclear charge of each atom type", znucl, &ntypat, NULL));
  SF_CHECK(sf_opt_real_array("-xred", 3 * SF_MAXATOM, 0, NULL, 0, "reduced atom positions, 3 per atom", xred, &nx, NULL));
  int ntypat_opt, set_ntypat;
  SF_CHECK(sf_opt_int_range("-ntypat", 0, 1, SF_MAXTYPAT, "number of atom types (default: from -znucl)", &ntypat_opt, &set_ntypat));
  SF_CHECK(sf_opt_int_range("-natom", 0, 1, SF_MAXATOM, "number of atoms (default: from -xred)", &natom_opt, &set_natom));
  SF_CHECK(sf_opt_int_array_range("-typat", SF_MAXATOM, 0, NULL, 0, 1, SF_MAXTYPAT, "type (1-based) of each atom; default all 1", typat, &nt, &set_typat));
  SF_CHECK(sf_opt_string_array("-pseudos", SF_MAXTYPAT, "pseudopotential file of each type (pspcod 1, 5, 8)", in->psp_paths, &in->npsp, NULL));
  char pp_dirpath[1024], origin[1024], name[1024];
  SF_CHECK(sf_opt_string("-pp_dirpath", "", "folder for relative -pseudos names, searched after the options file's "
                         "own folder and before strainfield's data/psp and /usr/share/abinit/psp", pp_dirpath, sizeof pp_dirpath, NULL));
  if (sf_options_help_requested()) return SF_OK;
  /* from here on psp_paths are absolute: what every output records */
  SF_CHECK(sf_options_origin_folder("-pseudos", origin, sizeof origin));
  for (int t = 0; t < in->npsp; t++) {
    snprintf(name, sizeof name, "%s", in->psp_paths[t]);
    SF_CHECK(sf_psp_find(name, origin, pp_dirpath, in->psp_paths[t], sizeof in->psp_paths[t]));
  }
  REJECT_IF(set_rprim && set_angdeg, "give -rprim or -angdeg, not both");
  double rprimd[3][3];
  for (int i = 0; i < 3; i++) REJECT_IF(!(acell[i] > 0.0), "-acell: component %d = %g must be positive", i + 1, acell[i]);
  if (set_angdeg) SF_CHECK(with_option(sf_lattice_from_angdeg(acell, angdeg, rprimd), "-angdeg"));
  else SF_CHECK(with_option(sf_lattice_from_rprim(acell, rprim, rprimd), "-rprim"));
  if (set_D) {
    for (int i = 0; i < 3; i++)
      REJECT_IF(!(D[i] > 0.0), "-strain_D: stretch %d = %g must be positive", i + 1, D[i]);
    for (int i = 3; i < 6; i++)
      REJECT_IF(!(D[i] > 0.0 && D[i] < 180.0), "-strain_D: angle %d = %g deg must be in (0, 180)", i - 2, D[i]);
    double ref[3][3];
    memcpy(ref, rprimd, sizeof ref);
    SF_CHECK(with_option(sf_lattice_from_strain(ref, D, rprimd), "-strain_D"));
  }

  SF_CHECK(sf_opt_required("-znucl", ntypat > 0, "one nuclear charge per atom type"));
  REJECT_IF(set_ntypat && ntypat_opt != ntypat, "-ntypat %d disagrees with the %d entries of -znucl", ntypat_opt, ntypat);
  SF_CHECK(sf_opt_required("-xred", nx > 0, "reduced atom positions, 3 per atom"));
  REJECT_IF(nx % 3, "-xred needs 3 numbers per atom, got %d", nx);
  int natom = nx / 3;
  REJECT_IF(set_natom && natom_opt != natom, "-natom %d disagrees with the %d atoms of -xred", natom_opt, natom);
  if (!set_typat) { for (int i = 0; i < natom; i++) typat[i] = 1; nt = natom; }
  REJECT_IF(nt != natom, "-typat has %d entries for %d atoms", nt, natom);
  SF_CHECK(sf_opt_required("-pseudos", in->npsp > 0, "one pseudopotential file per atom type"));
  REJECT_IF(in->npsp != ntypat, "-pseudos has %d files for %d atom types (-znucl)", in->npsp, ntypat);
  SF_CHECK(sf_cell_alloc(&in->cell, natom, ntypat));
  memcpy(in->cell.rprimd, rprimd, sizeof rprimd);
  for (int i = 0; i < natom; i++) {
    REJECT_IF(typat[i] < 1 || typat[i] > ntypat, "-typat: atom %d has type %d, outside 1..%d", i + 1, typat[i], ntypat);
    in->cell.typat[i] = typat[i] - 1;
    for (int c = 0; c < 3; c++) in->cell.xred[i][c] = xred[3 * i + c];
  }
  for (int t = 0; t < ntypat; t++) in->cell.znucl[t] = znucl[t];
  SF_CHECK(sf_cell_finish(&in->cell, 0.5));
  return SF_OK;
}

/* Points of the FFT box that sf_fftbox_default_size would choose for ecut and boxcut,
 * n_i = ceil(boxcut sqrt(2 ecut) |a_i| / pi), before its 2-3-5 rounding (a few percent);
 * in double precision, so a huge ecut cannot wrap. */
static double box_points_for_ecut(const sf_cell *cell, double ecut, double boxcut)
{
  double n = 1.0;
  for (int i = 0; i < 3; i++) {
    const double *a = cell->rprimd[i];
    n *= ceil(boxcut * sqrt(2.0 * ecut) * sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]) / M_PI);
  }
  return n;
}

/* The FFT box and the k-point mesh are products of option values: checked here in double
 * precision, before any int product can wrap (a wrapped -ngfft product used to surface as
 * "out of memory allocating 18446744071562067974 x 8 bytes"). */
static int check_sizes(const sf_input *in, const sf_scf_params *p)
{
  int zero = 0, positive = 0;
  for (int i = 0; i < 3; i++) zero += p->ngfft[i] == 0, positive += p->ngfft[i] > 0;
  REJECT_IF(zero && positive, "-ngfft %d,%d,%d: give three positive sizes, or 0,0,0 for the automatic box", p->ngfft[0],
            p->ngfft[1], p->ngfft[2]);
  double nfft = positive ? 1.0 : box_points_for_ecut(&in->cell, p->ecut, 2.0), nk = 1.0;
  for (int i = 0; i < 3; i++) {
    if (positive) nfft *= p->ngfft[i];
    nk *= p->ngkpt[i];
  }
  if (positive)
    REJECT_IF(nfft > MAX_FFT_POINTS, "-ngfft %d,%d,%d: the FFT box of %.3g points is too large (at most %d)", p->ngfft[0],
              p->ngfft[1], p->ngfft[2], nfft, MAX_FFT_POINTS);
  else
    REJECT_IF(nfft > MAX_FFT_POINTS, "-ecut %g: its automatic FFT box of about %.3g points is too large (at most %d); lower -ecut",
              p->ecut, nfft, MAX_FFT_POINTS);
  nk *= p->nshiftk;
  char with[40] = "";
  if (p->nshiftk > 1) snprintf(with, sizeof with, " with -nshiftk %d", p->nshiftk);
  const int(*K)[3] = (const int(*)[3])p->kptrlatt;
  double det = 0;
  for (int j = 0; j < 3; j++)
    det += K[0][j] * ((double)K[1][(j + 1) % 3] * K[2][(j + 2) % 3] - (double)K[1][(j + 2) % 3] * K[2][(j + 1) % 3]);
  if (sf_scf_params_has_kptrlatt(p)) {
    REJECT_IF(det == 0, "-kptrlatt is singular (determinant 0)");
    REJECT_IF(fabs(det) * p->nshiftk > MAX_KPOINTS, "-kptrlatt%s: the mesh of %.3g k-points is too large (at most %d)",
              with, fabs(det) * p->nshiftk, MAX_KPOINTS);
    return SF_OK;
  }
  REJECT_IF(nk > MAX_KPOINTS, "-ngkpt %d,%d,%d%s: the mesh of %.3g k-points is too large (at most %d)", p->ngkpt[0],
            p->ngkpt[1], p->ngkpt[2], with, nk, MAX_KPOINTS);
  return SF_OK;
}

static int read_scf_params(sf_input *in, double nelect)
{
  sf_scf_params *p = &in->scf;
  int n, set;
  SF_CHECK(sf_opt_real("-ecut", 0.0, "plane-wave kinetic energy cutoff (Ha); required", &p->ecut, &set));
  SF_CHECK(sf_opt_required("-ecut", set, "the plane-wave cutoff, Ha"));
  REJECT_IF(p->ecut <= 0, "-ecut %g must be positive (Ha)", p->ecut);
  SF_CHECK(sf_opt_real("-ecutsm", 0.0, "kinetic energy smoothing width below ecut (Ha)", &p->ecutsm, NULL));
  REJECT_IF(p->ecutsm < 0 || p->ecutsm >= p->ecut, "-ecutsm %g must be in [0, ecut)", p->ecutsm);
  int zero3[3] = {0, 0, 0}, one3[3] = {1, 1, 1};
  SF_CHECK(sf_opt_int_array_range("-ngfft", 3, 3, zero3, 3, 0, MAX_NGFFT_1D, "FFT box (default, or 0,0,0: ABINIT's choice for ecut)",
                                  p->ngfft, &n, NULL));
  int set_ngkpt, set_kptrlatt, zero9[9] = {0};
  SF_CHECK(sf_opt_int_array_range("-ngkpt", 3, 3, one3, 3, 1, MAX_NGKPT_1D, "Monkhorst-Pack k-point mesh", p->ngkpt, &n,
                                  &set_ngkpt));
  /* ABINIT's order: the 9 values fill kptrlatt(1:3,1), then (1:3,2), (1:3,3): each triple is
   * one superlattice vector (a column) in units of the primitive vectors */
  int kl[9];
  SF_CHECK(sf_opt_int_array_range("-kptrlatt", 9, 9, zero9, 9, -MAX_NGKPT_1D, MAX_NGKPT_1D,
                                  "k-point lattice (ABINIT's kptrlatt, 9 integers, one column per triple); replaces -ngkpt",
                                  kl, &n, &set_kptrlatt));
  for (int i = 0; i < 9; i++) p->kptrlatt[i % 3][i / 3] = kl[i];
  /* A campaign's settings record replays every option with its resolved value, the unused
   * ones at their defaults (-kptrlatt all zero, -ngkpt 1,1,1): only two meshes that both say
   * something conflict. */
  const int ngkpt_default = p->ngkpt[0] == 1 && p->ngkpt[1] == 1 && p->ngkpt[2] == 1;
  REJECT_IF(set_ngkpt && !ngkpt_default && set_kptrlatt && sf_scf_params_has_kptrlatt(p),
            "give -ngkpt or -kptrlatt, not both");
  SF_CHECK(sf_opt_int_range("-nshiftk", 1, 1, SF_MAX_NSHIFTK, "number of shifts of the k mesh (ABINIT's nshiftk)", &p->nshiftk,
                            NULL));
  if (!sf_options_help_requested()) SF_CHECK(check_sizes(in, p));
  /* ABINIT's convention: nshiftk triples, the full mesh is the union of the shifted copies
   * (one copy per shift, in the order given).  The default 0.5,0.5,0.5 only for one shift. */
  double half3[3] = {0.5, 0.5, 0.5};
  SF_CHECK(sf_opt_real_array("-shiftk", 3 * SF_MAX_NSHIFTK, 0, half3, 3,
                             "shifts of the k mesh (ABINIT's shiftk): 3*nshiftk reduced values", &p->shiftk[0][0], &n,
                             &set));
  if (!sf_options_help_requested()) {
    REJECT_IF(p->nshiftk > 1 && !set, "-nshiftk %d needs -shiftk with %d values (3 per shift)", p->nshiftk,
              3 * p->nshiftk);
    REJECT_IF(n != 3 * p->nshiftk, "-shiftk has %d values but -nshiftk %d needs %d (3 per shift)", n, p->nshiftk,
              3 * p->nshiftk);
  }
  SF_CHECK(sf_opt_int("-occopt", 1, "occupations (ABINIT's occopt): 1 fixed, 3 Fermi-Dirac, 4 cold (Marzari a=-0.5634), 5 cold (a=-0.8165), 6 Methfessel-Paxton (1st order), 7 Gaussian", &p->occopt, NULL));
  REJECT_IF(!sf_smear_supported(p->occopt), "-occopt %d is not supported (" SF_OCCOPT_LIST ")", p->occopt);
  SF_CHECK(sf_opt_real("-tsmear", 0.01, "smearing width (Ha)", &p->tsmear, NULL));
  REJECT_IF(p->occopt != 1 && p->tsmear <= 0, "-tsmear must be positive with -occopt %d", p->occopt);
  int nocc = (int)ceil(nelect / 2.0 - 1e-9);
  int nband_def = p->occopt == 1 ? nocc : (int)fmax(nocc + 4, ceil(1.2 * nocc));
  SF_CHECK(sf_opt_int_range("-nband", nband_def, 1, MAX_NBAND, "number of bands (default: enough for the electrons plus margin)",
                            &p->nband, NULL));
  SF_CHECK(sf_opt_int("-ixc", 7, "exchange-correlation (ABINIT's ixc; spin-unpolarised): " SF_IXC_LIST, &p->ixc, NULL));
  if (!sf_options_help_requested()) { /* refuse a bad -ixc now, in one line naming it */
    sf_xc *xc = NULL;
    SF_CHECK(sf_xc_create(p->ixc, &xc));
    sf_xc_destroy(&xc);
  }
  SF_CHECK(sf_opt_real("-toldfe", 1e-10, "stop when |dF| < toldfe (Ha) twice in a row", &p->toldfe, NULL));
  SF_CHECK(sf_opt_real("-tolrho", 0.0, "or when the density residual integral|rho_out-rho_in| < tolrho (e); 0 = off", &p->tolrho, NULL));
  SF_CHECK(sf_opt_int_range("-nstep", 60, 1, MAX_NSTEP, "maximum SCF iterations", &p->nstep, NULL));
  SF_CHECK(sf_opt_bool("-nosym", 0, "ignore the space group (time reversal is still used)", &p->nosym, NULL));
  SF_CHECK(sf_opt_int_range("-eig_maxiter", 4, 1, MAX_EIG_ITER, "eigensolver (LOBPCG) iterations per SCF step", &p->eig_maxiter, NULL));
  SF_CHECK(sf_opt_int_range("-eig_maxiter_first", 6, 1, MAX_EIG_ITER, "eigensolver iterations in the first SCF step (random start)",
                      &p->eig_maxiter_first, NULL));
  SF_CHECK(sf_opt_real("-eig_tol", 1e-9, "eigensolver residual tolerance", &p->eig_tol, NULL));
  SF_CHECK(sf_opt_int_range("-mix_history", 8, 0, 100, "Pulay mixing history", &p->mix.history, NULL));
  SF_CHECK(sf_opt_real("-mix_alpha", 0.9, "mixing weight", &p->mix.alpha, NULL));
  SF_CHECK(sf_opt_real("-mix_kerker", 0.8, "Kerker wavevector q0 (1/Bohr); 0 disables", &p->mix.kerker_q0, NULL));
  SF_CHECK(sf_opt_int_range("-par_kpt_groups", 0, 0, INT_MAX, "number of k-point groups (0 = automatic)", &p->nkpt_groups, NULL));
  SF_CHECK(sf_opt_int_range("-par_band_groups", 0, 0, INT_MAX, "number of band groups per k-point group (0 = automatic)", &p->nband_groups, NULL));
  SF_CHECK(sf_opt_int_range("-slk_min_order", 240, 0, INT_MAX, "ranks sharing a k-point solve subspace problems of at least this order "
                      "(3 x nband) with ScaLAPACK; smaller ones with LAPACK on each rank", &p->slk_min_order, NULL));
  SF_CHECK(sf_opt_bool("-nl_keep", 0, "keep every k-point's nonlocal projectors in memory instead of rebuilding each "
                       "when it is used (faster by ~1%, memory grows with the number of k-points)", &p->nl_keep, NULL));
  return SF_OK;
}

int sf_input_read(sf_input *in)
{
  memset(in, 0, sizeof *in);
  SF_CHECK(read_cell(in));
  double ecut_hint = 0.0;
  /* the q tables must reach the density sphere: 2·sqrt(2 ecut), plus a margin */
  SF_CHECK(sf_opt_real("-ecut", 0.0, "plane-wave kinetic energy cutoff (Ha); required", &ecut_hint, NULL));
  /* any box must hold the plane-wave sphere (boxcut 1): refuse an impossible -ecut before
   * the pseudopotential tables are built up to its qmax (minutes for -ecut 1e6) */
  if (!sf_options_help_requested() && ecut_hint > 0) {
    double n = box_points_for_ecut(&in->cell, ecut_hint, 1.0);
    REJECT_IF(n > MAX_FFT_POINTS, "-ecut %g: even the smallest FFT box holding its plane waves has about %.3g points "
              "(at most %d); lower -ecut", ecut_hint, n, MAX_FFT_POINTS);
  }
  double qmax = 2.0 * sqrt(2.0 * (ecut_hint > 0 ? ecut_hint : 1.0)) * 1.2 + 1.0;
  double nelect = 0.0;
  for (int t = 0; t < in->npsp && !sf_options_help_requested(); t++) {
    SF_CHECK(sf_psp_read(in->psp_paths[t], qmax, &in->psps[t]));
    if (fabs(in->psps[t].zatom - in->cell.znucl[t]) > 1e-6)
      SF_ERROR(SF_ERR_INPUT, "-pseudos: %s is for Z = %g but -znucl gives %g for type %d", in->psp_paths[t],
               in->psps[t].zatom, in->cell.znucl[t], t + 1);
    in->cell.zion[t] = in->psps[t].zion;
  }
  for (int i = 0; i < in->cell.natom; i++) nelect += in->cell.zion[in->cell.typat[i]];
  SF_CHECK(read_scf_params(in, nelect));
  int set;
  SF_CHECK(sf_opt_string("-summary", "", "write the summary JSON here", in->summary, sizeof in->summary, &set));
  in->have_summary = set && in->summary[0];
  SF_CHECK(sf_opt_string("-fields", "", "write rho, phi, u, s (HDF5) here", in->fields, sizeof in->fields, &set));
  in->have_fields = set && in->fields[0];
  return SF_OK;
}

void sf_input_warn(const sf_input *in)
{
  for (int t = 0; t < in->npsp && !sf_options_help_requested(); t++) sf_psp_warn_xc(&in->psps[t], in->scf.ixc);
}

int sf_input_read_relax(sf_relax_params *rp)
{
  SF_CHECK(sf_opt_real("-tolmxf", 5e-6, "stop a relaxation when max |force| <= tolmxf (Ha/Bohr)", &rp->tolmxf, NULL));
  SF_CHECK(sf_opt_int("-ntime", 60, "maximum number of ionic steps of a relaxation", &rp->ntime, NULL));
  REJECT_IF(!(rp->tolmxf > 0), "-tolmxf %g must be positive", rp->tolmxf);
  REJECT_IF(rp->ntime < 1, "-ntime %d must be >= 1", rp->ntime);
  SF_CHECK(sf_opt_real("-relax_hessian0", SF_RELAX_HESSIAN0, "the BFGS's initial Hessian, a force constant "
                       "(Ha/Bohr^2) times the identity: its first step is force/relax_hessian0", &rp->hessian0, NULL));
  REJECT_IF(!(rp->hessian0 > 0), "-relax_hessian0 %g must be positive (Ha/Bohr^2)", rp->hessian0);
  return SF_OK;
}

void sf_input_free(sf_input *in)
{
  for (int t = 0; t < in->npsp; t++) sf_psp_free(&in->psps[t]);
  sf_cell_free(&in->cell);
}
