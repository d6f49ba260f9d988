"""The Auto Scaling side of scenario files: the group shapes of tests/sim/scenarios/shapes/.

Extra keys of an [[auto_scaling_groups]] table (all optional):

    lifecycle_hooks = [{name, transition = "launching"|"terminating", heartbeat_timeout = 300,
                        default_result = "CONTINUE",
                        owner = "log-shipper",       # someone else completes the hook's actions:
                        complete_after = 120,        #   AWS seconds after each action starts (omitted: never)
                        heartbeat_every = 60,        #   records heartbeats meanwhile (omitted: none)
                        result = "CONTINUE"}]

    mixed_instances = {                              # a MixedInstancesPolicy instead of the template
        overrides = [{instance_type = "m5.large", weight = 2,
                      launch_template = "prod-arm",  # the override's own template (made from the
                      ami = "ami-...",               #   group's with this AMI when it does not exist)
                      launch_template_version = "$Latest"}],
        on_demand_base_capacity = 0, on_demand_percentage_above_base_capacity = 100,
        on_demand_allocation_strategy = "prioritized", spot_allocation_strategy = "price-capacity-optimized",
        unavailable_instance_types = ["m5.large"]}   # EC2 has no capacity for these (simulator)

    cpu_load = 120          # CPU demand in percent of one instance, spread over the InService ones
    scaling_policies = [{name = "cpu50", metric = "ASGAverageCPUUtilization", target = 50,
                         disable_scale_in = false}]          # target tracking, with its alarms
    scheduled_actions = [{name = "night", in = 600, desired = 2, min = 1, max = 8}]
                            # one-time, due `in` AWS seconds after the scenario is ready
    capacity_provider = {name = "prod-cp", managed_scaling = true, target_capacity = 100,
                         managed_termination_protection = true,  # needs protect_from_scale_in
                         managed_draining = true, minimum_scaling_step_size = 1,
                         maximum_scaling_step_size = 10000}      # associated with the group's cluster

    standby = 1             # EnterStandby (decrementing) on this many instances
    instance_refresh = {min_healthy_percentage = 90, instance_warmup = 300, skip_matching = false}
                            # StartInstanceRefresh: a refresh in progress when the run starts
    delete = true           # DeleteAutoScalingGroup ForceDelete: "Delete in progress" until its
                            #   instances are terminated (a long [delays] terminate keeps it so)

Policies, scheduled actions and capacity providers are put once the services run
(the group starts steady, as a real one would be before a rollout).

Each key is applied through the AWS APIs, as a client would (scenario.apply calls
in here at the points named after it)."""
from .scenario import ScenarioError

GROUP_KEYS = {"mixed_instances", "cpu_load", "scaling_policies", "scheduled_actions", "capacity_provider",
              "standby", "instance_refresh", "delete"}
REFRESH_KEYS = {"min_healthy_percentage", "instance_warmup", "skip_matching"}
POLICY_KEYS = {"name", "metric", "target", "disable_scale_in"}
SCHEDULED_KEYS = {"name", "in", "min", "max", "desired"}
PROVIDER_KEYS = {"name", "managed_scaling", "target_capacity", "managed_termination_protection",
                 "managed_draining", "minimum_scaling_step_size", "maximum_scaling_step_size"}
MIXED_KEYS = {"overrides", "on_demand_base_capacity", "on_demand_percentage_above_base_capacity",
              "on_demand_allocation_strategy", "spot_allocation_strategy", "unavailable_instance_types"}
OVERRIDE_KEYS = {"instance_type", "weight", "launch_template", "launch_template_version", "ami"}
HOOK_KEYS = {"name", "transition", "heartbeat_timeout", "default_result", "owner", "complete_after",
             "heartbeat_every", "result"}
TRANSITIONS = {"launching": "autoscaling:EC2_INSTANCE_LAUNCHING",
               "terminating": "autoscaling:EC2_INSTANCE_TERMINATING"}


def _number(where, value, low=0):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < low:
        raise ScenarioError(f"scenario: {where} must be a number >= {low}, got {value!r}")


