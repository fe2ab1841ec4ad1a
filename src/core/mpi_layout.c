/* mpi_layout.c — the communicator tree and k-point/sample ownership (see layout.h).
 *
 * Owns: the automatic choice of group counts, every MPI_Comm_split / MPI_Comm_dup of the
 * program (the tree of one calculation and its cross communicators, the sample groups of
 * a campaign, the training groups), and the printed tree.
 */
#include "strainfield/layout.h"

#include "strainfield/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int largest_divisor_at_most(int n, int cap)
{
  for (int d = cap < n ? cap : n; d > 1; d--)
    if (n % d == 0) return d;
  return 1;
}

/* One requested count that must divide the ranks of each sample group. */
static int check_divides(int per_sample, int count, const char *option, int nranks, int ns)
{
  if (per_sample % count)
    SF_ERROR(SF_ERR_INPUT,
             "%s %d does not divide the %d ranks of each sample group (%d ranks / "
             "-par_sample_groups %d)",
             option, count, per_sample, nranks, ns);
  return SF_OK;
}

int sf_layout_sample_groups_auto(int nranks, long nitems)
{
  int g = 1;
  for (int d = 1; d <= nranks; d++)
    if (nranks % d == 0 && d <= nitems) g = d;
  return g;
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
    SF_CHECK(check_divides(per_sample, req_kpt, "-par_kpt_groups", nranks, ns));
    nk = req_kpt;
    nb = per_sample / nk;
  } else if (req_band) {
    SF_CHECK(check_divides(per_sample, req_band, "-par_band_groups", nranks, ns));
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

void sf_layout_block_range(int n, int ngroups, int group, int *first, int *count)
{
  int q = n / ngroups, rem = n % ngroups;
  *count = q + (group < rem ? 1 : 0);
  *first = group * q + (group < rem ? group : rem);
}

int sf_layout_block_owner(int n, int ngroups, int item)
{
  int q = n / ngroups, rem = n % ngroups;
  if (item < 0 || item >= n) return -1;
  if (item < rem * (q + 1)) return item / (q + 1);
  return rem + (item - rem * (q + 1)) / q;
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
  int st = SF_OK;
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

  /* the contiguous rule, level by level (every count divides its parent here) */
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
    SF_ERROR_GOTO(SF_ERR_MPI, "MPI_Comm_dup of the world communicator failed");
  SF_CHECK_GOTO(split(L->world, L->my_sample_group, r, &L->sample, "sample-group"));
  SF_CHECK_GOTO(split(L->sample, L->my_kpt_group, rs, &L->kpt, "k-point-group"));
  SF_CHECK_GOTO(split(L->kpt, L->my_band_group, rk, &L->band, "band-group"));
  SF_CHECK_GOTO(split(L->sample, L->my_band_group * s.band_group_size + L->my_rank_in_band,
                      L->my_kpt_group, &L->kpt_cross, "k-point cross"));
  SF_CHECK_GOTO(split(L->kpt, L->my_rank_in_band, L->my_band_group, &L->band_cross, "band cross"));
cleanup:
  if (st) sf_layout_free(L);
  return st;
}

void sf_layout_free(sf_layout *L)
{
  MPI_Comm *c[] = {&L->band_cross, &L->kpt_cross, &L->band, &L->kpt, &L->sample, &L->world};
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
    if (*c[i] != MPI_COMM_NULL) MPI_Comm_free(c[i]);
}

int sf_layout_groups_create(MPI_Comm parent, int ngroups, const char *what, sf_layout_groups *G)
{
  memset(G, 0, sizeof *G);
  G->comm = MPI_COMM_NULL;
  int rank;
  MPI_Comm_size(parent, &G->parent_size);
  MPI_Comm_rank(parent, &rank);
  /* every rank checks the same numbers, so all refuse together */
  if (ngroups < 1 || ngroups > G->parent_size)
    SF_ERROR(SF_ERR_INTERNAL, "%d %s groups on %d ranks: need 1..%d", ngroups, what, G->parent_size,
             G->parent_size);
  G->ngroups = ngroups;
  G->my_group = sf_layout_block_owner(G->parent_size, ngroups, rank);
  char name[64];
  snprintf(name, sizeof name, "%s-group", what);
  SF_CHECK(split(parent, G->my_group, rank, &G->comm, name));
  MPI_Comm_rank(G->comm, &G->rank);
  return SF_OK;
}

void sf_layout_groups_free(sf_layout_groups *G)
{
  if (G->comm != MPI_COMM_NULL) MPI_Comm_free(&G->comm);
  G->comm = MPI_COMM_NULL;
}

int sf_layout_group_leader(const sf_layout_groups *G, int g)
{
  int first, count;
  sf_layout_block_range(G->parent_size, G->ngroups, g, &first, &count);
  return first;
}

/* ---- the printed tree ---- */

typedef struct {
  char *buf;
  size_t len, pos;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
  if (t->pos + 1 >= t->len) return; /* full: the tree is cut, never overrun */
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(t->buf + t->pos, t->len - t->pos, fmt, ap);
  va_end(ap);
  if (n > 0) t->pos = t->pos + (size_t)n < t->len ? t->pos + (size_t)n : t->len - 1;
}

static void put_ranks(text *t, int first, int count)
{
  if (count == 1) put(t, "%d", first);
  else put(t, "%d-%d", first, first + count - 1);
}

/* One level: the n ranks from world rank base cut into g contiguous groups, listed by
 * their world ranks (the first six and the last when there are more than eight), each
 * followed by " (member[i])" when member is given. */
static void put_level(text *t, int depth, int g, const char *noun, int base, int n,
                      const char *const *member)
{
  int lo = n / g, hi = lo + (n % g ? 1 : 0);
  put(t, "  %*s`- %d %s group%s of ", 3 * depth, "", g, noun, g == 1 ? "" : "s");
  if (lo == hi) put(t, "%d rank%s:", lo, lo == 1 ? "" : "s");
  else put(t, "%d-%d ranks:", lo, hi);
  for (int i = 0; i < g; i++) {
    if (g > 8 && i == 6) {
      put(t, " | ...");
      i = g - 1;
    }
    int first, count;
    sf_layout_block_range(n, g, i, &first, &count);
    put(t, "%s", i ? " | " : " ");
    put_ranks(t, base + first, count);
    if (member && member[i]) put(t, " (%s)", member[i]);
  }
}

static void put_world(text *t, int nranks, const char *what)
{
  put(t, "parallel layout%s: %d MPI rank%s\n  world: ranks ", what, nranks, nranks == 1 ? "" : "s");
  put_ranks(t, 0, nranks);
  put(t, "\n");
}

size_t sf_layout_describe(int nranks, const sf_layout_shape *s, int nkpt, char *buf, size_t len)
{
  text t = {buf, len, 0};
  if (len) buf[0] = 0;
  put_world(&t, nranks, "");
  int per_sample = nranks / s->nsample_groups;
  put_level(&t, 0, s->nsample_groups, "sample", 0, nranks, NULL);
  put(&t, "\n");
  if (nkpt <= 0) { /* a campaign: each sample's k-points decide */
    put(&t, "     `- k-point and band groups: chosen for each sample from its k-points (");
    if (s->nkpt_groups) put(&t, "-par_kpt_groups %d, ", s->nkpt_groups);
    else put(&t, "k-point groups automatic, ");
    if (s->nband_groups) put(&t, "-par_band_groups %d)\n", s->nband_groups);
    else put(&t, "band groups automatic)\n");
    return t.pos;
  }
  put_level(&t, 1, s->nkpt_groups, "k-point", 0, per_sample, NULL);
  int lo = nkpt / s->nkpt_groups, hi = lo + (nkpt % s->nkpt_groups ? 1 : 0);
  if (lo == hi) put(&t, "; %d k-point%s, %d per group\n", nkpt, nkpt == 1 ? "" : "s", lo);
  else put(&t, "; %d k-points, %d or %d per group\n", nkpt, lo, hi);
  put_level(&t, 2, s->nband_groups, "band", 0, per_sample / s->nkpt_groups, NULL);
  put(&t, "\n");
  return t.pos;
}

/* The tree's size: at most eight groups a level, each a few words. */
#define SF_LAYOUT_TEXT 2048

void sf_layout_print(const sf_layout *L)
{
  sf_layout_shape s = {L->nsample_groups, L->nkpt_groups, L->nband_groups, L->band_group_size};
  char buf[SF_LAYOUT_TEXT];
  sf_layout_describe(L->world_size, &s, L->nkpt, buf, sizeof buf);
  sf_log(1, "%s", buf);
}

void sf_layout_print_campaign(int nranks, int nsample_groups, int req_kpt, int req_band)
{
  sf_layout_shape s = {nsample_groups, req_kpt, req_band, 0};
  char buf[SF_LAYOUT_TEXT];
  sf_layout_describe(nranks, &s, 0, buf, sizeof buf);
  sf_log(1, "%s", buf);
}

void sf_layout_groups_print(const sf_layout_groups *G, const char *const *member)
{
  char buf[SF_LAYOUT_TEXT];
  text t = {buf, sizeof buf, 0};
  put_world(&t, G->parent_size, " of training");
  put_level(&t, 0, G->ngroups, "training", 0, G->parent_size, member);
  put(&t, "\n");
  sf_log(1, "%s", buf);
}

void sf_layout_kpt_range(const sf_layout *L, int group, int *first, int *count)
{
  sf_layout_block_range(L->nkpt, L->nkpt_groups, group, first, count);
}

int sf_layout_kpt_owner(const sf_layout *L, int ik)
{
  return sf_layout_block_owner(L->nkpt, L->nkpt_groups, ik);
}

int sf_layout_sample_owner(const sf_layout *L, int isample)
{
  return isample < 0 ? -1 : isample % L->nsample_groups;
}
