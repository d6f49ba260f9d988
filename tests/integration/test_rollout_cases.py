"""Rollouts on the simulator: the cases the older script got wrong - other
groups in the cluster, daemon and standalone tasks, strict services - and
the failures that must end with the cluster serving as before."""
import copy
import unittest

import testlib
from rollout import (AMI_NEW, Checks, api_calls, group, instance_ids, new_template_version, run,
                     scenario, simulator)


class Cases(Checks, unittest.TestCase):
    def test_two_groups_in_one_cluster_only_ours_is_touched(self):
        sc = scenario(instances=2, tasks=6)
        other = copy.deepcopy(sc["auto_scaling_groups"][0])
        other.update(name="other-asg", launch_template="other-lt")
        sc["auto_scaling_groups"].append(other)
        with simulator(sc) as sim:
            v = new_template_version(sim)
            new_template_version(sim, template="other-lt")  # out of date too, but not ours
            theirs = instance_ids(sim, "other-asg")
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2)
            self.assertEqual(instance_ids(sim, "other-asg"), theirs)
            self.assertServing(sim, theirs)
            tl = sim.ledger()["timeline"]
            drained = {e["instance"] for e in tl if e["event"] == "container_instance_draining"}
            self.assertTrue(drained.isdisjoint(theirs))

    def test_daemon_service(self):
        sc = scenario(instances=3, tasks=6, task_definitions=[
            {"family": "web", "cpu": 256, "memory": 512}, {"family": "agent", "cpu": 64, "memory": 64}])
        sc["services"].append({"cluster": "prod", "name": "agent", "task_definition": "agent",
                               "scheduling": "DAEMON"})
        with simulator(sc) as sim:
            v = new_template_version(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            led = self.assertZeroDowntime(sim)
            self.assertIn("DAEMON", {s["scheduling_strategy"] for s in led["services"]})
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3)

    def test_min_healthy_100_never_dips(self):
        with simulator(scenario(instances=3, tasks=9, min_healthy=100, max_percent=150)) as sim:
            v = new_template_version(sim)
            r = run(sim, "--batch-size", "1")
            self.assertEqual(r.rc, 0, r)
            led = self.assertZeroDowntime(sim)
            svc = led["services"][0]
            self.assertEqual(svc["min_running"], 9)
            self.assertFalse(svc["went_below_desired"])
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3)

    def test_min_healthy_50_stays_within_its_allowance(self):
        with simulator(scenario(instances=2, tasks=4, min_healthy=50, max_percent=100)) as sim:
            v = new_template_version(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim, strict_desired=False)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2)

    def standalone_scenario(self):
        sc = scenario(instances=2, tasks=4, task_definitions=[
            {"family": "web", "cpu": 256, "memory": 512}, {"family": "batch", "cpu": 128, "memory": 128}])
        sc["tasks"] = [{"cluster": "prod", "task_definition": "batch", "count": 1}]
        return sc

    def test_standalone_task_stop(self):
        with simulator(self.standalone_scenario()) as sim:
            v = new_template_version(sim)
            r = run(sim, "--standalone-tasks", "stop")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.done()["tasks_stopped"], 1)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2)

    def test_standalone_task_wait_times_out_and_rolls_back(self):
        with simulator(self.standalone_scenario()) as sim:
            new_template_version(sim)
            old = instance_ids(sim)
            r = run(sim, "--drain-timeout", "8")
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "rolled-back")
            self.assertIn("standalone", r.done()["message"])
            self.assertZeroDowntime(sim)
            self.assertEqual(sorted(instance_ids(sim)), sorted(old))
            self.assertServing(sim, old)
            self.assertClean(sim, desired=2, max_size=12)

    def test_standalone_task_wait_finishes_when_the_task_ends(self):
        with simulator(self.standalone_scenario()) as sim:
            v = new_template_version(sim)
            from rollout import start, finish
            proc = start(sim)
            ecs = sim.client("ecs")
            # The batch job finishes by itself once its instance is draining.
            sim.wait_until(lambda: any(c["status"] == "DRAINING" for c in
                                       ecs.describe_container_instances(
                                           cluster="prod",
                                           containerInstances=ecs.list_container_instances(cluster="prod")[
                                               "containerInstanceArns"])["containerInstances"]),
                           timeout=60, message="draining started")
            solo = [t for t in ecs.describe_tasks(cluster="prod", tasks=ecs.list_tasks(cluster="prod")["taskArns"])[
                "tasks"] if t["group"].startswith("family:")]
            self.assertEqual(len(solo), 1)
            ecs.stop_task(cluster="prod", task=solo[0]["taskArn"], reason="job done")
            r = finish(proc)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.done()["tasks_stopped"], 0)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2)

    def test_new_instances_that_never_register_roll_back(self):
        with simulator(scenario(instances=2, tasks=4)) as sim:
            new_template_version(sim)
            old = instance_ids(sim)
            sim.set_faults({"cluster": {"never_register": 2}})
            r = run(sim, "--instance-timeout", "5")
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "rolled-back")
            self.assertIn("waiting for new instances", r.done()["message"])
            self.assertZeroDowntime(sim)
            self.assertEqual(sorted(instance_ids(sim)), sorted(old))
            self.assertServing(sim, old)
            self.assertClean(sim, desired=2, max_size=12)

    def test_tasks_that_never_drain_roll_back(self):
        with simulator(scenario(instances=2, tasks=4)) as sim:
            new_template_version(sim)
            old = instance_ids(sim)
            sim.set_faults({"cluster": {"stuck_tasks": {"service": "web", "count": 1}}})
            r = run(sim, "--drain-timeout", "5")
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "rolled-back")
            self.assertZeroDowntime(sim)
            self.assertEqual(sorted(instance_ids(sim)), sorted(old))
            self.assertServing(sim, old)
            self.assertClean(sim, desired=2, max_size=12)

    def test_account_limit_without_room_rolls_back(self):
        with simulator(scenario(instances=3, tasks=6)) as sim:
            new_template_version(sim)
            old = instance_ids(sim)
            sim.set_faults({"cluster": {"account_limit": 3}})
            r = run(sim, "--instance-timeout", "5")
            self.assertEqual(r.rc, 1, r)
            self.assertIn("waiting for new instances", r.done()["message"])
            self.assertZeroDowntime(sim)
            self.assertEqual(sorted(instance_ids(sim)), sorted(old))
            self.assertServing(sim, old)
            self.assertClean(sim, desired=3, max_size=12)

    def test_account_limit_with_some_room_still_finishes(self):
        """Only one extra instance fits: the rollout replaces one at a time."""
        with simulator(scenario(instances=3, tasks=6)) as sim:
            v = new_template_version(sim)
            sim.set_faults({"cluster": {"account_limit": 4}})
            r = run(sim, "--instance-timeout", "60")
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=12)

    def test_throttling_storm_is_ridden_out(self):
        with simulator(scenario(instances=3, tasks=6)) as sim:
            v = new_template_version(sim)
            sim.set_faults({"seed": 5, "api": [{"action": "*", "throttle": 0.35},
                                               {"action": "ecs:*", "error": 0.05, "error_status": 503}]})
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            led = sim.ledger(timeline=False)
            throttled = sum(v.get("throttle", 0) for v in led["faults"]["injected"].values())
            self.assertGreater(throttled, 10)
            self.assertZeroDowntime(sim, led)
            sim.clear_faults()
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3)

    def test_fifty_instances(self):
        with simulator(scenario(instances=50, tasks=100, auto_scaling_groups=[
                {"name": "prod-asg", "cluster": "prod", "ami": "ami-0a0a0a0a0a0a0a0a0", "instance_type": "m5.large",
                 "min": 0, "max": 100, "desired": 50, "launch_template": "prod-lt"}])) as sim:
            v = new_template_version(sim)
            r = run(sim, "--batch-size", "10", poll=0.1)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.done()["replaced"], 50)
            self.assertEqual(r.done()["batches"], 5)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=50, max_size=100)


if __name__ == "__main__":
    testlib.main()
