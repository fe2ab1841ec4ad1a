/* fft_sphere.c — zero-padded FFTs of wavefunctions between the basis sphere and the box
 * (see pw.h).
 *
 * Box layout (i1*n2 + i2)*n3 + i3.  The sphere's g_i lie in [-m_i, m_i] (m = pw->gmax), i.e.
 * box rows [0, m_i] and [n_i - m_i, n_i).  They are covered by "runs" of equal length
 * L = m_i + 1, [0, L) and [n_i - L, n_i) (one spare row, so that a single plan serves both);
 * one run [0, 1) when m_i = 0, and one run [0, n_i) when the two would overlap.
 *   G->r  stage 1: along i1 (stride n2*n3) only for i2 and i3 both in their runs (4 blocks:
 *                  the bounding rectangle of the sphere's projection on the (g2,g3) plane);
 *         stage 2: along i2 (stride n3) for every i1 and i3 in the runs of m3 (2 blocks);
 *         stage 3: along i3 (contiguous) for every (i1,i2).
 *   r->G  stage 3, 2, 1 in this order with FFTW_FORWARD; stage 1 only produces the lines
 *         that hold sphere points, which is all the gather reads.
 * This axis order (the contiguous axis last/first, where the full set of lines must be
 * transformed) was measured fastest for the 36x64x60 box: the large-stride i1 transforms
 * are ~2x slower per line than the contiguous ones, so they are the ones pruned most
 * (full 3-D plan 615 us; i3-first order 407 us; this order 268 us per transform).
 * Each stage is one FFTW guru plan (a 1-D transform with two loop dimensions) executed in
 * place with fftw_execute_dft at each block's offset.  FFTW requires the new arrays to have
 * the planning array's alignment (fftw_alignment_of); offsets that would break it (not the
 * case for complex doubles with FFTW's 16-byte rule) make the plans FFTW_UNALIGNED.
 * Plans depend only on (n, m2, m3, direction) and are cached in the box (6 plans per
 * sphere extent + 2 per box); they are made with sf_fft_planner_flag() (FFTW_MEASURE, or
 * FFTW_ESTIMATE in deterministic mode) on a scratch array so that planning never touches
 * box->work.
 */
#include "strainfield/pw.h"
#include "strainfield/core.h"

#include <string.h>

typedef struct {
  int len;               /* rows per run */
  int nrun;              /* 1 or 2 */
  int start[2];
} runs;

typedef struct sphere_set {
  int m2, m3;
  runs r2, r3;
  fftw_plan s1[2];       /* [dir]: along i1, one (i2 run, i3 run) block */
  fftw_plan s2[2];       /* [dir]: along i2, every i1, one i3 run */
  struct sphere_set *next;
} sphere_set;

typedef struct {
  fftw_plan s3[2];       /* [dir]: along i3, all (i1,i2) */
  sphere_set *sets;
} sphere_cache;

enum { DIR_G2R = 0, DIR_R2G = 1 };

static runs make_runs(int n, int m)
{
  runs r;
  if (m == 0) r = (runs){1, 1, {0, 0}};
  else if (2 * (m + 1) <= n) r = (runs){m + 1, 2, {0, n - m - 1}};
  else r = (runs){n, 1, {0, 0}};
  return r;
}

/* One 1-D transform of length len and stride st, looped over h1 lines at distance d1 and
 * h2 lines at distance d2, in place on buf. */
static fftw_plan plan_lines(double complex *buf, int len, int st, int h1, int d1, int h2, int d2, int sign,
                            unsigned flags)
{
  fftw_iodim dim = {len, st, st};
  fftw_iodim loops[2] = {{h1, d1, d1}, {h2, d2, d2}};
  int nloop = h2 > 1 ? 2 : 1;
  return fftw_plan_guru_dft(1, &dim, nloop, loops, (fftw_complex *)buf, (fftw_complex *)buf, sign,
                            sf_fft_planner_flag() | flags);
}

static void destroy_set(sphere_set *s)
{
  for (int d = 0; d < 2; d++) {
    if (s->s1[d]) fftw_destroy_plan(s->s1[d]);
    if (s->s2[d]) fftw_destroy_plan(s->s2[d]);
  }
  sf_free(s);
}

void sf_fft_sphere_free(sf_fftbox *box)
{
  sphere_cache *c = box->sphere_plans;
  if (!c) return;
  for (int d = 0; d < 2; d++)
    if (c->s3[d]) fftw_destroy_plan(c->s3[d]);
  while (c->sets) {
    sphere_set *next = c->sets->next;
    destroy_set(c->sets);
    c->sets = next;
  }
  sf_free(c);
  box->sphere_plans = NULL;
}

