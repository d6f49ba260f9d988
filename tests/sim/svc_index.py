"""Per-service task indexes, kept up to date as tasks change state, so that a
reconcile of a replica service reads what it needs (its live tasks by
instance and deployment, how many of them are RUNNING, how many tasks each
deployment still has) instead of walking all of the service's tasks: at 1,000
instances a service has 3,000-6,000 tasks and the scheduler reconciles it at
every drain call, holding the simulator's lock.

What the indexes hold is what the walk computed (Amazon ECS Developer Guide,
"Amazon ECS services" / "Service scheduler concepts": tasks ECS means to keep
RUNNING are those with desiredStatus RUNNING; a deployment's tasks are counted
until they are STOPPED). walk() is that walk, kept as the reference: with
SIM_CHECK_INDEXES=1 in the environment every reconcile compares the two
(tests/sim/test_svc_index.py)."""


def new():
    return {
        "live": {},  # (container instance id, deployment id) -> {task id: task}, desiredStatus RUNNING
        "live_running": 0,  # of those, lastStatus RUNNING
        "open_by_dep": {},  # deployment id -> tasks not STOPPED (NEW only inside new_task)
    }


def _open(last):
    return last not in ("NEW", "STOPPED")


def task_changed(idx, task, old_last, old_des, new_last, new_des):
    """Called by TaskOps._set for every lastStatus/desiredStatus change of a service task."""
    was, now = old_des == "RUNNING", new_des == "RUNNING"
    if was != now:
        key = (task._sim_ci, task._sim_dep)
        live = idx["live"]
        if now:
            live.setdefault(key, {})[task.id] = task
        else:
            bucket = live.get(key)
            if bucket is not None:
                bucket.pop(task.id, None)
                if not bucket:
                    del live[key]
    idx["live_running"] += (now and new_last == "RUNNING") - (was and old_last == "RUNNING")
    was_open, now_open = _open(old_last), _open(new_last)
    if was_open != now_open:
        by_dep, dep = idx["open_by_dep"], task._sim_dep
        n = by_dep.get(dep, 0) + (1 if now_open else -1)
        if n:
            by_dep[dep] = n
        else:
            del by_dep[dep]


def summary(idx):
    """What the reconcile reads, comparable with walk()."""
    live = sorted((ci, dep, tid) for (ci, dep), bucket in idx["live"].items() for tid in bucket)
    return {"live": live, "live_running": idx["live_running"], "open_by_dep": dict(idx["open_by_dep"])}


def walk(svc, tasks):
    """The same figures from every task of the service (the reference)."""
    live, running, open_by_dep = [], 0, {}
    for tid in svc._sim["tasks"]:
        t = tasks.get(tid)
        if t is None:
            continue
        if t.desired_status == "RUNNING":
            live.append((t._sim_ci, t._sim_dep, t.id))
            running += t._status == "RUNNING"
        if _open(t._status):
            open_by_dep[t._sim_dep] = open_by_dep.get(t._sim_dep, 0) + 1
    return {"live": sorted(live), "live_running": running, "open_by_dep": open_by_dep}


def check(svc, tasks):
    """Raises if the indexes and the walk disagree."""
    got, want = summary(svc._sim["idx"]), walk(svc, tasks)
    if got != want:
        diff = {k: (got[k], want[k]) for k in got if got[k] != want[k]}
        raise AssertionError(f"service {svc.name}: indexes differ from the walk: {str(diff)[:500]}")
