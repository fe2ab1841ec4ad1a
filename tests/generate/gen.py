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
TIMING = {"wall_s"}  # the only per-sample values allowed to differ between runs


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


def alive(pid):
    """pid exists and is not a zombie (a zombie holds no lock)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def kill_group(p):
    """SIGKILL mpirun and its ranks, then wait until every rank is gone: the ranks are
    not always in mpirun's process group, and a rank outliving mpirun still holds the
    campaign's lock (and would go on computing)."""
    ranks = rank_pids(p.pid) if p.poll() is None else []
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
    for pid in ranks:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    p.wait()
    t0 = time.time()
    while any(alive(pid) for pid in ranks):
        if time.time() - t0 > 30:
            sys.exit("FAIL: the killed campaign's ranks did not exit within 30 s")
        time.sleep(0.05)


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


def t_fft_timed():
    """-fft_reproducible 0 (timed FFTW_MEASURE plans, faster) gives the default's results to
    round-off: the same samples, free energies within 1e-9 Ha, positions within 1e-6."""
    grid = ["-ngfft", "18,30,30"]
    run(base_args(2, "est.h5", *grid))
    run(base_args(2, "meas.h5", *grid, "-fft_reproducible", "0"))
    d1, _ = load(os.path.join(WORK, "est.h5"))
    d2, _ = load(os.path.join(WORK, "meas.h5"))
    assert set(d1) == set(d2), sorted(set(d1) ^ set(d2))
    fk = [k for k in d1 if k.split("/")[-1] == "free_energy"]
    xk = [k for k in d1 if k.split("/")[-1] == "xred"]
    assert fk and xk, sorted(d1)
    dF = max(float(np.max(np.abs(d1[k] - d2[k]))) for k in fk)
    dx = max(float(np.max(np.abs(d1[k] - d2[k]))) for k in xk)
    print(f"timed vs estimated plans: max |dF| = {dF:.2e} Ha, max |dxred| = {dx:.2e}")
    assert dF < 1e-9 and dx < 1e-6, (dF, dx)


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
        kill_group(p)
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
    # issue 12: run ends with evaluate on the test samples (all five routes)
    e = json.load(open(os.path.join(WORK, "ds.h5.evaluate.json")))
    assert e["nsamples"] == 3 and set(e["routes"]) == {"direct", "sum", "orbital", "harris", "scf"}, e
    assert [s["index"] for s in e["routes"]["direct"]["per_sample"]] == [9, 10, 11]
    d = e["routes"]["direct"]["mae_mHa"]
    assert abs(d - m["free_energy_mae_mHa"]) <= 1e-6 * d, (d, m["free_energy_mae_mHa"])
    for f in ("rho", "phi", "u", "s"):  # train's NRMSE code; float32 bases in evaluate
        a, b = e["fields"]["network"][f]["nrmse_mean"], m["nrmse"][f]["mean"]
        assert abs(a - b) <= 1e-5 * b, (f, a, b)
    assert "strainfield evaluate: 3 samples" in r.stdout
    for route in e["routes"]:  # the table prints each route's MAE as the JSON has it
        line = re.search(r"^\s+%s\s+(\S+)\s+\S+" % route, r.stdout, re.M)
        assert line and abs(float(line.group(1)) - e["routes"][route]["mae_mHa"]) <= 1e-4 + 1e-4 * e["routes"][route]["mae_mHa"], route
    print("ok")


def t_bitwise():
    """Two uninterrupted 2-rank runs, and a run killed (SIGKILL) after its first part file
    and resumed, give bitwise identical datasets (timings excluded).  The 18x30x30 grid
    (the demo's) is one where FFTW_MEASURE's timing-based plan choice varies from run to
    run, which changed the last bits (free energy ~1e-13, xred ~1e-9 after relaxation)."""
    n, grid = 3, ["-ngfft", "18,30,30"]
    run(base_args(n, "a.h5", *grid), np_=2)
    run(base_args(n, "b.h5", *grid), np_=2)
    compare(os.path.join(WORK, "a.h5"), os.path.join(WORK, "b.h5"))
    args = base_args(n, "c.h5", *grid)
    cmd = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", "2", EXE, *args]
    p = subprocess.Popen(cmd, cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parts = os.path.join(WORK, "c.h5.parts")
    count = lambda: len([f for f in os.listdir(parts) if f.endswith(".h5")]) if os.path.isdir(parts) else 0
    while p.poll() is None and count() == 0:
        time.sleep(0.05)
    kill_group(p)
    done = count()
    print(f"killed with {done} of {n} part files on disk")
    assert 0 < done < n, "the kill must leave a partial campaign"
    run(args + ["-resume"], np_=2)
    compare(os.path.join(WORK, "a.h5"), os.path.join(WORK, "c.h5"))

def start(args, np_=2, env=None):
    """A campaign in the background (its own process group), for the stop and lock tests."""
    cmd = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_), EXE, *args]
    print("$ (background)", " ".join(cmd))
    return subprocess.Popen(cmd, cwd=WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env)


