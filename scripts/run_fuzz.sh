#!/usr/bin/env bash
# run_fuzz.sh [SECONDS=60] — build the libFuzzer harnesses (fuzz/) with clang, ASan and
# UBSan into build-fuzz/ and run each for SECONDS.
#
# Owns: how the harnesses are run.  Every fuzz/fuzz_<name>.c is one harness with its seed
# corpus in fuzz/corpus/<name>/ (and fuzz/<name without trailing digits>.dict, if present,
# as its dictionary).  Each runs on a fresh copy of its corpus (build-fuzz/run/<name>/) so
# the committed corpus does not grow; a crash, leak, timeout or out-of-memory input is
# saved as build-fuzz/artifacts/<name>/<kind>-<sha1>.  Prints per harness the executions
# and crashes; exits non-zero if any harness crashed.  Missing packages (clang,
# libclang-rt) are installed by scripts/bootstrap.sh, which also builds build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${1:-60}
[[ "$DURATION" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS=60]" >&2; exit 2; }

scripts/bootstrap.sh >/dev/null
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S fuzz -B build-fuzz -DCMAKE_C_COMPILER=clang "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null

# Leaks are checked per input by libFuzzer itself (-detect_leaks, on by default).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=0
summary=()
for src in fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  name=${name#fuzz_}
  exe=build-fuzz/fuzz_$name
  run=build-fuzz/run/$name
  art=build-fuzz/artifacts/$name
  rm -rf "$run" "$art"
  mkdir -p "$run" "$art"
  [[ -d fuzz/corpus/$name ]] && cp -r "fuzz/corpus/$name/." "$run/"
  dict=()
  [[ -f fuzz/${name%%[0-9]*}.dict ]] && dict=(-dict="fuzz/${name%%[0-9]*}.dict")
  log=build-fuzz/fuzz_$name.log
  echo "run_fuzz: $name for ${DURATION} s ($(ls "$run" | wc -l) seeds)"
  rc=0
  "$exe" -max_total_time="$DURATION" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$art/" "${dict[@]}" "$run" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  ncrash=$(find "$art" -type f | wc -l)
  if ((rc != 0 || ncrash != 0)); then
    failed=1
    ((ncrash > 0)) || ncrash=1
    echo "run_fuzz: $name FAILED (exit $rc); log $log; inputs:" >&2
    find "$art" -type f >&2
    grep -m1 -E "ERROR: |runtime error:|==ERROR" "$log" >&2 || tail -5 "$log" >&2
  fi
  summary+=("$(printf '%-10s executions %10s  crashes %d' "$name" "${execs:-?}" "$ncrash")")
done
printf 'run_fuzz: %s\n' "${summary[@]}"
exit $failed
