#!/usr/bin/python3
"""make_synthetic.py — a synthetic dataset in the `generate` schema (src/data/schema.c, docs/dataset.md).

The fields are smooth, known functions of the strain D on a grid in reduced coordinates,
shaped like the real ones: rho and u are sums of atom-centred Gaussians that follow the
relaxed positions (which depend on D), phi is a smooth potential well at the atoms plus a
volume term, and s (the entropy density) is small (~1e-4), concentrated between the atoms
and switches its pattern nonlinearly with the volume, the way the Fermi-surface contribution
does.  The free energy is a smooth anharmonic function of D.  A few samples are marked
failed (-1) or missing (0) with NaN fields, as a real campaign may leave them.

With -stress, each sample also gets the `stress` column: the Cauchy stress (1/V) dF/deta of
the analytic F(D) for a strain eta of the sample's own cell (as DFT's, and as `predict`'s
eq. 13), by central differences of F through the exact D(lattice) (tests/ml/stress_training.py).

usage: make_synthetic.py OUT.h5 [-n N] [-grid n1,n2,n3] [-seed S] [-failed K] [-energy default|well] [-stress]
"""
import argparse
import json
import numpy as np
import h5py

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("-n", type=int, default=300)
p.add_argument("-grid", default="12,20,18")
p.add_argument("-seed", type=int, default=7)
p.add_argument("-failed", type=int, default=3)
p.add_argument("-energy", choices=("default", "well"), default="default",
               help="well: F has a cubic well in lambda_b whose uniaxial stability is known in closed form "
                    "(tests/ml/train_predict.sh, path's instability)")
p.add_argument("-stress", action="store_true", help="write the stress column (Cauchy stress of F)")
a = p.parse_args()
n1, n2, n3 = (int(x) for x in a.grid.split(","))
rng = np.random.default_rng(a.seed)
N = a.n


def truncnorm(mean, sd, size):
    x = rng.standard_normal(size)
    bad = np.abs(x) > 2
    while bad.any():
        x[bad] = rng.standard_normal(bad.sum())
        bad = np.abs(x) > 2
    return mean + sd * x


D = np.zeros((N, 6))
D[:, :3] = truncnorm(1.0, 0.05, (N, 3))
D[:, 3:] = truncnorm(90.0, 3.0, (N, 3))

a0 = 6.06
ref = np.array([[a0, 0, 0], [0, a0 * np.sqrt(3), 0], [0, 0, 9.83]])


def lattice(d):
    la, lb, lc = d[:3] * np.linalg.norm(ref, axis=1)
    al, be, ga = np.radians(d[3:])
    r = np.zeros((3, 3))
    r[0] = [la, 0, 0]
    r[1] = [lb * np.cos(ga), lb * np.sin(ga), 0]
    cx = np.cos(be)
    cy = (np.cos(al) - np.cos(be) * np.cos(ga)) / np.sin(ga)
    r[2] = [lc * cx, lc * cy, lc * np.sqrt(max(1 - cx * cx - cy * cy, 1e-12))]
    return r


def internal(d):
    e = d[:3] - 1.0
    t = np.radians(d[3:] - 90.0)
    r1 = 0.02 * np.tanh(3 * t[2] + 2 * e[0] * e[1] * 10)
    r2 = 0.015 * np.tanh(4 * t[0] - 3 * e[2]) + 0.01 * e[1]
    r3 = 0.01 * np.sin(5 * t[1]) * (1 + 2 * e[0])
    R = np.array([r1, r2, r3])
    x = np.array([[0, 0, 0], [0.5, 0.5, 0], [0, 2 / 3, 0.5], [0.5, 1 / 6, 0.5]], float)
    sgn = np.array([[1, 1, 1], [1, 1, 1], [-1, -1, -1], [-1, -1, -1]], float)
    return x + sgn * R


g = np.stack(np.meshgrid(np.arange(n1) / n1, np.arange(n2) / n2, np.arange(n3) / n3, indexing="ij"), -1)


def dist2(r, centre):
    dx = g - centre
    dx -= np.round(dx)
    c = dx @ r
    return np.sum(c * c, axis=-1)


# -energy well: springs KS on lambda_a, lambda_c, KT (per rad^2) on the angles, and
# A x^2 + B x^3 in x = lambda_b - 1, whose curvature vanishes at x = -A/(3B)
WELL = {"KS": 1.0, "A": 0.5, "B": 5.0, "KT": 0.3}


def free_energy(d):
    e = d[:3] - 1
    t = np.radians(d[3:] - 90)
    if a.energy == "well":
        return -3.9 + WELL["KS"] / 2 * (e[0] ** 2 + e[2] ** 2) + WELL["A"] * e[1] ** 2 + WELL["B"] * e[1] ** 3 \
            + WELL["KT"] / 2 * np.sum(t ** 2)
    return (-3.9 + 0.6 * np.sum(e ** 2) - 0.9 * np.sum(e) ** 2 * 0.3 + 2.0 * np.prod(1 + e) ** -1 * 0.05
            + 0.15 * np.sum(t ** 2) + 0.4 * e[0] * t[2] ** 2 + 1.5 * np.sum(e ** 3))


