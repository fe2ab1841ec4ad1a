/* mixing.h — density mixing for the SCF fixed point.
 *
 * Owns: Pulay (DIIS)/Anderson mixing of the density in reciprocal space with a Kerker
 * preconditioner, and its history.  The SCF loop hands in ρ_in(G) and ρ_out(G) on the
 * same list of G vectors each iteration and gets the next ρ_in(G).
 *
 * Scheme (Anderson/Pulay in difference form, as in Kresse & Furthmüller 1996):
 *   R = ρ_out − ρ_in; history of Δρ_j, ΔR_j between consecutive calls;
 *   γ = argmin ‖R − Σ γ_j ΔR_j‖;  ρ_opt = ρ_in − Σ γ_j Δρ_j,  R_opt = R − Σ γ_j ΔR_j;
 *   ρ_next = ρ_opt + alpha · K(G) · R_opt,  K = G²/(G² + q0²)  (1 if q0 = 0).
 * Metric: ⟨a,b⟩ = ucvol · Σ_{G≠0} Re(a* b) (the real-space L2 product); γ is real, so a
 * Hermitian ρ(G) stays Hermitian.  Ill-conditioned history (condition number of the
 * diagonally scaled normal matrix > 1e10, or a vanishing ΔR) is handled by dropping the
 * oldest entries; the solve (LAPACK dsysv) carries a 1e-12 ridge.  history = 0 gives
 * Kerker-preconditioned linear mixing.  G = 0 (g2 < 1e-12) is copied from rho_in.
 */
#ifndef STRAINFIELD_MIXING_H
#define STRAINFIELD_MIXING_H

#include <complex.h>

typedef struct sf_mixer sf_mixer;

typedef struct {
  int history;      /* Pulay history length (e.g. 7) */
  double alpha;     /* linear mixing weight on the preconditioned residual (e.g. 0.7) */
  double kerker_q0; /* Kerker wavevector q0 (Bohr^-1); 0 disables the preconditioner */
} sf_mixer_params;

/* n complex coefficients; g2[i] = |G_i|² (Bohr^-2) for the Kerker factor G²/(G²+q0²);
 * the G = 0 component (g2 = 0) is never changed (charge is conserved by the caller). */
int sf_mixer_create(const sf_mixer_params *p, int n, const double *g2, double ucvol,
                    sf_mixer **mixer);
/* Next input density from the current in/out pair; rho_next may alias rho_in (but not
 * rho_out).  Errors: non-finite input (SF_ERR_INPUT), LAPACK failure (SF_ERR_LIB).
 * create errors: history outside [0,100], alpha outside (0,2], q0 < 0, ucvol <= 0. */
int sf_mixer_step(sf_mixer *m, const double complex *rho_in, const double complex *rho_out,
                  double complex *rho_next);
void sf_mixer_destroy(sf_mixer **m);

#endif
