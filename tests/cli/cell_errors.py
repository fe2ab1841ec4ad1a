#!/usr/bin/python3
"""Degenerate cells are refused at once (issue 10, 2.1): exit code 2 and one error line that
names the option (or the -sample_file line) and says the cell is degenerate.  Before the
check, `scf -angdeg 120,120,120` never returned (the periodic-image search of a flat cell).

usage: cell_errors.py   with SF_EXE, SF_SOURCE, SF_WORK as for cli.py.  The cells are refused
before any pseudopotential matters; Debian's abinit Mg pseudopotential stands in."""
import os
import shutil
import subprocess
import sys

EXE = os.environ.get("SF_EXE", "strainfield")
SOURCE = os.environ.get("SF_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.environ.get("SF_WORK", "/tmp/sf_cell_errors")
PSP = "/usr/share/abinit/psp/12mg.pspnc"
SF_ERR_INPUT = 2
ATOM = ["-ecut", "5", "-znucl", "12", "-xred", "0,0,0", "-pseudos", PSP]


def refused(args, needles):
    try:
        p = subprocess.run([EXE, *args], cwd=WORK, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        sys.exit(f"FAIL: {' '.join(args)} did not return within 60 s")
    errors = [l for l in p.stderr.splitlines() if "error" in l]
    print(f"$ strainfield {' '.join(args)} -> {p.returncode}: {errors}")
    if p.returncode != SF_ERR_INPUT:
        sys.exit(f"FAIL: exit code {p.returncode}, expected {SF_ERR_INPUT}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    if len(errors) != 1 or not all(n in errors[0] for n in needles):
        sys.exit(f"FAIL: expected one error line containing {needles}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    refused(["scf", "-angdeg", "120,120,120", *ATOM], ["-angdeg:", "degenerate"])
    refused(["scf", "-acell", "6,6,6", "-strain_D", "1,1,1,120,120,120", *ATOM], ["-strain_D:", "degenerate"])
    refused(["scf", "-rprim", "1,0,0,0,1,0,1,1,1e-5", *ATOM], ["-rprim:", "coplanar"])
    with open(os.path.join(WORK, "flat.txt"), "w") as f:
        f.write("1 1 1 90 90 90\n1 1 1 120 120 120\n")
    tiny = os.path.join(SOURCE, "tests", "generate", "tiny.opts")
    refused(["generate", "-options_file", tiny, "-pseudos", PSP, "-samples", "2", "-dataset", "ds.h5",
             "-sampling", "file", "-sample_file", "flat.txt"], ["flat.txt:2:", "degenerate"])
    print("ok")


if __name__ == "__main__":
    main()
