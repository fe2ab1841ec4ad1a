#!/usr/bin/python3
"""Tests of the paper's figures (`run -figures`, scripts/figures/sf_figures.py) and of the
volumetric files of -fields_format (registered by CMakeLists.txt here; label "figures").

usage: figures.py TEST   with the environment of tests/cli/cli.py (SF_EXE, SF_SOURCE,
SF_WORK, MPIEXEC) and SF_FIG_DATA, the folder of the shared small run that `run` makes:
`strainfield run` on 14 samples of tests/generate/tiny.opts (10 train, 4 test, a
learning-curve point at 8) with -figures, ~40 s on 2 ranks.

  run           the run draws every figure; the log names the folder
  pngs          each PNG is a picture: size, pixel variance, not blank
  csv           each CSV holds the numbers of the file it came from (train, evaluate and
                path JSON, dataset and fields HDF5), and those numbers are consistent
                (the per-sample arrays average to the summary's means; the volumetric
                strain is the dataset's det(lattice)/det(reference) − 1; Figure 2's
                sample is the test sample of median ρ NRMSE, predicted at its strain)
  dft           the tool with the DFT points of benchmarks/results/path_vs_dft: Figure 9's
                and 10's DFT rows are that folder's numbers
  cube_predict  predict -fields_format h5,xsf,cube: the cube and XSF files read back equal
                the HDF5 fields, the cell of the strain and the predicted atoms; one file
                per strain for a strain file
  cube_scf      relax -fields_format h5,cube: the same against its HDF5 and summary, the
                charge column is zion, and the cube's density integrates to nelect
  refusals      a bad -fields_format, a -figures folder that cannot be made and a
                -figures_python that cannot run are refused before any work
"""
import csv
import json
import math
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
import cli  # noqa: E402
from cli import EXE, MPIEXEC, SF_ERR_FILE, SF_ERR_INPUT, SOURCE, check, path  # noqa: E402

DATA = os.environ.get("SF_FIG_DATA", "/tmp/sf_fig_data")
DATASET = os.path.join(DATA, "d.h5")
MODEL, TRAIN, EVAL = DATASET + ".model.h5", DATASET + ".train.json", DATASET + ".evaluate.json"
FIGS = os.path.join(DATA, "figs")
TINY = os.path.join(SOURCE, "tests", "generate", "tiny.opts")
TOOL = os.path.join(SOURCE, "scripts", "figures", "sf_figures.py")
BOHR_ANGSTROM = 0.52917721067
GPA = 29421.0156965221
NAMES = ["fig2_fields", "fig3_energies", "fig4_learning_curve", "fig5_nrmse_volumetric", "fig7_energy_routes",
         "fig8_linear_vs_network", "fig9_uniaxial", "fig10_positions"]
FIELDS = ("rho", "phi", "u", "s")
RUN = ["run", "-options_file", TINY, "-pseudos", "mg.pseu", "-samples", "14", "-ntest", "4", "-epochs", "300",
       "-learning_curve", "8", "-pca_components", "4", "-arch_rho", "8,8", "-arch_phi", "8,8", "-arch_u", "8,8",
       "-arch_s", "8,8", "-arch_xred", "16,16", "-arch_energy", "16,16", "-par_sample_groups", "2"]


def sf(args, np_=1, cwd=None, timeout=400):
    cmd = [EXE] + args
    if np_ > 1:
        cmd = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_)] + cmd
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, cwd=cwd or cli.WORK, capture_output=True, text=True, timeout=timeout)
    sys.stdout.write(p.stdout[-2500:] + "stderr: " + p.stderr[-1500:] + "\n")
    return p


def read_csv(name, folder=FIGS):
    with open(os.path.join(folder, name + ".csv")) as f:
        r = list(csv.reader(f))
    return r[0], r[1:]


def col(header, rows, name, conv=float):
    k = header.index(name)
    return [conv(r[k]) for r in rows]


