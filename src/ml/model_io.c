/* model_io.c — the model file (format: docs/model.md): PCA bases and means, network
 * weights and scalers, linear baselines, architecture, train options and the identity of
 * the dataset.  Written by rank 0 to PATH.tmp and renamed when complete. */
#include "strainfield/core.h"
#include "strainfield/h5io.h"
#include "strainfield/ml.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_FORMAT "strainfield-model-1"
#define NNET (SF_NFIELD + 2) /* a network per field, then xred and energy */

/* The network names in the file: field_<field> (fields.h), then xred and energy. */
static void net_name(int i, char *name, size_t len)
{
  if (i < SF_NFIELD) snprintf(name, len, "field_%s", sf_field_names[i]);
  else snprintf(name, len, "%s", i == SF_NFIELD ? "xred" : "energy");
}

static sf_mlp *net_of(sf_model *m, int i)
{
  return i < SF_NFIELD ? &m->net_field[i] : i == SF_NFIELD ? &m->net_xred : &m->net_energy;
}
static double **lin_of(sf_model *m, int i)
{
  return i < SF_NFIELD ? &m->lin_field[i] : i == SF_NFIELD ? &m->lin_xred : &m->lin_energy;
}

/* Scaler k of a network, in file order: x_mean, x_std (inputs), y_mean, y_std (outputs). */
static const char *const scaler_names[4] = {"x_mean", "x_std", "y_mean", "y_std"};
static double *scaler(const sf_mlp *n, int k, size_t *count)
{
  double *const v[4] = {n->xmean, n->xstd, n->ymean, n->ystd};
  *count = (size_t)(k < 2 ? n->width[0] : n->width[n->nlayer]);
  return v[k];
}

static int rd(hid_t loc, const char *name, size_t count, double *data)
{
  return sf_h5_read(loc, "model file", name, H5T_NATIVE_DOUBLE, count, data);
}

/* A diverged training leaves NaN or Inf weights, and a network with them still returns
 * numbers (tanh saturates): such a model is refused at load, naming what is broken and
 * the dataset it came from. */
static int check_finite(const char *path, const sf_model *m, const char *what, const char *name, const double *v,
                        size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) {
      cJSON *met = m->metrics_json ? cJSON_Parse(m->metrics_json) : NULL;
      const cJSON *d = cJSON_GetObjectItemCaseSensitive(met, "dataset");
      char dsname[1100];
      snprintf(dsname, sizeof dsname, "%s", cJSON_IsString(d) ? d->valuestring : "?");
      cJSON_Delete(met);
      SF_ERROR(SF_ERR_FILE,
               "model %s (trained on dataset %s, id %s): %s %s: a non-finite value (%g at index %zu): the "
               "training diverged; retrain with a smaller -lr",
               path, dsname, m->dataset_checksum, what, name, v[i], i);
    }
  return SF_OK;
}

static int check_net(const char *path, const sf_model *m, const char *name, const sf_mlp *n, const double *lin)
{
  const int nin = n->width[0], nout = n->width[n->nlayer];
  SF_CHECK(check_finite(path, m, "the weights of network", name, n->params, n->nparam));
  for (int k = 0; k < 4; k++) {
    size_t count;
    const double *v = scaler(n, k, &count);
    SF_CHECK(check_finite(path, m, k < 2 ? "the input scaler (x_mean, x_std) of network"
                                         : "the output scaler (y_mean, y_std) of network", name, v, count));
  }
  if (lin) SF_CHECK(check_finite(path, m, "the linear baseline of network", name, lin, (size_t)(nin + 1) * nout));
  return SF_OK;
}

