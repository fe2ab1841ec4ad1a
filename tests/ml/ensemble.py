#!/usr/bin/python3
"""ensemble.py — `train -ensemble K [-ensemble_bootstrap]` and the ensemble outputs of
`predict`, on a synthetic dataset (make_synthetic.py), against an independent numpy
evaluation of the members read from the model file.

Checks:
  1. member 0 of an ensemble is, weight for weight, the network a train without
     -ensemble builds; the K members differ;
  2. predict (-fp64) gives the members' mean for free_energy, xred and dF_dD, and
     std_scale x their sample standard deviation for free_energy_std, xred_std and
     dF_dD_std (dF_dD of every member by central differences in numpy);
  3. the summary's calibration of F (within 1 sigma, 2 sigma, Spearman) equals the one
     recomputed from predict's outputs at the test strains;
  4. the bootstrap ensemble is the same on 1 and 2 ranks (weights, std_scale), and its
     out-of-bag std_scale is > 1 (an ensemble's spread underestimates its error);
  5. -fields_std: the rho field's spread equals numpy's from the members' coefficients
     and the PCA basis; -fields_std with a one-network model is refused naming the option.

usage: ensemble.py STRAINFIELD WORKDIR [MPIEXEC]
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

exe, work = os.path.abspath(sys.argv[1]), sys.argv[2]
mpiexec = sys.argv[3] if len(sys.argv) > 3 else "mpirun"
here = os.path.dirname(os.path.abspath(__file__))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
subprocess.run([sys.executable, os.path.join(here, "make_synthetic.py"), "data.h5", "-n", "150", "-grid", "6,10,9",
                "-failed", "0"], check=True)
NTR, NTE = 110, 40
small = ["-epochs", "300", "-pca_components", "4", "-arch_rho", "8", "-arch_phi", "8", "-arch_u", "8", "-arch_s", "8",
         "-arch_xred", "16,16", "-arch_energy", "16,16", "-ntrain", str(NTR), "-ntest", str(NTE)]
fails = 0


def check(cond, what):
    global fails
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    fails += 0 if cond else 1


def train(name, extra, np_=1):
    cmd = [exe, "train", "-dataset", "data.h5", *small, *extra, "-model", f"{name}.h5", "-summary", f"{name}.json"]
    if np_ > 1:
        cmd = [mpiexec, "-np", str(np_), *cmd]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return json.load(open(f"{name}.json"))


def members(path, net):
    """The K members of network `net` as lists of (W, b) with their scalers."""
    with h5py.File(path, "r") as f:
        K = int(f.attrs["ensemble"][0]) if "ensemble" in f.attrs else 1
        out = []
        for k in range(K):
            g = f["nets"][net if k == 0 else f"{net}_member{k}"]
            L = len([x for x in g if x.startswith("W")])
            out.append(dict(W=[g[f"W{l}"][()] for l in range(L)], b=[g[f"b{l}"][()] for l in range(L)],
                            xm=g["x_mean"][()], xs=g["x_std"][()], ym=g["y_mean"][()], ys=g["y_std"][()]))
        scale = f.attrs["ensemble_std_scale"] if "ensemble_std_scale" in f.attrs else np.ones(6)
    return out, scale


def mlp(m, D):
    z = (np.atleast_2d(D) - m["xm"]) / m["xs"]
    for l, (W, b) in enumerate(zip(m["W"], m["b"])):
        z = z @ W + b
        if l + 1 < len(m["W"]):
            z = np.tanh(z)
    return m["ym"] + m["ys"] * z


def predict(model, D, extra=()):
    np.savetxt("strains.txt", np.atleast_2d(D))
    subprocess.run([exe, "predict", "-model", model, "-strain_file", "strains.txt", "-fp64", "-summary", "p.json",
                    *extra], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return json.load(open("p.json"))


# 1. member 0 = the single network
s1 = train("m1", [])
s3 = train("m3", ["-ensemble", "3"])
e1, _ = members("m1.h5", "energy")
e3, sc3 = members("m3.h5", "energy")
same = all(np.array_equal(a, b) for a, b in zip(e1[0]["W"] + e1[0]["b"], e3[0]["W"] + e3[0]["b"]))
check(len(e3) == 3 and same, "member 0 of -ensemble 3 has exactly the weights of the -ensemble 1 network")
check(not np.array_equal(e3[0]["W"][0], e3[1]["W"][0]), "the members differ")
check(np.all(sc3 == 1), "without bootstrap std_scale is 1")
check("ensemble" not in s1 and s3["ensemble"]["K"] == 3, "the summary has ensemble.K only for an ensemble")

# 2. predict: mean and spread of the members
with h5py.File("data.h5", "r") as f:
    D_all, F_all = f["samples/D"][()], f["samples/free_energy"][()]
Dte, Fte = D_all[-NTE:], F_all[-NTE:]
p = predict("m3.h5", Dte)
Fk = np.array([mlp(m, Dte)[:, 0] for m in e3])
check(np.max(np.abs(np.array(p["free_energy"]) - Fk.mean(0))) < 1e-10 * np.max(np.abs(Fk)),
      "free_energy = the members' mean")
check(np.max(np.abs(np.array(p["free_energy_std"]) - Fk.std(0, ddof=1))) < 1e-9 * np.max(Fk.std(0, ddof=1)) + 1e-14,
      "free_energy_std = the members' sample standard deviation")
x3, _ = members("m3.h5", "xred")
Xk = np.array([mlp(m, Dte) for m in x3])
check(np.max(np.abs(np.array(p["xred"]) - Xk.mean(0))) < 1e-10, "xred = the members' mean")
check(np.max(np.abs(np.array(p["xred_std"]) - Xk.std(0, ddof=1))) < 1e-10, "xred_std = their standard deviation")
h = 1e-5
G = np.zeros((3, NTE, 6))
for j in range(6):
    dp, dm = Dte.copy(), Dte.copy()
    dp[:, j] += h
    dm[:, j] -= h
    G[:, :, j] = [(mlp(m, dp)[:, 0] - mlp(m, dm)[:, 0]) / (2 * h) for m in e3]
gm, gs = np.array(p["dF_dD"]), np.array(p["dF_dD_std"])
errm = np.max(np.abs(gm - G.mean(0))) / np.max(np.abs(G))
errs = np.max(np.abs(gs - G.std(0, ddof=1))) / np.max(G.std(0, ddof=1))
check(errm < 1e-7 and errs < 1e-6, f"dF_dD and dF_dD_std = mean and spread of the members' FD gradients "
      f"(rel. {errm:.1e}, {errs:.1e})")


# 3. calibration of F in the summary = recomputed
def spearman(a, b):
    def ranks(v):
        o = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[o] = np.arange(1, len(v) + 1)
        for u in np.unique(v):  # ties: mean rank
            r[v == u] = r[v == u].mean()
        return r
    return np.corrcoef(ranks(a), ranks(b))[0, 1]


err = np.abs(np.array(p["free_energy"]) - Fte)
sd = np.array(p["free_energy_std"])
cal = s3["ensemble"]["calibration"]["free_energy"]
check(abs(cal["within_1sigma"] - np.mean(err <= sd)) < 1e-12 and abs(cal["within_2sigma"] - np.mean(err <= 2 * sd)) < 1e-12,
      f"calibration within 1/2 sigma {cal['within_1sigma']:.3f}/{cal['within_2sigma']:.3f} = recomputed")
check(abs(cal["spearman"] - spearman(sd, err)) < 1e-9, f"calibration spearman {cal['spearman']:.3f} = recomputed")

# 4. bootstrap: 1 rank = 2 ranks, std_scale > 1
sb1 = train("mb1", ["-ensemble", "3", "-ensemble_bootstrap"])
sb2 = train("mb2", ["-ensemble", "3", "-ensemble_bootstrap"], 2)
b1, scb1 = members("mb1.h5", "energy")
b2, scb2 = members("mb2.h5", "energy")
dw = max(np.max(np.abs(a - b)) for m1, m2 in zip(b1, b2) for a, b in zip(m1["W"], m2["W"]))
check(dw < 1e-9 and np.max(np.abs(scb1 - scb2)) < 1e-9, f"bootstrap ensemble on 1 and 2 ranks: weights differ by {dw:.1e}")
check(np.all(scb1 > 1), f"out-of-bag std_scale {np.round(scb1, 3).tolist()} > 1")
check(not np.array_equal(b1[0]["W"][0], e3[0]["W"][0]), "under bootstrap member 0 trains on a resample")
p = predict("mb1.h5", Dte[:5])
Fk = np.array([mlp(m, Dte[:5])[:, 0] for m in b1])
check(np.max(np.abs(np.array(p["free_energy_std"]) - scb1[5] * Fk.std(0, ddof=1))) < 1e-9 * np.max(Fk.std(0)) + 1e-14,
      "free_energy_std carries the energy network's std_scale")

# 5. -fields_std against numpy
D0 = Dte[0]
p = predict("m3.h5", D0, ["-fields", "fl.h5", "-fields_std", "1"])
r3, _ = members("m3.h5", "field_rho")
with h5py.File("m3.h5", "r") as f:
    basis, mean = f["pca/rho/basis"][()], f["pca/rho/mean"][()]
k = r3[0]["W"][-1].shape[1]
fk = np.array([mean + mlp(m, D0)[0] @ basis[:k] for m in r3])
with h5py.File("fl.h5", "r") as f:
    got = f["fields_std/rho"][0].ravel()
    rho = f["fields/rho"][0].ravel()
want = fk.std(0, ddof=1)
check(np.max(np.abs(got - want)) < 1e-5 * np.max(want) and np.max(np.abs(rho - fk.mean(0))) < 1e-5 * np.max(np.abs(rho)),
      f"fields_std/rho = numpy's spread of the members' fields (max {np.max(want):.3e})")
r = subprocess.run([exe, "predict", "-model", "m1.h5", "-strain_D", ",".join(map(str, D0)), "-fields", "f1.h5",
                    "-fields_std", "1"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
msg = r.stderr.strip().splitlines()
check(r.returncode != 0 and len(msg) == 1 and "-fields_std" in msg[0], f"one-network model refused: {msg}")
sys.exit(1 if fails else 0)
