/* fields.h — the field half of the dataset schema, owned by data/ (the column half is
 * the table sf_columns in dataset.h; docs/dataset.md is checked against both by
 * tests/unit/test_schema.c).
 *
 * Owns: which fields a calculation stores on the grid, their order, their names in every
 * file (/fields/<name> of a dataset and of the fields HDF5, /pca/<name> and
 * /nets/field_<name> of a model), their units and meaning.  A new field is one X(...)
 * line here.
 *
 * Dependency-free (no other header, no library symbol), so that every layer, ml/
 * included, can name the fields without depending on data/.
 *
 * Each entry is X(ID, name, "units", "meaning"): SF_FIELD_ID is its index.
 */
#ifndef STRAINFIELD_FIELDS_H
#define STRAINFIELD_FIELDS_H

#define SF_FIELDS(X)                                                                   \
  X(RHO, rho, "e/Bohr^3", "valence density sum w f |psi|^2 (no model core)")          \
  X(PHI, phi, "Ha", "V_H + V_loc, both with their G = 0 term set to 0")                \
  X(U, u, "Ha/Bohr^3", "band-energy density sum w f e |psi|^2 (integral: band_energy)") \
  X(S, s, "1/Bohr^3", "entropy density sum w 2 s(x) |psi|^2 (-tsmear x integral: entropy_term)")

enum {
#define SF_FIELD_ENUM_(id, name, units, meaning) SF_FIELD_##id,
  SF_FIELDS(SF_FIELD_ENUM_)
#undef SF_FIELD_ENUM_
  SF_NFIELD
};

/* "rho", "phi", "u", "s", indexed by SF_FIELD_*.  Static so that the header needs no
 * library (an unused static const in a header draws no warning). */
static const char *const sf_field_names[SF_NFIELD] = {
#define SF_FIELD_NAME_(id, name, units, meaning) #name,
    SF_FIELDS(SF_FIELD_NAME_)
#undef SF_FIELD_NAME_
};

#endif
