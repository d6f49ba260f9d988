"""The chaos driver's own logic (tests/integration/chaos.py), without running
the helper: when a group counts as settled after a rollout (weighted mixed
instances count capacity units, not instances); a drawn shape's own scaling
leaves the drawn sizes alone (its target tracking policy and scheduled
actions), so that "sizes as they were" measures the rollout; a drawn
account limit leaves its room above every group's instances; the figures
of plans run in other processes (--jobs) add up to one table per shape."""
# tier: quick  (make check: a few seconds)
import threading
import unittest

import testlib
import chaos
from sim import load_scenario
from sim.testing import advance

from rollout import simulator


def _group(desired, *members):
    """A DescribeAutoScalingGroups group: members as (state, weight or None)."""
    inst = []
    for n, (state, weight) in enumerate(members):
        i = {"InstanceId": f"i-{n}", "LifecycleState": state}
        if weight is not None:
            i["WeightedCapacity"] = str(weight)
        inst.append(i)
    return {"DesiredCapacity": desired, "Instances": inst}


class GroupSettled(unittest.TestCase):
    def test_unweighted_group_counts_instances(self):
        self.assertTrue(chaos.group_settled(_group(2, ("InService", None), ("InService", None))))
        self.assertFalse(chaos.group_settled(_group(3, ("InService", None), ("InService", None))))
        self.assertFalse(chaos.group_settled(_group(1, ("InService", None), ("InService", None))))
        self.assertFalse(chaos.group_settled(_group(2, ("InService", None), ("Pending", None))))
        self.assertFalse(chaos.group_settled(_group(2, ("InService", None), ("InService", None),
                                                    ("Terminating", None))))
        self.assertTrue(chaos.group_settled(_group(0)))

    def test_weighted_group_counts_capacity_units(self):
        # Desired 3 from an m5.xlarge (2) and an m5.large (1): two instances.
        self.assertTrue(chaos.group_settled(_group(3, ("InService", 2), ("InService", 1))))
        # A launch may overshoot: 4 units for desired 3, nothing can go.
        self.assertTrue(chaos.group_settled(_group(3, ("InService", 2), ("InService", 2))))
        # Short of the desired capacity: a launch is still to come.
        self.assertFalse(chaos.group_settled(_group(3, ("InService", 2))))
        # An overage left by the last launch, less than its weight, stays.
        self.assertTrue(chaos.group_settled(_group(3, ("InService", 1), ("InService", 1), ("InService", 2))))
        # More than any launch leaves: scale-in is still to come.
        self.assertFalse(chaos.group_settled(_group(3, ("InService", 2), ("InService", 2), ("InService", 1))))
        self.assertFalse(chaos.group_settled(_group(3, ("InService", 2), ("Pending", 1))))

    def test_mixed_instances_shape_settles_with_its_weights(self):
        # The shape's own group grown as a rollout grows it: the Spot launches
        # spread over the overrides, weights 1 and 2; the group settles.
        shaped = load_scenario(chaos.SHAPES_DIR / "mixed-instances.toml")
        g = next(g for g in shaped["auto_scaling_groups"] if g["name"] == "prod-asg")
        g["desired"] = 3
        with simulator(shaped, time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=7)
            sim.wait_until(lambda: chaos._settled(sim, "prod-asg"), timeout=60, message="the group settled")
            members = chaos.group(asg, "prod-asg")["Instances"]
            self.assertGreater(max(int(m.get("WeightedCapacity") or 1) for m in members), 1, members)


class _Run:
    def __init__(self, result, message):
        self._done = {"event": "done", "result": result, "message": message}

    def done(self):
        return self._done


class OperatorFixes(unittest.TestCase):
    """The driver does what the helper's message for a drain ECS will not
    finish says (helper src/rollout/held.c), and nothing on other messages."""
    HELD = ("the cluster is serving; the rollback could not finish either: ECS will not finish the drain of "
            "i-1, i-2: service big keeps 1 task(s) there: it runs 4 of desired 4, and with minimumHealthyPercent "
            "100 ECS stops none of them while no other instance has room for a replacement; service api keeps "
            "2 task(s) there: it runs 3 of desired 3, and ... To go on, lower the desired count of service big "
            "to 3, the desired count of service api to 1 (what runs without the draining instances), or lower "
            "minimumHealthyPercent, or give the cluster room for more tasks; then run the same command again")

    def test_the_services_and_counts_named(self):
        self.assertEqual(chaos.operator_fixes(_Run("stuck", self.HELD)), [("big", 3), ("api", 1)])

    def test_nothing_on_other_endings(self):
        self.assertEqual(chaos.operator_fixes(_Run("rolled-back", self.HELD)), [])
        self.assertEqual(chaos.operator_fixes(_Run("stuck", "the cluster is serving; run the same command "
                                                            "again to continue once the cause is fixed.")), [])


