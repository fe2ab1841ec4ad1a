/* test_schema.c — docs/dataset.md agrees with the dataset schema (src/data/schema.c and
 * fields.h): every column and every field has a row in the "## Schema" table with its
 * name, shape, type and units, and the table has no row for anything that does not exist.
 *
 * A row is `| names | shape | type | units | meaning |`; the names cell lists one or more
 * `/samples/<column>` or `/fields/<field>` in backticks, where a bare `name` after the
 * first takes the group of the one before (`/fields/rho`, `phi`, ...). */
#include "strainfield/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

#define MAXROWS 128

typedef struct {
  char group[16], name[64], shape[64], type[16], units[64];
  int line, used;
} doc_row;

static doc_row rows[MAXROWS];
static int nrows;

static void trim(char *s)
{
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\n')) s[--n] = 0;
  size_t k = strspn(s, " ");
  memmove(s, s + k, strlen(s + k) + 1);
}

/* Splits a table line into its cells, in place (an escaped \| stays inside its cell). */
static int cells(char *line, char *cell[8])
{
  int n = 0;
  char *p = strchr(line, '|');
  if (!p) return 0;
  p++;
  while (n < 8) {
    char *q = p;
    while (*q && !(*q == '|' && q[-1] != '\\')) q++;
    if (!*q) break;
    *q = 0;
    trim(p);
    cell[n++] = p;
    p = q + 1;
  }
  return n;
}

/* One table row: every backticked name of its first cell becomes an entry. */
static void add_row(char *line, int lineno)
{
  char *cell[8], group[16] = "";
  if (cells(line, cell) < 5) return;
  for (char *p = strchr(cell[0], '`'); p && nrows < MAXROWS; p = strchr(p, '`')) {
    char *end = strchr(p + 1, '`');
    if (!end) break;
    *end = 0;
    const char *tok = p + 1;
    p = end + 1;
    if (tok[0] == '/') { /* /group/name */
      const char *slash = strchr(tok + 1, '/');
      if (!slash) continue;
      snprintf(group, sizeof group, "%.*s", (int)(slash - tok - 1), tok + 1);
      tok = slash + 1;
    }
    if (!group[0]) continue;
    doc_row *r = &rows[nrows++];
    snprintf(r->group, sizeof r->group, "%s", group);
    snprintf(r->name, sizeof r->name, "%s", tok);
    snprintf(r->shape, sizeof r->shape, "%s", cell[1]);
    snprintf(r->type, sizeof r->type, "%s", cell[2]);
    snprintf(r->units, sizeof r->units, "%s", cell[3]);
    r->line = lineno;
  }
}

/* The rows of the table under "## Schema". */
static int read_docs(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[2048];
  int lineno = 0, in_schema = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (!strncmp(line, "## ", 3)) in_schema = !strncmp(line, "## Schema", 9);
    else if (in_schema && line[0] == '|') add_row(line, lineno);
  }
  fclose(f);
  return 1;
}

static doc_row *find(const char *group, const char *name)
{
  for (int i = 0; i < nrows; i++)
    if (!strcmp(rows[i].group, group) && !strcmp(rows[i].name, name)) return &rows[i];
  return NULL;
}

static void check(const char *path, const char *group, const char *name, const char *shape, const char *type,
                  const char *units)
{
  doc_row *r = find(group, name);
  EXPECT(r, "%s: no row for /%s/%s (shape %s, type %s, units \"%s\")", path, group, name, shape, type, units);
  if (!r) return;
  r->used = 1;
  EXPECT(!strcmp(r->shape, shape), "%s:%d: /%s/%s has shape \"%s\" in the docs, \"%s\" in the schema", path, r->line,
         group, name, r->shape, shape);
  EXPECT(!strcmp(r->type, type), "%s:%d: /%s/%s has type \"%s\" in the docs, \"%s\" in the schema", path, r->line,
         group, name, r->type, type);
  EXPECT(!strcmp(r->units, units), "%s:%d: /%s/%s has units \"%s\" in the docs, \"%s\" in the schema", path,
         r->line, group, name, r->units, units);
}

int main(void)
{
  const char *path = SF_SOURCE_DIR "/docs/dataset.md";
  EXPECT(read_docs(path), "cannot read %s", path);
  EXPECT(nrows > 0, "%s: no schema table found under \"## Schema\"", path);
  for (int k = 0; k < sf_ncolumns; k++) {
    const sf_column *c = &sf_columns[k];
    char shape[64] = "N";
    for (int d = 0; d < c->rank; d++) {
      size_t n = strlen(shape);
      if (c->dims[d] < 0) snprintf(shape + n, sizeof shape - n, "×natom");
      else snprintf(shape + n, sizeof shape - n, "×%d", c->dims[d]);
    }
    char type[16];
    snprintf(type, sizeof type, "%s", c->type == SF_COL_DOUBLE ? "f8" : c->type == SF_COL_INT ? "i4" : "");
    if (c->type == SF_COL_STRING) snprintf(type, sizeof type, "S%d", SF_REASON_LEN);
    check(path, SF_SAMPLES_GROUP, c->name, shape, type, c->units);
  }
  for (int f = 0; f < SF_NFIELD; f++)
    check(path, SF_FIELDS_GROUP, sf_fields[f].name, "N×n1×n2×n3", "f8", sf_fields[f].units);
  for (int i = 0; i < nrows; i++)
    EXPECT(rows[i].used, "%s:%d: a row for /%s/%s, which the schema does not have", path, rows[i].line,
           rows[i].group, rows[i].name);
  if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
  printf("test_schema: docs/dataset.md agrees with the schema (%d columns, %d fields)\n", sf_ncolumns, SF_NFIELD);
  return 0;
}
