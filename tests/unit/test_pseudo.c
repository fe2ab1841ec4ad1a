/* test_pseudo.c — unit test of the pseudopotential module against ABINIT 9.6.2.
 *
 * Reference numbers come from ABINIT 9.6.2 (Debian 12 package), run serially on
 *   acell 3*10 ntypat 1 znucl Z natom 1 typat 1 xred 0 0 0 ecut 10 nstep 1 toldfe 1e-6
 *   kptopt 0 nkpt 1 kpt 0 0 0 nband 4 occopt 1 prtpsps 1  pseudos "<file>"
 * for each file (for mg.pseu, which has no model core, ABINIT refuses to write the
 * PSPS file for a lone type, so that run had a second type 12mg.pspnc at 0.5 0.5 0.5):
 *   epsatm: the "pspatm : epsatm=" line of the log (8 decimals; the "ecore*ucvol" line
 *           agrees);
 *   ekb:    /ekb of runo_PSPS.nc, printed with h5dump -m %.17g (the log's "ekb" lines
 *           show the same values to 6 decimals);
 *   tables: /qgrid_ff, /ffspl, /vlspl of runo_PSPS.nc at grid indices 700 and 1500;
 *           ABINIT's q excludes 2π and its form factor is ours / 4π; its vlspl is
 *           q²V(q) = -zion/π + q² vloc_short(2πq).
 */
#define _POSIX_C_SOURCE 200809L
#include "strainfield/core.h"
#include "strainfield/pseudo.h"
#include "expect.h"
#include "../../src/pseudo/psp_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SF_PSP_DIR
#define SF_PSP_DIR "/usr/share/abinit/psp"
#endif
#ifndef SF_DATA_PSP_DIR
#define SF_DATA_PSP_DIR SF_SOURCE_DIR "/data/psp"
#endif


typedef struct {
  const char *file; /* relative to its directory */
  int shared;       /* 1: SF_DATA_PSP_DIR (the repository's data/psp), 0: SF_PSP_DIR */
  int pspcod;
  double epsatm;                                  /* ABINIT log */
  double ekb[SF_PSP_LMAX + 1][SF_PSP_NPROJ];      /* ABINIT PSPS.nc */
  double qchrg;                                   /* from the file: ∫ρc, 0 if no core */
  double q[2], vs[2];                             /* vloc_short at q (ABINIT vlspl) */
  int nref;                                       /* projectors listed in proj_ref */
  int ref_l[4], ref_j[4];
  double proj_ref[2][4];                          /* 4π ffspl at q[0], q[1] */
} ref_psp;

static const double QA = 2.5043961347997641, QB = 5.3665631459994954;

static const ref_psp refs[] = {
    {"12mg.pspnc", 0, 1, -1.54393848, {{1.7559244060865431, 0}, {0.85361333972078601, 0}},
     0.78827945413088, {QA, QB}, {2.0093329176796058, 0.81483676106031566}, 2, {0, 1}, {0, 0},
     {{1.9318048633494227, 4.2930614487665748}, {0.15432702966082687, -0.065600388304946217}}},
    {"14si.pspnc", 0, 1, 1.43386982, {{3.2879487213224659, 0}, {1.8498858107752763, 0}},
     1.17378968127746, {QA, QB}, {2.6288283902161078, 2.1517090884917689}, 2, {0, 1}, {0, 0},
     {{3.653136943464816, 4.3634961539637542}, {-0.43053901926279042, -0.21572822987949392}}},
    {"13al.pspnc", 0, 1, 0.22155260, {{2.5406575892817793, 0}, {1.353815180183727, 0}}, -1,
     {QA, QB}, {2.1918525447275226, 1.4778103332583639}, 2, {0, 1}, {0, 0},
     {{3.0864777189612105, 4.6316331856754358}, {-0.17357517320660146, -0.30341214872229394}}},
    {"mg.pseu", 1, 5, 18.64948705, {{0.6468561028861799, 0}, {0, 0}, {-0.5751785883880659, 0}},
     0, {QA, QB}, {4.4359554151088991, 0.87835760650015327}, 2, {0, 2}, {0, 0},
     {{1.7443050852707191, -5.2041982197487631}, {0.17133028762380773, 0.04192894006362595}}},
    {"Mg-low.psp8", 0, 8, -8.82287245,
     {{6.2393054889519002, 0.68862621692160997}, {4.1979934878401997, 0.75715455944147003}}, -1,
     {QA, QB}, {-3.0488182873144294, 0.45398260521777378}, 4, {0, 0, 1, 1}, {0, 1, 0, 1},
     {{4.2628293897421745, -2.0205994443582362, 3.5487354842409271, 2.7026982167147047},
      {-0.32344679553753275, 0.91026433998387324, -0.44071358666618404, 0.98382926507300383}}},
};

