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

static const char *net_name(int i)
{
  static const char *names[] = {"field_rho", "field_phi", "field_u", "field_s", "xred", "energy"};
  return names[i];
}

static sf_mlp *net_of(sf_model *m, int i) { return i < SF_NFIELD ? &m->net_field[i] : i == 4 ? &m->net_xred : &m->net_energy; }
static double **lin_of(sf_model *m, int i) { return i < SF_NFIELD ? &m->lin_field[i] : i == 4 ? &m->lin_xred : &m->lin_energy; }

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
  SF_CHECK(check_finite(path, m, "the input scaler (x_mean, x_std) of network", name, n->xmean, nin));
  SF_CHECK(check_finite(path, m, "the input scaler (x_mean, x_std) of network", name, n->xstd, nin));
  SF_CHECK(check_finite(path, m, "the output scaler (y_mean, y_std) of network", name, n->ymean, nout));
  SF_CHECK(check_finite(path, m, "the output scaler (y_mean, y_std) of network", name, n->ystd, nout));
  if (lin) SF_CHECK(check_finite(path, m, "the linear baseline of network", name, lin, (size_t)(nin + 1) * nout));
  return SF_OK;
}

static int write_net(hid_t file, const char *name, const sf_mlp *n, const double *lin)
{
  char path[128];
  snprintf(path, sizeof path, "/nets/%s", name);
  hid_t g = H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  sf_h5_attr_ints(g, "widths", n->nlayer + 1, n->width);
  sf_h5_attr_str(g, "activation", "tanh");
  int st = 0;
  for (int l = 0; l < n->nlayer && !st; l++) {
    char nm[32];
    hsize_t dw[2] = {(hsize_t)n->width[l], (hsize_t)n->width[l + 1]}, db = (hsize_t)n->width[l + 1];
    snprintf(nm, sizeof nm, "W%d", l);
    st = sf_h5_write_doubles(g, nm, 2, dw, n->W[l]);
    snprintf(nm, sizeof nm, "b%d", l);
    if (!st) st = sf_h5_write_doubles(g, nm, 1, &db, n->b[l]);
  }
  hsize_t din = (hsize_t)n->width[0], dout = (hsize_t)n->width[n->nlayer];
  if (!st) st = sf_h5_write_doubles(g, "x_mean", 1, &din, n->xmean);
  if (!st) st = sf_h5_write_doubles(g, "x_std", 1, &din, n->xstd);
  if (!st) st = sf_h5_write_doubles(g, "y_mean", 1, &dout, n->ymean);
  if (!st) st = sf_h5_write_doubles(g, "y_std", 1, &dout, n->ystd);
  hsize_t dl[2] = {(hsize_t)n->width[0] + 1, dout};
  if (!st && lin) st = sf_h5_write_doubles(g, "linear", 2, dl, lin);
  H5Gclose(g);
  SF_CHECK(st);
  return SF_OK;
}

static int read_net(hid_t file, const char *name, sf_mlp *n, double **lin)
{
  char path[128];
  snprintf(path, sizeof path, "/nets/%s", name);
  if (H5Lexists(file, "/nets", H5P_DEFAULT) <= 0 || H5Lexists(file, path, H5P_DEFAULT) <= 0)
    SF_ERROR(SF_ERR_FILE, "model file: no network %s", path);
  hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
  int w[SF_MLP_MAXLAYER + 1];
  int nw = sf_h5_attr_ints_read(g, "widths", SF_MLP_MAXLAYER + 1, w);
  int st = nw < 2 ? sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "model file: %s has no widths", path)
                  : sf_mlp_create(n, nw - 1, w, 0);
  for (int l = 0; l < n->nlayer && !st; l++) {
    char nm[32];
    snprintf(nm, sizeof nm, "W%d", l);
    st = rd(g, nm, (size_t)w[l] * w[l + 1], n->W[l]);
    snprintf(nm, sizeof nm, "b%d", l);
    if (!st) st = rd(g, nm, (size_t)w[l + 1], n->b[l]);
  }
  if (!st) st = rd(g, "x_mean", w[0], n->xmean);
  if (!st) st = rd(g, "x_std", w[0], n->xstd);
  if (!st) st = rd(g, "y_mean", w[nw - 1], n->ymean);
  if (!st) st = rd(g, "y_std", w[nw - 1], n->ystd);
  if (!st && H5Lexists(g, "linear", H5P_DEFAULT) > 0) {
    st = sf_calloc((void **)lin, (size_t)(w[0] + 1) * w[nw - 1], sizeof(double));
    if (!st) st = rd(g, "linear", (size_t)(w[0] + 1) * w[nw - 1], *lin);
  }
  H5Gclose(g);
  SF_CHECK(st);
  return SF_OK;
}

