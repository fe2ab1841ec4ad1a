#!/usr/bin/env bash
# path_vs_dft.sh — a trained model's uniaxial path (`strainfield path`) against DFT on the
# same cell and settings (`strainfield relax -relax_cell uniaxial`), the paper's Figure 9.
# Both hold the transverse stresses at the reference cell's residual stress (each its own:
# the model's by back-propagation, DFT's from a relaxation at zero strain), so the
# comparison is of sigma_ii - sigma_ii(0) and of the transverse strains.
# The physics options are configs/demo.opts' (the model must come from such a campaign).
# usage: benchmarks/path_vs_dft.sh MODEL.h5 [strainfield] ; env STRAINS ("-0.02 -0.01 0.01 0.02"),
#        DIR (2), OUT (benchmarks/results/path_vs_dft)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=$(readlink -f "$1"); SF=$(readlink -f "${2:-$ROOT/build/strainfield}")
STRAINS=${STRAINS:-"-0.02 -0.01 0.01 0.02"}; DIR=${DIR:-2}; OUT=${OUT:-$ROOT/benchmarks/results/path_vs_dft}
PY=/usr/bin/python3
mkdir -p "$OUT"; cd "$OUT"
# demo.opts' physics (its campaign options are not relax options), tighter tolerances
grep -E '^-(acell|xred|znucl|typat|ecut|ecutsm|ngfft|ngkpt|shiftk|nband|occopt|tsmear|ixc) ' "$ROOT/configs/demo.opts" > phys.opts
echo "-pseudos $ROOT/data/psp/mg.pseu" >> phys.opts
printf -- '-toldfe 1e-10\n-tolmxf 1e-5\n' >> phys.opts
"$SF" relax -options_file phys.opts -summary dft_ref.json -verbosity 0
S0=$($PY -c "import json; s=json.load(open('dft_ref.json'))['stress']; print(','.join(repr(x) for x in [s[0][0],s[1][1],s[2][2],s[1][2],s[0][2],s[0][1]]))")
for e in $STRAINS; do
  "$SF" relax -options_file phys.opts -relax_cell uniaxial -uniaxial_dir "$DIR" -uniaxial_strain "$e" \
    -uniaxial_strtarget "$S0" -tolstress 1e-8 -summary "dft_$e.json" -verbosity 0 || echo "DFT point $e did not converge"
done
LO=$($PY -c "print(min([0.0] + [float(x) for x in '$STRAINS'.split()]))"); HI=$($PY -c "print(max([0.0] + [float(x) for x in '$STRAINS'.split()]))")
"$SF" path -model "$MODEL" -direction "$DIR" -strain_range "$LO,$HI" -nstrain 81 -summary ml_path.json -verbosity 0 || true
$PY - "$STRAINS" "$DIR" <<'PYEOF'
import json, sys, numpy as np
strains, d = [float(x) for x in sys.argv[1].split()], int(sys.argv[2]) - 1
ref = json.load(open("dft_ref.json")); s0 = np.array(ref["stress"])
ml = json.load(open("ml_path.json")); pts = ml["points"]
vo = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
rows = []
print(f"reference stress sigma_ii (Ha/Bohr^3): DFT {[s0[i][i] for i in range(3)]}, model {ml['reference_stress'][:3]}")
print(f"{'e_ii':>8} {'dsigma DFT':>12} {'dsigma ML':>12} | transverse strains DFT / ML")
for e in strains:
    try:
        j = json.load(open(f"dft_{e}.json"))
    except FileNotFoundError:
        continue
    u = j["uniaxial"]; eps = np.array(u["eps"]); sig = np.array(j["stress"])
    Finv = np.linalg.inv(np.eye(3) + eps)
    paper = (sig @ Finv.T)[d, d]           # (1/V) dF/de_dd, the paper's eq. 14 (what `path` reports)
    paper0 = s0[d, d]                      # at zero strain the two definitions coincide
    k = int(np.argmin([abs(p["e"][d] - e) for p in pts])); p = pts[k]
    tr = [v for v in range(3) if v != d]
    row = {"e": e, "dft_converged": u["converged"], "ml_converged": p["converged"],
           "dsigma_dft": paper - paper0, "dsigma_ml": p["sigma"][d] - ml["reference_stress"][d],
           "transverse_dft": [eps[v][v] for v in tr], "transverse_ml": [p["e"][v] for v in tr]}
    rows.append(row)
    print(f"{e:8.4f} {row['dsigma_dft']:12.4e} {row['dsigma_ml']:12.4e} | "
          f"{' '.join(f'{x:+.5f}' for x in row['transverse_dft'])} / {' '.join(f'{x:+.5f}' for x in row['transverse_ml'])}")
json.dump({"direction": d + 1, "reference_stress_dft": s0.tolist(), "reference_stress_ml": ml["reference_stress"],
           "points": rows}, open("path_vs_dft.json", "w"), indent=1)
PYEOF
