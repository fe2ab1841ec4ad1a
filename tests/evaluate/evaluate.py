#!/usr/bin/python3
"""End-to-end tests of `strainfield evaluate` (issue 12; registered by CMakeLists.txt here).

usage: evaluate.py TEST   with the environment of tests/cli/cli.py (SF_EXE, SF_SOURCE,
SF_WORK, MPIEXEC) and SF_EVAL_DATA, the folder of the shared campaign that `setup` builds:
9 samples of tests/generate/tiny.opts converged to -toldfe 1e-11 (the sum route's known
answer is exact only up to the SCF's density residual, first order in it: at the tests'
usual 1e-9 it reached 1.4e-6 Ha) and a tiny model trained on it (8 train, 1 test)."""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
import cli  # noqa: E402
from cli import EXE, MPIEXEC, SF_ERR_INPUT, SOURCE, check, path  # noqa: E402

DATA = os.environ.get("SF_EVAL_DATA", "/tmp/sf_eval_data")
DATASET = os.path.join(DATA, "d.h5")
MODEL = os.path.join(DATA, "m.h5")
TINY = os.path.join(SOURCE, "tests", "generate", "tiny.opts")
PSP = os.path.join(SOURCE, "data", "psp", "mg.pseu")


def sf(args, np_=1, cwd=None):
    cmd = [EXE] + args
    if np_ > 1:
        cmd = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_)] + cmd
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, cwd=cwd or cli.WORK, capture_output=True, text=True, timeout=240)
    sys.stdout.write(p.stdout[-2000:] + "stderr: " + p.stderr[-1500:] + "\n")
    return p


def evaluate(tag, *extra, np_=1):
    out = path(tag + ".json")
    p = sf(["evaluate", "-model", MODEL, "-dataset", DATASET, "-summary", out, *extra], np_)
    check(p.returncode == 0, f"{tag}: exit code 0 (got {p.returncode})")
    return json.load(open(out))


def t_setup():
    os.makedirs(DATA, exist_ok=True)
    for f in (DATASET, MODEL):
        if os.path.exists(f):
            os.remove(f)
    # a relative -pseudos name (found in the shipped data/psp): the dataset records the
    # absolute path in psp_files, which evaluate must use
    p = sf(["generate", "-options_file", TINY, "-pseudos", "mg.pseu", "-samples", "9", "-dataset", DATASET,
            "-toldfe", "1e-11", "-par_sample_groups", "2"], np_=2, cwd=DATA)
    check(p.returncode == 0, "generate: exit code 0")
    p = sf(["train", "-dataset", DATASET, "-model", MODEL, "-ntest", "1", "-epochs", "20", "-pca_components", "4",
            "-arch_rho", "8,8", "-arch_phi", "8,8", "-arch_u", "8,8", "-arch_s", "8,8",
            "-summary", os.path.join(DATA, "train.json"), "-verbosity", "0"], cwd=DATA)
    check(p.returncode == 0, "train: exit code 0")


def t_known_answer():
    """The samples' own DFT fields and positions as the prediction: the sum, orbital, harris
    and scf routes give each sample's F, ∫u its U, −T∫s its −TS, the network's field NRMSE is
    0, the orbital-route fields are the dataset's, and the DFT forces at those positions are
    the dataset's."""
    e = evaluate("known", "-prediction", "dataset", "-samples", "all", "-residual_forces", "1")
    check(e["nsamples"] == 9 and e["skipped"] == 0, "9 samples, none skipped")
    for r in ("sum", "orbital", "harris", "scf"):
        err = [abs(s["error_mHa"]) * 1e-3 for s in e["routes"][r]["per_sample"]]
        print(f"{r} route |F - F_dft| (Ha):", " ".join(f"{x:.2e}" for x in err))
        check(max(err) < 1e-6, f"{r} route reproduces F to 1e-6 Ha (max {max(err):.2e})")
    for f, v in e["fields"]["orbital"].items():
        check(v["nrmse_max"] < 1e-6, f"orbital-route {f} reproduces the dataset's to NRMSE 1e-6 ({v['nrmse_max']:.2e})")
    check(e["band_energy"]["max_mHa"] < 1e-9, "int u = band_energy to 1e-12 Ha")
    check(e["entropy_energy"]["max_mHa"] < 1e-9, "-T int s = entropy_term to 1e-12 Ha")
    for f, v in e["fields"]["network"].items():
        check(v["nrmse_max"] <= 1e-12, f"NRMSE of {f} is 0")
    import h5py
    with h5py.File(DATASET, "r") as h:
        s = h["samples"]
        for r in e["routes"]["sum"]["per_sample"]:
            i = r["index"]
            for t in ("hartree", "xc", "ewald", "psp_core"):
                check(abs(r[t] - s["e_" + t][i]) < 1e-12, f"sample {i}: {t} equals the dataset's e_{t}")
        fmax = s["max_force"][()]
    rf = e["residual_forces"]
    print(f"residual forces: max {rf['max']:.6e} (dataset max_force {fmax.max():.6e}), mean {rf['mean']:.3e}")
    # the forces are first order in the density residual of the SCFs (toldfe 1e-11): 1e-6 seen
    check(abs(rf["max"] - fmax.max()) < 3e-6, "the DFT forces at the dataset's positions are the dataset's")


