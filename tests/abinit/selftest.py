#!/usr/bin/python3
"""Self-test of the harness without strainfield: ABINIT's own results, dressed as a
strainfield summary + fields file, must PASS compare.py; perturbed copies must FAIL.

usage: selftest.py CASE.json OUTDIR     (OUTDIR as for abinit_ref.py; reused as a cache)
"""
import copy
import json
import os
import subprocess
import sys
sys.dont_write_bytecode = True  # keep the source tree clean

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable


def ref_as_summary(ref):
    return {"version": "abinit-as-strainfield", "free_energy": ref["free_energy"],
            "energies": {k: ref["energies"][k] for k in
                         ["kinetic", "hartree", "xc", "local_psp", "nonlocal_psp", "ewald",
                          "psp_core", "band", "entropy_term"]},
            "fermi_energy": ref["fermi_energy"], "kpoints": ref["kpoints"],
            "weights": ref["weights"], "eigenvalues": ref["eigenvalues"],
            "occupations": ref["occupations"],
            "scf": {"iterations": ref["scf"]["iterations"], "converged": True,
                    "history": [h["etot"] for h in ref["scf"]["history"]]},
            "lattice": ref["lattice"], "xred": ref["xred"], "options": {}}


def write_fields(path, refdir, scale_rho=1.0):
    import h5py
    with h5py.File(path, "w") as h:
        h["rho"] = np.load(os.path.join(refdir, "ref_rho.npy")) * scale_rho
        h["phi"] = np.load(os.path.join(refdir, "ref_phi.npy"))
        h["lattice"] = np.asarray(json.load(open(os.path.join(refdir, "ref.json")))["lattice"])


def run_compare(case, refjson, summary, fields):
    cmd = [PY, os.path.join(HERE, "compare.py"), "--case", case, "--ref", refjson,
           "--summary", summary]
    if fields:
        cmd += ["--fields", fields]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def main():
    case, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
    subprocess.run([PY, os.path.join(HERE, "abinit_ref.py"), case, outdir],
                   check=True)
    refjson = os.path.join(outdir, "ref.json")
    ref = json.load(open(refjson))
    work = os.path.join(outdir, "selftest")
    os.makedirs(work, exist_ok=True)
    fields = os.path.join(work, "fields.h5")
    write_fields(fields, outdir)

    s0 = ref_as_summary(ref)
    trials = [("identical", s0, fields, 0)]
    # k -> -k + G, reversed order: must still match k-point by k-point
    s = copy.deepcopy(s0)
    s["kpoints"] = [[-x + 1.0 for x in k] for k in s["kpoints"]][::-1]
    s["weights"] = s["weights"][::-1]
    s["eigenvalues"] = s["eigenvalues"][::-1]
    trials.append(("k -> -k+G, reordered", s, fields, 0))
    # each k split in two half-weight copies: forces the quantile comparison
    s = copy.deepcopy(s0)
    s["kpoints"] = [k for k in s0["kpoints"] for _ in (0, 1)]
    s["weights"] = [w / 2 for w in s0["weights"] for _ in (0, 1)]
    s["eigenvalues"] = [e for e in s0["eigenvalues"] for _ in (0, 1)]
    trials.append(("different k set (quantiles)", s, fields, 0))
    # perturbations that must fail
    s = copy.deepcopy(s0); s["free_energy"] += 5e-5
    trials.append(("free_energy + 5e-5", s, fields, 1))
    s = copy.deepcopy(s0); s["energies"]["hartree"] += 1e-4
    trials.append(("E_hartree + 1e-4", s, fields, 1))
    s = copy.deepcopy(s0); s["eigenvalues"][0][0] += 1e-4
    trials.append(("one eigenvalue + 1e-4", s, fields, 1))
    s = copy.deepcopy(s0)
    s["kpoints"] = [k for k in s0["kpoints"] for _ in (0, 1)]
    s["weights"] = [w / 2 for w in s0["weights"] for _ in (0, 1)]
    s["eigenvalues"] = [e for e in s0["eigenvalues"] for _ in (0, 1)]
    s["eigenvalues"][-1] = [e + 1e-4 for e in s["eigenvalues"][-1]]
    trials.append(("quantile path, eigenvalues + 1e-4", s, fields, 1))
    s = copy.deepcopy(s0); s["fermi_energy"] += 1e-4
    trials.append(("fermi + 1e-4", s, fields, 1 if ref.get("entropy", 0) != 0 or
                   json.load(open(case))["occopt"] >= 3 else 0))
    s = copy.deepcopy(s0); del s["energies"]["band"]
    trials.append(("missing band energy", s, fields, 1))
    s = copy.deepcopy(s0); s["scf"]["converged"] = False
    trials.append(("not converged", s, fields, 1))
    f2 = os.path.join(work, "fields_bad.h5")
    write_fields(f2, outdir, scale_rho=1.001)
    trials.append(("rho * 1.001", s0, f2, 1))
    import h5py
    f3 = os.path.join(work, "fields_T.h5")
    with h5py.File(f3, "w") as h:
        r = np.load(os.path.join(outdir, "ref_rho.npy"))
        h["rho"] = np.ascontiguousarray(r.transpose(2, 1, 0)) if len(set(r.shape)) > 1 \
            else np.ascontiguousarray(np.roll(r, 1, axis=0))
        h["phi"] = np.load(os.path.join(outdir, "ref_phi.npy"))
    trials.append(("rho transposed/shifted", s0, f3, 1))

    bad = 0
    for i, (name, summ, fl, want) in enumerate(trials):
        p = os.path.join(work, f"summary_{i}.json")
        json.dump(summ, open(p, "w"))
        rc, out = run_compare(case, refjson, p, fl)
        ok = (rc == 0) == (want == 0) and rc in (0, 1)
        bad += not ok
        print(f"  {'ok  ' if ok else 'BAD '} {name:<36} compare rc={rc} (expected "
              f"{'0' if want == 0 else 'non-zero'})")
        if not ok or os.environ.get("VERBOSE"):
            print(out)
    print(f"selftest {os.path.basename(case)}: {len(trials) - bad}/{len(trials)} as expected")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
