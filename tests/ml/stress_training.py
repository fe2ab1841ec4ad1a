#!/usr/bin/python3
"""stress_training.py — `train -stress_weight` end to end on a synthetic dataset whose
stresses are the exact Cauchy stresses of its analytic F(D) (make_synthetic.py -stress).

Checks, on the test samples of the summary:
  1. the energy-only network's stress error (-stress_weight 0) is well below the stresses
     themselves (< 0.3 of mean |sigma|): train's eq. 13 map and the dataset's stresses
     agree in sign and size;
  2. with -stress_weight 1 the stress error is below half the energy-only one at the
     same epochs, and the free-energy error does not get worse;
  3. both summaries report stress_weight, stress_mae and stress_mae_GPa (= the Ha/Bohr^3
     value times 29421.0157).

usage: stress_training.py STRAINFIELD WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

exe, work = os.path.abspath(sys.argv[1]), sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
subprocess.run([sys.executable, os.path.join(here, "make_synthetic.py"), "data.h5", "-n", "400", "-grid", "6,10,9",
                "-stress"], check=True)
with h5py.File("data.h5", "r") as f:
    sig = f["samples/stress"][-134:]
    mean_sigma = np.mean(np.abs(sig[:, [0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]))
res = {}
for w in (0, 1):
    subprocess.run([exe, "train", "-dataset", "data.h5", "-ntrain", "266", "-ntest", "134", "-epochs", "500",
                    "-pca_components", "4", "-arch_rho", "8", "-arch_phi", "8", "-arch_u", "8", "-arch_s", "8",
                    "-stress_weight", str(w), "-model", f"m{w}.h5", "-summary", f"t{w}.json"],
                   check=True, stdin=subprocess.DEVNULL)
    res[w] = json.load(open(f"t{w}.json"))
fails = 0


def check(cond, what):
    global fails
    print(("ok   " if cond else "FAIL ") + what)
    fails += 0 if cond else 1


s0, s1 = res[0]["stress_mae"], res[1]["stress_mae"]
f0, f1 = res[0]["free_energy_mae_mHa"], res[1]["free_energy_mae_mHa"]
check(s0 < 0.3 * mean_sigma, f"energy-only stress error {s0:.3e} < 0.3 x mean |sigma| {mean_sigma:.3e}")
check(s1 < 0.5 * s0, f"stress-trained stress error {s1:.3e} < half the energy-only {s0:.3e}")
check(f1 <= f0, f"F error {f1:.4f} mHa (w = 1) <= {f0:.4f} mHa (w = 0)")
for w in (0, 1):
    r = res[w]
    check(r["stress_weight"] == w and abs(r["stress_mae_GPa"] - 29421.0156965221 * r["stress_mae"]) < 1e-9,
          f"w = {w}: stress_weight and stress_mae_GPa in the summary")
sys.exit(1 if fails else 0)
