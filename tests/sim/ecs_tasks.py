"""Tasks on container instances: creation, the lastStatus/desiredStatus
lifecycle, the counters ECS reports, resources and placement.

Counters follow the ECS documentation: a container instance's
runningTasksCount counts tasks whose desiredStatus is RUNNING (so a task that is
still STOPPING counts nowhere) and pendingTasksCount those whose lastStatus is
PENDING; a service's and a cluster's runningCount/pendingCount count lastStatus
RUNNING/PENDING. Every status change goes through TaskOps._set so they stay true."""
import functools
import heapq
import re

from moto.core.utils import utcnow
from moto.ecs.models import Task

from . import cql, ecs_disruptions, svc_index
from .engine import ecs_backend


def _units(value, per_unit):
    """'256', '0.25 vCPU', '512 MB', '1 GB' -> int."""
    if value in (None, ""):
        return None
    s = str(value).strip()
    m = re.fullmatch(r"([\d.]+)\s*(vcpu|gb|mb)?", s, re.I)
    if not m:
        return None
    num = float(m.group(1))
    unit = (m.group(2) or "").lower()
    if unit in ("vcpu", "gb"):
        num *= per_unit
    return int(num)


def requirements(td):
    """(cpu units, memory MiB, tcp host ports) a task of this definition reserves."""
    req = getattr(td, "_sim_req", None)
    if req is not None:
        return req
    cpu = sum(int(c.get("cpu") or 0) for c in td.container_definitions)
    mem = sum(int(c.get("memory") or c.get("memoryReservation") or 0) for c in td.container_definitions)
    cpu = _units(td.cpu, 1024) or cpu
    mem = _units(td.memory, 1024) or mem
    ports = []
    mode = td.network_mode or "bridge"
    if mode != "awsvpc":
        for c in td.container_definitions:
            for pm in c.get("portMappings") or []:
                if (pm.get("protocol") or "tcp") != "tcp":
                    continue
                port = pm.get("containerPort") if mode == "host" else pm.get("hostPort")
                if port:
                    ports.append(str(port))
    req = (cpu, mem, tuple(ports))
    td._sim_req = req
    return req


def fits(ci, req):
    cpu, mem, ports = req
    return cpu <= ci._sim_cpu and mem <= ci._sim_mem and not any(p in ci._sim_ports for p in ports)


def reserve(ci, req, sign):
    cpu, mem, ports = req
    ci._sim_cpu -= sign * cpu
    ci._sim_mem -= sign * mem
    for p in ports:
        if sign > 0:
            ci._sim_ports.add(p)
        else:
            ci._sim_ports.discard(p)
    for r in ci.remaining_resources:
        if r["name"] == "CPU":
            r["integerValue"] = ci._sim_cpu
        elif r["name"] == "MEMORY":
            r["integerValue"] = ci._sim_mem
        elif r["name"] == "PORTS":
            r["stringSetValue"] = sorted(ci._sim_ports, key=lambda x: int(x) if x.isdigit() else 0)


