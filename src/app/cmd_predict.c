/* cmd_predict.c — `strainfield predict`: a trained model at one or many strains D:
 * free energy, relaxed xred, ∂F/∂D (JSON), the four fields (HDF5, and XSF for VESTA),
 * and with -bench the timings of single and batched prediction. */
#include "strainfield/app.h"
#include "strainfield/core.h"
#include "strainfield/crystal.h"
#include "strainfield/ml.h"
#include "strainfield/options.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOHR_ANGSTROM 0.52917721067

static int read_strain_file(const char *path, double **D, int *n)
{
  FILE *fp = fopen(path, "r");
  if (!fp) SF_ERROR(SF_ERR_FILE, "cannot open strain file %s", path);
  int cap = 64, cnt = 0, st = 0;
  char line[1024];
  st = sf_calloc((void **)D, 6 * (size_t)cap, sizeof(double));
  while (!st && fgets(line, sizeof line, fp)) {
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || !*p) continue;
    for (char *q = p; *q; q++)
      if (*q == ',') *q = ' ';
    double v[6];
    if (sscanf(p, "%lf %lf %lf %lf %lf %lf", v, v + 1, v + 2, v + 3, v + 4, v + 5) != 6) {
      st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "%s: line '%.40s' is not 6 numbers", path, p);
      break;
    }
    if (cnt == cap) {
      double *nd = NULL;
      st = sf_calloc((void **)&nd, 12 * (size_t)cap, sizeof(double));
      if (st) break;
      memcpy(nd, *D, 6 * (size_t)cap * sizeof(double));
      sf_free(*D);
      *D = nd;
      cap *= 2;
    }
    memcpy(*D + 6 * (size_t)cnt++, v, sizeof v);
  }
  fclose(fp);
  SF_CHECK(st);
  if (!cnt) SF_ERROR(SF_ERR_INPUT, "%s has no strains", path);
  *n = cnt;
  return SF_OK;
}

