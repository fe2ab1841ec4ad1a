/* kpoints.c — Monkhorst-Pack meshes reduced to the irreducible wedge (see crystal.h).
 *
 * Owns: the full shifted mesh as ABINIT's kptopt 1 builds it (k = (i + shift)/ngkpt per
 * reduced direction, or the lattice of a general kptrlatt; one copy of the mesh per shift)
 * and its partition into stars.
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
#include <stdlib.h>
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

/* The k-point lattice of ABINIT's kptrlatt K (K[i][j] = kptrlatt(i+1,j+1); column j is the
 * j-th superlattice vector in units of the a_i): the superlattice's reciprocal vectors are the
 * columns of K^{-T} in units of the b_i, so a mesh point is k = K^{-T} (n + shift) for integer
 * n, and n and n + K^T m give the same point modulo the reciprocal lattice.  H is a Hermite
 * form of K^T (H = K^T U, U unimodular, upper triangular, positive diagonal): the box
 * 0 <= n_d < H[d][d] holds exactly one n of each class, |det K| points.  For a diagonal K
 * (ngkpt) H = K, the box is the ngkpt mesh and the point order is the historical one. */
typedef struct {
  int k[3][3];       /* kptrlatt */
  long h[3][3];      /* Hermite form of K^T */
  long det;          /* det K */
  long adj[3][3];    /* adjugate of K: K^{-1} = adj / det */
  int diagonal;
} mesh_lattice;

static int lattice_setup(const int kptrlatt[3][3], mesh_lattice *L)
{
  memcpy(L->k, kptrlatt, sizeof L->k);
  const int(*K)[3] = kptrlatt;
  L->diagonal = 1;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      if (i != j && K[i][j]) L->diagonal = 0;
      int a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, d = (i + 2) % 3;
      L->adj[i][j] = (long)K[a][c] * K[b][d] - (long)K[a][d] * K[b][c];
      L->h[i][j] = K[j][i];
    }
  L->det = 0;
  for (int j = 0; j < 3; j++) L->det += (long)K[0][j] * L->adj[j][0];
  if (L->det == 0) return 1;
  /* column operations, bottom row first: Euclid on (h[r][r], h[r][c]) leaves h[r][c] = 0;
   * rows below r are already zero in columns 0..r, so they stay untouched */
  long(*h)[3] = L->h;
  for (int r = 2; r >= 0; r--) {
    for (int c = 0; c < r; c++)
      while (h[r][c] != 0) {
        long q = h[r][r] / h[r][c];
        for (int i = 0; i < 3; i++) {
          long t = h[i][r] - q * h[i][c];
          h[i][r] = h[i][c];
          h[i][c] = t;
        }
      }
    if (h[r][r] < 0)
      for (int i = 0; i < 3; i++) h[i][r] = -h[i][r];
  }
  return 0;
}

/* Reduced coordinates K^{-T} (n + shift), folded into (-1/2, 1/2] as ABINIT prints them. */
static void lattice_point(const mesh_lattice *L, const long n[3], const double shift[3], double k[3])
{
  for (int a = 0; a < 3; a++) {
    if (L->diagonal) k[a] = (n[a] + shift[a]) / L->k[a][a];
    else {
      k[a] = 0;
      for (int b = 0; b < 3; b++) k[a] += (double)L->adj[b][a] * (n[b] + shift[b]); /* K^{-T} */
      k[a] /= (double)L->det;
    }
    k[a] -= ceil(k[a] - 0.5 - 1e-10);
  }
}

/* Index of reduced point k in the shifted mesh, or -1 if it is not a mesh point. */
static long mesh_index(const double k[3], const mesh_lattice *L, int nshiftk, const double (*shiftk)[3])
{
  const long(*h)[3] = (const long(*)[3])L->h;
  long nk = h[0][0] * h[1][1] * h[2][2];
  for (int is = 0; is < nshiftk; is++) {
    long n[3];
    int ok = 1;
    for (int d = 0; d < 3 && ok; d++) { /* n = K^T k - shift must be integer */
      double u = L->k[0][d] * k[0] + L->k[1][d] * k[1] + L->k[2][d] * k[2] - shiftk[is][d];
      double r = nearbyint(u);
      ok = fabs(u - r) <= 1e-6;
      n[d] = (long)r;
    }
    if (!ok) continue;
    for (int d = 2; d >= 0; d--) { /* into the box, last coordinate first (H is upper) */
      long q = n[d] / h[d][d];
      if (n[d] - q * h[d][d] < 0) q--;
      for (int i = 0; i <= d; i++) n[i] -= q * h[i][d];
    }
    return is * nk + (n[0] * h[1][1] + n[1]) * h[2][2] + n[2];
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
  int K[3][3] = {{ngkpt[0], 0, 0}, {0, ngkpt[1], 0}, {0, 0, ngkpt[2]}};
  return sf_kpoints_kptrlatt(sym, (const int(*)[3])K, nshiftk, shiftk, time_reversal, kp);
}

int sf_kpoints_kptrlatt(const sf_symmetry *sym, const int kptrlatt[3][3], int nshiftk,
                        const double (*shiftk)[3], int time_reversal, sf_kpoints *kp)
{
  kp->nkpt = 0;
  kp->kred = NULL;
  kp->wtk = NULL;
  mesh_lattice L;
  if (lattice_setup(kptrlatt, &L)) SF_ERROR(SF_ERR_INPUT, "kptrlatt is singular (determinant 0)");
  if (nshiftk < 1) SF_ERROR(SF_ERR_INPUT, "nshiftk = %d must be at least 1", nshiftk);
  const long(*h)[3] = (const long(*)[3])L.h;
  if ((double)h[0][0] * h[1][1] * h[2][2] * nshiftk > (double)SF_CELL_MAX_POINTS) {
    if (L.diagonal)
      SF_ERROR(SF_ERR_INPUT, "the k-point mesh %dx%dx%d with %d shifts has more than %ld points", L.k[0][0], L.k[1][1],
               L.k[2][2], nshiftk, SF_CELL_MAX_POINTS);
    SF_ERROR(SF_ERR_INPUT, "the k-point mesh of kptrlatt (|det| %ld) with %d shifts has more than %ld points",
             labs(L.det), nshiftk, SF_CELL_MAX_POINTS);
  }
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

  long nk = h[0][0] * h[1][1] * h[2][2], ntot = nk * nshiftk;
  long *star = NULL, nstar = 0;
  double (*kfull)[3] = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&star, (size_t)ntot, sizeof *star));
  SF_CHECK_GOTO(sf_calloc((void **)&kfull, (size_t)ntot, sizeof *kfull));
  for (int is = 0; is < nshiftk; is++)
    for (long i0 = 0; i0 < h[0][0]; i0++)
      for (long i1 = 0; i1 < h[1][1]; i1++)
        for (long i2 = 0; i2 < h[2][2]; i2++) {
          long idx = is * nk + (i0 * h[1][1] + i1) * h[2][2] + i2;
          long ii[3] = {i0, i1, i2};
          lattice_point(&L, ii, shiftk[is], kfull[idx]);
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
        long j = mesh_index(k, &L, nshiftk, shiftk);
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
