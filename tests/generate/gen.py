#!/usr/bin/env python3
"""End-to-end tests of `strainfield generate` (issue 4).  Usage: gen.py TEST_NAME

Environment (set by CMakeLists.txt): SF_EXE, SF_SOURCE, SF_WORK, MPIEXEC.
Every test uses tests/generate/tiny.opts: seconds per sample, not physics."""
import json, os, random, re, shutil, signal, subprocess, sys, time

import h5py
import numpy as np

EXE = os.environ["SF_EXE"]
SRC = os.environ["SF_SOURCE"]
WORK = os.environ["SF_WORK"]
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
TINY = os.path.join(SRC, "tests", "generate", "tiny.opts")
PSP = os.path.join(SRC, "data", "psp", "mg.pseu")
TIMING = {"wall_time"}  # the only per-sample values allowed to differ between runs


def base_args(n, dataset, *extra):
    return ["generate", "-options_file", TINY, "-pseudos", PSP, "-samples", str(n), "-dataset", dataset, *extra]


def run(args, np_=1, check=True, expect=0):
    cmd = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_), EXE, *args]
    t0 = time.time()
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True)
    print("$", " ".join(cmd), f"-> {p.returncode} ({time.time() - t0:.1f} s)")
    print(p.stdout[-3000:], p.stderr[-3000:], sep="\n")
    if check and p.returncode != expect:
        sys.exit(f"FAIL: exit code {p.returncode}, expected {expect}")
    return p


def load(path):
    """Every dataset of the file as numpy arrays, plus the attributes."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
        attrs = {k: f.attrs[k] for k in f.attrs}
    return out, attrs


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def compare(p1, p2):
    d1, a1 = load(p1)
    d2, a2 = load(p2)
    bad = []
    if set(d1) != set(d2):
        bad.append(f"different datasets: {sorted(set(d1) ^ set(d2))}")
    for k in sorted(set(d1) & set(d2)):
        if k.split("/")[-1] in TIMING:
            continue
        if not same_bits(d1[k], d2[k]):
            bad.append(f"{k} differs")
    for k in sorted(set(a1) | set(a2)):
        if k == "options":  # holds -dataset and the layout options, which differ on purpose
            continue
        if k not in a1 or k not in a2 or not same_bits(a1[k], a2[k]):
            bad.append(f"attribute {k} differs")
    if bad:
        sys.exit("FAIL: %s vs %s:\n  " % (p1, p2) + "\n  ".join(bad))
    print(f"ok: {p1} == {p2} (bitwise, timings excluded)")


def t_schema_example():
    """The contract's datasets and shapes, and the h5py example of docs/dataset.md."""
    run(base_args(3, "ds.h5"))
    d, a = load(os.path.join(WORK, "ds.h5"))
    n1, n2, n3 = a["ngfft"]
    assert d["samples/D"].shape == (3, 6)
    assert d["samples/free_energy"].shape == (3,)
    assert d["samples/xred"].shape == (3, 4, 3)
    assert list(d["samples/status"]) == [1, 1, 1]
    for f in ("rho", "phi", "u", "s"):
        assert d["fields/" + f].shape == (3, n1, n2, n3), f
        assert np.isfinite(d["fields/" + f]).all()
    # rho integrates to the 8 valence electrons of each cell
    vol = np.abs(np.linalg.det(d["samples/lattice"]))
    nel = d["fields/rho"].sum(axis=(1, 2, 3)) * vol / (n1 * n2 * n3)
    assert np.allclose(nel, 8.0, atol=1e-6), nel
    assert not os.path.exists(os.path.join(WORK, "ds.h5.parts")), "parts left behind"
    text = open(os.path.join(SRC, "docs", "dataset.md")).read()
    m = re.search(r"```python\n(.*?)```", text, re.S)
    assert m, "no python example in docs/dataset.md"
    open(os.path.join(WORK, "example.py"), "w").write(m.group(1))
    p = subprocess.run([sys.executable, "example.py", "ds.h5"], cwd=WORK, capture_output=True, text=True)
    print(p.stdout, p.stderr)
    if p.returncode:
        sys.exit("FAIL: the docs/dataset.md example does not run")
    print("ok")


def t_vs_relax():
    """Samples of generate equal standalone `relax -strain_D` runs of the same D."""
    run(base_args(2, "ds.h5"))
    d, _ = load(os.path.join(WORK, "ds.h5"))
    for i in range(2):
        D = ",".join("%.17g" % x for x in d["samples/D"][i])
        summ = f"relax{i}.json"
        run(["relax", "-options_file", TINY, "-pseudos", PSP, "-strain_D", D, "-summary", summ])
        s = json.load(open(os.path.join(WORK, summ)))
        dF = abs(s["free_energy"] - d["samples/free_energy"][i])
        dx = np.abs(np.array(s["xred"]) - d["samples/xred"][i]).max()
        print(f"sample {i}: F generate {d['samples/free_energy'][i]:.12f} relax {s['free_energy']:.12f} |dF| {dF:.2e} |dxred| {dx:.2e}")
        if dF > 1e-9 or dx > 1e-8:
            sys.exit("FAIL: generate and relax disagree")
    print("ok")


def t_ranks():
    """1, 2 and 4 ranks (4 oversubscribed) give identical datasets apart from timings."""
    for np_ in (1, 2, 4):
        run(base_args(4, f"np{np_}.h5"), np_=np_)
    compare(os.path.join(WORK, "np1.h5"), os.path.join(WORK, "np2.h5"))
    compare(os.path.join(WORK, "np1.h5"), os.path.join(WORK, "np4.h5"))


