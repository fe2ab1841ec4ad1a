/* psp_read.c — parsers for ABINIT's pspcod 1 (Teter/TM), 5 (log grid) and 8 (psp8)
 * norm-conserving pseudopotential files, and the public sf_psp_read entry point.
 *
 * Owns: turning a file into a psp_raw (radial mesh + potentials, wavefunctions or
 * projectors, core data) with every error reported as SF_ERR_FILE naming the file and
 * line.  The integrals are done in psp_tables.c.
 *
 * Format notes (learned from ABINIT's documentation and readers):
 *   line 1 title; line 2 zatom zion pspdat; line 3 pspcod pspxc lmax lloc mmax r2well.
 *   pspcod 1: per l "l e99.0 e99.9 nproj rcpsp" and "rms ekb1 ekb2 epsatm"; then
 *     "rchrg fchrg qchrg"; then per l an "l" line and mmax values of V_l(r); then per l an
 *     "l" line and mmax values of u_l(r) (also for the local l); then for each l with
 *     nproj = 2 a second wavefunction.  Mesh r_i = 100 (i/(mmax-1) + 0.01)^5 - 1e-8.
 *   pspcod 5: as 1 but an extra "r1 al pspso" line after line 3, mesh r_i = r1 e^{al i},
 *     and wavefunctions only for l with nproj != 0.
 *   pspcod 8: "rchrg fchrg qchrg", "nproj(0..lmax)", "extension_switch"; then per l with
 *     nproj > 0 a line "l ekb_1..ekb_n" and mmax rows "i r p_1..p_n" (p = r·β); the local
 *     potential as a line "lloc" and mmax rows "i r V"; if fchrg > 0, mmax rows
 *     "i r 4πρc and 4 derivatives".  Linear mesh from r = 0.
 */
#include "psp_internal.h"
#include "strainfield/core.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Whole file in memory, split into lines; `cur` is the next line to read (0-based). */
typedef struct {
  const char *path;
  char *buf;
  char **line;
  int nline, cur;
} reader;

static void reader_free(reader *R)
{
  sf_free(R->buf);
  sf_free(R->line);
}

/* Takes ownership of buf (len bytes, buf[len] == '\0') and splits it into lines. */
static int reader_init(const char *path, char *buf, size_t len, reader *R)
{
  memset(R, 0, sizeof *R);
  R->path = path;
  R->buf = buf;
  int nl = 1;
  for (size_t i = 0; i < len; i++) nl += buf[i] == '\n';
  SF_CHECK(sf_calloc((void **)&R->line, (size_t)nl, sizeof *R->line));
  char *p = buf;
  R->nline = 0;
  while (*p || p == buf) {
    R->line[R->nline++] = p;
    char *e = strchr(p, '\n');
    if (!e) break;
    *e = '\0';
    p = e + 1;
  }
  /* Fortran writes exponents as 1.0D+00; strtod wants E. */
  for (size_t i = 0; i < len; i++)
    if ((buf[i] == 'D' || buf[i] == 'd') && i > 0 && isdigit((unsigned char)buf[i - 1]) &&
        (buf[i + 1] == '+' || buf[i + 1] == '-' || isdigit((unsigned char)buf[i + 1])))
      buf[i] = 'E';
  return SF_OK;
}

static int reader_open(const char *path, reader *R)
{
  memset(R, 0, sizeof *R);
  FILE *f = fopen(path, "rb");
  if (!f) SF_ERROR(SF_ERR_FILE, "%s: cannot open pseudopotential file (%s)", path, strerror(errno));
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t n = fread(buf + len, 1, cap - len - 1, f);
    len += n;
    if (len + 1 < cap) break;
    char *nb = realloc(buf, cap *= 2);
    if (!nb) free(buf);
    buf = nb;
  }
  fclose(f);
  if (!buf) SF_ERROR(SF_ERR_MEM, "%s: out of memory reading file", path);
  buf[len] = '\0';
  SF_CHECK(reader_init(path, buf, len, R));
  return SF_OK;
}

