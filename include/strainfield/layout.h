/* layout.h — the MPI communicator tree (docs/design.md §7), SPARC/ABINIT style.
 *
 * Owns every split of the program's communicators: the world into sample groups (the
 * independent samples of a campaign) → k-point groups → band groups of one calculation,
 * the cross communicators that reductions travel on, the training groups of `train`
 * (networks and cross-validation tasks side by side), the automatic choice of the
 * counts, which group owns which k-point or sample, and the printed tree.  Every
 * MPI_Comm_split / MPI_Comm_dup of the program is in mpi_layout.c, each checked
 * (SF_ERR_MPI naming the split).  Nothing here knows about physics.
 *
 * Ranks are assigned contiguously: a parent of P ranks split into G groups gives group g
 * the balanced block of ranks sf_layout_block_range(P, G, g) (sizes differ by at most one,
 * earlier groups get the extra; exactly r / (P/G) when G divides P), and so on down the
 * tree, so neighbouring ranks (often on one node) share the innermost work.  A band group
 * may hold more than one rank (band_group_size > 1) when the requested counts do not use
 * every rank; those ranks share one band group's plane waves / FFT.
 */
#ifndef STRAINFIELD_LAYOUT_H
#define STRAINFIELD_LAYOUT_H

#include <mpi.h>
#include <stddef.h>

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

/* One level of the tree on its own: a parent communicator cut into contiguous groups.
 * Used for a campaign's sample groups (the k-point and band groups of each sample are
 * chosen per calculation, from its k-points, by sf_layout_create on `comm`) and for the
 * training groups of `train`. */
typedef struct {
  MPI_Comm comm;  /* my group */
  int ngroups, my_group, rank; /* rank: mine inside comm */
  int parent_size;
} sf_layout_groups;

/* Pure rule (no MPI), exposed for tests and for printing a plan before running.
 * A request of 0 means automatic: one sample group; all ranks of a sample group into
 * k-point groups while nkpt >= ranks, else the largest divisor of the ranks <= nkpt
 * for k-point groups and the rest as band groups.  Fails with SF_ERR_INPUT naming
 * -par_sample_groups / -par_kpt_groups / -par_band_groups when the counts do not
 * divide the ranks, or when there are more k-point groups than k-points. */
int sf_layout_choose(int nranks, int nkpt, int req_sample, int req_kpt, int req_band,
                     sf_layout_shape *shape);

/* The automatic number of sample groups for nitems independent calculations on nranks
 * ranks: the largest divisor of nranks that is at most nitems (one rank per group when
 * there are enough items: they need no communication).  Pure. */
int sf_layout_sample_groups_auto(int nranks, long nitems);

/* Balanced contiguous blocks of n items (ranks, k-points) over ngroups groups: group g
 * holds items first..first+count-1; owner is -1 outside 0..n-1.  Pure. */
void sf_layout_block_range(int n, int ngroups, int group, int *first, int *count);
int sf_layout_block_owner(int n, int ngroups, int item);

/* Collective over world.  Requests as in sf_layout_choose. */
int sf_layout_create(MPI_Comm world, int nsample_groups, int nkpt_groups, int nband_groups,
                     int nkpt, sf_layout *L);
void sf_layout_free(sf_layout *L);

/* Collective over parent: ngroups (1..size of parent) contiguous groups, each rank in
 * group sf_layout_block_owner(size, ngroups, rank); `what` names the split in errors and
 * in the printed tree ("sample", "training"). */
int sf_layout_groups_create(MPI_Comm parent, int ngroups, const char *what, sf_layout_groups *G);
void sf_layout_groups_free(sf_layout_groups *G);
/* The parent rank of group g's first rank (its leader: the root of its broadcasts). */
int sf_layout_group_leader(const sf_layout_groups *G, int g);

/* The printed tree.  sf_layout_describe writes it into buf (pure, for the log and for
 * tests): the world, then each level with its count, ranks per group and the world
 * ranks of every group (at most 8 listed) inside the first group of the level above
 * (the others are alike).  nkpt > 0: one calculation of shape s with nkpt k-points;
 * nkpt == 0: a campaign, where s->nkpt_groups / s->nband_groups are the requests
 * (0 automatic) applied to each sample's own k-points.  Returns the length written. */
size_t sf_layout_describe(int nranks, const sf_layout_shape *s, int nkpt, char *buf, size_t len);
/* Log the tree (rank 0, level 1), once at start: sf_layout_print for one calculation
 * (scf, relax), sf_layout_print_campaign for generate. */
void sf_layout_print(const sf_layout *L);
void sf_layout_print_campaign(int nranks, int nsample_groups, int req_kpt, int req_band);
/* Log the training groups under the world, with what each group does (member[g], e.g.
 * its networks), when `train` forms them (their count depends on the networks' sizes,
 * known after PCA). */
void sf_layout_groups_print(const sf_layout_groups *G, const char *const *member);

/* k-points: sf_layout_block_* over L->nkpt and L->nkpt_groups, deterministic and
 * independent of anything but those two.  Only L->nkpt and L->nkpt_groups are read. */
int sf_layout_kpt_owner(const sf_layout *L, int ik);
void sf_layout_kpt_range(const sf_layout *L, int group, int *first, int *count);
/* Samples of a campaign go round-robin over the sample groups, so a resumed campaign
 * with the same group count gives each group the same samples. */
int sf_layout_sample_owner(const sf_layout *L, int isample);

#endif
