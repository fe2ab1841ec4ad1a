/* train_internal.h — shared by the two halves of the training workflow: train_workflow.c
 * (the split, the PCA and targets of each network, the training) and train_metrics.c (the
 * linear baselines and the test-set metrics, paper eq. 12, and their JSON). */
#ifndef STRAINFIELD_ANALYSIS_TRAIN_INTERNAL_H
#define STRAINFIELD_ANALYSIS_TRAIN_INTERNAL_H

#include "strainfield/training.h"

#include <cjson/cJSON.h>

/* The samples of a run: first ntrain train, last ntest test, failed ones skipped. */
typedef struct {
  const sf_dataset *ds;
  const int *itr, *ite;
  int ntr, nte;
  double *Dtr, *Dte; /* their strains, ntr × 6 and nte × 6 */
} sf_train_split;

/* How well the spread std predicts |err| over n numbers. */
typedef struct {
  double within1, within2, spearman; /* fractions of |err| ≤ σ, ≤ 2σ; rank correlation */
  int n;
} sf_calibration;

/* The split (train_workflow.c; also evaluate's -samples test): first c->ntrain usable
 * samples train, last c->ntest test (0: a third), failed or missing ones skipped (*nskip);
 * c->ntrain / c->ntest are set to the counts asked for; *itr and *ite allocated here. */
int sf_train_make_split(const sf_dataset *ds, sf_train_cfg *c, int **itr, int **ite, int *ntr, int *nte, int *nskip);
/* Per-sample NRMSE (paper eq. 12: RMS error over the range of the true field) of n fields
 * distributed over comm, nloc points here of npt in all (pred, truth: n × nloc). */
int sf_train_nrmse(MPI_Comm comm, const double *pred, const double *truth, int n, long nloc, long npt, double *out);
void sf_train_mean_max(const double *v, int n, double *mean, double *max);
/* The test metrics of a field; per[0..2] (allocated, nte each): every test sample's NRMSE
 * of the network, the PCA alone and the linear baseline (the summary's test_samples). */
typedef struct {
  double mean, max, pca_mean, pca_max, lin_mean, lin_max, explained;
  double *per[3];
  sf_calibration calib; /* ensembles only (calib.n 0 otherwise) */
} sf_field_metrics;
#define SF_CALIB_NCOEF 4

/* The same for F and xred; F[0..1] every test sample's F (Ha) by the network and the
 * linear baseline, x[0..1] its position error (Bohr, mean over atoms) by each. */
/* stress_mae: the energy network's Cauchy stress (eq. 13 at the sample's cell) against the
 * sample's DFT stress, mean |Δσ| over the test samples and the six Voigt components,
 * Ha/Bohr³ (and GPa); NaN when the dataset has no stress or reference lattice. */
typedef struct {
  double F_mae, F_max, F_lin_mae, x_mae, x_max, x_lin_mae, stress_mae, stress_mae_GPa;
  double *F[2], *x[2];
  sf_calibration calib_F, calib_x; /* ensembles only: F, and the 3·natom position components */
} sf_scalar_metrics;
void sf_train_metrics_free(sf_field_metrics fm[SF_NFIELD], sf_scalar_metrics *sm);

/* This rank's grid planes [pl0, pl0 + npl) of the distributed fields; returns their points. */
long sf_train_my_planes(MPI_Comm comm, const sf_dataset *ds, int *pl0, int *npl);

/* Linear baseline (*lin, allocated) of field f from the training coefficients Ctr of the
 * first ntr samples, and the test-set metrics of the trained network (model m's PCA and
 * network of field f; an ensemble's mean, and its calibration on the leading
 * SF_CALIB_NCOEF coefficients).  Collective. */
int sf_train_field_metrics(MPI_Comm comm, const sf_train_split *sp, int f, int ntr, const sf_model *m,
                           const double *Ctr, double **lin, sf_field_metrics *fm);
/* Linear baselines (*linx when there are atoms, *linF) from the training targets Xtr
 * (unwrapped xred) and Ftr, and the test errors of the xred and energy networks. */
int sf_train_scalar_metrics(const sf_train_split *sp, int ntr, const sf_model *m, const double *Xtr, double **linx,
                            const double *Ftr, double **linF, sf_scalar_metrics *sm);
/* ---- ensembles (train_ensemble.c) ---- */
/* The networks one training trains side by side: the model's networks (netid: 0..3 the
 * fields, 4 xred, 5 energy), then their other ensemble members. */
typedef struct {
  int n;
  sf_mlp *nets[SF_TRAIN_MAXJOBS];
  const double *Y[SF_TRAIN_MAXJOBS];
  const char *lab[SF_TRAIN_MAXJOBS];
  sf_train_params tp[SF_TRAIN_MAXJOBS];
  int netid[SF_TRAIN_MAXJOBS];
  const double *base_weight[SF_TRAIN_MAXJOBS]; /* a network's own per-sample weights */
  double *wbuf[SF_TRAIN_MAXJOBS];              /* bootstrap weights (owned) */
  char labbuf[SF_TRAIN_MAXJOBS][32];
} sf_train_jobs;
/* Adds members 1..K-1 of the j->n model networks (room made in m), and under
 * -ensemble_bootstrap the resample weights of every member. */
int sf_train_jobs_add_members(const sf_train_cfg *c, sf_model *m, int K, int ntr, sf_train_jobs *j);
void sf_train_jobs_free(sf_train_jobs *j);
/* After training, under -ensemble_bootstrap: each network's spread scale from the
 * out-of-bag errors of the training samples (m->std_scale; 1 without bootstrap). */
int sf_train_ensemble_scale(const sf_train_jobs *j, sf_model *m, const double *Dtr, int ntr);
void sf_calibration_of(const double *err, const double *std, int n, sf_calibration *out);
double sf_spearman(const double *x, const double *y, int n);
cJSON *sf_calibration_json(const sf_calibration *c);
void sf_calibration_log(const char *what, const sf_calibration *c);

/* The metrics of one pipeline into res: nrmse, energy and position errors, times and the
 * architectures of the model's networks. */
void sf_train_metrics_json(cJSON *res, const sf_model *m, const sf_field_metrics *fm, const sf_scalar_metrics *sm,
                           int ntr, const double time_s[3]);
/* Every test sample's numbers into res.test_samples (the final model's, not the learning
 * curve's): index, D, volumetric strain, the per-sample arrays of fm and sm. */
void sf_train_test_samples_json(cJSON *res, const sf_train_split *sp, const sf_field_metrics *fm,
                                const sf_scalar_metrics *sm);

#endif
