"""A rollout of 1,000 instances and 3,000 tasks on the simulator: the same
guarantees at scale, and requests that grow with instances/100 per poll."""
import unittest

import testlib
from rollout import AMI_OLD, Checks, new_template_version, run, scenario, simulator


class Large(Checks, unittest.TestCase):
    def test_thousand_instances(self):
        sc = scenario(instances=1000, tasks=3000, auto_scaling_groups=[
            {"name": "prod-asg", "cluster": "prod", "ami": AMI_OLD, "instance_type": "m5.large",
             "min": 0, "max": 1000, "desired": 1000, "launch_template": "prod-lt"}])
        with simulator(sc, time_scale=0.02) as sim:
            v = new_template_version(sim)
            r = run(sim, "--batch-size", "250", poll=0.25, timeout=1500)
            self.assertEqual(r.rc, 0, r)
            done = r.done()
            self.assertEqual(done["replaced"], 1000)
            self.assertEqual(done["batches"], 4)
            led = self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=1000, max_size=1000, led=led)
            calls = led["api_calls"]
            # DescribeContainerInstances takes 100 at a time: never one call per instance.
            print(f"figures: {done['aws_requests']} AWS requests, {done['elapsed_s']:.0f}s, "
                  f"calls by action: {calls}")


if __name__ == "__main__":
    testlib.main()
