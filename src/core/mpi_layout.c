/* mpi_layout.c — the communicator tree and k-point/sample ownership (see layout.h).
 *
 * Owns: the automatic choice of group counts, the MPI_Comm_split calls that build the
 * tree and its cross communicators, and printing the chosen layout at start.
 */
#include "strainfield/layout.h"

#include "strainfield/core.h"

#include <string.h>

static int largest_divisor_at_most(int n, int cap)
{
  for (int d = cap < n ? cap : n; d > 1; d--)
    if (n % d == 0) return d;
  return 1;
}

int sf_layout_choose(int nranks, int nkpt, int req_sample, int req_kpt, int req_band,
                     sf_layout_shape *s)
{
  memset(s, 0, sizeof *s);
  if (nranks < 1 || nkpt < 1)
    SF_ERROR(SF_ERR_INTERNAL, "layout needs at least one rank and one k-point (got %d, %d)",
             nranks, nkpt);
  if (req_sample < 0) SF_ERROR(SF_ERR_INPUT, "-par_sample_groups must be >= 0 (got %d)", req_sample);
  if (req_kpt < 0) SF_ERROR(SF_ERR_INPUT, "-par_kpt_groups must be >= 0 (got %d)", req_kpt);
  if (req_band < 0) SF_ERROR(SF_ERR_INPUT, "-par_band_groups must be >= 0 (got %d)", req_band);

  /* a group count above the rank count can never divide it; refusing it here also keeps
   * the products below (req_kpt * req_band) from overflowing int */
  if (req_sample > nranks)
    SF_ERROR(SF_ERR_INPUT, "-par_sample_groups %d is more than the %d MPI ranks", req_sample, nranks);
  if (req_kpt > nranks)
    SF_ERROR(SF_ERR_INPUT, "-par_kpt_groups %d is more than the %d MPI ranks", req_kpt, nranks);
  if (req_band > nranks)
    SF_ERROR(SF_ERR_INPUT, "-par_band_groups %d is more than the %d MPI ranks", req_band, nranks);
  int ns = req_sample ? req_sample : 1;
  if (nranks % ns)
    SF_ERROR(SF_ERR_INPUT, "-par_sample_groups %d does not divide the %d MPI ranks", ns, nranks);
  int per_sample = nranks / ns;
  if (req_kpt > nkpt)
    SF_ERROR(SF_ERR_INPUT, "-par_kpt_groups %d is more than the %d k-points: groups would idle",
             req_kpt, nkpt);

  int nk, nb;
  if (req_kpt && req_band) {
    if (per_sample % (req_kpt * req_band))
      SF_ERROR(SF_ERR_INPUT,
               "-par_kpt_groups %d x -par_band_groups %d = %d does not divide the %d ranks of "
               "each sample group (%d ranks / -par_sample_groups %d)",
               req_kpt, req_band, req_kpt * req_band, per_sample, nranks, ns);
    nk = req_kpt;
    nb = req_band;
  } else if (req_kpt) {
    if (per_sample % req_kpt)
      SF_ERROR(SF_ERR_INPUT,
               "-par_kpt_groups %d does not divide the %d ranks of each sample group "
               "(%d ranks / -par_sample_groups %d)",
               req_kpt, per_sample, nranks, ns);
    nk = req_kpt;
    nb = per_sample / nk;
  } else if (req_band) {
    if (per_sample % req_band)
      SF_ERROR(SF_ERR_INPUT,
               "-par_band_groups %d does not divide the %d ranks of each sample group "
               "(%d ranks / -par_sample_groups %d)",
               req_band, per_sample, nranks, ns);
    nb = req_band;
    nk = largest_divisor_at_most(per_sample / nb, nkpt);
  } else {
    /* k-point parallelism needs no communication inside the eigensolver, so it goes
     * first; bands take whatever the k-points cannot use. */
    nk = largest_divisor_at_most(per_sample, nkpt);
    nb = per_sample / nk;
  }
  s->nsample_groups = ns;
  s->nkpt_groups = nk;
  s->nband_groups = nb;
  s->band_group_size = per_sample / (nk * nb);
  return SF_OK;
}

static int split(MPI_Comm parent, int color, int key, MPI_Comm *out, const char *what)
{
  if (MPI_Comm_split(parent, color, key, out) != MPI_SUCCESS)
    SF_ERROR(SF_ERR_MPI, "MPI_Comm_split failed building the %s communicator", what);
  return SF_OK;
}

