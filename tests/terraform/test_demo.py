"""scripts/demo (make demo): the whole demo runs and its summary reports the
simulator's verdict. (Ctrl-C in the middle of the rollout:
test_demo_interrupted.py.)"""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402
from demolib import TIMEOUT, demo_argv, demo_environ  # noqa: E402


class DemoRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tflib.terraform_bin()
        tflib.plugin_dir()
        cls.tmp = tflib.TempDir("demo-")
        cls.out = cls.tmp.path / "out"
        t0 = time.monotonic()
        cls.proc = subprocess.run(demo_argv(cls.out, "--time-scale", "0.02"), env=demo_environ(), cwd=tflib.ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
        print(f"scripts/demo: exit {cls.proc.returncode} in {time.monotonic() - t0:.0f}s", flush=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def output(self):
        return f"exit {self.proc.returncode}; output (end):\n{self.proc.stdout[-6000:]}"

    def test_exits_zero_after_every_step(self):
        self.assertEqual(self.proc.returncode, 0, self.output())
        for n in range(1, 7):
            self.assertIn(f"==> [{n}/6] ", self.proc.stdout, self.output())
        self.assertIn("zero downtime: every instance replaced, no task killed.", self.proc.stdout)

    def test_the_rollout_shows_inside_the_second_apply(self):
        out = self.proc.stdout
        second = out.find("==> [5/6] ")
        summary = out.find("==> [6/6] ")
        self.assertGreater(second, 0, self.output())
        rollout = out[second:summary]
        self.assertRegex(rollout, r"\(local-exec\): \d\d:\d\d:\d\d launching 2 new instance\(s\)")
        self.assertRegex(rollout, r"\(local-exec\): \d\d:\d\d:\d\d done: 2 instance\(s\) replaced")
        self.assertIn("Apply complete!", rollout)

    def test_summary_tells_what_happened_from_the_helper_and_the_ledger(self):
        out = self.proc.stdout
        self.assertRegex(out, r"instances replaced: 2 \(2 launched, in 1 batch\(es\)\)", self.output())
        self.assertRegex(out, r"tasks moved: +2\b")
        self.assertRegex(out, r"abrupt kills: +0 ")
        self.assertRegex(out, r"time taken: +the rollout \S+, inside an apply of \S+; the whole demo \S+")
        ledger = json.loads((self.out / "ledger.json").read_text())
        self.assertTrue(ledger["zero_downtime"], ledger["problems"])
        self.assertEqual(ledger["abrupt_kills"], [])

    def test_writes_the_html_report_and_says_where(self):
        report = self.out / "rollout-report.html"
        self.assertRegex(self.proc.stdout, rf"HTML report: +{re.escape(str(report))}\n", self.output())
        self.assertTrue(report.read_text().startswith("<!DOCTYPE html>"))

    def test_cleans_up_the_simulator_and_the_working_copy(self):
        self.assertIn("simulator stopped", self.proc.stdout, self.output())
        # The simulator wrote its verdict on its way out, and removed its ready file.
        self.assertRegex((self.out / "simulator.log").read_text(), r"simulator: stopped after \d+ AWS seconds")
        self.assertFalse((self.out / "simulator.ready").exists())
        self.assertFalse((self.out / "work").exists())


if __name__ == "__main__":
    testlib.main()
