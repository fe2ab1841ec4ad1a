#!/usr/bin/python3
"""Compare a strainfield result with an ABINIT reference made by abinit_ref.py.

usage: compare.py --case CASE.json --ref OUTDIR/ref.json --summary strainfield.json
                  [--fields strainfield.h5] [--tol-energy 1e-5] [--tol-term 2e-5]
                  [--tol-eig 1e-5] [--tol-fermi 1e-5] [--tol-rho 1e-5] [--tol-phi 1e-5]

Prints one row per quantity (strainfield, ABINIT, |diff|, tol, PASS/FAIL/INFO) and
exits 1 if any row FAILs (2 on a usage or file error).

Eigenvalues: strainfield and ABINIT may choose different irreducible k-points.
1. If every strainfield k-point matches one ABINIT k-point (k' = +-k modulo a
   reciprocal lattice vector, tolerance 1e-6) with equal weight, eigenvalues are
   compared k-point by k-point.
2. Otherwise, for each band n the weighted distribution {(w_k, e_nk)} of each code
   is compared: both are sorted and the largest gap between their weighted quantile
   functions is taken (the infinity-Wasserstein distance). Equivalent k-points have
   equal eigenvalues, so this is independent of the choice of irreducible set.
"""
import argparse
import json
import math
import os
import sys
sys.dont_write_bytecode = True  # keep the source tree clean

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfcase import load_case  # noqa: E402

TERMS = ["kinetic", "hartree", "xc", "local_psp", "nonlocal_psp", "ewald", "psp_core",
         "band", "entropy_term"]


DEFAULT_TOLS = {"energy": 1e-5, "term": 2e-5, "eig": 1e-5, "fermi": 1e-5, "rho": 1e-5,
                "phi": 1e-5, "lattice": 1e-8, "force": 1e-5, "stress": 2e-7}
VOIGT = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]


def compare_forces_stress(t, args, sf, ref):
    """Cases with "forces_stress": true: Cartesian forces (the lattice rows may be rotated
    from ABINIT's only if the forces are rotated too, so the cell must be ABINIT's) and the
    stress tensor, both as printed after ABINIT's removal of the mean force."""
    for key, name, tol in (("forces", "forces max|d| (Ha/Bohr)", args.tol_force),
                           ("stress_voigt", "stress max|d| (Ha/Bohr^3)", args.tol_stress)):
        if key not in ref:
            t.add(name, None, None, tol, "FAIL", "not in the ABINIT reference")
            continue
        if key == "forces":
            a = np.asarray(sf.get("forces", []), float)
        else:
            s3 = np.asarray(sf.get("stress", []), float)
            a = np.array([s3[i, j] for i, j in VOIGT]) if s3.shape == (3, 3) else np.array([])
        b = np.asarray(ref[key], float)
        if a.shape != b.shape:
            t.add(name, None, None, tol, "FAIL", f"missing or shape {a.shape} vs {b.shape}")
            continue
        d = float(np.max(np.abs(a - b)))
        t.add(name, None, None, tol, "PASS" if d <= tol else "FAIL",
              f"{d:.3e} (largest |value| {np.max(np.abs(b)):.3e})")
    lat_same = np.max(np.abs(np.asarray(sf.get("lattice", ref["lattice"])) - np.asarray(ref["lattice"])))
    if lat_same > 1e-8:
        t.add("forces/stress frame", None, None, 0, "FAIL", "lattice rows differ from ABINIT's")


def _case_tols(path):
    """Optional "tolerances": {"energy": .., "eig": ..} in the case file."""
    try:
        with open(path) as f:
            return {k: float(v) for k, v in json.load(f).get("tolerances", {}).items()
                    if k in DEFAULT_TOLS}
    except (OSError, ValueError):
        return {}


