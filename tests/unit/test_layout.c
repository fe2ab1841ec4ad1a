/* test_layout.c — the communicator tree: the pure splitting rule on many (ranks,
 * k-points, requests) cases, the contiguous block rule, k-point ownership, the printed
 * tree, and the real communicators (the tree of a calculation, and the contiguous
 * groups of a campaign or of training) on however many ranks the test runs with
 * (test_layout.mpi asks for 2).
 */
#include "strainfield/core.h"
#include "strainfield/layout.h"

#include <stdio.h>
#include <string.h>

#include "expect.h"

static void expect_shape(int P, int nkpt, int rs, int rk, int rb, int ns, int nk, int nb, int bs)
{
  sf_layout_shape s;
  int st = sf_layout_choose(P, nkpt, rs, rk, rb, &s);
  EXPECT(st == 0 && s.nsample_groups == ns && s.nkpt_groups == nk && s.nband_groups == nb &&
             s.band_group_size == bs,
         "choose(P=%d nkpt=%d req %d,%d,%d) gave st=%d %d x %d x %d x %d, want %d x %d x %d x %d",
         P, nkpt, rs, rk, rb, st, s.nsample_groups, s.nkpt_groups, s.nband_groups,
         s.band_group_size, ns, nk, nb, bs);
  sf_error_reset();
}

static void expect_error(int P, int nkpt, int rs, int rk, int rb, const char *must_name)
{
  sf_layout_shape s;
  int st = sf_layout_choose(P, nkpt, rs, rk, rb, &s);
  EXPECT(st == SF_ERR_INPUT && strstr(sf_error_message(), must_name),
         "choose(P=%d nkpt=%d req %d,%d,%d): st=%d message '%s' should name %s", P, nkpt, rs, rk,
         rb, st, sf_error_message(), must_name);
  sf_error_reset();
}

static void test_choose(void)
{
  expect_shape(1, 10, 0, 0, 0, 1, 1, 1, 1);
  expect_shape(4, 10, 0, 0, 0, 1, 4, 1, 1);  /* enough k-points: all k */
  expect_shape(4, 4, 0, 0, 0, 1, 4, 1, 1);
  expect_shape(8, 6, 0, 0, 0, 1, 4, 2, 1);   /* largest divisor of 8 <= 6 */
  expect_shape(6, 4, 0, 0, 0, 1, 3, 2, 1);
  expect_shape(7, 3, 0, 0, 0, 1, 1, 7, 1);   /* prime ranks: bands only */
  expect_shape(2, 1, 0, 0, 0, 1, 1, 2, 1);
  expect_shape(8, 100, 2, 0, 0, 2, 4, 1, 1); /* per sample group */
  expect_shape(8, 3, 0, 2, 0, 1, 2, 4, 1);   /* k given, bands take the rest */
  expect_shape(8, 10, 0, 0, 2, 1, 4, 2, 1);  /* bands given, k takes the rest */
  expect_shape(12, 2, 0, 0, 2, 1, 2, 2, 3);  /* leftover ranks share a band group */
  expect_shape(8, 10, 0, 2, 2, 1, 2, 2, 2);
  expect_shape(8, 10, 2, 2, 2, 2, 2, 2, 1);
  expect_error(6, 10, 4, 0, 0, "-par_sample_groups");
  expect_error(8, 10, 0, 3, 0, "-par_kpt_groups");
  expect_error(8, 10, 0, 0, 3, "-par_band_groups");
  expect_error(8, 10, 0, 2, 3, "-par_band_groups");
  expect_error(8, 10, 2, 2, 4, "-par_sample_groups");
  expect_error(8, 2, 0, 4, 0, "-par_kpt_groups");    /* more groups than k-points */
  expect_error(8, 10, 0, -1, 0, "-par_kpt_groups");
  /* 4 x 2^30 wrapped to 0 in int: the divisibility test divided by zero (SIGFPE) */
  expect_error(4, 8, 0, 4, 1 << 30, "-par_band_groups");
}

/* The block rule: contiguous, balanced (earlier groups get the extra), r / (n/g) when g
 * divides n — not the round-robin rank % g that training once used. */
