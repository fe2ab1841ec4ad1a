/* evaluate_sum.c — the sum route of `evaluate` (paper eq. 20-21) on one sample:
 *   F = ∫u − E_H[ρ] − ∫V_xc[ρ+ρ_c] ρ + E_xc[ρ+ρ_c] + E_Ewald + E_psp_core − T∫s,
 * from a density ρ, band-energy density u and entropy density s and the atom positions,
 * with the campaign's settings (ecut, ixc, pseudopotentials: the dataset's `options`, replayed
 * by the app layer into an sf_evaluate_campaign).
 * The density terms are the term table's (ham.h): the view is filled with ρ alone, the
 * Hartree and xc terms give E_H, E_xc and V_xc; Ewald and psp_core need only the cell.
 * Why this is F: U = Σ f ε = T + E_nl + ∫(V_loc + V_H + V_xc) ρ at self-consistency, so
 * E = U − E_H − ∫V_xc ρ + E_xc + E_Ewald + E_psp_core (docs/physics.md, "sum route"). */
#include "evaluate_internal.h"
#include "strainfield/core.h"
#include "strainfield/ham.h"

#include <math.h>
#include <string.h>

/* The campaign's md5 of each pseudopotential file (ds's settings record, attribute
 * `settings` inside ds->settings): the files read now must still be those. */
static int check_psp_md5(const sf_dataset *ds, const sf_evaluate_campaign *cp)
{
  int st = SF_OK;
  cJSON *top = cJSON_Parse(ds->settings ? ds->settings : ""), *settings = NULL;
  const cJSON *str = cJSON_GetObjectItemCaseSensitive(top, "settings");
  settings = cJSON_IsString(str) ? cJSON_Parse(str->valuestring) : NULL;
  const cJSON *md5s = cJSON_GetObjectItemCaseSensitive(settings, "psp_md5");
  for (int t = 0; t < cp->ref_cell->ntypat; t++) {
    const cJSON *md5 = cJSON_GetArrayItem(md5s, t);
    if (!cJSON_IsString(md5)) continue; /* not recorded: nothing to compare */
    if (strcmp(cp->psps[t].md5, md5->valuestring)) /* sf_psp_read took the file's md5 */
      SF_ERROR_GOTO(SF_ERR_INPUT, "pseudopotential %s has md5 %s, the campaign of %s used md5 %s: refusing",
                    cp->psps[t].path, cp->psps[t].md5, ds->path, md5->valuestring);
  }
cleanup:
  cJSON_Delete(settings);
  cJSON_Delete(top);
  return st;
}

int sf_eval_geometry_open(const sf_dataset *ds, const sf_evaluate_campaign *cp, sf_eval_geometry *g)
{
  int st = SF_OK;
  memset(g, 0, sizeof *g);
  g->cp = cp;
  if (cp->ref_cell->natom != ds->natom)
    SF_ERROR(SF_ERR_INPUT, "dataset %s: %d atoms, its campaign options %d", ds->path, ds->natom, cp->ref_cell->natom);
  SF_CHECK_GOTO(check_psp_md5(ds, cp));
  SF_CHECK_GOTO(sf_xc_create(cp->scf.ixc, &g->xc));
  SF_CHECK_GOTO(sf_fftbox_create(ds->ngrid, &g->box));
  g->have_box = 1;
cleanup:
  if (st) sf_eval_geometry_free(g);
  return st;
}

void sf_eval_geometry_free(sf_eval_geometry *g)
{
  if (g->have_box) sf_fftbox_free(&g->box);
  sf_xc_destroy(&g->xc);
  memset(g, 0, sizeof *g);
}

int sf_eval_make_cell(const sf_evaluate_campaign *cp, const double rprimd[9], const double *xred, sf_cell *cell)
{
  const sf_cell *ref = cp->ref_cell;
  SF_CHECK(sf_cell_alloc(cell, ref->natom, ref->ntypat));
  memcpy(cell->rprimd, rprimd, 9 * sizeof(double));
  memcpy(cell->znucl, ref->znucl, sizeof(double) * ref->ntypat);
  memcpy(cell->zion, ref->zion, sizeof(double) * ref->ntypat);
  memcpy(cell->typat, ref->typat, sizeof(int) * ref->natom);
  memcpy(cell->xred, xred, sizeof(double) * 3 * ref->natom);
  SF_CHECK(sf_cell_finish(cell, 0.0));
  return SF_OK;
}

static double integral(const double *f, long n, double ucvol)
{
  double s = 0.0;
  for (long i = 0; i < n; i++) s += f[i];
  return s * ucvol / n;
}

int sf_eval_sum_route(sf_eval_geometry *g, const double rprimd[9], const double *xred,
                      const double *const field[SF_NFIELD], sf_eval_terms *out)
{
  int st = SF_OK, have_ham = 0;
  sf_cell cell = {0};
  sf_ham H;
  double complex *rho_g = NULL;
  const long n = g->box.nfft;
  SF_CHECK_GOTO(sf_eval_make_cell(g->cp, rprimd, xred, &cell));
  double nelect = 0.0;
  for (int i = 0; i < cell.natom; i++) nelect += cell.zion[cell.typat[i]];
  SF_CHECK_GOTO(sf_ham_create(&cell, g->cp->psps, &g->box, g->xc, g->cp->scf.ecut, nelect, &H));
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
  out->entropy = -g->cp->scf.tsmear * integral(field[SF_FIELD_S], n, cell.ucvol);
  out->free = out->band - T[SF_TERM_HARTREE] - out->vxc_rho + T[SF_TERM_XC] + T[SF_TERM_EWALD] + T[SF_TERM_PSP_CORE] +
              out->entropy;
cleanup:
  sf_free(rho_g);
  if (have_ham) sf_ham_free(&H);
  sf_cell_free(&cell);
  return st;
}