class Table:
    def __init__(self):
        self.rows = []

    def add(self, name, sf, ab, tol, status=None, note=""):
        diff = None
        if sf is not None and ab is not None:
            diff = abs(sf - ab)
        if status is None:
            if diff is None or not math.isfinite(diff):
                status = "FAIL"
            else:
                status = "PASS" if diff <= tol else "FAIL"
        self.rows.append((name, sf, ab, diff, tol, status, note))

    def failed(self):
        return [r for r in self.rows if r[5] == "FAIL"]

    def show(self):
        def f(x, w=20):
            if x is None:
                return "-".rjust(w)
            if isinstance(x, str):
                return x.rjust(w)
            return f"{x:{w}.12g}" if w == 20 else f"{x:{w}.2e}"
        print(f"{'quantity':<28}{'strainfield':>20}{'abinit':>20}{'|diff|':>10}"
              f"{'tol':>10}  status")
        for name, sf, ab, diff, tol, st, note in self.rows:
            print(f"{name:<28}{f(sf)}{f(ab)}{f(diff, 10)}{f(tol, 10)}  {st}"
                  + (f"  ({note})" if note else ""))


def match_kpoints(k_sf, w_sf, k_ab, w_ab, tol=1e-6):
    """Index into ABINIT's list for each strainfield k-point, or None if no 1:1 match."""
    if len(k_sf) != len(k_ab):
        return None
    used, idx = set(), []
    for k, w in zip(k_sf, w_sf):
        found = None
        for j, (q, wq) in enumerate(zip(k_ab, w_ab)):
            if j in used or abs(w - wq) > 1e-8:
                continue
            for s in (1, -1):
                d = k - s * q
                if np.all(np.abs(d - np.round(d)) < tol):
                    found = j
                    break
            if found is not None:
                break
        if found is None:
            return None
        used.add(found)
        idx.append(found)
    return idx


def quantile_gap(w1, e1, w2, e2):
    """Max |Q1(t) - Q2(t)| over t in (0,1) for weighted samples (weights normalised)."""
    w1 = np.asarray(w1, float) / np.sum(w1)
    w2 = np.asarray(w2, float) / np.sum(w2)
    o1, o2 = np.argsort(e1), np.argsort(e2)
    e1, w1, e2, w2 = np.asarray(e1)[o1], w1[o1], np.asarray(e2)[o2], w2[o2]
    c1, c2 = np.cumsum(w1), np.cumsum(w2)
    cuts = np.unique(np.concatenate([[0.0], c1, c2]))
    cuts = cuts[cuts <= 1.0 + 1e-12]
    mids = 0.5 * (cuts[:-1] + cuts[1:])
    mids = mids[(cuts[1:] - cuts[:-1]) > 1e-10]
    i1 = np.minimum(np.searchsorted(c1, mids), len(e1) - 1)
    i2 = np.minimum(np.searchsorted(c2, mids), len(e2) - 1)
    return float(np.max(np.abs(e1[i1] - e2[i2]))) if len(mids) else 0.0


def metric(lat):
    a = np.asarray(lat, float).reshape(3, 3)
    return a @ a.T


def compare_fields(t, args, ref, refdir):
    import h5py
    with h5py.File(args.fields, "r") as h:
        for name, tol in (("rho", args.tol_rho), ("phi", args.tol_phi)):
            rf = os.path.join(refdir, ref.get("field_files", {}).get(name, f"ref_{name}.npy"))
            if name not in h:
                t.add(f"field {name}", None, None, tol, "FAIL", "missing in fields file")
                continue
            if not os.path.exists(rf):
                t.add(f"field {name}", None, None, tol, "INFO", "no ABINIT reference")
                continue
            a = np.asarray(h[name][...], float)
            b = np.load(rf)
            if a.shape != b.shape:
                t.add(f"field {name} shape", None, None, 0, "FAIL",
                      f"strainfield {a.shape} vs abinit {b.shape}")
                continue
            d = np.abs(a - b)
            t.add(f"max|{name}|", float(np.max(np.abs(a))), float(np.max(np.abs(b))), 0, "INFO")
            t.add(f"max|d{name}|", None, None, tol,
                  "PASS" if np.max(d) <= tol else "FAIL", f"{np.max(d):.3e}")
            # Index of the worst point helps spot a transposed or shifted grid.
            if np.max(d) > tol:
                i = np.unravel_index(np.argmax(d), d.shape)
                t.rows[-1] = t.rows[-1][:6] + (f"{np.max(d):.3e} at {tuple(int(x) for x in i)}",)
            if name == "phi":
                dm = a - a.mean() - (b - b.mean())
                t.add("max|dphi| (means removed)", None, None, tol, "INFO",
                      f"{np.max(np.abs(dm)):.3e}; mean sf {a.mean():.3e} abinit {b.mean():.3e}")
        for name in ("u", "s"):
            if name not in h:
                t.add(f"field {name}", None, None, 0, "INFO", "not present")


