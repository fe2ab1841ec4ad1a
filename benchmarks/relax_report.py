#!/usr/bin/python3
"""Report of benchmarks/relax_vs_abinit.sh: wall time, peak memory, ionic steps and the
strainfield/ABINIT time ratio per rank count; also checks that both relaxations reached
tolmxf and that their relaxed positions and free energies agree.

usage: relax_report.py --work DIR --np "1 2" --mode full|quick --json OUT
                       [--sf-bin B] [--abinit A] [--cmd CMD]
"""
import argparse
import glob
import json
import os
import platform
import subprocess
import sys

sys.dont_write_bytecode = True
import numpy as np  # noqa: E402


def read_times(d):
    el, rss_outer = open(os.path.join(d, "outer.time")).read().split()[:2]
    ranks = []
    for f in sorted(glob.glob(os.path.join(d, "rank.rank*"))):
        v = open(f).read().split()
        ranks.append({"elapsed": float(v[0]), "maxrss_kb": int(v[1]), "user": float(v[2]), "sys": float(v[3])})
    load = [open(os.path.join(d, f"loadavg.{w}")).read().split()[0] for w in ("before", "after")]
    return {"wall_s": float(el), "peak_rss_sum_mb": sum(r["maxrss_kb"] for r in ranks) / 1024.0,
            "peak_rss_max_mb": max((r["maxrss_kb"] for r in ranks), default=0) / 1024.0,
            "ranks": ranks, "loadavg_before": float(load[0]), "loadavg_after": float(load[1])}


def xred_diff(a, b):
    d = np.asarray(a, float) - np.asarray(b, float)
    d -= np.round(d)
    d -= d.mean(axis=0)
    return float(np.abs(d).max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--np", default="1 2")
    ap.add_argument("--mode", default="full")
    ap.add_argument("--json", required=True)
    ap.add_argument("--sf-bin", default="")
    ap.add_argument("--abinit", default="")
    ap.add_argument("--cmd", default="")
    a = ap.parse_args()
    import netCDF4
    rows = []
    for n in a.np.split():
        n = int(n)
        sd, ad = os.path.join(a.work, f"strainfield_np{n}"), os.path.join(a.work, f"abinit_np{n}")
        s = json.load(open(os.path.join(sd, "summary.json")))
        g = netCDF4.Dataset(os.path.join(ad, "runo_HIST.nc"))
        et = np.array(g["etotal"][:])
        xr = np.array(g["xred"][:])
        fc = np.array(g["fcart"][:])
        g.close()
        st, at = read_times(sd), read_times(ad)
        rows.append({"np": n, "strainfield": dict(st, steps=s["relax"]["steps"],
                                                   evaluations=s["relax"]["evaluations"],
                                                   converged=s["relax"]["converged"],
                                                   free_energy=s["free_energy"],
                                                   scf_iterations=[t["scf_iterations"] for t in s["relax"]["trajectory"]],
                                                   trajectory=[t["free_energy"] for t in s["relax"]["trajectory"]]),
                     "abinit": dict(at, steps=len(et), free_energy=float(et[-1]),
                                    fmax=float(np.abs(fc[-1]).max()), trajectory=[float(e) for e in et]),
                     "ratio": st["wall_s"] / at["wall_s"],
                     "xred_diff": xred_diff(s["xred"], xr[-1]),
                     "F_diff": abs(s["free_energy"] - float(et[-1]))})
    out = {"benchmark": "relax_vs_abinit", "mode": a.mode, "command": a.cmd,
           "host": platform.node(), "nproc": os.cpu_count(),
           "abinit_version": subprocess.run([a.abinit or "abinit", "--version"], capture_output=True,
                                            text=True).stdout.strip() if a.abinit else "",
           "runs": rows}
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    json.dump(out, open(a.json, "w"), indent=1)
    print(f"\nrelax_vs_abinit ({a.mode}): strained Mg cell relaxed at fixed cell, {os.cpu_count()} cores")
    print(f"{'ranks':>5} {'code':12} {'wall s':>9} {'peak MB':>8} {'ionic steps':>12} {'SCF runs':>9} "
          f"{'load':>11} {'F (Ha)':>17}")
    for r in rows:
        s, b = r["strainfield"], r["abinit"]
        print(f"{r['np']:5d} {'strainfield':12} {s['wall_s']:9.1f} {s['peak_rss_sum_mb']:8.1f} {s['steps']:12d} "
              f"{s['evaluations']:9d} {s['loadavg_before']:5.2f}/{s['loadavg_after']:<5.2f} {s['free_energy']:17.10f}")
        print(f"{r['np']:5d} {'ABINIT':12} {b['wall_s']:9.1f} {b['peak_rss_sum_mb']:8.1f} {b['steps']:12d} "
              f"{b['steps']:9d} {b['loadavg_before']:5.2f}/{b['loadavg_after']:<5.2f} {b['free_energy']:17.10f}")
        print(f"      ratio strainfield/ABINIT = {r['ratio']:.2f} (target <= 0.7); relaxed xred differ by "
              f"{r['xred_diff']:.1e}, F by {r['F_diff']:.1e} Ha")
    print(f"JSON: {a.json}")
    ok = all(r["strainfield"]["converged"] and r["abinit"]["fmax"] <= 5e-6 for r in rows)
    if not ok:
        print("relax_report.py: a relaxation did not converge", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
