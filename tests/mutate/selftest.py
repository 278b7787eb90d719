#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""selftest.py - `make check-mutate`: the mutation tool's own tests.

The mutant generator on small snippets (what is mutated, what is left
alone, stable ids), and the driver end to end on a fixture whose outcome is
known (selftest/expected.txt): kills, survivors, an equivalent and an
accepted mark, an uncompilable mutant, two that hang (time-outs), the score,
sampling, and that neither an interrupt nor a killed run leaves a mutant
behind. Ends with "mutate: N passed, N failed, N skipped".
"""

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mutants  # noqa: E402
import mutate  # noqa: E402

FIXTURE = "tests/mutate/selftest/fixture.c"
FIXTURE_FILES = ("fixture.c", "fixture.h", "test_fixture.c")


def muts(src, undef=(), path="t.c"):
    return [(m.cls, m.after) for m in mutants.mutants(path, src, undef)]


def afters(src, cls=None, undef=()):
    return [a for c, a in muts(src, undef) if cls is None or c == cls]


class Generator(unittest.TestCase):
    def test_only_code_is_mutated(self):
        src = ('#define X (1 + 2)\n'
               'int g = 3 + 4;\n'
               'int f(int a)\n{\n'
               '\t/* a < 1 */ // a > 2\n'
               '\tputs("a < b");\n'
               '\treturn a < 5;\n}\n')
        got = muts(src)
        self.assertIn(("ror", "return a <= 5;"), got)
        for _, a in got:
            self.assertNotIn("X (", a)
            self.assertNotIn("g =", a)
            self.assertNotIn('"a <= b"', a)
        self.assertEqual(len([1 for c, _ in got if c == "ror"]), 1)

    def test_initializers_mutated_but_not_array_sizes(self):
        src = ('static const int t[4] = { 1, 0x10 };\n'
               'int f(int i)\n{\n\tint a[8] = { 2 }, b[3];\n'
               '\ta[0] = i;\n\tb[0] = 0;\n\treturn a[i] + b[sizeof(a[1])];\n}\n')
        got = afters(src, "const")
        self.assertIn("static const int t[4] = { 0, 0x10 };", got)
        self.assertIn("static const int t[4] = { 1, 0x11 };", got)
        self.assertFalse([a for a in got if "t[5]" in a or "t[3]" in a])
        self.assertFalse([a for a in got if "a[9]" in a or "b[4]" in a or "a[7]" in a])
        self.assertIn("int a[8] = { 1 }, b[3];", got)
        self.assertIn("a[1] = i;", got)             # an index, not a size
        self.assertFalse([a for a in got if "sizeof(a[0])" in a or "sizeof(a[2])" in a])

    def test_constants_keep_their_spelling(self):
        got = afters("unsigned f(void)\n{\n\treturn 0x7f800000u + 1UL + 0XFFu;\n}\n",
                     "const")
        self.assertIn("return 0x7f800001u + 1UL + 0XFFu;", got)
        self.assertIn("return 0x7f7fffffu + 1UL + 0XFFu;", got)
        self.assertIn("return 0x7f800000u + 0UL + 0XFFu;", got)
        self.assertIn("return 0x7f800000u + 1UL + 0X100u;", got)

    def test_unary_operators_and_declarations_left_alone(self):
        src = ("int f(char *q, int w, int b)\n{\n\tchar *p = (char *)q;\n"
               "\tstruct s *sp = 0;\n\tint x = *p * 2, y = -w & b, *z = &w;\n"
               "\treturn x + y + *z + (sp != 0);\n}\n")
        got = afters(src, "aor")
        self.assertIn("int x = *p / 2, y = -w & b, *z = &w;", got)
        self.assertIn("int x = *p * 2, y = -w | b, *z = &w;", got)
        self.assertEqual(len([a for a in got if "int x" in a]), 2)
        self.assertFalse([a for a in got if "char /" in a or "s /" in a])

    def test_templates_and_ifdef(self):
        src = ("template <int N> FP_HD void f(int *d, int a, int b)\n{\n"
               "\tg<N>(d);\n#ifdef __CUDA_ARCH__\n\td[0] = a + b;\n#else\n"
               "\td[1] = a - b;\n#endif\n\tif (a < b)\n\t\td[2] = 0;\n}\n")
        got = muts(src, undef=["__CUDA_ARCH__"])
        self.assertFalse([a for _, a in got if "g<=" in a or ">=(d)" in a])
        befores = [m.before for m in mutants.mutants("t.c", src, ["__CUDA_ARCH__"])]
        self.assertNotIn("d[0] = a + b;", befores)
        self.assertIn(("aor", "d[1] = a + b;"), got)
        self.assertIn(("ror", "if (a <= b)"), got)
        self.assertIn(("ret", "return; g<N>(d);"), got)   # void, not `template <int`
        self.assertIn("d[0] = a + b;", [m.before for m in mutants.mutants("t.c", src)])

    def test_dropped_checks(self):
        src = ("int f(int x, int *y)\n{\n\tif (x) return -22;\n"
               "\tif (x > 1) {\n\t\t*y = 1;\n\t\tgoto out;\n\t}\n"
               "\tif (x > 2)\n\t\t*y = 2;\n"
               "\tif (x > 3)\n\t\treturn 1;\n\telse\n\t\treturn 2;\nout:\n\treturn 0;\n}\n")
        got = afters(src, "drop")
        self.assertEqual(got, ["if ((x) && 0) return -22;", "if ((x > 1) && 0) {"])

    def test_early_returns(self):
        src = ("static int f(int a)\n{\n\tint b = a;\n\n\tb++;\n\treturn b;\n}\n"
               "void g(int *p)\n{\n\t*p = 1;\n}\n"
               "int *h(int *p)\n{\n\treturn p + 1;\n}\n"
               "int k(void)\n{\n\treturn 0;\n}\n")
        got = afters(src, "ret")
        self.assertEqual(got, ["return 0; b++;", "return; *p = 1;"])

    def test_swapped_operands_respect_precedence(self):
        got = afters("int f(int a, int b, int c)\n{\n\treturn a - b - c + a * b - c;\n}\n",
                     "swap")
        self.assertEqual(got, ["return b - a - c + a * b - c;"])
        got = afters("int f(int *a, int i)\n{\n\treturn a[i] < g(i, 2);\n}\n", "swap")
        self.assertEqual(got, ["return g(i, 2) < a[i];"])

    def test_ids_stable_and_unique(self):
        with open(os.path.join(HERE, "selftest", "fixture.c")) as f:
            src = f.read()
        a = mutants.mutants(FIXTURE, src)
        b = mutants.mutants(FIXTURE, "/* moved */\n\n" + src.replace(
            "int fx_sum", "/* x */\nint fx_sum"))
        self.assertEqual([m.id for m in a], [m.id for m in b])
        self.assertEqual(len({m.id for m in a}), len(a))
        # same text on two lines: still two ids
        two = mutants.mutants("t.c", "int f(int a)\n{\n\ta++;\n\ta++;\n\treturn a;\n}\n")
        self.assertEqual(len({m.id for m in two}), len(two))


# ----------------------------------------------------------------- driver

def tree_hash(root):
    h = hashlib.sha1()
    for d, _, names in sorted(os.walk(root)):
        for n in sorted(names):
            p = os.path.join(d, n)
            h.update(p.encode())
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def expected():
    """selftest/expected.txt: what each fixture mutant comes to, by id."""
    want = {}
    with open(os.path.join(HERE, "selftest", "expected.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                w = line.split()
                want[w[0]] = w[1]
    return want


class Fixture:
    """A private checkout holding only the fixture, a work dir and an out dir."""

    def __init__(self, conf_text=None):
        self.tmp = tempfile.mkdtemp(prefix="mutate-selftest.")
        self.root = os.path.join(self.tmp, "root")
        sub = os.path.join(self.root, "tests/mutate/selftest")
        os.makedirs(sub)
        for n in FIXTURE_FILES:
            shutil.copy(os.path.join(HERE, "selftest", n), sub)
        self.conf = os.path.join(self.tmp, "parts.conf")
        if conf_text is None:
            shutil.copy(os.path.join(HERE, "selftest", "selftest.conf"), self.conf)
        else:
            with open(self.conf, "w") as f:
                f.write(conf_text)
        self.work = os.path.join(self.tmp, "work")
        self.out = os.path.join(self.tmp, "out")

    def argv(self, *extra):
        return ["--root", self.root, "--config", self.conf, "--equivalent",
                os.path.join(HERE, "selftest", "equivalent.txt"),
                "--workdir", self.work, "--out", self.out] + list(extra)

    def main(self, *extra):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = mutate.main(self.argv(*extra))
        return rc, buf.getvalue()

    def spawn(self, *extra):
        return subprocess.Popen([sys.executable, os.path.join(HERE, "mutate.py")] +
                                self.argv(*extra), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fx = Fixture()
        cls.before = tree_hash(cls.fx.root)
        cls.rc, cls.stdout = cls.fx.main()
        with open(os.path.join(cls.fx.out, "report.json")) as f:
            cls.report = json.load(f)
        with open(os.path.join(cls.fx.out, "report.txt")) as f:
            cls.text = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.fx.cleanup()

    def test_every_mutant_as_expected(self):
        want = expected()
        got = {}
        for m in self.report["parts"][0]["mutants"]:
            st = m["status"]
            if st == "killed" and m["note"].startswith("timed out"):
                st = "timeout"
            got[m["id"]] = st
        self.assertEqual(self.rc, 0, self.stdout)
        self.assertEqual(got, want)

    def test_score_leaves_out_equivalent_and_uncompiled(self):
        self.assertIn("== part fixture: score 80.0% = killed 20 / (run 28 - equivalent 2 "
                      "- uncompiled 1)", self.text)
        self.assertIn("tests/mutate/selftest/fixture.c       28     20        5      2"
                      "          1        2  80.0%", self.text)

    def test_kill_rate_with_interval(self):
        self.assertIn("non-equivalent kill rate 80.0%, 95% interval 60.9%-91.1% (20 killed, "
                      "5 survived of 25 non-equivalent; every mutant)", self.text)

    def test_report_lists_survivors_and_marks(self):
        self.assertIn("tests/mutate/selftest/fixture.c:24 m1b9b070a5 ret   "
                      "`return 0; for (i = 0; i < n; i++)`", self.text)
        self.assertIn("tests/mutate/selftest/fixture.c:12 m2f3ca41aa equivalent: fixture.c:12 "
                      "v <= lo", self.text)
        self.assertIn("tests/mutate/selftest/fixture.c:44 m5a28af2c1 `while (*flag != 0)`",
                      self.text)

    def test_checkout_untouched_and_copy_restored(self):
        self.assertEqual(tree_hash(self.fx.root), self.before)
        with open(os.path.join(self.fx.root, FIXTURE)) as a, \
                open(os.path.join(self.fx.work, FIXTURE)) as b:
            self.assertEqual(a.read(), b.read())
        self.assertFalse(os.path.exists(os.path.join(self.fx.work, ".mutating")))


class Interval(unittest.TestCase):
    def test_wilson(self):
        lo, hi = mutate.wilson(20, 25)
        self.assertAlmostEqual(lo, 0.6087, places=4)
        self.assertAlmostEqual(hi, 0.9114, places=4)
        self.assertEqual(mutate.wilson(10, 10)[1], 1.0)
        self.assertLess(mutate.wilson(10, 10)[0], 0.75)      # 10 of 10 proves little
        self.assertEqual(mutate.wilson(0, 7)[0], 0.0)
        self.assertIsNone(mutate.wilson(0, 0))
        a, b = mutate.wilson(90, 100), mutate.wilson(900, 1000)
        self.assertLess(b[1] - b[0], a[1] - a[0])             # a larger sample, narrower


COVER_CONF = """
cover   = mkdir -p build/cov && cc -O0 --coverage -o build/cov/fx tests/mutate/selftest/fixture.c tests/mutate/selftest/test_fixture.c && tests/mutate/cover.py --from build/cov --to build --out "$MUTATE_COVER" build/cov/fx
"""


class CoverMap(unittest.TestCase):
    """The coverage map may save work, never change a verdict."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(HERE, "selftest", "selftest.conf")) as f:
            conf = f.read()
        cls.fx = Fixture(conf.rstrip("\n") + COVER_CONF)
        shutil.copy(os.path.join(HERE, "cover.py"), os.path.join(cls.fx.root, "tests/mutate"))
        cls.rc, cls.stdout = cls.fx.main()
        with open(os.path.join(cls.fx.out, "report.json")) as f:
            cls.mutants = {m["id"]: m for m in json.load(f)["parts"][0]["mutants"]}
        with open(os.path.join(cls.fx.out, "report.txt")) as f:
            cls.text = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.fx.cleanup()

    def test_same_verdicts(self):
        self.assertEqual(self.rc, 0, self.stdout)
        want = {i: "killed" if st == "timeout" else st for i, st in expected().items()}
        self.assertEqual({i: m["status"] for i, m in self.mutants.items()}, want)

    def test_unexecuted_line_not_built(self):
        m = self.mutants["mc7ef50dd7"]                      # s -= a[i]: never runs
        self.assertEqual((m["status"], m["note"], m["build_s"]),
                         ("survived", "no test executes the line", 0.0))
        self.assertIn("1 mutants on lines no test executes (coverage map)", self.text)
        self.assertIn("`s -= a[i];`  (no test executes the line)", self.text)
        self.assertEqual(self.mutants["m9eb77ffd5"]["tests"], 1)   # i--: runs, its one test


