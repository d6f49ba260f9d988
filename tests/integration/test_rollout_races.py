"""Races with Auto Scaling that the chaos rollouts found, made deterministic:
a launch Auto Scaling keeps retrying must not land between the rollout's
last look and its lowering of the desired capacity."""
import threading
import unittest

import testlib
from rollout import (Checks, container_instances, instance_ids, new_template_version, run,
                     scenario, simulator)


def when_called(sim, action, then, timeout=120):
    """Runs then() once the simulator has started delaying a call of `action`
    (a latency fault counts the call before it sleeps)."""
    def watch():
        sim.wait_until(lambda: sim.engine.faults.describe()["injected"].get(action, {}).get("latency"),
                       timeout=timeout, interval=0.005, message=f"a delayed {action}")
        then()
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


class Races(Checks, unittest.TestCase):
    def test_a_pending_launch_cannot_land_while_the_rollback_lowers_the_capacity(self):
        # The account limit lets nothing launch: the rollout times out with the
        # desired capacity doubled and rolls back. Just as it lowers the
        # capacity, the limit is lifted and Auto Scaling's next launch attempt
        # would succeed: a group with more instances than its new desired
        # capacity scales in, and picks the old instances that run the tasks.
        with simulator(scenario(instances=2, tasks=4)) as sim:
            new_template_version(sim)
            old = instance_ids(sim)
            sim.set_faults({"api": [{"action": "autoscaling:UpdateAutoScalingGroup", "latency_ms": 1500,
                                     "times": 1}],
                            "cluster": {"account_limit": 2}})
            lifted = when_called(sim, "autoscaling:UpdateAutoScalingGroup",
                                 lambda: sim.set_faults({"cluster": {"account_limit": None}}))
            r = run(sim, "--instance-timeout", "3")
            lifted.join(timeout=60)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "rolled-back")
            self.assertZeroDowntime(sim)
            holds = [e for e in r.events() if e.get("action") == "hold-launches"]
            self.assertEqual(len(holds), 1, r)
            self.assertIn("desired capacity 4 is above the 2 instance(s)", holds[0]["message"])
            self.assertEqual(sorted(instance_ids(sim)), sorted(old))
            self.assertServing(sim, old)
            self.assertClean(sim, desired=2, max_size=12)
            launches = [e for e in sim.ledger()["timeline"] if e["event"] == "instance_launched"]
            self.assertEqual(launches, [])

    def test_an_instance_drained_twice_is_not_taken_for_empty_the_second_time(self):
        # A resumed rollout finds two new instances DRAINING and empty (a
        # rollback was killed before removing them), returns them to ACTIVE,
        # moves tasks onto them, then fails (a task that never stops) and
        # drains them again. Their tasks then stop without being counted: what
        # the first drain found ("empty") must not let them be terminated.
        # With 0/100 ECS stops a drained instance's tasks before starting their
        # replacements: the counters drop to 0 at once while the tasks take a
        # while to stop, and a little latency lets the helper look just then.
        sc = scenario(instances=2, tasks=4, min_healthy=0, max_percent=100)
        sc["delays"].update(task_deactivate=30, task_stop=60)
        with simulator(sc) as sim:
            new_template_version(sim)
            asg, ecs = sim.client("autoscaling"), sim.client("ecs")
            old = instance_ids(sim)
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
            sim.wait_until(lambda: sum(1 for c in container_instances(ecs) if c["status"] == "ACTIVE") == 4,
                           timeout=60, message="the new instances registered")
            new = [i for i in instance_ids(sim) if i not in old]
            arns = [c["containerInstanceArn"] for c in container_instances(ecs) if c["ec2InstanceId"] in new]
            ecs.update_container_instances_state(cluster="prod", containerInstances=arns, status="DRAINING")
            asg.create_or_update_tags(Tags=[
                {"ResourceId": "prod-asg", "ResourceType": "auto-scaling-group", "Key": k, "Value": val,
                 "PropagateAtLaunch": False}
                for k, val in (("ecs-rollout:original", "min=0,max=12,desired=2"), ("ecs-rollout:suspended", "-"),
                               ("ecs-rollout:started", "1700000000"))])
            sim.set_faults({"api": [{"action": "ecs:DescribeContainerInstances", "latency_ms": 100}],
                            "cluster": {"stuck_tasks": {"service": "web", "count": 1}}})
            r = run(sim, "--drain-timeout", "3")
            self.assertEqual(r.rc, 1, r)
            actions = [e.get("action") for e in r.events() if e["event"] == "action"]
            self.assertEqual(actions[0], "activate", r)
            self.assertIn("drain", actions)
            self.assertZeroDowntime(sim, strict_desired=False)
            self.assertEqual(sorted(instance_ids(sim)), sorted(old))
            self.assertServing(sim, old)
            self.assertClean(sim, desired=2, max_size=12)

    def test_a_rollback_leaves_the_zones_even(self):
        # Three old instances in two of three zones (b: 2, c: 1). Every new
        # instance fails to register, so the rollout rolls back - to zones two
        # apart, which AZRebalance, once resumed, would even out by terminating
        # an instance without draining it. The rollback evens them itself: one
        # more instance lands in zone a, and one of zone b's (old) instances is
        # drained and removed.
        sc = scenario(instances=3, tasks=6)
        sc["auto_scaling_groups"][0].update(availability_zones=["us-east-1b", "us-east-1c"],
                                            suspended_processes=["AZRebalance"])
        with simulator(sc) as sim:
            new_template_version(sim)
            asg = sim.client("autoscaling")
            asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg",
                                          AvailabilityZones=["us-east-1a", "us-east-1b", "us-east-1c"])
            sim.set_faults({"cluster": {"never_register": 3}})
            r = run(sim, "--instance-timeout", "3")
            self.assertEqual(r.rc, 1, r)
            evenings = [e for e in r.events() if e.get("action") == "set-desired-capacity"
                        and "even them out" in e.get("message", "")]
            self.assertEqual(len(evenings), 1, r)
            self.assertZeroDowntime(sim)
            self.assertClean(sim, desired=3, max_size=12, suspended=["AZRebalance"])


if __name__ == "__main__":
    testlib.main()