static void psp_path(const ref_psp *r, char *out, size_t n)
{
  snprintf(out, n, "%s/%s", r->shared ? SF_DATA_PSP_DIR : SF_PSP_DIR, r->file);
}

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-300); }

static void test_against_abinit(const ref_psp *r)
{
  char path[1024];
  psp_path(r, path, sizeof path);
  sf_psp p;
  sf_error_reset();
  int st = sf_psp_read(path, 12.0, &p);
  EXPECT(st == SF_OK, "%s: read failed: %s", path, sf_error_message());
  if (st) return;
  EXPECT(p.pspcod == r->pspcod, "%s: pspcod %d", r->file, p.pspcod);
  EXPECT(fabs(p.epsatm - r->epsatm) < 1e-7, "%s: epsatm %.10f vs ABINIT %.8f", r->file, p.epsatm,
        r->epsatm);
  for (int l = 0; l <= SF_PSP_LMAX; l++)
    for (int j = 0; j < SF_PSP_NPROJ; j++) {
      double e = r->ekb[l][j];
      EXPECT((e == 0 && p.ekb[l][j] == 0 && (j >= p.nproj[l])) || rel(p.ekb[l][j], e) < 1e-9,
            "%s: ekb[%d][%d] = %.15g vs ABINIT %.15g (nproj %d)", r->file, l, j, p.ekb[l][j], e,
            p.nproj[l]);
    }
  if (r->qchrg > 0) /* the file's qchrg is the integral of the model core */
    EXPECT(p.has_core && rel(p.core.y[0], r->qchrg) < 1e-9, "%s: core_q(0) %.14g vs qchrg %.14g",
          r->file, p.core.y[0], r->qchrg);
  if (r->qchrg == 0) EXPECT(!p.has_core, "%s: unexpected core", r->file);
  if (r->qchrg < 0) EXPECT(p.has_core && p.core.y[0] > 0, "%s: missing core", r->file);
  for (int k = 0; k < 2; k++) {
    double v = sf_qtable_eval(&p.vloc_short, r->q[k]);
    EXPECT(fabs(v - r->vs[k]) < 1e-8, "%s: vloc_short(%.4f) = %.12f vs ABINIT %.12f", r->file,
          r->q[k], v, r->vs[k]);
    for (int c = 0; c < r->nref; c++) {
      double f = sf_qtable_eval(&p.proj[r->ref_l[c]][r->ref_j[c]], r->q[k]);
      EXPECT(fabs(f - r->proj_ref[k][c]) < 1e-8, "%s: proj[%d][%d](%.4f) = %.12f vs ABINIT %.12f",
            r->file, r->ref_l[c], r->ref_j[c], r->q[k], f, r->proj_ref[k][c]);
    }
  }
  EXPECT(p.qmax >= 12.0, "%s: qmax %g", r->file, p.qmax);
  EXPECT(strlen(p.md5) == 32 && strcmp(p.path, path) == 0, "%s: md5/path not recorded", r->file);
  sf_psp_free(&p);
}

