/* predict.h — what a trained model says at given strains (src/analysis/predict*.c): F,
 * relaxed xred, ∂F/∂D and the PCA coefficients of many strains, the checks that a strain
 * is a cell and lies in the training box, the fields file and the XSF and cube files of
 * the predicted fields, the check that a dataset is the model's, and the -bench timings.  Layer
 * analysis: the command's options and printing are app's (src/app/cmd_predict.c). */
#ifndef STRAINFIELD_PREDICT_H
#define STRAINFIELD_PREDICT_H

#include "strainfield/dataset.h"
#include "strainfield/ml.h"

#include <cjson/cJSON.h>

/* Everything predict reports for n strains. */
typedef struct {
  double *F;    /* [n] free energy, Ha */
  double *x;    /* [n][3 natom] xred */
  double *dF;   /* [n][6] ∂F/∂D */
  double *coef; /* [n][Σ ncomp] PCA coefficients, fields in order */
  /* an ensemble's spreads (the members' standard deviation; NULL for one member) */
  double *Fstd, *xstd, *dFstd, *cstd;
  int fields_std; /* -fields_std: the fields file adds /fields_std (sf_predict_write_fields) */
} sf_predictions;

/* Allocates and fills p for the n strains D (n × 6); on failure p holds nothing. */
int sf_predict_all(const sf_model *m, const double *D, int n, sf_predictions *p);
void sf_predictions_free(sf_predictions *p);

/* Why D is not a cell (NULL when it is one): the model would still return numbers. */
const char *sf_predict_invalid_strain(const double D[6]);
/* Strains outside the box the training campaign sampled (its -sample_lambda_range and
 * -sample_theta_range, into box: λ lo, hi, θ lo, hi): the networks extrapolate there.
 * Returns how many; 0 when the campaign listed its strains in a file (no box). */
int sf_predict_count_outside(const sf_model *m, const double *D, int n, double box[4]);

/* SF_ERR_INPUT with a message if the dataset is not the one the model was trained on
 * (checksum) or has another grid or atom count. */
int sf_model_check_dataset(const sf_model *m, const sf_dataset *ds);

/* BLAS threads used while reconstructing fields (1: single-threaded, the default); the
 * networks always run on one thread (tiny GEMVs: thread wake-up costs more). */
void sf_predict_set_reconstruct_threads(int n);

/* The fields file (D, F, xred, dF/dD, coefficients, the four fields; docs/model.md) of
 * n strains with their predictions p; written to PATH.tmp, then renamed.  With an
 * ensemble also the spreads (*_std) and, when p->fields_std, /fields_std: per field and
 * strain the standard deviation over the members of the reconstructed field at every
 * grid point (times the network's std_scale). */
int sf_predict_write_fields(const char *path, const sf_model *m, const double *D, int n, const sf_predictions *p);
/* The same, predicting first. */
int sf_predict_fields_file(const char *path, const sf_model *m, const double *D, int n);
/* The xsf and/or cube files (formats: SF_GRID_* bits, gridfile.h) of the four fields of
 * the n strains D with their predictions p, named after the -fields path (sf_grid_file_name;
 * with the strain's index when n > 1), on the cell of each strain with the predicted
 * positions; atoms of atomic number znucl, or (0) the training campaign's znucl and typat.
 * Needs the model's reference lattice. */
int sf_predict_write_grid_files(const char *path, int formats, const sf_model *m, const double *D, int n,
                                const sf_predictions *p, int znucl);

/* -bench: latencies of single and batched prediction, ∂F/∂D and field reconstruction,
 * and the float32-vs-float64 agreement, into root's "timing" object and the log. */
int sf_predict_bench(const sf_model *m, cJSON *root, int rec_threads);

#endif
