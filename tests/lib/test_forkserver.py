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

    def test_a_failure_to_run_one_is_raised(self):
        def run(prog):
            if prog == 1:
                raise OSError("cannot start it")
            return prog
        with self.assertRaisesRegex(OSError, "cannot start it"):
            load_run().schedule([0, 1, 2], run, 1, 1, lambda r: None, idle=FakeIdle(0.0))


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
