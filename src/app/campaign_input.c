/* campaign_input.c — a dataset's campaign as an input: the options `generate` recorded
 * (the dataset's `options` attribute, every option as resolved) are replayed through
 * input.c in a PETSc options database of their own, so `evaluate` recomputes samples with
 * exactly the campaign's cell, pseudopotentials, SCF and relaxation settings, never with
 * a second hand-written reading of them.  The pseudopotentials are the campaign's files
 * (attribute psp_files, absolute paths), checked against its MD5s; verbosity and the
 * parallel layout stay the caller's. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/options.h"

#include <cjson/cJSON.h>
#include <petscsys.h>
#include <stdio.h>
#include <string.h>

/* Recorded options that are not the campaign's physics: outputs, logging, the layout of
 * the ranks that ran it, and the names the psp files were given by. */
static const char *const skipped[] = {"v", "verbosity", "summary", "fields", "strain_D", "par_sample_groups",
                                      "par_kpt_groups", "par_band_groups", "pseudos", "pp_dirpath", "help", NULL};

/* Counts whose recorded 0 is their default's "not given" (derived from other options). */
static const char *const zero_means_unset[] = {"ntypat", "natom", NULL};

static int skip(const cJSON *e)
{
  for (int k = 0; skipped[k]; k++)
    if (!strcmp(e->string, skipped[k])) return 1;
  for (int k = 0; zero_means_unset[k]; k++)
    if (!strcmp(e->string, zero_means_unset[k]) && cJSON_IsNumber(e) && e->valuedouble == 0) return 1;
  return 0;
}

/* One JSON value as PETSc option text: numbers as %.17g, arrays comma-separated, booleans
 * true/false; 0 when there is nothing to set (empty string, empty array, null). */
static int value_text(const cJSON *v, char *buf, size_t len)
{
  buf[0] = 0;
  if (cJSON_IsBool(v)) snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
  else if (cJSON_IsNumber(v)) snprintf(buf, len, "%.17g", v->valuedouble);
  else if (cJSON_IsString(v)) snprintf(buf, len, "%s", v->valuestring);
  else if (cJSON_IsArray(v)) {
    size_t n = 0;
    for (const cJSON *e = v->child; e && n < len; e = e->next) {
      char one[1100];
      if (!value_text(e, one, sizeof one)) return 0;
      n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", one);
    }
    if (n >= len) return 0;
  }
  return buf[0] != 0;
}

/* The campaign's options into o, with -pseudos the recorded absolute files. */
static int fill(PetscOptions o, const cJSON *opts, const char *psp_files, const char *where)
{
  char name[256], val[8192];
  for (const cJSON *e = opts->child; e; e = e->next) {
    if (!e->string || skip(e) || !value_text(e, val, sizeof val)) continue;
    snprintf(name, sizeof name, "-%s", e->string);
    SF_PETSC(PetscOptionsSetValue(o, name, val));
  }
  size_t n = 0;
  for (const char *p = psp_files; *p && n < sizeof val - 1; p++) val[n++] = *p == '\n' ? ',' : *p;
  while (n > 0 && val[n - 1] == ',') n--;
  val[n] = 0;
  if (!n) SF_ERROR(SF_ERR_INPUT, "%s records no pseudopotential files (attribute psp_files)", where);
  SF_PETSC(PetscOptionsSetValue(o, "-pseudos", val));
  return SF_OK;
}

int sf_campaign_input_read(const char *attributes_json, const char *where, sf_input *in, sf_relax_params *rp)
{
  int st = SF_OK, pushed = 0;
  PetscOptions o = NULL;
  cJSON *top = cJSON_Parse(attributes_json ? attributes_json : ""), *opts = NULL;
  const cJSON *ot = cJSON_GetObjectItemCaseSensitive(top, "options"),
              *files = cJSON_GetObjectItemCaseSensitive(top, "psp_files");
  opts = cJSON_IsString(ot) ? cJSON_Parse(ot->valuestring) : NULL;
  memset(in, 0, sizeof *in);
  if (!cJSON_IsObject(opts) || !cJSON_IsString(files))
    SF_ERROR_GOTO(SF_ERR_INPUT, "%s records no campaign options: cannot recompute its samples", where);
  SF_PETSC_GOTO(PetscOptionsCreate(&o));
  SF_CHECK_GOTO(fill(o, opts, files->valuestring, where));
  SF_PETSC_GOTO(PetscOptionsPush(o));
  pushed = 1;
  /* a registry of its own: the caller's options were finished (checked) before */
  SF_CHECK_GOTO(sf_options_begin("campaign"));
  SF_CHECK_GOTO(sf_input_read(in));
  SF_CHECK_GOTO(sf_input_read_relax(rp));
cleanup:
  if (pushed) PetscOptionsPop();
  if (o) PetscOptionsDestroy(&o);
  cJSON_Delete(opts);
  cJSON_Delete(top);
  if (st) {
    /* say which dataset's options failed, keeping the reason */
    char why[1024];
    snprintf(why, sizeof why, "%s", sf_error_message());
    if (strstr(why, where)) return st;
    sf_error_reset();
    return sf_error_set(st, __FILE__, __LINE__, __func__, "the campaign of %s: %s", where, why);
  }
  return SF_OK;
}
