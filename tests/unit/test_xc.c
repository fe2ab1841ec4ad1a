/* test_xc.c — ixc 7 against Slater exchange + PW92 correlation written out here from the
 * published formulas, vxc = d(e_xc)/dρ by finite differences, the GGA derivatives ∂e/∂ρ, ∂e/∂σ
 * by finite differences (PBE, BLYP), and the ixc mapping (11 ≡ −101130, refusals by name). */
#include "strainfield/core.h"
#include "strainfield/xc.h"
#include "expect.h"

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

/* Slater exchange: ε_x = −(3/4)(3ρ/π)^{1/3}, v_x = (4/3)ε_x.
 * PW92 (Perdew & Wang, PRB 45, 13244 (1992), table I, ζ = 0, p = 1):
 *   ε_c = −2A(1 + α1 rs) ln[1 + 1/(2A(β1 rs^{1/2} + β2 rs + β3 rs^{3/2} + β4 rs²))]
 *   v_c = ε_c − (rs/3) dε_c/drs. */
static void ref_pw92(double rho, double *e, double *v)
{
  const double A = 0.031091, a1 = 0.21370, b1 = 7.5957, b2 = 3.5876, b3 = 1.6382, b4 = 0.49294;
  double ex = -0.75 * cbrt(3.0 * rho / PI), vx = 4.0 / 3.0 * ex;
  double rs = cbrt(3.0 / (4.0 * PI * rho)), srs = sqrt(rs);
  double q0 = -2 * A * (1 + a1 * rs);
  double q1 = 2 * A * (b1 * srs + b2 * rs + b3 * rs * srs + b4 * rs * rs);
  double q1p = A * (b1 / srs + 2 * b2 + 3 * b3 * srs + 4 * b4 * rs);
  double lg = log(1 + 1 / q1);
  double ec = q0 * lg;
  double dec = -2 * A * a1 * lg - q0 * q1p / (q1 * q1 + q1);
  *e = rho * (ex + ec);
  *v = vx + ec - rs / 3 * dec;
}

static void test_pw92(void)
{
  sf_xc *xc = NULL;
  EXPECT(sf_xc_create(7, &xc) == SF_OK, "create ixc 7");
  if (!xc) return;
  EXPECT(strcmp(sf_xc_name(xc), "LDA_X+LDA_C_PW") == 0, "name %s", sf_xc_name(xc));
  enum { N = 60 };
  double rho[N], e[N], v[N];
  for (int i = 0; i < N; i++) rho[i] = pow(10.0, -6.0 + 9.0 * i / (N - 1)); /* 1e-6 .. 1e3 */
  EXPECT(sf_xc_eval(xc, N, rho, e, v) == SF_OK, "eval");
  double worst_e = 0, worst_v = 0, worst_fd = 0;
  for (int i = 0; i < N; i++) {
    double er, vr;
    ref_pw92(rho[i], &er, &vr);
    double de = fabs(e[i] - er) / fabs(er), dv = fabs(v[i] - vr) / fabs(vr);
    if (de > worst_e) worst_e = de;
    if (dv > worst_v) worst_v = dv;
    EXPECT(de < 1e-12, "rho=%g exc %.16g vs ref %.16g (rel %.2e)", rho[i], e[i], er, de);
    EXPECT(dv < 1e-12, "rho=%g vxc %.16g vs ref %.16g (rel %.2e)", rho[i], v[i], vr, dv);
    /* v = d e/dρ, central difference with a relative step. */
    double h = 1e-5 * rho[i], rr[2] = {rho[i] + h, rho[i] - h}, ee[2], vv[2];
    sf_xc_eval(xc, 2, rr, ee, vv);
    double fd = (ee[0] - ee[1]) / (2 * h), dfd = fabs(fd - v[i]) / fabs(v[i]);
    if (dfd > worst_fd) worst_fd = dfd;
    EXPECT(dfd < 1e-8, "rho=%g vxc %.12g vs FD %.12g", rho[i], v[i], fd);
  }
  printf("ixc 7 vs PW92+Slater: max rel diff exc %.2e vxc %.2e; vxc vs FD %.2e\n", worst_e,
         worst_v, worst_fd);
  /* Below threshold, zero, negative: zero contribution, no NaN. */
  double r3[3] = {0.0, -1e-3, 5e-15}, e3[3] = {1, 1, 1}, v3[3] = {1, 1, 1};
  sf_xc_eval(xc, 3, r3, e3, v3);
  for (int i = 0; i < 3; i++) EXPECT(e3[i] == 0 && v3[i] == 0, "rho=%g gives %g %g", r3[i], e3[i], v3[i]);
  /* A large array crosses the internal blocking. */
  enum { M = 10000 };
  static double rm[M], em[M], vm[M];
  for (int i = 0; i < M; i++) rm[i] = 0.01 + 1e-4 * i;
  sf_xc_eval(xc, M, rm, em, vm);
  double er, vr;
  ref_pw92(rm[M - 1], &er, &vr);
  EXPECT(fabs(em[M - 1] - er) < 1e-12 * fabs(er) && fabs(vm[M - 1] - vr) < 1e-12 * fabs(vr),
         "blocked eval");
  sf_xc_destroy(&xc);
  EXPECT(xc == NULL, "destroy clears");
}

