#!/usr/bin/python3
"""outputs.py — every output of scf, relax, predict and path is checked before any work
(issue 10, 2.3): one that is the same file as an input is refused (exit 2, both options
named, the input unchanged) and one in a missing folder is refused (exit 3) before the
SCF or the prediction runs.  Registered by tests/cli/CMakeLists.txt (label cli).

usage: outputs.py TEST   with SF_EXE, SF_SOURCE and SF_WORK as for cli.py
"""
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
from cli import AL, AL_PSP, EXE, SOURCE, WORK, Fail, check, path  # noqa: E402

SF_ERR_INPUT, SF_ERR_FILE = 2, 3


def run(sub, args):
    cmd = [EXE, sub] + args
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, timeout=240)
    sys.stdout.write("stderr: " + p.stderr[-1000:] + "\n")
    return p


def md5(f):
    return hashlib.md5(open(f, "rb").read()).hexdigest()


def refused_same(sub, args, out_opt, in_opt, input_file):
    before = md5(input_file)
    p = run(sub, args)
    check(p.returncode == SF_ERR_INPUT, f"{sub} {out_opt} = {in_opt}: exit {SF_ERR_INPUT} (got {p.returncode})")
    check(out_opt in p.stderr and in_opt in p.stderr, f"the message names {out_opt} and {in_opt}")
    check(md5(input_file) == before, f"{os.path.basename(input_file)} is unchanged (md5)")


def refused_folder(sub, args, opt, banner):
    p = run(sub, args)
    check(p.returncode == SF_ERR_FILE and "nowhere" in p.stderr and opt in p.stderr,
          f"{sub} {opt} in a missing folder: exit {SF_ERR_FILE}, named (got {p.returncode})")
    check(banner not in p.stdout, f"refused before any work (no '{banner}' in the log)")


def t_outputs_scf():
    psp = path("al.pspnc")  # a copy: the test may not risk the installed file
    shutil.copy(AL_PSP, psp)
    base = [a if a != AL_PSP else psp for a in AL]
    for sub in ("scf", "relax"):
        refused_same(sub, base + ["-summary", psp], "-summary", "-pseudos", psp)
        refused_same(sub, base + ["-fields", psp], "-fields", "-pseudos", psp)
    opts = path("al.opts")
    open(opts, "w").write("-ecut 6\n")
    refused_same("scf", base + ["-options_file", opts, "-fields", opts], "-fields", "-options_file", opts)
    p = run("scf", base + ["-summary", path("s.json"), "-fields", path("s.json")])
    check(p.returncode == SF_ERR_INPUT and "-summary" in p.stderr and "-fields" in p.stderr,
          "-summary = -fields refused, both named")
    for opt in ("-summary", "-fields"):
        refused_folder("scf", base + [opt, path("nowhere/x")], opt, "k-points")
    check(not os.path.exists(path("s.json")), "nothing written")


def t_outputs_predict():
    data = path("data.h5")
    subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "tests", "ml", "make_synthetic.py"), data, "-n", "40",
                    "-grid", "6,8,6", "-seed", "3"], check=True, capture_output=True)
    model = path("m.h5")
    p = run("train", ["-dataset", data, "-model", model, "-epochs", "20", "-pca_components", "3", "-arch_rho", "8",
                      "-arch_phi", "8", "-arch_u", "8", "-arch_s", "8", "-arch_xred", "8", "-arch_energy", "8",
                      "-verbosity", "0"])
    check(p.returncode == 0, "a small model trains")
    D = ["-strain_D", "1,1,1,90,90,90"]
    for opt in ("-fields", "-summary"):
        refused_same("predict", ["-model", model] + D + [opt, model], opt, "-model", model)
        refused_same("path", ["-model", model, "-nstrain", "3", opt, model], opt, "-model", model)
    strains = path("strains.txt")
    open(strains, "w").write("1,1,1,90,90,90\n")
    refused_same("predict", ["-model", model, "-strain_file", strains, "-summary", strains], "-summary",
                 "-strain_file", strains)
    refused_same("predict", ["-model", model] + D + ["-dataset", data, "-fields", data], "-fields", "-dataset", data)
    # -fields P -fields_format xsf,cube writes P_rho.xsf, P_rho.cube ...: those names are checked too
    for ext in ("xsf", "cube"):
        grid_input = path("q_rho." + ext)
        shutil.copy(strains, grid_input)
        refused_same("predict", ["-model", model, "-strain_file", grid_input, "-fields", path("q.h5"),
                                 "-fields_format", "xsf,cube"], "-fields", "-strain_file", grid_input)
        os.remove(grid_input)
    for opt in ("-fields", "-summary"):
        refused_folder("predict", ["-model", model] + D + [opt, path("nowhere/x")], opt, "predict:")
    refused_folder("path", ["-model", model, "-nstrain", "3", "-fields", path("nowhere/x")], "-fields", "path:")


if __name__ == "__main__":
    cli.main(globals(), "outputs.py")