static void test_blocks(void)
{
  for (int n = 1; n <= 13; n++)
    for (int g = 1; g <= n; g++) {
      int next = 0;
      for (int h = 0; h < g; h++) {
        int first, count;
        sf_layout_block_range(n, g, h, &first, &count);
        EXPECT(first == next && (count == n / g || count == n / g + 1) && (h == 0 || count <= n / g + (h < n % g)),
               "block %d of %d over %d: first %d count %d", h, g, n, first, count);
        for (int i = first; i < first + count; i++)
          EXPECT(sf_layout_block_owner(n, g, i) == h, "owner(%d) of %d/%d != %d", i, n, g, h);
        if (n % g == 0)
          for (int i = first; i < first + count; i++)
            EXPECT(sf_layout_block_owner(n, g, i) == i / (n / g), "divisible: owner(%d) != %d / %d", i, i, n / g);
        next = first + count;
      }
      EXPECT(next == n, "blocks of %d/%d cover %d", n, g, next);
      EXPECT(sf_layout_block_owner(n, g, -1) == -1 && sf_layout_block_owner(n, g, n) == -1, "out of range");
    }
  /* 5 ranks in 2 training groups: 0 1 2 | 3 4 */
  int want[5] = {0, 0, 0, 1, 1};
  for (int r = 0; r < 5; r++) EXPECT(sf_layout_block_owner(5, 2, r) == want[r], "5/2: rank %d", r);
}

static void expect_text(const char *text, const char *part)
{
  EXPECT(strstr(text, part) != NULL, "tree lacks '%s':\n%s", part, text);
}

static void test_describe(void)
{
  char buf[2048];
  sf_layout_shape s = {2, 2, 2, 1};
  size_t n = sf_layout_describe(8, &s, 5, buf, sizeof buf);
  EXPECT(n == strlen(buf), "describe returns the length");
  expect_text(buf, "parallel layout: 8 MPI ranks\n  world: ranks 0-7\n");
  expect_text(buf, "\n  `- 2 sample groups of 4 ranks: 0-3 | 4-7\n");
  expect_text(buf, "\n     `- 2 k-point groups of 2 ranks: 0-1 | 2-3; 5 k-points, 2 or 3 per group\n");
  expect_text(buf, "\n        `- 2 band groups of 1 rank: 0 | 1\n");
  sf_layout_shape one = {1, 1, 1, 1};
  sf_layout_describe(1, &one, 4, buf, sizeof buf);
  expect_text(buf, "parallel layout: 1 MPI rank\n  world: ranks 0\n");
  expect_text(buf, "`- 1 k-point group of 1 rank: 0; 4 k-points, 4 per group\n");
  sf_layout_shape bs = {1, 2, 1, 3}; /* leftover ranks share a band group */
  sf_layout_describe(6, &bs, 2, buf, sizeof buf);
  expect_text(buf, "`- 1 band group of 3 ranks: 0-2\n");
  sf_layout_shape camp = {16, 0, 2, 0}; /* a campaign: only the sample level is fixed */
  sf_layout_describe(16, &camp, 0, buf, sizeof buf);
  expect_text(buf, "`- 16 sample groups of 1 rank: 0 | 1 | 2 | 3 | 4 | 5 | ... | 15\n");
  expect_text(buf, "`- k-point and band groups: chosen for each sample from its k-points "
                   "(k-point groups automatic, -par_band_groups 2)\n");
  char small[40];
  memset(small, 'x', sizeof small);
  n = sf_layout_describe(8, &s, 5, small, 30);
  EXPECT(n < 30 && small[n] == 0 && small[30] == 'x', "a short buffer is cut, not overrun (n = %zu)", n);
}

static void test_kpt_owner(void)
{
  int cases[][2] = {{10, 4}, {3, 3}, {1, 1}, {7, 2}, {5, 5}, {100, 7}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    sf_layout L;
    memset(&L, 0, sizeof L);
    L.nkpt = cases[c][0];
    L.nkpt_groups = cases[c][1];
    int prev = 0, total = 0;
    for (int ik = 0; ik < L.nkpt; ik++) {
      int o = sf_layout_kpt_owner(&L, ik);
      EXPECT(o >= prev && o < L.nkpt_groups, "owner(%d) of %d/%d = %d not monotone", ik, L.nkpt,
             L.nkpt_groups, o);
      prev = o;
    }
    for (int g = 0; g < L.nkpt_groups; g++) {
      int first, count;
      sf_layout_kpt_range(&L, g, &first, &count);
      EXPECT(first == total, "range of group %d starts at %d, want %d", g, first, total);
      EXPECT(count == L.nkpt / L.nkpt_groups || count == L.nkpt / L.nkpt_groups + 1,
             "unbalanced: group %d has %d of %d", g, count, L.nkpt);
      for (int ik = first; ik < first + count; ik++)
        EXPECT(sf_layout_kpt_owner(&L, ik) == g, "owner(%d) != range group %d", ik, g);
      total += count;
    }
    EXPECT(total == L.nkpt, "ranges cover %d of %d k-points", total, L.nkpt);
    EXPECT(sf_layout_kpt_owner(&L, L.nkpt) == -1, "out of range owner");
  }
  sf_layout L;
  memset(&L, 0, sizeof L);
  L.nsample_groups = 3;
  EXPECT(sf_layout_sample_owner(&L, 7) == 1, "samples go round-robin");
}

