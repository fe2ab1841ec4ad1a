#!/usr/bin/python3
"""Warm starts of `scf` and `relax` (issue 12): -init_density FILE[:INDEX], -init_model.

usage: warm.py TEST   with the environment of tests/cli/cli.py (SF_EXE, SF_SOURCE, SF_WORK,
MPIEXEC) and SF_WARM_DATA, the folder of the shared tiny dataset and model (made by the
test `fixture`, ctest cli_warm_fixture).  Settings: tests/generate/tiny.opts (4-atom Mg,
ecut 5, one k-point, 12x20x20 grid): seconds per SCF.
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402  (the shared helpers of tests/cli)
from cli import EXE, MPIEXEC, SOURCE, SF_ERR_FILE, SF_ERR_INPUT, check, path  # noqa: E402

DATA = os.environ.get("SF_WARM_DATA", "/tmp/sf_warm_data")
TINY = os.path.join(SOURCE, "tests", "generate", "tiny.opts")
PSP = os.path.join(SOURCE, "data", "psp", "mg.pseu")
DS, MODEL = os.path.join(DATA, "ds.h5"), os.path.join(DATA, "model.h5")
NSAMPLE = 12


def scf_opts():
    """tiny.opts without its relaxation options (scf rejects options it does not use)."""
    f = path("tiny_scf.opts")
    if not os.path.exists(f):
        with open(TINY) as src, open(f, "w") as dst:
            dst.writelines(l for l in src if not l.startswith(("-tolmxf", "-ntime")))
    return f


def run(cmd, args, np_=1, expect=0, tag=None):
    full = [EXE, cmd, "-pseudos", PSP, "-verbosity", "0"] + args
    full = ([MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_)] + full) if np_ > 1 else full
    if tag:
        full += ["-summary", path(tag + ".json")]
    print("$ " + " ".join(full))
    p = subprocess.run(full, cwd=cli.WORK, capture_output=True, text=True, timeout=600)
    if p.returncode != expect:
        sys.stdout.write(p.stdout[-3000:] + "\nstderr: " + p.stderr[-2000:] + "\n")
    check(p.returncode == expect, f"{cmd} {tag or ''}: exit code {expect} (got {p.returncode})")
    return json.load(open(path(tag + ".json"))) if tag else p


def sample(i):
    """D, relaxed xred and F of dataset sample i, as option values."""
    with h5py.File(DS, "r") as d:
        D, x, F = d["samples/D"][i], d["samples/xred"][i], float(d["samples/free_energy"][i])
    return ",".join("%.17g" % v for v in D), ",".join("%.17g" % v for v in x.ravel()), F, D


def t_fixture():
    """The tiny dataset (12 samples of tests/generate/tiny.opts) and a model trained on it."""
    shutil.rmtree(DATA, ignore_errors=True)
    os.makedirs(DATA)
    run("generate", ["-options_file", TINY, "-samples", str(NSAMPLE), "-dataset", DS], np_=2)
    p = subprocess.run([EXE, "train", "-dataset", DS, "-model", MODEL, "-epochs", "200", "-ntrain", "10", "-ntest", "2",
                        "-pca_components", "6", "-verbosity", "0"], cwd=DATA, capture_output=True, text=True)
    check(p.returncode == 0, "train: exit code 0 " + p.stderr[-500:])


def t_restart():
    """A converged density as the start: at most 2 SCF iterations, the same F (1e-8 Ha),
    on 1 and 2 ranks; the summary records the start."""
    base = ["-options_file", scf_opts()]
    a = run("scf", base + ["-fields", path("a.h5")], tag="a")
    check(a["init"] == {"density": "default", "xred": "input"}, "cold: init = default/input")
    for np_ in (1, 2):
        b = run("scf", base + ["-init_density", path("a.h5")], np_=np_, tag=f"b{np_}")
        n, dF = b["scf"]["iterations"], abs(b["free_energy"] - a["free_energy"])
        print(f"np {np_}: cold {a['scf']['iterations']} iterations, warm {n}; |dF| = {dF:.2e} Ha")
        check(n <= 2, f"np {np_}: warm start converged in {n} <= 2 SCF iterations")
        check(dF < 1e-8, f"np {np_}: F equal to the cold start's to 1e-8 Ha ({dF:.1e})")
        check(b["init"] == {"density": "file", "xred": "input", "source": path("a.h5")}, "init = file, its path")


def t_dataset():
    """One dataset sample as the start (data.h5:IDX) at its strained cell and relaxed
    positions: at most 2 SCF iterations and the sample's F."""
    for i in (3, 7):
        D, x, F, _ = sample(i)
        args = ["-options_file", scf_opts(), "-strain_D", D, "-xred", x]
        cold = run("scf", args, tag=f"cold{i}")
        warm = run("scf", args + ["-init_density", f"{DS}:{i}"], tag=f"ds{i}")
        n, dF = warm["scf"]["iterations"], abs(warm["free_energy"] - F)
        print(f"sample {i}: cold {cold['scf']['iterations']} iterations, from {DS}:{i} {n}; |F - F_sample| = {dF:.2e}")
        check(n <= 2, f"sample {i}: {n} <= 2 SCF iterations")
        check(dF < 1e-8, f"sample {i}: the sample's F to 1e-8 Ha")
        check(warm["init"]["sample"] == i and warm["init"]["density"] == "file", "init records the sample index")


