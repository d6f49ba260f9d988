"""The ledger's checks on the Auto Scaling groups (issue 12, "Done when"):

- the group's configuration is identical before and after: sizes, scaling
  policies, lifecycle hooks, NewInstancesProtectedFromScaleIn, per-instance
  scale-in protection, suspended processes, the capacity provider's settings,
  tags other than the rollout's own (`ecs-rollout:`), launch template,
  termination policies...; on a group whose capacity provider has managed
  termination protection (with managed scaling) ECS itself sets and clears
  each instance's protection as tasks come and go (Amazon ECS Developer Guide,
  "Capacity provider managed termination protection",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html):
  there per-instance protection is not configuration, and what is checked
  instead is that nobody called SetInstanceProtection on the group;
- every old instance is replaced at most once: the group launched no more
  instances than it had members when the run started, plus one per instance
  that left for a reason of its own (failed health check, Spot interruption,
  never registered with ECS, AZ rebalancing), what others scaled out
  (scaling policies, scheduled actions, managed scaling), and up to (zones - 1)
  surplus instances a rollout may launch to even out the zones before it
  resumes AZRebalance (drained and removed again). With the sizes unchanged and
  no old member left, that is exactly once; a rollout that replaces instances
  it launched itself (issue 12: a 3-instance group went through hundreds) is
  caught;
- scheduled actions that came due during the run are reported (Auto Scaling
  User Guide, "Scheduled scaling": an action runs at its StartTime or at each
  Recurrence, a cron expression in UTC unless TimeZone says otherwise).

snapshot() runs when the scenario is ready; report() compares with now. The
differences are the ledger's `group_config_changes` and `replacements`; any of
them is a problem that makes the ledger's `ok` false (while a rollout is under
way its own changes show too: read the verdict once it has ended)."""
import datetime

from .engine import asg_backend, ecs_backend

ROLLOUT_TAG_PREFIX = "ecs-rollout:"
# Desired capacity changes made through the API (by the rollout or a person):
# not a scale-out "by others".
API_CAUSES = {"SetDesiredCapacity", "UpdateAutoScalingGroup", "AttachInstances", "EnterStandby",
              "ExitStandby", "DetachInstances", "TerminateInstanceInAutoScalingGroup"}
SIMPLE = (str, int, float, bool, type(None))


def _plain(value, depth=0):
    """A JSON-comparable copy of simple values, lists and dicts (objects dropped)."""
    if isinstance(value, SIMPLE):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if depth > 6:
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    return None


def _attrs(obj, skip=()):
    return {k: _plain(v) for k, v in sorted(vars(obj).items())
            if not k.startswith("_") and k not in skip and isinstance(v, SIMPLE + (list, tuple, dict))}


def _tag(t):
    if isinstance(t, dict):
        key = t.get("key", t.get("Key"))
        return key, t.get("value", t.get("Value")), bool(t.get("propagate_at_launch", t.get("PropagateAtLaunch")))
    return getattr(t, "key", None), getattr(t, "value", None), bool(getattr(t, "propagate_at_launch", False))


def group_config(eng, group):
    """What must be the same before and after a rollout."""
    region = group.region
    backend = asg_backend(region)
    lt = group.ec2_launch_template
    cfg = {
        "MinSize": group.min_size,
        "MaxSize": group.max_size,
        "DesiredCapacity": group.desired_capacity,
        "NewInstancesProtectedFromScaleIn": bool(group.new_instances_protected_from_scale_in),
        "SuspendedProcesses": sorted(p["ProcessName"] for p in group.suspended_processes),
        "Tags": sorted([list(_tag(t)) for t in group.tags or [] if not str(_tag(t)[0]).startswith(ROLLOUT_TAG_PREFIX)],
                       key=str),
        "TerminationPolicies": list(group.termination_policies or []),
        "LaunchTemplate": [lt.name, str(group.launch_template_version)] if lt is not None else None,
        "LaunchConfigurationName": getattr(group.launch_config, "name", None),
        "MixedInstancesPolicy": _plain(group.mixed_instances_policy),
        "CapacityRebalance": _plain(getattr(group, "capacity_rebalance", None)),
        "ProtectedInstances": ECS_MANAGED if ecs_manages_protection(group) else
        sum(1 for s in group.instance_states if s.protected_from_scale_in),
        "ScalingPolicies": {p.name: _attrs(p, skip=("autoscaling_backend",))
                            for p in backend.policies.values() if p.auto_scaling_group_name == group.name},
        "LifecycleHooks": {h.name: _attrs(h) for h in backend.lifecycle_hooks.values()
                           if h.auto_scaling_group_name == group.name},
        "CapacityProviders": {},
    }
    for cp in ecs_backend(region).capacity_providers.values():
        prov = cp.auto_scaling_group_provider or {}
        if prov.get("autoScalingGroupArn") in (group.arn, group.name):
            cfg["CapacityProviders"][cp.name] = _plain(prov)
    return cfg