def t_warm_known():
    """-warm_start with the samples' own fields and positions: the cold relaxation is the
    campaign's own (its SCF iterations, SCF runs and F, from the replayed options); the warm
    one starts converged: one SCF run of at most 2 iterations, the same F and positions."""
    import h5py
    e = evaluate("warm_known", "-prediction", "dataset", "-samples", "0-3", "-routes", "direct", "-warm_start", "1")
    w = e["warm_start"]
    with h5py.File(DATASET, "r") as h:
        s = h["samples"]
        its, runs, F = s["scf_iterations"][()], s["relax_evaluations"][()], s["free_energy"][()]
    for r in w["per_sample"]:
        i = r["index"]
        print(f"sample {i}: relax SCF iterations cold/warm {r['relax_scf_iterations']} (dataset {its[i]}), runs "
              f"{r['relax_evaluations']} (dataset {runs[i]}), dF {r['dF_Ha']:.2e}, dx {r['dxred_bohr']:.2e}; "
              f"scf at the positions: iterations {r['scf_iterations']}")
        check(r["relax_scf_iterations"][0] == its[i] and r["relax_evaluations"][0] == runs[i],
              f"sample {i}: the cold relaxation repeats the campaign's")
        check(r["relax_evaluations"][1] == 1 and r["relax_scf_iterations"][1] <= 2,
              f"sample {i}: warm relaxation converged at once")
        check(r["scf_iterations"][1] <= 2 < r["scf_iterations"][0], f"sample {i}: warm scf converged at once")
    check(w["scf_max_dF_Ha"] < 1e-8, "scf: the same F from both starts")
    check(w["both_converged"] == 4, "both relaxations converged for the 4 samples")
    check(w["max_dF_Ha"] < 1e-8 and w["max_dxred_bohr"] < 1e-4, "same F (1e-8 Ha) and positions (1e-4 Bohr)")
    per = {r["index"]: r for r in e["routes"]["direct"]["per_sample"]}
    check(all(abs(per[i]["dataset_free_energy"] - F[i]) == 0 for i in per), "the direct route's reference is the dataset's F")


def predicted_F(D):
    sfile = path("strains.txt")
    np.savetxt(sfile, np.atleast_2d(D))
    p = sf(["predict", "-model", MODEL, "-strain_file", sfile, "-summary", path("predict.json"), "-fp64"])
    check(p.returncode == 0, "predict: exit code 0")
    return np.atleast_1d(json.load(open(path("predict.json")))["free_energy"])


def t_direct_vs_predict():
    """The direct route's errors equal predict -fp64's F minus the dataset's F (h5py; evaluate
    runs the float64 networks); -samples
    test is the model's test split (the last sample), a range is that range."""
    import h5py
    with h5py.File(DATASET, "r") as h:
        D, F = h["samples/D"][()], h["samples/free_energy"][()]
    for spec, idx in (("all", list(range(9))), ("test", [8]), ("2-5", [2, 3, 4, 5])):
        e = evaluate("direct_" + spec, "-samples", spec, "-routes", "direct")
        ps = e["routes"]["direct"]["per_sample"]
        check([s["index"] for s in ps] == idx, f"-samples {spec}: samples {idx}")
        ref = 1e3 * (predicted_F(D[idx]) - F[idx])
        got = np.array([s["error_mHa"] for s in ps])
        check(np.allclose(got, ref, rtol=1e-10, atol=1e-9), f"-samples {spec}: errors = predict - dataset (h5py)")
        check(abs(e["routes"]["direct"]["mae_mHa"] - np.mean(np.abs(ref))) < 1e-9, "mae_mHa")
        check(abs(e["routes"]["direct"]["max_mHa"] - np.max(np.abs(ref))) < 1e-9, "max_mHa")
        check("sum" not in e["routes"], "only the routes asked for")


def t_ranks():
    """1 and 2 ranks give the same numbers (the samples are shared out, then summed)."""
    a = evaluate("np1", "-samples", "all")
    b = evaluate("np2", "-samples", "all", np_=2)
    for r in ("direct", "sum", "orbital", "harris", "scf"):
        tol = 1e-9 if r in ("direct", "sum") else 1e-6  # the DFT routes: one sample on 1 or 2 ranks
        for x, y in zip(a["routes"][r]["per_sample"], b["routes"][r]["per_sample"]):
            check(x["index"] == y["index"] and abs(x["error_mHa"] - y["error_mHa"]) < tol,
                  f"{r}, sample {x['index']}: same error on 1 and 2 ranks")
    for f in a["fields"]["orbital"]:
        check(abs(a["fields"]["orbital"][f]["nrmse_mean"] - b["fields"]["orbital"][f]["nrmse_mean"]) < 1e-8,
              f"orbital-route NRMSE of {f}: same on 1 and 2 ranks")
    for f in a["fields"]["network"]:
        check(abs(a["fields"]["network"][f]["nrmse_mean"] - b["fields"]["network"][f]["nrmse_mean"]) < 1e-12,
              f"NRMSE of {f}: same on 1 and 2 ranks")
    check(a["fields"]["network"]["rho"]["nrmse_mean"] > 0, "the network's density is not the dataset's")


