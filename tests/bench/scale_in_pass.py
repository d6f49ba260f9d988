#!/usr/bin/env python3
"""How long the simulator holds its lock for one large scale-in: a group of
2 x N instances (tests/sim/scenarios/large.toml's group, no services) keeps N
protected (SetInstanceProtection, 50 ids a call) and SetDesiredCapacity lowers
it by N, so one scale-in activity terminates the N unprotected ones in one pass
(fleet.reconcile, under the engine lock: every AWS request waits for it). Then
their EC2 terminations come due together. Prints the SetDesiredCapacity call's
time, the longest reconcile pass and the terminations' time; checks that the
victims were exactly the unprotected ones. Figures are printed, never asserted.

Usage: tests/bench/scale_in_pass.py [--instances 1000]
"""
import argparse
import pathlib
import sys
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests" / "lib"), str(ROOT / "tests")]

from sim import Simulator  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=1000, help="victims (the group has twice as many)")
    n = ap.parse_args().instances
    with open(ROOT / "tests" / "sim" / "scenarios" / "large.toml", "rb") as f:
        sc = tomllib.load(f)
    sc["services"] = []
    g = sc["auto_scaling_groups"][0]
    g.update(desired=2 * n, max=2 * n, min=0)
    with Simulator(scenario=sc, time_scale=0.05) as sim:
        eng, name = sim.engine, g["name"]
        asg = sim.client("autoscaling")

        def members():
            return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]
        # Half of each zone kept, so the zones stay balanced (no AZRebalance after).
        by_zone = {}
        for i in sorted(members(), key=lambda i: i["InstanceId"]):
            by_zone.setdefault(i["AvailabilityZone"], []).append(i["InstanceId"])
        ids = [i for zone in by_zone.values() for i in zone]
        keep = [i for zone in by_zone.values() for i in zone[:len(zone) // 2]]
        keep += [i for i in ids if i not in set(keep)][:n - len(keep)]
        for i in range(0, n, 50):
            asg.set_instance_protection(AutoScalingGroupName=name, InstanceIds=keep[i:i + 50],
                                        ProtectedFromScaleIn=True)
        passes, terms = [], []
        reconcile, terminated = eng.fleet.reconcile, eng.fleet._terminated

        def timed_reconcile(region, group):
            t0 = time.perf_counter()
            reconcile(region, group)
            passes.append(time.perf_counter() - t0)

        def timed_terminated(si):
            t0 = time.perf_counter()
            terminated(si)
            terms.append(time.perf_counter() - t0)
        eng.fleet.reconcile, eng.fleet._terminated = timed_reconcile, timed_terminated
        t0 = time.perf_counter()
        asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=n)
        call = time.perf_counter() - t0
        sim.wait_until(lambda: sum(1 for i in members() if i["LifecycleState"].startswith("Terminating")) == n,
                       timeout=300)
        victims = {i["InstanceId"] for i in members() if i["LifecycleState"].startswith("Terminating")}
        sim.wait_until(lambda: len(terms) == n and len(members()) == n, timeout=300)
    print(f"{2 * n} instances, {n} protected, SetDesiredCapacity {2 * n} -> {n}:")
    print(f"  SetDesiredCapacity call {call * 1000:.1f} ms (victims are chosen later, by the activity)")
    print(f"  reconcile passes {len(passes)}, longest {max(passes) * 1000:.1f} ms (the one choosing {n} victims)")
    print(f"  {n} EC2 terminations due together: {sum(terms) * 1000:.1f} ms in all, "
          f"longest {max(terms) * 1000:.2f} ms")
    print(f"  victims exactly the unprotected instances: {victims == set(ids) - set(keep)}")


if __name__ == "__main__":
    main()