/* The plans for sphere extent (m2, m3), made on first use. */
static int get_set(sf_fftbox *box, const sf_pwbasis *pw, sphere_set **out)
{
  const int n1 = box->n[0], n2 = box->n[1], n3 = box->n[2];
  const int m2 = pw->gmax[1], m3 = pw->gmax[2];
  if (2 * pw->gmax[0] >= n1 || 2 * m2 >= n2 || 2 * m3 >= n3 || pw->gmax[0] < 0 || m2 < 0 || m3 < 0)
    SF_ERROR(SF_ERR_INTERNAL, "the sphere (gmax %d %d %d) does not fit in the box %dx%dx%d", pw->gmax[0], m2,
             m3, n1, n2, n3);
  sphere_cache *c = box->sphere_plans;
  if (c && c->s3[0] && c->s3[1]) {
    for (sphere_set *s = c->sets; s; s = s->next)
      if (s->m2 == m2 && s->m3 == m3) {
        *out = s;
        return SF_OK;
      }
  }
  double complex *scratch = fftw_malloc(sizeof(double complex) * (size_t)box->nfft);
  if (!scratch) SF_ERROR(SF_ERR_MEM, "cannot allocate a scratch FFT box for planning");
  const int signs[2] = {FFTW_BACKWARD, FFTW_FORWARD};
  int st = SF_OK;
  sphere_set *s = NULL;
  if (!c) {
    if (sf_calloc((void **)&c, 1, sizeof *c) != SF_OK)
      SF_ERROR_GOTO(SF_ERR_MEM, "cannot allocate the sphere-FFT plan cache");
    box->sphere_plans = c;
  }
  for (int d = 0; d < 2; d++) {
    if (!c->s3[d]) c->s3[d] = plan_lines(scratch, n3, 1, n1 * n2, n3, 1, 0, signs[d], 0);
    if (!c->s3[d]) goto no_plan;
  }
  if (sf_calloc((void **)&s, 1, sizeof *s) != SF_OK) SF_ERROR_GOTO(SF_ERR_MEM, "cannot allocate the sphere-FFT plans");
  s->m2 = m2;
  s->m3 = m3;
  s->r2 = make_runs(n2, m2);
  s->r3 = make_runs(n3, m3);
  unsigned flags = 0;
  const int a0 = fftw_alignment_of((double *)scratch);
  for (int b = 0; b < s->r2.nrun; b++)
    for (int c3 = 0; c3 < s->r3.nrun; c3++)
      if (fftw_alignment_of((double *)(scratch + (size_t)s->r2.start[b] * n3 + s->r3.start[c3])) != a0)
        flags = FFTW_UNALIGNED;
  for (int d = 0; d < 2; d++) {
    s->s2[d] = plan_lines(scratch, n2, n3, n1, n2 * n3, s->r3.len, 1, signs[d], flags);
    s->s1[d] = plan_lines(scratch, n1, n2 * n3, s->r2.len, n3, s->r3.len, 1, signs[d], flags);
    if (!s->s1[d] || !s->s2[d]) goto no_plan;
  }
  s->next = c->sets;
  c->sets = s;
  *out = s;
  s = NULL; /* the cache owns it */
  goto cleanup;
no_plan:
  st = sf_error_set(SF_ERR_LIB, __FILE__, __LINE__, __func__,
                    "FFTW could not plan the zero-padded transforms for box %dx%dx%d", n1, n2, n3);
cleanup:
  fftw_free(scratch);
  if (s) destroy_set(s);
  return st;
}

static void stage1(const sf_fftbox *box, const sphere_set *s, int d)
{
  const int n3 = box->n[2];
  for (int b = 0; b < s->r2.nrun; b++)
    for (int c3 = 0; c3 < s->r3.nrun; c3++) {
      double complex *p = box->work + (size_t)s->r2.start[b] * n3 + s->r3.start[c3];
      fftw_execute_dft(s->s1[d], p, p);
    }
}

static void stage2(const sf_fftbox *box, const sphere_set *s, int d)
{
  for (int c3 = 0; c3 < s->r3.nrun; c3++) {
    double complex *p = box->work + s->r3.start[c3];
    fftw_execute_dft(s->s2[d], p, p);
  }
}

int sf_fft_sphere_g2r(sf_fftbox *box, const sf_pwbasis *pw, const double complex *c)
{
  sphere_set *s;
  SF_CHECK(get_set(box, pw, &s));
  const sphere_cache *cache = box->sphere_plans;
  /* Every entry outside the sphere must be zero for one of the stages (stage 3 reads the
   * whole box), so the whole box is cleared; it is one contiguous, cache-resident write. */
  memset(box->work, 0, sizeof(double complex) * (size_t)box->nfft);
  for (int i = 0; i < pw->npw; i++) box->work[pw->ifft[i]] = c[i];
  stage1(box, s, DIR_G2R);
  stage2(box, s, DIR_G2R);
  fftw_execute_dft(cache->s3[DIR_G2R], box->work, box->work);
  return SF_OK;
}

int sf_fft_sphere_r2g(sf_fftbox *box, const sf_pwbasis *pw)
{
  sphere_set *s;
  SF_CHECK(get_set(box, pw, &s));
  const sphere_cache *cache = box->sphere_plans;
  fftw_execute_dft(cache->s3[DIR_R2G], box->work, box->work);
  stage2(box, s, DIR_R2G);
  stage1(box, s, DIR_R2G);
  return SF_OK;
}
