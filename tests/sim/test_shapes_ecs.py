"""The ECS side of the cluster shapes (issue 12): API fidelity, transient AWS
states, disruptions, services. Each test shows the modelled behaviour on the
simulator itself, through the AWS APIs."""
import unittest

import botocore.exceptions
import testlib

from sim import Simulator
from sim.testing import FAST_DELAYS, container_instances, group, scenario, tasks


def two_groups(**extra):
    """Cluster prod with two groups: prod-asg (2 instances) and batch-asg (1)."""
    sc = scenario(instances=2, tasks=2)
    sc["auto_scaling_groups"].append({"name": "batch-asg", "cluster": "prod", "ami": "ami-0c0c0c0c0c0c0c0c0",
                                      "instance_type": "c5.large", "min": 0, "max": 4, "desired": 1,
                                      "launch_template": "batch-lt"})
    sc.update(extra)
    return sc


def ids_of(sim, name):
    return sorted(i["InstanceId"] for i in group(sim.client("autoscaling"), name)["Instances"])


class ApiFidelity(unittest.TestCase):
    def test_aws_applies_list_filters(self):
        with Simulator(scenario=two_groups(), time_scale=0.01, api_fidelity="aws") as sim:
            ecs = sim.client("ecs")
            one = ids_of(sim, "prod-asg")[0]
            arns = ecs.list_container_instances(cluster="prod", filter=f"ec2InstanceId in [{one}]")
            self.assertEqual(len(arns["containerInstanceArns"]), 1)
            self.assertEqual(ecs.list_container_instances(cluster="prod", status="DRAINING")
                             ["containerInstanceArns"], [])
            self.assertEqual(len(ecs.list_container_instances(cluster="prod", maxResults=1)
                                 ["containerInstanceArns"]), 1)
            ci = ecs.describe_container_instances(cluster="prod", containerInstances=arns["containerInstanceArns"])
            self.assertIn("registeredAt", ci["containerInstances"][0])

    def test_moto_ignores_list_filters_and_omits_optional_fields(self):
        with Simulator(scenario=two_groups(api_fidelity="moto"), time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            one = ids_of(sim, "prod-asg")[0]
            out = ecs.list_container_instances(cluster="prod", filter=f"ec2InstanceId in [{one}]", maxResults=1)
            arns = out["containerInstanceArns"]
            self.assertEqual(len(arns), 3, "the filter, and paging, are ignored: every group's instance")
            self.assertNotIn("nextToken", out)
            self.assertEqual(len(ecs.list_container_instances(cluster="prod", status="DRAINING")
                                 ["containerInstanceArns"]), 3)
            got = ecs.describe_container_instances(cluster="prod", containerInstances=[arns[0], arns[0]])
            self.assertEqual([c["containerInstanceArn"] for c in got["containerInstances"]], [arns[0]] * 2)
            for field in ("registeredAt", "versionInfo", "agentUpdateStatus"):
                self.assertNotIn(field, got["containerInstances"][0])
            self.assertIn("ec2InstanceId", got["containerInstances"][0])
            # ListTasks ignores serviceName: the standalone task comes back too.
            ecs.run_task(cluster="prod", taskDefinition="web", launchType="EC2")
            listed = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
            self.assertEqual(len(listed), 3)
            described = ecs.describe_tasks(cluster="prod", tasks=listed)["tasks"]
            self.assertNotIn("availabilityZone", described[0])
            self.assertIn("lastStatus", described[0])

    def test_fidelity_from_the_environment(self):
        import os
        os.environ["SIM_API_FIDELITY"] = "moto"
        try:
            self.assertEqual(Simulator(scenario=scenario()).engine.api_fidelity, "moto")
            self.assertEqual(Simulator(scenario=scenario(api_fidelity="aws")).engine.api_fidelity, "aws")
            os.environ["SIM_API_FIDELITY"] = "localstack"
            with self.assertRaisesRegex(ValueError, "SIM_API_FIDELITY must be one of"):
                Simulator(scenario=scenario())
        finally:
            del os.environ["SIM_API_FIDELITY"]


class TransientStates(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(scenario=scenario(instances=2, tasks=2), time_scale=0.01, api_fidelity="aws").start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.sim.clear_faults()

    def test_scaling_activity_in_progress_and_resource_contention(self):
        asg = self.sim.client("autoscaling", max_attempts=0)  # botocore: retries after the first
        for key, status, code in (("scaling_activity_in_progress", 400, "ScalingActivityInProgress"),
                                  ("resource_contention", 500, "ResourceContention")):
            self.sim.set_faults({"api": [{"action": "autoscaling:SetDesiredCapacity", key: 1.0, "times": 1}]},
                                replace=True)
            with self.assertRaises(botocore.exceptions.ClientError, msg=key) as cm:
                asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
            err = cm.exception.response
            self.assertEqual((err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]), (status, code))
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)  # times=1: once
        # A rule matching ECS with these keys answers ECS's generic 5xx.
        self.sim.set_faults({"api": [{"action": "ecs:ListClusters", "resource_contention": 1.0, "times": 1}]},
                            replace=True)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sim.client("ecs", max_attempts=0).list_clusters()
        self.assertEqual(cm.exception.response["Error"]["Code"], "ServerException")

    def test_describe_missing(self):
        ecs = self.sim.client("ecs")
        arns = ecs.list_container_instances(cluster="prod")["containerInstanceArns"]
        self.sim.set_faults({"cluster": {"describe_missing": {"count": 1}}})
        out = ecs.describe_container_instances(cluster="prod", containerInstances=arns)
        self.assertEqual(len(out["containerInstances"]), len(arns) - 1)
        self.assertEqual(out["failures"], [{"arn": arns[0], "reason": "MISSING"}])
        out = ecs.describe_container_instances(cluster="prod", containerInstances=arns)
        self.assertEqual((len(out["containerInstances"]), out["failures"]), (len(arns), []))
        task_arns = ecs.list_tasks(cluster="prod")["taskArns"]
        self.sim.set_faults({"cluster": {"describe_missing": 1.0}})
        out = ecs.describe_tasks(cluster="prod", tasks=task_arns)
        self.assertEqual((out["tasks"], [f["reason"] for f in out["failures"]]), ([], ["MISSING"] * len(task_arns)))

    def test_an_instance_leaves_the_group(self):
        sim = self.sim
        asg = sim.client("autoscaling")
        for how in ("detach", "terminate"):
            seen = len(sim.ledger()["timeline"])
            before = ids_of(sim, "prod-asg")
            sim.set_faults({"cluster": {"leave_group": {"count": 1, "group": "prod-asg", "how": how}}})
            left = sim.wait_until(lambda: [e for e in sim.ledger()["timeline"][seen:] if e["event"] == "left_group"],
                                  timeout=10)[0]["instance"]
            self.assertIn(left, before)
            states = {i["InstanceId"]: i["LifecycleState"] for i in group(asg)["Instances"]}
            if how == "detach":
                self.assertNotIn(left, states, "gone from the next answer")
            else:
                self.assertTrue(states.get(left, "Terminating").startswith("Terminating"), states)
            sim.wait_until(lambda: in_service(sim), timeout=30)
            self.assertEqual(group(asg)["DesiredCapacity"], len(before), "replaced, not decremented")
            running = sim.client("ec2").describe_instances(InstanceIds=[left])["Reservations"][0]["Instances"][0]
            self.assertEqual(running["State"]["Name"] in ("running",), how == "detach")
            sim.clear_faults()
        rec = sim.ledger(timeline=False)["replacements"][0]
        self.assertEqual(sorted(rec["left_for_their_own_reasons"].values()),
                         ["detached by someone else", "terminated by someone else"])
        self.assertIsNone(rec["problem"])

    def test_list_lag(self):
        sim = self.sim
        asg, ecs = sim.client("autoscaling"), sim.client("ecs")
        # An earlier test's replacement may be InService but not yet registered
        # (agent_register): wait for every member to be registered, so that it is
        # in `before` and, after the sleep, older than the lag.
        sim.wait_until(lambda: {c["ec2InstanceId"] for c in container_instances(ecs, status="ACTIVE")} >=
                       {i["InstanceId"] for i in group(asg)["Instances"]}, message="every member registered")
        before = set(ecs.list_container_instances(cluster="prod")["containerInstanceArns"])
        sim.sleep(31)  # so the lag hides no instance that is already there
        sim.set_faults({"cluster": {"list_lag": 30}})
        seen = len(sim.ledger()["timeline"])
        g = group(asg)
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=g["DesiredCapacity"] + 1)
        new = sim.wait_until(lambda: [e for e in sim.ledger()["timeline"][seen:]
                                      if e["event"] == "container_instance_registered"], timeout=30)[-1]
        registered_at = new["t"]
        listed = set(ecs.list_container_instances(cluster="prod")["containerInstanceArns"])
        if sim.ledger(timeline=False)["aws_seconds"] - registered_at < 25:
            self.assertEqual(listed, before, "not listed yet")
        # Described by its ARN it is there: only the list lags.
        got = ecs.describe_container_instances(cluster="prod", containerInstances=[new["container_instance"]])
        self.assertEqual(len(got["containerInstances"]), 1)
        sim.wait_until(lambda: new["container_instance"] in
                       ecs.list_container_instances(cluster="prod")["containerInstanceArns"], timeout=30)
        self.assertGreaterEqual(sim.ledger(timeline=False)["aws_seconds"] - registered_at, 30 - 1e-6)
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=g["DesiredCapacity"])


