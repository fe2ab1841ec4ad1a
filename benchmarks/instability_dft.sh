#!/usr/bin/env bash
# instability_dft.sh — the onset of the uniaxial instability from DFT (issue 14; the
# paper's §4.5, the HCP -> FCC path under compression along b), to set beside `path`'s.
# At each strain e of the scan, `relax -relax_cell uniaxial` relaxes the transverse
# stresses to the reference cell's own residual stress (as benchmarks/path_vs_dft.sh),
# then `strainfield elastic` on that loaded, relaxed cell gives the relaxed-ion C and
# Wallace's coefficients B = C + stress terms at the load; the onset is the first strain
# where the smallest eigenvalue of B crosses zero (linear interpolation between the two
# scan points around the sign change) and the mode is its eigenvector there.  B is
# block-diagonal on the orthorhombic cells of the path: the normal block (11, 22, 33)
# holds the path's own instability; the shear diagonals are printed beside it (at
# demo settings, 2x2x2 k-points, DFT's clamped and relaxed shear moduli are already
# negative at the reference cell: docs/model.md).
# The physics options are configs/demo.opts'.
# With MODEL=model.h5 the same criterion is applied to the model: `path` along the same
# direction from 0 to -0.12, then `predict` at every converged path point gives C and the
# stress there, and the normal block's onset is found as for DFT.
# usage: benchmarks/instability_dft.sh [strainfield] ; env MODEL (none), STRAINS ("-0.06 -0.07 -0.08 -0.09"),
#        DIR (2), NP (ranks for `elastic`, 1), OUT (benchmarks/results/instability_dft)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SF=$(readlink -f "${1:-$ROOT/build/strainfield}")
STRAINS=${STRAINS:-"-0.06 -0.07 -0.08 -0.09"}; DIR=${DIR:-2}; NP=${NP:-1}
OUT=${OUT:-$ROOT/benchmarks/results/instability_dft}
PY=/usr/bin/python3
mkdir -p "$OUT"; cd "$OUT"
grep -E '^-(acell|xred|znucl|typat|ecut|ecutsm|ngfft|ngkpt|shiftk|nband|occopt|tsmear|ixc) ' "$ROOT/configs/demo.opts" > phys.opts
echo "-pseudos $ROOT/data/psp/mg.pseu" >> phys.opts
printf -- '-toldfe 1e-10\n-tolmxf 1e-5\n' >> phys.opts
[ -f dft_ref.json ] || "$SF" relax -options_file phys.opts -summary dft_ref.json -verbosity 0
S0=$($PY -c "import json; s=json.load(open('dft_ref.json'))['stress']; print(','.join(repr(x) for x in [s[0][0],s[1][1],s[2][2],s[1][2],s[0][2],s[0][1]]))")
for e in $STRAINS; do
  [ -f "uni_$e.unconverged.json" ] && { echo "uniaxial relaxation at $e did not converge earlier: the scan stops here"; break; }
  [ -f "uni_$e.json" ] || "$SF" relax -options_file phys.opts -relax_cell uniaxial -uniaxial_dir "$DIR" \
    -uniaxial_strain "$e" -uniaxial_strtarget "$S0" -tolstress 1e-8 -summary "uni_$e.json" -verbosity 0 < /dev/null ||
    { mv -f "uni_$e.json" "uni_$e.unconverged.json" 2>/dev/null || true
      echo "uniaxial relaxation at $e did not converge: the scan stops here (past the onset)"; break; }
  # the loaded cell: its lattice vectors and relaxed positions replace the reference's
  CELL=$($PY -c "import json; j=json.load(open('uni_$e.json')); f=lambda m: ','.join(repr(x) for r in m for x in r); print('-acell 1,1,1 -rprim', f(j['lattice']), '-xred', f(j['xred']))")
  [ -f "elastic_$e.json" ] || mpirun -np "$NP" "$SF" elastic -options_file phys.opts $CELL -summary "elastic_$e.json" -verbosity 0 < /dev/null
done
if [ -n "${MODEL:-}" ]; then
  "$SF" path -model "$MODEL" -direction "$DIR" -strain_range -0.12,0 -nstrain 121 -summary ml_path.json -verbosity 0 || true
  $PY -c "import json; [print(*p['D']) for p in json.load(open('ml_path.json'))['points'] if p['converged']]" > ml_path_D.txt
  "$SF" predict -model "$MODEL" -strain_file ml_path_D.txt -summary ml_predict.json -verbosity 0
