/* cmd_scf.c — `strainfield scf` and `strainfield relax`: one ground state (relaxed or
 * not), with forces, stress, the summary JSON and the fields file. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/options.h"
#include "strainfield/output.h"
#include "strainfield/props.h"
#include "strainfield/relax.h"

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static void print_energies(const sf_scf *s)
{
  const sf_energies *E = &s->E;
  sf_log(1, "\n  Components of total free energy (Ha):\n");
  for (int t = 0; t < SF_NTERM; t++) sf_log(1, "    %-16s %20.12f\n", sf_term_names[t], E->term[t]);
  sf_log(1, "    internal         %20.12f\n    entropy_term     %20.12f\n", E->internal, E->entropy_term);
  sf_log(1, "    free_energy      %20.12f\n    band (U)         %20.12f\n    fermi_energy     %20.12f\n", E->free, E->band, s->fermi);
}

static void print_forces_stress(const sf_cell *cell, double (*f)[3], double st[3][3])
{
  sf_log(1, "\n  Cartesian forces (Ha/Bohr):\n");
  for (int a = 0; a < cell->natom; a++) sf_log(1, "    %3d %18.10f %18.10f %18.10f\n", a + 1, f[a][0], f[a][1], f[a][2]);
  sf_log(1, "  Stress tensor (Ha/Bohr^3):\n");
  for (int i = 0; i < 3; i++) sf_log(1, "    %18.10e %18.10e %18.10e\n", st[i][0], st[i][1], st[i][2]);
}

/* -summary and -fields checked before the SCF: not a pseudopotential or options file,
 * in a writable folder (a missing one used to be found after the ground state). */
static int check_outputs(const sf_input *in)
{
  sf_path_input psp[SF_MAXTYPAT];
  for (int t = 0; t < in->npsp; t++) psp[t] = (sf_path_input){"-pseudos", in->psp_paths[t]};
  const sf_path_input out[] = {{"-summary", in->have_summary ? in->summary : NULL},
                               {"-fields", in->have_fields ? in->fields : NULL}};
  SF_CHECK(sf_check_outputs(out, 2, psp, in->npsp));
  return SF_OK;
}

/* The options of relax: the cell degrees of freedom, the uniaxial load and the stopping
 * rules of the atomic relaxation. */
static int read_relax_opts(int *uniaxial, sf_relax_params *rp, sf_uniaxial_params *up)
{
  char mode[32];
  SF_CHECK(sf_opt_string("-relax_cell", "none", "cell degrees of freedom: none (atoms only) or uniaxial", mode,
                         sizeof mode, NULL));
  if (!strcmp(mode, "uniaxial")) *uniaxial = 1;
  else if (strcmp(mode, "none")) SF_ERROR(SF_ERR_INPUT, "-relax_cell '%s': expected none or uniaxial", mode);
  int dir1 = 2;
  SF_CHECK(sf_opt_int("-uniaxial_dir", 2, "uniaxial: the loaded direction i (1, 2, 3); eps_ii is prescribed", &dir1, NULL));
  SF_CHECK(sf_opt_real("-uniaxial_strain", 0.0, "uniaxial: eps_ii relative to the input cell", &up->strain, NULL));
  SF_CHECK(sf_opt_real("-tolstress", 1e-7, "uniaxial: stop when the five relaxed stress components <= tolstress (Ha/Bohr^3)", &up->tolstress, NULL));
  SF_CHECK(sf_opt_int("-ncell_steps", 30, "uniaxial: maximum strain iterations", &up->ncell_steps, NULL));
  int nst;
  const double zero6[6] = {0};
  SF_CHECK(sf_opt_real_array("-uniaxial_strtarget", 6, 6, zero6, 6,
                             "uniaxial: Voigt target (11,22,33,23,13,12, Ha/Bohr^3) of the five relaxed components: "
                             "(1/V) dF/de_v = (V0/V) s_v at the end (e.g. the reference cell's residual stress)",
                             up->strtarget, &nst, NULL));
  SF_CHECK(sf_opt_passthrough("-tao_", "PETSc TAO options of the atomic relaxation"));
  SF_CHECK(sf_opt_passthrough("-cell_tao_", "PETSc TAO options of the uniaxial strain relaxation"));
  if (dir1 < 1 || dir1 > 3) SF_ERROR(SF_ERR_INPUT, "-uniaxial_dir %d must be 1, 2 or 3", dir1);
  up->dir = dir1 - 1;
  SF_CHECK(sf_opt_real("-tolmxf", 5e-6, "stop the relaxation when max |force| <= tolmxf (Ha/Bohr)", &rp->tolmxf, NULL));
  SF_CHECK(sf_opt_int("-ntime", 60, "maximum number of ionic steps", &rp->ntime, NULL));
  if (!(rp->tolmxf > 0)) SF_ERROR(SF_ERR_INPUT, "-tolmxf %g must be positive", rp->tolmxf);
  if (rp->ntime < 1) SF_ERROR(SF_ERR_INPUT, "-ntime %d must be >= 1", rp->ntime);
  return SF_OK;
}

