#!/usr/bin/python3
"""Run ABINIT on a case and store its results as a neutral reference.

usage: abinit_ref.py CASE.json OUTDIR [--abinit /usr/bin/abinit] [--force] [--no-variant]

Writes OUTDIR/run.abi, runs ABINIT in OUTDIR (skipped when OUTDIR/ref.json was made
from the same input text, pseudopotential contents and ABINIT version: a cache), and
parses the results into OUTDIR/ref.json, OUTDIR/ref_rho.npy (density, e/Bohr^3),
OUTDIR/ref_vha.npy (Hartree potential), OUTDIR/ref_vpsp.npy (local pseudopotential)
and OUTDIR/ref_phi.npy (= vha + vpsp, Ha). Grids are indexed [i1][i2][i3], point
(i1/n1, i2/n2, i3/n3) in reduced coordinates, i3 fastest (C order).

When the case's ixc is 7 (ABINIT's native PW92 LDA) or -1012 (libxc LDA_X+LDA_C_PW),
or 11 (ABINIT's native PBE) or -101130 (libxc GGA_X_PBE+GGA_C_PBE), the other one is also run in OUTDIR/xc_variant/ and ref.json gets an "xc_variant"
section with its energies and the differences, unless --no-variant.
"""

import argparse
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
sys.dont_write_bytecode = True  # keep the source tree clean
import time

import numpy as np

NBAND_BUFFER = 2  # extra bands in the reference run, see write_input

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfcase import load_case, fmt  # noqa: E402

ROOT = "run"            # run.abi, run.abo, runo_GSR.nc, ...
REF_FORMAT = 1


def make_input(c, ixc=None):
    ixc = c["ixc"] if ixc is None else ixc
    L = []
    a = L.append
    a(f"# strainfield cross-check case {c['name']}")
    a("acell " + " ".join(fmt(x) for x in c["acell"]))
    if "rprim" in c:
        r = c["rprim"]
        a("rprim " + "  ".join(" ".join(fmt(x) for x in r[3 * i:3 * i + 3]) for i in range(3)))
    else:
        a("angdeg " + " ".join(fmt(x) for x in c["angdeg"]))
    a(f"natom {c['natom']}")
    a(f"ntypat {c['ntypat']}")
    a("znucl " + " ".join(fmt(x) for x in c["znucl"]))
    a("typat " + " ".join(str(int(t)) for t in c["typat"]))
    a("xred")
    for row in c["xred"]:
        a("   " + " ".join(fmt(x) for x in row))
    a('pseudos "' + ", ".join(c["pseudos_resolved"]) + '"')
    a(f"ecut {fmt(c['ecut'])}")
    a(f"ecutsm {fmt(c['ecutsm'])}")
    if c.get("ngfft"):
        a("ngfft " + " ".join(str(int(n)) for n in c["ngfft"]))
    a("chkprim 0")    # the Mg cells are orthorhombic supercells of HCP (non-primitive)
    a("kptopt 1")
    if "kptrlatt" in c:
        a("kptrlatt " + " ".join(str(n) for n in c["kptrlatt"]))
    else:
        a("ngkpt " + " ".join(str(int(n)) for n in c["ngkpt"]))
    a(f"nshiftk {c['nshiftk']}")
    a("shiftk " + " ".join(fmt(x) for x in c["shiftk"]))
    # ABINIT converges its highest bands only loosely (they barely enter the energy), so
    # the reference carries two buffer bands and only the first nband are compared.
    a(f"nband {int(c['nband']) + NBAND_BUFFER}")
    a(f"occopt {int(c['occopt'])}")
    if int(c["occopt"]) >= 3:
        a(f"tsmear {fmt(c['tsmear'])}")
    a(f"ixc {int(ixc)}")
    a(f"toldfe {fmt(c['toldfe'])}")
    a(f"nstep {int(c['nstep'])}")
    for k, v in c.get("abinit_extra", {}).items():    # escape hatch, e.g. chksymbreak
        a(f"{k} {v}")
    a("# outputs: netCDF GSR/DEN/VHA/VPSP")
    a("iomode 3")
    a("prtden 1")
    a("prtvha 1")
    a("prtvpsp 1")
    a("prteig 1")
    a("prtwf 0")
    return "\n".join(L) + "\n"


