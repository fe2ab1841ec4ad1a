/* layout.h — the MPI communicator tree (docs/design.md §4), SPARC/ABINIT style.
 *
 * Owns: splitting the world into sample groups → k-point groups → band groups, the
 * automatic choice of those counts, the cross communicators that reductions travel
 * on, and which group owns which k-point or sample.  Nothing here knows about physics.
 *
 * Ranks are assigned contiguously: world rank r is in sample group r / (P/ns), and so
 * on down the tree, so neighbouring ranks (often on one node) share the innermost work.
 * A band group may hold more than one rank (band_group_size > 1) when the requested
 * counts do not use every rank; those ranks share one band group's plane waves / FFT.
 */
#ifndef STRAINFIELD_LAYOUT_H
#define STRAINFIELD_LAYOUT_H

#include <mpi.h>

/* The shape of the tree: counts only, no communicators. */
typedef struct {
  int nsample_groups, nkpt_groups, nband_groups;
  int band_group_size; /* ranks per band group; nranks = product of all four */
} sf_layout_shape;

typedef struct {
  MPI_Comm world;      /* private duplicate of the communicator given to create */
  MPI_Comm sample;     /* my sample group: one calculation at a time runs here */
  MPI_Comm kpt;        /* my k-point group, inside my sample group */
  MPI_Comm band;       /* my band group, inside my k-point group */
  MPI_Comm kpt_cross;  /* same band group and rank in it, across the k-point groups of my
                        * sample group: sums k-point contributions (density, energies) */
  MPI_Comm band_cross; /* same rank-in-band-group across the band groups of my k-point
                        * group: sums band contributions, gathers eigenvalues */
  int nsample_groups, nkpt_groups, nband_groups, band_group_size;
  int my_sample_group, my_kpt_group, my_band_group, my_rank_in_band;
  int world_rank, world_size;
  int nkpt; /* k-points distributed over the k-point groups */
} sf_layout;

/* Pure rule (no MPI), exposed for tests and for printing a plan before running.
 * A request of 0 means automatic: one sample group; all ranks of a sample group into
 * k-point groups while nkpt >= ranks, else the largest divisor of the ranks <= nkpt
 * for k-point groups and the rest as band groups.  Fails with SF_ERR_INPUT naming
 * -par_sample_groups / -par_kpt_groups / -par_band_groups when the counts do not
 * divide the ranks, or when there are more k-point groups than k-points. */
int sf_layout_choose(int nranks, int nkpt, int req_sample, int req_kpt, int req_band,
                     sf_layout_shape *shape);

/* Collective over world.  Requests as in sf_layout_choose. */
int sf_layout_create(MPI_Comm world, int nsample_groups, int nkpt_groups, int nband_groups,
                     int nkpt, sf_layout *L);
/* Logs the layout (rank 0, level 1). */
void sf_layout_print(const sf_layout *L);
void sf_layout_free(sf_layout *L);

/* k-points: balanced contiguous blocks (group sizes differ by at most one, earlier
 * groups get the extra), deterministic and independent of anything but nkpt and the
 * group count.  Only L->nkpt and L->nkpt_groups are read. */
int sf_layout_kpt_owner(const sf_layout *L, int ik);
void sf_layout_kpt_range(const sf_layout *L, int group, int *first, int *count);
/* Samples of a campaign go round-robin over the sample groups, so a resumed campaign
 * with the same group count gives each group the same samples. */
int sf_layout_sample_owner(const sf_layout *L, int isample);

#endif