def in_service(sim, name="prod-asg"):
    g = group(sim.client("autoscaling"), name)
    return (len(g["Instances"]) == g["DesiredCapacity"]
            and all(i["LifecycleState"] == "InService" for i in g["Instances"]))


class LedgerAudit(unittest.TestCase):
    def test_group_configuration_before_and_after(self):
        with Simulator(scenario=scenario(instances=2, tasks=2), time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            led = sim.ledger(timeline=False)
            self.assertEqual((led["group_config_changes"], led["ok"]), ([], True))
            asg.suspend_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AZRebalance"])
            asg.create_or_update_tags(Tags=[{"ResourceId": "prod-asg", "ResourceType": "auto-scaling-group",
                                             "Key": k, "Value": "1", "PropagateAtLaunch": False}
                                            for k in ("ecs-rollout:state", "team")])
            asg.put_lifecycle_hook(LifecycleHookName="log-shipper", AutoScalingGroupName="prod-asg",
                                   LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING")
            asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", MaxSize=13,
                                          NewInstancesProtectedFromScaleIn=True)
            one = ids_of(sim, "prod-asg")[0]
            asg.set_instance_protection(AutoScalingGroupName="prod-asg", InstanceIds=[one],
                                        ProtectedFromScaleIn=True)
            led = sim.ledger(timeline=False)
            fields = sorted(c["field"] for c in led["group_config_changes"])
            self.assertEqual(fields, sorted(["LifecycleHooks", "MaxSize", "NewInstancesProtectedFromScaleIn",
                                             "ProtectedInstances", f"ProtectedFromScaleIn[{one}]",
                                             "SuspendedProcesses", "Tags"]))
            self.assertFalse(led["ok"])
            self.assertIn("group prod-asg: MaxSize changed from 12 to 13", led["problems"])
            # Put back: the rollout's own tag may stay (it is not configuration).
            asg.resume_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AZRebalance"])
            asg.delete_tags(Tags=[{"ResourceId": "prod-asg", "ResourceType": "auto-scaling-group", "Key": "team"}])
            asg.delete_lifecycle_hook(LifecycleHookName="log-shipper", AutoScalingGroupName="prod-asg")
            asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", MaxSize=12,
                                          NewInstancesProtectedFromScaleIn=False)
            asg.set_instance_protection(AutoScalingGroupName="prod-asg", InstanceIds=[one],
                                        ProtectedFromScaleIn=False)
            led = sim.ledger(timeline=False)
            self.assertEqual((led["group_config_changes"], led["ok"]), ([], True), led["problems"])

    def test_every_old_instance_replaced_at_most_once(self):
        sc = scenario(instances=2, tasks=2)
        sc["auto_scaling_groups"][0]["availability_zones"] = ["us-east-1a"]  # no zone-evening slack
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            old = ids_of(sim, "prod-asg")
            # A proper replacement: one new instance per old one.
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
            sim.wait_until(lambda: in_service(sim), timeout=30)
            for iid in old:
                asg.terminate_instance_in_auto_scaling_group(InstanceId=iid, ShouldDecrementDesiredCapacity=True)
            sim.wait_until(lambda: not set(old) & set(ids_of(sim, "prod-asg")), timeout=30)
            rec = sim.ledger(timeline=False)["replacements"][0]
            self.assertEqual((rec["old"], rec["launched"], rec["old_remaining"], rec["problem"]), (2, 2, [], None))
            # An instance failing its health check is replaced: not the rollout's doing.
            victim = ids_of(sim, "prod-asg")[0]
            asg.set_instance_health(InstanceId=victim, HealthStatus="Unhealthy")
            sim.wait_until(lambda: victim not in ids_of(sim, "prod-asg") and in_service(sim), timeout=30)
            rec = sim.ledger(timeline=False)["replacements"][0]
            self.assertEqual((rec["launched"], rec["left_for_their_own_reasons"], rec["problem"]),
                             (3, {victim: "failed health check"}, None))
            # Replacing a new instance again: a second replacement, a problem.
            # Once registered: one that never registered left for its own
            # reasons (the health check's replacement may still be booting).
            sim.wait_until(lambda: len(container_instances(sim.client("ecs"))) == 2, timeout=30)
            again = ids_of(sim, "prod-asg")[0]
            asg.terminate_instance_in_auto_scaling_group(InstanceId=again, ShouldDecrementDesiredCapacity=False)
            sim.wait_until(lambda: again not in ids_of(sim, "prod-asg") and in_service(sim), timeout=30)
            led = sim.ledger(timeline=False)
            self.assertIn("group prod-asg: 4 instances launched for 2 old ones (at most 3 allowed): "
                          "an instance was replaced more than once", led["problems"])
            self.assertFalse(led["ok"])

    def test_a_rollback_removing_what_it_launched_is_no_second_replacement(self):
        """A rollback terminates the instances it launched while every old one
        still serves; the re-run launches others for the old ones (chaos seed 11
        rollout 17: 7 launches for 3 old ones). Those removed having replaced
        nothing are allowed; a new instance replaced again is still caught."""
        sc = scenario(instances=2, tasks=2)
        sc["auto_scaling_groups"][0]["availability_zones"] = ["us-east-1a"]  # no zone-evening slack
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            old = ids_of(sim, "prod-asg")
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
            sim.wait_until(lambda: in_service(sim), timeout=30)
            first = sorted(set(ids_of(sim, "prod-asg")) - set(old))
            # Registered, as the chaos run's were (one never registered left for its own reasons).
            sim.wait_until(lambda: len(container_instances(sim.client("ecs"))) == 4, timeout=30)
            for iid in first:   # the rollback
                asg.terminate_instance_in_auto_scaling_group(InstanceId=iid, ShouldDecrementDesiredCapacity=True)
            sim.wait_until(lambda: not set(first) & set(ids_of(sim, "prod-asg")), timeout=30)
            rec = sim.ledger(timeline=False)["replacements"][0]
            self.assertEqual((rec["launched"], rec["removed_having_replaced_nothing"], rec["problem"]),
                             (2, first, None))
            # The re-run: one new instance per old one.
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
            sim.wait_until(lambda: in_service(sim), timeout=30)
            for iid in old:
                asg.terminate_instance_in_auto_scaling_group(InstanceId=iid, ShouldDecrementDesiredCapacity=True)
            sim.wait_until(lambda: not set(old) & set(ids_of(sim, "prod-asg")), timeout=30)
            rec = sim.ledger(timeline=False)["replacements"][0]
            self.assertEqual((rec["launched"], rec["allowed_launches"], rec["old_remaining"], rec["problem"]),
                             (4, 4, [], None))
            # One of the re-run's instances replaced again: it stood in for an old one.
            again = ids_of(sim, "prod-asg")[0]
            asg.terminate_instance_in_auto_scaling_group(InstanceId=again, ShouldDecrementDesiredCapacity=False)
            sim.wait_until(lambda: again not in ids_of(sim, "prod-asg") and in_service(sim), timeout=30)
            led = sim.ledger(timeline=False)
            self.assertIn("group prod-asg: 5 instances launched for 2 old ones (at most 4 allowed): "
                          "an instance was replaced more than once", led["problems"])

    def test_scheduled_actions_that_came_due_are_reported(self):
        import datetime
        sc = scenario(instances=1, tasks=1)
        sc["auto_scaling_groups"][0]["suspended_processes"] = ["ScheduledActions"]
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
            asg.put_scheduled_update_group_action(AutoScalingGroupName="prod-asg", ScheduledActionName="evening",
                                                  StartTime=soon, DesiredCapacity=2)
            asg.put_scheduled_update_group_action(AutoScalingGroupName="prod-asg", ScheduledActionName="yearly",
                                                  Recurrence="0 0 1 1 *", DesiredCapacity=1)
            self.assertEqual(sim.ledger(timeline=False)["scheduled_actions_due"], [])
            due = sim.wait_until(lambda: sim.ledger()["scheduled_actions_due"], timeout=30)
            self.assertEqual([(d["group"], d["action"], d["outcome"]) for d in due],
                             [("prod-asg", "evening", "skipped: ScheduledActions suspended")])
            self.assertEqual(group(asg)["DesiredCapacity"], 1, "a missed action is not run later")

    def test_cron(self):
        from datetime import datetime, timezone
        from sim.group_audit import cron_due
        t = datetime(2026, 12, 6, 23, 10, tzinfo=timezone.utc)
        end = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)
        self.assertEqual(cron_due("30 0 * * *", t, end), datetime(2026, 12, 7, 0, 30, tzinfo=timezone.utc))
        self.assertEqual(cron_due("*/20 23 * * *", t, end), datetime(2026, 12, 6, 23, 20, tzinfo=timezone.utc))
        self.assertIsNone(cron_due("0 9 * * 1-5", t, end))
        self.assertEqual(cron_due("0 0 * * 1", t, end), datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc))


