"""ECS API actions the simulator answers itself (patched onto moto's ECS
response class by moto_patches.py). moto 5.2 ignores ListContainerInstances'
filter/status/pagination and ListTasks' serviceName/pagination, returns an
empty desiredStatus filter as "all", advances task states on every
DescribeTasks, places no service tasks and drains nothing; these handlers
answer from the simulation instead, with ECS's limits and errors."""
import base64
import json

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException

from . import cql, ecs_fidelity, fastjson
from .engine import active

# Render the hot Describe* responses with fastjson (False: moto's serializer).
FAST_RENDER = True

CI_STATUSES = ("ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED")


class ServiceNotActiveException(ECSException):
    def __init__(self):
        super().__init__("ServiceNotActiveException", "Service was not ACTIVE.")


def _page(items, token, max_results, default, limit):
    if max_results is None:
        max_results = default
    if not isinstance(max_results, int) or not 1 <= max_results <= limit:
        raise InvalidParameterException(f"maxResults must be between 1 and {limit}.")
    start = 0
    if token:
        try:
            start = int(json.loads(base64.b64decode(token))["offset"])
        except (ValueError, KeyError, TypeError):
            raise InvalidParameterException("The specified nextToken is invalid.")
    page = items[start:start + max_results]
    nxt = None
    if start + max_results < len(items):
        nxt = base64.b64encode(json.dumps({"offset": start + max_results}).encode()).decode()
    return page, nxt


def _id(ref):
    return (ref or "").split("/")[-1]


def _find_ci(eng, ecs, cluster, ref):
    ci = ecs.container_instances.get(cluster.name, {}).get(_id(ref))
    if ci is None:
        ci = eng.cis.get(_id(ref))
        if ci is not None and ci.cluster_name != cluster.name:
            ci = None
    return ci


def _find_task(eng, cluster, ref):
    task = eng.tasks.get(_id(ref))
    if task is not None and task.cluster_name == cluster.name:
        return task
    return None


