"""The plain rollouts again, and two groups in one cluster, with the simulator's
ECS API answering as moto and LocalStack do (api_fidelity "moto",
tests/sim/ecs_fidelity.py): ListContainerInstances ignores its
`ec2InstanceId in [...]` filter and returns the other group's instances too,
lists are not paged, optional fields are missing. The rollout must work the
same (issue 12, item 9)."""
import os

os.environ["SIM_API_FIDELITY"] = "moto"

import unittest  # noqa: E402

import testlib  # noqa: E402
from rollout import Checks, scenario, simulator  # noqa: E402
from test_rollout_basic import BasicRollouts  # noqa: E402,F401
from test_rollout_cases import Cases  # noqa: E402


class TwoGroups(Checks, unittest.TestCase):
    test_two_groups_in_one_cluster_only_ours_is_touched = Cases.test_two_groups_in_one_cluster_only_ours_is_touched

    def test_the_simulator_answers_as_moto(self):
        with simulator(scenario(instances=2, tasks=2)) as sim:
            self.assertEqual(sim.ledger(timeline=False)["api_fidelity"], "moto")
            out = sim.client("ecs").list_container_instances(cluster="prod", filter="ec2InstanceId in [i-0]")
            self.assertEqual(len(out["containerInstanceArns"]), 2, "the filter is not applied")


if __name__ == "__main__":
    testlib.main()
