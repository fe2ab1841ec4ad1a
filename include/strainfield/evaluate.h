/* evaluate.h — `strainfield evaluate` (src/analysis/evaluate*.c): a trained model measured
 * against the DFT samples of its dataset, the energy computed by several routes from the
 * predicted fields (issue 12; the paper's Figures 3 and 7).
 *
 * Owns: the choice of samples (the model's test split, all, or a range), their sharing
 * over sample groups, the routes `direct` (the energy network) and `sum` (paper eq. 20-21:
 * U − E_H − ∫V_xc ρ + E_xc + E_Ewald + E_psp_core − T∫s from the predicted ρ, u, s and
 * positions, the density terms through the term table of ham.h), the U and −TS errors,
 * the network's field NRMSE, and the JSON of it all (docs/formats.md).  Layer analysis;
 * the command's options and printing are app's (src/app/cmd_evaluate.c). */
#ifndef STRAINFIELD_EVALUATE_H
#define STRAINFIELD_EVALUATE_H
#include "strainfield/dataset.h"
#include "strainfield/ml.h"
#include <cjson/cJSON.h>
#include <mpi.h>

enum { SF_ROUTE_DIRECT, SF_ROUTE_SUM, SF_NROUTE };
extern const char *const sf_route_names[SF_NROUTE];

typedef struct {
  const char *samples;    /* "test", "all" or "FIRST-LAST" (0-based, inclusive) */
  int route[SF_NROUTE];   /* 1 = computed */
  int use_dataset;        /* check: the sample's own DFT fields and positions replace the prediction */
} sf_evaluate_cfg;

/* The dataset indices selected by spec (*idx malloc'd by sf_calloc, caller frees), with
 * the count of selected samples skipped as failed or missing; SF_ERR_INPUT naming
 * -samples for a bad spec. */
int sf_evaluate_select(const sf_model *m, const sf_dataset *ds, const char *spec, int **idx, int *n, int *nskip);
/* Collective over comm: every route of c on the selected samples, into root (nsamples,
 * skipped, routes, band_energy, entropy_energy, fields).  Sample groups share the samples;
 * every rank ends with the same root. */
int sf_evaluate_run(MPI_Comm comm, const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c, cJSON *root);
#endif
