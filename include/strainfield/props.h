/* props.h — properties of a converged ground state: forces and the stress tensor.
 *
 * Owns: the sum of every term's forces and stress (the table of ham.h: each term's file
 * in src/ham/ computes its own), the symmetrisation over the space group and the removal
 * of the net force, in ABINIT's conventions.  Collective over the calculation's
 * communicator; every rank gets the same numbers.
 *
 * Units and signs: forces Cartesian Ha/Bohr in the frame of the input lattice, F = −dE/dR.
 * Stress Ha/Bohr^3, σ_ij = (1/Ω) ∂F/∂ε_ij (ABINIT's sign: positive = tensile... i.e. a
 * compressed cell has negative pressure contributions, as ABINIT prints them).
 */
#ifndef STRAINFIELD_PROPS_H
#define STRAINFIELD_PROPS_H

#include "strainfield/scf.h"

int sf_scf_forces(sf_scf *s, double (*fcart)[3]);
int sf_scf_stress(sf_scf *s, double stress[3][3]);

#endif
