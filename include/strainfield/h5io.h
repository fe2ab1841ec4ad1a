/* h5io.h — low-level file helpers shared by every writer and reader (the model, the train
 * checkpoint, the dataset, predict's and scf's output files).  Layer io: depends on core
 * only, so the learning code can write files without compiling against the DFT stack.
 *
 * Owns: writing a JSON document through NAME.tmp and reading one back (json_file.c), one HDF5 dataset or
 * attribute per call with errors that name it and the removal of a partial HDF5 file on
 * failure (h5_util.c), and the up-front check of a subcommand's output paths against its
 * inputs (output_paths.c). */
#ifndef STRAINFIELD_H5IO_H
#define STRAINFIELD_H5IO_H

#include <cjson/cJSON.h>
#include <hdf5.h>

#include "strainfield/core.h"

/* root as indented JSON to path (via path.tmp, renamed when complete). */
int sf_write_json_file(const char *path, cJSON *root);
/* A rows × cols row-major matrix, times scale, as a JSON array of rows. */
cJSON *sf_json_matrix(const double *a, int rows, int cols, double scale);
/* The JSON document of a file into *root (the caller deletes it); SF_ERR_FILE naming the
 * file when it cannot be read or parsed. */
int sf_read_json_file(const char *path, cJSON **root);

/* One dataset `name` of shape dims[rank] and memory type `type` under loc (a file or
 * group); errors name it. */
int sf_h5_write(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data);
int sf_h5_write_doubles(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data);
/* Reads exactly `count` values of dataset `name` (errors begin with `what`, e.g. "model file"). */
int sf_h5_read(hid_t loc, const char *what, const char *name, hid_t type, size_t count, void *data);
/* Attributes: strings (read: malloc'd, NULL when absent), int and double arrays (read:
 * the count, or -1 when absent or longer than nmax). */
void sf_h5_attr_str(hid_t loc, const char *name, const char *s);
char *sf_h5_attr_str_read(hid_t loc, const char *name);
void sf_h5_attr_ints(hid_t loc, const char *name, int n, const int *v);
int sf_h5_attr_ints_read(hid_t loc, const char *name, int nmax, int *v);
void sf_h5_attr_double(hid_t loc, const char *name, int n, const double *v);
int sf_h5_attr_double_read(hid_t loc, const char *name, int nmax, double *v);
/* Closes a file written to tmp and renames it to path when status is 0; otherwise (or if
 * closing or renaming fails) removes tmp, so no partial file is left.  Returns the status. */
int sf_h5_finish(hid_t file, int status, const char *tmp, const char *path);

/* Every output path of a subcommand, checked before any work starts: each is checked
 * with sf_path_check_output (folder exists and is writable, not a folder) against the
 * inputs, the -options_file files of the command line and the other outputs.  The
 * message names both options.  Entries with an empty path are skipped. */
int sf_check_outputs(const sf_path_input *outputs, int nout, const sf_path_input *inputs, int nin);

#endif
