"""What the simulator tells about itself: the end-state findings added to the
ledger, the state summary of /_sim/state, and cluster faults applied on demand."""
from collections import Counter

from . import ecs_disruptions, group_audit
from .engine import asg_backend, ecs_backend


def findings(eng):
    """Container instances left DRAINING, instances that never registered, instances
    detached but still running: things a finished rollout must not leave behind."""
    now = eng.now()
    left_draining, never_registered, detached_running = [], [], []
    for ci in eng.cis.values():
        if ci.status != "DRAINING":
            continue
        si = eng.instances.get(ci.ec2_instance_id)
        if si is None or si.alive():
            left_draining.append({
                "instance": ci.ec2_instance_id, "container_instance": ci.container_instance_arn,
                "cluster": ci.cluster_name, "running_tasks": ci.running_tasks_count,
                "tasks_not_stopped": sum(1 for t in ci._sim_tasks if t in eng.tasks),
                "draining_since": None if ci._sim_draining_t is None else round(ci._sim_draining_t - eng.ledger.t0, 3)})
    grace = eng.delays["agent_register"]
    for si in eng.instances.values():
        if si.phase == "running" and si.ci_id is None and (now - (si.running_at or now)) >= grace:
            never_registered.append({"instance": si.id, "group": si.group or si.was_group, "cluster": si.cluster,
                                     "running_since": round(si.running_at - eng.ledger.t0, 3),
                                     "reason": si.register_note or "agent not registered"})
        if si.detached_at is not None and si.alive():
            detached_running.append({"instance": si.id, "group": si.was_group,
                                     "detached_at": round(si.detached_at - eng.ledger.t0, 3),
                                     "registered": si.ci_id is not None})
    return {"instances_left_draining": left_draining, "never_registered": never_registered,
            "detached_still_running": detached_running}


def report(eng, timeline=True):
    with eng.lock:
        extra = findings(eng)
        extra.update(group_audit.report(eng))
        extra["api_fidelity"] = getattr(eng, "api_fidelity", "aws")
        extra["faults"] = eng.faults.describe()
        extra["simulator_errors"] = list(eng.errors)
        st = dict(eng.tick_stats)
        st["avg_busy_ms"] = round(st["total_ms"] / st["busy"], 3) if st["busy"] else 0.0
        st["max_ms"] = round(st["max_ms"], 3)
        st["total_ms"] = round(st["total_ms"], 1)
        extra["ticks"] = st
        extra["request_ms"] = {k: {"count": v["count"], "avg": round(v["total_ms"] / v["count"], 3),
                                   "max": round(v["max_ms"], 3)}
                               for k, v in sorted(eng.request_stats.items())}
        return eng.ledger.report(extra, include_timeline=timeline)


def state(eng, region=None):
    region = region or eng.region
    with eng.lock:
        groups = []
        for g in asg_backend(region).autoscaling_groups.values():
            groups.append({
                "name": g.name, "min": g.min_size, "max": g.max_size, "desired": g.desired_capacity,
                "lifecycle": dict(Counter(s.lifecycle_state for s in g.instance_states)),
                "health": dict(Counter(s.health_status for s in g.instance_states)),
                "launch_template_versions": dict(Counter(
                    (getattr(s, "_sim_lt", None) or {}).get("Version", "-") for s in g.instance_states)),
                "suspended": sorted(p["ProcessName"] for p in g.suspended_processes),
                "instances": [s.instance.id for s in g.instance_states],
            })
        ecs = ecs_backend(region)
        clusters = []
        for c in ecs.clusters.values():
            cis = [ci for ci in eng.cis.values() if ci.cluster_name == c.name and ci.region_name == region]
            tasks = ecs.tasks.get(c.name, {}).values()
            clusters.append({
                "name": c.name, "status": c.status,
                "container_instances": dict(Counter(ci.status for ci in cis)),
                "tasks": dict(Counter(t._status for t in tasks)),
            })
        services = []
        for s in ecs.services.values():
            sim = getattr(s, "_sim", None)
            services.append({
                "cluster": s.cluster_name, "name": s.name, "status": s.status,
                "scheduling": s.scheduling_strategy, "desired": s.desired_count,
                "running": s.running_count, "pending": s.pending_count,
                "serving": sim["serving"] if sim else None,
                "deployments": len(s.deployments or []),
                "steady": sim["steady"] if sim else None,
            })
        phases = Counter(si.phase for si in eng.instances.values())
        return {"aws_seconds": round(eng.now(), 3), "time_scale": eng.clock.time_scale, "region": region,
                "instances": dict(phases), "groups": groups, "clusters": clusters, "services": services,
                "pending_events": eng.clock.pending(), "errors": len(eng.errors)}


def apply_cluster_faults_now(eng):
    """Cluster faults that name instances or tasks act at once when set at run time."""
    with eng.lock:
        ecs_disruptions.apply_now(eng)
        for iid in eng.faults.listed("unhealthy"):
            si = eng.instances.get(iid)
            if si is not None and si.alive() and si.state is not None and si.state.health_status == "Healthy":
                eng.fleet.fail_health(si, "fault: failed health check")
        for iid in eng.faults.listed("never_register"):
            si = eng.instances.get(iid)
            if si is not None and si.ci_id is None:
                si.never_register = True
        spec = eng.faults.stuck_spec()
        if spec:
            for ref in spec["tasks"]:
                task = eng.tasks.get(ref.split("/")[-1])
                if task is not None and task._status != "STOPPED":
                    task._sim_stuck = True
            if spec["count"] > 0:
                cands = sorted((t for t in eng.tasks.values()
                                if t._sim_svc is not None and t._status == "RUNNING" and not t._sim_stuck
                                and t.desired_status == "RUNNING"
                                and spec["service"] in ("*", t._sim_svc.name)),
                               key=lambda t: t._sim_created_t)
                for t in cands[:spec["count"]]:
                    t._sim_stuck = True
                    eng.ledger.event("fault_stuck_task", task=t.id, service=t._sim_svc.name)
                    eng.faults.consume_stuck()
