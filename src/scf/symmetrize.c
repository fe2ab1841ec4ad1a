/* symmetrize.c — the density from irreducible k-points is made symmetric by averaging it
 * over the space group on the FFT grid.  This needs every operation to map grid points
 * to grid points; operations that do not are dropped before the k-point wedge is built,
 * so the wedge and the averaging always use the same group. */
#include "strainfield/scf.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

static int maps_grid(const int R[3][3], const double t[3], const int n[3])
{
  for (int a = 0; a < 3; a++) {
    double tn = t[a] * n[a];
    if (fabs(tn - nearbyint(tn)) > 1e-6) return 0;
    for (int b = 0; b < 3; b++)
      if (R[a][b] != 0 && (R[a][b] * n[a]) % n[b] != 0) return 0;
  }
  return 1;
}

int sf_symmetry_restrict_to_grid(sf_symmetry *sym, const int n[3], int *ndropped)
{
  int k = 0;
  for (int s = 0; s < sym->nsym; s++) {
    if (!maps_grid((const int(*)[3])sym->rot[s], sym->tnons[s], n)) continue;
    if (k != s) {
      memcpy(sym->rot[k], sym->rot[s], sizeof sym->rot[s]);
      memcpy(sym->tnons[k], sym->tnons[s], sizeof sym->tnons[s]);
    }
    k++;
  }
  if (ndropped) *ndropped = sym->nsym - k;
  sym->nsym = k;
  return SF_OK;
}

int sf_symmetrize_field(const sf_symmetry *sym, const int n[3], double *f)
{
  if (sym->nsym <= 1) return SF_OK;
  int nfft = n[0] * n[1] * n[2];
  double *acc;
  SF_CHECK(sf_calloc((void **)&acc, nfft, sizeof *acc));
  for (int s = 0; s < sym->nsym; s++) {
    const int(*R)[3] = (const int(*)[3])sym->rot[s];
    int tn[3];
    for (int a = 0; a < 3; a++) tn[a] = (int)nearbyint(sym->tnons[s][a] * n[a]);
    for (int i1 = 0; i1 < n[0]; i1++)
      for (int i2 = 0; i2 < n[1]; i2++)
        for (int i3 = 0; i3 < n[2]; i3++) {
          int i[3] = {i1, i2, i3}, j[3];
          for (int a = 0; a < 3; a++) {
            long v = tn[a];
            for (int b = 0; b < 3; b++) v += (long)R[a][b] * n[a] / n[b] * i[b];
            j[a] = (int)(((v % n[a]) + n[a]) % n[a]);
          }
          acc[(i1 * n[1] + i2) * n[2] + i3] += f[(j[0] * n[1] + j[1]) * n[2] + j[2]];
        }
  }
  double inv = 1.0 / sym->nsym;
  for (int i = 0; i < nfft; i++) f[i] = acc[i] * inv;
  sf_free(acc);
  return SF_OK;
}
