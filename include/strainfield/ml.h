/* ml.h — the learning stage's numerics: the model
 * (PCA bases, networks, scalers, linear baselines, provenance), its HDF5 file
 * (docs/model.md) and its evaluation.  Layer ml: depends on core (and io's file helpers)
 * only; the workflows that use a model (training, prediction, stress paths) are in
 * analysis/ (training.h, predict.h, stresspath.h), the commands in app/.
 *
 * The fields and their names come from fields.h (the field half of the dataset schema,
 * owned by data/); the dataset reader (sf_dataset) is data/'s, in dataset.h.
 */
#ifndef STRAINFIELD_ML_H
#define STRAINFIELD_ML_H

#include "strainfield/fields.h"
#include "strainfield/mlp.h"
#include "strainfield/pca.h"

#include <mpi.h>


/* The most members an ensemble may have (train -ensemble, a model file's "ensemble"). */
#define SF_MODEL_MAXENS 16

typedef struct {
  int natom, ngrid[3];
  long npt;
  int ncomp[SF_NFIELD];
  sf_pca pca[SF_NFIELD];        /* after sf_model_read: full grid on every rank */
  float *basis32[SF_NFIELD];    /* single-precision copy of the bases for fast reconstruction */
  sf_mlp net_field[SF_NFIELD];  /* D → PCA coefficients of each field */
  sf_mlp net_xred;              /* D → xred (3·natom) */
  sf_mlp net_energy;            /* D → free energy */
  /* An ensemble (train -ensemble K, docs/model.md): net_field, net_xred and net_energy
   * are member 0; member[i] holds members 1..K-1 of network i (the fields, xred, energy:
   * sf_model_net).  nens 0 or 1: one network each, as before ensembles. */
  int nens;                     /* at most SF_MODEL_MAXENS */
  sf_mlp *member[SF_NFIELD + 2];
  sf_mlp32 *member32[SF_NFIELD + 2]; /* their float32 copies (sf_model_prepare_fast) */
  double std_scale[SF_NFIELD + 2];   /* every spread of network i is multiplied by this: the
                                        out-of-bag calibration of train -ensemble_bootstrap
                                        (1 otherwise; 0 read as 1) */
  double *lin_field[SF_NFIELD], *lin_xred, *lin_energy; /* linear baselines, 7 × nout */
  double ref_rprimd[9];
  int have_ref;
  /* prediction copies made by sf_model_read (sf_model_prepare_fast); absent in a model
   * being trained, where sf_model_predict falls back to float64 */
  int have_fast;
  sf_mlp32 fast_field[SF_NFIELD], fast_xred, fast_energy;
  float *ws32;                  /* network workspace (SF_MLP32_CHUNK rows), 64-byte aligned */
  float *rec32;                 /* npt floats: reconstruction scratch */
  char dataset_checksum[17];
  char *dataset_settings;       /* JSON text */
  char *options_json;           /* JSON text of the train options */
  char *metrics_json;           /* JSON text of the metrics (may be NULL) */
} sf_model;

/* Writes the model; the PCA bases may be distributed over comm (gathered plane by plane
 * to rank 0, which writes).  Collective. */
int sf_model_write(MPI_Comm comm, const char *path, const sf_model *m);
int sf_model_read(const char *path, sf_model *m);
void sf_model_free(sf_model *m);
/* For n strains D (n × 6): F (n), xred (n × 3·natom), coef (n × Σ ncomp, fields in order);
 * any output may be NULL.  With an ensemble: the mean over the members (K = 1: the one
 * network's numbers, bitwise as before ensembles). */
int sf_model_predict(const sf_model *m, const double *D, int n, double *F, double *xred, double *coef);
/* The same in float64 through the training networks (reference for the float32 path). */
int sf_model_predict64(const sf_model *m, const double *D, int n, double *F, double *xred, double *coef);
/* Makes the float32 network copies and the prediction workspaces (sf_model_read calls
 * it).  After it, sf_model_predict uses float32 weights (≈1e-7 relative to the output
 * scale) and never allocates; it is then not thread-safe on one model (shared scratch). */
int sf_model_prepare_fast(sf_model *m);
/* Field f on the full grid from its coefficients (one sample); single-precision basis,
 * float64 mean.  Uses the model's scratch: not thread-safe on one model. */
void sf_model_reconstruct(const sf_model *m, int f, const double *coef, double *field);
/* All four fields of one sample: coef (Σ ncomp, fields in order) → fields (4 × npt). */
void sf_model_reconstruct_all(const sf_model *m, const double *coef, double *fields);
/* ∂F/∂D (6) at one D by back-propagation through the energy network (Appendix B); with
 * an ensemble the members' mean (F too, float64). */
int sf_model_dF_dD(const sf_model *m, const double D[6], double *F, double dF[6]);
/* F, ∂F/∂D and the exact ∂²F/∂D_i∂D_j (d2F, 6 × 6 row-major, symmetric) at one D
 * through the float64 energy network (sf_mlp_hessian); F and dF may be NULL.  Units: Ha
 * per unit stretch and per degree, as ∂F/∂D. */
int sf_model_d2F_dD2(const sf_model *m, const double D[6], double *F, double dF[6], double d2F[36]);

/* ---- ensembles (src/ml/ensemble.c).  The spread of the members is their SAMPLE
 * standard deviation, sqrt(Σ_k (y_k − ȳ)² / (K − 1)); 0 when K = 1. ---- */
/* K, the members of every network (1 without an ensemble). */
int sf_model_ensemble_size(const sf_model *m);
/* The calibration factor of network i's spread (std_scale; 1 when not set). */
double sf_model_std_scale(const sf_model *m, int i);
/* Member k (0..K-1) of network i (0..SF_NFIELD-1 the fields, SF_NFIELD xred, SF_NFIELD+1
 * energy). */
sf_mlp *sf_model_net(const sf_model *m, int i, int k);
/* Makes room for K members of every network (members 1..K-1 zeroed, to be created). */
int sf_model_set_ensemble(sf_model *m, int K);
/* Network i's outputs for n strains: the members' mean (row j at mean + j·ldm) and, when
 * std is not NULL, their spread (row j at std + j·lds); float32 copies when fast and the
 * model has them, else float64.  K = 1: exactly the one network's outputs. */
int sf_model_net_predict(const sf_model *m, int i, int fast, const double *D, int n, double *mean, int ldm,
                         double *std, int lds);
/* sf_model_predict with the spreads (Fstd n, xstd n × 3·natom, cstd n × Σ ncomp); any
 * output may be NULL.  The entry point for an ensemble's mean and uncertainty at n strains. */
int sf_model_predict_std(const sf_model *m, const double *D, int n, double *F, double *Fstd, double *xred,
                         double *xstd, double *coef, double *cstd);
/* The same through the float64 networks (training's metrics, reference for the fast path). */
int sf_model_predict_std64(const sf_model *m, const double *D, int n, double *F, double *Fstd, double *xred,
                           double *xstd, double *coef, double *cstd);
/* Member k alone (float32 when the model has the copies): F, xred, coef as sf_model_predict. */
int sf_model_member_predict(const sf_model *m, int k, const double *D, int n, double *F, double *xred, double *coef);
/* ∂F/∂D at one D: the members' mean and spread (F, Fstd, dFstd may be NULL). */
int sf_model_dF_dD_std(const sf_model *m, const double D[6], double *F, double dF[6], double *Fstd, double dFstd[6]);

#endif
