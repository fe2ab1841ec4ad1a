/* ewald.c — the ion-ion term: crystal's sf_ewald (it needs no electrons, so it lives
 * there) seen through the term contract.  Its stress comes in Voigt order. */
#include "ham_internal.h"
#include "strainfield/core.h"

static int ewald_energy(const sf_term_state *v, double *energy)
{
  SF_CHECK(sf_ewald(v->H->cell, energy, NULL, NULL));
  return SF_OK;
}

static int ewald_forces(const sf_term_state *v, double (*f)[3])
{
  SF_CHECK(sf_ewald(v->H->cell, NULL, f, NULL));
  return SF_OK;
}

static int ewald_stress(const sf_term_state *v, double sigma[3][3])
{
  double ev[6];
  SF_CHECK(sf_ewald(v->H->cell, NULL, NULL, ev));
  for (int k = 0; k < 6; k++) sigma[sf_voigt_i[k]][sf_voigt_j[k]] = sigma[sf_voigt_j[k]][sf_voigt_i[k]] = ev[k];
  return SF_OK;
}

const sf_term sf_term_ewald = {.depends = SF_DEPENDS_GEOMETRY, .energy = ewald_energy, .forces = ewald_forces, .stress = ewald_stress};
