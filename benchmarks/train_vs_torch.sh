#!/usr/bin/env bash
# train_vs_torch.sh — strainfield train (2 MPI ranks) against the reference protocol
# (scikit-learn PCA + PyTorch MLP, 2 threads) on the same synthetic dataset, 3 seeds each,
# then prediction timings.  The real grid is 36x64x60; N=3000 samples on it would be
# ~13 GB, so the dataset uses a scaled grid (default 18x32x30) — say so when quoting.
# Environment: N (3000), GRID (18,32,30), EPOCHS (4000), NTRAIN (2000), NTEST (1000),
# SEEDS ("1 2 3"), OUT (benchmarks/results/train_vs_torch), DATA (an existing dataset,
# e.g. one written by `generate` or tests/ml/assemble_parts.py, instead of the synthetic
# one), SF_ARGS (extra `strainfield train` options), NCOMP (PCA components of both, 50;
# must be < the training-set size).  Wall and CPU (user+system, all ranks/threads) times
# are recorded: on a shared machine the CPU ratio is the steadier one.
# usage: benchmarks/train_vs_torch.sh [path/to/strainfield]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SF=${1:-$ROOT/build/strainfield}
N=${N:-3000}; GRID=${GRID:-18,32,30}; EPOCHS=${EPOCHS:-4000}; NTRAIN=${NTRAIN:-2000}; NTEST=${NTEST:-1000}
SEEDS=${SEEDS:-"1 2 3"}; OUT=${OUT:-$ROOT/benchmarks/results/train_vs_torch}
PY=/usr/bin/python3
# One BLAS/OpenMP thread per process: strainfield uses its 2 MPI ranks, the reference its
# 2 torch intra-op threads (torch.set_num_threads).  Left unset, OpenBLAS starts its own
# threads inside torch's and the 2 cores are oversubscribed: the reference then burns
# ~2.7x the CPU time (how the first, unfair 0.37x training ratio was measured).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
MPI=(mpirun --allow-run-as-root --oversubscribe -np 2)
[[ -n "${DATA:-}" ]] && DATA=$(readlink -f "$DATA")   # before the cd: DATA may be relative
mkdir -p "$OUT"; cd "$OUT"
if [[ -n "${DATA:-}" ]]; then ln -sf "$DATA" data.h5
else [[ -f data.h5 ]] || $PY "$ROOT/tests/ml/make_synthetic.py" data.h5 -n "$N" -grid "$GRID" -seed 5 -failed 6; fi
for s in $SEEDS; do
  /usr/bin/time -f "%e %U %S" -o sf_$s.wall "${MPI[@]}" "$SF" train -dataset data.h5 -model model_$s.h5 -ntrain "$NTRAIN" \
    -ntest "$NTEST" -epochs "$EPOCHS" -seed "$s" -summary sf_$s.json -pca_components "${NCOMP:-50}" ${SF_ARGS:-} | tee sf_$s.log
  /usr/bin/time -f "%e %U %S" -o ref_$s.wall $PY "$ROOT/benchmarks/reference_protocol.py" data.h5 -ntrain "$NTRAIN" \
    -ntest "$NTEST" -epochs "$EPOCHS" -seed "$s" -threads 2 -ncomp "${NCOMP:-50}" -json ref_$s.json | tee ref_$s.log
done
# prediction on one rank: BLAS threads left to strainfield (reconstruction uses both cores)
env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS "$SF" predict -model model_1.h5 -strain_D 1.01,0.99,1.0,90.5,89.5,90 -bench -summary predict_bench.json
$PY - "$SEEDS" <<'PYEOF'
import json, sys, numpy as np
seeds = sys.argv[1].split()
sf = [json.load(open(f"sf_{s}.json")) for s in seeds]
rf = [json.load(open(f"ref_{s}.json")) for s in seeds]
def row(name, get):
    a = np.array([get(x) for x in sf]); b = np.array([get(x) for x in rf])
    print(f"{name:28s} strainfield {a.mean():.4e} ± {a.std():.1e}   reference {b.mean():.4e} ± {b.std():.1e}")
for f in ("rho", "phi", "u", "s"):
    row(f"NRMSE {f} mean", lambda x: x["nrmse"][f]["mean"])
    row(f"NRMSE {f} max", lambda x: x["nrmse"][f]["max"])
    row(f"NRMSE {f} PCA-only", lambda x: x["nrmse"][f]["pca_mean"])
    row(f"NRMSE {f} linear", lambda x: x["nrmse"][f]["linear_mean"])
row("free energy MAE (mHa)", lambda x: x["free_energy_mae_mHa"])
row("free energy max (mHa)", lambda x: x["free_energy_max_mHa"])
row("xred MAE (Bohr)", lambda x: x["xred_mae_bohr"])
row("xred max (Bohr)", lambda x: x["xred_max_bohr"])
row("time PCA (s)", lambda x: x["time_s"]["pca"])
row("time networks (s)", lambda x: x["time_s"]["networks"])
def times(p):
    v = [float(x) for x in open(p).read().split()[-3:]]
    return v[0], v[1] + v[2]
t1 = np.array([times(f"sf_{s}.wall") for s in seeds]); t2 = np.array([times(f"ref_{s}.wall") for s in seeds])
print(f"{'wall time (s)':28s} strainfield {t1[:,0].mean():.1f}   reference {t2[:,0].mean():.1f}   ratio {t1[:,0].mean()/t2[:,0].mean():.2f}")
print(f"{'CPU time (s)':28s} strainfield {t1[:,1].mean():.1f}   reference {t2[:,1].mean():.1f}   ratio {t1[:,1].mean()/t2[:,1].mean():.2f}")
print("prediction:", json.load(open("predict_bench.json"))["timing"])
PYEOF
