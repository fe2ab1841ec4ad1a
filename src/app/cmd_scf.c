/* cmd_scf.c — `strainfield scf` and `strainfield relax`: one ground state (relaxed or
 * not), with forces, stress, the summary JSON and the fields file (HDF5, XSF, cube). */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/gridfile.h"
#include "strainfield/init_guess.h"
#include "strainfield/options.h"
#include "strainfield/output.h"
#include "strainfield/props.h"
#include "strainfield/relax.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
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

/* The start of the calculation: -init_density FILE[:INDEX] or -init_model M.h5 (and, for
 * relax, -init_xred). */
typedef struct {
  char density[1100], model[1100], path[1100]; /* path: the file without :INDEX */
  int have_density, have_model, model_xred;
} init_opts;

static int read_init_opts(int relax, init_opts *o)
{
  SF_CHECK(sf_opt_string("-init_density", "", "start from the density of a fields file (scf/relax -fields, predict) or "
                         "of one dataset sample FILE:INDEX (0-based)", o->density, sizeof o->density, &o->have_density));
  SF_CHECK(sf_opt_string("-init_model", "", "start from the density a trained model predicts at this cell's strain "
                         "(relax: and from its relaxed positions)", o->model, sizeof o->model, &o->have_model));
  o->model_xred = relax;
  if (relax)
    SF_CHECK(sf_opt_bool("-init_xred", 1, "relax with -init_model: start from the model's relaxed positions "
                         "(0: from -xred)", &o->model_xred, NULL));
  if (o->have_density && o->have_model) SF_ERROR(SF_ERR_INPUT, "-init_density and -init_model: give one start, not both");
  if ((o->have_density && !o->density[0]) || (o->have_model && !o->model[0]))
    SF_ERROR(SF_ERR_INPUT, "%s needs a file name", o->have_model ? "-init_model" : "-init_density");
  snprintf(o->path, sizeof o->path, "%s", o->have_model ? o->model : o->density);
  char *c = strrchr(o->path, ':');
  if (o->have_density && c && c[1] && strspn(c + 1, "0123456789") == strlen(c + 1)) *c = '\0';
  return SF_OK;
}

/* -summary, -fields and the grid files of -fields_format (formats) checked before the
 * SCF: not a pseudopotential, options or start file, in a writable folder (a missing one
 * used to be found after the ground state). */
static int check_outputs(const sf_input *in, const init_opts *io, int formats)
{
  sf_path_input inp[SF_MAXTYPAT + 1], out[2 + 2 * SF_NFIELD];
  char names[2 * SF_NFIELD][1100];
  for (int t = 0; t < in->npsp; t++) inp[t] = (sf_path_input){"-pseudos", in->psp_paths[t]};
  inp[in->npsp] = (sf_path_input){io->have_model ? "-init_model" : "-init_density", io->path};
  out[0] = (sf_path_input){"-summary", in->have_summary ? in->summary : NULL};
  out[1] = (sf_path_input){"-fields", in->have_fields && (formats & SF_GRID_H5) ? in->fields : NULL};
  int nout = 2;
  for (int f = 0; f < SF_NFIELD && in->have_fields; f++)
    for (int fmt = SF_GRID_XSF; fmt <= SF_GRID_CUBE; fmt *= 2)
      if (formats & fmt) {
        sf_grid_file_name(in->fields, -1, sf_field_names[f], fmt, names[nout - 2], sizeof names[0]);
        out[nout] = (sf_path_input){"-fields", names[nout - 2]};
        nout++;
      }
  SF_CHECK(sf_check_outputs(out, nout, inp, in->npsp + (io->path[0] != 0)));
  return SF_OK;
}

static int read_fields_format(int *formats)
{
  char list[256];
  SF_CHECK(sf_opt_string("-fields_format", "h5", "formats of -fields: list of h5, xsf (XCrySDen, VESTA), cube (Gaussian "
                         "cube: VESTA, VMD, OVITO); xsf and cube: one file per field", list, sizeof list, NULL));
  SF_CHECK(sf_grid_formats_parse("-fields_format", list, formats));
  return SF_OK;
}

/* The xsf and cube files of -fields_format: the four fields on the cell with its atoms
 * (cube's charge column: the pseudo-ion charge zion). */
static int write_grid_files(const sf_input *in, const sf_scf *s, int formats, const char *cmd, double *const f[SF_NFIELD])
{
  const sf_cell *c = &in->cell;
  int z[SF_MAXATOM];
  double q[SF_MAXATOM];
  for (int a = 0; a < c->natom; a++) {
    z[a] = (int)lround(c->znucl[c->typat[a]]);
    q[a] = c->zion[c->typat[a]];
  }
  const sf_grid_cell cell = {&c->rprimd[0][0], c->natom, &c->xred[0][0], z, q, s->box.n};
  for (int i = 0; i < SF_NFIELD; i++) {
    char name[1100], comment[160];
    snprintf(comment, sizeof comment, "strainfield %s %s: %s, F = %.10f Ha", SF_VERSION, cmd, sf_field_names[i],
             s->E.free);
    for (int fmt = SF_GRID_XSF; fmt <= SF_GRID_CUBE; fmt *= 2)
      if (formats & fmt) {
        sf_grid_file_name(in->fields, -1, sf_field_names[i], fmt, name, sizeof name);
        SF_CHECK(sf_grid_file_write(name, fmt, &cell, comment, f[i]));
      }
  }
  return SF_OK;
}

