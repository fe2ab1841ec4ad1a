#!/usr/bin/python3
"""Issue 3, item 3: a relaxation that cannot reach -tolmxf in -ntime steps ends with a
clear error (exit code 5 = SF_ERR_NOCONV, message naming -tolmxf and -ntime) and keeps
its last state in the summary, marked as not converged.

usage: relax_nonconv.py STRAINFIELD_BIN WORKDIR [NPROCS]

Small Mg cell (the paper's strained cell, ecut 8, one k-point, ngfft 16 27 27) with the
atoms off their sites, -ntime 1.
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relax_common as rc  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    exe, work = sys.argv[1:3]
    np_ = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.makedirs(work, exist_ok=True)
    summ = os.path.join(work, "nonconv.json")
    if os.path.exists(summ):
        os.remove(summ)
    p = rc.physics(8, [1, 1, 1], [16, 27, 27])
    cmd = [os.environ.get("MPIEXEC", "mpirun"), "-np", str(np_), "--allow-run-as-root",
           "--oversubscribe", exe, "relax"] + rc.sf_options(p, tolmxf=5e-6, ntime=1) + ["-summary", summ]
    print("== " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    out = r.stdout + r.stderr
    print(out[-2500:])
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok    " if cond else "FAIL  ") + what)
        ok = ok and cond
    check(r.returncode == 5, f"exit code {r.returncode} == 5 (not converged)")
    err = [ln for ln in out.splitlines() if "-tolmxf" in ln and "-ntime" in ln]
    check(bool(err), "an error message names -tolmxf and -ntime")
    check(os.path.exists(summ), "summary JSON written")
    if not os.path.exists(summ):
        return 1
    s = json.load(open(summ))
    rel = s.get("relax", {})
    check(rel.get("converged") is False, "summary relax.converged is false")
    check(rel.get("steps", 99) <= 1, f"relax.steps = {rel.get('steps')} <= -ntime 1")
    tr = rel.get("trajectory", [])
    check(len(tr) >= 2 and len(tr) == rel.get("evaluations"), f"trajectory has {len(tr)} evaluations")
    x = np.asarray(s.get("xred", []), float)
    x0 = np.asarray(p["xred"], float)
    check(x.shape == (4, 3), "summary has the last xred")
    moved = float(np.abs(x - x0).max()) if x.shape == (4, 3) else 0.0
    check(moved > 1e-6, f"the last xred is the moved geometry (max |x - x_start| = {moved:.2e})")
    fmax = float(np.linalg.norm(np.asarray(s.get("forces") or [[1, 1, 1]]), axis=1).max())
    check(abs(fmax - rel.get("max_force", -1)) <= 1e-8 and fmax > 5e-6,
          f"summary forces are those of the last state (max {fmax:.3e} = relax.max_force, > tolmxf)")
    check(bool(s.get("scf", {}).get("error")), f"summary scf.error: {s.get('scf', {}).get('error')!r}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
