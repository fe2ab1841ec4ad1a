"""Shared helpers of the relaxation acceptance tests (tests/relax) and the benchmark
(benchmarks/relax_vs_abinit.sh): the paper's strained Mg cell, ABINIT inputs for
ionmov 2 / optcell 0, cached ABINIT runs and parsing of their HIST.nc files.
"""
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "abinit"))
from sfcase import psp_dir  # noqa: E402

# The paper's reference cell (orthorhombic HCP supercell) and deformation D.
REF_ACELL = [6.0646, 10.5042, 9.8477]
REF_XRED = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 2.0 / 3.0, 0.5], [0.5, 1.0 / 6.0, 0.5]]
D_LAMBDA = [0.9696, 0.9237, 0.9906]
D_ANGDEG = [92.1598, 85.6196, 87.3824]
STRAINED_ACELL = [a * l for a, l in zip(REF_ACELL, D_LAMBDA)]
# starting positions for item 1: HCP sites pushed off by +0.01 on three coordinates
START_XRED = [[0.01, 0.0, 0.0], [0.5, 0.51, 0.0], [0.0, 2.0 / 3.0, 0.51], [0.5, 1.0 / 6.0, 0.5]]


def mg_psp():
    return os.path.join(psp_dir(), "mg.pseu")


def fmt(x):
    return repr(float(x)) if isinstance(x, float) else str(x)


def physics(ecut, ngkpt, ngfft=None, xred=START_XRED, acell=STRAINED_ACELL, angdeg=D_ANGDEG):
    return {"acell": list(acell), "angdeg": list(angdeg), "xred": [list(r) for r in xred],
            "ecut": ecut, "ecutsm": 0.5, "ngkpt": list(ngkpt), "shiftk": [0.5, 0.5, 0.5],
            "nband": 20, "occopt": 4, "tsmear": 0.01, "ixc": 7, "ngfft": ngfft}


def abinit_input(p, tolmxf=5e-6, ntime=60, toldfe=1e-11, extra=None):
    L = ["# strainfield relaxation cross-check (ionmov 2, optcell 0)",
         "acell " + " ".join(fmt(x) for x in p["acell"]),
         "angdeg " + " ".join(fmt(x) for x in p["angdeg"]),
         "natom 4", "ntypat 1", "znucl 12", "typat 1 1 1 1", "xred"]
    L += ["   " + " ".join(fmt(x) for x in r) for r in p["xred"]]
    L += [f'pseudos "{mg_psp()}"', f"ecut {fmt(p['ecut'])}", f"ecutsm {fmt(p['ecutsm'])}"]
    if p.get("ngfft"):
        L.append("ngfft " + " ".join(str(n) for n in p["ngfft"]))
    L += ["chkprim 0", "kptopt 1", "ngkpt " + " ".join(str(n) for n in p["ngkpt"]),
          "nshiftk 1", "shiftk " + " ".join(fmt(x) for x in p["shiftk"]),
          f"nband {p['nband']}", f"occopt {p['occopt']}", f"tsmear {fmt(p['tsmear'])}",
          f"ixc {p['ixc']}", f"toldfe {fmt(toldfe)}", "nstep 100",
          "ionmov 2", "optcell 0", f"ntime {ntime}", f"tolmxf {fmt(tolmxf)}",
          "iomode 3", "prtwf 0", "prtden 0", "prteig 0"]
    for k, v in (extra or {}).items():
        L.append(f"{k} {v}")
    return "\n".join(L) + "\n"


