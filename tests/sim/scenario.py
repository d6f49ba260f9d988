"""Scenario files: a cluster as it stands before a rollout, in TOML or JSON.

    region = "us-east-1"
    time_scale = 0.05          # real seconds per AWS second
    seed = 7
    api_fidelity = "aws"       # or "moto": ECS lists/describes as moto answers (ecs_fidelity.py)

    [delays]                   # AWS seconds; see engine.DEFAULT_DELAYS
    boot = 40

    [[clusters]]
    name = "prod"

    [[task_definitions]]
    family = "web"
    cpu = 256
    memory = 512
    host_port = 8080           # optional static host port (default: dynamic)

    [[auto_scaling_groups]]
    name = "prod-ecs"
    cluster = "prod"           # written as ECS_CLUSTER=prod into the user data
    ami = "ami-0aaaaaaaaaaaaaaaa"
    instance_type = "m5.large"
    min = 2
    max = 12
    desired = 4

    [[services]]
    cluster = "prod"
    name = "web"
    task_definition = "web"    # or cpu/memory/host_port here: a definition named after the service
    desired = 8
    minimum_healthy_percent = 100
    maximum_percent = 200

    [[tasks]]                  # standalone tasks (RunTask)
    cluster = "prod"
    task_definition = "batch"
    count = 1

    [faults]                   # see faults.py
    cluster = { never_register = 1 }

Resources are created through the AWS APIs of the running simulator (as any
client would) and settle into their steady state before the run begins."""
import base64
import json
import pathlib
import tomllib

TOP_KEYS = {"description", "region", "time_scale", "seed", "delays", "clusters", "task_definitions",
            "auto_scaling_groups", "services", "tasks", "faults", "api_fidelity"}
KEYS = {
    "clusters": {"name"},
    "task_definitions": {"family", "cpu", "memory", "host_port", "container_port", "network_mode", "image",
                         "containers"},
    "auto_scaling_groups": {"name", "cluster", "ami", "instance_type", "min", "max", "desired",
                            "availability_zones", "launch_template", "launch_template_version",
                            "termination_policies", "protect_from_scale_in", "suspended_processes",
                            "user_data", "lifecycle_hooks", "health_check_grace_period", "tags",
                            "ecs_config", "draining", "capacity_rebalance"},
    "services": {"cluster", "name", "task_definition", "desired", "minimum_healthy_percent",
                 "maximum_percent", "scheduling", "placement_strategy", "placement_constraints",
                 "cpu", "memory", "host_port", "crash_after"},
    "tasks": {"cluster", "task_definition", "count", "started_by", "group"},
}
REQUIRED = {
    "clusters": {"name"},
    "task_definitions": {"family"},
    "auto_scaling_groups": {"name", "ami"},
    "services": {"cluster", "name"},
    "tasks": {"cluster", "task_definition"},
}


class ScenarioError(ValueError):
    pass


def load(source):
    """A scenario dict from a dict, a .toml/.json path, or None (empty scenario)."""
    if source is None:
        data = {}
    elif isinstance(source, dict):
        data = json.loads(json.dumps(source))
    else:
        path = pathlib.Path(source)
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise ScenarioError(f"cannot read scenario {path}: {e.strerror}")
        try:
            data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode())
        except (ValueError, tomllib.TOMLDecodeError) as e:
            raise ScenarioError(f"scenario {path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {e}")
    validate(data)
    return data


def validate(data):
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a table/object at the top level")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ScenarioError(f"scenario: unknown keys {sorted(unknown)}; known: {sorted(TOP_KEYS)}")
    from . import scenario_asg  # the group shapes' own keys (scenario_asg.py)
    for section, keys in KEYS.items():
        if section == "auto_scaling_groups":
            keys = keys | scenario_asg.GROUP_KEYS
        items = data.get(section, [])
        if not isinstance(items, list):
            raise ScenarioError(f"scenario: {section} must be a list ([[{section}]] in TOML)")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ScenarioError(f"scenario: {section}[{i}] must be a table")
            bad = set(item) - keys
            if bad:
                raise ScenarioError(f"scenario: {section}[{i}]: unknown keys {sorted(bad)}; known: {sorted(keys)}")
            missing = REQUIRED[section] - set(item)
            if missing:
                raise ScenarioError(f"scenario: {section}[{i}]: missing {sorted(missing)}")
    if data.get("api_fidelity", "aws") not in ("aws", "moto"):
        raise ScenarioError("scenario: api_fidelity must be \"aws\" or \"moto\" (see ecs_fidelity.py)")
    ts = data.get("time_scale")
    if ts is not None and (not isinstance(ts, (int, float)) or ts <= 0):
        raise ScenarioError("scenario: time_scale must be a number > 0")
    for g in data.get("auto_scaling_groups", []):
        lo, hi = g.get("min", 0), g.get("max", max(g.get("desired", 1), g.get("min", 0)))
        d = g.get("desired", lo)
        if not lo <= d <= hi:
            raise ScenarioError(f"scenario: group {g['name']}: need min <= desired <= max, got {lo}, {d}, {hi}")
        scenario_asg.validate_group(g)
    for s in data.get("services", []):
        if s.get("scheduling", "REPLICA") not in ("REPLICA", "DAEMON"):
            raise ScenarioError(f"scenario: service {s['name']}: scheduling must be REPLICA or DAEMON")


