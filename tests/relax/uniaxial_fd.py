#!/usr/bin/python3
"""Issue 3, item 2: one uniaxial point, e22 = -0.05, checked against our own finite
differences (ABINIT's optcell cannot hold one strain component fixed).

usage: uniaxial_fd.py STRAINFIELD_BIN WORKDIR [NPROCS] [--abinit-cache DIR]

The paper's orthorhombic Mg reference cell (acell 6.0646 10.5042 9.8477), mg.pseu,
ecut 8, ecutsm 0.5, 2x2x2 (shift 1/2), ngfft 16 27 27 pinned, occopt 4, tsmear 0.01.
Runs `strainfield relax -relax_cell uniaxial -uniaxial_dir 2` at
  A  e22 = e0 = -0.05            (the point)
  P  e22 = e0 + h,  M  e22 = e0 - h   (h = 2e-3, for the derivative)
  B  e22 = e0 from a different starting cell (the input cell is pre-strained by
     (+0.03, 0, -0.04) on x1, x3, so the strain relaxation starts elsewhere and
     its reference lattice differs; the final lattice is converted back).
Relation (envelope theorem): with relaxed atoms and the five free strain components
at their minimum, the relaxed free energy F(e22) has
  dF/de22 = dF/de22|_(other strains, atoms fixed) = Omega * sum_m sigma_2m (I+eps)^-1_2m
where a_i = (I + eps) a0_i (eps symmetric, relative to the reference lattice), sigma is
the Cauchy stress of the deformed cell (Ha/Bohr^3, ABINIT's sign: 1/Omega dE/deps) and
Omega its volume.  The FD side is [F(P) - F(M)] / 2h (error O(h^2)); the analytic side
uses A's summary stress and strain.  sigma22 is compared through
  sigma22_FD = ( [F(P)-F(M)]/2h / Omega - sum_{m!=2} sigma_2m Finv_2m ) / Finv_22 .
Checks: |sigma22 - sigma22_FD| <= 1e-6 Ha/Bohr^3; at A the five relaxed stress
components <= tolstress and forces <= tolmxf; B's transverse strains (relative to the
same reference) agree with A's to <= 1e-4, and so do all six strain components.

With --abinit-cache (and ABINIT in $ABINIT or /usr/bin/abinit), also ABINIT 9.6.2
(ionmov 2, optcell 2, dilatmx 1.05, same grid/k-points/ecutsm) relaxes the full cell
from the reference lattice with e22 = -0.05 applied to the target stress
strtarget = (0, sigma22, 0, 0, 0, 0), sigma22 = A's value (ABINIT's strtarget has the
sign of its stress tensor, 1/Omega dE/deps: negative = compressive; ABINIT converges
when strfact * max|sigma - strtarget| and the forces are < tolmxf, here 1e-6 with
strfact 100, i.e. the stress to 1e-8).  Its relaxed strain (e11, e22, e33 and the
shears) must match A's to <= 1e-4 and its free energy to 1e-6 Ha.  Cached in DIR.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relax_common as rc  # noqa: E402

E0, H = -0.05, 2e-3
TOLSTRESS, TOLMXF = 1e-8, 1e-6
TOL_SIGMA, TOL_STRAIN = 1e-6, 1e-4
PRE = [0.03, 0.0, -0.04]   # run B: input cell = reference stretched by (1 + PRE)


def run(exe, work, np_, tag, e22, acell, mpiexec):
    summ = os.path.join(work, f"{tag}.json")
    if os.path.exists(summ):
        os.remove(summ)
    j = lambda xs: ",".join(repr(float(x)) for x in xs)  # noqa: E731
    cmd = [mpiexec, "-np", str(np_), "--allow-run-as-root", "--oversubscribe", exe, "relax",
           "-relax_cell", "uniaxial", "-uniaxial_dir", "2", "-uniaxial_strain", repr(e22),
           "-acell", j(acell), "-znucl", "12", "-pseudos", rc.mg_psp(),
           "-xred", j([x for r in rc.REF_XRED for x in r]),
           "-ecut", "8", "-ecutsm", "0.5", "-ngkpt", "2,2,2", "-shiftk", "0.5,0.5,0.5",
           "-ngfft", "16,27,27", "-nband", "12", "-occopt", "4", "-tsmear", "0.01",
           "-toldfe", "1e-12", "-tolmxf", repr(TOLMXF), "-tolstress", repr(TOLSTRESS),
           "-summary", summ]
    print("== " + " ".join(cmd), flush=True)
    t0 = time.time()
    log = os.path.join(work, f"{tag}.log")
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                           env=dict(os.environ, OMP_NUM_THREADS="1"))
    if r.returncode != 0:
        print(open(log).read()[-3000:])
        raise SystemExit(f"FAIL  strainfield run {tag} exited with {r.returncode}")
    s = json.load(open(summ))
    u = s["uniaxial"]
    print(f"   {tag}: e22 {e22:+.4f}  F {s['free_energy']:.12f}  sigma22 {u['sigma']:+.9e}  "
          f"transverse {u['transverse_strains']}  cell steps {u['cell_steps']}  "
          f"({time.time() - t0:.1f} s)", flush=True)
    return s


def strain_vs(lattice, ref_rows):
    """Symmetric eps with a_i = (I + eps) a0_i, from the final and reference lattices."""
    A = np.asarray(lattice)          # rows a_i
    A0 = np.asarray(ref_rows)
    Fd = np.linalg.solve(A0, A).T    # A = A0 Fd^T
    return 0.5 * (Fd + Fd.T) - np.eye(3), Fd


def abinit_optcell(sigma22, cache):
    """ABINIT optcell 2 to strtarget (0, sigma22, 0, 0, 0, 0); returns (rprimd rows, etotal, hist length)."""
    import netCDF4
    acell = [rc.REF_ACELL[0], rc.REF_ACELL[1] * (1 + E0), rc.REF_ACELL[2]]
    L = ["# strainfield uniaxial cross-check: ABINIT relaxes the cell to a uniaxial target stress",
         "acell " + " ".join(repr(a) for a in acell), "natom 4", "ntypat 1", "znucl 12",
         "typat 1 1 1 1", "xred"] + ["   " + " ".join(repr(x) for x in r) for r in rc.REF_XRED]
    L += [f'pseudos "{rc.mg_psp()}"', "ecut 8", "ecutsm 0.5", "ngfft 16 27 27", "chkprim 0",
          "kptopt 1", "ngkpt 2 2 2", "nshiftk 1", "shiftk 0.5 0.5 0.5", "nband 12", "occopt 4",
          "tsmear 0.01", "ixc 7", "toldfe 1e-12", "nstep 100", "ionmov 2", "optcell 2",
          "dilatmx 1.05", f"strtarget 0 {sigma22:.6e} 0 0 0 0", "ntime 60", "tolmxf 1e-6",
          "strfact 100", "iomode 3", "prtwf 0", "prtden 0", "prteig 0"]
    d = os.path.join(cache, "relax_uniaxial_optcell2")
    info, cached = rc.run_abinit("\n".join(L) + "\n", d,
                                 exe=os.environ.get("ABINIT", "/usr/bin/abinit"))
    g = netCDF4.Dataset(os.path.join(d, "runo_HIST.nc"))
    rp = np.array(g["rprimd"][-1])
    et = float(g["etotal"][-1])
    n = len(g["etotal"][:])
    st = np.array(g["strten"][-1])
    g.close()
    conv = "gradients are converged" in open(os.path.join(d, "run.abo")).read()
    print(f"   ABINIT optcell 2 ({'cached' if cached else 'ran'}, {info['wall']:.1f} s): {n} steps, "
          f"F {et:.12f}, strten {st}", flush=True)
    return rp, et, n, conv


def main():
    cache = None
    if "--abinit-cache" in sys.argv:
        i = sys.argv.index("--abinit-cache")
        cache = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    exe, work = sys.argv[1:3]
    np_ = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    mpiexec = os.environ.get("MPIEXEC", "mpirun")
    os.makedirs(work, exist_ok=True)
    ref = rc.REF_ACELL
    A = run(exe, work, np_, "A", E0, ref, mpiexec)
    P = run(exe, work, np_, "P", E0 + H, ref, mpiexec)
    M = run(exe, work, np_, "M", E0 - H, ref, mpiexec)
    B = run(exe, work, np_, "B", E0, [a * (1 + p) for a, p in zip(ref, PRE)], mpiexec)

    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok    " if cond else "FAIL  ") + what)
        ok = ok and cond

    print("\n== checks")
    u = A["uniaxial"]
    eps = np.asarray(u["eps"])
    sig = np.asarray(A["stress"])
    Fd = np.eye(3) + eps
    Finv = np.linalg.inv(Fd)
    omega = abs(np.linalg.det(np.asarray(A["lattice"])))
    dFde = (P["free_energy"] - M["free_energy"]) / (2 * H)
    analytic = omega * float(sig[1] @ Finv[1])
    off = float(sig[1] @ Finv[1] - sig[1, 1] * Finv[1, 1])
    s_fd = (dFde / omega - off) / Finv[1, 1]
    print(f"   Omega = {omega:.6f} Bohr^3, dF/de22 FD = {dFde:.9e} Ha, "
          f"Omega [sigma (I+eps)^-T]_22 = {analytic:.9e} Ha")
    print(f"   sigma22: summary {u['sigma']:+.9e}, FD {s_fd:+.9e} Ha/Bohr^3")
    check(abs(u["sigma"] - s_fd) <= TOL_SIGMA,
          f"sigma22 vs FD: |diff| = {abs(u['sigma'] - s_fd):.2e} <= {TOL_SIGMA:g} Ha/Bohr^3")
    check(abs(u["sigma"] - sig[1, 1]) <= 1e-10, "uniaxial.sigma == stress[1][1] of the final state")
    check(u["converged"] and A["relax"]["converged"], "A: uniaxial and atomic relaxation converged")
    free = [(0, 0), (2, 2), (0, 1), (0, 2), (1, 2)]
    mres = max(abs(sig[k, l]) for k, l in free)
    check(mres <= TOLSTRESS, f"A: five relaxed stress components max {mres:.2e} <= tolstress {TOLSTRESS:g}")
    fmax = float(np.linalg.norm(np.asarray(A["forces"]), axis=1).max())
    check(fmax <= TOLMXF, f"A: max force {fmax:.2e} <= tolmxf {TOLMXF:g}")
    check(abs(eps[1, 1] - E0) <= 1e-12, "A: eps22 held at -0.05")

    ref_rows = np.diag(ref)
    eA, _ = strain_vs(A["lattice"], ref_rows)
    eB, _ = strain_vs(B["lattice"], ref_rows)
    check(np.abs(eA - eps).max() <= 1e-9, "A: strain from the final lattice == summary eps")
    tA = [eA[0, 0], eA[2, 2]]
    tB = [eB[0, 0], eB[2, 2]]
    d = max(abs(a - b) for a, b in zip(tA, tB))
    print(f"   transverse strains (e11, e33): A {tA[0]:+.6f} {tA[1]:+.6f}   "
          f"B (other start) {tB[0]:+.6f} {tB[1]:+.6f}")
    check(B["uniaxial"]["converged"], "B: converged")
    check(d <= TOL_STRAIN, f"transverse strains, two starting cells: max diff {d:.2e} <= {TOL_STRAIN:g}")
    check(np.abs(eA - eB).max() <= TOL_STRAIN,
          f"all strain components, two starting cells: max diff {np.abs(eA - eB).max():.2e}")
    check(abs(eB[1, 1] - E0) <= 1e-9, "B: eps22 relative to the reference = -0.05")
    dS = abs(A["free_energy"] - B["free_energy"])
    check(dS <= 1e-8, f"A and B free energies agree: {dS:.2e} Ha")
    res_ab = {}
    if cache:
        rp, et, n, conv = abinit_optcell(u["sigma"], cache)
        eX, _ = strain_vs(rp, ref_rows)
        dX = float(np.abs(eX - eA).max())
        print(f"   ABINIT strain (e11, e22, e33): {eX[0, 0]:+.6f} {eX[1, 1]:+.6f} {eX[2, 2]:+.6f}   "
              f"strainfield {eA[0, 0]:+.6f} {eA[1, 1]:+.6f} {eA[2, 2]:+.6f}")
        check(conv, "ABINIT optcell 2 reached its stress/force tolerance")
        check(dX <= TOL_STRAIN, f"ABINIT optcell 2 to strtarget (0, sigma22, 0, 0, 0, 0): all strain "
              f"components match, max diff {dX:.2e} <= {TOL_STRAIN:g}")
        check(abs(et - A["free_energy"]) <= 1e-6,
              f"ABINIT optcell 2 free energy matches: {abs(et - A['free_energy']):.2e} Ha")
        res_ab = {"abinit_strain": eX.tolist(), "abinit_strain_diff": dX, "abinit_steps": n,
                  "abinit_F_diff": abs(et - A["free_energy"])}
    json.dump(dict(res_ab, **{"sigma22": u["sigma"], "sigma22_fd": s_fd, "dFde_fd": dFde, "dFde_analytic": analytic,
               "transverse_A": tA, "transverse_B": tB, "max_relaxed_stress": mres,
               "cell_steps": {k: v["uniaxial"]["cell_steps"] for k, v in
                              (("A", A), ("P", P), ("M", M), ("B", B))}}),
              open(os.path.join(work, "result.json"), "w"), indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
