#!/usr/bin/python3
"""assemble_parts.py — a training dataset from the first K finished samples of a running
(or interrupted) `generate` campaign: reads DATASET.parts/sample_*.h5 (one per sample)
and writes the part of the dataset schema that training reads (src/data/schema.c: D,
free_energy, xred, status, lattice, band_energy, entropy_term, fields).  Only the
contiguous prefix 0..K-1 is used, so the sample order (and the train/test split by position) is that of the campaign.

usage: assemble_parts.py DATASET.parts OUT.h5 [-max K]
"""
import argparse, glob, json, os
import numpy as np, h5py

p = argparse.ArgumentParser()
p.add_argument("parts")
p.add_argument("out")
p.add_argument("-max", type=int, default=0)
a = p.parse_args()
have = {int(os.path.basename(f)[7:14]) for f in glob.glob(os.path.join(a.parts, "sample_*.h5"))}
K = 0
while K in have and (a.max <= 0 or K < a.max):
    K += 1
camp = json.load(open(os.path.join(a.parts, "campaign.json")))
first = h5py.File(os.path.join(a.parts, "sample_0000000.h5"), "r")
shape = first["fields/rho"].shape
with h5py.File(a.out, "w") as h:
    h.attrs["generator"] = "tests/ml/assemble_parts.py"
    h.attrs["ngfft"] = np.array(shape, np.int32)
    h.attrs["natom"] = first["samples/xred"].shape[0]
    h.attrs["campaign"] = json.dumps(camp)
    smp, fld = h.create_group("samples"), h.create_group("fields")
    fs = {k: fld.create_dataset(k, (K,) + shape, "f8", chunks=(1,) + shape) for k in ("rho", "phi", "u", "s")}
    cols = {"D": [], "free_energy": [], "xred": [], "status": [], "lattice": [], "band_energy": [], "entropy_term": []}
    for i in range(K):
        with h5py.File(os.path.join(a.parts, f"sample_{i:07d}.h5"), "r") as s:
            for k in fs:
                fs[k][i] = s["fields/" + k][...]
            cols["D"].append(s["samples/D"][...])
            cols["xred"].append(s["samples/xred"][...])
            cols["lattice"].append(s["samples/lattice"][...])
            for k in ("free_energy", "status", "band_energy", "entropy_term"):
                cols[k].append(s["samples/" + k][0])
    for k, v in cols.items():
        smp[k] = np.array(v, np.int32 if k == "status" else np.float64)
print(f"wrote {a.out}: {K} samples, grid {shape}")