/* -fields: the four fields of the converged state (collective; rank 0 writes). */
static int write_fields_output(sf_scf *s, const sf_input *in)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  double *f[4] = {NULL, NULL, NULL, NULL};
  for (int i = 0; i < 4; i++) st = st ? st : sf_calloc((void **)&f[i], s->box.nfft, sizeof(double));
  SF_CHECK_GOTO(sf_status_agree(MPI_COMM_WORLD, st));
  SF_CHECK_GOTO(sf_scf_fields(s, f[0], f[1], f[2], f[3]));
  if (rank == 0) SF_CHECK_GOTO(sf_write_fields(in->fields, s, f[0], f[1], f[2], f[3]));
cleanup:
  for (int i = 0; i < 4; i++) sf_free(f[i]);
  return st;
}

/* Shared by scf and relax: relax != 0 moves the atoms first.  Returns the calculation's
 * status (SF_ERR_NOCONV after writing the outputs of an unconverged state). */
static int ground_state(int relax)
{
  sf_input in;
  sf_scf s;
  sf_relax_params rp = {5e-6, 60};
  sf_uniaxial_params up = {.dir = 1, .strain = 0.0, .tolstress = 1e-7, .ncell_steps = 30};
  sf_relax_result rr = {0};
  sf_uniaxial_result ur;
  double (*fcart)[3] = NULL, stress[3][3] = {{0}};
  int uniaxial = 0, have_s = 0, st = SF_OK, rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  SF_CHECK(sf_input_read(&in));
  if (relax) SF_CHECK_GOTO(read_relax_opts(&uniaxial, &rp, &up));
  SF_CHECK_GOTO(sf_options_finish());
  SF_CHECK_GOTO(check_outputs(&in));
  SF_CHECK_GOTO(sf_scf_setup(&s, &in.scf, &in.cell, in.psps, MPI_COMM_WORLD));
  have_s = 1;
  sf_log(1, "strainfield %s: %d atoms, %g electrons, %d k-points (%d symmetry ops), FFT %dx%dx%d, nband %d\n",
         relax ? "relax" : "scf", in.cell.natom, s.nelect, s.kp.nkpt, s.sym.nsym, s.box.n[0], s.box.n[1], s.box.n[2],
         in.scf.nband);
  sf_layout_print(&s.layout);
  double t0 = sf_wtime();
  SF_CHECK_GOTO(sf_calloc((void **)&fcart, in.cell.natom, sizeof *fcart));
  double ref[3][3];
  memcpy(ref, in.cell.rprimd, sizeof ref);
  int status;
  if (uniaxial) status = sf_relax_uniaxial(&s, &in.cell, (const double(*)[3])ref, &rp, &up, &ur, &rr);
  else if (relax) status = sf_relax_atoms(&s, &in.cell, &rp, &rr);
  else status = sf_scf_run(&s);
  if (status != SF_OK && status != SF_ERR_NOCONV) SF_CHECK_GOTO(status); /* no state to report */
  sf_log(1, "  SCF %s after %d iterations, F = %.12f Ha (%.2f s)\n", s.converged ? "converged" : "NOT converged",
         s.iterations, s.E.free, sf_wtime() - t0);
  if (uniaxial)
    sf_log(1, "  uniaxial eps_%d%d = %+.5f: sigma = %.8e Ha/Bohr^3, transverse strains %+.6f %+.6f (%s)\n", up.dir + 1,
           up.dir + 1, up.strain, ur.sigma, ur.eps[(up.dir + 1) % 3][(up.dir + 1) % 3],
           ur.eps[(up.dir + 2) % 3][(up.dir + 2) % 3], ur.converged ? "converged" : "NOT converged");
  if (relax)
    sf_log(1, "  relaxation %s: %d steps, %d SCF runs, max |force| = %.3e Ha/Bohr\n",
           rr.converged ? "converged" : "NOT converged", rr.steps, rr.evaluations, rr.fmax);
  print_energies(&s);
  if (s.converged) {
    SF_CHECK_GOTO(sf_scf_forces(&s, fcart));
    SF_CHECK_GOTO(sf_scf_stress(&s, stress));
    print_forces_stress(&in.cell, fcart, stress);
  }
  if (in.have_fields && s.converged) SF_CHECK_GOTO(write_fields_output(&s, &in));
  /* the summary is written even when the SCF or relaxation failed, marked as such */
  sf_summary_extra extra = {s.converged ? (const double(*)[3])fcart : NULL,
                            s.converged ? (const double(*)[3])stress : NULL, relax ? &rr : NULL,
                            uniaxial ? &ur : NULL, up.dir};
  if (rank == 0 && in.have_summary)
    SF_CHECK_GOTO(sf_write_summary(in.summary, &in, &s, &extra, status, status ? sf_error_message() : ""));
  st = status;
cleanup:
  sf_free(fcart);
  sf_relax_result_free(&rr);
  if (have_s) sf_scf_free(&s);
  sf_input_free(&in);
  return st;
}

int sf_cmd_scf(void) { return ground_state(0); }
int sf_cmd_relax(void) { return ground_state(1); }
