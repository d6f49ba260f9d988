"""Disruptions that are nobody's rollout: Spot interruptions, capacity
rebalancing, disconnected ECS agents, crash-looping services. Each comes from
AWS's documents:

- Spot interruption (Amazon EC2 User Guide, "Spot Instance interruption
  notices": a two-minute warning, then EC2 interrupts the instance; Amazon ECS
  Developer Guide, "Spot Instance draining": with ECS_ENABLE_SPOT_INSTANCE_DRAINING
  =true in the agent's configuration ECS receives the notice and sets the
  container instance DRAINING, so services move their tasks). The instance is
  terminated after the notice; its group's health check replaces it.
- Capacity rebalancing (Amazon EC2 Auto Scaling User Guide, "Capacity
  Rebalancing"): on a rebalance recommendation for an instance of a group with
  CapacityRebalance on, Auto Scaling launches a replacement first and, once it
  is InService, terminates the instance at risk (lifecycle hooks apply; ECS does
  not drain it by itself). Without CapacityRebalance nothing happens.
- Disconnected agent (Amazon ECS Developer Guide, "Amazon ECS container agent"
  and "Container instance draining"): an instance whose agent is disconnected
  (agentConnected false) keeps running its containers; ECS places nothing on it
  and cannot deliver stops: a task asked to stop keeps lastStatus RUNNING
  (desiredStatus STOPPED) until the agent reconnects, so such an instance never
  finishes draining. The service scheduler starts the replacements of a
  DRAINING instance's tasks elsewhere as usual.
- Crash loop (Amazon ECS Developer Guide, "Amazon ECS stopped task error
  messages"): an essential container exits after `crash_after` AWS seconds: the
  task stops with stopCode EssentialContainerExited, "Essential container in task
  exited", and the service starts another one. (ECS's service throttle logic,
  which spaces out restarts, is not modelled.)

Kills of running tasks caused by these (an instance interrupted, rebalanced
away or terminated by someone else with tasks still on it) are the ledger's
`external_kills`, not the rollout's `abrupt_kills` - unless the rollout itself
terminated the instance first; a crash-looping service is `exempt` in the
ledger."""
import json
import re

from moto.core.utils import utcnow

from .fleet import user_data_text

SPOT_NOTICE = 120.0   # AWS seconds between the interruption notice and the interruption
KINDS = ("spot_interruption", "rebalance_recommendation", "agent_disconnected", "leave_group")
_ATTR_RE = re.compile(r"ECS_INSTANCE_ATTRIBUTES=(\{[^\n]*\})")
_SPOT_RE = re.compile(r"ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\b")


def validate(key, v):
    """{"instances": [ids]} or {"count": N, "group": NAME, "after": AWS s, "for": AWS s}."""
    from .faults import FaultConfigError
    if not isinstance(v, dict) or not set(v) <= {"instances", "count", "group", "after", "for", "how"}:
        raise FaultConfigError(f"cluster faults: {key} must be {{\"instances\": [ids]}} or {{\"count\": N, "
                               f"\"group\": NAME, \"after\": AWS seconds}} (agent_disconnected also \"for\", "
                               f"leave_group also \"how\")")
    if "how" in v and (key != "leave_group" or v["how"] not in ("detach", "terminate")):
        raise FaultConfigError(f"cluster faults: {key}: \"how\" is leave_group's, \"detach\" or \"terminate\"")
    for k in ("count", "after", "for"):
        x = v.get(k)
        if x is not None and (not isinstance(x, (int, float)) or isinstance(x, bool) or x < 0):
            raise FaultConfigError(f"cluster faults: {key}.{k} must be a number >= 0")
    if "for" in v and key != "agent_disconnected":
        raise FaultConfigError(f"cluster faults: {key} takes no \"for\"")
    return {"instances": list(v.get("instances", [])), "count": int(v.get("count", 0)),
            "group": v.get("group"), "after": float(v.get("after", 0)), "for": v.get("for"),
            "how": v.get("how", "detach")}


