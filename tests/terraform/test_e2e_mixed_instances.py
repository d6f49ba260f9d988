"""examples/local-simulator with a weighted mixed instances policy whose
Graviton override names its own launch template (the module's per-family
templates), applied by the real terraform and AWS provider against the
cluster simulator, the rollout running inside `terraform apply`:

  1 create       x86 t3.micro (1 unit) and Graviton t4g.medium (2 units, its
                 own template and arm64 AMI), 4 units: one On-Demand t3.micro,
                 the rest Spot spread over both types (t3.micro, t4g.medium)
  2 family AMI   only the Graviton template gets a new AMI: its instances are
                 replaced, the x86 ones stay (they are current)
  3 main AMI     the main template gets a new AMI: the x86 instances are
                 replaced
  4 destroy      nothing is left

After each rollout: every instance current, no task killed, the group's sizes,
processes and tags restored, and the zones even by instance count (Auto
Scaling balances them by count whatever the weights: an uneven group would be
rebalanced, undrained, once AZRebalance resumes; the simulator models that).

The configuration is the example's, with a `mixed_override.tf` (a Terraform
override file: it replaces the module's cluster_mixed_instances_policy
argument) and a variable of its own for the Graviton AMI. The capacity
provider's managed scaling, protection and draining are off (their walk is
test_e2e_local_simulator's): its reservation metric counts instances while this
group's desired capacity counts units, and this walk is about the units. One walk in setUpClass (about three minutes); each test checks one
step's record. The helper is the sanitizer build when it exists."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402
from e2elib import AMI_A, AMI_B, Snapshot, Walk, Workspace, leftovers, start_simulator  # noqa: E402
from sim.testing import container_instances, group  # noqa: E402

CLUSTER = "e2e-mixed"
SERVICE = f"{CLUSTER}-web"
ARM_A = "ami-0e5e5e5e5e5e5e5e5"
ARM_B = "ami-0f6f6f6f6f6f6f6f6"
SIZES = {"cluster_min_size": 4, "cluster_max_size": 12}
# What the simulator's timeline tells of a rollout, for a failure's message.
TOLD = ("instance_launched", "instance_terminating", "desired_capacity", "az_rebalance", "group_changed",
        "container_instance_draining", "abrupt_kill")

MIXED_TF = '''variable "arm64_ami" {
  description = "AMI of the Graviton family's launch template (tests/terraform/test_e2e_mixed_instances.py)."
  type        = string
}
'''

MIXED_OVERRIDE_TF = '''module "ecs_cluster" {
  cluster_mixed_instances_policy = {
    instance_types = [
      { instance_type = "t3.micro", weighted_capacity = 1 },
      { instance_type = "t4g.medium", weighted_capacity = 2, launch_template = "arm64" },
    ]
    launch_templates = {
      arm64 = { ami = var.arm64_ami }
    }
    on_demand_base_capacity                  = 1
    on_demand_percentage_above_base_capacity = 0
  }
}
'''


def serving(sim, tasks):
    """Every member InService and registered ACTIVE, the units at the desired
    capacity at least, the service at `tasks` running."""
    asg, ecs = sim.client("autoscaling"), sim.client("ecs")

    def ready():
        g = group(asg, CLUSTER)
        units = sum(int(i.get("WeightedCapacity") or 1) for i in g["Instances"])
        if units < g["DesiredCapacity"] or any(i["LifecycleState"] != "InService" for i in g["Instances"]):
            return False
        active = {c["ec2InstanceId"] for c in container_instances(ecs, CLUSTER) if c["status"] == "ACTIVE"}
        if not {i["InstanceId"] for i in g["Instances"]} <= active:
            return False
        svc = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
        return svc["runningCount"] == tasks and svc["pendingCount"] == 0
    return sim.wait_until(ready, timeout=120, message=f"{CLUSTER} serving {tasks} tasks")


def templates(snap):
    """{instance id: (launch template name, version)} as the group reports them."""
    return {i["InstanceId"]: (i["LaunchTemplate"]["LaunchTemplateName"], i["LaunchTemplate"]["Version"])
            for i in snap.group["Instances"]}


def zone_counts(snap):
    return {z: sum(1 for i in snap.group["Instances"] if i["AvailabilityZone"] == z)
            for z in snap.group["AvailabilityZones"]}


class MixedInstancesWalk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tflib.terraform_bin()
        tflib.plugin_dir()
        cls.tmp = tflib.TempDir("tf-e2e-mixed-")
        cls.sim = start_simulator()
        try:
            cls.walk = Walk()
            cls.workdir = tflib.copy_tree(cls.tmp.path / "repo") / "examples" / "local-simulator"
            (cls.workdir / "mixed.tf").write_text(MIXED_TF)
            (cls.workdir / "mixed_override.tf").write_text(MIXED_OVERRIDE_TF)
            env = tflib.env(cls.tmp.path)
            cls.ws = Workspace(cls.workdir, cls.sim, env, dict(SIZES, **{
                "aws_endpoint_url": cls.sim.endpoint,
                "cluster_name": CLUSTER,
                "capacity_provider_managed": False,
                "rollout_helper_path": testlib.helper_bin(),
            }))
            cls.ws.init()
            cls._walk()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "ws", None):
            cls.ws.close()
        cls.sim.stop()
        cls.tmp.cleanup()

    @classmethod
    def _walk(cls):
        sim, ws, walk = cls.sim, cls.ws, cls.walk

        def snap():
            return Snapshot(sim, CLUSTER, CLUSTER)

        def create():
            run = ws.apply(cluster_instance_ami=AMI_A, arm64_ami=ARM_A)
            if run.rc != 0:
                return {"run": run, "stop": f"the first apply failed: {run!r}"}
            serving(sim, 2)
            sim.audit_baseline()
            return {"run": run, "after": snap()}

        def rollout(step, **variables):
            before = snap()
            t0 = sim.ledger()["timeline"][-1]["t"]
            run = ws.apply(**variables)
            facts = {"run": run, "before": before}
            if run.rc != 0:
                facts["stop"] = f"the {step} apply failed: {run!r}"
                return facts
            serving(sim, 2)
            facts["after"] = snap()
            facts["timeline"] = [e for e in sim.ledger()["timeline"] if e["t"] > t0 and e["event"] in TOLD]
            return facts

        def destroy():
            run = ws.destroy(cluster_instance_ami=AMI_B, arm64_ami=ARM_B)
            return {"run": run, "leftovers": leftovers(sim)}

        walk.run("create", create)
        walk.run("family_ami", lambda: rollout("family AMI", cluster_instance_ami=AMI_A, arm64_ami=ARM_B))
        walk.run("main_ami", lambda: rollout("main AMI", cluster_instance_ami=AMI_B, arm64_ami=ARM_B))
        walk.stopped = None
        walk.run("destroy", destroy)

    # ---- helpers ---------------------------------------------------------

    def assertRolledOut(self, step, replaced_template, main_ami, arm_ami):
        """The instances launched from `replaced_template` (at its old version)
        were replaced; every instance is current, on its family's AMI."""
        s = self.walk.step(self, step)
        self.assertEqual(s["run"].rc, 0, s["run"])
        before, after = templates(s["before"]), templates(s["after"])
        stale = {i for i, (name, _) in before.items() if name == replaced_template}
        self.assertTrue(stale, f"the walk needs {replaced_template} instances before {step}: {before}")
        self.assertFalse(stale & set(after), f"{step}: out-of-date instances left: {after}")
        self.assertRegex(s["run"].out, r"\(local-exec\): \d\d:\d\d:\d\d done: \d+ instance\(s\) replaced")
        main = self.main_template(s["after"])
        amis = s["after"].amis()
        self.assertEqual(amis, {i: main_ami if name == main else arm_ami for i, (name, _) in after.items()})

    def assertClean(self, step):
        s = self.walk.step(self, step)
        snap = s["after"]
        led = snap.ledger
        self.assertEqual(led["abrupt_kills"], [], "tasks were killed abruptly; the helper said:\n" +
                         "\n".join(s["run"].local_exec_lines()) + "\nand the simulator:\n" +
                         "\n".join(json.dumps(e) for e in s["timeline"]))
        svc = [x for x in led["services"] if x["service"] == SERVICE]
        self.assertEqual(len(svc), 1, led["services"])
        self.assertFalse(svc[0]["went_below_allowed"], svc[0])
        self.assertEqual(led["simulator_errors"], [])
        g = snap.group
        self.assertEqual((g["MinSize"], g["MaxSize"], g["DesiredCapacity"]), (4, 12, 4))
        self.assertEqual(snap.suspended(), [])
        self.assertEqual(snap.rollout_tags(), [])
        changes = [c for c in led["group_config_changes"]
                   if c["field"] not in ("LaunchTemplate", "MixedInstancesPolicy")]
        self.assertEqual(changes, [], "the group's configuration changed")
        counts = zone_counts(snap)
        self.assertLessEqual(max(counts.values()) - min(counts.values()), 1,
                             f"zones uneven by count (AZRebalance would act, undrained): {counts}")

    # ---- 1 create --------------------------------------------------------

    def test_1_the_group_mixes_families_with_weights(self):
        s = self.walk.step(self, "create")
        self.assertEqual(s["run"].rc, 0, s["run"])
        g = s["after"].group
        overrides = g["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
        self.assertEqual([(o["InstanceType"], o.get("WeightedCapacity")) for o in overrides],
                         [("t3.micro", "1"), ("t4g.medium", "2")])
        self.assertIn("LaunchTemplateSpecification", overrides[1], "the Graviton override names its template")
        self.assertNotIn("LaunchTemplateSpecification", overrides[0])
        names = {name for name, _ in templates(s["after"]).values()}
        self.assertEqual(len(names), 2, f"instances of both families: {templates(s['after'])}")
        self.assertSays(s["run"], r"nothing to do: all \d+ instance\(s\) are current")

    # ---- 2 family AMI ----------------------------------------------------

    def test_2_a_new_family_ami_replaces_that_family_only(self):
        s = self.walk.step(self, "family_ami")
        arm = {name for name, _ in templates(s["before"]).values() if name != self.main_template(s["before"])}
        self.assertEqual(len(arm), 1, arm)
        self.assertRolledOut("family_ami", arm.pop(), AMI_A, ARM_B)

    def test_2_zero_downtime_group_restored_zones_even(self):
        self.assertClean("family_ami")

    # ---- 3 main AMI ------------------------------------------------------

    def test_3_a_new_main_ami_replaces_the_x86_instances(self):
        s = self.walk.step(self, "main_ami")
        self.assertRolledOut("main_ami", self.main_template(s["before"]), AMI_B, ARM_B)

    def test_3_zero_downtime_group_restored_zones_even(self):
        self.assertClean("main_ami")

    # ---- 4 destroy -------------------------------------------------------

    def test_4_destroy_leaves_nothing(self):
        s = self.walk.step(self, "destroy")
        self.assertEqual(s["run"].rc, 0, s["run"])
        self.assertEqual(s["leftovers"], {})

    def main_template(self, snap):
        return snap.group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateName"]

    def assertSays(self, run, pattern):
        self.assertRegex(run.out, pattern)


if __name__ == "__main__":
    testlib.main()
