"""examples/local-simulator applied by the real terraform and AWS provider
against the cluster simulator, as a user would, in one walk:

  1 create      apply with AMI A: the cluster, group and service come up, on
                the module's default capacity provider: managed scaling (ECS's
                target tracking policy on the group), managed termination
                protection, managed draining (ECS's termination hook)
  2 new AMI     apply with AMI B: the rollout runs inside apply and replaces
                every instance with zero downtime; its --report argument is
                full of shell metacharacters and becomes a file name verbatim;
                the capacity provider, ECS's policy and hook, the protection
                and the suspended processes are as the rollout found them
                (the simulator's group audit, and the APIs)
  3 no change   apply again: the plan is empty, no rollout, no AWS write
  4 interrupted apply with AMI C, Ctrl-C (SIGINT to terraform's process group)
                once the rollout has launched new instances: apply fails, the
                old instances still serve, the rollout's state stays on the group
  5 resumed     apply again: the plan leaves what the rollout owns alone, the
                tainted rollout resource is replaced and the helper finishes
                the interrupted rollout
  6 failure     apply with AMI D while new instances never register: apply
                fails with the helper's message, the cluster serves as before
  7 recovery    apply again without the fault: the tainted rollout resource is
                replaced and the rollout finishes
Steps 8-11 (a family launch template, its new AMI, no change, destroy) are
test_e2e_families.py, a walk of its own beside this one (tests/run runs them
side by side). This walk ends without a destroy: its simulator goes with it.

The walk runs once (setUpClass, about a minute and a half: terraform and the AWS
provider cost ~4 s of CPU per command, the provider's endpoints block given to it
through its environment: e2elib.Workspace); each test checks one step's record.
The helper is the sanitizer build (rollout_helper_path), so memory errors on
this path fail the walk."""
import os
import pathlib
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402
from e2elib import (AMI_A, AMI_B, AMI_C, AMI_D, HELPER_LINE, Snapshot, Walk, Workspace,  # noqa: E402
                    managed_capacity, start_simulator, wait_until_serving, writes_between)

CLUSTER = "e2e-cluster"
# test_e2e_families.py: a Graviton family with its own launch template ahead of the main
# template's type, all Spot, so that Auto Scaling spreads the two instances over
# both (mixed.py); the main template keeps one AMI throughout.
FAMILY = "arm64"
FAMILY_TYPE = "t4g.micro"
MAIN_TYPE = "t3.micro"


def families(family_ami):
    return {"cluster_instance_ami": AMI_A, "cluster_instance_types": [MAIN_TYPE],
            "cluster_family_launch_templates": {FAMILY: {"ami": family_ami, "instance_types": [FAMILY_TYPE]}},
            "cluster_on_demand_percentage": 0}
SERVICE = f"{CLUSTER}-web"
# An argument a shell would run three commands from; the helper must receive it
# as one argument and write its report to a file of exactly this name.
NASTY_REPORT_NAME = "report;touch PWNED-semicolon;$(touch PWNED-subst)`touch PWNED-backtick`|touch PWNED-pipe&.html"
# What ECS puts on the group for the module's default capacity provider
# (capacity_providers.py in the simulator, from AWS's documents).
ECS_POLICY_PREFIX = "ECSManagedAutoScalingPolicy-"
ECS_DRAINING_HOOK = "ecs-managed-draining-termination-hook"


def ecs_has_set_up(state, protected):
    """ECS has put its policy and hook on the group and swept scale-in
    protection over its instances (once a minute: a loaded machine may need
    a moment)."""
    return (any(n.startswith(ECS_POLICY_PREFIX) for n in state["scaling_policies"])
            and ECS_DRAINING_HOOK in state["lifecycle_hooks"] and state["protected_instances"] == protected)


def settled_managed_capacity(sim, expected, timeout=60):
    """managed_capacity() once it equals `expected` (ECS's protection sweep
    over new instances runs once an AWS minute), or as it is at the timeout:
    the test compares, the walk goes on."""
    deadline = time.monotonic() + timeout
    while True:
        state = managed_capacity(sim, CLUSTER, CLUSTER)
        if state == expected or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


