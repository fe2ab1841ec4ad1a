/* cmd_predict.c — `strainfield predict`: the options, the strains (-strain_D or a
 * -strain_file), the checks of the outputs, the JSON of F, relaxed xred, ∂F/∂D, the
 * stress, elastic tensor and stability (elastic.h), and the warnings; what the model says is analysis's (predict.h): the fields (HDF5, and XSF
 * or Gaussian cube files for structure viewers, -fields_format) and, with -bench, the timings. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/elastic.h"
#include "strainfield/gridfile.h"
#include "strainfield/h5io.h"
#include "strainfield/options.h"
#include "strainfield/predict.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The resolved options of predict. */
typedef struct {
  char model[1024], summary[1024], fields[1024], sfile[1024], dataset[1024];
  int have_summary, have_fields, have_sfile, have_D, have_ds, do_bench, znucl, fp64, fields_std;
  int formats; /* -fields_format: SF_GRID_* bits */
  double D1[6];
} predict_opts;

/* key: one row of w numbers per strain; one strain: the row (a number when w = 1),
 * several: an array of rows. */
static void add_rows(cJSON *root, const char *key, const double *v, int n, int w)
{
  cJSON *o = n == 1 ? NULL : cJSON_CreateArray();
  if (n == 1) o = w == 1 ? cJSON_CreateNumber(v[0]) : cJSON_CreateDoubleArray(v, w);
  else if (w == 1) o = cJSON_CreateDoubleArray(v, n);
  for (int i = 0; i < n && n > 1 && w > 1; i++) cJSON_AddItemToArray(o, cJSON_CreateDoubleArray(v + (size_t)i * w, w));
  cJSON_AddItemToObject(root, key, o);
}

/* The JSON of the predictions: one strain as plain values, several as arrays; with an
 * ensemble, the spread of each (*_std: the members' standard deviation). */
static void predictions_json(cJSON *root, const sf_model *m, const double *D, int n, const sf_predictions *p)
{
  const int nx = 3 * m->natom;
  add_rows(root, "strain_D", D, n, 6);
  add_rows(root, "free_energy", p->F, n, 1);
  add_rows(root, "xred", p->x, n, nx);
  add_rows(root, "dF_dD", p->dF, n, 6);
  if (p->Fstd) {
    cJSON_AddNumberToObject(root, "ensemble", sf_model_ensemble_size(m));
    add_rows(root, "free_energy_std", p->Fstd, n, 1);
    add_rows(root, "xred_std", p->xstd, n, nx);
    add_rows(root, "dF_dD_std", p->dFstd, n, 6);
  }
  cJSON_AddStringToObject(root, "units", "free_energy Ha; xred reduced; dF_dD Ha per unit lambda and Ha per degree");
}

/* Stress, elastic tensor and stability at each strain (el: n states), as predictions_json
 * lays them out: plain values for one strain, arrays for several. */
static void elastic_json(cJSON *root, const sf_elastic *el, int n)
{
  for (int key = 0; key < SF_ELASTIC_NKEY; key++) {
    cJSON *v = n == 1 ? sf_elastic_json_item(&el[0], key) : cJSON_CreateArray();
    for (int i = 0; i < n && n > 1; i++) cJSON_AddItemToArray(v, sf_elastic_json_item(&el[i], key));
    cJSON_AddItemToObject(root, sf_elastic_keys[key], v);
  }
  cJSON_AddStringToObject(root, "elastic_units",
                          "stress (Cauchy, eq. 13), stress_small_strain (eq. 14), elastic_tensor (Voigt 11 22 33 23 13 "
                          "12, engineering shear strains) and stability_eigenvalues (Wallace's B, Mandel form) in "
                          "Ha/Bohr^3, the *_GPa keys in GPa; tensors in the Cartesian frame of lattice (rows, Bohr); "
                          "stability_mode: strain tensor (e11 e22 e33 e23 e13 e12), unit norm");
}

static void elastic_log(const sf_elastic *e)
{
  const double G = SF_HA_BOHR3_GPA;
  sf_log(1, "  stress (GPa): %.3f %.3f %.3f %.3f %.3f %.3f (11 22 33 23 13 12)\n", G * e->stress[0][0],
         G * e->stress[1][1], G * e->stress[2][2], G * e->stress[1][2], G * e->stress[0][2], G * e->stress[0][1]);
  sf_log(1, "  C (GPa): C11 %.2f C22 %.2f C33 %.2f C12 %.2f C13 %.2f C23 %.2f C44 %.2f C55 %.2f C66 %.2f; VRH K %.2f G %.2f\n",
         G * e->C[0][0], G * e->C[1][1], G * e->C[2][2], G * e->C[0][1], G * e->C[0][2], G * e->C[1][2], G * e->C[3][3],
         G * e->C[4][4], G * e->C[5][5], G * 0.5 * (e->KV + e->KR), G * 0.5 * (e->GV + e->GR));
  sf_log(1, "  stability (Wallace's B) eigenvalues (GPa): %.2f %.2f %.2f %.2f %.2f %.2f: %s\n", G * e->eig[0], G * e->eig[1],
         G * e->eig[2], G * e->eig[3], G * e->eig[4], G * e->eig[5], e->stable ? "stable" : "unstable");
}

