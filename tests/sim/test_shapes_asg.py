"""The Auto Scaling cluster shapes as the simulator models them (each from AWS's
documents, named in tests/sim/README.md): lifecycle hooks and their owners,
mixed instances policies, scaling policies with their alarms, scheduled
actions, ECS capacity providers, and the states a rollout must refuse. These
tests show the modelled behaviour itself, not a rollout's reaction to it.
(Every scenario file under scenarios/shapes/ loads and settles in test_scenarios.py.)"""
import unittest

import botocore.exceptions
import testlib

from sim import Simulator
from sim.testing import advance, container_instances, group, scenario, tasks


def events(sim, name, **match):
    return [e for e in sim.ledger()["timeline"] if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


def states(asg, name="prod-asg"):
    return {i["InstanceId"]: i["LifecycleState"] for i in group(asg, name)["Instances"]}


def tasks_on(sim, instance_id):
    """The tasks (any state) of the instance's container instance."""
    ecs = sim.client("ecs")
    arn = next(c["containerInstanceArn"] for c in container_instances(ecs) if c["ec2InstanceId"] == instance_id)
    return [t for t in tasks(ecs) if t.get("containerInstanceArn") == arn and t.get("lastStatus") != "STOPPED"]


class Shape(unittest.TestCase):
    def start(self, sc):
        self.sim = Simulator(scenario=sc, time_scale=0.01).start()
        self.addCleanup(self.sim.stop)
        self.sim.pause()  # AWS time moves only through advance(): exact, and immune to load
        self.asg = self.sim.client("autoscaling", max_attempts=1)
        self.ec2 = self.sim.client("ec2", max_attempts=1)
        self.ecs = self.sim.client("ecs", max_attempts=1)
        return self.sim

    def ec2_state(self, iid):
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]


