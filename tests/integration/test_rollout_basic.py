"""Rollouts on the simulator: the plain cases. Every successful rollout must
kill no task abruptly, keep services at their desired count, end with every
instance current and leave the group as it found it."""
import unittest

import testlib
from rollout import (Checks, api_calls, instance_ids, new_template_version, run, scenario,
                     simulator)


class BasicRollouts(Checks, unittest.TestCase):
    def test_one_instance(self):
        with simulator(scenario(instances=1, tasks=2)) as sim:
            v = new_template_version(sim)
            old = instance_ids(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            done = r.done()
            self.assertEqual(done["result"], "done")
            self.assertEqual(done["replaced"], 1)
            self.assertZeroDowntime(sim)
            g = self.assertAllCurrent(sim, v)
            self.assertTrue(set(old).isdisjoint(i["InstanceId"] for i in g["Instances"]))
            self.assertClean(sim, desired=1, max_size=12)

    def test_three_instances_two_services(self):
        sc = scenario(instances=3, tasks=6, task_definitions=[
            {"family": "web", "cpu": 256, "memory": 512}, {"family": "api", "cpu": 512, "memory": 1024}])
        sc["services"].append({"cluster": "prod", "name": "api", "task_definition": "api", "desired": 4,
                               "minimum_healthy_percent": 50, "maximum_percent": 200})
        with simulator(sc) as sim:
            v = new_template_version(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.done()["replaced"], 3)
            self.assertGreaterEqual(r.done()["tasks_moved"], 10)
            led = self.assertZeroDowntime(sim)
            self.assertEqual({s["service"] for s in led["services"]}, {"web", "api"})
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=12)

    def test_max_size_is_raised_for_the_rollout_and_restored(self):
        sc = scenario(instances=3, tasks=6)
        sc["auto_scaling_groups"][0]["max"] = 3
        with simulator(sc) as sim:
            v = new_template_version(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            raised = [e for e in r.events() if e.get("action") == "raise-max-size"]
            self.assertEqual(len(raised), 1)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, max_size=3)

    def test_keep_max_size_at_max_size_refuses_without_changing_anything(self):
        sc = scenario(instances=3, tasks=6)
        sc["auto_scaling_groups"][0]["max"] = 3
        with simulator(sc) as sim:
            new_template_version(sim)
            before = api_calls(sim)
            r = run(sim, "--keep-max-size")
            self.assertEqual(r.rc, 1, r)
            self.assertIn("--keep-max-size", r.stdout)
            self.assertIn("MaxSize", r.stdout)
            self.assertNoWrites(before, api_calls(sim))
            self.assertClean(sim, desired=3, max_size=3)

    def test_keep_max_size_rolls_in_batches_that_fit(self):
        sc = scenario(instances=4, tasks=8)
        sc["auto_scaling_groups"][0]["max"] = 5
        with simulator(sc) as sim:
            v = new_template_version(sim)
            r = run(sim, "--keep-max-size")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.done()["batches"], 4)
            desired = [c["to"] for c in sim.ledger(timeline=False)["desired_capacity_changes"]
                       if "to" in c]
            self.assertLessEqual(max(desired), 5)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=4, max_size=5)

    def test_batch_size_limits_the_surge(self):
        with simulator(scenario(instances=6, tasks=12)) as sim:
            v = new_template_version(sim)
            r = run(sim, "--batch-size", "2")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.done()["batches"], 3)
            desired = [c["to"] for c in sim.ledger(timeline=False)["desired_capacity_changes"] if "to" in c]
            self.assertEqual(max(desired), 8, "never more than 2 instances above the original 6")
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=6, max_size=12)

    def test_nothing_to_do_exits_zero_without_writing(self):
        with simulator(scenario(instances=3, tasks=6)) as sim:
            before = api_calls(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.done()["result"], "nothing-to-do")
            self.assertNoWrites(before, api_calls(sim))
            self.assertClean(sim, desired=3, max_size=12)

    def test_plan_writes_nothing(self):
        with simulator(scenario(instances=3, tasks=6)) as sim:
            new_template_version(sim)
            before = api_calls(sim)
            r = run(sim, command="plan", json_output=False)
            self.assertEqual(r.rc, 0, r)
            self.assertIn("Out of date: 3 of 3", r.stdout)
            self.assertIn("version 1, the group uses version 2", r.stdout)
            self.assertIn("Plan: 1 batch(es) of up to 3", r.stdout)
            r = run(sim, command="plan")
            self.assertEqual(r.rc, 0, r)
            import json
            plan = json.loads(r.stdout)
            self.assertEqual(plan["outdated"], 3)
            self.assertEqual(plan["problems"], [])
            r = run(sim, command="status")
            self.assertEqual(r.rc, 0, r)
            self.assertNoWrites(before, api_calls(sim))

    def test_ami_flag(self):
        with simulator(scenario(instances=2, tasks=4)) as sim:
            v = new_template_version(sim)
            # A new version that launches the old AMI: --ami says it is still wrong.
            r = run(sim, "--ami", "ami-0c0c0c0c0c0c0c0c0", command="plan", json_output=False)
            self.assertEqual(r.rc, 1, r)
            self.assertIn("--ami ami-0c0c0c0c0c0c0c0c0 was given", r.stdout)
            from rollout import AMI_NEW
            r = run(sim, "--ami", AMI_NEW)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2)


if __name__ == "__main__":
    testlib.main()
