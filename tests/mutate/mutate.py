#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mutate.py - flowplan's mutation-testing driver (`make mutate`).

For each part of tests/mutate/parts.conf (its logic files and its tier's
build and test commands) it applies one mutant at a time (mutants.py: the
classes ror, aor, const, drop, swap, ret) to a copy of the source tree,
rebuilds incrementally, runs the part's tier and restores the file. The real
checkout is never written: the copy lives in a work directory (default
/tmp/flowplan-mutate-UID-HASH, kept between runs so builds stay warm) and is
brought back in line with the checkout at the start of every run, which also
undoes a mutant an interrupted run may have left there.

A mutant is
  killed      the tier failed (or timed out: killed, with a note)
  survived    the tier passed: no test notices the change
  equivalent  survived, and tests/mutate/equivalent.txt marks it equivalent
              or accepted with a reason
  uncompiled  the build failed (counted apart)
and each part's score is killed / (run - equivalent - uncompiled): the
non-equivalent kill rate, given with its 95% (Wilson) interval, which is
what a sample (--count) says of all the part's mutants.

A part with a `cover` command gets a coverage map after its baseline
(cover.py: which test program executes which line). A mutant then runs
only the programs that execute its lines, quickest first; one whose lines
no program executes survives without a build (a line that never runs
cannot change what a test sees).

Usage: mutate.py [--part P,...] [--files GLOB,...] [--seed N] [--count N]
                 [--time S] [--ids ID,...] [--list] [--out DIR]
--count and --time are budgets per part: --count samples N mutants
(deterministically from --seed), --time stops starting mutants after S
seconds. Without --time the sample runs sorted by file (fewer rebuilds);
with it, in sampled order, so that whatever ran is a fair sample.
"""

import argparse
import configparser
import fcntl
import fnmatch
import glob
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants as mutgen  # noqa: E402

HEAVY_LOCK = os.environ.get("FLOWPLAN_HEAVY_LOCK", "/tmp/flowplan-heavy.lock")
HEAVY_BATCH = 300
ID_RE = re.compile(r"^m[0-9a-f]{9}$")


class Fatal(Exception):
    pass


def log(msg):
    print(msg, flush=True)


# ------------------------------------------------------------------ config

class Part:
    def __init__(self, name, sec, root):
        self.name = name
        self.patterns = sec.get("files", "").split()
        self.exclude = sec.get("exclude", "").split()
        self.build = sec.get("build", "").strip()
        self.test = sec.get("test", "").strip()
        if not self.patterns or not self.test:
            raise Fatal("parts.conf: [%s] needs files and test" % name)
        self.heavy = sec.get("heavy", "no").strip().lower() in ("yes", "true", "1")
        self.timeout = float(sec.get("timeout", "0") or 0)
        self.undef = sec.get("undef", "").split()
        self.cover = sec.get("cover", "").strip()
        self.finish = sec.get("finish", "").strip()
        self.note = " ".join(sec.get("note", "").split())
        files = []
        for p in self.patterns:
            hits = sorted(glob.glob(os.path.join(root, p)))
            for h in hits:
                rel = os.path.relpath(h, root)
                if any(fnmatch.fnmatch(rel, x) for x in self.exclude):
                    continue
                if rel not in files and os.path.isfile(h):
                    files.append(rel)
        self.files = files


def load_config(path, root):
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=None)
    cp.optionxform = str
    with open(path) as f:
        cp.read_file(f)
    return [Part(name, cp[name], root) for name in cp.sections()]


def load_equivalents(path):
    """id -> (kind, reason). Lines: ID equivalent|accepted REASON."""
    marks = {}
    if not path or not os.path.exists(path):
        return marks
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            w = line.split(None, 2)
            if len(w) < 3 or not ID_RE.match(w[0]) or w[1] not in ("equivalent", "accepted"):
                raise Fatal("%s:%d: want `ID equivalent|accepted REASON`, got %r"
                            % (path, n, line))
            marks[w[0]] = (w[1], w[2])
    return marks


# -------------------------------------------------------------- the copy

def source_files(root):
    """The checkout's files: git's tracked and untracked-not-ignored ones,
    or every file outside build/ where there is no git."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z"],
                             check=True, capture_output=True).stdout
        files = [f for f in out.decode().split("\0") if f]
        return sorted(f for f in files if os.path.lexists(os.path.join(root, f)))
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = []
        for d, dirs, names in os.walk(root):
            rel = os.path.relpath(d, root)
            dirs[:] = [x for x in dirs if not (rel == "." and x in ("build", ".git"))]
            for n in names:
                files.append(os.path.normpath(os.path.join(rel, n)))
        return sorted(files)


