#!/usr/bin/python3
"""Where `strainfield scf` finds a relative -pseudos name, and what it records
(registered by tests/cli/CMakeLists.txt; environment as for cli.py).

usage: psp_lookup.py TEST
  config_elsewhere  configs/mg_small.opts run from an unrelated working directory: the
                    summary records the absolute path of the repository's data/psp/mg.pseu
                    and its md5 (the file's own, and the one data/psp/README.md gives)
  order             a same-named file in the options file's folder wins over -pp_dirpath,
                    -pp_dirpath over ABINIT's folder; a name given on the command line is
                    looked up in the working directory; a name found nowhere is one line
                    naming every folder searched
  not_regular       /dev/zero, a FIFO and a folder given as -pseudos are refused at once
"""
import hashlib
import json
import os
import re
import shutil
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
from cli import AL, AL_PSP, SF_ERR_FILE, SOURCE, check, path, run  # noqa: E402

MG_MD5 = "29b9f402df58835b50a7ff5f1503472c"  # data/psp/README.md


def md5(f):
    return hashlib.md5(open(f, "rb").read()).hexdigest()


def recorded(summary):
    s = json.load(open(summary))
    check(len(s["pseudopotentials"]) == 1, "one pseudopotential recorded")
    return s["pseudopotentials"][0]


def t_config_elsewhere():
    cwd = path("elsewhere")
    os.makedirs(cwd)
    cli.WORK = cwd  # run() works in cli.WORK
    config = os.path.abspath(os.path.join(SOURCE, "configs", "mg_small.opts"))
    check(re.search(r"^-pseudos mg\.pseu$", open(config).read(), re.M) is not None,
          "configs/mg_small.opts names mg.pseu without a folder")
    summary = os.path.join(cwd, "s.json")
    p = run(["-options_file", config, "-ecut", "8", "-ngfft", "16,27,27", "-ngkpt", "1,1,1",
             "-summary", summary])
    check(p.returncode == 0, f"exit code 0 (got {p.returncode})")
    psp = recorded(summary)
    shipped = os.path.realpath(os.path.join(SOURCE, "data", "psp", "mg.pseu"))
    check(os.path.isabs(psp["path"]), f"recorded path {psp['path']} is absolute")
    check(psp["path"] == shipped, f"recorded path is the repository's data/psp/mg.pseu ({shipped})")
    check(psp["md5"] == md5(shipped) == MG_MD5, f"recorded md5 {psp['md5']} = md5 of the file = {MG_MD5}")
    s = json.load(open(summary))
    check(s["free_energy"] == s["free_energy"] and abs(s["free_energy"]) < 1e3, "a finite free energy")
    # mg.pseu was made with pspxc 2 (Perdew-Zunger-Ceperley-Alder) and the config asks for
    # -ixc 7 (Perdew-Wang): ABINIT warns and goes on; so do we, once, naming both.
    warn = [l for l in p.stderr.splitlines() if "warning" in l and "pspxc=2" in l and "-ixc 7" in l]
    check(len(warn) == 1, f"one pspxc/-ixc warning naming both (got {len(warn)})")
    p2 = run(["-options_file", config, "-ixc", "2", "-ecut", "8", "-ngfft", "16,27,27", "-ngkpt", "1,1,1",
              "-summary", summary])
    check(p2.returncode == 0 and "pspxc" not in p2.stderr, "no warning when -ixc equals pspxc")


def al_copy(folder, tag):
    """13al.pspnc with its title line (free text) changed, so each copy has its own md5."""
    os.makedirs(folder, exist_ok=True)
    lines = open(AL_PSP).read().splitlines(True)
    lines[0] = f"Al copy {tag}\n"
    f = os.path.join(folder, "al.pspnc")
    open(f, "w").writelines(lines)
    return os.path.realpath(f)


def al_opts(folder, pseudos):
    """AL's options as an options file in `folder` (with -pseudos replaced)."""
    os.makedirs(folder, exist_ok=True)
    pairs = [(AL[i], AL[i + 1]) for i in range(0, len(AL), 2) if AL[i] != "-pseudos"]
    f = os.path.join(folder, "al.opts")
    open(f, "w").write("".join(f"{k} {v}\n" for k, v in pairs + [("-pseudos", pseudos)]))
    return f


def chosen(args, tag):
    summary = path(tag + ".json")
    p = run(args + ["-summary", summary])
    check(p.returncode == 0, f"{tag}: exit code 0 (got {p.returncode})")
    psp = recorded(summary)
    check(psp["md5"] == md5(psp["path"]), f"{tag}: recorded md5 is that of the recorded file")
    return psp["path"]


def t_order():
    a, b, c = path("a"), path("b"), path("c")
    in_a, in_b, in_c = al_copy(a, "a"), al_copy(b, "b"), al_copy(c, "c")
    al_opts(a, "al.pspnc")
    cli.WORK = c  # the working directory holds a third copy, which a file's name must not reach
    opts = ["-options_file", "../a/al.opts", "-pp_dirpath", "../b"]
    check(chosen(opts, "file_folder") == in_a, "the options file's folder first")
    os.remove(in_a)
    check(chosen(opts, "pp_dirpath") == in_b, "then -pp_dirpath")
    os.remove(in_b)
    p = run(opts)
    check(p.returncode == SF_ERR_FILE, f"not in a/ nor b/: exit code {SF_ERR_FILE} (got {p.returncode})")
    where = [os.path.realpath(d) for d in (a, b, os.path.join(SOURCE, "data", "psp"), "/usr/share/abinit/psp")]
    check(len(p.stderr.strip().splitlines()) == 1, "one line of error")
    check(re.search(r"-pseudos: al\.pspnc not found in " + ", ".join(re.escape(w) for w in where), p.stderr)
          is not None, "it names the folders searched, in order: " + ", ".join(where))
    check(in_c not in p.stderr and "/c," not in p.stderr, "the working directory is not searched for a file's name")
    check(chosen(opts + ["-pseudos", "al.pspnc"], "command_line") == in_c,
          "-pseudos on the command line (after the file): the working directory")
    al_opts(a, "13al.pspnc")
    check(chosen(opts, "abinit") == os.path.realpath(AL_PSP), "last, /usr/share/abinit/psp")
    shutil.copy(in_c, os.path.join(b, "13al.pspnc"))
    check(chosen(opts, "pp_over_abinit") == os.path.realpath(os.path.join(b, "13al.pspnc")),
          "-pp_dirpath before /usr/share/abinit/psp")


def t_not_regular():
    fifo = path("fifo.pspnc")
    os.mkfifo(fifo)
    check(stat.S_ISFIFO(os.stat(fifo).st_mode), "made a FIFO")
    os.makedirs(path("dir.pspnc"))
    for name in ("/dev/zero", fifo, "fifo.pspnc", "dir.pspnc"):
        p = run(AL + ["-pseudos", name])  # run() enforces a timeout: /dev/zero used to spin
        check(p.returncode == SF_ERR_FILE, f"{name}: exit code {SF_ERR_FILE} (got {p.returncode})")
        check(re.search(r"-pseudos: \S*" + re.escape(os.path.basename(name)) + r" is not a regular file",
                        p.stderr) is not None, f"{name}: 'is not a regular file'")


if __name__ == "__main__":
    cli.main(globals(), "psp_lookup.py")
