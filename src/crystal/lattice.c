/* lattice.c — lattice vectors and the sf_cell container (see crystal.h).
 *
 * Owns: rprimd from ABINIT's acell/rprim and acell/angdeg, the strained lattice built
 * from D = (λa, λb, λc, θa, θb, θc), allocation of sf_cell, and sf_cell_finish (gprimd,
 * ucvol and the sanity checks on volume and interatomic distances).
 *
 * The angdeg orientation reproduces ABINIT 9.6 (checked against the rprim it echoes):
 *   general angles: a along x, b in the xy plane, c completing the triad;
 *   three equal angles other than 90°: the trigonal axis along z, a in the xz plane,
 *   b and c obtained by ±120° rotations about z (this holds even for unequal acell).
 */
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <math.h>

static const double deg2rad = 3.14159265358979323846 / 180.0;

static double norm3(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

double sf_lattice_relative_volume(const double rprimd[3][3])
{
  double scale = norm3(rprimd[0]) * norm3(rprimd[1]) * norm3(rprimd[2]);
  return scale > 0.0 ? sf_mat3_det(rprimd) / scale : 0.0;
}

int sf_lattice_from_rprim(const double acell[3], const double rprim[9], double rprimd[3][3])
{
  for (int i = 0; i < 3; i++) {
    if (!(acell[i] > 0.0)) SF_ERROR(SF_ERR_INPUT, "acell(%d) = %g must be positive", i + 1, acell[i]);
    for (int j = 0; j < 3; j++) rprimd[i][j] = acell[i] * rprim[3 * i + j];
  }
  double rel = sf_lattice_relative_volume((const double(*)[3])rprimd);
  if (!(fabs(rel) >= SF_CELL_MIN_RELVOL))
    SF_ERROR(SF_ERR_INPUT, "the lattice vectors are (nearly) coplanar: volume / (|a1| |a2| |a3|) = %.3g, below %g",
             rel, SF_CELL_MIN_RELVOL);
  if (rel < 0.0) SF_ERROR(SF_ERR_INPUT, "the lattice vectors are left-handed (a1 . (a2 x a3) < 0): swap two of them");
  return SF_OK;
}

int sf_lattice_check_angles(const double angdeg[3])
{
  for (int i = 0; i < 3; i++)
    if (!(angdeg[i] > 0.0 && angdeg[i] < 180.0))
      SF_ERROR(SF_ERR_INPUT, "angle %d = %g deg must lie strictly between 0 and 180 degrees", i + 1, angdeg[i]);
  double ca = cos(angdeg[0] * deg2rad), cb = cos(angdeg[1] * deg2rad), cg = cos(angdeg[2] * deg2rad);
  /* (V / abc)² = det of the metric of unit vectors = 1 - ca² - cb² - cg² + 2 ca cb cg */
  double v2 = 1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg;
  if (!(v2 > 0.0))
    SF_ERROR(SF_ERR_INPUT, "angles %g %g %g deg do not form a cell (one exceeds the sum of the other two, or the "
             "three add up to 360 or more)", angdeg[0], angdeg[1], angdeg[2]);
  double rel = sqrt(v2);
  if (!(rel >= SF_CELL_MIN_RELVOL))
    SF_ERROR(SF_ERR_INPUT, "angles %g %g %g deg make a degenerate (flat) cell: volume / (|a||b||c|) = %.3g, below %g",
             angdeg[0], angdeg[1], angdeg[2], rel, SF_CELL_MIN_RELVOL);
  return SF_OK;
}

/* Unit vectors with the requested angles in ABINIT's angdeg orientation. */
static int angdeg_rprim(const double angdeg[3], double r[3][3])
{
  SF_CHECK(sf_lattice_check_angles(angdeg));
  double ca = cos(angdeg[0] * deg2rad), cb = cos(angdeg[1] * deg2rad), cg = cos(angdeg[2] * deg2rad);
  /* ABINIT compares the angles with a 1e-12 tolerance to pick the trigonal orientation;
   * 90 90 90 stays on the general branch so that a cubic cell comes out diagonal. */
  int equal = fabs(angdeg[0] - angdeg[1]) < 1e-12 && fabs(angdeg[1] - angdeg[2]) < 1e-12;
  if (equal && fabs(angdeg[0] - 90.0) > 1e-12) {
    double zz = (1.0 + 2.0 * ca) / 3.0;
    if (!(zz > 0.0))
      SF_ERROR(SF_ERR_INPUT, "angdeg %g %g %g do not form a cell (angles too large)", angdeg[0],
               angdeg[1], angdeg[2]);
    double cz = sqrt(zz), ax = sqrt(1.0 - zz), s3 = sqrt(3.0) / 2.0;
    double v[3][3] = {{ax, 0.0, cz}, {-0.5 * ax, s3 * ax, cz}, {-0.5 * ax, -s3 * ax, cz}};
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) r[i][j] = v[i][j];
    return SF_OK;
  }
  double sg = sin(angdeg[2] * deg2rad);
  double y3 = (ca - cb * cg) / sg;
  double z2 = 1.0 - cb * cb - y3 * y3;
  if (!(z2 > 1e-14))
    SF_ERROR(SF_ERR_INPUT, "angdeg %g %g %g do not form a cell (the three angles are incompatible)",
             angdeg[0], angdeg[1], angdeg[2]);
  double v[3][3] = {{1.0, 0.0, 0.0}, {cg, sg, 0.0}, {cb, y3, sqrt(z2)}};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) r[i][j] = v[i][j];
  return SF_OK;
}

