#!/bin/bash
# Sampling profile of strainfield (1 rank) on the scf_vs_abinit input, split into
# FFT / nonlocal / subspace / ... by benchmarks/perf_split.py.
#
# usage: benchmarks/profile_strainfield.sh [--quick] [--fp] [--ngkpt N,N,N]
#   --quick  the small input of scf_vs_abinit.sh --quick (default: the full input)
#   --ngkpt  override the k grid: the full input with --ngkpt 2,2,2 (4 k-points) has the
#            same per-k-point work (npw, FFT box, nband) as the full run, 1/27 of its time
#   --fp     frame-pointer call chains (small perf.data; BLAS callers unknown) instead
#            of DWARF unwinding (exact callers; ~16 kB per sample, so use with --quick
#            or expect a few GB for the full input)
# Environment: SF_BIN (default build/strainfield), SF_BENCH_WORK, PERF_FREQ (default 499 Hz).
# Needs `perf` (Debian package linux-perf) and kernel.perf_event_paranoid <= 2; uses the
# software cpu-clock event, so it works in VMs without hardware counters.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
sfbin=${SF_BIN:-$root/build/strainfield}
psp=$root/data/psp/mg.pseu
mode=full cg="--call-graph dwarf,16384" kgrid=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --fp) cg="-g" ;;
    --ngkpt) kgrid=$2; shift ;;
    *) echo "profile_strainfield.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ $mode = quick ]; then ecut=12 ngkpt=2,2,2 ngfft=20,36,32; else ecut=24 ngkpt=6,6,6 ngfft=36,64,60; fi
ngkpt=${kgrid:-$ngkpt}
work=${SF_BENCH_WORK:-$root/build/bench}/profile_${mode}_k${ngkpt//,/}
mkdir -p "$work"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
acell=$(/usr/bin/python3 -c '
a = (6.0646, 10.5042, 9.8477); l = (0.9696, 0.9237, 0.9906)
print(",".join(repr(x * y) for x, y in zip(a, l)))')
cd "$work"
# shellcheck disable=SC2086
perf record -e cpu-clock -F "${PERF_FREQ:-499}" $cg -o perf.data -- \
  "$sfbin" scf -acell "$acell" -angdeg 92.1598,85.6196,87.3824 -natom 4 -ntypat 1 -znucl 12 \
  -typat 1,1,1,1 -xred 0,0,0,0.5,0.5,0,0,0.6666666666666666,0.5,0.5,0.16666666666666666,0.5 \
  -pseudos "$psp" -ecut $ecut -ecutsm 0.5 -ngkpt $ngkpt -shiftk 0.5,0.5,0.5 -nband 20 \
  -occopt 4 -tsmear 0.01 -ngfft $ngfft -ixc 7 -toldfe 1e-9 -nstep 100 > log 2> perf.log
grep -m1 'SCF converged' log >&2 || true
/usr/bin/python3 "$here/perf_split.py" perf.data
