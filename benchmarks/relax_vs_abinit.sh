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
#   PYTHON (default /usr/bin/python3), SF_SHARED_DIR (default /work/shared).
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
psp=${SF_SHARED_DIR:-/work/shared}/psp/mg.pseu

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

# Reference cell and strain D = (la, lb, lc, tha, thb, thc) of the paper.
acell=$("$py" -c '
a = (6.0646, 10.5042, 9.8477); l = (0.9696, 0.9237, 0.9906)
print(" ".join(repr(x * y) for x, y in zip(a, l)))')
angdeg="92.1598 85.6196 87.3824"
xred="0 0 0  0.5 0.5 0  0 0.6666666666666666 0.5  0.5 0.16666666666666666 0.5"
nband=20 tsmear=0.01 toldfe=1e-10 nstep=100 tolmxf=5e-6 ntime=60
csv() { echo "$*" | tr -s ' ' ','; }

sf_opts=(relax -acell "$(csv $acell)" -angdeg "$(csv $angdeg)" -natom 4 -ntypat 1 -znucl 12
  -typat 1,1,1,1 -xred "$(csv $xred)" -pseudos "$psp" -ecut $ecut -ecutsm 0.5
  -ngkpt "$(csv $ngkpt)" -shiftk 0.5,0.5,0.5 -nband $nband -occopt 4 -tsmear $tsmear
  -ngfft "$(csv $ngfft)" -ixc 7 -toldfe $toldfe -nstep $nstep -tolmxf $tolmxf -ntime $ntime)

abinit_input() {
  cat <<EOI
# strainfield benchmark: relaxed strained Mg cell (benchmarks/relax_vs_abinit.sh, $mode)
acell $acell
angdeg $angdeg
natom 4
ntypat 1
znucl 12
typat 1 1 1 1
xred
   0 0 0
   0.5 0.5 0
   0 0.6666666666666666 0.5
   0.5 0.16666666666666666 0.5
pseudos "$psp"
ecut $ecut
ecutsm 0.5
ngfft $ngfft
chkprim 0
kptopt 1
ngkpt $ngkpt
nshiftk 1
shiftk 0.5 0.5 0.5
nband $nband
occopt 4
tsmear $tsmear
ixc 7
toldfe $toldfe
nstep $nstep
ionmov 2
optcell 0
ntime $ntime
tolmxf $tolmxf
iomode 3
prtwf 0
prtden 0
prteig 0
prtebands 0
EOI
}

# run TAG NP DIR PROGRAM ARGS... : timed launch in DIR, log in DIR/log
run() {
  local tag=$1 np=$2 dir=$3; shift 3
  mkdir -p "$dir"
  rm -f "$dir"/rank.rank* "$dir"/outer.time "$dir"/log "$dir"/run.abo "$dir"/runo_* "$dir"/summary.json
  cut -d' ' -f1-3 /proc/loadavg > "$dir/loadavg.before"
  echo "== $tag, $np rank(s): load average $(cat "$dir/loadavg.before")" >&2
  local rc=0
  # shellcheck disable=SC2016
  (cd "$dir" && /usr/bin/time -f "%e %M" -o outer.time \
     "$mpiexec" -np "$np" --allow-run-as-root --oversubscribe \
     -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS \
     bash -c 'r=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${PMIX_RANK:-0}}}; exec /usr/bin/time -f "%e %M %U %S" -o "$0.rank$r" "$@"' \
     "$dir/rank" "$@" > log 2>&1) || rc=$?
  cut -d' ' -f1-3 /proc/loadavg > "$dir/loadavg.after"
  if [ $rc -ne 0 ]; then
    echo "relax_vs_abinit.sh: $tag on $np rank(s) failed (rc=$rc); tail of $dir/log:" >&2
    tail -n 30 "$dir/log" >&2
    exit 1
  fi
  echo "   elapsed $(cut -d' ' -f1 "$dir/outer.time") s" >&2
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
