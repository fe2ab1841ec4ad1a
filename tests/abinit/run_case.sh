#!/bin/bash
# Run one ABINIT cross-check end to end.
# usage: run_case.sh CASE_NAME STRAINFIELD_BIN [NPROCS]
#   1. ABINIT reference (cached): ${SF_ABINIT_CACHE:-$PWD/abinit_cache}/CASE/ref.json
#   2. strainfield scf on NPROCS ranks -> $PWD/abinit_runs/CASE_npN/{summary.json,fields.h5}
#   3. compare.py (exit status = result); extra compare options via $SF_COMPARE_ARGS
# Environment: PYTHON (default /usr/bin/python3), MPIEXEC (default mpirun),
#              ABINIT (default /usr/bin/abinit).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 CASE_NAME STRAINFIELD_BIN [NPROCS]" >&2
  exit 2
fi
name=$1
bin=$2
np=${3:-1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${PYTHON:-/usr/bin/python3}
mpiexec=${MPIEXEC:-mpirun}
casefile=$here/cases/$name.json
cache=${SF_ABINIT_CACHE:-$PWD/abinit_cache}/$name
work=$PWD/abinit_runs/${name}_np$np

[ -f "$casefile" ] || { echo "run_case.sh: no case file $casefile" >&2; exit 2; }
[ -x "$bin" ] || { echo "run_case.sh: strainfield binary $bin not found" >&2; exit 2; }

echo "== ABINIT reference for $name (cache $cache)"
"$py" "$here/abinit_ref.py" "$casefile" "$cache"

mkdir -p "$work"
rm -f "$work/summary.json" "$work/fields.h5"
opts=$("$py" "$here/case_to_opts.py" "$casefile")
cmd=("$mpiexec" -np "$np" --allow-run-as-root --oversubscribe "$bin" scf $opts
     -summary "$work/summary.json" -fields "$work/fields.h5")
echo "== ${cmd[*]}"
start=$(date +%s%N)
if ! OMP_NUM_THREADS=1 "${cmd[@]}" > "$work/strainfield.log" 2>&1; then
  echo "run_case.sh: strainfield failed; last lines of $work/strainfield.log:" >&2
  tail -n 40 "$work/strainfield.log" >&2
  exit 1
fi
end=$(date +%s%N)
echo "== strainfield wall time: $(( (end - start) / 1000000 )) ms on $np rank(s)"

echo "== compare"
# shellcheck disable=SC2086
exec "$py" "$here/compare.py" --case "$casefile" --ref "$cache/ref.json" \
  --summary "$work/summary.json" --fields "$work/fields.h5" ${SF_COMPARE_ARGS:-}
