/* train_metrics.c — what a trained model is measured by: for each field the test NRMSE
 * of the paper's eq. 12 (range-normalised RMS error of the reconstructed field) of the
 * network, of the PCA alone and of the linear baseline; the free-energy and position
 * errors; and their JSON (with every test sample's numbers for the final model, which
 * the figures draw).  The fields stay distributed over the ranks by grid planes. */
#include "strainfield/core.h"
#include "train_internal.h"
#include "strainfield/elastic.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

long sf_train_my_planes(MPI_Comm comm, const sf_dataset *ds, int *pl0, int *npl)
{
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  sf_split_planes(ds->ngrid[0], size, rank, pl0, npl);
  return *npl * (long)ds->ngrid[1] * ds->ngrid[2];
}

/* per-sample NRMSE (paper eq. 12) of distributed fields: pred, truth n × nloc */
int sf_train_nrmse(MPI_Comm comm, const double *pred, const double *truth, int n, long nloc, long npt, double *out)
{
  double *a = NULL;
  SF_CHECK(sf_status_agree(comm, sf_calloc((void **)&a, 3 * (size_t)n, sizeof *a)));
  double *sse = a, *mx = a + n, *mn = a + 2 * n;
  for (int i = 0; i < n; i++) {
    const double *p = pred + (size_t)i * nloc, *t = truth + (size_t)i * nloc;
    double s = 0, hi = -INFINITY, lo = INFINITY;
    for (long q = 0; q < nloc; q++) {
      double d = p[q] - t[q];
      s += d * d;
      if (t[q] > hi) hi = t[q];
      if (t[q] < lo) lo = t[q];
    }
    sse[i] = s;
    mx[i] = hi;
    mn[i] = -lo;
  }
  MPI_Allreduce(MPI_IN_PLACE, sse, n, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, mx, 2 * n, MPI_DOUBLE, MPI_MAX, comm);
  for (int i = 0; i < n; i++) {
    double range = mx[i] + mn[i];
    out[i] = sqrt(sse[i] / npt) / (range > 0 ? range : 1);
  }
  sf_free(a);
  return SF_OK;
}

void sf_train_mean_max(const double *v, int n, double *mean, double *max)
{
  double s = 0, m = 0;
  for (int i = 0; i < n; i++) {
    s += v[i];
    if (v[i] > m) m = v[i];
  }
  *mean = n ? s / n : 0;
  *max = m;
}

/* The NRMSE of the reconstruction of coefficients C (nte × k) against the true fields X,
 * per sample into *v (allocated here). */
static int nrmse_of(MPI_Comm comm, const sf_train_split *sp, const sf_pca *pca, const double *C, const double *X,
                    long nloc, double *R, double **v, double *mean, double *max)
{
  SF_CHECK(sf_status_agree(comm, sf_calloc((void **)v, sp->nte, sizeof **v)));
  sf_pca_reconstruct(pca, C, sp->nte, R);
  SF_CHECK(sf_train_nrmse(comm, R, X, sp->nte, nloc, sp->ds->npt, *v));
  sf_train_mean_max(*v, sp->nte, mean, max);
  return SF_OK;
}

void sf_train_metrics_free(sf_field_metrics fm[SF_NFIELD], sf_scalar_metrics *sm)
{
  for (int f = 0; f < SF_NFIELD; f++)
    for (int j = 0; j < 3; j++) {
      sf_free(fm[f].per[j]);
      fm[f].per[j] = NULL;
    }
  for (int j = 0; j < 2; j++) {
    sf_free(sm->F[j]);
    sf_free(sm->x[j]);
    sm->F[j] = sm->x[j] = NULL;
  }
}

