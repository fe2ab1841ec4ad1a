#!/bin/bash
# SCF wall time, peak memory and iterations: strainfield vs ABINIT on the paper's strained
# 4-atom Mg cell, at 1 and 2 MPI ranks, in one run.
#
# usage: benchmarks/scf_vs_abinit.sh [--quick] [--np "1 2"] [--json FILE] [--profile]
#   --quick    small input to validate the script: ngkpt 2 2 2, ecut 12, ngfft 20 36 32
#   --np LIST  rank counts (default "1 2")
#   --json F   where the JSON goes (default benchmarks/results/scf_vs_abinit.json,
#              benchmarks/results/scf_vs_abinit_quick.json with --quick)
#   --profile  afterwards, profile strainfield on 1 rank with `perf record` (software
#              cpu-clock event, DWARF call chains) on the same input with ngkpt 2 2 2
#              (benchmarks/profile_strainfield.sh) and print the time split (perf_split.py)
# Environment: SF_BIN (default build/strainfield), ABINIT (default /usr/bin/abinit),
#   MPIEXEC (default mpirun), SF_BENCH_WORK (scratch dir, default build/bench/scf_vs_abinit[_quick]),
#   PYTHON (default /usr/bin/python3).
#
# Every run, for both codes and every rank count, is launched the same way:
#   /usr/bin/time mpirun -np N benchmarks/rank_time.sh PREFIX PROGRAM ...
# The outer GNU time gives the elapsed wall time (launcher included); rank_time.sh gives
# each rank's max RSS. "Peak memory" is the SUM over ranks of each rank's max RSS
# (the max over ranks is stored too). OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1.
# Runs are sequential; the 1-minute load average before each run is recorded because
# anything else running on the machine distorts the times.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
mpiexec=${MPIEXEC:-mpirun}
sfbin=${SF_BIN:-$root/build/strainfield}
abinit=${ABINIT:-/usr/bin/abinit}
psp=$root/data/psp/mg.pseu

args="$*"
mode=full nps="1 2" json="" profile=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --np) nps=$2; shift ;;
    --json) json=$2; shift ;;
    --profile) profile=1 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "scf_vs_abinit.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$mode" = quick ]; then
  ecut=12 ngkpt="2 2 2" ngfft="20 36 32" suffix=_quick
else
  ecut=24 ngkpt="6 6 6" ngfft="36 64 60" suffix=""
fi
json=${json:-$here/results/scf_vs_abinit$suffix.json}
work=${SF_BENCH_WORK:-$root/build/bench/scf_vs_abinit$suffix}
[ -x "$sfbin" ] || { echo "scf_vs_abinit.sh: no strainfield binary at $sfbin (build first)" >&2; exit 2; }
[ -x "$abinit" ] || { echo "scf_vs_abinit.sh: no ABINIT at $abinit" >&2; exit 2; }
[ -f "$psp" ] || { echo "scf_vs_abinit.sh: no pseudopotential $psp" >&2; exit 2; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

bench_name=scf_vs_abinit.sh
. "$here/mg_case.sh"
nband=20 tsmear=0.01 toldfe=1e-9 nstep=100

read -r -a sf_opts <<< "scf $(mg_sf_opts)"

abinit_input() {
  mg_abinit_input
}


mkdir -p "$work"
for np in $nps; do
  d=$work/strainfield_np$np
  run strainfield "$np" "$d" "$sfbin" "${sf_opts[@]}" -summary "$d/summary.json"
  d=$work/abinit_np$np
  mkdir -p "$d"
  abinit_input > "$d/run.abi"
  run abinit "$np" "$d" "$abinit" run.abi
done

"$py" "$here/scf_vs_abinit_report.py" --work "$work" --np "$nps" --mode "$mode" \
  --json "$json" --sf-bin "$sfbin" --abinit "$abinit" --cmd "benchmarks/scf_vs_abinit.sh${args:+ $args}"

if [ $profile = 1 ]; then
  # Same per-k-point work as the timed input, 4 k-points, DWARF call chains (exact callers).
  if [ "$mode" = quick ]; then
    SF_BIN=$sfbin "$here/profile_strainfield.sh" --quick
  else
    SF_BIN=$sfbin "$here/profile_strainfield.sh" --ngkpt 2,2,2
  fi
fi
