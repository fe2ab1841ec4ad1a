# sf_job.sh — sourced by the job scripts of this folder (sbatch runs them from the
# repository root; docs/slurm.md).  It owns what every job script does the same way:
# check that `strainfield` is on PATH, print one line saying which run of which job
# this is, launch one MPI step (`srun --mpi=pmix`, the only PMI that Debian's Open MPI
# speaks), and requeue the job when that step stopped cleanly before the time limit.
#
# The time limit: a job that asks for `#SBATCH --signal=USR1@S` gets SIGUSR1 on every
# rank about S seconds before its limit (slurmctld checks limits every 30 s, so the
# signal comes between S and S - 30 s before it; S must also cover one SCF iteration or
# training epoch).  strainfield stops at its next safe point (a sample in flight is
# abandoned, a training saves MODEL.checkpoint.h5) and exits 75.  The job then requeues
# itself (`scontrol requeue`: same job id, same options, its log appended with
# `--open-mode=append`; SLURM_RESTART_COUNT counts the runs), and the next run resumes
# from what is on disk (every resumable command of these scripts carries -resume), at
# most SF_MAX_RESTARTS times.  Without a warning the limit's SIGTERM stops strainfield
# the same way, but it also ends this shell: the job is TIMEOUT; submit it again.

if ! command -v strainfield >/dev/null 2>&1; then
  echo "sf_job: strainfield is not on PATH (add the build folder or the install's bin/)" >&2
  exit 2
fi
# one BLAS thread per rank: the ranks already fill the cores
export OPENBLAS_NUM_THREADS=1

sf_job_banner() {
  echo "sf_job: job ${SLURM_JOB_ID}${SLURM_ARRAY_TASK_ID:+ (array ${SLURM_ARRAY_JOB_ID}, task ${SLURM_ARRAY_TASK_ID})}" \
    "run $((${SLURM_RESTART_COUNT:-0} + 1)) on ${SLURM_NTASKS} ranks of ${SLURM_JOB_NODELIST}," \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(command -v strainfield)"
}

# sf_output_dirs FILE...: create the folders of the outputs (strainfield refuses an
# output in a missing folder before doing any work)
sf_output_dirs() {
  local f
  for f in "$@"; do mkdir -p "$(dirname "$f")"; done
}

# Seconds until this job's time limit, from squeue's "time left" ([D-]H:MM:SS, M:SS);
# empty when the job has no limit.
sf_seconds_left() {
  local left d=0 h=0 m=0 s=0
  left=$(squeue -h -j "${SLURM_JOB_ID}" -o %L)
  [[ $left =~ ^(([0-9]+)-)?(([0-9]+):)?([0-9]+):([0-9]+)$ ]] || return 0
  d=${BASH_REMATCH[2]:-0} h=${BASH_REMATCH[4]:-0} m=${BASH_REMATCH[5]} s=${BASH_REMATCH[6]}
  echo $(((10#$d * 24 + 10#$h) * 3600 + 10#$m * 60 + 10#$s))
}

# sf_step COMMAND...: one MPI step on all the job's tasks; its exit code, or a requeue
# when it stopped cleanly (75) and SF_MAX_RESTARTS (default 0) allows another run.
sf_step() {
  local rc=0 runs=${SLURM_RESTART_COUNT:-0}
  srun --mpi=pmix "$@" || rc=$?
  if ((rc == 75)); then
    if ((runs < ${SF_MAX_RESTARTS:-0})); then
      echo "sf_job: stopped cleanly before the time limit; requeueing job ${SLURM_JOB_ID} (restart $((runs + 1)) of at most ${SF_MAX_RESTARTS})"
      # ends this shell: the next run starts from the top of the script
      scontrol requeue "${SLURM_JOB_ID}" && exit 0
      echo "sf_job: scontrol requeue ${SLURM_JOB_ID} failed; submit the script again to resume" >&2
    else
      echo "sf_job: stopped cleanly ${runs} times already (SF_MAX_RESTARTS=${SF_MAX_RESTARTS:-0}); submit the script again to resume" >&2
    fi
  fi
  return "$rc"
}

# sf_campaign_task generate ARGS...: one task of a campaign split over a job array
# (campaign_*.slurm; reads DATASET and MARGIN).  The command gets -walltime so that it
# starts no sample later than MARGIN seconds before this task's time limit; with exit 0
# and no DATASET.parts/ left (generate removes it once every sample is done) the
# dataset is complete and the array's pending tasks are cancelled.
sf_campaign_task() {
  local left walltime=()
  left=$(sf_seconds_left)
  if [[ -n $left ]]; then
    if ((left <= MARGIN)); then
      echo "sf_job: ${left} s left in this task, not more than MARGIN=${MARGIN} s: no time to start a sample" >&2
      return 2
    fi
    walltime=(-walltime $((left - MARGIN)))
    echo "sf_job: ${left} s left in this task: starting samples for $((left - MARGIN)) s"
  else
    echo "sf_job: this task has no time limit: no -walltime"
  fi
  sf_step "$@" "${walltime[@]}"
  if [[ -e ${DATASET} && ! -e ${DATASET}.parts ]]; then
    echo "sf_job: ${DATASET} is complete; cancelling the pending tasks of array ${SLURM_ARRAY_JOB_ID:-(none)}"
    [[ -z ${SLURM_ARRAY_JOB_ID:-} ]] || scancel --state=PENDING "${SLURM_ARRAY_JOB_ID}"
  fi
}