static int write_xsf(const char *path, const sf_model *m, const double rprimd[9], const double *xred, int znucl,
                     const double *field)
{
  FILE *fp = fopen(path, "w");
  if (!fp) SF_ERROR(SF_ERR_FILE, "cannot write %s", path);
  fprintf(fp, "# strainfield %s predicted field (atomic units; lattice in Angstrom)\nCRYSTAL\nPRIMVEC\n", SF_VERSION);
  for (int i = 0; i < 3; i++)
    fprintf(fp, " %.10f %.10f %.10f\n", rprimd[3 * i] * BOHR_ANGSTROM, rprimd[3 * i + 1] * BOHR_ANGSTROM,
            rprimd[3 * i + 2] * BOHR_ANGSTROM);
  fprintf(fp, "PRIMCOORD\n %d 1\n", m->natom);
  for (int a = 0; a < m->natom; a++) {
    double c[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
      for (int j = 0; j < 3; j++) c[k] += xred[3 * a + j] * rprimd[3 * j + k];
    fprintf(fp, " %d %.10f %.10f %.10f\n", znucl, c[0] * BOHR_ANGSTROM, c[1] * BOHR_ANGSTROM, c[2] * BOHR_ANGSTROM);
  }
  const int n1 = m->ngrid[0], n2 = m->ngrid[1], n3 = m->ngrid[2];
  fprintf(fp, "BEGIN_BLOCK_DATAGRID_3D\n strainfield\n BEGIN_DATAGRID_3D_field\n %d %d %d\n 0 0 0\n", n1 + 1, n2 + 1, n3 + 1);
  for (int i = 0; i < 3; i++)
    fprintf(fp, " %.10f %.10f %.10f\n", rprimd[3 * i] * BOHR_ANGSTROM, rprimd[3 * i + 1] * BOHR_ANGSTROM,
            rprimd[3 * i + 2] * BOHR_ANGSTROM);
  /* XSF: first index fastest, periodic end points included */
  int cnt = 0;
  for (int k = 0; k <= n3; k++)
    for (int j = 0; j <= n2; j++)
      for (int i = 0; i <= n1; i++) {
        fprintf(fp, " %.8e", field[((size_t)(i % n1) * n2 + j % n2) * n3 + k % n3]);
        if (++cnt % 6 == 0) fputc('\n', fp);
      }
  fprintf(fp, "\n END_DATAGRID_3D\nEND_BLOCK_DATAGRID_3D\n");
  if (fclose(fp)) SF_ERROR(SF_ERR_FILE, "cannot write %s", path);
  return SF_OK;
}

static int wr(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data)
{
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = d < 0 ? -1 : H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (d >= 0) H5Dclose(d);
  H5Sclose(sp);
  if (st < 0) SF_ERROR(SF_ERR_FILE, "HDF5: cannot write %s", name);
  return SF_OK;
}

static int write_fields_h5(const char *path, const sf_model *m, const double *D, int n, const double *F,
                           const double *xred, const double *dF, const double *coef)
{
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) SF_ERROR(SF_ERR_FILE, "cannot create %s", tmp);
  int ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  hsize_t d6[2] = {(hsize_t)n, 6}, d1 = (hsize_t)n, dx[3] = {(hsize_t)n, (hsize_t)m->natom, 3},
          dc[2] = {(hsize_t)n, (hsize_t)ktot};
  int st = wr(file, "D", 2, d6, D);
  if (!st) st = wr(file, "free_energy", 1, &d1, F);
  if (!st) st = wr(file, "xred", 3, dx, xred);
  if (!st) st = wr(file, "dF_dD", 2, d6, dF);
  if (!st) st = wr(file, "coefficients", 2, dc, coef);
  double *fld = NULL;
  if (!st) st = sf_calloc((void **)&fld, (size_t)n * m->npt, sizeof *fld);
  hid_t g = H5Gcreate2(file, "fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int off = 0;
  for (int f = 0; f < SF_NFIELD && !st; f++) {
    for (int i = 0; i < n; i++) sf_model_reconstruct(m, f, coef + (size_t)i * ktot + off, fld + (size_t)i * m->npt);
    hsize_t df[4] = {(hsize_t)n, (hsize_t)m->ngrid[0], (hsize_t)m->ngrid[1], (hsize_t)m->ngrid[2]};
    st = wr(g, sf_ml_field_names[f], 4, df, fld);
    off += m->ncomp[f];
  }
  H5Gclose(g);
  sf_free(fld);
  H5Fclose(file);
  SF_CHECK(st);
  if (rename(tmp, path)) SF_ERROR(SF_ERR_FILE, "cannot rename %s", tmp);
  return SF_OK;
}

static int bench(const sf_model *m, cJSON *root)
{
  const double D0[6] = {1.0, 1.0, 1.0, 90.0, 90.0, 90.0};
  int ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  double F, x[3 * SF_MAXATOM], *coef = NULL, *fld = NULL, *Db = NULL, *Fb = NULL, *xb = NULL, *cb = NULL;
  const int nb = 4096;
  SF_CHECK(sf_calloc((void **)&coef, ktot, sizeof *coef));
  SF_CHECK(sf_calloc((void **)&fld, (size_t)SF_NFIELD * m->npt, sizeof *fld));
  SF_CHECK(sf_calloc((void **)&Db, 6 * (size_t)nb, sizeof *Db));
  SF_CHECK(sf_calloc((void **)&Fb, nb, sizeof *Fb));
  SF_CHECK(sf_calloc((void **)&xb, (size_t)nb * 3 * m->natom + 1, sizeof *xb));
  SF_CHECK(sf_calloc((void **)&cb, (size_t)nb * ktot, sizeof *cb));
  int reps = 2000;
  double t0 = sf_wtime();
  for (int r = 0; r < reps; r++) SF_CHECK(sf_model_predict(m, D0, 1, &F, x, coef));
  double t_one = (sf_wtime() - t0) / reps;
  double dF[6];
  t0 = sf_wtime();
  for (int r = 0; r < reps; r++) SF_CHECK(sf_model_dF_dD(m, D0, &F, dF));
  double t_grad = (sf_wtime() - t0) / reps;
  int rr = 20;
  for (int f = 0; f < SF_NFIELD; f++) sf_model_reconstruct(m, f, coef, fld); /* warm */
  t0 = sf_wtime();
  for (int r = 0; r < rr; r++) {
    int off = 0;
    for (int f = 0; f < SF_NFIELD; f++) {
      sf_model_reconstruct(m, f, coef + off, fld + (size_t)f * m->npt);
      off += m->ncomp[f];
    }
  }
  double t_rec = (sf_wtime() - t0) / rr;
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < 6; j++) Db[6 * i + j] = D0[j] + (j < 3 ? 0.05 : 3.0) * (2 * sf_ml_rng_uniform(3, j, i) - 1);
  SF_CHECK(sf_model_predict(m, Db, nb, Fb, xb, cb));
  t0 = sf_wtime();
  SF_CHECK(sf_model_predict(m, Db, nb, Fb, xb, cb));
  double t_batch = sf_wtime() - t0;
  cJSON *b = cJSON_AddObjectToObject(root, "timing");
  cJSON_AddNumberToObject(b, "predict_one_us", 1e6 * t_one);
  cJSON_AddNumberToObject(b, "dF_dD_one_us", 1e6 * t_grad);
  cJSON_AddNumberToObject(b, "reconstruct_4_fields_ms", 1e3 * t_rec);
  cJSON_AddItemToObject(b, "grid", cJSON_CreateIntArray(m->ngrid, 3));
  cJSON_AddNumberToObject(b, "batch_size", nb);
  cJSON_AddNumberToObject(b, "batch_throughput_per_s", nb / t_batch);
  sf_log(1, "predict bench: one D (F, xred, %d coefficients) %.2f us; dF/dD %.2f us; 4 fields on %dx%dx%d %.3f ms; "
            "batched %.0f strains/s\n", ktot, 1e6 * t_one, 1e6 * t_grad, m->ngrid[0], m->ngrid[1], m->ngrid[2], 1e3 * t_rec,
         nb / t_batch);
  sf_free(coef);
  sf_free(fld);
  sf_free(Db);
  sf_free(Fb);
  sf_free(xb);
  sf_free(cb);
  return SF_OK;
}

