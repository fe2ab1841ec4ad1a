/* train_groups.c — trains the independent networks of one `train` run side by side on
 * groups of ranks (task parallelism over networks, data parallelism inside a group), the
 * way ABINIT spreads k-points before bands.
 *
 * Why: data parallelism alone is limited by the mini-batch.  A 128-sample batch is two
 * 64-sample blocks (mlp_train.c), so a network gains nothing from a third rank, and on two
 * ranks every Adam step pays a reduce-scatter and an all-gather of the whole parameter
 * vector (2.8 MB for a 6→500→500→50 network) that nothing hides.  The six networks
 * (four fields, positions, energy) are independent, so giving each group of ranks whole
 * networks removes that traffic.  Because each network's training does not depend on the
 * number of ranks of its communicator, the weights are the same whatever the grouping
 * (tested in tests/ml/train_predict.sh). */
#include "strainfield/core.h"
#include "train_internal.h"

#include <stdio.h>
#include <string.h>

/* Networks costing at least half the largest decide how many groups are worth having. */
static int auto_groups(int size, int nnet, sf_mlp *const *nets)
{
  size_t big = 0;
  for (int i = 0; i < nnet; i++)
    if (nets[i]->nparam > big) big = nets[i]->nparam;
  int nbig = 0;
  for (int i = 0; i < nnet; i++) nbig += 2 * nets[i]->nparam >= big;
  return size < nbig ? size : nbig;
}

/* The first message of the lowest failing rank, recorded on every rank (so that rank 0,
 * which prints, says what failed on another rank group). */
static int share_error(MPI_Comm comm, int st, int err)
{
  int rank, size, from;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int mine = st == err ? rank : size;
  if (MPI_Allreduce(&mine, &from, 1, MPI_INT, MPI_MIN, comm)) SF_ERROR(SF_ERR_MPI, "MPI_Allreduce failed");
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", sf_error_message());
  if (MPI_Bcast(msg, sizeof msg, MPI_CHAR, from, comm)) SF_ERROR(SF_ERR_MPI, "MPI_Bcast failed");
  if (rank != from) {
    sf_error_reset();
    SF_ERROR(err, "%s (on rank %d)", msg, from);
  }
  return err;
}

/* A stopped run: every rank gets every network's weights and state from its group. */
static int share_states(MPI_Comm comm, int nnet, sf_mlp *const *nets, sf_mlp_state *const *states, const int *owner)
{
  for (int i = 0; i < nnet; i++) {
    double head[3] = {states[i]->epoch, (double)states[i]->step, states[i]->loss};
    const int cnt = (int)nets[i]->nparam;
    if (MPI_Bcast(nets[i]->params, cnt, MPI_DOUBLE, owner[i], comm) || MPI_Bcast(head, 3, MPI_DOUBLE, owner[i], comm) ||
        MPI_Bcast(states[i]->mom, cnt, MPI_FLOAT, owner[i], comm) ||
        MPI_Bcast(states[i]->vel, cnt, MPI_FLOAT, owner[i], comm))
      SF_ERROR(SF_ERR_MPI, "MPI_Bcast of a training state failed");
    states[i]->epoch = (int)head[0];
    states[i]->step = (long)head[1];
    states[i]->loss = head[2];
  }
  return SF_OK;
}

int sf_train_networks(MPI_Comm comm, int ngroups, int nnet, sf_mlp *const *nets, const double *X,
                      const double *const *Y, int n, const sf_train_params *tp, const char *const *label,
                      sf_mlp_state *const *states)
{
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  const int G = ngroups > 0 ? (ngroups < size ? ngroups : size) : auto_groups(size, nnet, nets);
  /* longest-processing-time-first: each network (by parameter count, the cost per sample)
   * goes to the least loaded group; ties to the lowest group, so every rank agrees */
  int owner[SF_NNET], order[SF_NNET];
  double load[SF_NNET] = {0}, info[2 * SF_NNET] = {0};
  if (nnet > SF_NNET) SF_ERROR(SF_ERR_INTERNAL, "at most %d networks", SF_NNET);
  for (int i = 0; i < nnet; i++) order[i] = i;
  for (int i = 1; i < nnet; i++) /* stable insertion sort, largest first */
    for (int j = i; j > 0 && nets[order[j]]->nparam > nets[order[j - 1]]->nparam; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  for (int i = 0; i < nnet; i++) {
    int best = 0;
    for (int g = 1; g < G; g++)
      if (load[g] < load[best]) best = g;
    owner[order[i]] = best;
    load[best] += (double)nets[order[i]]->nparam;
  }
  /* group g = the ranks ≡ g (mod G); its first rank is world rank g */
  const int g = rank % G;
  MPI_Comm gc;
  if (MPI_Comm_split(comm, g, rank, &gc)) SF_ERROR(SF_ERR_MPI, "MPI_Comm_split failed");
  int grank;
  MPI_Comm_rank(gc, &grank);
  if (G > 1) {
    sf_log(1, "  networks on %d rank groups:", G);
    for (int h = 0; h < G; h++) {
      sf_log(1, " %s", h ? "|" : "");
      for (int i = 0; i < nnet; i++)
        if (owner[i] == h) sf_log(1, " %s", label[i]);
    }
    sf_log(1, "\n");
  }
  int st = SF_OK;
  for (int i = 0; i < nnet && !st; i++) {
    if (owner[i] != g) continue;
    double t0 = sf_wtime();
    st = sf_mlp_train_state(gc, nets[i], X, Y[i], n, &tp[i], states ? states[i] : NULL, &info[2 * i]);
    if (grank == 0) info[2 * i + 1] = sf_wtime() - t0;
    else info[2 * i] = 0;
  }
  MPI_Comm_free(&gc);
  /* an error anywhere stops everyone before the broadcasts; then a stop signal (a group
   * stops at its next epoch boundary, a group already done has nothing left to save) */
  int err = st == SF_STOPPED ? 0 : st, stopped = st == SF_STOPPED;
  if (MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, comm) ||
      MPI_Allreduce(MPI_IN_PLACE, &stopped, 1, MPI_INT, MPI_MAX, comm))
    SF_ERROR(SF_ERR_MPI, "MPI_Allreduce failed");
  if (err) return share_error(comm, st, err);
  if (stopped) {
    if (states) SF_CHECK(share_states(comm, nnet, nets, states, owner));
    return share_error(comm, st, SF_STOPPED);
  }
  if (G > 1) {
    for (int i = 0; i < nnet; i++)
      if (MPI_Bcast(nets[i]->params, (int)nets[i]->nparam, MPI_DOUBLE, owner[i], comm))
        SF_ERROR(SF_ERR_MPI, "MPI_Bcast of the %s network failed", label[i]);
    if (MPI_Allreduce(MPI_IN_PLACE, info, 2 * nnet, MPI_DOUBLE, MPI_SUM, comm)) SF_ERROR(SF_ERR_MPI, "MPI_Allreduce failed");
  }
  for (int i = 0; i < nnet; i++)
    sf_log(1, "  %-6s network trained in %.2f s (final loss %.3e)\n", label[i], info[2 * i + 1], info[2 * i]);
  return SF_OK;
}
