#!/usr/bin/python3
"""`strainfield elastic` (issue 14): the relaxed-ion elastic tensor from finite differences of
the DFT stress, checked against finite differences of DFT energies at the same settings.

usage: elastic_fd.py MODE      (MODE: fd | demo | ranks | resume | errors)
environment: SF_EXE (the binary), SF_SOURCE (the repository), SF_WORK (a scratch folder),
             MPIEXEC (mpirun)

The checks:
  fd     tests/generate/tiny.opts with a 2x2x2 k-mesh (the 1 k-point tiny cell is not a
         minimum: its atoms leave the symmetric sites under a shear).  `elastic` at
         delta and delta/2; the same C from the relaxed free energies,
             C_bb = [F(+d e_b) - 2 F(0) + F(-d e_b)] / (V d^2),
             C_ab = [F(++) - F(+-) - F(-+) + F(--)] / (4 V d^2),
         the strained cells built here from the exact Lagrangian strain
         (lattice rows a_i Fd, Fd = (I + 2 eta)^1/2), atoms relaxed by `relax`.  Both
         estimates carry O(d^2) errors of their own (the cell is anharmonic: its shear
         constants come from a k-mesh artefact); extrapolated to d -> 0
         (Richardson, (4 C(d/2) - C(d)) / 3) they must agree to 2e-3 of max |C|, and at
         d/2 they must be closer than at d.  C symmetric before symmetrisation to 1e-3;
         the JSON consistent with itself (GPa keys, Wallace's B and its Mandel
         eigenvalues, VRH moduli recomputed here).
  demo   the same at configs/demo.opts' physics (label slow).
  ranks  1 rank against 2 ranks (two sample groups) and 2 ranks in one group (k-point
         parallel): C equal to 1e-9 of max |C| (measured 0 and 3e-13).
  resume SIGTERM after the first cells: exit 75, the finished cells kept; a -resume with
         other settings refused naming the part; -resume completes to the C of an
         uninterrupted run (1e-9 of max |C|) with the kept cells reused.
  errors bad input: one line naming the option, exit code 2, no summary written.
"""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

EXE = os.environ["SF_EXE"]
SRC = os.environ["SF_SOURCE"]
WORK = os.environ["SF_WORK"]
MPIEXEC = os.environ.get("MPIEXEC") or "mpirun"
GPA = 29421.0156965221
VOIGT = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
PAIRS = [(0, 1), (0, 2), (1, 2)]  # the off-diagonal constants an orthorhombic cell has
TINY = [os.path.join(SRC, "tests/generate/tiny.opts"), "-ngkpt", "2,2,2", "-pseudos", "mg.pseu"]
TIGHT = ["-tolmxf", "1e-6", "-toldfe", "1e-12"]
ok = True


def check(cond, what):
    global ok
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    ok = ok and bool(cond)


def run(args, np_=1, expect=0, **kw):
    cmd = ([MPIEXEC, "-np", str(np_), "--allow-run-as-root", "--oversubscribe"] if np_ > 1 else []) + [EXE] + args
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, **kw)
    if expect is not None and r.returncode != expect:
        print(" ".join(cmd), "\n", r.stdout[-3000:], r.stderr[-3000:])
        raise SystemExit(f"FAIL  exit code {r.returncode}, expected {expect}")
    return r


def opts(physics):
    """The options file and overrides of a physics setting."""
    if physics == "tiny":
        return ["-options_file"] + TINY
    path = os.path.join(WORK, "demo_phys.opts")
    keep = ("-acell", "-xred", "-znucl", "-typat", "-ecut", "-ecutsm", "-ngfft", "-ngkpt", "-shiftk", "-nband",
            "-occopt", "-tsmear", "-ixc")
    with open(os.path.join(SRC, "configs/demo.opts")) as f, open(path, "w") as g:
        for line in f:
            if line.split() and line.split()[0] in keep:
                g.write(line)
        g.write(f"-pseudos {os.path.join(SRC, 'data/psp/mg.pseu')}\n")
    return ["-options_file", path]


