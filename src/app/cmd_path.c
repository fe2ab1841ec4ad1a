/* cmd_path.c — `strainfield path`: the options, the JSON and the log of the uniaxial
 * stress-strain path of a trained model (the paper's §4.5); the path itself (ε_ii swept,
 * the five other strains relaxed on the energy network, stress by back-propagation,
 * predicted positions, where it loses stability) is analysis's (stresspath.h). */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/elastic.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"
#include "strainfield/predict.h"
#include "strainfield/stresspath.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The resolved options of path. */
typedef struct {
  char model[1024], summary[1024], fields[1024], resid[32];
  int have_summary, have_fields, dir, npt;
  double range[2];
  sf_path_params p;
} path_opts;

/* What sf_path_files needs of the options. */
static sf_path_args path_args(const path_opts *o)
{
  return (sf_path_args){o->model, o->dir, {o->range[0], o->range[1]}, o->npt, o->resid, o->p.tol, o->p.maxiter,
                        o->have_summary ? o->summary : NULL, o->have_fields ? o->fields : NULL, 0};
}

static int read_opts(path_opts *o)
{
  int n;
  memset(o, 0, sizeof *o);
  sf_path_params *p = &o->p;
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 written by train", o->model, sizeof o->model, NULL));
  SF_CHECK(sf_opt_int("-direction", 2, "loaded axis: 1, 2 or 3 (sigma_11, sigma_22 or sigma_33 non-zero)", &o->dir, NULL));
  const double def_range[2] = {-0.05, 0.05};
  SF_CHECK(sf_opt_real_array("-strain_range", 2, 2, def_range, 2, "first,last prescribed strain eps_ii", o->range, &n, NULL));
  SF_CHECK(sf_opt_int("-nstrain", 21, "points of the path (evenly spaced, both ends included)", &o->npt, NULL));
  SF_CHECK(sf_opt_real("-path_tol", 1e-9, "transverse stresses below this (Ha/Bohr^3) count as zero", &p->tol, NULL));
  SF_CHECK(sf_opt_int("-path_maxiter", 5000, "Barzilai-Borwein steps per point", &p->maxiter, NULL));
  SF_CHECK(sf_opt_string("-path_residual", "subtract",
                         "subtract (hold the transverse stresses at the reference cell's residual stress, as the paper) "
                         "or zero (transverse stresses zero)",
                         o->resid, sizeof o->resid, NULL));
  SF_CHECK(sf_opt_string("-fields", NULL, "HDF5 of the predicted fields at every point of the path (as predict -fields)",
                         o->fields, sizeof o->fields, &o->have_fields));
  SF_CHECK(sf_opt_string("-summary", "path.json", "JSON of the path", o->summary, sizeof o->summary, &o->have_summary));
  return SF_OK;
}

/* Checks that need every option resolved, then the outputs (before any work). */
static int check_opts(path_opts *o)
{
  const double *range = o->range;
  if (o->dir < 1 || o->dir > 3) SF_ERROR(SF_ERR_INPUT, "-direction %d: expected 1, 2 or 3", o->dir);
  if (o->npt < 2) SF_ERROR(SF_ERR_INPUT, "-nstrain %d: need at least 2 points", o->npt);
  if (!(range[0] > -0.5 && range[1] < 0.5 && range[0] < range[1]))
    SF_ERROR(SF_ERR_INPUT, "-strain_range %g,%g: need -0.5 < first < last < 0.5 (small strains)", range[0], range[1]);
  if (!(o->p.tol > 0) || o->p.maxiter < 1) SF_ERROR(SF_ERR_INPUT, "-path_tol must be > 0 and -path_maxiter >= 1");
  if (strcmp(o->resid, "subtract") && strcmp(o->resid, "zero"))
    SF_ERROR(SF_ERR_INPUT, "-path_residual %s: expected subtract or zero", o->resid);
  const sf_path_input in[] = {{"-model", o->model}};
  const sf_path_input out[] = {{"-summary", o->have_summary ? o->summary : NULL},
                               {"-fields", o->have_fields ? o->fields : NULL}};
  SF_CHECK(sf_check_outputs(out, 2, in, 1));
  return SF_OK;
}

/* The deformed cell (I + ε) a0 of strain e (Voigt), rows. */
static cJSON *lattice_json(const double ref[3][3], const double e[6])
{
  const double eps[3][3] = {{e[0], e[5], e[4]}, {e[5], e[1], e[3]}, {e[4], e[3], e[2]}};
  cJSON *rows = cJSON_CreateArray();
  for (int i = 0; i < 3; i++) {
    double a[3];
    for (int k = 0; k < 3; k++) a[k] = ref[i][k] + eps[k][0] * ref[i][0] + eps[k][1] * ref[i][1] + eps[k][2] * ref[i][2];
    cJSON_AddItemToArray(rows, cJSON_CreateDoubleArray(a, 3));
  }
  return rows;
}