def same(a, b):
    """Exactly the same numbers (NaN equal to NaN)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def close(a, b):
    """Equal to the last bits: cJSON writes a double with 15 digits when they read back
    within DBL_EPSILON of it, so JSON and HDF5 copies of a number can differ by an ulp."""
    return np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=4e-16, atol=0)


def t_run():
    os.makedirs(DATA, exist_ok=True)
    for f in os.listdir(DATA):
        p = os.path.join(DATA, f)
        if os.path.isfile(p):
            os.remove(p)
    p = sf(RUN + ["-dataset", DATASET, "-figures", FIGS], np_=2, cwd=DATA)
    check(p.returncode == 0, f"run -figures: exit code 0 (got {p.returncode})")
    check("run: figures 2, 3, 4, 5, 7, 8, 9, 10 (PNG and CSV) in " + FIGS in p.stdout, "the log names the figures folder")
    for n in NAMES:
        for ext in (".png", ".csv"):
            check(os.path.isfile(os.path.join(FIGS, n + ext)), f"{n}{ext} written")
    check(not [f for f in os.listdir(FIGS) if f.endswith(".tmp") or ".tmp." in f], "no temporary file left")


def t_pngs():
    import matplotlib.image
    for n in NAMES:
        img = matplotlib.image.imread(os.path.join(FIGS, n + ".png"))
        h, w = img.shape[:2]
        gray = img[:, :, :3].mean(axis=2)
        ink = float((gray < 0.9).mean())
        print(f"{n}: {w}x{h} px, pixel std {gray.std():.3f}, {100 * ink:.1f}% non-white")
        check(w >= 600 and h >= 400, f"{n}: at least 600x400 pixels")
        check(gray.std() > 0.05 and ink > 0.02, f"{n}: not blank (pixel std > 0.05, > 2% drawn)")


def t_csv():
    t, e = json.load(open(TRAIN)), json.load(open(EVAL))
    ts = t["test_samples"]
    idx = ts["index"]
    with h5py.File(DATASET, "r") as h:
        s = {k: h["samples/" + k][()] for k in ("band_energy", "entropy_term", "free_energy", "lattice", "D")}
        ref = h.attrs["reference_lattice"]
        fields = {f: h["fields/" + f][()] for f in FIELDS}
    # the per-sample arrays are the summary's: their means are the means it reports
    for f in FIELDS:
        for kind, key in (("network", "mean"), ("pca", "pca_mean"), ("linear", "linear_mean")):
            m = float(np.mean(ts["nrmse"][f][kind]))
            check(math.isclose(m, t["nrmse"][f][key], rel_tol=1e-12), f"mean of test_samples {f} {kind} = nrmse.{f}.{key}")
    Fd = np.array(ts["free_energy"]["dataset"])
    check(close(Fd, s["free_energy"][idx]), "test_samples free_energy.dataset = the dataset's F")
    mae = float(np.mean(np.abs(np.array(ts["free_energy"]["network"]) - Fd))) * 1e3
    check(math.isclose(mae, t["free_energy_mae_mHa"], rel_tol=1e-9), "test_samples F error mean = free_energy_mae_mHa")
    check(math.isclose(np.mean(ts["xred_error_bohr"]["network"]), t["xred_mae_bohr"], rel_tol=1e-12),
          "test_samples xred error mean = xred_mae_bohr")
    vs = np.abs(np.linalg.det(s["lattice"][idx])) / abs(np.linalg.det(ref)) - 1
    check(np.allclose(vs, ts["volumetric_strain"], rtol=0, atol=1e-13), "volumetric strain = det(lattice)/det(ref) - 1")
    check(close(np.array(ts["D"]), s["D"][idx]), "test_samples D = the dataset's D")

    # Figure 2: the median-ρ test sample, its dataset and predicted fields on i3 = 0
    v = ts["nrmse"]["rho"]["network"]
    k = idx.index(_fig2_sample())
    below = sum(1 for x in v if x < v[k])
    check(below in ((len(v) - 1) // 2, len(v) // 2), f"Figure 2's sample {idx[k]} is the test sample of median rho NRMSE")
    hd, rows = read_csv("fig2_fields")
    i1, i2 = col(hd, rows, "i1", int), col(hd, rows, "i2", int)
    with h5py.File(os.path.join(FIGS, "fig2_predict.h5"), "r") as h:
        check(close(h["D"][0], s["D"][idx[k]]), "Figure 2's prediction is at the sample's D")
        for f in FIELDS:
            tru, pre = fields[f][idx[k]][i1, i2, 0], h["fields/" + f][0][i1, i2, 0]
            check(same(col(hd, rows, f + "_dft"), tru) and same(col(hd, rows, f + "_predicted"), pre) and
                  same(col(hd, rows, f + "_error"), pre - tru), f"fig2 {f}: CSV = dataset, prediction and their difference")
    n1, n2 = fields["rho"].shape[1:3]
    check(len(rows) == n1 * n2, "fig2: one row per point of the plane")
    lat = s["lattice"][idx[k]]
    xy = np.array(i1)[:, None] / n1 * lat[0][:2] + np.array(i2)[:, None] / n2 * lat[1][:2]
    check(np.allclose(xy[:, 0], col(hd, rows, "x1_bohr"), atol=1e-12) and
          np.allclose(xy[:, 1], col(hd, rows, "x2_bohr"), atol=1e-12), "fig2: x1, x2 of the sample's cell")

    # Figure 3: evaluate's sum route terms and direct route, the dataset's U, -TS, F
    hd, rows = read_csv("fig3_energies")
    per_d = {p["index"]: p for p in e["routes"]["direct"]["per_sample"]}
    per_s = {p["index"]: p for p in e["routes"]["sum"]["per_sample"]}
    ii = col(hd, rows, "index", int)
    check(sorted(ii) == sorted(per_d), "fig3: the evaluated samples")
    check(same(col(hd, rows, "U_predicted_Ha"), [per_s[i]["band"] for i in ii]) and
          same(col(hd, rows, "minus_TS_predicted_Ha"), [per_s[i]["entropy_term"] for i in ii]) and
          same(col(hd, rows, "F_predicted_Ha"), [per_d[i]["free_energy"] for i in ii]), "fig3: predictions = evaluate's")
    check(same(col(hd, rows, "U_dataset_Ha"), s["band_energy"][ii]) and
          same(col(hd, rows, "minus_TS_dataset_Ha"), s["entropy_term"][ii]) and
          same(col(hd, rows, "F_dataset_Ha"), s["free_energy"][ii]), "fig3: DFT values = the dataset's")
    Ue = np.abs(np.array(col(hd, rows, "U_predicted_Ha")) - col(hd, rows, "U_dataset_Ha")) * 1e3
    check(math.isclose(Ue.mean(), e["band_energy"]["mae_mHa"], rel_tol=1e-9), "fig3: mean |U error| = evaluate's band_energy")

    # Figure 4: the learning-curve points and the full set
    hd, rows = read_csv("fig4_learning_curve")
    pts = sorted(t["learning_curve"] + [t], key=lambda p: p["ntrain_used"])
    check(col(hd, rows, "ntrain", int) == [p["ntrain_used"] for p in pts] == [8, 10], "fig4: ntrain 8 and 10")
    for f in FIELDS:
        check(same(col(hd, rows, f + "_nrmse_mean"), [p["nrmse"][f]["mean"] for p in pts]) and
              same(col(hd, rows, f + "_pca_nrmse_mean"), [p["nrmse"][f]["pca_mean"] for p in pts]), f"fig4: {f} = train's")
    check(same(col(hd, rows, "free_energy_mae_mHa"), [p["free_energy_mae_mHa"] for p in pts]), "fig4: F errors = train's")

    # Figures 5 and 8: every test sample's errors
    for name, kinds in (("fig5_nrmse_volumetric", ("network",)), ("fig8_linear_vs_network", ("network", "linear"))):
        hd, rows = read_csv(name)
        check(col(hd, rows, "index", int) == idx and same(col(hd, rows, "volumetric_strain"), ts["volumetric_strain"]),
              f"{name}: test samples and volumetric strain = train's")
        for kind in kinds:
            for f in FIELDS:
                check(same(col(hd, rows, f"{f}_{kind}"), ts["nrmse"][f][kind]), f"{name}: {f} {kind} = train's")
            check(same(col(hd, rows, f"xred_{kind}"), ts["xred_error_bohr"][kind]), f"{name}: xred {kind} = train's")
            Fe = np.abs(np.array(ts["free_energy"][kind]) - Fd) * 1e3
            check(np.allclose(col(hd, rows, f"F_{kind}"), Fe, rtol=1e-15, atol=0), f"{name}: |F error| {kind} = train's")

    # Figure 7: every route of evaluate
    hd, rows = read_csv("fig7_energy_routes")
    ii = col(hd, rows, "index", int)
    for r, o in e["routes"].items():
        per = {p["index"]: p for p in o["per_sample"]}
        check(same(col(hd, rows, f"F_{r}_Ha"), [per[i]["free_energy"] for i in ii]) and
              same(col(hd, rows, f"error_{r}_mHa"), [per[i]["error_mHa"] for i in ii]), f"fig7: route {r} = evaluate's")
    check(len(e["routes"]) == 5, "fig7: the five routes")

    # Figures 9 and 10: the three paths
    hd, rows = read_csv("fig9_uniaxial")
    for d in (1, 2, 3):
        pj = json.load(open(os.path.join(FIGS, f"path_{d}.json")))
        mine = [r for r in rows if r[0] == "model" and int(r[1]) == d]
        sig = [p["sigma_minus_reference"][d - 1] for p in pj["points"]]
        got = col(hd, mine, "sigma_minus_reference_Ha_Bohr3")
        check(same(got, sig), f"fig9: direction {d} stress = path's sigma_minus_reference")
        check(np.allclose(col(hd, mine, "sigma_minus_reference_GPa"), np.array(sig) * GPA, rtol=1e-14, atol=0),
              f"fig9: direction {d} GPa column")
        for v in range(3):
            check(same(col(hd, mine, f"e{v + 1}{v + 1}"), [p["e"][v] for p in pj["points"]]), f"fig9: dir {d} e{v + 1}{v + 1}")
    pj = json.load(open(os.path.join(FIGS, "path_2.json")))
    hd, rows = read_csv("fig10_positions")
    mine = [r for r in rows if r[0] == "model"]
    natom = len(pj["points"][0]["xred"]) // 3
    want = np.array([p["xred"] for p in pj["points"]]).reshape(-1, 3)
    got = np.array([[float(r[3]), float(r[4]), float(r[5])] for r in mine])
    check(len(mine) == natom * len(pj["points"]) and same(got, want), "fig10: positions = path's xred")
    with h5py.File(os.path.join(FIGS, "path_2_fields.h5"), "r") as h:
        check(close(h["D"][()], [p["D"] for p in pj["points"]]), "fig10: the fields file is at the path's strains")


def _fig2_sample():
    """Figure 2's sample, from the title the tool reads: the rows of fig2_fields hold its
    dataset field; find which test sample's field they are."""
    hd, rows = read_csv("fig2_fields")
    i1, i2 = col(hd, rows, "i1", int), col(hd, rows, "i2", int)
    tru = np.array(col(hd, rows, "rho_dft"))
    with h5py.File(DATASET, "r") as h:
        rho = h["fields/rho"][()]
    hits = [i for i in range(len(rho)) if same(rho[i][i1, i2, 0], tru)]
    check(len(hits) == 1, "fig2: the DFT field is one sample's")
    return hits[0]