int sf_model_write(MPI_Comm comm, const char *path, const sf_model *mc)
{
  sf_model *m = (sf_model *)mc;
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int st = 0;
  hid_t file = -1;
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (rank == 0) {
    file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "cannot create %s", tmp);
  }
  MPI_Bcast(&st, 1, MPI_INT, 0, comm);
  if (st) return st;
  double *full = NULL, *row = NULL;
  int *counts = NULL, *displs = NULL;
  st = sf_calloc((void **)&counts, size, sizeof(int));
  if (!st) st = sf_calloc((void **)&displs, size, sizeof(int));
  if (!st && rank == 0) st = sf_calloc((void **)&row, (size_t)m->npt, sizeof(double));
  if (rank == 0 && !st) {
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
    H5Gclose(H5Gcreate2(file, "/pca", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Gclose(H5Gcreate2(file, "/nets", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  }
  for (int f = 0; f < SF_NFIELD && !st; f++) {
    const sf_pca *p = &m->pca[f];
    int cnt = (int)p->nloc, dsp = (int)p->p0;
    MPI_Allgather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, comm);
    MPI_Allgather(&dsp, 1, MPI_INT, displs, 1, MPI_INT, comm);
    hid_t g = -1;
    if (rank == 0) {
      char gp[64];
      snprintf(gp, sizeof gp, "/pca/%s", sf_ml_field_names[f]);
      g = H5Gcreate2(file, gp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      st = sf_calloc((void **)&full, (size_t)p->k * p->npt, sizeof(double));
    }
    MPI_Bcast(&st, 1, MPI_INT, 0, comm);
    if (st) break;
    MPI_Gatherv(p->mean, cnt, MPI_DOUBLE, row, counts, displs, MPI_DOUBLE, 0, comm);
    for (int j = 0; j < p->k; j++)
      MPI_Gatherv(p->basis + (size_t)j * p->nloc, cnt, MPI_DOUBLE, rank == 0 ? full + (size_t)j * p->npt : NULL,
                  counts, displs, MPI_DOUBLE, 0, comm);
    if (rank == 0) {
      hsize_t dn = (hsize_t)p->npt, dk = (hsize_t)p->k, db[2] = {dk, dn};
      st = sf_h5_write_doubles(g, "mean", 1, &dn, row);
      if (!st) st = sf_h5_write_doubles(g, "basis", 2, db, full);
      if (!st) st = sf_h5_write_doubles(g, "eigenvalues", 1, &dk, p->eig);
      sf_h5_attr_double(g, "total_variance", 1, &p->total_var);
      H5Gclose(g);
      sf_free(full);
      full = NULL;
    }
    MPI_Bcast(&st, 1, MPI_INT, 0, comm);
  }
  if (rank == 0 && !st)
    for (int i = 0; i < 6 && !st; i++) st = write_net(file, net_name(i), net_of(m, i), *lin_of(m, i));
  if (rank == 0) st = sf_h5_finish(file, st, tmp, path);
  MPI_Bcast(&st, 1, MPI_INT, 0, comm);
  sf_free(row);
  sf_free(counts);
  sf_free(displs);
  if (st) return sf_error_trace(st, __FILE__, __LINE__, __func__);
  return SF_OK;
}

int sf_model_read(const char *path, sf_model *m)
{
  memset(m, 0, sizeof *m);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot open model %s", path);
  char *fmt = sf_h5_attr_str_read(file, "format");
  int st = 0;
  if (!fmt || strcmp(fmt, MODEL_FORMAT))
    st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "%s is not a strainfield model (format %s)", path,
                      fmt ? fmt : "missing");
  free(fmt);
  if (!st) {
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
  }
  for (int f = 0; f < SF_NFIELD && !st; f++) {
    sf_pca *p = &m->pca[f];
    p->k = m->ncomp[f];
    p->npt = p->nloc = m->npt;
    p->p0 = 0;
    char gp[64];
    snprintf(gp, sizeof gp, "/pca/%s", sf_ml_field_names[f]);
    st = sf_calloc((void **)&p->mean, m->npt, sizeof(double));
    if (!st) st = sf_calloc((void **)&p->basis, (size_t)p->k * m->npt, sizeof(double));
    if (!st) st = sf_calloc((void **)&p->eig, p->k, sizeof(double));
    if (!st) st = sf_calloc((void **)&m->basis32[f], (size_t)p->k * m->npt, sizeof(float));
    if (!st) {
      hid_t g = H5Gopen2(file, gp, H5P_DEFAULT);
      if (g < 0) st = sf_error_set(SF_ERR_FILE, __FILE__, __LINE__, __func__, "model file: no %s", gp);
      if (!st) st = rd(g, "mean", m->npt, p->mean);
      if (!st) st = rd(g, "basis", (size_t)p->k * m->npt, p->basis);
      if (!st) st = rd(g, "eigenvalues", p->k, p->eig);
      if (g >= 0) H5Gclose(g);
    }
    if (!st) st = check_finite(path, m, "the PCA mean of", sf_ml_field_names[f], p->mean, m->npt);
    if (!st) st = check_finite(path, m, "the PCA basis of", sf_ml_field_names[f], p->basis, (size_t)p->k * m->npt);
    if (!st) st = check_finite(path, m, "the PCA eigenvalues of", sf_ml_field_names[f], p->eig, p->k);
    if (!st)
      for (size_t i = 0; i < (size_t)p->k * m->npt; i++) m->basis32[f][i] = (float)p->basis[i];
  }
  for (int i = 0; i < 6 && !st; i++) {
    st = read_net(file, net_name(i), net_of(m, i), lin_of(m, i));
    if (!st) st = check_net(path, m, net_name(i), net_of(m, i), *lin_of(m, i));
  }
  H5Fclose(file);
  if (!st) st = sf_model_prepare_fast(m); /* float32 prediction copies, made once */
  if (st) {
    sf_model_free(m);
    return sf_error_trace(st, __FILE__, __LINE__, __func__);
  }
  return SF_OK;
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