/* Calibration of field f's leading coefficients on the test set. */
static int coef_calibration(const sf_model *m, int f, const sf_train_split *sp, const double *Cte, double *Cpred,
                            sf_calibration *out)
{
  const int nte = sp->nte, k = m->pca[f].k, nl = k < SF_CALIB_NCOEF ? k : SF_CALIB_NCOEF;
  double *std = NULL, *e = NULL, *s = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&std, (size_t)nte * k, sizeof *std));
  SF_CHECK_GOTO(sf_calloc((void **)&e, 2 * (size_t)nte * nl, sizeof *e));
  SF_CHECK_GOTO(sf_model_net_predict(m, f, 0, sp->Dte, nte, Cpred, k, std, k));
  s = e + (size_t)nte * nl;
  for (int i = 0; i < nte; i++)
    for (int j = 0; j < nl; j++) {
      e[i * nl + j] = Cpred[(size_t)i * k + j] - Cte[(size_t)i * k + j];
      s[i * nl + j] = std[(size_t)i * k + j];
    }
  sf_calibration_of(e, s, nte * nl, out);
cleanup:
  sf_free(std);
  sf_free(e);
  return st;
}

int sf_train_field_metrics(MPI_Comm comm, const sf_train_split *sp, int f, int ntr, const sf_model *m,
                           const double *Ctr, double **lin, sf_field_metrics *fm)
{
  const sf_pca *pca = &m->pca[f];
  const sf_dataset *ds = sp->ds;
  int pl0, npl, st = SF_OK;
  const long nloc = sf_train_my_planes(comm, ds, &pl0, &npl);
  const int nte = sp->nte, k = pca->k;
  double *X = NULL, *Cte = NULL, *Cpred = NULL, *R = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)lin, 7 * (size_t)k, sizeof(double)));
  SF_CHECK_GOTO(sf_linear_fit(sp->Dtr, Ctr, ntr, 6, k, *lin));
  if (!nte) goto cleanup; /* no test set: the baseline only */
  /* test set: true fields (distributed), PCA-only, network and linear reconstructions */
  SF_CHECK_GOTO(sf_calloc((void **)&X, (size_t)nte * (nloc ? nloc : 1), sizeof *X));
  SF_CHECK_GOTO(sf_calloc((void **)&R, (size_t)nte * (nloc ? nloc : 1), sizeof *R));
  SF_CHECK_GOTO(sf_calloc((void **)&Cte, (size_t)nte * k, sizeof *Cte));
  SF_CHECK_GOTO(sf_calloc((void **)&Cpred, (size_t)nte * k, sizeof *Cpred));
  SF_CHECK_GOTO(sf_dataset_read_field(ds, f, sp->ite, nte, pl0, npl, X));
  SF_CHECK_GOTO(sf_pca_project(comm, pca, X, nte, Cte));
  SF_CHECK_GOTO(nrmse_of(comm, sp, pca, Cte, X, nloc, R, &fm->per[1], &fm->pca_mean, &fm->pca_max));
  if (sf_model_ensemble_size(m) > 1) SF_CHECK_GOTO(coef_calibration(m, f, sp, Cte, Cpred, &fm->calib));
  SF_CHECK_GOTO(sf_model_net_predict(m, f, 0, sp->Dte, nte, Cpred, k, NULL, 0));
  SF_CHECK_GOTO(nrmse_of(comm, sp, pca, Cpred, X, nloc, R, &fm->per[0], &fm->mean, &fm->max));
  sf_linear_predict(*lin, sp->Dte, nte, 6, k, Cpred);
  SF_CHECK_GOTO(nrmse_of(comm, sp, pca, Cpred, X, nloc, R, &fm->per[2], &fm->lin_mean, &fm->lin_max));
  double s = 0;
  for (int j = 0; j < k; j++) s += pca->eig[j];
  fm->explained = pca->total_var > 0 ? s / pca->total_var : 1;
  sf_log(1, "  %-4s test NRMSE: mean %.4e max %.4e | PCA-only mean %.4e | linear mean %.4e\n", sf_field_names[f],
         fm->mean, fm->max, fm->pca_mean, fm->lin_mean);
