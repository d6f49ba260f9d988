"""Fault injection: API faults per action (throttling, 5xx, connection resets,
latency) and cluster faults (instances that never register, instances that fail
their health check, tasks that never stop, an account instance limit, and
AWS's clock set apart from this machine's: clock_offset_s shifts the Date
header of every answer, the clock a client measures leases against).

API fault rules, in order, first match wins for errors (latency adds up):
    {"action": "ecs:DescribeTasks" | "DescribeTasks" | "autoscaling:*" | "*",
     "throttle": 0.3,       # probability of the service's throttling error
     "error": 0.1,          # probability of a 5xx
     "error_status": 500,   # 500 (default) or 503
     "reset": 0.05,         # probability of closing the connection without a response
     "latency_ms": 200,     # added before the request is handled ([lo, hi] = uniform)
     "rate": 20,            # token bucket shared by the rule's actions: requests per
     "burst": 40,           #   real second, and the bucket size (default: rate);
                            #   a request finding it empty is throttled, like ECS's
                            #   per-account buckets
     "scaling_activity_in_progress": 0.2,  # Auto Scaling only: probability of
     "resource_contention": 0.1,           #   these transient refusals (400/500)
     "times": 3,            # optional: only the next 3 matching requests
     "after": 2}            # optional: let the first 2 matching requests through
Rolls come from one RNG seeded by `seed`, so a run with the same request order
injects the same faults."""
import fnmatch
import json
import random
import threading
import time
import uuid

ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113"

# Query-protocol API versions, to tell the services apart without a signature.
QUERY_VERSIONS = {
    "2011-01-01": "autoscaling",
    "2016-11-15": "ec2",
    "2011-06-15": "sts",
    "2010-05-08": "iam",
    "2015-12-01": "elasticloadbalancing",
    "2012-06-01": "elasticloadbalancing",
    "2014-11-06": "ssm",
}

QUERY_NAMESPACES = {
    "autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "elasticloadbalancing": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
}

CLUSTER_FAULT_KEYS = ("never_register", "unhealthy", "unhealthy_after", "stuck_tasks",
                      "account_limit", "describe_missing", "list_lag", "spot_interruption",
                      "rebalance_recommendation", "agent_disconnected", "leave_group", "clock_offset_s")
RULE_KEYS = ("action", "throttle", "error", "error_status", "reset", "latency_ms",
             "times", "after", "rate", "burst", "scaling_activity_in_progress", "resource_contention")
# Auto Scaling's transient refusals of a write (Auto Scaling API Reference, e.g.
# UpdateAutoScalingGroup and SetDesiredCapacity, "Errors"): the rule key, the
# HTTP status, the error Type and Code, the message.
TRANSIENT_ASG_ERRORS = {
    "scaling_activity_in_progress": (400, "Sender", "ScalingActivityInProgress",
                                     "The operation can't be performed because there are scaling activities "
                                     "in progress."),
    "resource_contention": (500, "Receiver", "ResourceContention",
                            "You already have a pending update to an Amazon EC2 Auto Scaling resource "
                            "(for example, an Auto Scaling group, instance, or load balancer)."),
}
KINDS = ("reset", "throttle", "error") + tuple(TRANSIENT_ASG_ERRORS)


class FaultConfigError(ValueError):
    pass


def identify(service, action):
    """'ecs:DescribeTasks' style name used in rules and statistics."""
    return f"{service or 'unknown'}:{action or 'unknown'}"


def _check_prob(rule, key):
    v = rule.get(key, 0)
    if not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise FaultConfigError(f"fault rule {rule!r}: {key} must be a probability in [0, 1]")
    return float(v)


