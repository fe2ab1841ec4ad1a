#!/usr/bin/env python3
"""The job scripts of jobscripts/ under a real single-node SLURM (issue 15).
Usage: slurm_jobs.py TEST

Each test submits one jobscripts/*_demo.slurm with sbatch from the repository root, with
the build's strainfield on PATH and its outputs in SF_WORK; waits (bounded) until the job
has ended; checks its state and exit code in `scontrol show job` and in the jobcomp file
(there is no slurmdbd, so no sacct), then its outputs, with numbers that could be wrong.
The cluster is scripts/slurm_local.sh's (tests cluster_start / cluster_stop, ctest
fixtures: they stop only a cluster they started).

Environment (tests/slurm/CMakeLists.txt): SF_SOURCE, SF_BIN (folder of strainfield),
SF_WORK, SF_DATA (the generate test's dataset, shared with train, run and campaign)."""
import json, math, os, re, subprocess, sys, time

import h5py
import numpy as np

from jobscripts import parse_jobscript

SRC = os.environ["SF_SOURCE"]
BIN = os.environ["SF_BIN"]
WORK = os.environ["SF_WORK"]
DATA = os.environ["SF_DATA"]
EXE = os.path.join(BIN, "strainfield")
CLUSTER = os.path.join(SRC, "scripts", "slurm_local.sh")
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
         "DEADLINE", "PREEMPTED"}
NELECT = 8.0  # 4 Mg atoms, 2 valence electrons each (mg.pseu)
SAMPLE_LINE = re.compile(r"^\s+sample\s+(\d+) \[group (\d+)\]: F = (\S+) Ha, max\|f\| = (\S+) Ha/Bohr, .*, ([\d.]+) s$")


def fail(msg):
    sys.exit("FAIL: " + msg)


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def slurm_conf():
    return sh([CLUSTER, "conf"]).stdout.strip()


