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
#include "strainfield/layout.h"
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

/* The status of the lowest rank whose status is `code`, with its message, on every rank
 * (so that rank 0, which prints, says what failed on another rank group). */
static int share_status(MPI_Comm comm, int st, int code) { return sf_status_agree(comm, st == code ? st : SF_OK); }

static int bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm, const char *what)
{
  if (MPI_Bcast(buf, count, type, root, comm) != MPI_SUCCESS) SF_ERROR(SF_ERR_MPI, "MPI_Bcast of %s failed", what);
  return SF_OK;
}

/* A stopped run: every rank gets every network's weights and state from its group's
 * leader (root[i]). */
static int share_states(MPI_Comm comm, int nnet, sf_mlp *const *nets, sf_mlp_state *const *states, const int *root)
{
  for (int i = 0; i < nnet; i++) {
    double head[3] = {states[i]->epoch, (double)states[i]->step, states[i]->loss};
    const int cnt = (int)nets[i]->nparam;
    SF_CHECK(bcast(nets[i]->params, cnt, MPI_DOUBLE, root[i], comm, "a network's weights"));
    SF_CHECK(bcast(head, 3, MPI_DOUBLE, root[i], comm, "a training state's epoch"));
    SF_CHECK(bcast(states[i]->mom, cnt, MPI_FLOAT, root[i], comm, "a training state's moments"));
    SF_CHECK(bcast(states[i]->vel, cnt, MPI_FLOAT, root[i], comm, "a training state's velocities"));
    states[i]->epoch = (int)head[0];
    states[i]->step = (long)head[1];
    states[i]->loss = head[2];
  }
  return SF_OK;
}

/* Longest-processing-time-first: each network (by parameter count, the cost per sample)
 * goes to the least loaded of G groups; ties to the lowest group, so every rank agrees. */
static void assign_networks(int G, int nnet, sf_mlp *const *nets, int *owner)
{
  int order[SF_TRAIN_MAXJOBS];
  double load[SF_TRAIN_MAXJOBS] = {0};
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
}

/* The tree's training level, each group with the labels of its networks. */
static void print_groups(const sf_layout_groups *tg, int nnet, const int *owner, const char *const *label)
{
  static char names[SF_TRAIN_MAXJOBS][256];
  const char *member[SF_TRAIN_MAXJOBS];
  memset(names, 0, sizeof names);
  for (int h = 0; h < tg->ngroups; h++) {
    size_t pos = 0;
    for (int i = 0; i < nnet; i++)
      if (owner[i] == h && pos < sizeof names[h])
        pos += (size_t)snprintf(names[h] + pos, sizeof names[h] - pos, "%s%s", pos ? " " : "", label[i]);
    member[h] = names[h];
  }
  sf_layout_groups_print(tg, member);
}

int sf_train_networks(MPI_Comm comm, int ngroups, int nnet, sf_mlp *const *nets, const double *X,
                      const double *const *Y, int n, const sf_train_params *tp, const char *const *label,
                      sf_mlp_state *const *states)
{
  int size;
  MPI_Comm_size(comm, &size);
  const int G = ngroups > 0 ? (ngroups < size ? ngroups : size) : auto_groups(size, nnet, nets);
  int owner[SF_TRAIN_MAXJOBS], root[SF_TRAIN_MAXJOBS];
  double info[2 * SF_TRAIN_MAXJOBS] = {0};
  if (nnet > SF_TRAIN_MAXJOBS) SF_ERROR(SF_ERR_INTERNAL, "at most %d networks", SF_TRAIN_MAXJOBS);
  assign_networks(G, nnet, nets, owner);
  /* contiguous groups of ranks (layout.h); a network's weights come from its group's leader */
  sf_layout_groups tg;
  SF_CHECK(sf_layout_groups_create(comm, G, "training", &tg));
  for (int i = 0; i < nnet; i++) root[i] = sf_layout_group_leader(&tg, owner[i]);
  print_groups(&tg, nnet, owner, label);
  int st = SF_OK;
  for (int i = 0; i < nnet && !st; i++) {
    if (owner[i] != tg.my_group) continue;
    double t0 = sf_wtime();
    st = sf_mlp_train_state(tg.comm, nets[i], X, Y[i], n, &tp[i], states ? states[i] : NULL, &info[2 * i]);
    if (tg.rank == 0) info[2 * i + 1] = sf_wtime() - t0;
    else info[2 * i] = 0;
  }
  sf_layout_groups_free(&tg);
  /* an error anywhere stops everyone before the broadcasts; then a stop signal (a group
   * stops at its next epoch boundary, a group already done has nothing left to save) */
  int err = st == SF_STOPPED ? 0 : st, stopped = st == SF_STOPPED;
  if (MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
    SF_ERROR(SF_ERR_MPI, "MPI_Allreduce of the training status failed");
  if (MPI_Allreduce(MPI_IN_PLACE, &stopped, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
    SF_ERROR(SF_ERR_MPI, "MPI_Allreduce of the stop flag failed");
  if (err) return share_status(comm, st, err);
  if (stopped) {
    if (states) SF_CHECK(share_states(comm, nnet, nets, states, root));
    return share_status(comm, st, SF_STOPPED);
  }
  if (G > 1) {
    for (int i = 0; i < nnet; i++) SF_CHECK(bcast(nets[i]->params, (int)nets[i]->nparam, MPI_DOUBLE, root[i], comm, label[i]));
    if (MPI_Allreduce(MPI_IN_PLACE, info, 2 * nnet, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS)
      SF_ERROR(SF_ERR_MPI, "MPI_Allreduce of the training times failed");
  }
  for (int i = 0; i < nnet; i++)
    sf_log(1, "  %-6s network trained in %.2f s (final loss %.3e)\n", label[i], info[2 * i + 1], info[2 * i]);
  return SF_OK;
}
