"""scripts/demo (make demo): Ctrl-C in the middle of the rollout stops
terraform, the helper and the simulator, and leaves no working copy behind.
(Its own program, beside test_demo.py's whole demo: tests/run runs them side
by side.)"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402
from demolib import TIMEOUT, alive, demo_argv, demo_environ  # noqa: E402


class DemoInterrupted(unittest.TestCase):
    def test_ctrl_c_during_the_rollout_stops_everything(self):
        tflib.terraform_bin()
        tflib.plugin_dir()
        tmp = tflib.TempDir("demo-int-")
        self.addCleanup(tmp.cleanup)
        out = tmp.path / "out"
        # Its own process group, as a terminal's foreground job: Ctrl-C signals
        # the whole group (the demo, terraform and the helper).
        proc = subprocess.Popen(demo_argv(out), env=demo_environ(), cwd=tflib.ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines, sim_pid = [], None
        try:
            deadline = time.monotonic() + TIMEOUT
            for line in proc.stdout:
                lines.append(line)
                if sim_pid is None and (out / "simulator.ready").exists():
                    m = re.search(r"^export SIM_PID=(\d+)$", (out / "simulator.ready").read_text(), re.M)
                    sim_pid = int(m.group(1)) if m else None
                if re.search(r"\(local-exec\): \d\d:\d\d:\d\d launching 2 new instance\(s\)", line):
                    os.killpg(proc.pid, signal.SIGINT)
                    break
                if time.monotonic() > deadline:
                    break
            rest, _ = proc.communicate(timeout=TIMEOUT)
            lines.append(rest)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        text = "".join(lines)
        self.assertIsNotNone(sim_pid, text[-4000:])
        self.assertEqual(proc.returncode, 130, text[-4000:])
        self.assertIn("demo: interrupted", text)
        self.assertIn("simulator stopped", text)
        self.assertFalse(alive(sim_pid), f"the simulator (pid {sim_pid}) is still running")
        with self.assertRaises(ProcessLookupError, msg="a process of the demo's group is still running"):
            os.killpg(proc.pid, 0)
        self.assertFalse((out / "work").exists())
        # terraform stopped the rollout (it kills local-exec commands on
        # interrupt; the rollout's state on the group makes it resumable).
        self.assertIn("Interrupt received", text)


if __name__ == "__main__":
    testlib.main()
