#!/usr/bin/env bash
# stress_training.sh — the energy network trained on energies only (-stress_weight 0) and
# with the stress term (-stress_weight W), on one dataset and several seeds: the test-set
# free-energy and stress errors of each run, and the relaxed-ion elastic tensor of each
# model at the reference cell (`predict -strain_D 1,1,1,90,90,90`).  At most two runs at
# a time, one rank each.
# usage: benchmarks/stress_training.sh DATASET.h5 [strainfield] ; env WEIGHTS ("0 10"),
#        SEEDS ("1 2 3"), NTRAIN (667), NTEST (333), EPOCHS (4000), JOBS (2),
#        OUT (benchmarks/results/stress_training), EXTRA (more train options, e.g. small field
#        networks "-arch_rho 8 -arch_phi 8 -arch_u 8 -arch_s 8": the energy network and its
#        seed do not depend on them).  A run whose two summaries exist is not redone, so
#        the table of more seeds or weights reuses the earlier runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$(readlink -f "$1"); SF=$(readlink -f "${2:-$ROOT/build/strainfield}")
WEIGHTS=${WEIGHTS:-"0 10"}; SEEDS=${SEEDS:-"1 2 3"}; NTRAIN=${NTRAIN:-667}; NTEST=${NTEST:-333}
EPOCHS=${EPOCHS:-4000}; JOBS=${JOBS:-2}; EXTRA=${EXTRA:-}; OUT=${OUT:-$ROOT/benchmarks/results/stress_training}
PY=/usr/bin/python3
mkdir -p "$OUT"; cd "$OUT"
run() { # weight seed
  local tag="w$1_s$2"
  if [ -s "train_$tag.json" ] && [ -s "predict_$tag.json" ]; then return 0; fi
  # shellcheck disable=SC2086
  "$SF" train $EXTRA -dataset "$DATA" -ntrain "$NTRAIN" -ntest "$NTEST" -epochs "$EPOCHS" -seed "$2" -stress_weight "$1" \
    -model "m_$tag.h5" -summary "train_$tag.json" > "train_$tag.log" 2>&1 < /dev/null
  "$SF" predict -model "m_$tag.h5" -strain_D 1,1,1,90,90,90 -summary "predict_$tag.json" -verbosity 0 \
    > "predict_$tag.log" 2>&1 < /dev/null
}
n=0
for s in $SEEDS; do
  for w in $WEIGHTS; do
    run "$w" "$s" &
    n=$((n + 1))
    if [ "$n" -ge "$JOBS" ]; then wait -n; n=$((n - 1)); fi
  done
done
wait
$PY - "$WEIGHTS" "$SEEDS" <<'PYEOF'
import json, sys, numpy as np
weights, seeds = sys.argv[1].split(), sys.argv[2].split()
keys = ["C11", "C22", "C33", "C12", "C13", "C23", "C44", "C55", "C66"]
idx = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2), (3, 3), (4, 4), (5, 5)]
print(f"{'w':>5} {'seed':>4} {'F mae mHa':>10} {'stress mae Ha/Bohr^3':>21} {'GPa':>7} | "
      + " ".join(f"{k:>6}" for k in keys) + f" | {'K_VRH':>6} {'G_VRH':>6}  (GPa)")
for w in weights:
    rows = []
    for s in seeds:
        t = json.load(open(f"train_w{w}_s{s}.json"))
        p = json.load(open(f"predict_w{w}_s{s}.json"))
        C = np.array(p["elastic_tensor_GPa"])
        r = [t["free_energy_mae_mHa"], t["stress_mae"], t["stress_mae_GPa"]] + [C[i][j] for i, j in idx] \
            + [p["bulk_modulus_vrh_GPa"], p["shear_modulus_vrh_GPa"]]
        rows.append(r)
        print(f"{w:>5} {s:>4} {r[0]:10.4f} {r[1]:21.4e} {r[2]:7.4f} | " + " ".join(f"{x:6.1f}" for x in r[3:12])
              + f" | {r[12]:6.1f} {r[13]:6.1f}")
    a = np.array(rows)
    if len(rows) > 1:
        m, sd = a.mean(0), a.std(0, ddof=1)
        print(f"{w:>5} {'mean':>4} {m[0]:10.4f} {m[1]:21.4e} {m[2]:7.4f} | " + " ".join(f"{x:6.1f}" for x in m[3:12])
              + f" | {m[12]:6.1f} {m[13]:6.1f}")
        print(f"{w:>5} {'sd':>4} {sd[0]:10.4f} {sd[1]:21.4e} {sd[2]:7.4f} | " + " ".join(f"{x:6.1f}" for x in sd[3:12])
              + f" | {sd[12]:6.1f} {sd[13]:6.1f}")
PYEOF