def wait_for(pred, what, limit=120):
    """Polls pred (the campaign's progress on disk) instead of sleeping a guessed time."""
    t0 = time.time()
    while not pred():
        if time.time() - t0 > limit:
            sys.exit(f"FAIL: waited {limit} s for {what}")
        time.sleep(0.05)


def nparts(dataset):
    d = os.path.join(WORK, dataset + ".parts")
    return len([f for f in os.listdir(d) if re.fullmatch(r"sample_\d+\.h5", f)]) if os.path.isdir(d) else 0


def rank_pids(mpirun_pid):
    """The ranks: the strainfield children of mpirun (what SLURM signals at the time limit)."""
    out = subprocess.run(["pgrep", "-P", str(mpirun_pid), "-x", "strainfield"], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def t_stop_signal():
    """SIGTERM to the ranks mid-campaign (SLURM's time limit), then SIGUSR1 to mpirun
    (forwarded): each stops with exit 75 and says how to resume, writes no final file,
    and -resume completes a dataset equal to an uninterrupted campaign."""
    n = 4
    run(base_args(n, "ref.h5"), np_=2)
    args = base_args(n, "out.h5")
    for attempt, how in enumerate(("SIGTERM to the ranks", "SIGUSR1 to mpirun")):
        p = start(args + (["-resume"] if attempt else []))
        before = nparts("out.h5")
        wait_for(lambda: nparts("out.h5") > before or p.poll() is not None, "a part file")
        if attempt == 0:
            for pid in rank_pids(p.pid):
                os.kill(pid, signal.SIGTERM)
        else:
            os.kill(p.pid, signal.SIGUSR1)
        out, err = p.communicate()
        print(how, "->", p.returncode, out[-1500:], err[-1500:], sep="\n")
        assert p.returncode == 75, (how, p.returncode)
        assert "stopped by %s" % how.split()[0] in err and "rerun the same command with -resume" in err, err
        assert not os.path.exists(os.path.join(WORK, "out.h5")), "a final file after a stop"
        assert 0 < nparts("out.h5") < n, nparts("out.h5")
    r = run(args + ["-resume"], np_=2)
    compare(os.path.join(WORK, "ref.h5"), os.path.join(WORK, "out.h5"))


def t_lock():
    """A second campaign on a running one's dataset (with or without -resume) is refused,
    naming the holder's pid and host; the first one completes undisturbed."""
    args = base_args(3, "ds.h5")
    p = start(args, np_=1)
    wait_for(lambda: os.path.exists(os.path.join(WORK, "ds.h5.parts", "campaign.json")), "the campaign to start")
    holder = rank_pids(p.pid)
    for extra in (["-resume"], []):
        r = run(args + extra, np_=2, expect=2)
        assert "in use by a running campaign" in r.stderr, r.stderr
        assert ("pid %d on host %s" % (holder[0], os.uname().nodename)) in r.stderr, (holder, r.stderr)
    out, err = p.communicate()
    print(out[-800:], err[-800:])
    assert p.returncode == 0, p.returncode
    d, _ = load(os.path.join(WORK, "ds.h5"))
    assert list(d["samples/status"]) == [1, 1, 1]
    assert not os.path.exists(os.path.join(WORK, "ds.h5.parts"))
    print("ok")


def kill_env(phase):
    return dict(os.environ, SF_TEST_KILL_AT=phase)


def t_part_checksum():
    """A truncated part and a part with flipped bytes are found on -resume (named),
    recomputed, and the dataset equals an uninterrupted campaign."""
    n = 4
    run(base_args(n, "ref.h5"))
    p = subprocess.run([MPIEXEC, "--allow-run-as-root", "-np", "1", EXE, *base_args(n, "out.h5")], cwd=WORK,
                       env=kill_env("assembly"), capture_output=True, text=True)
    assert p.returncode != 0 and nparts("out.h5") == n, (p.returncode, nparts("out.h5"))
    parts = os.path.join(WORK, "out.h5.parts")
    os.truncate(os.path.join(parts, "sample_0000001.h5"), 40000)
    with open(os.path.join(parts, "sample_0000002.h5"), "r+b") as f:  # inside the fields: HDF5 still reads it
        f.seek(-30000, 2)
        b = f.read(16)
        f.seek(-30000, 2)
        f.write(bytes(x ^ 0x5A for x in b))
    r = run(base_args(n, "out.h5", "-resume"))
    for i in (1, 2):
        assert re.search(r"part \S*sample_000000%d\.h5 is damaged" % i, r.stdout), r.stdout
    assert "(2 done earlier, 2 to run)" in r.stdout, r.stdout
    compare(os.path.join(WORK, "ref.h5"), os.path.join(WORK, "out.h5"))


def kill_phase(phase):
    """SIGKILL of the whole job at one phase of the campaign (a test-only kill point),
    then -resume: the dataset equals an uninterrupted campaign's."""
    n = 3
    run(base_args(n, "ref.h5"), np_=2)
    p = subprocess.run([MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", "2", EXE, *base_args(n, "out.h5")],
                       cwd=WORK, env=kill_env(phase), capture_output=True, text=True)
    print(p.stdout[-1000:], p.stderr[-1000:])
    assert p.returncode != 0 and "SF_TEST_KILL_AT=%s" % phase in p.stderr, p.returncode
    final = os.path.join(WORK, "out.h5")
    if phase != "parts-removal":  # only then is the final file already complete
        assert not os.path.exists(final), "a final file that is not complete"
    else:
        assert os.path.isdir(final + ".parts")
    r = run(base_args(n, "out.h5", "-resume"), np_=2)
    compare(os.path.join(WORK, "ref.h5"), final)
    assert not os.path.exists(final + ".parts") and not os.path.exists(final + ".tmp")


for _phase in ("start", "mid-sample", "part-write", "assembly", "parts-removal"):
    globals()["t_kill_" + _phase.replace("-", "_")] = (lambda ph: lambda: kill_phase(ph))(_phase)


def t_full_disk():
    """A write that fails as on a full disk (injected: SF_TEST_FAIL_AT) while writing a
    part, then while assembling the final file: exit 3 (no crash), one message naming
    the file, no temporary left, and -resume completes the same dataset."""
    n = 3
    run(base_args(n, "ref.h5"), np_=2)
    for phase, names in (("part-write:2", r"sample_000000\d\.h5\.tmp"), ("assembly", r"out\.h5\.tmp")):
        p = subprocess.run([MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", "2", EXE,
                            *base_args(n, "out.h5", *(["-resume"] if phase == "assembly" else []))],
                           cwd=WORK, env=dict(os.environ, SF_TEST_FAIL_AT=phase), capture_output=True, text=True)
        print(phase, "->", p.returncode, p.stderr[-1500:])
        assert p.returncode == 3, p.returncode
        assert re.search(r"cannot write \S*%s: No space left on device" % names, p.stderr), p.stderr
        assert "HDF5-DIAG" not in p.stderr
        left = [f for f in os.listdir(WORK) + os.listdir(os.path.join(WORK, "out.h5.parts")) if f.endswith(".tmp")]
        assert not left and not os.path.exists(os.path.join(WORK, "out.h5")), left
    run(base_args(n, "out.h5", "-resume"), np_=2)
    compare(os.path.join(WORK, "ref.h5"), os.path.join(WORK, "out.h5"))


def t_full_disk_tmpfs():
    """A real full disk (a small tmpfs; skipped where mount is not permitted): the part
    that does not fit, then the final file that does not fit, each exit 3 with a message
    naming the file; after making room, -resume completes the dataset."""
    mnt = os.path.join(WORK, "small")
    os.makedirs(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", mnt], capture_output=True).returncode:
        print("skipped: cannot mount a tmpfs here")
        sys.exit(77)
    try:
        n = 4  # a part is ~171 kB: 3 fit in 600 kB; the final file (~650 kB) fits only in 1.5 MB
        run(base_args(n, "ref.h5"), np_=2)
        ds = os.path.join(mnt, "out.h5")
        r = run(base_args(n, ds), np_=2, expect=3)
        assert re.search(r"cannot write \S*sample_000000\d\.h5\.tmp: No space left on device", r.stderr), r.stderr
        subprocess.run(["mount", "-o", "remount,size=800k", mnt], check=True)
        r = run(base_args(n, ds, "-resume"), np_=2, expect=3)
        assert "-dataset %s: about" % ds in r.stderr and "make room, then rerun with -resume" in r.stderr, r.stderr
        subprocess.run(["mount", "-o", "remount,size=1600k", mnt], check=True)
        run(base_args(n, ds, "-resume"), np_=2)
        compare(os.path.join(WORK, "ref.h5"), ds)
    finally:
        subprocess.run(["umount", mnt])


def t_timeout():
    """-sample_timeout: a sample past it is stored as failed with the reason and the
    campaign goes on.  Deterministic: two samples are done (the job killed at the third
    part write), the -resume with a tiny timeout fails only the third; a generous timeout
    changes nothing."""
    n = 3
    run(base_args(n, "ref.h5", "-sample_timeout", "600"))
    p = subprocess.run([MPIEXEC, "--allow-run-as-root", "-np", "1", EXE, *base_args(n, "out.h5")], cwd=WORK,
                       env=kill_env("part-write:3"), capture_output=True, text=True)
    assert p.returncode != 0 and nparts("out.h5") == 2, (p.returncode, nparts("out.h5"))
    r = run(base_args(n, "out.h5", "-resume", "-sample_timeout", "1e-6"), expect=5)
    assert "1 of 3 samples failed" in r.stderr, r.stderr
    d, a = load(os.path.join(WORK, "out.h5"))
    st = list(d["samples/status"])
    assert sorted(st) == [-1, 1, 1], st
    bad = st.index(-1)
    reason = d["samples/reason"][bad].decode()
    print("reason:", reason)
    assert reason.startswith("-sample_timeout 1e-06 s exceeded in attempt 1") and "time limit" in reason, reason
    assert d["samples/attempts"][bad] == 1 and np.isnan(d["samples/free_energy"][bad])
    ref, _ = load(os.path.join(WORK, "ref.h5"))
    ok = [i for i in range(n) if i != bad]
    assert same_bits(ref["samples/free_energy"][ok], d["samples/free_energy"][ok])
    run(base_args(n, "alone.h5"))
    compare(os.path.join(WORK, "ref.h5"), os.path.join(WORK, "alone.h5"))


def t_outputs():
    """Outputs are checked before any work: -dataset equal to an input is refused and the
    input is untouched; `run` with a -model in a missing folder fails before the campaign."""
    sf = os.path.join(WORK, "D.txt")
    open(sf, "w").write("1 1 1 90 90 90\n")
    r = run(base_args(1, sf, "-sampling", "file", "-sample_file", sf), expect=2)
    assert "is the same file as the input -sample_file" in r.stderr, r.stderr
    assert open(sf).read() == "1 1 1 90 90 90\n"
    r = run(base_args(1, "ds.h5", "-pseudos", PSP)[:-2] + ["-dataset", PSP], expect=2)
    assert "same file as the input -pseudos" in r.stderr, r.stderr
    r = run(["run", "-options_file", TINY, "-pseudos", PSP, "-samples", "2", "-dataset", "ds.h5", "-epochs", "5",
             "-ntrain", "1", "-ntest", "1", "-model", "nodir/m.h5"], expect=3)
    assert "-model nodir/m.h5: folder nodir does not exist" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(WORK, "ds.h5")) and not os.path.exists(os.path.join(WORK, "ds.h5.parts"))
    print("ok")


if __name__ == "__main__":
    name = sys.argv[1].replace("-", "_")
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    globals()["t_" + name]()
