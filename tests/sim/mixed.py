"""Mixed instances policies: which override, which template and which market
each launch uses, and capacity counted in weights.

From Amazon EC2 Auto Scaling's documents:
- Auto Scaling groups with multiple instance types and purchase options
  (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-mixed-instances-groups.html):
  OnDemandBaseCapacity is filled with On-Demand first, then
  OnDemandPercentageAboveBaseCapacity (default 100) of the rest; the rest is Spot.
- Allocation strategies (.../allocation-strategies.html): On-Demand `prioritized`
  (the default) takes the overrides in their order, falling back to the next when
  a type has no capacity; `lowest-price` the cheapest. For Spot, the
  capacity-optimized strategies (the default price-capacity-optimized) spread over
  the pools with the most capacity: the simulator takes the override with the
  fewest Spot instances of the group, in order on ties.
- Multiple launch templates (.../ec2-auto-scaling-mixed-instances-groups-launch-template-overrides.html):
  an override's LaunchTemplateSpecification replaces the group's template for its
  instance type; DescribeAutoScalingGroups/DescribeAutoScalingInstances report,
  per instance, the template and version it was launched from.
- Instance weights (.../ec2-auto-scaling-mixed-instances-groups-instance-weighting.html):
  desired capacity, MinSize and MaxSize count weights; a launch may overshoot the
  desired capacity by less than the launched instance's weight; each instance
  reports its WeightedCapacity. A scale-in event is "a new value for the
  desired capacity ... lower than the current capacity"
  (.../as-instance-termination.html): an overage stays until the desired
  capacity changes (fleet.py reconcile)."""
import math


def policy(group):
    return group.mixed_instances_policy or None


def overrides(group):
    mip = policy(group)
    return list(((mip or {}).get("LaunchTemplate") or {}).get("Overrides") or [])


def weighted(group):
    return any(o.get("WeightedCapacity") for o in overrides(group))


def weight(state):
    try:
        return max(1, int(getattr(state, "weighted_capacity", None) or 1))
    except (TypeError, ValueError):
        return 1


def capacity(states):
    # weight() of each, without its call for the unweighted (every reconcile
    # of a group of 1,000 counts them all).
    total = 0
    for s in states:
        total += weight(s) if getattr(s, "weighted_capacity", None) else 1
    return total


def market(group, counted):
    """'on-demand' or 'spot' for the next launch, from InstancesDistribution."""
    dist = (policy(group) or {}).get("InstancesDistribution") or {}
    base = int(dist.get("OnDemandBaseCapacity") or 0)
    pct = dist.get("OnDemandPercentageAboveBaseCapacity")
    pct = 100 if pct is None else int(pct)
    desired = group.desired_capacity or 0
    if desired <= base:
        target = desired
    else:
        # The On-Demand share above the base is rounded up.
        target = base + math.ceil((desired - base) * pct / 100.0 - 1e-9)
    on_demand = sum(weight(s) for s in counted if getattr(s, "_sim_market", "on-demand") == "on-demand")
    return "on-demand" if on_demand < target else "spot"


def choose(group, counted, unavailable=(), price=None):
    """(override or None, market) for the next launch of a group."""
    ovs = overrides(group)
    kind = market(group, counted) if policy(group) else "on-demand"
    if not ovs:
        return None, kind
    dist = (policy(group) or {}).get("InstancesDistribution") or {}
    usable = [o for o in ovs if o.get("InstanceType") not in unavailable] or ovs
    if kind == "on-demand":
        if dist.get("OnDemandAllocationStrategy") == "lowest-price" and price is not None:
            return min(usable, key=lambda o: (price(o.get("InstanceType")), usable.index(o))), kind
        return usable[0], kind
    spot = {}
    for s in counted:
        if getattr(s, "_sim_market", None) == "spot":
            spot[s.instance.instance_type] = spot.get(s.instance.instance_type, 0) + 1
    return min(usable, key=lambda o: (spot.get(o.get("InstanceType"), 0), usable.index(o))), kind


def current_templates(group):
    """Template ids an instance of the group may have been launched from and still be current."""
    ids = set()
    if group.ec2_launch_template is not None:
        ids.add(group.ec2_launch_template.id)
    for o in overrides(group):
        spec = o.get("LaunchTemplateSpecification") or {}
        if spec.get("LaunchTemplateId"):
            ids.add(spec["LaunchTemplateId"])
        elif spec.get("LaunchTemplateName"):
            ids.add(("name", spec["LaunchTemplateName"]))
    return ids