/* A NUL-terminated private copy of text, so the reader can edit it in place. */
static int reader_from_buffer(const char *name, const char *text, size_t len, reader *R)
{
  memset(R, 0, sizeof *R);
  char *buf;
  SF_CHECK(sf_calloc((void **)&buf, len + 1, 1));
  memcpy(buf, text, len);
  SF_CHECK(reader_init(name, buf, len, R));
  return SF_OK;
}

/* Parses the leading numbers of a string (stops at the first non-number token). */
static int parse_numbers(const char *s, double *v, int maxn)
{
  int n = 0;
  while (n < maxn) {
    char *end;
    while (isspace((unsigned char)*s) || *s == ',') s++;
    if (!*s) break;
    double x = strtod(s, &end);
    if (end == s) break;
    if (*end && !isspace((unsigned char)*end) && *end != ',') break; /* e.g. "0=l" still ok below */
    v[n++] = x;
    s = end;
  }
  /* Accept a number glued to text such as "0=l for ..." as the only number of the line. */
  if (n == 0) {
    char *end;
    while (isspace((unsigned char)*s)) s++;
    double x = strtod(s, &end);
    if (end != s && maxn > 0) v[n++] = x;
  }
  return n;
}

/* A NaN or an infinity (written as such, or a number beyond the double range) would only
 * surface much later as a failed eigensolver; refuse it on the line that holds it. */
static int check_finite(const reader *R, const double *v, int n, const char *what)
{
  for (int i = 0; i < n; i++)
    if (!isfinite(v[i]))
      SF_ERROR(SF_ERR_FILE, "%s:%d: %s: number %d of the line is %s, not a finite value", R->path,
               R->cur, what, i + 1, isnan(v[i]) ? "NaN" : "infinite");
  return SF_OK;
}

/* Reads the next line and requires at least `need` leading numbers. */
static int read_line(reader *R, int need, double *v, int maxn, const char *what)
{
  if (R->cur >= R->nline || (R->cur == R->nline - 1 && !R->line[R->cur][0]))
    SF_ERROR(SF_ERR_FILE, "%s:%d: unexpected end of file, expected %s", R->path, R->cur + 1, what);
  int n = parse_numbers(R->line[R->cur], v, maxn);
  R->cur++;
  if (n < need)
    SF_ERROR(SF_ERR_FILE, "%s:%d: expected %s (%d numbers), found %d", R->path, R->cur, what, need, n);
  SF_CHECK(check_finite(R, v, n, what));
  return SF_OK;
}

/* Reads n values spread over as many lines as needed (Fortran list-directed style). */
static int read_stream(reader *R, int n, double *out, const char *what)
{
  int got = 0;
  double v[64];
  while (got < n) {
    if (R->cur >= R->nline)
      SF_ERROR(SF_ERR_FILE, "%s:%d: file truncated: %s has %d of %d values", R->path, R->cur, what,
               got, n);
    int k = parse_numbers(R->line[R->cur], v, 64);
    R->cur++;
    if (k == 0)
      SF_ERROR(SF_ERR_FILE, "%s:%d: non-numeric line inside %s (%d of %d values read)", R->path,
               R->cur, what, got, n);
    SF_CHECK(check_finite(R, v, k, what));
    for (int i = 0; i < k && got < n; i++) out[got++] = v[i];
  }
  return SF_OK;
}

static int as_int(reader *R, double x, const char *what, int *out)
{
  if (x != floor(x) || fabs(x) > 1e9)
    SF_ERROR(SF_ERR_FILE, "%s:%d: %s = %g is not an integer", R->path, R->cur, what, x);
  *out = (int)x;
  return SF_OK;
}

/* No real radial mesh reaches beyond a few hundred Bohr; the bound keeps the refined
 * psp8 meshes (points ~ r_max·qmax) small and the integrals finite. */
#define PSP_RMAX_LIMIT 1e4

static int alloc_vec(double **p, int n) { return sf_calloc((void **)p, (size_t)n, sizeof **p); }

