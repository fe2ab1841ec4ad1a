/* schema.c — the dataset schema written once: the columns of /samples (one row per
 * sample; the part files, the final file, the reader and docs/dataset.md all follow this
 * table) and the description of the fields of fields.h.  A new column is one line here
 * and its member in sf_sample_record (dataset.h); the energy columns e_<term> follow
 * terms.h's SF_TERMS, the fields fields.h's SF_FIELDS. */
#include "dataset_internal.h"

#include <stdio.h>
#include <string.h>

#define O(m) offsetof(sf_sample_record, m)
#define SCALAR 0, {0, 0}
#define MAT33 2, {3, 3}
#define PER_ATOM 2, {-1, 3}
const sf_column sf_columns[] = {
    {"D", SF_COL_DOUBLE, 1, {6, 0}, O(D), 0, "1, deg",
     "lambda_a, lambda_b, lambda_c (1), theta_a, theta_b, theta_c (deg)"},
    {"lattice", SF_COL_DOUBLE, MAT33, O(lattice), 0, "Bohr", "row i = lattice vector i (rprimd)"},
    {"strain_F", SF_COL_DOUBLE, MAT33, O(strain_F), 0, "1", "deformation gradient, a_i = F a0_i"},
    {"strain_E", SF_COL_DOUBLE, MAT33, O(strain_E), 0, "1", "Green-Lagrange strain (F^T F - I)/2"},
    {"strain_eps", SF_COL_DOUBLE, MAT33, O(strain_eps), 0, "1", "small strain (F + F^T)/2 - I"},
    {"xred", SF_COL_DOUBLE, PER_ATOM, O(xred), 1, "1", "relaxed reduced atom positions"},
    {"fcart", SF_COL_DOUBLE, PER_ATOM, O(fcart), 1, "Ha/Bohr", "residual Cartesian forces"},
    {"max_force", SF_COL_DOUBLE, SCALAR, O(max_force), 0, "Ha/Bohr", ""},
    {"stress", SF_COL_DOUBLE, MAT33, O(stress), 0, "Ha/Bohr^3", "(1/Omega) dF/d eps, ABINIT's sign"},
    {"free_energy", SF_COL_DOUBLE, SCALAR, O(free_energy), 0, "Ha", "F = internal + entropy_term (ABINIT etotal)"},
    {"internal_energy", SF_COL_DOUBLE, SCALAR, O(internal_energy), 0, "Ha", "all terms but -TS"},
    {"band_energy", SF_COL_DOUBLE, SCALAR, O(band_energy), 0, "Ha", "U = sum_k w_k sum_n f_nk e_nk"},
    {"entropy_term", SF_COL_DOUBLE, SCALAR, O(entropy_term), 0, "Ha", "-TS"},
    {"fermi_energy", SF_COL_DOUBLE, SCALAR, O(fermi_energy), 0, "Ha", ""},
#define TERM_COLUMN(id, name) {"e_" #name, SF_COL_DOUBLE, SCALAR, O(e_term[SF_TERM_##id]), 0, "Ha", ""},
    SF_TERMS(TERM_COLUMN)
#undef TERM_COLUMN
    {"scf_iterations", SF_COL_INT, SCALAR, O(scf_iterations), 0, "", "SCF iterations summed over the relaxation"},
    {"relax_evaluations", SF_COL_INT, SCALAR, O(relax_evaluations), 0, "", "SCF runs (relaxation function evaluations)"},
    {"ionic_steps", SF_COL_INT, SCALAR, O(ionic_steps), 0, "", "BFGS iterations"},
    {"attempts", SF_COL_INT, SCALAR, O(attempts), 0, "", "1, or 2 when retried with safer mixing"},
    {"wall_s", SF_COL_DOUBLE, SCALAR, O(wall_s), 0, "s", "of the sample's group, all attempts"},
    {"init", SF_COL_INT, SCALAR, O(init), 0, "", "how the relaxation started: 0 default (ideal sites, uniform density), 1 a model's prediction"},
    {"round", SF_COL_INT, SCALAR, O(round), 0, "", "active-learning or retraining round of the sample (0 otherwise)"},
    {"predicted_std", SF_COL_DOUBLE, SCALAR, O(predicted_std), 0, "1", "the round model's normalised ensemble spread at D (NaN: none)"},
    {"status", SF_COL_INT, SCALAR, O(status), 0, "", "1 ok, 0 missing, -1 failed"},
    {"reason", SF_COL_STRING, SCALAR, O(reason), 0, "", "why a sample failed; empty when ok"},
};
#undef O
const int sf_ncolumns = (int)(sizeof sf_columns / sizeof sf_columns[0]);

const sf_field_info sf_fields[SF_NFIELD] = {
#define FIELD_INFO(id, name, units, meaning) {#name, units, meaning},
    SF_FIELDS(FIELD_INFO)
#undef FIELD_INFO
};

const sf_column *sf_column_find(const char *name)
{
  for (int k = 0; k < sf_ncolumns; k++)
    if (!strcmp(sf_columns[k].name, name)) return &sf_columns[k];
  return NULL;
}

size_t sf_column_count(const sf_column *c, int natom)
{
  size_t n = 1;
  for (int k = 0; k < c->rank; k++) n *= (size_t)(c->dims[k] < 0 ? natom : c->dims[k]);
  return n;
}

void *sf_column_data(const sf_column *c, sf_sample_record *r)
{
  char *p = (char *)r + c->offset;
  return c->pointer ? *(void **)p : (void *)p;
}

void sf_column_path(const sf_column *c, char *path, size_t len)
{
  snprintf(path, len, "/" SF_SAMPLES_GROUP "/%s", c->name);
}

void sf_field_path(int f, char *path, size_t len)
{
  snprintf(path, len, "/" SF_FIELDS_GROUP "/%s", sf_field_names[f]);
}

hid_t sf_column_h5type(const sf_column *c)
{
  if (c->type == SF_COL_DOUBLE) return H5Tcopy(H5T_NATIVE_DOUBLE);
  if (c->type == SF_COL_INT) return H5Tcopy(H5T_NATIVE_INT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, SF_REASON_LEN);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  return t;
}

void sf_column_units_attr(const sf_column *c, char *text, size_t len)
{
  snprintf(text, len, "%s%s%s", c->units, c->units[0] && c->meaning[0] ? "; " : "", c->meaning);
}
