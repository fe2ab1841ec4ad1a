/* kpoints.c — Monkhorst-Pack meshes reduced to the irreducible wedge (see crystal.h).
 *
 * Owns: the full shifted mesh as ABINIT's kptopt 1 builds it (k = (i + shift)/ngkpt per
 * reduced direction, one copy of the mesh per shift) and its partition into stars.
 *
 * Reduction: a real-space operation x' = R x (reduced coordinates) maps the reduced wave
 * vector k to R^{-T} k, so that k'·x' = k·x.  Each mesh point is assigned to the star of the
 * first unassigned point met in mesh order; images that fall outside the mesh (a mesh that
 * does not have the full symmetry, ABINIT's chksymbreak 0 case) are ignored.  This gives the
 * same stars, hence the same nkpt and weights, as ABINIT's symkpt: membership in a star is
 * the group orbit intersected with the mesh, whatever order the points are visited in.
 */
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <math.h>
#include <string.h>

void sf_kpoints_free(sf_kpoints *kp)
{
  if (!kp) return;
  sf_free(kp->kred);
  sf_free(kp->wtk);
  kp->kred = NULL;
  kp->wtk = NULL;
  kp->nkpt = 0;
}

/* Inverse of an integer matrix with determinant ±1 (every lattice symmetry). */
static int int_inverse(const int r[3][3], int inv[3][3])
{
  int det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
            r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
            r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
  if (det != 1 && det != -1) return 1;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      int a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, d = (i + 2) % 3;
      inv[i][j] = (r[a][c] * r[b][d] - r[a][d] * r[b][c]) * det;
    }
  return 0;
}

/* Index of reduced point k in the shifted mesh, or -1 if it is not a mesh point. */
static long mesh_index(const double k[3], const int ngkpt[3], int nshiftk, const double (*shiftk)[3])
{
  long nk = (long)ngkpt[0] * ngkpt[1] * ngkpt[2];
  for (int is = 0; is < nshiftk; is++) {
    long idx = 0;
    int ok = 1;
    for (int d = 0; d < 3 && ok; d++) {
      double u = k[d] * ngkpt[d] - shiftk[is][d];
      double r = nearbyint(u);
      if (fabs(u - r) > 1e-6) {
        ok = 0;
        break;
      }
      long i = (long)r % ngkpt[d];
      if (i < 0) i += ngkpt[d];
      idx = idx * ngkpt[d] + i;
    }
    if (ok) return is * nk + idx;
  }
  return -1;
}

int sf_kpoints_monkhorst_pack(const sf_symmetry *sym, const int ngkpt[3], int nshiftk,
                              const double (*shiftk)[3], int time_reversal, sf_kpoints *kp)
{
  kp->nkpt = 0;
  kp->kred = NULL;
  kp->wtk = NULL;
  for (int d = 0; d < 3; d++)
    if (ngkpt[d] < 1) SF_ERROR(SF_ERR_INPUT, "ngkpt(%d) = %d must be at least 1", d + 1, ngkpt[d]);
  if (nshiftk < 1) SF_ERROR(SF_ERR_INPUT, "nshiftk = %d must be at least 1", nshiftk);
  if ((double)ngkpt[0] * ngkpt[1] * ngkpt[2] * nshiftk > (double)SF_CELL_MAX_POINTS)
    SF_ERROR(SF_ERR_INPUT, "the k-point mesh %dx%dx%d with %d shifts has more than %ld points", ngkpt[0], ngkpt[1],
             ngkpt[2], nshiftk, SF_CELL_MAX_POINTS);
  if (sym->nsym < 1 || sym->nsym > SF_MAXSYM)
    SF_ERROR(SF_ERR_INTERNAL, "symmetry with nsym = %d", sym->nsym);

  /* The point group: pure translations of a non-primitive cell repeat rotations. */
  int pg[SF_MAXSYM][3][3];
  int npg = 0;
  for (int s = 0; s < sym->nsym; s++) {
    int inv[3][3], seen = 0;
    if (int_inverse((const int(*)[3])sym->rot[s], inv))
      SF_ERROR(SF_ERR_INPUT, "symmetry operation %d is not unimodular", s + 1);
    int kt[3][3]; /* R^{-T} */
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) kt[i][j] = inv[j][i];
    for (int p = 0; p < npg && !seen; p++) seen = !memcmp(pg[p], kt, sizeof kt);
    if (!seen) memcpy(pg[npg++], kt, sizeof kt);
  }

  long nk = (long)ngkpt[0] * ngkpt[1] * ngkpt[2], ntot = nk * nshiftk;
  long *star = NULL, nstar = 0;
  double (*kfull)[3] = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&star, (size_t)ntot, sizeof *star));
  SF_CHECK_GOTO(sf_calloc((void **)&kfull, (size_t)ntot, sizeof *kfull));
  for (int is = 0; is < nshiftk; is++)
    for (long i0 = 0; i0 < ngkpt[0]; i0++)
      for (long i1 = 0; i1 < ngkpt[1]; i1++)
        for (long i2 = 0; i2 < ngkpt[2]; i2++) {
          long idx = is * nk + (i0 * ngkpt[1] + i1) * ngkpt[2] + i2;
          long ii[3] = {i0, i1, i2};
          for (int d = 0; d < 3; d++) {
            double k = (ii[d] + shiftk[is][d]) / ngkpt[d];
            k -= ceil(k - 0.5 - 1e-10); /* fold into (-1/2, 1/2] as ABINIT prints them */
            kfull[idx][d] = k;
          }
          star[idx] = -1;
        }

  for (long i = 0; i < ntot; i++) {
    if (star[i] >= 0) continue;
    star[i] = nstar;
    for (int p = 0; p < npg; p++)
      for (int sgn = 1; sgn >= (time_reversal ? -1 : 1); sgn -= 2) {
        double k[3];
        for (int a = 0; a < 3; a++)
          k[a] = sgn * (pg[p][a][0] * kfull[i][0] + pg[p][a][1] * kfull[i][1] +
                        pg[p][a][2] * kfull[i][2]);
        long j = mesh_index(k, ngkpt, nshiftk, shiftk);
        if (j >= 0 && star[j] < 0) star[j] = nstar;
      }
    nstar++;
  }

  SF_CHECK_GOTO(sf_calloc((void **)&kp->kred, (size_t)nstar, sizeof *kp->kred));
  SF_CHECK_GOTO(sf_calloc((void **)&kp->wtk, (size_t)nstar, sizeof *kp->wtk));
  kp->nkpt = (int)nstar;
  /* Stars are numbered in order of their first member, so the representative is the first
   * point with a new star number. */
  long next = 0;
  for (long i = 0; i < ntot; i++) {
    if (star[i] == next) {
      memcpy(kp->kred[next], kfull[i], sizeof kp->kred[next]);
      next++;
    }
    kp->wtk[star[i]] += 1.0 / (double)ntot;
  }
cleanup:
  sf_free(star);
  sf_free(kfull);
  if (st) sf_kpoints_free(kp);
  return st;
}
