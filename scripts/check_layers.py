#!/usr/bin/env python3
"""check_layers.py — the layers of strainfield and the size rules, checked on every build.

Layers (docs/design.md §4): each source folder and each public header belongs to
one layer, and a layer may include only the headers of the layers below it:

    core  <-  crystal, pseudo, pw  <-  ham  <-  scf  <-  props  <-  relax
    core  <-  io (file helpers)    <-  ml (learning: numerics and the model file)
    physics, io  <-  data (the dataset: it stores the physics)
    ml, physics, data  <-  analysis (predict, stress paths, the training workflow)
    everything  <-  app (every command's options and printing; main.c)

A file that breaks the order fails with, e.g.,
    src/ml/foo.c includes strainfield/scf.h: ml may include only core, io, ml
A private header ("x_internal.h") may be included only from its own folder.

Size rules (issue 11): no source file over MAX_FILE_LINES lines, no function over
MAX_FUNC_LINES lines (from the line of its name to its closing brace).

Usage: check_layers.py SOURCE_DIR [--stamp FILE]; exit status 1 on any violation.
The exception lists below are empty; an entry would need its reason beside it.
tests/unit/check_layers_catches.py shows that each rule fails on a violation.
"""
import os
import re
import sys

MAX_FILE_LINES = 500
MAX_FUNC_LINES = 120

# Layer of each folder of src/ (main.c counts as app).
FOLDER_LAYER = {
    "core": "core", "crystal": "crystal", "pseudo": "pseudo", "pw": "pw", "ham": "ham",
    "scf": "scf", "props": "props", "relax": "relax", "io": "io", "ml": "ml", "data": "data",
    "analysis": "analysis", "app": "app",
}

# Layer of each public header of include/strainfield/.
HEADER_LAYER = {
    "core.h": "core", "options.h": "core", "layout.h": "core", "fields.h": "core",
    "crystal.h": "crystal", "sampling.h": "crystal",
    "pseudo.h": "pseudo",
    "pw.h": "pw",
    "ham.h": "ham", "xc.h": "ham", "terms.h": "ham",
    "scf.h": "scf", "eigensolver.h": "scf", "smearing.h": "scf", "mixing.h": "scf",
    "props.h": "props",
    "relax.h": "relax",
    "h5io.h": "io", "gridfile.h": "io",
    "ml.h": "ml", "mlp.h": "ml", "pca.h": "ml", "train.h": "ml",
    "dataset.h": "data",
    "stresspath.h": "analysis", "training.h": "analysis", "predict.h": "analysis",
    "init_guess.h": "analysis", "evaluate.h": "analysis", "elastic.h": "analysis",
    "elastic_dft.h": "analysis",
    "app.h": "app", "output.h": "app",
}

PHYSICS = ["crystal", "pseudo", "pw", "ham", "scf", "props", "relax"]
# What each layer may include besides itself.
ALLOWED = {
    "core": [],
    "crystal": ["core"],
    "pseudo": ["core"],
    "pw": ["core", "crystal"],
    "ham": ["core", "crystal", "pseudo", "pw"],
    "scf": ["core", "crystal", "pseudo", "pw", "ham"],
    "props": ["core", "crystal", "pseudo", "pw", "ham", "scf"],
    "relax": ["core", "crystal", "pseudo", "pw", "ham", "scf", "props"],
    "io": ["core"],
    "ml": ["core", "io"],
    "data": ["core", "io"] + PHYSICS,
    "analysis": ["core", "io", "ml", "data"] + PHYSICS,
    "app": ["core", "io", "ml", "data", "analysis"] + PHYSICS,
}

# Exceptions (file, included header) to the layers, and to the size rules below: none;
LAYER_ALLOW = set()
# a new entry needs a reason in a comment.
FILE_ALLOW = set()
FUNC_ALLOW = set()
# Headers the build generates (not in the source tree).
GENERATED = {"sf_git_commit.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def layer_of(rel):
    """The layer of a file given relative to the source tree, or None if unchecked."""
    parts = rel.split("/")
    if parts[0] == "include" and len(parts) == 3 and parts[1] == "strainfield":
        return HEADER_LAYER.get(parts[2], "?")
    if parts[0] == "src":
        if len(parts) == 2:
            return "app"  # src/main.c
        return FOLDER_LAYER.get(parts[1], "?")
    return None


def sources(root):
    for top in ("src", "include/strainfield"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")


def check_includes(root, rel, text, errors):
    layer = layer_of(rel)
    if layer == "?":
        errors.append(f"{rel}: no layer for this file: add it to FOLDER_LAYER or HEADER_LAYER of scripts/check_layers.py")
        return
    for inc in INCLUDE.findall(text):
        if inc.startswith("strainfield/"):
            target = HEADER_LAYER.get(inc[len("strainfield/"):])
            if target is None:
                errors.append(f"{rel} includes {inc}: a header with no layer (add it to HEADER_LAYER)")
                continue
            if target == layer or target in ALLOWED[layer] or (rel, inc) in LAYER_ALLOW:
                continue
            may = ", ".join(ALLOWED[layer] + [layer])
            errors.append(f"{rel} includes {inc}: {layer} may include only {may}")
        elif not rel.startswith("include/") and inc not in GENERATED:
            # a private header, next to the file (found by the compiler in its folder)
            if "/" in inc or not os.path.exists(os.path.join(root, os.path.dirname(rel), inc)):
                errors.append(f"{rel} includes \"{inc}\": a private header must be in the same folder")


def strip_code(text):
    """Comments, strings and character constants blanked, newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j]) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, length) of every function definition of a C file."""
    code = strip_code(text)
    found, depth, start = [], 0, 0
    for m in re.finditer(r"[{};]", code):
        ch = m.group()
        if ch == "{":
            if depth == 0:
                header = code[start:m.start()]
                call = re.search(r"([A-Za-z_]\w*)\s*\([^;{}=]*\)\s*$", header)
                is_func = call and "=" not in header and not re.search(r"\b(struct|enum|union)\b\s*\w*\s*$", header)
                fstart = start + header.find(call.group(0)) if is_func else None
                name = call.group(1) if is_func else None
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                if name:
                    first = code.count("\n", 0, fstart) + 1
                    last = code.count("\n", 0, m.start()) + 1
                    found.append((name, first, last - first + 1))
                name = None
                start = m.end()
        elif depth == 0:
            start = m.end()
    return found


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    root = argv[1]
    errors = []
    for rel in sources(root):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        check_includes(root, rel, text, errors)
        nlines = text.count("\n")
        if nlines > MAX_FILE_LINES and rel not in FILE_ALLOW:
            errors.append(f"{rel}: {nlines} lines, more than {MAX_FILE_LINES}: split it")
        if rel.endswith(".c"):
            for name, line, length in functions(text):
                if length > MAX_FUNC_LINES and (rel, name) not in FUNC_ALLOW:
                    errors.append(f"{rel}:{line}: function {name} is {length} lines, more than {MAX_FUNC_LINES}")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"check_layers: {len(errors)} violation(s) (scripts/check_layers.py)", file=sys.stderr)
        return 1
    if len(argv) >= 4 and argv[2] == "--stamp":
        open(argv[3], "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