fi
$PY - "$STRAINS" "$DIR" <<'PYEOF'
import json, os, sys, numpy as np
d = int(sys.argv[2]) - 1
tokens = sorted(sys.argv[1].split(), key=lambda t: abs(float(t)))   # from the reference outwards
GPA = 29421.02648438959
def normal_block(C, sig):
    """Wallace's B on the normal strains (11, 22, 33): B_aabb = C_ab + 2 d_ab s_aa - (s_aa + s_bb)/2
    (docs/physics.md with i=j=a, k=l=b).  A uniaxial path along a lattice vector keeps the
    orthorhombic cell, so B is block-diagonal and this block holds the path's own mode."""
    B = np.array([[C[a][b] + (2 * sig[a][a] if a == b else 0) - 0.5 * (sig[a][a] + sig[b][b]) for b in range(3)]
                  for a in range(3)])
    w, v = np.linalg.eigh(B)
    m = v[:, 0] * np.sign(v[np.argmax(abs(v[:, 0])), 0])
    return w[0], m
rows = []
print(f"{'e':>8} {'min eig B':>10} {'normal block':>13} {'mode (e11 e22 e33)':>22}   shear B44 B55 B66 (GPa)")
for t in tokens:
    try:
        j = json.load(open(f"elastic_{t}.json"))
    except FileNotFoundError:
        print(f"{float(t):8.4f}  no relaxed cell (the uniaxial relaxation did not converge)"); continue
    e = float(t)
    C, sig = np.array(j["elastic_tensor"]), np.array(j["stress"])
    wn, mn = normal_block(C, sig)
    pairs = [(1, 2), (0, 2), (0, 1)]
    shear = [C[3 + k][3 + k] + 0.5 * (sig[a][a] + sig[b][b]) for k, (a, b) in enumerate(pairs)]
    ev = min(j["stability_eigenvalues_GPa"])
    rows.append({"e": e, "min_eig_GPa": ev, "normal_min_eig_GPa": wn * GPA, "normal_mode": mn.tolist(),
                 "elastic_tensor_GPa": j["elastic_tensor_GPa"], "stress": j["stress"]})
    print(f"{e:8.4f} {ev:10.2f} {wn * GPA:13.2f} {' '.join(f'{x:+.3f}' for x in mn):>22}   "
          f"{' '.join(f'{x * GPA:.1f}' for x in shear)}")
def onset(key):
    for a, b in zip(rows, rows[1:]):
        if a[key] > 0 >= b[key]:
            return a["e"] + (b["e"] - a["e"]) * a[key] / (a[key] - b[key])
    return None
o = onset("normal_min_eig_GPa")
unconv = sorted((float(t) for t in tokens if os.path.exists(f"uni_{t}.unconverged.json")), key=abs)
if o is None and unconv and rows:
    print(f"DFT onset (normal block): between {rows[-1]['e']:g} (B {rows[-1]['normal_min_eig_GPa']:.1f} GPa) and {unconv[0]:g}"
          " (no uniaxial equilibrium: the transverse relaxation runs away)")
else:
    print("DFT onset (normal block):", "none in the scan" if o is None else f"{o:.4f}")
res = {}
if os.path.exists("ml_predict.json"):
    path = [p for p in json.load(open("ml_path.json"))["points"] if p["converged"]]
    pr = json.load(open("ml_predict.json")); Cs, Ss = pr["elastic_tensor"], pr["stress"]
    ml = sorted(((p["e"][d], *normal_block(np.array(C), np.array(S))) for p, C, S in zip(path, Cs, Ss)), key=lambda r: -r[0])
    mo = None
    for (ea, wa, ma), (eb, wb, mb) in zip(ml, ml[1:]):
        if wa > 0 >= wb:
            mo = (ea + (eb - ea) * wa / (wa - wb), mb); break
    print("model onset (normal block):", "none on the path" if mo is None else
          f"{mo[0]:.4f}, mode {' '.join(f'{x:+.3f}' for x in mo[1])}")
    res = {"model_onset_normal": None if mo is None else mo[0], "model_mode_normal": None if mo is None else mo[1].tolist()}
json.dump({**res, "points": rows, "onset_normal": o, "onset_full": onset("min_eig_GPa")}, open("instability_dft.json", "w"), indent=1)
PYEOF
