/* model_elastic.c — stress, elastic constants and stability of a trained model at a strain
 * D (`predict`), through the float64 energy network's exact Hessian, and the JSON of one
 * state (elastic.h). */
#include "strainfield/core.h"
#include "strainfield/h5io.h"
#include "strainfield/crystal.h"
#include "strainfield/elastic.h"
#include "strainfield/stresspath.h"

#include <math.h>
#include <string.h>

int sf_model_energy_hess(void *model, const double D[6], double *F, double dF[6], double d2F[36])
{
  const sf_model *m = model;
  if (d2F) SF_CHECK(sf_model_d2F_dD2(m, D, F, dF, d2F));
  else SF_CHECK(sf_model_dF_dD(m, D, F, dF));
  return SF_OK;
}

int sf_model_elastic(const sf_model *m, const double D[6], sf_elastic *s)
{
  if (!m->have_ref) SF_ERROR(SF_ERR_INPUT, "the model has no reference lattice: no stress or elastic constants");
  double ref[3][3], a[3][3];
  memcpy(ref, m->ref_rprimd, sizeof ref);
  SF_CHECK(sf_lattice_from_strain(ref, D, a));
  SF_CHECK(sf_elastic_at(sf_model_energy_hess, (void *)m, ref, (const double(*)[3])a, s));
  SF_CHECK(sf_stress_small_strain(ref, (const double(*)[3])a, s->dF, s->stress_small));
  return SF_OK;
}

const char *const sf_elastic_keys[SF_ELASTIC_NKEY] = {
    "lattice",          "stress",           "stress_GPa",    "stress_small_strain", "stress_small_strain_GPa",
    "elastic_tensor",   "elastic_tensor_GPa", "stability_eigenvalues", "stability_eigenvalues_GPa",
    "stability_mode",   "stable",           "bulk_modulus_vrh_GPa", "shear_modulus_vrh_GPa", "moduli_GPa"};

cJSON *sf_elastic_json_item(const sf_elastic *s, int key)
{
  const double G = SF_HA_BOHR3_GPA;
  double eg[6];
  for (int i = 0; i < 6; i++) eg[i] = G * s->eig[i];
  switch (key) {
  case 0: return sf_json_matrix(&s->lattice[0][0], 3, 3, 1);
  case 1: return sf_json_matrix(&s->stress[0][0], 3, 3, 1);
  case 2: return sf_json_matrix(&s->stress[0][0], 3, 3, G);
  case 3: return sf_json_matrix(&s->stress_small[0][0], 3, 3, 1);
  case 4: return sf_json_matrix(&s->stress_small[0][0], 3, 3, G);
  case 5: return sf_json_matrix(&s->C[0][0], 6, 6, 1);
  case 6: return sf_json_matrix(&s->C[0][0], 6, 6, G);
  case 7: return cJSON_CreateDoubleArray(s->eig, 6);
  case 8: return cJSON_CreateDoubleArray(eg, 6);
  case 9: return cJSON_CreateDoubleArray(s->mode, 6);
  case 10: return cJSON_CreateBool(s->stable);
  case 11: return cJSON_CreateNumber(G * 0.5 * (s->KV + s->KR)); /* NaN (singular C) prints as null */
  case 12: return cJSON_CreateNumber(G * 0.5 * (s->GV + s->GR));
  default: {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "bulk_voigt", G * s->KV);
    cJSON_AddNumberToObject(o, "bulk_reuss", G * s->KR);
    cJSON_AddNumberToObject(o, "shear_voigt", G * s->GV);
    cJSON_AddNumberToObject(o, "shear_reuss", G * s->GR);
    return o;
  }
  }
}