cleanup:
  sf_free(X);
  sf_free(R);
  sf_free(Cte);
  sf_free(Cpred);
  return st;
}

/* Mean and largest Cartesian distance (Bohr; reduced units without a lattice) between
 * predicted and true positions, each taken to the nearest periodic image; per[i] the
 * mean over the atoms of sample i. */
static void xred_errors(const sf_dataset *ds, const int *idx, int n, const double *pred, double *mae, double *max,
                        double *per)
{
  const int na = ds->natom;
  double s = 0, mx = 0;
  for (int i = 0; i < n; i++) {
    per[i] = 0;
    const double *R = ds->rprimd ? ds->rprimd + 9 * (size_t)idx[i] : NULL;
    for (int a = 0; a < na; a++) {
      double d[3], c[3] = {0, 0, 0};
      for (int j = 0; j < 3; j++) {
        d[j] = pred[(size_t)i * 3 * na + 3 * a + j] - ds->xred[((size_t)idx[i] * na + a) * 3 + j];
        d[j] -= round(d[j]);
      }
      for (int k = 0; k < 3; k++)
        for (int j = 0; j < 3; j++) c[k] += d[j] * (R ? R[3 * j + k] : (j == k));
      double e = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
      s += e;
      per[i] += e / na;
      if (e > mx) mx = e;
    }
  }
  *mae = s / ((double)n * na);
  *max = mx;
}

/* Mean |σ_model − σ_DFT| over the test samples and the six Voigt components (NaN without
 * stresses, lattices or a reference cell). */
static int stress_error(const sf_dataset *ds, const int *ite, int nte, const sf_model *model, double *mae)
{
  static const int pair[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};
  *mae = NAN;
  if (!ds->stress || !ds->rprimd || !ds->have_ref || nte < 1) return SF_OK;
  double ref[3][3], s = 0;
  memcpy(ref, ds->ref_rprimd, sizeof ref);
  for (int i = 0; i < nte; i++) {
    double F, dF[6], lat[3][3], sig[3][3];
    memcpy(lat, ds->rprimd + 9 * (size_t)ite[i], sizeof lat);
    SF_CHECK(sf_model_dF_dD(model, ds->D + 6 * (size_t)ite[i], &F, dF));
    sf_cauchy_from_dF(ref, (const double(*)[3])lat, dF, sig);
    const double *t = ds->stress + 9 * (size_t)ite[i];
    for (int v = 0; v < 6; v++) s += fabs(sig[pair[v][0]][pair[v][1]] - t[3 * pair[v][0] + pair[v][1]]);
  }
  *mae = s / (6.0 * nte);
  return SF_OK;
}

/* Calibration of F and of the position components (reduced, nearest image) on the test set. */
static int scalar_calibration(const sf_train_split *sp, const sf_model *model, sf_scalar_metrics *sm)
{
  const sf_dataset *ds = sp->ds;
  const int m = 3 * ds->natom, nte = sp->nte;
  double *buf = NULL;
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&buf, 4 * ((size_t)nte * (m ? m : 1) + nte), sizeof *buf));
  double *F = buf, *Fs = F + nte, *x = Fs + nte, *xs = x + (size_t)nte * m, *e = xs + (size_t)nte * m;
  SF_CHECK_GOTO(sf_model_predict_std64(model, sp->Dte, nte, F, Fs, m ? x : NULL, m ? xs : NULL, NULL, NULL));
  for (int i = 0; i < nte; i++) e[i] = F[i] - ds->F[sp->ite[i]];
  sf_calibration_of(e, Fs, nte, &sm->calib_F);
  for (int i = 0; i < nte; i++)
    for (int j = 0; j < m; j++) {
      const double d = x[(size_t)i * m + j] - ds->xred[(size_t)sp->ite[i] * m + j];
      e[(size_t)i * m + j] = d - round(d);
    }
  if (m) sf_calibration_of(e, xs, nte * m, &sm->calib_x);
