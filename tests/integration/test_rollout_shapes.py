"""Rollouts on the cluster shapes of issue 12 (tests/sim/scenarios/shapes/),
with the ledger's checks: mixed instances policies whose overrides name their
own launch templates (and weights), transient AWS states, drains that are
someone else's, Spot interruptions, disconnected agents, and answers as other
AWS-compatible endpoints give them."""
import pathlib
import unittest

import testlib
from rollout import Checks, api_calls, group, instance_ids, new_template_version, run, simulator
from sim import load_scenario
from sim.testing import container_instances, tasks

SHAPES = pathlib.Path(__file__).resolve().parents[1] / "sim" / "scenarios" / "shapes"
MIXED = "prod-asg"
AMI_ARM_NEW = "ami-0d0d0d0d0d0d0d0d0"


def shape(name):
    return load_scenario(str(SHAPES / f"{name}.toml"))


def templates(sim):
    return sim.client("ec2").describe_launch_templates()["LaunchTemplates"]


def ci_of(sim, instance_id):
    return next(c for c in container_instances(sim.client("ecs"), "prod") if c["ec2InstanceId"] == instance_id)


def events(sim, kind, **match):
    return [e for e in sim.ledger()["timeline"] if e["event"] == kind
            and all(e.get(k) == v for k, v in match.items())]


def waits(r):
    return [e.get("message", "") for e in r.events() if e.get("event") == "wait"]