def t_dft():
    bench = os.path.join(SOURCE, "benchmarks", "results", "path_vs_dft")
    out = path("figs")
    p = subprocess.run(["/usr/bin/python3", TOOL, "--path", os.path.join(FIGS, "path_2.json"), "--dft", bench,
                        "--only", "fig9_uniaxial,fig10_positions", "--out", out], capture_output=True, text=True,
                       timeout=120)
    print(p.stdout, p.stderr[-1500:])
    check(p.returncode == 0, "the tool with --dft: exit code 0")
    ref = json.load(open(os.path.join(bench, "path_vs_dft.json")))
    hd, rows = read_csv("fig9_uniaxial", out)
    dft = [r for r in rows if r[0] == "dft" and float(r[2]) != 0]
    pts = sorted(ref["points"], key=lambda q: q["e"])
    check(same(col(hd, dft, "e_loaded"), [q["e"] for q in pts]), "fig9: the DFT strains of path_vs_dft.json")
    check(same(col(hd, dft, "sigma_minus_reference_Ha_Bohr3"), [q["dsigma_dft"] for q in pts]), "fig9: DFT stress")
    check(same(col(hd, dft, "e11"), [q["transverse_dft"][0] for q in pts]) and
          same(col(hd, dft, "e33"), [q["transverse_dft"][1] for q in pts]), "fig9: DFT transverse strains")
    hd, rows = read_csv("fig10_positions", out)
    for q in pts:
        x = json.load(open(os.path.join(bench, "dft_%s.json" % q["e"])))["xred"]
        got = [[float(r[3]), float(r[4]), float(r[5])] for r in rows if r[0] == "dft" and float(r[1]) == q["e"]]
        check(same(got, x), f"fig10: DFT positions at e22 = {q['e']} = dft_{q['e']}.json's")


