/* evaluate_internal.h — shared by evaluate.c (samples, routes, reduction), evaluate_json.c
 * (the summary), evaluate_sum.c (the sum route of one sample from its fields and
 * positions) and evaluate_dft.c (the routes and checks that run DFT on one sample). */
#ifndef STRAINFIELD_ANALYSIS_EVALUATE_INTERNAL_H
#define STRAINFIELD_ANALYSIS_EVALUATE_INTERNAL_H
#include "strainfield/evaluate.h"
#include "strainfield/scf.h"
#include "strainfield/pseudo.h"
#include "strainfield/pw.h"
#include "strainfield/terms.h"
#include "strainfield/xc.h"

/* What the campaign's settings fix for every sample of the sum route: the campaign
 * (cutoff, smearing, pseudopotentials, atom types), its xc functional, the FFT box of the
 * dataset's grid. */
typedef struct {
  const sf_evaluate_campaign *cp;
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
/* For campaign cp of dataset ds: refuses pseudopotentials whose md5 is not the one the
 * campaign recorded. */
int sf_eval_geometry_open(const sf_dataset *ds, const sf_evaluate_campaign *cp, sf_eval_geometry *g);
void sf_eval_geometry_free(sf_eval_geometry *g);
/* The sum route for lattice rprimd (rows), positions xred [natom][3] and the fields ρ, u, s
 * (φ unused) on the dataset's grid. */
int sf_eval_sum_route(sf_eval_geometry *g, const double rprimd[9], const double *xred,
                      const double *const field[SF_NFIELD], sf_eval_terms *out);
/* One selected sample's results: a row of NV values, reduced over the ranks by a sum (the
 * leader of the sample's group writes it, every other rank holds zeros). */
enum {
  V_F_REF,                        /* the dataset's F */
  V_F,                            /* F of each route: V_F + SF_ROUTE_* */
  V_U = V_F + SF_NROUTE, V_U_REF, V_TS, V_TS_REF,
  V_NRMSE,                        /* the network's fields: V_NRMSE + SF_FIELD_* */
  V_NRMSE_ORB = V_NRMSE + SF_NFIELD, /* orbital-route ρ, u, s */
  V_TERMS = V_NRMSE_ORB + 3,      /* sum route: sf_eval_sum_terms, then ∫V_xc ρ */
  V_FRES_MAX = V_TERMS + SF_EVAL_NTERM + 1, V_FRES_MEAN,
  V_ITER, V_EVAL = V_ITER + 2, V_CONV = V_EVAL + 2, V_WALL = V_CONV + 2, V_DF = V_WALL + 2, V_DX,
  V_SCF_ITER, V_SCF_WALL = V_SCF_ITER + 2, V_SCF_DF = V_SCF_WALL + 2, /* -warm_start's fixed-atom SCFs */
  V_T_DIRECT, V_T_SUM, V_T_NSC, V_T_RESID, V_T_RELAX, /* s per sample; relax: the dataset's */
  NV
};
/* The summary of the n rows R (dataset indices idx) into root (evaluate_json.c). */
void sf_eval_json(cJSON *root, const sf_evaluate_cfg *c, const double *R, const int *idx, int n, double *scratch);

/* The cell of lattice rprimd (rows) with the campaign's atoms at xred [natom*3]. */
int sf_eval_make_cell(const sf_evaluate_campaign *cp, const double rprimd[9], const double *xred, sf_cell *cell);

/* What the DFT of one sample gives (evaluate_dft.c); times in s of wall clock. */
typedef struct {
  sf_nsc_energies e;            /* orbital, harris, scf routes */
  double nrmse[3];              /* orbital-route ρ, u, s against the dataset's fields */
  double time_nsc;              /* set-up and the one diagonalisation */
  double fres_max, fres_mean;   /* -residual_forces: |F_a| at the predicted positions, Ha/Bohr */
  double time_resid;
  /* -warm_start: [0] cold, [1] warm.  The SCF at the used positions from the uniform
   * density and from the used one; the relaxation from the campaign's start (ideal sites,
   * uniform density) and from the prediction (positions and density). */
  int scf_iterations[2];
  double scf_wall[2], scf_F[2];
  int relax_scf_iterations[2], evaluations[2], converged[2];
  double wall[2], F[2], dF, dx_max; /* dx_max: largest Cartesian displacement between the
                                     * two relaxed structures (Bohr) */
} sf_eval_dft;
/* The DFT reference at a strain of a strain list: the relaxed state of generate's
 * relaxation (field[] [nfft] each and xred [natom*3] allocated by the caller). */
typedef struct {
  double *field[SF_NFIELD], *xred;
  double F, U, TS, wall;
} sf_eval_reference;
/* That relaxation, collective over comm (a sample group): into ref, and as the cold
 * relaxation of -warm_start into out (which it initialises). */
int sf_eval_dft_reference(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], sf_eval_reference *ref,
                          sf_eval_dft *out);
/* The DFT of c on one sample, collective over comm (a sample group): lattice rprimd, the
 * used (predicted, or the dataset's) positions xred and density rho on the dataset's
 * grid, truth = the reference fields (for the orbital-route NRMSE); ref: the reference
 * relaxation already done into out (a strain-list sample), NULL for a dataset sample. */
int sf_eval_dft_sample(MPI_Comm comm, const sf_evaluate_cfg *c, const double rprimd[9], const double *xred,
                       const double *rho, const double *const truth[SF_NFIELD], const sf_eval_reference *ref,
                       sf_eval_dft *out);
#endif
