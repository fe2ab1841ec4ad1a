/* cmd_path.c — `strainfield path`: uniaxial stress-strain path of a trained model (the
 * paper's §4.5): ε_ii swept over a range, the five other strains relaxed so that their
 * stresses vanish (Barzilai-Borwein descent on the energy network), stress by
 * back-propagation, predicted positions, and where the path loses stability. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/ml.h"
#include "strainfield/options.h"
#include "strainfield/output.h"
#include "strainfield/stresspath.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int model_energy(void *ctx, const double D[6], double *F, double dF[6])
{
  return sf_model_dF_dD((const sf_model *)ctx, D, F, dF);
}

/* point k of the even grid over [range[0], range[1]] */
static double grid_strain(const double range[2], int npt, int k) { return range[0] + (range[1] - range[0]) * k / (npt - 1); }

int sf_cmd_path(void)
{
  char model_path[1024], summary[1024];
  int have_summary, dir, npt, n;
  double range[2];
  sf_path_params p;
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 written by train", model_path, sizeof model_path, NULL));
  SF_CHECK(sf_opt_int("-direction", 2, "loaded axis: 1, 2 or 3 (sigma_11, sigma_22 or sigma_33 non-zero)", &dir, NULL));
  const double def_range[2] = {-0.05, 0.05};
  SF_CHECK(sf_opt_real_array("-strain_range", 2, 2, def_range, 2, "first,last prescribed strain eps_ii", range, &n, NULL));
  SF_CHECK(sf_opt_int("-nstrain", 21, "points of the path (evenly spaced, both ends included)", &npt, NULL));
  SF_CHECK(sf_opt_real("-path_tol", 1e-9, "transverse stresses below this (Ha/Bohr^3) count as zero", &p.tol, NULL));
  SF_CHECK(sf_opt_int("-path_maxiter", 5000, "Barzilai-Borwein steps per point", &p.maxiter, NULL));
  char resid[32];
  SF_CHECK(sf_opt_string("-path_residual", "subtract",
                         "subtract (hold the transverse stresses at the reference cell's residual stress, as the paper) "
                         "or zero (transverse stresses zero)",
                         resid, sizeof resid, NULL));
  char fields[1024];
  int have_fields;
  SF_CHECK(sf_opt_string("-fields", NULL, "HDF5 of the predicted fields at every point of the path (as predict -fields)",
                         fields, sizeof fields, &have_fields));
  SF_CHECK(sf_opt_string("-summary", "path.json", "JSON of the path", summary, sizeof summary, &have_summary));
  SF_CHECK(sf_options_finish());
  if (dir < 1 || dir > 3) SF_ERROR(SF_ERR_INPUT, "-direction %d: expected 1, 2 or 3", dir);
  if (npt < 2) SF_ERROR(SF_ERR_INPUT, "-nstrain %d: need at least 2 points", npt);
  if (!(range[0] > -0.5 && range[1] < 0.5 && range[0] < range[1]))
    SF_ERROR(SF_ERR_INPUT, "-strain_range %g,%g: need -0.5 < first < last < 0.5 (small strains)", range[0], range[1]);
  if (!(p.tol > 0) || p.maxiter < 1) SF_ERROR(SF_ERR_INPUT, "-path_tol must be > 0 and -path_maxiter >= 1");
  if (strcmp(resid, "subtract") && strcmp(resid, "zero"))
    SF_ERROR(SF_ERR_INPUT, "-path_residual %s: expected subtract or zero", resid);
  const sf_path_input in[] = {{"-model", model_path}};
  const sf_path_input out[] = {{"-summary", have_summary ? summary : NULL}, {"-fields", have_fields ? fields : NULL}};
  SF_CHECK(sf_check_outputs(out, 2, in, 1)); /* before any work */
  p.dir = dir - 1;
  p.fd_step = 1e-5;
  memset(p.sigma0, 0, sizeof p.sigma0);
  sf_model m;
  SF_CHECK(sf_model_read(model_path, &m));
  int st = m.have_ref ? SF_OK : sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "%s has no reference lattice", model_path);
  double ref[3][3];
  memcpy(ref, m.ref_rprimd, sizeof ref);
  sf_path_point *pts = NULL;
  double *xred = NULL;
  const int nx = 3 * m.natom;
  if (!st) st = sf_calloc((void **)&pts, npt, sizeof *pts);
  if (!st) st = sf_calloc((void **)&xred, (size_t)npt * (nx ? nx : 1), sizeof *xred);
  /* continuation outward from the point nearest ε_ii = 0, each point starting from its
   * neighbour's transverse strains */
  int k0 = 0;
  for (int k = 1; k < npt; k++)
    if (fabs(grid_strain(range, npt, k)) < fabs(grid_strain(range, npt, k0))) k0 = k;
  const double zero[6] = {0};
  double F0, D0[6], V0, sigma_ref[6];
  if (!st) st = sf_stress_at(model_energy, &m, ref, zero, &F0, D0, &V0, sigma_ref, NULL);
  if (!st && !strcmp(resid, "subtract")) memcpy(p.sigma0, sigma_ref, sizeof sigma_ref);
  for (int pass = 0; pass < 2 && !st; pass++) {
    const double *start = pass ? pts[k0].e : zero;
    for (int k = pass ? k0 - 1 : k0; k >= 0 && k < npt && !st; k += pass ? -1 : 1) {
      st = sf_uniaxial_point(model_energy, &m, ref, &p, grid_strain(range, npt, k), start, &pts[k]);
      if (pts[k].converged) start = pts[k].e; /* a runaway point is no place to restart from */
      double F;
      if (!st) st = sf_model_predict(&m, pts[k].D, 1, &F, xred + (size_t)k * nx, NULL);
    }
  }
  /* the first loss of stability on each side of ε_ii = 0 */
  int unstable[2] = {-1, -1}, nconv = 0;
  for (int k = 0; k < npt && !st; k++) nconv += pts[k].converged;
  for (int k = k0; k >= 0 && !st && unstable[0] < 0; k--)
    if (pts[k].stiffness_min <= 0) unstable[0] = k;
  for (int k = k0; k < npt && !st && unstable[1] < 0; k++)
    if (pts[k].stiffness_min <= 0) unstable[1] = k;
  cJSON *root = cJSON_CreateObject();
  if (!st) {
    cJSON_AddStringToObject(root, "version", SF_VERSION);
    cJSON_AddStringToObject(root, "model", model_path);
    cJSON_AddStringToObject(root, "dataset_checksum", m.dataset_checksum);
    cJSON_AddNumberToObject(root, "direction", dir);
    cJSON_AddStringToObject(root, "units",
                            "strain e: Voigt (e11, e22, e33, e23, e13, e12), dimensionless; sigma and stiffness Ha/Bohr^3; "
                            "F Ha; V Bohr^3; D lambdas and degrees; xred reduced");
    cJSON_AddStringToObject(root, "path_residual", resid);
    cJSON_AddItemToObject(root, "reference_stress", cJSON_CreateDoubleArray(sigma_ref, 6));
    cJSON_AddNumberToObject(root, "reference_volume", V0);
    cJSON_AddNumberToObject(root, "npoints", npt);
    cJSON_AddNumberToObject(root, "nconverged", nconv);
    cJSON *ins = cJSON_AddObjectToObject(root, "instability");
    const char *side[2] = {"below_zero", "above_zero"};
    for (int s = 0; s < 2; s++) {
      if (unstable[s] >= 0) cJSON_AddNumberToObject(ins, side[s], pts[unstable[s]].e[p.dir]);
      else cJSON_AddNullToObject(ins, side[s]);
    }
    cJSON *arr = cJSON_AddArrayToObject(root, "points");
    for (int k = 0; k < npt; k++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddItemToObject(o, "e", cJSON_CreateDoubleArray(pts[k].e, 6));
      cJSON_AddItemToObject(o, "sigma", cJSON_CreateDoubleArray(pts[k].sigma, 6));
      double sr[6];
      for (int v = 0; v < 6; v++) sr[v] = pts[k].sigma[v] - sigma_ref[v];
      cJSON_AddItemToObject(o, "sigma_minus_reference", cJSON_CreateDoubleArray(sr, 6));
      cJSON_AddItemToObject(o, "D", cJSON_CreateDoubleArray(pts[k].D, 6));
      cJSON_AddNumberToObject(o, "F", pts[k].F);
      cJSON_AddNumberToObject(o, "V", pts[k].V);
      cJSON_AddItemToObject(o, "xred", cJSON_CreateDoubleArray(xred + (size_t)k * nx, nx));
      cJSON_AddBoolToObject(o, "converged", pts[k].converged);
      cJSON_AddNumberToObject(o, "iterations", pts[k].iterations);
      cJSON_AddNumberToObject(o, "stiffness_min", pts[k].stiffness_min);
      cJSON_AddNumberToObject(o, "transverse_stiffness_min", pts[k].transverse_min);
      cJSON_AddItemToArray(arr, o);
    }
    sf_log(1, "path: uniaxial sigma_%d%d, %d points from e = %g to %g; %d converged\n", dir, dir, npt, range[0], range[1], nconv);
    sf_log(1, "  reference cell stress (Ha/Bohr^3): %.3e %.3e %.3e %.3e %.3e %.3e; transverse stresses held at %s\n",
           sigma_ref[0], sigma_ref[1], sigma_ref[2], sigma_ref[3], sigma_ref[4], sigma_ref[5],
           strcmp(resid, "zero") ? "these" : "zero");
    sf_log(1, "  %10s %16s %12s %12s %12s %6s\n", "e_ii", "sigma_ii - ref", "e_11", "e_22", "e_33", "state");
    for (int k = 0; k < npt; k++)
      sf_log(1, "  %10.5f %16.6e %12.5e %12.5e %12.5e %s\n", pts[k].e[p.dir], pts[k].sigma[p.dir] - sigma_ref[p.dir],
             pts[k].e[0], pts[k].e[1], pts[k].e[2],
             !pts[k].converged ? "not converged (no transverse minimum nearby)"
             : pts[k].stiffness_min > 0 ? "stable"
                                         : "unstable");
    for (int s = 0; s < 2; s++)
      if (unstable[s] >= 0)
        sf_log(1, "  instability: the stiffness loses positive definiteness at e_%d%d = %g\n", dir, dir, pts[unstable[s]].e[p.dir]);
  }
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (!st && rank == 0 && fabs(pts[k0].e[p.dir]) < 1e-12 && !(pts[k0].stiffness_min > 0))
    fprintf(stderr,
            "strainfield: warning: the model's free energy is not convex at the reference cell (lowest stiffness "
            "eigenvalue %.3e Ha/Bohr^3): a stable crystal has a positive one, so this energy network (too few epochs "
            "or samples?) makes unreliable paths\n",
            pts[k0].stiffness_min);
  if (!st && rank == 0 && have_summary) st = sf_write_json_file(summary, root);
  if (!st && rank == 0 && have_fields) {
    double *D = NULL;
    st = sf_calloc((void **)&D, 6 * (size_t)npt, sizeof *D);
    for (int k = 0; k < npt && !st; k++) memcpy(D + 6 * k, pts[k].D, sizeof pts[k].D);
    if (!st) st = sf_predict_fields_file(fields, &m, D, npt);
    sf_free(D);
  }
  cJSON_Delete(root);
  sf_free(pts);
  sf_free(xred);
  sf_model_free(&m);
  SF_CHECK(st);
  if (nconv < npt)
    SF_ERROR(SF_ERR_NOCONV, "%d of %d path points did not reach -path_tol %g in -path_maxiter %d steps (see %s)", npt - nconv,
             npt, p.tol, p.maxiter, summary);
  return SF_OK;
}