static int predict_body(const predict_opts *o, const sf_model *m, const double *D, int n, int rec_threads)
{
  int rank, st = SF_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sf_predictions pr;
  SF_CHECK(sf_predict_all(m, D, n, &pr));
  pr.fields_std = o->fields_std;
  cJSON *root = cJSON_CreateObject();
  sf_elastic *el = NULL;
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "dataset_checksum", m->dataset_checksum);
  predictions_json(root, m, D, n, &pr);
  if (m->have_ref) {
    SF_CHECK_GOTO(sf_calloc((void **)&el, n, sizeof *el));
    for (int i = 0; i < n; i++) SF_CHECK_GOTO(sf_model_elastic(m, D + 6 * i, &el[i]));
    elastic_json(root, el, n);
  } else if (rank == 0)
    fprintf(stderr, "strainfield: note: %s has no reference lattice: no stress or elastic constants\n", o->model);
  double box[4];
  const int nout = sf_predict_count_outside(m, D, n, box);
  cJSON_AddNumberToObject(root, "outside_training_range", nout);
  if (nout && rank == 0)
    fprintf(stderr,
            "strainfield: warning: %d of %d strain%s outside the training campaign's box (lambda in [%g, %g], theta in "
            "[%g, %g] deg): the networks extrapolate there\n",
            nout, n, n == 1 ? " lies" : "s lie", box[0], box[1], box[2], box[3]);
  const double *dF = pr.dF;
  sf_log(1, "predict: %d strain(s); first: F = %.8f Ha, dF/dD = [%.5f %.5f %.5f %.6f %.6f %.6f]\n", n, pr.F[0], dF[0],
         dF[1], dF[2], dF[3], dF[4], dF[5]);
  if (el) elastic_log(&el[0]);
  if (o->do_bench) SF_CHECK_GOTO(sf_predict_bench(m, root, rec_threads));
  if (rank == 0 && o->have_fields && (o->formats & SF_GRID_H5)) SF_CHECK_GOTO(sf_predict_write_fields(o->fields, m, D, n, &pr));
  if (rank == 0 && o->have_fields && (o->formats & ~SF_GRID_H5))
    SF_CHECK_GOTO(sf_predict_write_grid_files(o->fields, o->formats, m, D, n, &pr, o->znucl));
  if (rank == 0 && o->have_summary) SF_CHECK_GOTO(sf_write_json_file(o->summary, root));
cleanup:
  cJSON_Delete(root);
  sf_free(el);
  sf_predictions_free(&pr);
  return st;
}

/* Every output (NULL: not asked for) checked against the inputs before the model is read:
 * the summary, and the fields file and the grid files of -fields_format for n strains. */
static int check_outputs(const predict_opts *o, int n)
{
  const sf_path_input in[] = {{"-model", o->model},
                              {"-strain_file", o->have_sfile ? o->sfile : NULL},
                              {"-dataset", o->have_ds ? o->dataset : NULL}};
  const int ngrid = o->have_fields ? n * SF_NFIELD * 2 : 0;
  sf_path_input *out = NULL;
  char(*names)[1100] = NULL;
  int nout = 2, st = SF_OK;
  SF_CHECK_GOTO(sf_calloc((void **)&out, 2 + ngrid, sizeof *out));
  SF_CHECK_GOTO(sf_calloc((void **)&names, ngrid + 1, sizeof *names));
  out[0] = (sf_path_input){"-summary", o->have_summary ? o->summary : NULL};
  out[1] = (sf_path_input){"-fields", o->have_fields && (o->formats & SF_GRID_H5) ? o->fields : NULL};
  for (int i = 0; i < n && o->have_fields; i++)
    for (int f = 0; f < SF_NFIELD; f++)
      for (int fmt = SF_GRID_XSF; fmt <= SF_GRID_CUBE; fmt *= 2)
        if (o->formats & fmt) {
          sf_grid_file_name(o->fields, n > 1 ? i : -1, sf_field_names[f], fmt, names[nout - 2], sizeof names[0]);
          out[nout] = (sf_path_input){"-fields", names[nout - 2]};
          nout++;
        }
  SF_CHECK_GOTO(sf_check_outputs(out, nout, in, 3));
cleanup:
  sf_free(out);
  sf_free(names);
  return st;
}

