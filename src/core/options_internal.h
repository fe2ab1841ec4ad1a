/* options_internal.h — private to src/core/options*.c: the registry of queried options
 * and the steps every typed query shares.
 *   options.c         PETSc setup, the registry, scalar queries, pass-through prefixes
 *   options_array.c   comma-separated array queries
 *   options_report.c  -help, the unused-option check ("did you mean", file:line), the
 *                     resolved-options JSON, the folder an option's value came from */
#ifndef STRAINFIELD_OPTIONS_INTERNAL_H
#define STRAINFIELD_OPTIONS_INTERNAL_H

#include "strainfield/core.h"
#include "strainfield/options.h"

#include <cjson/cJSON.h>
#include <petscsys.h>

typedef struct {
  char name[64]; /* without the leading dash */
  char type[24];
  char def[160];
  char help[320];
} sfo_entry;

#define SFO_MAX_PASSTHROUGH 16
typedef struct {
  sfo_entry *entries; /* every option queried since sf_options_begin, in query order */
  int nentries, capentries;
  cJSON *resolved; /* name -> value, in query order */
  char subcmd[64];
  int help_asked;
  char passthrough[SFO_MAX_PASSTHROUGH][32];
  char passthrough_help[SFO_MAX_PASSTHROUGH][160];
  int npassthrough;
} sfo_registry;

extern sfo_registry sfo_reg;

const char *sfo_bare(const char *name); /* "-ecut" or "ecut" -> "ecut" */
/* The start of every query: registers (name, type, default text, help) for -help, writes
 * the dashed name to p, and finds the raw text the user gave (*raw NULL if none; *given).
 * `what` ("an integer") names the value a given option lacks; NULL: a value is optional. */
int sfo_query_begin(const char *name, const char *type, const char *def, const char *help,
                    const char *what, char p[72], const char **raw, int *given);
/* Records the resolved value (takes ownership; NULL is out of memory). */
int sfo_record(const char *name, cJSON *value);
/* Parses a whole 64-bit integer: 0 on success, 1 if the text is not an integer. */
int sfo_parse_ll(const char *text, long long *v);
/* "option -nstep: 0 is out of range (must be in 1..100000)"; returns SF_ERR_INPUT. */
int sfo_range_error(const char *p, const char *pre, const char *what, int min, int max);
/* 1 for options PETSc consumes itself or a registered pass-through prefix. */
int sfo_petsc_internal(const char *b);

/* A PETSc getter whose errors are bad input: PETSc's full error report is silenced
 * (its handler pushed and popped, each checked with `check`: SF_PETSC, or SF_PETSC_GOTO in
 * a function in the cleanup form) and its code left in ierr for the caller's message. */
#define SFO_QUIET(check, call, ierr)                                  \
  do {                                                                \
    check(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));      \
    ierr = (call);                                                    \
    check(PetscPopErrorHandler());                                    \
  } while (0)

#endif