def ecs_user_data(cluster, ecs_config=()):
    """User data writing ECS_CLUSTER and any further agent settings (e.g.
    ECS_ENABLE_SPOT_INSTANCE_DRAINING=true, ECS_INSTANCE_ATTRIBUTES={...}) to ecs.config."""
    lines = [f"ECS_CLUSTER={cluster}"] + list(ecs_config)
    script = "#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\n" + "\n".join(lines) + "\nEOF\n"
    return base64.b64encode(script.encode()).decode()


def _containers(td):
    if td.get("containers"):
        return td["containers"]
    pm = {"containerPort": td.get("container_port", 80), "hostPort": td.get("host_port", 0), "protocol": "tcp"}
    if (td.get("network_mode") or "bridge") == "awsvpc":
        pm.pop("hostPort")
    return [{"name": td["family"], "image": td.get("image", "public.ecr.aws/nginx/nginx:latest"),
             "cpu": td.get("cpu", 128), "memory": td.get("memory", 256), "essential": True,
             "portMappings": [pm]}]


def apply(sim, data):
    """Creates the scenario's resources through the simulator's own APIs."""
    from . import scenario_asg
    ecs = sim.client("ecs", max_attempts=1)
    ec2 = sim.client("ec2", max_attempts=1)
    asg = sim.client("autoscaling", max_attempts=1)
    region = sim.region
    for c in data.get("clusters", []):
        ecs.create_cluster(clusterName=c["name"])
    tds = list(data.get("task_definitions", []))
    for s in data.get("services", []):
        if "task_definition" not in s:  # cpu/memory given on the service: a definition of its own
            tds.append({"family": s["name"], "cpu": s.get("cpu", 128), "memory": s.get("memory", 256),
                        "host_port": s.get("host_port", 0)})
    for td in tds:
        ecs.register_task_definition(family=td["family"], containerDefinitions=_containers(td),
                                     networkMode=td.get("network_mode", "bridge"))
    templates = set()
    for g in data.get("auto_scaling_groups", []):
        lt = g.get("launch_template", f"{g['name']}-lt")
        if lt not in templates:
            ud = g.get("user_data")
            if ud is None:
                ud = ecs_user_data(g.get("cluster", "default"), g.get("ecs_config", ()))
            ec2.create_launch_template(LaunchTemplateName=lt, LaunchTemplateData={
                "ImageId": g["ami"], "InstanceType": g.get("instance_type", "m5.large"), "UserData": ud})
            templates.add(lt)
        lo = g.get("min", 0)
        desired = g.get("desired", lo)
        kwargs = dict(AutoScalingGroupName=g["name"],
                      LaunchTemplate={"LaunchTemplateName": lt, "Version": g.get("launch_template_version", "$Latest")},
                      MinSize=lo, MaxSize=g.get("max", max(desired, lo)), DesiredCapacity=desired,
                      AvailabilityZones=g.get("availability_zones", [f"{region}a", f"{region}b", f"{region}c"]),
                      NewInstancesProtectedFromScaleIn=bool(g.get("protect_from_scale_in", False)),
                      HealthCheckGracePeriod=g.get("health_check_grace_period", 300))
        if g.get("termination_policies"):
            kwargs["TerminationPolicies"] = g["termination_policies"]
        if g.get("capacity_rebalance"):
            kwargs["CapacityRebalance"] = True
        if g.get("tags"):
            kwargs["Tags"] = [{"Key": k, "Value": str(v), "PropagateAtLaunch": True} for k, v in g["tags"].items()]
        scenario_asg.group_kwargs(ec2, g, kwargs, templates)
        scenario_asg.before_create(sim, g)
        asg.create_auto_scaling_group(**kwargs)
        scenario_asg.put_hooks(sim, asg, g)
    sim.engine.settle()
    for s in data.get("services", []):
        kwargs = dict(cluster=s["cluster"], serviceName=s["name"], launchType="EC2",
                      taskDefinition=s.get("task_definition", s["name"]),
                      schedulingStrategy=s.get("scheduling", "REPLICA"))
        if kwargs["schedulingStrategy"] == "REPLICA":
            kwargs["desiredCount"] = s.get("desired", 1)
            kwargs["deploymentConfiguration"] = {
                "minimumHealthyPercent": s.get("minimum_healthy_percent", 100),
                "maximumPercent": s.get("maximum_percent", 200)}
        else:
            kwargs["deploymentConfiguration"] = {
                "minimumHealthyPercent": s.get("minimum_healthy_percent", 0),
                "maximumPercent": s.get("maximum_percent", 100)}
        if s.get("placement_strategy"):
            kwargs["placementStrategy"] = s["placement_strategy"]
        if s.get("placement_constraints"):
            kwargs["placementConstraints"] = s["placement_constraints"]
        ecs.create_service(**kwargs)
        if s.get("crash_after") is not None:
            from .ecs_disruptions import crash_loop
            from .engine import ecs_backend
            svc = ecs_backend(region).services[f"{s['cluster']}:{s['name']}"]
            with sim.engine.lock:
                crash_loop(sim.engine, svc, s["crash_after"])
    sim.engine.settle()
    for t in data.get("tasks", []):
        left = t.get("count", 1)
        while left > 0:
            n = min(left, 10)
            kwargs = dict(cluster=t["cluster"], taskDefinition=t["task_definition"], count=n, launchType="EC2")
            if t.get("started_by"):
                kwargs["startedBy"] = t["started_by"]
            if t.get("group"):
                kwargs["group"] = t["group"]
            out = ecs.run_task(**kwargs)
            if out.get("failures"):
                raise ScenarioError(f"scenario: RunTask {t['task_definition']} on {t['cluster']}: "
                                    f"{out['failures']}")
            left -= n
    sim.engine.settle()
    for g in data.get("auto_scaling_groups", []):
        if g.get("draining"):
            # An operator drained some instances before the run (sorted by instance id).
            members = sorted(i["InstanceId"] for i in asg.describe_auto_scaling_groups(
                AutoScalingGroupNames=[g["name"]])["AutoScalingGroups"][0]["Instances"])[:g["draining"]]
            eng = sim.engine
            with eng.lock:
                arns = [eng.cis[eng.ci_by_ec2[i]].container_instance_arn for i in members if i in eng.ci_by_ec2]
            ecs.update_container_instances_state(cluster=g.get("cluster", "default"), status="DRAINING",
                                                 containerInstances=arns)
    sim.engine.settle()
    # Last: policies, refreshes, deletions... start from the settled cluster and are
    # not fast-forwarded (their clocks run from the start of the run).
    scenario_asg.after_settle(sim, data)
    for g in data.get("auto_scaling_groups", []):
        if g.get("suspended_processes"):
            asg.suspend_processes(AutoScalingGroupName=g["name"], ScalingProcesses=g["suspended_processes"])


