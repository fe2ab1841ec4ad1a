/* cmd_scf.c — `strainfield scf`: one ground state, its summary JSON and fields file. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/options.h"
#include "strainfield/output.h"

#include <mpi.h>
#include <stdlib.h>

static void print_energies(const sf_scf *s)
{
  const sf_energies *E = &s->E;
  sf_log(1, "\n  Components of total free energy (Ha):\n");
  sf_log(1, "    kinetic          %20.12f\n    hartree          %20.12f\n    xc               %20.12f\n", E->kinetic, E->hartree, E->xc);
  sf_log(1, "    ewald            %20.12f\n    psp_core         %20.12f\n    local_psp        %20.12f\n", E->ewald, E->psp_core, E->local_psp);
  sf_log(1, "    nonlocal_psp     %20.12f\n    internal         %20.12f\n    entropy_term     %20.12f\n", E->nonlocal_psp, E->internal, E->entropy_term);
  sf_log(1, "    free_energy      %20.12f\n    band (U)         %20.12f\n    fermi_energy     %20.12f\n", E->free, E->band, s->fermi);
}

int sf_cmd_scf(void)
{
  sf_input in;
  sf_scf s;
  SF_CHECK(sf_input_read(&in));
  SF_CHECK(sf_options_finish());
  SF_CHECK(sf_scf_setup(&s, &in.scf, &in.cell, in.psps, MPI_COMM_WORLD));
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  sf_log(1, "strainfield scf: %d atoms, %g electrons, %d k-points (%d symmetry ops), FFT %dx%dx%d, nband %d\n",
         in.cell.natom, s.nelect, s.kp.nkpt, s.sym.nsym, s.box.n[0], s.box.n[1], s.box.n[2], in.scf.nband);
  sf_log(1, "  layout: %d ranks = %d k-point groups x %d ranks per group (bands split)\n", size, s.nkpt_groups,
         size / s.nkpt_groups);
  double t0 = sf_wtime();
  int status = sf_scf_run(&s);
  if (status && status != SF_ERR_NOCONV) return sf_error_trace(status, __FILE__, __LINE__, __func__);
  sf_log(1, "  SCF %s after %d iterations, F = %.12f Ha (%.2f s)\n", s.converged ? "converged" : "NOT converged",
         s.iterations, s.E.free, sf_wtime() - t0);
  print_energies(&s);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  double *f[4] = {NULL, NULL, NULL, NULL};
  if (in.have_fields) {
    for (int i = 0; i < 4; i++) SF_CHECK(sf_calloc((void **)&f[i], s.box.nfft, sizeof(double)));
    SF_CHECK(sf_scf_fields(&s, f[0], f[1], f[2], f[3]));
    if (rank == 0 && s.converged) SF_CHECK(sf_write_fields(in.fields, &s, f[0], f[1], f[2], f[3]));
  }
  /* the summary is written even when the SCF failed, marked as not converged */
  if (rank == 0 && in.have_summary) SF_CHECK(sf_write_summary(in.summary, &in, &s, status, status ? sf_error_message() : ""));
  for (int i = 0; i < 4; i++) sf_free(f[i]);
  sf_scf_free(&s);
  sf_input_free(&in);
  return status;
}
