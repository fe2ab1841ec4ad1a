/* dataset.h — the campaign dataset (docs/dataset.md): one record per sample, the
 * crash-safe per-sample part files and the parallel HDF5 assembly of the final file.
 *
 * Owns: the schema (one table of columns used for the part files and the final file, so
 * the two can never disagree), writing a part atomically (tmp → fsync → rename → fsync
 * of the directory), scanning the parts of an interrupted campaign, the campaign
 * settings record and its comparison on -resume, and the collective write of OUT.h5
 * (MPI-IO driver, each rank writes its block of samples by hyperslab).
 */
#ifndef STRAINFIELD_DATASET_H
#define STRAINFIELD_DATASET_H

#include <mpi.h>

#include "strainfield/app.h"
#include "strainfield/relax.h"
#include "strainfield/sampling.h"
#include "strainfield/terms.h"

#define SF_REASON_LEN 256
#define SF_NFIELD 4
enum { SF_SAMPLE_MISSING = 0, SF_SAMPLE_OK = 1, SF_SAMPLE_FAILED = -1 };

/* Everything stored for one sample.  Arrays are owned by the record. */
typedef struct {
  long index;
  int status;                       /* SF_SAMPLE_* */
  char reason[SF_REASON_LEN];       /* empty when ok */
  double D[6], lattice[3][3], strain_F[3][3], strain_E[3][3], strain_eps[3][3];
  double stress[3][3], max_force;
  double free_energy, internal_energy, band_energy, entropy_term, fermi_energy;
  double e_term[SF_NTERM];          /* columns e_<name>, indexed by SF_TERM_* (terms.h) */
  int scf_iterations, scf_runs, ionic_steps, attempts;
  double wall_time;
  int natom, n[3];
  double *xred, *fcart;             /* [natom*3] */
  double *field[SF_NFIELD];         /* rho, phi, u, s: [n1*n2*n3], i3 fastest */
} sf_sample_record;

extern const char *const sf_field_names[SF_NFIELD]; /* "rho", "phi", "u", "s" */

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

/* Compares two settings JSON objects; returns 0 when equal, else SF_ERR_INPUT with a
 * message listing each differing key as "key: dataset <old>, now <new>". */
int sf_settings_compare(const char *stored, const char *now, const char *where);

/* ---- the campaign loop (campaign.c) ---- */
typedef struct {
  const sf_input *in;         /* reference cell (atoms at their start), psps */
  sf_scf_params scf;          /* the campaign's settings; ngfft fixed (never 0) */
  sf_relax_params relax;
  const sf_sampler *sampler;
  const char *parts_dir;
  long nsamples;
  const char *have;           /* [nsamples] 1 = a part existed when the job started */
  int nsample_groups;         /* > 0, divides the world size */
  double walltime;            /* s; stop claiming samples after this (0 = never) */
  double sample_timeout;      /* s per sample (both attempts); then stored as failed (0 = none) */
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

#endif
