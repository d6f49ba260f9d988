"""tests/run's fork server (tests/lib/forkserver.py): a program forked from it
runs as `python3 SCRIPT` would - its argv, sys.path[0], __name__, output,
exit status, atexit handlers and non-daemon threads - and its CPU seconds
come back with its exit; the order of a fresh clone's run comes from the
tracked times; programs are scheduled -j at once, more while half a CPU is idle."""
# tier: quick  (make check: a few seconds)
import json
import os
import pathlib
import sys
import tempfile
import threading
import unittest
from unittest import mock

import testlib

RUN = pathlib.Path(__file__).resolve().parents[1] / "run"

SCRIPT = r'''
import atexit, os, sys, threading, time
print("argv", sys.argv)
print("path0", sys.path[0])
print("name", __name__)
print("moto imported before", "moto" in sys.modules)
sys.stderr.write("on stderr\n")
atexit.register(lambda: print("atexit ran", flush=True))
def late():
    time.sleep(0.2)
    print("thread joined", flush=True)
threading.Thread(target=late).start()
t = time.process_time()
while time.process_time() - t < 0.1:
    pass
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
'''


def load_run():
    return testlib.load_script(RUN, "tests_run")


class ForkServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tr = load_run()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        cls.script = cls.dir / "test_probe.py"
        cls.script.write_text(SCRIPT)
        cls.server = cls.tr.ForkServer(dict(os.environ, EXIT_WITH="3"))

    @classmethod
    def tearDownClass(cls):
        own = cls.server.stop()
        cls.tmp.cleanup()
        # Its own CPU (the imports), without what its children took.
        if not 0.0 < own < 30.0:
            raise AssertionError(f"the fork server's own CPU: {own} s")

    def test_a_program_runs_as_python3_script_would(self):
        name, results, out, wall, cpu = self.tr.run_program(
            "probe", [sys.executable, str(self.script)], "", {}, self.server)
        lines = out.splitlines()
        self.assertIn(f"argv {[str(self.script)]!r}", lines)
        self.assertIn(f"path0 {self.dir}", lines)
        self.assertIn("name __main__", lines)
        self.assertIn("moto imported before True", lines)  # the point: imported once, in the server
        self.assertIn("on stderr", lines)
        # Normal interpreter exit: the thread is joined, then atexit runs.
        self.assertLess(lines.index("thread joined"), lines.index("atexit ran"))
        # Its exit status and CPU seconds, as wait4 gives them.
        self.assertEqual(results, [("FAIL", "probe: exited with status 3")])
        self.assertGreaterEqual(cpu, 0.09)

    def test_programs_side_by_side_each_get_their_own_output(self):
        outs = []
        threads = [threading.Thread(target=lambda: outs.append(self.tr.run_program(
            "probe", [sys.executable, str(self.script)], "", {}, self.server)[2])) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(outs), 3)
        for out in outs:
            self.assertEqual(out.count("atexit ran"), 1, out)

    def test_what_its_children_took_is_counted_as_theirs(self):
        before = self.server.children_cpu
        cpu = self.tr.run_program("probe", [sys.executable, str(self.script)], "", {}, self.server)[4]
        self.assertGreaterEqual(cpu, 0.09)
        self.assertAlmostEqual(self.server.children_cpu - before, cpu, places=6)


class FakeIdle:
    """IdleCpus with a fixed answer and a short window."""

    def __init__(self, cpus, window=0.05):
        self.cpus, self.window = cpus, window

    def idle(self):
        return self.cpus


class Scheduling(unittest.TestCase):
    """tests/run's schedule(): -j at once, more only while half a CPU is idle, never
    more than --max-jobs, in the given order."""

    def run_all(self, n, jobs, max_jobs, idle, seconds=0.3):
        started, ended, at_once, most = [], [], [0], [0]
        lock = threading.Lock()

        def run(prog):
            with lock:
                started.append(prog)
                at_once[0] += 1
                most[0] = max(most[0], at_once[0])
            threading.Event().wait(seconds)
            with lock:
                at_once[0] -= 1
            return prog

        said = load_run().schedule(list(range(n)), run, jobs, max_jobs, ended.append, idle=idle)
        self.assertEqual(said, most[0], "the most at once, as schedule() returns it")
        return started, sorted(ended), most[0]

    def test_no_more_than_j_while_no_cpu_is_idle(self):
        for idle in (FakeIdle(0.4), FakeIdle(None)):
            started, ended, most = self.run_all(6, 2, 6, idle)
            self.assertEqual(started, list(range(6)), "in the given order")
            self.assertEqual(ended, list(range(6)))
            self.assertEqual(most, 2)

    def test_more_while_a_cpu_is_idle_up_to_max_jobs(self):
        started, ended, most = self.run_all(10, 2, 4, FakeIdle(1.5), seconds=0.6)
        self.assertEqual(started, list(range(10)))
        self.assertEqual(ended, list(range(10)))
        self.assertEqual(most, 4)

    def test_a_program_not_ready_waits_and_the_next_ready_one_starts(self):
        built = threading.Event()
        started = []

        def run(prog):
            started.append(prog)
            if prog == 2:  # the last ready one: the build ends
                threading.Event().wait(0.1)
                built.set()
            return prog
        ended = []
        load_run().schedule([0, 1, 2, 3], run, 1, 1, ended.append, idle=FakeIdle(0.0),
                            ready=lambda p: p not in (0, 3) or built.is_set())
        self.assertEqual(started, [1, 2, 0, 3], "the ready ones first, then the rest in order once built")
        self.assertEqual(sorted(ended), [0, 1, 2, 3])

    def test_a_failure_to_run_one_is_raised(self):
        def run(prog):
            if prog == 1:
                raise OSError("cannot start it")
            return prog
        with self.assertRaisesRegex(OSError, "cannot start it"):
            load_run().schedule([0, 1, 2], run, 1, 1, lambda r: None, idle=FakeIdle(0.0))


