/* gridfile.h — one field on the FFT grid of a cell as a volumetric file that structure
 * viewers read (src/io/grid_files.c): XSF (XCrySDen, VESTA) and Gaussian cube (VESTA,
 * VMD, OVITO), and the -fields_format option that chooses among them and the HDF5 file.
 * Layer io: depends on core only (predict's fields and scf/relax's share it).
 *
 * Conventions.  The field is on the grid in reduced coordinates, element [i1][i2][i3]
 * (i3 fastest) at (i1/n1, i2/n2, i3/n3), in atomic units (docs/formats.md).
 * - XSF: lattice and atoms in Ångström (XSF's unit), the periodic general grid with its
 *   end points repeated (n + 1 per axis), first index fastest; values as stored.
 * - cube: Bohr throughout (positive voxel counts), origin 0, voxel vectors a_i / n_i,
 *   one line per atom "Z charge x y z" (Cartesian Bohr), then the values with the first
 *   axis outermost and the third innermost (our storage order), six a line and a new
 *   line after each run of n3; n points per axis (periodic, no repeated end point).
 * Both are written to PATH.tmp and renamed when complete. */
#ifndef STRAINFIELD_GRIDFILE_H
#define STRAINFIELD_GRIDFILE_H

#include "strainfield/core.h"

/* The formats of -fields_format, as bits. */
enum { SF_GRID_H5 = 1, SF_GRID_XSF = 2, SF_GRID_CUBE = 4 };

/* The cell and atoms a grid file carries. */
typedef struct {
  const double *rprimd; /* 3 × 3, rows = lattice vectors, Bohr */
  int natom;
  const double *xred;   /* natom × 3, reduced */
  const int *znucl;     /* natom atomic numbers */
  const double *charge; /* natom: cube's second column (the valence charge); NULL: Z */
  const int *n;         /* the grid n1, n2, n3 */
} sf_grid_cell;

/* A comma-separated list of h5, xsf, cube (option names `option` in the message) as a
 * mask of SF_GRID_*; SF_ERR_INPUT for an unknown or empty entry. */
int sf_grid_formats_parse(const char *option, const char *list, int *mask);
/* The file of field `name` in format SF_GRID_XSF or SF_GRID_CUBE for the output `path`
 * of -fields: STEM_name.xsf / STEM_name.cube, STEM = path without a final ".h5"; with
 * index >= 0, STEM_INDEX_name.EXT (one file per strain of a strain file). */
void sf_grid_file_name(const char *path, int index, const char *name, int format, char *out, size_t len);
/* Writes one field (comment: the first line(s) of the file). */
int sf_grid_file_write(const char *path, int format, const sf_grid_cell *c, const char *comment, const double *field);

#endif
