/* forces.c — the forces of a converged ground state (props.h): every term's raw forces
 * (ham.h's table, sf_terms[t]->forces), their sum, the symmetrisation over the space
 * group and the removal of the net force; and the symmetrisation of the stress tensor.
 *
 * F is a partial derivative of the free energy at fixed ψ, occupations and ρ, which is
 * exact because F is stationary in all of them: only terms that depend on the positions
 * explicitly have forces (local, nonlocal, Ewald, and xc through the model core charge).
 */
#include "props_internal.h"
#include "strainfield/core.h"
#include "strainfield/props.h"

#include <math.h>
#include <string.h>

/* Cartesian form R_c = Aᵀ R G of a reduced rotation (A rows a_i, G rows b_i). */
static void cart_rotation(const sf_cell *cell, const int R[3][3], double Rc[3][3])
{
  for (int c = 0; c < 3; c++)
    for (int d = 0; d < 3; d++) {
      double v = 0.0;
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) v += cell->rprimd[i][c] * R[i][j] * cell->gprimd[j][d];
      Rc[c][d] = v;
    }
}

int sf_props_symmetrize_forces(const sf_scf *s, double (*f)[3])
{
  const sf_cell *cell = s->cell;
  const sf_symmetry *sym = &s->sym;
  if (sym->nsym <= 1) return SF_OK;
  int n = cell->natom, st = SF_OK;
  double(*acc)[3] = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&acc, n, sizeof *acc));
  for (int is = 0; is < sym->nsym; is++) {
    double Rc[3][3];
    cart_rotation(cell, (const int(*)[3])sym->rot[is], Rc);
    for (int a = 0; a < n; a++) {
      double x[3];
      for (int i = 0; i < 3; i++)
        x[i] = sym->rot[is][i][0] * cell->xred[a][0] + sym->rot[is][i][1] * cell->xred[a][1] +
               sym->rot[is][i][2] * cell->xred[a][2] + sym->tnons[is][i];
      int b = -1;
      for (int t = 0; t < n && b < 0; t++) {
        if (cell->typat[t] != cell->typat[a]) continue;
        double d = 0.0;
        for (int i = 0; i < 3; i++) {
          double e = x[i] - cell->xred[t][i];
          d += fabs(e - nearbyint(e));
        }
        if (d < 1e-4) b = t;
      }
      if (b < 0) SF_ERROR_GOTO(SF_ERR_INTERNAL, "symmetry %d maps atom %d onto no atom", is + 1, a + 1);
      for (int c = 0; c < 3; c++) acc[b][c] += Rc[c][0] * f[a][0] + Rc[c][1] * f[a][1] + Rc[c][2] * f[a][2];
    }
  }
  for (int a = 0; a < n; a++)
    for (int c = 0; c < 3; c++) f[a][c] = acc[a][c] / sym->nsym;
cleanup:
  sf_free(acc);
  return st;
}

void sf_props_symmetrize_tensor(const sf_scf *s, double t[3][3])
{
  const sf_symmetry *sym = &s->sym;
  double acc[3][3] = {{0}};
  for (int is = 0; is < sym->nsym; is++) {
    double R[3][3];
    cart_rotation(s->cell, (const int(*)[3])sym->rot[is], R);
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        for (int k = 0; k < 3; k++)
          for (int l = 0; l < 3; l++) acc[i][j] += R[i][k] * t[k][l] * R[j][l];
  }
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) t[i][j] = 0.5 * (acc[i][j] + acc[j][i]) / sym->nsym;
}

int sf_forces_terms(sf_scf *s, double (*f[SF_NTERM])[3])
{
  sf_term_state v;
  sf_scf_term_state(s, &v);
  for (int t = 0; t < SF_NTERM; t++) {
    if (sf_terms[t]->forces) SF_CHECK(sf_terms[t]->forces(&v, f[t]));
    else memset(f[t], 0, sizeof(double) * 3 * s->cell->natom);
  }
  return SF_OK;
}

int sf_scf_forces(sf_scf *s, double (*fcart)[3])
{
  int n = s->cell->natom;
  int st = SF_OK;
  double(*buf)[3] = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)&buf, (size_t)SF_NTERM * n, sizeof *buf));
  double(*f[SF_NTERM])[3];
  for (int t = 0; t < SF_NTERM; t++) f[t] = buf + (size_t)t * n;
  SF_CHECK_GOTO(sf_forces_terms(s, f));
  memset(fcart, 0, sizeof(double) * 3 * n);
  for (int t = 0; t < SF_NTERM; t++)
    for (int a = 0; a < n; a++)
      for (int c = 0; c < 3; c++) fcart[a][c] += f[t][a][c];
  SF_CHECK_GOTO(sf_props_symmetrize_forces(s, fcart));
  /* As ABINIT: the net force (nonzero only through the grid's breaking of translation
   * invariance in xc, and through incomplete convergence) is removed. */
  double mean[3] = {0, 0, 0};
  for (int a = 0; a < n; a++)
    for (int c = 0; c < 3; c++) mean[c] += fcart[a][c] / n;
  for (int a = 0; a < n; a++)
    for (int c = 0; c < 3; c++) fcart[a][c] -= mean[c];
cleanup:
  sf_free(buf);
  return st;
}