class CoverOrder(unittest.TestCase):
    def test_scripts_after_programs(self):
        """A mutant's programs run quickest first and the scripts (whose
        time the map does not know: the VM tier's) after them all."""
        c = mutate.Cover({"tests": {"b/slow": 9.0, "b/quick": 0.5, "z.sh": 0.0, "vm.sh": 0.0},
                          "always": ["z.sh", "vm.sh"], "exec": {"f.c": [3]},
                          "lines": {"f.c": {"3": ["b/slow", "b/quick"]}}})

        class M:
            path, line, start, end = "f.c", 3, 0, 1
        self.assertEqual(c.tests_for(M, "x"), ["b/quick", "b/slow", "z.sh", "vm.sh"])


class Finish(unittest.TestCase):
    def test_finish_runs_once_after_the_part(self):
        with open(os.path.join(HERE, "selftest", "selftest.conf")) as f:
            conf = f.read()
        fx = Fixture(conf.rstrip("\n") + "\nfinish  = echo done >>build/finished\n")
        try:
            rc, out = fx.main("--count", "2", "--seed", "3")
            self.assertEqual(rc, 0, out)
            with open(os.path.join(fx.work, "build", "finished")) as f:
                self.assertEqual(f.read(), "done\n")
        finally:
            fx.cleanup()


