/* mixing.c — Pulay (DIIS) density mixing with a Kerker preconditioner.
 *
 * Owns the mixer state: the previous (ρ_in, R = ρ_out − ρ_in) pair and up to `history`
 * differences (Δρ_j, ΔR_j) between consecutive iterations.  Each step solves the small
 * least-squares problem  min_γ ‖R − Σ_j γ_j ΔR_j‖  (Anderson/Pulay in difference form,
 * equivalent to Pulay's constrained Σc = 1 form), then
 *   ρ_opt = ρ_in − Σ γ_j Δρ_j,  R_opt = R − Σ γ_j ΔR_j,
 *   ρ_next = ρ_opt + α K(G) R_opt,   K(G) = G²/(G² + q0²)  (K = 1 if q0 = 0).
 * With history 0 this is Kerker-preconditioned linear mixing.
 *
 * Inner product: ⟨a,b⟩ = Ω Σ_{G≠0} Re(a* b), i.e. the plain L2 product ∫ a(r) b(r) dr of
 * the real-space functions (for ρ(G) = (1/Ω)∫ρ e^{−iGr}); G = 0 is left out because the
 * caller fixes the charge.  Taking the real part keeps γ real, so a Hermitian ρ(G) stays
 * Hermitian (ρ(r) real).  A plain metric is used rather than a Kerker-weighted one: with
 * the preconditioner already damping small G, it gave the steadiest convergence on the
 * test problem and needs no second parameter.
 *
 * Robustness: the normal matrix is scaled to unit diagonal, its eigenvalues are taken with
 * LAPACK dsyev, and while its condition number exceeds 1e10 (or a ΔR vanishes) the oldest
 * difference is dropped; the remaining solve has a tiny ridge term.
 */
#include "strainfield/mixing.h"
#include "strainfield/core.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#define SF_MIX_COND_MAX 1e10
#define SF_MIX_RIDGE 1e-12

struct sf_mixer {
  sf_mixer_params p;
  int n;
  double ucvol;
  double *kerker;          /* K(G); 0 at G = 0 so that component never moves */
  double *metric;          /* Ω at G ≠ 0, 0 at G = 0 */
  double complex *rho_prev, *res_prev; /* last ρ_in and R */
  int have_prev;
  double complex *drho, *dres;         /* history × n, ring buffer */
  int nhist, head;                     /* entries held; index of the oldest */
  double complex *res, *work;          /* current R and ρ_opt */
};

int sf_mixer_create(const sf_mixer_params *p, int n, const double *g2, double ucvol,
                    sf_mixer **out)
{
  sf_mixer *m = NULL;
  *out = NULL;
  if (!p || n <= 0 || !g2) SF_ERROR(SF_ERR_INPUT, "mixer needs parameters, n > 0 (got %d) and g2", n);
  if (p->history < 0 || p->history > 100)
    SF_ERROR(SF_ERR_INPUT, "mixing history %d out of range [0,100]", p->history);
  if (!(p->alpha > 0.0 && p->alpha <= 2.0))
    SF_ERROR(SF_ERR_INPUT, "mixing alpha %g out of range (0,2]", p->alpha);
  if (!(p->kerker_q0 >= 0.0)) SF_ERROR(SF_ERR_INPUT, "Kerker q0 %g must be >= 0", p->kerker_q0);
  if (!(ucvol > 0.0)) SF_ERROR(SF_ERR_INPUT, "cell volume %g must be positive", ucvol);
  int st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&m, 1, sizeof *m));
  m->p = *p;
  m->n = n;
  m->ucvol = ucvol;
  size_t h = p->history > 0 ? (size_t)p->history : 1;
  SF_CHECK_GOTO(sf_calloc((void **)&m->kerker, n, sizeof *m->kerker));
  SF_CHECK_GOTO(sf_calloc((void **)&m->metric, n, sizeof *m->metric));
  SF_CHECK_GOTO(sf_calloc((void **)&m->rho_prev, n, sizeof *m->rho_prev));
  SF_CHECK_GOTO(sf_calloc((void **)&m->res_prev, n, sizeof *m->res_prev));
  SF_CHECK_GOTO(sf_calloc((void **)&m->res, n, sizeof *m->res));
  SF_CHECK_GOTO(sf_calloc((void **)&m->work, n, sizeof *m->work));
  SF_CHECK_GOTO(sf_calloc((void **)&m->drho, h * n, sizeof *m->drho));
  SF_CHECK_GOTO(sf_calloc((void **)&m->dres, h * n, sizeof *m->dres));
  double q02 = p->kerker_q0 * p->kerker_q0;
  for (int i = 0; i < n; i++) {
    if (g2[i] < 1e-12) continue; /* G = 0: K = 0, metric 0 */
    m->kerker[i] = q02 > 0.0 ? g2[i] / (g2[i] + q02) : 1.0;
    m->metric[i] = ucvol;
  }
  *out = m;
  m = NULL;