def list_container_instances(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    status = self._get_param("status")
    if status is not None and status not in CI_STATUSES:
        raise InvalidParameterException(f"Container instance status should be one of [{', '.join(CI_STATUSES)}]")
    cis = [ci for ci in ecs.container_instances.get(cluster.name, {}).values()
           if not ecs_fidelity.lagging(eng, ci)]
    if ecs_fidelity.moto(eng):  # filter, status and paging ignored (ecs_fidelity.py)
        return ActionResult({"containerInstanceArns": sorted(ci.container_instance_arn for ci in cis)})
    if status:
        cis = [ci for ci in cis if ci.status == status]
    flt = self._get_param("filter")
    if flt:
        try:
            node = cql.parse(flt)
            cis = [ci for ci in cis if cql.matches(node, ci)]
        except cql.QueryError as e:
            raise InvalidParameterException(f"The filter expression is invalid: {e}")
    arns = sorted(ci.container_instance_arn for ci in cis)
    page, nxt = _page(arns, self._get_param("nextToken"), self._get_param("maxResults"), 100, 100)
    return ActionResult({"containerInstanceArns": page, "nextToken": nxt})


def describe_container_instances(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    refs = self._get_param("containerInstances") or []
    if not refs:
        raise InvalidParameterException("Container Instances cannot be empty.")
    if len(refs) > 100:
        raise InvalidParameterException("containerInstances can have at most 100 items.")
    found, failures = [], []
    for ref in refs:
        ci = _find_ci(eng, ecs, cluster, ref)
        if ci is None or ecs_fidelity.take_missing(eng, "DescribeContainerInstances", ref):
            failures.append({"arn": ref, "reason": "MISSING"})
        else:
            found.append(ci)
    moto = ecs_fidelity.moto(eng)
    if not FAST_RENDER and not moto:
        return ActionResult({"containerInstances": found, "failures": failures})
    items = [fastjson.container_instance(ci) for ci in found]
    if moto:
        ecs_fidelity.strip(items, ecs_fidelity.OPTIONAL_CI)
    return fastjson.response({"containerInstances": items, "failures": failures})


def update_container_instances_state(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    refs = self._get_param("containerInstances") or []
    status = self._get_param("status")
    if status not in ("ACTIVE", "DRAINING"):
        raise InvalidParameterException("Container instance status should be one of [ACTIVE, DRAINING]")
    if not refs:
        raise InvalidParameterException("Container Instances cannot be empty.")
    if len(refs) > 10:
        raise InvalidParameterException("containerInstances can have at most 10 items.")
    done, failures = [], []
    for ref in refs:
        ci = _find_ci(eng, ecs, cluster, ref)
        if ci is None:
            failures.append({"arn": ref, "reason": "MISSING"})
            continue
        if ci.status == "INACTIVE":
            failures.append({"arn": ci.container_instance_arn, "reason": "INACTIVE"})
            continue
        if ci.status != status:
            ci.status = status
            ci.version = getattr(ci, "version", 1) + 1
            ci._sim_draining_t = eng.now() if status == "DRAINING" else None
            eng.ledger.event("container_instance_draining" if status == "DRAINING" else "container_instance_active",
                             instance=ci.ec2_instance_id, container_instance=ci.container_instance_arn,
                             cluster=cluster.name, running_tasks=ci.running_tasks_count)
            eng.mark_cluster(ci.region_name, cluster.name)
        done.append(ci)
    if not FAST_RENDER or ecs_fidelity.moto(eng):
        return ActionResult({"containerInstances": done, "failures": failures})
    # What moto's serializer says, rendered as for DescribeContainerInstances
    # (a drain of 1,000 instances is 100 of these calls: ~0.1 s each in moto's).
    return fastjson.response({"containerInstances": [fastjson.container_instance(ci) for ci in done],
                              "failures": failures})


def deregister_container_instance(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    ref = self._get_param("containerInstance")
    force = bool(self._get_param("force", False))
    ci = _find_ci(eng, ecs, cluster, ref)
    if ci is None or ci.status == "INACTIVE":
        raise InvalidParameterException("The referenced container instance was not found or is not active.")
    live = [eng.tasks[t] for t in ci._sim_tasks if t in eng.tasks and eng.tasks[t]._status != "STOPPED"]
    if live and not force:
        raise InvalidParameterException("Found running tasks on the instance.")
    for task in live:
        # Orphaned: ECS stops tracking them and services start replacements elsewhere.
        eng.sched._stopped(task, reason="Container instance deregistered (orphaned task)",
                           code="ServiceSchedulerInitiated")
    eng.agent.deregister(ci, "DeregisterContainerInstance")
    return ActionResult({"containerInstance": ci})


def list_tasks(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    desired = self._get_param("desiredStatus") or "RUNNING"
    if desired not in ("RUNNING", "PENDING", "STOPPED"):
        raise InvalidParameterException("desiredStatus should be one of [RUNNING, PENDING, STOPPED]")
    ci_ref = self._get_param("containerInstance")
    if ci_ref and desired == "RUNNING":
        ci = _find_ci(eng, ecs, cluster, ci_ref)
        tasks = [eng.tasks[t] for t in (ci._sim_tasks if ci else ()) if t in eng.tasks]
    else:
        tasks = list(ecs.tasks.get(cluster.name, {}).values())
        if ci_ref:
            want = _id(ci_ref)
            tasks = [t for t in tasks if _id(t.container_instance_arn) == want]
    tasks = [t for t in tasks if t.desired_status == desired]
    family = self._get_param("family")
    if family:
        tasks = [t for t in tasks if t.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] == family]
    started_by = self._get_param("startedBy")
    if started_by:
        tasks = [t for t in tasks if t.started_by == started_by]
    moto = ecs_fidelity.moto(eng)
    service = self._get_param("serviceName")
    if service and not moto:
        tasks = [t for t in tasks if t.group == f"service:{_id(service)}"]
    launch_type = self._get_param("launchType")
    if launch_type:
        tasks = [t for t in tasks if (t.launch_type or "EC2") == launch_type]
    arns = sorted(t.task_arn for t in tasks)
    if moto:
        return ActionResult({"taskArns": arns})
    page, nxt = _page(arns, self._get_param("nextToken"), self._get_param("maxResults"), 100, 100)
    return ActionResult({"taskArns": page, "nextToken": nxt})


def describe_tasks(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    refs = self._get_param("tasks") or []
    if not refs:
        raise InvalidParameterException("Tasks cannot be empty.")
    if len(refs) > 100:
        raise InvalidParameterException("tasks can have at most 100 items.")
    found, failures = [], []
    for ref in refs:
        task = _find_task(eng, cluster, ref)
        if task is None or ecs_fidelity.take_missing(eng, "DescribeTasks", ref):
            failures.append({"arn": ref, "reason": "MISSING"})
        else:
            found.append(task)
    with_tags = "TAGS" in (self._get_param("include") or [])
    moto = ecs_fidelity.moto(eng)
    if FAST_RENDER or moto:
        items = [fastjson.task(t, with_tags) for t in found]
        if moto:
            ecs_fidelity.strip(items, ecs_fidelity.OPTIONAL_TASK)
        return fastjson.response({"tasks": items, "failures": failures})
    if with_tags:
        self._include_in_response("DescribeTasksResponse.tasks.Task.tags")
    else:
        self._exclude_from_response("DescribeTasksResponse.tasks.Task.tags")
    return ActionResult({"tasks": found, "failures": failures})


def stop_task(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    task = _find_task(eng, cluster, self._get_param("task"))
    if task is None:
        raise InvalidParameterException("The referenced task was not found.")
    eng.sched.stop(task, self._get_param("reason") or "Task stopped by user", "UserInitiated")
    return ActionResult({"task": task})


def _placement_args(self):
    return self._get_param("placementStrategy") or None, self._get_param("placementConstraints") or []


def run_task(self):
    eng = active()
    launch_type = self._get_param("launchType")
    if launch_type and launch_type != "EC2":
        return ORIGINAL["run_task"](self)  # Fargate/external tasks are not simulated
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    td = ecs.describe_task_definition(self._get_param("taskDefinition"))
    count = self._get_int_param("count", 1)
    if not 1 <= count <= 10:
        raise InvalidParameterException("count must be between 1 and 10.")
    if not ecs.container_instances.get(cluster.name):
        raise InvalidParameterException("No Container Instances were found in your cluster.")
    strategy, constraints = _placement_args(self)
    tasks, failures = eng.sched.run_task(
        cluster.region_name, cluster.name, td, count, self._get_param("group") or f"family:{td.family}",
        self._get_param("startedBy"), strategy, constraints, self._get_param("overrides"),
        self._get_param("tags"), self._get_param("networkConfiguration"))
    return ActionResult({"tasks": tasks, "failures": failures})


def start_task(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    td = ecs.describe_task_definition(self._get_param("taskDefinition"))
    refs = self._get_param("containerInstances") or []
    if not refs:
        raise InvalidParameterException("Container Instances cannot be empty.")
    if len(refs) > 10:
        raise InvalidParameterException("containerInstances can have at most 10 items.")
    cis, failures = [], []
    for ref in refs:
        ci = _find_ci(eng, ecs, cluster, ref)
        if ci is None:
            failures.append({"arn": ref, "reason": "MISSING"})
        else:
            cis.append(ci)
    tasks, more = eng.sched.start_task(cis, td, self._get_param("group") or f"family:{td.family}",
                                       self._get_param("startedBy"), self._get_param("overrides"),
                                       self._get_param("tags"), self._get_param("networkConfiguration"))
    return ActionResult({"tasks": tasks, "failures": failures + more})


def create_service(self):
    eng = active()
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    name = self._get_param("serviceName")
    existing = ecs.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status != "INACTIVE":
        raise InvalidParameterException("Creation of service was not idempotent.")
    cfg = self._get_param("deploymentConfiguration") or {}
    lo, hi = cfg.get("minimumHealthyPercent"), cfg.get("maximumPercent")
    if lo is not None and not 0 <= lo <= 100:
        raise InvalidParameterException("minimumHealthyPercent must be between 0 and 100.")
    if hi is not None and hi < 100 and self._get_param("schedulingStrategy") != "DAEMON":
        raise InvalidParameterException("maximumPercent must be at least 100.")
    result = ORIGINAL["create_service"](self)
    svc = ecs.services[f"{cluster.name}:{name}"]
    eng.sched.adopt_service(svc, self._get_params())
    return result


def update_service(self):
    eng = active()
    ecs = self.ecs_backend
    params = self._get_params()
    svc = ecs._get_service(params.get("cluster") or "default", _id(params.get("service")))
    if svc.status != "ACTIVE":
        raise ServiceNotActiveException()
    if not hasattr(svc, "_sim"):
        eng.sched.adopt_service(svc, {})
    if params.get("taskDefinition"):
        params["taskDefinition"] = ecs.describe_task_definition(params["taskDefinition"]).arn
    eng.sched.update_service(svc, params)
    return ActionResult({"service": svc})


def delete_service(self):
    eng = active()
    ecs = self.ecs_backend
    svc = ecs._get_service(self._get_param("cluster", "default"), _id(self._get_param("service")))
    if svc.status == "INACTIVE":
        raise ServiceNotActiveException()
    if svc.desired_count > 0 and not self._get_param("force", False) and svc.scheduling_strategy != "DAEMON":
        raise InvalidParameterException("The service cannot be stopped while it is scaled above 0.")
    if hasattr(svc, "_sim"):
        eng.sched.delete_service(svc)
    else:
        svc.status = "INACTIVE"
    return ActionResult({"service": svc})


def describe_services(self):
    refs = self._get_param("services") or []
    if len(refs) > 10:
        raise InvalidParameterException("services can have at most 10 items.")
    if not refs:
        raise InvalidParameterException("Services cannot be empty.")
    return ORIGINAL["describe_services"](self)


def list_services(self):
    ecs = self.ecs_backend
    cluster = ecs._get_cluster(self._get_param("cluster", "default"))
    strategy = self._get_param("schedulingStrategy")
    launch_type = self._get_param("launchType")
    arns = sorted(s.arn for s in ecs.services.values()
                  if s.cluster_name == cluster.name and s.status != "INACTIVE"
                  and (not strategy or s.scheduling_strategy == strategy)
                  and (not launch_type or (s.launch_type or "EC2") == launch_type))
    page, nxt = _page(arns, self._get_param("nextToken"), self._get_param("maxResults"), 10, 100)
    return ActionResult({"serviceArns": page, "nextToken": nxt})


# Filled by moto_patches.install() with moto's own handlers.
ORIGINAL = {}

HANDLERS = {
    "list_container_instances": list_container_instances,
    "describe_container_instances": describe_container_instances,
    "update_container_instances_state": update_container_instances_state,
    "deregister_container_instance": deregister_container_instance,
    "list_tasks": list_tasks,
    "describe_tasks": describe_tasks,
    "stop_task": stop_task,
    "run_task": run_task,
    "start_task": start_task,
    "create_service": create_service,
    "update_service": update_service,
    "delete_service": delete_service,
    "describe_services": describe_services,
    "list_services": list_services,
}
