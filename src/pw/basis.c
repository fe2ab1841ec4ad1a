/* basis.c — the plane-wave sphere of one k-point and its kinetic energies (see pw.h). */
#include "strainfield/pw.h"
#include "strainfield/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double sf_kinetic_smoothed(double kin_raw, double ecut, double ecutsm, double *dkin)
{
  /* ABINIT's mkkin: below ecut-ecutsm the usual kinetic energy; inside the window it is
   * divided by the smoothing polynomial so that it diverges at ecut, which makes the
   * energy a smooth function of the cell shape. */
  if (dkin) *dkin = 1.0;
  if (ecutsm <= 1e-20 || kin_raw <= ecut - ecutsm) return kin_raw;
  double inv = 1.0 / ecutsm;
  double x = (ecut - kin_raw) * inv;
  if (x < 1e-20) x = 1e-20;
  double poly = x * x * (3.0 + x * (1.0 + x * (-6.0 + 3.0 * x)));
  double fsm = 1.0 / poly;
  if (dkin) {
    double dfsm = -3.0 * (x - 1.0) * (x - 1.0) * x * (2.0 + 5.0 * x) * fsm * fsm;
    *dkin = fsm - inv * kin_raw * dfsm;
  }
  return kin_raw * fsm;
}

/* The basis arrays for count plane waves; on an error the caller frees them. */
static int basis_alloc(sf_pwbasis *pw, size_t count)
{
  SF_CHECK(sf_calloc((void **)&pw->ifft, count, sizeof *pw->ifft));
  SF_CHECK(sf_calloc((void **)&pw->g, count, sizeof *pw->g));
  SF_CHECK(sf_calloc((void **)&pw->kpg, count, sizeof *pw->kpg));
  SF_CHECK(sf_calloc((void **)&pw->kin, count, sizeof *pw->kin));
  SF_CHECK(sf_calloc((void **)&pw->kin_raw, count, sizeof *pw->kin_raw));
  return SF_OK;
}

int sf_pwbasis_create(const sf_cell *cell, const double kred[3], double ecut, double ecutsm,
                      const sf_fftbox *box, sf_pwbasis *pw)
{
  memset(pw, 0, sizeof *pw);
  memcpy(pw->kred, kred, sizeof pw->kred);
  int m[3];
  double gmax = sqrt(2.0 * ecut);
  for (int i = 0; i < 3; i++) {
    double alen = sqrt(cell->rprimd[i][0] * cell->rprimd[i][0] + cell->rprimd[i][1] * cell->rprimd[i][1] +
                       cell->rprimd[i][2] * cell->rprimd[i][2]);
    m[i] = (int)ceil(gmax * alen / (2.0 * M_PI) + fabs(kred[i])) + 1;
  }
  /* Two passes: count, then fill; the sphere is small compared with the box. */
  for (int pass = 0; pass < 2; pass++) {
    int count = 0;
    for (int g1 = -m[0]; g1 <= m[0]; g1++)
      for (int g2 = -m[1]; g2 <= m[1]; g2++)
        for (int g3 = -m[2]; g3 <= m[2]; g3++) {
          double q[3], red[3] = {g1 + kred[0], g2 + kred[1], g3 + kred[2]};
          for (int c = 0; c < 3; c++)
            q[c] = 2.0 * M_PI * (red[0] * cell->gprimd[0][c] + red[1] * cell->gprimd[1][c] + red[2] * cell->gprimd[2][c]);
          double kin = 0.5 * (q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
          /* ABINIT filters plane waves within 1e-12 of ecut when smoothing is on */
          if (kin > ecut - (ecutsm > 1e-20 ? 1e-12 : 0.0)) continue;
          if (pass == 1) {
            if (2 * abs(g1) >= box->n[0] || 2 * abs(g2) >= box->n[1] || 2 * abs(g3) >= box->n[2])
              SF_ERROR(SF_ERR_INPUT, "-ngfft %d,%d,%d is too small for ecut %g: G = (%d,%d,%d) falls outside the box",
                       box->n[0], box->n[1], box->n[2], ecut, g1, g2, g3);
            pw->g[count][0] = g1; pw->g[count][1] = g2; pw->g[count][2] = g3;
            pw->ifft[count] = sf_fftbox_index(box, g1, g2, g3);
            memcpy(pw->kpg[count], q, sizeof q);
            pw->kin_raw[count] = kin;
            pw->kin[count] = sf_kinetic_smoothed(kin, ecut, ecutsm, NULL);
            if (abs(g1) > pw->gmax[0]) pw->gmax[0] = abs(g1);
            if (abs(g2) > pw->gmax[1]) pw->gmax[1] = abs(g2);
            if (abs(g3) > pw->gmax[2]) pw->gmax[2] = abs(g3);
          }
          count++;
        }
    if (pass == 0) {
      pw->npw = count;
      int st = basis_alloc(pw, count);
      if (st) {
        sf_pwbasis_free(pw);
        return sf_error_trace(st, __FILE__, __LINE__, __func__);
      }
    }
  }
  return SF_OK;
}

void sf_pwbasis_free(sf_pwbasis *pw)
{
  sf_free(pw->ifft); sf_free(pw->g); sf_free(pw->kpg); sf_free(pw->kin); sf_free(pw->kin_raw);
  memset(pw, 0, sizeof *pw);
}
