#!/usr/bin/env bash
# run_demo.sh — the README's first command: install, build, and run the small Mg
# campaign + training (`strainfield run`) on 2 MPI ranks; results land in demo/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/bootstrap.sh

if [[ $(id -u) -eq 0 ]]; then
  # Open MPI refuses to start as root unless told twice; containers and CI run as root.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1
fi
mkdir -p demo
# A rerun completes an interrupted campaign instead of starting over.
resume=()
[[ -e demo/demo.h5 || -d demo/demo.h5.parts ]] && resume=(-resume)
mpirun -np 2 --allow-run-as-root --oversubscribe build/strainfield run \
  -options_file configs/demo.opts "${resume[@]}"
echo "run_demo: dataset demo/demo.h5, model demo/demo.h5.model.h5, metrics demo/demo.h5.train.json"