class KilledByDriver(unittest.TestCase):
    def test_a_signal_sent_before_the_handler_is_a_kill(self):
        self.assertTrue(chaos.killed_by_driver("SIGKILL", -9))
        self.assertTrue(chaos.killed_by_driver("SIGTERM", -15))   # before the handler was in place
        self.assertFalse(chaos.killed_by_driver("SIGTERM", 4))    # handled: interrupted, resumable
        self.assertFalse(chaos.killed_by_driver("SIGKILL", 0))    # it ended first
        self.assertFalse(chaos.killed_by_driver(None, -15))       # not ours: a failure
        self.assertFalse(chaos.killed_by_driver(None, -11))


class ManagedScalingAfter(unittest.TestCase):
    """Issue 12, chaos seed 9 rollout 16: ECS's managed scaling scaled in an
    instance left without service tasks after the rollout (4 -> 3)."""
    POLICY = "scaling policy ECSManagedAutoScalingPolicy-f818 (alarm TargetTracking-prod-asg-AlarmLow-1a)"

    def led(self, *changes):
        return {"desired_capacity_changes": [dict(group="prod-asg", **c) for c in changes],
                "group_config_changes": [{"group": "prod-asg", "field": "DesiredCapacity", "before": 4,
                                          "after": changes[-1]["to"]}] if changes else []}

    def test_managed_scaling_after_the_end_is_ecss(self):
        led = self.led({"t": 1100.0, "from": 5, "to": 4, "cause": "TerminateInstanceInAutoScalingGroup"},
                       {"t": 1197.2, "from": 4, "to": 3, "cause": self.POLICY})
        self.assertEqual(chaos.managed_scaling_after(led, "prod-asg", 1195.0), 3)
        filtered, managed = chaos.without_managed_desired(led, "prod-asg", 1195.0)
        self.assertEqual((filtered["group_config_changes"], managed), ([], 3))

    def test_anything_else_is_still_the_rollouts(self):
        during = self.led({"t": 1197.2, "from": 4, "to": 3, "cause": self.POLICY})
        self.assertIsNone(chaos.managed_scaling_after(during, "prod-asg", 1200.0), "before the end")
        self.assertIsNone(chaos.managed_scaling_after(during, "prod-asg", None), "no run ended")
        mixed = self.led({"t": 1197.2, "from": 4, "to": 3, "cause": self.POLICY},
                         {"t": 1198.0, "from": 3, "to": 2, "cause": "SetDesiredCapacity"})
        self.assertIsNone(chaos.managed_scaling_after(mixed, "prod-asg", 1195.0))
        other = self.led({"t": 1197.2, "from": 4, "to": 3,
                          "cause": "scaling policy cpu-target (alarm TargetTracking-prod-asg-AlarmLow-9)"})
        filtered, managed = chaos.without_managed_desired(other, "prod-asg", 1195.0)
        self.assertIsNone(managed)
        self.assertEqual(len(filtered["group_config_changes"]), 1)


class MembersServing(unittest.TestCase):
    def test_a_replacement_booted_but_not_yet_registered_is_waited_for(self):
        # Issue 12, chaos seed 9 rollout 31: the rollback resumed Launch and
        # Auto Scaling replaced the instance a Spot interruption took after
        # the helper ended; the check ran between its InService and its
        # registration, 5 AWS s (50 ms) later, and called it not serving.
        sc = chaos.Plan(1, 0).scenario()
        with simulator(sc, time_scale=0.01) as sim:
            sim.pause()
            asg = sim.client("autoscaling")
            g = chaos.group(asg, "prod-asg")
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=g["DesiredCapacity"] + 1)
            advance(sim, 21)   # booted (20 AWS s), its agent not yet registered
            ids = [i["InstanceId"] for i in chaos.group(asg, "prod-asg")["Instances"]]
            cis = {c["ec2InstanceId"] for c in chaos.container_instances(sim.client("ecs"))}
            self.assertEqual(len(set(ids) - cis), 1, "the window the check fell into")
            threading.Timer(0.3, sim.resume).start()
            self.assertEqual(chaos.members_serving(sim, "prod-asg"), {i: "ACTIVE" for i in ids})
            # One that never registers is reported, after the wait.
            chaos.REGISTER_WAIT, saved = 0.5, chaos.REGISTER_WAIT
            try:
                sim.set_faults({"cluster": {"never_register": 1}})
                asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=len(ids) + 1)
                sim.wait_until(lambda: len(chaos.group(asg, "prod-asg")["Instances"]) > len(ids), timeout=30)
                serving = chaos.members_serving(sim, "prod-asg")
                self.assertEqual(sorted(v for v in serving.values() if v != "ACTIVE"), [None], serving)
            finally:
                chaos.REGISTER_WAIT = saved


class StaleVersions(unittest.TestCase):
    def member(self, iid, template, version):
        return {"InstanceId": iid, "LifecycleState": "InService",
                "LaunchTemplate": {"LaunchTemplateId": "lt-" + template, "LaunchTemplateName": template,
                                   "Version": version}}

    def test_override_templates_are_not_the_rolled_one(self):
        # seed 11 rollout 7 (mixed-instances shape, group prod-asg): done, with a
        # c6g.xlarge of the override template prod-lt-arm64 version 1 among the new
        # instances; the driver judged it out of date.
        members = [self.member("i-1", "prod-lt", "2"), self.member("i-2", "prod-lt-arm64", "1"),
                   self.member("i-3", "prod-lt", "2")]
        self.assertEqual(chaos.stale_versions(members, "prod-lt", 2), set())
        members.append(self.member("i-4", "prod-lt", "1"))
        self.assertEqual(chaos.stale_versions(members, "prod-lt", 2), {"1"})