cleanup:
  sf_mixer_destroy(&m); /* only on an error: the mixer is the caller's otherwise */
  return st;
}

static double dot(const sf_mixer *m, const double complex *a, const double complex *b)
{
  double s = 0.0;
  for (int i = 0; i < m->n; i++) s += m->metric[i] * creal(conj(a[i]) * b[i]);
  return s;
}

static double complex *hist_rho(sf_mixer *m, int j) { return m->drho + (size_t)((m->head + j) % m->p.history) * m->n; }
static double complex *hist_res(sf_mixer *m, int j) { return m->dres + (size_t)((m->head + j) % m->p.history) * m->n; }

static void drop_oldest(sf_mixer *m)
{
  m->head = (m->head + 1) % m->p.history;
  m->nhist--;
}

/* Fills gamma[0..nhist) (oldest first), dropping old history until the system is sound. */
static int solve_coefficients(sf_mixer *m, double *gamma)
{
  int h = m->p.history;
  double a[h * h], ev[h * h], b[h], w[h], scale[h];
  while (m->nhist > 0) {
    int k = m->nhist, bad = 0;
    for (int i = 0; i < k; i++) {
      double d = dot(m, hist_res(m, i), hist_res(m, i));
      if (!(d > 0.0) || !isfinite(d)) bad = 1;
      scale[i] = bad ? 1.0 : 1.0 / sqrt(d);
    }
    if (bad) { drop_oldest(m); continue; }
    for (int i = 0; i < k; i++) {
      b[i] = scale[i] * dot(m, hist_res(m, i), m->res);
      for (int j = 0; j <= i; j++)
        a[i * k + j] = a[j * k + i] = scale[i] * scale[j] * dot(m, hist_res(m, i), hist_res(m, j));
    }
    memcpy(ev, a, sizeof(double) * k * k);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', k, ev, k, w) != 0)
      SF_ERROR(SF_ERR_LIB, "LAPACKE_dsyev failed on the %dx%d Pulay matrix", k, k);
    if (!(w[0] > w[k - 1] / SF_MIX_COND_MAX)) { drop_oldest(m); continue; }
    for (int i = 0; i < k; i++) a[i * k + i] += SF_MIX_RIDGE;
    lapack_int ipiv[h];
    if (LAPACKE_dsysv(LAPACK_ROW_MAJOR, 'U', k, 1, a, k, ipiv, b, 1) != 0) {
      drop_oldest(m);
      continue;
    }
    for (int i = 0; i < k; i++) gamma[i] = scale[i] * b[i];
    return SF_OK;
  }
  return SF_OK;
}

int sf_mixer_step(sf_mixer *m, const double complex *rho_in, const double complex *rho_out,
                  double complex *rho_next)
{
  int n = m->n, h = m->p.history;
  for (int i = 0; i < n; i++) {
    m->res[i] = rho_out[i] - rho_in[i];
    if (!isfinite(creal(m->res[i])) || !isfinite(cimag(m->res[i])))
      SF_ERROR(SF_ERR_INPUT, "density component %d is not finite", i);
  }
  /* Record the difference to the previous iteration; the ring drops the oldest. */
  if (h > 0 && m->have_prev) {
    if (m->nhist == h) drop_oldest(m);
    double complex *dr = hist_rho(m, m->nhist), *dR = hist_res(m, m->nhist);
    for (int i = 0; i < n; i++) {
      dr[i] = rho_in[i] - m->rho_prev[i];
      dR[i] = m->res[i] - m->res_prev[i];
    }
    m->nhist++;
  }
  memcpy(m->work, rho_in, sizeof(double complex) * n);
  memcpy(m->rho_prev, rho_in, sizeof(double complex) * n);
  memcpy(m->res_prev, m->res, sizeof(double complex) * n);
  m->have_prev = 1;

  if (m->nhist > 0) {
    double gamma[h];
    SF_CHECK(solve_coefficients(m, gamma));
    for (int j = 0; j < m->nhist; j++) {
      const double complex *dr = hist_rho(m, j), *dR = hist_res(m, j);
      for (int i = 0; i < n; i++) {
        m->work[i] -= gamma[j] * dr[i];
        m->res[i] -= gamma[j] * dR[i];
      }
    }
  }
  /* rho_next may alias rho_in: only written now, from work (ρ_opt) and res (R_opt). */
  for (int i = 0; i < n; i++)
    rho_next[i] = m->metric[i] > 0.0 ? m->work[i] + m->p.alpha * m->kerker[i] * m->res[i]
                                     : m->rho_prev[i];
  return SF_OK;
}

void sf_mixer_destroy(sf_mixer **m)
{
  if (!m || !*m) return;
  sf_free((*m)->kerker);
  sf_free((*m)->metric);
  sf_free((*m)->rho_prev);
  sf_free((*m)->res_prev);
  sf_free((*m)->res);
  sf_free((*m)->work);
  sf_free((*m)->drho);
  sf_free((*m)->dres);
  sf_free(*m);
  *m = NULL;
}
