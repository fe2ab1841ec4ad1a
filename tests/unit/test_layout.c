/* test_layout.c — the communicator tree: the pure splitting rule on many (ranks,
 * k-points, requests) cases, k-point ownership, and the real communicators on however
 * many ranks the test runs with (test_layout.mpi asks for 2).
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

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sf_log_set_rank(rank);
  test_choose();
  test_kpt_owner();
  test_comms();
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("test_layout: %d failures\n", total);
  MPI_Finalize();
  return total ? 1 : 0;
}
