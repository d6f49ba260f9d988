"""`terraform test` of modules/ecs-cluster against a mocked AWS provider: the
variable validations (each invalid value rejected, with its message), the
rollout wiring, the group's behaviour while a rollout is in progress, and, in
rollout_exec.tftest.hcl, the rollout really run from apply through local-exec
and the wrapper, with tests/fake-ecs-rollout recording what reached it."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import tflib  # noqa: E402

EXTRA_ARGS = [
    "--note",
    "$(touch pwned-by-command-substitution)",
    "a;touch pwned-by-semicolon",
    "`touch pwned-by-backticks`",
    "'single' \"double\" and  two  spaces",
    "--flag=$HOME|*",
]
EXPECTED_ARGV = [
    "rollout",
    "--asg-name", "test-cluster",
    "--cluster-name", "test-cluster",
    "--aws-region", "eu-west-1",
    "--endpoint-url", "http://127.0.0.1:4566",
    "--profile", "ops",
    "--batch-size", "2",
    "--drain-timeout", "600",
    "--instance-timeout", "900",
    "--yes",
] + EXTRA_ARGS


class EcsClusterModule(tflib.module_test_class("ecs-cluster")):
    def records(self):
        if not self.record_path.exists():
            return []
        return [json.loads(line) for line in self.record_path.read_text().splitlines() if line.strip()]

    def test_rollout_exec_ran_the_helper_once_per_create_or_replace(self):
        # first apply, then a forced replacement; neither the in-place change of
        # settings nor removing the resource may run it.
        self.assertEqual(len(self.records()), 2, f"records: {self.records()}\n{self.output[-3000:]}")

    def test_rollout_exec_argv_reached_the_helper_verbatim(self):
        records = self.records()
        self.assertTrue(records, "the helper never ran")
        for rec in records:
            self.assertEqual(rec["argv"], EXPECTED_ARGV)

    def test_rollout_exec_environment_reached_the_helper(self):
        records = self.records()
        self.assertTrue(records, "the helper never ran")
        env = records[0]["env"]
        self.assertEqual(env["FAKE_MARK"], "from rollout_environment")
        self.assertEqual(env["ECS_ROLLOUT_LAUNCH_TEMPLATE_VERSION"], "3")
        self.assertEqual(env["ECS_ROLLOUT_EXTRA_ARGS"], "\n".join(EXTRA_ARGS))

    def test_rollout_exec_ran_nothing_through_a_shell(self):
        pwned = sorted(str(p) for p in self.tmp.path.rglob("pwned-*"))
        pwned += sorted(str(p) for p in tflib.ROOT.glob("pwned-*"))
        self.assertEqual(pwned, [], "an argument was executed by a shell")


if __name__ == "__main__":
    testlib.main()
