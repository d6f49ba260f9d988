"""Races with Auto Scaling that the chaos rollouts found, made deterministic:
a launch Auto Scaling keeps retrying must not land between the rollout's
last look and its lowering of the desired capacity."""
import threading
import unittest

import testlib
from rollout import Checks, instance_ids, new_template_version, run, scenario, simulator


def when_called(sim, action, then, timeout=120):
    """Runs then() once the simulator has started delaying a call of `action`
    (a latency fault counts the call before it sleeps)."""
    def watch():
        sim.wait_until(lambda: sim.engine.faults.describe()["injected"].get(action, {}).get("latency"),
                       timeout=timeout, interval=0.005, message=f"a delayed {action}")
        then()
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


class Races(Checks, unittest.TestCase):
    def test_a_pending_launch_cannot_land_while_the_rollback_lowers_the_capacity(self):
        # The account limit lets nothing launch: the rollout times out with the
        # desired capacity doubled and rolls back. Just as it lowers the
        # capacity, the limit is lifted and Auto Scaling's next launch attempt
        # would succeed: a group with more instances than its new desired
        # capacity scales in, and picks the old instances that run the tasks.
        with simulator(scenario(instances=2, tasks=4)) as sim:
            new_template_version(sim)
            old = instance_ids(sim)
            sim.set_faults({"api": [{"action": "autoscaling:UpdateAutoScalingGroup", "latency_ms": 1500,
                                     "times": 1}],
                            "cluster": {"account_limit": 2}})
            lifted = when_called(sim, "autoscaling:UpdateAutoScalingGroup",
                                 lambda: sim.set_faults({"cluster": {"account_limit": None}}))
            r = run(sim, "--instance-timeout", "3")
            lifted.join(timeout=60)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.done()["result"], "rolled-back")
            self.assertZeroDowntime(sim)
            holds = [e for e in r.events() if e.get("action") == "hold-launches"]
            self.assertEqual(len(holds), 1, r)
            self.assertIn("desired capacity 4 is above the 2 instance(s)", holds[0]["message"])
            self.assertEqual(sorted(instance_ids(sim)), sorted(old))
            self.assertServing(sim, old)
            self.assertClean(sim, desired=2, max_size=12)
            launches = [e for e in sim.ledger()["timeline"] if e["event"] == "instance_launched"]
            self.assertEqual(launches, [])


if __name__ == "__main__":
    testlib.main()
