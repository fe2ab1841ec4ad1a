#!/usr/bin/python3
"""End-to-end tests of `strainfield scf` (registered by tests/cli/CMakeLists.txt).

usage: cli.py TEST   with the environment
  SF_EXE      the strainfield binary
  SF_SOURCE   the source tree (for configs/ and data/psp/mg.pseu)
  SF_WORK     a scratch directory for this test (emptied first)
  MPIEXEC     mpirun (for the *_np2 tests)

Each test prints what it checked and exits 1 on the first failed assertion.
Inputs are tiny: Al fcc (1 atom, 3 electrons, ecut 6) and the Mg cell of
configs/mg_small.opts at ecut 8 on a 16x27x27 grid with one k-point.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

EXE = os.environ.get("SF_EXE", "strainfield")
SOURCE = os.environ.get("SF_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
MG_PSP = os.path.join(SOURCE, "data", "psp", "mg.pseu")
WORK = os.environ.get("SF_WORK", "/tmp/sf_cli")
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
AL_PSP = "/usr/share/abinit/psp/13al.pspnc"

SF_ERR_INPUT, SF_ERR_FILE, SF_ERR_NOCONV = 2, 3, 5

AL = ["-acell", "7.6,7.6,7.6", "-rprim", "0,0.5,0.5,0.5,0,0.5,0.5,0.5,0", "-xred", "0,0,0",
      "-znucl", "13", "-pseudos", AL_PSP, "-ecut", "6", "-ngkpt", "2,2,2", "-occopt", "4",
      "-tsmear", "0.02", "-toldfe", "1e-11"]
MG_XRED = [0, 0, 0, 0.5, 0.5, 0, 0, 0.666666666666667, 0.5, 0.5, 0.166666666666667, 0.5]
MG_GRID = (16, 27, 27)


def mg(xred=MG_XRED):
    return ["-options_file", os.path.join(SOURCE, "configs", "mg_small.opts"),
            "-pseudos", MG_PSP, "-ecut", "8",
            "-ngfft", ",".join(map(str, MG_GRID)), "-ngkpt", "1,1,1", "-toldfe", "1e-11",
            "-xred", ",".join(repr(float(v)) for v in xred)]


class Fail(Exception):
    pass


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        raise Fail(what)


def path(name):
    return os.path.join(WORK, name)


def run(args, np_=1):
    cmd = [EXE, "scf"] + args
    if np_ > 1:
        cmd = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_)] + cmd
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, timeout=240)
    if p.returncode or "-v" in args:
        sys.stdout.write(p.stdout[-3000:])
    sys.stdout.write("stderr: " + p.stderr[-2000:] + "\n")
    return p


def scf_ok(args, tag, np_=1, fields=False):
    """Run to convergence; return the summary (and the fields file name)."""
    extra = ["-summary", path(tag + ".json")] + (["-fields", path(tag + ".h5")] if fields else [])
    p = run(args + extra, np_)
    check(p.returncode == 0, f"{tag}: exit code 0 (got {p.returncode})")
    s = json.load(open(path(tag + ".json")))
    check(s["scf"]["converged"] is True, f"{tag}: scf.converged is true")
    return s


# ------------------------------------------------------------------ bad input

def bad(args, code, patterns, base=AL, np_=1):
    """A failing run: exit code `code`, every regex in `patterns` found in stderr, and no
    fields file (nor FILE.tmp) left behind."""
    fields = path("out.h5")
    p = run(base + ["-fields", fields] + args, np_)
    check(p.returncode == code, f"exit code {code} (got {p.returncode})")
    for pat in patterns:
        check(re.search(pat, p.stderr) is not None, f"stderr matches /{pat}/")
    check(not os.path.exists(fields), "no fields file after a failed run")
    check(not os.path.exists(fields + ".tmp"), "no fields .tmp left behind")
    return p


def t_missing_psp():
    bad(["-pseudos", "/nonexistent.psp"], SF_ERR_FILE,
        [r"/nonexistent\.psp\b.*(cannot open|No such file)"])


def t_truncated_psp():
    lines = open(AL_PSP).read().splitlines(True)
    half = path("half.pspnc")
    open(half, "w").writelines(lines[: len(lines) // 2])
    bad(["-pseudos", half], SF_ERR_FILE, [re.escape(half) + r"(:\d+)?\b.*truncated"])


def t_bad_pspcod():
    lines = open(AL_PSP).read().splitlines(True)
    check(lines[2].split()[0] == "1" and "pspcod" in lines[2], "line 3 of 13al.pspnc is the pspcod line")
    lines[2] = "   99" + lines[2][5:]
    f = path("cod99.pspnc")
    open(f, "w").writelines(lines)
    bad(["-pseudos", f], SF_ERR_FILE, [re.escape(f) + r":3\b", r"pspcod\s*=?\s*99"])


def t_unknown_option():
    bad(["-ecutt", "10"], SF_ERR_INPUT, [r"-ecutt\b", r"did you mean -ecut\?"])


def t_unknown_option_in_file():
    f = path("extra.opts")
    open(f, "w").write("# extra options\n-ngkpt 2,2,2\n-nbandd 8\n")
    bad(["-options_file", f], SF_ERR_INPUT,
        [r"-nbandd\b", r"did you mean -nband\?", re.escape(f) + r"\W+line 3\b"])


def t_left_handed_cell():
    # a1 and a2 of fcc swapped: volume -109.744 Bohr^3
    bad(["-rprim", "0.5,0,0.5,0,0.5,0.5,0.5,0.5,0"], SF_ERR_INPUT,
        [r"-rprim", r"(volume|left-handed)"])


def t_degenerate_cell():
    # a2 = a1: zero volume
    bad(["-rprim", "0,0.5,0.5,0,0.5,0.5,0.5,0.5,0"], SF_ERR_INPUT,
        [r"-rprim", r"(volume|coplanar|degenerate)"])


def t_overlapping_atoms():
    bad(["-xred", "0.25,0.25,0.25,0.25,0.25,0.25", "-typat", "1,1"], SF_ERR_INPUT,
        [r"-xred", r"atoms 1 and 2"])


def t_nband_too_small():
    bad(["-nband", "1"], SF_ERR_INPUT, [r"-nband 1\b", r"3 electrons"])


def t_occopt_unsupported():
    # occopt 2 (occupations read per band) and 8 (uniform smearing) are ABINIT's but not ours
    for o in ("2", "8"):
        bad(["-occopt", o], SF_ERR_INPUT, [r"-occopt " + o + r"\b.*not supported", r"1, 3, 4, 5, 6 or 7"])


def t_nshiftk_counts():
    # -shiftk must give exactly 3 values per shift, and several shifts have no default
    bad(["-nshiftk", "2"], SF_ERR_INPUT, [r"-nshiftk 2 needs -shiftk with 6 values"])
    bad(["-nshiftk", "2", "-shiftk", "0,0,0"], SF_ERR_INPUT, [r"-shiftk has 3 values but -nshiftk 2 needs 6"])
    bad(["-nshiftk", "9", "-shiftk", ",".join(["0"] * 27)], SF_ERR_INPUT, [r"-nshiftk\b"])
    # the size check counts every shift: 4 x 80^3 = 2.0e6 points > 1048576
    bad(["-ngkpt", "80,80,80", "-nshiftk", "4", "-shiftk", "0.5,0.5,0.5,0.5,0,0,0,0.5,0,0,0,0.5"], SF_ERR_INPUT,
        [r"-ngkpt 80,80,80 with -nshiftk 4: the mesh of 2\.05e\+06 k-points is too large"])


def t_ecut_missing():
    base = [a for i, a in enumerate(AL) if a != "-ecut" and (i == 0 or AL[i - 1] != "-ecut")]
    check("-ecut" not in base, "base input without -ecut")
    bad([], SF_ERR_INPUT, [r"-ecut\b.*required"], base=base)


def t_ecut_no_value():
    bad(["-ecut"], SF_ERR_INPUT, [r"-ecut\b.*needs a value"])


def nonconv(np_):
    summary = path("nc.json")
    p = bad(["-nstep", "2", "-summary", summary], SF_ERR_NOCONV,
            [r"did not converge", r"-nstep 2\b"], np_=np_)
    check(p.stderr.count("did not converge") == 1, "the message is printed once")
    check(os.path.exists(summary) and not os.path.exists(summary + ".tmp"),
          "summary JSON written (and no .tmp)")
    s = json.load(open(summary))
    check(s["scf"]["converged"] is False, "scf.converged is false")
    check(s["scf"]["iterations"] == 2 and len(s["scf"]["history"]) == 2, "2 iterations recorded")
    check("converge" in s["scf"].get("error", ""), "scf.error says it did not converge")


def t_nonconv():
    nonconv(1)


def t_nonconv_np2():
    nonconv(2)


def t_fields_unwritable():
    # -fields names an existing directory: the write must fail, and leave nothing behind
    d = path("adir")
    os.makedirs(d)
    p = run(AL + ["-fields", d])
    check(p.returncode != 0, f"non-zero exit code (got {p.returncode})")
    check(re.search(re.escape(d), p.stderr) is not None, "stderr names the -fields path")
    check(os.path.isdir(d) and not os.listdir(d), "the directory is untouched")
    check(not os.path.exists(d + ".tmp"), "no .tmp left behind: " + d + ".tmp")


def help_check(args):
    p = run(args + ["-help"])
    check(p.returncode == 0, f"exit code 0 (got {p.returncode})")
    check(re.search(r"^\s*-ecut\s+real\s+\S+\s+plane-wave kinetic energy cutoff", p.stdout, re.M)
          is not None, "stdout lists -ecut with type, default and description")
    check(re.search(r"^\s*-nband\s", p.stdout, re.M) is not None, "stdout lists -nband")
    check(p.stderr.strip() == "", "nothing on stderr")


def t_help():
    help_check([])


def t_help_with_options():
    help_check(AL)


def t_help_subcommands():
    # -help must print the table even when required options (-samples, -dataset, -model)
    # are missing: it is how a user finds out what they are.
    expect = {"generate": ["-samples", "-dataset", "-ecut"], "run": ["-samples", "-epochs", "-train_groups"],
              "train": ["-dataset", "-train_groups", "-coef_scaling"], "predict": ["-model", "-strain_D"],
              "evaluate": ["-model", "-dataset", "-samples", "-routes", "-prediction"],
              "elastic": ["-elastic_delta", "-elastic_points", "-tolmxf", "-ecut", "-resume", "-par_sample_groups"]}
    for sub, opts in expect.items():
        p = subprocess.run([EXE, sub, "-help"], cwd=WORK, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"{sub} -help: exit code 0 (got {p.returncode}; stderr {p.stderr.strip()[:200]})")
        for o in opts:
            check(re.search(rf"^\s*{o}\s", p.stdout, re.M) is not None, f"{sub} -help lists {o}")
        check(p.stderr.strip() == "", f"{sub} -help: nothing on stderr")


# ------------------------------------------------------------------ physics sanity

def volume(lattice):
    return abs(np.linalg.det(np.array(lattice)))


def sums(s, h5file, tag):
    E = s["energies"]
    seven = ["kinetic", "hartree", "xc", "local_psp", "nonlocal_psp", "ewald", "psp_core"]
    check(abs(sum(E[k] for k in seven) - E["internal"]) < 1e-10,
          f"{tag}: the seven terms sum to energies.internal")
    check(abs(E["internal"] + E["entropy_term"] - s["free_energy"]) < 1e-10,
          f"{tag}: internal + entropy_term = free_energy")
    w = np.array(s["weights"])
    occ, eig = np.array(s["occupations"]), np.array(s["eigenvalues"])
    check(abs(w.sum() - 1) < 1e-12, f"{tag}: weights sum to 1")
    check(abs(w @ occ.sum(axis=1) - s["nelect"]) < 1e-10, f"{tag}: sum w f = nelect ({s['nelect']})")
    check(abs(w @ (occ * eig).sum(axis=1) - E["band"]) < 1e-10, f"{tag}: sum w f eps = energies.band")
    with h5py.File(h5file, "r") as f:
        rho, u, sd = f["rho"][()], f["u"][()], f["s"][()]
        check(list(rho.shape) == list(s["ngfft"]) and u.shape == rho.shape == sd.shape == f["phi"].shape,
              f"{tag}: fields have shape ngfft {s['ngfft']}")
        check(np.allclose(f["lattice"][()], s["lattice"], rtol=0, atol=1e-12), f"{tag}: h5 lattice = summary lattice")
        check(abs(float(np.ravel(f["free_energy"][()])[0]) - s["free_energy"]) < 1e-12, f"{tag}: h5 free_energy = summary")
        check(abs(float(np.ravel(f["fermi_energy"][()])[0]) - s["fermi_energy"]) < 1e-12, f"{tag}: h5 fermi_energy = summary")
    dv = volume(s["lattice"]) / rho.size
    tsmear = s["options"]["tsmear"]
    n, U, S = rho.sum() * dv, u.sum() * dv, sd.sum() * dv
    print(f"   int rho = {n:.12f}  int u = {U:.12f} (band {E['band']:.12f})  "
          f"-tsmear int s = {-tsmear * S:.3e} (entropy_term {E['entropy_term']:.3e})")
    check(abs(n - s["nelect"]) < 1e-8, f"{tag}: int rho = nelect to 1e-8 (diff {n - s['nelect']:.2e})")
    check(abs(U - E["band"]) < 1e-8, f"{tag}: int u = energies.band to 1e-8 (diff {U - E['band']:.2e})")
    check(abs(-tsmear * S - E["entropy_term"]) < 1e-8,
          f"{tag}: -tsmear int s = energies.entropy_term to 1e-8 (diff {-tsmear * S - E['entropy_term']:.2e})")
    check(abs(E["entropy_term"]) > 1e-5, f"{tag}: the entropy term is not trivially zero")
    check(rho.min() > -1e-10, f"{tag}: rho is non-negative")


def t_sums_al():
    s = scf_ok(AL, "al", fields=True)
    sums(s, path("al.h5"), "Al")


def t_sums_al_smearings():
    # the entropy-density field s of every smearing integrates to its -TS term
    for o in ("3", "5", "6", "7"):
        args = list(AL)
        args[args.index("-occopt") + 1] = o
        s = scf_ok(args, f"al_occopt{o}", fields=True)
        check(s["options"]["occopt"] == int(o), f"the run used occopt {o}")
        sums(s, path(f"al_occopt{o}.h5"), f"Al occopt {o}")


def t_sums_mg():
    s = scf_ok(mg(), "mg", fields=True)
    sums(s, path("mg.h5"), "Mg")


def t_translation_mg():
    ref = scf_ok(mg(), "ref")
    # a shift by whole grid steps, (1/16, 5/27, 8/27): the same problem on the same grid
    t = np.array([1, 5, 8]) / np.array(MG_GRID)
    sh = scf_ok(mg((np.array(MG_XRED).reshape(4, 3) + t).ravel()), "grid_shift")
    dF = sh["free_energy"] - ref["free_energy"]
    check(abs(dF) < 1e-8, f"grid-commensurate shift {t.round(4)}: |dF| = {abs(dF):.2e} < 1e-8")
    check(sh["nsym"] == ref["nsym"], f"same number of symmetry operations ({ref['nsym']})")
    de = np.abs(np.array(sh["eigenvalues"]) - np.array(ref["eigenvalues"])).max()
    check(de < 1e-7, f"same eigenvalues (max diff {de:.1e})")
    # (0.1, 0.2, 0.3) is not on the grid: the egg-box (aliasing) error is ~1.7e-6 Ha at this
    # grid (1.8e-7 at 24x40x40), so only a loose bound here
    sh2 = scf_ok(mg((np.array(MG_XRED).reshape(4, 3) + [0.1, 0.2, 0.3]).ravel()), "off_grid_shift")
    dF2 = sh2["free_energy"] - ref["free_energy"]
    check(abs(dF2) < 1e-5, f"off-grid shift (0.1,0.2,0.3): |dF| = {abs(dF2):.2e} < 1e-5 (egg-box)")


# ------------------------------------------------------------------ parallel invariance

PAR = AL + ["-ngkpt", "3,3,3", "-nband", "7"]  # 6 k-points, an odd number of bands


def parallel(groups):
    one = scf_ok(PAR, "np1", fields=True)
    two = scf_ok(PAR + ["-par_kpt_groups", str(groups)], f"np2_g{groups}", np_=2, fields=True)
    dF = two["free_energy"] - one["free_energy"]
    check(abs(dF) < 1e-9, f"2 ranks, {groups} k-point group(s): |dF| = {abs(dF):.1e} < 1e-9")
    check(np.allclose(two["kpoints"], one["kpoints"], atol=1e-14) and np.allclose(two["weights"], one["weights"]),
          "same k-points and weights")
    de = np.abs(np.array(two["eigenvalues"]) - np.array(one["eigenvalues"])).max()
    check(de < 1e-8, f"eigenvalues agree: max diff {de:.1e} < 1e-8")
    do = np.abs(np.array(two["occupations"]) - np.array(one["occupations"])).max()
    check(do < 1e-8, f"occupations agree: max diff {do:.1e} < 1e-8")
    with h5py.File(path("np1.h5"), "r") as a, h5py.File(path(f"np2_g{groups}.h5"), "r") as b:
        for k in ("rho", "u", "s", "phi"):
            d = np.abs(a[k][()] - b[k][()]).max()
            check(d < 1e-8, f"field {k} agrees: max diff {d:.1e}")


def t_parallel_kpt_np2():
    parallel(2)


def t_parallel_bands_np2():
    parallel(1)


# ------------------------------------------------------------------ main

def main(tests, script):
    """Runs the test sys.argv[1] (function t_NAME in `tests`, a module's globals()) in an
    emptied WORK; exit 1 on the first failed check."""
    name = sys.argv[1]
    fn = tests.get("t_" + name)
    if fn is None:
        sys.exit(f"{script}: no test {name}; tests: " +
                 " ".join(k[2:] for k in tests if k.startswith("t_")))
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    try:
        fn()
    except Fail:
        sys.exit(1)
    print(f"{name}: passed")


if __name__ == "__main__":
    main(globals(), "cli.py")
