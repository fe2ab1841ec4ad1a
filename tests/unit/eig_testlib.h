/* eig_testlib.h — test matrices shared by the eigensolver tests: a plane-wave-like
 * Hermitian matrix (kinetic diagonal of a cubic lattice plus a random perturbation) from a
 * deterministic generator, so serial and MPI tests build the same matrix. */
#ifndef STRAINFIELD_EIG_TESTLIB_H
#define STRAINFIELD_EIG_TESTLIB_H

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng_state = 12345;
static double urand(void)
{
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(rng_state >> 11) / 9007199254740992.0;
}
static double complex crand(void) { return (urand() - 0.5) + I * (urand() - 0.5); }

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Kinetic energies 0.5|G|^2 of the n shortest vectors of a cubic reciprocal lattice. */
static void cubic_kinetic(int n, double alat, double *kin)
{
  const int R = 8;
  int cnt = 0, cap = (2 * R + 1) * (2 * R + 1) * (2 * R + 1);
  double *all = malloc((size_t)cap * sizeof *all);
  double b = 2 * 3.14159265358979323846 / alat;
  for (int i = -R; i <= R; i++)
    for (int j = -R; j <= R; j++)
      for (int k = -R; k <= R; k++) all[cnt++] = 0.5 * b * b * (i * i + j * j + k * k);
  qsort(all, (size_t)cnt, sizeof *all, cmp_double);
  memcpy(kin, all, (size_t)n * sizeof *kin);
  free(all);
}

/* diag(kin) + V, V random Hermitian with spectral norm about `pert`. */
static void build_pw_matrix(int n, const double *kin, double pert, double complex *A)
{
  double s = pert / sqrt((double)n);
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < j; i++) {
      double complex v = s * crand();
      A[(size_t)j * n + i] = v;
      A[(size_t)i * n + j] = conj(v);
    }
    A[(size_t)j * n + j] = kin[j] + s * (urand() - 0.5);
  }
}

#endif
