"""The invariant ledger: what a rollout did to the services, told by the only
party that knows - the simulator.

Per service it follows the number of tasks that really serve: lastStatus RUNNING
on an instance that is still up. (ECS keeps reporting tasks RUNNING for a while
after their instance died; the ledger does not.) It records the minimum of that
number against what the deployment configuration allows:

    allowed = ceil(min(desiredCount, high_water) * minimumHealthyPercent / 100)

where high_water is the most tasks that served since desiredCount last changed,
so a service that is still starting, or was just scaled out, is not counted as
a dip. Every task that was not STOPPED when its instance went away is an abrupt
kill (a task whose container was running: RUNNING, DEACTIVATING or STOPPING; a
PENDING task lost with its instance is only a timeline event). The timeline holds
every event with its AWS time `t`: seconds since the scenario became ready."""
import datetime
import math

LEDGER_VERSION = 1


def _now_wall():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


class ServiceRecord:
    def __init__(self, cluster, name, t):
        self.cluster = cluster
        self.name = name
        self.desired = 0
        self.min_pct = 100
        self.max_pct = 200
        self.scheduling = "REPLICA"
        self.running = 0
        self.high_water = 0
        self.reached_desired_at = None
        self.min_running = None
        self.min_running_at = None
        self.min_running_allowed = None
        self.below_allowed = []      # closed and open intervals
        self._open_below = None
        self.seconds_below_desired = 0.0
        self._below_desired_since = None
        self.created_at = t
        self.exempt = None           # why this service's dips are not a rollout's (crash loop)
        self.external_kills = 0      # its tasks killed by a disruption (they lower high_water)

    def allowed(self):
        base = min(self.desired, self.high_water)
        return math.ceil(base * self.min_pct / 100.0 - 1e-9)

    def observe(self, t, running, desired, min_pct, max_pct, scheduling):
        if desired != self.desired:
            self.high_water = min(self.high_water, desired) if desired < self.desired else self.high_water
        self.desired, self.min_pct, self.max_pct, self.scheduling = desired, min_pct, max_pct, scheduling
        self.running = running
        self.high_water = max(self.high_water, min(running, desired))
        if self.reached_desired_at is None and desired > 0 and running >= desired:
            self.reached_desired_at = t
        allowed = self.allowed()
        if self.reached_desired_at is not None:
            if self.min_running is None or running < self.min_running:
                self.min_running, self.min_running_at, self.min_running_allowed = running, t, allowed
            if running < desired:
                if self._below_desired_since is None:
                    self._below_desired_since = t
            elif self._below_desired_since is not None:
                self.seconds_below_desired += t - self._below_desired_since
                self._below_desired_since = None
        if running < allowed:
            if self._open_below is None:
                self._open_below = {"start": round(t, 3), "end": None, "min_running": running,
                                    "allowed": allowed, "desired": desired}
                self.below_allowed.append(self._open_below)
            else:
                self._open_below["min_running"] = min(self._open_below["min_running"], running)
                self._open_below["allowed"] = max(self._open_below["allowed"], allowed)
        elif self._open_below is not None:
            self._open_below["end"] = round(t, 3)
            self._open_below = None

    def report(self, t):
        below_desired = self.seconds_below_desired
        if self._below_desired_since is not None:
            below_desired += t - self._below_desired_since
        return {
            "cluster": self.cluster,
            "service": self.name,
            "scheduling_strategy": self.scheduling,
            "desired": self.desired,
            "running": self.running,
            "minimum_healthy_percent": self.min_pct,
            "maximum_percent": self.max_pct,
            "allowed_minimum": self.allowed(),
            "reached_desired_at": None if self.reached_desired_at is None else round(self.reached_desired_at, 3),
            "min_running": self.min_running,
            "min_running_at": None if self.min_running_at is None else round(self.min_running_at, 3),
            "min_running_allowed": self.min_running_allowed,
            "went_below_desired": below_desired > 0 or (self.min_running is not None and self.min_running < self.desired),
            "seconds_below_desired": round(below_desired, 3),
            "went_below_allowed": bool(self.below_allowed) and not self.exempt,
            "below_allowed": [dict(iv) for iv in self.below_allowed],
            "exempt": self.exempt,
            "external_kills": self.external_kills,
        }


