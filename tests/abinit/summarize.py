#!/usr/bin/python3
"""Markdown table of ABINIT references: summarize.py CACHE_DIR (as filled by abinit_ref.py)."""
import glob
import json
import os
import sys


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "abinit_cache"
    print("| case | psp | ecut (Ha) | ngfft | nkpt | SCF iters | ABINIT free energy (Ha) "
          "| E_F (Ha) | ABINIT wall (s) | F(ixc -1012) - F(ixc 7) (Ha) | max abs eig diff (Ha) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for rj in sorted(glob.glob(os.path.join(d, "*", "ref.json"))):
        r = json.load(open(rj))
        c = json.load(open(r["case_file"]))
        v = r.get("xc_variant", {})
        dv = v.get("diff", {})
        wall = r.get("wall_seconds")
        if wall is not None and v.get("wall_seconds") is not None:
            wall_s = f"{wall:.1f} (+{v['wall_seconds']:.1f})"
        else:
            wall_s = "-" if wall is None else f"{wall:.1f}"
        fmt = lambda x: "-" if x is None else f"{x:.1e}"  # noqa: E731
        print(f"| {r['case']} | {os.path.basename(c['pseudos'][0])} | {c['ecut']:g} "
              f"| {'x'.join(map(str, r['ngfft']))} | {r['nkpt']} | {r['scf']['iterations']} "
              f"| {r['free_energy']:.10f} | {r['fermi_energy']:.6f} | {wall_s} "
              f"| {fmt(dv.get('free_energy'))} | {fmt(dv.get('max_abs_eigenvalue'))} |")


if __name__ == "__main__":
    main()
