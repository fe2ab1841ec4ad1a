/* ylm_deriv.c — gradient of the real spherical harmonics of ylm.c with respect to the
 * Cartesian vector they are evaluated at (the nonlocal stress needs ∂Y/∂(k+G)).
 *
 * ylm.c writes each Y_lm as a polynomial P(u) of the unit vector u = x/|x|.  Since
 * ∂u/∂x = (1 − u uᵀ)/|x|, the gradient is the tangential part of ∇_u P divided by |x|;
 * the polynomials below must stay term by term those of ylm.c.
 */
#include "psp_internal.h"
#include "strainfield/pseudo.h"

#include <math.h>

void sf_ylm_real_grad(const double x[3], double ylm[16], double dylm[16][3])
{
  sf_ylm_real(x, ylm);
  for (int i = 0; i < 16; i++) dylm[i][0] = dylm[i][1] = dylm[i][2] = 0.0;
  double rr = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
  if (rr == 0.0) return;
  const double pi = PSP_PI;
  double a = x[0] / rr, b = x[1] / rr, c = x[2] / rr;
  double c1 = sqrt(3.0 / (4.0 * pi)), c2 = 0.5 * sqrt(15.0 / pi), c20 = 0.25 * sqrt(5.0 / pi);
  double c33 = 0.25 * sqrt(35.0 / (2.0 * pi)), c32 = 0.5 * sqrt(105.0 / pi);
  double c31 = 0.25 * sqrt(21.0 / (2.0 * pi)), c30 = 0.25 * sqrt(7.0 / pi);
  double g[16][3] = {
      {0, 0, 0},
      {0, c1, 0},
      {0, 0, c1},
      {c1, 0, 0},
      {c2 * b, c2 * a, 0},
      {0, c2 * c, c2 * b},
      {0, 0, 6.0 * c20 * c},
      {c2 * c, 0, c2 * a},
      {c2 * a, -c2 * b, 0},
      {6.0 * c33 * a * b, 3.0 * c33 * (a * a - b * b), 0},
      {c32 * b * c, c32 * a * c, c32 * a * b},
      {0, c31 * (5.0 * c * c - 1.0), 10.0 * c31 * b * c},
      {0, 0, c30 * (15.0 * c * c - 3.0)},
      {c31 * (5.0 * c * c - 1.0), 0, 10.0 * c31 * a * c},
      {c32 * a * c, -c32 * b * c, 0.5 * c32 * (a * a - b * b)},
      {3.0 * c33 * (a * a - b * b), -6.0 * c33 * a * b, 0},
  };
  double u[3] = {a, b, c};
  for (int i = 0; i < 16; i++) {
    double ug = u[0] * g[i][0] + u[1] * g[i][1] + u[2] * g[i][2];
    for (int k = 0; k < 3; k++) dylm[i][k] = (g[i][k] - u[k] * ug) / rr;
  }
}