/* Reads an "l" line followed by mmax values, checking the l. */
static int read_radial_block(reader *R, int l, int mmax, double *out, const char *what)
{
  double v[4];
  int ll;
  SF_CHECK(read_line(R, 1, v, 4, what));
  SF_CHECK(as_int(R, v[0], "l", &ll));
  if (ll != l)
    SF_ERROR(SF_ERR_FILE, "%s:%d: %s block for l=%d found where l=%d was expected", R->path, R->cur,
             what, ll, l);
  SF_CHECK(read_stream(R, mmax, out, what));
  return SF_OK;
}

/* pspcod 1 and 5 share everything but the mesh line and which wavefunctions appear. */
static int read_psp15(reader *R, sf_psp *psp, int mmax, psp_raw *raw)
{
  double v[8];
  int lmax = psp->lmax, nproj[SF_PSP_LMAX + 1] = {0};
  if (psp->pspcod == 5) {
    int pspso;
    SF_CHECK(read_line(R, 3, v, 8, "r1, al, pspso"));
    SF_CHECK(as_int(R, v[2], "pspso", &pspso));
    if (pspso != 0 && pspso != 1)
      SF_ERROR(SF_ERR_FILE, "%s:%d: spin-orbit pseudopotentials (pspso=%d) are not supported",
               R->path, R->cur, pspso);
    if (!(v[0] > 0 && v[1] > 0))
      SF_ERROR(SF_ERR_FILE, "%s:%d: bad log mesh r1=%g al=%g", R->path, R->cur, v[0], v[1]);
    raw->mesh = PSP_MESH_LOG;
    raw->al = v[1];
    SF_CHECK(alloc_vec(&raw->r, mmax));
    for (int i = 0; i < mmax; i++) raw->r[i] = v[0] * exp(raw->al * i);
    if (!(raw->r[mmax - 1] <= PSP_RMAX_LIMIT))
      SF_ERROR(SF_ERR_FILE, "%s:%d: log mesh r1=%g al=%g ends at r=%g Bohr, beyond %g", R->path,
               R->cur, v[0], v[1], raw->r[mmax - 1], PSP_RMAX_LIMIT);
  } else {
    if (mmax != 2001)
      SF_ERROR(SF_ERR_FILE, "%s:3: pspcod 1 uses the fixed 2001-point Teter mesh, mmax=%d", R->path,
               mmax);
    raw->mesh = PSP_MESH_TETER;
    SF_CHECK(alloc_vec(&raw->r, mmax));
    SF_CHECK(alloc_vec(&raw->drdi, mmax));
    for (int i = 0; i < mmax; i++) {
      double x = (double)i / (mmax - 1);
      raw->r[i] = 100.0 * pow(x + 0.01, 5) - 1e-8;
      raw->drdi[i] = 500.0 * pow(x + 0.01, 4) / (mmax - 1);
    }
  }
  for (int l = 0; l <= lmax; l++) {
    int ll;
    SF_CHECK(read_line(R, 5, v, 8, "l, e99.0, e99.9, nproj, rcpsp"));
    SF_CHECK(as_int(R, v[0], "l", &ll));
    SF_CHECK(as_int(R, v[3], "nproj", &nproj[l]));
    if (ll != l || nproj[l] < 0 || nproj[l] > SF_PSP_NPROJ)
      SF_ERROR(SF_ERR_FILE, "%s:%d: bad angular-momentum header (l=%d, nproj=%d; expected l=%d)",
               R->path, R->cur, ll, nproj[l], l);
    SF_CHECK(read_line(R, 4, v, 8, "rms, ekb1, ekb2, epsatm"));
  }
  SF_CHECK(read_line(R, 3, v, 8, "rchrg, fchrg, qchrg"));
  raw->rchrg = v[0];
  raw->fchrg = v[1];
  raw->qchrg = v[2];
  if (raw->fchrg > 1e-15 && !(raw->rchrg > 0 && raw->rchrg <= PSP_RMAX_LIMIT))
    SF_ERROR(SF_ERR_FILE, "%s:%d: model core radius rchrg=%g must be in (0, %g] Bohr", R->path,
             R->cur, raw->rchrg, PSP_RMAX_LIMIT);
  for (int l = 0; l <= lmax; l++) {
    SF_CHECK(alloc_vec(&raw->vl[l], mmax));
    SF_CHECK(read_radial_block(R, l, mmax, raw->vl[l], "pseudopotential"));
  }
  SF_CHECK(alloc_vec(&raw->vloc, mmax));
  memcpy(raw->vloc, raw->vl[psp->lloc], (size_t)mmax * sizeof(double));
  for (int l = 0; l <= lmax; l++) psp->nproj[l] = l == psp->lloc ? 0 : nproj[l];
  if (lmax == 0 && psp->lloc == 0) return SF_OK; /* purely local: no wavefunctions follow */
  for (int l = 0; l <= lmax; l++) {
    SF_CHECK(alloc_vec(&raw->ul[l][0], mmax));
    if (nproj[l] != 0 || psp->pspcod == 1)
      SF_CHECK(read_radial_block(R, l, mmax, raw->ul[l][0], "pseudo-wavefunction"));
  }
  for (int l = 0; l <= lmax; l++)
    if (nproj[l] == 2) {
      SF_CHECK(alloc_vec(&raw->ul[l][1], mmax));
      SF_CHECK(read_radial_block(R, l, mmax, raw->ul[l][1], "second pseudo-wavefunction"));
    }
  return SF_OK;
}

