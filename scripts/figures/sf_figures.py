#!/usr/bin/python3
"""sf_figures.py — the paper's figures from the files strainfield writes (docs/figures.md).

Each figure is a PNG with a CSV beside it holding exactly the numbers drawn, in the
files' units (the CSV of Figure N is what its PNG shows; a number in it equals the one
in the JSON or HDF5 file it came from):

  fig2_fields            ρ, φ, u, s of a test sample on x3 = 0: DFT, predicted, error
                         (--dataset, --predict-fields of that sample, --sample INDEX)
  fig3_energies          U = ∫u, −TS and F predicted against DFT (--evaluate, --dataset)
  fig4_learning_curve    test NRMSE against training samples, PCA floor (--train)
  fig5_nrmse_volumetric  per-sample NRMSE and errors against volumetric strain (--train)
  fig7_energy_routes     F by evaluate's routes against DFT (--evaluate)
  fig8_linear_vs_network the linear baseline against the networks (--train)
  fig9_uniaxial          stress-strain and transverse strains (--path ..., --dft DIR ...)
  fig10_positions        the cell, ρ and atoms along the ε22 path (--path, --path-fields)

A figure whose files are not given is skipped (named on stderr).  `strainfield run
-figures DIR` writes the inputs and calls this tool; it can be run by hand on any run:

  /usr/bin/python3 scripts/figures/sf_figures.py --dataset demo/demo.h5 \\
      --train demo/demo.h5.train.json --evaluate demo/demo.h5.evaluate.json --out figs
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

FIGURES = {  # name: (what it needs, module, function)
    "fig2_fields": (("dataset", "predict_fields", "sample"), "fig_fields", "figure2"),
    "fig3_energies": (("dataset", "evaluate"), "fig_errors", "figure3"),
    "fig4_learning_curve": (("train",), "fig_errors", "figure4"),
    "fig5_nrmse_volumetric": (("train",), "fig_errors", "figure5"),
    "fig7_energy_routes": (("evaluate",), "fig_errors", "figure7"),
    "fig8_linear_vs_network": (("train",), "fig_errors", "figure8"),
    "fig9_uniaxial": (("path",), "fig_path", "figure9"),
    "fig10_positions": (("path",), "fig_path", "figure10"),
}


def check():
    """--check: the modules the figures need import (run -figures asks before its campaign)."""
    try:
        import h5py  # noqa: F401
        import matplotlib
        import numpy  # noqa: F401
        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError as e:
        sys.exit("sf_figures.py: %s; install Debian's python3-matplotlib and python3-h5py (scripts/bootstrap.sh)" % e)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only check that matplotlib, h5py and numpy import")
    p.add_argument("--dataset", help="dataset HDF5 (generate)")
    p.add_argument("--train", help="train summary JSON (train -summary; run: DATASET.train.json)")
    p.add_argument("--evaluate", help="evaluate summary JSON (run: DATASET.evaluate.json)")
    p.add_argument("--model", help="model HDF5 (recorded only)")
    p.add_argument("--predict-fields", dest="predict_fields", help="predict -fields HDF5 at the strain of --sample")
    p.add_argument("--sample", type=int, help="dataset index (0-based) of Figure 2's test sample")
    p.add_argument("--path", action="append", default=[], help="path summary JSON (repeat for each direction)")
    p.add_argument("--path-fields", dest="path_fields", help="path -fields HDF5 of the ε22 path (Figure 10's ρ)")
    p.add_argument("--dft", action="append", default=[], help="benchmarks/path_vs_dft.sh output folder (repeatable)")
    p.add_argument("--only", help="comma-separated figure names (default: every figure the inputs allow)")
    p.add_argument("--out", default=".", help="folder of the PNG and CSV files")
    a = p.parse_args(argv)
    if a.check:
        return check()
    check()
    import importlib
    os.makedirs(a.out, exist_ok=True)
    only = set(a.only.split(",")) if a.only else None
    unknown = (only or set()) - set(FIGURES)
    if unknown:
        sys.exit("sf_figures.py: --only: unknown figure %s (known: %s)" % (", ".join(sorted(unknown)),
                                                                          ", ".join(FIGURES)))
    done = []
    for name, (needs, mod, fn) in FIGURES.items():
        if only and name not in only:
            continue
        missing = [n for n in needs if getattr(a, n) in (None, [])]
        if missing:
            print("sf_figures.py: %s skipped: needs --%s" % (name, ", --".join(m.replace("_", "-") for m in missing)),
                  file=sys.stderr)
            continue
        getattr(importlib.import_module(mod), fn)(a, os.path.join(a.out, name))
        done.append(name)
    print("sf_figures.py: %d figures in %s: %s" % (len(done), a.out, " ".join(done)))
    if only and len(done) < len(only):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
