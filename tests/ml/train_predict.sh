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
"${RUN[@]}" predict -model model.h5 -strain_D 1.01,0.99,1.0,90.5,89.5,90 -summary p.json -fields p.h5 \
  -fields_format h5,xsf -fields_znucl 12 -dataset data.h5 -verbosity 0
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
test -s p_rho.xsf
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
  # predict's stress against central differences of the predicted F, and its elastic tensor
  # against central differences of the predicted stress (float64 networks, -fp64), both
  # through the binary and its JSON: the cell (I + u) a of the reported lattice a, its D
  # measured from lengths and angles; a strained cell's stress is pulled back to the
  # current cell, T = V' G^-1 sigma' G^-T with G its deformation gradient, C = (1/V) dT/du
  "$SF" predict -model model_e.h5 -strain_D 1.012,0.991,1.004,90.6,89.3,90.4 -fp64 -summary e0.json -verbosity 0
  $PY - <<'PYEOF'
import json, numpy as np
j = json.load(open("e0.json"))
A, D0 = np.array(j["lattice"]), np.array(j["strain_D"])
L0 = np.linalg.norm(A, axis=1) / D0[:3]
vp = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
def D_of(a):
    n = np.linalg.norm(a, axis=1)
    ang = lambda u, w: np.degrees(np.arccos(a[u] @ a[w] / (n[u] * n[w])))
    return list(n / L0) + [ang(1, 2), ang(0, 2), ang(0, 1)]
def unit(al, h):
    u = np.zeros((3, 3)); i, k = vp[al]
    u[i, k] += h if i == k else h / 2
    if i != k: u[k, i] += h / 2
    return u
rows = []
for h in (2e-5, 3e-5):
    for al in range(6):
        for sg in (1, -1):
            rows.append(D_of(A @ (np.eye(3) + unit(al, sg * h)).T))
np.savetxt("fd_strains.txt", np.array(rows), fmt="%.17g")
PYEOF
  "$SF" predict -model model_e.h5 -strain_file fd_strains.txt -fp64 -summary fd.json -verbosity 0
  $PY - <<'PYEOF'
import json, numpy as np
j, f = json.load(open("e0.json")), json.load(open("fd.json"))
A, V = np.array(j["lattice"]), abs(np.linalg.det(j["lattice"]))
sig, C = np.array(j["stress"]), np.array(j["elastic_tensor"])
F, S, L = np.array(f["free_energy"]), np.array(f["stress"]), np.array(f["lattice"])
vp = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
sfd = np.array([(F[2 * a] - F[2 * a + 1]) / (2 * 2e-5) / V for a in range(6)])
err = max(abs(sfd[a] - sig[vp[a]]) for a in range(6)) / abs(sig).max()
assert err < 1e-6, f"predict's stress against central differences of F: {err:.2e} relative"
def pulled_back(k):  # T = V' G^-1 sigma' G^-T in Voigt order
    G = L[k].T @ np.linalg.inv(A.T)
    Gi = np.linalg.inv(G)
    T = abs(np.linalg.det(L[k])) * Gi @ S[k] @ Gi.T
    return np.array([T[i, k2] for i, k2 in vp])
Cfd = np.array([(pulled_back(12 + 2 * b) - pulled_back(13 + 2 * b)) / (2 * 3e-5) / V for b in range(6)]).T
errc = abs(Cfd - C).max() / abs(C).max()
assert errc < 1e-5, f"predict's elastic tensor against central differences of its stress: {errc:.2e} relative"
assert abs(C - C.T).max() <= 1e-13 * abs(C).max(), "elastic tensor not symmetric"
G = 29421.0156965221  # GPa per Ha/Bohr^3
assert np.allclose(np.array(j["elastic_tensor_GPa"]), G * C, rtol=1e-14, atol=0)
# the VRH moduli from the tensor, by numpy
Sm, c = np.linalg.inv(C), C
KV = (c[0, 0] + c[1, 1] + c[2, 2] + 2 * (c[0, 1] + c[0, 2] + c[1, 2])) / 9
GV = (c[0, 0] + c[1, 1] + c[2, 2] - (c[0, 1] + c[0, 2] + c[1, 2]) + 3 * (c[3, 3] + c[4, 4] + c[5, 5])) / 15
KR = 1 / (Sm[0, 0] + Sm[1, 1] + Sm[2, 2] + 2 * (Sm[0, 1] + Sm[0, 2] + Sm[1, 2]))
GR = 15 / (4 * (Sm[0, 0] + Sm[1, 1] + Sm[2, 2]) - 4 * (Sm[0, 1] + Sm[0, 2] + Sm[1, 2]) + 3 * (Sm[3, 3] + Sm[4, 4] + Sm[5, 5]))
assert abs(j["bulk_modulus_vrh_GPa"] - G * (KV + KR) / 2) < 1e-9 and abs(j["shear_modulus_vrh_GPa"] - G * (GV + GR) / 2) < 1e-9
ev = np.array(j["stability_eigenvalues"])
assert np.all(np.diff(ev) >= 0) and j["stable"] == bool(ev[0] > 0)
print(f"predict ok: stress vs FD of F {err:.1e}, C vs FD of the stress {errc:.1e} (relative); "
      f"K_VRH {j['bulk_modulus_vrh_GPa']:.1f} GPa, G_VRH {j['shear_modulus_vrh_GPa']:.1f} GPa")
