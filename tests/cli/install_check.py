#!/usr/bin/python3
"""The installed program and its identification (registered by tests/cli/CMakeLists.txt).

usage: install_check.py TEST   environment as for cli.py, plus SF_BUILD (the build tree)
  version    `strainfield -version` prints SF_VERSION and the checkout's git commit
             (`git describe --always --dirty`, "unknown" outside a git checkout)
  installed  `cmake --install` into an empty prefix gives bin/strainfield,
             share/strainfield/{psp,configs,figures} and share/doc/strainfield; the
             installed binary runs the installed configs/mg_small.opts from another
             folder and reads the installed psp (recorded path and md5), and `run
             -figures` finds the installed figures tool
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
from cli import EXE, SOURCE, WORK, check  # noqa: E402

BUILD = os.environ.get("SF_BUILD", os.path.dirname(EXE))


def sh(cmd, cwd=None, timeout=240):
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, cwd=cwd or WORK, capture_output=True, text=True, timeout=timeout)
    sys.stdout.write(p.stdout[-2000:] + "stderr: " + p.stderr[-2000:] + "\n")
    return p


def t_version():
    version = re.search(r'#define SF_VERSION "([^"]+)"',
                        open(os.path.join(SOURCE, "include", "strainfield", "core.h")).read()).group(1)
    g = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=SOURCE, capture_output=True, text=True)
    commit = g.stdout.strip() if g.returncode == 0 and g.stdout.strip() else "unknown"
    for arg in ("-version", "--version"):
        p = sh([EXE, arg])
        check(p.returncode == 0, f"{arg}: exit code 0 (got {p.returncode})")
        m = re.fullmatch(r"strainfield (\S+) \(git (\S+)\)\n", p.stdout)
        check(m is not None, f"{arg}: one line 'strainfield VERSION (git COMMIT)'")
        check(m.group(1) == version, f"version {m.group(1)} = core.h's SF_VERSION {version}")
        built = m.group(2)
        if built != commit and commit != "unknown":
            # built before the latest commit (ctest does not rebuild): it must still be
            # a commit of this checkout's history
            rev = built[:-len("-dirty")] if built.endswith("-dirty") else built
            a = subprocess.run(["git", "merge-base", "--is-ancestor", rev, "HEAD"], cwd=SOURCE)
            check(a.returncode == 0, f"commit {built} is in the history of the source ({commit})")
        else:
            check(built == commit, f"commit {built} = git describe of the source ({commit})")


def t_installed():
    prefix = os.path.join(WORK, "prefix")
    p = sh(["cmake", "--install", BUILD, "--prefix", prefix])
    check(p.returncode == 0, f"cmake --install: exit code 0 (got {p.returncode})")
    exe = os.path.join(prefix, "bin", "strainfield")
    share = os.path.join(prefix, "share", "strainfield")
    for f in (exe, os.path.join(share, "psp", "mg.pseu"), os.path.join(share, "psp", "README.md"),
              os.path.join(share, "configs", "mg_small.opts"), os.path.join(share, "configs", "demo.opts"),
              os.path.join(prefix, "share", "doc", "strainfield", "design.md"),
              os.path.join(prefix, "share", "doc", "strainfield", "formats.md")):
        check(os.path.isfile(f), "installed " + os.path.relpath(f, prefix))
    # the source tree's data/psp must not be what the installed binary reads: move the
    # prefix, so only the lookup relative to the binary can find its psp
    moved = os.path.join(WORK, "moved")
    shutil.move(prefix, moved)
    exe, share = exe.replace(prefix, moved), share.replace(prefix, moved)
    elsewhere = os.path.join(WORK, "elsewhere")
    os.makedirs(elsewhere)
    summary = os.path.join(elsewhere, "s.json")
    p = sh([exe, "scf", "-options_file", os.path.join(share, "configs", "mg_small.opts"), "-ecut", "8",
            "-ngfft", "16,27,27", "-ngkpt", "1,1,1", "-summary", summary], cwd=elsewhere)
    check(p.returncode == 0, f"installed scf: exit code 0 (got {p.returncode})")
    psp = json.load(open(summary))["pseudopotentials"][0]
    want = os.path.realpath(os.path.join(share, "psp", "mg.pseu"))
    check(psp["path"] == want, f"recorded psp {psp['path']} is the installed one ({want})")
    check(psp["md5"] == hashlib.md5(open(want, "rb").read()).hexdigest(), "recorded md5 is the file's")
    # run -figures finds the installed figures tool (not the source's): a -figures_python
    # that fails its --check names the tool it ran, before any campaign
    tool = os.path.realpath(os.path.join(share, "figures", "sf_figures.py"))
    check(os.path.isfile(tool) and os.path.isfile(os.path.join(share, "figures", "fig_path.py")),
          "installed share/strainfield/figures")
    p = sh([exe, "run", "-options_file", os.path.join(share, "configs", "demo.opts"), "-dataset",
            os.path.join(elsewhere, "d.h5"), "-figures", os.path.join(elsewhere, "figs"), "-figures_python", "/bin/false"],
           cwd=elsewhere)
    check(p.returncode == 3 and f"the figures tool {tool} failed" in p.stderr, "run -figures uses the installed tool")
    check(not os.path.exists(os.path.join(elsewhere, "d.h5.parts")), "  and stops before the campaign")
    p = sh(["/usr/bin/python3", tool, "--check"])
    check(p.returncode == 0, "the installed tool imports matplotlib, h5py, numpy")


if __name__ == "__main__":
    cli.main(globals(), "install_check.py")
