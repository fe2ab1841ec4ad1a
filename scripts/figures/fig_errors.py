"""fig_errors.py — the figures of the test errors: Figure 3 (U, −TS and F predicted against
DFT), 4 (learning curve with the PCA floor), 5 (NRMSE against volumetric strain), 7 (the
energy routes of evaluate) and 8 (the linear baseline against the networks)."""
import numpy as np

from figio import FIELDS, ROUTES, dataset_samples, load_json, save_png, write_csv


def _parity(ax, true, pred, label, unit_scale=1.0):
    """Predicted against true with the line y = x; mean and max |error| in mHa."""
    true, pred = np.asarray(true), np.asarray(pred)
    err = np.abs(pred - true) * 1e3
    ax.plot(true, pred, "o", ms=3, alpha=0.7)
    lo, hi = min(true.min(), pred.min()), max(true.max(), pred.max())
    pad = 0.05 * (hi - lo or 1e-6)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k-", lw=1)
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel("DFT %s (Ha)" % label)
    ax.set_ylabel("predicted %s (Ha)" % label)
    ax.set_title("%s: mean |error| %.3g mHa, max %.3g mHa" % (label, err.mean(), err.max()), fontsize=9)


def figure3(a, out):
    """U = ∫u and −TS = −tsmear ∫s from the evaluate sum route's terms, F from its direct
    route (else train's test predictions), against the dataset's band_energy, entropy_term
    and free_energy."""
    import matplotlib.pyplot as plt
    ev = load_json(a.evaluate) if a.evaluate else {}
    routes = ev.get("routes", {})
    cols = dataset_samples(a.dataset, ["band_energy", "entropy_term", "free_energy"])
    if "direct" in routes:
        per = routes["direct"]["per_sample"]
        idx = [p["index"] for p in per]
        F = {p["index"]: p["free_energy"] for p in per}
    else:
        t = load_json(a.train)["test_samples"]
        idx = list(t["index"])
        F = dict(zip(idx, t["free_energy"]["network"]))
    sums = {p["index"]: p for p in routes.get("sum", {}).get("per_sample", [])}
    rows = []
    for i in idx:
        s = sums.get(i, {})
        rows.append([i, float(cols["band_energy"][i]), s.get("band", float("nan")), float(cols["entropy_term"][i]),
                     s.get("entropy_term", float("nan")), float(cols["free_energy"][i]), F[i]])
    write_csv(out + ".csv", ["index", "U_dataset_Ha", "U_predicted_Ha", "minus_TS_dataset_Ha", "minus_TS_predicted_Ha",
                             "F_dataset_Ha", "F_predicted_Ha"], rows)
    r = np.array([row[1:] for row in rows], float)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), constrained_layout=True)
    for k, (label, c) in enumerate((("U = ∫u", 0), ("−TS = −T∫s", 2), ("F", 4))):
        if np.all(np.isfinite(r[:, c + 1])):
            _parity(axes[k], r[:, c], r[:, c + 1], label)
        else:
            axes[k].text(0.5, 0.5, "no evaluate sum route\n(strainfield evaluate -routes sum)", ha="center",
                         transform=axes[k].transAxes)
    fig.suptitle("Figure 3: predicted against DFT on %d test samples" % len(rows))
    save_png(fig, out + ".png")
    plt.close(fig)


