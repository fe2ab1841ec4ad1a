#!/usr/bin/python3
"""Print the strainfield command-line options for a case file.

usage: case_to_opts.py CASE.json [--lines]

PETSc-style options with ABINIT names and units; arrays are comma-separated and
numbers are printed with full (round-trip) precision. Pseudopotential paths are
resolved (see sfcase.py). --lines prints one option per line (an options file).
"""
import os
import sys
sys.dont_write_bytecode = True  # keep the source tree clean

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfcase import load_case, fmt  # noqa: E402


def case_options(c):
    j = lambda xs: ",".join(fmt(x) for x in xs)  # noqa: E731
    o = [("-acell", j(c["acell"]))]
    if "rprim" in c:
        o.append(("-rprim", j(c["rprim"])))
    else:
        o.append(("-angdeg", j(c["angdeg"])))
    o += [("-natom", str(len(c["xred"]))),
          ("-ntypat", str(int(c["ntypat"]))),
          ("-znucl", j(c["znucl"])),
          ("-typat", j([int(t) for t in c["typat"]])),
          ("-xred", j([x for row in c["xred"] for x in row])),
          ("-pseudos", ",".join(c["pseudos_resolved"])),
          ("-ecut", fmt(c["ecut"])),
          ("-ecutsm", fmt(c["ecutsm"])),
          ("-kptrlatt", j(c["kptrlatt"])) if "kptrlatt" in c else ("-ngkpt", j([int(n) for n in c["ngkpt"]])),
          ("-nshiftk", str(c["nshiftk"])),
          ("-shiftk", j(c["shiftk"])),
          ("-nband", str(int(c["nband"]))),
          ("-occopt", str(int(c["occopt"])))]
    if int(c["occopt"]) >= 3:        # tsmear is unused (an error in strainfield) otherwise
        o.append(("-tsmear", fmt(c["tsmear"])))
    if c.get("ngfft"):
        o.append(("-ngfft", j([int(n) for n in c["ngfft"]])))
    o += [("-ixc", str(int(c["ixc"]))),
          ("-toldfe", fmt(c["toldfe"])),
          ("-nstep", str(int(c["nstep"])))]
    return o


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) >= 2 else 2
    c = load_case(sys.argv[1])
    opts = case_options(c)
    if "--lines" in sys.argv[2:]:
        print("\n".join(f"{k} {v}" for k, v in opts))
    else:
        print(" ".join(f"{k} {v}" for k, v in opts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
