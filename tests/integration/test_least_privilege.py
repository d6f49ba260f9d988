"""Least privilege, enforced for real: the simulator authenticates every request
and evaluates IAM policies as AWS does (Simulator(iam_auth=True), see
tests/sim/iam_auth.py), and the helper runs as an IAM user holding only the
policy modules/ecs-cluster outputs (rollout_iam_policy_json, rendered by
Terraform for this cluster: module_policy.py, with the module's defaults: a
capacity provider with managed scaling, termination protection and draining).

- With that policy a full rollout succeeds, and it uses every action the
  policy grants: nothing in the policy is spare.
- With any one action taken out the helper fails, names the missing
  permission and says it is a permissions problem; before any change it
  exits 3, after changes it rolls back (1) or stops resumable (4), and the
  cluster keeps serving: no task killed, no service below its minimum,
  nothing left DRAINING.

The scenario makes the rollout use everything: the module's capacity provider
on the group (DescribeCapacityProviders; managed scaling's target tracking
policy and its alarms, DescribeAlarms; managed draining's lifecycle hook), a
standalone task and --standalone-tasks stop (StopTask), --ami
(DescribeLaunchTemplateVersions, DescribeInstances), a MaxSize that must be
raised (UpdateAutoScalingGroup)."""
import unittest

import module_policy
import testlib
from rollout import Checks, group, new_template_version, run, scenario
from sim import Simulator
from sim.iam_auth import IAM_PREFIXES
from sim.testing import AMI_NEW, iam_user


def iam_action(call):
    prefix, _, name = call.partition(":")
    return f"{IAM_PREFIXES.get(prefix, prefix)}:{name}"


CLUSTER = "prod"   # the module names the group after the cluster
WRITES = {"autoscaling:SetDesiredCapacity", "autoscaling:UpdateAutoScalingGroup",
          "autoscaling:TerminateInstanceInAutoScalingGroup", "autoscaling:SuspendProcesses",
          "autoscaling:ResumeProcesses", "autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags",
          "ecs:UpdateContainerInstancesState", "ecs:StopTask"}


def cluster_scenario():
    sc = scenario(instances=2, tasks=4, task_definitions=[
        {"family": "web", "cpu": 256, "memory": 512}, {"family": "batch", "cpu": 128, "memory": 128}])
    # As the module makes it (capacity_provider_* defaults, managed scaling at
    # a target capacity of 100 %).
    sc["auto_scaling_groups"][0].update(
        name=CLUSTER, max=3, protect_from_scale_in=True,
        capacity_provider={"name": "prod-cp", "managed_scaling": True, "target_capacity": 100,
                           "managed_termination_protection": True, "managed_draining": True})
    sc["tasks"] = [{"cluster": CLUSTER, "task_definition": "batch", "count": 1}]
    return sc


class LeastPrivilege(Checks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.policy = module_policy.render(CLUSTER)
        cls.actions = module_policy.actions(cls.policy)

    def start(self):
        sim = Simulator(scenario=cluster_scenario(), time_scale=0.01, iam_auth=True).start()
        new_template_version(sim)
        return sim

    def rollout(self, sim, policy):
        key, secret = iam_user(sim, "roller", policy)
        before = dict(sim.ledger(timeline=False)["api_calls"])
        r = run(sim, "--standalone-tasks", "stop", "--ami", AMI_NEW, "--instance-timeout", "5",
                "--drain-timeout", "5", asg=CLUSTER, cluster=CLUSTER,
                env={"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})
        after = dict(sim.ledger(timeline=False)["api_calls"])
        # The ledger names calls by signing name: IAM by the service's prefix
        # (CloudWatch signs as monitoring, its actions are cloudwatch:).
        called = {iam_action(a) for a, n in after.items() if n > before.get(a, 0)}
        return r, called

    def test_the_modules_policy_is_scoped_to_the_cluster_and_group(self):
        scoped = [s for s in self.policy["Statement"] if s["Resource"] != "*"]
        self.assertTrue(scoped)
        for st in scoped:
            for res in st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]:
                self.assertTrue(res.endswith(f"autoScalingGroupName/{CLUSTER}") or f":cluster/{CLUSTER}" in res
                                or f"/{CLUSTER}/" in res, res)

    def test_a_full_rollout_with_exactly_the_modules_policy(self):
        sim = self.start()
        self.addCleanup(sim.stop)
        r, called = self.rollout(sim, self.policy)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.done()["tasks_stopped"], 1)
        self.assertZeroDowntime(sim)
        self.assertClean(sim, asg_name=CLUSTER, cluster=CLUSTER, desired=2, max_size=3)
        self.assertEqual(sim.ledger(timeline=False)["simulator_errors"], [])
        # Everything the helper called is granted, and everything granted was used.
        self.assertEqual(sorted(called - set(self.actions)), [])
        self.assertEqual(sorted(set(self.actions) - called), [])

    def test_each_action_taken_out_is_named_and_the_cluster_keeps_serving(self):
        for action in self.actions:
            with self.subTest(action=action):
                sim = self.start()
                try:
                    self.check_without(sim, action)
                finally:
                    sim.stop()

    def check_without(self, sim, action):
        g0 = group(sim.client("autoscaling"), CLUSTER)
        r, called = self.rollout(sim, module_policy.without(self.policy, action))
        out = r.stdout + r.stderr
        self.assertIn(r.rc, (1, 3, 4), r)
        self.assertIn(f"not allowed {action}", out, r)
        self.assertIn("This is a permissions problem", out, r)
        self.assertIn(action, called)
        led = self.assertZeroDowntime(sim)
        self.assertEqual(led["instances_left_draining"], [], r)
        for svc in sim.state()["services"]:
            self.assertEqual(svc["running"], svc["desired"], svc)
        g = group(sim.client("autoscaling"), CLUSTER)
        if r.rc == 3:
            # Refused before any change: the group is as it was.
            self.assertEqual((g["DesiredCapacity"], g["MaxSize"], g["SuspendedProcesses"], g["Tags"]),
                             (g0["DesiredCapacity"], g0["MaxSize"], g0["SuspendedProcesses"], g0["Tags"]))
            self.assertEqual(called & WRITES - {action}, set(), r)
        elif r.rc == 1:
            self.assertEqual(r.done()["result"], "rolled-back")
            self.assertClean(sim, asg_name=CLUSTER, cluster=CLUSTER, desired=2, max_size=3, led=led,
                             config_unchanged=False)
            # The group as it was, but for per-instance scale-in protection:
            # with managed termination protection ECS sets it on instances
            # that run tasks and lifts it from those that do not, and tasks
            # moved during the drain stay where they went (ECS Developer Guide,
            # "Managed termination protection").
            changes = [c for c in led["group_config_changes"] if c["group"] == CLUSTER
                       and c["field"] != "ProtectedInstances" and not c["field"].startswith("ProtectedFromScaleIn[")]
            self.assertEqual(changes, [])
        else:
            # Stopped part-way; the state stays on the group for the next run.
            self.assertEqual(r.done()["result"], "stuck", r)
            self.assertIn("run the same command again", r.done()["message"])
            self.assertIn("ecs-rollout:original", {t["Key"] for t in g["Tags"]})

if __name__ == "__main__":
    testlib.main()
