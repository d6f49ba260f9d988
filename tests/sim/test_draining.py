"""Draining moves service tasks the way ECS does, within the deployment
configuration, and the ledger tells a clean rollout from one that killed tasks."""
import unittest

import testlib

from sim import Simulator
from sim.testing import AMI_NEW, container_instances, group, instance_empty, scenario


def new_version_and_scale_out(sim, desired):
    ec2, asg, ecs = sim.client("ec2"), sim.client("autoscaling"), sim.client("ecs")
    ec2.create_launch_template_version(LaunchTemplateName="prod-lt", SourceVersion="1",
                                       LaunchTemplateData={"ImageId": AMI_NEW})
    old = [i["InstanceId"] for i in group(asg)["Instances"]]
    asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=desired)
    sim.wait_until(lambda: len(container_instances(ecs, filter=f"attribute:ecs.ami-id == {AMI_NEW}"))
                   == desired - len(old), message="new instances registered")
    return old


def drain(sim, instance_ids):
    ecs = sim.client("ecs")
    cis = container_instances(ecs, filter=f"ec2InstanceId in [{', '.join(instance_ids)}]")
    arns = [c["containerInstanceArn"] for c in cis]
    for i in range(0, len(arns), 10):
        ecs.update_container_instances_state(cluster="prod", containerInstances=arns[i:i + 10], status="DRAINING")
    return arns


class Draining(unittest.TestCase):
    def test_drain_with_100_200_replaces_before_stopping_and_never_dips(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            ecs, asg, ec2 = sim.client("ecs"), sim.client("autoscaling"), sim.client("ec2")
            old = new_version_and_scale_out(sim, 6)
            arns = drain(sim, old)
            sim.wait_until(lambda: all(instance_empty(ecs, a) for a in arns), message="old instances empty")
            timeline = sim.ledger()["timeline"]
            first_stop = min(e["t"] for e in timeline if e["event"] == "task_stop_requested")
            started = [e["t"] for e in timeline if e["event"] == "task_running" and e["instance"] not in old]
            self.assertEqual(len(started), 6)
            self.assertLessEqual(min(started), first_stop, "a replacement ran before any old task stopped")
            asg.detach_instances(AutoScalingGroupName="prod-asg", InstanceIds=old, ShouldDecrementDesiredCapacity=True)
            ec2.terminate_instances(InstanceIds=old)
            sim.wait_until(lambda: all(i["State"]["Name"] == "terminated" for r in
                                       ec2.describe_instances(InstanceIds=old)["Reservations"] for i in r["Instances"]),
                           message="old instances terminated")
            self.assertEqual(group(asg)["DesiredCapacity"], 3)
            led = sim.ledger()
            svc = led["services"][0]
            self.assertEqual((svc["min_running"], svc["went_below_allowed"], svc["went_below_desired"]), (6, False, False))
            self.assertEqual(led["abrupt_kills"], [])
            self.assertEqual(led["instances_left_draining"], [])
            self.assertEqual(led["detached_still_running"], [])
            self.assertTrue(led["zero_downtime"] and led["ok"], led["problems"])

    def test_drain_with_50_100_dips_no_lower_than_allowed(self):
        with Simulator(scenario=scenario(instances=2, tasks=4, min_healthy=50, max_percent=100),
                       time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            old = new_version_and_scale_out(sim, 4)
            arns = drain(sim, old)
            sim.wait_until(lambda: all(instance_empty(ecs, a) for a in arns), message="old instances empty")
            sim.wait_until(lambda: sim.ledger()["services"][0]["running"] == 4)
            svc = sim.ledger()["services"][0]
            self.assertEqual(svc["min_running"], 2, "ECS stops half first when there is no room above 100%")
            self.assertEqual(svc["allowed_minimum"], 2)
            self.assertTrue(svc["went_below_desired"])
            self.assertFalse(svc["went_below_allowed"])
            self.assertTrue(sim.ledger()["zero_downtime"])


class AbruptKills(unittest.TestCase):
    def test_terminating_an_instance_with_running_tasks_is_recorded(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            ecs, asg = sim.client("ecs"), sim.client("autoscaling")
            victim = container_instances(ecs)[0]
            self.assertEqual(victim["runningTasksCount"], 2)
            asg.terminate_instance_in_auto_scaling_group(InstanceId=victim["ec2InstanceId"],
                                                         ShouldDecrementDesiredCapacity=False)
            led = sim.ledger()
            kills = led["abrupt_kills"]
            self.assertEqual(len(kills), 2)
            self.assertEqual({k["instance"] for k in kills}, {victim["ec2InstanceId"]})
            self.assertEqual({k["service"] for k in kills}, {"web"})
            self.assertEqual({k["last_status"] for k in kills}, {"RUNNING"})
            self.assertEqual(led["services"][0]["running"], 4)
            self.assertTrue(led["services"][0]["went_below_allowed"])
            self.assertFalse(led["zero_downtime"])
            # ECS notices, stops the tasks, replaces them; Auto Scaling replaces the instance.
            gone = sim.wait_until(lambda: (lambda c: c["status"] == "INACTIVE" and c)(ecs.describe_container_instances(
                cluster="prod", containerInstances=[victim["containerInstanceArn"]])["containerInstances"][0]))
            self.assertFalse(gone["agentConnected"])
            self.assertNotIn(victim["containerInstanceArn"], ecs.list_container_instances(cluster="prod")["containerInstanceArns"])
            stopped = ecs.describe_tasks(cluster="prod", tasks=[k["task"] for k in kills])["tasks"]
            for t in stopped:
                self.assertEqual(t["lastStatus"], "STOPPED")
                self.assertEqual(t["stoppedReason"], f"Host EC2 (instance {victim['ec2InstanceId']}) terminated.")
            sim.wait_until(lambda: sim.ledger()["services"][0]["running"] == 6, message="service recovered")
            sim.wait_until(lambda: len(container_instances(ecs)) == 3, message="instance replaced")

    def test_counters_at_zero_are_not_an_empty_instance(self):
        sc = scenario(instances=2, tasks=4)
        sc["delays"]["task_stop"] = 300  # room to look before the tasks finish stopping
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            ecs, ec2 = sim.client("ecs"), sim.client("ec2")
            old = new_version_and_scale_out(sim, 4)
            arns = drain(sim, old[:1])

            def counters_zero():
                c = ecs.describe_container_instances(cluster="prod", containerInstances=arns)["containerInstances"][0]
                return c["runningTasksCount"] == 0 and c["pendingTasksCount"] == 0
            sim.wait_until(counters_zero)
            sim.pause()
            self.assertFalse(instance_empty(ecs, arns[0]), "tasks are still stopping")
            ec2.terminate_instances(InstanceIds=old[:1])
            sim.resume()
            kills = sim.ledger()["abrupt_kills"]
            self.assertEqual(len(kills), 2)
            self.assertTrue({k["last_status"] for k in kills} <= {"DEACTIVATING", "STOPPING"}, kills)
            self.assertEqual({k["desired_status"] for k in kills}, {"STOPPED"})
            self.assertFalse(sim.ledger()["zero_downtime"])

    def test_scale_in_without_draining_kills_tasks(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
            # The scale-in activity starts after the call (engine delay "scale_in").
            sim.wait_until(lambda: any(e["event"] == "instance_terminating" for e in sim.ledger()["timeline"]),
                           message="the scale-in starts")
            kills = sim.ledger()["abrupt_kills"]
            self.assertEqual(len(kills), 2)
            self.assertTrue(all(k["cause"].startswith("scale-in") for k in kills))


if __name__ == "__main__":
    testlib.main()
