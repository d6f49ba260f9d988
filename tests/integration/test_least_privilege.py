"""Least privilege, enforced for real: the simulator authenticates every request
and evaluates IAM policies as AWS does (Simulator(iam_auth=True), see
tests/sim/iam_auth.py), and the helper runs as an IAM user holding only the
policy modules/ecs-cluster outputs (rollout_iam_policy_json, rendered by
Terraform for this cluster: module_policy.py, without the module's capacity
provider, whose statements are for shapes the helper does not roll yet).

- With that policy a full rollout succeeds, and it uses every action the
  policy grants: nothing in the policy is spare.
- With any one action taken out the helper fails, names the missing
  permission and says it is a permissions problem; before any change it
  exits 3, after changes it rolls back (1) or stops resumable (4), and the
  cluster keeps serving: no task killed, no service below its minimum,
  nothing left DRAINING.

The scenario makes the rollout use everything: a capacity provider on the
cluster (DescribeCapacityProviders), a standalone task and --standalone-tasks
stop (StopTask), --ami (DescribeLaunchTemplateVersions, DescribeInstances), a
MaxSize that must be raised (UpdateAutoScalingGroup)."""
import unittest

import module_policy
import testlib
from rollout import Checks, group, new_template_version, run, scenario
from sim import Simulator
from sim.testing import AMI_NEW, iam_user

CLUSTER = "prod"   # the module names the group after the cluster
WRITES = {"autoscaling:SetDesiredCapacity", "autoscaling:UpdateAutoScalingGroup",
          "autoscaling:TerminateInstanceInAutoScalingGroup", "autoscaling:SuspendProcesses",
          "autoscaling:ResumeProcesses", "autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags",
          "ecs:UpdateContainerInstancesState", "ecs:StopTask"}


def cluster_scenario():
    sc = scenario(instances=2, tasks=4, task_definitions=[
        {"family": "web", "cpu": 256, "memory": 512}, {"family": "batch", "cpu": 128, "memory": 128}])
    sc["auto_scaling_groups"][0].update(name=CLUSTER, max=3)
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
        ecs = sim.client("ecs")
        arn = group(sim.client("autoscaling"), CLUSTER)["AutoScalingGroupARN"]
        ecs.create_capacity_provider(name="prod-cp", autoScalingGroupProvider={
            "autoScalingGroupArn": arn, "managedScaling": {"status": "DISABLED"},
            "managedTerminationProtection": "DISABLED"})
        ecs.put_cluster_capacity_providers(cluster=CLUSTER, capacityProviders=["prod-cp"],
                                           defaultCapacityProviderStrategy=[])
        sim.audit_baseline()  # the capacity provider is the cluster as found, not a change of the rollout's
        return sim

    def rollout(self, sim, policy):
        key, secret = iam_user(sim, "roller", policy)
        before = dict(sim.ledger(timeline=False)["api_calls"])
        r = run(sim, "--standalone-tasks", "stop", "--ami", AMI_NEW, "--instance-timeout", "5",
                "--drain-timeout", "5", asg=CLUSTER, cluster=CLUSTER,
                env={"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})
        after = dict(sim.ledger(timeline=False)["api_calls"])
        called = {a for a, n in after.items() if n > before.get(a, 0)}
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
            self.assertClean(sim, asg_name=CLUSTER, cluster=CLUSTER, desired=2, max_size=3, led=led)
        else:
            # Stopped part-way; the state stays on the group for the next run.
            self.assertEqual(r.done()["result"], "stuck", r)
            self.assertIn("run the same command again", r.done()["message"])
            self.assertIn("ecs-rollout:original", {t["Key"] for t in g["Tags"]})

if __name__ == "__main__":
    testlib.main()
