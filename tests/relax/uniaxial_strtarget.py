#!/usr/bin/python3
"""-uniaxial_strtarget: with the cell's own stress as the target, the uniaxial relaxation
at zero prescribed strain must stay at the cell (transverse strains ~0, converged), while
without it the same relaxation moves the cell (the control: the test can fail); and at a
non-zero strain the five free components end at (V0/V) times their targets.

usage: uniaxial_strtarget.py STRAINFIELD_BIN WORKDIR

The paper's strained Mg cell, ecut 8, 2x2x2 k-points: not stress-free (~80 s).
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relax_common as rc  # noqa: E402


def run(exe, opts, summ, allowed=(0,)):
    cmd = [exe, "relax"] + opts + ["-summary", summ, "-verbosity", "0"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    if r.returncode not in allowed:
        print(" ".join(cmd), r.stdout[-1500:], r.stderr[-1500:])
        raise SystemExit(f"relax exited with {r.returncode}")
    return json.load(open(summ))


def main():
    exe, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    base = rc.sf_options(rc.physics(8, [2, 2, 2], [16, 27, 27]), tolmxf=1e-5, toldfe=1e-10)
    ref = run(exe, base, os.path.join(work, "ref.json"))
    s = np.array(ref["stress"])
    voigt = [s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]]
    print("reference-cell stress (Ha/Bohr^3):", " ".join(f"{x:.3e}" for x in voigt))
    ok = max(abs(x) for x in voigt) > 1e-5
    print(("ok  " if ok else "FAIL") + " the cell is not stress-free (else the test proves nothing)")
    tgt = ["-uniaxial_strtarget", ",".join(repr(float(x)) for x in voigt)]
    uni = ["-relax_cell", "uniaxial", "-uniaxial_dir", "2", "-tolstress", "1e-8"]
    held = run(exe, base + uni + ["-uniaxial_strain", "0"] + tgt, os.path.join(work, "held.json"))["uniaxial"]
    # the control needs only a few cell steps to show the cell moving (exit 5: not converged)
    free = run(exe, base + uni + ["-uniaxial_strain", "0", "-ncell_steps", "3"], os.path.join(work, "free.json"),
               allowed=(0, 5))["uniaxial"]
    e_held = np.abs(np.array(held["eps"])).max()
    e_free = np.abs(np.array(free["eps"])).max()
    good = held["converged"] and e_held < 1e-5
    print(("ok  " if good else "FAIL") + f" target = own stress: strains stay at the cell (max |eps| {e_held:.1e})")
    ok &= good
    good = e_free > 1e-3
    print(("ok  " if good else "FAIL") + f" no target: the cell relaxes away (max |eps| {e_free:.1e})")
    ok &= good
    # at eps_22 = -0.01: (1/V) dF/de_v = (V0/V) s_v for the five free components
    j = run(exe, base + uni + ["-uniaxial_strain", "-0.01"] + tgt, os.path.join(work, "strained.json"))
    eps, sig = np.array(j["uniaxial"]["eps"]), np.array(j["stress"])
    Finv = np.linalg.inv(np.eye(3) + eps)
    paper = sig @ Finv.T  # (1/V) dF/deps (per tensor component)
    V0 = abs(np.linalg.det(np.array(ref["lattice"])))
    V = abs(np.linalg.det(np.array(j["lattice"])))
    worst = 0.0
    for v, (k, l) in enumerate([(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]):
        if (k, l) == (1, 1):
            continue
        have = paper[k, l] if k == l else 0.5 * (paper[k, l] + paper[l, k])
        worst = max(worst, abs(have - V0 / V * voigt[v]))
    good = j["uniaxial"]["converged"] and worst < 2e-8
    print(("ok  " if good else "FAIL") + f" eps22 = -0.01: free components at (V0/V) targets to {worst:.1e} Ha/Bohr^3")
    ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