static int write_net(hid_t file, const char *name, const sf_mlp *n, const double *lin)
{
  int st = SF_OK;
  char path[128], nm[32];
  snprintf(path, sizeof path, "/nets/%s", name);
  hid_t g = H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot create %s", path);
  sf_h5_attr_ints(g, "widths", n->nlayer + 1, n->width);
  sf_h5_attr_str(g, "activation", "tanh");
  for (int l = 0; l < n->nlayer; l++) {
    hsize_t dw[2] = {(hsize_t)n->width[l], (hsize_t)n->width[l + 1]}, db = (hsize_t)n->width[l + 1];
    snprintf(nm, sizeof nm, "W%d", l);
    SF_CHECK_GOTO(sf_h5_write_doubles(g, nm, 2, dw, n->W[l]));
    snprintf(nm, sizeof nm, "b%d", l);
    SF_CHECK_GOTO(sf_h5_write_doubles(g, nm, 1, &db, n->b[l]));
  }
  for (int k = 0; k < 4; k++) {
    size_t count;
    const double *v = scaler(n, k, &count);
    SF_CHECK_GOTO(sf_h5_write_doubles(g, scaler_names[k], 1, &(hsize_t){count}, v));
  }
  hsize_t dl[2] = {(hsize_t)n->width[0] + 1, (hsize_t)n->width[n->nlayer]};
  if (lin) SF_CHECK_GOTO(sf_h5_write_doubles(g, "linear", 2, dl, lin));
cleanup:
  H5Gclose(g);
  return st;
}

static int read_net(hid_t file, const char *name, sf_mlp *n, double **lin)
{
  int st = SF_OK;
  char path[128], nm[32];
  snprintf(path, sizeof path, "/nets/%s", name);
  if (H5Lexists(file, "/nets", H5P_DEFAULT) <= 0 || H5Lexists(file, path, H5P_DEFAULT) <= 0)
    SF_ERROR(SF_ERR_FILE, "model file: no network %s", path);
  hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
  if (g < 0) SF_ERROR(SF_ERR_FILE, "model file: cannot open %s", path);
  int w[SF_MLP_MAXLAYER + 1];
  int nw = sf_h5_attr_ints_read(g, "widths", SF_MLP_MAXLAYER + 1, w);
  if (nw < 2) SF_ERROR_GOTO(SF_ERR_FILE, "model file: %s has no widths", path);
  SF_CHECK_GOTO(sf_mlp_create(n, nw - 1, w, 0));
  for (int l = 0; l < n->nlayer; l++) {
    snprintf(nm, sizeof nm, "W%d", l);
    SF_CHECK_GOTO(rd(g, nm, (size_t)w[l] * w[l + 1], n->W[l]));
    snprintf(nm, sizeof nm, "b%d", l);
    SF_CHECK_GOTO(rd(g, nm, (size_t)w[l + 1], n->b[l]));
  }
  for (int k = 0; k < 4; k++) {
    size_t count;
    double *v = scaler(n, k, &count);
    SF_CHECK_GOTO(rd(g, scaler_names[k], count, v));
  }
  if (H5Lexists(g, "linear", H5P_DEFAULT) > 0) {
    SF_CHECK_GOTO(sf_calloc((void **)lin, (size_t)(w[0] + 1) * w[nw - 1], sizeof(double)));
    SF_CHECK_GOTO(rd(g, "linear", (size_t)(w[0] + 1) * w[nw - 1], *lin));
  }
cleanup:
  H5Gclose(g);
  return st;
}