cleanup:
  sf_free(buf);
  return st;
}

int sf_train_scalar_metrics(const sf_train_split *sp, int ntr, const sf_model *model, const double *Xtr, double **linx,
                            const double *Ftr, double **linF, sf_scalar_metrics *sm)
{
  const sf_dataset *ds = sp->ds;
  const int m = 3 * ds->natom, nte = sp->nte;
  int st = SF_OK;
  double *pred = NULL;
  if (!nte) { /* no test set: the baselines only */
    if (m) SF_CHECK(sf_calloc((void **)linx, 7 * (size_t)m, sizeof(double)));
    if (m) SF_CHECK(sf_linear_fit(sp->Dtr, Xtr, ntr, 6, m, *linx));
    SF_CHECK(sf_calloc((void **)linF, 7, sizeof(double)));
    return sf_linear_fit(sp->Dtr, Ftr, ntr, 6, 1, *linF);
  }
  if (sf_model_ensemble_size(model) > 1) SF_CHECK_GOTO(scalar_calibration(sp, model, sm));
  SF_CHECK_GOTO(sf_calloc((void **)&pred, (size_t)nte * (m ? m : 1) + nte, sizeof *pred));
  for (int j = 0; j < 2; j++) {
    SF_CHECK_GOTO(sf_calloc((void **)&sm->F[j], nte, sizeof(double)));
    SF_CHECK_GOTO(sf_calloc((void **)&sm->x[j], nte, sizeof(double)));
  }
  if (m) {
    double dummy;
    SF_CHECK_GOTO(sf_calloc((void **)linx, 7 * (size_t)m, sizeof(double)));
    SF_CHECK_GOTO(sf_linear_fit(sp->Dtr, Xtr, ntr, 6, m, *linx));
    SF_CHECK_GOTO(sf_model_net_predict(model, SF_NFIELD, 0, sp->Dte, nte, pred, m, NULL, 0));
    xred_errors(ds, sp->ite, nte, pred, &sm->x_mae, &sm->x_max, sm->x[0]);
    sf_linear_predict(*linx, sp->Dte, nte, 6, m, pred);
    xred_errors(ds, sp->ite, nte, pred, &sm->x_lin_mae, &dummy, sm->x[1]);
  }
  SF_CHECK_GOTO(sf_calloc((void **)linF, 7, sizeof(double)));
  SF_CHECK_GOTO(sf_linear_fit(sp->Dtr, Ftr, ntr, 6, 1, *linF));
  SF_CHECK_GOTO(sf_model_net_predict(model, SF_NFIELD + 1, 0, sp->Dte, nte, sm->F[0], 1, NULL, 0));
  sf_linear_predict(*linF, sp->Dte, nte, 6, 1, sm->F[1]);
  double s = 0, mx = 0, sl = 0;
  for (int i = 0; i < nte; i++) {
    double e = fabs(sm->F[0][i] - ds->F[sp->ite[i]]);
    s += e;
    if (e > mx) mx = e;
    sl += fabs(sm->F[1][i] - ds->F[sp->ite[i]]);
  }
  sm->F_mae = 1e3 * s / nte;
  sm->F_max = 1e3 * mx;
  sm->F_lin_mae = 1e3 * sl / nte;
  sf_log(1, "  free energy test |error|: mean %.4f mHa, max %.4f mHa (linear mean %.4f mHa)\n", sm->F_mae, sm->F_max,
         sm->F_lin_mae);
  SF_CHECK_GOTO(stress_error(ds, sp->ite, nte, model, &sm->stress_mae));
  sm->stress_mae_GPa = SF_HA_BOHR3_GPA * sm->stress_mae;
  if (isfinite(sm->stress_mae))
    sf_log(1, "  stress test |error|: mean %.4e Ha/Bohr^3 = %.4f GPa (energy network, eq. 13)\n", sm->stress_mae,
           sm->stress_mae_GPa);
  sf_log(1, "  positions test error: mean %.5f Bohr, max %.5f Bohr (linear mean %.5f Bohr)%s\n", sm->x_mae, sm->x_max,
         sm->x_lin_mae, ds->rprimd ? "" : " [no lattice in dataset: reduced units]");
cleanup:
  sf_free(pred);
  return st;
}