static int json_out(const char *path, cJSON *root)
{
  char *text = cJSON_Print(root);
  FILE *fp = text ? fopen(path, "w") : NULL;
  int ok = fp && fputs(text, fp) >= 0 && fputc('\n', fp) != EOF;
  if (fp) ok = !fclose(fp) && ok;
  free(text);
  if (!ok) SF_ERROR(SF_ERR_FILE, "cannot write %s", path);
  return SF_OK;
}

static int predict_body(sf_model *m, double *D, int n, const char *summary, int have_summary, const char *fields,
                        int have_fields, const char *xsf, int have_xsf, int znucl, int do_bench)
{
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int nx = 3 * m->natom;
  int ktot = 0;
  for (int f = 0; f < SF_NFIELD; f++) ktot += m->ncomp[f];
  double *F = NULL, *x = NULL, *dF = NULL, *coef = NULL;
  SF_CHECK(sf_calloc((void **)&F, n, sizeof *F));
  SF_CHECK(sf_calloc((void **)&x, (size_t)n * nx + 1, sizeof *x));
  SF_CHECK(sf_calloc((void **)&dF, 6 * (size_t)n, sizeof *dF));
  SF_CHECK(sf_calloc((void **)&coef, (size_t)n * ktot, sizeof *coef));
  SF_CHECK(sf_model_predict(m, D, n, F, x, coef));
  for (int i = 0; i < n; i++) SF_CHECK(sf_model_dF_dD(m, D + 6 * i, NULL, dF + 6 * i));
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "version", SF_VERSION);
  cJSON_AddStringToObject(root, "dataset_checksum", m->dataset_checksum);
  if (n == 1) {
    cJSON_AddItemToObject(root, "strain_D", cJSON_CreateDoubleArray(D, 6));
    cJSON_AddNumberToObject(root, "free_energy", F[0]);
    cJSON_AddItemToObject(root, "xred", cJSON_CreateDoubleArray(x, nx));
    cJSON_AddItemToObject(root, "dF_dD", cJSON_CreateDoubleArray(dF, 6));
  } else {
    cJSON *a = cJSON_AddArrayToObject(root, "strain_D"), *b = cJSON_AddArrayToObject(root, "xred"),
          *c = cJSON_AddArrayToObject(root, "dF_dD");
    cJSON_AddItemToObject(root, "free_energy", cJSON_CreateDoubleArray(F, n));
    for (int i = 0; i < n; i++) {
      cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(D + 6 * i, 6));
      cJSON_AddItemToArray(b, cJSON_CreateDoubleArray(x + (size_t)i * nx, nx));
      cJSON_AddItemToArray(c, cJSON_CreateDoubleArray(dF + 6 * i, 6));
    }
  }
  cJSON_AddStringToObject(root, "units", "free_energy Ha; xred reduced; dF_dD Ha per unit lambda and Ha per degree");
  sf_log(1, "predict: %d strain(s); first: F = %.8f Ha, dF/dD = [%.5f %.5f %.5f %.6f %.6f %.6f]\n", n, F[0], dF[0], dF[1],
         dF[2], dF[3], dF[4], dF[5]);
  int st = 0;
  if (do_bench) st = bench(m, root);
  if (!st && rank == 0 && have_fields) st = write_fields_h5(fields, m, D, n, F, x, dF, coef);
  if (!st && rank == 0 && have_xsf) {
    if (!m->have_ref) st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "-xsf: the model has no reference lattice");
    double r[3][3], ref[3][3], *fld = NULL;
    memcpy(ref, m->ref_rprimd, sizeof ref);
    if (!st) st = sf_lattice_from_strain(ref, D, r);
    if (!st) st = sf_calloc((void **)&fld, m->npt, sizeof *fld);
    int off = 0;
    for (int f = 0; f < SF_NFIELD && !st; f++) {
      char p[1100];
      snprintf(p, sizeof p, "%s_%s.xsf", xsf, sf_ml_field_names[f]);
      sf_model_reconstruct(m, f, coef + off, fld);
      st = write_xsf(p, m, (const double *)r, x, znucl, fld);
      off += m->ncomp[f];
    }
    sf_free(fld);
  }
  if (!st && rank == 0 && have_summary) st = json_out(summary, root);
  cJSON_Delete(root);
  sf_free(F);
  sf_free(x);
  sf_free(dF);
  sf_free(coef);
  SF_CHECK(st);
  return SF_OK;
}