static cJSON *point_json(const sf_path_point *pt, const double sigma_ref[6], const double *xred, int nx,
                         const double ref[3][3])
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "e", cJSON_CreateDoubleArray(pt->e, 6));
  cJSON_AddItemToObject(o, "lattice", lattice_json(ref, pt->e));
  cJSON_AddItemToObject(o, "sigma", cJSON_CreateDoubleArray(pt->sigma, 6));
  double sr[6];
  for (int v = 0; v < 6; v++) sr[v] = pt->sigma[v] - sigma_ref[v];
  cJSON_AddItemToObject(o, "sigma_minus_reference", cJSON_CreateDoubleArray(sr, 6));
  cJSON_AddItemToObject(o, "D", cJSON_CreateDoubleArray(pt->D, 6));
  cJSON_AddNumberToObject(o, "F", pt->F);
  cJSON_AddNumberToObject(o, "V", pt->V);
  cJSON_AddItemToObject(o, "xred", cJSON_CreateDoubleArray(xred, nx));
  cJSON_AddBoolToObject(o, "converged", pt->converged);
  cJSON_AddNumberToObject(o, "iterations", pt->iterations);
  cJSON_AddNumberToObject(o, "stiffness_min", pt->stiffness_min);
  cJSON_AddNumberToObject(o, "transverse_stiffness_min", pt->transverse_min);
  cJSON_AddItemToObject(o, "stress", sf_elastic_json_item(&pt->el, 1));
  cJSON_AddItemToObject(o, "stability_eigenvalues", cJSON_CreateDoubleArray(pt->el.eig, 6));
  cJSON_AddBoolToObject(o, "stable", pt->el.stable);
  return o;
}

/* An onset of instability as {strain, mode}, or null. */
static cJSON *onset_json(const sf_path_onset *on)
{
  if (!on->found) return cJSON_CreateNull();
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "strain", on->strain);
  cJSON_AddItemToObject(o, "mode", cJSON_CreateDoubleArray(on->mode, 6));
  return o;
}

static cJSON *path_json(const sf_path_args *o, const sf_model *m, const sf_uniaxial_path *path)
{
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "model", o->model);
  cJSON_AddStringToObject(root, "dataset_checksum", m->dataset_checksum);
  cJSON_AddNumberToObject(root, "direction", o->dir);
  double ref[3][3];
  memcpy(ref, m->ref_rprimd, sizeof ref);
  cJSON_AddItemToObject(root, "reference_lattice", lattice_json(ref, (const double[6]){0}));
  cJSON_AddStringToObject(root, "units",
                          "strain e: Voigt (e11, e22, e33, e23, e13, e12), dimensionless; sigma (eq. 14, Voigt), stress "
                          "(eq. 13, 3x3), stiffness and stability_eigenvalues Ha/Bohr^3 (reference lattice's Cartesian "
                          "frame); stability_eigenvalues of B in Mandel form; instability mode: strain tensor (e11, e22, e33, e23, e13, e12), unit norm; "
                          "F Ha; V Bohr^3; D lambdas and degrees; xred reduced; lattice (rows) Bohr");
  cJSON_AddStringToObject(root, "path_residual", o->residual);
  cJSON_AddItemToObject(root, "reference_stress", cJSON_CreateDoubleArray(path->sigma_ref, 6));
  cJSON_AddNumberToObject(root, "reference_volume", path->V0);
  cJSON_AddNumberToObject(root, "npoints", path->npt);
  cJSON_AddNumberToObject(root, "nconverged", path->nconverged);
  static const sf_path_onset none;
  cJSON_AddItemToObject(root, "instability", onset_json(path->first >= 0 ? &path->onset[path->first] : &none));
  cJSON *ins = cJSON_AddObjectToObject(root, "onsets");
  cJSON_AddItemToObject(ins, "below_zero", onset_json(&path->onset[0]));
  cJSON_AddItemToObject(ins, "above_zero", onset_json(&path->onset[1]));
  cJSON *arr = cJSON_AddArrayToObject(root, "points");
  const int nx = 3 * m->natom;
  for (int k = 0; k < path->npt; k++)
    cJSON_AddItemToArray(arr, point_json(&path->pts[k], path->sigma_ref, path->xred + (size_t)k * nx, nx, ref));
  return root;
}