p = json.load(open("path.json"))
for q in p["points"]:
    s = np.array(q["stress"])
    assert s.shape == (3, 3) and np.allclose(s, s.T, rtol=0, atol=1e-15) and np.all(np.diff(q["stability_eigenvalues"]) >= 0)
q = p["points"][10]  # the reference cell (e = 0 exactly): eq. 13 = eq. 14
s14 = np.array(q["sigma"])
assert max(map(abs, q["e"])) == 0, q["e"]
assert max(abs(np.array(q["stress"])[i, k] - s14[a]) for a, (i, k) in enumerate(vp)) < 1e-12 * abs(s14).max(), "eq. 13 vs 14 at e = 0"
print("path's stress and stability eigenvalues ok")
PYEOF
  # the instability of a known energy (make_synthetic.py -energy well): under uniaxial
  # compression along b Wallace's B loses positive definiteness at e22 = -0.033329 (its
  # closed form, solved here), in a mode of almost pure e22; the model trained on it finds
  # it (seeds 13, 14, 15: off by 1.2e-4, 1.3e-3, 4.6e-4)
  $PY "$HERE/make_synthetic.py" well.h5 -n 800 -grid 4,4,4 -seed 13 -energy well >/dev/null
  "$SF" train -dataset well.h5 -model model_w.h5 -ntrain 790 -ntest 10 -epochs 2000 -pca_components 4 \
    -arch_rho 8 -arch_phi 8 -arch_u 8 -arch_s 8 -verbosity 0
  "$SF" path -model model_w.h5 -direction 2 -strain_range -0.06,0.01 -nstrain 71 -path_residual zero -summary well.json -verbosity 0
  $PY - <<'PYEOF'
import json, numpy as np
KS, A, B, KT = 1.0, 0.5, 5.0, 0.3          # make_synthetic.py's WELL
V0 = 6.06 * 6.06 * np.sqrt(3) * 9.83      # its reference cell
def mandel_B(x):  # Wallace's B at e22 = x, transverse strains 0 (docs/physics.md)
    V, s, k = V0 * (1 + x), (2 * A * x + 3 * B * x * x) / V0, KT / (V0 * (1 + x))
    b = np.zeros((6, 6)); b[0, 0] = b[2, 2] = KS / V; b[1, 1] = (2 * A + 6 * B * x) * (1 + x) ** 2 / V
    b[0, 1] = b[1, 0] = b[1, 2] = b[2, 1] = -s / 2; b[3, 3] = b[5, 5] = k + s / 2; b[4, 4] = k
    m = np.array([1, 1, 1, 2 ** 0.5, 2 ** 0.5, 2 ** 0.5]); return b * np.outer(m, m)
lo, hi = -0.05, -0.02
for _ in range(100):
    mid = (lo + hi) / 2
    lo, hi = (lo, mid) if np.linalg.eigvalsh(mandel_B(mid))[0] > 0 else (mid, hi)
j = json.load(open("well.json"))
ins = j["instability"]
assert ins is not None and j["onsets"]["above_zero"] is None, j["onsets"]
assert abs(ins["strain"] - lo) < 3e-3, f"onset {ins['strain']:.5f}, exact {lo:.5f}"
mode = np.array(ins["mode"])  # strain tensor components, sum_ij e_ij^2 = 1
assert mode[1] > 0.99 and abs(mode[:3] @ mode[:3] + 2 * mode[3:] @ mode[3:] - 1) < 1e-12, mode
print(f"instability ok: onset e22 = {ins['strain']:.5f} (exact {lo:.5f}), mode e22 component {ins['mode'][1]:.4f}")
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
for k in ("predict_one_hot_us", "predict_F_xred_hot_us", "predict_one_cold_us", "dF_dD_one_us", "d2F_dD2_one_us", "elastic_one_us", "reconstruct_4_fields_ms"):
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
