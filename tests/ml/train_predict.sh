#!/usr/bin/env bash
# train_predict.sh — end-to-end: synthetic dataset -> train -> predict; checks the JSON
# contracts of issue 5 and that a model refuses a dataset it was not trained on.
# usage: train_predict.sh STRAINFIELD NP WORKDIR
set -euo pipefail
SF=$1; NP=$2; W=$3
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"; cd "$W"
$PY "$HERE/make_synthetic.py" data.h5 -n 160 -grid 8,12,10 -seed 11 >/dev/null
$PY "$HERE/make_synthetic.py" other.h5 -n 40 -grid 8,12,10 -seed 12 >/dev/null
RUN=("$SF")
[[ $NP -gt 1 ]] && RUN=(mpirun --allow-run-as-root --oversubscribe -np "$NP" "$SF")
"${RUN[@]}" train -dataset data.h5 -model model.h5 -ntrain 110 -ntest 50 -epochs 20 -pca_components 10 \
  -arch_rho 32,32 -arch_phi 32,32 -arch_u 32,32 -arch_s 32,32 -coef_scaling standard,variance,standard,range \
  -summary train.json -verbosity 0
"${RUN[@]}" predict -model model.h5 -strain_D 1.01,0.99,1.0,90.5,89.5,90 -summary p.json -fields p.h5 -xsf px \
  -dataset data.h5 -verbosity 0
$PY - <<'PYEOF'
import json, h5py, math
t = json.load(open("train.json"))
for f in ("rho", "phi", "u", "s"):
    for k in ("mean", "max", "pca_mean", "linear_mean"):
        v = t["nrmse"][f][k]
        assert isinstance(v, float) and math.isfinite(v) and v >= 0, (f, k, v)
    assert t["nrmse"][f]["pca_mean"] <= t["nrmse"][f]["linear_mean"] + 1e-12
for k in ("free_energy_mae_mHa", "free_energy_max_mHa", "xred_mae_bohr"):
    assert math.isfinite(t[k]) and t[k] >= 0, k
assert t["nskipped"] >= 1, "failed samples must be skipped and counted"
p = json.load(open("p.json"))
assert isinstance(p["free_energy"], float) and len(p["xred"]) == 12 and len(p["dF_dD"]) == 6
with h5py.File("p.h5") as h:
    assert h["fields/rho"].shape == (1, 8, 12, 10) and h["fields/s"].shape == (1, 8, 12, 10)
print("train/predict contract ok")
PYEOF
test -s px_rho.xsf
if [[ $NP -eq 1 ]]; then
  # a strain outside the sampled box is predicted, flagged in the JSON and warned about;
  # one that is no cell is refused, naming the option or the file line
  "$SF" predict -model model.h5 -strain_D 1.15,1,1,90,90,90 -summary out.json -verbosity 0 2>warn.txt
  grep -q "1 of 1 strain lies outside the training campaign's box (lambda in \[0.9, 1.1\]" warn.txt
  "$SF" predict -model model.h5 -strain_D 1.05,0.95,1,95,85,90 -summary in.json -verbosity 0 2>nowarn.txt
  test ! -s nowarn.txt
  $PY -c "import json; assert json.load(open('out.json'))['outside_training_range'] == 1; assert json.load(open('in.json'))['outside_training_range'] == 0"
  if "$SF" predict -model model.h5 -strain_D 1,1,1,120,120,120 -verbosity 0 2>err.txt; then
    echo "FAIL: a zero-volume cell was predicted"; exit 1
  fi
  grep -q -- "-strain_D: the three angles make no cell" err.txt
  printf '1,1,1,90,90,90\n# comment\n1,1,1,90,90,180\n' > strains.txt
  if "$SF" predict -model model.h5 -strain_file strains.txt -verbosity 0 2>err.txt; then
    echo "FAIL: an angle of 180 degrees was predicted"; exit 1
  fi
  grep -q "strains.txt line 3: the angles must lie strictly between 0 and 180 degrees" err.txt
  # uniaxial path: every point converged with the transverse stresses at their targets
  # (V0/V) sigma0_v, and along the path dF/de_ii = V sigma_ii + V0 sum_v c_v sigma0_v de_v/de_ii,
  # checked by central differences between neighbouring points
  # (its own model: 20 epochs leave the energy network non-convex at the reference cell)
  "$SF" train -dataset data.h5 -model model_e.h5 -ntrain 110 -ntest 50 -epochs 1500 -pca_components 4 \
    -arch_rho 16 -arch_phi 16 -arch_u 16 -arch_s 16 -verbosity 0
  "$SF" path -model model_e.h5 -direction 2 -strain_range -0.01,0.03 -nstrain 41 -summary path.json -fields path.h5 -verbosity 0
  $PY - <<'PYEOF'
import json, numpy as np
j = json.load(open("path.json"))
pts, s0, d = j["points"], np.array(j["reference_stress"]), j["direction"] - 1
assert j["nconverged"] == j["npoints"] == 41, j["nconverged"]
V0 = j["reference_volume"]
for p in pts:
    res = max(abs(p["sigma"][v] - V0 / p["V"] * s0[v]) for v in range(6) if v != d)
    assert res <= 1e-9, ("transverse stress not held", res)
