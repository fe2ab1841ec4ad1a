#!/usr/bin/env python3
"""check_layers_catches.py — scripts/check_layers.py fails on each kind of violation.

Copies src/ and include/ of the source tree to a temporary folder, checks that the copy
passes, then adds one violation at a time (a lower layer including a higher header, a
header with no layer, a private header used from another folder, a file over the line
limit, a function over the line limit) and checks that each fails with its message.
Usage: check_layers_catches.py SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

root = sys.argv[1]
script = os.path.join(root, "scripts", "check_layers.py")


def check(tree):
    p = subprocess.run([sys.executable, script, tree], capture_output=True, text=True)
    return p.returncode, p.stderr


def expect(tree, rel, text, needle):
    path = os.path.join(tree, rel)
    with open(path, "w") as f:
        f.write(text)
    rc, err = check(tree)
    os.remove(path)
    if rc != 1 or needle not in err:
        sys.exit(f"FAIL: {rel}: expected exit 1 with '{needle}', got {rc}: {err.strip()}")
    print(f"ok: {rel}: {err.splitlines()[0]}")


with tempfile.TemporaryDirectory() as tmp:
    for d in ("src", "include"):
        shutil.copytree(os.path.join(root, d), os.path.join(tmp, d))
    rc, err = check(tmp)
    if rc != 0:
        sys.exit(f"FAIL: the unchanged tree does not pass: {err}")
    expect(tmp, "src/ml/zz_bad.c", '#include "strainfield/scf.h"\n',
           "src/ml/zz_bad.c includes strainfield/scf.h: ml may include only")
    expect(tmp, "include/strainfield/pw_bad.h", '#include "strainfield/ham.h"\n',
           "no layer")
    expect(tmp, "src/app/zz_bad.c", '#include "../ham/ham_internal.h"\n#include "ham_internal.h"\n',
           "ham_internal.h")
    expect(tmp, "src/core/zz_long.c", "/* x */\n" * 501, "more than 500")
    body = "int f(void)\n{\n" + "  ;\n" * 125 + "  return 0;\n}\n"
    expect(tmp, "src/core/zz_func.c", body, "function f is")
print("check_layers catches every kind of violation")