/* Reads mmax rows "i r f_1..f_k" of a psp8 block; r is checked against the mesh. */
static int read_rows8(reader *R, psp_raw *raw, int k, double **cols, const char *what)
{
  double v[16];
  for (int i = 0; i < raw->mmax; i++) {
    SF_CHECK(read_line(R, 2 + k, v, 16, what));
    if (fabs(v[1] - raw->r[i]) > 1e-8)
      SF_ERROR(SF_ERR_FILE, "%s:%d: %s row has r=%.10g, expected %.10g", R->path, R->cur, what, v[1],
               raw->r[i]);
    for (int j = 0; j < k; j++)
      if (cols[j]) cols[j][i] = v[2 + j];
  }
  return SF_OK;
}

static int read_psp8(reader *R, sf_psp *psp, int mmax, psp_raw *raw)
{
  double v[16];
  int lmax = psp->lmax, ext;
  SF_CHECK(read_line(R, 3, v, 16, "rchrg, fchrg, qchrg"));
  raw->rchrg = v[0];
  raw->fchrg = v[1];
  raw->qchrg = v[2];
  SF_CHECK(read_line(R, lmax + 1, v, 16, "nproj for each l"));
  for (int l = 0; l <= lmax; l++) {
    SF_CHECK(as_int(R, v[l], "nproj", &psp->nproj[l]));
    if (psp->nproj[l] < 0 || psp->nproj[l] > SF_PSP_NPROJ)
      SF_ERROR(SF_ERR_FILE, "%s:%d: nproj=%d for l=%d not supported (max %d)", R->path, R->cur,
               psp->nproj[l], l, SF_PSP_NPROJ);
  }
  SF_CHECK(read_line(R, 1, v, 16, "extension_switch"));
  SF_CHECK(as_int(R, v[0], "extension_switch", &ext));
  if (ext != 0 && ext != 1)
    SF_ERROR(SF_ERR_FILE, "%s:%d: extension_switch=%d (spin-orbit) is not supported", R->path,
             R->cur, ext);
  if (psp->lloc <= lmax && psp->nproj[psp->lloc] != 0)
    SF_ERROR(SF_ERR_FILE, "%s:3: the local channel l=%d has projectors", R->path, psp->lloc);

  raw->mesh = PSP_MESH_LINEAR;
  SF_CHECK(alloc_vec(&raw->r, mmax));
  SF_CHECK(alloc_vec(&raw->vloc, mmax));
  int have_r = 0, have_loc = 0;
  for (int l = 0; l <= lmax + 1; l++) {
    int ltarget = l <= lmax ? l : psp->lloc;
    if (l > lmax && psp->lloc <= lmax) break;
    if (l <= lmax && psp->nproj[l] == 0 && l != psp->lloc) continue;
    int ll, np = l <= lmax ? psp->nproj[l] : 0;
    SF_CHECK(read_line(R, 1 + np, v, 16, "l and ekb"));
    SF_CHECK(as_int(R, v[0], "l", &ll));
    if (ll != ltarget)
      SF_ERROR(SF_ERR_FILE, "%s:%d: block for l=%d found where l=%d was expected", R->path, R->cur,
               ll, ltarget);
    double *cols[SF_PSP_NPROJ] = {0};
    for (int j = 0; j < np; j++) {
      psp->ekb[l][j] = v[1 + j];
      SF_CHECK(alloc_vec(&raw->rbeta[l][j], mmax));
      cols[j] = raw->rbeta[l][j];
    }
    if (np == 0) cols[0] = raw->vloc, have_loc = 1;
    if (!have_r) { /* the first block defines the mesh */
      double *rc[1] = {raw->r};
      raw->mmax = mmax;
      int save = R->cur;
      for (int i = 0; i < mmax; i++) {
        SF_CHECK(read_line(R, 2, v, 16, "mesh row"));
        rc[0][i] = v[1];
      }
      R->cur = save;
      raw->amesh = raw->r[1] - raw->r[0];
      for (int i = 1; i < mmax; i++)
        if (fabs(raw->r[i] - raw->r[0] - i * raw->amesh) > 1e-8 || raw->r[0] != 0.0)
          SF_ERROR(SF_ERR_FILE, "%s:%d: psp8 needs a linear mesh starting at r=0", R->path,
                   save + i + 1);
      if (!(raw->amesh > 0) || !(raw->r[mmax - 1] <= PSP_RMAX_LIMIT))
        SF_ERROR(SF_ERR_FILE, "%s:%d: psp8 mesh spacing %g must be positive and the mesh end %g "
                 "at most %g Bohr", R->path, save + 2, raw->amesh, raw->r[mmax - 1], PSP_RMAX_LIMIT);
      have_r = 1;
    }
    SF_CHECK(read_rows8(R, raw, np ? np : 1, cols, np ? "projector" : "local potential"));
  }
  if (!have_loc) SF_ERROR(SF_ERR_FILE, "%s: no local potential block (lloc=%d)", R->path, psp->lloc);
  if (raw->fchrg > 1e-15) {
    SF_CHECK(alloc_vec(&raw->rhoc, mmax));
    SF_CHECK(alloc_vec(&raw->drhoc, mmax));
    double *cols[4] = {raw->rhoc, raw->drhoc, NULL, NULL};
    SF_CHECK(read_rows8(R, raw, 4, cols, "model core charge"));
    for (int i = 0; i < mmax; i++) {
      raw->rhoc[i] /= 4.0 * PSP_PI; /* the file stores 4πρc */
      raw->drhoc[i] /= 4.0 * PSP_PI;
    }
    if (raw->rchrg > raw->r[mmax - 1] + 1e-10)
      SF_ERROR(SF_ERR_FILE, "%s:4: rchrg=%g beyond the last mesh point %g", R->path, raw->rchrg,
               raw->r[mmax - 1]);
  }
  if (ext == 1) { /* pseudo valence density: unused, but a missing block means truncation */
    double *cols[1] = {NULL};
    SF_CHECK(read_rows8(R, raw, 1, cols, "pseudo valence density"));
  }
  return SF_OK;
}