def main():
    ap = argparse.ArgumentParser(description="Compare strainfield with an ABINIT reference")
    ap.add_argument("--case", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--fields")
    tols = dict(DEFAULT_TOLS)
    for a in sys.argv[1:]:                  # a case may loosen/tighten its own defaults
        if a.startswith("--case="):
            tols.update(_case_tols(a.split("=", 1)[1]))
    if "--case" in sys.argv[1:-1]:
        tols.update(_case_tols(sys.argv[sys.argv.index("--case") + 1]))
    for k, v in tols.items():
        ap.add_argument("--tol-" + k, type=float, default=v)
    args = ap.parse_args()

    try:
        case = load_case(args.case)
        with open(args.ref) as f:
            ref = json.load(f)
        with open(args.summary) as f:
            sf = json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    refdir = os.path.dirname(os.path.abspath(args.ref))
    t = Table()
    print(f"case {case['name']}: strainfield {sf.get('version', '?')} vs {ref.get('abinit_version', '?')}"
          f" (ABINIT ixc {ref.get('ixc')})")

    # --- geometry: same cell up to a rotation (compare metric tensors), same atoms
    if "lattice" in sf:
        g1, g2 = metric(sf["lattice"]), metric(ref["lattice"])
        t.add("lattice metric max|dG|", None, None, args.tol_lattice,
              "PASS" if np.max(np.abs(g1 - g2)) <= args.tol_lattice * max(1, np.max(np.abs(g2))) else "FAIL",
              f"{np.max(np.abs(g1 - g2)):.2e}")
        if np.max(np.abs(np.asarray(sf["lattice"]) - np.asarray(ref["lattice"]))) > 1e-8:
            t.rows.append(("lattice orientation", None, None, None, 0, "INFO",
                           "rows differ from ABINIT's (rotation only)"))
    if "xred" in sf:
        d = np.asarray(sf["xred"], float) - np.asarray(ref["xred"], float)
        d -= np.round(d)
        t.add("xred max|d|", None, None, 1e-8, "PASS" if np.max(np.abs(d)) < 1e-8 else "FAIL",
              f"{np.max(np.abs(d)):.1e}")

    # --- energies
    t.add("free_energy (Ha)", sf.get("free_energy"), ref["free_energy"], args.tol_energy)
    se = sf.get("energies", {})
    for k in TERMS:
        tol = args.tol_term
        if k == "entropy_term" and case["occopt"] < 3:
            tol = max(tol, 1e-12)
        if k not in se:
            t.add(f"E_{k}", None, ref["energies"][k], tol, "FAIL", "missing in summary")
        else:
            t.add(f"E_{k}", se[k], ref["energies"][k], tol)
    if "free_energy" in sf and all(k in se for k in TERMS[:7] + ["entropy_term"]):
        s = sum(se[k] for k in TERMS[:7]) + se["entropy_term"]
        t.add("sum of terms - free_energy", s - sf["free_energy"], 0.0, 1e-8,
              note="internal consistency of the summary")

    # --- Fermi level (for occopt 1 ABINIT prints the HOMO: informative only)
    if case["occopt"] >= 3:
        t.add("fermi_energy (Ha)", sf.get("fermi_energy"), ref["fermi_energy"], args.tol_fermi)
    else:
        t.add("fermi/HOMO (Ha)", sf.get("fermi_energy"), ref["fermi_energy"], args.tol_fermi,
              "INFO", "occopt 1: not compared")

    # --- k-points and eigenvalues
    ksf = np.asarray(sf.get("kpoints", []), float).reshape(-1, 3)
    wsf = np.asarray(sf.get("weights", []), float)
    esf = np.asarray(sf.get("eigenvalues", []), float)
    kab = np.asarray(ref["kpoints"], float)
    wab = np.asarray(ref["weights"], float)
    eab = np.asarray(ref["eigenvalues"], float)
    t.add("nkpt", float(len(ksf)), float(len(kab)), 0, "INFO" if len(ksf) else "FAIL")
    if len(ksf) and len(wsf) == len(ksf) and esf.ndim == 2 and esf.shape[0] == len(ksf):
        t.add("sum of weights", float(wsf.sum()), float(wab.sum()), 1e-10)
        # Same stars whatever representatives were chosen: the multisets of weights agree
        # (ABINIT may rewrite several shifts as one kptrlatt, so the points themselves differ).
        if len(wsf) == len(wab):
            dw = float(np.max(np.abs(np.sort(wsf) - np.sort(wab))))
            t.add("weights (sorted) max|d|", None, None, 1e-12,
                  "PASS" if dw <= 1e-12 else "FAIL", f"{dw:.1e}")
        nb = min(esf.shape[1], eab.shape[1])
        if esf.shape[1] > eab.shape[1]:
            t.add("nband", float(esf.shape[1]), float(eab.shape[1]), 0, "FAIL")
        idx = match_kpoints(ksf, wsf, kab, wab)
        if idx is not None:
            d = np.abs(esf[:, :nb] - eab[idx, :nb])
            how = "k-points matched (k or -k mod G)"
        else:
            d = np.array([quantile_gap(wsf, esf[:, n], wab, eab[:, n]) for n in range(nb)])
            how = "different k sets: weighted per-band quantiles"
        t.add("eigenvalues max|d| (Ha)", None, None, args.tol_eig,
              "PASS" if np.max(d) <= args.tol_eig else "FAIL", f"{np.max(d):.3e}; {how}")
        # Occupied-band-only view is what enters the energy; report it too.
        if case["occopt"] >= 3:
            occ = eab[:, :nb] < ref["fermi_energy"] + 5 * case["tsmear"]
            nocc = int(np.max(np.nonzero(occ.any(axis=0))[0])) + 1
        else:
            nocc = int(round(ref["nelect"] / 2))
        dm = d[:, :nocc] if d.ndim == 2 else d[:nocc]
        t.add(f"eig max|d| bands 1..{nocc}", None, None, args.tol_eig, "INFO", f"{np.max(dm):.3e}")
    elif "eigenvalues" not in sf:
        t.add("eigenvalues", None, None, args.tol_eig, "FAIL", "missing in summary")
    else:
        t.add("eigenvalues", None, None, args.tol_eig, "FAIL", "malformed kpoints/weights/eigenvalues")

    # --- SCF
    scf = sf.get("scf", {})
    t.add("scf converged", float(bool(scf.get("converged"))), 1.0, 0,
          "PASS" if scf.get("converged") else "FAIL")
    t.add("scf iterations", float(scf.get("iterations", -1)), float(ref["scf"]["iterations"]),
          0, "INFO")

    if case.get("forces_stress"):
        compare_forces_stress(t, args, sf, ref)

    if args.fields:
        try:
            compare_fields(t, args, ref, refdir)
        except (OSError, KeyError) as e:
            t.add("fields", None, None, 0, "FAIL", str(e))

    t.show()
    bad = t.failed()
    npass = sum(1 for r in t.rows if r[5] == "PASS")
    print(f"compare {case['name']}: {npass} PASS, {len(bad)} FAIL -> {'FAILED' if bad else 'OK'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
