"""Shared helpers for the ABINIT cross-check harness: loading a case description.

A case file (tests/abinit/cases/NAME.json) is a neutral description of one
ground-state calculation, using ABINIT's variable names, units (Hartree, Bohr)
and conventions (typat is 1-based). See tests/abinit/README.md.

Pseudopotential paths are either absolute, or relative to the repository root
(e.g. "data/psp/mg.pseu", the pseudopotential shipped with strainfield).
xred entries may be numbers or fraction strings such as "2/3".
"""
import json
import os
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))

REQUIRED = ["name", "acell", "natom", "ntypat", "znucl", "typat", "xred", "pseudos",
            "ecut", "shiftk", "nband", "occopt", "ixc", "toldfe", "nstep"]
DEFAULTS = {"ecutsm": 0.0, "tsmear": 0.01, "ngfft": None}


def psp_dir():
    """The repository's shipped pseudopotentials (data/psp)."""
    return os.path.join(REPO_ROOT, "data", "psp")


def resolve_pseudo(p):
    return os.path.normpath(p if os.path.isabs(p) else os.path.join(REPO_ROOT, p))


def _num(x):
    if isinstance(x, str):
        return float(Fraction(x.strip()))
    return float(x)


def load_case(path):
    """Load, validate and normalise a case file. Returns a dict (floats everywhere)."""
    if not path.endswith(".json") and not os.path.exists(path):
        path = os.path.join(HERE, "cases", path + ".json")
    with open(path) as f:
        c = json.load(f)
    missing = [k for k in REQUIRED if k not in c]
    if missing:
        raise ValueError(f"{path}: missing keys {missing}")
    for k, v in DEFAULTS.items():
        c.setdefault(k, v)
    if ("rprim" in c) == ("angdeg" in c):
        raise ValueError(f"{path}: give exactly one of rprim / angdeg")
    c["acell"] = [_num(x) for x in c["acell"]]
    if "rprim" in c:
        c["rprim"] = [_num(x) for x in c["rprim"]]
        assert len(c["rprim"]) == 9
    else:
        c["angdeg"] = [_num(x) for x in c["angdeg"]]
        assert len(c["angdeg"]) == 3
    c["xred"] = [[_num(x) for x in row] for row in c["xred"]]
    if len(c["xred"]) != c["natom"] or len(c["typat"]) != c["natom"]:
        raise ValueError(f"{path}: natom={c['natom']} but {len(c['xred'])} xred rows, "
                         f"{len(c['typat'])} typat entries")
    if len(c["znucl"]) != c["ntypat"] or len(c["pseudos"]) != c["ntypat"]:
        raise ValueError(f"{path}: ntypat={c['ntypat']} but znucl/pseudos lengths differ")
    c["pseudos_resolved"] = [resolve_pseudo(p) for p in c["pseudos"]]
    # the k mesh: ngkpt, or ABINIT's kptrlatt (9 integers in ABINIT's order, one column per triple)
    if ("ngkpt" in c) == ("kptrlatt" in c):
        raise ValueError(f"{path}: give exactly one of ngkpt / kptrlatt")
    if "kptrlatt" in c:
        c["kptrlatt"] = [int(x) for r in c["kptrlatt"] for x in (r if isinstance(r, list) else [r])]
        if len(c["kptrlatt"]) != 9:
            raise ValueError(f"{path}: kptrlatt needs 9 integers")
    # shiftk: one triple, or a list of triples (ABINIT's nshiftk > 1); kept flat, 3 per shift
    sh = c["shiftk"]
    rows = sh if sh and isinstance(sh[0], list) else [sh]
    if any(len(r) != 3 for r in rows):
        raise ValueError(f"{path}: shiftk must be one triple or a list of triples")
    c["shiftk"] = [_num(x) for r in rows for x in r]
    c["nshiftk"] = len(rows)
    c["case_file"] = os.path.abspath(path)
    return c


def fmt(x):
    """Full-precision, shortest round-tripping text for a number."""
    if isinstance(x, bool):
        return str(int(x))
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return repr(float(x)).rstrip("0").rstrip(".") if "e" not in repr(float(x)) else repr(float(x))
    return repr(float(x))
