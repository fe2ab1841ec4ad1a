#!/usr/bin/env bash
# active_learning.sh — active learning against random sampling at an equal DFT budget
# (issue 13): for each seed, a random campaign and an active one (-sampling active) of
# NMAX samples at the demo settings, and one fixed test set of NTEST strains drawn with
# another seed (the same for every run).  For each campaign and each budget n in SIZES a
# model is trained on its first n samples and scored on the test set: the test free-energy
# MAE and the mean ρ NRMSE (train's own metrics: the campaign and the test set are joined
# into one file, test samples last, `train -ntrain n -ntest NTEST`).  Prints the table and
# draws both learning curves (learning_curves.png, with the numbers in learning_curves.csv).
# Campaigns and trainings whose outputs exist are not redone.
# usage: benchmarks/active_learning.sh [strainfield] ; env SEEDS ("1 2 3"), NMAX (160),
#        BATCH (40), SIZES ("40 80 120 160"), NTEST (60), TEST_SEED (1001), NP (2),
#        EPOCHS (4000), AL ("-al_pool 2000 -al_ensemble 5 -al_epochs 1000"), EXTRA (train
#        options for the scoring models and the round models), OUT (benchmarks/results/active_learning),
#        KINDS ("random active"; one of them alone runs its half, without the table)
# Run it as `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE benchmarks/active_learning.sh`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SF=$(readlink -f "${1:-$ROOT/build/strainfield}")
SEEDS=${SEEDS:-"1 2 3"}; NMAX=${NMAX:-160}; BATCH=${BATCH:-40}; SIZES=${SIZES:-"40 80 120 160"}
NTEST=${NTEST:-60}; TEST_SEED=${TEST_SEED:-1001}; NP=${NP:-2}; EPOCHS=${EPOCHS:-4000}
AL=${AL:-"-al_pool 2000 -al_ensemble 5 -al_epochs 1000"}; EXTRA=${EXTRA:-}
OUT=${OUT:-$ROOT/benchmarks/results/active_learning}; KINDS=${KINDS:-"random active"}
PY=/usr/bin/python3
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$OUT"; cd "$OUT"
gen() { # dataset seed samples [options]
  local ds=$1 seed=$2 n=$3; shift 3
  [ -s "$ds" ] && return 0
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e" -o "$ds.time" mpirun -np "$NP" "$SF" generate -options_file "$ROOT/configs/demo.opts" \
    -pseudos "$ROOT/data/psp/mg.pseu" -samples "$n" -seed "$seed" -dataset "$ds" "$@" > "$ds.log" 2>&1 < /dev/null
}
gen test.h5 "$TEST_SEED" "$NTEST"
for s in $SEEDS; do
  case " $KINDS " in *" random "*) gen "random_s$s.h5" "$s" "$NMAX" ;; esac
  # shellcheck disable=SC2086
  case " $KINDS " in *" active "*) gen "active_s$s.h5" "$s" "$NMAX" -sampling active -al_batch "$BATCH" $AL $EXTRA ;; esac
done
# one file per campaign: its samples, then the test set's (root attributes of the campaign)
join() {
  [ -s "$2" ] && return 0
  $PY - "$1" test.h5 "$2" <<'PYEOF'
import sys, h5py, numpy as np
a, b, out = (h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), sys.argv[3])
with h5py.File(out + ".tmp", "w") as o:
    for k, v in a.attrs.items():
        o.attrs[k] = v
    for g in ("samples", "fields"):
        for k in a[g]:
            if k not in b[g]:  # a column newer than the test set's file
                continue
            o.create_dataset(f"{g}/{k}", data=np.concatenate([a[g][k][()], b[g][k][()]]))
            for ak, av in a[g][k].attrs.items():
                o[f"{g}/{k}"].attrs[ak] = av
import os
os.replace(out + ".tmp", out)
PYEOF
}
for kind in $KINDS; do
  for s in $SEEDS; do
    join "${kind}_s$s.h5" "${kind}_s$s+test.h5"
    for n in $SIZES; do
      t="${kind}_s${s}_n$n"
      [ -s "$t.json" ] && continue
      # shellcheck disable=SC2086
      mpirun -np "$NP" "$SF" train -dataset "${kind}_s$s+test.h5" -ntrain "$n" -ntest "$NTEST" -epochs "$EPOCHS" \
        -seed "$s" $EXTRA -model "$t.h5" -summary "$t.json" > "$t.log" 2>&1 < /dev/null
    done
  done
done
[ "$KINDS" = "random active" ] || exit 0 # the table compares both
$PY - "$SEEDS" "$SIZES" <<'PYEOF'
import json, sys, numpy as np
seeds, sizes = sys.argv[1].split(), [int(x) for x in sys.argv[2].split()]
res = {}
for kind in ("random", "active"):
    for n in sizes:
        F = [json.load(open(f"{kind}_s{s}_n{n}.json"))["free_energy_mae_mHa"] for s in seeds]
        R = [json.load(open(f"{kind}_s{s}_n{n}.json"))["nrmse"]["rho"]["mean"] for s in seeds]
        res[kind, n] = (np.mean(F), np.std(F, ddof=1) if len(F) > 1 else 0, np.mean(R), np.std(R, ddof=1) if len(R) > 1 else 0)
print(f"{'samples':>8} | {'random F MAE mHa':>18} {'rho NRMSE %':>13} | {'active F MAE mHa':>18} {'rho NRMSE %':>13}")
with open("learning_curves.csv", "w") as c:
    c.write("samples,random_F_mae_mHa,random_F_sd,random_rho_nrmse,random_rho_sd,active_F_mae_mHa,active_F_sd,"
            "active_rho_nrmse,active_rho_sd\n")
    for n in sizes:
        r, a = res["random", n], res["active", n]
        print(f"{n:>8} | {r[0]:9.4f} ± {r[1]:6.4f} {100*r[2]:7.3f} ± {100*r[3]:4.2f} | {a[0]:9.4f} ± {a[1]:6.4f} "
              f"{100*a[2]:7.3f} ± {100*a[3]:4.2f}")
        c.write(",".join(str(v) for v in (n,) + r + a) + "\n")
# the fewest active samples reaching random's errors at the largest budget (linear interpolation)
top = res["random", sizes[-1]]
for j, name in ((0, "F MAE"), (2, "rho NRMSE")):
    curve = [res["active", n][j] for n in sizes]
    reach = None
    for i, n in enumerate(sizes):
        if curve[i] <= top[j]:
            reach = n if i == 0 else sizes[i-1] + (sizes[i] - sizes[i-1]) * (curve[i-1] - top[j]) / (curve[i-1] - curve[i])
            break
    print(f"active learning reaches random's {sizes[-1]}-sample {name} ({top[j]:.4g}) at "
          + (f"{reach:.0f} samples" if reach else "more than the largest budget"))
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.6))
    for kind, mk in (("random", "o-"), ("active", "s-")):
        for j, (a, lab) in enumerate(((0, "test F MAE (mHa)"), (2, "test ρ NRMSE"))):
            y = [res[kind, n][a] for n in sizes]
            e = [res[kind, n][a + 1] for n in sizes]
            ax[j].errorbar(sizes, y, yerr=e, fmt=mk, capsize=3, label=kind)
            ax[j].set_xlabel("DFT samples"); ax[j].set_ylabel(lab); ax[j].set_yscale("log")
    ax[0].legend()
    fig.tight_layout()
    fig.savefig("learning_curves.png", dpi=120)
except ImportError:
    print("matplotlib missing: no plot")
PYEOF
