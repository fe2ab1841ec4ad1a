#!/bin/bash
# Per-rank resource wrapper for benchmarks/scf_vs_abinit.sh:
#   mpirun -np N benchmarks/rank_time.sh OUTPREFIX PROGRAM ARGS...
# runs PROGRAM under GNU time and writes OUTPREFIX.rank<R> with
# "elapsed_s max_rss_kB user_s sys_s" for this MPI rank (Open MPI or MPICH rank variable).
set -eu
out=$1; shift
rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${PMIX_RANK:-0}}}
exec /usr/bin/time -f "%e %M %U %S" -o "$out.rank$rank" "$@"