def t_model():
    """-init_model: scf reaches the default start's F (1e-8) in no more iterations, at the
    strain D of the cell (recovered from the lattice); relax at -tolmxf 1e-6 reaches the
    same F (1e-8) and positions (1e-4 Bohr)."""
    i = 5
    D, x, F, Dv = sample(i)
    args = ["-options_file", scf_opts(), "-strain_D", D, "-xred", x]
    cold = run("scf", args, tag="cold")
    warm = run("scf", args + ["-init_model", MODEL], tag="model")
    nc, nw, dF = cold["scf"]["iterations"], warm["scf"]["iterations"], abs(warm["free_energy"] - cold["free_energy"])
    print(f"scf: default start {nc} iterations, model {nw}; |dF| = {dF:.2e}")
    check(dF < 1e-8 and nw <= nc, "scf from the model: same F, no more iterations")
    check(np.abs(np.array(warm["init"]["D"]) - Dv).max() < 1e-9, "init.D is the sample's D")
    pred = path("pred.h5")
    subprocess.run([EXE, "predict", "-model", MODEL, "-strain_D", D, "-fields", pred, "-verbosity", "0"], cwd=cli.WORK,
                   check=True, capture_output=True)
    fp = run("scf", args + ["-init_density", pred], tag="pred")
    print(f"scf from predict's fields file: {fp['scf']['iterations']} iterations")
    check(abs(fp["free_energy"] - cold["free_energy"]) < 1e-8 and fp["init"]["density"] == "file",
          "scf from predict's fields file: same F, init = file")
    rel = ["-options_file", TINY, "-strain_D", D, "-tolmxf", "1e-6", "-ntime", "60"]
    rc = run("relax", rel, tag="rcold")
    rw = run("relax", rel + ["-init_model", MODEL], tag="rmodel")
    check(rw["init"]["xred"] == "model" and rw["init"]["density"] == "model", "relax: init = model/model")
    dx = np.array(rc["xred"]) - np.array(rw["xred"])
    dpos = np.abs((dx - np.round(dx)) @ np.array(rc["lattice"])).max()
    dF = abs(rc["free_energy"] - rw["free_energy"])
    print(f"relax: default {rc['relax']['evaluations']} SCF evaluations, model {rw['relax']['evaluations']}; "
          f"|dF| = {dF:.2e} Ha, max |dpos| = {dpos:.2e} Bohr")
    check(dF < 1e-8 and dpos < 1e-4, "relax from the model: same F (1e-8 Ha) and positions (1e-4 Bohr)")
    check(rw["relax"]["evaluations"] <= rc["relax"]["evaluations"], "relax from the model: no more evaluations")
    keep = run("relax", rel[:-2] + ["-ntime", "1", "-init_model", MODEL, "-init_xred", "0"], expect=5, tag="keep")
    check(keep["init"] == {"density": "model", "xred": "input", "source": MODEL, "D": warm["init"]["D"]},
          "-init_xred 0: the model's density, the input positions")


