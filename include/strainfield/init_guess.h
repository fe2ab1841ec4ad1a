/* init_guess.h — where a warm-started `scf` / `relax` takes its start from
 * (src/analysis/init_guess.c): a valence density read from a fields file (of scf/relax's
 * -fields, of predict's fields file) or from one sample of a dataset (`data.h5:17`,
 * 0-based), or the density and relaxed positions a trained model predicts at a cell's
 * strain D (from the cell and the model's reference lattice).  Layer analysis: it joins
 * the model (ml) and the cell (crystal); the options are app's (src/app/cmd_scf.c), the
 * start itself is the SCF's (sf_scf_set_density).  Every refusal is SF_ERR_INPUT or
 * SF_ERR_FILE with one line naming the option (-init_density, -init_model). */
#ifndef STRAINFIELD_INIT_GUESS_H
#define STRAINFIELD_INIT_GUESS_H

#include <mpi.h>

#include "strainfield/crystal.h"
#include "strainfield/ml.h"

/* -init_density SPEC: SPEC is FILE or FILE:INDEX.  FILE holds /rho (n1×n2×n3, scf and
 * relax -fields) or /fields/rho (N×n1×n2×n3, a dataset or predict's fields file; INDEX
 * picks the sample, required when N > 1; a dataset sample must have status 1).  The grid
 * must be ngfft.  Rank 0 reads; the ranks of comm agree on the outcome, then rho
 * (nfft, allocated by the caller) is broadcast.  Collective. */
int sf_init_density_read(MPI_Comm comm, const char *spec, const int ngfft[3], double *rho);

/* -init_model PATH: the model's density at the strain D of `cell` (D from cell->rprimd and
 * the model's reference lattice) into rho (nfft) and its relaxed positions into xred
 * (natom × 3, may be NULL); refused when the model has no reference lattice, another atom
 * count or another grid than ngfft, or when D is no cell.  D is returned (may be NULL).
 * Rank 0 reads the model; agreed and broadcast as above.  Collective. */
int sf_init_model_guess(MPI_Comm comm, const char *path, const sf_cell *cell, const int ngfft[3], double *rho,
                        double (*xred)[3], double D[6]);

/* The checks of -init_model on a model in memory (path names it in messages): a reference
 * lattice, natom atoms, the grid ngfft. */
int sf_init_model_check(const sf_model *m, const char *path, int natom, const int ngfft[3]);
/* The model's density (rho, the grid's nfft) and relaxed positions (xred, natom × 3) at
 * strain D, rank-locally (an accelerated campaign's start of each sample). */
int sf_init_model_predict(const sf_model *m, const double D[6], double *rho, double *xred);

#endif
