"""A rollout is killed, interrupted, or raced by a second one: the state on
the group makes the next run pick up where the last one stopped, and only
one rollout runs at a time."""
import signal
import time
import unittest

import testlib
from rollout import (Checks, container_instances, finish, group, instance_ids, kill_when,
                     new_template_version, run, scenario, simulator, start)


def draining_count(sim):
    return sum(1 for c in container_instances(sim.client("ecs")) if c["status"] == "DRAINING")


def rollout_tags(sim):
    g = group(sim.client("autoscaling"))
    return {t["Key"]: t["Value"] for t in g.get("Tags", []) if t["Key"].startswith("ecs-rollout:")}


class Resume(Checks, unittest.TestCase):
    def test_sigkill_mid_drain_then_run_again(self):
        with simulator(scenario(instances=3, tasks=6), time_scale=0.02) as sim:
            v = new_template_version(sim)
            proc = start(sim)
            killed = kill_when(sim, proc, lambda: draining_count(sim) > 0)
            self.assertEqual(killed.rc, -signal.SIGKILL)
            tags = rollout_tags(sim)
            self.assertIn("ecs-rollout:original", tags)
            self.assertEqual(tags["ecs-rollout:original"], "min=0,max=12,desired=3")
            self.assertIn("ecs-rollout:lease", tags)
            # Same machine, owner gone: the lease is taken over at once.
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            starts = [e for e in r.events() if e["event"] == "start"]
            self.assertIn("resuming", starts[0]["message"])
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=12)

    def test_sigkill_at_many_moments(self):
        """Killed right after each kind of write, the next run still finishes cleanly."""
        for moment in ("suspend-processes", "set-desired-capacity", "drain", "terminate"):
            with self.subTest(moment=moment):
                with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim:
                    v = new_template_version(sim)
                    proc = start(sim)
                    seen = []

                    def reached():
                        calls = sim.ledger(timeline=False)["api_calls"]
                        name = {"suspend-processes": "autoscaling:SuspendProcesses",
                                "set-desired-capacity": "autoscaling:SetDesiredCapacity",
                                "drain": "ecs:UpdateContainerInstancesState",
                                "terminate": "autoscaling:TerminateInstanceInAutoScalingGroup"}[moment]
                        seen.append(calls.get(name, 0))
                        return calls.get(name, 0) > 0

                    kill_when(sim, proc, reached)
                    r = run(sim)
                    self.assertEqual(r.rc, 0, r)
                    self.assertZeroDowntime(sim)
                    self.assertAllCurrent(sim, v)
                    self.assertClean(sim, desired=2, max_size=12)

    def test_sigterm_stops_at_a_safe_point_and_resumes(self):
        with simulator(scenario(instances=3, tasks=6), time_scale=0.02) as sim:
            v = new_template_version(sim)
            proc = start(sim)
            sim.wait_until(lambda: draining_count(sim) > 0, timeout=60, interval=0.01)
            proc.send_signal(signal.SIGTERM)
            r = finish(proc)
            self.assertEqual(r.rc, 4, r)
            self.assertEqual(r.done()["result"], "interrupted")
            tags = rollout_tags(sim)
            self.assertIn("ecs-rollout:original", tags)
            self.assertNotIn("ecs-rollout:lease", tags)  # released: anyone may resume at once
            self.assertZeroDowntime(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=12)

    def test_two_concurrent_runs(self):
        with simulator(scenario(instances=3, tasks=6), time_scale=0.02) as sim:
            v = new_template_version(sim)
            first = start(sim)
            sim.wait_until(lambda: "ecs-rollout:lease" in rollout_tags(sim), timeout=30, interval=0.01)
            second = run(sim)
            self.assertEqual(second.rc, 5, second)
            self.assertEqual(second.done()["result"], "busy")
            self.assertIn("another rollout", second.done()["message"])
            r = finish(first)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=12)

    def test_status_shows_an_interrupted_rollout(self):
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim:
            new_template_version(sim)
            proc = start(sim)
            kill_when(sim, proc, lambda: draining_count(sim) > 0)
            r = run(sim, command="status", json_output=False)
            self.assertEqual(r.rc, 0, r)
            self.assertIn("A rollout is in progress", r.stdout)
            self.assertIn("original desired 2", r.stdout)
            import json
            q = json.dumps({"asg_name": "prod-asg", "cluster_name": "prod"})
            import subprocess
            from rollout import helper_env
            import testlib as tl
            ext = subprocess.run([tl.helper_bin(), "external"], input=q, capture_output=True, text=True,
                                 env=helper_env(sim))
            self.assertEqual(ext.returncode, 0, ext.stderr)
            out = json.loads(ext.stdout)
            self.assertEqual(out["rollout_in_progress"], "true")
            self.assertTrue(all(isinstance(v, str) for v in out.values()))
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertClean(sim, desired=2, max_size=12)

    def test_a_rollout_whose_owner_is_alive_elsewhere_is_not_stolen(self):
        with simulator(scenario(instances=2, tasks=4), time_scale=0.02) as sim:
            new_template_version(sim)
            asg = sim.client("autoscaling")
            lease = f"host=elsewhere/00000000,pid=1,token=feedface,expires={int(time.time()) + 600}"
            asg.create_or_update_tags(Tags=[
                {"ResourceId": "prod-asg", "ResourceType": "auto-scaling-group", "Key": k, "Value": val,
                 "PropagateAtLaunch": False}
                for k, val in (("ecs-rollout:original", "min=0,max=12,desired=2"),
                               ("ecs-rollout:suspended", "-"), ("ecs-rollout:lease", lease))])
            before = instance_ids(sim)
            r = run(sim)
            self.assertEqual(r.rc, 5, r)
            self.assertIn("elsewhere", r.done()["message"])
            self.assertEqual(instance_ids(sim), before)


if __name__ == "__main__":
    testlib.main()
