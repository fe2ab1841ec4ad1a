#!/usr/bin/env bash
# vs_reference.sh — strainfield train and benchmarks/reference_protocol.py (scikit-learn +
# PyTorch) must measure the same things: on one synthetic dataset with the lattice stored
# as `generate` stores it, the deterministic parts of both reports — PCA-only and linear
# NRMSE per field, linear free-energy and positions errors (mHa, Bohr) — agree.  The
# networks are not compared (1-2 epochs); this guards the metrics and units that the
# accuracy comparison in docs/performance.md rests on.
# usage: vs_reference.sh STRAINFIELD WORKDIR
set -euo pipefail
SF=$1; W=$2
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"; cd "$W"
$PY "$HERE/make_synthetic.py" data.h5 -n 90 -grid 8,12,10 -seed 21 >/dev/null
"$SF" train -dataset data.h5 -model model.h5 -ntrain 60 -ntest 30 -epochs 2 -pca_components 8 \
  -arch_rho 16 -arch_phi 16 -arch_u 16 -arch_s 16 -summary sf.json -verbosity 0
$PY "$HERE/../../benchmarks/reference_protocol.py" data.h5 -ntrain 60 -ntest 30 -epochs 1 -ncomp 8 -threads 1 \
  -json ref.json >/dev/null
$PY - <<'PYEOF'
import json
sf, ref = json.load(open("sf.json")), json.load(open("ref.json"))
def close(name, a, b, rtol):
    ok = abs(a - b) <= rtol * abs(b)
    print(f"{name:32s} strainfield {a:.10e}  reference {b:.10e}  {'ok' if ok else 'MISMATCH'}")
    return ok
good = ref["ntrain"] == sf["ntrain_used"]
for f in ("rho", "phi", "u", "s"):
    for k in ("pca_mean", "linear_mean"):  # scikit-learn's PCA may use randomised SVD
        good &= close(f"nrmse {f} {k}", sf["nrmse"][f][k], ref["nrmse"][f][k], 1e-5)
good &= close("free_energy_linear_mae_mHa", sf["free_energy_linear_mae_mHa"], ref["free_energy_linear_mae_mHa"], 1e-9)
good &= close("xred_linear_mae_bohr", sf["xred_linear_mae_bohr"], ref["xred_linear_mae_bohr"], 1e-9)
assert good, "strainfield and the reference protocol disagree on a deterministic metric"
PYEOF