ECS_MANAGED = "set by ECS (managed termination protection)"


def ecs_manages_protection(group):
    """True when an ACTIVE capacity provider of the group has managed termination
    protection and managed scaling ENABLED: ECS then keeps scale-in protection on
    the instances running tasks and takes it off the others (capacity_providers.py)."""
    for cp in ecs_backend(group.region).capacity_providers.values():
        prov = cp.auto_scaling_group_provider or {}
        if prov.get("autoScalingGroupArn") not in (group.arn, group.name) or cp.status != "ACTIVE":
            continue
        if _enabled(prov.get("managedTerminationProtection")) and \
                _enabled((prov.get("managedScaling") or {}).get("status")):
            return True
    return False


def _enabled(value):
    return str(value or "").upper() == "ENABLED"


def note_protection_call(eng, name, ids, protected):
    """A SetInstanceProtection call on group `name` (through the API: not ECS)."""
    audit = getattr(eng, "group_audit", None) or {}
    if name in audit:
        audit[name].setdefault("protection_calls", []).append(
            {"t": round(eng.ledger.now(), 3), "instances": list(ids or []), "protected": bool(protected)})


def instance_protection(group):
    return {s.instance.id: bool(s.protected_from_scale_in) for s in group.instance_states}


def snapshot(eng):
    """The groups as the run starts."""
    eng.group_audit = {}
    for group in asg_backend(eng.region).autoscaling_groups.values():
        eng.group_audit[group.name] = {
            "config": group_config(eng, group),
            "members": sorted(s.instance.id for s in group.instance_states),
            "protection": instance_protection(group),
            # When the run starts (the engine's clock, and the ledger's): a
            # baseline taken again later (Simulator.audit_baseline) counts only
            # what happened after it.
            "since": eng.now(),
            "since_ledger": eng.ledger.now(),
        }


def _exempt(si):
    """Why an instance that left the group was not the rollout's doing, or None."""
    if getattr(si, "disruption", None):
        return si.disruption
    if (si.terminate_cause or "").startswith("failed health check"):
        return "failed health check"
    if si.ci_id is None and si.phase in ("shutting-down", "terminated"):
        return "never registered with ECS"
    return None


def _others_scale_out(eng, name, since=0.0):
    return sum(max(0, c["to"] - c["from"]) for c in eng.ledger.desired_changes
               if c["group"] == name and c["cause"] not in API_CAUSES and c["t"] >= since)


def _rebalance_launches(eng, name, since=0.0):
    return sum(1 for e in eng.ledger.timeline
               if e["event"] == "az_rebalance" and e.get("group") == name and e["t"] >= since)


def _replaced_nothing(si, old_left):
    """A launched instance removed (TerminateInstanceInAutoScalingGroup with
    ShouldDecrementDesiredCapacity: nothing replaces it) before any old
    instance left the group after its launch: it stood in for no one (a
    rollback removing the instances it had launched; the re-run launches
    others). One that was in the group when an old instance left, or that is
    terminated without the decrement (Auto Scaling launches a replacement),
    has been replaced itself."""
    if si.terminating_at is None or not si.decremented:
        return False
    return not any(si.launched_at <= t <= si.terminating_at for t in old_left)


def replacements(eng, name, before):
    t0 = max(eng.ledger.t0, before.get("since", eng.ledger.t0))
    old = set(before["members"])
    launched, left_exempt, unused = [], {}, []
    # Instances that came and went before the run started are not its own.
    mine = [si for si in eng.instances.values() if (si.group or si.was_group) == name
            and (si.id in old or si.launched_at >= t0)]
    # When the old instances began to leave, those that left for their own reasons aside.
    old_left = [si.terminating_at for si in mine
                if si.id in old and si.terminating_at is not None and not _exempt(si)]
    for si in mine:
        if si.launched_at >= t0 and si.id not in old:
            launched.append(si.id)
            if si.group != name and not _exempt(si) and _replaced_nothing(si, old_left):
                unused.append(si.id)
        if si.group != name:
            why = _exempt(si)
            if why:
                left_exempt[si.id] = why
    remaining = sorted(old & {si.id for si in eng.instances.values() if si.group == name})
    others = _others_scale_out(eng, name, before.get("since_ledger", 0.0))
    rebalance = _rebalance_launches(eng, name, before.get("since_ledger", 0.0))
    group = asg_backend(eng.region).autoscaling_groups.get(name)
    zone_slack = max(0, len(group.availability_zones or []) - 1) if group is not None else 0
    allowed = len(old) + len(left_exempt) + len(unused) + others + rebalance + zone_slack
    rec = {"group": name, "old": len(old), "old_remaining": remaining, "launched": len(launched),
           "left_for_their_own_reasons": left_exempt, "removed_having_replaced_nothing": sorted(unused),
           "scaled_out_by_others": others,
           "az_rebalance_launches": rebalance, "zone_evening_slack": zone_slack, "allowed_launches": allowed,
           "problem": None}
    if len(launched) > allowed:
        rec["problem"] = (f"group {name}: {len(launched)} instances launched for {len(old)} old ones "
                          f"(at most {allowed} allowed): an instance was replaced more than once")
    return rec