def figure4(a, out):
    """Test NRMSE of each field (and F, xred errors) against the training-set size, with
    the PCA-only error; the points of train -learning_curve and the full training set."""
    import matplotlib.pyplot as plt
    t = load_json(a.train)
    pts = list(t.get("learning_curve", [])) + [t]
    rows = []
    for p in pts:
        r = [p["ntrain_used"]]
        for f in FIELDS:
            r += [p["nrmse"][f]["mean"], p["nrmse"][f]["pca_mean"]]
        rows.append(r + [p["free_energy_mae_mHa"], p["xred_mae_bohr"]])
    rows.sort(key=lambda r: r[0])
    header = ["ntrain"] + [f + k for f in FIELDS for k in ("_nrmse_mean", "_pca_nrmse_mean")]
    write_csv(out + ".csv", header + ["free_energy_mae_mHa", "xred_mae_bohr"], rows)
    r = np.array(rows, float)
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), constrained_layout=True)
    for k, f in enumerate(FIELDS):
        ax = axes.flat[k]
        ax.loglog(r[:, 0], r[:, 1 + 2 * k], "o-", label="network")
        ax.loglog(r[:, 0], r[:, 2 + 2 * k], "s--", label="PCA alone")
        ax.set_title(f, fontsize=10)
        ax.set_ylabel("mean test NRMSE")
        ax.legend(fontsize=8)
    for k, (c, lab) in enumerate(((9, "F mean |error| (mHa)"), (10, "positions mean error (Bohr)"))):
        ax = axes.flat[4 + k]
        ax.loglog(r[:, 0], r[:, c], "o-")
        ax.set_ylabel(lab)
    from matplotlib.ticker import FixedLocator, NullLocator
    for ax in axes.flat:
        ax.set_xlabel("training samples")
        ax.xaxis.set_major_locator(FixedLocator(r[:, 0]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels(["%d" % n for n in r[:, 0]])
    note = "" if len(rows) > 1 else " (one point: the run had no train -learning_curve)"
    fig.suptitle("Figure 4: learning curve, %d test samples%s" % (t["ntest"], note))
    save_png(fig, out + ".png")
    plt.close(fig)


def _errors(t):
    """Per test sample: the field NRMSE, position and |F| errors of network and linear."""
    ts = t["test_samples"]
    q = {}
    for f in FIELDS:
        q[f] = (np.array(ts["nrmse"][f]["network"]), np.array(ts["nrmse"][f]["linear"]))
    if "xred_error_bohr" in ts:
        q["xred"] = (np.array(ts["xred_error_bohr"]["network"]), np.array(ts["xred_error_bohr"]["linear"]))
    Fd = np.array(ts["free_energy"]["dataset"])
    q["F"] = tuple(np.abs(np.array(ts["free_energy"][k]) - Fd) * 1e3 for k in ("network", "linear"))
    vs = np.array([np.nan if v is None else v for v in ts["volumetric_strain"]], float)
    return ts["index"], vs, q


YLABEL = {"xred": "position error (Bohr)", "F": "|F error| (mHa)"}
UNIT = {"xred": " Bohr", "F": " mHa"}


def _vs_volumetric(a, out, linear):
    import matplotlib.pyplot as plt
    t = load_json(a.train)
    idx, vs, q = _errors(t)
    names = list(q)
    cols = [[q[n][0][k] for n in names] + ([q[n][1][k] for n in names] if linear else []) for k in range(len(idx))]
    header = ["index", "volumetric_strain"] + [n + "_network" for n in names] + ([n + "_linear" for n in names] if linear else [])
    write_csv(out + ".csv", header, [[i, float(v)] + c for i, v, c in zip(idx, vs, cols)])
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), constrained_layout=True)
    for ax, n in zip(axes.flat, names):
        ax.semilogy(vs, np.maximum(q[n][0], 1e-16), "o", ms=3, alpha=0.7, label="network (NN)")
        if linear:
            ax.semilogy(vs, np.maximum(q[n][1], 1e-16), "^", ms=3, alpha=0.6, label="linear regression (LR)")
            ax.legend(fontsize=8)
        ax.set_xlabel("volumetric strain V/V0 − 1")
        ax.set_ylabel(YLABEL.get(n, "NRMSE of " + n))
        u = UNIT.get(n, "")
        m = "mean %.3g%s" % (q[n][0].mean(), u) + (", LR %.3g%s" % (q[n][1].mean(), u) if linear else "")
        ax.set_title("%s: %s" % (n, m), fontsize=9)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    return fig, len(idx)


def figure5(a, out):
    import matplotlib.pyplot as plt
    fig, n = _vs_volumetric(a, out, False)
    fig.suptitle("Figure 5: test errors against volumetric strain (%d test samples)" % n)
    save_png(fig, out + ".png")
    plt.close(fig)


def figure8(a, out):
    import matplotlib.pyplot as plt
    fig, n = _vs_volumetric(a, out, True)
    fig.suptitle("Figure 8: linear regression (LR) in place of the networks (NN), %d test samples" % n)
    save_png(fig, out + ".png")
    plt.close(fig)


def figure7(a, out):
    """Every route evaluate computed: predicted F against DFT, and the error histogram."""
    import matplotlib.pyplot as plt
    routes = load_json(a.evaluate)["routes"]
    present = [r for r in ROUTES if r in routes]
    per = {r: {p["index"]: p for p in routes[r]["per_sample"]} for r in present}
    idx = sorted(per[present[0]])
    rows = []
    for i in idx:
        row = [i, per[present[0]][i]["dataset_free_energy"]]
        for r in present:
            p = per[r].get(i)
            row += [p["free_energy"], p["error_mHa"]] if p else [float("nan")] * 2
        rows.append(row)
    write_csv(out + ".csv", ["index", "F_dataset_Ha"] + [x for r in present for x in ("F_%s_Ha" % r, "error_%s_mHa" % r)],
              rows)
    fig, axes = plt.subplots(2, len(present), figsize=(3.6 * len(present), 7), constrained_layout=True, squeeze=False)
    r = np.array([row[1:] for row in rows], float)
    for k, name in enumerate(present):
        _parity(axes[0][k], r[:, 0], r[:, 1 + 2 * k], "F")
        axes[0][k].set_title("%s: mean |err| %.3g mHa\nmax %.3g mHa" %
                             (name, routes[name]["mae_mHa"], routes[name]["max_mHa"]), fontsize=9)
        axes[1][k].hist(r[:, 2 + 2 * k], bins=max(5, min(40, len(rows) // 4)))
        axes[1][k].set_xlabel("F_%s − F_DFT (mHa)" % name)
        axes[1][k].set_ylabel("test samples")
    fig.suptitle("Figure 7: the free energy by the energy routes of evaluate (%d samples)" % len(rows))
    save_png(fig, out + ".png")
    plt.close(fig)
