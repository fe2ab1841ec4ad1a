"""fig_path.py — the figures of the uniaxial paths (paper §4.5): Figure 9 (stress-strain
curves and transverse strains along x1, x2, x3, the model's `path` against DFT's
uniaxial relaxations of benchmarks/path_vs_dft.sh) and Figure 10 (the cell, its density
and its atoms along the ε22 path)."""
import numpy as np

from fig_fields import snapshot
from figio import HA_BOHR3_GPA, dft_points, load_json, save_png, write_csv

COLORS = {1: "tab:blue", 2: "tab:red", 3: "tab:green"}


def _model_rows(path):
    d = path["direction"]
    rows = []
    for p in path["points"]:
        s = p["sigma_minus_reference"][d - 1]
        rows.append(["model", d, p["e"][d - 1], s, s * HA_BOHR3_GPA, p["e"][0], p["e"][1], p["e"][2],
                     int(p["converged"]), int(p["stable"])])
    return rows


def _dft_rows(dft):
    d = dft["direction"]
    rows = [["dft", d, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1, 1]] if dft["reference_cell"] else []
    for p in dft["points"]:
        rows.append(["dft", d, p["e_loaded"], p["dsigma"], p["dsigma"] * HA_BOHR3_GPA, p["e"][0], p["e"][1], p["e"][2],
                     int(p["converged"]), -1])
    return sorted(rows, key=lambda r: r[2])


def figure9(a, out):
    """a.path: path JSONs (any directions); a.dft: path_vs_dft.sh output folders."""
    import matplotlib.pyplot as plt
    paths = [load_json(p) for p in a.path]
    dfts = [dft_points(f) for f in a.dft]
    rows = [r for p in paths for r in _model_rows(p)] + [r for d in dfts for r in _dft_rows(d)]
    write_csv(out + ".csv", ["source", "direction", "e_loaded", "sigma_minus_reference_Ha_Bohr3",
                             "sigma_minus_reference_GPa", "e11", "e22", "e33", "converged", "stable"], rows)
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.4), constrained_layout=True)
    dirs = sorted({p["direction"] for p in paths} | {d["direction"] for d in dfts})
    for d in dirs:
        mine = np.array([r[2:] for r in rows if r[0] == "model" and r[1] == d], float)
        ref = np.array([r[2:] for r in rows if r[0] == "dft" and r[1] == d], float)
        c = COLORS[d]
        ax_t = axes[d]  # (b), (c), (d): the transverse strains of loading along x1, x2, x3
        if len(mine):
            ok = mine[:, 6] == 1
            axes[0].plot(mine[ok, 0], mine[ok, 2], "-", color=c, label="ML, x%d" % d)
            axes[0].plot(mine[~ok, 0], mine[~ok, 2], "x", color="0.5")
            for v, ls in zip([v for v in range(3) if v != d - 1], ("-", "--")):
                ax_t.plot(mine[ok, 0], mine[ok, 3 + v], ls, color=c, label="ML ε%d%d" % (v + 1, v + 1))
        if len(ref):
            axes[0].plot(ref[:, 0], ref[:, 2], "o", color=c, mfc="none", label="true (DFT), x%d" % d)
            for v, mk in zip([v for v in range(3) if v != d - 1], ("o", "s")):
                ax_t.plot(ref[:, 0], ref[:, 3 + v], mk, color=c, mfc="none", label="true ε%d%d" % (v + 1, v + 1))
        for p in paths:
            ins = p.get("instability")
            if p["direction"] == d and ins:
                for ax in (axes[0], ax_t):
                    ax.axvline(ins["strain"], color=c, ls=":", lw=1)
        ax_t.set_xlabel("ε%d%d" % (d, d))
        ax_t.set_ylabel("transverse strain")
        ax_t.set_title("(%s) uniaxial stress along x%d" % ("bcd"[d - 1], d), fontsize=10)
        ax_t.legend(fontsize=7)
    for ax in axes[1:]:
        if not ax.has_data():
            ax.axis("off")
    axes[0].set_xlabel("ε_ii")
    axes[0].set_ylabel("σ_ii − σ_ii(0) (GPa)")
    axes[0].set_title("(a) stress-strain (dotted: onset of instability)", fontsize=10)
    axes[0].legend(fontsize=7)
    src = "model against DFT" if dfts else "model (no DFT points given)"
    fig.suptitle("Figure 9: uniaxial stress, %s" % src)
    save_png(fig, out + ".png")
    plt.close(fig)