class LifecycleHooks(Shape):
    def hooks_scenario(self, hooks, instances=2):
        sc = scenario(instances=instances, tasks=0)
        sc["auto_scaling_groups"][0]["lifecycle_hooks"] = hooks
        return sc

    def test_owner_completes_the_termination_hook_after_its_delay(self):
        self.start(self.hooks_scenario([{"name": "log-shipper", "transition": "terminating",
                                         "heartbeat_timeout": 600, "owner": "log-shipper",
                                         "complete_after": 120}]))
        hook = self.asg.describe_lifecycle_hooks(AutoScalingGroupName="prod-asg")["LifecycleHooks"][0]
        self.assertEqual((hook["HeartbeatTimeout"], hook["GlobalTimeout"]), (600, 60000),
                         "global timeout = min(100 x heartbeat, 48 h)")
        a, b = sorted(states(self.asg))
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=a, ShouldDecrementDesiredCapacity=True)
        self.assertEqual(states(self.asg)[a], "Terminating:Wait")
        advance(self.sim, 110)
        self.assertEqual(states(self.asg)[a], "Terminating:Wait")
        self.assertEqual(self.ec2_state(a), "running", "the hook holds the instance, still running")
        advance(self.sim, 15)
        self.assertEqual(states(self.asg)[a], "Terminating:Proceed")
        self.assertEqual(self.ec2_state(a), "shutting-down")
        done = events(self.sim, "lifecycle_hook_done", instance=a)
        self.assertEqual([(d["how"], d["result"], d["waited"]) for d in done],
                         [("CompleteLifecycleAction by log-shipper", "CONTINUE", 120.0)])
        advance(self.sim, 60)
        self.assertEqual(list(states(self.asg)), [b])

    def test_a_health_replacement_held_by_hooks_kills_tasks_as_the_faults_doing(self):
        # Issue 12 (chaos, lifecycle-hooks + unhealthy): a new instance held in
        # Pending:Wait by a launch hook registers with ECS and gets tasks;
        # once InService it fails its health check (the fault), Auto Scaling
        # replaces it (held by the termination hook, no ECS draining): its
        # tasks die, and nobody called a Terminate API for it.
        sc = self.hooks_scenario([{"name": "bootstrap-check", "transition": "launching", "heartbeat_timeout": 300,
                                   "owner": "bootstrap", "complete_after": 40},
                                  {"name": "log-shipper", "transition": "terminating", "heartbeat_timeout": 600,
                                   "owner": "log-shipper", "complete_after": 60}])
        sc["services"][0]["desired"] = 2
        self.start(sc)
        old = set(states(self.asg))
        self.sim.set_faults({"seed": 1, "cluster": {"unhealthy": 1, "unhealthy_after": 0}})
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
        advance(self.sim, 30)
        new = set(states(self.asg)) - old
        self.assertEqual([states(self.asg)[i] for i in new], ["Pending:Wait"])
        self.ecs.update_service(cluster="prod", service="web", desiredCount=3)
        advance(self.sim, 10)
        (victim,) = new
        self.assertEqual(len(tasks_on(self.sim, victim)), 1, "ECS places tasks on a registered instance")
        advance(self.sim, 20)
        self.assertEqual(states(self.asg)[victim], "Terminating:Wait", "replaced after its failed health check")
        advance(self.sim, 120)
        led = self.sim.ledger(timeline=False)
        self.assertEqual(led["abrupt_kills"], [], "the fault's kills are not a rollout's")
        self.assertEqual([k["instance"] for k in led["external_kills"]], [victim])
        self.assertEqual(led["api_calls"].get("autoscaling:TerminateInstanceInAutoScalingGroup", 0), 0)

    def test_owner_that_never_completes_runs_into_the_heartbeat_timeout(self):
        self.start(self.hooks_scenario([{"name": "log-shipper", "transition": "terminating",
                                         "heartbeat_timeout": 300, "default_result": "ABANDON",
                                         "owner": "log-shipper"}]))
        a = sorted(states(self.asg))[0]
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=a, ShouldDecrementDesiredCapacity=True)
        advance(self.sim, 299)
        self.assertEqual(states(self.asg)[a], "Terminating:Wait")
        # A heartbeat restarts the timeout.
        self.asg.record_lifecycle_action_heartbeat(AutoScalingGroupName="prod-asg", LifecycleHookName="log-shipper",
                                                   InstanceId=a)
        advance(self.sim, 299)
        self.assertEqual(states(self.asg)[a], "Terminating:Wait")
        advance(self.sim, 2)
        self.assertNotEqual(states(self.asg).get(a), "Terminating:Wait")
        done = events(self.sim, "lifecycle_hook_done", instance=a)
        self.assertEqual([(d["how"], d["result"], d["waited"]) for d in done], [("heartbeat timeout", "ABANDON", 599.0)])

    def test_heartbeats_end_at_the_global_timeout(self):
        self.start(self.hooks_scenario([{"name": "drain-script", "transition": "terminating",
                                         "heartbeat_timeout": 30, "owner": "drain-script",
                                         "heartbeat_every": 20}]))
        a = sorted(states(self.asg))[0]
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=a, ShouldDecrementDesiredCapacity=True)
        advance(self.sim, 2990)
        self.assertEqual(states(self.asg)[a], "Terminating:Wait", "heartbeats keep the action alive")
        self.assertGreater(len(events(self.sim, "lifecycle_heartbeat", instance=a)), 100)
        advance(self.sim, 20)
        done = events(self.sim, "lifecycle_hook_done", instance=a)
        self.assertEqual([(d["how"], d["waited"]) for d in done], [("global timeout", 3000.0)])

    def test_every_hook_of_a_transition_holds_the_instance(self):
        self.start(self.hooks_scenario([
            {"name": "a-fast", "transition": "launching", "heartbeat_timeout": 300, "owner": "bootstrap",
             "complete_after": 30},
            {"name": "b-slow", "transition": "launching", "heartbeat_timeout": 300, "owner": "registrar",
             "complete_after": 90},
            {"name": "mine", "transition": "terminating", "heartbeat_timeout": 300},
            {"name": "theirs", "transition": "terminating", "heartbeat_timeout": 300, "owner": "log-shipper",
             "complete_after": 60}], instances=1))
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
        advance(self.sim, 20 + 35)  # boot, then the first hook completes
        new = [i for i, s in states(self.asg).items() if s == "Pending:Wait"]
        self.assertEqual(len(new), 1, states(self.asg))
        advance(self.sim, 60)
        self.assertEqual(states(self.asg)[new[0]], "InService", "in service once the last launch hook completes")
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=new[0], ShouldDecrementDesiredCapacity=True)
        advance(self.sim, 100)
        self.assertEqual(states(self.asg)[new[0]], "Terminating:Wait", "'mine' is still pending")
        with self.assertRaises(botocore.exceptions.ClientError):
            self.asg.complete_lifecycle_action(AutoScalingGroupName="prod-asg", LifecycleHookName="theirs",
                                               InstanceId=new[0], LifecycleActionResult="CONTINUE")
        self.asg.complete_lifecycle_action(AutoScalingGroupName="prod-asg", LifecycleHookName="mine",
                                           InstanceId=new[0], LifecycleActionResult="CONTINUE")
        self.assertEqual(states(self.asg)[new[0]], "Terminating:Proceed")

    def test_abandon_on_launch_terminates(self):
        self.start(self.hooks_scenario([{"name": "check", "transition": "launching", "heartbeat_timeout": 300,
                                         "owner": "checker", "complete_after": 10, "result": "ABANDON"}],
                                       instances=0))
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=1)
        advance(self.sim, 25)
        first = list(states(self.asg))
        self.assertEqual(list(states(self.asg).values()), ["Pending:Wait"])
        advance(self.sim, 10)
        self.assertEqual(self.ec2_state(first[0]), "shutting-down")