int sf_layout_create(MPI_Comm world, int nsample_groups, int nkpt_groups, int nband_groups,
                     int nkpt, sf_layout *L)
{
  sf_layout_shape s;
  memset(L, 0, sizeof *L);
  L->world = L->sample = L->kpt = L->band = L->kpt_cross = L->band_cross = MPI_COMM_NULL;
  MPI_Comm_size(world, &L->world_size);
  MPI_Comm_rank(world, &L->world_rank);
  /* Every rank evaluates the same pure rule on the same inputs, so all agree on
   * success or failure without communicating. */
  SF_CHECK(sf_layout_choose(L->world_size, nkpt, nsample_groups, nkpt_groups, nband_groups, &s));
  L->nsample_groups = s.nsample_groups;
  L->nkpt_groups = s.nkpt_groups;
  L->nband_groups = s.nband_groups;
  L->band_group_size = s.band_group_size;
  L->nkpt = nkpt;

  int per_sample = L->world_size / s.nsample_groups;
  int per_kpt = per_sample / s.nkpt_groups;
  int r = L->world_rank;
  L->my_sample_group = r / per_sample;
  int rs = r % per_sample;
  L->my_kpt_group = rs / per_kpt;
  int rk = rs % per_kpt;
  L->my_band_group = rk / s.band_group_size;
  L->my_rank_in_band = rk % s.band_group_size;

  if (MPI_Comm_dup(world, &L->world) != MPI_SUCCESS)
    SF_ERROR(SF_ERR_MPI, "MPI_Comm_dup of the world communicator failed");
  SF_CHECK(split(L->world, L->my_sample_group, r, &L->sample, "sample-group"));
  SF_CHECK(split(L->sample, L->my_kpt_group, rs, &L->kpt, "k-point-group"));
  SF_CHECK(split(L->kpt, L->my_band_group, rk, &L->band, "band-group"));
  SF_CHECK(split(L->sample, L->my_band_group * s.band_group_size + L->my_rank_in_band,
                 L->my_kpt_group, &L->kpt_cross, "k-point cross"));
  SF_CHECK(split(L->kpt, L->my_rank_in_band, L->my_band_group, &L->band_cross, "band cross"));
  return SF_OK;
}

void sf_layout_print(const sf_layout *L)
{
  sf_log(1,
         "parallel layout: %d rank%s = %d sample group%s x %d k-point group%s x %d band "
         "group%s x %d rank%s per band group\n",
         L->world_size, L->world_size == 1 ? "" : "s", L->nsample_groups,
         L->nsample_groups == 1 ? "" : "s", L->nkpt_groups, L->nkpt_groups == 1 ? "" : "s",
         L->nband_groups, L->nband_groups == 1 ? "" : "s", L->band_group_size,
         L->band_group_size == 1 ? "" : "s");
  int lo = L->nkpt / L->nkpt_groups, hi = lo + (L->nkpt % L->nkpt_groups ? 1 : 0);
  if (lo == hi)
    sf_log(1, "  %d k-point%s, %d per k-point group\n", L->nkpt, L->nkpt == 1 ? "" : "s", lo);
  else
    sf_log(1, "  %d k-points, %d or %d per k-point group\n", L->nkpt, lo, hi);
}

void sf_layout_free(sf_layout *L)
{
  MPI_Comm *c[] = {&L->band_cross, &L->kpt_cross, &L->band, &L->kpt, &L->sample, &L->world};
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
    if (*c[i] != MPI_COMM_NULL) MPI_Comm_free(c[i]);
}

void sf_layout_kpt_range(const sf_layout *L, int group, int *first, int *count)
{
  int q = L->nkpt / L->nkpt_groups, rem = L->nkpt % L->nkpt_groups;
  *count = q + (group < rem ? 1 : 0);
  *first = group * q + (group < rem ? group : rem);
}

int sf_layout_kpt_owner(const sf_layout *L, int ik)
{
  int q = L->nkpt / L->nkpt_groups, rem = L->nkpt % L->nkpt_groups;
  if (ik < 0 || ik >= L->nkpt) return -1;
  if (ik < rem * (q + 1)) return ik / (q + 1);
  return rem + (ik - rem * (q + 1)) / q;
}

int sf_layout_sample_owner(const sf_layout *L, int isample)
{
  return isample < 0 ? -1 : isample % L->nsample_groups;
}
