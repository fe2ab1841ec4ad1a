/* dataset.h — the campaign dataset (docs/dataset.md): its schema, one record per sample,
 * the crash-safe per-sample part files, the parallel HDF5 assembly of the final file,
 * the reader used by training, and the campaign loop that fills it.
 *
 * Owns: the schema (one table of columns, sf_columns below: /samples/<name>; and the
 * field list, fields.h: /fields/<name>), used by the part files, the final file, the
 * reader and the docs (tests/unit/test_schema.c checks docs/dataset.md against both);
 * writing a part atomically (tmp → fsync → rename → fsync of the directory), scanning
 * the parts of an interrupted campaign, the campaign settings record and its comparison
 * on -resume, the collective write of OUT.h5 (MPI-IO driver, each rank writes its block
 * of samples by hyperslab), and reading it back (sf_dataset).
 */
#ifndef STRAINFIELD_DATASET_H
#define STRAINFIELD_DATASET_H

#include <mpi.h>
#include <stddef.h>

#include "strainfield/fields.h"
#include "strainfield/relax.h"
#include "strainfield/sampling.h"
#include "strainfield/terms.h"

#define SF_REASON_LEN 256
enum { SF_SAMPLE_MISSING = 0, SF_SAMPLE_OK = 1, SF_SAMPLE_FAILED = -1 };

/* Everything stored for one sample.  Arrays are owned by the record. */
enum { SF_INIT_DEFAULT = 0, SF_INIT_MODEL = 1 }; /* column init: what started a sample */

typedef struct {
  long index;
  int status;                       /* SF_SAMPLE_* */
  char reason[SF_REASON_LEN];       /* empty when ok */
  double D[6], lattice[3][3], strain_F[3][3], strain_E[3][3], strain_eps[3][3];
  double stress[3][3], max_force;
  double free_energy, internal_energy, band_energy, entropy_term, fermi_energy;
  double e_term[SF_NTERM];          /* columns e_<name>, indexed by SF_TERM_* (terms.h) */
  int scf_iterations, relax_evaluations, ionic_steps, attempts;
  int init;                         /* SF_INIT_*: how the relaxation started */
  int round;                        /* active learning / retraining round (0 otherwise) */
  double predicted_std;             /* the round model's normalised spread at D (NaN: none) */
  double wall_s;
  int natom, n[3];
  double *xred, *fcart;             /* [natom*3] */
  double *field[SF_NFIELD];         /* indexed by SF_FIELD_* (fields.h): [n1*n2*n3], i3 fastest */
} sf_sample_record;

/* ---- the schema (schema.c) ---- */
/* The HDF5 groups of a dataset and of a part file: /samples/<column>, /fields/<field>. */
#define SF_SAMPLES_GROUP "samples"
#define SF_FIELDS_GROUP "fields"

/* Root attributes that the reader needs by name (the others: dataset_h5.c, docs). */
#define SF_ATTR_REFERENCE_LATTICE "reference_lattice"
#define SF_ATTR_NSAMPLES_OK "nsamples_ok"           /* progress counters: not part of */
#define SF_ATTR_NSAMPLES_FAILED "nsamples_failed"   /* the dataset's identity */
#define SF_ATTR_NSAMPLES_MISSING "nsamples_missing"

enum { SF_COL_DOUBLE, SF_COL_INT, SF_COL_STRING /* SF_REASON_LEN bytes, NUL-terminated */ };

/* One column of /samples: per sample `rank` dimensions `dims` (-1 = natom), stored in the
 * record at `offset` (through a pointer when `pointer`: xred, fcart).  The dataset's
 * `units` attribute is "units; meaning" (or the one that is not empty). */
typedef struct {
  const char *name;
  int type;           /* SF_COL_* */
  int rank;           /* per-sample rank (0 = scalar) */
  int dims[2];
  size_t offset;      /* into sf_sample_record */
  int pointer;
  const char *units;  /* "" for counts, flags and text */
  const char *meaning;
} sf_column;

extern const sf_column sf_columns[];
extern const int sf_ncolumns;

/* A field's description (the X-macro of fields.h as a table). */
typedef struct {
  const char *name, *units, *meaning;
} sf_field_info;
extern const sf_field_info sf_fields[SF_NFIELD];

/* The column called name, or NULL. */
const sf_column *sf_column_find(const char *name);
/* Number of values of a column for one sample, and a pointer to them in r. */
size_t sf_column_count(const sf_column *c, int natom);
void *sf_column_data(const sf_column *c, sf_sample_record *r);
/* Paths inside a file: "/samples/<column>" and "/fields/<field>". */
void sf_column_path(const sf_column *c, char *path, size_t len);
void sf_field_path(int f, char *path, size_t len);

