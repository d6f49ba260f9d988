"""AWS's request throttling (throttle.py): token buckets that hold their
capacity, refill at their rate in AWS time, are shared where AWS shares them,
and refuse with each service's own throttling error."""
# tier: quick  (make check: a few seconds)
import unittest

import testlib

from sim import Simulator
from sim.testing import raw_call, scenario
from sim import throttle
from sim.throttle import BUCKETS, DEFAULTS, Throttle


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def burst(th, service, action, n):
    """How many of n requests at the same instant go through."""
    return sum(1 for _ in range(n) if th.take(service, action))


class Buckets(unittest.TestCase):
    def test_capacity_then_refill_rate(self):
        clock = FakeClock()
        th = Throttle(clock)
        self.assertEqual(burst(th, "ecs", "DescribeClusters", 80), 50, "bucket capacity 50")
        clock.t += 0.5  # 20 per second: 10 tokens
        self.assertEqual(burst(th, "ecs", "DescribeClusters", 80), 10)
        clock.t += 1000  # never more than the capacity
        self.assertEqual(burst(th, "ecs", "DescribeClusters", 80), 50)
        self.assertEqual(th.stats()["ecs:DescribeClusters"], 30 + 70 + 30)

    def test_describe_container_instances_and_tasks_share_a_bucket(self):
        th = Throttle(FakeClock())
        self.assertEqual(burst(th, "ecs", "DescribeContainerInstances", 30), 30)
        self.assertEqual(burst(th, "ecs", "DescribeTasks", 30), 20, "50 shared tokens")
        self.assertEqual(burst(th, "ecs", "ListTasks", 10), 10, "another bucket")

    def test_each_other_action_has_its_own_bucket(self):
        th = Throttle(FakeClock())
        self.assertEqual(burst(th, "ecs", "UpdateContainerInstancesState", 60), 50)
        self.assertEqual(burst(th, "ecs", "ListContainerInstances", 60), 50)
        self.assertEqual(burst(th, "ec2", "DescribeInstances", 150), 100, "EC2 non-mutating: 100")
        self.assertEqual(burst(th, "iam", "GetUser", 500), 500, "services without a rate are not throttled")

    def test_auto_scaling_actions_share_one_bucket(self):
        """Auto Scaling's API Reference ("API request rate"): one shared bucket,
        so a rollout's SetInstanceProtection batches, its SetDesiredCapacity and
        its DescribeAutoScalingGroups polls take from the same tokens."""
        clock = FakeClock()
        th = Throttle(clock)
        self.assertEqual(burst(th, "autoscaling", "SetInstanceProtection", 30), 30)
        self.assertEqual(burst(th, "autoscaling", "DescribeAutoScalingGroups", 30), 20, "50 shared tokens")
        self.assertEqual(burst(th, "autoscaling", "SetDesiredCapacity", 1), 0)
        clock.t += 0.125  # 20 per second: two tokens and a half
        self.assertEqual(burst(th, "autoscaling", "SetDesiredCapacity", 5), 2)
        self.assertEqual(th.stats(), {"autoscaling:DescribeAutoScalingGroups": 10,
                                      "autoscaling:SetDesiredCapacity": 4})
        self.assertEqual(burst(th, "ecs", "ListTasks", 10), 10, "another service")
        self.assertIn("shared", throttle.bucket_of("autoscaling:SetInstanceProtection")[2])

    def test_every_rate_names_its_source(self):
        for name, actions, capacity, refill, source in BUCKETS:
            self.assertTrue(source and capacity > 0 and refill > 0 and actions, name)
        for service, (capacity, refill, source) in DEFAULTS.items():
            self.assertTrue(source and capacity > 0 and refill > 0, service)

    def test_floor_is_what_the_bucket_lets_through(self):
        """floor_seconds (the bench's throttling floor) agrees with the
        buckets themselves: the calls it says take T seconds get through
        one at a time at the bucket's pace, and not sooner."""
        name = "autoscaling:TerminateInstanceInAutoScalingGroup"
        capacity, refill, source = throttle.bucket_of(name)
        self.assertIn("assumed", source)
        self.assertEqual(throttle.bucket_of("ecs:DescribeTasks")[:2], (50, 20.0))
        self.assertIsNone(throttle.bucket_of("s3:GetObject"))
        self.assertEqual(throttle.floor_seconds(capacity, name), 0.0)
        n = 130
        floor = throttle.floor_seconds(n, name)
        clock = FakeClock()
        th = Throttle(clock)
        done, start = 0, clock.t
        while done < n:
            if th.take("autoscaling", "TerminateInstanceInAutoScalingGroup"):
                done += 1
            else:
                clock.t += 0.001
        self.assertAlmostEqual(clock.t - start, floor, delta=0.01)


class OnTheWire(unittest.TestCase):
    def test_throttled_requests_get_each_services_error(self):
        sc = scenario(instances=1, tasks=1)
        with Simulator(scenario=sc, time_scale=0.01, throttle=True) as sim:
            sim.pause()  # AWS time stands still: no token comes back during the bursts
            codes = [raw_call(sim, "ecs", "DescribeClusters").status_code for _ in range(60)]
            self.assertEqual(codes.count(200), 50)
            r = raw_call(sim, "ecs", "DescribeClusters")
            self.assertEqual(r.status_code, 400)
            self.assertEqual(r.json(), {"__type": "ThrottlingException", "message": "Rate exceeded"})
            for _ in range(50):
                r = raw_call(sim, "autoscaling", "DescribeAutoScalingGroups")
            self.assertEqual(r.status_code, 200)
            r = raw_call(sim, "autoscaling", "DescribeAutoScalingGroups")
            self.assertEqual(r.status_code, 400)
            self.assertIn("<Code>Throttling</Code>", r.text)
            led = sim.ledger(timeline=True)
            throttled = [e for e in led["timeline"] if e["event"] == "throttled"]
            self.assertGreaterEqual(len(throttled), 12)
            self.assertEqual(sim.engine.throttle.stats()["ecs:DescribeClusters"], 11)
            throttle.disable(sim.engine)
            self.assertEqual(raw_call(sim, "ecs", "DescribeClusters").status_code, 200)

    def test_off_unless_asked(self):
        sim = Simulator(scenario=scenario(instances=1, tasks=1))  # not started
        self.assertIsNone(getattr(sim.engine, "throttle", None))
        self.assertEqual(throttle.stats(sim.engine), {})

if __name__ == "__main__":
    testlib.main()