def slurm(cmd):
    """A SLURM client command against the local cluster; its stdout."""
    p = sh(cmd, env={**os.environ, "SLURM_CONF": slurm_conf()})
    if p.returncode:
        fail(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def submit(script, env=None, args=()):
    """sbatch SCRIPT from the repository root, with the build's strainfield first on PATH;
    the job id (of the array, for an array)."""
    st = sh([CLUSTER, "status"])
    if st.returncode:
        fail(f"the local SLURM is not up ({st.stdout.strip()}): scripts/slurm_local.sh start")
    os.makedirs(WORK, exist_ok=True)
    e = {**os.environ, "SLURM_CONF": slurm_conf(), "PATH": BIN + os.pathsep + os.environ["PATH"], **(env or {})}
    cmd = ["sbatch", "--parsable", *args, os.path.join("jobscripts", script)]
    p = sh(cmd, cwd=SRC, env=e)
    if p.returncode:
        fail(f"sbatch {script}: exit {p.returncode}: {p.stderr.strip()}")
    jid = p.stdout.strip().split(";")[0]
    print(f"$ {' '.join(cmd)} -> job {jid}", flush=True)
    return jid


def records(jid):
    """`scontrol show job -o JID` as one dict per job (one per task of an array)."""
    out = []
    for line in slurm(["scontrol", "show", "job", "-o", jid]).splitlines():
        rec = {}
        for tok in line.split():
            k, _, v = tok.partition("=")
            rec.setdefault(k, v)
        if rec:
            out.append(rec)
    return out


def wait(jid, limit):
    """Poll until every job of JID has ended, at most LIMIT seconds (then cancel it)."""
    t0 = time.time()
    while True:
        recs = records(jid)
        if recs and all(r["JobState"] in FINAL for r in recs):
            print(f"job {jid} ended after {time.time() - t0:.0f} s: " +
                  ", ".join(f"{r['JobId']} {r['JobState']} {r['ExitCode']} restarts {r['Restarts']}" for r in recs))
            return recs
        if time.time() - t0 > limit:
            slurm(["scancel", jid])
            fail(f"job {jid} still {[r['JobState'] for r in recs]} after {limit} s (cancelled)")
        time.sleep(0.5)


def jobcomp(job_id):
    """The jobcomp file's last line for one job id, as a dict."""
    path = os.path.join(os.path.dirname(os.path.dirname(slurm_conf())), "log", "jobcomp.txt")
    last = None
    for _ in range(20):  # slurmctld appends it when the job ends: allow it a moment
        with open(path) as f:
            for line in f:
                if line.startswith(f"JobId={job_id} "):
                    last = dict(t.partition("=")[::2] for t in line.split())
        if last and last["JobState"] in FINAL:
            return last
        time.sleep(0.5)
    fail(f"no final line for job {job_id} in {path}: {last}")


def check_ok(rec, restarts=None):
    """The job completed with exit code 0 (scontrol and the jobcomp file agree)."""
    jid = rec["JobId"]
    if rec["JobState"] != "COMPLETED" or rec["ExitCode"] != "0:0":
        fail(f"job {jid}: {rec['JobState']} exit {rec['ExitCode']} (log {rec.get('StdOut')})")
    jc = jobcomp(jid)
    if jc["JobState"] != "COMPLETED" or jc["ExitCode"] != "0:0":
        fail(f"job {jid}: jobcomp says {jc['JobState']} {jc['ExitCode']}")
    if restarts is not None and int(rec["Restarts"]) != restarts:
        fail(f"job {jid}: {rec['Restarts']} restarts, expected {restarts}")


def read_log(path):
    with open(path) as f:
        text = f.read()
    print(f"--- {path} (last lines)\n" + "\n".join(text.splitlines()[-12:]))
    return text


def logged_samples(text):
    """{index: [(F, max|f|, seconds), ...]} from the -v lines of generate (one per computed sample)."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE_LINE.match(line)
        if m:
            out.setdefault(int(m.group(1)), []).append((float(m.group(3)), float(m.group(4)), float(m.group(5))))
    return out


def check_dataset(path, n, logged=None):
    """Every sample of the dataset ok, its electrons and forces right, and (with LOGGED)
    each sample computed exactly once, the stored values those of the logged computation."""
    if os.path.exists(path + ".parts"):
        fail(f"{path}.parts is still there: the campaign did not finish")
    with h5py.File(path, "r") as f:
        status = f["samples/status"][:]
        counts = [int(f.attrs[k]) for k in ("nsamples", "nsamples_ok", "nsamples_failed", "nsamples_missing")]
        F = f["samples/free_energy"][:]
        wall = f["samples/wall_s"][:]
        fmax = f["samples/max_force"][:]
        n1, n2, n3 = f.attrs["ngfft"]
        vol = np.abs(np.linalg.det(f["samples/lattice"][:]))
        q = f["fields/rho"][:].sum(axis=(1, 2, 3)) * vol / (n1 * n2 * n3)
        tolmxf = json.loads(f.attrs["options"])["tolmxf"]
    if counts != [n, n, 0, 0] or not np.all(status == 1):
        fail(f"{path}: nsamples, ok, failed, missing = {counts}, expected [{n}, {n}, 0, 0]")
    if np.max(np.abs(q - NELECT)) > 1e-8:
        fail(f"{path}: the densities hold {q.min():.10f}..{q.max():.10f} electrons, not {NELECT}")
    if not (np.all(np.isfinite(F)) and np.all(fmax <= float(tolmxf))):
        fail(f"{path}: non-finite F or a max force above -tolmxf {tolmxf}: {fmax.max():.3e}")
    print(f"{path}: {n} samples ok, {q.min():.10f}..{q.max():.10f} electrons, max|f| <= {fmax.max():.1e} Ha/Bohr")
    if logged is None:
        return
    lost = sorted(set(range(n)) - set(logged))
    twice = {i: len(v) for i, v in logged.items() if len(v) > 1}
    extra = sorted(set(logged) - set(range(n)))
    if lost or twice or extra:
        fail(f"samples never computed {lost[:20]}, computed more than once {twice}, outside the campaign {extra}")
    for i, [(f_log, fmax_log, t_log)] in logged.items():
        if abs(F[i] - f_log) > 6e-11 or abs(wall[i] - t_log) > 0.051 or abs(fmax[i] - fmax_log) > 0.051 * fmax[i]:
            fail(f"sample {i}: dataset F {F[i]:.10f} Ha, {wall[i]:.2f} s; log F {f_log:.10f} Ha, {t_log} s")
    print(f"each of the {n} samples computed exactly once; the dataset holds the logged F and wall times")


def same_samples(a, b, n):
    """The first N samples of datasets A and B are bitwise equal (wall times excepted)."""
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        names = []
        fa.visititems(lambda k, o: names.append(k) if isinstance(o, h5py.Dataset) else None)
        bad = [k for k in names if not k.endswith("wall_s")
               and fa[k][:n].tobytes() != fb[k][:n].tobytes()]
    if bad:
        fail(f"the first {n} samples of {a} and {b} differ in {bad}")
    print(f"the first {n} samples of {os.path.basename(a)} equal those of {os.path.basename(b)}, bitwise "
          f"({len(names)} datasets, wall times excepted)")


def check_model(model, summary, dataset, ntrain, ntest, curve=()):
    """The metrics JSON of train: its split and finite errors; the model file's own
    predictions of the test samples reproduce the JSON's free-energy errors."""
    t = json.load(open(summary))
    if (t["ntrain"], t["ntest"], t["nskipped"]) != (ntrain, ntest, 0):
        fail(f"{summary}: ntrain, ntest, nskipped = {t['ntrain']}, {t['ntest']}, {t['nskipped']}")
    points = [p["ntrain_used"] for p in t.get("learning_curve", [])]
    if points != list(curve):
        fail(f"{summary}: learning curve at {points}, expected {list(curve)}")
    for fld, v in t["nrmse"].items():
        if not (all(math.isfinite(v[k]) and v[k] >= 0 for k in ("mean", "max", "pca_mean"))
                and 0 < v["explained_variance"] <= 1 + 1e-12):
            fail(f"{summary}: {fld} errors {v}")
    if os.path.exists(model + ".checkpoint.h5"):
        fail(f"{model}.checkpoint.h5 left behind by a completed training")
    with h5py.File(dataset, "r") as f:
        D = f["samples/D"][-ntest:]
        Fd = f["samples/free_energy"][-ntest:]
    strains = os.path.join(WORK, "test_strains.txt")
    np.savetxt(strains, D, fmt="%.17g")
    pj = os.path.join(WORK, "predict.json")
    p = sh([EXE, "predict", "-model", model, "-strain_file", strains, "-summary", pj, "-dataset", dataset,
            "-fp64", "-verbosity", "0"], env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    if p.returncode:
        fail(f"predict with {model}: exit {p.returncode}: {p.stderr.strip()}")
    err = np.abs(np.array(json.load(open(pj))["free_energy"]) - Fd) * 1e3
    mae, mx = float(err.mean()), float(err.max())
    if abs(mae - t["free_energy_mae_mHa"]) > 1e-6 or abs(mx - t["free_energy_max_mHa"]) > 1e-6:
        fail(f"the model's test errors {mae:.9f} / {mx:.9f} mHa are not the JSON's "
             f"{t['free_energy_mae_mHa']:.9f} / {t['free_energy_max_mHa']:.9f}")
    print(f"{model}: predict reproduces the {ntest} test errors of {os.path.basename(summary)} "
          f"(F mean {mae:.4f} mHa, max {mx:.4f} mHa); rho NRMSE {t['nrmse']['rho']['mean']:.3e}")


def sizes(script):
    """The defaults of the '# sizes' block of jobscripts/SCRIPT: {name: value text}."""
    _, names, _ = parse_jobscript(os.path.join(SRC, "jobscripts", script))
    text = open(os.path.join(SRC, "jobscripts", script)).read()
    out = {}
    for k in names:
        v = re.search(rf"^{k}=(.*)$", text, re.M).group(1)
        out[k] = re.sub(rf"^\$\{{{k}:-(.*)\}}$", r"\1", v)  # VAR=${VAR:-default}
    return out


def number(script, name, k=0):
    """The K-th integer of a size of SCRIPT."""
    return int(re.findall(r"\d+", sizes(script)[name])[k])


def check_evaluate(ds, ntrain, ntest):
    """run's evaluate JSON: the test samples, the dataset's F, consistent signed errors, a
    direct route (the energy network) whose errors are train's, a finite sum route."""
    ev, t = json.load(open(ds + ".evaluate.json")), json.load(open(ds + ".train.json"))
    with h5py.File(ds, "r") as f:
        F = f["samples/free_energy"][:]
    for name, r in ev["routes"].items():
        idx = [p["index"] for p in r["per_sample"]]
        err = np.array([(p["free_energy"] - p["dataset_free_energy"]) * 1e3 - p["error_mHa"] for p in r["per_sample"]])
        if idx != list(range(ntrain, ntrain + ntest)) or any(abs(p["dataset_free_energy"] - F[p["index"]]) > 1e-12
                                                              for p in r["per_sample"]):
            fail(f"{ds}.evaluate.json {name}: samples {idx}, or F not the dataset's")
        if np.max(np.abs(err)) > 1e-9 or not all(math.isfinite(r[k]) for k in ("mae_mHa", "max_mHa")):
            fail(f"{ds}.evaluate.json {name}: inconsistent or non-finite errors")
    d = ev["routes"]["direct"]
    if abs(d["mae_mHa"] - t["free_energy_mae_mHa"]) > 1e-6 or abs(d["max_mHa"] - t["free_energy_max_mHa"]) > 1e-6:
        fail(f"evaluate's direct route {d['mae_mHa']:.9f} / {d['max_mHa']:.9f} mHa is not train's "
             f"{t['free_energy_mae_mHa']:.9f} / {t['free_energy_max_mHa']:.9f}")
    print(f"{ds}.evaluate.json: the {ntest} test samples; direct route = train's errors "
          f"({d['mae_mHa']:.4f} mHa), sum route {ev['routes']['sum']['mae_mHa']:.1f} mHa")


def stops_and_runs(text):
    """The runs of a requeued job in its log: (first line of each run, stop messages)."""
    runs = re.findall(r"^sf_job: job \d+ run (\d+) ", text, re.M)
    stops = [tuple(map(int, m)) for m in
             re.findall(r"stopped by SIGUSR1: (\d+) of (\d+) samples are complete in .* \((\d+) in this run\)", text)]
    return [int(r) for r in runs], stops


# ---------------------------------------------------------------------------- the tests

def t_cluster_start():
    """Start the local SLURM unless it is up; remember whether this test started it."""
    mark = os.path.join(WORK, "started_by_ctest")
    os.makedirs(WORK, exist_ok=True)
    if sh([CLUSTER, "status"]).returncode == 0:
        print("the local SLURM is already up: it stays up after the tests")
        if os.path.exists(mark):
            os.remove(mark)
        return
    p = sh([CLUSTER, "start"])
    print(p.stdout, p.stderr)
    if p.returncode:
        fail("scripts/slurm_local.sh start failed")
    open(mark, "w").close()


def t_cluster_stop():
    mark = os.path.join(WORK, "started_by_ctest")
    if not os.path.exists(mark):
        print("not started by these tests: left running")
        return
    p = sh([CLUSTER, "stop"])
    print(p.stdout, p.stderr)
    os.remove(mark)
    if p.returncode or sh([CLUSTER, "status"]).returncode == 0:
        fail("scripts/slurm_local.sh stop failed")


def t_scf():
    """scf_demo.slurm on 2 ranks: converged, 8 electrons in the density, and the same
    free energy, forces and stress as one rank outside SLURM."""
    summary, fields, log = (os.path.join(WORK, x) for x in ("scf.json", "scf.h5", "scf_%j.log"))
    jid = submit("scf_demo.slurm", {"SUMMARY": summary, "FIELDS": fields}, [f"--output={log}"])
    [rec] = wait(jid, 300)
    check_ok(rec, restarts=0)
    read_log(log.replace("%j", jid))
    s2 = json.load(open(summary))
    serial = os.path.join(WORK, "scf_serial.json")
    p = sh([EXE, "scf", "-options_file", os.path.join(SRC, "configs", "mg_small.opts"), "-summary", serial,
            "-verbosity", "0"], env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    if p.returncode:
        fail(f"serial scf: exit {p.returncode}: {p.stderr}")
    s1 = json.load(open(serial))
    dF = abs(s2["free_energy"] - s1["free_energy"])
    df = float(np.max(np.abs(np.array(s2["forces"]) - s1["forces"])))
    ds = float(np.max(np.abs(np.array(s2["stress"]) - s1["stress"])))
    with h5py.File(fields, "r") as f:
        rho = f["rho"][:]
    vol = abs(np.linalg.det(np.array(s2["lattice"])))
    q = rho.sum() * vol / rho.size
    print(f"2 ranks under SLURM vs 1 rank: |dF| {dF:.1e} Ha, forces {df:.1e} Ha/Bohr, stress {ds:.1e} Ha/Bohr^3; "
          f"F = {s2['free_energy']:.10f} Ha, {q:.10f} electrons")
    if not (s2["scf"]["converged"] and s2["nelect"] == NELECT and abs(q - NELECT) < 1e-8):
        fail(f"not converged, or nelect {s2['nelect']}, density {q} electrons")
    if dF > 1e-8 or df > 1e-6 or ds > 1e-8:
        fail("the 2-rank result differs from the 1-rank one beyond round-off")


def t_generate_timelimit():
    """generate_demo.slurm: a campaign longer than the job's 1-minute limit; SIGUSR1 before
    the limit stops it cleanly, the job requeues itself and the dataset is completed with
    every sample computed exactly once."""
    n = number("generate_demo.slurm", "SAMPLES")
    log = os.path.join(WORK, "generate_%j.log")
    for p in (DATA, DATA + ".parts"):
        subprocess.run(["rm", "-rf", p], check=True)
    jid = submit("generate_demo.slurm", {"DATASET": DATA}, [f"--output={log}"])
    [rec] = wait(jid, 2400)
    check_ok(rec)
    text = read_log(log.replace("%j", jid))
    restarts = int(rec["Restarts"])
    runs, stops = stops_and_runs(text)
    print(f"{restarts} restarts; stops (complete, of, this run): {stops}")
    if restarts < 1:
        fail("the job never reached its time limit: the campaign is too short for this machine")
    if runs != list(range(1, restarts + 2)) or len(stops) != restarts:
        fail(f"runs {runs} and {len(stops)} stops by SIGUSR1 for {restarts} restarts")
    if "SIGTERM" in text or "DUE TO TIME LIMIT" in text:
        fail("the time limit itself was reached (SIGTERM): the warning came too late")
    done = 0
    for k, (complete, total, this_run) in enumerate(stops):
        earlier = int(re.findall(r"\((\d+) done earlier", text)[k])
        if total != n or earlier != done or complete != done + this_run:
            fail(f"run {k + 1}: {earlier} done earlier, then {complete} complete ({this_run} in this run) after {done}")
        done = complete
    last = re.findall(r"this run: (\d+) samples in", text)
    if len(last) != 1 or done + int(last[0]) != n:
        fail(f"the last run computed {last} samples after {done}, of {n}")
    check_dataset(DATA, n, logged_samples(text))


def t_train():
    """train_demo.slurm on the generate test's dataset."""
    model, summary, log = (os.path.join(WORK, x) for x in ("model.h5", "train.json", "train_%j.log"))
    jid = submit("train_demo.slurm", {"DATASET": DATA, "MODEL": model, "SUMMARY": summary}, [f"--output={log}"])
    [rec] = wait(jid, 600)
    check_ok(rec, restarts=0)
    read_log(log.replace("%j", jid))
    s = sizes("train_demo.slurm")
    ntrain, ntest = (number("train_demo.slurm", "SPLIT", k) for k in (0, 1))
    curve = [int(x) for x in re.search(r"-learning_curve ([\d,]+)", s["LEARNING"]).group(1).split(",")]
    check_model(model, summary, DATA, ntrain, ntest, curve)


def t_run():
    """run_demo.slurm: generate, train and evaluate in one job; its samples are the
    generate test's first 36, bitwise."""
    n = number("run_demo.slurm", "SAMPLES")
    ntrain, ntest = (number("run_demo.slurm", "SPLIT", k) for k in (0, 1))
    ds, log = os.path.join(WORK, "run.h5"), os.path.join(WORK, "run_%j.log")
    for p in (ds, ds + ".parts"):
        subprocess.run(["rm", "-rf", p], check=True)
    jid = submit("run_demo.slurm", {"DATASET": ds}, [f"--output={log}"])
    [rec] = wait(jid, 900)
    check_ok(rec, restarts=0)
    text = read_log(log.replace("%j", jid))
    check_dataset(ds, n, logged_samples(text))
    same_samples(ds, DATA, n)
    check_model(ds + ".model.h5", ds + ".train.json", ds, ntrain, ntest)
    check_evaluate(ds, ntrain, ntest)
    if f"strainfield run: test errors ({ntrain} training, {ntest} test samples)" not in text:
        fail("run's closing table is missing from the log")


def t_campaign():
    """campaign_demo.slurm: a job array whose tasks resume one dataset in turn, each
    stopping its claims by -walltime before its limit; the completing task cancels the
    rest; the samples are the generate test's first 40, bitwise, each computed once."""
    n, margin = number("campaign_demo.slurm", "SAMPLES"), number("campaign_demo.slurm", "MARGIN")
    ds, log = os.path.join(WORK, "campaign.h5"), os.path.join(WORK, "campaign_%A_%a.log")
    for p in (ds, ds + ".parts"):
        subprocess.run(["rm", "-rf", p], check=True)
    jid = submit("campaign_demo.slurm", {"DATASET": ds}, [f"--output={log}"])
    recs = wait(jid, 2400)
    ran = [r for r in recs if r["JobState"] != "CANCELLED"]
    cancelled = [r for r in recs if r["JobState"] == "CANCELLED"]
    tasks = sorted(int(r["ArrayTaskId"]) for r in ran)
    if tasks != list(range(len(ran))):
        fail(f"the tasks that ran are {tasks}: not the first ones in order")
    logged, working = {}, 0
    for r in sorted(ran, key=lambda r: int(r["ArrayTaskId"])):
        check_ok(r, restarts=0)
        text = read_log(log.replace("%A", jid).replace("%a", r["ArrayTaskId"]))
        m = re.search(r"s left in this task: starting samples for (\d+) s", text)
        if not m or not 0 < int(m.group(1)) <= 60 - margin:
            fail(f"task {r['ArrayTaskId']}: -walltime {m and m.group(1)}, expected 60 s - MARGIN {margin} s - its start")
        mine = logged_samples(text)
        working += bool(mine)
        for i, v in mine.items():
            logged.setdefault(i, []).extend(v)
    last = read_log(log.replace("%A", jid).replace("%a", str(tasks[-1])))
    if "is complete; cancelling the pending tasks" not in last:
        fail("the last task did not report the completed dataset")
    # the pending tasks, cancelled together, are one record (the array's, ArrayTaskId NO_VAL)
    logs = [f for f in os.listdir(WORK) if f.startswith(f"campaign_{jid}_")]
    if not cancelled or any(r["RunTime"] != "00:00:00" for r in cancelled) or len(logs) != len(ran):
        fail(f"{len(ran)} tasks ran, {len(logs)} logs; the pending tasks must be cancelled before they start: "
             f"{[(r['ArrayTaskId'], r['RunTime']) for r in cancelled]}")
    print(f"{len(ran)} tasks ran ({working} computed samples), the others were cancelled before starting")
    if working < 2:
        fail("the campaign was not split: one task computed every sample")
    check_dataset(ds, n, logged)
    same_samples(ds, DATA, n)


def t_failure():
    """A failing job script is a failed job with its exit code, which the checks above
    refuse: bad input to strainfield (exit 2), and strainfield not on PATH (exit 2)."""
    log = os.path.join(WORK, "failure_%j.log")
    for env, want in (({"SAMPLES": "0", "DATASET": os.path.join(WORK, "bad.h5")}, "-samples N (>= 1) is required"),
                      ({"PATH": "/usr/bin:/bin"}, "strainfield is not on PATH")):
        jid = submit("generate_demo.slurm", env, [f"--output={log}"])
        [rec] = wait(jid, 300)
        text = read_log(log.replace("%j", jid))
        if (rec["JobState"], rec["ExitCode"], int(rec["Restarts"])) != ("FAILED", "2:0", 0) or want not in text:
            fail(f"job {jid}: {rec['JobState']} {rec['ExitCode']}, restarts {rec['Restarts']}, "
                 f"log without '{want}'")
        jc = jobcomp(jid)
        if (jc["JobState"], jc["ExitCode"]) != ("FAILED", "2:0"):
            fail(f"job {jid}: jobcomp says {jc['JobState']} {jc['ExitCode']}")
        try:
            check_ok(rec)
            refused = False
        except SystemExit as e:
            refused = str(e).startswith("FAIL: job")
        if not refused:
            fail(f"check_ok accepted the failed job {jid}")
        print(f"job {jid} FAILED with exit code 2 ('{want}'), and check_ok refuses it")


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    fn = globals().get("t_" + name)
    if not fn:
        sys.exit("usage: slurm_jobs.py " + "|".join(k[2:] for k in globals() if k.startswith("t_")))
    fn()
    print(f"ok: slurm {name}")


if __name__ == "__main__":
    main()