def _plan(shape, instances):
    plan = chaos.Plan(1, 0, chaos.shape_paths(shape))
    plan.instances, plan.tasks = instances, instances * 2
    return plan


class ShapesStayPut(unittest.TestCase):
    def test_scaling_policies_shape_is_steady_at_every_drawn_size(self):
        for n in (2, 3, 4):
            sc = _plan("scaling-policies", n).scenario()
            g = next(g for g in sc["auto_scaling_groups"] if g["name"] == "prod-asg")
            self.assertEqual(g["desired"], n)
            # Target tracking: AlarmHigh above the target, AlarmLow below 90 % of it.
            for pol in g["scaling_policies"]:
                per_instance = g["cpu_load"] / n
                self.assertLessEqual(per_instance, pol["target"], (n, g))
                self.assertGreaterEqual(per_instance, 0.9 * pol["target"], (n, g))
            for a in g["scheduled_actions"]:
                self.assertEqual((a.get("desired", n), a.get("max", g["max"]), a.get("min", g["min"])),
                                 (n, g["max"], g["min"]), (n, a))

    def test_scaling_policies_group_keeps_the_drawn_size_without_a_rollout(self):
        # Long enough for AlarmHigh (3 one-minute datapoints) and past the
        # scheduled action (1800 s): nothing but the rollout may move it.
        with simulator(_plan("scaling-policies", 2).scenario(), time_scale=0.01) as sim:
            sim.pause()
            advance(sim, 2000)
            g = chaos.group(sim.client("autoscaling"), "prod-asg")
            self.assertEqual((g["DesiredCapacity"], g["MaxSize"]), (2, 12))
            led = sim.ledger(timeline=True)
            self.assertEqual([e for e in led["timeline"] if e.get("event") == "desired_capacity"], [])


class AccountLimit(unittest.TestCase):
    def test_the_drawn_room_is_above_every_group_of_the_account(self):
        # seed 3 rollouts 44 and 102 (unhealthy-service-elsewhere): the limit
        # was drawn over prod-asg's 4 (3) instances alone, batch-asg's 2 took
        # the room and the rollout could launch nothing (rolled back).
        for index in (44, 102):
            plan = chaos.Plan(3, index, chaos.shape_paths("all"))
            self.assertEqual(plan.shape, "unhealthy-service-elsewhere")
            drawn = plan.faults["cluster"]["account_limit"]
            self.assertGreaterEqual(drawn, plan.instances)
            sc = plan.scenario()
            running = sum(g["desired"] for g in sc["auto_scaling_groups"])
            self.assertEqual(running, plan.instances + 2)
            self.assertEqual(plan.faults["cluster"]["account_limit"] - running, drawn - plan.instances)

    def test_plain_cluster_limit_is_as_drawn(self):
        for index in range(40):
            plan = chaos.Plan(3, index)
            drawn = plan.faults["cluster"].get("account_limit")
            plan.scenario()
            self.assertEqual(plan.faults["cluster"].get("account_limit"), drawn)


class FiguresPerShape(unittest.TestCase):
    def test_figures_of_separate_processes_add_up(self):
        a, b = chaos.Figures(), chaos.Figures()
        a.runs, b.runs = 3, 4
        a.rollouts, b.rollouts = 1, 1
        a.kills["SIGKILL"], b.kills["SIGKILL"] = 2, 1
        a.failures.append((1, 5, "boom"))
        a.measures["mixed-instances"].update(runs=1, survived=1, done=1, measured=1, replaced_once=1,
                                             audit_identical=1)
        b.measures["mixed-instances"].update(runs=2, survived=1, measured=2, replaced_once=1, audit_identical=2,
                                             abrupt_kills=2, services_short=1)
        b.measures["plain"].update(runs=1, survived=1, **{"rolled-back": 1}, measured=1, replaced_once=1,
                                   audit_identical=1)
        total = chaos.Figures()
        total.merge(a)
        total.merge(b)
        self.assertEqual((total.runs, total.rollouts, total.kills["SIGKILL"], total.failures), (7, 2, 3, [(1, 5, "boom")]))
        rows = {r.split()[0]: r.split()[1:] for r in total.table().splitlines()[1:]}
        self.assertEqual(rows["mixed-instances"], ["3", "2", "1", "0", "2", "1", "2/3", "3/3"])
        self.assertEqual(rows["plain"], ["1", "1", "0", "1", "0", "0", "1/1", "1/1"])
        self.assertEqual(rows["all"], ["4", "3", "1", "1", "2", "1", "3/4", "4/4"])
        self.assertIn("abrupt kills", total.table().splitlines()[0])


if __name__ == "__main__":
    testlib.main()
