"""The scenario suite again, with the ECS API answering lists and describes as
moto and LocalStack do (api_fidelity "moto", see ecs_fidelity.py): every
shipped scenario must load and settle with it too."""
# Full tier only (make test): the same 18 simulators again cost as much CPU as
# test_scenarios.py, which make check runs; test_rollout_moto.py also runs moto's answers.
import os

os.environ["SIM_API_FIDELITY"] = "moto"

import unittest  # noqa: E402

import testlib  # noqa: E402
from test_scenarios import HERE, Scenarios  # noqa: E402,F401

from sim import Simulator  # noqa: E402


class Fidelity(unittest.TestCase):
    def test_this_pass_answers_as_moto(self):
        with Simulator(scenario=HERE / "small.toml", time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            listed = ecs.list_container_instances(cluster="prod", status="DRAINING")["containerInstanceArns"]
            self.assertEqual(len(listed), 6, "the status filter is ignored")


if __name__ == "__main__":
    testlib.main()