def elastic(physics, delta, tag, np_=1, extra=()):
    out = os.path.join(WORK, f"{tag}.json")
    if os.path.exists(out):
        os.remove(out)
    t0 = time.time()
    run(["elastic"] + opts(physics) + TIGHT + ["-elastic_delta", repr(delta), "-summary", out, "-verbosity", "0"]
        + list(extra), np_)
    print(f"   elastic {tag}: {time.time() - t0:.1f} s on {np_} rank(s)", flush=True)
    return json.load(open(out))


def stretch(eta):
    m = np.eye(3)
    for a, (i, j) in enumerate(VOIGT):
        m[i, j] += eta[a] * (2 if i == j else 1)
        if i != j:
            m[j, i] += eta[a]
    w, q = np.linalg.eigh(m)
    return q @ np.diag(np.sqrt(w)) @ q.T


def relaxed_F(physics, lattice0, eta, tag):
    lat = np.asarray(lattice0) @ stretch(eta)
    out = os.path.join(WORK, f"F_{tag}.json")
    run(["relax"] + opts(physics) + TIGHT + ["-acell", "1,1,1", "-rprim", ",".join(repr(x) for x in lat.ravel()),
                                             "-summary", out, "-verbosity", "0"])
    s = json.load(open(out))
    check(s["relax"]["converged"], f"relax {tag}: converged")
    return s["free_energy"]


def energy_C(physics, E, tag):
    """C from second differences of the relaxed F: the diagonal from elastic's own cells,
    the off-diagonal pairs from four more relaxations each."""
    d, n, cells = E["delta"], E["points_per_component"], E["cells"]
    L0, F0 = cells[0]["lattice"], cells[0]["free_energy"]
    V = abs(np.linalg.det(np.asarray(L0)))
    C = np.full((6, 6), np.nan)
    for b in range(6):
        Fm, Fp = cells[1 + b * n]["free_energy"], cells[2 + b * n]["free_energy"]
        check(cells[1 + b * n]["eta"][b] == -d and cells[2 + b * n]["eta"][b] == d, f"cells of component {b + 1}: +-d")
        C[b, b] = (Fp - 2 * F0 + Fm) / (V * d * d)
    for a, b in PAIRS:
        F = {}
        for sa in (1, -1):
            for sb in (1, -1):
                eta = np.zeros(6)
                eta[a], eta[b] = sa * d, sb * d
                F[sa, sb] = relaxed_F(physics, L0, eta, f"{tag}_{a}{b}_{sa}{sb}")
        C[a, b] = C[b, a] = (F[1, 1] - F[1, -1] - F[-1, 1] + F[-1, -1]) / (4 * V * d * d)
    return C


def self_consistent(E, tag):
    """The summary agrees with itself: GPa keys, Wallace's B, its Mandel eigenvalues, VRH."""
    C, s = np.array(E["elastic_tensor"]), np.array(E["stress"])
    check(np.allclose(np.array(E["elastic_tensor_GPa"]), GPA * C, rtol=1e-14, atol=0), f"{tag}: elastic_tensor_GPa")
    check(np.array_equal(C, C.T), f"{tag}: C symmetric")
    check(E["elastic_tensor_asymmetry"] <= 1e-3, f"{tag}: asymmetry before symmetrisation "
          f"{E['elastic_tensor_asymmetry']:.2e} <= 1e-3")
    d = np.eye(3)
    B = np.zeros((6, 6))
    for al, (i, j) in enumerate(VOIGT):
        for be, (k, l) in enumerate(VOIGT):
            B[al, be] = C[al, be] + 0.5 * (d[i, k] * s[j, l] + d[j, k] * s[i, l] + d[i, l] * s[j, k] + d[j, l] * s[i, k]) \
                - 0.5 * (s[i, j] * d[k, l] + d[i, j] * s[k, l])
    m = np.array([1, 1, 1, 2 ** 0.5, 2 ** 0.5, 2 ** 0.5])
    w = np.linalg.eigvalsh(0.5 * (B + B.T) * np.outer(m, m))
    check(np.abs(w - np.array(E["stability_eigenvalues"])).max() <= 1e-12 * np.abs(w).max(),
          f"{tag}: stability eigenvalues = Mandel eigenvalues of Wallace's B")
    check(E["stable"] == bool(w[0] > 0), f"{tag}: stable = lowest eigenvalue > 0")
    S = np.linalg.inv(C)
    KV = (C[0, 0] + C[1, 1] + C[2, 2] + 2 * (C[0, 1] + C[0, 2] + C[1, 2])) / 9
    KR = 1 / (S[0, 0] + S[1, 1] + S[2, 2] + 2 * (S[0, 1] + S[0, 2] + S[1, 2]))
    check(abs(GPA * (KV + KR) / 2 - E["bulk_modulus_vrh_GPa"]) <= 1e-9 * abs(GPA * KV), f"{tag}: VRH bulk modulus")