AMI_ARM = "ami-0c0c0c0c0c0c0c0c0"


def mixed_scenario(desired=6, **mip):
    sc = scenario(instances=desired, tasks=0)
    g = sc["auto_scaling_groups"][0]
    g["mixed_instances"] = dict({
        "overrides": [{"instance_type": "m5.large", "weight": 1},
                      {"instance_type": "c6g.large", "weight": 2, "launch_template": "prod-arm", "ami": AMI_ARM}],
        "on_demand_base_capacity": 1, "on_demand_percentage_above_base_capacity": 0}, **mip)
    return sc


class MixedInstances(Shape):
    def members(self):
        out = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=["prod-asg"])["AutoScalingGroups"][0]
        ids = [i["InstanceId"] for i in out["Instances"]]
        ec2 = {i["InstanceId"]: i for r in self.ec2.describe_instances(InstanceIds=ids)["Reservations"]
               for i in r["Instances"]}
        return out, [dict(i, Market=ec2[i["InstanceId"]].get("InstanceLifecycle", "on-demand"),
                          ImageId=ec2[i["InstanceId"]]["ImageId"]) for i in out["Instances"]]

    def test_overrides_weights_and_markets(self):
        self.start(mixed_scenario())
        out, members = self.members()
        self.assertEqual(out["DesiredCapacity"], 6)
        self.assertIn("MixedInstancesPolicy", out)
        self.assertNotIn("LaunchTemplate", out)
        got = sorted((m["InstanceType"], m["WeightedCapacity"], m["Market"], m["LaunchTemplate"]["LaunchTemplateName"],
                      m["ImageId"]) for m in members)
        # On-Demand base 1, 0 % above it; Spot spread over the overrides, weights
        # counted until the desired 6 units are reached (7: the last launch weighs 2).
        self.assertEqual(got, sorted([
            ("m5.large", "1", "on-demand", "prod-lt", "ami-0a0a0a0a0a0a0a0a0"),
            ("m5.large", "1", "spot", "prod-lt", "ami-0a0a0a0a0a0a0a0a0"),
            ("m5.large", "1", "spot", "prod-lt", "ami-0a0a0a0a0a0a0a0a0"),
            ("c6g.large", "2", "spot", "prod-arm", AMI_ARM),
            ("c6g.large", "2", "spot", "prod-arm", AMI_ARM)]))
        insts = self.asg.describe_auto_scaling_instances()["AutoScalingInstances"]
        self.assertEqual({(i["InstanceType"], i["LaunchTemplate"]["LaunchTemplateName"], i["LaunchTemplate"]["Version"])
                          for i in insts}, {("m5.large", "prod-lt", "1"), ("c6g.large", "prod-arm", "1")})
        # Scale-in counts weights too and never goes below the desired capacity.
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
        advance(self.sim, 60)
        out, members = self.members()
        self.assertIn(sum(int(m["WeightedCapacity"]) for m in members), (4, 5))

    def test_override_templates_report_their_own_version(self):
        self.start(mixed_scenario(desired=2, on_demand_percentage_above_base_capacity=100,
                                  unavailable_instance_types=["m5.large"]))
        _, members = self.members()
        self.assertEqual({(m["InstanceType"], m["Market"]) for m in members}, {("c6g.large", "on-demand")},
                         "prioritized falls back to the next override when a type has no capacity")
        self.ec2.create_launch_template_version(LaunchTemplateName="prod-arm", SourceVersion="1",
                                                LaunchTemplateData={"ImageId": "ami-0d0d0d0d0d0d0d0d0"})
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
        advance(self.sim, 60)
        _, members = self.members()
        self.assertEqual(sorted((m["LaunchTemplate"]["LaunchTemplateName"], m["LaunchTemplate"]["Version"], m["ImageId"])
                                for m in members),
                         [("prod-arm", "1", AMI_ARM), ("prod-arm", "2", "ami-0d0d0d0d0d0d0d0d0")])

    def test_switching_between_a_template_and_a_policy(self):
        # A group launches from one of a launch template or a mixed instances
        # policy (API_CreateAutoScalingGroup.html): updated to a policy it reports
        # the policy alone, updated back to a template the template alone
        # (API_UpdateAutoScalingGroup.html).
        self.start(scenario(instances=1, tasks=0))
        lt = self.members()[0]["LaunchTemplate"]
        self.ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], SourceVersion="1",
                                                LaunchTemplateData={"ImageId": "ami-0d0d0d0d0d0d0d0d0"})
        spec = {"LaunchTemplateId": lt["LaunchTemplateId"], "Version": "2"}
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", MixedInstancesPolicy={
            "LaunchTemplate": {"LaunchTemplateSpecification": spec, "Overrides": [{"InstanceType": "m5.large"}]}})
        out = self.members()[0]
        self.assertNotIn("LaunchTemplate", out)
        self.assertEqual(out["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]["Version"], "2")
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", MaxSize=10)
        self.assertNotIn("LaunchTemplate", self.members()[0], "an update naming no launch source keeps the policy")
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", LaunchTemplate=spec)
        out = self.members()[0]
        self.assertNotIn("MixedInstancesPolicy", out)
        self.assertEqual((out["LaunchTemplate"]["LaunchTemplateId"], out["LaunchTemplate"]["Version"]),
                         (lt["LaunchTemplateId"], "2"))

    def test_sizes_update_keeps_the_policy(self):
        # UpdateAutoScalingGroup with sizes only (what a rollout's end sends):
        # AWS changes the sizes and nothing else (API_UpdateAutoScalingGroup.html).
        self.start(mixed_scenario(desired=3))
        before = self.members()[0]["MixedInstancesPolicy"]
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", MinSize=1, MaxSize=9, DesiredCapacity=5)
        out = self.members()[0]
        self.assertEqual((out["MinSize"], out["MaxSize"], out["DesiredCapacity"]), (1, 9, 5))
        self.assertEqual(out["MixedInstancesPolicy"], before)
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
        self.assertEqual(self.members()[0]["MixedInstancesPolicy"], before)

    def test_a_termination_with_decrement_keeps_the_overage(self):
        # TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity
        # lowers the desired capacity by the instance's weight: the instance
        # leaves without replacement, and no other goes for the overage that was
        # there before (chaos seed 11 rollout 18: a new instance with a task
        # went with the old one, "scale-in: desired capacity 3 < 4 capacity units").
        self.start(mixed_scenario(desired=3))
        _, members = self.members()
        small = [m["InstanceId"] for m in members if m["InstanceType"] == "m5.large"]
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=small[-1], ShouldDecrementDesiredCapacity=True)
        advance(self.sim, 300)
        out, members = self.members()
        self.assertEqual([e["instance"] for e in events(self.sim, "instance_terminating")], [small[-1]])
        self.assertEqual(out["DesiredCapacity"], 2)
        self.assertEqual(sum(int(m["WeightedCapacity"]) for m in members), 3)

    def test_an_overage_is_kept_until_a_new_desired_capacity(self):
        # Desired 3 units: On-Demand m5.large, Spot m5.large, Spot c6g.large (2):
        # 4 units, the last launch overshot. A scale-in event is "a new value for
        # the desired capacity ... lower than the current capacity"
        # (as-instance-termination.html); the replacement of an unhealthy member
        # is a launch, which may overshoot again: no healthy member goes for it.
        self.start(mixed_scenario(desired=3))
        _, members = self.members()
        self.assertEqual(sum(int(m["WeightedCapacity"]) for m in members), 4)
        arm = next(m["InstanceId"] for m in members if m["InstanceType"] == "c6g.large")
        others = {m["InstanceId"] for m in members} - {arm}
        self.asg.set_instance_health(InstanceId=arm, HealthStatus="Unhealthy")
        advance(self.sim, 300)
        out, members = self.members()
        self.assertEqual([e["instance"] for e in events(self.sim, "instance_terminating")], [arm])
        self.assertLessEqual(others, {m["InstanceId"] for m in members})
        self.assertEqual(sum(int(m["WeightedCapacity"]) for m in members), 4)
        self.assertEqual(out["DesiredCapacity"], 3)
        # A new, lower value is a scale-in event: weights counted, never below it.
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
        advance(self.sim, 60)
        _, members = self.members()
        self.assertIn(sum(int(m["WeightedCapacity"]) for m in members), (2, 3))

    def test_az_rebalance_counts_instances_not_weights(self):
        # Zones are balanced by instance count, weights or not ("Auto Scaling
        # group Availability Zone distribution": an equal number of instances
        # per enabled zone); a rebalancing launches in the zone with the fewest
        # instances, then terminates in the one with the most ("Rebalancing
        # activities", as-suspend-resume-processes.html), without draining.
        self.start(mixed_scenario(desired=6))
        self.asg.suspend_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AZRebalance"])
        _, members = self.members()
        by_az = {}
        for m in members:
            by_az.setdefault(m["AvailabilityZone"], []).append(m)
        full = max(by_az, key=lambda z: (len(by_az[z]), z))
        gone = [m["InstanceId"] for z, ms in by_az.items() if z != full for m in ms][:2]
        self.asg.detach_instances(AutoScalingGroupName="prod-asg", InstanceIds=gone,
                                  ShouldDecrementDesiredCapacity=True)
        advance(self.sim, 120)
        out, members = self.members()
        counts = {z: sum(1 for m in members if m["AvailabilityZone"] == z) for z in out["AvailabilityZones"]}
        self.assertGreater(max(counts.values()) - min(counts.values()), 1, counts)
        before = {m["InstanceId"] for m in members}
        self.asg.resume_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AZRebalance"])
        advance(self.sim, 600)
        out, members = self.members()
        counts = {z: sum(1 for m in members if m["AvailabilityZone"] == z) for z in out["AvailabilityZones"]}
        self.assertLessEqual(max(counts.values()) - min(counts.values()), 1, counts)
        self.assertTrue(events(self.sim, "az_rebalance"))
        terminated = [e["instance"] for e in events(self.sim, "instance_terminating")]
        self.assertTrue(terminated, "the rebalancing terminates in the fullest zone")
        self.assertLessEqual(set(terminated), before)
        self.assertGreaterEqual(sum(int(m["WeightedCapacity"]) for m in members), out["DesiredCapacity"])


def alarm(cw, kind):
    found = [a for a in cw.describe_alarms()["MetricAlarms"] if kind in a["AlarmName"]]
    return found[0] if len(found) == 1 else found


class ScalingPolicies(Shape):
    def test_target_tracking_acts_through_its_alarms(self):
        sc = scenario(instances=2, tasks=0)
        sc["auto_scaling_groups"][0].update(cpu_load=60, scaling_policies=[{"name": "cpu50", "target": 50}])
        self.start(sc)
        cw = self.sim.client("cloudwatch", max_attempts=1)
        pol = self.asg.describe_policies(AutoScalingGroupName="prod-asg")["ScalingPolicies"][0]
        self.assertEqual(len(pol["Alarms"]), 2)
        high, low = alarm(cw, "AlarmHigh"), alarm(cw, "AlarmLow")
        self.assertEqual((high["Threshold"], high["EvaluationPeriods"], high["ComparisonOperator"]),
                         (50.0, 3, "GreaterThanThreshold"))
        self.assertEqual((low["Threshold"], low["EvaluationPeriods"], low["ComparisonOperator"]),
                         (45.0, 15, "LessThanThreshold"))
        self.assertEqual(high["AlarmActions"], [pol["PolicyARN"]])
        advance(self.sim, 120)
        self.assertEqual(alarm(cw, "AlarmHigh")["StateValue"], "OK")
        with self.sim.engine.lock:
            self.sim.engine.scaling.set_cpu_load("prod-asg", 300)  # 150 % of 2 instances: capped at 100
        advance(self.sim, 121)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2, "3 datapoints before AlarmHigh")
        advance(self.sim, 60)
        self.assertEqual(alarm(cw, "AlarmHigh")["StateValue"], "ALARM")
        self.assertEqual(group(self.asg)["DesiredCapacity"], 4, "ceil(2 x 100 / 50)")
        advance(self.sim, 120)  # the new instances serve: 300 / 4 = 75, still above 50
        self.assertEqual(group(self.asg)["DesiredCapacity"], 6, "an alarm still in ALARM acts again")
        # AlarmNotification suspended: the alarms go on, no policy runs.
        self.asg.suspend_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AlarmNotification"])
        with self.sim.engine.lock:
            self.sim.engine.scaling.set_cpu_load("prod-asg", 60)  # 10 % of 6
        advance(self.sim, 16 * 60)
        self.assertEqual(alarm(cw, "AlarmLow")["StateValue"], "ALARM")
        self.assertEqual(group(self.asg)["DesiredCapacity"], 6)
        self.assertTrue(events(self.sim, "alarm_action_suspended"))
        self.asg.resume_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AlarmNotification"])
        advance(self.sim, 60)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2, "once resumed, the alarm still in breach acts")
        self.asg.delete_policy(AutoScalingGroupName="prod-asg", PolicyName="cpu50")
        self.assertEqual(cw.describe_alarms()["MetricAlarms"], [], "the policy's alarms go with it")

    def test_scheduled_actions_run_unless_suspended_and_missed_ones_never(self):
        import datetime
        self.start(scenario(instances=2, tasks=0))
        now = datetime.datetime.now(datetime.timezone.utc)
        at = lambda aws: now + datetime.timedelta(seconds=aws * self.sim.time_scale)  # noqa: E731
        self.asg.put_scheduled_update_group_action(AutoScalingGroupName="prod-asg", ScheduledActionName="missed",
                                                   StartTime=at(300), DesiredCapacity=5)
        self.asg.put_scheduled_update_group_action(AutoScalingGroupName="prod-asg", ScheduledActionName="later",
                                                   StartTime=at(900), DesiredCapacity=3, MaxSize=10)
        self.asg.suspend_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["ScheduledActions"])
        advance(self.sim, 400)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2)
        self.asg.resume_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["ScheduledActions"])
        advance(self.sim, 300)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2, "a missed action is not run later")
        names = [a["ScheduledActionName"] for a in
                 self.asg.describe_scheduled_actions(AutoScalingGroupName="prod-asg")["ScheduledUpdateGroupActions"]]
        self.assertEqual(names, ["later"])
        advance(self.sim, 250)
        g = group(self.asg)
        self.assertEqual((g["DesiredCapacity"], g["MaxSize"]), (3, 10))
        self.assertEqual([e["action"] for e in events(self.sim, "scheduled_action_skipped")], ["missed"])
        self.assertEqual([e["action"] for e in events(self.sim, "scheduled_action_run")], ["later"])


