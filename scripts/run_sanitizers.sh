#!/usr/bin/env bash
# run_sanitizers.sh — build the project with AddressSanitizer and UndefinedBehaviorSanitizer
# into build-asan/ and run the unit tests (ctest -L unit, the MPI ones included) there.
#
# Owns: the sanitizer build and its run-time options.  UBSan does not recover
# (-fno-sanitize-recover=undefined), so any finding fails its test.  Leak checking stays
# on for our code; what Open MPI, its helpers (PMIx, hwloc, libevent) and the BLAS keep
# allocated until exit is not freed by design and is suppressed by library name (the
# suppression file is written to build-asan/lsan.supp), so a leak reported is ours.  For
# the names to match, the stacks must be whole: those libraries have no frame pointers,
# so malloc stacks are taken by the slow (DWARF) unwinder, and Open MPI keeps its
# components loaded (disable_dlclose) so their frames still have a module at exit.
# Missing packages are installed by scripts/bootstrap.sh, which also builds build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/bootstrap.sh >/dev/null
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  -DCMAKE_C_FLAGS="$SAN" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j"$(nproc)" >/dev/null

cat >build-asan/lsan.supp <<'SUPP'
leak:libmpi.so
leak:libopen-pal.so
leak:libopen-rte.so
leak:libpmix.so
leak:libhwloc.so
leak:libevent
leak:libopenblas
leak:libgfortran
SUPP
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0}
export OMPI_MCA_mca_base_component_disable_dlclose=1
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/build-asan/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# The 2-rank eigensolver test runs on Debian's reference BLAS: OpenBLAS's zgemv_n kernel,
# called by ScaLAPACK's pzhemv inside pzheevd, reads past its operands under ASan's heap
# layout (a SEGV in the uninstrumented library); the same calls through the reference
# BLAS are clean, so the arguments our code passes are valid (docs/fuzzing.md).
REF_BLAS=/usr/lib/x86_64-linux-gnu/blas/libblas.so.3
EIG_MPI=test_eigensolver_mpi_np2
# SF_ASAN_EXCLUDE: a ctest -E regex, to set aside a known open finding while it is fixed.
status=0
ctest --test-dir build-asan -L unit --output-on-failure -j"$(nproc)" \
  -E "^($EIG_MPI)\$${SF_ASAN_EXCLUDE:+|$SF_ASAN_EXCLUDE}" || status=$?
if [[ -r $REF_BLAS ]]; then
  ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" LD_PRELOAD=$REF_BLAS \
    ctest --test-dir build-asan -R "^$EIG_MPI\$" --output-on-failure || status=$?
else
  echo "run_sanitizers: $REF_BLAS missing (package libblas3): $EIG_MPI not run" >&2
  status=1
fi
exit "$status"