e = np.array([p["e"] for p in pts]); F = np.array([p["F"] for p in pts]); V = np.array([p["V"] for p in pts])
sig = np.array([p["sigma"][d] for p in pts]); c = np.array([1, 1, 1, 2, 2, 2.0])
h = e[2, d] - e[1, d]
worst = 0
for k in range(1, 40):
    dF = (F[k + 1] - F[k - 1]) / (2 * h)
    de = (e[k + 1] - e[k - 1]) / (2 * h)
    pred = V[k] * sig[k] + V0 * sum(c[v] * s0[v] * de[v] for v in range(6) if v != d)
    worst = max(worst, abs(dF - pred) / max(abs(dF), 1e-6))
assert worst < 2e-4, f"path stress against finite differences of F: {worst:.2e}"
print(f"path ok: stress vs FD along the path {worst:.1e}")
import h5py
with h5py.File("path.h5") as h:  # the fields along the path: predict's file at the points' D
    assert h["fields/u"].shape == (41, 8, 12, 10)
    assert np.abs(h["D"][()] - np.array([p["D"] for p in pts])).max() < 1e-12
    assert np.abs(h["free_energy"][()] - F).max() < 1e-8  # float32 prediction vs the float64 path
    assert np.abs(h["xred"][()].reshape(41, -1) - np.array([p["xred"] for p in pts])).max() < 1e-7  # batched vs one-D float32
PYEOF
  # the 20-epoch model's energy is not convex at the reference: said, and the run fails
  rc=0; "$SF" path -model model.h5 -strain_range -0.01,0.01 -nstrain 5 -summary bad_path.json -verbosity 0 2>err.txt || rc=$?
  [[ $rc -eq 5 ]] || { echo "FAIL: path on a non-convex energy exited $rc, expected 5"; exit 1; }
  grep -q "not convex at the reference cell" err.txt
  $PY -c "import json; j = json.load(open('bad_path.json')); assert j['nconverged'] < j['npoints']"
  if "$SF" path -model model.h5 -direction 4 -verbosity 0 2>err.txt; then echo "FAIL: -direction 4 accepted"; exit 1; fi
  grep -q -- "-direction 4: expected 1, 2 or 3" err.txt
  # -bench: its float32 path must agree with the float64 networks, and every timing exist
  "$SF" predict -model model.h5 -strain_D 1.01,0.99,1.0,90.5,89.5,90 -bench -summary bench.json -verbosity 0
  $PY - <<'PYEOF'
import json, math
t = json.load(open("bench.json"))["timing"]
acc = t["float32_vs_float64"]
assert acc["max_in_output_std_units"] < 1e-5 and acc["free_energy_rel"] < 1e-6, acc
for k in ("predict_one_hot_us", "predict_F_xred_hot_us", "predict_one_cold_us", "dF_dD_one_us", "reconstruct_4_fields_ms"):
    assert 0 < t[k]["min"] <= t[k]["median"] and math.isfinite(t[k]["median"]), (k, t[k])
assert [b["batch_size"] for b in t["batched"]] == [256, 1024, 4096] and t["batch_throughput_per_s"] > 0
print("bench ok: float32 vs float64", acc["max_in_output_std_units"])
PYEOF
fi
if [[ $NP -gt 1 ]]; then
  # Networks trained side by side on rank groups (the default on 2 ranks: two groups of
  # one rank) against every network data-parallel over both ranks (-train_groups 1):
  # the weights must be the same — each network's training does not depend on how many
  # ranks share it.
  "${RUN[@]}" train -dataset data.h5 -model model_g1.h5 -ntrain 110 -ntest 50 -epochs 20 -pca_components 10 \
    -arch_rho 32,32 -arch_phi 32,32 -arch_u 32,32 -arch_s 32,32 -coef_scaling standard,variance,standard,range \
    -summary train_g1.json -verbosity 0 -train_groups 1
  $PY - <<'PYEOF'
import h5py, numpy as np
a, b = h5py.File("model.h5"), h5py.File("model_g1.h5")
names = []
a["nets"].visit(lambda n: names.append(n) if isinstance(a["nets"][n], h5py.Dataset) else None)
assert len(names) >= 6 * 4, names
worst = 0.0
for n in names:
    x, y = a["nets"][n][()], b["nets"][n][()]
    worst = max(worst, float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-300)))
assert worst <= 1e-12, f"rank groups change the weights: max relative difference {worst:.3e}"
print(f"rank groups vs data-parallel: max relative weight difference {worst:.1e}")
PYEOF
  if "${RUN[@]}" train -dataset data.h5 -model bad.h5 -train_groups 3 -epochs 1 -verbosity 0 2>err.txt; then
    echo "FAIL: -train_groups 3 accepted on 2 ranks"; exit 1
  fi
  grep -q -- "-train_groups 3" err.txt
  test ! -e bad.h5
fi
if "$SF" predict -model model.h5 -strain_D 1,1,1,90,90,90 -dataset other.h5 -verbosity 0 2>err.txt; then
  echo "FAIL: model accepted a foreign dataset"; exit 1
fi
grep -q refusing err.txt
echo ok