def same_file(a, b):
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except FileNotFoundError:
        return False
    if os.path.islink(a) or os.path.islink(b):
        return os.path.islink(a) and os.path.islink(b) and os.readlink(a) == os.readlink(b)
    if sa.st_size != sb.st_size or (sa.st_mode & 0o777) != (sb.st_mode & 0o777):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def sync(root, work):
    """Make @work hold the checkout's files. Files that changed get a new
    mtime (so make rebuilds what a mutant built); unchanged ones keep theirs."""
    files = source_files(root)
    manifest = os.path.join(work, ".mutate-manifest")
    old = set()
    if os.path.exists(manifest):
        with open(manifest) as f:
            old = set(f.read().split("\0")) - {""}
    copied = 0
    for rel in files:
        src, dst = os.path.join(root, rel), os.path.join(work, rel)
        if same_file(src, dst):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst) and (os.path.islink(dst) or os.path.isdir(dst)):
            if os.path.isdir(dst) and not os.path.islink(dst):
                shutil.rmtree(dst)
            else:
                os.unlink(dst)
        if os.path.islink(src):
            if os.path.lexists(dst):
                os.unlink(dst)
            os.symlink(os.readlink(src), dst)
        else:
            tmp = dst + ".mutate-tmp"
            shutil.copyfile(src, tmp)
            os.chmod(tmp, os.stat(src).st_mode & 0o7777)
            os.replace(tmp, dst)
        copied += 1
    for rel in sorted(old - set(files)):
        p = os.path.join(work, rel)
        if os.path.lexists(p) and not os.path.isdir(p):
            os.unlink(p)
    with open(manifest + ".tmp", "w") as f:
        f.write("\0".join(files))
    os.replace(manifest + ".tmp", manifest)
    return copied


# -------------------------------------------------------------- commands

class Interrupted(Exception):
    pass


def _on_signal(signum, frame):
    raise KeyboardInterrupt()