def read_cube(fname):
    """A Gaussian cube file: natom, origin, counts, voxel vectors, atoms (Z, charge, xyz),
    values (n1, n2, n3) — read by its own rules, independent of the writer."""
    lines = open(fname).read().split("\n")
    head = lines[2].split()
    natom, origin = int(head[0]), np.array(head[1:4], float)
    n, vox = [], []
    for i in range(3):
        w = lines[3 + i].split()
        n.append(int(w[0]))
        vox.append([float(x) for x in w[1:4]])
    atoms = [[float(x) for x in lines[6 + a].split()] for a in range(natom)]
    vals = np.array(" ".join(lines[6 + natom:]).split(), float)
    return natom, origin, n, np.array(vox), np.array(atoms), vals.reshape(n)


def read_xsf(fname):
    """The PRIMVEC lattice (Å) and the general grid (first index fastest, end points repeated)."""
    lines = open(fname).read().split("\n")
    k = lines.index("PRIMVEC")
    prim = np.array([lines[k + 1 + i].split() for i in range(3)], float)
    k = next(i for i, line in enumerate(lines) if line.strip() == "BEGIN_DATAGRID_3D_field")
    n = [int(x) for x in lines[k + 1].split()]
    end = next(i for i, line in enumerate(lines) if line.strip() == "END_DATAGRID_3D")
    vals = np.array(" ".join(lines[k + 6:end]).split(), float).reshape(n[2], n[1], n[0]).transpose(2, 1, 0)
    return prim, vals


