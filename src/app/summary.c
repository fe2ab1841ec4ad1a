/* summary.c — the summary JSON of a ground state (format: docs/formats.md).  Written to
 * PATH.tmp, then renamed, so a reader never sees a half-written summary. */
#include "strainfield/core.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"
#include "strainfield/output.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_extra(cJSON *root, const sf_scf *s, const sf_summary_extra *x)
{
  if (!x) return;
  if (x->fcart) cJSON_AddItemToObject(root, "forces", sf_json_matrix(&x->fcart[0][0], s->cell->natom, 3, 1.0));
  if (x->stress) cJSON_AddItemToObject(root, "stress", sf_json_matrix(&x->stress[0][0], 3, 3, 1.0));
  if (x->uniaxial) {
    const sf_uniaxial_result *u = x->uniaxial;
    cJSON *o = cJSON_AddObjectToObject(root, "uniaxial");
    cJSON_AddNumberToObject(o, "dir", x->uniaxial_dir + 1);
    cJSON_AddNumberToObject(o, "strain", u->eps[x->uniaxial_dir][x->uniaxial_dir]);
    cJSON_AddNumberToObject(o, "sigma", u->sigma);
    cJSON_AddItemToObject(o, "eps", sf_json_matrix(&u->eps[0][0], 3, 3, 1.0));
    double tr[2];
    for (int i = 0, k = 0; i < 3; i++)
      if (i != x->uniaxial_dir) tr[k++] = u->eps[i][i];
    cJSON_AddItemToObject(o, "transverse_strains", cJSON_CreateDoubleArray(tr, 2));
    cJSON_AddNumberToObject(o, "max_relaxed_stress", u->max_offaxis);
    cJSON_AddNumberToObject(o, "cell_steps", u->steps);
    cJSON_AddBoolToObject(o, "converged", u->converged);
  }
  if (x->init) {
    const sf_init_record *r = x->init;
    cJSON *o = cJSON_AddObjectToObject(root, "init");
    cJSON_AddStringToObject(o, "density", r->density);
    cJSON_AddStringToObject(o, "xred", r->xred);
    if (r->source[0]) cJSON_AddStringToObject(o, "source", r->source);
    if (r->sample >= 0) cJSON_AddNumberToObject(o, "sample", (double)r->sample);
    if (r->have_D) cJSON_AddItemToObject(o, "D", cJSON_CreateDoubleArray(r->D, 6));
  }
  if (x->relax) {
    const sf_relax_result *r = x->relax;
    cJSON *rel = cJSON_AddObjectToObject(root, "relax");
    cJSON_AddNumberToObject(rel, "steps", r->steps);
    cJSON_AddNumberToObject(rel, "evaluations", r->evaluations);
    cJSON_AddBoolToObject(rel, "converged", r->converged);
    cJSON_AddNumberToObject(rel, "max_force", r->fmax);
    cJSON *traj = cJSON_AddArrayToObject(rel, "trajectory");
    for (int i = 0; i < r->ntraj; i++) {
      cJSON *t = cJSON_CreateObject();
      cJSON_AddNumberToObject(t, "free_energy", r->traj_energy[i]);
      cJSON_AddNumberToObject(t, "max_force", r->traj_fmax[i]);
      cJSON_AddNumberToObject(t, "scf_iterations", r->traj_scf[i]);
      cJSON_AddItemToArray(traj, t);
    }
  }
}

int sf_write_summary(const char *path, const sf_input *in, const sf_scf *s, const sf_summary_extra *extra,
                     int status, const char *message)
{
  const sf_energies *E = &s->E;
  int nkpt = s->kp.nkpt, nband = s->par.nband;
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "program", "strainfield");
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "units", "Hartree atomic units (Ha, Bohr)");
  cJSON_AddNumberToObject(root, "free_energy", E->free);
  cJSON *en = cJSON_AddObjectToObject(root, "energies");
  for (int t = 0; t < SF_NTERM; t++) cJSON_AddNumberToObject(en, sf_term_names[t], E->term[t]);
  cJSON_AddNumberToObject(en, "band", E->band);
  cJSON_AddNumberToObject(en, "entropy_term", E->entropy_term);
  cJSON_AddNumberToObject(en, "internal", E->internal);
  cJSON_AddNumberToObject(root, "fermi_energy", s->fermi);
  cJSON_AddNumberToObject(root, "nelect", s->nelect);
  cJSON_AddItemToObject(root, "kpoints", sf_json_matrix(&s->kp.kred[0][0], nkpt, 3, 1.0));
  cJSON_AddItemToObject(root, "weights", cJSON_CreateDoubleArray(s->kp.wtk, nkpt));
  cJSON_AddItemToObject(root, "eigenvalues", sf_json_matrix(s->eig, nkpt, nband, 1.0));
  cJSON_AddItemToObject(root, "occupations", sf_json_matrix(s->occ, nkpt, nband, 1.0));
  cJSON *scf = cJSON_AddObjectToObject(root, "scf");
  cJSON_AddNumberToObject(scf, "iterations", s->iterations);
  cJSON_AddBoolToObject(scf, "converged", s->converged);
  if (status) cJSON_AddStringToObject(scf, "error", message);
  cJSON *hist = cJSON_AddArrayToObject(scf, "history");
  for (int i = 0; i < s->iterations; i++) {
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "free_energy", s->hist_energy[i]);
    cJSON_AddNumberToObject(h, "dfe", s->hist_dfe[i]);
    cJSON_AddNumberToObject(h, "density_residual", s->hist_resid[i]);
    cJSON_AddItemToArray(hist, h);
  }
  cJSON_AddItemToObject(root, "lattice", sf_json_matrix(&s->cell->rprimd[0][0], 3, 3, 1.0));
  cJSON_AddItemToObject(root, "xred", sf_json_matrix(&s->cell->xred[0][0], s->cell->natom, 3, 1.0));
  cJSON_AddItemToObject(root, "ngfft", cJSON_CreateIntArray(s->box.n, 3));
  cJSON_AddNumberToObject(root, "nsym", s->sym.nsym);
  cJSON *psps = cJSON_AddArrayToObject(root, "pseudopotentials");
  for (int t = 0; t < in->npsp; t++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "path", in->psps[t].path);
    cJSON_AddStringToObject(p, "md5", in->psps[t].md5);
    cJSON_AddNumberToObject(p, "pspcod", in->psps[t].pspcod);
    cJSON_AddNumberToObject(p, "zion", in->psps[t].zion);
    cJSON_AddItemToArray(psps, p);
  }
  add_extra(root, s, extra);
  char *opts = NULL;
  SF_CHECK(sf_options_json(&opts));
  cJSON *o = cJSON_Parse(opts);
  sf_free(opts);
  if (o) cJSON_AddItemToObject(root, "options", o);
  int st = sf_write_json_file(path, root);
  cJSON_Delete(root);
  SF_CHECK(st);
  return SF_OK;
}