class Shapes(Checks, unittest.TestCase):
    def assertOverridesCurrent(self, sim):
        """Every instance runs the latest version of the template of the override
        it was launched from (the policy's own for overrides without one)."""
        asg = sim.client("autoscaling")
        sim.wait_until(lambda: all(i["LifecycleState"] == "InService" for i in group(asg, MIXED)["Instances"]),
                       timeout=60, message="terminations finished")
        g = group(asg, MIXED)
        latest = {t["LaunchTemplateId"]: str(t["LatestVersionNumber"]) for t in templates(sim)}
        by_name = {t["LaunchTemplateName"]: t["LaunchTemplateId"] for t in templates(sim)}
        for i in g["Instances"]:
            lt = i["LaunchTemplate"]
            self.assertEqual(lt["Version"], latest[lt.get("LaunchTemplateId") or by_name[lt["LaunchTemplateName"]]], i)
        return g

    # ---- mixed instances policies (item 2) ----

    def test_mixed_instances_with_an_override_template_are_replaced_once(self):
        with simulator(shape("mixed-instances")) as sim:
            new_template_version(sim, template="prod-lt")
            new_template_version(sim, template="prod-lt-arm64", ami=AMI_ARM_NEW)
            before = instance_ids(sim, MIXED)
            r = run(sim, asg=MIXED)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            g = self.assertOverridesCurrent(sim)
            self.assertTrue(set(before).isdisjoint(i["InstanceId"] for i in g["Instances"]))
            # Each old instance replaced once; none the rollout launched replaced again.
            self.assertEqual(r.done()["replaced"], len(before))
            self.assertLessEqual(r.done()["launched"], 2 * len(before), r)
            self.assertClean(sim, asg_name=MIXED, desired=8)
            self.assertEqual(sum(int(i.get("WeightedCapacity", 1)) for i in g["Instances"]), 8)

    def test_only_the_override_template_changed(self):
        """A new AMI for the Graviton override alone: the x86 instances stay."""
        with simulator(shape("mixed-instances")) as sim:
            new_template_version(sim, template="prod-lt-arm64", ami=AMI_ARM_NEW)
            g = group(sim.client("autoscaling"), MIXED)
            arm = [i["InstanceId"] for i in g["Instances"] if i["InstanceType"] == "c6g.xlarge"]
            x86 = [i["InstanceId"] for i in g["Instances"] if i["InstanceType"] != "c6g.xlarge"]
            self.assertTrue(arm and x86, g["Instances"])
            r = run(sim, asg=MIXED)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            self.assertEqual(r.done()["replaced"], len(arm))
            now = set(instance_ids(sim, MIXED))
            self.assertTrue(set(x86) <= now)
            self.assertTrue(now.isdisjoint(arm))
            self.assertOverridesCurrent(sim)
            self.assertClean(sim, asg_name=MIXED, desired=8)

    def test_a_launch_specification_that_cannot_be_resolved_changes_nothing(self):
        with simulator(shape("mixed-instances")) as sim:
            new_template_version(sim, template="prod-lt")
            sim.client("ec2").delete_launch_template(LaunchTemplateName="prod-lt-arm64")
            calls = api_calls(sim)
            r = run(sim, asg=MIXED)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "refused")
            self.assertIn("cannot be resolved unambiguously", r.done()["message"])
            self.assertIn("prod-lt-arm64", r.done()["message"])
            self.assertNoWrites(calls, api_calls(sim))

    def test_a_rollback_sheds_the_overage_auto_scaling_had_left(self):
        """Desired 4 met by 1 + 1 + 1 + 2 units: Auto Scaling launches until the
        desired capacity is met "even if this results in an overage" (instance
        weighting). The rollout drains a 1-unit instance at once (the overage
        leaves room), slowly, then the others once the new instances are
        ready; a task on the 2-unit one never stops, and the rollout fails on
        that drain with the 1-unit ones empty. Its rollback, having removed
        what it launched with decrement, would be at desired 5 with the 5 old
        units; lowering the desired capacity by an update would terminate an
        instance undrained (a scale-in event): it removes one of the empty
        1-unit instances with decrement instead of returning it to service.
        Chaos seed 2 rollout 183: "1 capacity unit(s) above the original 4",
        stuck on every re-run."""
        sc = shape("mixed-instances")
        g = next(g for g in sc["auto_scaling_groups"] if g["name"] == MIXED)
        # Two zones, 1 + 1 units in one and 1 + 2 in the other: the group the
        # rollback ends with is even whichever 1-unit instance goes.
        g.update(desired=4, availability_zones=["us-east-1a", "us-east-1b"])
        # Tasks take 90 AWS seconds to stop: the first drain is not over when
        # the new instances are ready (boot 20 s, agent 5 s).
        sc["delays"].update(task_deactivate=30, task_stop=60)
        with simulator(sc) as sim:
            ecs = sim.client("ecs")
            members = group(sim.client("autoscaling"), MIXED)["Instances"]
            old = {i["InstanceId"] for i in members}
            self.assertEqual(sorted(int(i["WeightedCapacity"]) for i in members), [1, 1, 1, 2])
            big = next(i["InstanceId"] for i in members if i["WeightedCapacity"] == "2")
            arn = ci_of(sim, big)["containerInstanceArn"]
            held = [t["taskArn"] for t in tasks(ecs, "prod")
                    if t.get("containerInstanceArn") == arn and t["lastStatus"] == "RUNNING"][:1]
            self.assertEqual(len(held), 1)
            sim.set_faults({"cluster": {"stuck_tasks": {"tasks": held}}})
            new_template_version(sim, template="prod-lt")
            r = run(sim, "--drain-timeout", "8", asg=MIXED)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "rolled-back", r)
            # One old instance, emptied by the rollout, is removed by the rollback.
            shed = [i for e in r.events() if e.get("phase") == "rollback" and e.get("action") == "terminate"
                    for i in e["ids"] if i in old]
            self.assertEqual(len(shed), 1, r)
            self.assertNotEqual(shed, [big])
            self.assertZeroDowntime(sim)
            self.assertClean(sim, asg_name=MIXED, desired=4, max_size=16)
            # The old instances less the one shed: 4 units, zones even (AZRebalance,
            # resumed, launches nothing).
            asg = sim.client("autoscaling")
            sim.wait_until(lambda: all(i["LifecycleState"] == "InService" for i in group(asg, MIXED)["Instances"]),
                           timeout=60, message="terminations finished")
            sim.sleep(120)
            g = group(asg, MIXED)
            self.assertEqual({i["InstanceId"] for i in g["Instances"]}, old - set(shed))
            self.assertEqual(sum(int(i["WeightedCapacity"]) for i in g["Instances"]), 4)
            self.assertEqual({ci_of(sim, i["InstanceId"])["status"] for i in g["Instances"]}, {"ACTIVE"})
            self.assertEqual(events(sim, "az_rebalance"), [])
            self.assertZeroDowntime(sim)

    # ---- lifecycle hooks owned by others (item 3) ----

    def test_terminations_held_by_lifecycle_hooks_never_fail_the_rollout(self):
        """A log shipper that holds terminating instances for 120 s and a hook
        nobody completes (its heartbeat timeout): the drained instances sit in
        Terminating:Wait longer than --instance-timeout; the rollout still
        finishes, and never completes a lifecycle action itself."""
        # 300 AWS seconds of hold are 15 s here, longer than --instance-timeout 8;
        # new instances need about 50 AWS seconds (2.5 s).
        with simulator(shape("lifecycle-hooks"), time_scale=0.05) as sim:
            v = new_template_version(sim)
            calls = api_calls(sim)
            r = run(sim, "--instance-timeout", "8")
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            after = api_calls(sim)
            for action in ("autoscaling:CompleteLifecycleAction",
                           "autoscaling:RecordLifecycleActionHeartbeat"):
                self.assertEqual(after.get(action, 0), calls.get(action, 0), action)
            sim.clear_faults()
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=4)

    def test_launches_held_by_a_lifecycle_hook_wait_for_its_heartbeat_timeout(self):
        """A bootstrap check that holds new instances in Pending:Wait for 300 AWS
        seconds (15 s here), longer than --instance-timeout 8: the wait for the new
        instances lasts as long as the hook may hold them (its heartbeat timeout,
        read with DescribeLifecycleHooks), and progress names the hook."""
        sc = shape("lifecycle-hooks")
        for hook in sc["auto_scaling_groups"][0]["lifecycle_hooks"]:
            if hook["name"] == "bootstrap-check":
                hook["complete_after"] = 300
        with simulator(sc, time_scale=0.05) as sim:
            v = new_template_version(sim)
            calls = api_calls(sim)
            r = run(sim, "--instance-timeout", "8")
            self.assertEqual(r.rc, 0, r)
            self.assertIn("held by lifecycle hook bootstrap-check", r.stdout + r.stderr)
            self.assertZeroDowntime(sim)
            after = api_calls(sim)
            self.assertEqual(after.get("autoscaling:CompleteLifecycleAction", 0),
                             calls.get("autoscaling:CompleteLifecycleAction", 0))
            sim.clear_faults()
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=4)

    # ---- transient states (item 5) and other endpoints' answers (item 9) ----

    def test_auto_scaling_busy_is_looked_at_again_never_rolled_back(self):
        with simulator(shape("transient-asg")) as sim:
            v = new_template_version(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertNotIn("rolling back", r.stdout)
            led = sim.ledger(timeline=False)
            injected = led["faults"]["injected"]
            self.assertTrue(any(k.startswith("autoscaling:") for k in injected), injected)
            self.assertIn("looking again", r.stdout)
            self.assertZeroDowntime(sim, led)
            sim.clear_faults()
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3)

    def test_ecs_failures_entries_and_late_listings(self):
        with simulator(shape("transient-ecs")) as sim:
            v = new_template_version(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertNotIn("rolling back", r.stdout)
            self.assertZeroDowntime(sim)
            sim.clear_faults()
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3)

    def test_answers_as_moto_gives_them(self):
        """List filters not applied (another group's instances too), duplicates,
        optional fields left out: only our group is touched."""
        with simulator(shape("moto-fidelity")) as sim:
            v = new_template_version(sim)
            groups = [g["AutoScalingGroupName"] for g in
                      sim.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]]
            theirs = {n: instance_ids(sim, n) for n in groups if n != "prod-asg"}
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3)
            for n, ids in theirs.items():
                self.assertEqual(instance_ids(sim, n), ids)

    # ---- other people's drains (item 6) ----

    def test_an_operators_empty_drain_is_replaced_never_reactivated(self):
        with simulator(shape("draining-at-start")) as sim:
            v = new_template_version(sim)
            theirs = [c["ec2InstanceId"] for c in container_instances(sim.client("ecs"), "prod")
                      if c["status"] == "DRAINING"]
            self.assertEqual(len(theirs), 1)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            self.assertIn("already DRAINING", r.stdout)
            self.assertZeroDowntime(sim)
            self.assertEqual(events(sim, "container_instance_active", instance=theirs[0]), [])
            self.assertNotIn(theirs[0], instance_ids(sim))
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3)

    def test_someone_elses_drain_that_holds_tasks_is_left_alone(self):
        """An operator drained an old instance whose task never stops: not the
        rollout's to wait for or replace; it replaces the rest and says so."""
        with simulator(shape("draining-at-start")) as sim:
            ecs = sim.client("ecs")
            victim = [c["ec2InstanceId"] for c in container_instances(ecs, "prod")
                      if c["status"] == "ACTIVE" and c["runningTasksCount"] > 0][0]
            ci = ci_of(sim, victim)
            self.assertEqual(ci["status"], "ACTIVE")
            held = [t["taskArn"] for t in tasks(ecs, "prod")
                    if t.get("containerInstanceArn") == ci["containerInstanceArn"] and t["lastStatus"] == "RUNNING"]
            self.assertTrue(held)
            sim.set_faults({"cluster": {"stuck_tasks": {"tasks": held[:1]}}})
            ecs.update_container_instances_state(cluster="prod", containerInstances=[ci["containerInstanceArn"]],
                                                 status="DRAINING")
            v = new_template_version(sim)
            r = run(sim, "--drain-timeout", "20")
            self.assertEqual(r.rc, 4, r)
            self.assertEqual(r.done()["result"], "incomplete")
            self.assertIn(victim, r.done()["message"])
            self.assertIn("someone else", r.done()["message"])
            self.assertZeroDowntime(sim)
            self.assertEqual(ci_of(sim, victim)["status"], "DRAINING")
            self.assertEqual(events(sim, "container_instance_active", instance=victim), [])
            g = group(sim.client("autoscaling"), "prod-asg")
            self.assertEqual(g["DesiredCapacity"], 3)
            self.assertEqual([t["Key"] for t in g.get("Tags", []) if t["Key"].startswith("ecs-rollout:")], [])
            others = [i for i in g["Instances"] if i["InstanceId"] != victim]
            self.assertEqual({i["LaunchTemplate"]["Version"] for i in others}, {str(v)})

    def test_a_rollback_does_not_reactivate_someone_elses_drain(self):
        """Someone else's drain holds a task; one of the rollout's own drains never
        finishes: the rollback returns its own instances to service, not theirs."""
        with simulator(shape("draining-at-start")) as sim:
            ecs = sim.client("ecs")
            busy = [c["ec2InstanceId"] for c in container_instances(ecs, "prod")
                     if c["status"] == "ACTIVE" and c["runningTasksCount"] > 0]
            self.assertGreaterEqual(len(busy), 2)
            victim, other = busy[0], busy[1]
            held = []
            for i in (victim, other):
                arn = ci_of(sim, i)["containerInstanceArn"]
                held += [t["taskArn"] for t in tasks(ecs, "prod")
                         if t.get("containerInstanceArn") == arn and t["lastStatus"] == "RUNNING"][:1]
            self.assertEqual(len(held), 2)
            sim.set_faults({"cluster": {"stuck_tasks": {"tasks": held}}})
            ecs.update_container_instances_state(cluster="prod",
                                                 containerInstances=[ci_of(sim, victim)["containerInstanceArn"]],
                                                 status="DRAINING")
            new_template_version(sim)
            r = run(sim, "--drain-timeout", "8")
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "rolled-back")
            self.assertZeroDowntime(sim)
            self.assertEqual(events(sim, "container_instance_active", instance=victim), [])
            self.assertEqual(ci_of(sim, victim)["status"], "DRAINING")
            self.assertEqual(ci_of(sim, other)["status"], "ACTIVE")

    def test_a_spot_interruption_during_the_rollout_is_survived(self):
        with simulator(shape("spot-interruption")) as sim:
            v = new_template_version(sim)
            r = run(sim)
            self.assertEqual(r.rc, 0, r)
            led = self.assertZeroDowntime(sim)
            self.assertTrue(events(sim, "spot_interruption_notice"), "the interruption happened")
            sim.clear_faults()
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=3, led=led)

    def test_a_disconnected_agent_is_neither_drained_blind_nor_waited_for_forever(self):
        """Its tasks keep running but it cannot drain (ECS stops tasks through the
        agent): the rollout replaces the others, leaves it serving and says so."""
        with simulator(shape("disconnected-agent")) as sim:
            v = new_template_version(sim)
            lost = [c["ec2InstanceId"] for c in container_instances(sim.client("ecs"), "prod")
                    if not c["agentConnected"]]
            self.assertEqual(len(lost), 1)
            r = run(sim, "--drain-timeout", "10")
            self.assertEqual(r.rc, 4, r)
            self.assertEqual(r.done()["result"], "incomplete")
            self.assertIn(lost[0], r.done()["message"])
            self.assertIn("agent disconnected", r.done()["message"])
            self.assertZeroDowntime(sim)
            self.assertIn(lost[0], instance_ids(sim))
            self.assertEqual(ci_of(sim, lost[0])["status"], "ACTIVE")
            self.assertEqual(events(sim, "container_instance_draining", instance=lost[0]), [])
            g = group(sim.client("autoscaling"), "prod-asg")
            self.assertEqual(g["DesiredCapacity"], 3)
            others = [i for i in g["Instances"] if i["InstanceId"] != lost[0]]
            self.assertEqual({i["LaunchTemplate"]["Version"] for i in others}, {str(v)})


if __name__ == "__main__":
    testlib.main()
