/* symmetrize.c — the density from irreducible k-points is made symmetric by averaging it
 * over the space group.  The average is taken in reciprocal space, as ABINIT does, so
 * fractional translations need not be multiples of the grid spacing; only the rotations
 * must map the FFT box onto itself.  Operations whose rotation does not are dropped
 * before the k-point wedge is built, so the wedge and the average use the same group. */
#include "strainfield/scf.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

static int rotation_maps_grid(const int R[3][3], const int n[3])
{
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      if (R[a][b] != 0 && (R[a][b] * n[a]) % n[b] != 0) return 0;
  return 1;
}

int sf_symmetry_restrict_to_grid(sf_symmetry *sym, const int n[3], int *ndropped)
{
  int k = 0;
  for (int s = 0; s < sym->nsym; s++) {
    if (!rotation_maps_grid((const int(*)[3])sym->rot[s], n)) continue;
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

/* Integer inverse of a unimodular matrix by its adjugate. */
static void inverse_int(const int R[3][3], int Ri[3][3])
{
  int det = R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
            R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      int a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, d = (i + 2) % 3;
      Ri[i][j] = (R[a][c] * R[b][d] - R[a][d] * R[b][c]) / det;
    }
}

int sf_symmetrize_field(const sf_symmetry *sym, sf_fftbox *box, double *f)
{
  if (sym->nsym <= 1) return SF_OK;
  int nfft = box->nfft;
  double complex *fg = NULL, *acc = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&fg, nfft, sizeof *fg));
  SF_CHECK_GOTO(sf_calloc((void **)&acc, nfft, sizeof *acc));
  sf_fft_r2g(box, f, fg);
  /* f(Rx+t) has coefficient f_G e^{2πi G·t} at G' = R^T G, so the average at G' sums
   * f_G e^{2πi G·t} over G = R^{-T} G'. */
  for (int s = 0; s < sym->nsym; s++) {
    int Ri[3][3];
    inverse_int((const int(*)[3])sym->rot[s], Ri);
    const double *t = sym->tnons[s];
    for (int i = 0; i < nfft; i++) {
      const int *gp = box->gvec[i];
      int g[3];
      for (int a = 0; a < 3; a++) g[a] = Ri[0][a] * gp[0] + Ri[1][a] * gp[1] + Ri[2][a] * gp[2];
      double ph = 2.0 * M_PI * (g[0] * t[0] + g[1] * t[1] + g[2] * t[2]);
      acc[i] += fg[sf_fftbox_index(box, g[0], g[1], g[2])] * (cos(ph) + I * sin(ph));
    }
  }
  double inv = 1.0 / sym->nsym;
  for (int i = 0; i < nfft; i++) acc[i] *= inv;
  sf_fft_g2r(box, acc, f);
cleanup:
  sf_free(fg);
  sf_free(acc);
  return st;
}
