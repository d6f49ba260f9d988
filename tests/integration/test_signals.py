"""Stop requests and broken pipes. SIGTERM, SIGINT and SIGHUP are noticed
even while an HTTP call waits on an answer that stalls in the middle (the
call ends from libcurl's progress callback): the helper exits 4 while the
server is still stalling, and a rollout stopped that way leaves the cluster
serving and resumes. The bound is half the 60-second request timeout, so a
helper that waited for the call to time out fails it; the goal itself is
about a second. A reader that closes the helper's stdout (SIGPIPE) never
kills it: a rollout whose output nobody reads still finishes."""
import signal
import subprocess
import unittest

import testlib
from hostile import HostileServer, helper_env, run_helper, stalling_answer, status_argv
from rollout import (Checks, argv, container_instances, finish, group, helper_env as sim_env,
                     new_template_version, run, scenario, simulator, start)
from stallproxy import StallProxy

# Generous, but less than the 60 s request timeout that would also end the call.
STOP_BOUND = 30


def draining_count(sim):
    return sum(1 for c in container_instances(sim.client("ecs")) if c["status"] == "DRAINING")


def rollout_tags(sim):
    g = group(sim.client("autoscaling"))
    return {t["Key"]: t["Value"] for t in g.get("Tags", []) if t["Key"].startswith("ecs-rollout:")}


class StopDuringAStalledAnswer(unittest.TestCase):
    def stop_status_with(self, sig):
        with HostileServer(stalling_answer) as s:
            def signal_once_stalled(proc):
                if not s.stalled.wait(timeout=120):
                    raise AssertionError("the server never got the request")
                proc.send_signal(sig)
            r = run_helper(status_argv(s.endpoint, testlib.helper_bin()), helper_env(), timeout=STOP_BOUND,
                           on_start=signal_once_stalled)
            still_stalling = not s.release.is_set()
        self.assertTrue(still_stalling)
        self.assertEqual(r.rc, 4, r)
        self.assertRegex(r.stderr, r"DescribeAutoScalingGroups: the request to 127\.0\.0\.1:\d+ was stopped on "
                                   r"request", r)

    def test_sigterm(self):
        self.stop_status_with(signal.SIGTERM)

    def test_sigint(self):
        self.stop_status_with(signal.SIGINT)

    def test_sighup(self):
        self.stop_status_with(signal.SIGHUP)


class StopARollout(Checks, unittest.TestCase):
    def test_sigterm_during_a_stalled_answer_stops_the_rollout_resumably(self):
        with simulator(scenario(instances=3, tasks=6), time_scale=0.02) as sim, StallProxy(sim.endpoint) as proxy:
            v = new_template_version(sim)
            proc = start(sim, env={"AWS_ENDPOINT_URL": proxy.endpoint})
            try:
                sim.wait_until(lambda: draining_count(sim) > 0, timeout=120, interval=0.01)
                proxy.arm()  # the next answer, whichever call it is
                proxy.wait_stalled()
                proc.send_signal(signal.SIGTERM)
                r = finish(proc, timeout=STOP_BOUND)
                self.assertTrue(proxy.still_stalling())
            finally:
                proxy.release()
            self.assertEqual(r.rc, 4, r)
            self.assertEqual(r.done()["result"], "interrupted", r)
            tags = rollout_tags(sim)
            self.assertIn("ecs-rollout:original", tags)
            self.assertNotIn("ecs-rollout:lease", tags)  # released on the way out
            self.assertZeroDowntime(sim)
            again = run(sim)
            self.assertEqual(again.rc, 0, again)
            self.assertIn("resuming", [e for e in again.events() if e["event"] == "start"][0]["message"])
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=12)


class BrokenPipe(Checks, unittest.TestCase):
    def test_a_closed_stdout_does_not_kill_a_rollout(self):
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim:
            v = new_template_version(sim)
            proc = subprocess.Popen(argv(sim), env=sim_env(sim), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            proc.stdout.close()  # nobody reads what it prints
            try:
                _, err = proc.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            self.assertNotEqual(proc.returncode, -signal.SIGPIPE, "killed by SIGPIPE")
            self.assertEqual(proc.returncode, 0, err.decode(errors="replace")[-3000:])
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2, max_size=12)

    def test_a_closed_stdout_does_not_kill_a_short_command(self):
        proc = subprocess.Popen([testlib.helper_bin(), "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()
        _, err = proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, -signal.SIGPIPE, "killed by SIGPIPE")


if __name__ == "__main__":
    testlib.main()
