#!/usr/bin/python3
"""Split a strainfield `perf record` profile into FFT / nonlocal / subspace / ... shares.

usage: perf_split.py PERF.DATA [--markdown]

Best with a DWARF call graph (perf record -e cpu-clock --call-graph dwarf ...): then every
sample is attributed through its call chain to the strainfield routine that caused it.
With frame-pointer chains (-g) the chains stop inside FFTW/OpenBLAS, so BLAS samples
whose caller is unknown are reported as "BLAS, caller unknown".

Categories (first rule that matches the sample's chain wins):
  nonlocal     any frame sf_nonlocal_*            (P^H X and P B ZGEMMs with the projectors)
  FFT          leaf in libfftw3                   (split by caller: H|psi, density, other)
  subspace     LAPACK routine on the chain, or BLAS under sfe_*/lobpcg/eigensolver
               (Gram/overlap ZHERK/ZGEMM, Cholesky, ZHEEVD, rotations of the block)
  local H      non-FFT, non-BLAS work under sf_ham_apply (memset of the box, scatter/gather
               on the sphere, V_eff * psi)
  eigensolver  other samples in eigensolver code  (residuals, preconditioner, memcpy of blocks)
  other        everything else (setup, XC, mixing, kernel, libc, MPI)
"""
import collections
import re
import subprocess
import sys
sys.dont_write_bytecode = True

LAPACK = re.compile(r"^(z|d)(heevd|heev|hetrd|hetd2|latrd|larf\w*|lasr|steqr|stedc|sterf|laed\w*|potrf\w*|potf2|"
                    r"lacpy|lanhe|lascl|lartg|lazro|laset|unmtr|unmql|unmqr|ungtr|ung\w+|larfg|larft|larfb|lassq|"
                    r"lapy\w|lamch|trtri|lauum|lae\w+)_?$|LAPACKE", re.I)


def samples(path):
    p = subprocess.run(["perf", "script", "-i", path, "-F", "comm,ip,sym,dso"],
                       capture_output=True, text=True)
    for block in p.stdout.split("\n\n"):
        frames = []
        for line in block.splitlines()[1:]:
            m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
            if m:
                sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
                frames.append((sym, m.group(2)))
        if frames:
            yield frames


def classify(frames):
    syms = [s for s, _ in frames]
    leaf_sym, leaf_dso = frames[0]
    if any(s.startswith("sf_nonlocal_") for s in syms):
        return "nonlocal: ZGEMM with projectors (sf_nonlocal_*)"
    if "libfftw3" in leaf_dso:
        if "sf_ham_apply" in syms:
            return "FFT: H|psi (sf_ham_apply)"
        if "sf_ham_accumulate_density" in syms:
            return "FFT: density (sf_ham_accumulate_density)"
        if any(s.startswith("sf_") for s in syms):
            return "FFT: potentials/mixing (sf_fft_*)"
        return "FFT: caller unknown"
    if any(LAPACK.match(s) for s in syms):
        return "subspace: LAPACK (zheevd, zpotrf, ...)"
    blas = "openblas" in leaf_dso or "libblas" in leaf_dso or "liblapack" in leaf_dso
    in_eig = any(s.startswith(("sfe_", "lobpcg", "sf_eigen")) or s in ("heevd", "gram_transform", "zgemm")
                 for s in syms)
    if blas and in_eig:
        return "subspace: BLAS in eigensolver (ZGEMM/ZHERK/ZTRSM)"
    if blas:
        return "BLAS, caller unknown"
    if leaf_sym == "sf_ham_apply" or "sf_ham_apply" in syms:
        return "local H: zero box, scatter/gather, V_eff*psi"
    if leaf_sym == "sf_ham_accumulate_density" or "sf_ham_accumulate_density" in syms:
        return "density accumulation (non-FFT part)"
    if in_eig or leaf_sym in ("precondition", "residuals", "apply"):
        return "eigensolver: residuals, preconditioner, block copies"
    if "kernel" in leaf_dso:
        return "other: kernel (page faults, I/O)"
    return "other: setup, XC, mixing, libc, MPI"


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    cnt = collections.Counter(classify(f) for f in samples(sys.argv[1]))
    tot = sum(cnt.values())
    groups = collections.Counter()
    for k, v in cnt.items():
        groups[k.split(":")[0]] += v
    print(f"{tot} samples")
    print("| category | share of samples |")
    print("|---|---:|")
    for k, v in sorted(cnt.items(), key=lambda kv: (-groups[kv[0].split(':')[0]], kv[0])):
        print(f"| {k} | {100.0 * v / tot:.1f}% |")
    print("\n| group | share |")
    print("|---|---:|")
    for k, v in groups.most_common():
        print(f"| {k} | {100.0 * v / tot:.1f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
