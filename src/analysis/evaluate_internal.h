/* evaluate_internal.h — shared by evaluate.c (samples, routes, reduction, JSON) and
 * evaluate_sum.c (the sum route of one sample from its fields and positions). */
#ifndef STRAINFIELD_ANALYSIS_EVALUATE_INTERNAL_H
#define STRAINFIELD_ANALYSIS_EVALUATE_INTERNAL_H
#include "strainfield/evaluate.h"
#include "strainfield/pseudo.h"
#include "strainfield/pw.h"
#include "strainfield/terms.h"
#include "strainfield/xc.h"

#define SF_EVAL_MAXTYPAT 8
/* What the campaign's settings fix for every sample: cutoff, smearing, xc, pseudopotentials,
 * the FFT box of the dataset's grid. */
typedef struct {
  double ecut, tsmear;
  int ntypat, npsp, *typat; /* typat [natom], 0-based */
  double znucl[SF_EVAL_MAXTYPAT];
  sf_psp psps[SF_EVAL_MAXTYPAT];
  sf_xc *xc;
  sf_fftbox box;
  int have_box;
} sf_eval_geometry;
/* The term-table energies the sum route uses (terms.h ids), in the order they are reported. */
enum { SF_EVAL_NTERM = 4 };
static const int sf_eval_sum_terms[SF_EVAL_NTERM] = {SF_TERM_HARTREE, SF_TERM_XC, SF_TERM_EWALD, SF_TERM_PSP_CORE};
/* The sum route (Ha): F = band − E_H − vxc_rho + E_xc + E_Ewald + E_psp_core + entropy, with
 * term[] indexed by SF_TERM_* (only the sf_eval_sum_terms entries are set). */
typedef struct {
  double term[SF_NTERM];
  double band, vxc_rho, entropy, free;
} sf_eval_terms;
/* From the dataset's recorded campaign options (reads the pseudopotentials). */
int sf_eval_geometry_open(const sf_dataset *ds, sf_eval_geometry *g);
void sf_eval_geometry_free(sf_eval_geometry *g);
/* The sum route for lattice rprimd (rows), positions xred [natom][3] and the fields ρ, u, s
 * (φ unused) on the dataset's grid. */
int sf_eval_sum_route(sf_eval_geometry *g, int natom, const double rprimd[9], const double *xred,
                      const double *const field[SF_NFIELD], sf_eval_terms *out);
#endif
