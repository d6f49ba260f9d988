"""The Auto Scaling side of scenario files: the group shapes of tests/sim/scenarios/shapes/.

Extra keys of an [[auto_scaling_groups]] table (all optional):

    lifecycle_hooks = [{name, transition = "launching"|"terminating", heartbeat_timeout = 300,
                        default_result = "CONTINUE",
                        owner = "log-shipper",       # someone else completes the hook's actions:
                        complete_after = 120,        #   AWS seconds after each action starts (omitted: never)
                        heartbeat_every = 60,        #   records heartbeats meanwhile (omitted: none)
                        result = "CONTINUE"}]

Each key is applied through the AWS APIs, as a client would (scenario.apply calls
in here at the points named after it)."""
from .scenario import ScenarioError

GROUP_KEYS = set()
HOOK_KEYS = {"name", "transition", "heartbeat_timeout", "default_result", "owner", "complete_after",
             "heartbeat_every", "result"}
TRANSITIONS = {"launching": "autoscaling:EC2_INSTANCE_LAUNCHING",
               "terminating": "autoscaling:EC2_INSTANCE_TERMINATING"}


def _number(where, value, low=0):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < low:
        raise ScenarioError(f"scenario: {where} must be a number >= {low}, got {value!r}")


def validate_group(g):
    name = g["name"]
    for i, h in enumerate(g.get("lifecycle_hooks", [])):
        where = f"group {name}: lifecycle_hooks[{i}]"
        if not isinstance(h, dict):
            raise ScenarioError(f"scenario: {where} must be a table")
        bad = set(h) - HOOK_KEYS
        if bad:
            raise ScenarioError(f"scenario: {where}: unknown keys {sorted(bad)}; known: {sorted(HOOK_KEYS)}")
        if "name" not in h or "transition" not in h:
            raise ScenarioError(f"scenario: {where}: missing name or transition")
        if TRANSITIONS.get(h["transition"], h["transition"]) not in TRANSITIONS.values():
            raise ScenarioError(f"scenario: {where}: transition must be launching or terminating")
        hb = h.get("heartbeat_timeout", 300)
        if not isinstance(hb, int) or not 30 <= hb <= 7200:
            # PutLifecycleHook: HeartbeatTimeout from 30 to 7200 seconds.
            raise ScenarioError(f"scenario: {where}: heartbeat_timeout must be 30..7200 seconds")
        for key in ("default_result", "result"):
            if h.get(key, "CONTINUE") not in ("CONTINUE", "ABANDON"):
                raise ScenarioError(f"scenario: {where}: {key} must be CONTINUE or ABANDON")
        for key in ("complete_after", "heartbeat_every"):
            if key in h:
                _number(f"{where}: {key}", h[key], low=1)
        if ("complete_after" in h or "heartbeat_every" in h) and "owner" not in h:
            raise ScenarioError(f"scenario: {where}: complete_after/heartbeat_every need an owner")


def put_hooks(sim, asg, g):
    """PutLifecycleHook for each hook; owners start acting on the actions that follow."""
    for h in g.get("lifecycle_hooks", []):
        asg.put_lifecycle_hook(LifecycleHookName=h["name"], AutoScalingGroupName=g["name"],
                               LifecycleTransition=TRANSITIONS.get(h["transition"], h["transition"]),
                               HeartbeatTimeout=int(h.get("heartbeat_timeout", 300)),
                               DefaultResult=h.get("default_result", "CONTINUE"))
        if "owner" in h:
            with sim.engine.lock:
                sim.engine.fleet.set_hook_owner(g["name"], h["name"], owner=h["owner"],
                                                complete_after=h.get("complete_after"),
                                                heartbeat_every=h.get("heartbeat_every"),
                                                result=h.get("result", "CONTINUE"))