static int read_opts(predict_opts *o)
{
  int nD;
  memset(o, 0, sizeof *o);
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 written by train", o->model, sizeof o->model, NULL));
  SF_CHECK(sf_opt_real_array("-strain_D", 6, 6, NULL, 0, "one strain: la,lb,lc,tha,thb,thc (degrees)", o->D1, &nD, &o->have_D));
  SF_CHECK(sf_opt_string("-strain_file", NULL, "text file of strains, 6 numbers a line", o->sfile, sizeof o->sfile, &o->have_sfile));
  SF_CHECK(sf_opt_string("-summary", NULL, "JSON: free_energy, xred, dF_dD, stress, elastic_tensor, stability", o->summary, sizeof o->summary, &o->have_summary));
  SF_CHECK(sf_opt_string("-fields", NULL, "the predicted fields: HDF5 file (and the stem of -fields_format's xsf/cube files)",
                         o->fields, sizeof o->fields, &o->have_fields));
  char fmt[256];
  SF_CHECK(sf_opt_string("-fields_format", "h5", "formats of -fields: list of h5, xsf (XCrySDen, VESTA), cube (Gaussian "
                         "cube: VESTA, VMD, OVITO); xsf and cube: one file per field (and strain)", fmt, sizeof fmt, NULL));
  SF_CHECK(sf_grid_formats_parse("-fields_format", fmt, &o->formats));
  SF_CHECK(sf_opt_int("-fields_znucl", 0, "atomic number of every atom in the xsf/cube files (0: the training "
                      "campaign's znucl and typat, recorded in the model)", &o->znucl, NULL));
  SF_CHECK(sf_opt_string("-dataset", NULL, "refuse unless the model was trained on this dataset", o->dataset, sizeof o->dataset, &o->have_ds));
  SF_CHECK(sf_opt_bool("-fields_std", 0, "with an ensemble model: -fields adds /fields_std, the members' standard "
                       "deviation of each field at every grid point", &o->fields_std, NULL));
  SF_CHECK(sf_opt_bool("-fp64", 0, "evaluate the networks in float64 (default: float32 copies, ~1e-7 relative)", &o->fp64, NULL));
  SF_CHECK(sf_opt_bool("-bench", 0, "time single and batched prediction and field reconstruction", &o->do_bench, NULL));
  return SF_OK;
}

/* Field reconstruction streams ~28 MB of basis per field (36x64x60, 50 components): it
 * is memory-bound and a second core nearly doubles the bandwidth.  On one rank, with
 * OPENBLAS_NUM_THREADS unset (main.c then forces 1), BLAS gets every core for it;
 * network prediction stays single-threaded (tiny GEMVs: thread wake-up costs more).
 * Returns the count to report. */
static int reconstruct_threads(void)
{
  int nrank, rec_threads = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &nrank);
  if (nrank == 1 && !getenv("OPENBLAS_NUM_THREADS")) rec_threads = openblas_get_num_procs();
  else if (getenv("OPENBLAS_NUM_THREADS")) rec_threads = atoi(getenv("OPENBLAS_NUM_THREADS")); /* report only */
  if (rec_threads < 1) rec_threads = 1;
  if (rec_threads > 2 && !getenv("OPENBLAS_NUM_THREADS")) rec_threads = 2;
  sf_predict_set_reconstruct_threads(getenv("OPENBLAS_NUM_THREADS") ? 1 : rec_threads);
  return rec_threads;
}

/* Refuses a -dataset the model was not trained on. */
static int check_dataset(const sf_model *m, const char *path)
{
  sf_dataset ds;
  SF_CHECK(sf_dataset_open(path, &ds));
  int st = sf_model_check_dataset(m, &ds);
  sf_dataset_free(&ds);
  SF_CHECK(st);
  return SF_OK;
}

int sf_cmd_predict(void)
{
  predict_opts o;
  SF_CHECK(read_opts(&o));
  SF_CHECK(sf_options_finish());
  if (o.have_D == o.have_sfile) SF_ERROR(SF_ERR_INPUT, "predict needs exactly one of -strain_D and -strain_file");
  double *D = o.D1;
  int n = 1, st = SF_OK, have_m = 0;
  sf_model m;
  if (o.have_sfile) {
    SF_CHECK_GOTO(sf_path_check_regular("-strain_file", o.sfile));
    SF_CHECK_GOTO(sf_read_strain_file(o.sfile, &D, &n));
  }
  SF_CHECK_GOTO(check_outputs(&o, n));
  SF_CHECK_GOTO(sf_model_read(o.model, &m));
  have_m = 1;
  if (o.fp64) m.have_fast = 0; /* sf_model_predict then runs the float64 networks */
  if (o.fields_std && !o.have_fields) SF_ERROR_GOTO(SF_ERR_INPUT, "-fields_std needs -fields (the file it is written to)");
  if (o.fields_std && sf_model_ensemble_size(&m) < 2)
    SF_ERROR_GOTO(SF_ERR_INPUT, "-fields_std: %s is a model of one network each, not an ensemble (train -ensemble K)", o.model);
  const int rec_threads = reconstruct_threads();
  if (o.have_ds) SF_CHECK_GOTO(check_dataset(&m, o.dataset));
  const char *why = o.have_D ? sf_predict_invalid_strain(o.D1) : NULL;
  if (why) SF_ERROR_GOTO(SF_ERR_INPUT, "-strain_D: %s", why);
  SF_CHECK_GOTO(predict_body(&o, &m, D, n, rec_threads));
cleanup:
  if (D != o.D1) sf_free(D);
  if (have_m) sf_model_free(&m);
  return st;
}