FAKE_MAKE = r'''
import pathlib, sys, time
target = sys.argv[-1]
print("making", target, flush=True)
time.sleep(float(pathlib.Path(sys.argv[1]).read_text() or 0) if target == "asan-helper" else 0)
sys.exit(2 if target == "broken" else 0)
'''


class BuildSteps(unittest.TestCase):
    """tests/run --build: the builds run while the programs do; the ASan
    ecs-rollout's end is told through a locked file (testlib waits on it), a
    C program is ready once its build ended, and a failed build is a FAIL
    line, its programs FAILs naming it."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = pathlib.Path(tmp.name)
        (self.dir / "make.py").write_text(FAKE_MAKE)
        self.delay = self.dir / "delay"
        self.delay.write_text("0.5")
        self.tr = load_run()
        self.root = self.tr.ROOT

    def steps(self, *steps):
        return self.tr.BuildSteps(dict(os.environ), steps=steps,
                                  make=[sys.executable, str(self.dir / "make.py"), str(self.delay)])

    def c_prog(self, folder):
        return ("test_x", [str(self.root / "helper" / folder / "tests" / "test_x")], "", True)

    def test_the_asan_helper_is_waited_for_then_each_c_program_once_its_build_ended(self):
        b = self.steps(("asan-helper", None), ("normal-tests", "build"), ("broken", "build-asan"))
        self.addCleanup(b.close)
        normal, asan = self.c_prog("build"), self.c_prog("build-asan")
        python = ("tests/x/test_y.py", [sys.executable, "tests/x/test_y.py"], "", False)
        self.assertTrue(b.ready(python))
        self.assertFalse(b.ready(normal))
        self.assertFalse(b.ready(asan))
        b.start()
        # testlib's side: blocked while the first build runs, then "ok".
        with open(b.status_file) as f:
            import fcntl
            with self.assertRaises(BlockingIOError):
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(f, fcntl.LOCK_SH)
            self.assertEqual(f.read(), "ok\n")
        b.thread.join(30)
        self.assertTrue(b.ready(normal))
        self.assertTrue(b.ready(asan))
        self.assertIsNone(b.why_not_built(normal))
        self.assertEqual(b.why_not_built(asan), "`make broken` failed")
        results = b.take_results()
        self.assertEqual([r[0] for r in results], ["make asan-helper", "make normal-tests", "make broken"])
        self.assertEqual([r[1] for r in results], [[], [], [("FAIL", "make broken: exited with status 2")]])
        self.assertIn("making broken", results[2][2])
        self.assertGreater(results[0][3], 0.4)  # its wall time

    def test_a_failed_asan_helper_build_is_told_to_the_waiting_programs(self):
        self.delay.write_text("0")
        b = self.steps(("broken", None))
        b.start()
        b.thread.join(30)
        with mock.patch.dict(os.environ, {"ECS_ROLLOUT_ASAN_BUILD": b.status_file}):
            with self.assertRaises(RuntimeError) as cm:
                testlib.helper_bin()
        self.assertIn("failed: `make broken` failed", str(cm.exception))
        b.close()
        self.assertFalse(os.path.exists(b.status_dir))


class TrackedTimes(unittest.TestCase):
    def test_a_fresh_clone_orders_by_the_tracked_times(self):
        run = load_run()
        tracked = {"tests/a/test_long.py": {"wall": 300.0, "cpu": 10.0}, "test_short": {"wall": 0.1, "cpu": 0.1}}
        self.assertEqual(run.expected_seconds("tests/a/test_long.py", {}, tracked), 300.0)
        self.assertEqual(run.expected_seconds("test_short", {}, tracked), 0.1)
        # This machine's last run first.
        self.assertEqual(run.expected_seconds("test_short", {"test_short": {"wall": 7.0}}, tracked), 7.0)

    def test_the_tracked_file_names_programs_that_exist(self):
        path = RUN.parent / "test-times.json"
        if not path.exists():
            self.skipTest("no tests/test-times.json yet")
        names = {name for name, _, _, _ in load_run().programs()}
        tracked = json.loads(path.read_text())
        for name, t in tracked.items():
            # Rounded to 0.1 s: a C unit test's is often 0.0.
            self.assertIsInstance(t["wall"], (int, float), name)
            self.assertGreaterEqual(t["wall"], 0.0, name)
        # A program added since the last `make test-times` is ordered by a
        # guess: most must be known, or the file is not a full run's.
        known = [n for n in names if n.startswith("tests/") and n in tracked]
        self.assertGreater(len(known), len([n for n in names if n.startswith("tests/")]) // 2, sorted(tracked))


if __name__ == "__main__":
    testlib.main()