def spot_scenario(drains=True, rebalance=False, instances=3, tasks=3):
    sc = scenario(instances=instances, tasks=tasks)
    g = sc["auto_scaling_groups"][0]
    if drains:
        g["ecs_config"] = ["ECS_ENABLE_SPOT_INSTANCE_DRAINING=true"]
    if rebalance:
        g["capacity_rebalance"] = True
    return sc


def events(sim, kind, **match):
    return [e for e in sim.ledger()["timeline"] if e["event"] == kind
            and all(e.get(k) == v for k, v in match.items())]


def ci_of(sim, instance_id):
    return next(c for c in container_instances(sim.client("ecs")) if c["ec2InstanceId"] == instance_id)


def tasks_on(sim, instance_id):
    arn = ci_of(sim, instance_id)["containerInstanceArn"]
    return [t for t in tasks(sim.client("ecs")) if t.get("containerInstanceArn") == arn]


class Disruptions(unittest.TestCase):
    def test_spot_interruption_with_ecs_draining(self):
        with Simulator(scenario=spot_scenario(), time_scale=0.01) as sim:
            victim = ids_of(sim, "prod-asg")[0]
            sim.set_faults({"cluster": {"spot_interruption": {"instances": [victim]}}})
            sim.wait_until(lambda: events(sim, "spot_interruption_notice"), timeout=10)
            self.assertEqual(ci_of(sim, victim)["status"], "DRAINING", "ECS drains at the notice")
            sim.wait_until(lambda: all(t["lastStatus"] == "STOPPED" for t in tasks_on(sim, victim)), timeout=30)
            notice = events(sim, "spot_interruption_notice", instance=victim)[0]
            self.assertTrue(notice["ecs_drains"])
            sim.wait_until(lambda: victim not in ids_of(sim, "prod-asg") and in_service(sim), timeout=30)
            down = events(sim, "instance_shutting_down", instance=victim)[0]
            # Two minutes after the notice (plus the tick's lateness on a loaded machine).
            self.assertGreaterEqual(down["t"] - notice["t"], 120)
            self.assertLess(down["t"] - notice["t"], 135)
            led = sim.ledger(timeline=False)
            self.assertEqual((led["abrupt_kills"], led["external_kills"]), ([], []))
            self.assertTrue(led["zero_downtime"], led["problems"])
            rec = led["replacements"][0]
            self.assertEqual((rec["left_for_their_own_reasons"], rec["problem"]), ({victim: "spot interruption"}, None))

    def test_spot_interruption_without_ecs_draining_kills_tasks(self):
        with Simulator(scenario=spot_scenario(drains=False), time_scale=0.01) as sim:
            victim = ids_of(sim, "prod-asg")[0]
            sim.set_faults({"cluster": {"spot_interruption": {"instances": [victim]}}})
            sim.wait_until(lambda: events(sim, "spot_interruption_notice"), timeout=10)
            self.assertEqual(ci_of(sim, victim)["status"], "ACTIVE")
            sim.wait_until(lambda: victim not in ids_of(sim, "prod-asg") and in_service(sim), timeout=30)
            led = sim.ledger(timeline=False)
            self.assertEqual(led["abrupt_kills"], [], "not the rollout's")
            self.assertEqual({k["instance"] for k in led["external_kills"]}, {victim})
            web = led["services"][0]
            self.assertEqual(web["external_kills"], len(led["external_kills"]))
            self.assertFalse(web["went_below_allowed"], "a disruption's dip is not counted")
            self.assertTrue(led["zero_downtime"], led["problems"])

    def test_capacity_rebalance(self):
        with Simulator(scenario=spot_scenario(drains=False, rebalance=True), time_scale=0.01) as sim:
            victim = ids_of(sim, "prod-asg")[0]
            sim.set_faults({"cluster": {"rebalance_recommendation": {"instances": [victim]}}})
            new = sim.wait_until(lambda: events(sim, "capacity_rebalance_launch", replaces=victim),
                                 timeout=10)[0]["instance"]
            sim.wait_until(lambda: victim not in ids_of(sim, "prod-asg") and in_service(sim), timeout=30)
            self.assertEqual(group(sim.client("autoscaling"))["DesiredCapacity"], 3)
            launched = events(sim, "instance_launched", instance=new)[0]
            self.assertLess(launched["t"], events(sim, "instance_terminating", instance=victim)[0]["t"],
                            "the replacement first")
            running = events(sim, "instance_in_service", instance=new)[0]
            gone = events(sim, "instance_terminating", instance=victim)[0]
            self.assertGreaterEqual(gone["t"], running["t"], "the old one goes once the new one is InService")
            led = sim.ledger(timeline=False)
            self.assertEqual(led["abrupt_kills"], [])
            self.assertEqual(led["replacements"][0]["problem"], None)
            self.assertEqual(led["group_config_changes"], [])

    def test_no_capacity_rebalance_no_replacement(self):
        with Simulator(scenario=spot_scenario(drains=False), time_scale=0.01) as sim:
            victim = ids_of(sim, "prod-asg")[0]
            sim.set_faults({"cluster": {"rebalance_recommendation": {"instances": [victim]}}})
            sim.sleep(60)
            self.assertEqual(events(sim, "rebalance_recommendation")[0]["capacity_rebalance"], False)
            self.assertIn(victim, ids_of(sim, "prod-asg"))
            self.assertEqual(events(sim, "instance_launched"), [])

    def test_disconnected_agent_cannot_drain(self):
        with Simulator(scenario=scenario(instances=3, tasks=3), time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            victim = ids_of(sim, "prod-asg")[0]
            # Back after 1,500 AWS s (15 real s): long enough to look at it on a loaded machine.
            sim.set_faults({"cluster": {"agent_disconnected": {"instances": [victim], "for": 1500}}})
            sim.wait_until(lambda: events(sim, "agent_disconnected"), timeout=10)
            ci = ci_of(sim, victim)
            self.assertFalse(ci["agentConnected"])
            listed = ecs.list_container_instances(cluster="prod", filter="agentConnected == false")
            self.assertEqual(listed["containerInstanceArns"], [ci["containerInstanceArn"]])
            before = [t["taskArn"] for t in tasks_on(sim, victim) if t["lastStatus"] == "RUNNING"]
            self.assertTrue(before)
            ecs.update_container_instances_state(cluster="prod", containerInstances=[ci["containerInstanceArn"]],
                                                 status="DRAINING")
            # The replacements start elsewhere; the old tasks are asked to stop but keep running.
            sim.wait_until(lambda: sum(1 for t in tasks(ecs) if t["lastStatus"] == "RUNNING"
                                       and t["desiredStatus"] == "RUNNING") >= 3, timeout=30)
            sim.sleep(60)
            on_victim = {t["taskArn"]: t for t in tasks_on(sim, victim)}
            for arn in before:
                self.assertEqual((on_victim[arn]["lastStatus"], on_victim[arn]["desiredStatus"]),
                                 ("RUNNING", "STOPPED"))
            self.assertEqual(set(on_victim), set(before), "nothing new placed on it")
            # Back: the stops go through and the instance empties.
            sim.wait_until(lambda: ci_of(sim, victim)["agentConnected"], timeout=60)
            sim.wait_until(lambda: all(t["lastStatus"] == "STOPPED" for t in tasks_on(sim, victim)), timeout=30)
            self.assertTrue(sim.ledger(timeline=False)["zero_downtime"])

    def test_draining_at_start(self):
        sc = scenario(instances=3, tasks=3)
        sc["auto_scaling_groups"][0]["draining"] = 1
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            first = ids_of(sim, "prod-asg")[0]
            self.assertEqual(ci_of(sim, first)["status"], "DRAINING")
            self.assertEqual([t for t in tasks_on(sim, first) if t["lastStatus"] != "STOPPED"], [],
                             "settled: its tasks moved before the run")
            led = sim.ledger(timeline=False)
            self.assertEqual([d["instance"] for d in led["instances_left_draining"]], [first])


def member_of_scenario():
    sc = two_groups()
    sc["auto_scaling_groups"][1]["ecs_config"] = ['ECS_INSTANCE_ATTRIBUTES={"role": "batch"}']
    sc["auto_scaling_groups"][1]["desired"] = 2
    sc["services"].append({"cluster": "prod", "name": "worker", "cpu": 128, "memory": 128, "desired": 3,
                           "placement_constraints": [{"type": "memberOf", "expression": "attribute:role == batch"}]})
    sc["services"].append({"cluster": "prod", "name": "shipper", "cpu": 64, "memory": 64, "scheduling": "DAEMON",
                           "placement_constraints": [{"type": "memberOf",
                                                      "expression": "attribute:role exists"}]})
    return sc


class Services(unittest.TestCase):
    def test_member_of_places_on_the_other_group_only(self):
        with Simulator(scenario=member_of_scenario(), time_scale=0.01) as sim:
            batch = set(ids_of(sim, "batch-asg"))
            ecs = sim.client("ecs")
            host = {c["containerInstanceArn"]: c["ec2InstanceId"] for c in container_instances(ecs)}
            for c in container_instances(ecs):
                attrs = {a["name"]: a.get("value") for a in c["attributes"]}
                self.assertEqual(attrs.get("role"), "batch" if c["ec2InstanceId"] in batch else None)
            running = [t for t in tasks(ecs) if t["lastStatus"] == "RUNNING"]
            for name in ("worker", "shipper"):
                placed = [host[t["containerInstanceArn"]] for t in running if t["group"] == f"service:{name}"]
                self.assertTrue(placed and set(placed) <= batch, (name, placed, batch))
            self.assertEqual(len([t for t in running if t["group"] == "service:worker"]), 3)
            self.assertEqual(len([t for t in running if t["group"] == "service:shipper"]), 2)

    def test_crash_loop_is_exempt_from_the_verdict(self):
        sc = member_of_scenario()
        sc["services"][1]["crash_after"] = 20
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            sim.wait_until(lambda: len(events(sim, "task_crashed", service="worker")) >= 6, timeout=30)
            ecs = sim.client("ecs")
            stopped = [t for t in tasks(ecs) if t["group"] == "service:worker" and t["lastStatus"] == "STOPPED"]
            self.assertTrue(stopped)
            self.assertEqual({(t["stopCode"], t["stoppedReason"]) for t in stopped},
                             {("EssentialContainerExited", "Essential container in task exited")})
            led = sim.ledger(timeline=False)
            worker = next(s for s in led["services"] if s["service"] == "worker")
            self.assertTrue(worker["exempt"].startswith("crash loop"))
            self.assertFalse(worker["went_below_allowed"])
            self.assertTrue(led["zero_downtime"], led["problems"])

    def test_service_below_desired_at_start(self):
        sc = scenario(instances=2, tasks=2)
        sc["services"].append({"cluster": "prod", "name": "big", "cpu": 1536, "memory": 512, "desired": 3})
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            svc = sim.client("ecs").describe_services(cluster="prod", services=["big"])["services"][0]
            self.assertEqual((svc["desiredCount"], svc["runningCount"]), (3, 2))
            self.assertTrue(any("was unable to place a task" in e["message"] for e in svc["events"]))


SHAPES = testlib.ROOT / "tests" / "sim" / "scenarios" / "shapes"


class ShapeFiles(unittest.TestCase):
    """The shape scenario files show what they are named after."""

    def shape(self, name):
        return Simulator(scenario=SHAPES / f"{name}.toml", time_scale=0.01)

    def test_moto_fidelity(self):
        with self.shape("moto-fidelity") as sim:
            one = ids_of(sim, "prod-asg")[0]
            out = sim.client("ecs").list_container_instances(cluster="prod", filter=f"ec2InstanceId in [{one}]")
            self.assertEqual(len(out["containerInstanceArns"]), 5)

    def test_transient_asg(self):
        with self.shape("transient-asg") as sim:
            asg = sim.client("autoscaling", max_attempts=0)
            codes = set()
            for _ in range(60):
                try:
                    asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
                except botocore.exceptions.ClientError as e:
                    codes.add(e.response["Error"]["Code"])
            self.assertEqual(codes, {"ScalingActivityInProgress", "ResourceContention"})

    def test_transient_ecs(self):
        with self.shape("transient-ecs") as sim:
            ecs = sim.client("ecs")
            arns = ecs.list_container_instances(cluster="prod")["containerInstanceArns"]
            missing = sum(len(ecs.describe_container_instances(cluster="prod", containerInstances=arns)["failures"])
                          for _ in range(40))
            self.assertGreater(missing, 0)

    def test_spot_interruption(self):
        with self.shape("spot-interruption") as sim:
            sim.wait_until(lambda: events(sim, "container_instance_draining", by="spot interruption"), timeout=30)
            sim.wait_until(lambda: len(events(sim, "instance_in_service")) == 1, timeout=30)
            led = sim.ledger(timeline=False)
            self.assertEqual((led["abrupt_kills"], led["external_kills"]), ([], []))

    def test_instance_leaves_group(self):
        with self.shape("instance-leaves-group") as sim:
            left = sim.wait_until(lambda: events(sim, "left_group"), timeout=30)[0]["instance"]
            self.assertNotIn(left, ids_of(sim, "prod-asg"))

    def test_capacity_rebalance(self):
        with self.shape("capacity-rebalance") as sim:
            sim.wait_until(lambda: events(sim, "capacity_rebalance_launch"), timeout=30)

    def test_draining_at_start(self):
        with self.shape("draining-at-start") as sim:
            statuses = sorted(c["status"] for c in container_instances(sim.client("ecs")))
            self.assertEqual(statuses, ["ACTIVE", "ACTIVE", "DRAINING"])

    def test_disconnected_agent(self):
        with self.shape("disconnected-agent") as sim:
            sim.wait_until(lambda: [c for c in container_instances(sim.client("ecs")) if not c["agentConnected"]],
                           timeout=10)

    def test_service_below_desired(self):
        with self.shape("service-below-desired") as sim:
            svc = sim.client("ecs").describe_services(cluster="prod", services=["big"])["services"][0]
            self.assertLess(svc["runningCount"], svc["desiredCount"])

    def test_unhealthy_service_elsewhere(self):
        with self.shape("unhealthy-service-elsewhere") as sim:
            sim.wait_until(lambda: events(sim, "task_crashed", service="worker"), timeout=30)
            self.assertTrue(sim.ledger(timeline=False)["zero_downtime"])

    def test_member_of(self):
        with self.shape("member-of") as sim:
            batch = set(ids_of(sim, "batch-asg"))
            ecs = sim.client("ecs")
            host = {c["containerInstanceArn"]: c["ec2InstanceId"] for c in container_instances(ecs)}
            placed = {host[t["containerInstanceArn"]] for t in tasks(ecs)
                      if t["group"] in ("service:worker", "service:shipper")}
            self.assertTrue(placed and placed <= batch)


if __name__ == "__main__":
    testlib.main()
