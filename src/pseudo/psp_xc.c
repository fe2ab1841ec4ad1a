/* psp_xc.c — ABINIT's check of a pseudopotential's functional (pspxc, line 3 of the file)
 * against the one of the calculation (-ixc).
 *
 * The rule is ABINIT's (pspatm / m_pspini): ixc = 0 gets a note that no exchange-
 * correlation is used; otherwise any ixc != pspxc gets a warning and the run goes on.
 * The comparison is of the numbers, as ABINIT's: the same functional written in libxc
 * form (ixc 7 and -1012) also warns.  Mixing the LDA parametrisations (ixc 1-7) is mostly
 * harmless; mixing LDA and GGA is not.
 */
#include "strainfield/core.h"
#include "strainfield/pseudo.h"

#include <stdio.h>

int sf_psp_xc_mismatch(const sf_psp *psp, int ixc, char *msg, size_t n)
{
  if (ixc == 0)
    snprintf(msg, n, "-ixc 0: no exchange-correlation is used (%s was built with pspxc=%d)",
             psp->path, psp->pspxc);
  else if (ixc != psp->pspxc)
    snprintf(msg, n,
             "%s has pspxc=%d, not equal to -ixc %d: the exchange-correlation differs from "
             "the one the pseudopotential was built with (as ABINIT, the run continues)",
             psp->path, psp->pspxc, ixc);
  else {
    if (n) msg[0] = '\0';
    return 0;
  }
  return 1;
}

void sf_psp_warn_xc(const sf_psp *psp, int ixc)
{
  char msg[1400];
  int rank = 0, up = 0;
  MPI_Initialized(&up);
  if (up) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (sf_psp_xc_mismatch(psp, ixc, msg, sizeof msg) && rank == 0)
    fprintf(stderr, "strainfield: warning: %s\n", msg);
}
