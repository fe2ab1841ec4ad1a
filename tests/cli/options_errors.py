#!/usr/bin/python3
"""Bad options and options files given to `strainfield scf`: each must stop before any
physics with its exit code and ONE line on stderr naming the option or file:line
(registered by tests/cli/CMakeLists.txt, label cli).

usage: options_errors.py TEST   with SF_EXE (the binary) and SF_WORK (scratch folder)

Before: a self-including options file segfaulted, a malformed one printed a 30-line
PETSc trace, -nstep 4294967297 ran one step, a negative -ngfft component or a huge
-ngfft ended in "out of memory allocating 18446744071562067974 x 8 bytes", and a
misspelled required option lost its "did you mean".
"""
import os
import re
import shutil
import subprocess
import sys

import cli  # noqa: E402
from cli import AL, SF_ERR_FILE, SF_ERR_INPUT, Fail, check  # the Al fcc input of cli.py

EXE = os.environ.get("SF_EXE", "strainfield")
WORK = os.environ.get("SF_WORK", "/tmp/sf_options_errors")


def write(name, data):
    p = os.path.join(WORK, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return name  # relative to WORK, the working folder of the runs


def one_line_error(args, code, patterns, command="scf"):
    """Run `command` (scf) with `args`: exit code `code`, nothing on stdout, exactly one
    stderr line, and every regex of `patterns` in it."""
    cmd = [EXE, command] + args
    print("$ " + " ".join(cmd)[:300])
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, errors="replace",
                       timeout=120)
    sys.stdout.write("stderr: " + p.stderr[-1500:] + "\n")
    check(p.returncode == code, f"exit code {code} (got {p.returncode})")
    lines = p.stderr.splitlines()
    check(len(lines) == 1, f"one line on stderr (got {len(lines)})")
    check(p.stdout == "", "nothing on stdout")
    for pat in patterns:
        check(re.search(pat, p.stderr) is not None, f"stderr matches /{pat}/")


# ------------------------------------------------------------------ include cycles

def t_self_include():
    write("self.opts", "-ecut 6\n-options_file self.opts\n")
    one_line_error(AL + ["-options_file", "self.opts"], SF_ERR_FILE,
                   [r"cycle: self\.opts -> self\.opts$"])


def t_include_cycle():
    write("a.opts", "# a includes b\n-options_file b.opts\n")
    write("b.opts", "-ecut 6\n-options_file c.opts\n")
    write("c.opts", "-options_file ./a.opts\n")
    one_line_error(AL + ["-options_file", "a.opts"], SF_ERR_FILE,
                   [r"cycle: a\.opts -> b\.opts -> c\.opts -> \./a\.opts$"])


# ------------------------------------------------------------------ malformed files

MALFORMED = {
    "unbalanced quote": ("-ecut 6\n-title \"Mg cell\n", r"q\.opts:2: unbalanced quote"),
    "value without option": ("-ecut\n6\n", r"q\.opts:2: expected an option"),
    "two values": ("# c\n\n-ngkpt 2,2,2 4\n", r"q\.opts:3: extra text '4'"),
    "two options": ("-ecut -nband\n", r"q\.opts:1: two options"),
    "binary garbage": (b"-ecut 6\n\x7fELF\x02\x01\x01\x00\x00\n", r"q\.opts:2: (a NUL|control) byte"),
    "line too long": ("-title " + "x" * 5000 + "\n", r"q\.opts:1: line longer than"),
    "include without file": ("-options_file\n", r"q\.opts:1: -options_file needs a value"),
}


def t_malformed_file():
    for what, (text, pat) in MALFORMED.items():
        print("-- " + what)
        write("q.opts", text)
        one_line_error(AL + ["-options_file", "q.opts"], SF_ERR_FILE, [pat])


def t_malformed_included_file():
    write("outer.opts", "-ecut 6\n-options_file inner.opts\n")
    write("inner.opts", "-nband 8\n-nstep 10 20\n")
    one_line_error(AL + ["-options_file", "outer.opts"], SF_ERR_FILE, [r"inner\.opts:2: extra text"])


# ------------------------------------------------------------------ integers