/* The spline at the midpoints of the default grid against tables built directly there. */
static void test_spline_midpoints(const ref_psp *r)
{
  char path[1024];
  psp_path(r, path, sizeof path);
  sf_psp a, b;
  sf_error_reset();
  if (sf_psp_read_dq(path, 12.0, SF_PSP_DQ, &a) ||
      sf_psp_read_dq(path, 12.0, 0.5 * SF_PSP_DQ, &b)) {
    EXPECT(0, "%s: read failed: %s", r->file, sf_error_message());
    return;
  }
  const sf_qtable *ta[10], *tb[10];
  int n = 0;
  ta[n] = &a.vloc_short, tb[n++] = &b.vloc_short;
  if (a.has_core) ta[n] = &a.core, tb[n++] = &b.core;
  for (int l = 0; l <= a.lmax; l++)
    for (int j = 0; j < a.nproj[l]; j++) ta[n] = &a.proj[l][j], tb[n++] = &b.proj[l][j];
  for (int t = 0; t < n; t++) {
    double worst = 0, scale = 0;
    for (int i = 0; i < tb[t]->n; i++) scale = fmax(scale, fabs(tb[t]->y[i]));
    for (int i = 1; i < tb[t]->n && i * tb[t]->dq <= 12.0; i += 2)
      worst = fmax(worst, fabs(sf_qtable_eval(ta[t], i * tb[t]->dq) - tb[t]->y[i]));
    EXPECT(worst < 1e-7 * fmax(scale, 1.0), "%s: table %d spline vs direct %.3e (scale %.3g)",
          r->file, t, worst, scale);
    /* derivative against a central difference of the spline itself */
    double q = 3.3333, h = 1e-5;
    double fd = (sf_qtable_eval(ta[t], q + h) - sf_qtable_eval(ta[t], q - h)) / (2 * h);
    EXPECT(fabs(fd - sf_qtable_deriv(ta[t], q)) < 1e-6 * fmax(scale, 1.0), "%s: table %d deriv",
          r->file, t);
  }
  sf_psp_free(&a);
  sf_psp_free(&b);
}

static int write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (!f) return 1;
  fputs(text, f);
  fclose(f);
  return 0;
}

/* Whole file as a string (caller frees). */
static char *slurp(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
  if (s) s[n] = '\0';
  fclose(f);
  return s;
}

static void expect_file_error(const char *path, const char *what, const char *must_contain)
{
  sf_psp p;
  sf_error_reset();
  int st = sf_psp_read(path, 10.0, &p);
  EXPECT(st == SF_ERR_FILE, "%s: expected SF_ERR_FILE, got %d", what, st);
  EXPECT(strstr(sf_error_message(), path) != NULL, "%s: message does not name the file: %s", what,
        sf_error_message());
  if (must_contain)
    EXPECT(strstr(sf_error_message(), must_contain) != NULL, "%s: message lacks '%s': %s", what,
          must_contain, sf_error_message());
  sf_error_reset();
}

static void test_errors(void)
{
  expect_file_error("/nonexistent/dir/none.pspnc", "missing file", NULL);
  char *txt = slurp(SF_PSP_DIR "/12mg.pspnc");
  char *txt8 = slurp(SF_PSP_DIR "/Mg-low.psp8");
  EXPECT(txt && txt8, "cannot read the reference psp files");
  if (!txt || !txt8) return;
  /* truncated in the middle of the potentials: fewer numbers than mmax promises */
  const char *t1 = "/tmp/sf_test_pseudo_trunc.pspnc";
  size_t half = strlen(txt) / 2;
  char save = txt[half];
  txt[half] = '\0';
  write_file(t1, txt);
  txt[half] = save;
  expect_file_error(t1, "truncated pspcod 1", "truncated");
  const char *t8 = "/tmp/sf_test_pseudo_trunc.psp8";
  txt8[strlen(txt8) / 3] = '\0';
  write_file(t8, txt8);
  expect_file_error(t8, "truncated pspcod 8", NULL);
  /* unknown pspcod on line 3 */
  const char *t99 = "/tmp/sf_test_pseudo_99.pspnc";
  char *l3 = strstr(txt, "pspcod,pspxc");
  char *start = l3;
  while (start > txt && start[-1] != '\n') start--;
  memcpy(start, "   99", 5);
  write_file(t99, txt);
  expect_file_error(t99, "pspcod 99", ":3:");
  /* bad header line 2 */
  const char *tbad = "/tmp/sf_test_pseudo_bad.pspnc";
  write_file(tbad, "title\n  magnesium two 940714  zatom, zion, pspdat\n1 1 2 2 2001 0\n");
  expect_file_error(tbad, "bad header", ":2:");
  remove(t1);
  remove(t8);
  remove(t99);
  remove(tbad);
  free(txt);
  free(txt8);
}