int sf_predict_run(void)
{
  char model_path[1024], summary[1024], fields[1024], xsf[1024], sfile[1024], dataset[1024];
  int have_summary, have_fields, have_xsf, have_sfile, have_D, have_ds, nD, do_bench, znucl;
  double D1[6];
  SF_CHECK(sf_opt_string("-model", "model.h5", "model HDF5 written by train", model_path, sizeof model_path, NULL));
  SF_CHECK(sf_opt_real_array("-strain_D", 6, 6, NULL, 0, "one strain: la,lb,lc,tha,thb,thc (degrees)", D1, &nD, &have_D));
  SF_CHECK(sf_opt_string("-strain_file", NULL, "text file of strains, 6 numbers a line", sfile, sizeof sfile, &have_sfile));
  SF_CHECK(sf_opt_string("-summary", NULL, "JSON: free_energy, xred, dF_dD", summary, sizeof summary, &have_summary));
  SF_CHECK(sf_opt_string("-fields", NULL, "HDF5 of the predicted fields", fields, sizeof fields, &have_fields));
  SF_CHECK(sf_opt_string("-xsf", NULL, "prefix of XSF files (VESTA) of the first strain's fields", xsf, sizeof xsf, &have_xsf));
  SF_CHECK(sf_opt_int("-xsf_znucl", 12, "atomic number written to the XSF files", &znucl, NULL));
  SF_CHECK(sf_opt_string("-dataset", NULL, "refuse unless the model was trained on this dataset", dataset, sizeof dataset, &have_ds));
  SF_CHECK(sf_opt_bool("-bench", 0, "time single and batched prediction and field reconstruction", &do_bench, NULL));
  SF_CHECK(sf_options_finish());
  if (have_D == have_sfile) SF_ERROR(SF_ERR_INPUT, "predict needs exactly one of -strain_D and -strain_file");
  sf_model m;
  SF_CHECK(sf_model_read(model_path, &m));
  int st = 0;
  if (have_ds) {
    sf_dataset ds;
    st = sf_dataset_open(dataset, &ds);
    if (!st) {
      st = sf_model_check_dataset(&m, &ds);
      sf_dataset_free(&ds);
    }
  }
  double *D = D1;
  int n = 1;
  if (!st && have_sfile) st = read_strain_file(sfile, &D, &n);
  for (int i = 0; i < n && !st; i++)
    if (!(D[6 * i] > 0 && D[6 * i + 1] > 0 && D[6 * i + 2] > 0))
      st = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__, "strain %d: stretches must be positive", i + 1);
  if (!st) st = predict_body(&m, D, n, summary, have_summary, fields, have_fields, xsf, have_xsf, znucl, do_bench);
  if (D != D1) sf_free(D);
  sf_model_free(&m);
  SF_CHECK(st);
  return SF_OK;
}

int sf_cmd_predict(void) { return sf_predict_run(); }