def t_int_wrap():
    # PETSc's 32-bit reader made these 1 and 2
    one_line_error(AL + ["-nstep", "4294967297"], SF_ERR_INPUT,
                   [r"option -nstep: 4294967297 is out of range"])
    one_line_error(AL + ["-ngkpt", "4294967298,2,2"], SF_ERR_INPUT,
                   [r"option -ngkpt 4294967298,2,2: component 1 = 4294967298 is out of range"])
    write("w.opts", "-nband 4294967304\n")
    one_line_error(AL + ["-options_file", "w.opts"], SF_ERR_INPUT, [r"option -nband: 4294967304"])


def t_negative_counts():
    one_line_error(AL + ["-ngfft", "-12,12,12"], SF_ERR_INPUT,
                   [r"option -ngfft -12,12,12: component 1 = -12 is out of range"])
    one_line_error(AL + ["-ngfft", "12,0,12"], SF_ERR_INPUT, [r"-ngfft 12,0,12: give three positive"])
    one_line_error(AL + ["-nstep", "-1"], SF_ERR_INPUT, [r"option -nstep: -1 is out of range"])
    one_line_error(AL + ["-mix_history", "-2"], SF_ERR_INPUT, [r"option -mix_history: -2"])
    one_line_error(AL + ["-par_kpt_groups", "-1"], SF_ERR_INPUT, [r"option -par_kpt_groups: -1"])
    one_line_error(AL + ["-relax_hessian0", "0"], SF_ERR_INPUT, [r"-relax_hessian0 0 must be positive"], "relax")
    one_line_error(AL + ["-tolmxf", "-1"], SF_ERR_INPUT, [r"-tolmxf -1 must be positive"], "relax")


def t_oversized():
    one_line_error(AL + ["-ngfft", "100000,100000,100000"], SF_ERR_INPUT,
                   [r"-ngfft 100000,100000,100000: the FFT box of 1e\+15 points is too large"])
    one_line_error(AL + ["-ecut", "1e6"], SF_ERR_INPUT, [r"-ecut 1e\+06: .*FFT box .*1\.42e\+10 points \(at most"])
    one_line_error(AL + ["-nband", "2000000000"], SF_ERR_INPUT,
                   [r"option -nband: 2000000000 is out of range"])
    one_line_error(AL + ["-ngkpt", "1000,1000,1000"], SF_ERR_INPUT,
                   [r"-ngkpt 1000,1000,1000: the mesh of 1e\+09 k-points is too large"])


def t_kptrlatt():
    """-kptrlatt replaces -ngkpt: both given, a singular or an oversized matrix, a wrong count."""
    nok = [a for i, a in enumerate(AL) if a != "-ngkpt" and (i == 0 or AL[i - 1] != "-ngkpt")]
    one_line_error(nok + ["-ngkpt", "2,2,2", "-kptrlatt", "2,0,0,0,2,0,0,0,2"], SF_ERR_INPUT,
                   [r"give -ngkpt or -kptrlatt, not both"])
    one_line_error(nok + ["-kptrlatt", "1,1,0,1,1,0,0,0,2"], SF_ERR_INPUT,
                   [r"-kptrlatt is singular \(determinant 0\)"])
    one_line_error(nok + ["-kptrlatt", "1000,0,0,0,1000,1,0,0,1000"], SF_ERR_INPUT,
                   [r"-kptrlatt: the mesh of 1e\+09 k-points is too large"])
    one_line_error(nok + ["-kptrlatt", "2,0,0,0,2,0,0,0"], SF_ERR_INPUT, [r"-kptrlatt"])


# ------------------------------------------------------------------ did you mean

def t_misspelled_required():
    base = [a for i, a in enumerate(AL) if a != "-ecut" and (i == 0 or AL[i - 1] != "-ecut")]
    one_line_error(base + ["-ecutt", "6"], SF_ERR_INPUT,
                   [r"-ecut is required", r"did you mean -ecut for the given -ecutt\b"])
    write("typo.opts", "# typo\n-znucll 13\n")
    nozn = [a for i, a in enumerate(AL) if a != "-znucl" and (i == 0 or AL[i - 1] != "-znucl")]
    one_line_error(nozn + ["-options_file", "typo.opts"], SF_ERR_INPUT,
                   [r"-znucl is required", r"did you mean -znucl for the given -znucll",
                    r"typo\.opts line 2"])


if __name__ == "__main__":
    cli.main(globals(), "options_errors.py")  # the runner of the cli tests: t_NAME in an emptied SF_WORK
