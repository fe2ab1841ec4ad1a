"""figio.py — reading strainfield's files for the figures, and writing each figure's CSV.

Every number a figure shows comes from a file the program wrote (docs/figures.md): the
dataset and the predict/path fields (HDF5), the train, evaluate and path summaries
(JSON), and the outputs of benchmarks/path_vs_dft.sh for DFT points.  Units are the
files' (Hartree atomic units); a figure may show GPa or mHa beside, labelled.
"""
import csv
import glob
import json
import os

import numpy as np

HA_BOHR3_GPA = 29421.0156965221  # 1 Ha/Bohr^3 in GPa, the program's SF_HA_BOHR3_GPA (elastic.h)
FIELDS = ("rho", "phi", "u", "s")
FIELD_LABEL = {"rho": "ρ (e/Bohr³)", "phi": "φ (Ha)", "u": "u (Ha/Bohr³)", "s": "s (1/Bohr³)"}
ROUTES = ("direct", "sum", "orbital", "harris", "scf")


def load_json(path):
    with open(path) as f:
        return json.load(f)


def write_csv(path, header, rows):
    """rows: sequences of numbers or strings; floats written with repr (they read back as
    the same double), so a CSV holds exactly the numbers of the file it came from."""
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([repr(float(x)) if isinstance(x, (float, np.floating)) else x for x in r])
    os.replace(tmp, path)


def save_png(fig, path):
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def dataset_samples(path, names):
    """The /samples columns `names` of a dataset (whole arrays)."""
    import h5py
    with h5py.File(path, "r") as h:
        return {n: h["samples/" + n][()] for n in names if "samples/" + n in h}


def dataset_plane(path, index, field, i3=0):
    """Field `field` of sample `index` on the grid plane i3 (reduced x3 = i3/n3): (n1, n2)."""
    import h5py
    with h5py.File(path, "r") as h:
        return h["fields/" + field][index, :, :, i3]


def dft_points(folder):
    """The DFT uniaxial points of one benchmarks/path_vs_dft.sh output folder:
    direction, and per strain the stress change, the three strains, the lattice and
    positions of the relaxed cell (from dft_<e>.json), converged."""
    summ = load_json(os.path.join(folder, "path_vs_dft.json"))
    d = summ["direction"] - 1
    ref = np.array(summ["reference_stress_dft"])
    pts = []
    for p in summ["points"]:
        e = [0.0, 0.0, 0.0]
        e[d] = p["e"]
        for v, x in zip([v for v in range(3) if v != d], p["transverse_dft"]):
            e[v] = x
        one = {"e_loaded": p["e"], "dsigma": p["dsigma_dft"], "e": e, "converged": p["dft_converged"]}
        f = os.path.join(folder, "dft_%s.json" % p["e"])
        if not os.path.exists(f):
            cands = [g for g in glob.glob(os.path.join(folder, "dft_*.json"))
                     if g.endswith(".json") and _strain_of(g) is not None and abs(_strain_of(g) - p["e"]) < 1e-12]
            f = cands[0] if cands else None
        if f:
            j = load_json(f)
            one["lattice"] = np.array(j["lattice"])
            one["xred"] = np.array(j["xred"])
        pts.append(one)
    ref_json = os.path.join(folder, "dft_ref.json")
    ref_cell = None
    if os.path.exists(ref_json):
        j = load_json(ref_json)
        ref_cell = {"e_loaded": 0.0, "dsigma": 0.0, "e": [0.0, 0.0, 0.0], "converged": True,
                    "lattice": np.array(j["lattice"]), "xred": np.array(j["xred"])}
    return {"direction": d + 1, "reference_stress": ref, "points": pts, "reference_cell": ref_cell}


def _strain_of(path):
    try:
        return float(os.path.basename(path)[4:-5])
    except ValueError:
        return None