def D_of(r):
    """lambda_i = |a_i| / |a0_i|; theta_a = angle(b, c), theta_b = angle(a, c), theta_c = angle(a, b)"""
    n = np.linalg.norm(r, axis=1)
    ang = [np.degrees(np.arccos(r[u] @ r[w] / (n[u] * n[w]))) for u, w in ((1, 2), (0, 2), (0, 1))]
    return np.concatenate([n / np.linalg.norm(ref, axis=1), ang])


def cauchy_stress(r):
    """sigma_ij = (1/V) dF/d eta_ij for rows a_i -> (I + eta) a_i, eta symmetric"""
    h, sig = 1e-6, np.zeros((3, 3))
    for i, j in ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)):
        E = np.zeros((3, 3))
        E[i, j] += 0.5
        E[j, i] += 0.5
        fp = free_energy(D_of(r @ (np.eye(3) + h * E)))
        fm = free_energy(D_of(r @ (np.eye(3) - h * E)))
        sig[i, j] = sig[j, i] = (fp - fm) / (2 * h) / abs(np.linalg.det(r))
    return sig


def sample(d):
    r = lattice(d)
    vol = abs(np.linalg.det(r))
    v0 = abs(np.linalg.det(ref))
    xr = internal(d)
    rho = np.full(g.shape[:3], 8.0 / vol)
    phi = np.zeros(g.shape[:3])
    u = np.zeros(g.shape[:3])
    near = np.zeros(g.shape[:3])
    for x in xr:
        q = dist2(r, x)
        rho += 0.02 * np.exp(-q / 1.3) * (v0 / vol)
        phi += -0.8 * np.exp(-q / 2.5)
        u += -0.01 * np.exp(-q / 1.8) + 0.004 * np.exp(-q / 0.6)
        near += np.exp(-q / 3.0)
    phi += 0.3 * (vol / v0 - 1)
    e = d[:3] - 1
    t = np.radians(d[3:] - 90)
    # entropy density: Fermi-surface pockets between the atoms whose weight switches
    # with strain; small and sign-definite (s <= 0 here, -TS density)
    w1 = 0.5 * (1 + np.tanh(25 * (vol / v0 - 1) + 8 * t[0]))
    w2 = 0.5 * (1 + np.tanh(-20 * e[1] + 15 * t[2]))
    pat1 = np.cos(2 * np.pi * (g[..., 0] + g[..., 1]) + 6 * e[2]) ** 2
    pat2 = np.sin(2 * np.pi * (2 * g[..., 2] - g[..., 1]) + 4 * t[1]) ** 2
    s = -1e-4 * (0.2 + w1 * pat1 + 0.7 * w2 * pat2) * np.exp(-0.5 * near)
    return r, xr, free_energy(d), rho, phi, u, s


with h5py.File(a.out, "w") as h:
    h.attrs["generator"] = "tests/ml/make_synthetic.py"
    h.attrs["seed"] = a.seed
    h.attrs["ngfft"] = np.array([n1, n2, n3], np.int32)
    h.attrs["natom"] = 4
    h.attrs["ref_rprimd"] = ref.reshape(9)
    h.attrs["ecut"] = 24.0
    h.attrs["tsmear"] = 0.01
    # the sampling box, as generate records it in its resolved options (±2σ of the normals)
    h.attrs["options"] = json.dumps({"sampling": "random", "sample_dist": "normal", "sample_nsigma": 2,
                                     "sample_lambda_range": [0.9, 1.1], "sample_theta_range": [84, 96]})
    smp = h.create_group("samples")
    fld = h.create_group("fields")
    fs = {k: fld.create_dataset(k, (N, n1, n2, n3), "f8", chunks=(1, n1, n2, n3)) for k in ("rho", "phi", "u", "s")}
    status = np.ones(N, np.int32)
    bad = rng.choice(N, size=min(a.failed, N // 10), replace=False) if a.failed else []
    for i, j in enumerate(bad):
        status[j] = -1 if i % 2 == 0 else 0
    F = np.zeros(N)
    U = np.zeros(N)
    TS = np.zeros(N)
    X = np.zeros((N, 4, 3))
    R = np.zeros((N, 3, 3))
    for i in range(N):
        r, xr, f, rho, phi, u, s = sample(D[i])
        R[i], X[i], F[i] = r, xr, f
        dv = abs(np.linalg.det(r)) / (n1 * n2 * n3)
        U[i], TS[i] = u.sum() * dv, s.sum() * dv
        if status[i] != 1:
            rho = phi = u = s = np.full(rho.shape, np.nan)
            F[i] = np.nan
        for k, v in zip(("rho", "phi", "u", "s"), (rho, phi, u, s)):
            fs[k][i] = v
    smp["D"] = D
    smp["free_energy"] = F
    smp["band_energy"] = U
    smp["entropy_term"] = TS
    smp["xred"] = X
    smp["lattice"] = R  # generate's name (rows = lattice vectors, Bohr)
    smp["status"] = status
    if a.stress:
        smp["stress"] = np.array([cauchy_stress(R[i]) for i in range(N)])
print(f"wrote {a.out}: N={N} grid {n1}x{n2}x{n3}, {int((status != 1).sum())} failed/missing")