/* Rank 0: the root attributes and the groups. */
static int write_header(hid_t file, const sf_model *m)
{
  sf_h5_attr_str(file, "format", MODEL_FORMAT);
  sf_h5_attr_str(file, "version", SF_VERSION);
  sf_h5_attr_ints(file, "ngrid", 3, m->ngrid);
  sf_h5_attr_ints(file, "natom", 1, &m->natom);
  sf_h5_attr_ints(file, "ncomp", SF_NFIELD, m->ncomp);
  sf_h5_attr_str(file, "dataset_checksum", m->dataset_checksum);
  sf_h5_attr_str(file, "dataset_settings", m->dataset_settings ? m->dataset_settings : "{}");
  sf_h5_attr_str(file, "train_options", m->options_json ? m->options_json : "{}");
  if (m->metrics_json) sf_h5_attr_str(file, "metrics", m->metrics_json);
  if (m->have_ref) sf_h5_attr_double(file, "ref_rprimd", 9, m->ref_rprimd);
  /* only with several members: a model of one is the file of before ensembles, byte for byte */
  if (m->nens > 1) {
    double sc[NNET];
    for (int i = 0; i < NNET; i++) sc[i] = sf_model_std_scale(m, i);
    sf_h5_attr_ints(file, "ensemble", 1, &m->nens);
    sf_h5_attr_double(file, "ensemble_std_scale", NNET, sc);
  }
  const char *groups[2] = {"/pca", "/nets"};
  for (int k = 0; k < 2; k++) {
    hid_t g = H5Gcreate2(file, groups[k], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot create %s", groups[k]);
    H5Gclose(g);
  }
  return SF_OK;
}

/* Rank 0: /pca/<field>/{mean, basis, eigenvalues} of the gathered arrays. */
static int write_pca_group(hid_t g, const sf_pca *p, const double *mean, const double *basis)
{
  hsize_t dn = (hsize_t)p->npt, dk = (hsize_t)p->k, db[2] = {dk, dn};
  SF_CHECK(sf_h5_write_doubles(g, "mean", 1, &dn, mean));
  SF_CHECK(sf_h5_write_doubles(g, "basis", 2, db, basis));
  SF_CHECK(sf_h5_write_doubles(g, "eigenvalues", 1, &dk, p->eig));
  sf_h5_attr_double(g, "total_variance", 1, &p->total_var);
  return SF_OK;
}

/* Collective: field f's PCA, distributed by grid points over comm, gathered to rank 0
 * component by component (row: npt doubles on rank 0) and written there. */
static int write_pca(MPI_Comm comm, hid_t file, int f, const sf_pca *p, int *counts, int *displs, double *row)
{
  int st = SF_OK, rank;
  MPI_Comm_rank(comm, &rank);
  int cnt = (int)p->nloc, dsp = (int)p->p0;
  MPI_Allgather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, comm);
  MPI_Allgather(&dsp, 1, MPI_INT, displs, 1, MPI_INT, comm);
  hid_t g = -1;
  double *full = NULL;
  if (rank == 0) {
    char gp[64];
    snprintf(gp, sizeof gp, "/pca/%s", sf_field_names[f]);
    g = H5Gcreate2(file, gp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    st = g < 0 ? sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "HDF5: cannot create %s", gp)
               : sf_calloc((void **)&full, (size_t)p->k * p->npt, sizeof(double));
  }
  SF_CHECK_GOTO(sf_status_agree(comm, st));
  MPI_Gatherv(p->mean, cnt, MPI_DOUBLE, row, counts, displs, MPI_DOUBLE, 0, comm);
  for (int j = 0; j < p->k; j++)
    MPI_Gatherv(p->basis + (size_t)j * p->nloc, cnt, MPI_DOUBLE, rank == 0 ? full + (size_t)j * p->npt : NULL,
                counts, displs, MPI_DOUBLE, 0, comm);
  SF_CHECK_GOTO(sf_status_agree(comm, rank == 0 ? write_pca_group(g, p, row, full) : SF_OK));
cleanup:
  if (g >= 0) H5Gclose(g);
  sf_free(full);
  return st;
}

/* Rank 0: the gather buffers; every rank: counts and displacements. */
static int alloc_gather(int rank, int size, long npt, int **counts, int **displs, double **row)
{
  SF_CHECK(sf_calloc((void **)counts, size, sizeof(int)));
  SF_CHECK(sf_calloc((void **)displs, size, sizeof(int)));
  if (rank == 0) SF_CHECK(sf_calloc((void **)row, (size_t)npt, sizeof(double)));
  return SF_OK;
}

/* Member k ≥ 1 of network `name` is /nets/<name>_member<k> (docs/model.md). */
static void member_name(const char *name, int k, char *out, size_t len) { snprintf(out, len, "%s_member%d", name, k); }

/* Rank 0: every network with its linear baseline, then the other members (no baseline). */
static int write_nets(hid_t file, sf_model *m)
{
  char name[64], mname[96];
  for (int i = 0; i < NNET; i++) {
    net_name(i, name, sizeof name);
    SF_CHECK(write_net(file, name, net_of(m, i), *lin_of(m, i)));
    for (int k = 1; k < sf_model_ensemble_size(m); k++) {
      member_name(name, k, mname, sizeof mname);
      SF_CHECK(write_net(file, mname, sf_model_net(m, i, k), NULL));
    }
  }
  return SF_OK;
}

