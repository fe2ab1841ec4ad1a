/* symmetry.c — the space group of a cell through spglib (see crystal.h).
 *
 * Owns: the translation between sf_cell and spglib's arrays and the normal form of the
 * result (identity with zero translation first, tnons folded into [0,1)).
 *
 * spglib returns rotations in reduced coordinates acting as x' = R x + t, which is the
 * same meaning as ABINIT's symrel/tnons, so no transposition is needed for the operations;
 * only the lattice must be handed over with the vectors as columns.
 */
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <math.h>
#include <spglib.h>
#include <string.h>

void sf_symmetry_identity(sf_symmetry *sym)
{
  memset(sym, 0, sizeof *sym);
  sym->nsym = 1;
  for (int i = 0; i < 3; i++) sym->rot[0][i][i] = 1;
}

static int is_identity(const int r[3][3])
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      if (r[i][j] != (i == j)) return 0;
  return 1;
}

int sf_symmetry_find(const sf_cell *cell, double tol, sf_symmetry *sym)
{
  if (!(tol > 0.0)) SF_ERROR(SF_ERR_INPUT, "symmetry tolerance %g Bohr must be positive", tol);
  int n = cell->natom;
  /* A supercell of multiplicity m has 48 m operations at most; give spglib room for all of
   * them so that an overflow is reported instead of silently truncated. */
  int maxop = 48 * (n > 4 ? n : 4);
  double lattice[3][3], (*pos)[3] = NULL, (*trans)[3] = NULL;
  int *types = NULL, (*rot)[3][3] = NULL;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) lattice[i][j] = cell->rprimd[j][i];
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&pos, (size_t)n, sizeof *pos));
  SF_CHECK_GOTO(sf_calloc((void **)&types, (size_t)n, sizeof *types));
  SF_CHECK_GOTO(sf_calloc((void **)&rot, (size_t)maxop, sizeof *rot));
  SF_CHECK_GOTO(sf_calloc((void **)&trans, (size_t)maxop, sizeof *trans));
  for (int ia = 0; ia < n; ia++) {
    for (int k = 0; k < 3; k++) pos[ia][k] = cell->xred[ia][k];
    /* Atoms of different types never map onto each other, even with the same znucl:
     * they may carry different pseudopotentials. */
    types[ia] = cell->typat[ia] + 1;
  }
  int nop = spg_get_symmetry(rot, trans, maxop, lattice, pos, types, n, tol);
  if (nop < 1)
    SF_ERROR_GOTO(SF_ERR_LIB, "spglib found no symmetry operation (not even the identity): %s",
                  spg_get_error_message(spg_get_error_code()));
  if (nop > SF_MAXSYM)
    SF_ERROR_GOTO(SF_ERR_INPUT,
                  "the cell has %d symmetry operations, more than SF_MAXSYM = %d: it is a large "
                  "supercell of a smaller cell; use the primitive cell or disable symmetry",
                  nop, SF_MAXSYM);

  memset(sym, 0, sizeof *sym);
  /* identity first: callers index operation 0 as "do nothing" */
  int first = -1;
  for (int s = 0; s < nop && first < 0; s++)
    if (is_identity((const int(*)[3])rot[s]) && fabs(trans[s][0] - nearbyint(trans[s][0])) < 1e-8 &&
        fabs(trans[s][1] - nearbyint(trans[s][1])) < 1e-8 &&
        fabs(trans[s][2] - nearbyint(trans[s][2])) < 1e-8)
      first = s;
  if (first < 0) SF_ERROR_GOTO(SF_ERR_INTERNAL, "spglib returned %d operations without the identity", nop);
  int m = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int s = 0; s < nop; s++) {
      if ((pass == 0) != (s == first)) continue;
      memcpy(sym->rot[m], rot[s], sizeof sym->rot[m]);
      for (int k = 0; k < 3; k++) {
        double t = trans[s][k] - floor(trans[s][k]);
        /* spglib's translations carry the tolerance noise; snap values at the cell edge so
         * that 0.9999999999 and -1e-12 both become 0. */
        if (fabs(t) < 1e-10 || fabs(t - 1.0) < 1e-10) t = 0.0;
        sym->tnons[m][k] = t;
      }
      m++;
    }
  sym->nsym = m;
cleanup:
  sf_free(pos);
  sf_free(types);
  sf_free(rot);
  sf_free(trans);
  return st;
}

/* Predicted positions carry the networks' error, which breaks the symmetry the SCF
 * enforces (found at setup from the input positions); the symmetrised forces could never
 * remove that part.  Each atom becomes the average of its images under the group. */
int sf_symmetry_average_xred(const sf_symmetry *sym, const sf_cell *cell, double (*xred)[3])
{
  int natom = cell->natom, st = SF_OK;
  double (*acc)[3] = NULL;
  SF_CHECK(sf_calloc((void **)&acc, natom, sizeof *acc));
  for (int o = 0; o < sym->nsym; o++)
    for (int a = 0; a < natom; a++) {
      double y[3], best = 1e30, dy[3] = {0};
      int b_best = -1;
      for (int i = 0; i < 3; i++)
        y[i] = sym->rot[o][i][0] * xred[a][0] + sym->rot[o][i][1] * xred[a][1] + sym->rot[o][i][2] * xred[a][2] +
               sym->tnons[o][i];
      for (int b = 0; b < natom; b++) {
        if (cell->typat[b] != cell->typat[a]) continue;
        double d[3], n = 0;
        for (int i = 0; i < 3; i++) {
          d[i] = y[i] - xred[b][i];
          d[i] -= nearbyint(d[i]);
          n += d[i] * d[i];
        }
        if (n < best) best = n, b_best = b, memcpy(dy, d, sizeof d);
      }
      if (b_best < 0 || best > 1e-2)
        SF_ERROR_GOTO(SF_ERR_INPUT, "predicted positions far from the cell's symmetry (atom %d off its images by more than 0.1 in reduced units)", a + 1);
      for (int i = 0; i < 3; i++) acc[b_best][i] += xred[b_best][i] + dy[i];
    }
  for (int a = 0; a < natom; a++)
    for (int i = 0; i < 3; i++) xred[a][i] = acc[a][i] / sym->nsym;
cleanup:
  sf_free(acc);
  return st;
}