def _table_list(where, items, keys, required=("name",)):
    if not isinstance(items, list):
        raise ScenarioError(f"scenario: {where} must be a list of tables")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ScenarioError(f"scenario: {where}[{i}] must be a table")
        bad = set(item) - keys
        if bad:
            raise ScenarioError(f"scenario: {where}[{i}]: unknown keys {sorted(bad)}; known: {sorted(keys)}")
        missing = set(required) - set(item)
        if missing:
            raise ScenarioError(f"scenario: {where}[{i}]: missing {sorted(missing)}")


def _validate_scaling(g):
    name = g["name"]
    if "cpu_load" in g:
        _number(f"group {name}: cpu_load", g["cpu_load"])
    _table_list(f"group {name}: scaling_policies", g.get("scaling_policies", []), POLICY_KEYS)
    for p in g.get("scaling_policies", []):
        if p.get("metric", "ASGAverageCPUUtilization") != "ASGAverageCPUUtilization":
            raise ScenarioError(f"scenario: group {name}: policy {p['name']}: metric must be ASGAverageCPUUtilization")
        _number(f"group {name}: policy {p['name']}: target", p.get("target", 50), low=1)
    _table_list(f"group {name}: scheduled_actions", g.get("scheduled_actions", []), SCHEDULED_KEYS, ("name", "in"))
    for a in g.get("scheduled_actions", []):
        _number(f"group {name}: scheduled action {a['name']}: in", a["in"])
    cp = g.get("capacity_provider")
    if cp is not None:
        _table_list(f"group {name}: capacity_provider", [cp], PROVIDER_KEYS)
        if cp.get("managed_termination_protection", True) and not g.get("protect_from_scale_in"):
            raise ScenarioError(f"scenario: group {name}: capacity_provider with managed_termination_protection "
                                "needs protect_from_scale_in = true (ECS refuses it otherwise)")
        tc = cp.get("target_capacity", 100)
        if not isinstance(tc, int) or not 1 <= tc <= 100:
            raise ScenarioError(f"scenario: group {name}: capacity_provider target_capacity must be 1..100")


def _validate_refusals(g):
    name = g["name"]
    if "standby" in g and (not isinstance(g["standby"], int) or not 0 <= g["standby"] <= g.get("desired", 0)):
        raise ScenarioError(f"scenario: group {name}: standby must be an integer 0..desired")
    if "delete" in g and not isinstance(g["delete"], bool):
        raise ScenarioError(f"scenario: group {name}: delete must be true or false")
    ref = g.get("instance_refresh")
    if ref is not None:
        _table_list(f"group {name}: instance_refresh", [ref], REFRESH_KEYS, ())
        mh = ref.get("min_healthy_percentage", 90)
        if not isinstance(mh, int) or not 0 <= mh <= 100:
            raise ScenarioError(f"scenario: group {name}: instance_refresh min_healthy_percentage must be 0..100")


def validate_group(g):
    name = g["name"]
    _validate_mixed(g)
    _validate_scaling(g)
    _validate_refusals(g)
    for i, h in enumerate(g.get("lifecycle_hooks", [])):
        where = f"group {name}: lifecycle_hooks[{i}]"
        if not isinstance(h, dict):
            raise ScenarioError(f"scenario: {where} must be a table")
        bad = set(h) - HOOK_KEYS
        if bad:
            raise ScenarioError(f"scenario: {where}: unknown keys {sorted(bad)}; known: {sorted(HOOK_KEYS)}")
        if "name" not in h or "transition" not in h:
            raise ScenarioError(f"scenario: {where}: missing name or transition")
        if TRANSITIONS.get(h["transition"], h["transition"]) not in TRANSITIONS.values():
            raise ScenarioError(f"scenario: {where}: transition must be launching or terminating")
        hb = h.get("heartbeat_timeout", 300)
        if not isinstance(hb, int) or not 30 <= hb <= 7200:
            # PutLifecycleHook: HeartbeatTimeout from 30 to 7200 seconds.
            raise ScenarioError(f"scenario: {where}: heartbeat_timeout must be 30..7200 seconds")
        for key in ("default_result", "result"):
            if h.get(key, "CONTINUE") not in ("CONTINUE", "ABANDON"):
                raise ScenarioError(f"scenario: {where}: {key} must be CONTINUE or ABANDON")
        for key in ("complete_after", "heartbeat_every"):
            if key in h:
                _number(f"{where}: {key}", h[key], low=1)
        if ("complete_after" in h or "heartbeat_every" in h) and "owner" not in h:
            raise ScenarioError(f"scenario: {where}: complete_after/heartbeat_every need an owner")


