/* relax_internal.h — private to src/relax: what the two TAO drivers share. */
#ifndef STRAINFIELD_RELAX_INTERNAL_H
#define STRAINFIELD_RELAX_INTERNAL_H

#include <petsctao.h>

/* The convergence test both drivers give TAO: stop on a callback's error (status), on
 * reaching the tolerance (residual <= tol), or after maxits iterations. */
PetscErrorCode sf_relax_tao_reason(Tao tao, int status, double residual, double tol, int maxits);

#endif
