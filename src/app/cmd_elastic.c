/* cmd_elastic.c — `strainfield elastic`: the relaxed-ion elastic tensor of a cell from
 * finite differences of its DFT stress (docs/physics.md, "Elastic constants from DFT").
 * The options are relax's (the cell, the SCF, -tolmxf, -ntime, -tao_*) plus the strain
 * step and the parallel layout; the strained cells and the fit are analysis's
 * (elastic_dft.h); here: the options, the checks, the summary JSON and the log. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/elastic_dft.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options that do not change any strained cell: left out of the identity of the parts. */
static const char *const volatile_keys[] = {"resume", "summary", "v", "verbosity", "par_sample_groups",
                                            "par_kpt_groups", "par_band_groups", "nl_keep", "pseudos",
                                            "pp_dirpath", "help", NULL};

typedef struct {
  sf_input in;
  sf_relax_params rp;
  sf_elastic_dft_cfg cfg;
  char parts[1100];
  char *identity;
  int nsample_groups, resume;
} elastic_run;

static int read_opts(elastic_run *r)
{
  sf_elastic_fd *fd = &r->cfg.fd;
  SF_CHECK(sf_input_read(&r->in));
  sf_input_warn(&r->in);
  SF_CHECK(sf_input_read_relax(&r->rp));
  SF_CHECK(sf_opt_real("-elastic_delta", 0.005, "largest Lagrangian strain of each Voigt component (engineering "
                       "for the shears) of the finite differences", &fd->delta, NULL));
  SF_OPT_REJECT_IF(!(fd->delta > 0 && fd->delta <= 0.05), "-elastic_delta %g: must be in (0, 0.05]", fd->delta);
  SF_CHECK(sf_opt_int("-elastic_points", 2, "strained cells per component: 2 (+-delta) or 4 (+-delta, +-delta/2), "
                      "least-squares fitted", &fd->npoints, NULL));
  SF_OPT_REJECT_IF(fd->npoints != 2 && fd->npoints != 4, "-elastic_points %d: expected 2 or 4", fd->npoints);
  SF_CHECK(sf_opt_int_range("-par_sample_groups", 0, 0, 1 << 20, "rank groups relaxing strained cells side by side "
                            "(0: automatic, one rank per group)", &r->nsample_groups, NULL));
  SF_CHECK(sf_opt_bool("-resume", 0, "reuse the strained cells a stopped run with the same options left in "
                       "SUMMARY.parts", &r->resume, NULL));
  SF_CHECK(sf_opt_passthrough("-tao_", "PETSc TAO options of the atomic relaxations"));
  return SF_OK;
}

/* The settings every part must share: the resolved options less the volatile ones, and
 * each pseudopotential's md5 (its path may differ between runs). */
static int make_identity(elastic_run *r)
{
  char *opts = NULL;
  SF_CHECK(sf_options_json(&opts));
  cJSON *o = cJSON_Parse(opts);
  sf_free(opts);
  if (!o) SF_ERROR(SF_ERR_MEM, "cannot read back the resolved options");
  for (int k = 0; volatile_keys[k]; k++) cJSON_DeleteItemFromObjectCaseSensitive(o, volatile_keys[k]);
  cJSON *md5 = cJSON_AddArrayToObject(o, "psp_md5");
  for (int t = 0; t < r->in.npsp; t++) cJSON_AddItemToArray(md5, cJSON_CreateString(r->in.psps[t].md5));
  r->identity = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!r->identity) SF_ERROR(SF_ERR_MEM, "cannot format the identity of the run");
  return SF_OK;
}

/* -summary is required and checked before any DFT, with its part folder beside it. */
static int check_outputs(elastic_run *r)
{
  const sf_input *in = &r->in;
  if (!in->have_summary) SF_ERROR(SF_ERR_INPUT, "elastic needs -summary FILE (the elastic tensor is written there)");
  if (in->have_fields) SF_ERROR(SF_ERR_INPUT, "-fields is not used by elastic (every strained cell would need one)");
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (r->nsample_groups > size || (r->nsample_groups && size % r->nsample_groups))
    SF_ERROR(SF_ERR_INPUT, "-par_sample_groups %d does not divide the %d ranks", r->nsample_groups, size);
  sf_path_input inp[SF_MAXTYPAT];
  for (int t = 0; t < in->npsp; t++) inp[t] = (sf_path_input){"-pseudos", in->psp_paths[t]};
  const sf_path_input out[] = {{"-summary", in->summary}};
  SF_CHECK(sf_check_outputs(out, 1, inp, in->npsp));
  snprintf(r->parts, sizeof r->parts, "%s.parts", in->summary);
  return SF_OK;
}