class WalkChecks:
    """The walk's set-up and the checks both walks of the example share
    (this one, steps 1-7, and test_e2e_families.py, steps 8-11): a subclass
    sets TMP_PREFIX and _walk()."""

    TMP_PREFIX = "tf-e2e-"

    @classmethod
    def setUpClass(cls):
        tflib.terraform_bin()
        tflib.plugin_dir()
        cls.tmp = tflib.TempDir(cls.TMP_PREFIX)
        cls.sim = start_simulator()
        try:
            cls.walk = Walk()
            cls.reports = cls.tmp.path / "reports"
            cls.reports.mkdir()
            cls.workdir = tflib.copy_tree(cls.tmp.path / "repo") / "examples" / "local-simulator"
            env = tflib.env(cls.tmp.path)
            cls.ws = Workspace(cls.workdir, cls.sim, env, {
                "aws_endpoint_url": cls.sim.endpoint,
                "cluster_name": CLUSTER,
                "rollout_helper_path": testlib.helper_bin(),
            })
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
    def _create(cls, ami):
        """The first apply: the cluster, group and service come up on `ami`, and
        ECS sets up its policy, hook and protection on the group."""
        sim, ws = cls.sim, cls.ws
        run = ws.apply(cluster_instance_ami=ami)
        if run.rc != 0:
            return {"run": run, "stop": f"the first apply failed: {run!r}"}
        wait_until_serving(sim, CLUSTER, CLUSTER, SERVICE, 2, 1)
        sim.wait_until(lambda: ecs_has_set_up(managed_capacity(sim, CLUSTER, CLUSTER), 2), timeout=60,
                       message="ECS's policy, draining hook and scale-in protection on the group")
        # The group audit's "before": the cluster as terraform made it.
        sim.audit_baseline()
        return {"run": run, "after": cls._snap(), "managed": managed_capacity(sim, CLUSTER, CLUSTER)}

    @classmethod
    def _snap(cls):
        return Snapshot(cls.sim, CLUSTER, CLUSTER)

    @classmethod
    def _apply_step(cls, failed=None, managed=False, **variables):
        """A step's apply of `variables`, between two snapshots: {"run",
        "before", "after"}, with "managed" (ECS's set-up on the group, once
        settled, before "after" is taken) when asked; `failed` names the step's
        failure, which stops the walk when the apply fails."""
        before = cls._snap()
        run = cls.ws.apply(**variables)
        facts = {"run": run, "before": before}
        if managed:
            facts["managed"] = settled_managed_capacity(cls.sim, cls.walk.steps["create"]["managed"])
        facts["after"] = cls._snap()
        if failed and run.rc != 0:
            facts["stop"] = f"{failed}: {run!r}"
        return facts

    def assertSays(self, run, pattern, text=None):
        """pattern (a regular expression) matches terraform's output (or text);
        on failure shows the end of the output rather than all of it."""
        if not re.search(pattern, run.out if text is None else text):
            self.fail(f"no match for {pattern!r} in the output of {run!r}")

    def assertZeroDowntime(self, ledger):
        self.assertEqual(ledger["abrupt_kills"], [], "tasks were killed abruptly")
        services = [s for s in ledger["services"] if s["service"] == SERVICE]
        self.assertEqual(len(services), 1, ledger["services"])
        self.assertFalse(services[0]["went_below_allowed"], services[0])
        # minimumHealthyPercent 100: not one task fewer than desired, ever.
        self.assertFalse(services[0]["went_below_desired"], services[0])
        self.assertEqual(ledger["simulator_errors"], [])

    def assertGroupRestored(self, snap):
        g = snap.group
        self.assertEqual((g["MinSize"], g["MaxSize"], g["DesiredCapacity"]), (2, 4, 2))
        self.assertEqual(len(g["Instances"]), 2)
        self.assertEqual(snap.suspended(), [])
        self.assertEqual(snap.rollout_tags(), [])
        tags = snap.tags()
        self.assertEqual(tags.get("Name"), (CLUSTER, True))
        self.assertEqual(tags.get("Example"), ("local-simulator", True))
        self.assertEqual(snap.ledger["instances_left_draining"], [])
        self.assertEqual([c["ec2InstanceId"] for c in snap.container_instances if c["status"] == "DRAINING"], [])

    def assertManagedCapacityAsFound(self, step):
        """The capacity provider, ECS's policy and hook, NewInstancesProtectedFromScaleIn,
        the suspended processes and the protection of the instances running tasks
        are as after the first apply, through the APIs and in the simulator's group
        audit (which compares every attribute; the launch template version is
        terraform's change)."""
        s = self.walk.step(self, step)
        self.assertEqual(s["managed"], self.walk.step(self, "create")["managed"])
        changes = [c for c in s["after"].ledger["group_config_changes"] if c["field"] != "LaunchTemplate"]
        self.assertEqual(changes, [], "the group's configuration changed")

    def assertNoChangeApply(self, step):
        """An apply with nothing changed: terraform says so, the helper does
        not run, nothing is written to AWS and the instances stay."""
        s = self.walk.step(self, step)
        run = s["run"]
        self.assertEqual(run.rc, 0, run)
        self.assertSays(run, r"No changes\.")
        self.assertEqual(run.local_exec_lines(), [], "the helper must not run")
        self.assertEqual(writes_between(s["before"].api_calls, s["after"].api_calls), {})
        self.assertEqual(s["after"].instance_ids(), s["before"].instance_ids())

    def assertServing(self, snap, version, ami):
        self.assertEqual(set(snap.versions().values()), {str(version)}, snap.group["Instances"])
        self.assertEqual(all(i["LifecycleState"] == "InService" for i in snap.group["Instances"]), True)
        self.assertEqual(snap.amis(), {i: ami for i in snap.instance_ids()})
        svc = [s for s in snap.services if s["serviceName"] == SERVICE][0]
        self.assertEqual((svc["runningCount"], svc["desiredCount"]), (2, 2))

    def assertRolloutInsideApply(self, run, after="aws_autoscaling_group.this: Modifications complete",
                                 done="done: 2 instance(s) replaced"):
        """The helper ran during apply, after `after` (by default: the group got
        its new template version), and finished before apply did."""
        start = run.index(after)
        first_helper_line = next((i for i, line in enumerate(run.lines()) if HELPER_LINE.search(line)), -1)
        done = run.index("(local-exec): ", run.index(done))
        apply_complete = run.index("Apply complete!")
        self.assertGreaterEqual(start, 0, f"no line with {after!r}: {run!r}")
        self.assertGreater(first_helper_line, start, run)
        self.assertGreaterEqual(done, first_helper_line, run)
        self.assertGreater(apply_complete, done, run)