def provider_scenario(**cp):
    sc = scenario(instances=3, tasks=6)
    sc["auto_scaling_groups"][0].update(protect_from_scale_in=True,
                                        capacity_provider=dict({"name": "prod-cp"}, **cp))
    return sc


class CapacityProviders(Shape):
    def test_managed_scaling_policy_alarms_and_protection(self):
        self.start(provider_scenario())
        cw = self.sim.client("cloudwatch", max_attempts=1)
        pol = self.asg.describe_policies(AutoScalingGroupName="prod-asg")["ScalingPolicies"]
        self.assertEqual(len(pol), 1)
        self.assertTrue(pol[0]["PolicyName"].startswith("ECSManagedAutoScalingPolicy-"))
        spec = pol[0]["TargetTrackingConfiguration"]["CustomizedMetricSpecification"]
        self.assertEqual((spec["MetricName"], spec["Namespace"]), ("CapacityProviderReservation", "AWS/ECS/ManagedScaling"))
        self.assertEqual({d["Name"]: d["Value"] for d in spec["Dimensions"]},
                         {"CapacityProviderName": "prod-cp", "ClusterName": "prod"})
        self.assertEqual((alarm(cw, "AlarmHigh")["EvaluationPeriods"], alarm(cw, "AlarmLow")["EvaluationPeriods"],
                          alarm(cw, "AlarmLow")["Threshold"]), (1, 15, 90.0))
        hooks = self.asg.describe_lifecycle_hooks(AutoScalingGroupName="prod-asg")["LifecycleHooks"]
        self.assertEqual([h["LifecycleHookName"] for h in hooks], ["ecs-managed-draining-termination-hook"])
        self.assertTrue(all(i["ProtectedFromScaleIn"] for i in group(self.asg)["Instances"]),
                        "instances with tasks are protected")
        # Doubling the group (what a rollout does): the new instances stay empty, so
        # reservation falls to 50 % and, 15 minutes later, managed scaling scales in.
        old = set(states(self.asg))
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=6)
        advance(self.sim, 120)
        new = set(states(self.asg)) - old
        self.assertEqual({i["InstanceId"]: i["ProtectedFromScaleIn"] for i in group(self.asg)["Instances"]
                          if i["InstanceId"] in new}, {i: False for i in new}, "ECS unprotects empty instances")
        advance(self.sim, 12 * 60)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 6, "fewer than 15 datapoints below 90")
        advance(self.sim, 120)
        self.assertEqual([e["state"] for e in events(self.sim, "alarm_state", alarm=alarm(cw, "AlarmLow")["AlarmName"])][:2],
                         ["OK", "ALARM"])
        self.assertEqual(group(self.asg)["DesiredCapacity"], 3, "ceil(6 x 50 / 100)")
        advance(self.sim, 300)
        self.assertEqual(set(states(self.asg)), old, "scale-in took the unprotected instances")
        self.assertEqual(self.sim.ledger()["abrupt_kills"], [])

    def test_a_scale_in_under_protection_takes_daemon_tasks_as_ecs_designs(self):
        # Issue 12, chaos seed 9 rollout 16 (capacity-provider): after the
        # rollout one instance ran only the daemon service's task; managed
        # scaling took it, and the ledger called the daemon task an abrupt
        # kill. ECS ignores daemon tasks when it lets an instance go
        # (managed-termination-protection.html): the kill is ECS's, the
        # ledger's external_kills.
        sc = provider_scenario()
        sc["services"].append({"cluster": "prod", "name": "agent", "cpu": 64, "memory": 128,
                               "scheduling": "DAEMON"})
        self.start(sc)
        old = set(states(self.asg))
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=6)
        advance(self.sim, 120 + 12 * 60 + 120 + 300)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 3, "managed scaling scaled in")
        self.assertEqual(set(states(self.asg)), old, "scale-in took the instances without service tasks")
        led = self.sim.ledger()
        self.assertEqual(led["abrupt_kills"], [])
        self.assertEqual({k["service"] for k in led["external_kills"]}, {"agent"}, led["external_kills"])
        self.assertEqual({k["instance"] for k in led["external_kills"]} & old, set())

    def test_the_audit_leaves_protection_to_ecs_and_catches_setinstanceprotection(self):
        # Issue 12 (chaos, capacity-provider): ECS took protection off an
        # instance that lost its tasks, and the audit called it a change of
        # the group's configuration.
        self.start(provider_scenario())
        ids = sorted(states(self.asg))
        self.assertTrue(all(i["ProtectedFromScaleIn"] for i in group(self.asg)["Instances"]))
        self.ecs.update_service(cluster="prod", service="web", desiredCount=1)
        advance(self.sim, 180)
        protected = {i["InstanceId"]: i["ProtectedFromScaleIn"] for i in group(self.asg)["Instances"]}
        self.assertEqual(sorted(protected.values()), [False, False, True], "ECS unprotects the emptied ones")
        led = self.sim.ledger(timeline=False)
        self.assertEqual(led["group_config_changes"], [], "ECS's own protection changes are not the run's")
        # A SetInstanceProtection call is caught, even when the value is what ECS would set.
        self.asg.set_instance_protection(AutoScalingGroupName="prod-asg", InstanceIds=ids[:1],
                                         ProtectedFromScaleIn=protected[ids[0]])
        led = self.sim.ledger(timeline=False)
        self.assertEqual([c["field"] for c in led["group_config_changes"]], [f"ProtectedFromScaleIn[{ids[0]}]"])
        self.assertFalse(led["ok"])

    def test_managed_draining_completes_the_hook_once_drained(self):
        self.start(provider_scenario(managed_scaling=False))
        victim = sorted(states(self.asg))[0]
        self.assertTrue(group(self.asg)["Instances"][0]["ProtectedFromScaleIn"])
        # Protection does not stop TerminateInstanceInAutoScalingGroup.
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=False)
        self.assertEqual(states(self.asg)[victim], "Terminating:Wait")
        advance(self.sim, 1)
        cis = {c["ec2InstanceId"]: c for c in container_instances(self.ecs)}
        self.assertEqual(cis[victim]["status"], "DRAINING", "ECS drains the instance for its hook")
        self.assertEqual(self.ec2_state(victim), "running")
        advance(self.sim, 120)
        done = events(self.sim, "lifecycle_hook_done", instance=victim)
        self.assertEqual([d["how"] for d in done], ["CompleteLifecycleAction by ECS managed draining"])
        self.assertEqual(self.sim.ledger()["abrupt_kills"], [], "tasks moved before the instance went")
        advance(self.sim, 120)
        self.assertEqual(len(states(self.asg)), 3, "replaced")

    def test_protection_needs_the_group_setting(self):
        self.start(scenario(instances=1, tasks=0))
        arn = group(self.asg)["AutoScalingGroupARN"]
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
                "autoScalingGroupArn": arn, "managedTerminationProtection": "ENABLED"})
        self.assertIn("instance protection from scale in", cm.exception.response["Error"]["Message"])
        cp = self.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": arn})
        self.assertEqual(cp["capacityProvider"]["autoScalingGroupProvider"]["managedDraining"], "ENABLED",
                         "managed draining is on by default")
        self.ecs.put_cluster_capacity_providers(cluster="prod", capacityProviders=["cp"],
                                                defaultCapacityProviderStrategy=[])
        hooks = self.asg.describe_lifecycle_hooks(AutoScalingGroupName="prod-asg")["LifecycleHooks"]
        self.assertEqual([(h["LifecycleHookName"], h["HeartbeatTimeout"], h["DefaultResult"]) for h in hooks],
                         [("ecs-managed-draining-termination-hook", 3600, "CONTINUE")])