def _snapshot_points(path, dft_strains, nshow=5):
    """ε_ii = 0, the compressed side's DFT strains on the path's grid, its last converged
    point, and evenly spaced ones between to make nshow."""
    pts = path["points"]
    d = path["direction"] - 1
    e = [p["e"][d] for p in pts]
    k0 = int(np.argmin(np.abs(e)))
    comp = [k for k in range(len(pts)) if e[k] <= e[k0] and pts[k]["converged"]]
    if len(comp) < 2:
        comp = [k for k in range(len(pts)) if pts[k]["converged"]]
    comp.sort(key=lambda k: -e[k])
    pick = {comp[0], comp[-1]} | {k for k in comp if any(abs(e[k] - x) < 1e-9 for x in dft_strains)}
    for t in np.linspace(0, len(comp) - 1, nshow):
        if len(pick) >= nshow:
            break
        pick.add(comp[int(round(t))])
    return sorted(pick, key=lambda k: -e[k])


def figure10(a, out):
    """The path along x2 (else the first given), its fields file for ρ, DFT positions."""
    import h5py
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    paths = [load_json(p) for p in a.path]
    path = next((p for p in paths if p["direction"] == 2), paths[0])
    d = path["direction"]
    dft = next((x for x in (dft_points(f) for f in a.dft) if x["direction"] == d), None)
    dft_at = {}
    if dft:
        for p in dft["points"] + ([dft["reference_cell"]] if dft["reference_cell"] else []):
            if "xred" in p:
                dft_at[round(p["e_loaded"], 9)] = p
    rho = None
    if a.path_fields:
        with h5py.File(a.path_fields, "r") as h:
            rho = h["fields/rho"][:, :, :, 0]
            if len(rho) != len(path["points"]):
                raise SystemExit("figure 10: %s has %d strains, the path %d points" % (a.path_fields, len(rho),
                                                                                       len(path["points"])))
    pts = path["points"]
    natom = len(pts[0]["xred"]) // 3
    rows = []
    for p in pts:
        x = np.reshape(p["xred"], (natom, 3))
        for at in range(natom):
            rows.append(["model", p["e"][d - 1], at, *x[at], int(p["converged"])])
    for e, p in sorted(dft_at.items()):
        for at in range(len(p["xred"])):
            rows.append(["dft", e, at, *p["xred"][at], int(p["converged"])])
    write_csv(out + ".csv", ["source", "e_loaded", "atom", "x1_reduced", "x2_reduced", "x3_reduced", "converged"], rows)
    pick = _snapshot_points(path, list(dft_at))
    fig = plt.figure(figsize=(3.2 * max(len(pick), 3), 8.5), constrained_layout=True)
    grid = fig.add_gridspec(2, max(len(pick), 3), height_ratios=[1.3, 1])
    for j, k in enumerate(pick):
        ax = fig.add_subplot(grid[0, j])
        e = pts[k]["e"][d - 1]
        snapshot(ax, pts[k]["lattice"], None if rho is None else rho[k], np.reshape(pts[k]["xred"], (natom, 3)),
                 dft_at.get(round(e, 9)))
        ax.set_title("ε%d%d = %+.4f%s" % (d, d, e, "" if pts[k]["stable"] else " (unstable)"), fontsize=10)
        if j == 0:
            ax.legend(fontsize=7, loc="upper right")
    model = np.array([[r[1], r[2], r[3], r[4], r[5]] for r in rows if r[0] == "model"], float)
    ref = np.array([[r[1], r[2], r[3], r[4], r[5]] for r in rows if r[0] == "dft"], float)
    ncol = max(len(pick), 3)
    for c in range(3):  # each atom's displacement from its own ε = 0 position (model; DFT)
        ax = fig.add_subplot(grid[1, c * ncol // 3:(c + 1) * ncol // 3])
        for at in range(natom):
            m = model[model[:, 1] == at]
            m0 = m[np.argmin(np.abs(m[:, 0])), 2 + c]
            ln, = ax.plot(m[:, 0], m[:, 2 + c] - m0, "-", label="atom %d" % (at + 1))
            r = ref[ref[:, 1] == at] if len(ref) else ref
            if len(r) and np.min(np.abs(r[:, 0])) < 1e-12:
                r0 = r[np.argmin(np.abs(r[:, 0])), 2 + c]
                ax.plot(r[:, 0], r[:, 2 + c] - r0, "+", color=ln.get_color(), ms=9)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel("ε%d%d" % (d, d))
        ax.set_ylabel("x̄%d − x̄%d(0) (reduced)" % (c + 1, c + 1))
        if c == 0:
            ax.legend(fontsize=7)
    fig.suptitle("Figure 10: the cell along the ε%d%d path (%s×: model%s; dashed: x̄2 = 1/2 on x̄3 = 0 and x̄2 = 1/6, "
                 "2/3 on x̄3 = 1/2)" % (d, d, "colour: ρ on x̄3 = 0; " if rho is not None else "",
                                        "; +: DFT" if dft_at else ", no DFT points given"), fontsize=10)
    save_png(fig, out + ".png")
    plt.close(fig)
