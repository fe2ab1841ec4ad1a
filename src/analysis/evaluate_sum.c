/* evaluate_sum.c — the sum route of `evaluate` (paper eq. 20-21) on one sample:
 *   F = ∫u − E_H[ρ] − ∫V_xc[ρ+ρ_c] ρ + E_xc[ρ+ρ_c] + E_Ewald + E_psp_core − T∫s,
 * from a density ρ, band-energy density u and entropy density s and the atom positions,
 * with the campaign's settings (ecut, ixc, pseudopotentials: the dataset's `options`).
 * The density terms are the term table's (ham.h): the view is filled with ρ alone, the
 * Hartree and xc terms give E_H, E_xc and V_xc; Ewald and psp_core need only the cell.
 * Why this is F: U = Σ f ε = T + E_nl + ∫(V_loc + V_H + V_xc) ρ at self-consistency, so
 * E = U − E_H − ∫V_xc ρ + E_xc + E_Ewald + E_psp_core (docs/physics.md, "sum route"). */
#include "evaluate_internal.h"
#include "strainfield/core.h"
#include "strainfield/ham.h"

#include <math.h>
#include <string.h>

static const cJSON *item(const cJSON *o, const char *name, int type_ok)
{
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
  return x && type_ok ? x : NULL;
}

/* The campaign's options and its settings record (JSON strings inside the dataset's
 * attributes; *settings may be NULL), and the absolute paths of its pseudopotentials
 * (attribute psp_files, one a line: options.pseudos keeps the names as given). */
static int campaign_options(const sf_dataset *ds, cJSON **opts, cJSON **settings, char (*psp)[1024], int *npsp)
{
  cJSON *top = cJSON_Parse(ds->settings ? ds->settings : "");
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(top, "options"),
              *s = cJSON_GetObjectItemCaseSensitive(top, "settings"),
              *files = cJSON_GetObjectItemCaseSensitive(top, "psp_files");
  *opts = cJSON_IsString(o) ? cJSON_Parse(o->valuestring) : NULL;
  *settings = cJSON_IsString(s) ? cJSON_Parse(s->valuestring) : NULL;
  *npsp = 0;
  for (const char *p = cJSON_IsString(files) ? files->valuestring : ""; *p && *npsp < SF_EVAL_MAXTYPAT; (*npsp)++) {
    size_t len = strcspn(p, "\n");
    snprintf(psp[*npsp], 1024, "%.*s", (int)len, p);
    p += len + (p[len] == '\n');
  }
  cJSON_Delete(top);
  if (!*opts) SF_ERROR(SF_ERR_INPUT, "dataset %s records no campaign options: cannot compute the sum route", ds->path);
  return SF_OK;
}

/* The pseudopotential file must still be the campaign's (its md5 in the settings record). */
static int check_psp_md5(const sf_dataset *ds, const cJSON *settings, int t, const char *path)
{
  const cJSON *md5 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(settings, "psp_md5"), t);
  if (!cJSON_IsString(md5)) return SF_OK; /* not recorded: nothing to compare */
  char hex[33];
  SF_CHECK(sf_md5_file(path, hex));
  if (strcmp(hex, md5->valuestring))
    SF_ERROR(SF_ERR_INPUT, "pseudopotential %s has md5 %s, the campaign of %s used md5 %s: refusing", path, hex,
             ds->path, md5->valuestring);
  return SF_OK;
}

int sf_eval_geometry_open(const sf_dataset *ds, sf_eval_geometry *g)
{
  int st = SF_OK;
  cJSON *o = NULL, *settings = NULL;
  char psp[SF_EVAL_MAXTYPAT][1024];
  int nfiles;
  memset(g, 0, sizeof *g);
  SF_CHECK_GOTO(campaign_options(ds, &o, &settings, psp, &nfiles));
  const cJSON *ecut = item(o, "ecut", 1), *ixc = item(o, "ixc", 1), *tsmear = item(o, "tsmear", 1),
              *typat = item(o, "typat", 1), *znucl = item(o, "znucl", 1);
  if (!cJSON_IsNumber(ecut) || !cJSON_IsNumber(ixc) || !cJSON_IsNumber(tsmear) || !cJSON_IsArray(znucl))
    SF_ERROR_GOTO(SF_ERR_INPUT, "dataset %s: its options lack ecut, ixc, tsmear or znucl", ds->path);
  g->ecut = ecut->valuedouble;
  g->tsmear = tsmear->valuedouble;
  g->ntypat = cJSON_GetArraySize(znucl);
  if (g->ntypat < 1 || g->ntypat > SF_EVAL_MAXTYPAT || nfiles != g->ntypat)
    SF_ERROR_GOTO(SF_ERR_INPUT, "dataset %s: %d atom types and %d pseudopotential files", ds->path, g->ntypat, nfiles);
  SF_CHECK_GOTO(sf_calloc((void **)&g->typat, ds->natom > 0 ? ds->natom : 1, sizeof *g->typat));
  for (int i = 0; i < ds->natom; i++) {
    const cJSON *t = cJSON_GetArrayItem(typat, i);
    g->typat[i] = cJSON_IsNumber(t) ? t->valueint - 1 : 0; /* generate's default: all type 1 */
    if (g->typat[i] < 0 || g->typat[i] >= g->ntypat) SF_ERROR_GOTO(SF_ERR_INPUT, "dataset %s: bad typat", ds->path);
  }
  const double qmax = 2.0 * sqrt(2.0 * g->ecut) * 1.2 + 1.0; /* as input.c: the density sphere + margin */
  for (int t = 0; t < g->ntypat; t++) {
    g->znucl[t] = cJSON_GetArrayItem(znucl, t)->valuedouble;
    SF_CHECK_GOTO(check_psp_md5(ds, settings, t, psp[t]));
    SF_CHECK_GOTO(sf_psp_read(psp[t], qmax, &g->psps[t]));
    g->npsp++;
  }
  SF_CHECK_GOTO(sf_xc_create(ixc->valueint, &g->xc));
  SF_CHECK_GOTO(sf_fftbox_create(ds->ngrid, &g->box));
  g->have_box = 1;
cleanup:
  cJSON_Delete(o);
  cJSON_Delete(settings);
  if (st) sf_eval_geometry_free(g);
  return st;
}