/* text with the k-th (1-based) blank-separated token of line `line` replaced by `with`;
 * the caller frees. */
static char *replace_token(const char *text, int line, int k, const char *with)
{
  const char *p = text;
  for (int l = 1; l < line && p; l++) p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
  if (!p) return NULL;
  for (int t = 1; t <= k; t++) {
    while (*p == ' ') p++;
    if (t < k) while (*p && *p != ' ' && *p != '\n') p++;
  }
  const char *e = p;
  while (*e && *e != ' ' && *e != '\n') e++;
  size_t n = strlen(text) + strlen(with) + 1;
  char *out = malloc(n);
  if (out) snprintf(out, n, "%.*s%s%s", (int)(p - text), text, with, e);
  return out;
}

/* The file with one number replaced must be refused with SF_ERR_FILE, naming the file,
 * and (line > 0) the line, and containing `must_contain`. */
static void expect_bad_number(const char *src, const char *tmp, int line, int k, const char *with,
                              int name_line, const char *must_contain)
{
  char *txt = slurp(src), *bad = txt ? replace_token(txt, line, k, with) : NULL;
  EXPECT(bad != NULL, "cannot prepare %s", tmp);
  if (bad) {
    write_file(tmp, bad);
    char where[1100] = "";
    if (name_line) snprintf(where, sizeof where, "%s:%d:", tmp, line);
    expect_file_error(tmp, with, name_line ? where : NULL);
    expect_file_error(tmp, with, must_contain);
    remove(tmp);
  }
  free(txt);
  free(bad);
}

/* NaN or Inf in the tables is refused on its line (it used to surface as "zheevd failed"
 * in the first SCF step); finite numbers whose integrals overflow are refused too. */
static void test_nonfinite_values(void)
{
  char mg[1024];
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
    if (refs[i].pspcod == 5) psp_path(&refs[i], mg, sizeof mg);
  const char *tmp = "/tmp/sf_test_pseudo_nonfinite.pseu";
  expect_bad_number(mg, tmp, 20, 2, "NaN", 1, "NaN");          /* V_0 */
  expect_bad_number(mg, tmp, 400, 1, "-nan", 1, "NaN");        /* V_1 */
  expect_bad_number(mg, tmp, 1000, 3, "1.0E+999", 1, "infinite"); /* u_0, beyond double */
  expect_bad_number(mg, tmp, 2, 2, "inf", 1, "infinite");      /* zion */
  expect_bad_number(mg, tmp, 1000, 3, "1e300", 0, "not finite"); /* u_0² overflows */
  char pspnc[1024];
  snprintf(pspnc, sizeof pspnc, "%s/12mg.pspnc", SF_PSP_DIR);
  expect_bad_number(pspnc, "/tmp/sf_test_pseudo_nonfinite.pspnc", 3000, 1, "nan", 1, "NaN");
}

/* A model core needs a positive radius (rchrg = 0 gave NaN core tables), and a psp8 mesh
 * a positive spacing (a negative one gave a negative refined-mesh size). */
