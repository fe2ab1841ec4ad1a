"""fig_fields.py — the figures of fields on a plane: Figure 2 (ρ, φ, u, s of a test sample
on the x3 = 0 plane: DFT, predicted, error) and Figure 10 (the density and the atoms of
the cell along the ε22 path)."""
import numpy as np

from figio import FIELD_LABEL, FIELDS, dataset_plane, dataset_samples, load_json, save_png, write_csv


def plane_xy(lattice, n1, n2):
    """Cartesian x, y (Bohr) of the grid points (i1/n1, i2/n2, 0), periodic end points
    included: (n1 + 1, n2 + 1).  The lattice's a1 and a2 lie in the xy plane (a1 along
    x, as ABINIT orients a cell from its lengths and angles)."""
    f1 = np.arange(n1 + 1)[:, None] / n1
    f2 = np.arange(n2 + 1)[None, :] / n2
    x = f1 * lattice[0][0] + f2 * lattice[1][0]
    y = f1 * lattice[0][1] + f2 * lattice[1][1]
    return x, y


def periodic(a):
    """(n1, n2) -> (n1 + 1, n2 + 1), the first row and column repeated at the end."""
    a = np.concatenate([a, a[:1]], axis=0)
    return np.concatenate([a, a[:, :1]], axis=1)


def figure2(a, out):
    """a: the tool's arguments (dataset, predict_fields, sample, train)."""
    import h5py
    import matplotlib.pyplot as plt
    s = a.sample
    cols = dataset_samples(a.dataset, ["lattice", "D"])
    lat = cols["lattice"][s]
    with h5py.File(a.predict_fields, "r") as h:
        Dp = h["D"][0]
        pred = {f: h["fields/" + f][0, :, :, 0] for f in FIELDS}
    if np.max(np.abs(Dp - cols["D"][s])) > 1e-9:
        raise SystemExit("figure 2: %s was predicted at D = %s, not at sample %d's D = %s" %
                         (a.predict_fields, Dp, s, cols["D"][s]))
    true = {f: dataset_plane(a.dataset, s, f) for f in FIELDS}
    n1, n2 = true["rho"].shape
    x, y = plane_xy(lat, n1, n2)
    nrmse = {}
    if a.train:
        t = load_json(a.train).get("test_samples", {})
        if s in t.get("index", []):
            k = t["index"].index(s)
            nrmse = {f: t["nrmse"][f]["network"][k] for f in FIELDS}
    fig, axes = plt.subplots(4, 3, figsize=(11, 13.5), constrained_layout=True)
    for r, f in enumerate(FIELDS):
        err = pred[f] - true[f]
        lo, hi = min(true[f].min(), pred[f].min()), max(true[f].max(), pred[f].max())
        em = np.abs(err).max() or 1.0
        for c, (z, title, cmap, lim) in enumerate([(true[f], "DFT", "viridis", (lo, hi)),
                                                   (pred[f], "predicted", "viridis", (lo, hi)),
                                                   (err, "predicted − DFT", "RdBu_r", (-em, em))]):
            ax = axes[r][c]
            m = ax.pcolormesh(x, y, periodic(z), shading="gouraud", cmap=cmap, vmin=lim[0], vmax=lim[1])
            ax.set_aspect("equal")
            label = FIELD_LABEL[f] + ("" if c < 2 else " error")
            if c == 2 and f in nrmse:
                label += "\nNRMSE %.2e" % nrmse[f]
            ax.set_title("%s, %s" % (f, title), fontsize=10)
            fig.colorbar(m, ax=ax, shrink=0.85).set_label(label, fontsize=8)
            if r == 3:
                ax.set_xlabel("x1 (Bohr)")
            if c == 0:
                ax.set_ylabel("x2 (Bohr)")
    D = cols["D"][s]
    fig.suptitle("Figure 2: fields on the x3 = 0 plane, test sample %d: λ = %.4f %.4f %.4f, θ = %.3f %.3f %.3f°"
                 % (s, *D), fontsize=11)
    save_png(fig, out + ".png")
    plt.close(fig)
    rows = []
    for i in range(n1):
        for j in range(n2):
            r = [i, j, float(x[i, j]), float(y[i, j])]
            for f in FIELDS:
                r += [float(true[f][i, j]), float(pred[f][i, j]), float(pred[f][i, j] - true[f][i, j])]
            rows.append(r)
    header = ["i1", "i2", "x1_bohr", "x2_bohr"] + [f + k for f in FIELDS for k in ("_dft", "_predicted", "_error")]
    write_csv(out + ".csv", header, rows)


def cartesian(lattice, xred):
    return np.asarray(xred) @ np.asarray(lattice)


def snapshot(ax, lattice, rho, xred, dft=None):
    """One cell of Figure 10: ρ on x̄3 = 0 (if given), the atoms, the paper's dashed lines
    x̄2 = 1/2 on x̄3 = 0 and x̄2 = 1/6, 2/3 on x̄3 = 1/2, and DFT's atoms (+)."""
    lattice = np.asarray(lattice)
    if rho is not None:
        x, y = plane_xy(lattice, *rho.shape)
        ax.pcolormesh(x, y, periodic(rho), shading="gouraud", cmap="viridis")
    corners = cartesian(lattice, [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    ax.plot(corners[:, 0], corners[:, 1], "k-", lw=0.8)
    for x2, x3 in ((0.5, 0.0), (1 / 6, 0.5), (2 / 3, 0.5)):
        seg = cartesian(lattice, [[0, x2, x3], [1, x2, x3]])
        ax.plot(seg[:, 0], seg[:, 1], "--", color="white" if x3 == 0 else "0.8", lw=0.9)
    at = cartesian(lattice, xred)  # unwrapped near the reference sites, as the networks give them
    ax.plot(at[:, 0], at[:, 1], "x", color="red", ms=8, mew=2, label="model")
    if dft is not None:
        d = cartesian(dft["lattice"], dft["xred"])
        ax.plot(d[:, 0], d[:, 1], "+", color="violet", ms=10, mew=1.5, label="DFT")
    pad = 0.04 * np.ptp(corners[:, :2], axis=0)
    ax.set_xlim(corners[:, 0].min() - pad[0], corners[:, 0].max() + pad[0])
    ax.set_ylim(corners[:, 1].min() - pad[1], corners[:, 1].max() + pad[1])
    ax.set_aspect("equal")
    ax.axis("off")