class Refusals(Shape):
    """States a rollout must refuse: they are modelled here, the refusal is the helper's."""

    def client_error(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"], cm.exception.response["Error"]["Message"]

    def test_standby_instances(self):
        sc = scenario(instances=3, tasks=3)
        sc["auto_scaling_groups"][0]["standby"] = 1
        self.start(sc)
        g = group(self.asg)
        self.assertEqual(sorted(i["LifecycleState"] for i in g["Instances"]), ["InService", "InService", "Standby"])
        self.assertEqual(g["DesiredCapacity"], 2)
        standby = [i["InstanceId"] for i in g["Instances"] if i["LifecycleState"] == "Standby"][0]
        cis = {c["ec2InstanceId"]: c["status"] for c in container_instances(self.ecs)}
        self.assertEqual(cis[standby], "ACTIVE", "ECS knows nothing of Standby")
        advance(self.sim, 300)
        self.assertEqual(states(self.asg)[standby], "Standby", "nothing replaces or terminates it")

    def test_group_being_deleted(self):
        sc = scenario(instances=2, tasks=0)
        sc["delays"]["terminate"] = 600
        sc["auto_scaling_groups"][0]["delete"] = True
        self.start(sc)
        g = group(self.asg)
        self.assertEqual(g["Status"], "Delete in progress")
        self.assertEqual(set(states(self.asg).values()), {"Terminating"})
        self.assertEqual(self.client_error(self.asg.set_desired_capacity, AutoScalingGroupName="prod-asg",
                                           DesiredCapacity=3),
                         ("ValidationError", "The AutoScaling group may not be modified while it is pending delete"))
        self.assertEqual(self.client_error(self.asg.suspend_processes, AutoScalingGroupName="prod-asg",
                                           ScalingProcesses=["Launch"])[1],
                         "Processes may not be suspended while the AutoScaling group is pending delete")
        advance(self.sim, 601)
        self.assertEqual(self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=["prod-asg"])["AutoScalingGroups"],
                         [], "gone once its instances are")

    def test_instance_refresh_in_progress(self):
        sc = scenario(instances=4, tasks=0)
        sc["auto_scaling_groups"][0]["instance_refresh"] = {"min_healthy_percentage": 50, "instance_warmup": 60}
        self.start(sc)
        old = set(states(self.asg))
        advance(self.sim, 2)  # Pending, then InProgress a second later
        ref = self.asg.describe_instance_refreshes(AutoScalingGroupName="prod-asg")["InstanceRefreshes"]
        self.assertEqual([(r["Status"], r["InstancesToUpdate"], r["Preferences"]["MinHealthyPercentage"])
                          for r in ref], [("InProgress", 4, 50)])
        self.assertEqual(self.client_error(self.asg.start_instance_refresh, AutoScalingGroupName="prod-asg")[0],
                         "InstanceRefreshInProgress")
        terminating = [i for i, st in states(self.asg).items() if st.startswith("Terminating")]
        self.assertEqual(len(terminating), 2, "a round takes floor(4 x (100 - 50) / 100) instances")
        advance(self.sim, 20 + 10 + 60 + 10)  # boot, terminate, warm-up
        ref = self.asg.describe_instance_refreshes(AutoScalingGroupName="prod-asg")["InstanceRefreshes"][0]
        self.assertEqual((ref["Status"], ref["PercentageComplete"]), ("InProgress", 50))
        advance(self.sim, 200)
        ref = self.asg.describe_instance_refreshes(AutoScalingGroupName="prod-asg")["InstanceRefreshes"][0]
        self.assertEqual((ref["Status"], ref["PercentageComplete"]), ("Successful", 100))
        self.assertFalse(old & set(states(self.asg)), "every instance replaced")
        self.assertEqual(len(states(self.asg)), 4)


if __name__ == "__main__":
    testlib.main()