static void test_bad_meshes(void)
{
  char mg[1024];
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
    if (refs[i].pspcod == 5) psp_path(&refs[i], mg, sizeof mg);
  char *txt = slurp(mg), *a = txt ? replace_token(txt, 11, 2, "0.5") : NULL; /* fchrg > 0 */
  char *b = a ? replace_token(a, 11, 1, "0.0") : NULL;                      /* rchrg = 0 */
  EXPECT(b != NULL, "cannot prepare the rchrg case");
  const char *t5 = "/tmp/sf_test_pseudo_rchrg.pseu", *t8 = "/tmp/sf_test_pseudo_mesh.psp8";
  if (b) {
    write_file(t5, b);
    expect_file_error(t5, "rchrg = 0 with a core", ":11:");
    remove(t5);
  }
  free(txt);
  free(a);
  free(b);
  /* a small psp8 (local potential only) on r_i = -0.4 i */
  FILE *f = fopen(t8, "w");
  EXPECT(f != NULL, "cannot write %s", t8);
  if (!f) return;
  fputs("negative mesh\n12 2 240101\n8 2 0 4 16 0\n0 0 0\n0\n0\n4\n", f);
  for (int i = 0; i < 16; i++) fprintf(f, "%d %.2f %.6f\n", i + 1, -0.4 * i, -2.0 / (1.0 + 0.4 * i));
  fclose(f);
  expect_file_error(t8, "negative psp8 spacing", ":9:");
  remove(t8);
}

/* ABINIT's rule: ixc = 0 gets a note, ixc != pspxc a warning; equal gives nothing. */
static void test_xc_mismatch(void)
{
  char mg[1024], msg[2048];
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
    if (refs[i].pspcod == 5) psp_path(&refs[i], mg, sizeof mg);
  sf_psp p;
  sf_error_reset();
  if (sf_psp_read(mg, 5.0, &p)) {
    EXPECT(0, "%s: %s", mg, sf_error_message());
    return;
  }
  EXPECT(p.pspxc == 2, "mg.pseu pspxc %d, expected 2", p.pspxc);
  EXPECT(sf_psp_xc_mismatch(&p, 2, msg, sizeof msg) == 0 && msg[0] == '\0', "ixc 2 = pspxc: %s", msg);
  EXPECT(sf_psp_xc_mismatch(&p, 7, msg, sizeof msg) == 1 && strstr(msg, "pspxc=2") &&
            strstr(msg, "-ixc 7") && strstr(msg, mg),
        "ixc 7 vs pspxc 2: '%s'", msg);
  EXPECT(sf_psp_xc_mismatch(&p, -1009, msg, sizeof msg) == 1, "ixc -1009 is compared as a number");
  EXPECT(sf_psp_xc_mismatch(&p, 0, msg, sizeof msg) == 1 && strstr(msg, "no exchange-correlation"),
        "ixc 0: '%s'", msg);
  sf_psp_free(&p);
}

static void test_md5(void)
{
  const char *files[] = {SF_PSP_DIR "/12mg.pspnc", SF_PSP_DIR "/Mg-low.psp8",
                         SF_DATA_PSP_DIR "/mg.pseu"};
  for (int i = 0; i < 3; i++) {
    char hex[33], cmd[1200], out[64] = {0};
    EXPECT(sf_md5_file(files[i], hex) == SF_OK, "md5 of %s failed", files[i]);
    snprintf(cmd, sizeof cmd, "md5sum '%s'", files[i]);
    FILE *pp = popen(cmd, "r");
    EXPECT(pp != NULL, "popen md5sum");
    if (!pp) continue;
    if (!fgets(out, sizeof out, pp)) out[0] = '\0';
    pclose(pp);
    out[32] = '\0';
    EXPECT(strcmp(hex, out) == 0, "md5 %s: ours %s, md5sum %s", files[i], hex, out);
  }
  /* empty file and a file of exactly 64 bytes exercise the padding paths */
  const char *tmp = "/tmp/sf_test_pseudo_md5";
  const char *contents[] = {"", "0123456789012345678901234567890123456789012345678901234567890123"};
  const char *expect[] = {"d41d8cd98f00b204e9800998ecf8427e", "7f7bfd348709deeaace19e3f535f8c54"};
  for (int i = 0; i < 2; i++) {
    char hex[33];
    write_file(tmp, contents[i]);
    EXPECT(sf_md5_file(tmp, hex) == SF_OK && strcmp(hex, expect[i]) == 0, "md5 case %d: %s", i, hex);
  }
  remove(tmp);
  sf_error_reset();
  char hex[33];
  EXPECT(sf_md5_file("/nonexistent/x", hex) == SF_ERR_FILE, "md5 of missing file");
  sf_error_reset();
}