void sf_eval_geometry_free(sf_eval_geometry *g)
{
  for (int t = 0; t < g->npsp; t++) sf_psp_free(&g->psps[t]);
  if (g->have_box) sf_fftbox_free(&g->box);
  sf_xc_destroy(&g->xc);
  sf_free(g->typat);
  memset(g, 0, sizeof *g);
}

/* The cell of lattice rprimd (rows) with atoms at xred. */
static int make_cell(const sf_eval_geometry *g, int natom, const double rprimd[9], const double *xred, sf_cell *cell)
{
  SF_CHECK(sf_cell_alloc(cell, natom, g->ntypat));
  memcpy(cell->rprimd, rprimd, 9 * sizeof(double));
  for (int t = 0; t < g->ntypat; t++) {
    cell->znucl[t] = g->znucl[t];
    cell->zion[t] = g->psps[t].zion;
  }
  for (int i = 0; i < natom; i++) {
    cell->typat[i] = g->typat[i];
    for (int k = 0; k < 3; k++) cell->xred[i][k] = xred[3 * i + k];
  }
  SF_CHECK(sf_cell_finish(cell, 0.0));
  return SF_OK;
}

static double integral(const double *f, long n, double ucvol)
{
  double s = 0.0;
  for (long i = 0; i < n; i++) s += f[i];
  return s * ucvol / n;
}

int sf_eval_sum_route(sf_eval_geometry *g, int natom, const double rprimd[9], const double *xred,
                      const double *const field[SF_NFIELD], sf_eval_terms *out)
{
  int st = SF_OK, have_ham = 0;
  sf_cell cell = {0};
  sf_ham H;
  double complex *rho_g = NULL;
  const long n = g->box.nfft;
  SF_CHECK_GOTO(make_cell(g, natom, rprimd, xred, &cell));
  double nelect = 0.0;
  for (int i = 0; i < natom; i++) nelect += cell.zion[cell.typat[i]];
  SF_CHECK_GOTO(sf_ham_create(&cell, g->psps, &g->box, g->xc, g->ecut, nelect, &H));
  have_ham = 1;
  SF_CHECK_GOTO(sf_ham_core_build(&H)); /* the model core charge enters E_xc and V_xc */
  SF_CHECK_GOTO(sf_calloc((void **)&rho_g, n, sizeof *rho_g));
  sf_fft_r2g(&g->box, field[SF_FIELD_RHO], rho_g);
  /* a density-only view: no k-points, no bands (the band terms are not called) */
  sf_term_state v = {.H = &H, .rho_r = field[SF_FIELD_RHO], .rho_g = rho_g, .comm = MPI_COMM_SELF};
  double *T = out->term;
  for (int k = 0; k < SF_NTERM; k++) T[k] = 0.0;
  for (int k = 0; k < SF_EVAL_NTERM; k++)
    if (sf_eval_sum_terms[k] != SF_TERM_XC) SF_CHECK_GOTO(sf_terms[sf_eval_sum_terms[k]]->energy(&v, &T[sf_eval_sum_terms[k]]));
  /* E_xc and ∫V_xc ρ over the valence ρ (the double counting inside Σ f ε) from one
   * libxc evaluation */
  SF_CHECK_GOTO(sf_xc_term_eval(&H, field[SF_FIELD_RHO], H.vxc_r, &T[SF_TERM_XC], &out->vxc_rho));
  out->band = integral(field[SF_FIELD_U], n, cell.ucvol);
  out->entropy = -g->tsmear * integral(field[SF_FIELD_S], n, cell.ucvol);
  out->free = out->band - T[SF_TERM_HARTREE] - out->vxc_rho + T[SF_TERM_XC] + T[SF_TERM_EWALD] + T[SF_TERM_PSP_CORE] +
              out->entropy;
cleanup:
  sf_free(rho_g);
  if (have_ham) sf_ham_free(&H);
  sf_cell_free(&cell);
  return st;
}