def t_uniaxial():
    """relax -relax_cell uniaxial -init_model: the model at the input cell's strain starts the
    atoms and the density of the first cell; the prescribed-strain relaxation (at -tolmxf
    1e-6, -tolstress 1e-7: at 1e-5 / 1e-6 the two starts stop 2e-8 Ha apart) reaches the
    default start's F (1e-8 Ha), uniaxial stress and transverse strains."""
    # the tiny settings leave a large residual stress at the input cell: taken as the
    # target of the five relaxed components, the load path starts from equilibrium
    ref = run("scf", ["-options_file", scf_opts(), "-toldfe", "1e-12"], tag="uref")
    S = np.array(ref["stress"])
    target = ",".join("%.17g" % v for v in (S[0, 0], S[1, 1], S[2, 2], S[1, 2], S[0, 2], S[0, 1]))
    rel = ["-options_file", TINY, "-relax_cell", "uniaxial", "-uniaxial_strain", "-0.01", "-tolstress", "1e-7",
           "-uniaxial_strtarget", target, "-toldfe", "1e-12", "-tolmxf", "1e-6", "-ntime", "60"]
    rc = run("relax", rel, tag="ucold")
    rw = run("relax", rel + ["-init_model", MODEL], tag="umodel")
    check(rw["init"]["xred"] == "model" and rw["init"]["density"] == "model", "uniaxial relax: init = model/model")
    dF, ds = abs(rc["free_energy"] - rw["free_energy"]), abs(rc["uniaxial"]["sigma"] - rw["uniaxial"]["sigma"])
    de = np.abs(np.array(rc["uniaxial"]["eps"]) - np.array(rw["uniaxial"]["eps"])).max()
    print(f"uniaxial: |dF| {dF:.2e} Ha, |d sigma| {ds:.2e} Ha/Bohr^3, max |d eps| {de:.2e}")
    check(dF < 1e-8 and ds < 1e-8 and de < 1e-5, "uniaxial relax from the model: same F, stress and strains")


def campaign(name, extra, np_=1, env=None, expect=0):
    """A campaign of the fixture's first 4 strains (seed 1: training samples of the model; at
    strains it never saw the tiny settings' bimodal minima let the two starts end in
    different ones, performance.md) at -tolmxf 1e-6: its samples."""
    args = [EXE, "generate", "-pseudos", PSP, "-verbosity", "0", "-options_file", TINY, "-samples", "4", "-seed", "1",
            "-tolmxf", "1e-6", "-ntime", "60", "-dataset", path(name)] + extra
    if np_ > 1:
        args = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_)] + args
    print("$ " + " ".join(args))
    p = subprocess.run(args, cwd=cli.WORK, capture_output=True, text=True, timeout=600, env=env)
    check(p.returncode == expect, f"generate {name}: exit code {expect} (got {p.returncode}) {p.stderr[-400:]}")
    if expect:
        return None
    with h5py.File(path(name), "r") as f:
        return {k: f["samples/" + k][()] for k in f["samples"]}


