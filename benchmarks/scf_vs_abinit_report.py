#!/usr/bin/python3
"""Collect the runs of benchmarks/scf_vs_abinit.sh into a markdown table (stdout) and JSON.

usage: scf_vs_abinit_report.py --work DIR --np "1 2" --mode full|quick --json FILE
                               [--sf-bin PATH] [--abinit PATH] [--cmd TEXT]
DIR/{strainfield,abinit}_np<N>/ hold outer.time ("elapsed maxrss_kB" of the launcher),
rank.rank<R> ("elapsed maxrss_kB user sys" per rank), loadavg.before, and the code's
output (summary.json for strainfield, run.abo for ABINIT).
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess
import sys
sys.dont_write_bytecode = True


def read_time(d):
    el, rss = open(os.path.join(d, "outer.time")).read().split()[:2]
    ranks = []
    for f in sorted(glob.glob(os.path.join(d, "rank.rank*"))):
        e, m, u, s = open(f).read().split()[:4]
        ranks.append({"elapsed_s": float(e), "max_rss_kB": int(m), "user_s": float(u), "sys_s": float(s)})
    return {"wall_s": float(el), "launcher_max_rss_kB": int(rss),
            "rss_sum_MB": sum(r["max_rss_kB"] for r in ranks) / 1024.0,
            "rss_max_MB": max(r["max_rss_kB"] for r in ranks) / 1024.0,
            "cpu_s": sum(r["user_s"] + r["sys_s"] for r in ranks),
            "ranks": ranks,
            "loadavg_before": open(os.path.join(d, "loadavg.before")).read().strip()}


def strainfield_run(d):
    r = read_time(d)
    s = json.load(open(os.path.join(d, "summary.json")))
    r["free_energy_Ha"] = s["free_energy"]
    r["scf_iterations"] = s["scf"]["iterations"]
    r["converged"] = bool(s["scf"]["converged"])
    r["nkpt"] = len(s["kpoints"])
    return r


def abinit_run(d):
    r = read_time(d)
    text = open(os.path.join(d, "run.abo")).read()
    etot = re.findall(r"^ ETOT\s+(\d+)\s+(\S+)", text, re.M)
    r["free_energy_Ha"] = float(etot[-1][1])   # etotal = E - TS (free energy) with occopt 4
    r["scf_iterations"] = int(etot[-1][0])
    r["converged"] = bool(re.search(r"etot is converged", text))
    m = re.search(r"nkpt =\s*(\d+)", text)
    r["nkpt"] = int(m.group(1)) if m else None
    m = re.search(r"Overall time at end \(sec\) : cpu=\s*(\S+)\s+wall=\s*(\S+)", text)
    r["internal_wall_s"] = float(m.group(2)) if m else None
    return r


def machine():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    m = re.search(r"^Model name:\s*(.*)$", lscpu, re.M)
    return {"nproc": os.cpu_count(), "cpu": m.group(1).strip() if m else platform.processor(),
            "kernel": platform.release()}


def git_rev(root):
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "src", "include"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except Exception:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--np", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--sf-bin", default="")
    ap.add_argument("--abinit", default="/usr/bin/abinit")
    ap.add_argument("--cmd", default="benchmarks/scf_vs_abinit.sh")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ver = subprocess.run([a.abinit, "--version"], capture_output=True, text=True).stdout.strip()
    out = {"benchmark": "scf_vs_abinit", "mode": a.mode, "command": a.cmd,
           "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine(), "strainfield_git": git_rev(root), "abinit_version": ver,
           "strainfield_binary": {"path": a.sf_bin, "mtime": datetime.datetime.fromtimestamp(
               os.path.getmtime(a.sf_bin)).astimezone().isoformat(timespec="seconds")} if a.sf_bin else None,
           "memory_note": "peak memory = sum over MPI ranks of each rank's max RSS (GNU time %M); "
                          "rss_max_MB = largest single rank",
           "wall_note": "elapsed time of the whole mpirun launch (GNU time %e); cpu_s = user+sys summed "
                        "over ranks (less sensitive to other load on the machine than wall time)",
           "runs": []}
    for np in a.np.split():
        np = int(np)
        sf = strainfield_run(os.path.join(a.work, f"strainfield_np{np}"))
        ab = abinit_run(os.path.join(a.work, f"abinit_np{np}"))
        out["runs"].append({
            "np": np, "strainfield": sf, "abinit": ab,
            "dF_Ha": sf["free_energy_Ha"] - ab["free_energy_Ha"],
            "ratio_wall": sf["wall_s"] / ab["wall_s"],
            "ratio_cpu": sf["cpu_s"] / ab["cpu_s"],
            "ratio_mem": sf["rss_sum_MB"] / ab["rss_sum_MB"],
            "ratio_iter": sf["scf_iterations"] / ab["scf_iterations"],
            "target_met": sf["wall_s"] <= 0.7 * ab["wall_s"] and sf["scf_iterations"] <= ab["scf_iterations"],
        })
    out["target"] = "strainfield wall <= 0.7 x ABINIT at each rank count, SCF iterations <= ABINIT's"
    out["target_met"] = all(r["target_met"] for r in out["runs"])
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")

    mc = out["machine"]
    print(f"### SCF vs ABINIT ({a.mode}) — {out['date']}")
    print(f"machine: {mc['nproc']} cores, {mc['cpu']}; strainfield {out['strainfield_git']}; "
          f"{ver.splitlines()[0] if ver else 'ABINIT'}; command `{a.cmd}`\n")
    print("| ranks | code | wall (s) | CPU, sum of ranks (s) | peak mem, sum of ranks (MB) | max rank RSS (MB) | SCF iter | nkpt | free energy (Ha) | load avg before |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in out["runs"]:
        for code in ("strainfield", "abinit"):
            x = r[code]
            print(f"| {r['np']} | {code} | {x['wall_s']:.2f} | {x['cpu_s']:.2f} | {x['rss_sum_MB']:.1f} | {x['rss_max_MB']:.1f} | "
                  f"{x['scf_iterations']}{'' if x['converged'] else ' (not conv.)'} | {x['nkpt']} | "
                  f"{x['free_energy_Ha']:.10f} | {x['loadavg_before']} |")
    print()
    print("| ranks | wall ratio sf/ABINIT | CPU ratio sf/ABINIT | memory ratio sf/ABINIT | iterations sf/ABINIT | F_sf − F_ABINIT (Ha) | target met |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for r in out["runs"]:
        print(f"| {r['np']} | {r['ratio_wall']:.2f} | {r['ratio_cpu']:.2f} | {r['ratio_mem']:.2f} | "
              f"{r['strainfield']['scf_iterations']}/{r['abinit']['scf_iterations']} | {r['dF_Ha']:+.2e} | "
              f"{'yes' if r['target_met'] else 'no'} |")
    print(f"\ntarget ({out['target']}): {'MET' if out['target_met'] else 'NOT met'}")
    print(f"JSON: {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