/* ∫ Y_lm Y_l'm' dΩ by Gauss-Legendre in cos θ × uniform φ (exact for these degrees). */
static void test_ylm(void)
{
  enum { NT = 12, NP = 24 };
  double x[NT], w[NT];
  for (int i = 0; i < NT; i++) { /* Newton on P_NT */
    double z = cos(PSP_PI * (i + 0.75) / (NT + 0.5)), dp = 1;
    for (int it = 0; it < 100; it++) {
      double p0 = 1, p1 = z;
      for (int k = 2; k <= NT; k++) {
        double p2 = ((2.0 * k - 1) * z * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = NT * (z * p1 - p0) / (z * z - 1);
      z -= p1 / dp;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  double S[16][16] = {{0}};
  for (int i = 0; i < NT; i++)
    for (int k = 0; k < NP; k++) {
      double phi = 2 * PSP_PI * (k + 0.3) / NP, st = sqrt(1 - x[i] * x[i]);
      double v[3] = {2.5 * st * cos(phi), 2.5 * st * sin(phi), 2.5 * x[i]}, y[16];
      sf_ylm_real(v, y);
      for (int a = 0; a < 16; a++)
        for (int b = 0; b < 16; b++) S[a][b] += w[i] * (2 * PSP_PI / NP) * y[a] * y[b];
    }
  double worst = 0;
  for (int a = 0; a < 16; a++)
    for (int b = 0; b < 16; b++) worst = fmax(worst, fabs(S[a][b] - (a == b)));
  EXPECT(worst < 1e-10, "Ylm orthonormality error %.3e", worst);
  double y[16], zero[3] = {0, 0, 0};
  sf_ylm_real(zero, y);
  EXPECT(fabs(y[0] - 0.5 / sqrt(PSP_PI)) < 1e-15 && y[5] == 0 && y[15] == 0, "Ylm at x = 0");
}

static void test_bessel(void)
{
  /* series (x < 1) and closed forms (x >= 1) must join smoothly */
  for (int l = 0; l <= 3; l++) {
    double a = psp_sbessel(l, 1 - 1e-15), b = psp_sbessel(l, 1 + 1e-15);
    EXPECT(fabs(a - b) < 1e-14, "j_%d discontinuous at 1: %.17g %.17g", l, a, b);
  }
  EXPECT(fabs(psp_sbessel(3, 1e-3) - 1e-9 / 105 * (1 - 1e-6 / 18)) < 1e-24, "j_3 small x");
  EXPECT(fabs(psp_sbessel(2, 2.0) - 0.1984479490571466) < 1e-15, "j_2(2)");
}

int main(void)
{
  int nref = (int)(sizeof refs / sizeof refs[0]);
  for (int i = 0; i < nref; i++) test_against_abinit(&refs[i]);
  for (int i = 0; i < nref; i++) test_spline_midpoints(&refs[i]);
  test_errors();
  test_nonfinite_values();
  test_bad_meshes();
  test_xc_mismatch();
  test_md5();
  test_ylm();
  test_bessel();
  printf("test_pseudo: %d failures\n", failures);
  return failures != 0;
}