def run_cmd(cmd, cwd, timeout, env, logf):
    """Run @cmd (shell) in its own process group; kill the group on a time
    out or an interrupt. Returns (rc, seconds, timed_out)."""
    t0 = time.monotonic()
    p = subprocess.Popen(["bash", "-c", cmd], cwd=cwd, env=env, stdout=logf,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        rc = p.wait(timeout=timeout if timeout and timeout > 0 else None)
        return rc, time.monotonic() - t0, False
    except subprocess.TimeoutExpired:
        _kill_group(p)
        return None, time.monotonic() - t0, True
    except BaseException:
        _kill_group(p)
        raise
    finally:
        # a well-behaved tier leaves nothing behind; make sure of it
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_group(p):
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class HeavyLock:
    """flock(1)-compatible hold of the shared heavy-jobs lock."""

    def __init__(self):
        self.fd, self.since = None, None

    def acquire(self):
        if self.fd is None:
            fd = os.open(HEAVY_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            self.fd, self.since = fd, time.monotonic()

    def held_for(self):
        return time.monotonic() - self.since if self.fd is not None else 0

    def release(self):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


NOTE_RE = re.compile(r"(error:|FAILED|\bfailed\b|not ok|exited|ERROR|"
                     r"AddressSanitizer|runtime error|Aborted|Segmentation|"
                     r"did not finish|BUG|Oops)")


def first_note(path, limit=160):
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if NOTE_RE.search(line) and "0 failed" not in line:
                    line = " ".join(line.split())
                    return line[:limit]
    except OSError:
        pass
    return ""


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


# -------------------------------------------------------------- running

class Runner:
    def __init__(self, args, root, work, out, marks):
        self.args, self.root, self.work, self.out, self.marks = \
            args, root, work, out, marks
        self.interrupted = False
        self.lock_wait = 0.0
        self.heavy = HeavyLock()
        self.cover = None

    def env(self, part, extra=None):
        e = dict(os.environ)
        e["MUTATE_PART"] = part.name
        e.pop("MAKEFLAGS", None)
        e.pop("MFLAGS", None)
        e.pop("MAKELEVEL", None)
        if extra:
            e.update(extra)
        return e

    def step(self, part, what, cmd, timeout, logpath, extra=None, heavy=False):
        if heavy:
            self.hold_heavy()
        with open(logpath, "w") as lf:
            return run_cmd(cmd, self.work, timeout, self.env(part, extra), lf)

    def hold_heavy(self):
        """Take the heavy-jobs lock, and keep it across consecutive mutants
        for up to HEAVY_BATCH seconds, then let the others have a turn."""
        if self.heavy.held_for() > HEAVY_BATCH:
            self.heavy.release()
            # a waiter blocked in flock() needs a moment to be scheduled;
            # taking the lock back at once would starve it
            time.sleep(2)
        t0 = time.monotonic()
        self.heavy.acquire()
        self.lock_wait += time.monotonic() - t0

    def baseline(self, part):
        """Build and test the unmutated copy: the tier must pass, and its
        time sets the time-out of the mutants' tests."""
        logdir = os.path.join(self.out, "logs")
        res = {}
        if part.build:
            lp = os.path.join(logdir, "%s-baseline-build.log" % part.name)
            rc, sec, to = self.step(part, "build", part.build, 3600, lp,
                                    {"MUTATE_BASELINE": "1"}, part.heavy)
            res["build_s"] = round(sec, 1)
            if rc != 0:
                raise Fatal("part %s: the build fails without any mutant (log %s):\n%s"
                            % (part.name, lp, tail(lp)))
            # a second, incremental build: what a mutant's build costs at least
        lp = os.path.join(logdir, "%s-baseline-test.log" % part.name)
        rc, sec, to = self.step(part, "test", part.test, 3600, lp,
                                {"MUTATE_BASELINE": "1"}, part.heavy)
        res["test_s"] = round(sec, 1)
        if rc != 0:
            raise Fatal("part %s: the tier fails without any mutant (log %s):\n%s"
                        % (part.name, lp, tail(lp)))
        res["timeout_s"] = part.timeout or round(4 * sec + 20, 1)
        if part.cover:
            lp = os.path.join(logdir, "%s-cover.log" % part.name)
            mp = os.path.join(self.out, "%s-cover.json" % part.name)
            rc, sec, to = self.step(part, "cover", part.cover, 3600, lp,
                                    {"MUTATE_BASELINE": "1", "MUTATE_COVER": mp})
            res["cover_s"] = round(sec, 1)
            if rc != 0:
                raise Fatal("part %s: the coverage map failed (log %s):\n%s"
                            % (part.name, lp, tail(lp)))
            with open(mp) as f:
                self.cover = Cover(json.load(f))
        return res

    def run_mutant(self, part, m, src, timeout):
        path = os.path.join(self.work, m.path)
        marker = os.path.join(self.work, ".mutating")
        lp = os.path.join(self.out, "logs", "%s.log" % m.id)
        r = {"status": None, "note": "", "build_s": 0.0, "test_s": 0.0}
        extra = {"MUTATE_ID": m.id, "MUTATE_FILE": m.path}
        if self.cover:
            tests = self.cover.tests_for(m, src)
            if tests == []:
                r["status"] = "survived"
                r["note"] = "no test executes the line"
                return r
            if tests:
                extra["MUTATE_TESTS"] = " ".join(tests)
                r["tests"] = len(tests)
                if set(tests) <= set(self.cover.always):
                    r["note"] = "no test program executes the line; scripts ran"
                # the programs gcov sees get 10 times their time under
                # coverage (no sanitizer), + 30 s; a part's own time-out is
                # for its scripts (the VM tier), so there the cap goes to
                # each program gcov sees (MUTATE_PROG_TIMEOUT, build.mk),
                # and a mutant that loops on the host costs seconds, not
                # the VM's time-out
                cap = 10 * sum(self.cover.seconds.get(t, 0) for t in tests) + 30
                if not part.timeout:
                    timeout = min(timeout, cap)
                elif set(tests) - set(self.cover.always):
                    extra["MUTATE_PROG_TIMEOUT"] = "%d" % math.ceil(cap)
        with open(marker, "w") as f:
            f.write(m.path + "\n")
        try:
            _write(path, m.apply(src))
            if part.build:
                rc, sec, to = self.step(part, "build", part.build, 1800, lp, extra)
                r["build_s"] = round(sec, 1)
                if rc != 0:
                    r["status"] = "uncompiled"
                    r["note"] = "build timed out" if to else first_note(lp)
                    return r
            lpt = lp + ".test"
            rc, sec, to = self.step(part, "test", part.test, timeout, lpt, extra,
                                    part.heavy)
            r["test_s"] = round(sec, 1)
            if to:
                r["status"] = "killed"
                r["note"] = "timed out after %d s (counted as killed)" % timeout
            elif rc == 0:
                r["status"] = "survived"
            else:
                r["status"] = "killed"
                r["note"] = first_note(lpt)
            if r["status"] != "killed" or not to:
                _silent_unlink(lpt)
            return r
        finally:
            _write(path, src)
            _silent_unlink(marker)
            if r["status"] in ("killed", "survived"):
                _silent_unlink(lp)

    def run_part(self, part, selected):
        logdir = os.path.join(self.out, "logs")
        os.makedirs(logdir, exist_ok=True)
        res = {"name": part.name, "files": part.files, "note": part.note,
               "build": part.build, "test": part.test, "mutants": [],
               "generated": 0, "selected": len(selected), "stopped": ""}
        log("mutate: part %s: %d mutants selected; baseline build and test..."
            % (part.name, len(selected)))
        t0 = time.monotonic()
        self.lock_wait = 0.0
        self.cover = None
        try:
            res["baseline"] = self.baseline(part)
            b = res["baseline"]
            log("mutate: part %s: baseline build %.0f s, test %.0f s%s; test time-out %.0f s"
                % (part.name, b.get("build_s", 0), b["test_s"],
                   ", coverage map %.0f s" % b["cover_s"] if "cover_s" in b else "",
                   b["timeout_s"]))
            self._loop(part, selected, res)
        except Fatal as e:
            res["error"] = str(e)
            log("mutate: %s" % e)
        except KeyboardInterrupt:
            self.interrupted = True
            res["stopped"] = "interrupted after %d of %d mutants" % (len(res["mutants"]),
                                                                     len(selected))
        finally:
            if part.finish:
                # e.g. the VM tier's VM, which lives across the mutants
                lp = os.path.join(logdir, "%s-finish.log" % part.name)
                rc, _, _ = self.step(part, "finish", part.finish, 300, lp)
                if rc != 0:
                    log("mutate: part %s: `%s` failed (log %s)" % (part.name, part.finish, lp))
            self.heavy.release()
        res["elapsed_s"] = round(time.monotonic() - t0, 1)
        res["lock_wait_s"] = round(self.lock_wait, 1)
        return res

    def _loop(self, part, selected, res):
        b = res["baseline"]
        srcs = {}
        t0 = time.monotonic()
        for k, m in enumerate(selected):
            if self.args.time and time.monotonic() - t0 > self.args.time:
                res["stopped"] = "time budget of %d s spent after %d of %d mutants" \
                    % (self.args.time, k, len(selected))
                break
            if m.path not in srcs:
                with open(os.path.join(self.work, m.path)) as f:
                    srcs[m.path] = f.read()
            r = self.run_mutant(part, m, srcs[m.path], b["timeout_s"])
            rec = m.as_dict()
            rec.update(r)
            mark = self.marks.get(m.id)
            if mark and r["status"] == "survived":
                rec["status"] = "equivalent"
                rec["mark"] = mark[0]
                rec["reason"] = mark[1]
            elif mark:
                rec["stale_mark"] = "%s but %s: remove the mark" % (mark[0], r["status"])
            res["mutants"].append(rec)
            log("mutate: [%s %d/%d %.0f+%.0f s] %-10s %s:%d %s %s  `%s`%s"
                % (part.name, k + 1, len(selected), r["build_s"], r["test_s"],
                   rec["status"], m.path, m.line, m.id, m.cls, m.after,
                   "  (" + rec["note"] + ")" if rec["note"] and
                   (rec["status"] != "killed" or rec["note"].startswith("timed out")) else ""))


class Cover:
    """The coverage map of a part's tier (cover.py): which test programs
    execute which line."""

    def __init__(self, d):
        self.seconds = d.get("tests", {})
        self.always = d.get("always", [])
        self.exec = {f: set(v) for f, v in d.get("exec", {}).items()}
        self.lines = d.get("lines", {})

    def tests_for(self, m, src):
        """The programs to run for mutant @m, quickest first: those that
        execute one of its lines, then the scripts gcov cannot see into; []
        when that is none; None when its lines hold no code that gcov
        counts (an initializer, a declaration): then every program."""
        first = m.line
        last = first + src[m.start:m.end].count("\n")
        ex = self.exec.get(m.path)
        if not ex:
            return None
        span = [n for n in range(first, last + 1) if n in ex]
        if not span:
            return None
        hit = set(self.always)
        for n in span:
            hit.update(self.lines.get(m.path, {}).get(str(n), ()))
        if not hit - set(self.always):
            # no program gcov sees into executes it: only those it cannot see
            # into (scripts) may still notice it
            return sorted(self.always)
        # the scripts last, in the part's order: their time is unknown (0 in
        # the map), and the last may be slow (the VM tier's), while a quick
        # program may kill first
        order = {t: i for i, t in enumerate(self.always)}
        return sorted(hit, key=lambda t: (order.get(t, -1), self.seconds.get(t, 0), t))


def _write(path, text):
    tmp = path + ".mutate-tmp"
    st = os.stat(path)
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, st.st_mode & 0o7777)
    os.replace(tmp, path)


def _silent_unlink(p):
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass


# -------------------------------------------------------------- selection

def select(parts, args, root):
    want_parts = [p for p in (args.part or "").replace(",", " ").split() if p]
    names = [p.name for p in parts]
    for w in want_parts:
        if w not in names:
            raise Fatal("no part %r in %s (parts: %s)" % (w, args.config, " ".join(names)))
    file_pats = [f for f in (args.files or "").replace(",", " ").split() if f]
    chosen = []
    for p in parts:
        if want_parts and p.name not in want_parts:
            continue
        files = p.files
        if file_pats:
            files = [f for f in files if any(fnmatch.fnmatch(f, x) or f == os.path.normpath(x)
                                             for x in file_pats)]
            if not files:
                continue
        chosen.append((p, files))
    if file_pats:
        covered = {f for _, fs in chosen for f in fs}
        for x in file_pats:
            if not any(fnmatch.fnmatch(f, x) or f == os.path.normpath(x) for f in covered):
                raise Fatal("FILES=%s: in no selected part of %s" % (x, args.config))
    if not chosen:
        raise Fatal("nothing selected")
    return chosen


def part_mutants(part, files, root, args):
    allm = []
    for f in files:
        with open(os.path.join(root, f)) as fh:
            src = fh.read()
        try:
            allm.extend(mutgen.mutants(f, src, part.undef))
        except mutgen.LexError as e:
            raise Fatal("%s: %s" % (f, e))
    order = {f: i for i, f in enumerate(files)}
    total = len(allm)
    sel = list(allm)
    if args.ids:
        ids = set(args.ids.replace(",", " ").split())
        sel = [m for m in sel if m.id in ids]
    rng = random.Random("%s:%s" % (args.seed, part.name))
    rng.shuffle(sel)
    if args.count:
        sel = sel[:args.count]
    if not args.time:
        sel.sort(key=lambda m: (order[m.path], m.start, m.end, m.cls, m.repl))
    return total, sel


# -------------------------------------------------------------- reports

STATUSES = ("killed", "survived", "equivalent", "uncompiled")


def score_of(counts):
    den = counts["run"] - counts["equivalent"] - counts["uncompiled"]
    return (counts["killed"] / den if den else None), den


def summarize(res):
    per = {}
    for f in res["files"]:
        per[f] = dict.fromkeys(STATUSES + ("run", "timeouts"), 0)
    for r in res["mutants"]:
        c = per.setdefault(r["file"], dict.fromkeys(STATUSES + ("run", "timeouts"), 0))
        c[r["status"]] += 1
        c["run"] += 1
        if r["note"].startswith("timed out"):
            c["timeouts"] += 1
    tot = dict.fromkeys(STATUSES + ("run", "timeouts"), 0)
    for c in per.values():
        for k in tot:
            tot[k] += c[k]
    return per, tot


def fmt_score(s):
    return "n/a" if s is None else "%.1f%%" % (100 * s)


def wilson(k, n, z=1.959964):
    """The 95% Wilson score interval of a proportion k/n (None for n = 0):
    the kill rate of all the part's non-equivalent mutants, estimated from
    a uniform sample of n of them; unlike k/n +- 1.96 sd it stays inside
    [0, 1] and is honest at k = n."""
    if not n:
        return None
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / d
    return (0.0 if k == 0 else c - h), (1.0 if k == n else c + h)


def text_report(results, args, marks):
    out = []
    out.append("flowplan mutation report: seed %s, count %s, time %s%s"
               % (args.seed, args.count or "all", ("%d s" % args.time) if args.time else "none",
                  ", ids " + args.ids if args.ids else ""))
    for res in results:
        per, tot = summarize(res)
        s, den = score_of(tot)
        b = res.get("baseline", {})
        ran = [r for r in res["mutants"]]
        avg = (sum(r["build_s"] + r["test_s"] for r in ran) / len(ran)) if ran else 0
        out.append("")
        out.append("== part %s: score %s = killed %d / (run %d - equivalent %d - uncompiled %d)"
                   % (res["name"], fmt_score(s), tot["killed"], tot["run"],
                      tot["equivalent"], tot["uncompiled"]))
        ci = wilson(tot["killed"], den)
        if ci:
            if args.ids or args.files:
                what = "; the mutants asked for (IDS, FILES): not a sample of the part"
            elif tot["run"] < res["generated"]:
                what = "; a uniform sample of the part's %d mutants" % res["generated"]
            else:
                what = "; every mutant"
            out.append("   non-equivalent kill rate %s, 95%% interval %.1f%%-%.1f%% "
                       "(%d killed, %d survived of %d non-equivalent%s)"
                       % (fmt_score(s), 100 * ci[0], 100 * ci[1], tot["killed"],
                          tot["survived"], den, what))
        if res.get("error"):
            out.append("   NOT RUN: " + res["error"].split("\n")[0])
        out.append("   %d mutants in its files, %d selected, %d run%s"
                   % (res["generated"], res["selected"], tot["run"],
                      "; " + res["stopped"] if res["stopped"] else ""))
        out.append("   tier: build `%s`, test `%s`" % (res["build"], res["test"]))
        out.append("   baseline: build %.0f s, test %.0f s; a mutant took %.1f s on average "
                   "(build + test); test time-out %.0f s"
                   % (b.get("build_s", 0), b.get("test_s", 0), avg, b.get("timeout_s", 0)))
        nc = sum(1 for r in ran if r["note"] == "no test executes the line")
        if nc:
            out.append("   %d mutants on lines no test executes (coverage map): survived "
                       "without a build" % nc)
        if res.get("elapsed_s"):
            out.append("   the part took %.0f s%s" % (res["elapsed_s"],
                       ", %.0f s of it waiting for the heavy-jobs lock" % res["lock_wait_s"]
                       if res.get("lock_wait_s", 0) >= 1 else ""))
        if res["note"]:
            out.append("   note: " + res["note"])
        out.append("   %-34s %5s %6s %8s %6s %10s %8s  %s"
                   % ("file", "run", "killed", "survived", "equiv", "uncompiled", "timeouts",
                      "score"))
        for f in sorted(per):
            c = per[f]
            fs, _ = score_of(c)
            out.append("   %-34s %5d %6d %8d %6d %10d %8d  %s"
                       % (f, c["run"], c["killed"], c["survived"], c["equivalent"],
                          c["uncompiled"], c["timeouts"], fmt_score(fs)))
        surv = sorted((r for r in res["mutants"] if r["status"] == "survived"),
                      key=lambda r: (r["file"], r["line"], r["id"]))
        if surv:
            out.append("   survivors (file:line id class: the line as mutated):")
            last = None
            for r in surv:
                if r["file"] != last:
                    out.append("     %s" % r["file"])
                    last = r["file"]
                out.append("       %s:%d %s %-5s `%s`%s" % (r["file"], r["line"], r["id"],
                                                            r["class"], r["after"],
                                                            "  (" + r["note"] + ")"
                                                            if r["note"] else ""))
                out.append("       %s    was `%s`" % (" " * len("%s:%d" % (r["file"], r["line"])),
                                                      r["before"]))
        eq = [r for r in res["mutants"] if r["status"] == "equivalent"]
        if eq:
            out.append("   equivalent or accepted (not scored):")
            for r in sorted(eq, key=lambda r: (r["file"], r["line"])):
                out.append("       %s:%d %s %s: %s" % (r["file"], r["line"], r["id"],
                                                      r["mark"], r["reason"]))
        tos = [r for r in res["mutants"] if r["note"].startswith("timed out")]
        if tos:
            out.append("   timed out (counted as killed):")
            for r in tos:
                out.append("       %s:%d %s `%s`" % (r["file"], r["line"], r["id"], r["after"]))
        stale = [r for r in res["mutants"] if r.get("stale_mark")]
        for r in stale:
            out.append("   warning: %s (%s:%d) is marked %s" % (r["id"], r["file"], r["line"],
                                                             r["stale_mark"]))
    return "\n".join(out) + "\n"


# -------------------------------------------------------------- main

def default_workdir(root):
    h = hashlib.sha1(os.path.realpath(root).encode()).hexdigest()[:8]
    return os.path.join(tempfile.gettempdir(), "flowplan-mutate-%d-%s" % (os.getuid(), h))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", help="the checkout (default: the git top level of this script)")
    ap.add_argument("--config", default=None, help="parts file (default tests/mutate/parts.conf)")
    ap.add_argument("--equivalent", default=None,
                    help="marks file (default tests/mutate/equivalent.txt)")
    ap.add_argument("--part", help="parts to run, comma-separated (default all)")
    ap.add_argument("--files", help="file globs to run, comma-separated")
    ap.add_argument("--seed", default="1", help="sampling seed (default 1)")
    ap.add_argument("--count", type=int, default=0, help="mutants per part (default all)")
    ap.add_argument("--time", type=int, default=0, help="seconds per part (default no limit)")
    ap.add_argument("--ids", help="run only these mutant ids")
    ap.add_argument("--list", action="store_true", help="list the selected mutants, run nothing")
    ap.add_argument("--workdir", default=os.environ.get("MUTATE_WORKDIR"))
    ap.add_argument("--out", default=None, help="report directory (default ROOT/build/mutate)")
    args = ap.parse_args(argv)

    root = args.root
    if not root:
        try:
            root = subprocess.run(["git", "-C", here, "rev-parse", "--show-toplevel"],
                                  check=True, capture_output=True, text=True).stdout.strip()
        except subprocess.CalledProcessError:
            root = os.path.dirname(os.path.dirname(here))
    root = os.path.realpath(root)
    args.config = args.config or os.path.join(root, "tests/mutate/parts.conf")
    eqpath = args.equivalent or os.path.join(root, "tests/mutate/equivalent.txt")
    out = os.path.abspath(args.out or os.path.join(root, "build/mutate"))
    try:
        parts = load_config(args.config, root)
        marks = load_equivalents(eqpath)
        chosen = select(parts, args, root)
        if args.list:
            plan = [(part, files) + part_mutants(part, files, root, args)
                    for part, files in chosen]
            for part, files, total, sel in plan:
                print("# part %s: %d of %d mutants" % (part.name, len(sel), total))
                for m in sel:
                    mark = marks.get(m.id)
                    print("%s %s:%d %s `%s` -> `%s`%s" % (m.id, m.path, m.line, m.cls,
                                                        m.before, m.after,
                                                        "  [%s]" % mark[0] if mark else ""))
            return 0
        work = os.path.realpath(args.workdir or default_workdir(root))
        if work == root or work.startswith(root + os.sep):
            raise Fatal("the work directory must lie outside the checkout")
        os.makedirs(work, exist_ok=True)
        os.makedirs(out, exist_ok=True)
        lockfd = os.open(os.path.join(work, ".mutate-lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Fatal("another make mutate is using %s" % work)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _on_signal)
        leftover = os.path.join(work, ".mutating")
        if os.path.exists(leftover):
            with open(leftover) as f:
                log("mutate: an interrupted run left %s mutated in the copy: restoring it"
                    % f.read().strip())
            os.unlink(leftover)
        n = sync(root, work)
        log("mutate: copy of the checkout in %s (%d files updated)" % (work, n))
        # the mutants come from the copy: the checkout may change under a long run
        plan = [(part, files) + part_mutants(part, files, work, args) for part, files in chosen]
        runner = Runner(args, root, work, out, marks)
        results = []
        for part, files, total, sel in plan:
            res = runner.run_part(part, sel)
            res["generated"] = total
            res["files"] = files
            results.append(res)
            if runner.interrupted:
                log("mutate: interrupted; the copy is restored, the checkout was never touched")
                break
        interrupted = runner.interrupted
        report = text_report(results, args, marks)
        if interrupted:
            report = "INTERRUPTED: the parts below are incomplete or missing\n" + report
        with open(os.path.join(out, "report.txt"), "w") as f:
            f.write(report)
        with open(os.path.join(out, "report.json"), "w") as f:
            json.dump({"seed": args.seed, "count": args.count, "time": args.time,
                       "interrupted": interrupted, "parts": results}, f, indent=1)
        sys.stdout.write("\n" + report)
        log("mutate: report in %s/report.txt (and report.json)" % out)
        if interrupted:
            return 130
        return 1 if any(r.get("error") for r in results) else 0
    except Fatal as e:
        print("mutate: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
