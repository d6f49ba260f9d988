"""The helper on a terminal (a pseudo-terminal here): the prompt that --yes
skips, the live status line and colors, and plain output when colors are
off or the output is a pipe."""
import os
import pty
import select
import subprocess
import time
import unittest

import testlib
from rollout import (Checks, api_calls, helper_env, new_template_version, scenario, simulator)

ESC = "\x1b["


def run_on_pty(argv, env, answer=None, timeout=120):
    """Runs argv with stdin/stdout/stderr on a pty; types `answer` at the prompt."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    answered = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            out += chunk
            if answer is not None and not answered and b"[y/N]" in out:
                os.write(master, answer.encode() + b"\n")
                answered = True
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, out.decode("utf-8", "replace")


class Terminal(Checks, unittest.TestCase):
    def argv(self, *extra):
        return [testlib.helper_bin(), "--asg-name", "prod-asg", "--cluster-name", "prod",
                "--poll-interval", "0.05", *extra]

    def test_prompt_answered_no_changes_nothing(self):
        with simulator(scenario(instances=2, tasks=4)) as sim:
            new_template_version(sim)
            before = api_calls(sim)
            env = helper_env(sim, {"TERM": "xterm"})
            rc, out = run_on_pty(self.argv(), env, answer="n")
            self.assertEqual(rc, 1, out)
            self.assertIn("Out of date: 2 of 2", out)
            self.assertIn("Roll out now? [y/N]", out)
            self.assertIn("Nothing changed.", out)
            self.assertNoWrites(before, api_calls(sim))

    def test_prompt_answered_yes_rolls_out_with_a_live_status_line(self):
        with simulator(scenario(instances=2, tasks=4)) as sim:
            v = new_template_version(sim)
            env = helper_env(sim, {"TERM": "xterm"})
            env.pop("NO_COLOR", None)
            rc, out = run_on_pty(self.argv(), env, answer="y")
            self.assertEqual(rc, 0, out)
            self.assertIn("\r" + ESC + "K", out, "the status line is redrawn in place")
            self.assertIn("tasks to move", out)
            self.assertIn(ESC + "32m", out, "the final line is green")
            self.assertIn("done: 2 instance(s) replaced", out)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2)

    def test_yes_skips_the_prompt_and_no_color_means_plain_lines(self):
        for how in ("flag", "env"):
            with self.subTest(how=how), simulator(scenario(instances=1, tasks=2)) as sim:
                v = new_template_version(sim)
                env = helper_env(sim, {"TERM": "xterm"})
                argv = self.argv("--yes")
                if how == "flag":
                    argv.append("--no-color")
                else:
                    env["NO_COLOR"] = "1"
                rc, out = run_on_pty(argv, env)
                self.assertEqual(rc, 0, out)
                self.assertNotIn("[y/N]", out)
                self.assertNotIn(ESC, out, "no escape sequence at all")
                self.assertIn("done: 1 instance(s) replaced", out)
                self.assertAllCurrent(sim, v)

    def test_a_pipe_gets_plain_timestamped_lines(self):
        with simulator(scenario(instances=1, tasks=2)) as sim:
            new_template_version(sim)
            p = subprocess.run(self.argv(), env=helper_env(sim, {"TERM": "xterm"}), capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn(ESC, p.stdout)
            self.assertNotIn("[y/N]", p.stdout)
            lines = p.stdout.strip().splitlines()
            self.assertTrue(all(len(l) > 9 and l[2] == ":" and l[5] == ":" for l in lines), lines[:5])


if __name__ == "__main__":
    testlib.main()
