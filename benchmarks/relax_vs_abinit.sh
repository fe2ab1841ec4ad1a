#!/bin/bash
# Relaxed-sample workflow, strainfield vs ABINIT, at 1 and 2 MPI ranks in one run: the
# paper's strained 4-atom Mg cell relaxed from the ideal HCP sites at fixed cell
# (strainfield relax = TAO lmvm; ABINIT ionmov 2, optcell 0), with the paper's settings
# (configs/paper.opts: ecut 24, ecutsm 0.5, ngfft 36 64 60, cold smearing 0.01, nband 20,
# LDA PW92, toldfe 1e-10, tolmxf 5e-6, ntime 60) except a 6x6x6 k-mesh.
#
# usage: benchmarks/relax_vs_abinit.sh [--quick] [--np "1 2"] [--json FILE]
#   --quick    small input to validate the script: ecut 10, ngkpt 2 2 2, ngfft 18 30 30
#   --np LIST  rank counts (default "1 2")
#   --json F   where the JSON goes (default benchmarks/results/relax_vs_abinit.json,
#              benchmarks/results/relax_vs_abinit_quick.json with --quick)
# Environment: SF_BIN (default build/strainfield), ABINIT (default /usr/bin/abinit),
#   MPIEXEC (default mpirun), SF_BENCH_WORK (scratch, default build/bench/relax_vs_abinit[_quick]),
#   PYTHON (default /usr/bin/python3).
#
# Each run is  /usr/bin/time mpirun -np N bash -c 'exec /usr/bin/time ... PROGRAM'  : the
# outer time gives the elapsed wall time (launcher included), the inner one each rank's
# max RSS; "peak memory" is the sum over ranks of the per-rank max RSS. OMP and OpenBLAS
# threads = 1. Runs are sequential; the 1-minute load average before and after each run
# is recorded (other jobs on the machine distort the times). Ionic steps: ABINIT's
# HIST.nc records (one SCF each for ionmov 2); strainfield's relax.steps (TAO iterations)
# and relax.evaluations (SCF runs) from the summary JSON. Report: benchmarks/relax_report.py.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
mpiexec=${MPIEXEC:-mpirun}
sfbin=${SF_BIN:-$root/build/strainfield}
abinit=${ABINIT:-/usr/bin/abinit}
psp=$root/data/psp/mg.pseu

args="$*"
mode=full nps="1 2" json=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --np) nps=$2; shift ;;
    --json) json=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "relax_vs_abinit.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$mode" = quick ]; then
  ecut=10 ngkpt="2 2 2" ngfft="18 30 30" suffix=_quick
else
  ecut=24 ngkpt="6 6 6" ngfft="36 64 60" suffix=""
fi
json=${json:-$here/results/relax_vs_abinit$suffix.json}
work=${SF_BENCH_WORK:-$root/build/bench/relax_vs_abinit$suffix}
[ -x "$sfbin" ] || { echo "relax_vs_abinit.sh: no strainfield binary at $sfbin (build first)" >&2; exit 2; }
[ -x "$abinit" ] || { echo "relax_vs_abinit.sh: no ABINIT at $abinit" >&2; exit 2; }
[ -f "$psp" ] || { echo "relax_vs_abinit.sh: no pseudopotential $psp" >&2; exit 2; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

bench_name=relax_vs_abinit.sh
. "$here/mg_case.sh"
nband=20 tsmear=0.01 toldfe=1e-10 nstep=100 tolmxf=5e-6 ntime=60

read -r -a sf_opts <<< "relax $(mg_sf_opts) -tolmxf $tolmxf -ntime $ntime"

abinit_input() {
  mg_abinit_input
  cat <<EOI
ionmov 2
optcell 0
ntime $ntime
tolmxf $tolmxf
iomode 3
EOI
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

"$py" "$here/relax_report.py" --work "$work" --np "$nps" --mode "$mode" --json "$json" \
  --sf-bin "$sfbin" --abinit "$abinit" --cmd "benchmarks/relax_vs_abinit.sh${args:+ $args}"