def t_strain_file():
    """-strain_file: strains not taken from the dataset, each reference relaxed here with the
    campaign's replayed settings. With the D of samples 0 and 1 the references are the
    dataset's samples exactly (same F, fields, relaxation), so every number equals that of
    -samples 0-1."""
    import h5py
    with h5py.File(DATASET, "r") as h:
        D = h["samples/D"][0:2]
    sfile = path("strains.txt")
    with open(sfile, "w") as f:
        f.write("# the first two strains of the campaign\n")
        for d in D:
            f.write(", ".join(f"{x:.17g}" for x in d) + "\n")
    a = evaluate("list", "-strain_file", sfile, "-warm_start", "1")
    b = evaluate("range", "-samples", "0-1", "-warm_start", "1")
    check(a["nsamples"] == 2 and a["strain_file"] == sfile, "2 strains, the file recorded")
    for r in ("direct", "sum", "orbital", "harris", "scf"):
        for x, y in zip(a["routes"][r]["per_sample"], b["routes"][r]["per_sample"]):
            check(x["dataset_free_energy"] == y["dataset_free_energy"], f"{r}: the relaxed reference F is the dataset's")
            check(abs(x["error_mHa"] - y["error_mHa"]) < 1e-9, f"{r}: the same error as the dataset sample")
    for f in ("rho", "u", "s"):
        check(abs(a["fields"]["orbital"][f]["nrmse_mean"] - b["fields"]["orbital"][f]["nrmse_mean"]) < 1e-12,
              f"orbital-route {f}: the same NRMSE against the relaxed reference")
    wa, wb = a["warm_start"], b["warm_start"]
    for k in ("relax_scf_iterations_cold_mean", "relax_evaluations_cold_mean", "relax_scf_iterations_warm_mean",
              "scf_iterations_warm_mean", "max_dF_Ha"):
        check(wa[k] == wb[k], f"warm_start {k}: {wa[k]} = {wb[k]} (the reference is the cold relaxation)")
    bad(["-strain_file", sfile, "-samples", "all"], "-strain_file and -samples")
    with open(sfile, "a") as f:
        f.write("1, 1, 1, 90, 90\n")
    bad(["-strain_file", sfile], f"{sfile} line 4")


def bad(args, pattern, dataset=DATASET):
    out = path("bad.json")
    p = sf(["evaluate", "-model", MODEL, "-dataset", dataset, "-summary", out, *args])
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == SF_ERR_INPUT, f"{args}: exit code 2 (got {p.returncode})")
    check(len(lines) == 1 and pattern in lines[0], f"one line naming '{pattern}'")
    check(not os.path.exists(out), "no summary written")


def t_errors():
    bad(["-samples", "3-99"], "-samples 3-99")
    bad(["-samples", "five"], "-samples five")
    bad(["-routes", "direct,foo"], "-routes foo: unknown route")
    bad(["-routes", ","], "-routes ',': no route given")
    bad(["-tolmxf", "-1"], "-tolmxf -1")
    bad(["-prediction", "guess"], "-prediction guess")
    import h5py
    other = path("other.h5")  # same grid and atoms, another identity: not the model's
    subprocess.run(["cp", DATASET, other], check=True)
    with h5py.File(other, "r+") as h:
        h.attrs["seed_note"] = "another campaign"
    bad([], "refusing", dataset=other)


def t_psp_changed():
    """A campaign's pseudopotential file changed since: the sum route would use another
    potential, so evaluate refuses, naming the file and both md5s."""
    import shutil
    psp = path("mg.pseu")
    shutil.copy(PSP, psp)
    d, m = path("d.h5"), path("m.h5")
    p = sf(["generate", "-options_file", TINY, "-pseudos", psp, "-samples", "9", "-dataset", d,
            "-tolmxf", "1", "-toldfe", "1e-6"])  # no relaxation to speak of: seconds
    check(p.returncode == 0, "generate: exit code 0")
    p = sf(["train", "-dataset", d, "-model", m, "-ntest", "1", "-epochs", "2", "-pca_components", "2",
            "-arch_rho", "4", "-arch_phi", "4", "-arch_u", "4", "-arch_s", "4", "-verbosity", "0"])
    check(p.returncode == 0, "train: exit code 0")
    with open(psp, "a") as f:
        f.write("# changed\n")
    p = sf(["evaluate", "-model", m, "-dataset", d, "-summary", path("e.json")])
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == SF_ERR_INPUT and len(lines) == 1, "exit code 2, one line")
    check(psp in lines[0] and "md5" in lines[0] and "refusing" in lines[0], "the line names the file and md5")


if __name__ == "__main__":
    cli.main(globals(), "evaluate.py")
