"""1,000 instances and 3,000 tasks: the simulator starts and keeps up with a
poller while it moves tasks. Prints the figures; asserts only correctness."""
import pathlib
import statistics
import threading
import time
import unittest

import testlib

from sim import Simulator
from sim.testing import AMI_NEW, instance_empty

SCENARIO = pathlib.Path(__file__).resolve().parent / "scenarios" / "large.toml"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


class Scale(unittest.TestCase):
    def test_thousand_instances_three_thousand_tasks(self):
        t0 = time.monotonic()
        sim = Simulator(scenario=str(SCENARIO)).start()
        started = time.monotonic() - t0
        try:
            st = sim.state()
            self.assertEqual(st["clusters"][0]["container_instances"], {"ACTIVE": 1000})
            self.assertEqual(sum(s["running"] for s in st["services"]), 3000)
            self.assertEqual(st["clusters"][0]["tasks"], {"RUNNING": 3000})
            print(f"FIGURE start: {started:.2f}s for 1000 instances and 3000 tasks "
                  f"(Simulator.start measured {sim.started_in:.2f}s)")

            ecs, asg, ec2 = sim.client("ecs"), sim.client("autoscaling"), sim.client("ec2")
            arns = []
            token = None
            while True:
                out = ecs.list_container_instances(cluster="big", **({"nextToken": token} if token else {}))
                arns += out["containerInstanceArns"]
                token = out.get("nextToken")
                if not token:
                    break
            self.assertEqual(len(arns), 1000)
            idle = []
            for i in range(10):
                t = time.perf_counter()
                ecs.describe_container_instances(cluster="big", containerInstances=arns[i * 100:(i + 1) * 100])
                idle.append(time.perf_counter() - t)

            # Load: a rollout's first batch - 100 new instances, 100 old ones drained -
            # while a poller reads 100 container instances at a time.
            with sim.engine.lock:
                sim.engine.tick_stats["max_ms"] = 0.0  # the start's big settle is not "under load"
                ticks_before = dict(sim.engine.tick_stats)
            latencies, stop = [], threading.Event()
            poll_client = sim.client("ecs")

            def poll():
                i = 0
                while not stop.is_set():
                    batch = arns[(i % 10) * 100:(i % 10 + 1) * 100]
                    t = time.perf_counter()
                    poll_client.describe_container_instances(cluster="big", containerInstances=batch)
                    latencies.append(time.perf_counter() - t)
                    i += 1
            poller = threading.Thread(target=poll)
            poller.start()
            try:
                ec2.create_launch_template_version(LaunchTemplateName="big-asg-lt", SourceVersion="1",
                                                   LaunchTemplateData={"ImageId": AMI_NEW})
                t_load = time.monotonic()
                asg.update_auto_scaling_group(AutoScalingGroupName="big-asg", MaxSize=2000, DesiredCapacity=1100)
                sim.wait_until(lambda: sim.state()["clusters"][0]["container_instances"].get("ACTIVE") == 1100,
                               timeout=120, message="100 new instances registered")
                old = arns[:100]
                for i in range(0, 100, 10):
                    ecs.update_container_instances_state(cluster="big", containerInstances=old[i:i + 10],
                                                         status="DRAINING")
                sim.wait_until(lambda: all(c["runningTasksCount"] == 0 for c in
                                           ecs.describe_container_instances(cluster="big", containerInstances=old)
                                           ["containerInstances"]), timeout=120, message="old instances drained")
                sim.wait_until(lambda: all(instance_empty(ecs, a, "big") for a in old[:5]), timeout=120)
                sim.wait_until(lambda: sum(s["serving"] for s in sim.state()["services"]) == 3000, timeout=120)
                load_secs = time.monotonic() - t_load
            finally:
                stop.set()
                poller.join()
            ticks = sim.engine.tick_stats
            busy = ticks["busy"] - ticks_before["busy"]
            busy_ms = ticks["total_ms"] - ticks_before["total_ms"]
            led = sim.ledger(timeline=False)
            server = led["request_ms"]["ecs:DescribeContainerInstances"]
            print(f"FIGURE load: scale-out of 100 and drain of 100 instances took {load_secs:.1f}s real "
                  f"at time scale {sim.time_scale}")
            print(f"FIGURE ticks under load: {busy} busy ticks, avg {busy_ms / max(busy, 1):.2f} ms, "
                  f"max {ticks['max_ms']:.1f} ms")
            print(f"FIGURE DescribeContainerInstances(100) idle: median {statistics.median(idle) * 1000:.1f} ms, "
                  f"max {max(idle) * 1000:.1f} ms (client side, boto3)")
            print(f"FIGURE DescribeContainerInstances(100) under load: {len(latencies)} calls, median "
                  f"{statistics.median(latencies) * 1000:.1f} ms, p95 {pct(latencies, 95) * 1000:.1f} ms, "
                  f"max {max(latencies) * 1000:.1f} ms (client side); server side avg {server['avg']:.1f} ms, "
                  f"max {server['max']:.1f} ms")
            self.assertEqual(led["simulator_errors"], [])
            self.assertEqual(led["abrupt_kills"], [])
            self.assertTrue(led["zero_downtime"], led["problems"])
            self.assertGreater(len(latencies), 0)
        finally:
            sim.stop()


if __name__ == "__main__":
    testlib.main()
