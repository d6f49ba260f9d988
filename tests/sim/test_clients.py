"""Real clients agree with the simulator: the aws CLI and boto3 see the same
cluster, and tests/sim/run serves it to shell scripts."""
import json
import os
import pathlib
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import testlib

from sim import Simulator
from sim.testing import container_instances, group, scenario

RUN = pathlib.Path(__file__).resolve().parent / "run"


def aws(sim, *args):
    env = dict(os.environ, **sim.env())
    out = subprocess.run(["aws", "--endpoint-url", sim.endpoint, "--output", "json", *args], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {out.stderr}")
    return json.loads(out.stdout) if out.stdout.strip() else None


class AwsCliAndBoto3(unittest.TestCase):
    def test_cli_and_boto3_see_the_same_cluster(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            ecs, asg = sim.client("ecs"), sim.client("autoscaling")
            g_cli = aws(sim, "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "prod-asg")
            self.assertEqual(g_cli["AutoScalingGroups"][0]["Instances"], group(asg)["Instances"])
            cis = container_instances(ecs)
            ids = sorted(c["ec2InstanceId"] for c in cis)
            listed = aws(sim, "ecs", "list-container-instances", "--cluster", "prod",
                         "--filter", f"ec2InstanceId in [{', '.join(ids[:2])}]")
            described = aws(sim, "ecs", "describe-container-instances", "--cluster", "prod",
                            "--container-instances", *listed["containerInstanceArns"])
            self.assertEqual(sorted(c["ec2InstanceId"] for c in described["containerInstances"]), ids[:2])
            by_arn = {c["containerInstanceArn"]: c for c in cis}
            for c in described["containerInstances"]:
                self.assertEqual(c["runningTasksCount"], by_arn[c["containerInstanceArn"]]["runningTasksCount"])
            # The CLI changes state; boto3 sees it.
            arn = listed["containerInstanceArns"][0]
            aws(sim, "ecs", "update-container-instances-state", "--cluster", "prod", "--container-instances", arn,
                "--status", "DRAINING")
            self.assertEqual(ecs.describe_container_instances(cluster="prod", containerInstances=[arn])
                             ["containerInstances"][0]["status"], "DRAINING")
            aws(sim, "autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "prod-asg",
                "--desired-capacity", "4")
            self.assertEqual(group(asg)["DesiredCapacity"], 4)
            sim.wait_until(lambda: len(container_instances(ecs)) == 4)
            svc = aws(sim, "ecs", "describe-services", "--cluster", "prod", "--services", "web")["services"][0]
            self.assertEqual(svc["desiredCount"], 6)
            self.assertNotIn("networkConfiguration", svc)
            # And the CLI's own waiter understands the simulator's services.
            aws(sim, "ecs", "wait", "services-stable", "--cluster", "prod", "--services", "web")
            ident = aws(sim, "sts", "get-caller-identity")
            self.assertEqual(ident["Account"], "123456789012")


class RunCommand(unittest.TestCase):
    def test_runs_in_the_background_and_writes_the_ledger_on_sigterm(self):
        with tempfile.TemporaryDirectory() as d:
            sc = pathlib.Path(d, "s.json")
            sc.write_text(json.dumps(scenario(instances=2, tasks=2)))
            ready, ledger = pathlib.Path(d, "ready"), pathlib.Path(d, "ledger.json")
            proc = subprocess.Popen([sys.executable, str(RUN), "--scenario", str(sc), "--time-scale", "0.01",
                                     "--ready-file", str(ready), "--ledger", str(ledger)],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                deadline = time.monotonic() + 60
                while not ready.exists():
                    self.assertIsNone(proc.poll(), "the simulator exited early")
                    self.assertLess(time.monotonic(), deadline, "no ready file")
                    time.sleep(0.05)
                exports = ready.read_text()
                env = dict(os.environ)
                for line in exports.splitlines():
                    key, _, value = line[len("export "):].partition("=")
                    env[key] = shlex.split(value)[0]
                self.assertTrue(env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:"))
                out = subprocess.run(["aws", "ecs", "list-container-instances", "--cluster", "prod", "--output", "json"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertEqual(len(json.loads(out.stdout)["containerInstanceArns"]), 2)
                proc.send_signal(signal.SIGTERM)
                stdout, _ = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            self.assertEqual(proc.returncode, 0, stdout)
            self.assertIn("export AWS_ENDPOINT_URL=", stdout)
            self.assertIn("zero downtime", stdout)
            data = json.loads(ledger.read_text())
            self.assertTrue(data["zero_downtime"])
            self.assertEqual(data["api_calls"].get("ecs:ListContainerInstances"), 1)
            self.assertFalse(ready.exists(), "the ready file goes away with the simulator")

    def test_bad_scenario_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as d:
            sc = pathlib.Path(d, "bad.toml")
            sc.write_text('[[clusters]]\nname = "x"\ncolour = "red"\n')
            out = subprocess.run([sys.executable, str(RUN), "--scenario", str(sc)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, timeout=60)
            self.assertEqual(out.returncode, 2)
            self.assertIn("clusters[0]: unknown keys ['colour']", out.stderr)


if __name__ == "__main__":
    testlib.main()