class Selection(unittest.TestCase):
    def setUp(self):
        self.fx = Fixture()

    def tearDown(self):
        self.fx.cleanup()

    def listing(self, *extra):
        rc, out = self.fx.main("--list", *extra)
        self.assertEqual(rc, 0)
        return [line.split()[0] for line in out.splitlines() if line.startswith("m")]

    def test_sampling_is_deterministic(self):
        a = self.listing("--count", "5", "--seed", "4")
        self.assertEqual(len(a), 5)
        self.assertEqual(a, self.listing("--count", "5", "--seed", "4"))
        self.assertNotEqual(a, self.listing("--count", "5", "--seed", "5"))
        self.assertEqual(len(self.listing()), 28)
        # a larger sample of the same seed contains the smaller one
        self.assertTrue(set(a) <= set(self.listing("--count", "9", "--seed", "4")))

    def test_sample_reported_as_a_sample(self):
        rc, out = self.fx.main("--count", "6", "--seed", "3")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"non-equivalent kill rate [0-9.]+%, 95% interval "
                         r"[0-9.]+%-[0-9.]+% \(\d+ killed, \d+ survived of \d+ "
                         r"non-equivalent; a uniform sample of the part's 28 mutants\)")

    def test_ids_not_called_a_sample(self):
        rc, out = self.fx.main("--ids", "m1b9b070a5,mc813369c5")
        self.assertEqual(rc, 0, out)
        self.assertIn("(1 killed, 1 survived of 2 non-equivalent; the mutants asked for "
                      "(IDS, FILES): not a sample of the part)", out)

    def test_make_sample(self):
        top = os.path.dirname(os.path.dirname(HERE))
        out = subprocess.run(["make", "-n", "-s", "-C", top, "mutate", "SAMPLE=7", "SEED=3"],
                             capture_output=True, text=True).stdout
        self.assertIn("--seed '3'", out)
        self.assertIn("--count '7'", out)

    def test_files_and_ids(self):
        self.assertEqual(len(self.listing("--files", "tests/mutate/*/fix*.c")), 28)
        self.assertEqual(self.listing("--ids", "m1b9b070a5,mc813369c5"),
                         ["m1b9b070a5", "mc813369c5"])
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc, _ = self.fx.main("--list", "--files", "tests/mutate/selftest/fixture.h")
        self.assertEqual(rc, 2)
        self.assertIn("in no selected part", err.getvalue())