static int comm_size(MPI_Comm c)
{
  int n = -1;
  MPI_Comm_size(c, &n);
  return n;
}

/* Build real communicators for every shape this rank count allows and check sizes and
 * that a sum over kpt_cross and band_cross adds each group exactly once. */
static void test_comms(void)
{
  int P;
  MPI_Comm_size(MPI_COMM_WORLD, &P);
  int reqs[][3] = {{0, 0, 0}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}, {P, 0, 0}, {1, P, 1}};
  for (size_t c = 0; c < sizeof reqs / sizeof reqs[0]; c++) {
    sf_layout L;
    int st = sf_layout_create(MPI_COMM_WORLD, reqs[c][0], reqs[c][1], reqs[c][2], 4 * P, &L);
    EXPECT(st == 0, "create %zu: %s", c, sf_error_message());
    if (st) continue;
    if (c == 0) sf_layout_print(&L);
    int ns = L.nsample_groups, nk = L.nkpt_groups, nb = L.nband_groups, bs = L.band_group_size;
    EXPECT(ns * nk * nb * bs == P, "product %d*%d*%d*%d != %d", ns, nk, nb, bs, P);
    EXPECT(comm_size(L.sample) == P / ns, "sample size");
    EXPECT(comm_size(L.kpt) == nb * bs, "kpt size");
    EXPECT(comm_size(L.band) == bs, "band size");
    EXPECT(comm_size(L.kpt_cross) == nk, "kpt_cross size");
    EXPECT(comm_size(L.band_cross) == nb, "band_cross size");
    int mine = L.my_kpt_group, sum = -1;
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, L.kpt_cross);
    EXPECT(sum == nk * (nk - 1) / 2, "kpt_cross holds each k group once");
    mine = L.my_band_group;
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, L.band_cross);
    EXPECT(sum == nb * (nb - 1) / 2, "band_cross holds each band group once");
    sf_layout_free(&L);
  }
}

/* Contiguous groups (sample groups, training groups) on every count this rank count
 * allows: each group holds exactly the world ranks of its block, in order, and its
 * leader is the block's first rank. */
static void test_groups(void)
{
  int P, rank;
  MPI_Comm_size(MPI_COMM_WORLD, &P);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (int G = 1; G <= P; G++) {
    sf_layout_groups tg;
    int st = sf_layout_groups_create(MPI_COMM_WORLD, G, "test", &tg);
    EXPECT(st == 0, "groups %d: %s", G, sf_error_message());
    if (st) continue;
    int first, count;
    sf_layout_block_range(P, G, tg.my_group, &first, &count);
    EXPECT(tg.ngroups == G && tg.parent_size == P && tg.my_group == sf_layout_block_owner(P, G, rank),
           "groups %d: rank %d in group %d", G, rank, tg.my_group);
    EXPECT(comm_size(tg.comm) == count && tg.rank == rank - first, "groups %d: size/rank", G);
    EXPECT(sf_layout_group_leader(&tg, tg.my_group) == first, "groups %d: leader", G);
    int members[64] = {0};
    if (count <= 64) {
      MPI_Allgather(&rank, 1, MPI_INT, members, 1, MPI_INT, tg.comm);
      for (int i = 0; i < count; i++)
        EXPECT(members[i] == first + i, "groups %d: member %d is world rank %d, want %d", G, i, members[i], first + i);
    }
    if (rank == 0 && G == P) sf_layout_groups_print(&tg, NULL);
    sf_layout_groups_free(&tg);
    EXPECT(tg.comm == MPI_COMM_NULL, "freed");
  }
  sf_layout_groups bad;
  EXPECT(sf_layout_groups_create(MPI_COMM_WORLD, 0, "test", &bad) == SF_ERR_INTERNAL, "0 groups refused");
  sf_error_reset();
  EXPECT(sf_layout_groups_create(MPI_COMM_WORLD, P + 1, "test", &bad) == SF_ERR_INTERNAL, "P+1 groups refused");
  sf_error_reset();
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sf_log_set_rank(rank);
  test_choose();
  test_blocks();
  test_describe();
  test_kpt_owner();
  test_comms();
  test_groups();
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("test_layout: %d failures\n", total);
  MPI_Finalize();
  return total ? 1 : 0;
}