def t_accelerate():
    """generate -accelerate -init_model: every sample starts from the model's prediction
    (column init = 1) and ends where the cold campaign's does (F 1e-8 Ha, positions 1e-4
    Bohr at -tolmxf 1e-6); 1 and 2 ranks give the same starts; a campaign killed in a
    sample and resumed equals the uninterrupted one bitwise (wall times aside)."""
    cold = campaign("cold.h5", [])
    warm = campaign("warm.h5", ["-accelerate", "-init_model", MODEL])
    check(list(cold["init"]) == [0] * 4 and list(warm["init"]) == [1] * 4, "init: 0 cold, 1 accelerated")
    with h5py.File(path("cold.h5"), "r") as f:
        lat = f["samples/lattice"][()]
    dF = np.abs(warm["free_energy"] - cold["free_energy"]).max()
    dx = warm["xred"] - cold["xred"]
    dpos = max(np.abs((dx[i] - np.round(dx[i])) @ lat[i]).max() for i in range(4))
    print(f"accelerated vs cold: max |dF| {dF:.2e} Ha, max |dpos| {dpos:.2e} Bohr; SCF runs "
          f"{list(cold['relax_evaluations'])} -> {list(warm['relax_evaluations'])}, SCF iterations "
          f"{list(cold['scf_iterations'])} -> {list(warm['scf_iterations'])}")
    check(dF < 1e-8 and dpos < 1e-4, "the same answers (F 1e-8 Ha, positions 1e-4 Bohr)")
    two = campaign("warm2.h5", ["-accelerate", "-init_model", MODEL], np_=2)
    check(np.array_equal(two["relax_evaluations"], warm["relax_evaluations"]) and
          np.abs(two["free_energy"] - warm["free_energy"]).max() < 1e-10, "2 ranks: the same accelerated campaign")
    killed = campaign("killed.h5", ["-accelerate", "-init_model", MODEL], env=dict(os.environ, SF_TEST_KILL_AT="mid-sample"),
                      expect=-9)
    check(killed is None and not os.path.exists(path("killed.h5")), "killed: no final file")
    res = campaign("killed.h5", ["-accelerate", "-init_model", MODEL, "-resume"])
    for k, v in warm.items():
        if k != "wall_s":
            check(np.array_equal(v, res[k]) or (v.dtype.kind == "f" and np.array_equal(v, res[k], equal_nan=True)),
                  f"resumed == uninterrupted: {k}")


def t_accelerate_refusals():
    base = [EXE, "generate", "-pseudos", PSP, "-options_file", TINY, "-samples", "2", "-dataset", path("r.h5")]
    for extra, what in ((["-accelerate"], "-accelerate needs a model"),
                        (["-init_model", MODEL], "-init_model is used by generate only with -accelerate"),
                        (["-accel_every", "10"], "-accel_every is used only with -accelerate"),
                        (["-accelerate", "-init_model", MODEL, "-ngfft", "12,20,24"], "grid"),
                        (["-accelerate", "-init_model", path("r.h5")], "-init_model")):
        p = subprocess.run(base + extra, cwd=cli.WORK, capture_output=True, text=True, timeout=120)
        lines = [l for l in p.stderr.splitlines() if "error" in l]
        check(p.returncode in (SF_ERR_INPUT, SF_ERR_FILE) and len(lines) == 1 and what in lines[0],
              f"{extra}: one line naming {what}: {lines}")


def refused(args, option, code=SF_ERR_INPUT, what=""):
    p = run("scf", ["-options_file", scf_opts()] + args, expect=code)
    msg = [l for l in p.stderr.splitlines() if "error" in l]
    check(len(msg) == 1 and option in msg[0] and what in msg[0], f"one line naming {option}: {msg}")


def t_refusals():
    """Wrong grid, bad index, missing file, a model for another natom or without a reference
    cell: refused at once, one line naming the option (exit 2; 3 for an unreadable file)."""
    run("scf", ["-options_file", scf_opts(), "-fields", path("a.h5")])
    refused(["-ngfft", "12,20,24", "-init_density", path("a.h5")], "-init_density", what="12x20x24")
    refused(["-init_density", path("a.h5") + ":1"], "-init_density", what="index 0")
    refused(["-init_density", f"{DS}:{NSAMPLE}"], "-init_density", what="out of range")
    refused(["-init_density", DS], "-init_density", what="INDEX")
    refused(["-init_density", path("none.h5")], "-init_density", code=SF_ERR_FILE)
    refused(["-init_density", PSP], "-init_density", code=SF_ERR_FILE, what="not an HDF5")
    refused(["-init_model", MODEL, "-xred", "0,0,0,0.5,0.5,0.5", "-typat", "1,1"], "-init_model", what="4 atoms")
    refused(["-init_model", MODEL, "-ngfft", "12,20,24"], "-init_model", what="grid")
    noref = path("noref.h5")
    shutil.copy(MODEL, noref)
    with h5py.File(noref, "r+") as m:
        del m.attrs["ref_rprimd"]
    refused(["-init_model", noref], "-init_model", what="no reference lattice")
    refused(["-init_model", MODEL, "-init_density", path("a.h5")], "-init_density and -init_model")
    refused(["-init_density", path("a.h5"), "-fields", path("a.h5")], "-init_density")


if __name__ == "__main__":
    cli.main(globals(), "warm.py")
