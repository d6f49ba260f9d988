"""Launching many instances: Auto Scaling launches one scaling activity's
instances side by side, so they all boot `boot` AWS seconds after the group
decided to launch, however long moto takes to create them one by one; and
creating them costs the same whatever the fleet's size (moto_speed.py)."""
import sys
import unittest

import testlib

from sim import Simulator
from sim.testing import scenario


class LaunchSpeed(unittest.TestCase):
    def test_a_large_scale_out_boots_together(self):
        sc = scenario(instances=2, tasks=2)
        sc["auto_scaling_groups"][0]["max"] = 400
        # Creating 300 instances takes moto about a real second, 5.5 on a loaded
        # machine; the boot (400 AWS s at time_scale 0.05) is 20 real seconds, so
        # every instance exists before the first boot is due (a boot of 4 real
        # seconds came due while the last ones were still being created, CI-like load).
        with Simulator(scenario=sc, time_scale=0.05, delays={"boot": 400.0}) as sim:
            asg = sim.client("autoscaling")
            eng = sim.engine
            with eng.lock:
                old = set(eng.instances)
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=302)

            def new_ones():
                with eng.lock:
                    return [si for si in eng.instances.values() if si.id not in old]
            sim.wait_until(lambda: len(new_ones()) >= 300, timeout=120, message="300 launched")
            with eng.lock:
                created = sorted(e["t"] for e in eng.ledger.timeline if e["event"] == "instance_launched")
            self.assertGreater(created[-1] - created[0], 0.0, "moto creates them one by one")
            sim.wait_until(lambda: all(si.running_at is not None for si in new_ones()), timeout=120,
                           message="all 300 running")
            with eng.lock:
                fresh = new_ones()
                due = sorted(si.boot_event.due for si in fresh)
                launched = {si.launched_at for si in fresh}
            self.assertEqual(len(fresh), 300)
            self.assertEqual(len(launched), 1, "one scaling activity, one launch time")
            # When each boot was due (when the tick ran it depends on the
            # machine's load): all at once, `boot` after the decision.
            self.assertLess(due[-1] - due[0], 0.01,
                            f"boots due over {due[-1] - due[0]:.1f} AWS seconds, not together")
            self.assertAlmostEqual(due[0], next(iter(launched)) + eng.delay("boot"), delta=0.01)

    def test_creating_instances_does_not_slow_with_the_fleet(self):
        sc = scenario(instances=1, tasks=1)
        sc["auto_scaling_groups"][0]["max"] = 1000
        with Simulator(scenario=sc, time_scale=1.0) as sim:
            eng = sim.engine
            eng.stop()  # no tick thread: launch by hand and time it
            from sim.engine import asg_backend
            group = asg_backend(sim.region).autoscaling_groups["prod-asg"]
            per_launch = []
            for target in (101, 801):
                before = len(eng.instances)
                group.desired_capacity = target
                with eng.lock:
                    lines = python_lines_run(lambda: eng.fleet.reconcile(sim.region, "prod-asg"))
                per_launch.append(lines / (len(eng.instances) - before))
            # moto's own get_instance copied and scanned every reservation per
            # launch: 700 launches over 100-800 instances ran ~3x the Python of
            # 100 over 1-100. Counted in lines run, not seconds: the figure is
            # the same on a loaded machine (speed itself is `make bench`'s).
            self.assertLess(per_launch[1], 1.2 * per_launch[0],
                            f"Python lines per launch {per_launch[0]:.0f} at 1-100 instances, "
                            f"{per_launch[1]:.0f} at 100-800")


def python_lines_run(fn):
    """How many Python lines fn runs (this thread): a measure of work that
    does not depend on the machine's load."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return tracer
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(previous)
    return count


if __name__ == "__main__":
    testlib.main()
