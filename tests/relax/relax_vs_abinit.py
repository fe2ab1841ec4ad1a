#!/usr/bin/python3
"""Issue 3, item 1: fixed-cell BFGS relaxation against ABINIT (ionmov 2, optcell 0).

usage: relax_vs_abinit.py {quick,full} STRAINFIELD_BIN WORKDIR CACHEDIR [NPROCS]

The paper's strained Mg cell (reference acell 6.0646 10.5042 9.8477, D = 0.9696 0.9237
0.9906 92.1598 85.6196 87.3824), mg.pseu, ecutsm 0.5, occopt 4, tsmear 0.01, nband 20,
ixc 7, shift 1/2; atoms started off the HCP sites (+0.01 on three coordinates), tolmxf
5e-6, ntime 60.  full: ecut 24, 4x4x4 (ABINIT's default FFT box, passed to strainfield);
quick: ecut 10, 2x2x2, ngfft 18 30 30 (ABINIT's default there) pinned in both codes.
Checks: final xred agree to <= 2e-4 modulo a common translation, final free energy to
<= 1e-5 Ha, max force <= tolmxf in both, strainfield's ionic steps <= ABINIT's.
Prints both trajectories (free energy per SCF) and writes WORKDIR/result.json.
ABINIT runs are cached in CACHEDIR (keyed by input text + psp).
"""
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relax_common as rc  # noqa: E402

import numpy as np  # noqa: E402

MODES = {"quick": dict(ecut=10, ngkpt=[2, 2, 2], ngfft=[18, 30, 30]),
         "full": dict(ecut=24, ngkpt=[4, 4, 4], ngfft=None)}
TOLMXF = 5e-6
TOL_XRED, TOL_F = 2e-4, 1e-5


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in MODES:
        print(__doc__)
        return 2
    mode, exe, work, cache = sys.argv[1:5]
    np_ = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    mpiexec = os.environ.get("MPIEXEC", "mpirun")
    abinit = os.environ.get("ABINIT", "/usr/bin/abinit")
    m = MODES[mode]
    p = rc.physics(m["ecut"], m["ngkpt"], m["ngfft"])
    abdir = os.path.join(cache, f"relax_{mode}")
    print(f"== ABINIT ionmov 2 ({mode}) in {abdir}", flush=True)
    info, cached = rc.run_abinit(rc.abinit_input(p, tolmxf=TOLMXF), abdir, exe=abinit)
    print(f"   {'cached' if cached else 'ran'}: wall {info['wall']:.1f} s", flush=True)
    h = rc.parse_hist(abdir)
    p["ngfft"] = p["ngfft"] or h["ngfft"]

    os.makedirs(work, exist_ok=True)
    summ = os.path.join(work, f"relax_{mode}_np{np_}.json")
    if os.path.exists(summ):
        os.remove(summ)
    cmd = [mpiexec, "-np", str(np_), "--allow-run-as-root", "--oversubscribe", exe, "relax"]
    cmd += rc.sf_options(p, tolmxf=TOLMXF) + ["-summary", summ]
    print("== " + " ".join(cmd), flush=True)
    t0 = time.time()
    log = os.path.join(work, f"relax_{mode}_np{np_}.log")
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                           env=dict(os.environ, OMP_NUM_THREADS="1"))
    wall = time.time() - t0
    if r.returncode != 0:
        print(open(log).read()[-4000:])
        print(f"FAIL  strainfield relax exited with {r.returncode}")
        return 1
    s = json.load(open(summ))
    rel = s["relax"]

    print("\n== trajectories (free energy, Ha; max |F| Ha/Bohr)")
    print("   ABINIT ionmov 2 (1 SCF per step)      strainfield TAO lmvm (per SCF evaluation)")
    n = max(len(h["etotal"]), len(rel["trajectory"]))
    for i in range(n):
        a = (f"{i + 1:3d} {h['etotal'][i]:.10f} {np.abs(h['fcart'][i]).max():.2e}"
             if i < len(h["etotal"]) else " " * 30)
        b = ""
        if i < len(rel["trajectory"]):
            t = rel["trajectory"][i]
            b = f"{i + 1:3d} {t['free_energy']:.10f} {t['max_force']:.2e}"
        print(f"   {a:36s}   {b}")

    dx, d = rc.xred_diff(s["xred"], h["xred"][-1])
    dF = abs(s["free_energy"] - float(h["etotal"][-1]))
    fab = float(np.abs(h["fcart"][-1]).max())
    fsf = float(np.linalg.norm(np.asarray(s["forces"]), axis=1).max())
    nab = len(h["etotal"])
    res = {"mode": mode, "nprocs": np_, "ngfft": p["ngfft"], "xred_diff": dx, "F_diff": dF,
           "F_abinit": float(h["etotal"][-1]), "F_strainfield": s["free_energy"],
           "abinit_steps": nab, "abinit_converged": h["converged"],
           "sf_steps": rel["steps"], "sf_evaluations": rel["evaluations"],
           "sf_converged": rel["converged"], "fmax_abinit": fab, "fmax_strainfield": fsf,
           "wall_strainfield": wall, "wall_abinit": info["wall"],
           "traj_abinit": [float(e) for e in h["etotal"]],
           "traj_strainfield": [t["free_energy"] for t in rel["trajectory"]]}
    json.dump(res, open(os.path.join(work, f"result_{mode}_np{np_}.json"), "w"), indent=1)

    print("\n== checks")
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok    " if cond else "FAIL  ") + what)
        ok = ok and cond
    check(h["converged"], "ABINIT reached tolmxf")
    check(rel["converged"], "strainfield relax.converged")
    check(dx <= TOL_XRED, f"relaxed xred agree modulo a common translation: max diff {dx:.2e} <= {TOL_XRED:g}")
    check(dF <= TOL_F, f"final free energy: |F_sf - F_abinit| = {dF:.2e} Ha <= {TOL_F:g} "
          f"({s['free_energy']:.10f} vs {h['etotal'][-1]:.10f})")
    check(fab <= TOLMXF, f"ABINIT final max |F component| {fab:.2e} <= tolmxf")
    check(fsf <= TOLMXF, f"strainfield final max |F_a| {fsf:.2e} <= tolmxf")
    check(rel["steps"] <= nab, f"ionic steps: strainfield {rel['steps']} TAO steps "
          f"({rel['evaluations']} SCF evaluations) <= ABINIT {nab} steps (= SCF runs)")
    print(f"   wall: strainfield {wall:.1f} s on {np_} rank(s); ABINIT {info['wall']:.1f} s on 1 rank")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