def t_fd(physics="tiny"):
    os.makedirs(WORK, exist_ok=True)
    d = 0.005
    E1, E2 = elastic(physics, d, "d1"), elastic(physics, d / 2, "d2")
    for E, tag in ((E1, "delta"), (E2, "delta/2")):
        self_consistent(E, tag)
    Cs1, Cs2 = np.array(E1["elastic_tensor"]), np.array(E2["elastic_tensor"])
    Ce1, Ce2 = energy_C(physics, E1, "d1"), energy_C(physics, E2, "d2")
    mask = ~np.isnan(Ce1)
    big = np.abs(Cs2).max()
    Rs, Re = (4 * Cs2 - Cs1) / 3, (4 * Ce2 - Ce1) / 3
    print("   component   stress FD d, d/2, extrapolated | energy FD d, d/2, extrapolated (GPa)")
    for a in range(6):
        for b in range(a, 6):
            if mask[a, b]:
                print(f"   C{a + 1}{b + 1}  {GPA * Cs1[a, b]:9.3f} {GPA * Cs2[a, b]:9.3f} {GPA * Rs[a, b]:9.3f} | "
                      f"{GPA * Ce1[a, b]:9.3f} {GPA * Ce2[a, b]:9.3f} {GPA * Re[a, b]:9.3f}")
    e1, e2 = np.abs(Cs1 - Ce1)[mask].max() / big, np.abs(Cs2 - Ce2)[mask].max() / big
    eR = np.abs(Rs - Re)[mask].max() / big
    check(e2 < e1, f"stress FD vs energy FD closer at d/2 ({e2:.2e} of max |C|) than at d ({e1:.2e})")
    check(eR <= 2e-3, f"extrapolated to d -> 0: stress FD vs energy FD {eR:.2e} of max |C| <= 2e-3")
    json.dump({"stress_fd": [Cs1.tolist(), Cs2.tolist()], "energy_fd": [np.where(mask, Ce1, 0).tolist(),
               np.where(mask, Ce2, 0).tolist()], "diff_d": e1, "diff_d2": e2, "diff_extrapolated": eR},
              open(os.path.join(WORK, "result.json"), "w"), indent=1)


def t_demo():
    t_fd("demo")


def t_ranks():
    os.makedirs(WORK, exist_ok=True)
    E1 = elastic("tiny", 0.005, "np1")
    E2 = elastic("tiny", 0.005, "np2", np_=2)
    E3 = elastic("tiny", 0.005, "np2_one_group", np_=2, extra=["-par_sample_groups", "1"])
    C1 = np.array(E1["elastic_tensor"])
    for E, tag in ((E2, "2 ranks, 2 sample groups"), (E3, "2 ranks, 1 sample group (k-points split)")):
        diff = np.abs(np.array(E["elastic_tensor"]) - C1).max() / np.abs(C1).max()
        check(diff <= 1e-9, f"1 rank vs {tag}: C differs by {diff:.1e} of max |C| <= 1e-9")


