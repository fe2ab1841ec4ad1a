#!/usr/bin/env bash
# bootstrap.sh — make a fresh Debian 12 machine able to build strainfield, then build it.
#
# Owns: the list of Debian packages the project needs (keep in step with
# cmake/Dependencies.cmake) and the one canonical configure+build command.
# Idempotent: installed packages are left alone, `apt-get update` runs only when
# something is missing, and the build is incremental.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libopenmpi-dev openmpi-bin libscalapack-openmpi-dev
  libfftw3-dev libfftw3-mpi-dev petsc-dev libxc-dev libhdf5-openmpi-dev
  libopenblas-dev liblapacke-dev libsymspg-dev libcjson-dev
  abinit abinit-data
  clang libclang-rt-dev  # scripts/run_fuzz.sh (libFuzzer)
  libblas3               # scripts/run_sanitizers.sh (reference BLAS for one MPI test)
  procps                 # pgrep in the campaign tests
  slurmctld slurmd slurm-client munge iproute2  # scripts/slurm_local.sh (tests/slurm): no slurm-wlm metapackage
  python3-numpy python3-h5py python3-netcdf4 hdf5-tools python3-sklearn python3-torch
  python3-matplotlib     # scripts/figures (run -figures, docs/figures.md)
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "bootstrap: missing packages ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: all ${#PACKAGES[@]} Debian packages present"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
