"""The ECS service scheduler: keeps each service's tasks where they should be.

Replica services keep desiredCount tasks of their PRIMARY deployment on ACTIVE
container instances. Tasks on a DRAINING instance, and tasks of an older
deployment, are replaced the way ECS does it: new tasks start first as long as
the service stays within maximumPercent, and old tasks stop only while the
number of RUNNING tasks stays at or above minimumHealthyPercent. Daemon services
run one task on every ACTIVE instance; on a DRAINING instance the daemon task
stops after every other service task there has stopped."""
import math
import os
import uuid

from moto.core.utils import utcnow

from . import svc_index
from .ecs_tasks import TaskOps, requirements
from .engine import ecs_backend

DEFAULT_REPLICA_CONFIG = {"maximumPercent": 200, "minimumHealthyPercent": 100}
DEFAULT_DAEMON_CONFIG = {"maximumPercent": 100, "minimumHealthyPercent": 0}


def new_deployment_id():
    return f"ecs-svc/{uuid.uuid4().int % 10**19:019d}"


class Scheduler(TaskOps):
    def __init__(self, eng):
        self.eng = eng
        # Every reconcile compares the indexes with a walk of all tasks (slow; tests).
        self.check_indexes = os.environ.get("SIM_CHECK_INDEXES") == "1"

    # Services.
    def adopt_service(self, svc, params):
        """Takes over a service moto just created: ECS defaults, no tasks yet, one deployment."""
        eng = self.eng
        ecs = ecs_backend(svc.region_name)
        cluster = ecs.clusters.get(svc.cluster_name)
        if cluster is not None:
            cluster.running_tasks_count -= svc.running_count
            cluster.pending_tasks_count -= svc.pending_count
            cluster.active_services_count += 1
        daemon = svc.scheduling_strategy == "DAEMON"
        cfg = dict(DEFAULT_DAEMON_CONFIG if daemon else DEFAULT_REPLICA_CONFIG)
        cfg["deploymentCircuitBreaker"] = {"enable": False, "rollback": False}
        cfg.update(params.get("deploymentConfiguration") or {})
        svc.deployment_configuration = cfg
        svc.placement_strategy = params.get("placementStrategy") or []
        svc.placement_constraints = params.get("placementConstraints") or []
        svc.health_check_grace_period_seconds = params.get("healthCheckGracePeriodSeconds")
        svc.enable_ecs_managed_tags = bool(params.get("enableECSManagedTags", False))
        svc.enable_execute_command = bool(params.get("enableExecuteCommand", False))
        if params.get("capacityProviderStrategy"):
            svc.capacity_provider_strategy = params["capacityProviderStrategy"]
        svc.availability_zone_rebalancing = params.get("availabilityZoneRebalancing", "DISABLED")
        svc.created_at = utcnow()
        svc.created_by = f"arn:aws:iam::{svc._account_id}:root"
        svc.platform_family = None
        if not svc.network_configuration:
            # moto 5.2 defect: DescribeServices returns "networkConfiguration": {} for a
            # bridge-mode service, which crashes the AWS provider 5.100 (nil pointer when it
            # flattens awsvpcConfiguration). Real ECS leaves the field out.
            svc.network_configuration = None
        svc.running_count = 0
        svc.pending_count = 0
        svc.events = []
        svc._sim = {"tasks": set(), "serving": 0, "steady": False, "unplaced_at": -1e9, "idx": svc_index.new()}
        svc.deployments = []
        self._new_deployment(svc, "service created")
        eng.services[svc.arn] = svc
        eng.ledger.event("service_created", service=svc.name, cluster=svc.cluster_name,
                         desired=svc.desired_count, scheduling=svc.scheduling_strategy,
                         minimum_healthy_percent=cfg["minimumHealthyPercent"],
                         maximum_percent=cfg["maximumPercent"])
        self.observe(svc)
        eng.mark_service(svc)

    def _new_deployment(self, svc, why):
        now = utcnow()
        dep_id = new_deployment_id()
        for d in svc.deployments:
            if d["status"] == "PRIMARY":
                d["status"] = "ACTIVE"
                d["updatedAt"] = now
        dep = {
            "id": dep_id, "status": "PRIMARY", "taskDefinition": svc.task_definition,
            "desiredCount": svc.desired_count, "pendingCount": 0, "runningCount": 0, "failedTasks": 0,
            "createdAt": now, "updatedAt": now, "launchType": svc.launch_type or "EC2",
            "rolloutState": "IN_PROGRESS", "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
        }
        if svc.network_configuration:
            dep["networkConfiguration"] = svc.network_configuration
        svc.deployments.insert(0, dep)
        svc._sim["primary"] = dep_id
        svc._sim["steady"] = False
        self.eng.ledger.event("deployment_started", service=svc.name, deployment=dep_id,
                              task_definition=svc.task_definition, why=why)
        return dep

    def deployment(self, svc, dep_id):
        for d in svc.deployments:
            if d["id"] == dep_id:
                return d
        return None

    def update_service(self, svc, params):
        """UpdateService: desired count, deployment configuration, new deployments."""
        eng = self.eng
        if params.get("desiredCount") is not None and svc.scheduling_strategy != "DAEMON":
            svc.desired_count = int(params["desiredCount"])
        if params.get("deploymentConfiguration"):
            svc.deployment_configuration = dict(svc.deployment_configuration or {},
                                                **params["deploymentConfiguration"])
        for key, attr in (("placementStrategy", "placement_strategy"),
                          ("placementConstraints", "placement_constraints"),
                          ("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
                          ("enableExecuteCommand", "enable_execute_command"),
                          ("enableECSManagedTags", "enable_ecs_managed_tags"),
                          ("propagateTags", "propagate_tags"),
                          ("capacityProviderStrategy", "capacity_provider_strategy"),
                          ("loadBalancers", "load_balancers"),
                          ("serviceRegistries", "service_registries"),
                          ("platformVersion", "platform_version"),
                          ("availabilityZoneRebalancing", "availability_zone_rebalancing")):
            if params.get(key) is not None:
                setattr(svc, attr, params[key])
        if params.get("networkConfiguration"):
            svc.network_configuration = params["networkConfiguration"]
        new_td = params.get("taskDefinition")
        if new_td and new_td != svc.task_definition:
            svc.task_definition = new_td
            self._new_deployment(svc, "task definition changed")
        elif params.get("forceNewDeployment"):
            self._new_deployment(svc, "forceNewDeployment")
        primary = self.deployment(svc, svc._sim["primary"])
        if primary is not None:
            primary["desiredCount"] = svc.desired_count
            primary["taskDefinition"] = svc.task_definition
        eng.ledger.event("service_updated", service=svc.name, desired=svc.desired_count,
                         task_definition=svc.task_definition)
        self.observe(svc)
        eng.mark_service(svc)

    def delete_service(self, svc):
        """DeleteService: DRAINING until its tasks stopped, then INACTIVE."""
        if svc.status != "ACTIVE":
            return
        svc.status = "DRAINING"
        svc.desired_count = 0
        cluster = ecs_backend(svc.region_name).clusters.get(svc.cluster_name)
        if cluster is not None:
            cluster.active_services_count -= 1
        self.eng.ledger.event("service_deleted", service=svc.name, cluster=svc.cluster_name)
        self.observe(svc)
        self.eng.mark_service(svc)

    def observe(self, svc):
        cfg = svc.deployment_configuration or {}
        self.eng.ledger.observe_service(svc.arn, svc.cluster_name, svc.name, svc._sim["serving"],
                                        svc.desired_count, cfg.get("minimumHealthyPercent", 100),
                                        cfg.get("maximumPercent", 200), svc.scheduling_strategy)

    def event(self, svc, message):
        svc.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message})
        del svc.events[100:]

    # Reconciliation.
    def reconcile(self, svc):
        if svc.status == "INACTIVE" or not hasattr(svc, "_sim"):
            return
        if (svc.launch_type or "EC2") != "EC2":
            return  # Fargate tasks are not simulated
        if svc.status == "DRAINING":
            live = self._tasks(svc)
            for t in live:
                if t.desired_status == "RUNNING":
                    self.stop(t, "Service deleted", "ServiceSchedulerInitiated")
            if not any(t._status != "STOPPED" for t in live):
                svc.status = "INACTIVE"
                svc.deployments = []
                self.eng.ledger.event("service_inactive", service=svc.name)
            return
        if self.check_indexes:
            svc_index.check(svc, self.eng.tasks)
        if svc.scheduling_strategy == "DAEMON":
            self._reconcile_daemon(svc)
        else:
            self._reconcile_replica(svc)
        self._update_deployments(svc)

    def _tasks(self, svc):
        tasks = self.eng.tasks
        return [tasks[t] for t in svc._sim["tasks"] if t in tasks]

    def _td(self, svc):
        return ecs_backend(svc.region_name).describe_task_definition(svc.task_definition)

    def _ci_status(self, task):
        ci = self.eng.cis.get(task._sim_ci)
        return ci.status if ci is not None else "INACTIVE"

    def _reconcile_replica(self, svc):
        cfg = svc.deployment_configuration or DEFAULT_REPLICA_CONFIG
        desired = svc.desired_count
        max_count = math.floor(desired * cfg.get("maximumPercent", 200) / 100.0 + 1e-9)
        min_count = math.ceil(desired * cfg.get("minimumHealthyPercent", 100) / 100.0 - 1e-9)
        primary = svc._sim["primary"]
        # The tasks ECS means to keep RUNNING (desiredStatus RUNNING), split by whether
        # they may stay: those of the PRIMARY deployment on ACTIVE instances, and the
        # rest. Read from the service's index (svc_index.py) per instance and
        # deployment, not by walking every task of the service: a drain call makes
        # only the few on the drained instances replaceable.
        live = svc._sim["idx"]["live"]
        cis = self.eng.cis
        good_buckets, replaceable = [], []
        good_n = 0
        for (ci_id, dep), bucket in live.items():
            ci = cis.get(ci_id) if dep == primary else None
            if ci is not None and ci.status == "ACTIVE":
                good_buckets.append(bucket)
                good_n += len(bucket)
            else:
                replaceable.extend(bucket.values())
        # Scale in: stop surplus tasks of the current deployment, pending first, busiest AZ first.
        if good_n > desired:
            good = [t for bucket in good_buckets for t in bucket.values()]
            by_az = {}
            for t in good:
                by_az[t.availability_zone] = by_az.get(t.availability_zone, 0) + 1
            order = sorted(good, key=lambda t: (t._status == "RUNNING", -by_az[t.availability_zone],
                                               -t._sim_created_t))
            surplus = order[:len(good) - desired]
            for t in surplus:
                self.stop(t, f"Scaling activity initiated by (deployment {primary})")
            self._event_tasks(svc, "stopped", surplus)
            good_n = desired
        # Replaceable tasks that are not serving go at once.
        for t in replaceable:
            if t._status != "RUNNING":
                self.stop(t, self._replace_reason(svc, t))
        replaceable = [t for t in replaceable if t.desired_status == "RUNNING"]
        # Start replacements within maximumPercent.
        total = good_n + len(replaceable)
        start_n = min(desired - good_n, max_count - total)
        if start_n > 0:
            self._start_tasks(svc, start_n)
        # Stop old tasks while RUNNING stays at or above minimumHealthyPercent, the lower limit
        # also while instances drain: a service at it whose replacement finds no room keeps
        # its task on the draining instance (Amazon ECS Developer Guide, "Draining Amazon ECS
        # container instances"; ECS API Reference, DeploymentConfiguration).
        running = svc._sim["idx"]["live_running"]  # desiredStatus and lastStatus RUNNING
        can_stop = running - min_count
        if can_stop > 0 and replaceable:
            replaceable.sort(key=lambda t: (self._ci_status(t) != "DRAINING", t._sim_created_t))
            stopped = replaceable[:can_stop]
            for t in stopped:
                self.stop(t, self._replace_reason(svc, t))
            self._event_tasks(svc, "stopped", stopped)

    def _replace_reason(self, svc, task):
        if self._ci_status(task) == "DRAINING":
            return "Container instance is being drained (DRAINING)"
        return f"Scaling activity initiated by (deployment {svc._sim['primary']})"

    def _start_tasks(self, svc, n):
        """Starts n tasks of the service, spread over instances by how many of its
        tasks (desiredStatus RUNNING) each ACTIVE instance has."""
        td = self._td(svc)
        req = requirements(td)
        cands = self.placeable(svc.region_name, svc.cluster_name, svc.placement_constraints)
        counts = {}
        cis = self.eng.cis
        for (ci_id, _dep), bucket in svc._sim["idx"]["live"].items():
            ci = cis.get(ci_id)
            if ci is not None and ci.status == "ACTIVE":
                counts[ci_id] = counts.get(ci_id, 0) + len(bucket)
        distinct = any(c.get("type") == "distinctInstance" for c in svc.placement_constraints or [])
        chosen = self.place(cands, req, n, svc.placement_strategy, counts, distinct)
        started = [self.new_task(ci, td, f"service:{svc.name}", svc._sim["primary"], svc=svc,
                                 dep_id=svc._sim["primary"], network=svc.network_configuration)
                   for ci in chosen]
        self._event_tasks(svc, "started", started)
        if len(chosen) < n:
            now = self.eng.now()
            if now - svc._sim["unplaced_at"] >= 60.0:
                svc._sim["unplaced_at"] = now
                why = self.closest_failure(cands, req)
                self.event(svc, f"(service {svc.name}) was unable to place a task because no container "
                                f"instance met all of its requirements. Reason: {why}")
                self.eng.ledger.event("task_unplaced", service=svc.name, wanted=n, placed=len(chosen), reason=why)
        return started

    def _event_tasks(self, svc, verb, tasks):
        if not tasks:
            return
        ids = " ".join(f"(task {t.id})" for t in tasks[:10])
        kind = "running " if verb == "stopped" else ""
        self.event(svc, f"(service {svc.name}) has {verb} {len(tasks)} {kind}tasks: {ids}.")

    def _reconcile_daemon(self, svc):
        eng = self.eng
        ecs = ecs_backend(svc.region_name)
        primary = svc._sim["primary"]
        td = self._td(svc)
        req = requirements(td)
        mine = {}
        for t in self._tasks(svc):
            if t.desired_status == "RUNNING":
                mine.setdefault(t._sim_ci, []).append(t)
        active = 0
        started = []
        members = {ci.id for ci in self.placeable(svc.region_name, svc.cluster_name, svc.placement_constraints)}
        for ci in list(ecs.container_instances.get(svc.cluster_name, {}).values()):
            tasks = mine.get(ci.id, [])
            if ci.id in members:
                active += 1
                old = [t for t in tasks if t._sim_dep != primary]
                for t in old:
                    self.stop(t, f"Scaling activity initiated by (deployment {primary})")
                current = [t for t in tasks if t._sim_dep == primary]
                if not current and not any(eng.tasks[x]._sim_svc is svc and eng.tasks[x]._status != "STOPPED"
                                           for x in ci._sim_tasks if x in eng.tasks):
                    placed = self.place([ci], req, 1)
                    if placed:
                        started.append(self.new_task(ci, td, f"service:{svc.name}", primary, svc=svc,
                                                     dep_id=primary, network=svc.network_configuration))
            elif ci.status == "DRAINING" and tasks:
                others = [eng.tasks[x] for x in ci._sim_tasks if x in eng.tasks]
                if not any(o._sim_svc is not None and o._sim_svc is not svc and
                           o._sim_svc.scheduling_strategy != "DAEMON" and o._status != "STOPPED"
                           for o in others):
                    for t in tasks:
                        self.stop(t, "Container instance is being drained (DRAINING)")
        self._event_tasks(svc, "started", started)
        if svc.desired_count != active:
            svc.desired_count = active
            self.observe(svc)

    def _update_deployments(self, svc):
        primary_id = svc._sim["primary"]
        live_by_dep = svc._sim["idx"]["open_by_dep"]  # tasks not STOPPED, per deployment
        keep = []
        for d in svc.deployments:
            if d["id"] != primary_id:
                d["desiredCount"] = live_by_dep.get(d["id"], 0)
                if not live_by_dep.get(d["id"]):
                    continue
            keep.append(d)
        svc.deployments = keep
        primary = self.deployment(svc, primary_id)
        if primary is None:
            return
        primary["desiredCount"] = svc.desired_count
        stable = (len(svc.deployments) == 1 and primary["runningCount"] == svc.desired_count
                  and primary["pendingCount"] == 0
                  and live_by_dep.get(primary_id, 0) == svc.desired_count)
        if stable and primary["rolloutState"] != "COMPLETED":
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary_id} completed."
            primary["updatedAt"] = utcnow()
        if stable and not svc._sim["steady"]:
            svc._sim["steady"] = True
            self.event(svc, f"(service {svc.name}) has reached a steady state.")
            self.eng.ledger.event("service_steady", service=svc.name, running=primary["runningCount"])
        elif not stable:
            svc._sim["steady"] = False

    # Standalone tasks.
    def run_task(self, region, cluster_name, td, count, group, started_by, strategy=None, constraints=None,
                 overrides=None, tags=None, network=None):
        req = requirements(td)
        cands = self.placeable(region, cluster_name, constraints)
        distinct = any(c.get("type") == "distinctInstance" for c in constraints or [])
        chosen = self.place(cands, req, count, strategy, {}, distinct)
        tasks = [self.new_task(ci, td, group, started_by, overrides=overrides, tags=tags, network=network)
                 for ci in chosen]
        failures = []
        if len(chosen) < count:
            reason = self.closest_failure(cands, req)
            failures = [{"reason": reason} for _ in range(count - len(chosen))]
        return tasks, failures

    def start_task(self, cis, td, group, started_by, overrides=None, tags=None, network=None):
        req = requirements(td)
        tasks, failures = [], []
        for ci in cis:
            if ci.status != "ACTIVE" or not ci.agent_connected:
                failures.append({"arn": ci.container_instance_arn, "reason": "INACTIVE" if ci.status == "INACTIVE"
                                 else "AGENT" if not ci.agent_connected else ci.status})
            elif not self.place([ci], req, 1):
                failures.append({"arn": ci.container_instance_arn, "reason": self.closest_failure([ci], req)})
            else:
                tasks.append(self.new_task(ci, td, group, started_by, overrides=overrides, tags=tags,
                                           network=network))
        return tasks, failures