class Ledger:
    def __init__(self, clock, timeline_limit=200_000):
        self.clock = clock
        self.timeline_limit = timeline_limit
        self.exempt = {}  # service key -> why its dips do not count (crash loop); survives reset()
        self.reset()

    def now(self):
        """AWS seconds since the ledger was (re)started (the scenario became ready)."""
        return self.clock.now() - self.t0

    def reset(self):
        self.t0 = self.clock.now()
        self.timeline = []
        self.timeline_dropped = 0
        self.services = {}          # key -> ServiceRecord
        self.abrupt_kills = []
        self.external_kills = []    # tasks killed by a disruption (Spot, rebalancing): not the rollout's
        self.terminated_unregistered = []
        self.desired_changes = []
        self.api_calls = {}
        self.writers = []           # [access key, first t, last t, writes], in the order they wrote
        self.writer_overlaps = []
        self.started_wall = _now_wall()

    def event(self, kind, **fields):
        if len(self.timeline) >= self.timeline_limit:
            self.timeline_dropped += 1
            return
        rec = {"t": round(self.now(), 3), "event": kind}
        rec.update(fields)
        self.timeline.append(rec)

    def count_call(self, name):
        self.api_calls[name] = self.api_calls.get(name, 0) + 1

    def write_call(self, name, access_key):
        """A write that reached the service, by who signed it. A controller that writes again
        after another one started writing is an overlap: two controllers acting at once."""
        t = round(self.now(), 3)
        key = access_key or "(unsigned)"
        if self.writers and self.writers[-1][0] == key:
            self.writers[-1][2] = t
            self.writers[-1][3] += 1
        else:
            if any(w[0] == key for w in self.writers):
                self.writer_overlaps.append({"t": t, "access_key": key, "call": name,
                                             "after": self.writers[-1][0]})
            self.writers.append([key, t, t, 1])
        self.event("write", call=name, access_key=key)

    def abrupt_kill(self, **fields):
        rec = {"t": round(self.now(), 3), "wall": _now_wall()}
        rec.update(fields)
        self.abrupt_kills.append(rec)
        self.event("abrupt_kill", **fields)

    def external_kill(self, service_key=None, **fields):
        """A task killed by a disruption: not the rollout's. Its service's high
        water mark drops by one, so the dip until it is replaced is not counted
        against the allowed minimum (as if the service had lost that task's
        capacity, which it has)."""
        rec = {"t": round(self.now(), 3), "wall": _now_wall()}
        rec.update(fields)
        self.external_kills.append(rec)
        self.event("external_kill", **fields)
        svc = self.services.get(service_key)
        if svc is not None:
            svc.external_kills += 1
            svc.high_water = max(0, svc.high_water - 1)

    def exempt_service(self, key, cluster, name, why):
        self.exempt[key] = why
        self.service(key, cluster, name).exempt = why

    def desired_change(self, group, old, new, cause):
        rec = {"t": round(self.now(), 3), "group": group, "from": old, "to": new, "cause": cause}
        self.desired_changes.append(rec)
        self.event("desired_capacity", group=group, **{"from": old, "to": new}, cause=cause)

    def service(self, key, cluster, name):
        rec = self.services.get(key)
        if rec is None:
            rec = self.services[key] = ServiceRecord(cluster, name, self.now())
            rec.exempt = self.exempt.get(key)
        return rec

    def observe_service(self, key, cluster, name, running, desired, min_pct, max_pct, scheduling):
        self.service(key, cluster, name).observe(self.now(), running, desired, min_pct,
                                                 max_pct, scheduling)

    def report(self, extra=None, include_timeline=True):
        """The ledger as a JSON-ready dict; `extra` adds the engine's end-state findings."""
        t = self.now()
        services = [rec.report(t) for rec in self.services.values()]
        extra = extra or {}
        left_draining = extra.get("instances_left_draining", [])
        problems = []
        for s in services:
            if s["went_below_allowed"]:
                problems.append(f"service {s['cluster']}/{s['service']} went below its allowed minimum "
                                f"({min(iv['min_running'] for iv in s['below_allowed'])} running, "
                                f"{max(iv['allowed'] for iv in s['below_allowed'])} allowed)")
        if self.abrupt_kills:
            problems.append(f"{len(self.abrupt_kills)} task(s) killed abruptly by instance termination")
        if left_draining:
            problems.append(f"{len(left_draining)} container instance(s) left DRAINING")
        audit = extra.get("audit_problems") or []
        problems += audit
        errors = extra.get("simulator_errors") or []
        if errors:
            problems.append(f"{len(errors)} simulator error(s); this ledger may be incomplete: {errors[0]}")
        zero_downtime = not self.abrupt_kills and not any(s["went_below_allowed"] for s in services)
        out = {
            "version": LEDGER_VERSION,
            "started": self.started_wall,
            "generated": _now_wall(),
            "aws_seconds": round(t, 3),
            "time_scale": self.clock.time_scale,
            "zero_downtime": zero_downtime,
            "ok": zero_downtime and not left_draining and not errors and not audit,
            "problems": problems,
            "services": services,
            "abrupt_kills": list(self.abrupt_kills),
            "external_kills": list(self.external_kills),
            "terminated_without_registering": list(self.terminated_unregistered),
            "desired_capacity_changes": list(self.desired_changes),
            "api_calls": dict(sorted(self.api_calls.items())),
            "writers": [{"access_key": k, "first": a, "last": b, "writes": n} for k, a, b, n in self.writers],
            "writer_overlaps": list(self.writer_overlaps),
        }
        out.update(extra)
        out.pop("audit_problems", None)
        if include_timeline:
            out["timeline"] = list(self.timeline)
            out["timeline_dropped"] = self.timeline_dropped
        return out
