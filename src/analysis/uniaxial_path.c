/* uniaxial_path.c — the uniaxial stress-strain path of a trained model (the paper's §4.5):
 * ε_ii swept over a range, the five other strains relaxed at every point
 * (sf_uniaxial_point, on the energy network), the predicted positions, the finite-strain
 * stress and Wallace's stability coefficients at every point (exact Hessian of the
 * network), and where the path loses stability on each side of ε_ii = 0.  See
 * stresspath.h. */
#include "strainfield/core.h"
#include "strainfield/stresspath.h"

#include <math.h>
#include <string.h>

static int model_energy(void *ctx, const double D[6], double *F, double dF[6])
{
  return sf_model_dF_dD((const sf_model *)ctx, D, F, dF);
}

double sf_path_grid_strain(const double range[2], int npt, int k) { return range[0] + (range[1] - range[0]) * k / (npt - 1); }

void sf_uniaxial_path_free(sf_uniaxial_path *path)
{
  sf_free(path->pts);
  sf_free(path->xred);
  memset(path, 0, sizeof *path);
}

/* Lowest eigenvalue of (1 − t) Ba + t Bb and its eigenvector. */
static int interpolated_lowest(const double Ba[6][6], const double Bb[6][6], double t, double *lo, double v[6])
{
  double B[6][6], w[6];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) B[i][j] = (1 - t) * Ba[i][j] + t * Bb[i][j];
  SF_CHECK(sf_stability_eig((const double(*)[6])B, w, v));
  *lo = w[0];
  return SF_OK;
}

int sf_path_onset_find(const sf_path_point *pts, int npt, int k0, int dir, int side, sf_path_onset *o)
{
  memset(o, 0, sizeof *o);
  o->k = -1;
  if (!pts[k0].converged || !(pts[k0].el.eig[0] > 0)) return SF_OK;
  for (int k = k0 + side; k >= 0 && k < npt && pts[k].converged; k += side) {
    if (pts[k].el.eig[0] > 0) continue;
    const sf_path_point *a = &pts[k - side], *b = &pts[k];
    /* the lowest eigenvalue of a linear pencil is concave in t: one root in (0, 1] */
    double lo = 0, hi = 1, f, v[6];
    for (int it = 0; it < 60; it++) {
      const double mid = 0.5 * (lo + hi);
      SF_CHECK(interpolated_lowest((const double(*)[6])a->el.B, (const double(*)[6])b->el.B, mid, &f, v));
      if (f > 0) lo = mid;
      else hi = mid;
    }
    const double t = 0.5 * (lo + hi);
    SF_CHECK(interpolated_lowest((const double(*)[6])a->el.B, (const double(*)[6])b->el.B, t, &f, o->mode));
    o->found = 1;
    o->k = k;
    o->strain = a->e[dir] + t * (b->e[dir] - a->e[dir]);
    return SF_OK;
  }
  return SF_OK;
}

/* The converged count and the loss of stability on each side of ε_ii = 0. */
static int find_instability(sf_uniaxial_path *path, int dir)
{
  path->nconverged = 0;
  for (int k = 0; k < path->npt; k++) path->nconverged += path->pts[k].converged;
  for (int s = 0; s < 2; s++) SF_CHECK(sf_path_onset_find(path->pts, path->npt, path->k0, dir, s ? 1 : -1, &path->onset[s]));
  const sf_path_onset *o = path->onset;
  path->first = !o[0].found && !o[1].found ? -1
                : !o[1].found              ? 0
                : !o[0].found              ? 1
                                           : (fabs(o[1].strain) < fabs(o[0].strain));
  return SF_OK;
}

int sf_model_uniaxial_path(const sf_model *m, sf_path_params *p, const double range[2], int npt, int subtract_residual,
                           sf_uniaxial_path *path)
{
  int st = SF_OK;
  memset(path, 0, sizeof *path);
  path->npt = npt;
  if (!m->have_ref) SF_ERROR(SF_ERR_INPUT, "the model has no reference lattice");
  double ref[3][3];
  memcpy(ref, m->ref_rprimd, sizeof ref);
  const int nx = 3 * m->natom;
  SF_CHECK_GOTO(sf_calloc((void **)&path->pts, npt, sizeof *path->pts));
  SF_CHECK_GOTO(sf_calloc((void **)&path->xred, (size_t)npt * (nx ? nx : 1), sizeof *path->xred));
  sf_path_point *pts = path->pts;
  int k0 = 0;
  for (int k = 1; k < npt; k++)
    if (fabs(sf_path_grid_strain(range, npt, k)) < fabs(sf_path_grid_strain(range, npt, k0))) k0 = k;
  path->k0 = k0;
  const double zero[6] = {0};
  double F0, D0[6];
  SF_CHECK_GOTO(sf_stress_at(model_energy, (void *)m, ref, zero, &F0, D0, &path->V0, path->sigma_ref, NULL));
  if (subtract_residual) memcpy(p->sigma0, path->sigma_ref, sizeof path->sigma_ref);
  for (int pass = 0; pass < 2; pass++) {
    const double *start = pass ? pts[k0].e : zero;
    for (int k = pass ? k0 - 1 : k0; k >= 0 && k < npt; k += pass ? -1 : 1) {
      SF_CHECK_GOTO(sf_uniaxial_point(model_energy, (void *)m, ref, p, sf_path_grid_strain(range, npt, k), start, &pts[k]));
      SF_CHECK_GOTO(sf_path_point_elastic(sf_model_energy_hess, (void *)m, ref, &pts[k]));
      if (pts[k].converged) start = pts[k].e; /* a runaway point is no place to restart from */
      double F;
      SF_CHECK_GOTO(sf_model_predict(m, pts[k].D, 1, &F, path->xred + (size_t)k * nx, NULL));
    }
  }
  SF_CHECK_GOTO(find_instability(path, p->dir));
cleanup:
  if (st) sf_uniaxial_path_free(path);
  return st;
}