class LocalSimulatorWalk(WalkChecks, unittest.TestCase):
    TMP_PREFIX = "tf-e2e-local-"

    @classmethod
    def _walk(cls):
        sim, ws, walk = cls.sim, cls.ws, cls.walk

        def create():
            return cls._create(AMI_A)

        report = [f"--report={cls.reports / NASTY_REPORT_NAME}"]

        def new_ami():
            return cls._apply_step("the rollout apply failed", managed=True, cluster_instance_ami=AMI_B,
                                   rollout_extra_args=report)

        def no_change():
            return cls._apply_step(cluster_instance_ami=AMI_B, rollout_extra_args=report)

        def interrupted():
            return cls._apply_step(cluster_instance_ami=AMI_C,
                                   interrupt_when=r"\(local-exec\): \d\d:\d\d:\d\d launching 2 new instance\(s\)")

        def resumed():
            return cls._apply_step("the apply after the interruption failed", managed=True,
                                   cluster_instance_ami=AMI_C)

        def failure():
            before = cls._snap()
            # Both new instances of the batch (the whole group) never register.
            sim.set_faults({"cluster": {"never_register": 2}}, replace=True)
            try:
                run = ws.apply(cluster_instance_ami=AMI_D, rollout_instance_timeout=10)
            finally:
                sim.clear_faults()
            managed = settled_managed_capacity(sim, walk.steps["create"]["managed"])
            return {"run": run, "before": before, "after": cls._snap(), "managed": managed}

        def recovery():
            return cls._apply_step(managed=True, cluster_instance_ami=AMI_D)

        walk.run("create", create)
        walk.run("new_ami", new_ami)
        walk.run("no_change", no_change)
        walk.run("interrupted", interrupted)
        walk.run("resumed", resumed)
        walk.run("failure", failure)
        walk.run("recovery", recovery)
        # No destroy: the simulator goes with the walk, and test_e2e_families.py
        # destroys the example (with more in it) and checks nothing is left.

    # ---- 1 create --------------------------------------------------------

    def test_1_create_brings_up_the_cluster_and_its_service(self):
        s = self.walk.step(self, "create")
        self.assertEqual(s["run"].rc, 0, s["run"])
        self.assertServing(s["after"], 1, AMI_A)
        self.assertGroupRestored(s["after"])

    def test_1_create_runs_the_helper_which_finds_nothing_to_do(self):
        s = self.walk.step(self, "create")
        self.assertSays(s["run"], r"\(local-exec\): \d\d:\d\d:\d\d nothing to do: all 2 instance\(s\) are current")

    def test_1_the_cluster_runs_on_the_modules_default_capacity_provider(self):
        m = self.walk.step(self, "create")["managed"]
        self.assertEqual(len(m["capacity_providers"]), 1, m)
        prov = list(m["capacity_providers"].values())[0]
        self.assertEqual(prov["managedScaling"]["status"], "ENABLED", prov)
        self.assertEqual(prov["managedTerminationProtection"], "ENABLED", prov)
        self.assertEqual(prov["managedDraining"], "ENABLED", prov)
        policies = {n: p for n, p in m["scaling_policies"].items() if n.startswith(ECS_POLICY_PREFIX)}
        self.assertEqual([p["metric"] for p in policies.values()], ["CapacityProviderReservation"], m)
        self.assertEqual(m["lifecycle_hooks"][ECS_DRAINING_HOOK]["transition"],
                         "autoscaling:EC2_INSTANCE_TERMINATING", m)
        self.assertTrue(m["new_instances_protected"], m)
        self.assertEqual(m["suspended_processes"], [], m)
        self.assertEqual(m["protected_instances"], 2, "ECS protects the instances that run tasks")

    # ---- 2 new AMI -------------------------------------------------------

    def test_2_new_ami_is_rolled_out_inside_apply(self):
        s = self.walk.step(self, "new_ami")
        run = s["run"]
        self.assertEqual(run.rc, 0, run)
        self.assertRolloutInsideApply(run)
        self.assertSays(run, r"\(local-exec\): \d\d:\d\d:\d\d done: 2 instance\(s\) replaced, 2 launched, "
                             r"2 task\(s\) moved")
        # Plain lines for people, not the JSON of --output json.
        self.assertFalse([line for line in run.local_exec_lines() if line.split("(local-exec): ", 1)[1].startswith("{")])

    def test_2_every_instance_ends_on_the_new_template_version(self):
        s = self.walk.step(self, "new_ami")
        before, after = s["before"], s["after"]
        self.assertServing(after, 2, AMI_B)
        self.assertEqual(after.group["LaunchTemplate"]["Version"], "2")
        self.assertFalse(set(before.instance_ids()) & set(after.instance_ids()),
                         "every instance was replaced")

    def test_2_no_task_was_killed_and_no_service_dipped(self):
        s = self.walk.step(self, "new_ami")
        self.assertZeroDowntime(s["after"].ledger)

    def test_2_group_sizes_processes_and_tags_are_restored(self):
        s = self.walk.step(self, "new_ami")
        self.assertGroupRestored(s["after"])

    def test_2_capacity_provider_policy_hook_and_protection_are_as_found(self):
        self.assertManagedCapacityAsFound("new_ami")

    def test_2_every_old_instance_was_replaced_exactly_once(self):
        s = self.walk.step(self, "new_ami")
        repl = [r for r in s["after"].ledger["replacements"] if r["group"] == CLUSTER]
        self.assertEqual(len(repl), 1, s["after"].ledger["replacements"])
        self.assertEqual((repl[0]["old"], repl[0]["launched"], repl[0]["old_remaining"]), (2, 2, []), repl[0])
        self.assertIsNone(repl[0]["problem"])

    def test_2_extra_argument_with_metacharacters_reaches_the_helper_verbatim(self):
        s = self.walk.step(self, "new_ami")
        report = self.reports / NASTY_REPORT_NAME
        self.assertEqual([p.name for p in self.reports.iterdir()], [NASTY_REPORT_NAME])
        self.assertTrue(report.read_text().lstrip().lower().startswith("<!doctype html"), report)
        pwned = [str(p) for p in self.tmp.path.rglob("PWNED*")]
        pwned += [str(p) for p in pathlib.Path.cwd().glob("PWNED*")]
        self.assertEqual(pwned, [], f"a shell ran part of the argument: {s['run'].out}")

    # ---- 3 no change -----------------------------------------------------

    def test_3_apply_without_changes_runs_no_rollout_and_writes_nothing(self):
        self.assertNoChangeApply("no_change")

    # ---- 4 interrupted ---------------------------------------------------

    def test_4_interrupted_apply_fails_and_the_old_instances_still_serve(self):
        s = self.walk.step(self, "interrupted")
        run, before, after = s["run"], s["before"], s["after"]
        self.assertNotEqual(run.rc, 0, run)
        self.assertSays(run, r"Interrupt received")
        # The rollout had started: its state is on the group, for the next apply.
        self.assertLessEqual({"ecs-rollout:started", "ecs-rollout:target", "ecs-rollout:original"},
                             set(after.rollout_tags()), after.group.get("Tags"))
        self.assertEqual(after.group["LaunchTemplate"]["Version"], "3")
        old = set(before.instance_ids())
        self.assertLessEqual(old, set(after.instance_ids()), "no old instance may be gone yet")
        active = {c["ec2InstanceId"] for c in after.container_instances if c["status"] == "ACTIVE"}
        self.assertLessEqual(old, active, "the old instances must not be draining")
        svc = [x for x in after.services if x["serviceName"] == SERVICE][0]
        self.assertEqual(svc["runningCount"], 2)
        self.assertZeroDowntime(after.ledger)

    # ---- 5 resumed -------------------------------------------------------

    def test_5_next_apply_keeps_the_rollouts_settings_and_finishes_it(self):
        s = self.walk.step(self, "resumed")
        run, before, after = s["run"], s["before"], s["after"]
        self.assertEqual(run.rc, 0, run)
        # The plan carried the live sizes, processes and tags over: the group
        # is not touched while the rollout owns it.
        self.assertNotIn("aws_autoscaling_group.this: Modifying", run.out, run)
        self.assertSays(run, r"terraform_data\.rollout\[0\] is tainted, so must be replaced")
        self.assertSays(run, r"\(local-exec\): \d\d:\d\d:\d\d resuming the rollout of group e2e-cluster started")
        self.assertSays(run, r"\(local-exec\): \d\d:\d\d:\d\d done: ")
        self.assertServing(after, 3, AMI_C)
        self.assertFalse(set(self.walk.steps["interrupted"]["before"].instance_ids()) & set(after.instance_ids()),
                         "every instance from before the interruption was replaced")
        self.assertGroupRestored(after)
        self.assertZeroDowntime(after.ledger)

    def test_5_capacity_provider_policy_hook_and_protection_are_as_found(self):
        self.assertManagedCapacityAsFound("resumed")

    # ---- 6 failure -------------------------------------------------------

    def test_6_failed_rollout_fails_apply_with_the_helpers_message(self):
        s = self.walk.step(self, "failure")
        run = s["run"]
        self.assertNotEqual(run.rc, 0, run)
        flat = " ".join(run.out.split())
        self.assertSays(run, r"local-exec provisioner error", flat)
        self.assertSays(run, r"exit status 1\.", flat)
        self.assertSays(run, r"failed: rollout failed and was rolled back: timed out after 10s: "
                             r"waiting for new instances", flat)

    def test_6_failed_rollout_leaves_the_cluster_serving_as_before(self):
        s = self.walk.step(self, "failure")
        before, after = s["before"], s["after"]
        self.assertEqual(after.instance_ids(), before.instance_ids())
        self.assertServing(after, 3, AMI_C)
        self.assertGroupRestored(after)
        # The group itself has the new template: the next apply must roll it out.
        self.assertEqual(after.group["LaunchTemplate"]["Version"], "4")
        self.assertZeroDowntime(after.ledger)
        # The instances the fault kept from registering were removed again.
        self.assertEqual(len(after.ledger["never_registered"]), 0, after.ledger["never_registered"])

    def test_6_capacity_provider_policy_hook_and_protection_are_as_found(self):
        self.assertManagedCapacityAsFound("failure")

    # ---- 7 recovery ------------------------------------------------------

    def test_7_next_apply_replaces_the_tainted_rollout_and_finishes_it(self):
        s = self.walk.step(self, "recovery")
        run = s["run"]
        self.assertEqual(run.rc, 0, run)
        self.assertSays(run, r"terraform_data\.rollout\[0\] is tainted, so must be replaced")
        # The group got its new template in the failed apply; this one only
        # runs the rollout again.
        self.assertEqual(s["before"].group["LaunchTemplate"]["Version"], "4")
        self.assertNotIn("aws_autoscaling_group.this: Modifying", run.out)
        self.assertRolloutInsideApply(run, after="terraform_data.rollout[0]: Creating...")
        self.assertServing(s["after"], 4, AMI_D)
        self.assertFalse(set(s["before"].instance_ids()) & set(s["after"].instance_ids()))
        self.assertGroupRestored(s["after"])
        self.assertZeroDowntime(s["after"].ledger)

    def test_7_capacity_provider_policy_hook_and_protection_are_as_found(self):
        self.assertManagedCapacityAsFound("recovery")


if __name__ == "__main__":
    testlib.main()
