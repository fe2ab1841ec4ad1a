/* strain_file.c — the strain lists of `predict -strain_file` and `evaluate -strain_file`:
 * one D = (λa λb λc θa θb θc) a line, commas allowed, # comments; each line checked as a
 * strain (sf_predict_invalid_strain), errors naming file and line. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/predict.h"

#include <stdio.h>
#include <string.h>

int sf_read_strain_file(const char *path, double **D, int *n)
{
  FILE *fp = fopen(path, "r");
  if (!fp) SF_ERROR(SF_ERR_FILE, "cannot open strain file %s", path);
  int cap = 64, cnt = 0, st = SF_OK;
  char line[1024];
  SF_CHECK_GOTO(sf_calloc((void **)D, 6 * (size_t)cap, sizeof(double)));
  for (int lineno = 1; fgets(line, sizeof line, fp); lineno++) {
    line[strcspn(line, "\r\n")] = 0; /* the message quotes the line: one line */
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || !*p) continue;
    for (char *q = p; *q; q++)
      if (*q == ',') *q = ' ';
    double v[6];
    if (sscanf(p, "%lf %lf %lf %lf %lf %lf", v, v + 1, v + 2, v + 3, v + 4, v + 5) != 6)
      SF_ERROR_GOTO(SF_ERR_INPUT, "%s line %d: '%.40s' is not 6 numbers", path, lineno, p);
    const char *why = sf_predict_invalid_strain(v);
    if (why) SF_ERROR_GOTO(SF_ERR_INPUT, "%s line %d: %s", path, lineno, why);
    if (cnt == cap) {
      double *nd = NULL;
      SF_CHECK_GOTO(sf_calloc((void **)&nd, 12 * (size_t)cap, sizeof(double)));
      memcpy(nd, *D, 6 * (size_t)cap * sizeof(double));
      sf_free(*D);
      *D = nd;
      cap *= 2;
    }
    memcpy(*D + 6 * (size_t)cnt++, v, sizeof v);
  }
  if (!cnt) SF_ERROR_GOTO(SF_ERR_INPUT, "%s has no strains", path);
  *n = cnt;
cleanup:
  fclose(fp);
  return st;
}