def external_shutdown(si):
    """True if the instance is going down because of a disruption itself (not
    because a rollout terminated it meanwhile)."""
    if getattr(si, "external_shutdown", False):
        return True
    # Auto Scaling replacing an instance whose health check failed by an injected fault
    # (Amazon EC2 Auto Scaling User Guide, "Health checks for instances in an Auto Scaling
    # group": an unhealthy instance is terminated and replaced; a termination lifecycle hook
    # only delays that, and ECS drains it only with managed draining): the fault's doing, as
    # the record shows - the health check terminated it, not a Terminate call, which would
    # have set the cause first (fleet.begin_terminate keeps the first one).
    if (si.terminate_cause or "").startswith("failed health check") and \
            (getattr(si, "unhealthy_cause", None) or "").startswith("fault:"):
        return True
    st = si.state
    return bool(st is not None and getattr(st, "_sim_evict", False)
                and (si.terminate_cause or "").startswith("scale-in"))


def ecs_config(si):
    return user_data_text(si.inst.user_data)


def instance_attributes(si):
    """Custom attributes from ECS_INSTANCE_ATTRIBUTES in the agent's configuration."""
    m = _ATTR_RE.search(ecs_config(si))
    if not m:
        return {}
    try:
        attrs = json.loads(m.group(1))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in attrs.items()} if isinstance(attrs, dict) else {}


def apply_now(eng):
    """Acts on the disruption faults just set: named instances at once (after
    `after`), or `count` InService members of `group` (any group) drawn with the
    engine's seeded RNG. Each instance is disrupted once per kind."""
    done = eng.__dict__.setdefault("_sim_disrupted", set())
    for kind in KINDS:
        spec = eng.faults.cluster_value(kind)
        if not spec:
            continue
        chosen = [iid for iid in spec["instances"] if (kind, iid) not in done]
        if spec["count"]:
            pool = sorted(si.id for si in eng.instances.values()
                          if si.alive() and si.state is not None and si.state.lifecycle_state == "InService"
                          and (spec["group"] in (None, si.group)) and (kind, si.id) not in done
                          and si.id not in chosen)
            eng.rng.shuffle(pool)
            chosen += pool[:spec["count"]]
            spec["count"] = 0   # drawn: a later set_faults does not draw again
        for iid in chosen:
            si = eng.instances.get(iid)
            if si is None:
                continue
            done.add((kind, iid))
            eng.schedule(spec["after"], ACTIONS[kind], eng, si, spec)


def spot_interruption(eng, si, spec=None):
    if not si.alive():
        return
    si.disruption = "spot interruption"
    ci = eng.cis.get(si.ci_id) if si.ci_id else None
    drains = bool(_SPOT_RE.search(ecs_config(si)))
    eng.ledger.event("spot_interruption_notice", instance=si.id, group=si.group, ecs_drains=drains)
    if drains and ci is not None and ci.status == "ACTIVE" and ci.agent_connected:
        ci.status = "DRAINING"
        ci.version = getattr(ci, "version", 1) + 1
        ci._sim_draining_t = eng.now()
        eng.ledger.event("container_instance_draining", instance=si.id, container_instance=ci.container_instance_arn,
                         cluster=ci.cluster_name, running_tasks=ci.running_tasks_count, by="spot interruption")
        eng.mark_cluster(ci.region_name, ci.cluster_name)
    eng.schedule(SPOT_NOTICE, _interrupt, eng, si)


def _interrupt(eng, si):
    """EC2 interrupts (terminates) the instance; Auto Scaling notices on its health check."""
    if not si.alive():
        return
    si.external_shutdown = True
    eng.fleet.ec2_shutdown(si, "spot interruption")
    if si.state is not None and not si.state.lifecycle_state.startswith("Terminating"):
        si.notice_at = eng.now() + eng.delay("health_check")
        eng.schedule(eng.delay("health_check"), eng.fleet.watch, si)


