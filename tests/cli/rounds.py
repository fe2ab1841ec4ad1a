#!/usr/bin/python3
"""Campaigns in rounds (issue 13): generate -sampling active, -accelerate -accel_every.

usage: rounds.py TEST   with the environment of tests/cli/cli.py (SF_EXE, SF_SOURCE, SF_WORK,
MPIEXEC).  Settings: tests/generate/tiny.opts (4-atom Mg, ecut 5, one k-point, 12x20x20
grid), 16 samples in rounds of 8, round models of 2 members with small networks.
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402  (the shared helpers of tests/cli)
from cli import EXE, MPIEXEC, SOURCE, SF_ERR_INPUT, check, path  # noqa: E402

TINY = os.path.join(SOURCE, "tests", "generate", "tiny.opts")
PSP = os.path.join(SOURCE, "data", "psp", "mg.pseu")
SMALL_NETS = ["-pca_components", "3,3,3,3", "-arch_rho", "6", "-arch_phi", "6", "-arch_u", "6", "-arch_s", "6",
              "-arch_xred", "6", "-arch_energy", "6", "-batch", "8"]
ACTIVE = ["-sampling", "active", "-al_batch", "8", "-al_pool", "48", "-al_ensemble", "2", "-al_epochs", "200"]


def campaign(name, extra, np_=1, env=None, expect=0, samples=16):
    args = [EXE, "generate", "-pseudos", PSP, "-verbosity", "1", "-options_file", TINY, "-samples", str(samples),
            "-seed", "3", "-dataset", path(name)] + extra
    if "active" in extra or "-accel_every" in extra:  # train options are for round models only
        args += SMALL_NETS
    if np_ > 1:
        args = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", str(np_)] + args
    print("$ " + " ".join(args))
    p = subprocess.run(args, cwd=cli.WORK, capture_output=True, text=True, timeout=900, env=env)
    if p.returncode != expect:
        sys.stdout.write(p.stdout[-3000:] + "\nstderr: " + p.stderr[-2000:] + "\n")
    check(p.returncode == expect, f"generate {name}: exit code {expect} (got {p.returncode})")
    if expect:
        return p
    with h5py.File(path(name), "r") as f:
        return {k: f["samples/" + k][()] for k in f["samples"]}


def same(a, b, what, skip=("wall_s",)):
    for k, v in a.items():
        if k in skip:
            continue
        check(np.array_equal(v, b[k]) or (v.dtype.kind == "f" and np.array_equal(v, b[k], equal_nan=True)),
              f"{what}: {k}")


def t_active():
    """Round 0 = the random campaign's first 8 strains; round 1 = 8 strains chosen from the
    pool, distinct from every earlier strain, inside the distribution's range, each with a
    finite positive spread (round 0: NaN); the round file holds them; 2 ranks choose the
    same strains and compute the same dataset."""
    rnd = campaign("random.h5", [], samples=8)
    act = campaign("active.h5", ACTIVE + ["-dataset_keep_parts"])
    check(list(act["round"]) == [0] * 8 + [1] * 8, f"rounds {list(act['round'])}")
    check(np.array_equal(act["D"][:8], rnd["D"]), "round 0: the random campaign's strains")
    sd = act["predicted_std"]
    check(np.isnan(sd[:8]).all() and np.isfinite(sd[8:]).all() and (sd[8:] > 0).all(), f"spreads {sd}")
    D = act["D"]
    dmin = min(np.abs(D[i] - D[j]).max() for i in range(16) for j in range(i))
    check(dmin > 1e-6, f"16 distinct strains (closest pair {dmin:.2e})")
    lam, th = D[:, :3], D[:, 3:]
    check(((lam >= 0.9) & (lam <= 1.1)).all() and ((th >= 84) & (th <= 96)).all(), "chosen inside the ranges")
    rf = json.load(open(path("active.h5.parts/round_001.json")))
    check(np.array_equal(np.array(rf["D"]), D[8:]) and np.allclose(rf["predicted_std"], sd[8:], rtol=0, atol=0),
          "round_001.json: the round's strains and spreads")
    check(os.path.exists(path("active.h5.parts/round_001.model.h5")), "the round model is kept with the parts")
    # the round model has the ensemble the options asked for and the campaign's samples
    with h5py.File(path("active.h5.parts/round_001.model.h5"), "r") as m:
        k = int(m.attrs["ensemble"][0]) if "ensemble" in m.attrs else 1
    check(k == 2, f"round model: an ensemble of {k} (-al_ensemble 2)")
    two = campaign("active2.h5", ACTIVE, np_=2)
    check(np.array_equal(two["D"], D), "2 ranks: the same strains chosen")
    check(np.abs(two["free_energy"] - act["free_energy"]).max() < 1e-9, "2 ranks: the same energies")


def t_active_resume():
    """Killed in round 1 (after its strains were chosen) and killed in a round-0 sample: each
    resumed campaign equals the uninterrupted one bitwise (wall times aside)."""
    ref = campaign("ref.h5", ACTIVE)
    for n in ("12", "3"):
        name = f"killed{n}.h5"
        env = dict(os.environ, SF_TEST_KILL_AT=f"mid-sample:{n}")
        campaign(name, ACTIVE, env=env, expect=-9)
        check(not os.path.exists(path(name)), f"killed at mid-sample {n}: no final file")
        res = campaign(name, ACTIVE + ["-resume"])
        same(ref, res, f"resumed (killed at mid-sample {n}) == uninterrupted")


def t_accel_every():
    """A random campaign whose round-1 samples start from the model trained in the job on
    round 0: the same strains as the cold campaign, init 0 then 1, round 0 bitwise the cold
    campaign's; 2 ranks give the same starts and answers; killed in a round-1 sample and
    resumed it equals the uninterrupted one bitwise; the gate -accel_max_std below every
    spread starts every sample the default way, and then equals the cold campaign.
    (At these tiny settings, one k-point, several local minima lie close: a start from an
    8-sample model may relax into another one, so the answers of accelerated samples are
    compared at the demo settings instead: docs/performance.md, "Accelerated campaigns".)"""
    tight = ["-tolmxf", "1e-6", "-ntime", "60", "-al_ensemble", "2", "-al_epochs", "200"]
    accel = tight + ["-accelerate", "-accel_every", "8"]
    cold = campaign("cold.h5", ["-tolmxf", "1e-6", "-ntime", "60"])
    warm = campaign("warm.h5", accel)
    check(np.array_equal(cold["D"], warm["D"]), "the random campaign's strains")
    check(list(warm["init"]) == [0] * 8 + [1] * 8 and list(warm["round"]) == [0] * 8 + [1] * 8,
          f"init {list(warm['init'])}, round {list(warm['round'])}")
    check(np.array_equal(cold["free_energy"][:8], warm["free_energy"][:8]), "round 0: the cold campaign's samples")
    dF = np.abs(warm["free_energy"] - cold["free_energy"])[8:]
    print(f"round 1 vs cold: |dF| {np.array2string(dF, precision=1)} Ha; SCF iterations "
          f"{cold['scf_iterations'][8:].sum()} -> {warm['scf_iterations'][8:].sum()}")
    sd = warm["predicted_std"]
    check(np.isnan(sd[:8]).all() and (sd[8:] > 0).all(), "round 1's spreads recorded")
    two = campaign("warm2.h5", accel, np_=2)
    check(np.array_equal(two["relax_evaluations"], warm["relax_evaluations"]) and
          np.abs(two["free_energy"] - warm["free_energy"]).max() < 1e-10, "2 ranks: the same accelerated campaign")
    env = dict(os.environ, SF_TEST_KILL_AT="mid-sample:12")
    campaign("killed.h5", accel, env=env, expect=-9)
    check(not os.path.exists(path("killed.h5")), "killed in round 1: no final file")
    same(warm, campaign("killed.h5", accel + ["-resume"]), "resumed (killed in round 1) == uninterrupted")
    gated = campaign("gated.h5", accel + ["-accel_max_std", "%.6g" % (0.5 * sd[8:].min())])
    check(list(gated["init"]) == [0] * 16, f"gate below every spread: init {list(gated['init'])}")
    check(np.array_equal(gated["free_energy"], cold["free_energy"]), "gated: the cold campaign's energies")


def t_refusals():
    base = [EXE, "generate", "-pseudos", PSP, "-options_file", TINY, "-samples", "16", "-dataset", path("r.h5")]
    for extra, what in ((["-al_batch", "8"], "-al_batch is used only with -sampling active"),
                        (["-sampling", "active", "-al_batch", "4"], "-al_batch 4"),
                        (["-sampling", "active", "-al_pool", "4"], "-al_pool 4"),
                        (["-sampling", "active", "-al_ensemble", "1"], "-al_ensemble 1"),
                        (["-accelerate"], "-accelerate needs a model"),
                        (["-accel_every", "8"], "-accel_every is used only with -accelerate"),
                        (["-accelerate", "-accel_max_std", "1", "-init_model", "m.h5"], "-accel_max_std needs"),
                        (["-sampling", "active", "-accelerate", "-accel_every", "8"], "-accel_every is for random")):
        p = subprocess.run(base + extra, cwd=cli.WORK, capture_output=True, text=True, timeout=120)
        lines = [l for l in p.stderr.splitlines() if "error" in l]
        check(p.returncode == SF_ERR_INPUT and len(lines) == 1 and what in lines[0],
              f"{extra}: one line naming {what}: {lines}")


if __name__ == "__main__":
    cli.main(globals(), "rounds.py")