def validate_rule(rule):
    if not isinstance(rule, dict):
        raise FaultConfigError(f"fault rule must be an object, got {rule!r}")
    unknown = set(rule) - set(RULE_KEYS)
    if unknown:
        raise FaultConfigError(f"fault rule {rule!r}: unknown keys {sorted(unknown)}; known: {list(RULE_KEYS)}")
    actions = rule.get("action", "*")
    if isinstance(actions, str):
        actions = [actions]
    if not actions or not all(isinstance(a, str) and a for a in actions):
        raise FaultConfigError(f"fault rule {rule!r}: action must be a name or a list of names")
    out = {"action": actions}
    for k in KINDS:
        out[k] = _check_prob(rule, k)
    if sum(out[k] for k in KINDS) > 1.0 + 1e-9:
        raise FaultConfigError(f"fault rule {rule!r}: the probabilities of {', '.join(KINDS)} exceed 1")
    status = rule.get("error_status", 500)
    if status not in (500, 502, 503, 504):
        raise FaultConfigError(f"fault rule {rule!r}: error_status must be 500, 502, 503 or 504")
    out["error_status"] = status
    lat = rule.get("latency_ms", 0)
    if isinstance(lat, (int, float)):
        lat = [float(lat), float(lat)]
    if (not isinstance(lat, (list, tuple)) or len(lat) != 2
            or not all(isinstance(x, (int, float)) and x >= 0 for x in lat) or lat[0] > lat[1]):
        raise FaultConfigError(f"fault rule {rule!r}: latency_ms must be a number or [lo, hi] milliseconds")
    out["latency_ms"] = [float(lat[0]), float(lat[1])]
    rate = rule.get("rate")
    if rate is not None and (not isinstance(rate, (int, float)) or rate <= 0):
        raise FaultConfigError(f"fault rule {rule!r}: rate must be requests per second > 0")
    burst = rule.get("burst", rate)
    if rate is not None and (not isinstance(burst, (int, float)) or burst < 1):
        raise FaultConfigError(f"fault rule {rule!r}: burst must be >= 1")
    out["rate"], out["burst"] = rate, burst
    for k in ("times", "after"):
        v = rule.get(k)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise FaultConfigError(f"fault rule {rule!r}: {k} must be a non-negative integer")
        out[k] = v
    return out