/* Allocates the arrays (fields too when with_fields) and fills every double with NaN,
 * status missing. */
int sf_record_alloc(sf_sample_record *r, int natom, const int n[3], int with_fields);
void sf_record_free(sf_sample_record *r);

/* Part files: DIR/sample_%07ld.h5. */
void sf_part_path(const char *dir, long index, char *path, size_t len);
/* Built in memory, written to a temporary name, flushed to disk, renamed: the part
 * either exists complete or not at all, whatever moment the process is killed; a
 * failed write (full disk) leaves no temporary and no HDF5 handle behind.  The part
 * holds the MD5 of its content (attribute "md5", see sf_record_md5). */
int sf_part_write(const char *dir, const sf_sample_record *r);
/* Reads a part into r (allocated by the caller with sf_record_alloc, with or without
 * fields). */
int sf_part_read(const char *path, sf_sample_record *r, int with_fields);
/* MD5 of everything a record stores (every column, then the fields present). */
void sf_record_md5(const sf_sample_record *r, char hex[33]);
/* 1 when the part at path opens, reads and matches its stored MD5; else 0 with why. */
int sf_part_verify(const char *path, int natom, const int n[3], char *why, size_t len);
/* Creates dir if missing, deletes leftover temporaries; have[i] = 1 for every part
 * 0 <= i < n that passes sf_part_verify.  A damaged part is reported (by name) and
 * deleted, so that the campaign computes it again. */
int sf_parts_scan(const char *dir, long n, int natom, const int grid[3], char *have);
/* Removes every part of DIR, then DIR/campaign.json (last: while it exists, DIR is a
 * campaign); the lock stays for sf_campaign_unlock. */
void sf_parts_remove(const char *dir);

/* One campaign per dataset (lock.c): an fcntl write lock on DIR/lock, created with DIR
 * when missing (*created_dir = 1), holding "pid P on host H".  Refused with SF_ERR_INPUT
 * naming the holder when another process has it.  Rank 0 only. */
int sf_campaign_lock(const char *dir, int *fd, int *created_dir);
/* Releases it; with remove_dir, deletes the lock file and DIR (if otherwise empty). */
void sf_campaign_unlock(const char *dir, int fd, int remove_dir);

/* Test-only kill and failure points (test_points.c; phases start, mid-sample,
 * part-write, assembly, parts-removal): SF_TEST_KILL_AT=PHASE[:N] raises SIGKILL the N-th
 * time PHASE is reached; sf_test_fail_point is 1 at the N-th PHASE of SF_TEST_FAIL_AT. */
void sf_test_kill_point(const char *phase);
int sf_test_fail_point(const char *phase);

/* fsync a file, and (best effort) the directory holding it: with rename, what makes a
 * write atomic and durable. */
int sf_fsync_path(const char *path);
int sf_fsync_dir_of(const char *path);

/* Campaign-wide description written as attributes of the final file. */
typedef struct {
  const char *options_json;   /* every resolved option */
  const char *settings_json;  /* what must agree on -resume (options + psp md5 + grid) */
  int npsp;
  const char (*psp_paths)[1024];
  const char (*psp_md5)[33];
  int natom, ntypat, n[3];
  const int *typat;           /* 0-based */
  const double *znucl;
  double ref_rprimd[3][3];
  const double (*ref_xred)[3];
  long nsamples;
  int compress;               /* deflate level for the fields, 0 = none */
} sf_dataset_meta;

/* Collective over comm: writes PATH.tmp with parallel HDF5 from the part files in
 * parts_dir (missing samples get status 0, NaN data and the D of `Dmissing`), then
 * renames it to path.  Dmissing[i*6..] is the D of sample i (all samples).  Returns the
 * counts of ok, failed and missing samples. */
int sf_dataset_assemble(MPI_Comm comm, const char *path, const char *parts_dir, const sf_dataset_meta *meta,
                        const double *Dall, long counts[3]);

/* Reads the settings attribute and the status column of a finished dataset (rank-local,
 * serial).  *settings_json and *status are malloc'd (caller frees). */
int sf_dataset_read_state(const char *path, char **settings_json, int **status, long *n);

/* The settings record of a running campaign (DIR/campaign.json): its path, read (*text
 * malloc'd, caller frees), and written atomically (tmp → fsync → rename → fsync of the
 * folder). */
