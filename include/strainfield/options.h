/* options.h — the one configuration system: PETSc's options database.
 *
 * Owns: typed queries with defaults and help text, the -help listing of every option
 * a subcommand queried (with its default), and the end-of-parsing check that fails on
 * any option that was given but never queried (a typo).  Options come from
 * -options_file FILE and the command line (later wins), PETSc style; arrays are
 * comma-separated ("-ngkpt 4,4,4").  Names follow ABINIT's input variables.
 *
 * Usage in a subcommand: query everything first (each module's *_options function),
 * then call sf_options_finish(); it returns SF_HELP_SHOWN after printing -help.
 */
#ifndef STRAINFIELD_OPTIONS_H
#define STRAINFIELD_OPTIONS_H

#include <stddef.h>

#define SF_HELP_SHOWN 100 /* not an error: main exits 0 */

/* ---- Options files, checked before PETSc reads them (options_file.c; no MPI, no PETSc).
 * sf_options_check_args: every file PETSc will read for this command line (its
 * -options_file arguments, PETSC_OPTIONS, the petscrc files) and every file those include
 * with an "-options_file FILE" line: syntax (one "file:line: ..." message), include cycles
 * ("a.opts -> b.opts -> a.opts") and nesting deeper than SF_OPTIONS_MAX_DEPTH are refused.
 * sf_options_scan_text: the syntax of one file's bytes (need not be NUL-terminated); each
 * include line calls include(ctx, path, name, line), which may be NULL (not followed). */
#define SF_OPTIONS_MAX_DEPTH 16
#define SF_OPTIONS_MAX_LINE 4095
typedef int (*sf_options_include_fn)(void *ctx, const char *path, const char *from, int line);
int sf_options_scan_text(const char *name, const char *text, size_t len,
                         sf_options_include_fn include, void *ctx);
int sf_options_check_file(const char *path);
int sf_options_check_args(int argc, char **argv);

/* PetscInitialize with PETSc's own -help text silenced (so -help shows only our table);
 * use it in place of PetscInitialize.  sf_options_finalize frees the registry and calls
 * PetscFinalize.  Both return SF_ERR_LIB if PETSc fails. */
int sf_options_initialize(int *argc, char ***argv);
int sf_options_finalize(void);
/* Call once after PetscInitialize; subcommand names the section in -help output.
 * Calling it again starts a fresh registry (previous queries are forgotten). */
int sf_options_begin(const char *subcommand);
/* Options starting with `prefix` (e.g. "-tao_") are read later by a PETSc object
 * (XxxSetFromOptions) and are not reported as unused; listed in -help with `help`. */
int sf_opt_passthrough(const char *prefix, const char *help);
/* Each query records (name, default, help) for -help and marks the option used.
 * *set (may be NULL) is 1 when the user gave the option. Parse errors name the option. */
int sf_opt_int(const char *name, int def, const char *help, int *val, int *set);
/* Integers are read as 64 bits: a value outside int, or (unless -help) outside
 * [min, max], is an error naming the option; it never wraps or becomes the default. */
int sf_opt_int_range(const char *name, int def, int min, int max, const char *help, int *val,
                     int *set);
int sf_opt_real(const char *name, double def, const char *help, double *val, int *set);
int sf_opt_bool(const char *name, int def, const char *help, int *val, int *set);
int sf_opt_string(const char *name, const char *def, const char *help, char *buf, size_t len,
                  int *set);
/* Arrays: at most nmax values; *n receives the count given (or ndef when not given).
 * If exact > 0 the count must be exactly `exact` when the option is given, else error. */
int sf_opt_int_array(const char *name, int nmax, int exact, const int *def, int ndef,
                     const char *help, int *vals, int *n, int *set);
int sf_opt_int_array_range(const char *name, int nmax, int exact, const int *def, int ndef,
                           int min, int max, const char *help, int *vals, int *n, int *set);
int sf_opt_real_array(const char *name, int nmax, int exact, const double *def, int ndef,
                      const char *help, double *vals, int *n, int *set);
/* Comma-separated strings (e.g. -pseudos a.psp,b.psp): up to nmax, each < len chars. */
int sf_opt_string_array(const char *name, int nmax, const char *help, char (*vals)[1024], int *n,
                        int *set);
/* 1 when -help was given: callers then query every option but skip validation and
 * any work (reading files), so the table lists everything even for an empty input. */
int sf_options_help_requested(void);
/* Validation of an option value that -help must not trip: under -help every option is
 * still queried (so the table is complete) but nothing is validated or read. */
#define SF_OPT_REJECT_IF(cond, ...)                                                      \
  do {                                                                                   \
    if (!sf_options_help_requested() && (cond)) SF_ERROR(SF_ERR_INPUT, __VA_ARGS__);     \
  } while (0)
/* A required option: unless given (or -help), fails with "-ecut is required (what)",
 * naming a given-but-unused option that looks like a misspelling of it. */
int sf_opt_required(const char *name, int given, const char *what);
/* Prints -help (returns SF_HELP_SHOWN) or fails with SF_ERR_INPUT naming every option
 * that was given but not used by this subcommand. */
int sf_options_finish(void);
/* Every option as resolved (user value or default), for recording in output files:
 * a JSON object text, caller frees with sf_free.  Keys are the names without the
 * leading dash ("ecut"); numbers are JSON numbers, arrays JSON arrays, an unset string
 * without default is null. */
int sf_options_json(char **json_text);

/* The folder of the -options_file that gave option `name` (e.g. "-pseudos") its value,
 * as written on the command line ("configs", "." for a bare file name); "" when the
 * value came from the command line or the option was not given.  Relative file names
 * inside an options file are meant relative to it (see sf_psp_find). */
int sf_options_origin_folder(const char *name, char *dir, size_t len);

#endif
