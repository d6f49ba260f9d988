"""The Terraform AWS provider against the simulator: a launch template with user
data and a group on it, changed to a new AMI; an ECS cluster, task definition and
bridge-mode service that apply and re-plan cleanly. (Slow: provider waiters.)"""
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import unittest

import stack
import testlib
from tfprovider import SharedProvider

from sim import Simulator
from sim.testing import AMI_NEW, AMI_OLD, FAST_DELAYS, container_instances, group

HERE = pathlib.Path(__file__).resolve().parent / "terraform"


def plugin_dir():
    """The Terraform provider mirror, found as tests/lib/stack.py finds it."""
    return stack.plugin_dir()


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

    @classmethod
    def tearDownClass(cls):
        if cls.provider:
            cls.provider.stop()
        cls.sim.stop()
        cls.tmp.cleanup()

    def workdir(self, name):
        d = pathlib.Path(self.tmp.name, name)
        shutil.copytree(HERE / name, d)
        shutil.copy(HERE / "provider.tf.in", d / "provider.tf")
        return d

    def tf(self, d, *args, ok=(0,)):
        env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0")
        if self.provider and args[0] != "init":
            env = self.provider.environ(env)
        t0 = time.monotonic()
        out = subprocess.run(["terraform", *args], cwd=d, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=900)
        print(f"terraform {args[0]} in {d.name}: {time.monotonic() - t0:.1f}s", flush=True)
        if out.returncode not in ok:
            raise AssertionError(f"terraform {' '.join(args)} exited {out.returncode}:\n{out.stdout[-6000:]}")
        return out

    def init(self, d):
        self.tf(d, "init", "-no-color", f"-plugin-dir={self.plugins}")
        # Both configurations configure the provider alike (provider.tf.in) and
        # run one command at a time: one provider process serves every command
        # after the first init (tests/lib/tfprovider.py: its start-up, ~2 CPU-s a
        # command, once).
        if type(self).provider is None:
            environ = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0")
            type(self).provider = SharedProvider(d, environ)

    def test_launch_template_change_reaches_new_instances(self):
        d = self.workdir("asg")
        self.init(d)
        ecs, asg = self.sim.client("ecs"), self.sim.client("autoscaling")
        common = ["-no-color", "-var", f"endpoint={self.sim.endpoint}", "-var", "cluster=sim-asg"]
        self.tf(d, "apply", "-auto-approve", *common, "-var", f"ami={AMI_OLD}")
        self.sim.wait_until(lambda: len(container_instances(ecs, "sim-asg")) == 2, message="two nodes registered")
        self.tf(d, "apply", "-auto-approve", *common, "-var", f"ami={AMI_NEW}")
        g = group(asg, "sim-nodes")
        self.assertEqual(g["LaunchTemplate"]["Version"], "2")
        self.assertEqual({i["LaunchTemplate"]["Version"] for i in g["Instances"]}, {"1"},
                         "running instances keep the version they were launched with")
        asg.set_desired_capacity(AutoScalingGroupName="sim-nodes", DesiredCapacity=4)
        self.sim.wait_until(lambda: len(container_instances(ecs, "sim-asg")) == 4, message="four nodes registered")
        amis = sorted(next(a["value"] for a in c["attributes"] if a["name"] == "ecs.ami-id")
                      for c in container_instances(ecs, "sim-asg"))
        self.assertEqual(amis, [AMI_OLD, AMI_OLD, AMI_NEW, AMI_NEW])
        self.assertEqual(sorted(i["LaunchTemplate"]["Version"] for i in group(asg, "sim-nodes")["Instances"]),
                         ["1", "1", "2", "2"])
        plan = self.tf(d, "plan", "-detailed-exitcode", *common, "-var", f"ami={AMI_NEW}")
        self.assertIn("No changes", plan.stdout)

    def test_ecs_service_applies_and_replans(self):
        d = self.workdir("ecs")
        self.init(d)
        ecs = self.sim.client("ecs")
        common = ["-no-color", "-var", f"endpoint={self.sim.endpoint}"]
        self.tf(d, "apply", "-auto-approve", *common)
        # The scenario's nodes name this cluster in their user data: their agents
        # register once Terraform created it, and the service's tasks start there.
        svc = self.sim.wait_until(lambda: (lambda s: s["runningCount"] == 2 and s)(
            ecs.describe_services(cluster="sim-tf", services=["web"])["services"][0]), message="service running")
        self.assertEqual(svc["deploymentConfiguration"]["minimumHealthyPercent"], 100)
        self.assertNotIn("networkConfiguration", svc)
        plan = self.tf(d, "plan", "-detailed-exitcode", *common)
        self.assertIn("No changes", plan.stdout)


if __name__ == "__main__":
    testlib.main()