#define SF_SETTINGS_FILE "campaign.json"
void sf_settings_path(const char *dir, char *path, size_t len);
int sf_settings_read(const char *path, char **text);
int sf_settings_write(const char *path, const char *text);
/* Compares two settings JSON objects; returns 0 when equal, else SF_ERR_INPUT with a
 * message listing each differing key as "key: dataset <old>, now <new>". */
int sf_settings_compare(const char *stored, const char *now, const char *where);

/* ---- the campaign loop (campaign.c) ---- */
typedef struct {
  const sf_cell *ref_cell;    /* the reference cell, atoms at their start positions */
  const sf_psp *psps;         /* one per type of ref_cell */
  sf_scf_params scf;          /* the campaign's settings; ngfft fixed (never 0) */
  sf_relax_params relax;
  const sf_sampler *sampler;
  const char *parts_dir;
  long nsamples;
  const char *have;           /* [nsamples] 1 = a part existed when the job started */
  int nsample_groups;         /* > 0, divides the world size */
  double walltime;            /* s; stop claiming samples after this (0 = never) */
  double sample_timeout;      /* s per sample (both attempts); then stored as failed (0 = none) */
  /* An accelerated campaign's start (generate -accelerate): the predicted relaxed positions
   * xred [natom*3] and valence density rho [nfft of the campaign grid] of sample `index` at
   * strain D; the same numbers on every rank (rank-local, deterministic).  Returns SF_OK and
   * *use = 0 to start that sample the default way.  NULL: every sample starts the default
   * way.  Its first attempt only: the retry with safer mixing starts the default way. */
  int (*start)(void *ctx, long index, const double D[6], double *xred, double *rho, int *use);
  void *start_ctx;
  /* Per sample (index < nsamples), stored in its record: the round that chose or started
   * it and the model's spread there (generate -sampling active, -accel_every).  NULL: round
   * 0, spread NaN. */
  const int *round;
  const double *predicted_std;
} sf_campaign;

/* Relaxes one strained cell on comm (one sample group) into r (allocated here, with
 * fields; free with sf_record_free).  A failure of the SCF or the relaxation is retried
 * once with safer mixing; a second failure, or the sample timeout, gives status failed
 * with the reasons, not an error.  Only I/O-free; returns non-zero only for errors that
 * must stop the campaign, SF_STOPPED when a signal stopped the sample (not done). */
int sf_campaign_sample(MPI_Comm comm, const sf_campaign *c, long i, sf_sample_record *r);
/* Collective over world: splits it into sample groups that claim the missing samples
 * dynamically (an MPI one-sided counter on world rank 0, no master rank), runs them and
 * writes each to its part file.  Progress is logged on rank 0.  ok/failed: counts of
 * samples finished by this job.  On SIGTERM, SIGINT or SIGUSR1 no group claims another
 * sample, a sample in flight is abandoned at its next SCF iteration, and *stopped is the
 * signal (the same on every rank; 0 when the campaign ran to its end). */
int sf_campaign_run(MPI_Comm world, const sf_campaign *c, long *ok, long *failed, int *stopped);

/* ---- the reader (dataset_read.c) ---- */
/* The training view of a finished dataset: the small columns on every rank, the fields
 * read on demand by plane ranges (so a snapshot matrix can stay distributed).  The
 * dataset identity is an FNV-1a 64-bit hash of every root attribute (name, type size,
 * bytes, in name order; the progress counters nsamples_ok/failed/missing left out) and
 * of /samples/D. */
typedef struct sf_dataset {
  char path[1024];
  int N, natom, ngrid[3];
  long npt;
  double *D;      /* [N][6] */
  double *F;      /* [N] free energy, Ha */
  double *xred;   /* [N][natom][3] */
  int *status;    /* [N] (all 1 when the file has no status column) */
  double *rprimd; /* [N][9] lattice of each sample (from the file, or ref + D), NULL if unknown */
  double *stress; /* [N][9] DFT stress of each sample (Ha/Bohr³, the frame of rprimd), NULL if no column */
  double ref_rprimd[9];
  int have_ref;
  int has_field[SF_NFIELD];
  char checksum[17];  /* hex FNV-1a 64 */
  char *settings;     /* JSON object text of the root attributes */
} sf_dataset;

/* Reads the small arrays (every rank reads them); fields are read on demand. */
int sf_dataset_open(const char *path, sf_dataset *ds);
/* out (n × nplanes·n2·n3) = planes [plane0, plane0+nplanes) of field f for samples idx[]. */
int sf_dataset_read_field(const sf_dataset *ds, int f, const int *idx, int n, int plane0, int nplanes,
                          double *out);
void sf_dataset_free(sf_dataset *ds);

#endif