int sf_model_write(MPI_Comm comm, const char *path, const sf_model *mc)
{
  sf_model *m = (sf_model *)mc;
  int st = SF_OK, rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  hid_t file = -1;
  double *row = NULL;
  int *counts = NULL, *displs = NULL;
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (rank == 0) {
    file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    st = file < 0 ? sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot create %s", tmp) : write_header(file, m);
  }
  SF_CHECK_GOTO(sf_status_agree(comm, st));
  SF_CHECK_GOTO(sf_status_agree(comm, alloc_gather(rank, size, m->npt, &counts, &displs, &row)));
  for (int f = 0; f < SF_NFIELD; f++) SF_CHECK_GOTO(write_pca(comm, file, f, &m->pca[f], counts, displs, row));
  SF_CHECK_GOTO(sf_status_agree(comm, rank == 0 ? write_nets(file, m) : SF_OK));
  if (rank == 0) {
    st = sf_h5_finish(file, SF_OK, tmp, path);
    file = -1;
  }
  SF_CHECK_GOTO(sf_status_agree(comm, st));
cleanup:
  if (file >= 0) sf_h5_finish(file, st, tmp, path); /* after a failure: removes the partial file */
  sf_free(row);
  sf_free(counts);
  sf_free(displs);
  return st;
}

/* The root attributes: format, grid, atoms, components, provenance, reference cell. */
static int read_header(hid_t file, const char *path, sf_model *m)
{
  char *fmt = sf_h5_attr_str_read(file, "format");
  int ok = fmt && !strcmp(fmt, MODEL_FORMAT);
  if (!ok) {
    int st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "%s is not a strainfield model (format %s)", path,
                          fmt ? fmt : "missing");
    free(fmt);
    return st;
  }
  free(fmt);
  sf_h5_attr_ints_read(file, "ngrid", 3, m->ngrid);
  sf_h5_attr_ints_read(file, "natom", 1, &m->natom);
  sf_h5_attr_ints_read(file, "ncomp", SF_NFIELD, m->ncomp);
  m->npt = (long)m->ngrid[0] * m->ngrid[1] * m->ngrid[2];
  char *cs = sf_h5_attr_str_read(file, "dataset_checksum");
  snprintf(m->dataset_checksum, sizeof m->dataset_checksum, "%s", cs ? cs : "");
  free(cs);
  m->dataset_settings = sf_h5_attr_str_read(file, "dataset_settings");
  m->options_json = sf_h5_attr_str_read(file, "train_options");
  m->metrics_json = sf_h5_attr_str_read(file, "metrics");
  if (H5Aexists(file, "ref_rprimd") > 0) {
    hid_t a = H5Aopen(file, "ref_rprimd", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, m->ref_rprimd);
    H5Aclose(a);
    m->have_ref = 1;
  }
  return SF_OK;
}

/* Field f's PCA on the full grid, checked finite, with its float32 basis. */
static int read_pca(hid_t file, const char *path, sf_model *m, int f)
{
  int st = SF_OK;
  sf_pca *p = &m->pca[f];
  p->k = m->ncomp[f];
  p->npt = p->nloc = m->npt;
  p->p0 = 0;
  const size_t nb = (size_t)p->k * m->npt;
  const char *name = sf_field_names[f];
  char gp[64];
  snprintf(gp, sizeof gp, "/pca/%s", name);
  hid_t g = -1;
  SF_CHECK_GOTO(sf_calloc((void **)&p->mean, m->npt, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&p->basis, nb, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&p->eig, p->k, sizeof(double)));
  SF_CHECK_GOTO(sf_calloc((void **)&m->basis32[f], nb, sizeof(float)));
  g = H5Gopen2(file, gp, H5P_DEFAULT);
  if (g < 0) SF_ERROR_GOTO(SF_ERR_FILE, "model file: no %s", gp);
  SF_CHECK_GOTO(rd(g, "mean", m->npt, p->mean));
  SF_CHECK_GOTO(rd(g, "basis", nb, p->basis));
  SF_CHECK_GOTO(rd(g, "eigenvalues", p->k, p->eig));
  SF_CHECK_GOTO(check_finite(path, m, "the PCA mean of", name, p->mean, m->npt));
  SF_CHECK_GOTO(check_finite(path, m, "the PCA basis of", name, p->basis, nb));
  SF_CHECK_GOTO(check_finite(path, m, "the PCA eigenvalues of", name, p->eig, p->k));
  for (size_t i = 0; i < nb; i++) m->basis32[f][i] = (float)p->basis[i];
cleanup:
  if (g >= 0) H5Gclose(g);
  return st;
}

