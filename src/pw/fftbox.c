/* fftbox.c — the FFT box: size choice, FFTW plans, G <-> index map, and the planner
 * mode every plan of the module uses (see pw.h). */
#include "strainfield/pw.h"
#include "strainfield/core.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FFTW_MEASURE times candidate algorithms and keeps the fastest, so the algorithm (and
 * the last bits of every transform, ~1e-16 relative, ~1e-13 Ha after an SCF) depends on
 * the machine's load at planning time.  FFTW_ESTIMATE picks from FFTW's cost model: the
 * same plan for the same problem in every process, run and resume. */
static unsigned planner_flag = FFTW_MEASURE;

unsigned sf_fft_planner_flag(void) { return planner_flag; }

/* FNV-1a of a string, continuing from h: a short fingerprint of printed FFTW plans. */
static uint64_t fingerprint(const char *s, uint64_t h)
{
  if (!h) h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* The printed plans of a few probe boxes (one smooth size, two with factors 3 and 5). */
static int probe_fingerprint(uint64_t *out)
{
  static const int probes[3][3] = {{16, 16, 16}, {15, 25, 24}, {12, 20, 18}};
  uint64_t h = 0;
  for (int k = 0; k < 3; k++) {
    const int *n = probes[k];
    fftw_complex *a = fftw_malloc(sizeof(fftw_complex) * (size_t)n[0] * n[1] * n[2]);
    if (!a) SF_ERROR(SF_ERR_MEM, "cannot allocate a probe FFT box");
    fftw_plan p = fftw_plan_dft_3d(n[0], n[1], n[2], a, a, FFTW_BACKWARD, FFTW_ESTIMATE);
    char *text = p ? fftw_sprint_plan(p) : NULL;
    if (text) h = fingerprint(text, h);
    free(text);
    if (p) fftw_destroy_plan(p);
    fftw_free(a);
    if (!text) SF_ERROR(SF_ERR_LIB, "FFTW could not plan a %dx%dx%d probe box", n[0], n[1], n[2]);
  }
  *out = h;
  return SF_OK;
}

int sf_fft_plans_deterministic(MPI_Comm world)
{
  planner_flag = FFTW_ESTIMATE;
  /* Wisdom from an earlier FFTW_MEASURE plan of the same problem would be reused. */
  fftw_forget_wisdom();
  /* The cost model still depends on the FFTW build and on the CPU's SIMD extensions.  A
   * sample may run on any rank, so every rank must choose the same plans. */
  uint64_t mine = 0;
  SF_CHECK(sf_status_agree(world, probe_fingerprint(&mine))); /* before the Allreduces */
  uint64_t lo = mine, hi = mine;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, world);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, world);
  if (lo != hi)
    SF_ERROR(SF_ERR_MPI, "the ranks plan FFTs differently (different FFTW builds or CPUs): results would depend "
             "on which rank ran a sample; run on identical nodes");
  return SF_OK;
}

static int only_235(int n)
{
  while (n % 2 == 0) n /= 2;
  while (n % 3 == 0) n /= 3;
  while (n % 5 == 0) n /= 5;
  return n == 1;
}

static int next_235(int n)
{
  while (!only_235(n)) n++;
  return n;
}

/* Does rotation R map the grid n onto itself?  Returns a direction that must grow
 * (0..2), or -1 when it does.  Fractional translations need no grid compatibility:
 * densities are symmetrised in reciprocal space. */
static int grid_conflict(const int R[3][3], const int n[3])
{
  for (int a = 0; a < 3; a++) {
    for (int b = 0; b < 3; b++)
      if (R[a][b] != 0 && (R[a][b] * n[a]) % n[b] != 0) return n[a] < n[b] ? a : b;
  }
  return -1;
}