def critical_path_of(data, delays, time_scale, batches=1, by_scale_in=False):
    """The least time a rollout can take, per batch: boot the replacements, let their
    agents register, start the moved tasks, stop the old ones, terminate the old
    instances. Nothing about the helper; only the simulated AWS delays. by_scale_in:
    the old instances leave by one scale-in (a lower desired capacity), whose activity
    starts `scale_in` after the change, rather than by one termination call each."""
    parts = {
        "boot": delays["boot"],
        "agent_register": delays["agent_register"],
        "task_start": delays["task_start"],
        "task_stop": delays["task_deactivate"] + delays["task_stop"],
    }
    if by_scale_in:
        parts["scale_in"] = delays["scale_in"]
    parts["terminate"] = delays["terminate"]
    per_batch = sum(parts.values())
    groups = data.get("auto_scaling_groups", [])
    return {
        "per_batch_aws_seconds": parts,
        "per_batch_total_aws_seconds": per_batch,
        "batches": batches,
        "total_aws_seconds": per_batch * batches,
        "total_real_seconds": round(per_batch * batches * time_scale, 3),
        "time_scale": time_scale,
        "instances": sum(g.get("desired", g.get("min", 0)) for g in groups),
        "tasks": sum(s.get("desired", 1) for s in data.get("services", []) if s.get("scheduling", "REPLICA") == "REPLICA")
                 + sum(t.get("count", 1) for t in data.get("tasks", [])),
    }


def critical_path(source, batches=1, time_scale=None):
    """critical_path_of() for a scenario (dict or file) with its own delays and time scale."""
    from .engine import DEFAULT_DELAYS
    data = load(source)
    delays = dict(DEFAULT_DELAYS, **(data.get("delays") or {}))
    return critical_path_of(data, delays, float(time_scale or data.get("time_scale") or 1.0), batches)
