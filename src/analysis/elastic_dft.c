/* elastic_dft.c — the strained cells of `strainfield elastic` as a small campaign: sample
 * groups take contiguous blocks of the cells, each cell is set up, its atoms relaxed at
 * fixed cell (relaxed-ion constants, as atomate2's and pymatgen's workflows), its stress
 * taken; each finished cell is written to its own part file (a stopped run resumes from
 * them), and the owners broadcast the results so that every rank can fit C
 * (elastic_dft.h).  The results do not depend on the grouping beyond the round-off of the
 * DFT's own parallel sums: a cell is the same calculation whichever group runs it. */
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/elastic_dft.h"
#include "strainfield/h5io.h"
#include "strainfield/layout.h"
#include "strainfield/props.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const voigt_name[6] = {"11", "22", "33", "23", "13", "12"};

cJSON *sf_elastic_fd_cell_json(const sf_elastic_fd_cell *x, int natom)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "eta", cJSON_CreateDoubleArray(x->eta, 6));
  cJSON_AddItemToObject(o, "lattice", sf_json_matrix(&x->lattice[0][0], 3, 3, 1.0));
  cJSON_AddNumberToObject(o, "free_energy", x->F);
  cJSON_AddItemToObject(o, "stress", sf_json_matrix(&x->stress[0][0], 3, 3, 1.0));
  cJSON_AddItemToObject(o, "pk2_stress", cJSON_CreateDoubleArray(x->pk2, 6));
  cJSON_AddItemToObject(o, "xred", sf_json_matrix(&x->xred[0][0], natom, 3, 1.0));
  cJSON_AddNumberToObject(o, "max_force", x->fmax);
  cJSON_AddNumberToObject(o, "relax_steps", x->steps);
  cJSON_AddNumberToObject(o, "scf_runs", x->evaluations);
  cJSON_AddNumberToObject(o, "wall_time_s", x->wall);
  cJSON_AddBoolToObject(o, "reused", x->reused);
  return o;
}

/* n numbers of the array `key` of o into v; 0 if absent or of another length. */
static int numbers(const cJSON *o, const char *key, int n, double *v)
{
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsArray(a)) return 0;
  int k = 0;
  for (const cJSON *e = a->child; e; e = e->next) {
    if (cJSON_IsArray(e)) {
      for (const cJSON *f = e->child; f; f = f->next)
        if (k < n && cJSON_IsNumber(f)) v[k++] = f->valuedouble;
        else return 0;
    } else if (k < n && cJSON_IsNumber(e)) v[k++] = e->valuedouble;
    else return 0;
  }
  return k == n;
}

static double number(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void part_path(const sf_elastic_dft_cfg *c, int k, char *buf, size_t len)
{
  snprintf(buf, len, "%s/cell_%02d.json", c->parts, k);
}

/* Reads the part of cell k when resuming; *found = 0 when there is none.  A part of
 * another run (its settings or strain differ) is refused: it cannot be mixed in. */
static int read_part(const sf_elastic_dft_cfg *c, int k, sf_elastic_fd_cell *x, int *found)
{
  char path[1200];
  part_path(c, k, path, sizeof path);
  *found = 0;
  if (!c->resume) return SF_OK;
  FILE *f = fopen(path, "rb");
  if (!f) return SF_OK;
  int st = SF_OK;
  char *text = NULL;
  cJSON *o = NULL;
  fseek(f, 0, SEEK_END);
  const long n = ftell(f);
  rewind(f);
  if (n <= 0 || sf_calloc((void **)&text, (size_t)n + 1, 1) || fread(text, 1, (size_t)n, f) != (size_t)n)
    SF_ERROR_GOTO(SF_ERR_FILE, "%s: cannot read this part of a stopped run (remove it to recompute the cell)", path);
  o = cJSON_Parse(text);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "identity");
  if (!o || !cJSON_IsString(id)) SF_ERROR_GOTO(SF_ERR_FILE, "%s: not a part file of strainfield elastic", path);
  if (strcmp(id->valuestring, c->identity))
    SF_ERROR_GOTO(SF_ERR_INPUT, "-resume: %s is a part of a run with other settings: remove %s or resume with "
                  "the same options", path, c->parts);
  double eta[6];
  const int natom = c->cell->natom;
  const int ok = numbers(o, "eta", 6, eta) && numbers(o, "lattice", 9, &x->lattice[0][0]) &&
                 numbers(o, "stress", 9, &x->stress[0][0]) && numbers(o, "xred", 3 * natom, &x->xred[0][0]);
  for (int a = 0; a < 6 && ok; a++)
    if (eta[a] != x->eta[a]) SF_ERROR_GOTO(SF_ERR_INPUT, "-resume: %s holds another strain than cell %d", path, k);
  x->F = number(o, "free_energy");
  x->fmax = number(o, "max_force");
  x->wall = number(o, "wall_time_s");
  x->steps = (int)number(o, "relax_steps");
  x->evaluations = (int)number(o, "scf_runs");
  if (!ok || !isfinite(x->F)) SF_ERROR_GOTO(SF_ERR_FILE, "%s: an incomplete part file (remove it to recompute)", path);
  x->reused = 1;
  *found = 1;
cleanup:
  fclose(f);
  sf_free(text);
  cJSON_Delete(o);
  return st;
}

