#!/usr/bin/python3
"""reference_protocol.py — the paper's protocol (§4.2) with standard tools, for comparison
with `strainfield train` on the same dataset: scikit-learn PCA (50 components per field),
StandardScaler on D and on every output, PyTorch MLPs (fields 6-500-500-50 tanh, positions
and energy 6-50-100-50-n tanh; Xavier-uniform weights, zero biases), MSE loss + 1e-4·ΣW²,
Adam lr 1e-3, batch 128, shuffled every epoch.  Same split as strainfield (first ntrain,
last ntest, failed samples skipped) and the same metrics (NRMSE eq. 12, mHa, Bohr).

usage: reference_protocol.py DATA.h5 -ntrain N -ntest M -epochs E -seed S -threads T -json OUT
"""
import argparse, json, time
import numpy as np, h5py, torch
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

ap = argparse.ArgumentParser()
ap.add_argument("data")
ap.add_argument("-ntrain", type=int, default=0)
ap.add_argument("-ntest", type=int, default=0)
ap.add_argument("-epochs", type=int, default=4000)
ap.add_argument("-seed", type=int, default=1)
ap.add_argument("-threads", type=int, default=2)
ap.add_argument("-ncomp", type=int, default=50)
ap.add_argument("-json", default="reference.json")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
np.random.seed(a.seed)
FIELDS = ("rho", "phi", "u", "s")
t_all = time.time()
h = h5py.File(a.data, "r")
D = h["samples/D"][...]
F = h["samples/free_energy"][...]
X = h["samples/xred"][...]
st = h["samples/status"][...] if "samples/status" in h else np.ones(len(D), int)
# each sample's lattice (Bohr, rows = vectors): positions errors are reported in Bohr
R = next((h[k][...] for k in ("samples/lattice", "samples/rprimd") if k in h), None)
N = len(D)
ntest = a.ntest or N // 3
ntrain = a.ntrain or N - ntest
ok = (st == 1) & np.isfinite(F)
itr = np.array([i for i in range(ntrain) if ok[i]])
ite = np.array([i for i in range(N - ntest, N) if ok[i]])


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        lin = torch.nn.Linear(widths[i], widths[i + 1])
        torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(widths) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def train(xs, ys, hidden):
    net = mlp([xs.shape[1]] + hidden + [ys.shape[1]])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt = torch.tensor(xs, dtype=torch.float32)
    yt = torch.tensor(ys, dtype=torch.float32)
    weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    n = len(xt)
    for ep in range(a.epochs):
        perm = torch.randperm(n)
        for b in range(0, n, 128):
            idx = perm[b:b + 128]
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(xt[idx]), yt[idx]) + 1e-4 * sum((w * w).sum() for w in weights)
            loss.backward()
            opt.step()
    return net


def fit_predict(ytr, hidden):
    xs = StandardScaler().fit(D[itr])
    ys = StandardScaler().fit(ytr)
    net = train(xs.transform(D[itr]), ys.transform(ytr), hidden)
    with torch.no_grad():
        p = net(torch.tensor(xs.transform(D[ite]), dtype=torch.float32)).double().numpy()
    return ys.inverse_transform(p)


def nrmse(pred, true):
    e = np.sqrt(np.mean((pred - true) ** 2, axis=1))
    return e / (true.max(axis=1) - true.min(axis=1))


def xred_err(pred):
    """distance in Bohr (reduced units if the file has no lattice) of each test atom"""
    d = (pred - X[ite].reshape(len(ite), -1)).reshape(len(ite), -1, 3)
    d -= np.round(d)
    if R is not None:
        d = np.einsum("naj,njk->nak", d, R[ite])
    return np.linalg.norm(d, axis=2)


def linear(ytr):
    """least-squares affine map D -> y, the paper's Figure 8 baseline, at the test strains"""
    c = np.linalg.lstsq(np.c_[np.ones(len(itr)), D[itr]], ytr, rcond=None)[0]
    return np.c_[np.ones(len(ite)), D[ite]] @ c


out = {"dataset": a.data, "ntrain": int(len(itr)), "ntest": int(len(ite)), "epochs": a.epochs, "seed": a.seed,
       "nrmse": {}, "time_s": {"pca": 0.0, "networks": 0.0}}
for f in FIELDS:
    Xtr = h["fields/" + f][np.sort(itr)].reshape(len(itr), -1)
    Xte = h["fields/" + f][np.sort(ite)].reshape(len(ite), -1)
    t0 = time.time()
    pca = PCA(n_components=a.ncomp, random_state=a.seed).fit(Xtr)
    ctr = pca.transform(Xtr)
    out["time_s"]["pca"] += time.time() - t0
    cte = pca.transform(Xte)
    t0 = time.time()
    cp = fit_predict(ctr, [500, 500])
    out["time_s"]["networks"] += time.time() - t0
    cl = linear(ctr)
    r = {"mean": float(nrmse(pca.inverse_transform(cp), Xte).mean()),
         "max": float(nrmse(pca.inverse_transform(cp), Xte).max()),
         "pca_mean": float(nrmse(pca.inverse_transform(cte), Xte).mean()),
         "linear_mean": float(nrmse(pca.inverse_transform(cl), Xte).mean())}
    out["nrmse"][f] = r
    print(f, r, flush=True)
t0 = time.time()
ref = X[itr[0]].reshape(-1)
Xu = X.reshape(N, -1)
Xu = Xu - np.round(Xu - ref)
xp = fit_predict(Xu[itr], [50, 100, 50])
Fp = fit_predict(F[itr, None], [50, 100, 50])[:, 0]
out["time_s"]["networks"] += time.time() - t0
err = xred_err(xp)
out["free_energy_mae_mHa"] = float(1e3 * np.abs(Fp - F[ite]).mean())
out["free_energy_max_mHa"] = float(1e3 * np.abs(Fp - F[ite]).max())
out["xred_mae_bohr"] = float(err.mean())
out["xred_max_bohr"] = float(err.max())
out["xred_linear_mae_bohr"] = float(xred_err(linear(Xu[itr])).mean())
out["free_energy_linear_mae_mHa"] = float(1e3 * np.abs(linear(F[itr]) - F[ite]).mean())
out["time_s"]["total"] = time.time() - t_all
json.dump(out, open(a.json, "w"), indent=1)
print(json.dumps({k: v for k, v in out.items() if k != "nrmse"}))