def check_cube(fname, field, lattice, xred, znucl, charge, what):
    natom, origin, n, vox, atoms, vals = read_cube(fname)
    check(natom == len(xred) and np.all(origin == 0) and tuple(n) == field.shape, f"{what}: header (atoms, origin, grid)")
    check(np.allclose(vox * np.array(n)[:, None], lattice, atol=1e-11), f"{what}: voxel vectors x n = the cell (Bohr)")
    check(np.all(atoms[:, 0] == znucl) and np.allclose(atoms[:, 1], charge, atol=1e-8), f"{what}: Z and charge")
    check(np.allclose(atoms[:, 2:], np.asarray(xred) @ lattice, atol=1e-11), f"{what}: atoms at xred . lattice (Bohr)")
    err = np.abs(vals - field).max() / np.abs(field).max()
    check(err < 1e-9, f"{what}: values = the HDF5 field (max rel. difference {err:.1e})")
    return vals, np.abs(np.linalg.det(vox))


def t_cube_predict():
    D = [[1.02, 0.97, 1.01, 91.0, 89.0, 90.5], [0.98, 1.03, 0.99, 89.5, 90.0, 91.0]]
    p = sf(["predict", "-model", MODEL, "-strain_D", ",".join(map(str, D[0])), "-summary", path("p.json"), "-fields",
            path("p.h5"), "-fields_format", "h5,xsf,cube"])
    check(p.returncode == 0, "predict -fields_format h5,xsf,cube: exit code 0")
    pj = json.load(open(path("p.json")))
    lat, xred = np.array(pj["lattice"]), np.reshape(pj["xred"], (-1, 3))
    with h5py.File(path("p.h5"), "r") as h:
        for f in FIELDS:
            fld = h["fields/" + f][0]
            check_cube(path(f"p_{f}.cube"), fld, lat, xred, 12, 12, f"predict {f}.cube")
            prim, xv = read_xsf(path(f"p_{f}.xsf"))
            check(np.allclose(prim, lat * BOHR_ANGSTROM, atol=1e-9), f"predict {f}.xsf: the cell in Angstrom")
            per = np.pad(fld, ((0, 1), (0, 1), (0, 1)), mode="wrap")
            check(np.abs(xv - per).max() <= 1e-7 * np.abs(fld).max(), f"predict {f}.xsf: values with periodic end points")
    np.savetxt(path("strains.txt"), D)
    p = sf(["predict", "-model", MODEL, "-strain_file", path("strains.txt"), "-summary", path("q.json"), "-fields",
            path("q"), "-fields_format", "cube"])
    check(p.returncode == 0, "predict -strain_file, -fields_format cube: exit code 0")
    check(not os.path.exists(path("q")), "no HDF5 file without h5 in -fields_format")
    q = json.load(open(path("q.json")))
    p = sf(["predict", "-model", MODEL, "-strain_file", path("strains.txt"), "-fields", path("q.h5")])
    with h5py.File(path("q.h5"), "r") as h:
        for i in range(2):
            check_cube(path(f"q_{i}_rho.cube"), h["fields/rho"][i], np.array(q["lattice"][i]),
                       np.reshape(q["xred"][i], (-1, 3)), 12, 12, f"strain {i}: q_{i}_rho.cube")