SLOW_CONF = """
[slow]
files = tests/mutate/selftest/fixture.c
test  = [ "$MUTATE_BASELINE" = 1 ] && exit 0; echo $$ > %s; exec sleep 60
"""


class Interrupts(unittest.TestCase):
    def setUp(self):
        self.pidfile = tempfile.mktemp(prefix="mutate-selftest-pid.")
        self.fx = Fixture(SLOW_CONF % self.pidfile)
        with open(os.path.join(self.fx.root, FIXTURE)) as f:
            self.orig = f.read()
        self.pid = None

    def tearDown(self):
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.pidfile)
        self.fx.cleanup()

    def start_mutant(self):
        p = self.fx.spawn("--count", "1", "--seed", "2")
        for _ in range(300):
            if os.path.exists(self.pidfile) and os.path.getsize(self.pidfile):
                break
            time.sleep(0.1)
        else:
            p.kill()
            self.fail("the mutant's test never started")
        with open(self.pidfile) as f:
            self.pid = int(f.read())
        with open(os.path.join(self.fx.work, FIXTURE)) as f:
            self.assertNotEqual(f.read(), self.orig)        # a mutant is in place
        return p

    def copy(self):
        with open(os.path.join(self.fx.work, FIXTURE)) as f:
            return f.read()

    def alive(self, pid):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False

    def test_ctrl_c_restores_and_stops_the_tier(self):
        p = self.start_mutant()
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(timeout=30), 130)
        self.assertEqual(self.copy(), self.orig)
        self.assertFalse(self.alive(self.pid))
        with open(os.path.join(self.fx.out, "report.txt")) as f:
            self.assertTrue(f.read().startswith("INTERRUPTED"))

    def test_a_killed_run_is_repaired_by_the_next(self):
        p = self.start_mutant()
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        self.assertNotEqual(self.copy(), self.orig)         # nothing could restore it
        os.kill(self.pid, signal.SIGKILL)                    # the orphaned tier
        rc, out = self.fx.main("--ids", "none")
        self.assertEqual(rc, 0, out)
        self.assertIn("an interrupted run left %s mutated" % FIXTURE, out)
        self.assertEqual(self.copy(), self.orig)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    bad = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    print("mutate: %d passed, %d failed, %d skipped" % (res.testsRun - bad - skipped, bad,
                                                          skipped))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
