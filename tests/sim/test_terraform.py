"""The Terraform AWS provider against the simulator: a launch template with user
data and a group on it, changed to a new AMI; an ECS cluster, task definition and
bridge-mode service; both apply and re-plan cleanly. (Slow: provider waiters.)

Both configurations (terraform/asg, terraform/ecs) are applied together, from
one working directory: a terraform command costs ~3 CPU seconds whatever it
holds (~7 with an endpoints block in the provider configuration, README
"Tests": provider.tf.in has none), so one walk of 1 init, 2 applies and 1
plan (rather than 2 inits, 3 applies and 2 plans) does every check. The walk
runs in setUpClass; each test checks what it recorded."""
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import unittest

import stack
import testlib
from tfprovider import SharedProvider, endpoint_environment

from sim import Simulator
from sim.testing import AMI_NEW, AMI_OLD, FAST_DELAYS, container_instances, group

HERE = pathlib.Path(__file__).resolve().parent / "terraform"


def plugin_dir():
    """The Terraform provider mirror, found as tests/lib/stack.py finds it."""
    return stack.plugin_dir()


def ami_of(ci):
    return next(a["value"] for a in ci["attributes"] if a["name"] == "ecs.ami-id")


class Terraform(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("terraform"):
            raise AssertionError("terraform is not on PATH")
        cls.plugins = plugin_dir()
        sc = {"delays": dict(FAST_DELAYS), "clusters": [{"name": "sim-asg"}],
              "auto_scaling_groups": [{"name": "sim-tf-nodes", "cluster": "sim-tf", "ami": AMI_OLD,
                                       "instance_type": "m5.large", "min": 0, "max": 4, "desired": 2}]}
        cls.sim = Simulator(scenario=sc, time_scale=0.02).start()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.provider = None
        cls.facts = {}
        cls.failed = None
        try:
            cls._walk()
        except AssertionError as e:  # reported by every test that needs what was not recorded
            cls.failed = str(e)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.provider:
            cls.provider.stop()
            cls.provider = None
        cls.sim.stop()
        cls.tmp.cleanup()

    @classmethod
    def tf(cls, d, *args, ok=(0,)):
        env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0")
        if cls.provider and args[0] != "init":
            env = cls.provider.environ(env)
        t0 = time.monotonic()
        out = subprocess.run(["terraform", *args], cwd=d, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=900)
        print(f"terraform {args[0]}: {time.monotonic() - t0:.1f}s", flush=True)
        if out.returncode not in ok:
            raise AssertionError(f"terraform {' '.join(args)} exited {out.returncode}:\n{out.stdout[-6000:]}")
        return out

    @classmethod
    def _walk(cls):
        sim, facts = cls.sim, cls.facts
        d = pathlib.Path(cls.tmp.name, "walk")
        d.mkdir()
        for name in ("asg", "ecs"):
            shutil.copy(HERE / name / "main.tf", d / f"{name}.tf")
        shutil.copy(HERE / "provider.tf.in", d / "provider.tf")
        cls.tf(d, "init", "-no-color", f"-plugin-dir={cls.plugins}")
        # Every command configures the provider alike (provider.tf.in), one at
        # a time: one provider process serves them all (tests/lib/tfprovider.py:
        # its start-up, ~2 CPU-s a command, once).
        # The services both configurations use reach the simulator through
        # the provider's environment (provider.tf.in says why).
        environ = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0",
                       **endpoint_environment(("autoscaling", "ec2", "ecs", "iam", "sts"), sim.endpoint))
        cls.provider = SharedProvider(d, environ)
        ecs, asg = sim.client("ecs"), sim.client("autoscaling")
        common = ["-no-color", "-var", "cluster=sim-asg"]

        cls.tf(d, "apply", "-auto-approve", *common, "-var", f"ami={AMI_OLD}")
        # The scenario's nodes name the ECS configuration's cluster in their user
        # data: their agents register once Terraform created it, and the
        # service's tasks start there. The group's nodes join sim-asg.
        facts["service"] = sim.wait_until(lambda: (lambda s: s["runningCount"] == 2 and s)(
            ecs.describe_services(cluster="sim-tf", services=["web"])["services"][0]), message="service running")
        sim.wait_until(lambda: len(container_instances(ecs, "sim-asg")) == 2, message="two nodes registered")

        cls.tf(d, "apply", "-auto-approve", *common, "-var", f"ami={AMI_NEW}")
        facts["group_after_new_ami"] = group(asg, "sim-nodes")
        asg.set_desired_capacity(AutoScalingGroupName="sim-nodes", DesiredCapacity=4)
        sim.wait_until(lambda: len(container_instances(ecs, "sim-asg")) == 4, message="four nodes registered")
        facts["amis_after_scale_out"] = sorted(ami_of(c) for c in container_instances(ecs, "sim-asg"))
        facts["versions_after_scale_out"] = sorted(i["LaunchTemplate"]["Version"]
                                                   for i in group(asg, "sim-nodes")["Instances"])

        facts["plan"] = cls.tf(d, "plan", "-detailed-exitcode", *common, "-var", f"ami={AMI_NEW}")

    def fact(self, name):
        if name not in self.facts:
            self.fail(f"not recorded: {self.failed or 'the walk stopped before it'}")
        return self.facts[name]

    def test_ecs_service_applies(self):
        svc = self.fact("service")
        self.assertEqual(svc["deploymentConfiguration"]["minimumHealthyPercent"], 100)
        self.assertNotIn("networkConfiguration", svc)

    def test_launch_template_change_reaches_new_instances(self):
        g = self.fact("group_after_new_ami")
        self.assertEqual(g["LaunchTemplate"]["Version"], "2")
        self.assertEqual({i["LaunchTemplate"]["Version"] for i in g["Instances"]}, {"1"},
                         "running instances keep the version they were launched with")
        self.assertEqual(self.fact("amis_after_scale_out"), [AMI_OLD, AMI_OLD, AMI_NEW, AMI_NEW])
        self.assertEqual(self.fact("versions_after_scale_out"), ["1", "1", "2", "2"])

    def test_group_and_ecs_service_replan_without_changes(self):
        plan = self.fact("plan")
        self.assertEqual(plan.returncode, 0, plan.stdout[-3000:])
        self.assertIn("No changes", plan.stdout)


if __name__ == "__main__":
    testlib.main()