/* The metrics' JSON keys, in the order of the file. */
static const struct {
  const char *key;
  size_t offset;
} field_keys[] = {{"mean", offsetof(sf_field_metrics, mean)},
                  {"max", offsetof(sf_field_metrics, max)},
                  {"pca_mean", offsetof(sf_field_metrics, pca_mean)},
                  {"pca_max", offsetof(sf_field_metrics, pca_max)},
                  {"linear_mean", offsetof(sf_field_metrics, lin_mean)},
                  {"linear_max", offsetof(sf_field_metrics, lin_max)},
                  {"explained_variance", offsetof(sf_field_metrics, explained)}},
  scalar_keys[] = {{"free_energy_mae_mHa", offsetof(sf_scalar_metrics, F_mae)},
                   {"free_energy_max_mHa", offsetof(sf_scalar_metrics, F_max)},
                   {"free_energy_linear_mae_mHa", offsetof(sf_scalar_metrics, F_lin_mae)},
                   {"xred_mae_bohr", offsetof(sf_scalar_metrics, x_mae)},
                   {"xred_max_bohr", offsetof(sf_scalar_metrics, x_max)},
                   {"xred_linear_mae_bohr", offsetof(sf_scalar_metrics, x_lin_mae)},
                   {"stress_mae", offsetof(sf_scalar_metrics, stress_mae)},
                   {"stress_mae_GPa", offsetof(sf_scalar_metrics, stress_mae_GPa)}};

static cJSON *field_json(const sf_field_metrics *fm, int k)
{
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; i < sizeof field_keys / sizeof field_keys[0]; i++)
    cJSON_AddNumberToObject(o, field_keys[i].key, *(const double *)((const char *)fm + field_keys[i].offset));
  cJSON_AddNumberToObject(o, "ncomp", k);
  return o;
}

static cJSON *arch_json(const sf_mlp *m) { return cJSON_CreateIntArray(m->width, m->nlayer + 1); }

void sf_train_metrics_json(cJSON *res, const sf_model *m, const sf_field_metrics *fm, const sf_scalar_metrics *sm,
                           int ntr, const double time_s[3])
{
  cJSON *nr = cJSON_AddObjectToObject(res, "nrmse");
  for (int f = 0; f < SF_NFIELD; f++) cJSON_AddItemToObject(nr, sf_field_names[f], field_json(&fm[f], m->pca[f].k));
  for (size_t i = 0; i < sizeof scalar_keys / sizeof scalar_keys[0]; i++)
    cJSON_AddNumberToObject(res, scalar_keys[i].key, *(const double *)((const char *)sm + scalar_keys[i].offset));
  cJSON_AddNumberToObject(res, "ntrain_used", ntr);
  cJSON *tj = cJSON_AddObjectToObject(res, "time_s");
  cJSON_AddNumberToObject(tj, "pca", time_s[0]);
  cJSON_AddNumberToObject(tj, "networks", time_s[1]);
  cJSON_AddNumberToObject(tj, "total", time_s[2]);
  cJSON *aj = cJSON_AddObjectToObject(res, "architecture");
  for (int f = 0; f < SF_NFIELD; f++) cJSON_AddItemToObject(aj, sf_train_net_names[f], arch_json(&m->net_field[f]));
  cJSON_AddItemToObject(aj, "xred", arch_json(&m->net_xred));
  cJSON_AddItemToObject(aj, "energy", arch_json(&m->net_energy));
  if (sf_model_ensemble_size(m) < 2) return;
  cJSON *ej = cJSON_AddObjectToObject(res, "ensemble"), *cj = cJSON_CreateObject();
  cJSON_AddNumberToObject(ej, "K", sf_model_ensemble_size(m));
  cJSON *sj = cJSON_AddObjectToObject(ej, "std_scale");
  for (int i = 0; i < SF_NNET; i++) cJSON_AddNumberToObject(sj, sf_train_net_names[i], sf_model_std_scale(m, i));
  cJSON_AddItemToObject(ej, "calibration", cj);
  cJSON_AddItemToObject(cj, "free_energy", sf_calibration_json(&sm->calib_F));
  sf_calibration_log("free energy", &sm->calib_F);
  if (sm->calib_x.n) {
    cJSON_AddItemToObject(cj, "xred", sf_calibration_json(&sm->calib_x));
    sf_calibration_log("positions (components)", &sm->calib_x);
  }
  cJSON *fj = cJSON_AddObjectToObject(cj, "fields");
  for (int f = 0; f < SF_NFIELD; f++) {
    char what[64];
    snprintf(what, sizeof what, "%s (leading coefs)", sf_field_names[f]);
    cJSON_AddItemToObject(fj, sf_field_names[f], sf_calibration_json(&fm[f].calib));
    sf_calibration_log(what, &fm[f].calib);
  }
}