def _changes(name, before, after):
    out = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out.append({"group": name, "field": key, "before": before.get(key), "after": after.get(key)})
    return out


def _cron_field(spec, value, lo, hi):
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/", 1)
            step = int(s)
        if part in ("*", "?"):
            a, b = lo, hi
        elif "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
        else:
            a = b = int(part)
            if step > 1:
                b = hi
        if a <= value <= b and (value - a) % step == 0:
            return True
    return False


def cron_due(expr, start, end, limit_minutes=7 * 24 * 60):
    """The first minute in (start, end] that the 5-field cron expression matches (UTC), or None."""
    fields = expr.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, month, dow = fields
    t = start.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    for _ in range(limit_minutes):
        if t > end:
            return None
        try:
            if (_cron_field(minute, t.minute, 0, 59) and _cron_field(hour, t.hour, 0, 23)
                    and _cron_field(dom, t.day, 1, 31) and _cron_field(month, t.month, 1, 12)
                    and _cron_field(dow, (t.weekday() + 1) % 7, 0, 7)):
                return t
        except ValueError:
            return None
        t += datetime.timedelta(minutes=1)
    return None


def scheduled_actions_due(eng):
    """Scheduled actions whose time came while the run went on: the one-time
    actions scaling.py ran or skipped (ScheduledActions suspended: a missed
    action is not run later), and recurring ones whose cron expression matched a
    minute of the run (scaling.py does not run recurrences; their time is the
    wall clock, as scaling.py's StartTime is)."""
    out = []
    for e in eng.ledger.timeline:
        if e["event"] in ("scheduled_action_run", "scheduled_action_skipped"):
            out.append({"group": e.get("group"), "action": e.get("action"), "t": e["t"], "recurrence": None,
                        "outcome": "ran" if e["event"] == "scheduled_action_run" else
                        f"skipped: {e.get('reason')}"})
    start = datetime.datetime.fromisoformat(eng.ledger.started_wall)
    end = datetime.datetime.now(datetime.timezone.utc)
    for a in asg_backend(eng.region).scheduled_actions.values():
        due = cron_due(a.recurrence, start, end) if a.recurrence else None
        if due is not None:
            out.append({"group": a.auto_scaling_group_name, "action": a.scheduled_action_name, "t": None,
                        "recurrence": a.recurrence, "due": due.isoformat(), "outcome": "recurrence not simulated"})
    return out


def report(eng):
    """{"group_config_changes", "replacements", "scheduled_actions_due", "audit_problems"}."""
    audit = getattr(eng, "group_audit", None) or {}
    groups = asg_backend(eng.region).autoscaling_groups
    changes, repl, problems = [], [], []
    for name, before in sorted(audit.items()):
        group = groups.get(name)
        if group is None:
            changes.append({"group": name, "field": "group", "before": "exists", "after": "deleted"})
            continue
        changes += _changes(name, before["config"], group_config(eng, group))
        if ecs_manages_protection(group):
            # ECS changes it as tasks move: only a change through the API is the run's.
            for call in before.get("protection_calls", []):
                for iid in call["instances"]:
                    changes.append({"group": name, "field": f"ProtectedFromScaleIn[{iid}]", "before": ECS_MANAGED,
                                    "after": f"{call['protected']} by SetInstanceProtection at {call['t']}"})
        else:
            now = instance_protection(group)
            for iid, was in sorted(before["protection"].items()):
                if iid in now and now[iid] != was:
                    changes.append({"group": name, "field": f"ProtectedFromScaleIn[{iid}]", "before": was,
                                    "after": now[iid]})
            # A member that joined during the run starts with the group's setting
            # ("When Amazon EC2 Auto Scaling launches a new instance ... the
            # instance inherits the instance scale-in protection setting of the
            # group"; attached instances too, Amazon EC2 Auto Scaling User Guide,
            # "Use instance scale-in protection",
            # https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html):
            # a rollout that protects the members that stay while it scales in
            # must leave the new ones as the group would have launched them.
            inherit = bool(before["config"].get("NewInstancesProtectedFromScaleIn"))
            for iid, prot in sorted(now.items()):
                if iid not in before["protection"] and prot != inherit:
                    changes.append({"group": name, "field": f"ProtectedFromScaleIn[{iid}]",
                                    "before": f"{inherit} (a new member: the group's NewInstancesProtectedFromScaleIn)",
                                    "after": prot})
        rec = replacements(eng, name, before)
        repl.append(rec)
        if rec["problem"]:
            problems.append(rec["problem"])
    for c in changes:
        problems.append(f"group {c['group']}: {c['field']} changed from {c['before']!r} to {c['after']!r}")
    return {"group_config_changes": changes, "replacements": repl,
            "scheduled_actions_due": scheduled_actions_due(eng), "audit_problems": problems}
