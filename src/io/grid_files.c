/* grid_files.c — a field on the grid of a cell as an XSF or a Gaussian cube file (the
 * conventions of both are in gridfile.h), and the -fields_format list. */
#include "strainfield/core.h"
#include "strainfield/gridfile.h"

#include <stdio.h>
#include <string.h>

#define BOHR_ANGSTROM 0.52917721067

static const struct {
  const char *name;
  int bit;
} formats[] = {{"h5", SF_GRID_H5}, {"xsf", SF_GRID_XSF}, {"cube", SF_GRID_CUBE}};

int sf_grid_formats_parse(const char *option, const char *list, int *mask)
{
  char copy[256];
  if (strlen(list) >= sizeof copy) SF_ERROR(SF_ERR_INPUT, "%s: list too long", option);
  strcpy(copy, list);
  *mask = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int bit = 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
      if (!strcmp(tok, formats[i].name)) bit = formats[i].bit;
    if (!bit) SF_ERROR(SF_ERR_INPUT, "%s: unknown format '%s' (expected a list of h5, xsf, cube)", option, tok);
    *mask |= bit;
  }
  if (!*mask) SF_ERROR(SF_ERR_INPUT, "%s: empty list (expected h5, xsf, cube)", option);
  return SF_OK;
}

void sf_grid_file_name(const char *path, int index, const char *name, int format, char *out, size_t len)
{
  size_t n = strlen(path);
  if (n > 3 && !strcmp(path + n - 3, ".h5")) n -= 3;
  const char *ext = format == SF_GRID_CUBE ? "cube" : "xsf";
  if (index >= 0) snprintf(out, len, "%.*s_%d_%s.%s", (int)n, path, index, name, ext);
  else snprintf(out, len, "%.*s_%s.%s", (int)n, path, name, ext);
}

static void cartesian(const sf_grid_cell *c, int a, double scale, double x[3])
{
  for (int k = 0; k < 3; k++) {
    x[k] = 0;
    for (int j = 0; j < 3; j++) x[k] += c->xred[3 * a + j] * c->rprimd[3 * j + k];
    x[k] *= scale;
  }
}

static void write_xsf(FILE *fp, const sf_grid_cell *c, const char *comment, const double *field)
{
  const double A = BOHR_ANGSTROM;
  const double *r = c->rprimd;
  fprintf(fp, "# %s (values in atomic units; lattice and atoms in Angstrom)\nCRYSTAL\nPRIMVEC\n", comment);
  for (int i = 0; i < 3; i++) fprintf(fp, " %.10f %.10f %.10f\n", r[3 * i] * A, r[3 * i + 1] * A, r[3 * i + 2] * A);
  fprintf(fp, "PRIMCOORD\n %d 1\n", c->natom);
  for (int a = 0; a < c->natom; a++) {
    double x[3];
    cartesian(c, a, A, x);
    fprintf(fp, " %d %.10f %.10f %.10f\n", c->znucl[a], x[0], x[1], x[2]);
  }
  const int n1 = c->n[0], n2 = c->n[1], n3 = c->n[2];
  fprintf(fp, "BEGIN_BLOCK_DATAGRID_3D\n strainfield\n BEGIN_DATAGRID_3D_field\n %d %d %d\n 0 0 0\n", n1 + 1, n2 + 1,
          n3 + 1);
  for (int i = 0; i < 3; i++) fprintf(fp, " %.10f %.10f %.10f\n", r[3 * i] * A, r[3 * i + 1] * A, r[3 * i + 2] * A);
  /* first index fastest, periodic end points included */
  long cnt = 0;
  for (int k = 0; k <= n3; k++)
    for (int j = 0; j <= n2; j++)
      for (int i = 0; i <= n1; i++) {
        fprintf(fp, " %.8e", field[((size_t)(i % n1) * n2 + j % n2) * n3 + k % n3]);
        if (++cnt % 6 == 0) fputc('\n', fp);
      }
  fprintf(fp, "\n END_DATAGRID_3D\nEND_BLOCK_DATAGRID_3D\n");
}

static void write_cube(FILE *fp, const sf_grid_cell *c, const char *comment, const double *field)
{
  const int n1 = c->n[0], n2 = c->n[1], n3 = c->n[2];
  const double *r = c->rprimd;
  fprintf(fp, "%s\natomic units (Bohr); voxel i = lattice vector i / n_i; first axis outermost, third innermost\n",
          comment);
  fprintf(fp, "%5d %18.12f %18.12f %18.12f\n", c->natom, 0.0, 0.0, 0.0);
  for (int i = 0; i < 3; i++)
    fprintf(fp, "%5d %18.12f %18.12f %18.12f\n", c->n[i], r[3 * i] / c->n[i], r[3 * i + 1] / c->n[i], r[3 * i + 2] / c->n[i]);
  for (int a = 0; a < c->natom; a++) {
    double x[3];
    cartesian(c, a, 1.0, x);
    fprintf(fp, "%5d %18.12f %18.12f %18.12f %18.12f\n", c->znucl[a], c->charge ? c->charge[a] : (double)c->znucl[a], x[0],
            x[1], x[2]);
  }
  for (int i = 0; i < n1; i++)
    for (int j = 0; j < n2; j++) {
      const double *row = field + ((size_t)i * n2 + j) * n3;
      for (int k = 0; k < n3; k++) {
        fprintf(fp, "%s% .9E", k % 6 ? " " : "", row[k]);
        if (k % 6 == 5 || k == n3 - 1) fputc('\n', fp);
      }
    }
}

int sf_grid_file_write(const char *path, int format, const sf_grid_cell *c, const char *comment, const double *field)
{
  char tmp[1200]; /* written to PATH.tmp and renamed when complete */
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *fp = fopen(tmp, "w");
  if (!fp) SF_ERROR(SF_ERR_FILE, "-fields_format: cannot write %s", tmp);
  if (format == SF_GRID_CUBE) write_cube(fp, c, comment, field);
  else write_xsf(fp, c, comment, field);
  int ok = !ferror(fp);
  ok = !fclose(fp) && ok;
  if (!ok || rename(tmp, path)) {
    remove(tmp);
    SF_ERROR(SF_ERR_FILE, "-fields_format: cannot write %s", path);
  }
  return SF_OK;
}