static void test_mapping(void)
{
  sf_xc *a = NULL, *b = NULL;
  /* ixc 7 and −1012 are the same functional. */
  EXPECT(sf_xc_create(-1012, &b) == SF_OK, "create -1012");
  EXPECT(sf_xc_create(7, &a) == SF_OK, "create 7");
  if (a && b) {
    double r[3] = {0.003, 0.1, 2.0}, ea[3], va[3], eb[3], vb[3];
    sf_xc_eval(a, 3, r, ea, va);
    sf_xc_eval(b, 3, r, eb, vb);
    for (int i = 0; i < 3; i++) EXPECT(ea[i] == eb[i] && va[i] == vb[i], "7 vs -1012");
  }
  sf_xc_destroy(&a);
  sf_xc_destroy(&b);
  EXPECT(sf_xc_create(-20, &a) == SF_OK && strcmp(sf_xc_name(a), "LDA_XC_TETER93") == 0,
         "-20 name %s", a ? sf_xc_name(a) : "");
  sf_xc_destroy(&a);
  EXPECT(sf_xc_create(0, &a) == SF_OK && strcmp(sf_xc_name(a), "none") == 0, "ixc 0");
  sf_xc_destroy(&a);
  /* ixc 11 is libxc's PBE (−101130) bit for bit; meta-GGAs, hybrids and ABINIT's other native
   * GGAs are input errors naming -ixc and the reason. */
  EXPECT(sf_xc_create(11, &a) == SF_OK && sf_xc_is_gga(a) && strcmp(sf_xc_name(a), "GGA_X_PBE+GGA_C_PBE") == 0,
         "ixc 11 name %s", a ? sf_xc_name(a) : "");
  EXPECT(sf_xc_create(-101130, &b) == SF_OK, "create -101130");
  if (a && b) {
    double r[3] = {0.003, 0.1, 2.0}, sg[3] = {1e-4, 0.02, 3.0}, ea[3], va[3], wa[3], eb[3], vb[3], wb[3];
    sf_xc_eval_gga(a, 3, r, sg, ea, va, wa);
    sf_xc_eval_gga(b, 3, r, sg, eb, vb, wb);
    for (int i = 0; i < 3; i++) EXPECT(ea[i] == eb[i] && va[i] == vb[i] && wa[i] == wb[i], "11 vs -101130");
    EXPECT(sf_xc_eval(a, 3, r, ea, va) == SF_ERR_INTERNAL, "sf_xc_eval refuses a GGA");
    sf_error_reset();
  }
  sf_xc_destroy(&a);
  sf_xc_destroy(&b);
  EXPECT(sf_xc_create(-263, &a) == SF_ERR_INPUT && a == NULL && strstr(sf_error_message(), "-ixc -263") &&
             strstr(sf_error_message(), "meta-GGA"), "SCAN refused: %s", sf_error_message());
  sf_error_reset();
  EXPECT(sf_xc_create(-402, &a) == SF_ERR_INPUT && strstr(sf_error_message(), "hybrid"), "B3LYP refused: %s",
         sf_error_message());
  sf_error_reset();
  EXPECT(sf_xc_create(12, &a) == SF_ERR_INPUT && strstr(sf_error_message(), "-ixc 12"),
         "ixc 12 rejected: %s", sf_error_message());
  sf_error_reset();
  EXPECT(sf_xc_create(-999, &a) == SF_ERR_INPUT, "unknown libxc id rejected");
  sf_error_reset();
}

/* PBE and BLYP (−106131): vrho = ∂e/∂ρ and vsigma = ∂e/∂σ against central differences of
 * e = ρ ε_xc from libxc, over densities and gradients of bulk metals and semiconductors. */
static void test_gga_derivatives(int ixc)
{
  sf_xc *xc = NULL;
  EXPECT(sf_xc_create(ixc, &xc) == SF_OK, "create %d", ixc);
  if (!xc) return;
  double worst = 0.0;
  for (int i = 0; i < 12; i++) {
    double rho = pow(10.0, -3.0 + 0.3 * i), sig = 0.3 * pow(rho, 8.0 / 3.0) * (1 + i % 4);
    double e, vr, vs, ee[2], v2[2], w2[2];
    sf_xc_eval_gga(xc, 1, &rho, &sig, &e, &vr, &vs);
    double hr = 1e-5 * rho, rr[2] = {rho + hr, rho - hr}, ss[2] = {sig, sig};
    sf_xc_eval_gga(xc, 2, rr, ss, ee, v2, w2);
    double dr = fabs((ee[0] - ee[1]) / (2 * hr) - vr) / fabs(vr);
    double hs = 1e-5 * sig, s2[2] = {sig + hs, sig - hs}, r2[2] = {rho, rho};
    sf_xc_eval_gga(xc, 2, r2, s2, ee, v2, w2);
    /* relative to e/σ: at small σ the σ-dependence is a tiny part of e and the difference
     * quotient carries e's round-off */
    double ds = fabs((ee[0] - ee[1]) / (2 * hs) - vs) / fmax(fabs(vs), fabs(e) / sig);
    worst = fmax(worst, fmax(dr, ds));
    EXPECT(dr < 1e-7 && ds < 1e-6, "ixc %d rho %g sigma %g: vrho rel err %.2e, vsigma rel err %.2e", ixc, rho, sig,
           dr, ds);
  }
  printf("ixc %d (%s): vrho, vsigma vs FD max rel err %.2e\n", ixc, sf_xc_name(xc), worst);
  sf_xc_destroy(&xc);
}

int main(void)
{
  test_pw92();
  test_gga_derivatives(11);
  test_gga_derivatives(-106131);
  test_mapping();
  printf("test_xc: %d failures\n", failures);
  return failures != 0;
}