/* V / V0 - 1 of sample i (NaN without the lattices). */
static double volumetric_strain(const sf_dataset *ds, int i)
{
  if (!ds->rprimd || !ds->have_ref) return NAN;
  const double *a = ds->rprimd + 9 * (size_t)i, *r = ds->ref_rprimd;
  const double V = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const double V0 = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6]);
  return fabs(V) / fabs(V0) - 1;
}

void sf_train_test_samples_json(cJSON *res, const sf_train_split *sp, const sf_field_metrics *fm,
                                const sf_scalar_metrics *sm)
{
  static const char *kinds[3] = {"network", "pca", "linear"};
  const int n = sp->nte;
  cJSON *t = cJSON_AddObjectToObject(res, "test_samples");
  cJSON_AddItemToObject(t, "index", cJSON_CreateIntArray(sp->ite, n));
  cJSON *D = cJSON_AddArrayToObject(t, "D"), *vs = cJSON_AddArrayToObject(t, "volumetric_strain");
  cJSON *Fd = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    cJSON_AddItemToArray(D, cJSON_CreateDoubleArray(sp->Dte + 6 * i, 6));
    const double v = volumetric_strain(sp->ds, sp->ite[i]);
    cJSON_AddItemToArray(vs, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
    cJSON_AddItemToArray(Fd, cJSON_CreateNumber(sp->ds->F[sp->ite[i]]));
  }
  cJSON *nr = cJSON_AddObjectToObject(t, "nrmse");
  for (int f = 0; f < SF_NFIELD; f++) {
    cJSON *o = cJSON_AddObjectToObject(nr, sf_field_names[f]);
    for (int j = 0; j < 3; j++) cJSON_AddItemToObject(o, kinds[j], cJSON_CreateDoubleArray(fm[f].per[j], n));
  }
  cJSON *F = cJSON_AddObjectToObject(t, "free_energy");
  cJSON_AddItemToObject(F, "dataset", Fd);
  cJSON_AddItemToObject(F, "network", cJSON_CreateDoubleArray(sm->F[0], n));
  cJSON_AddItemToObject(F, "linear", cJSON_CreateDoubleArray(sm->F[1], n));
  if (sp->ds->natom) {
    cJSON *x = cJSON_AddObjectToObject(t, "xred_error_bohr");
    cJSON_AddItemToObject(x, "network", cJSON_CreateDoubleArray(sm->x[0], n));
    cJSON_AddItemToObject(x, "linear", cJSON_CreateDoubleArray(sm->x[1], n));
  }
}
