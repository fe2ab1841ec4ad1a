#!/usr/bin/env python3
"""field_regressors.py — how well can *any* regressor map D to one field of a dataset?

The learning benchmark compares strainfield's networks with the paper's protocol in
PyTorch.  When both stall at the same error (the entropy field s of a 2x2x2 k-mesh
campaign), this asks whether the limit is the regression or the data: on the same split
and the same PCA it reports the test NRMSE (paper eq. 12, mean over test samples) of
  - PCA only (the coefficients of the true field: the floor of every PCA model),
  - the nearest training sample in standardised D (no smoothness assumed),
  - kernel ridge regression with a Gaussian kernel over a small (gamma, alpha) grid
    (a smooth interpolant with its own regularisation),
and the spread of each sample's field range, the denominator of NRMSE.
Compare the output with `strainfield train`'s NRMSE for the same field and split.

usage: field_regressors.py DATA.h5 [-field s] [-ntrain 667] [-ntest 333] [-ncomp 50] [-json out.json]
"""
import argparse
import json

import h5py
import numpy as np
from sklearn.decomposition import PCA
from sklearn.kernel_ridge import KernelRidge


def nrmse(pred, true):
    return float(np.mean(np.sqrt(((pred - true) ** 2).mean(1)) / (true.max(1) - true.min(1))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("-field", default="s")
    ap.add_argument("-ntrain", type=int, default=0)
    ap.add_argument("-ntest", type=int, default=0)
    ap.add_argument("-ncomp", type=int, default=50)
    ap.add_argument("-json")
    a = ap.parse_args()
    with h5py.File(a.data, "r") as h:
        N = h["samples/D"].shape[0]
        ntest = a.ntest or N // 3
        ntrain = a.ntrain or N - ntest
        ok = h["samples/status"][()] == 1
        tr = np.array([i for i in range(ntrain) if ok[i]])
        te = np.array([i for i in range(N - ntest, N) if ok[i]])
        X = h["fields/" + a.field][()].reshape(N, -1)
        D = h["samples/D"][()]
    Dn = (D - D[tr].mean(0)) / D[tr].std(0)
    pca = PCA(a.ncomp, svd_solver="full").fit(X[tr])
    C = pca.transform(X)
    out = {"field": a.field, "ntrain": len(tr), "ntest": len(te), "ncomp": a.ncomp}
    out["pca_only"] = nrmse(pca.inverse_transform(C[te]), X[te])
    d2 = ((Dn[te, None, :] - Dn[None, tr, :]) ** 2).sum(-1)
    out["nearest_sample"] = nrmse(X[tr[d2.argmin(1)]], X[te])
    cs = C[tr].std(0)
    krr = {}
    for gamma in (0.05, 0.1, 0.2, 0.5, 1.0):
        for alpha in (1e-4, 1e-3, 1e-2, 1e-1):
            k = KernelRidge(kernel="rbf", gamma=gamma, alpha=alpha).fit(Dn[tr], C[tr] / cs)
            krr[f"{gamma},{alpha}"] = nrmse(pca.inverse_transform(k.predict(Dn[te]) * cs), X[te])
    best = min(krr, key=krr.get)
    out["kernel_ridge_best"] = {"gamma,alpha": best, "nrmse": krr[best]}
    out["kernel_ridge_grid"] = krr
    rng = X[te].max(1) - X[te].min(1)
    out["test_range_percentiles_5_50_95"] = [float(v) for v in np.percentile(rng, [5, 50, 95])]
    for k in ("pca_only", "nearest_sample"):
        print(f"{k:20s} {out[k]:.4e}")
    print(f"{'kernel ridge (best)':20s} {krr[best]:.4e}  (gamma, alpha = {best})")
    print("test-sample field range, 5/50/95 %:", " ".join(f"{v:.3e}" for v in out["test_range_percentiles_5_50_95"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