static int read_header_and_body(reader *R, double qmax, double dq, sf_psp *psp, psp_raw *raw)
{
  double v[8];
  if (R->nline < 3 || !R->line[0]) SF_ERROR(SF_ERR_FILE, "%s:1: file too short", R->path);
  R->cur = 1; /* line 1 is a free-form title */
  SF_CHECK(read_line(R, 3, v, 8, "zatom, zion, pspdat"));
  psp->zatom = v[0];
  psp->zion = v[1];
  if (!(psp->zion > 0) || psp->zion > psp->zatom + 1e-12)
    SF_ERROR(SF_ERR_FILE, "%s:2: bad zatom=%g / zion=%g", R->path, psp->zatom, psp->zion);
  int mmax;
  SF_CHECK(read_line(R, 5, v, 8, "pspcod, pspxc, lmax, lloc, mmax, r2well"));
  SF_CHECK(as_int(R, v[0], "pspcod", &psp->pspcod));
  SF_CHECK(as_int(R, v[1], "pspxc", &psp->pspxc));
  SF_CHECK(as_int(R, v[2], "lmax", &psp->lmax));
  SF_CHECK(as_int(R, v[3], "lloc", &psp->lloc));
  SF_CHECK(as_int(R, v[4], "mmax", &mmax));
  if (psp->pspcod != 1 && psp->pspcod != 5 && psp->pspcod != 8)
    SF_ERROR(SF_ERR_FILE, "%s:3: pspcod=%d is not supported (only 1, 5 and 8)", R->path,
             psp->pspcod);
  if (psp->lmax < 0 || psp->lmax > SF_PSP_LMAX || psp->lloc < 0 ||
      (psp->lloc > psp->lmax && !(psp->pspcod == 8 && psp->lloc == 4)))
    SF_ERROR(SF_ERR_FILE, "%s:3: lmax=%d / lloc=%d not supported", R->path, psp->lmax, psp->lloc);
  if (mmax < 10 || mmax > 100000) SF_ERROR(SF_ERR_FILE, "%s:3: bad mmax=%d", R->path, mmax);
  raw->mmax = mmax;
  if (psp->pspcod == 8)
    SF_CHECK(read_psp8(R, psp, mmax, raw));
  else
    SF_CHECK(read_psp15(R, psp, mmax, raw));
  psp->has_core = raw->fchrg > 1e-15;
  SF_CHECK(psp_tabulate(raw, qmax, dq, psp));
  return SF_OK;
}

