/* uniaxial_path.c — the uniaxial stress-strain path of a trained model (the paper's §4.5):
 * ε_ii swept over a range, the five other strains relaxed at every point
 * (sf_uniaxial_point, on the energy network), the predicted positions, and where the path
 * loses stability on each side of ε_ii = 0.  See stresspath.h. */
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

/* The first loss of stability on each side of ε_ii = 0, and the converged count. */
static void find_instability(sf_uniaxial_path *path)
{
  const sf_path_point *pts = path->pts;
  path->unstable[0] = path->unstable[1] = -1;
  path->nconverged = 0;
  for (int k = 0; k < path->npt; k++) path->nconverged += pts[k].converged;
  for (int k = path->k0; k >= 0 && path->unstable[0] < 0; k--)
    if (pts[k].stiffness_min <= 0) path->unstable[0] = k;
  for (int k = path->k0; k < path->npt && path->unstable[1] < 0; k++)
    if (pts[k].stiffness_min <= 0) path->unstable[1] = k;
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
      if (pts[k].converged) start = pts[k].e; /* a runaway point is no place to restart from */
      double F;
      SF_CHECK_GOTO(sf_model_predict(m, pts[k].D, 1, &F, path->xred + (size_t)k * nx, NULL));
    }
  }
  find_instability(path);
cleanup:
  if (st) sf_uniaxial_path_free(path);
  return st;
}