int sf_fftbox_default_size(const sf_cell *cell, const sf_symmetry *sym, double ecut, double boxcutmin, int n[3])
{
  /* g_i = G·a_i/(2π) is at most |G||a_i|/(2π) on the sphere, reached when G ∥ a_i */
  double gmax = boxcutmin * sqrt(2.0 * ecut);
  for (int i = 0; i < 3; i++) {
    double alen = sqrt(cell->rprimd[i][0] * cell->rprimd[i][0] + cell->rprimd[i][1] * cell->rprimd[i][1] +
                       cell->rprimd[i][2] * cell->rprimd[i][2]);
    double nmin = ceil(gmax * alen / M_PI - 1e-9);
    if (!(nmin <= 4096))
      SF_ERROR(SF_ERR_INPUT, "the FFT box for ecut %g along vector %d (%g Bohr) would exceed 4096 points", ecut, i + 1, alen);
    n[i] = next_235((int)nmin);
  }
  if (!sym) return SF_OK;
  for (int guard = 0; guard < 1000; guard++) {
    int grow = -1;
    for (int s = 0; s < sym->nsym && grow < 0; s++)
      grow = grid_conflict((const int(*)[3])sym->rot[s], n);
    if (grow < 0) return SF_OK;
    n[grow] = next_235(n[grow] + 1);
  }
  SF_ERROR(SF_ERR_INTERNAL, "no FFT grid compatible with the symmetry operations was found");
}

int sf_fftbox_create(const int n[3], sf_fftbox *box)
{
  int st = SF_OK;
  memset(box, 0, sizeof *box);
  for (int i = 0; i < 3; i++) {
    if (n[i] < 2 || n[i] > 4096) SF_ERROR(SF_ERR_INPUT, "-ngfft: component %d = %d is out of range", i + 1, n[i]);
    box->n[i] = n[i];
  }
  box->nfft = n[0] * n[1] * n[2];
  box->work = fftw_malloc(sizeof(double complex) * (size_t)box->nfft);
  if (!box->work) SF_ERROR_GOTO(SF_ERR_MEM, "cannot allocate the FFT box %dx%dx%d", n[0], n[1], n[2]);
  /* Planned once per box: the box is reused for every band, k-point and SCF step. */
  box->to_real = fftw_plan_dft_3d(n[0], n[1], n[2], box->work, box->work, FFTW_BACKWARD, planner_flag);
  box->to_recip = fftw_plan_dft_3d(n[0], n[1], n[2], box->work, box->work, FFTW_FORWARD, planner_flag);
  if (!box->to_real || !box->to_recip)
    SF_ERROR_GOTO(SF_ERR_LIB, "FFTW could not plan a %dx%dx%d transform", n[0], n[1], n[2]);
  SF_CHECK_GOTO(sf_calloc((void **)&box->gvec, (size_t)box->nfft, sizeof *box->gvec));
  for (int i1 = 0; i1 < n[0]; i1++)
    for (int i2 = 0; i2 < n[1]; i2++)
      for (int i3 = 0; i3 < n[2]; i3++) {
        int idx = (i1 * n[1] + i2) * n[2] + i3;
        box->gvec[idx][0] = i1 < (n[0] + 1) / 2 ? i1 : i1 - n[0];
        box->gvec[idx][1] = i2 < (n[1] + 1) / 2 ? i2 : i2 - n[1];
        box->gvec[idx][2] = i3 < (n[2] + 1) / 2 ? i3 : i3 - n[2];
      }
cleanup:
  if (st) sf_fftbox_free(box);
  return st;
}

void sf_fftbox_free(sf_fftbox *box)
{
  if (box->to_real) fftw_destroy_plan(box->to_real);
  if (box->to_recip) fftw_destroy_plan(box->to_recip);
  sf_fft_sphere_free(box);
  if (box->work) fftw_free(box->work);
  sf_free(box->gvec);
  memset(box, 0, sizeof *box);
}

void sf_fft_r2g(sf_fftbox *box, const double *f, double complex *fg)
{
  for (int i = 0; i < box->nfft; i++) box->work[i] = f[i];
  fftw_execute(box->to_recip);
  double inv = 1.0 / box->nfft;
  for (int i = 0; i < box->nfft; i++) fg[i] = box->work[i] * inv;
}

void sf_fft_g2r(sf_fftbox *box, const double complex *fg, double *f)
{
  memcpy(box->work, fg, sizeof(double complex) * (size_t)box->nfft);
  fftw_execute(box->to_real);
  for (int i = 0; i < box->nfft; i++) f[i] = creal(box->work[i]);
}
