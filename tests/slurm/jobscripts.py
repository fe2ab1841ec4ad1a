#!/usr/bin/env python3
"""The job scripts of jobscripts/ read as text: parse_jobscript (slurm_jobs.py takes the
demos' sizes from it), and the check that each cluster script and its tested demo twin
differ only in sizes (the unit test jobscripts_twins: `jobscripts.py SOURCE_DIR`, no
SLURM needed)."""
import os, re, subprocess, sys


def fail(msg):
    sys.exit("FAIL: " + msg)


def parse_jobscript(path):
    """(#SBATCH options {name: value}, names set in the '# sizes' block, the other lines)."""
    opts, sizes, body, in_sizes = {}, [], [], False
    for line in open(path).read().splitlines():
        if line.startswith("#SBATCH "):
            k, _, v = line.split(None, 1)[1].partition("=")
            opts[k] = v
        elif line.startswith("# sizes"):
            in_sizes = True
        elif in_sizes and line.strip():
            sizes.append(line.split("=", 1)[0])
        elif in_sizes:
            in_sizes = False
            body.append(line)
        elif not line.startswith("#"):
            body.append(line)
    return opts, sizes, body


def check_twins(src):
    """Each cluster script X_paper.slurm has a tested twin X_demo.slurm, and the two
    differ only in sizes: the same #SBATCH options (other values), the same names in the
    '# sizes' block (other values), every other line equal; bash reads them all."""
    d = os.path.join(src, "jobscripts")
    names = sorted(f for f in os.listdir(d) if f.endswith(".slurm"))
    bases = sorted({re.sub(r"_(paper|demo)\.slurm$", "", f) for f in names})
    if len(bases) < 5 or names != sorted(f"{b}_{k}.slurm" for b in bases for k in ("demo", "paper")):
        fail(f"jobscripts/ holds {names}: every X_paper.slurm needs X_demo.slurm and nothing else")
    for b in bases:
        (po, ps, pb), (do, ds, db) = (parse_jobscript(os.path.join(d, f"{b}_{k}.slurm")) for k in ("paper", "demo"))
        if sorted(po) != sorted(do) or ps != ds or pb != db or not ps:
            diff = [x for x in pb if x not in db] + [x for x in db if x not in pb]
            fail(f"{b}_paper.slurm and {b}_demo.slurm differ beyond sizes: #SBATCH {sorted(po)} / {sorted(do)}, "
                 f"sizes {ps} / {ds}, lines {diff[:4]}")
        for k in ("paper", "demo"):
            p = subprocess.run(["bash", "-n", os.path.join(d, f"{b}_{k}.slurm")], capture_output=True, text=True)
            if p.returncode:
                fail(f"{b}_{k}.slurm: {p.stderr.strip()}")
        print(f"{b}: twins differ in {len(ps)} sizes and #SBATCH values "
              f"{sorted(k for k in po if po[k] != do[k])}")


if __name__ == "__main__":
    check_twins(sys.argv[1])
    print("ok: every paper job script and its demo twin differ only in sizes")
