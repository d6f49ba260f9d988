"""Scenario files load, are validated with clear errors, and say what their
critical path is."""
# tier: quick  (make check: a few seconds)
import pathlib
import unittest

import testlib

from sim import ScenarioError, Simulator, critical_path, load_scenario
from sim.testing import container_instances, tasks

HERE = pathlib.Path(__file__).resolve().parent / "scenarios"


class Scenarios(unittest.TestCase):
    def test_shipped_scenarios_load(self):
        for path in sorted(HERE.glob("*.toml")):
            data = load_scenario(path)
            self.assertIn("description", data, path.name)

    def test_shape_scenarios_settle(self):
        """Every cluster shape (scenarios/shapes/, issue 12) loads and settles without a simulator error."""
        shapes = sorted((HERE / "shapes").glob("*.toml"))
        self.assertTrue(shapes)
        for path in shapes:
            with self.subTest(shape=path.stem), Simulator(scenario=path, time_scale=0.01) as sim:
                self.assertIn("description", sim.scenario)
                self.assertEqual(sim.ledger(timeline=False)["simulator_errors"], [])

    def test_errors_name_the_problem(self):
        cases = [
            ({"services": [{"cluster": "c"}]}, "services[0]: missing ['name']"),
            ({"auto_scaling_groups": [{"name": "g", "ami": "ami-1", "min": 3, "desired": 1}]}, "min <= desired <= max"),
            ({"time_scale": 0}, "time_scale must be a number > 0"),
            ({"colour": 1}, "unknown keys ['colour']"),
            ({"services": [{"cluster": "c", "name": "s", "scheduling": "BATCH"}]}, "REPLICA or DAEMON"),
        ]
        for data, message in cases:
            with self.assertRaises(ScenarioError) as cm:
                load_scenario(data)
            self.assertIn(message, str(cm.exception))
        with self.assertRaisesRegex(ScenarioError, "cannot read scenario"):
            load_scenario(HERE / "missing.toml")

    def test_critical_path(self):
        cp = critical_path(HERE / "small.toml", batches=3)
        self.assertEqual(cp["per_batch_aws_seconds"], {"boot": 40, "agent_register": 15, "task_start": 15,
                                                       "task_stop": 15, "terminate": 30})
        self.assertEqual(cp["total_aws_seconds"], 3 * 115)
        self.assertAlmostEqual(cp["total_real_seconds"], 3 * 115 * 0.02)
        self.assertEqual((cp["instances"], cp["tasks"]), (6, 12))

    def test_small_scenario_settles(self):
        with Simulator(scenario=HERE / "small.toml", time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            cis = container_instances(ecs)
            self.assertEqual(len(cis), 6)
            running = [t for t in tasks(ecs) if t["lastStatus"] == "RUNNING"]
            by_group = {}
            for t in running:
                by_group[t["group"]] = by_group.get(t["group"], 0) + 1
            self.assertEqual(by_group, {"service:web": 8, "service:api": 3, "service:agent": 6, "family:report": 1})
            self.assertEqual(sim.critical_path()["batches"], 1)


if __name__ == "__main__":
    testlib.main()