static void path_log(const sf_path_args *o, const sf_uniaxial_path *path)
{
  const int dir = o->dir, d = o->dir - 1;
  const double *sref = path->sigma_ref;
  const sf_path_point *pts = path->pts;
  sf_log(1, "path: uniaxial sigma_%d%d, %d points from e = %g to %g; %d converged\n", dir, dir, path->npt, o->range[0],
         o->range[1], path->nconverged);
  sf_log(1, "  reference cell stress (Ha/Bohr^3): %.3e %.3e %.3e %.3e %.3e %.3e; transverse stresses held at %s\n",
         sref[0], sref[1], sref[2], sref[3], sref[4], sref[5], strcmp(o->residual, "zero") ? "these" : "zero");
  if (!o->quiet)
    sf_log(1, "  %10s %16s %12s %12s %12s %14s %6s\n", "e_ii", "sigma_ii - ref", "e_11", "e_22", "e_33", "min eig(B)",
           "state");
  for (int k = 0; k < path->npt && !o->quiet; k++)
    sf_log(1, "  %10.5f %16.6e %12.5e %12.5e %12.5e %14.6e %s\n", pts[k].e[d], pts[k].sigma[d] - sref[d], pts[k].e[0],
           pts[k].e[1], pts[k].e[2], pts[k].el.eig[0],
           !pts[k].converged ? "not converged (no transverse minimum nearby)"
           : pts[k].el.stable ? "stable"
                              : "unstable");
  for (int s = 0; s < 2; s++)
    if (path->onset[s].found) {
      const double *v = path->onset[s].mode;
      sf_log(1,
             "  instability: the lowest eigenvalue of Wallace's B crosses zero at e_%d%d = %.5f; mode (e11 e22 e33 "
             "e23 e13 e12) = %.3f %.3f %.3f %.3f %.3f %.3f\n",
             dir, dir, path->onset[s].strain, v[0], v[1], v[2], v[3], v[4], v[5]);
    }
  const sf_path_point *p0 = &pts[path->k0];
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0 && fabs(p0->e[d]) < 1e-12 && !(p0->stiffness_min > 0))
    fprintf(stderr,
            "strainfield: warning: the model's free energy is not convex at the reference cell (lowest stiffness "
            "eigenvalue %.3e Ha/Bohr^3): a stable crystal has a positive one, so this energy network (too few epochs "
            "or samples?) makes unreliable paths\n",
            p0->stiffness_min);
}

/* The summary and the fields file at every point (rank 0 writes). */
static int write_outputs(const sf_path_args *o, const sf_model *m, const sf_uniaxial_path *path)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank) return SF_OK;
  cJSON *root = path_json(o, m, path);
  double *D = NULL;
  if (o->summary) SF_CHECK_GOTO(sf_write_json_file(o->summary, root));
  if (o->fields) {
    SF_CHECK_GOTO(sf_calloc((void **)&D, 6 * (size_t)path->npt, sizeof *D));
    for (int k = 0; k < path->npt; k++) memcpy(D + 6 * k, path->pts[k].D, sizeof path->pts[k].D);
    SF_CHECK_GOTO(sf_predict_fields_file(o->fields, m, D, path->npt));
  }
cleanup:
  sf_free(D);
  cJSON_Delete(root);
  return st;
}

int sf_path_files(const sf_model *m, const sf_path_args *a, int *nconverged)
{
  sf_uniaxial_path path;
  memset(&path, 0, sizeof path);
  sf_path_params p = {.dir = a->dir - 1, .tol = a->tol, .maxiter = a->maxiter, .fd_step = 1e-5};
  int st = SF_OK;
  if (!m->have_ref) SF_ERROR_GOTO(SF_ERR_INPUT, "%s has no reference lattice", a->model);
  SF_CHECK_GOTO(sf_model_uniaxial_path(m, &p, a->range, a->npt, !strcmp(a->residual, "subtract"), &path));
  path_log(a, &path);
  SF_CHECK_GOTO(write_outputs(a, m, &path));
  *nconverged = path.nconverged;
cleanup:
  sf_uniaxial_path_free(&path);
  return st;
}

int sf_cmd_path(void)
{
  path_opts o;
  SF_CHECK(read_opts(&o));
  SF_CHECK(sf_options_finish());
  SF_CHECK(check_opts(&o));
  sf_model m;
  SF_CHECK(sf_model_read(o.model, &m));
  const sf_path_args a = path_args(&o);
  int st = SF_OK, nconv = 0;
  SF_CHECK_GOTO(sf_path_files(&m, &a, &nconv));
  if (nconv < o.npt)
    SF_ERROR_GOTO(SF_ERR_NOCONV, "%d of %d path points did not reach -path_tol %g in -path_maxiter %d steps (see %s)",
                  o.npt - nconv, o.npt, o.p.tol, o.p.maxiter, o.summary);
cleanup:
  sf_model_free(&m);
  return st;
}
