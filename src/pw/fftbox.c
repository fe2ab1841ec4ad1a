/* fftbox.c — the FFT box: size choice, FFTW plans, G <-> index map (see pw.h). */
#include "strainfield/pw.h"
#include "strainfield/core.h"

#include <math.h>
#include <string.h>

static int only_235(int n)
{
  while (n % 2 == 0) n /= 2;
  while (n % 3 == 0) n /= 3;
  while (n % 5 == 0) n /= 5;
  return n == 1;
}

int sf_fftbox_default_size(const sf_cell *cell, double ecut, double boxcutmin, int n[3])
{
  /* The sphere |G| <= boxcutmin*sqrt(2 ecut) extends to |G·a_i|/(2π) <= gmax*|a_i|/(2π)
   * along reduced direction i; the box must hold indices -m..m, i.e. n >= 2m+1. */
  double gmax = boxcutmin * sqrt(2.0 * ecut);
  for (int i = 0; i < 3; i++) {
    double alen = sqrt(cell->rprimd[i][0] * cell->rprimd[i][0] +
                       cell->rprimd[i][1] * cell->rprimd[i][1] +
                       cell->rprimd[i][2] * cell->rprimd[i][2]);
    /* the extent of the sphere along reduced coordinate i is gmax·|a_i|/(2π) only for
     * orthogonal cells; in general it is gmax / (2π |b_i|^-1 ...) = gmax·|a_i|... use the
     * exact bound: max over the sphere of (G·a_i)/(2π) = gmax·|a_i|/(2π). */
    int m = (int)floor(gmax * alen / (2.0 * M_PI) + 1e-9);
    int nn = 2 * m + 1;
    if (nn % 2) nn++;
    while (!only_235(nn)) nn += 2;
    n[i] = nn;
  }
  return SF_OK;
}

int sf_fftbox_create(const int n[3], sf_fftbox *box)
{
  memset(box, 0, sizeof *box);
  for (int i = 0; i < 3; i++) {
    if (n[i] < 2 || n[i] > 4096) SF_ERROR(SF_ERR_INPUT, "-ngfft: component %d = %d is out of range", i + 1, n[i]);
    box->n[i] = n[i];
  }
  box->nfft = n[0] * n[1] * n[2];
  box->work = fftw_malloc(sizeof(double complex) * (size_t)box->nfft);
  if (!box->work) SF_ERROR(SF_ERR_MEM, "cannot allocate the FFT box %dx%dx%d", n[0], n[1], n[2]);
  /* MEASURE once per box: the box is reused for every band, k-point and SCF step. */
  box->to_real = fftw_plan_dft_3d(n[0], n[1], n[2], box->work, box->work, FFTW_BACKWARD, FFTW_MEASURE);
  box->to_recip = fftw_plan_dft_3d(n[0], n[1], n[2], box->work, box->work, FFTW_FORWARD, FFTW_MEASURE);
  if (!box->to_real || !box->to_recip) SF_ERROR(SF_ERR_LIB, "FFTW could not plan a %dx%dx%d transform", n[0], n[1], n[2]);
  SF_CHECK(sf_calloc((void **)&box->gvec, (size_t)box->nfft, sizeof *box->gvec));
  for (int i1 = 0; i1 < n[0]; i1++)
    for (int i2 = 0; i2 < n[1]; i2++)
      for (int i3 = 0; i3 < n[2]; i3++) {
        int idx = (i1 * n[1] + i2) * n[2] + i3;
        box->gvec[idx][0] = i1 < (n[0] + 1) / 2 ? i1 : i1 - n[0];
        box->gvec[idx][1] = i2 < (n[1] + 1) / 2 ? i2 : i2 - n[1];
        box->gvec[idx][2] = i3 < (n[2] + 1) / 2 ? i3 : i3 - n[2];
      }
  return SF_OK;
}

void sf_fftbox_free(sf_fftbox *box)
{
  if (box->to_real) fftw_destroy_plan(box->to_real);
  if (box->to_recip) fftw_destroy_plan(box->to_recip);
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