def t_resume():
    os.makedirs(WORK, exist_ok=True)
    full = elastic("tiny", 0.005, "uninterrupted")
    out = os.path.join(WORK, "stopped.json")
    parts = out + ".parts"
    for f in (os.listdir(parts) if os.path.isdir(parts) else []):
        os.remove(os.path.join(parts, f))
    if os.path.exists(out):
        os.remove(out)
    check(not os.path.exists(os.path.join(WORK, "uninterrupted.json.parts")), "a finished run removes its parts")
    cmd = [EXE, "elastic"] + opts("tiny") + TIGHT + ["-summary", out, "-verbosity", "0"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not os.path.exists(os.path.join(parts, "cell_02.json")) and time.time() - t0 < 120 and p.poll() is None:
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    kept = sorted(os.listdir(parts))
    check(p.returncode == 75, f"SIGTERM: exit code {p.returncode} == 75 ({err.strip().splitlines()[-1:]})")
    check(not os.path.exists(out) and 3 <= len(kept) < 13, f"stopped: no summary, {len(kept)} cells kept")
    check("-resume" in err, "the message says to rerun with -resume")
    r = run(["elastic"] + opts("tiny") + TIGHT + ["-tsmear", "0.011", "-summary", out, "-resume"], expect=2)
    check("other settings" in r.stderr and "cell_00.json" in r.stderr,
          f"-resume with another -tsmear refused: {r.stderr.strip().splitlines()[-1]}")
    run(["elastic"] + opts("tiny") + TIGHT + ["-summary", out, "-resume", "-verbosity", "0"])
    E = json.load(open(out))
    nreused = sum(c["reused"] for c in E["cells"])
    check(nreused == len(kept), f"-resume reused the {len(kept)} kept cells ({nreused})")
    C0, C = np.array(full["elastic_tensor"]), np.array(E["elastic_tensor"])
    diff = np.abs(C - C0).max() / np.abs(C0).max()
    check(diff <= 1e-9, f"resumed C equals the uninterrupted run's: {diff:.1e} of max |C| <= 1e-9")
    check(not os.path.exists(parts), "the resumed run removed its parts")


def t_errors():
    os.makedirs(WORK, exist_ok=True)
    out = os.path.join(WORK, "bad.json")
    # (extra options, the option the message names, ranks, exit code: 2 bad input, 3 a file)
    cases = [(["-elastic_delta", "0"], "-elastic_delta", 1, 2), (["-elastic_delta", "0.2"], "-elastic_delta", 1, 2),
             (["-elastic_points", "3"], "-elastic_points", 1, 2),
             (["-fields", os.path.join(WORK, "f.h5")], "-fields", 1, 2),
             (["-par_sample_groups", "3"], "-par_sample_groups", 2, 2),
             (["-summary", os.path.join(WORK, "no/x.json")], "-summary", 1, 3),
             (["-summary", os.path.join(SRC, "data/psp/mg.pseu")], "-summary", 1, 2)]
    for extra, name, np_, code in cases:
        args = ["elastic"] + opts("tiny") + ["-summary", out] + extra
        r = run(args, np_=np_, expect=None)
        msg = [m for m in r.stderr.splitlines() if m.startswith("strainfield: error:")]
        check(r.returncode == code and len(msg) == 1 and name in msg[0] and not os.path.exists(out),
              f"{' '.join(extra)}: exit {r.returncode} (expected {code}), '{msg[0] if msg else r.stderr[-300:]}'")
    r = run(["elastic"] + opts("tiny"), expect=None)
    check(r.returncode == 2 and "-summary" in r.stderr, f"no -summary: exit {r.returncode}")


if __name__ == "__main__":
    globals()["t_" + sys.argv[1]]()
    sys.exit(0 if ok else 1)