def _validate_mixed(g):
    mip = g.get("mixed_instances")
    if mip is None:
        return
    where = f"group {g['name']}: mixed_instances"
    if not isinstance(mip, dict):
        raise ScenarioError(f"scenario: {where} must be a table")
    bad = set(mip) - MIXED_KEYS
    if bad:
        raise ScenarioError(f"scenario: {where}: unknown keys {sorted(bad)}; known: {sorted(MIXED_KEYS)}")
    ovs = mip.get("overrides") or []
    if not isinstance(ovs, list) or not ovs:
        raise ScenarioError(f"scenario: {where}: overrides must be a non-empty list")
    for i, o in enumerate(ovs):
        bad = set(o) - OVERRIDE_KEYS if isinstance(o, dict) else {"(not a table)"}
        if bad:
            raise ScenarioError(f"scenario: {where}.overrides[{i}]: unknown keys {sorted(bad)}; "
                                f"known: {sorted(OVERRIDE_KEYS)}")
        if "instance_type" not in o:
            raise ScenarioError(f"scenario: {where}.overrides[{i}]: missing instance_type")
        if "weight" in o and (not isinstance(o["weight"], int) or not 1 <= o["weight"] <= 999):
            # WeightedCapacity: 1 to 999.
            raise ScenarioError(f"scenario: {where}.overrides[{i}]: weight must be an integer 1..999")
    pct = mip.get("on_demand_percentage_above_base_capacity", 100)
    if not isinstance(pct, int) or not 0 <= pct <= 100:
        raise ScenarioError(f"scenario: {where}: on_demand_percentage_above_base_capacity must be 0..100")


def group_kwargs(ec2, g, kwargs, templates):
    """CreateAutoScalingGroup arguments for the group's shape (a mixed instances
    policy replaces LaunchTemplate); makes the overrides' own templates."""
    mip = g.get("mixed_instances")
    if not mip:
        return
    base = kwargs.pop("LaunchTemplate")
    overrides = []
    for o in mip["overrides"]:
        ov = {"InstanceType": o["instance_type"]}
        if "weight" in o:
            ov["WeightedCapacity"] = str(o["weight"])
        if "launch_template" in o:
            name = o["launch_template"]
            if name not in templates:
                data = ec2.describe_launch_template_versions(
                    LaunchTemplateName=base["LaunchTemplateName"], Versions=["$Latest"])[
                    "LaunchTemplateVersions"][0]["LaunchTemplateData"]
                data = dict(data, ImageId=o.get("ami", data["ImageId"]), InstanceType=o["instance_type"])
                ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)
                templates.add(name)
            ov["LaunchTemplateSpecification"] = {"LaunchTemplateName": name,
                                                 "Version": o.get("launch_template_version", "$Latest")}
        overrides.append(ov)
    dist = {"OnDemandBaseCapacity": mip.get("on_demand_base_capacity", 0),
            "OnDemandPercentageAboveBaseCapacity": mip.get("on_demand_percentage_above_base_capacity", 100),
            "OnDemandAllocationStrategy": mip.get("on_demand_allocation_strategy", "prioritized"),
            "SpotAllocationStrategy": mip.get("spot_allocation_strategy", "price-capacity-optimized")}
    kwargs["MixedInstancesPolicy"] = {"LaunchTemplate": {"LaunchTemplateSpecification": base,
                                                         "Overrides": overrides},
                                      "InstancesDistribution": dist}


def before_create(sim, g):
    """Simulator-only properties of a group about to be created (EC2 capacity)."""
    unavailable = (g.get("mixed_instances") or {}).get("unavailable_instance_types")
    if unavailable:
        with sim.engine.lock:
            sim.engine.unavailable_types[g["name"]] = tuple(unavailable)


def put_hooks(sim, asg, g):
    """PutLifecycleHook for each hook; owners start acting on the actions that follow."""
    for h in g.get("lifecycle_hooks", []):
        asg.put_lifecycle_hook(LifecycleHookName=h["name"], AutoScalingGroupName=g["name"],
                               LifecycleTransition=TRANSITIONS.get(h["transition"], h["transition"]),
                               HeartbeatTimeout=int(h.get("heartbeat_timeout", 300)),
                               DefaultResult=h.get("default_result", "CONTINUE"))
        if "owner" in h:
            with sim.engine.lock:
                sim.engine.fleet.set_hook_owner(g["name"], h["name"], owner=h["owner"],
                                                complete_after=h.get("complete_after"),
                                                heartbeat_every=h.get("heartbeat_every"),
                                                result=h.get("result", "CONTINUE"))