int sf_lattice_from_angdeg(const double acell[3], const double angdeg[3], double rprimd[3][3])
{
  double r[3][3], flat[9];
  SF_CHECK(angdeg_rprim(angdeg, r));
  for (int i = 0; i < 9; i++) flat[i] = r[i / 3][i % 3];
  SF_CHECK(sf_lattice_from_rprim(acell, flat, rprimd));
  return SF_OK;
}

void sf_lattice_apply_strain(const double ref_rprimd[3][3], const double eps[3][3], double rprimd[3][3])
{
  for (int i = 0; i < 3; i++)
    for (int a = 0; a < 3; a++) {
      rprimd[i][a] = ref_rprimd[i][a];
      for (int b = 0; b < 3; b++) rprimd[i][a] += eps[a][b] * ref_rprimd[i][b];
    }
}

double sf_mat3_det(const double m[3][3])
{
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

int sf_mat3_inverse(const double m[3][3], double inv[3][3])
{
  const double det = sf_mat3_det(m);
  if (fabs(det) < 1e-14) SF_ERROR(SF_ERR_INPUT, "singular deformation gradient (determinant %g)", det);
  for (int i = 0; i < 3; i++) /* the adjugate over the determinant, indices cyclic */
    for (int j = 0; j < 3; j++) {
      const int a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, d = (i + 2) % 3;
      inv[i][j] = (m[a][c] * m[b][d] - m[a][d] * m[b][c]) / det;
    }
  return SF_OK;
}

int sf_lattice_from_strain(const double ref_rprimd[3][3], const double D[6], double rprimd[3][3])
{
  double len[3];
  for (int i = 0; i < 3; i++) {
    double n = sqrt(ref_rprimd[i][0] * ref_rprimd[i][0] + ref_rprimd[i][1] * ref_rprimd[i][1] +
                    ref_rprimd[i][2] * ref_rprimd[i][2]);
    if (!(n > 0.0)) SF_ERROR(SF_ERR_INPUT, "reference lattice vector %d has zero length", i + 1);
    if (!(D[i] > 0.0)) SF_ERROR(SF_ERR_INPUT, "strain stretch lambda_%d = %g must be positive", i + 1, D[i]);
    len[i] = D[i] * n;
  }
  SF_CHECK(sf_lattice_from_angdeg(len, &D[3], rprimd));
  return SF_OK;
}

int sf_cell_alloc(sf_cell *cell, int natom, int ntypat)
{
  *cell = (sf_cell){0};
  if (natom < 1 || ntypat < 1)
    SF_ERROR(SF_ERR_INPUT, "a cell needs natom >= 1 and ntypat >= 1 (got %d, %d)", natom, ntypat);
  int st = SF_OK;
  cell->natom = natom;
  cell->ntypat = ntypat;
  SF_CHECK_GOTO(sf_calloc((void **)&cell->typat, (size_t)natom, sizeof *cell->typat));
  SF_CHECK_GOTO(sf_calloc((void **)&cell->xred, (size_t)natom, sizeof *cell->xred));
  SF_CHECK_GOTO(sf_calloc((void **)&cell->znucl, (size_t)ntypat, sizeof *cell->znucl));
  SF_CHECK_GOTO(sf_calloc((void **)&cell->zion, (size_t)ntypat, sizeof *cell->zion));
cleanup:
  if (st) sf_cell_free(cell);
  return st;
}

void sf_cell_free(sf_cell *cell)
{
  if (!cell) return;
  sf_free(cell->typat);
  sf_free(cell->xred);
  sf_free(cell->znucl);
  sf_free(cell->zion);
  *cell = (sf_cell){0};
}

void sf_cell_xcart(const sf_cell *cell, int ia, double x[3])
{
  for (int k = 0; k < 3; k++)
    x[k] = cell->xred[ia][0] * cell->rprimd[0][k] + cell->xred[ia][1] * cell->rprimd[1][k] +
           cell->xred[ia][2] * cell->rprimd[2][k];
}

static void cross(const double a[3], const double b[3], double c[3])
{
  c[0] = a[1] * b[2] - a[2] * b[1];
  c[1] = a[2] * b[0] - a[0] * b[2];
  c[2] = a[0] * b[1] - a[1] * b[0];
}

int sf_cell_finish(sf_cell *cell, double min_dist)
{
  double(*a)[3] = cell->rprimd;
  double c12[3];
  cross(a[1], a[2], c12);
  double vol = a[0][0] * c12[0] + a[0][1] * c12[1] + a[0][2] * c12[2];
  double rel = sf_lattice_relative_volume((const double(*)[3])a);
  if (!(vol > 0.0))
    SF_ERROR(SF_ERR_INPUT, "cell volume %.6g Bohr^3 is not positive (lattice vectors left-handed or coplanar)", vol);
  if (!(rel >= SF_CELL_MIN_RELVOL))
    SF_ERROR(SF_ERR_INPUT, "cell volume %.6g Bohr^3 is not positive enough: the lattice vectors are nearly coplanar "
             "(degenerate cell, volume / (|a1| |a2| |a3|) = %.3g, below %g)", vol, rel, SF_CELL_MIN_RELVOL);
  cell->ucvol = vol;
  for (int i = 0; i < 3; i++) {
    double c[3];
    cross(a[(i + 1) % 3], a[(i + 2) % 3], c);
    for (int k = 0; k < 3; k++) cell->gprimd[i][k] = c[k] / vol;
  }
  for (int ia = 0; ia < cell->natom; ia++)
    if (cell->typat[ia] < 0 || cell->typat[ia] >= cell->ntypat)
      SF_ERROR(SF_ERR_INPUT, "atom %d has type %d outside 1..%d", ia + 1, cell->typat[ia] + 1,
               cell->ntypat);
  if (!(min_dist > 0.0)) return SF_OK;

  /* Images within min_dist: |n_i| <= min_dist*|b_i| bounds the lattice translations once the
   * reduced difference is folded into [-1/2, 1/2). */
  int nmax[3];
  double nimages = 1.0;
  for (int i = 0; i < 3; i++) {
    double m = ceil(min_dist * norm3(cell->gprimd[i])) + 1.0;
    nimages *= 2.0 * m + 1.0;
    nmax[i] = m < 1e6 ? (int)m : 1000000;
  }
  if (nimages > (double)SF_CELL_MAX_POINTS)
    SF_ERROR(SF_ERR_INPUT, "the cell is too small for the distance check: %.3g periodic images lie within %g Bohr "
             "(lattice vectors of %.3g, %.3g, %.3g Bohr)", nimages, min_dist, norm3(a[0]), norm3(a[1]), norm3(a[2]));
  for (int ia = 0; ia < cell->natom; ia++)
    for (int ib = ia; ib < cell->natom; ib++) {
      double dr[3];
      for (int k = 0; k < 3; k++) {
        dr[k] = cell->xred[ib][k] - cell->xred[ia][k];
        dr[k] -= floor(dr[k] + 0.5);
      }
      double dmin = INFINITY;
      for (int n0 = -nmax[0]; n0 <= nmax[0]; n0++)
        for (int n1 = -nmax[1]; n1 <= nmax[1]; n1++)
          for (int n2 = -nmax[2]; n2 <= nmax[2]; n2++) {
            if (ia == ib && n0 == 0 && n1 == 0 && n2 == 0) continue;
            double f[3] = {dr[0] + n0, dr[1] + n1, dr[2] + n2}, x[3];
            for (int k = 0; k < 3; k++) x[k] = f[0] * a[0][k] + f[1] * a[1][k] + f[2] * a[2][k];
            double d = norm3(x);
            if (d < dmin) dmin = d;
          }
      if (dmin < min_dist) {
        if (ia == ib)
          SF_ERROR(SF_ERR_INPUT, "atom %d is %.6g Bohr from its own periodic image (minimum %g Bohr)",
                   ia + 1, dmin, min_dist);
        SF_ERROR(SF_ERR_INPUT, "-xred: atoms %d and %d are %.6g Bohr apart (periodic images included), "
                 "closer than the minimum %g Bohr", ia + 1, ib + 1, dmin, min_dist);
      }
    }
  return SF_OK;
}

double sf_cell_gcart(const sf_cell *cell, const int g[3], double q[3])
{
  for (int c = 0; c < 3; c++)
    q[c] = 2.0 * M_PI * (g[0] * cell->gprimd[0][c] + g[1] * cell->gprimd[1][c] + g[2] * cell->gprimd[2][c]);
  return q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
}
