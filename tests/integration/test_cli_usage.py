"""The helper's command line as a user meets it: help, version, bad flags,
missing things, and the documented exit codes."""
# tier: quick  (make check: a few seconds)
import json
import os
import subprocess
import unittest

import testlib
from rollout import helper_env, scenario, simulator


def run(argv, env=None, stdin=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update({"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/cred",
                 "AWS_EC2_METADATA_DISABLED": "true"})
    base.update(env or {})
    return subprocess.run([testlib.helper_bin()] + argv, env=base, capture_output=True, text=True,
                          input=stdin, timeout=120)


class Usage(unittest.TestCase):
    def test_help_and_version(self):
        p = run(["--version"])
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^ecs-rollout \d+\.\d+\.\d+\n$")
        p = run(["--help"])
        self.assertEqual(p.returncode, 0)
        for text in ("Usage: ecs-rollout", "--asg-name", "--keep-max-size", "Exit codes:", "external"):
            self.assertIn(text, p.stdout)

    def test_bad_flags_exit_2_with_a_specific_message(self):
        cases = [
            (["--cluster-name", "c"], "--asg-name is required"),
            (["--asg-name", "g", "--cluster-name", "c", "--batch-size", "0"], "--batch-size expects"),
            (["--asg-name", "g", "--cluster-name", "c", "--standalone-tasks", "maybe"], "\"wait\" or \"stop\""),
            (["--asg-name", "g", "--cluster-name", "c", "--bogus"], "unknown option --bogus"),
            (["--asg-name", "g", "--cluster-name", "c", "status", "--keep-max-size"], "does not apply"),
            (["--asg-name", "g", "--cluster-name", "c", "--ami", "ami-xyz"], "AMI id"),
        ]
        for argv, message in cases:
            with self.subTest(argv=argv):
                p = run(argv)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(message, p.stderr)
                self.assertEqual(p.stdout, "")

    def test_no_region_and_no_credentials_exit_3(self):
        p = run(["plan", "--asg-name", "g", "--cluster-name", "c"])
        self.assertEqual(p.returncode, 2, p.stderr)  # no region anywhere: a usage problem
        self.assertIn("AWS_REGION", p.stderr)
        p = run(["plan", "--asg-name", "g", "--cluster-name", "c", "--aws-region", "us-east-1",
                 "--endpoint-url", "http://127.0.0.1:9"])
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("credentials", p.stderr.lower())

    def test_missing_group_and_cluster(self):
        with simulator(scenario(instances=1, tasks=1)) as sim:
            env = helper_env(sim)
            p = subprocess.run([testlib.helper_bin(), "plan", "--asg-name", "nope", "--cluster-name", "prod"],
                               env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("Auto Scaling group nope not found in us-east-1", p.stderr)
            p = subprocess.run([testlib.helper_bin(), "--asg-name", "nope", "--cluster-name", "prod", "--yes"],
                               env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("not found", p.stdout + p.stderr)

    def test_external_protocol(self):
        with simulator(scenario(instances=2, tasks=2)) as sim:
            env = helper_env(sim)
            q = json.dumps({"asg_name": "prod-asg", "cluster_name": "prod"})
            p = subprocess.run([testlib.helper_bin(), "external"], input=q, env=env, capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            out = json.loads(p.stdout)
            self.assertEqual(out["instances"], "2")
            self.assertEqual(out["outdated_instances"], "0")
            self.assertEqual(out["rollout_in_progress"], "false")
            self.assertTrue(all(isinstance(v, str) for v in out.values()))
            p = subprocess.run([testlib.helper_bin(), "external"], input="{not json", env=env,
                               capture_output=True, text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0)
            self.assertEqual(p.stdout, "")
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn("not valid JSON", p.stderr)


if __name__ == "__main__":
    testlib.main()
