/* terms.h — the list of energy terms of a Kohn-Sham total energy, written once.
 *
 * Owns: which terms make up the internal energy, their order, and their names in every
 * output (summary JSON "energies", dataset columns e_<name>, logs).  Everything that
 * lists energies loops over SF_TERMS, so a new term is one new X(...) line here and its
 * file in src/ham/ defining sf_term_<name> (the term contract and its table: ham.h).
 * The order is the order of summation of the internal energy, forces and stress.
 *
 * Each entry is X(ID, name): SF_TERM_ID is its index, "name" its output name.
 */
#ifndef STRAINFIELD_TERMS_H
#define STRAINFIELD_TERMS_H

#define SF_TERMS(X)              \
  X(KINETIC, kinetic)            \
  X(HARTREE, hartree)            \
  X(XC, xc)                      \
  X(LOCAL_PSP, local_psp)        \
  X(NONLOCAL_PSP, nonlocal_psp)  \
  X(EWALD, ewald)                \
  X(PSP_CORE, psp_core)

enum {
#define SF_TERM_ENUM_(id, name) SF_TERM_##id,
  SF_TERMS(SF_TERM_ENUM_)
#undef SF_TERM_ENUM_
  SF_NTERM
};

/* "kinetic", "hartree", ... indexed by SF_TERM_*. */
extern const char *const sf_term_names[SF_NTERM];

#endif
