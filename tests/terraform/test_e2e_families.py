"""examples/local-simulator with a family launch template, applied by the real
terraform and AWS provider against the cluster simulator (issue 12), in one
walk of its own beside test_e2e_local_simulator.py's (the same set-up and
checks: its WalkChecks):

  create        apply with AMI D, one instance type: the cluster, group and
                service come up, on the module's default capacity provider
  8 families    apply with AMI A and a mixed instances policy of t4g.micro
                from its own launch template ("arm64", AMI B) ahead of
                t3.micro from the main one, all Spot: the rollout replaces
                both instances, and Auto Scaling launches one of each family
  9 family AMI  apply with only the arm64 template's AMI changed (C): the
                rollout replaces exactly the instance launched from that
                override, once, and judges both the t3.micro instance and the
                new arm64 one current (issue 12: it must never loop)
 10 no change   apply again: the plan is empty, no rollout, no AWS write
 11 destroy     nothing is left in the simulator

The numbers are those of the steps in the walk they were part of; the main
template is at version 2 here (create, then the families' apply). The helper
is the sanitizer build (rollout_helper_path)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
from e2elib import AMI_A, AMI_B, AMI_C, AMI_D, leftovers, members  # noqa: E402
from test_e2e_local_simulator import (CLUSTER, FAMILY, FAMILY_TYPE, MAIN_TYPE, SERVICE,  # noqa: E402
                                      WalkChecks, families)


class FamiliesWalk(WalkChecks, unittest.TestCase):
    TMP_PREFIX = "tf-e2e-families-"

    @classmethod
    def _walk(cls):
        sim, ws, walk = cls.sim, cls.ws, cls.walk

        def mixed_step(family_ami, failed):
            # The group audit counts from here: this step's launches alone.
            sim.audit_baseline()
            facts = cls._apply_step(failed, managed=True, **families(family_ami))
            facts["members"] = members(sim, CLUSTER)
            return facts

        def family_no_change():
            return cls._apply_step(**families(AMI_C))

        def destroy():
            run = ws.destroy(**families(AMI_C))
            return {"run": run, "leftovers": leftovers(sim)}

        walk.run("create", lambda: cls._create(AMI_D))
        walk.run("families", lambda: mixed_step(AMI_B, "the apply with a family launch template failed"))
        walk.run("family_ami", lambda: mixed_step(AMI_C, "the apply with a new family AMI failed"))
        walk.run("family_no_change", family_no_change)
        walk.stopped = None  # destroy whatever exists, whatever happened before
        walk.run("destroy", destroy)

    def test_create_brings_up_the_cluster_on_one_instance_type(self):
        s = self.walk.step(self, "create")
        self.assertEqual(s["run"].rc, 0, s["run"])
        self.assertServing(s["after"], 1, AMI_D)
        self.assertGroupRestored(s["after"])

    # ---- 8 families ------------------------------------------------------

    def assertOneOfEachFamily(self, step, family_version, family_ami):
        """One t4g.micro from the family template at family_version, one
        t3.micro from the main template at version 2, each with its AMI, as
        DescribeAutoScalingGroups, DescribeAutoScalingInstances and EC2 report
        them (members()); both serving."""
        s = self.walk.step(self, step)
        lt_id = s["after"].group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"][
            "LaunchTemplateId"]
        got = sorted((m["InstanceType"], m["LaunchTemplateId"] == lt_id, m["Version"], m["ImageId"])
                     for m in s["members"].values())
        self.assertEqual(got, sorted([(FAMILY_TYPE, False, str(family_version), family_ami),
                                      (MAIN_TYPE, True, "2", AMI_A)]), s["members"])
        for m in s["members"].values():
            self.assertEqual((m["AutoScalingInstances"], m["Market"]), ("same", "spot"), m)
            self.assertEqual(m["LaunchTemplateName"].startswith(f"{CLUSTER}-{FAMILY}-"),
                             m["InstanceType"] == FAMILY_TYPE, m)
        self.assertEqual(s["after"].amis(), {i: m["ImageId"] for i, m in s["members"].items()})
        svc = [x for x in s["after"].services if x["serviceName"] == SERVICE][0]
        self.assertEqual((svc["runningCount"], svc["desiredCount"]), (2, 2))

    def assertReplacedOnce(self, step, old, launched, remaining):
        s = self.walk.step(self, step)
        repl = [r for r in s["after"].ledger["replacements"] if r["group"] == CLUSTER]
        self.assertEqual(len(repl), 1, s["after"].ledger["replacements"])
        self.assertEqual((repl[0]["old"], repl[0]["launched"], repl[0]["old_remaining"]),
                         (old, launched, remaining), repl[0])
        self.assertIsNone(repl[0]["problem"])
        # Terraform's own change (the templates) aside, the group is as found.
        changes = [c for c in s["after"].ledger["group_config_changes"]
                   if c["field"] not in ("LaunchTemplate", "MixedInstancesPolicy")]
        self.assertEqual(changes, [], "the group's configuration changed")
        self.assertEqual(s["managed"], self.walk.step(self, "create")["managed"])

    def test_8_a_family_launch_template_rolls_out_one_instance_of_each_family(self):
        s = self.walk.step(self, "families")
        self.assertEqual(s["run"].rc, 0, s["run"])
        self.assertSays(s["run"], r"\(local-exec\): \d\d:\d\d:\d\d done: 2 instance\(s\) replaced, 2 launched")
        self.assertOneOfEachFamily("families", 1, AMI_B)
        self.assertReplacedOnce("families", 2, 2, [])
        self.assertGroupRestored(s["after"])
        self.assertZeroDowntime(s["after"].ledger)

    # ---- 9 family AMI ----------------------------------------------------

    def test_9_new_family_ami_replaces_only_that_familys_instance_once(self):
        s = self.walk.step(self, "family_ami")
        run, before = s["run"], self.walk.step(self, "families")
        self.assertEqual(run.rc, 0, run)
        self.assertRolloutInsideApply(run, done="done: 1 instance(s) replaced")
        self.assertSays(run, r"\(local-exec\): \d\d:\d\d:\d\d done: 1 instance\(s\) replaced, 1 launched")
        self.assertOneOfEachFamily("family_ami", 2, AMI_C)
        old_family = [i for i, m in before["members"].items() if m["InstanceType"] == FAMILY_TYPE]
        old_main = [i for i, m in before["members"].items() if m["InstanceType"] == MAIN_TYPE]
        # The t3.micro instance, current on the main template, was left alone.
        self.assertEqual(sorted(s["after"].instance_ids()), sorted(old_main + [
            i for i, m in s["members"].items() if m["InstanceType"] == FAMILY_TYPE]))
        self.assertNotIn(old_family[0], s["after"].instance_ids())
        self.assertReplacedOnce("family_ami", 2, 1, old_main)
        self.assertGroupRestored(s["after"])
        self.assertZeroDowntime(s["after"].ledger)

    # ---- 10 no change ----------------------------------------------------

    def test_10_apply_after_the_family_rollout_changes_nothing(self):
        self.assertNoChangeApply("family_no_change")

    # ---- 11 destroy ------------------------------------------------------

    def test_11_destroy_leaves_nothing_behind(self):
        s = self.walk.step(self, "destroy")
        self.assertEqual(s["run"].rc, 0, s["run"])
        self.assertSays(s["run"], r"Destroy complete!")
        self.assertEqual(s["leftovers"], {})


if __name__ == "__main__":
    testlib.main()
