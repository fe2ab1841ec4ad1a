/* terms.c — the table of Hamiltonian terms (ham.h's contract) and the loops over it.
 *
 * The table is generated from SF_TERMS (terms.h), so a term is one file defining
 * sf_term_<name> plus its SF_TERMS line; the order of the table is the order in which
 * energies, forces and stresses are summed. */
#include "ham_internal.h"
#include "strainfield/core.h"

#include <string.h>

const char *const sf_term_names[SF_NTERM] = {
#define SF_TERM_NAME_(id, name) #name,
    SF_TERMS(SF_TERM_NAME_)
#undef SF_TERM_NAME_
};

const sf_term *const sf_terms[SF_NTERM] = {
#define SF_TERM_ENTRY_(id, name) [SF_TERM_##id] = &sf_term_##name,
    SF_TERMS(SF_TERM_ENTRY_)
#undef SF_TERM_ENTRY_
};

const int sf_voigt_i[6] = {0, 1, 2, 1, 0, 0}, sf_voigt_j[6] = {0, 1, 2, 2, 2, 1};

int sf_terms_energies(const sf_term_state *v, double E[SF_NTERM])
{
  return sf_terms_energies_of(v, SF_DEPENDS_ALL, E);
}

int sf_terms_energies_of(const sf_term_state *v, int kinds, double E[SF_NTERM])
{
  for (int t = 0; t < SF_NTERM; t++)
    if (sf_terms[t]->depends & kinds) SF_CHECK(sf_terms[t]->energy(v, &E[t]));
  return SF_OK;
}

int sf_terms_potentials(sf_ham *H, const sf_term_state *v)
{
  for (int t = 0; t < SF_NTERM; t++)
    if (sf_terms[t]->potential) SF_CHECK(sf_terms[t]->potential(H, v));
  sf_ham_veff(H);
  return SF_OK;
}

int sf_term_state_my_bands(const sf_term_state *v, int j, int *mine, double complex **X, double **w)
{
  int st = SF_OK;
  const int nband = v->nband, ik = v->k_index[j], npw = v->pw[j].npw;
  int m = 0;
  for (int n = v->band_rank; n < nband; n += v->band_size) m++;
  *mine = m;
  *X = NULL;
  *w = NULL;
  SF_CHECK_GOTO(sf_calloc((void **)X, (size_t)(m > 0 ? m : 1) * npw, sizeof **X));
  SF_CHECK_GOTO(sf_calloc((void **)w, m > 0 ? m : 1, sizeof **w));
  for (int n = v->band_rank, i = 0; n < nband; n += v->band_size, i++) {
    memcpy(*X + (size_t)i * npw, v->psi[j] + (size_t)n * npw, sizeof(double complex) * npw);
    (*w)[i] = v->wtk[ik] * v->occ[ik * nband + n];
  }
cleanup:
  if (st) {
    sf_free(*X);
    sf_free(*w);
    *X = NULL;
    *w = NULL;
  }
  return st;
}