def after_settle(sim, data):
    """Scaling policies, scheduled actions and capacity providers, through the APIs,
    once the cluster is steady."""
    import datetime
    asg = sim.client("autoscaling", max_attempts=1)
    ecs = sim.client("ecs", max_attempts=1)
    eng = sim.engine
    for g in data.get("auto_scaling_groups", []):
        if "cpu_load" in g:
            with eng.lock:
                eng.scaling.set_cpu_load(g["name"], g["cpu_load"])
        for p in g.get("scaling_policies", []):
            asg.put_scaling_policy(
                AutoScalingGroupName=g["name"], PolicyName=p["name"], PolicyType="TargetTrackingScaling",
                TargetTrackingConfiguration={
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                    "TargetValue": float(p.get("target", 50)), "DisableScaleIn": bool(p.get("disable_scale_in"))})
        for a in g.get("scheduled_actions", []):
            start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
                seconds=a["in"] * eng.clock.time_scale)
            kwargs = {k: a[k2] for k, k2 in (("MinSize", "min"), ("MaxSize", "max"), ("DesiredCapacity", "desired"))
                      if k2 in a}
            asg.put_scheduled_update_group_action(AutoScalingGroupName=g["name"], ScheduledActionName=a["name"],
                                                  StartTime=start, **kwargs)
        cp = g.get("capacity_provider")
        if cp is not None:
            arn = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[g["name"]])["AutoScalingGroups"][0][
                "AutoScalingGroupARN"]
            onoff = lambda key, default=True: "ENABLED" if cp.get(key, default) else "DISABLED"  # noqa: E731
            ecs.create_capacity_provider(name=cp["name"], autoScalingGroupProvider={
                "autoScalingGroupArn": arn,
                "managedScaling": {"status": onoff("managed_scaling"), "targetCapacity": cp.get("target_capacity", 100),
                                   "minimumScalingStepSize": cp.get("minimum_scaling_step_size", 1),
                                   "maximumScalingStepSize": cp.get("maximum_scaling_step_size", 10000)},
                "managedTerminationProtection": onoff("managed_termination_protection"),
                "managedDraining": onoff("managed_draining")})
            cluster = g.get("cluster", "default")
            current = ecs.describe_clusters(clusters=[cluster])["clusters"][0].get("capacityProviders") or []
            ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=current + [cp["name"]],
                                               defaultCapacityProviderStrategy=[{"capacityProvider": cp["name"],
                                                                                 "weight": 1}])
    with eng.lock:
        eng.capacity.minute(sim.region)  # protection as ECS keeps it, from the start
    for g in data.get("auto_scaling_groups", []):
        if g.get("standby"):
            members = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[g["name"]])["AutoScalingGroups"][0]
            # From the zones with the most instances first, so that what stays in service
            # is balanced (AZRebalance would otherwise launch and terminate at once).
            serving = [i for i in members["Instances"] if i["LifecycleState"] == "InService"]
            picked = []
            for _ in range(g["standby"]):
                zones = {}
                for i in serving:
                    zones.setdefault(i["AvailabilityZone"], []).append(i["InstanceId"])
                zone = max(sorted(zones), key=lambda z: len(zones[z]))
                iid = sorted(zones[zone])[0]
                picked.append(iid)
                serving = [i for i in serving if i["InstanceId"] != iid]
            asg.enter_standby(AutoScalingGroupName=g["name"], InstanceIds=picked, ShouldDecrementDesiredCapacity=True)
        ref = g.get("instance_refresh")
        if ref is not None:
            prefs = {"MinHealthyPercentage": ref.get("min_healthy_percentage", 90),
                     "SkipMatching": bool(ref.get("skip_matching", False))}
            if "instance_warmup" in ref:
                prefs["InstanceWarmup"] = ref["instance_warmup"]
            asg.start_instance_refresh(AutoScalingGroupName=g["name"], Preferences=prefs)
        if g.get("delete"):
            asg.delete_auto_scaling_group(AutoScalingGroupName=g["name"], ForceDelete=True)
