"""Scale-in and instance scale-in protection as AWS documents them (fleet.py,
fleet_requests.py, asg_api.py): SetInstanceProtection's errors and what
Describe* show after it; a lower desired capacity terminating only unprotected
InService instances, in an activity that starts after the call; the surplus a
protected group keeps until protection comes off; Pending instances not yet
protected; a Terminating instance staying so; the default termination policy's
oldest-version step; SetDesiredCapacity's bounds."""
import unittest

import botocore.exceptions
import testlib

from sim import Simulator
from sim.testing import advance, group, scenario

GROUP = "prod-asg"
# prod-asg with a capacity provider: managed scaling and termination protection.
PROVIDER_GROUP = dict(scenario()["auto_scaling_groups"][0], protect_from_scale_in=True,
                      capacity_provider={"name": "prod-cp"})


def states(asg):
    return {i["InstanceId"]: i["LifecycleState"] for i in group(asg)["Instances"]}


def in_service(asg):
    return sorted(i for i, s in states(asg).items() if s == "InService")


class ScaleIn(unittest.TestCase):
    def start(self, **kw):
        kw.setdefault("tasks", 0)
        self.sim = Simulator(scenario=scenario(**kw), time_scale=0.01).start()
        self.addCleanup(self.sim.stop)
        self.asg = self.sim.client("autoscaling", max_attempts=1)
        return self.sim

    def error(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        err = cm.exception.response["Error"]
        return err["Code"], err["Message"]

    def protect(self, ids, on=True):
        for i in range(0, len(ids), 50):
            self.asg.set_instance_protection(AutoScalingGroupName=GROUP, InstanceIds=ids[i:i + 50],
                                             ProtectedFromScaleIn=on)

    def flags(self):
        return {i["InstanceId"]: i["ProtectedFromScaleIn"] for i in group(self.asg)["Instances"]}

    def wait_members(self, n):
        self.sim.wait_until(lambda: len(states(self.asg)) == n and len(in_service(self.asg)) == n,
                            message=f"{n} members, all InService")

    def test_set_instance_protection_errors_change_nothing(self):
        self.start(instances=3)
        a, b, c = in_service(self.asg)
        code, msg = self.error(self.asg.set_instance_protection, AutoScalingGroupName="nope", InstanceIds=[a],
                               ProtectedFromScaleIn=True)
        self.assertEqual((code, msg), ("ValidationError", "AutoScalingGroup name not found - AutoScalingGroup "
                                                          "nope not found"))
        code, _ = self.error(self.asg.set_instance_protection, AutoScalingGroupName=GROUP,
                             InstanceIds=[a] * 51, ProtectedFromScaleIn=True)
        self.assertEqual(code, "LimitExceeded", "more than 50 instance ids fail the call")
        stranger = "i-00000000000000000"
        code, msg = self.error(self.asg.set_instance_protection, AutoScalingGroupName=GROUP,
                               InstanceIds=[a, stranger], ProtectedFromScaleIn=True)
        self.assertEqual((code, msg), ("ValidationError",
                                       f"The instance {stranger} is not part of Auto Scaling group {GROUP}."))
        self.assertEqual(self.flags(), {a: False, b: False, c: False}, "a refused call changes nothing")
        # 50 ids are fine (repeats included); both Describe calls show the flag.
        self.asg.set_instance_protection(AutoScalingGroupName=GROUP, InstanceIds=[a] * 49 + [b],
                                         ProtectedFromScaleIn=True)
        self.assertEqual(self.flags(), {a: True, b: True, c: False})
        described = self.asg.describe_auto_scaling_instances(InstanceIds=[a, b, c])["AutoScalingInstances"]
        self.assertEqual({i["InstanceId"]: i["ProtectedFromScaleIn"] for i in described},
                         {a: True, b: True, c: False})

    def test_only_unprotected_instances_go_once_the_activity_starts(self):
        """The rollout's pattern: protect the members that stay, lower the desired
        capacity by the batch; the activity starts after the call and takes exactly
        the unprotected ones; protection taken off afterwards changes nothing."""
        self.start(instances=6)
        members = in_service(self.asg)
        zone = {i["InstanceId"]: i["AvailabilityZone"] for i in group(self.asg)["Instances"]}
        # One from each of two zones: the zones stay balanced within one instance, so no
        # AZRebalance follows (a batch from one zone would be rebalanced once unprotected).
        batch = sorted([next(i for i in members if zone[i] == "us-east-1a"),
                        next(i for i in members if zone[i] == "us-east-1b")])
        keep = [i for i in members if i not in batch]
        self.protect(keep)
        self.sim.pause()
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=4)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 4)
        self.assertEqual(in_service(self.asg), members, "no victim is chosen during the call")
        self.sim.resume()
        self.sim.wait_until(lambda: all(states(self.asg).get(i, "gone") != "InService" for i in batch),
                            message="the batch terminating")
        self.assertEqual(in_service(self.asg), keep)
        self.protect(keep, on=False)
        self.wait_members(4)
        self.sim.sleep(30)
        self.assertEqual(in_service(self.asg), keep)
        gone = [e["instance"] for e in self.sim.ledger()["timeline"] if e["event"] == "instance_terminating"]
        self.assertEqual(sorted(gone), sorted(batch))

    def test_protection_taken_off_before_the_activity_starts_protects_nothing(self):
        """Victims are chosen when the scale-in activity starts: protection removed
        right after the call (before the group shows the victims Terminating) no
        longer steers the choice, and OldestInstance takes the members meant to stay."""
        self.start(instances=2)
        keep = in_service(self.asg)  # the oldest are kept, the newest are the batch
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=4)
        self.wait_members(4)
        batch = [i for i in in_service(self.asg) if i not in keep]
        self.asg.update_auto_scaling_group(AutoScalingGroupName=GROUP, TerminationPolicies=["OldestInstance"])
        self.protect(keep)
        self.sim.pause()
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=2)
        self.protect(keep, on=False)
        self.sim.resume()
        self.wait_members(2)
        self.assertEqual(in_service(self.asg), sorted(batch), "the oldest went, protected at the call or not")

    def test_surplus_stays_until_protection_comes_off(self):
        self.start(instances=3)
        a, b, c = in_service(self.asg)
        self.protect([a, b, c])
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
        self.sim.wait_until(lambda: any(e["event"] == "scale_in_blocked" for e in self.sim.ledger()["timeline"]),
                            message="the scale-in activity found every instance protected")
        g = group(self.asg)
        self.assertEqual(g["DesiredCapacity"], 1, "the desired capacity is decremented all the same")
        self.assertEqual(in_service(self.asg), [a, b, c], "nothing can be terminated")
        acts = self.asg.describe_scaling_activities(AutoScalingGroupName=GROUP)["Activities"]
        self.assertIn("Could not scale to desired capacity because all remaining instances are protected from "
                      "scale-in.", [x.get("StatusMessage") for x in acts])
        self.sim.sleep(30)
        self.assertEqual(in_service(self.asg), [a, b, c], "the surplus stays while protected")
        self.protect([b], on=False)
        self.sim.wait_until(lambda: b not in in_service(self.asg), message="b goes once unprotected")
        self.wait_members(2)
        self.assertEqual(in_service(self.asg), [a, c])
        self.protect([a, c], on=False)
        self.wait_members(1)

    def test_pending_instances_are_not_yet_protected(self):
        """NewInstancesProtectedFromScaleIn flags new instances at once, but the
        protection starts when they are InService: a scale-in while they boot
        takes them, and the protected InService members stay."""
        self.start(instances=2)
        old = in_service(self.asg)
        self.protect(old)
        self.asg.update_auto_scaling_group(AutoScalingGroupName=GROUP, NewInstancesProtectedFromScaleIn=True)
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=4)
        new = [i for i, s in states(self.asg).items() if s == "Pending"]
        self.assertEqual(len(new), 2)
        self.assertEqual({i: f for i, f in self.flags().items() if i in new}, {i: True for i in new})
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=2)
        self.wait_members(2)
        self.assertEqual(in_service(self.asg), old)
        gone = [e["instance"] for e in self.sim.ledger()["timeline"] if e["event"] == "instance_terminating"]
        self.assertEqual(sorted(gone), sorted(new))

    def test_terminating_instance_keeps_terminating_when_protected(self):
        """A termination hook holds the victim in Terminating:Wait; protecting it
        then is accepted and shown, and does not stop the termination; once it
        has left, SetInstanceProtection refuses it."""
        self.start(instances=2)
        self.asg.put_lifecycle_hook(AutoScalingGroupName=GROUP, LifecycleHookName="drain",
                                    LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
                                    HeartbeatTimeout=600, DefaultResult="CONTINUE")
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
        victim = self.sim.wait_until(lambda: next((i for i, s in states(self.asg).items()
                                                    if s == "Terminating:Wait"), None),
                                     message="a victim held by the hook")
        self.asg.set_instance_protection(AutoScalingGroupName=GROUP, InstanceIds=[victim], ProtectedFromScaleIn=True)
        self.assertTrue(self.flags()[victim])
        self.sim.sleep(60)
        self.assertEqual(states(self.asg)[victim], "Terminating:Wait", "the hook still holds it")
        self.asg.complete_lifecycle_action(AutoScalingGroupName=GROUP, LifecycleHookName="drain",
                                           InstanceId=victim, LifecycleActionResult="CONTINUE")
        self.wait_members(1)
        self.assertNotIn(victim, states(self.asg))
        code, msg = self.error(self.asg.set_instance_protection, AutoScalingGroupName=GROUP,
                               InstanceIds=[victim], ProtectedFromScaleIn=False)
        self.assertEqual((code, msg), ("ValidationError",
                                       f"The instance {victim} is not part of Auto Scaling group {GROUP}."))

    def test_default_policy_takes_the_oldest_version_of_the_current_template(self):
        """Default: "Finally, check for instances using the oldest version of the
        current launch template", before the billing hour: here the instance on
        version 1 goes, though it was launched after the one on version 2."""
        self.start(instances=3)
        ec2 = self.sim.client("ec2")
        ec2.create_launch_template_version(LaunchTemplateName="prod-lt", SourceVersion="1",
                                           LaunchTemplateData={"InstanceType": "m5.xlarge"})
        first = in_service(self.asg)
        zone = {i["InstanceId"]: i["AvailabilityZone"] for i in group(self.asg)["Instances"]}
        emptied = next(i for i in first if zone[i] == "us-east-1a")
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=emptied, ShouldDecrementDesiredCapacity=True)
        self.wait_members(2)
        self.asg.update_auto_scaling_group(AutoScalingGroupName=GROUP, DesiredCapacity=3,
                                           LaunchTemplate={"LaunchTemplateName": "prod-lt", "Version": "2"})
        self.wait_members(3)
        on_v2 = next(i for i in in_service(self.asg) if i not in first)
        self.asg.update_auto_scaling_group(AutoScalingGroupName=GROUP, DesiredCapacity=4,
                                           LaunchTemplate={"LaunchTemplateName": "prod-lt", "Version": "1"})
        self.wait_members(4)
        on_v1 = next(i for i in in_service(self.asg) if i not in first and i != on_v2)
        g = {i["InstanceId"]: i for i in group(self.asg)["Instances"]}
        self.assertEqual((g[on_v2]["AvailabilityZone"], g[on_v2]["LaunchTemplate"]["Version"]), ("us-east-1a", "2"))
        self.assertEqual((g[on_v1]["AvailabilityZone"], g[on_v1]["LaunchTemplate"]["Version"]), ("us-east-1a", "1"))
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=3)
        self.wait_members(3)
        self.assertNotIn(on_v1, states(self.asg))
        self.assertIn(on_v2, states(self.asg))

    def test_the_audit_flags_protection_left_on_new_members(self):
        """Per-instance protection is configuration: an old member's change shows
        unless put back, and a new member must keep what the group gave it."""
        self.start(instances=2)
        old = in_service(self.asg)
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=3)
        self.wait_members(3)
        new = next(i for i in in_service(self.asg) if i not in old)
        self.protect(old + [new])
        fields = {c["field"] for c in self.sim.ledger(timeline=False)["group_config_changes"]}
        self.assertTrue({f"ProtectedFromScaleIn[{i}]" for i in old + [new]} <= fields, fields)
        self.protect(old, on=False)
        led = self.sim.ledger(timeline=False)
        fields = {c["field"] for c in led["group_config_changes"]}
        self.assertIn(f"ProtectedFromScaleIn[{new}]", fields, "left protected")
        self.assertFalse({f"ProtectedFromScaleIn[{i}]" for i in old} & fields, "put back")
        self.assertFalse(led["ok"])
        self.protect([new], on=False)
        fields = {c["field"] for c in self.sim.ledger(timeline=False)["group_config_changes"]}
        self.assertFalse(any(f.startswith("ProtectedFromScaleIn[") for f in fields), fields)

    def test_ecs_protects_an_instance_before_placing_a_task_on_it(self):
        """managed-termination-protection.html: ECS "first turns on the instance
        scale-in protection ... Then, Amazon ECS places the tasks": an instance
        ECS unprotected while empty is protected as a task lands on it, not up
        to a minute later."""
        self.start(instances=3, tasks=6, auto_scaling_groups=[PROVIDER_GROUP])
        self.ecs = self.sim.client("ecs")
        old = set(states(self.asg))
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
        advance(self.sim, 120)
        new = (set(states(self.asg)) - old).pop()
        prot = {i["InstanceId"]: i["ProtectedFromScaleIn"] for i in group(self.asg)["Instances"]}
        self.assertFalse(prot[new], "ECS unprotects an empty instance")
        seen = len(self.sim.ledger()["timeline"])
        self.ecs.update_service(cluster="prod", service="web", desiredCount=12)
        advance(self.sim, 30)
        timeline = self.sim.ledger()["timeline"][seen:]
        placed = [e["t"] for e in timeline if e["event"] == "task_pending" and e.get("instance") == new]
        protected = [e["t"] for e in timeline if e["event"] == "ecs_scale_in_protection"
                     and e["instance"] == new and e["protected"]]
        self.assertTrue(placed, "tasks placed on the new instance")
        self.assertTrue(protected, "protected")
        # The same moment (the ledger's clock runs on while moto builds the task).
        self.assertAlmostEqual(protected[0], placed[0], delta=0.5, msg="protected as the first task was placed")

    def test_standby_and_terminating_members_are_not_counted(self):
        """The desired capacity counts Pending and InService members only: a
        Standby member is neither counted nor scaled in, and one already
        Terminating (held by a hook) is not taken twice."""
        self.start(instances=4)
        self.asg.put_lifecycle_hook(AutoScalingGroupName=GROUP, LifecycleHookName="drain",
                                    LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
                                    HeartbeatTimeout=600, DefaultResult="CONTINUE")
        # Standby can leave a zone short; AZRebalance would then launch (not what is looked at here).
        self.asg.suspend_processes(AutoScalingGroupName=GROUP, ScalingProcesses=["AZRebalance"])
        a, b, c, d = in_service(self.asg)
        self.asg.enter_standby(AutoScalingGroupName=GROUP, InstanceIds=[a], ShouldDecrementDesiredCapacity=True)
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=b, ShouldDecrementDesiredCapacity=True)
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2)
        self.assertEqual(states(self.asg)[b], "Terminating:Wait")
        self.asg.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
        victim = self.sim.wait_until(lambda: next((i for i in (c, d) if states(self.asg)[i] != "InService"), None),
                                     message="one of the two InService members goes")
        self.sim.sleep(30)
        now = states(self.asg)
        self.assertEqual((now[a], now[b], now[victim]), ("Standby", "Terminating:Wait", "Terminating:Wait"))
        self.assertEqual(len(in_service(self.asg)), 1, "one victim: the Standby and Terminating ones do not count")

    def test_desired_capacity_bounds(self):
        self.start(instances=2)
        self.asg.update_auto_scaling_group(AutoScalingGroupName=GROUP, MinSize=2)
        code, msg = self.error(self.asg.set_desired_capacity, AutoScalingGroupName=GROUP, DesiredCapacity=1)
        self.assertEqual((code, msg), ("ValidationError", "New SetDesiredCapacity value 1 is below min value 2 "
                                                          "for the AutoScalingGroup."))
        code, msg = self.error(self.asg.set_desired_capacity, AutoScalingGroupName=GROUP, DesiredCapacity=13)
        self.assertEqual((code, msg), ("ValidationError", "New SetDesiredCapacity value 13 is above max value 12 "
                                                          "for the AutoScalingGroup."))
        self.assertEqual(group(self.asg)["DesiredCapacity"], 2)


if __name__ == "__main__":
    testlib.main()
