"""A short memcheck run in `make test` (valgrind.py; `make valgrind` runs the
whole rollout suite): the normal build of the helper under valgrind through a
full rollout, plan, a rollback, a SIGTERM and a resume, status and the
Terraform external query. Any invalid access, uninitialised value, or memory
definitely or indirectly lost fails it."""
import tempfile
import unittest

import testlib
import valgrind

PART = {
    "test_rollout_basic": ["BasicRollouts.test_one_instance", "BasicRollouts.test_plan_writes_nothing"],
    "test_rollout_cases": ["Cases.test_new_instances_that_never_register_roll_back"],
    "test_rollout_resume": ["Resume.test_sigterm_stops_at_a_safe_point_and_resumes",
                            "Resume.test_status_shows_an_interrupted_rollout"],
}


class Valgrind(unittest.TestCase):
    def test_a_representative_part_is_clean_under_memcheck(self):
        with tempfile.TemporaryDirectory(prefix="ecs-rollout-valgrind-") as logs:
            codes = valgrind.run_tests(PART, logs)
            runs, problems = valgrind.check_logs(logs)
            print(f"valgrind: {runs} helper runs under memcheck, {len(problems)} problems", flush=True)
            self.assertEqual(problems, [])
            self.assertEqual({n: c for n, c in codes.items() if c}, {})
            self.assertGreaterEqual(runs, 8)


if __name__ == "__main__":
    testlib.main()