static int write_summary(const elastic_run *r, const sf_elastic *el, const sf_elastic_fd_cell *cells,
                         const double Craw[6][6], double asym, double wall)
{
  const sf_input *in = &r->in;
  const int n = sf_elastic_fd_ncell(&r->cfg.fd), natom = in->cell.natom;
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "program", "strainfield");
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "units", "Hartree atomic units (Ha, Bohr; stresses Ha/Bohr^3); *_GPa in GPa");
  cJSON_AddStringToObject(root, "method", "relaxed-ion C = dS/deta: least-squares slope of the second "
                          "Piola-Kirchhoff stress against the Lagrangian strain of each Voigt component");
  cJSON_AddNumberToObject(root, "delta", r->cfg.fd.delta);
  cJSON_AddNumberToObject(root, "points_per_component", r->cfg.fd.npoints);
  cJSON_AddNumberToObject(root, "volume", el->V);
  cJSON_AddNumberToObject(root, "free_energy", el->F);
  for (int k = 0; k < SF_ELASTIC_NKEY; k++)
    if (strncmp(sf_elastic_keys[k], "stress_small", 12)) /* eq. 14 needs a reference cell: the model's */
      cJSON_AddItemToObject(root, sf_elastic_keys[k], sf_elastic_json_item(el, k));
  cJSON_AddItemToObject(root, "elastic_tensor_unsymmetrised", sf_json_matrix(&Craw[0][0], 6, 6, 1.0));
  cJSON_AddNumberToObject(root, "elastic_tensor_asymmetry", asym);
  cJSON_AddItemToObject(root, "xred", sf_json_matrix(&cells[0].xred[0][0], natom, 3, 1.0));
  cJSON *cj = cJSON_AddArrayToObject(root, "cells");
  for (int k = 0; k < n; k++) cJSON_AddItemToArray(cj, sf_elastic_fd_cell_json(&cells[k], natom));
  cJSON *psps = cJSON_AddArrayToObject(root, "pseudopotentials");
  for (int t = 0; t < in->npsp; t++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "path", in->psps[t].path);
    cJSON_AddStringToObject(p, "md5", in->psps[t].md5);
    cJSON_AddItemToArray(psps, p);
  }
  char *opts = NULL;
  int st = sf_options_json(&opts);
  cJSON *o = opts ? cJSON_Parse(opts) : NULL;
  sf_free(opts);
  if (o) cJSON_AddItemToObject(root, "options", o);
  cJSON_AddNumberToObject(root, "wall_time_s", wall);
  if (!st) st = sf_write_json_file(in->summary, root);
  cJSON_Delete(root);
  return st;
}

static void print_tensor(const sf_elastic *el, double asym, int n, double wall)
{
  const double G = SF_HA_BOHR3_GPA;
  sf_log(1, "\nelastic: relaxed-ion elastic tensor C (GPa; Voigt 11 22 33 23 13 12, engineering shears) from %d "
         "cells in %.1f s\n", n, wall);
  for (int a = 0; a < 6; a++)
    sf_log(1, "  %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", G * el->C[a][0], G * el->C[a][1], G * el->C[a][2],
           G * el->C[a][3], G * el->C[a][4], G * el->C[a][5]);
  sf_log(1, "  asymmetry before symmetrisation %.2e of max |C|\n", asym);
  sf_log(1, "  stress of the cell (GPa): %.3f %.3f %.3f %.3f %.3f %.3f\n", G * el->stress[0][0], G * el->stress[1][1],
         G * el->stress[2][2], G * el->stress[1][2], G * el->stress[0][2], G * el->stress[0][1]);
  sf_log(1, "  VRH bulk modulus %.3f GPa, shear modulus %.3f GPa; lowest Wallace eigenvalue %.3f GPa (%s)\n",
         G * 0.5 * (el->KV + el->KR), G * 0.5 * (el->GV + el->GR), G * el->eig[0], el->stable ? "stable" : "UNSTABLE");
}

int sf_cmd_elastic(void)
{
  elastic_run r;
  memset(&r, 0, sizeof r);
  sf_elastic_fd_cell *cells = NULL;
  int st = SF_OK, rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  SF_CHECK_GOTO(read_opts(&r));
  SF_CHECK_GOTO(sf_options_finish());
  SF_CHECK_GOTO(check_outputs(&r));
  SF_CHECK_GOTO(make_identity(&r));
  r.cfg = (sf_elastic_dft_cfg){.cell = &r.in.cell, .psps = r.in.psps, .scf = &r.in.scf, .relax = &r.rp,
                               .fd = r.cfg.fd, .nsample_groups = r.nsample_groups, .parts = r.parts,
                               .identity = r.identity, .resume = r.resume};
  const int n = sf_elastic_fd_ncell(&r.cfg.fd);
  sf_log(1, "strainfield elastic: %d atoms, %d cells (delta %g, %d per component), atoms relaxed to -tolmxf %g\n",
         r.in.cell.natom, n, r.cfg.fd.delta, r.cfg.fd.npoints, r.rp.tolmxf);
  SF_CHECK_GOTO(sf_calloc((void **)&cells, n, sizeof *cells));
  const double t0 = sf_wtime();
  sf_elastic el;
  double Craw[6][6], asym;
  st = sf_elastic_dft_run(MPI_COMM_WORLD, &r.cfg, cells, &el, Craw, &asym);
  if (st == SF_STOPPED) {
    char why[1024];
    snprintf(why, sizeof why, "%s", sf_error_message());
    sf_error_reset();
    SF_ERROR_GOTO(SF_STOPPED, "%s; the finished cells are in %s: run the same command with -resume to continue", why,
                  r.parts);
  }
  SF_CHECK_GOTO(st);
  const double wall = sf_wtime() - t0;
  print_tensor(&el, asym, n, wall);
  SF_CHECK_GOTO(sf_status_agree(MPI_COMM_WORLD, rank == 0 ? write_summary(&r, &el, cells, (const double(*)[6])Craw,
                                                                          asym, wall) : SF_OK));
  if (rank == 0) sf_elastic_dft_parts_remove(&r.cfg);
cleanup:
  sf_free(cells);
  free(r.identity);
  sf_input_free(&r.in);
  return st;
}
