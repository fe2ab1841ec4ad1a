#!/usr/bin/env bash
# run_demo.sh — the README's first command: install, build, and run the small Mg
# campaign + training + evaluation (`strainfield run`) on 2 MPI ranks, with the paper's
# figures (a learning curve at 27 and 53 training samples for Figure 4); results land in
# demo/ (figures in demo/figures/).
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
  -options_file configs/demo.opts -learning_curve 27,53 -figures demo/figures "${resume[@]}"
echo "run_demo: dataset demo/demo.h5, model demo/demo.h5.model.h5, metrics demo/demo.h5.train.json," \
  "evaluate demo/demo.h5.evaluate.json, the paper's figures demo/figures/fig*.png (+ .csv; docs/figures.md)"