def run_abinit(text, workdir, exe="/usr/bin/abinit", np=1, mpiexec="mpirun", cache=True):
    """Run ABINIT on text in workdir (cached by input + psp + np). Returns the stamp
    {hash, wall, maxrss_kb} of the run that produced the files and whether it was cached.
    A lock file beside workdir serialises concurrent callers (e.g. two ctest runs): the
    second waits and then finds the finished run in the cache."""
    os.makedirs(workdir, exist_ok=True)
    with open(workdir.rstrip("/") + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        try:
            return _run_abinit_locked(text, workdir, exe, np, mpiexec, cache)
        finally:
            fcntl.flock(lk, fcntl.LOCK_UN)


def _run_abinit_locked(text, workdir, exe, np, mpiexec, cache):
    h = hashlib.sha256(text.encode())
    with open(mg_psp(), "rb") as f:
        h.update(f.read())
    h.update(str(np).encode())
    h = h.hexdigest()
    stamp = os.path.join(workdir, "run.done")
    if cache and os.path.exists(stamp):
        d = json.load(open(stamp))
        if d.get("hash") == h:
            return d, True
    for fn in os.listdir(workdir):
        if fn.startswith("run") or fn == "log":
            os.remove(os.path.join(workdir, fn))
    with open(os.path.join(workdir, "run.abi"), "w") as f:
        f.write(text)
    cmd = [exe, "run.abi"]
    if np > 1:
        cmd = [mpiexec, "-np", str(np), "--allow-run-as-root", "--oversubscribe"] + cmd
    cmd = ["/usr/bin/time", "-f", "MAXRSS_KB %M"] + cmd
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.time()
    with open(os.path.join(workdir, "log"), "w") as log:
        r = subprocess.run(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
    wall = time.time() - t0
    if r.returncode != 0 or not os.path.exists(os.path.join(workdir, "runo_HIST.nc")):
        tail = open(os.path.join(workdir, "log")).read()[-3000:]
        raise RuntimeError(f"ABINIT failed in {workdir} (rc={r.returncode}):\n{tail}")
    m = re.findall(r"MAXRSS_KB (\d+)", open(os.path.join(workdir, "log")).read())
    d = {"hash": h, "wall": wall, "maxrss_kb": int(m[-1]) if m else None}
    json.dump(d, open(stamp, "w"))
    return d, False


def parse_hist(workdir):
    """ABINIT's relaxation history: one record per ionic step (= one SCF for ionmov 2)."""
    import netCDF4
    import numpy as np
    g = netCDF4.Dataset(os.path.join(workdir, "runo_HIST.nc"))
    out = {"xred": np.array(g["xred"][:]), "fcart": np.array(g["fcart"][:]),
           "etotal": np.array(g["etotal"][:])}
    g.close()
    text = open(os.path.join(workdir, "run.abo")).read()
    m = re.search(r"ngfft\s+(\d+)\s+(\d+)\s+(\d+)", text)
    out["ngfft"] = [int(m.group(i)) for i in (1, 2, 3)] if m else None
    out["converged"] = bool(re.search(r"gradients are converged", text))
    out["scf_iters"] = [int(x) for x in re.findall(r"converged after\s+(\d+)\s+iterations", text)]
    m = re.search(r"Overall time at end \(sec\) : cpu=\s*(\S+)\s+wall=\s*(\S+)", text)
    out["abinit_wall"] = float(m.group(2)) if m else None
    return out


def sf_options(p, tolmxf=5e-6, ntime=60, toldfe=1e-11):
    j = lambda xs: ",".join(fmt(float(x)) for x in xs)  # noqa: E731
    o = ["-acell", j(p["acell"]), "-angdeg", j(p["angdeg"]), "-znucl", "12",
         "-pseudos", mg_psp(), "-xred", j([x for r in p["xred"] for x in r]),
         "-ecut", fmt(float(p["ecut"])), "-ecutsm", fmt(float(p["ecutsm"])),
         "-ngkpt", ",".join(str(n) for n in p["ngkpt"]), "-shiftk", j(p["shiftk"]),
         "-nband", str(p["nband"]), "-occopt", str(p["occopt"]), "-tsmear", fmt(p["tsmear"]),
         "-ixc", str(p["ixc"]), "-toldfe", fmt(toldfe), "-nstep", "100",
         "-tolmxf", fmt(tolmxf), "-ntime", str(ntime)]
    if p.get("ngfft"):
        o += ["-ngfft", ",".join(str(n) for n in p["ngfft"])]
    return o


def xred_diff(a, b):
    """Largest |a - b| over atoms and directions after wrapping into [-1/2, 1/2) and
    removing the mean displacement (a common translation is a zero mode)."""
    import numpy as np
    d = np.asarray(a, float) - np.asarray(b, float)
    d -= np.round(d)
    d -= d.mean(axis=0)
    return float(np.abs(d).max()), d