int sf_model_read(const char *path, sf_model *m)
{
  int st = SF_OK;
  char name[64];
  memset(m, 0, sizeof *m);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR_GOTO(SF_ERR_FILE, "cannot open model %s", path);
  SF_CHECK_GOTO(read_header(file, path, m));
  for (int f = 0; f < SF_NFIELD; f++) SF_CHECK_GOTO(read_pca(file, path, m, f));
  int K = 1;
  if (H5Aexists(file, "ensemble") > 0 && (sf_h5_attr_ints_read(file, "ensemble", 1, &K) != 1 || K < 1 || K > SF_MODEL_MAXENS))
    SF_ERROR_GOTO(SF_ERR_FILE, "model %s: the ensemble attribute is not a member count in 1..%d", path, SF_MODEL_MAXENS);
  SF_CHECK_GOTO(sf_model_set_ensemble(m, K));
  if (K > 1 && H5Aexists(file, "ensemble_std_scale") > 0 &&
      sf_h5_attr_double_read(file, "ensemble_std_scale", NNET, m->std_scale) != NNET)
    SF_ERROR_GOTO(SF_ERR_FILE, "model %s: ensemble_std_scale is not %d numbers", path, NNET);
  for (int i = 0; i < NNET; i++) {
    net_name(i, name, sizeof name);
    SF_CHECK_GOTO(read_net(file, name, net_of(m, i), lin_of(m, i)));
    SF_CHECK_GOTO(check_net(path, m, name, net_of(m, i), *lin_of(m, i)));
    for (int k = 1; k < K; k++) {
      char mname[96];
      double *nolin = NULL;
      member_name(name, k, mname, sizeof mname);
      SF_CHECK_GOTO(read_net(file, mname, sf_model_net(m, i, k), &nolin));
      sf_free(nolin);
      SF_CHECK_GOTO(check_net(path, m, mname, sf_model_net(m, i, k), NULL));
    }
  }
  H5Fclose(file);
  file = -1;
  SF_CHECK_GOTO(sf_model_prepare_fast(m)); /* float32 prediction copies, made once */
cleanup:
  if (file >= 0) H5Fclose(file);
  if (st) sf_model_free(m);
  return st;
}

void sf_model_free(sf_model *m)
{
  for (int f = 0; f < SF_NFIELD; f++) {
    sf_pca_free(&m->pca[f]);
    sf_free(m->basis32[f]);
    sf_mlp_free(&m->net_field[f]);
    sf_free(m->lin_field[f]);
  }
  for (int f = 0; f < SF_NFIELD; f++) sf_mlp32_free(&m->fast_field[f]);
  sf_mlp32_free(&m->fast_xred);
  sf_mlp32_free(&m->fast_energy);
  for (int i = 0; i < NNET; i++) {
    for (int k = 0; k + 1 < m->nens && m->member[i]; k++) {
      sf_mlp_free(&m->member[i][k]);
      if (m->member32[i]) sf_mlp32_free(&m->member32[i][k]);
    }
    sf_free(m->member[i]);
    sf_free(m->member32[i]);
  }
  free(m->ws32);
  free(m->rec32);
  sf_mlp_free(&m->net_xred);
  sf_mlp_free(&m->net_energy);
  sf_free(m->lin_xred);
  sf_free(m->lin_energy);
  free(m->dataset_settings);
  free(m->options_json);
  free(m->metrics_json);
  memset(m, 0, sizeof *m);
}