static int write_part(const sf_elastic_dft_cfg *c, int k, const sf_elastic_fd_cell *x)
{
  char path[1200];
  part_path(c, k, path, sizeof path);
  cJSON *o = sf_elastic_fd_cell_json(x, c->cell->natom);
  cJSON_AddStringToObject(o, "identity", c->identity);
  const int st = sf_write_json_file(path, o);
  cJSON_Delete(o);
  return st;
}

/* Cell k set up on comm, its atoms relaxed, its stress and PK2 stress. */
static int relax_cell(MPI_Comm comm, const sf_elastic_dft_cfg *c, int k, sf_elastic_fd_cell *x)
{
  const sf_cell *c0 = c->cell;
  int st = SF_OK, have_s = 0, comp;
  sf_cell cell = {0};
  sf_scf s;
  sf_relax_result rr;
  memset(&s, 0, sizeof s);
  memset(&rr, 0, sizeof rr);
  double Fd[3][3], t0 = sf_wtime();
  sf_elastic_fd_strain(&c->fd, k, x->eta, &comp);
  SF_CHECK_GOTO(sf_lagrangian_stretch(x->eta, Fd));
  SF_CHECK_GOTO(sf_cell_alloc(&cell, c0->natom, c0->ntypat));
  for (int i = 0; i < 3; i++) /* rows a_i Fd (Fd symmetric) */
    for (int j = 0; j < 3; j++)
      cell.rprimd[i][j] = c0->rprimd[i][0] * Fd[0][j] + c0->rprimd[i][1] * Fd[1][j] + c0->rprimd[i][2] * Fd[2][j];
  memcpy(cell.typat, c0->typat, sizeof(int) * c0->natom);
  memcpy(cell.xred, c0->xred, sizeof(double) * 3 * c0->natom);
  memcpy(cell.znucl, c0->znucl, sizeof(double) * c0->ntypat);
  memcpy(cell.zion, c0->zion, sizeof(double) * c0->ntypat);
  SF_CHECK_GOTO(sf_cell_finish(&cell, 0.5));
  SF_CHECK_GOTO(sf_scf_setup(&s, c->scf, &cell, c->psps, comm));
  have_s = 1;
  const int status = sf_relax_atoms(&s, &cell, c->relax, &rr);
  if (status == SF_ERR_NOCONV) {
    char why[1024];
    snprintf(why, sizeof why, "%s", sf_error_message());
    sf_error_reset();
    SF_ERROR_GOTO(SF_ERR_NOCONV, "elastic: cell %d (eta_%s = %+g) did not relax: %s", k, comp < 0 ? "0" : voigt_name[comp],
                  comp < 0 ? 0.0 : x->eta[comp], why);
  }
  SF_CHECK_GOTO(status);
  SF_CHECK_GOTO(sf_scf_stress(&s, x->stress));
  memcpy(x->lattice, cell.rprimd, sizeof x->lattice);
  memcpy(x->xred, cell.xred, sizeof(double) * 3 * cell.natom);
  x->F = s.E.free;
  x->fmax = rr.fmax;
  x->steps = rr.steps;
  x->evaluations = rr.evaluations;
  x->wall = sf_wtime() - t0;
  MPI_Bcast(&x->wall, 1, MPI_DOUBLE, 0, comm); /* the group leader's clock */
cleanup:
  sf_relax_result_free(&rr);
  if (have_s) sf_scf_free(&s);
  sf_cell_free(&cell);
  return st;
}

/* This group's cells: each read from its part (-resume) or relaxed and written to one
 * (by the group's leader); a stop signal between cells ends the loop. */
