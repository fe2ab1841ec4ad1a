/* checkpoint.c — train's checkpoint (docs/model.md): what a stopped `train` saves so that
 * `train -resume` ends with the same weights, bitwise, as a run never stopped.
 *
 * Owns: the checkpoint file and the run identity it is tied to.  Saved per network:
 * the float64 weights, Adam's two float32 moment vectors, its step count (the bias
 * corrections), the epochs done and the last loss.  Not saved, because they are
 * recomputed identically from the dataset and the options: the split, the PCA and the
 * coefficients, the scalers and the shuffles (keyed by seed and epoch, mlp_train.c).
 * The identity is the resolved train options less those that do not change the weights,
 * plus the dataset id, so a checkpoint of another run is refused. */
#include "strainfield/core.h"
#include "strainfield/options.h"
#include "strainfield/h5io.h"
#include "strainfield/train.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKPOINT_FORMAT "strainfield-train-checkpoint-1"

char *sf_train_identity(const char *dataset_checksum)
{
  char *opts = NULL;
  if (sf_options_json(&opts) || !opts) return NULL;
  cJSON *o = cJSON_Parse(opts);
  sf_free(opts);
  if (!o) return NULL;
  /* outputs, logging, the grouping (tested bitwise-neutral) and the dataset's path (its
   * id below is what matters) do not change the weights */
  static const char *neutral[] = {"resume", "verbosity", "v", "log_every", "summary", "model", "train_groups",
                                  "dataset"};
  for (size_t i = 0; i < sizeof neutral / sizeof *neutral; i++) cJSON_DeleteItemFromObjectCaseSensitive(o, neutral[i]);
  cJSON_AddStringToObject(o, "dataset_id", dataset_checksum);
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

/* "-epochs 20 (checkpoint) vs 30 (now)": the first option where two identities differ. */
static void first_difference(const char *a, const char *b, char *out, size_t len)
{
  cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
  snprintf(out, len, "the options differ");
  for (const cJSON *e = x ? x->child : NULL; e; e = e->next) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(y, e->string);
    char *ta = cJSON_PrintUnformatted(e), *tb = f ? cJSON_PrintUnformatted(f) : NULL;
    int differ = !tb || strcmp(ta, tb);
    if (differ)
      snprintf(out, len, "%s%s %s in the checkpoint, %s now", strcmp(e->string, "dataset_id") ? "-" : "", e->string, ta,
               tb ? tb : "unset");
    free(ta);
    free(tb);
    if (differ) break;
  }
  cJSON_Delete(x);
  cJSON_Delete(y);
}

/* One network's group: its widths, epoch, step, loss, weights and Adam moments. */
static int write_net_state(hid_t file, const char *label, const sf_mlp *m, const sf_mlp_state *s)
{
  hid_t g = H5Gcreate2(file, label, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) SF_ERROR(SF_ERR_FILE, "checkpoint: cannot create group %s", label);
  sf_h5_attr_ints(g, "widths", m->nlayer + 1, m->width);
  sf_h5_attr_ints(g, "epoch", 1, &s->epoch);
  double step = (double)s->step; /* exact below 2^53 */
  sf_h5_attr_double(g, "step", 1, &step);
  sf_h5_attr_double(g, "loss", 1, &s->loss);
  hsize_t np = m->nparam;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_h5_write(g, "params", H5T_NATIVE_DOUBLE, 1, &np, m->params));
  SF_CHECK_GOTO(sf_h5_write(g, "adam_m", H5T_NATIVE_FLOAT, 1, &np, s->mom));
  SF_CHECK_GOTO(sf_h5_write(g, "adam_v", H5T_NATIVE_FLOAT, 1, &np, s->vel));
cleanup:
  H5Gclose(g);
  return st;
}

int sf_train_checkpoint_write(const char *path, const char *identity, int nnet, const char *const *label,
                              sf_mlp *const *nets, sf_mlp_state *const *states)
{
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot create the checkpoint %s", tmp);
  sf_h5_attr_str(file, "format", CHECKPOINT_FORMAT);
  sf_h5_attr_str(file, "version", SF_VERSION);
  sf_h5_attr_str(file, "identity", identity);
  int size, st = SF_OK;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  sf_h5_attr_ints(file, "nranks", 1, &size);
  for (int i = 0; i < nnet; i++) SF_CHECK_GOTO(write_net_state(file, label[i], nets[i], states[i]));
cleanup: /* removes the partial file on failure */
  return sf_h5_finish(file, st, tmp, path);
}

static int read_net_state(hid_t file, const char *path, const char *label, sf_mlp *m, sf_mlp_state *s)
{
  if (H5Lexists(file, label, H5P_DEFAULT) <= 0) SF_ERROR(SF_ERR_INPUT, "checkpoint %s has no %s network", path, label);
  hid_t g = H5Gopen2(file, label, H5P_DEFAULT);
  int w[SF_MLP_MAXLAYER + 1], nw = sf_h5_attr_ints_read(g, "widths", SF_MLP_MAXLAYER + 1, w), same = nw == m->nlayer + 1;
  for (int l = 0; same && l < nw; l++) same = w[l] == m->width[l];
  double step = 0;
  int st = SF_OK;
  if (!same)
    SF_ERROR_GOTO(SF_ERR_INPUT, "checkpoint %s: the %s network has other layer widths than these options give", path,
                  label);
  if (sf_h5_attr_ints_read(g, "epoch", 1, &s->epoch) != 1 || sf_h5_attr_double_read(g, "step", 1, &step) != 1 ||
      sf_h5_attr_double_read(g, "loss", 1, &s->loss) != 1)
    SF_ERROR_GOTO(SF_ERR_FILE, "checkpoint %s: %s lacks epoch, step or loss", path, label);
  s->step = (long)step;
  SF_CHECK_GOTO(sf_h5_read(g, path, "params", H5T_NATIVE_DOUBLE, m->nparam, m->params));
  SF_CHECK_GOTO(sf_h5_read(g, path, "adam_m", H5T_NATIVE_FLOAT, m->nparam, s->mom));
  SF_CHECK_GOTO(sf_h5_read(g, path, "adam_v", H5T_NATIVE_FLOAT, m->nparam, s->vel));
cleanup:
  H5Gclose(g);
  return st;
}

int sf_train_checkpoint_read(const char *path, const char *identity, int nnet, const char *const *label,
                             sf_mlp *const *nets, sf_mlp_state *const *states)
{
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "-resume: cannot open the checkpoint %s", path);
  char *fmt = sf_h5_attr_str_read(file, "format"), *id = sf_h5_attr_str_read(file, "identity");
  int st = SF_OK;
  if (!fmt || strcmp(fmt, CHECKPOINT_FORMAT) || !id) SF_ERROR_GOTO(SF_ERR_FILE, "-resume: %s is not a train checkpoint", path);
  if (strcmp(id, identity)) {
    char why[512];
    first_difference(id, identity, why, sizeof why);
    SF_ERROR_GOTO(SF_ERR_INPUT, "-resume: the checkpoint %s is of another run (%s); resume with its options, or remove it",
                  path, why);
  }
  for (int i = 0; i < nnet; i++) SF_CHECK_GOTO(read_net_state(file, path, label[i], nets[i], states[i]));
cleanup:
  free(fmt);
  free(id);
  H5Fclose(file);
  return st;
}
