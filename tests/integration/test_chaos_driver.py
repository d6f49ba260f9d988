"""The chaos driver's own logic (tests/integration/chaos.py), without running
the helper: when a group counts as settled after a rollout (weighted mixed
instances count capacity units, not instances)."""
# tier: quick  (make check: a few seconds)
import unittest

import testlib
import chaos
from sim import load_scenario

from rollout import simulator


def _group(desired, *members):
    """A DescribeAutoScalingGroups group: members as (state, weight or None)."""
    inst = []
    for n, (state, weight) in enumerate(members):
        i = {"InstanceId": f"i-{n}", "LifecycleState": state}
        if weight is not None:
            i["WeightedCapacity"] = str(weight)
        inst.append(i)
    return {"DesiredCapacity": desired, "Instances": inst}


class GroupSettled(unittest.TestCase):
    def test_unweighted_group_counts_instances(self):
        self.assertTrue(chaos.group_settled(_group(2, ("InService", None), ("InService", None))))
        self.assertFalse(chaos.group_settled(_group(3, ("InService", None), ("InService", None))))
        self.assertFalse(chaos.group_settled(_group(1, ("InService", None), ("InService", None))))
        self.assertFalse(chaos.group_settled(_group(2, ("InService", None), ("Pending", None))))
        self.assertFalse(chaos.group_settled(_group(2, ("InService", None), ("InService", None),
                                                    ("Terminating", None))))
        self.assertTrue(chaos.group_settled(_group(0)))

    def test_weighted_group_counts_capacity_units(self):
        # Desired 3 from an m5.xlarge (2) and an m5.large (1): two instances.
        self.assertTrue(chaos.group_settled(_group(3, ("InService", 2), ("InService", 1))))
        # A launch may overshoot: 4 units for desired 3, nothing can go.
        self.assertTrue(chaos.group_settled(_group(3, ("InService", 2), ("InService", 2))))
        # Short of the desired capacity: a launch is still to come.
        self.assertFalse(chaos.group_settled(_group(3, ("InService", 2))))
        # An overage left by the last launch, less than its weight, stays.
        self.assertTrue(chaos.group_settled(_group(3, ("InService", 1), ("InService", 1), ("InService", 2))))
        # More than any launch leaves: scale-in is still to come.
        self.assertFalse(chaos.group_settled(_group(3, ("InService", 2), ("InService", 2), ("InService", 1))))
        self.assertFalse(chaos.group_settled(_group(3, ("InService", 2), ("Pending", 1))))

    def test_mixed_instances_shape_settles_with_its_weights(self):
        # The shape's own group grown as a rollout grows it: the Spot launches
        # spread over the overrides, weights 1 and 2; the group settles.
        shaped = load_scenario(chaos.SHAPES_DIR / "mixed-instances.toml")
        g = next(g for g in shaped["auto_scaling_groups"] if g["name"] == "prod-asg")
        g["desired"] = 3
        with simulator(shaped, time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=7)
            sim.wait_until(lambda: chaos._settled(sim, "prod-asg"), timeout=60, message="the group settled")
            members = chaos.group(asg, "prod-asg")["Instances"]
            self.assertGreater(max(int(m.get("WeightedCapacity") or 1) for m in members), 1, members)


if __name__ == "__main__":
    testlib.main()