def rebalance_recommendation(eng, si, spec=None):
    if not si.alive() or si.state is None:
        return
    group = eng.fleet.group(si.region, si.group)
    on = bool(getattr(group, "capacity_rebalance", False)) if group is not None else False
    eng.ledger.event("rebalance_recommendation", instance=si.id, group=si.group, capacity_rebalance=on)
    if not on:
        return
    from .fleet_requests import COUNTED
    # Counted without the instance at risk, so the replacement goes to its zone.
    counted = [s for s in group.instance_states if s.lifecycle_state in COUNTED and s is not si.state]
    launched = eng.fleet.launch(group, 1, counted, "An instance was launched in response to an EC2 instance "
                                "rebalance recommendation.")
    if launched:
        si.disruption = "capacity rebalance"
        si.state._sim_evict = True   # the scale-in once the replacement is InService takes this one
        group._sim_rebalance = launched[0].id
        eng.ledger.event("capacity_rebalance_launch", instance=launched[0].id, replaces=si.id, group=group.name)


def agent_disconnected(eng, si, spec=None):
    ci = eng.cis.get(si.ci_id) if si.ci_id else None
    if ci is None or ci.status == "INACTIVE" or not ci.agent_connected:
        return
    ci.agent_connected = False
    ci.version = getattr(ci, "version", 1) + 1
    eng.ledger.event("agent_disconnected", instance=si.id, container_instance=ci.container_instance_arn)
    eng.mark_cluster(ci.region_name, ci.cluster_name)
    if spec and spec.get("for") is not None:
        eng.schedule(float(spec["for"]), reconnect, eng, si)


def reconnect(eng, si):
    """The agent is back: stops asked for meanwhile go ahead."""
    ci = eng.cis.get(si.ci_id) if si.ci_id else None
    if ci is None or ci.status == "INACTIVE" or ci.agent_connected or not si.alive():
        return
    ci.agent_connected = True
    ci.version = getattr(ci, "version", 1) + 1
    eng.ledger.event("agent_reconnected", instance=si.id, container_instance=ci.container_instance_arn)
    for tid in sorted(ci._sim_tasks):
        task = eng.tasks.get(tid)
        if task is not None and task.desired_status == "STOPPED" and task._status != "STOPPED":
            eng.sched.deliver_stop(task)
    eng.mark_cluster(ci.region_name, ci.cluster_name)


def leave_group(eng, si, spec=None):
    """Someone else takes the instance out of its group between two of a
    rollout's reads: DetachInstances (it keeps running, still registered with
    ECS) or TerminateInstanceInAutoScalingGroup, without decrement, so Auto
    Scaling launches a replacement (Auto Scaling API Reference)."""
    if not si.alive() or si.state is None or si.state.lifecycle_state != "InService":
        return
    group = eng.fleet.group(si.region, si.group)
    how = (spec or {}).get("how", "detach")
    si.disruption = f"{'detached' if how == 'detach' else 'terminated'} by someone else"
    eng.ledger.event("left_group", instance=si.id, group=group.name, how=how)
    if how == "detach":
        eng.fleet.detach(group, [si.id], False)
    else:
        si.external_shutdown = True
        eng.fleet.terminate_in_group(si.id, False)


ACTIONS = {"spot_interruption": spot_interruption, "rebalance_recommendation": rebalance_recommendation,
           "agent_disconnected": agent_disconnected, "leave_group": leave_group}


# Crash loops.
def crash_loop(eng, svc, seconds):
    svc._sim["crash_after"] = float(seconds)
    eng.ledger.exempt_service(svc.arn, svc.cluster_name, svc.name,
                              f"crash loop: each task exits after {seconds:g} AWS seconds")


def task_started(eng, task):
    svc = task._sim_svc
    after = svc._sim.get("crash_after") if svc is not None else None
    if after is not None:
        eng.schedule(after, _crash, eng, task)


def _crash(eng, task):
    if task._status != "RUNNING" or task.desired_status != "RUNNING" or not task._sim_alive:
        return
    eng.ledger.event("task_crashed", task=task.id, service=task._sim_svc.name, instance=task._sim_instance)
    task.stopping_at = utcnow()
    eng.sched._stopped(task, reason="Essential container in task exited", code="EssentialContainerExited")
    for c in task.containers:
        c.exitCode = 1