def validate_cluster(cluster):
    if not isinstance(cluster, dict):
        raise FaultConfigError(f"cluster faults must be an object, got {cluster!r}")
    unknown = set(cluster) - set(CLUSTER_FAULT_KEYS)
    if unknown:
        raise FaultConfigError(f"cluster faults: unknown keys {sorted(unknown)}; known: {list(CLUSTER_FAULT_KEYS)}")
    out = {}
    for key in ("never_register", "unhealthy"):
        if key not in cluster:
            continue
        v = cluster[key]
        if v == "all" or (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
            out[key] = v
        elif isinstance(v, dict) and set(v) <= {"instances", "count"}:
            out[key] = {"instances": list(v.get("instances", [])), "count": int(v.get("count", 0))}
        else:
            raise FaultConfigError(f"cluster faults: {key} must be a count, \"all\" or "
                                   f"{{\"instances\": [ids], \"count\": N}}, got {v!r}")
    if "unhealthy_after" in cluster:
        v = cluster["unhealthy_after"]
        if not isinstance(v, (int, float)) or v < 0:
            raise FaultConfigError("cluster faults: unhealthy_after must be AWS seconds >= 0")
        out["unhealthy_after"] = float(v)
    if "stuck_tasks" in cluster:
        v = cluster["stuck_tasks"]
        if not isinstance(v, dict) or not set(v) <= {"service", "count", "tasks"}:
            raise FaultConfigError("cluster faults: stuck_tasks must be {\"service\": NAME or \"*\", "
                                   "\"count\": N} or {\"tasks\": [ids or ARNs]}")
        out["stuck_tasks"] = {"service": v.get("service", "*"), "count": int(v.get("count", 0)),
                              "tasks": list(v.get("tasks", []))}
    if "describe_missing" in cluster:
        v = cluster["describe_missing"]
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1:
            out["describe_missing"] = {"probability": float(v), "count": None}
        elif isinstance(v, dict) and set(v) == {"count"} and isinstance(v["count"], int) and v["count"] >= 0:
            out["describe_missing"] = {"probability": None, "count": v["count"]}
        else:
            raise FaultConfigError("cluster faults: describe_missing must be a probability per item in [0, 1] "
                                   "or {\"count\": N} (the next N items)")
    if "list_lag" in cluster:
        v = cluster["list_lag"]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise FaultConfigError("cluster faults: list_lag must be AWS seconds >= 0")
        out["list_lag"] = float(v)
    from . import ecs_disruptions
    for key in ecs_disruptions.KINDS:
        if key in cluster:
            out[key] = ecs_disruptions.validate(key, cluster[key])
    if "account_limit" in cluster:
        v = cluster["account_limit"]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise FaultConfigError("cluster faults: account_limit must be an instance count or null")
        out["account_limit"] = v
    if "clock_offset_s" in cluster:
        v = cluster["clock_offset_s"]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or abs(v) > 10 * 365 * 86400:
            raise FaultConfigError("cluster faults: clock_offset_s must be seconds (AWS's clock minus this "
                                   "machine's)")
        out["clock_offset_s"] = float(v)
    return out


class Decision:
    __slots__ = ("kind", "status", "latency", "rule")

    def __init__(self, kind=None, status=None, latency=0.0, rule=None):
        self.kind = kind          # None, "throttle", "error", "reset"
        self.status = status
        self.latency = latency    # real seconds
        self.rule = rule


class FaultState:
    """Holds the current faults; thread-safe (its own lock, not the engine's)."""

    def __init__(self, seed=0):
        self._lock = threading.Lock()
        self.rng = random.Random(seed)
        self.seed = seed
        self.rules = []      # validated rules plus counters
        self.cluster = {}
        self.stats = {}      # "ecs:DescribeTasks" -> {"throttle": n, ...}

    def configure(self, faults, replace=True):
        """Applies a faults object {"seed", "api": [rules], "cluster": {...}}."""
        if faults is None:
            faults = {}
        if not isinstance(faults, dict) or not set(faults) <= {"seed", "api", "cluster"}:
            raise FaultConfigError("faults must be an object with keys seed, api, cluster; "
                                   f"got {json.dumps(faults)[:200]}")
        rules = [validate_rule(r) for r in faults.get("api", [])]
        cluster = validate_cluster(faults.get("cluster", {}))
        with self._lock:
            if "seed" in faults:
                self.seed = faults["seed"]
                self.rng = random.Random(self.seed)
            for r in rules:
                r["matched"] = 0
                r["fired"] = 0
                r["tokens"] = r["burst"]
                r["refilled"] = time.monotonic()
            if replace:
                self.rules = rules
                self.cluster = cluster
            else:
                self.rules.extend(rules)
                self.cluster.update(cluster)

    def clear(self):
        with self._lock:
            self.rules = []
            self.cluster = {}

    def describe(self):
        with self._lock:
            return {
                "seed": self.seed,
                "api": [{k: v for k, v in r.items()} for r in self.rules],
                "cluster": json.loads(json.dumps(self.cluster)),
                "injected": json.loads(json.dumps(self.stats)),
            }

    def decide(self, service, action):
        name = identify(service, action)
        decision = Decision()
        with self._lock:
            for rule in self.rules:
                if not any(_matches(p, service, action) for p in rule["action"]):
                    continue
                if rule["times"] is not None and rule["fired"] >= rule["times"]:
                    continue
                rule["matched"] += 1
                if rule["after"] is not None and rule["matched"] <= rule["after"]:
                    continue
                lo, hi = rule["latency_ms"]
                lat = (lo if lo == hi else self.rng.uniform(lo, hi)) / 1000.0
                kind = None
                if decision.kind is None and rule["rate"] is not None:
                    now = time.monotonic()
                    rule["tokens"] = min(rule["burst"], rule["tokens"] + (now - rule["refilled"]) * rule["rate"])
                    rule["refilled"] = now
                    if rule["tokens"] >= 1:
                        rule["tokens"] -= 1
                    else:
                        kind = "throttle"
                if decision.kind is None and kind is None:
                    roll = self.rng.random()
                    edge = 0.0
                    for k in KINDS:
                        edge += rule[k]
                        if roll < edge:
                            kind = k
                            break
                if kind is None and lat <= 0:
                    continue
                rule["fired"] += 1
                decision.latency += lat
                if lat > 0:
                    self._count(name, "latency")
                if kind:
                    decision.kind = kind
                    decision.status = rule["error_status"]
                    decision.rule = rule
                    self._count(name, kind)
        return decision

    def _count(self, name, kind):
        self.stats.setdefault(name, {}).setdefault(kind, 0)
        self.stats[name][kind] += 1

    def clock_offset(self):
        """Seconds AWS's clock is ahead of this machine's (the clock_offset_s fault): what the
        Date header of every answer shows, as a machine whose own clock is off would see it."""
        with self._lock:
            return self.cluster.get("clock_offset_s", 0.0)

    # Cluster faults: the engine asks these as things happen.
    def take(self, key, instance_id=None):
        """True if the instance is affected by the count/list cluster fault `key`."""
        with self._lock:
            v = self.cluster.get(key)
            if v is None:
                return False
            if v == "all":
                return True
            if isinstance(v, int):
                if v > 0:
                    self.cluster[key] = v - 1
                    return True
                return False
            if instance_id in v["instances"]:
                return True
            if v["count"] > 0:
                v["count"] -= 1
                return True
            return False

    def account_limit(self):
        with self._lock:
            return self.cluster.get("account_limit")

    def unhealthy_after(self):
        with self._lock:
            return self.cluster.get("unhealthy_after", 0.0)

    def listed(self, key):
        """Instance ids named explicitly by a cluster fault."""
        with self._lock:
            v = self.cluster.get(key)
            return list(v["instances"]) if isinstance(v, dict) else []

    def cluster_value(self, key):
        with self._lock:
            return self.cluster.get(key)

    def roll_missing(self):
        """describe_missing: True if the next described item is answered MISSING."""
        with self._lock:
            v = self.cluster.get("describe_missing")
            if not v:
                return False
            if v["count"] is not None:
                if v["count"] > 0:
                    v["count"] -= 1
                    return True
                return False
            return self.rng.random() < v["probability"]

    def stuck_spec(self):
        with self._lock:
            v = self.cluster.get("stuck_tasks")
            return dict(v, tasks=list(v["tasks"])) if v else None

    def consume_stuck(self, n=1):
        with self._lock:
            v = self.cluster.get("stuck_tasks")
            if v and v["count"] > 0:
                v["count"] = max(0, v["count"] - n)


def _matches(pattern, service, action):
    if ":" in pattern:
        svc_pat, act_pat = pattern.split(":", 1)
        if not fnmatch.fnmatchcase((service or "").lower(), svc_pat.lower()):
            return False
    else:
        act_pat = pattern
    return fnmatch.fnmatchcase(action or "", act_pat)


def error_response(service, protocol, kind, status=500):
    """(status, headers, body) of the error AWS returns for a throttled or failed call.
    The Auto Scaling transient kinds are Auto Scaling's own; another service
    matched by such a rule answers its generic 5xx."""
    request_id = str(uuid.uuid4())
    if kind in TRANSIENT_ASG_ERRORS:
        if service == "autoscaling" and protocol == "query":
            status, etype, code, msg = TRANSIENT_ASG_ERRORS[kind]
            ns = QUERY_NAMESPACES["autoscaling"]
            body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>{etype}</Type><Code>{code}</Code>'
                    f"<Message>{msg}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
            return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
        kind = "error"
    if protocol == "json":
        if kind == "throttle":
            status, etype, msg = 400, "ThrottlingException", "Rate exceeded"
        else:
            etype, msg = "ServerException", "Service Unavailable. Please try again later."
        body = json.dumps({"__type": etype, "message": msg}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)]
        return status, headers, body
    if protocol == "ec2":
        if kind == "throttle":
            status, code, msg = 503, "RequestLimitExceeded", "Request limit exceeded."
        elif status == 503:
            code, msg = "Unavailable", "The server is unavailable."
        else:
            code, msg = "InternalError", "An internal error has occurred."
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{msg}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")
        return status, [("Content-Type", "text/xml;charset=UTF-8")], body.encode()
    ns = QUERY_NAMESPACES.get(service, "")
    if kind == "throttle":
        status, etype, code, msg = 400, "Sender", "Throttling", "Rate exceeded"
    elif status == 503:
        etype, code, msg = "Receiver", "ServiceUnavailable", "Service is unavailable. Please try again later."
    else:
        etype, code, msg = "Receiver", "InternalFailure", "An internal error occurred. Please try again later."
    xmlns = f' xmlns="{ns}"' if ns else ""
    body = (f"<ErrorResponse{xmlns}><Error><Type>{etype}</Type><Code>{code}</Code><Message>{msg}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