def t_cube_scf():
    # relax: tiny.opts carries the relaxation's options (scf would refuse them as unused)
    p = sf(["relax", "-options_file", TINY, "-pseudos", "mg.pseu", "-strain_D", "1.03,0.98,1.0,91,89.5,90",
            "-summary", path("s.json"), "-fields", path("s.h5"), "-fields_format", "h5,cube"])
    check(p.returncode == 0, "relax -fields_format h5,cube: exit code 0")
    s = json.load(open(path("s.json")))
    lat, xred = np.array(s["lattice"]), np.array(s["xred"])
    zion = s["pseudopotentials"][0]["zion"]
    with h5py.File(path("s.h5"), "r") as h:
        for f in FIELDS:
            vals, dv = check_cube(path(f"s_{f}.cube"), h[f][()], lat, xred, 12, zion, f"relax {f}.cube")
            if f == "rho":
                q = vals.sum() * dv
                check(abs(q - s["nelect"]) < 1e-9, f"the cube's density integrates to nelect ({q:.10f} vs {s['nelect']})")
    check(not os.path.exists(path("s_rho.xsf")), "no XSF file unless asked")


def t_refusals():
    p = sf(["relax", "-options_file", TINY, "-pseudos", "mg.pseu", "-fields", path("x.h5"), "-fields_format", "h5,vtk"])
    check(p.returncode == SF_ERR_INPUT and "-fields_format: unknown format 'vtk'" in p.stderr,
          "relax -fields_format h5,vtk: exit 2 naming the option")
    p = sf(["predict", "-model", MODEL, "-strain_D", "1,1,1,90,90,90", "-fields", path("x"), "-fields_format", ""])
    check(p.returncode == SF_ERR_INPUT and "-fields_format" in p.stderr, "predict -fields_format '': exit 2")
    base = RUN + ["-dataset", path("r.h5")]
    for extra, code, words in ((["-figures", path("no/such/figs")], SF_ERR_FILE, "-figures"),
                               (["-figures", path("figs"), "-figures_python", "/nonexistent/python3"], SF_ERR_FILE,
                                "-figures_python /nonexistent/python3"),
                               (["-figures", path("figs"), "-figures_python", "/bin/false"], SF_ERR_FILE,
                                "the figures tool " + TOOL + " failed")):
        p = sf(base + extra)
        check(p.returncode == code and words in p.stderr, f"run {' '.join(extra)}: exit {code}, '{words}'")
        check(not os.path.exists(path("r.h5")) and not os.path.exists(path("r.h5.parts")), "  before the campaign")


if __name__ == "__main__":
    cli.main(globals(), "figures.py")