/* What both entry points do first: a clean psp that knows its name. */
static int psp_begin(const char *name, double qmax, double dq, sf_psp *psp)
{
  memset(psp, 0, sizeof *psp);
  if (!(qmax > 0) || !(dq > 0) || !isfinite(qmax))
    SF_ERROR(SF_ERR_INPUT, "%s: bad table range qmax=%g dq=%g", name, qmax, dq);
  snprintf(psp->path, sizeof psp->path, "%s", name);
  return SF_OK;
}

/* Parses and tabulates from an opened reader (opened: the status of opening it), then frees
 * the reader; on failure psp is freed too. */
static int psp_finish(reader *R, int opened, double qmax, double dq, sf_psp *psp)
{
  int st = SF_OK;
  psp_raw raw;
  memset(&raw, 0, sizeof raw);
  SF_CHECK_GOTO(opened);
  SF_CHECK_GOTO(read_header_and_body(R, qmax, dq, psp, &raw));
cleanup:
  reader_free(R);
  psp_raw_free(&raw);
  if (st) sf_psp_free(psp);
  return st;
}

int sf_psp_read_dq(const char *path, double qmax, double dq, sf_psp *psp)
{
  SF_CHECK(psp_begin(path, qmax, dq, psp));
  SF_CHECK(sf_md5_file(path, psp->md5));
  reader R;
  int st = reader_open(path, &R);
  SF_CHECK(psp_finish(&R, st, qmax, dq, psp));
  return SF_OK;
}

int sf_psp_read_buffer(const char *name, const char *text, size_t len, double qmax, sf_psp *psp)
{
  SF_CHECK(psp_begin(name, qmax, SF_PSP_DQ, psp));
  reader R;
  int st = reader_from_buffer(name, text, len, &R);
  SF_CHECK(psp_finish(&R, st, qmax, SF_PSP_DQ, psp));
  return SF_OK;
}

int sf_psp_read(const char *path, double qmax, sf_psp *psp)
{
  SF_CHECK(sf_psp_read_dq(path, qmax, SF_PSP_DQ, psp));
  return SF_OK;
}

void psp_raw_free(psp_raw *raw)
{
  sf_free(raw->r);
  sf_free(raw->drdi);
  sf_free(raw->vloc);
  sf_free(raw->rhoc);
  sf_free(raw->drhoc);
  for (int l = 0; l <= SF_PSP_LMAX; l++) {
    sf_free(raw->vl[l]);
    for (int j = 0; j < SF_PSP_NPROJ; j++) {
      sf_free(raw->ul[l][j]);
      sf_free(raw->rbeta[l][j]);
    }
  }
  memset(raw, 0, sizeof *raw);
}