static int my_cells(const sf_layout_groups *G, const sf_elastic_dft_cfg *c, int n, sf_elastic_fd_cell *cells)
{
  int first, cnt;
  sf_layout_block_range(n, G->ngroups, G->my_group, &first, &cnt);
  for (int k = first; k < first + cnt; k++) {
    int found = 0, comp, sig;
    sf_elastic_fd_strain(&c->fd, k, cells[k].eta, &comp);
    SF_CHECK(sf_status_agree(G->comm, G->rank == 0 ? read_part(c, k, &cells[k], &found) : SF_OK));
    MPI_Bcast(&found, 1, MPI_INT, 0, G->comm);
    if (found) continue; /* the leader holds it; broadcast with the others below */
    if ((sig = sf_stop_agreed(G->comm)))
      SF_ERROR(SF_STOPPED, "elastic stopped by %s before cell %d", sf_signal_name(sig), k);
    SF_CHECK(relax_cell(G->comm, c, k, &cells[k]));
    SF_CHECK(sf_status_agree(G->comm, G->rank == 0 ? write_part(c, k, &cells[k]) : SF_OK));
    sf_log(1, "elastic: cell %2d (%s) relaxed in %.1f s: F = %.10f Ha, %d SCF runs\n", k,
           comp < 0 ? "unstrained" : voigt_name[comp], cells[k].wall, cells[k].F, cells[k].evaluations);
  }
  return SF_OK;
}

/* The part folder exists before any group writes to it (rank 0 makes it). */
static int make_parts_folder(MPI_Comm comm, const char *parts)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0 && mkdir(parts, 0777) && errno != EEXIST)
    st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot create the folder %s: %s", parts,
                      strerror(errno));
  SF_CHECK(sf_status_agree(comm, st));
  return SF_OK;
}

int sf_elastic_dft_run(MPI_Comm comm, const sf_elastic_dft_cfg *c, sf_elastic_fd_cell *cells, sf_elastic *el,
                       double Craw[6][6], double *asymmetry)
{
  int size, st = SF_OK;
  MPI_Comm_size(comm, &size);
  const int n = sf_elastic_fd_ncell(&c->fd);
  if (c->cell->natom > SF_MAXATOM_RELAX)
    SF_ERROR(SF_ERR_INPUT, "elastic relaxes at most %d atoms (the cell has %d)", SF_MAXATOM_RELAX, c->cell->natom);
  double (*S)[6] = NULL;
  sf_layout_groups G = {.comm = MPI_COMM_NULL};
  SF_CHECK(make_parts_folder(comm, c->parts));
  const int ng = c->nsample_groups ? c->nsample_groups : sf_layout_sample_groups_auto(size, n);
  SF_CHECK(sf_layout_groups_create(comm, ng, "elastic sample", &G));
  memset(cells, 0, sizeof *cells * n);
  st = my_cells(&G, c, n, cells);
  SF_CHECK_GOTO(sf_status_agree(comm, st));
  for (int k = 0; k < n; k++) /* every rank gets every cell from its group's leader */
    MPI_Bcast(&cells[k], (int)sizeof cells[k], MPI_BYTE, sf_layout_group_leader(&G, sf_layout_block_owner(n, ng, k)),
              comm);
  SF_CHECK_GOTO(sf_calloc((void **)&S, n, sizeof *S));
  for (int k = 0; k < n; k++) {
    double Fd[3][3];
    SF_CHECK_GOTO(sf_lagrangian_stretch(cells[k].eta, Fd));
    SF_CHECK_GOTO(sf_pk2_stress((const double(*)[3])Fd, (const double(*)[3])cells[k].stress, cells[k].pk2));
    memcpy(S[k], cells[k].pk2, sizeof S[k]);
  }
  memset(el, 0, sizeof *el);
  memcpy(el->lattice, cells[0].lattice, sizeof el->lattice);
  memcpy(el->stress, cells[0].stress, sizeof el->stress);
  el->F = cells[0].F;
  el->V = fabs(sf_mat3_det((const double(*)[3])el->lattice));
  sf_elastic_fd_fit(&c->fd, (const double(*)[6])S, el->C, Craw, asymmetry);
  SF_CHECK_GOTO(sf_elastic_finish(el));
cleanup:
  sf_free(S);
  sf_layout_groups_free(&G);
  return st;
}

void sf_elastic_dft_parts_remove(const sf_elastic_dft_cfg *c)
{
  char path[1200];
  for (int k = 0; k < sf_elastic_fd_ncell(&c->fd); k++) {
    part_path(c, k, path, sizeof path);
    remove(path);
  }
  remove(c->parts); /* only when empty: a file someone else put there stays */
}