def t_kill_resume():
    """kill -9 of every rank at a random moment, then -resume: equals an uninterrupted run."""
    n = 5
    t0 = time.time()
    run(base_args(n, "ref.h5"), np_=2)
    tref = time.time() - t0
    seed = int(os.environ.get("SF_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"kill seed {seed} (set SF_KILL_SEED to replay)")
    args = base_args(n, "out.h5")
    for attempt in range(2):
        delay = rng.uniform(0.3, tref * 0.9)
        cmd = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", "2", EXE, *args] + (["-resume"] if attempt else [])
        p = subprocess.Popen(cmd, cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)  # mpirun and both ranks: one process group
        p.wait()
        time.sleep(0.5)
        parts = os.path.join(WORK, "out.h5.parts")
        nparts = len([f for f in os.listdir(parts) if f.endswith(".h5")]) if os.path.isdir(parts) else -1
        print(f"killed after {delay:.2f} s (attempt {attempt + 1}); part files on disk: {nparts}")
    r = run(args + ["-resume"], np_=2)
    compare(os.path.join(WORK, "ref.h5"), os.path.join(WORK, "out.h5"))
    d, _ = load(os.path.join(WORK, "out.h5"))
    assert list(d["samples/status"]) == [1] * n
    assert not os.path.exists(os.path.join(WORK, "out.h5.parts"))
    # resuming a complete dataset does nothing
    r = run(args + ["-resume"], np_=1)
    assert "nothing to do" in r.stdout
    compare(os.path.join(WORK, "ref.h5"), os.path.join(WORK, "out.h5"))


def t_mismatch():
    """Refusals: an existing dataset without -resume; other settings on -resume.  A
    partial dataset (-walltime) is completed by -resume."""
    run(base_args(2, "ds.h5", "-walltime", "1e-9"))  # stops before any sample
    d, a = load(os.path.join(WORK, "ds.h5"))
    assert list(d["samples/status"]) == [0, 0] and int(a["nsamples_missing"]) == 2
    assert np.isnan(d["fields/rho"]).all() and np.isfinite(d["samples/D"]).all()
    r = run(base_args(2, "ds.h5"), expect=2)
    assert "-resume" in r.stderr, r.stderr
    r = run(base_args(2, "ds.h5", "-resume", "-ecut", "6", "-ngfft", "12,20,24"), expect=2)
    assert "ecut: dataset 5, now 6" in r.stderr and "ngfft" in r.stderr and "grid" in r.stderr, r.stderr
    r = run(base_args(3, "ds.h5", "-resume"), expect=2)
    assert "samples: dataset 2, now 3" in r.stderr, r.stderr
    run(base_args(2, "ds.h5", "-resume", "-par_sample_groups", "1"))
    d, _ = load(os.path.join(WORK, "ds.h5"))
    assert list(d["samples/status"]) == [1, 1]
    print("ok")


def t_failure():
    """An SCF that cannot converge: retried once with safer mixing, then stored as failed;
    the campaign completes and the exit code reports it."""
    r = run(base_args(2, "ds.h5", "-nstep", "2"), expect=5)
    assert "2 of 2 samples failed" in r.stderr, r.stderr
    d, a = load(os.path.join(WORK, "ds.h5"))
    assert list(d["samples/status"]) == [-1, -1]
    assert list(d["samples/attempts"]) == [2, 2]
    reason = d["samples/reason"][0].decode()
    print("reason:", reason)
    assert "retry with safer mixing" in reason and "SCF" in reason.upper()
    assert np.isnan(d["samples/free_energy"]).all() and np.isnan(d["fields/rho"]).all()
    assert int(a["nsamples_failed"]) == 2
    r = run(base_args(2, "ds.h5", "-nstep", "2", "-resume"), expect=5)
    assert "nothing to do" in r.stdout
    print("ok")


def t_run():
    """`strainfield run` = generate + train in one mpirun: the dataset equals a standalone
    generate, the model and metrics land next to it, and the closing table matches them."""
    n = 12
    r = run(["run", "-options_file", TINY, "-pseudos", PSP, "-samples", str(n), "-dataset", "ds.h5",
             "-epochs", "30", "-ntrain", "9", "-ntest", "3", "-pca_components", "4"], np_=2)
    run(base_args(n, "alone.h5"), np_=2)
    compare(os.path.join(WORK, "ds.h5"), os.path.join(WORK, "alone.h5"))  # exits on a difference
    m = json.load(open(os.path.join(WORK, "ds.h5.train.json")))
    assert m["ntrain"] == 9 and m["ntest"] == 3, (m["ntrain"], m["ntest"])
    assert os.path.exists(os.path.join(WORK, "ds.h5.model.h5"))
    for f in ("rho", "phi", "u", "s"):
        mean = m["nrmse"][f]["mean"]
        assert 0 < mean < 1, (f, mean)
        table = r.stdout[r.stdout.index("strainfield run: test errors"):]
        line = re.search(r"^\s+%s\s+(\S+)" % f, table, re.M)
        assert line and abs(float(line.group(1)) - mean) <= 1e-3 * mean, (f, line and line.group(0), mean)
    print("ok")


if __name__ == "__main__":
    name = sys.argv[1]
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    globals()["t_" + name]()