/* Sets the start of s (set up, not yet run) from io, and records it in rec.  With the
 * model's positions the geometry is rebuilt (same symmetry: the positions are averaged
 * over its group first). */
static int warm_start(const init_opts *io, sf_input *in, sf_scf *s, sf_init_record *rec)
{
  int nfft = s->box.nfft, natom = in->cell.natom, st = SF_OK;
  double *rho = NULL;
  *rec = (sf_init_record){.density = "default", .xred = "input", .sample = -1};
  if (!io->have_density && !io->have_model) return SF_OK;
  snprintf(rec->source, sizeof rec->source, "%s", io->path);
  /* one block: the density, then the model's positions */
  SF_CHECK_GOTO(sf_status_agree(s->comm, sf_calloc((void **)&rho, nfft + 3 * natom, sizeof *rho)));
  double (*x)[3] = (double(*)[3])(rho + nfft);
  if (io->have_density) {
    rec->density = "file";
    if (strcmp(io->path, io->density)) rec->sample = strtol(io->density + strlen(io->path) + 1, NULL, 10);
    SF_CHECK_GOTO(sf_init_density_read(s->comm, io->density, s->box.n, rho));
  } else {
    rec->density = "model";
    rec->have_D = 1;
    SF_CHECK_GOTO(sf_init_model_guess(s->comm, io->model, &in->cell, s->box.n, rho, x, rec->D));
    sf_log(1, "  start from model %s at D = (%.6f %.6f %.6f; %.4f %.4f %.4f)\n", io->model, rec->D[0], rec->D[1],
           rec->D[2], rec->D[3], rec->D[4], rec->D[5]);
    if (io->model_xred) {
      SF_CHECK_GOTO(sf_symmetry_average_xred(&s->sym, &in->cell, x));
      memcpy(in->cell.xred, x, sizeof(double) * 3 * natom);
      SF_CHECK_GOTO(sf_scf_update_geometry(s));
      rec->xred = "model";
    }
  }
  SF_CHECK_GOTO(sf_scf_set_density(s, rho));
cleanup:
  sf_free(rho);
  return st;
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
  SF_CHECK(sf_input_read_relax(rp));
  return SF_OK;
}

/* -fields: the four fields of the converged state in the formats of -fields_format
 * (collective; rank 0 writes). */
static int write_fields_output(sf_scf *s, const sf_input *in, int formats, const char *cmd)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  double *f[4] = {NULL, NULL, NULL, NULL};
  for (int i = 0; i < 4; i++) st = st ? st : sf_calloc((void **)&f[i], s->box.nfft, sizeof(double));
  SF_CHECK_GOTO(sf_status_agree(MPI_COMM_WORLD, st));
  SF_CHECK_GOTO(sf_scf_fields(s, f[0], f[1], f[2], f[3]));
  if (rank == 0 && (formats & SF_GRID_H5)) SF_CHECK_GOTO(sf_write_fields(in->fields, s, f[0], f[1], f[2], f[3]));
  if (rank == 0) SF_CHECK_GOTO(write_grid_files(in, s, formats, cmd, f));
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
  sf_relax_params rp = {5e-6, 60, 0.0};
  sf_uniaxial_params up = {.dir = 1, .strain = 0.0, .tolstress = 1e-7, .ncell_steps = 30};
  sf_relax_result rr = {0};
  sf_uniaxial_result ur;
  double (*fcart)[3] = NULL, stress[3][3] = {{0}};
  init_opts io = {0};
  sf_init_record init;
  int uniaxial = 0, have_s = 0, st = SF_OK, rank, formats = SF_GRID_H5;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  SF_CHECK(sf_input_read(&in));
  if (relax) SF_CHECK_GOTO(read_relax_opts(&uniaxial, &rp, &up));
  SF_CHECK_GOTO(read_init_opts(relax, &io));
  SF_CHECK_GOTO(read_fields_format(&formats));
  SF_CHECK_GOTO(sf_options_finish());
  SF_CHECK_GOTO(check_outputs(&in, &io, formats));
  sf_input_warn(&in); /* after every check: a bad option is one line */
  SF_CHECK_GOTO(sf_scf_setup(&s, &in.scf, &in.cell, in.psps, MPI_COMM_WORLD));
  have_s = 1;
  SF_CHECK_GOTO(warm_start(&io, &in, &s, &init));
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
  if (in.have_fields && s.converged) SF_CHECK_GOTO(write_fields_output(&s, &in, formats, relax ? "relax" : "scf"));
  /* the summary is written even when the SCF or relaxation failed, marked as such */
  sf_summary_extra extra = {s.converged ? (const double(*)[3])fcart : NULL,
                            s.converged ? (const double(*)[3])stress : NULL, relax ? &rr : NULL,
                            uniaxial ? &ur : NULL, up.dir, &init};
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
