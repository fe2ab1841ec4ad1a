#!/usr/bin/python3
"""robustness.py — `train` against bad options, diverging training and stop signals
(issue 10: 2.3, 2.4, 2.5, 2.11).  One ctest test per function t_NAME (tests/ml/CMakeLists.txt).

usage: robustness.py TEST   with the environment
  SF_EXE    the strainfield binary
  SF_WORK   a scratch directory for this test (emptied first)
  MPIEXEC   mpirun (for the *_np2 tests)

Each test makes a tiny synthetic dataset (make_synthetic.py: 60 samples on a 6x8x6 grid)
and prints what it checked; it exits 1 on the first failed assertion.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
import cli  # noqa: E402
from cli import Fail, check  # noqa: E402  (the harness of the cli tests)

HERE = os.path.dirname(os.path.abspath(__file__))
EXE = os.environ.get("SF_EXE", "strainfield")
WORK = os.environ.get("SF_WORK", "/tmp/sf_ml_robustness")
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
SF_ERR_INPUT, SF_ERR_FILE, SF_ERR_NOCONV, SF_STOPPED = 2, 3, 5, 75
# small networks: a run of 30 epochs takes well under a second
SMALL = ["-dataset", "data.h5", "-ntrain", "40", "-ntest", "15", "-pca_components", "4",
         "-arch_rho", "16", "-arch_phi", "16", "-arch_u", "16", "-arch_s", "16",
         "-arch_xred", "8", "-arch_energy", "8"]


def launcher(np_):
    return [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_)] if np_ > 1 else []


def run(sub, args, np_=1, env=None):
    cmd = launcher(np_) + [EXE, sub] + args
    print("$ " + " ".join(cmd))
    e = dict(os.environ, **(env or {}))
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, timeout=240, env=e)
    sys.stdout.write("stderr: " + p.stderr[-1500:] + "\n")
    return p


def md5(name):
    return hashlib.md5(open(os.path.join(WORK, name), "rb").read()).hexdigest()


def exists(name):
    return os.path.exists(os.path.join(WORK, name))


def dataset():
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_synthetic.py"), os.path.join(WORK, "data.h5"),
                    "-n", "60", "-grid", "6,8,6", "-seed", "11"], check=True, capture_output=True)


def weights(name):
    """Every dataset under /nets of a model, by path."""
    out = {}
    with h5py.File(os.path.join(WORK, name)) as h:
        h["nets"].visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
    return out


def same_weights(a, b, what):
    wa, wb = weights(a), weights(b)
    check(len(wa) >= 6 * 4 and sorted(wa) == sorted(wb), f"{what}: the same {len(wa)} arrays under /nets")
    diff = [k for k in wa if not np.array_equal(wa[k], wb[k])]
    check(not diff, f"{what}: every weight, scaler and baseline bitwise equal (differ: {diff[:4]})")


# ------------------------------------------------------------------ 2.3 outputs

def t_train_outputs():
    dataset()
    before = md5("data.h5")
    for opt in ("-model", "-summary"):
        p = run("train", SMALL + ["-epochs", "5", opt, "data.h5"])
        check(p.returncode == SF_ERR_INPUT, f"train {opt} = -dataset: exit {SF_ERR_INPUT} (got {p.returncode})")
        check(opt in p.stderr and "-dataset" in p.stderr, f"the message names {opt} and -dataset")
        check(md5("data.h5") == before, "the dataset is unchanged (md5)")
    # spelled differently, the same file: ./data.h5
    p = run("train", SMALL + ["-epochs", "5", "-model", "./data.h5"])
    check(p.returncode == SF_ERR_INPUT and md5("data.h5") == before, "-model ./data.h5 refused, dataset unchanged")
    open(os.path.join(WORK, "train.opts"), "w").write("-epochs 5\n")
    p = run("train", SMALL + ["-options_file", "train.opts", "-summary", "train.opts"])
    check(p.returncode == SF_ERR_INPUT and "-options_file" in p.stderr, "-summary = -options_file refused")
    check(open(os.path.join(WORK, "train.opts")).read() == "-epochs 5\n", "the options file is unchanged")
    p = run("train", SMALL + ["-epochs", "5", "-model", "m.h5", "-summary", "m.h5"])
    check(p.returncode == SF_ERR_INPUT and "-model" in p.stderr and "-summary" in p.stderr,
          "-summary = -model refused, both named")
    # a missing folder is found before the dataset is read, not after training
    for opt in ("-model", "-summary"):
        p = run("train", SMALL + ["-epochs", "5", "-verbosity", "1", opt, "nowhere/out"])
        check(p.returncode == SF_ERR_FILE and "nowhere" in p.stderr and opt in p.stderr,
              f"{opt} in a missing folder: exit {SF_ERR_FILE}, named (got {p.returncode})")
        check("train: dataset" not in p.stdout and "PCA" not in p.stdout, "refused before reading the dataset")
    check(not exists("m.h5") and not exists("nowhere"), "nothing written")


def t_counts():
    # 2.4: negative or absurd counts are refused naming the option, not replaced by defaults
    dataset()
    cases = [("-ntrain", "-5"), ("-ntest", "-1"), ("-epochs", "-1"), ("-epochs", "2000000000"), ("-batch", "0"),
             ("-arch_rho", "16,0"), ("-arch_energy", "100000"), ("-lr", "-1e-3"), ("-lr", "nan"), ("-l2", "-1"),
             ("-seed", "-2"), ("-cv_folds", "1"), ("-cv_depths", "9"), ("-learning_curve", "-3"),
             ("-log_every", "-1"), ("-pca_components", "0")]
    for opt, val in cases:
        p = run("train", SMALL + ["-model", "m.h5", opt, val])
        check(p.returncode == SF_ERR_INPUT and (opt + " " in p.stderr or opt + ":" in p.stderr),
              f"{opt} {val}: exit {SF_ERR_INPUT} naming {opt} (got {p.returncode})")
        check("train: dataset" not in p.stdout, "refused before any work")
    check(not exists("m.h5"), "no model written")


# ------------------------------------------------------------------ 2.5 divergence

def t_diverged():
    dataset()
    p = run("train", SMALL + ["-epochs", "30", "-model", "m.h5", "-summary", "m.json", "-lr", "1e30"])
    check(p.returncode == SF_ERR_NOCONV, f"-lr 1e30: exit {SF_ERR_NOCONV} (got {p.returncode})")
    check("diverged" in p.stderr and "rho network" in p.stderr and "epoch" in p.stderr and "-lr" in p.stderr,
          "the message names the network, the epoch and -lr")
    check(not any(exists(f) for f in ("m.h5", "m.h5.tmp", "m.json", "m.h5.checkpoint.h5")), "no model, no metrics")
    # a model with one NaN weight (or scaler) is refused by predict and path, naming the file
    p = run("train", SMALL + ["-epochs", "30", "-model", "good.h5", "-verbosity", "0"])
    check(p.returncode == 0, "a normal model trains")
    for what, path in (("weight", "nets/energy/W1"), ("scaler", "nets/xred/y_std"), ("PCA basis", "pca/u/basis")):
        shutil.copy(os.path.join(WORK, "good.h5"), os.path.join(WORK, "nan.h5"))
        with h5py.File(os.path.join(WORK, "nan.h5"), "r+") as h:
            a = h[path][()]
            a.flat[1] = np.nan
            h[path][...] = a
        for sub, args in (("predict", ["-strain_D", "1,1,1,90,90,90", "-summary", "p.json"]),
                          ("path", ["-nstrain", "3", "-summary", "p.json"])):
            p = run(sub, ["-model", "nan.h5"] + args)
            check(p.returncode == SF_ERR_FILE, f"{sub} with a NaN {what}: exit {SF_ERR_FILE} (got {p.returncode})")
            check("nan.h5" in p.stderr and "non-finite" in p.stderr and "data.h5" in p.stderr,
                  "the message names the model, the dataset and the non-finite value")
            check(not exists("p.json"), "no output")


# ------------------------------------------------------------------ 2.11 stop and resume

def resume(np_):
    dataset()
    base = SMALL + ["-epochs", "30", "-verbosity", "0"]
    check(run("train", base + ["-model", "ref.h5"], np_).returncode == 0, "uninterrupted run")
    # the test hook stops every rank group at the start of epoch 7 of its first network
    hook = {"SF_TEST_STOP_AT_EPOCH": "7"}
    extra = ["-x", "SF_TEST_STOP_AT_EPOCH"] if np_ > 1 else []
    cmd = launcher(np_) + extra + [EXE, "train"] + base + ["-model", "b.h5", "-summary", "b.json"]
    print("$ SF_TEST_STOP_AT_EPOCH=7 " + " ".join(cmd))
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, timeout=240, env=dict(os.environ, **hook))
    sys.stdout.write("stderr: " + p.stderr[-1500:] + "\n")
    check(p.returncode == SF_STOPPED, f"stopped: exit {SF_STOPPED} (got {p.returncode})")
    check("-resume" in p.stderr and "b.h5.checkpoint.h5" in p.stderr, "the message says how to resume")
    check(exists("b.h5.checkpoint.h5") and not exists("b.h5") and not exists("b.json"),
          "a checkpoint, and no model or metrics pretending to be complete")
    with h5py.File(os.path.join(WORK, "b.h5.checkpoint.h5")) as h:
        epochs = {k: int(h[k].attrs["epoch"][0]) for k in h}
    check(epochs["rho"] == 7 and 0 <= min(epochs.values()), f"rho stopped at epoch 7 ({epochs})")
    # another run's options: refused, naming the option
    p = run("train", base + ["-model", "b.h5", "-resume", "-lr", "2e-3"], np_)
    check(p.returncode == SF_ERR_INPUT and "-lr" in p.stderr and "checkpoint" in p.stderr,
          f"a checkpoint of other options is refused naming -lr (got {p.returncode})")
    p = run("train", base + ["-model", "b.h5", "-summary", "b.json", "-resume"], np_)
    check(p.returncode == 0 and exists("b.h5") and exists("b.json"), "resumed to the end")
    check(not exists("b.h5.checkpoint.h5"), "the spent checkpoint is removed")
    same_weights("ref.h5", "b.h5", f"stopped at epoch 7 and resumed, {np_} rank(s)")


def real_signal(np_, epochs):
    """A real SIGTERM (to mpirun for 2 ranks) once training has started; then -resume."""
    args = SMALL + ["-epochs", str(epochs), "-model", "s.h5", "-verbosity", "2", "-log_every", "1000"]
    cmd = launcher(np_) + [EXE, "train"] + args
    print("$ " + " ".join(cmd) + "   (SIGTERM at the first logged epoch)")
    p = subprocess.Popen(cmd, cwd=WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stdout:
        if "epoch" in line:
            break
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=240)
    sys.stdout.write("stderr: " + err[-800:] + "\n")
    # mpirun, itself signalled, exits 1; a rank's own exit code is 75
    check(p.returncode == (SF_STOPPED if np_ == 1 else 1), f"exit code {p.returncode}")
    check("stopped by SIGTERM" in err and exists("s.h5.checkpoint.h5") and not exists("s.h5"),
          "stopped by SIGTERM: checkpoint written, no model")
    with h5py.File(os.path.join(WORK, "s.h5.checkpoint.h5")) as h:
        done = [int(h[k].attrs["epoch"][0]) for k in h]
    check(min(done) < epochs, f"stopped mid-way (epochs done per network: {done})")
    p = run("train", args[:-4] + ["-verbosity", "0", "-resume"], np_)
    check(p.returncode == 0 and exists("s.h5") and not exists("s.h5.checkpoint.h5"), "resumed to the end")


def t_resume_np1():
    resume(1)
    real_signal(1, 50000)


def t_resume_np2():
    resume(2)
    real_signal(2, 200000)


if __name__ == "__main__":
    cli.main(globals(), "robustness.py")  # the runner of the cli tests: t_NAME in an emptied SF_WORK
