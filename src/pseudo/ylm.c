/* ylm.c — real spherical harmonics for l <= 3 (see pseudo.h for the storage order).
 *
 * Cartesian forms on the unit vector, orthonormal on the sphere, without the
 * Condon-Shortley phase: m > 0 are the cos(mφ)-like and m < 0 the sin(|m|φ)-like
 * combinations.  Only orthonormality and completeness within each l matter to the
 * nonlocal energy (Σ_m Y_lm(a) Y_lm(b) = (2l+1)/4π P_l(a·b)), so the phase is free.
 */
#include "psp_internal.h"

#include <math.h>

void sf_ylm_real(const double x[3], double ylm[16])
{
  double rr = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
  const double pi = PSP_PI;
  for (int i = 0; i < 16; i++) ylm[i] = 0.0;
  ylm[0] = 0.5 / sqrt(pi);
  if (rr == 0.0) return;
  double a = x[0] / rr, b = x[1] / rr, c = x[2] / rr; /* unit vector (x, y, z) */
  double c1 = sqrt(3.0 / (4.0 * pi));
  ylm[1] = c1 * b; /* l=1: m = -1, 0, 1 at 1, 2, 3 */
  ylm[2] = c1 * c;
  ylm[3] = c1 * a;
  double c2 = 0.5 * sqrt(15.0 / pi);
  ylm[4] = c2 * a * b; /* l=2 at 4..8 */
  ylm[5] = c2 * b * c;
  ylm[6] = 0.25 * sqrt(5.0 / pi) * (3.0 * c * c - 1.0);
  ylm[7] = c2 * a * c;
  ylm[8] = 0.5 * c2 * (a * a - b * b);
  double c33 = 0.25 * sqrt(35.0 / (2.0 * pi)), c32 = 0.5 * sqrt(105.0 / pi);
  double c31 = 0.25 * sqrt(21.0 / (2.0 * pi));
  ylm[9] = c33 * b * (3.0 * a * a - b * b); /* l=3 at 9..15 */
  ylm[10] = c32 * a * b * c;
  ylm[11] = c31 * b * (5.0 * c * c - 1.0);
  ylm[12] = 0.25 * sqrt(7.0 / pi) * c * (5.0 * c * c - 3.0);
  ylm[13] = c31 * a * (5.0 * c * c - 1.0);
  ylm[14] = 0.5 * c32 * c * (a * a - b * b);
  ylm[15] = c33 * a * (a * a - 3.0 * b * b);
}
