"""Auto Scaling as the simulator plays it: validation, termination policies,
protection, suspended processes, standby/detach/terminate, health, lifecycle
hooks, AZ rebalancing and scaling activities."""
import unittest

import botocore.exceptions
import testlib

from sim import Simulator
from sim.testing import AMI_NEW, container_instances, group, scenario


def ids(asg, name="prod-asg", states=("InService",)):
    return [i["InstanceId"] for i in group(asg, name)["Instances"] if i["LifecycleState"] in states]


class Asg(unittest.TestCase):
    def start(self, **kw):
        sc = scenario(**kw)
        self.sim = Simulator(scenario=sc, time_scale=0.01).start()
        self.addCleanup(self.sim.stop)
        self.asg = self.sim.client("autoscaling", max_attempts=1)
        self.ec2 = self.sim.client("ec2")
        self.ecs = self.sim.client("ecs")
        return self.sim

    def validation(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationError")
        return cm.exception.response["Error"]["Message"]

    def wait_count(self, n, name="prod-asg"):
        self.sim.wait_until(lambda: len(ids(self.asg, name)) == n and len(group(self.asg, name)["Instances"]) == n,
                            message=f"{n} instances InService")

    def test_capacity_validation(self):
        self.start(instances=2, tasks=0)
        msg = self.validation(self.asg.set_desired_capacity, AutoScalingGroupName="prod-asg", DesiredCapacity=13)
        self.assertEqual(msg, "New SetDesiredCapacity value 13 is above max value 12 for the AutoScalingGroup.")
        msg = self.validation(self.asg.update_auto_scaling_group, AutoScalingGroupName="prod-asg", MaxSize=1,
                              DesiredCapacity=2)
        self.assertEqual(msg, "Desired capacity:2 must be between the specified min size:0 and max size:1")
        msg = self.validation(self.asg.update_auto_scaling_group, AutoScalingGroupName="prod-asg", MinSize=3,
                              MaxSize=2)
        self.assertEqual(msg, "Max bound, 2, must be greater than or equal to min bound, 3")
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", MinSize=4, MaxSize=20)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 4, "a larger MinSize raises the desired capacity")
        self.wait_count(4)
        msg = self.validation(self.asg.detach_instances, AutoScalingGroupName="prod-asg",
                              InstanceIds=["i-00000000000000000"], ShouldDecrementDesiredCapacity=True)
        self.assertIn("not part of Auto Scaling group", msg)

    def test_termination_policies_and_protection(self):
        self.start(instances=3, tasks=0)
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
        self.wait_count(4)
        launched = {e["instance"]: e["t"] for e in self.sim.ledger()["timeline"] if e["event"] == "instance_launched"}
        newest = max(launched, key=launched.get)
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", TerminationPolicies=["NewestInstance"])
        self.assertEqual(group(self.asg)["TerminationPolicies"], ["NewestInstance"])
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
        # The scale-in activity starts after the call (engine delay "scale_in"); its first victim:
        self.sim.wait_until(lambda: len(ids(self.asg)) < 4, message="the scale-in starts")
        self.assertNotIn(newest, ids(self.asg), "NewestInstance terminated the newest one")
        self.assertEqual(len(ids(self.asg)), 3, "one victim")
        self.wait_count(3)
        # OldestInstance, with the oldest protected from scale-in.
        members = ids(self.asg)
        self.asg.set_instance_protection(AutoScalingGroupName="prod-asg", InstanceIds=members[:1],
                                         ProtectedFromScaleIn=True)
        self.asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", TerminationPolicies=["OldestInstance"])
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=0)
        self.wait_count(1)
        self.assertEqual(ids(self.asg), members[:1], "protected instances are not scaled in")

    def test_suspended_processes(self):
        self.start(instances=2, tasks=0)
        self.asg.suspend_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["Launch", "Terminate"])
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
        self.sim.sleep(100)
        self.assertEqual(len(group(self.asg)["Instances"]), 2, "Launch suspended")
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=1)
        self.sim.sleep(100)
        self.assertEqual(len(group(self.asg)["Instances"]), 2, "Terminate suspended")
        self.asg.resume_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["Terminate"])
        self.wait_count(1)
        self.asg.resume_processes(AutoScalingGroupName="prod-asg")
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
        self.wait_count(2)

    def test_terminate_with_decrement_removes_only_the_named_instance(self):
        """TerminateInstanceInAutoScalingGroup(ShouldDecrementDesiredCapacity) takes
        exactly that instance out; Auto Scaling does not scale in another one."""
        self.start(instances=3, tasks=0)
        a, b, c = ids(self.asg)
        self.sim.pause()  # so the Terminating state can be looked at on a loaded machine
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=b, ShouldDecrementDesiredCapacity=True)
        states = {i["InstanceId"]: i["LifecycleState"] for i in group(self.asg)["Instances"]}
        self.assertEqual(states, {a: "InService", b: "Terminating", c: "InService"})
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2)
        self.sim.resume()
        self.sim.wait_until(lambda: b not in [i["InstanceId"] for i in group(self.asg)["Instances"]])
        self.assertEqual(sorted(ids(self.asg)), sorted([a, c]))
        terminated = [e["instance"] for e in self.sim.ledger()["timeline"] if e["event"] == "instance_terminating"]
        self.assertEqual(terminated, [b])

    def test_detach_terminate_and_ec2_termination(self):
        self.start(instances=3, tasks=0)
        a, b, c = ids(self.asg)
        self.asg.detach_instances(AutoScalingGroupName="prod-asg", InstanceIds=[a], ShouldDecrementDesiredCapacity=True)
        self.assertNotIn(a, [i["InstanceId"] for i in group(self.asg)["Instances"]])
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2)
        self.assertEqual(self.ec2.describe_instances(InstanceIds=[a])["Reservations"][0]["Instances"][0]["State"]["Name"],
                         "running", "a detached instance keeps running")
        self.assertEqual([d["instance"] for d in self.sim.ledger()["detached_still_running"]], [a])
        self.assertIn(a, [ci["ec2InstanceId"] for ci in container_instances(self.ecs)])
        # TerminateInstanceInAutoScalingGroup without decrement: replaced.
        self.sim.pause()  # so the Terminating state can be looked at on a loaded machine
        act = self.asg.terminate_instance_in_auto_scaling_group(InstanceId=b, ShouldDecrementDesiredCapacity=False)
        self.assertIn(b, act["Activity"]["Description"])
        states = {i["InstanceId"]: i["LifecycleState"] for i in group(self.asg)["Instances"]}
        self.assertEqual(states[b], "Terminating")
        self.sim.resume()
        self.sim.wait_until(lambda: b not in [i["InstanceId"] for i in group(self.asg)["Instances"]])
        self.wait_count(2)
        # EC2 TerminateInstances on a member: noticed by the health check, replaced, desired unchanged.
        out = self.ec2.terminate_instances(InstanceIds=[c])["TerminatingInstances"][0]
        self.assertEqual((out["CurrentState"]["Name"], out["PreviousState"]["Name"]), ("shutting-down", "running"))
        self.sim.wait_until(lambda: c not in [i["InstanceId"] for i in group(self.asg)["Instances"]],
                            message="terminated member removed")
        self.wait_count(2)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2)
        acts = self.asg.describe_scaling_activities(AutoScalingGroupName="prod-asg")["Activities"]
        self.assertTrue(any(x["Description"].startswith("Launching a new EC2 instance: i-") for x in acts))
        self.assertTrue(any(x["Description"] == f"Detaching EC2 instance: {a}" for x in acts))

    def test_unhealthy_instances_are_replaced(self):
        self.start(instances=2, tasks=0)
        a = ids(self.asg)[0]
        self.asg.set_instance_health(InstanceId=a, HealthStatus="Unhealthy")
        self.sim.wait_until(lambda: a not in [i["InstanceId"] for i in group(self.asg)["Instances"]])
        self.wait_count(2)

    def test_lifecycle_hooks_hold_instances_until_completed(self):
        self.start(instances=1, tasks=0)
        for name, transition in (("launch", "autoscaling:EC2_INSTANCE_LAUNCHING"),
                                 ("drain", "autoscaling:EC2_INSTANCE_TERMINATING")):
            self.asg.put_lifecycle_hook(LifecycleHookName=name, AutoScalingGroupName="prod-asg",
                                        LifecycleTransition=transition, HeartbeatTimeout=3000, DefaultResult="ABANDON")
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
        new = self.sim.wait_until(lambda: ids(self.asg, states=("Pending:Wait",)))[0]
        self.sim.sleep(100)
        self.asg.record_lifecycle_action_heartbeat(AutoScalingGroupName="prod-asg", LifecycleHookName="launch",
                                                   InstanceId=new)
        self.assertEqual(ids(self.asg, states=("Pending:Wait",)), [new])
        self.asg.complete_lifecycle_action(AutoScalingGroupName="prod-asg", LifecycleHookName="launch",
                                           InstanceId=new, LifecycleActionResult="CONTINUE")
        self.assertIn(new, ids(self.asg))
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=new, ShouldDecrementDesiredCapacity=True)
        self.assertEqual(ids(self.asg, states=("Terminating:Wait",)), [new])
        state = self.ec2.describe_instances(InstanceIds=[new])["Reservations"][0]["Instances"][0]["State"]["Name"]
        self.assertEqual(state, "running", "the instance runs while the hook holds it")
        self.asg.complete_lifecycle_action(AutoScalingGroupName="prod-asg", LifecycleHookName="drain",
                                           InstanceId=new, LifecycleActionResult="CONTINUE")
        self.sim.wait_until(lambda: new not in [i["InstanceId"] for i in group(self.asg)["Instances"]])
        msg = self.validation(self.asg.complete_lifecycle_action, AutoScalingGroupName="prod-asg",
                              LifecycleHookName="drain", InstanceId=new, LifecycleActionResult="CONTINUE")
        self.assertIn("No active Lifecycle Action", msg)

    def test_az_rebalance_unless_suspended(self):
        self.start(instances=6, tasks=0)
        by_az = {}
        for i in group(self.asg)["Instances"]:
            by_az.setdefault(i["AvailabilityZone"], []).append(i["InstanceId"])
        self.asg.suspend_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AZRebalance"])
        self.asg.detach_instances(AutoScalingGroupName="prod-asg", InstanceIds=by_az["us-east-1a"],
                                  ShouldDecrementDesiredCapacity=True)
        self.sim.sleep(200)
        self.assertEqual(len(group(self.asg)["Instances"]), 4, "no rebalancing while suspended")
        self.asg.resume_processes(AutoScalingGroupName="prod-asg", ScalingProcesses=["AZRebalance"])

        def balanced():
            g = group(self.asg)
            zones = [i["AvailabilityZone"] for i in g["Instances"] if i["LifecycleState"] == "InService"]
            counts = sorted(zones.count(z) for z in ("us-east-1a", "us-east-1b", "us-east-1c"))
            return len(g["Instances"]) == 4 and counts[-1] - counts[0] <= 1
        self.sim.wait_until(balanced, message="zones rebalanced")
        self.assertTrue(any(e["event"] == "az_rebalance" for e in self.sim.ledger()["timeline"]))

    def test_new_template_version_with_user_data_launches(self):
        # moto 5.2: SetDesiredCapacity failed once a version came from CreateLaunchTemplateVersion
        # with user data (the Terraform provider's path).
        import base64
        self.start(instances=1, tasks=0)
        ud = base64.b64encode(b"#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\n").decode()
        self.ec2.create_launch_template_version(LaunchTemplateName="prod-lt", LaunchTemplateData={
            "ImageId": AMI_NEW, "InstanceType": "t3.large", "UserData": ud})
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
        self.sim.wait_until(lambda: len(container_instances(self.ecs)) == 2)
        new = [c for c in container_instances(self.ecs)
               if {"name": "ecs.ami-id", "value": AMI_NEW} in [{"name": a["name"], "value": a.get("value")} for a in c["attributes"]]]
        self.assertEqual(len(new), 1)
        versions = self.ec2.describe_launch_template_versions(LaunchTemplateName="prod-lt")["LaunchTemplateVersions"]
        self.assertEqual({v["LaunchTemplateData"].get("UserData") for v in versions if v["VersionNumber"] == 2}, {ud})


if __name__ == "__main__":
    testlib.main()
