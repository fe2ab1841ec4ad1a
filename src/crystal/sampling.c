/* sampling.c — deterministic strain samples and strain measures (see sampling.h). */
#include "strainfield/sampling.h"
#include "strainfield/core.h"
#include "strainfield/crystal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t x)
{
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t sf_rng_hash(uint64_t seed, uint64_t index, uint64_t purpose)
{
  return splitmix64(splitmix64(splitmix64(seed) ^ index) ^ (purpose * 0xD1B54A32D192ED03ull));
}

double sf_rng_uniform(uint64_t seed, uint64_t index, uint64_t purpose)
{
  return ((double)(sf_rng_hash(seed, index, purpose) >> 11) + 0.5) * 0x1.0p-53;
}

double sf_normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

double sf_truncnormal_from_uniform(double u, double a)
{
  if (u <= 0.0) return -a;
  if (u >= 1.0) return a;
  double plo = sf_normal_cdf(-a), phi = sf_normal_cdf(a);
  double target = plo + u * (phi - plo);
  double lo = -a, hi = a;
  for (int it = 0; it < 200 && hi - lo > 0.0; it++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (sf_normal_cdf(mid) < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/* Latin hypercube: the stratum of sample i in coordinate j is the rank of its hash
 * among the hashes of all samples, a permutation that needs no stored state. */
static long lhs_stratum(const sf_sampler *s, long i, int j)
{
  uint64_t hi = sf_rng_hash(s->seed, (uint64_t)i, 100 + j);
  long rank = 0;
  for (long m = 0; m < s->nsamples; m++) {
    uint64_t hm = sf_rng_hash(s->seed, (uint64_t)m, 100 + j);
    if (hm < hi || (hm == hi && m < i)) rank++;
  }
  return rank;
}

int sf_sampler_D(const sf_sampler *s, long i, double D[6])
{
  if (i < 0 || i >= s->nsamples) SF_ERROR(SF_ERR_INPUT, "sample %ld outside 0..%ld", i, s->nsamples - 1);
  if (s->method == SF_SAMPLE_FILE) {
    if (i >= s->ntable) SF_ERROR(SF_ERR_INPUT, "sample %ld: the -sample_file lists only %ld strains", i, s->ntable);
    memcpy(D, s->table[i], 6 * sizeof(double));
    return SF_OK;
  }
  for (int j = 0; j < 6; j++) {
    double u = sf_rng_uniform(s->seed, (uint64_t)i, (uint64_t)j);
    if (s->method == SF_SAMPLE_LHS) u = ((double)lhs_stratum(s, i, j) + u) / (double)s->nsamples;
    double mid = 0.5 * (s->lo[j] + s->hi[j]), half = 0.5 * (s->hi[j] - s->lo[j]);
    if (s->dist == SF_DIST_NORMAL) D[j] = mid + half * sf_truncnormal_from_uniform(u, s->nsigma) / s->nsigma;
    else D[j] = s->lo[j] + u * (s->hi[j] - s->lo[j]);
  }
  return SF_OK;
}

/* One line of a -sample_file: 6 numbers (la lb lc tha thb thc) into v, or *blank. */
static int parse_sample_line(const char *path, long lineno, char *line, double v[7], int *blank)
{
  char *hash = strchr(line, '#');
  if (hash) *hash = 0;
  for (char *c = line; *c; c++) if (*c == ',') *c = ' ';
  int k = 0;
  char *p = line, *end;
  while (k < 7) {
    double x = strtod(p, &end);
    if (end == p) break;
    v[k++] = x;
    p = end;
  }
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  *blank = k == 0 && !*p;
  if (*blank) return SF_OK;
  if (k != 6 || *p) SF_ERROR(SF_ERR_FILE, "%s:%ld: expected 6 numbers (la lb lc tha thb thc)", path, lineno);
  for (int j = 0; j < 3; j++)
    if (!(v[j] > 0)) SF_ERROR(SF_ERR_INPUT, "%s:%ld: stretch %g must be positive", path, lineno, v[j]);
  /* Angles that make a flat cell would fail (or, before the check, hang) the sample's
   * cell construction; refuse the file up front, naming the line. */
  if (sf_lattice_check_angles(&v[3])) {
    char why[512];
    snprintf(why, sizeof why, "%s", sf_error_message());
    sf_error_reset();
    SF_ERROR(SF_ERR_INPUT, "%s:%ld: %s", path, lineno, why);
  }
  return SF_OK;
}

int sf_sampler_read_file(sf_sampler *s, const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) SF_ERROR(SF_ERR_FILE, "cannot open -sample_file %s: %s", path, strerror(errno));
  long cap = 64, n = 0, lineno = 0;
  double(*t)[6] = malloc(cap * sizeof *t);
  char line[4096];
  int st = SF_OK;
  if (!t) SF_ERROR_GOTO(SF_ERR_MEM, "out of memory");
  while (fgets(line, sizeof line, f)) {
    double v[7];
    int blank;
    SF_CHECK_GOTO(parse_sample_line(path, ++lineno, line, v, &blank));
    if (blank) continue;
    if (n == cap) {
      cap *= 2;
      void *nt = realloc(t, cap * sizeof *t);
      if (!nt) SF_ERROR_GOTO(SF_ERR_MEM, "out of memory");
      t = nt;
    }
    memcpy(t[n++], v, sizeof t[0]);
  }
  if (n == 0) SF_ERROR_GOTO(SF_ERR_FILE, "-sample_file %s lists no strains", path);
  s->table = t;
  s->ntable = n;
  t = NULL;
cleanup:
  fclose(f);
  free(t);
  return st;
}

void sf_sampler_free(sf_sampler *s)
{
  free(s->table);
  s->table = NULL;
  s->ntable = 0;
}

static int inv3(const double a[3][3], double b[3][3])
{
  double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
               a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  if (!(fabs(det) > 0)) return 1;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
      b[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / det;
    }
  return 0;
}

int sf_strain_measures(const double ref[3][3], const double rprimd[3][3], double F[3][3], double E[3][3],
                       double eps[3][3])
{
  /* columns of A = deformed vectors, of A0 = reference vectors: F = A A0^{-1} */
  double A0[3][3], A0i[3][3], f[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) A0[i][j] = ref[j][i];
  if (inv3(A0, A0i)) SF_ERROR(SF_ERR_INPUT, "the reference lattice is singular");
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      f[i][j] = 0;
      for (int k = 0; k < 3; k++) f[i][j] += rprimd[k][i] * A0i[k][j];
    }
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      if (F) F[i][j] = f[i][j];
      if (E) {
        double c = 0;
        for (int k = 0; k < 3; k++) c += f[k][i] * f[k][j];
        E[i][j] = 0.5 * (c - (i == j));
      }
      if (eps) eps[i][j] = 0.5 * (f[i][j] + f[j][i]) - (i == j);
    }
  return SF_OK;
}

static double norm3(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }
static double angle3(const double a[3], const double b[3])
{
  double c = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (norm3(a) * norm3(b));
  return acos(fmax(-1.0, fmin(1.0, c))) * 180.0 / M_PI;
}

void sf_strain_D_of_lattice(const double ref[3][3], const double rprimd[3][3], double D[6])
{
  for (int i = 0; i < 3; i++) D[i] = norm3(rprimd[i]) / norm3(ref[i]);
  D[3] = angle3(rprimd[1], rprimd[2]);
  D[4] = angle3(rprimd[0], rprimd[2]);
  D[5] = angle3(rprimd[0], rprimd[1]);
}
