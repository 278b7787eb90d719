#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cover.py - which test program executes which line, for `make mutate`.

Usage: cover.py --from COVDIR --to DIR --out MAP.json TEST...

Each TEST is a test program built with --coverage under COVDIR (its .gcno
and .gcda files below COVDIR too). They run one at a time, in the current
directory, with the caller's environment; after each, gcov reads the .gcda
files it left and every line it executed is recorded. MAP.json:

  {"tests":  {TEST': seconds},        TEST' = TEST with COVDIR/ -> DIR/
   "always": [TEST', ...],            programs gcov cannot see into (scripts)
   "exec":   {FILE: [line, ...]},     lines that hold code (gcov's view)
   "lines":  {FILE: {line: [TEST', ...]}}}   lines each program executed

A mutated line that no program executes cannot change any program's
behaviour, so the driver does not build or test such a mutant; a mutant on
executed lines runs only the programs that execute them (and "always").
A program that fails or times out here is an error: the map would be wrong.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def gcda_files(top):
    out = []
    for d, _, names in os.walk(top):
        out.extend(os.path.join(d, n) for n in names if n.endswith(".gcda"))
    return sorted(out)


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--from", dest="src", required=True)
    ap.add_argument("--to", dest="dst", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("tests", nargs="+")
    a = ap.parse_args()
    src = os.path.normpath(a.src) + "/"

    def real(t):
        t = os.path.normpath(t)
        return os.path.join(a.dst, t[len(src):]) if t.startswith(src) else t

    res = {"tests": {}, "always": [], "exec": {}, "lines": {}}
    execs, lines = {}, {}
    for t in a.tests:
        name = real(t)
        if not os.path.exists(t):
            print("cover: %s: not built here" % t, file=sys.stderr)
            continue
        if not is_elf(t):
            res["always"].append(name)
            res["tests"][name] = 0.0
            continue
        for g in gcda_files(a.src):
            os.unlink(g)
        t0 = time.monotonic()
        p = subprocess.run([t if os.sep in t else "./" + t], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=a.timeout)
        res["tests"][name] = round(time.monotonic() - t0, 3)
        if p.returncode not in (0, 77):
            sys.exit("cover: %s exited %d under coverage" % (t, p.returncode))
        gs = gcda_files(a.src)
        if not gs:
            continue
        out = subprocess.run(["gcov", "-j", "-t"] + gs, check=True, capture_output=True,
                             text=True).stdout
        for ln in out.splitlines():
            if not ln.startswith("{"):
                continue
            for f in json.loads(ln).get("files", []):
                path = f["file"]
                path = os.path.normpath(os.path.relpath(path) if os.path.isabs(path) else path)
                ex = execs.setdefault(path, set())
                hit = lines.setdefault(path, {})
                for li in f["lines"]:
                    ex.add(li["line_number"])
                    if li["count"] > 0:
                        hit.setdefault(li["line_number"], set()).add(name)
    res["exec"] = {f: sorted(v) for f, v in sorted(execs.items())}
    res["lines"] = {f: {str(k): sorted(v) for k, v in sorted(d.items())}
                    for f, d in sorted(lines.items())}
    with open(a.out + ".tmp", "w") as f:
        json.dump(res, f)
    os.replace(a.out + ".tmp", a.out)
    print("cover: %d test programs, %d files" % (len(res["tests"]), len(res["exec"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