class TaskOps:
    """Task lifecycle and placement; mixed into the Scheduler."""

    def placeable(self, region, cluster_name, constraints=None):
        """Container instances a new task may go to: ACTIVE with a connected agent, and
        matching every memberOf constraint (cluster query language; Amazon ECS
        Developer Guide, "Amazon ECS task placement constraints")."""
        ecs = ecs_backend(region)
        cands = [ci for ci in ecs.container_instances.get(cluster_name, {}).values()
                 if ci.status == "ACTIVE" and ci.agent_connected]
        for c in constraints or []:
            if c.get("type") == "memberOf" and c.get("expression"):
                node = cql.parse(c["expression"])
                cands = [ci for ci in cands if cql.matches(node, ci)]
        return cands

    def place(self, cands, req, n, strategy=None, counts=None, distinct=False):
        """Chooses container instances for n tasks.

        Default (and spread(attribute:ecs.availability-zone)): balance across AZs,
        then across instances by `counts` (tasks of the same service per instance).
        binpack(memory|cpu) packs the fullest instance first; random picks at random."""
        counts = counts if counts is not None else {}
        strategy = strategy or [{"type": "spread", "field": "attribute:ecs.availability-zone"},
                                {"type": "spread", "field": "instanceId"}]
        spread_az = any(s.get("type") == "spread" and s.get("field") == "attribute:ecs.availability-zone"
                        for s in strategy)
        inner = next((s for s in strategy if not (s.get("type") == "spread" and
                                                   s.get("field") == "attribute:ecs.availability-zone")),
                     {"type": "spread", "field": "instanceId"})
        kind, field = inner.get("type"), (inner.get("field") or "").lower()

        def key(ci):
            if kind == "binpack":
                return (ci._sim_mem if field == "memory" else ci._sim_cpu, ci.id)
            if kind == "random":
                return (self.eng.rng.random(), ci.id)
            return (counts.get(ci.id, 0), len(ci._sim_tasks), ci.id)

        heaps = {}
        for ci in cands:
            if fits(ci, req):
                az = ci._sim_az if spread_az else "*"
                heaps.setdefault(az, []).append((key(ci), ci.id, ci))
        for h in heaps.values():
            heapq.heapify(h)
        az_count = {}
        if spread_az:
            for ci in cands:
                az_count.setdefault(ci._sim_az, 0)
            for ci_id, c in counts.items():
                ci = self.eng.cis.get(ci_id)
                if ci is not None and ci._sim_az in az_count:
                    az_count[ci._sim_az] += c
        chosen = []
        while len(chosen) < n and heaps:
            az = min(heaps, key=lambda a: (az_count.get(a, 0), a))
            heap = heaps[az]
            ci = None
            while heap:
                _, _, cand = heapq.heappop(heap)
                if fits(cand, req):
                    ci = cand
                    break
            if ci is None:
                del heaps[az]
                continue
            reserve(ci, req, +1)  # so the next choice sees it; the caller's new_task keeps it
            chosen.append(ci)
            counts[ci.id] = counts.get(ci.id, 0) + 1
            az_count[az] = az_count.get(az, 0) + 1
            if not distinct and fits(ci, req):
                heapq.heappush(heap, (key(ci), ci.id, ci))
            if not heap:
                del heaps[az]
        return chosen

    def closest_failure(self, cands, req):
        """ECS's reason a task did not fit: RESOURCE:CPU, RESOURCE:MEMORY or RESOURCE:PORTS."""
        if not cands:
            return "No Container Instances were found in your cluster."
        cpu, mem, ports = req
        if all(cpu > ci._sim_cpu for ci in cands):
            return "RESOURCE:CPU"
        if all(mem > ci._sim_mem for ci in cands):
            return "RESOURCE:MEMORY"
        return "RESOURCE:PORTS"

    def new_task(self, ci, td, group, started_by, svc=None, dep_id=None, overrides=None, tags=None,
                 network=None, reserved=True):
        """A task placed on `ci` in PENDING; RUNNING after the task_start delay."""
        eng = self.eng
        region = ci.region_name
        ecs = ecs_backend(region)
        cluster = ecs.clusters[ci.cluster_name]
        req = requirements(td)
        if not reserved:
            reserve(ci, req, +1)
        eng.capacity.protect_before_placing(ci, svc)  # managed termination protection
        task = Task(cluster, td, ci.container_instance_arn, {"CPU": req[0], "MEMORY": req[1],
                    "PORTS": list(req[2]), "PORTS_UDP": []}, backend=ecs, group=group,
                    launch_type="EC2", overrides=overrides or {}, started_by=started_by or "",
                    tags=tags or [], networking_configuration=network)
        task._status = "NEW"
        task.desired_status = "NEW"
        task.stopped_reason = None  # moto sets "", ECS leaves it out until the task stops
        for c in task.containers:
            # moto: the task definition's ARN as taskArn, numbers for cpu/memory, an exit
            # code before the container ran; ECS reports the task's ARN and strings.
            c.task_arn = task.task_arn
            c.container_arn = (f"arn:aws:ecs:{region}:{ecs.account_id}:container/{cluster.name}/"
                               f"{task.id}/{c.container_arn.rsplit('/', 1)[-1]}")
            c.cpu = None if c.cpu is None else str(c.cpu)
            c.memory = None if c.memory is None else str(c.memory)
            c.exitCode = None
            c.health_status = "UNKNOWN"
        now = utcnow()
        task.created_at = now
        task.availability_zone = ci._sim_az
        task.cpu = str(req[0])
        task.memory = str(req[1])
        task.connectivity = "CONNECTED"
        task.connectivity_at = now
        task.health_status = "UNKNOWN"
        task.version = 0
        task.enable_execute_command = False
        task._sim_ci = ci.id
        task._sim_instance = ci.ec2_instance_id
        task._sim_svc = svc
        task._sim_dep = dep_id
        task._sim_req = req
        task._sim_alive = True
        task._sim_serving = False
        task._sim_stuck = False
        task._sim_created_t = eng.now()
        ecs.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        eng.tasks[task.id] = task
        ci._sim_tasks.add(task.id)
        if svc is not None:
            svc._sim["tasks"].add(task.id)
        self._set(task, last="PENDING", desired="RUNNING")
        self._maybe_stuck(task)
        eng.ledger.event("task_pending", task=task.id, service=svc.name if svc else None, group=group,
                         instance=ci.ec2_instance_id, task_definition=td.arn)
        eng.schedule(eng.delay("task_start"), self._started, task)
        return task

    def _maybe_stuck(self, task):
        spec = self.eng.faults.stuck_spec()
        if not spec:
            return
        if task.id in spec["tasks"] or task.task_arn in spec["tasks"]:
            task._sim_stuck = True
        elif spec["count"] > 0 and task._sim_svc is not None and spec["service"] in ("*", task._sim_svc.name):
            task._sim_stuck = True
            self.eng.faults.consume_stuck()
        if task._sim_stuck:
            self.eng.ledger.event("fault_stuck_task", task=task.id)

    def _set(self, task, last=None, desired=None):
        """Changes a task's lastStatus/desiredStatus and every counter that depends on them."""
        old_last, old_des = task._status, task.desired_status
        new_last = last or old_last
        new_des = desired or old_des
        if (old_last, old_des) == (new_last, new_des):
            return
        eng = self.eng
        ci = eng.cis.get(task._sim_ci)
        if ci is not None:
            ci.pending_tasks_count += (new_last == "PENDING") - (old_last == "PENDING")
            ci.running_tasks_count += (new_des == "RUNNING") - (old_des == "RUNNING")
        cluster = ecs_backend(task.region_name).clusters.get(task.cluster_name)
        if cluster is not None:
            cluster.pending_tasks_count += (new_last == "PENDING") - (old_last == "PENDING")
            cluster.running_tasks_count += (new_last == "RUNNING") - (old_last == "RUNNING")
        svc = task._sim_svc
        if svc is not None:
            d_run = (new_last == "RUNNING") - (old_last == "RUNNING")
            d_pend = (new_last == "PENDING") - (old_last == "PENDING")
            svc.running_count += d_run
            svc.pending_count += d_pend
            dep = self.deployment(svc, task._sim_dep)
            if dep is not None:
                dep["runningCount"] += d_run
                dep["pendingCount"] += d_pend
                dep["updatedAt"] = utcnow()
            svc_index.task_changed(svc._sim["idx"], task, old_last, old_des, new_last, new_des)
        task._status = new_last
        task.desired_status = new_des
        task.version = getattr(task, "version", 0) + 1
        for c in task.containers:
            c.last_status = new_last if new_last in ("PENDING", "RUNNING", "STOPPED") else c.last_status
        self._update_serving(task)

    def _update_serving(self, task):
        serving = task._status == "RUNNING" and task._sim_alive
        if serving == task._sim_serving:
            return
        task._sim_serving = serving
        svc = task._sim_svc
        if svc is not None:
            svc._sim["serving"] += 1 if serving else -1
            self.observe(svc)

    def _started(self, task):
        if task._status != "PENDING" or task.desired_status != "RUNNING" or not task._sim_alive:
            return
        now = utcnow()
        task.pull_started_at = task.created_at
        task.pull_stopped_at = now
        task.started_at = now
        task.execution_stopped_at = None
        self._set(task, last="RUNNING")
        self.eng.ledger.event("task_running", task=task.id, service=task._sim_svc.name if task._sim_svc else None,
                              instance=task._sim_instance)
        ecs_disruptions.task_started(self.eng, task)
        if task._sim_svc is not None:
            self.eng.mark_service(task._sim_svc)

    def stop(self, task, reason, code="ServiceSchedulerInitiated"):
        """Asks a task to stop (StopTask, the scheduler): DEACTIVATING, STOPPING, STOPPED."""
        if task.desired_status == "STOPPED" or task._status == "STOPPED":
            return
        eng = self.eng
        task.stopping_at = utcnow()
        task.stopped_reason = reason
        task.stop_code = code
        was = task._status
        self._set(task, desired="STOPPED")
        eng.ledger.event("task_stop_requested", task=task.id, service=task._sim_svc.name if task._sim_svc else None,
                         instance=task._sim_instance, reason=reason, last_status=was)
        if task._sim_stuck:
            eng.ledger.event("task_stuck", task=task.id, instance=task._sim_instance)
            return
        if not task._sim_alive:
            return  # its host is gone; ECS will mark it STOPPED when it notices
        ci = eng.cis.get(task._sim_ci)
        if ci is not None and not ci.agent_connected:
            # The agent is disconnected: the stop waits for it (ecs_disruptions.py).
            eng.ledger.event("task_stop_undelivered", task=task.id, instance=task._sim_instance)
            task._sim_stop_from = was
            return
        self._begin_stop(task, was)

    def deliver_stop(self, task):
        """A stop asked for while the agent was disconnected goes ahead."""
        if task._sim_stuck or not task._sim_alive:
            return
        self._begin_stop(task, getattr(task, "_sim_stop_from", task._status))

    def _begin_stop(self, task, was):
        eng = self.eng
        if was in ("PENDING", "NEW"):
            eng.schedule(min(1.0, eng.delay("task_stop")), self._stopped, task)
        elif eng.delay("task_deactivate") > 0:
            self._set(task, last="DEACTIVATING")
            eng.schedule(eng.delay("task_deactivate"), self._stopping, task)
        else:
            self._stopping(task)

    def _stopping(self, task):
        if task._status == "STOPPED":
            return
        self._set(task, last="STOPPING")
        self.eng.schedule(self.eng.delay("task_stop"), self._stopped, task)

    def _stopped(self, task, reason=None, code=None):
        eng = self.eng
        if task._status == "STOPPED":
            return
        now = utcnow()
        if reason:
            task.stopped_reason = reason
        if code:
            task.stop_code = code
        if not getattr(task, "stopping_at", None):
            task.stopping_at = now
        task.stopped_at = now
        task.execution_stopped_at = now
        task.connectivity = None
        self._set(task, last="STOPPED", desired="STOPPED")
        for c in task.containers:
            c.last_status = "STOPPED"
            c.exitCode = 137 if code == "TerminationNotice" else 0
        ci = eng.cis.get(task._sim_ci)
        if ci is not None and task.id in ci._sim_tasks:
            ci._sim_tasks.discard(task.id)
            reserve(ci, task._sim_req, -1)
            if ci.status == "DRAINING":
                eng.mark_cluster(ci.region_name, ci.cluster_name)  # daemon tasks there may stop now
        svc = task._sim_svc
        if svc is not None:
            svc._sim["tasks"].discard(task.id)
            eng.mark_service(svc)
        eng.ledger.event("task_stopped", task=task.id, service=svc.name if svc else None,
                         instance=task._sim_instance, reason=task.stopped_reason)
        eng.schedule(eng.delay("stopped_task_retention"), self._purge, task)

    def _purge(self, task):
        eng = self.eng
        eng.tasks.pop(task.id, None)
        ecs_backend(task.region_name).tasks.get(task.cluster_name, {}).pop(task.task_arn, None)

    def kill(self, task, si, cause):
        """The task's instance went away while the task was not STOPPED: downtime."""
        eng = self.eng
        if not task._sim_alive:
            return
        svc = task._sim_svc
        if task._status in ("NEW", "PENDING"):
            # Its container never ran: nothing served is lost, but the start is.
            eng.ledger.event("task_lost_pending", task=task.id, service=svc.name if svc else None,
                             instance=si.id, cause=cause)
            task._sim_alive = False
            return
        if ecs_disruptions.external_shutdown(si) or eng.capacity.daemon_left_by_design(task, si):
            record = functools.partial(eng.ledger.external_kill, svc.arn if svc is not None else None)
        else:
            record = eng.ledger.abrupt_kill
        record(task=task.task_arn, task_id=task.id, service=svc.name if svc else None,
                               cluster=task.cluster_name, group=task.group, instance=si.id,
                               container_instance=task.container_instance_arn, last_status=task._status,
                               desired_status=task.desired_status, cause=cause)
        task._sim_alive = False
        self._update_serving(task)

    def host_gone(self, ci, reason):
        """ECS notices the instance is gone: its tasks are STOPPED and services replace them."""
        for tid in list(ci._sim_tasks):
            task = self.eng.tasks.get(tid)
            if task is not None and task._status != "STOPPED":
                task._sim_alive = False
                if task.desired_status != "STOPPED":
                    task.stopping_at = utcnow()
                self._stopped(task, reason=reason, code="TerminationNotice")