def abinit_version(exe):
    try:
        return subprocess.run([exe, "--version"], capture_output=True, text=True,
                              timeout=60).stdout.strip()
    except Exception:
        return "unknown"


def input_hash(text, c, version):
    h = hashlib.sha256()
    h.update(text.encode())
    h.update(version.encode())
    h.update(str(REF_FORMAT).encode())
    for p in c["pseudos_resolved"]:
        with open(p, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def run_abinit(c, workdir, exe, ixc, version, force):
    """Run ABINIT in workdir unless a finished run of identical input is there.
    Returns (hash, wall_seconds_or_None_if_cached)."""
    os.makedirs(workdir, exist_ok=True)
    text = make_input(c, ixc)
    hsh = input_hash(text, c, version)
    stamp = os.path.join(workdir, "run.done")
    if not force and os.path.exists(stamp):
        with open(stamp) as f:
            done = json.load(f)
        if done.get("hash") == hsh:
            return hsh, done.get("wall"), True
    for fn in os.listdir(workdir):
        if fn.startswith(ROOT) or fn == "log":
            os.remove(os.path.join(workdir, fn))
    with open(os.path.join(workdir, ROOT + ".abi"), "w") as f:
        f.write(text)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.time()
    with open(os.path.join(workdir, "log"), "w") as log:
        p = subprocess.run([exe, ROOT + ".abi"], cwd=workdir, stdout=log,
                           stderr=subprocess.STDOUT, env=env)
    wall = time.time() - t0
    if p.returncode != 0 or not os.path.exists(os.path.join(workdir, ROOT + "o_GSR.nc")):
        tail = open(os.path.join(workdir, "log")).read()[-3000:]
        raise RuntimeError(f"ABINIT failed in {workdir} (rc={p.returncode}):\n{tail}")
    with open(stamp, "w") as f:
        json.dump({"hash": hsh, "wall": wall}, f)
    return hsh, wall, False


# ---------------------------------------------------------------- parsing

def _yaml_block(text, tag):
    """Last '--- !tag' ... '...' block of the .abo as {key: float|str}."""
    blocks = re.findall(r"^--- !" + tag + r"\n(.*?)^\.\.\.", text, re.S | re.M)
    if not blocks:
        return {}
    out = {}
    for line in blocks[-1].splitlines():
        m = re.match(r"^(\S.*?)\s*:\s*(\S.*)$", line)
        if not m:
            continue
        k, v = m.group(1).strip().strip("'\""), m.group(2).strip()
        try:
            out[k] = float(v)
        except ValueError:
            out[k] = v
    return out


def parse_abo(path):
    text = open(path).read()
    res = {}
    hist = []
    for m in re.finditer(r"^ ETOT\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M):
        hist.append({"iter": int(m.group(1)), "etot": float(m.group(2)),
                     "deltaE": float(m.group(3)), "residm": float(m.group(4)),
                     "vres2": float(m.group(5))})
    res["scf_history"] = hist
    res["converged"] = bool(re.search(r"etot is converged", text))
    res["energy_terms"] = _yaml_block(text, "EnergyTerms")
    res["energy_terms_dc"] = _yaml_block(text, "EnergyTermsDC")
    m = re.search(r"ngfft\s+(\d+)\s+(\d+)\s+(\d+)", text)
    if m:
        res["ngfft"] = [int(m.group(i)) for i in (1, 2, 3)]
    m = re.search(r"Overall time at end \(sec\) : cpu=\s*(\S+)\s+wall=\s*(\S+)", text)
    if m:
        res["abinit_wall"] = float(m.group(2))
    m = re.search(r"^\s+nsym\s+(\d+)", text, re.M)
    if m:
        res["nsym"] = int(m.group(1))
    res["warnings"] = len(re.findall(r"^--- !WARNING", text, re.M))
    return res


def grid_to_c(a):
    """netCDF ABINIT grid (ncomp, n3, n2, n1, cplex) -> [i1][i2][i3] real array."""
    a = np.asarray(a)
    return np.ascontiguousarray(a[0, :, :, :, 0].transpose(2, 1, 0))


# Map ABINIT's GSR energy names to the neutral names of the summary contract.
GSR_TERMS = {"kinetic": "e_kinetic", "hartree": "e_hartree", "xc": "e_xc",
             "ewald": "e_ewald", "psp_core": "e_corepsp", "local_psp": "e_localpsp",
             "nonlocal_psp": "e_nlpsp_vfock", "band": "e_eigenvalues",
             "entropy_term": "e_entropy"}


def parse_run(workdir, with_fields):
    import netCDF4
    out = {}
    g = netCDF4.Dataset(os.path.join(workdir, ROOT + "o_GSR.nc"))
    v = g.variables
    rprimd = np.array(v["primitive_vectors"][:])            # rows = a_i, Bohr
    out["lattice"] = rprimd.tolist()
    out["ucvol"] = float(abs(np.linalg.det(rprimd)))
    out["xred"] = np.array(v["reduced_atom_positions"][:]).tolist()
    out["nsym"] = int(v["reduced_symmetry_matrices"].shape[0])
    out["kpoints"] = np.array(v["reduced_coordinates_of_kpoints"][:]).tolist()
    out["weights"] = np.array(v["kpoint_weights"][:]).tolist()
    out["nkpt"] = len(out["weights"])
    out["eigenvalues"] = np.array(v["eigenvalues"][:])[0].tolist()
    out["occupations"] = np.array(v["occupations"][:])[0].tolist()
    out["nelect"] = float(v["nelect"][:])
    out["fermi_energy"] = float(v["fermie"][:])
    out["free_energy"] = float(v["etotal"][:])
    out["entropy"] = float(v["entropy"][:])
    E = {k: float(v[gk][:]) for k, gk in GSR_TERMS.items()}
    # Forces (Ha/Bohr, mean removed as ABINIT prints them) and stress (Ha/Bohr^3, Voigt
    # xx yy zz yz xz xy, the sign of (1/V) dE/deps), when ABINIT computed them.
    if "cartesian_forces" in v:
        out["forces"] = np.array(v["cartesian_forces"][:]).tolist()
    if "cartesian_stress_tensor" in v:
        out["stress_voigt"] = np.array(v["cartesian_stress_tensor"][:]).tolist()
    g.close()
    abo = parse_abo(os.path.join(workdir, ROOT + ".abo"))
    et = abo["energy_terms"]
    # internal energy U = F - entropy_term (ABINIT prints it for metals)
    E["internal"] = float(et.get("internal", out["free_energy"] - E["entropy_term"]))
    E["total_free"] = out["free_energy"]
    out["energies"] = E
    out["energy_terms_abo"] = et
    out["energy_terms_dc_abo"] = abo["energy_terms_dc"]
    out["scf"] = {"iterations": len(abo["scf_history"]), "converged": abo["converged"],
                  "history": abo["scf_history"]}
    out["ngfft_abo"] = abo.get("ngfft")
    out["abinit_wall_reported"] = abo.get("abinit_wall")
    out["warnings"] = abo["warnings"]
    if with_fields:
        d = netCDF4.Dataset(os.path.join(workdir, ROOT + "o_DEN.nc"))
        rho = grid_to_c(d.variables["density"][:])
        d.close()
        d = netCDF4.Dataset(os.path.join(workdir, ROOT + "o_VHA.nc"))
        vha = grid_to_c(d.variables["vhartree"][:])
        d.close()
        d = netCDF4.Dataset(os.path.join(workdir, ROOT + "o_VPSP.nc"))
        vpsp = grid_to_c(d.variables["vpsp"][:])
        d.close()
        out["fields"] = {"rho": rho, "vha": vha, "vpsp": vpsp, "phi": vha + vpsp}
        out["ngfft"] = list(rho.shape)
        out["rho_integral"] = float(rho.mean() * out["ucvol"])
    return out


def other_ixc(ixc):
    return {7: -1012, -1012: 7, 11: -101130, -101130: 11}.get(int(ixc))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("case")
    ap.add_argument("outdir")
    ap.add_argument("--abinit", default=os.environ.get("ABINIT", "/usr/bin/abinit"))
    ap.add_argument("--force", action="store_true", help="rerun even if cached")
    ap.add_argument("--no-variant", action="store_true",
                    help="do not run the other flavour (ixc 7 <-> -1012, 11 <-> -101130)")
    args = ap.parse_args()

    c = load_case(args.case)
    outdir = os.path.abspath(args.outdir)
    os.makedirs(outdir, exist_ok=True)
    version = abinit_version(args.abinit)
    # One process at a time per OUTDIR (ctest -j may run a case at 1 and 2 ranks).
    lock = open(os.path.join(outdir, ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)

    hsh, wall, cached = run_abinit(c, outdir, args.abinit, c["ixc"], version, args.force)
    r = parse_run(outdir, with_fields=True)
    fields = r.pop("fields")
    ref = {"format": REF_FORMAT, "case": c["name"], "case_file": c["case_file"],
           "abinit_version": version, "input_hash": hsh, "ixc": c["ixc"],
           "wall_seconds": wall, "cached": cached}
    ref.update(r)
    for k, a in fields.items():
        np.save(os.path.join(outdir, f"ref_{k}.npy"), a)
    ref["field_files"] = {k: f"ref_{k}.npy" for k in fields}

    ix2 = other_ixc(c["ixc"])
    if ix2 is not None and not args.no_variant:
        vdir = os.path.join(outdir, "xc_variant")
        _, wall2, _ = run_abinit(c, vdir, args.abinit, ix2, version, args.force)
        r2 = parse_run(vdir, with_fields=True)
        f2 = r2.pop("fields")
        e1 = np.array(ref["eigenvalues"])
        e2 = np.array(r2["eigenvalues"])
        ref["xc_variant"] = {
            "ixc": ix2, "wall_seconds": wall2,
            "free_energy": r2["free_energy"], "fermi_energy": r2["fermi_energy"],
            "energies": r2["energies"],
            "diff": {
                "free_energy": r2["free_energy"] - ref["free_energy"],
                "fermi_energy": r2["fermi_energy"] - ref["fermi_energy"],
                "terms": {k: r2["energies"][k] - ref["energies"][k] for k in ref["energies"]},
                "max_abs_eigenvalue": float(np.max(np.abs(e2 - e1))) if e1.shape == e2.shape else None,
                "max_abs_rho": float(np.max(np.abs(f2["rho"] - fields["rho"]))),
                "max_abs_phi": float(np.max(np.abs(f2["phi"] - fields["phi"]))),
            }}
    tmp = os.path.join(outdir, "ref.json.tmp")
    with open(tmp, "w") as f:
        json.dump(ref, f, indent=1)
    os.replace(tmp, os.path.join(outdir, "ref.json"))
    w = "cached" if cached else f"{wall:.1f} s"
    print(f"{c['name']}: F = {ref['free_energy']:.10f} Ha, nkpt = {ref['nkpt']}, "
          f"ngfft = {ref['ngfft']}, scf iters = {ref['scf']['iterations']}, ABINIT {w}")
    if "xc_variant" in ref:
        d = ref["xc_variant"]["diff"]
        print(f"  ixc {ix2} - ixc {c['ixc']}: dF = {d['free_energy']:.3e} Ha, "
              f"dxc = {d['terms']['xc']:.3e}, max|deig| = {d['max_abs_eigenvalue']:.3e}, "
              f"max|drho| = {d['max_abs_rho']:.3e}")


if __name__ == "__main__":
    main()
