/* sampling.h — the strains D of a campaign and the strain measures of a cell.
 *
 * Owns: the counter-based random numbers of docs/design.md §8 (a value depends only on
 * (seed, sample index, purpose), never on rank count or restarts), the distributions
 * of D = (λa, λb, λc, θa, θb, θc) (paper §4.2: normal truncated at ±nsigma σ with
 * ±nsigma σ mapped onto the range; uniform; Latin hypercube; an explicit list read from
 * a file), and F, E, ε of a deformed lattice relative to the reference (paper eq. 13–16).
 *
 * θa = angle(b, c), θb = angle(a, c), θc = angle(a, b) in degrees, as -angdeg; the
 * strained lattice is sf_lattice_from_strain(reference rprimd, D).
 */
#ifndef STRAINFIELD_SAMPLING_H
#define STRAINFIELD_SAMPLING_H

#include <stdint.h>

enum { SF_SAMPLE_RANDOM = 0, SF_SAMPLE_LHS = 1, SF_SAMPLE_FILE = 2 };  /* method */
enum { SF_DIST_NORMAL = 0, SF_DIST_UNIFORM = 1 };                      /* marginal */

typedef struct {
  int method, dist;
  uint64_t seed;
  long nsamples;         /* campaign size (Latin hypercube strata; file length check) */
  double lo[6], hi[6];   /* range of each coordinate: ±nsigma σ of the normal, or the
                          * bounds of the uniform */
  double nsigma;         /* truncation of the normal, in σ (paper: 2) */
  double (*table)[6];    /* SF_SAMPLE_FILE: the listed D's */
  long ntable;
} sf_sampler;

/* 64-bit hash of (seed, index, purpose): splitmix64 finalizers chained. */
uint64_t sf_rng_hash(uint64_t seed, uint64_t index, uint64_t purpose);
/* Uniform in the open interval (0, 1), 53 random bits. */
double sf_rng_uniform(uint64_t seed, uint64_t index, uint64_t purpose);
/* Standard normal CDF and its inverse restricted to [-a, a]: maps u in [0,1] to the
 * standard normal truncated at ±a (inverse CDF by bisection, exact to rounding). */
double sf_normal_cdf(double x);
double sf_truncnormal_from_uniform(double u, double a);

/* D of sample i (0-based, < nsamples).  Pure: depends only on the sampler and i. */
int sf_sampler_D(const sf_sampler *s, long i, double D[6]);
/* Reads a text file of D's: one sample per line, 6 numbers (λa λb λc θa θb θc, θ in
 * degrees) separated by blanks or commas; '#' starts a comment.  Fills s->table. */
int sf_sampler_read_file(sf_sampler *s, const char *path);
void sf_sampler_free(sf_sampler *s);

/* Strain measures of the deformed lattice rprimd relative to ref (rows = vectors):
 * a_i = F a0_i, i.e. F = rprimd^T (ref^T)^{-1}; E = (F^T F − I)/2 (Green-Lagrange,
 * independent of the cell's orientation); eps = (F + F^T)/2 − I (small strain, depends
 * on the orientation chosen by sf_lattice_from_angdeg).  Any output may be NULL. */
int sf_strain_measures(const double ref[3][3], const double rprimd[3][3], double F[3][3], double E[3][3],
                       double eps[3][3]);
/* D of a lattice relative to ref (inverse of sf_lattice_from_strain up to rotation). */
void sf_strain_D_of_lattice(const double ref[3][3], const double rprimd[3][3], double D[6]);

#endif
