/* evaluate.h — `strainfield evaluate` (src/analysis/evaluate*.c): a trained model measured
 * against the DFT samples of its dataset, the energy computed by several routes from the
 * predicted fields (issue 12; the paper's Figures 3 and 7), and the model used back in DFT.
 *
 * Owns: the choice of samples (the model's test split, all, a range, or a strain list whose
 * references are relaxed with the campaign's settings), their sharing
 * over sample groups (as generate's), and per sample the routes
 *   direct   the energy network;
 *   sum      paper eq. 20-21, U − E_H − ∫V_xc ρ + E_xc + E_Ewald + E_psp_core − T∫s from
 *            the predicted ρ, u, s and positions (the density terms through ham.h's table);
 *   orbital  H[ρ] at the predicted positions diagonalised once to convergence: kinetic,
 *            nonlocal and entropy from the orbitals, the density terms from ρ (the paper);
 *   harris   the Harris-Foulkes functional on the same orbitals;
 *   scf      the Kohn-Sham energy of those orbitals with their own density (one SCF step)
 * (scf.h, sf_scf_nsc_energies); the U and −TS errors; the network's field NRMSE and that of
 * the orbital-route fields ρ, u, s; the DFT forces at the predicted positions
 * (-residual_forces); cold and warm relaxations (-warm_start); the JSON of it all
 * (docs/formats.md, "evaluate summary").  Layer analysis; the command's options, the
 * replay of the campaign's options and the printing are app's (src/app/cmd_evaluate.c). */
#ifndef STRAINFIELD_EVALUATE_H
#define STRAINFIELD_EVALUATE_H
#include "strainfield/dataset.h"
#include "strainfield/ml.h"
#include "strainfield/relax.h"
#include <cjson/cJSON.h>
#include <mpi.h>

enum { SF_ROUTE_DIRECT, SF_ROUTE_SUM, SF_ROUTE_ORBITAL, SF_ROUTE_HARRIS, SF_ROUTE_SCF, SF_NROUTE };
extern const char *const sf_route_names[SF_NROUTE];

/* The dataset's campaign, as generate ran it: what the DFT of every route recomputes with. */
typedef struct {
  const sf_cell *ref_cell; /* the reference cell, atoms at the campaign's start positions */
  const sf_psp *psps;      /* one per type (their md5 must be the campaign's) */
  sf_scf_params scf;       /* ngfft: the dataset's grid */
  sf_relax_params relax;   /* -warm_start's relaxations (tolmxf: the campaign's or -tolmxf) */
} sf_evaluate_campaign;

typedef struct {
  const char *samples;    /* "test", "all" or "FIRST-LAST" (0-based, inclusive) */
  int route[SF_NROUTE];   /* 1 = computed */
  int use_dataset;        /* check: the sample's own DFT fields and positions replace the prediction */
  int warm_start;         /* relax each sample cold and warm, compare */
  int residual_forces;    /* SCF at the predicted positions: the DFT forces there */
  const sf_evaluate_campaign *campaign;
  const double *strains;  /* a strain list (D, 6 per strain) instead of dataset samples: each
                           * strain's reference is relaxed here with the campaign's settings */
  int nstrains;
} sf_evaluate_cfg;

/* 1 when c needs DFT of the samples (routes orbital, harris, scf, -warm_start, -residual_forces). */
int sf_evaluate_needs_dft(const sf_evaluate_cfg *c);
/* The dataset indices selected by spec (*idx malloc'd by sf_calloc, caller frees), with
 * the count of selected samples skipped as failed or missing; SF_ERR_INPUT naming
 * -samples for a bad spec. */
int sf_evaluate_select(const sf_model *m, const sf_dataset *ds, const char *spec, int **idx, int *n, int *nskip);
/* Collective over comm: every route of c on the selected samples, into root (nsamples,
 * skipped, routes, band_energy, entropy_energy, fields, residual_forces, warm_start,
 * cost).  Sample groups share the samples; every rank ends with the same root. */
int sf_evaluate_run(MPI_Comm comm, const sf_model *m, const sf_dataset *ds, const sf_evaluate_cfg *c, cJSON *root);
#endif
