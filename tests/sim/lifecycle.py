"""Lifecycle hooks as Auto Scaling runs them, and the parties that own them.

Amazon EC2 Auto Scaling lifecycle hooks
(https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html,
https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html,
API_LifecycleHook, API_RecordLifecycleActionHeartbeat, API_CompleteLifecycleAction):

- every hook of the transition holds the instance (`Pending:Wait` on launch,
  `Terminating:Wait` on termination) until its action is completed;
- an action not completed within HeartbeatTimeout gets the hook's DefaultResult;
  RecordLifecycleActionHeartbeat restarts the heartbeat timeout;
- no action outlives its global timeout, min(100 x HeartbeatTimeout, 172800 s):
  then the DefaultResult applies whatever the heartbeats;
- on launch, ABANDON from any hook terminates the instance; on termination
  both results let the termination go on.

Owners are the other parties a real group has: a log shipper that flushes and
completes after N seconds (or never, so the hook runs into its heartbeat
timeout), a drain script that records heartbeats. They act through the same
code as CompleteLifecycleAction/RecordLifecycleActionHeartbeat. Mixed into
fleet.Fleet."""
import uuid

from moto.autoscaling.exceptions import ValidationError

from .engine import asg_backend

LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
MAX_GLOBAL_TIMEOUT = 172800.0  # 48 hours (API_LifecycleHook, GlobalTimeout)


def global_timeout(heartbeat_timeout):
    return min(100.0 * float(heartbeat_timeout), MAX_GLOBAL_TIMEOUT)


class Lifecycle:
    def hooks(self, group, transition):
        """The group's hooks for a transition, in name order."""
        found = [h for h in asg_backend(group.region).lifecycle_hooks.values()
                 if h.auto_scaling_group_name == group.name and h.lifecycle_transition == transition]
        return sorted(found, key=lambda h: h.name)

    def hook(self, group, transition):
        found = self.hooks(group, transition) if group is not None else []
        return found[0] if found else None

    def set_hook_owner(self, group, hook, owner="owner", complete_after=None, heartbeat_every=None,
                       result="CONTINUE"):
        """Someone else owns this hook: completes each action `complete_after` AWS
        seconds after it starts (None: never), recording a heartbeat every
        `heartbeat_every` seconds meanwhile (None: none)."""
        if result not in ("CONTINUE", "ABANDON"):
            raise ValueError(f"hook owner {owner}: result must be CONTINUE or ABANDON")
        self.eng.hook_owners[(group, hook)] = {"owner": owner, "complete_after": complete_after,
                                               "heartbeat_every": heartbeat_every, "result": result}

    # Actions.
    def start_hooks(self, si, hooks):
        eng = self.eng
        now = eng.now()
        si.hooks = {}
        for hook in hooks:
            timeout = float(hook.heartbeat_timeout)
            act = {"name": hook.name, "transition": hook.lifecycle_transition, "token": str(uuid.uuid4()),
                   "default": hook.default_result, "timeout": timeout, "event": None,
                   "deadline": now + global_timeout(timeout), "started": now}
            si.hooks[hook.name] = act
            act["event"] = eng.schedule(timeout, self._hook_timeout, si, act["token"])
            eng.ledger.event("lifecycle_hook_wait", instance=si.id, hook=hook.name,
                             transition=hook.lifecycle_transition, heartbeat_timeout=timeout,
                             global_timeout=act["deadline"] - now)
            owner = eng.hook_owners.get((si.group, hook.name))
            if owner:
                self._owner_acts(si, act, owner)

    def _owner_acts(self, si, act, owner):
        eng = self.eng
        if owner.get("on_start"):  # an owner with its own logic (ECS managed draining)
            owner["on_start"](si, act)
        if owner["complete_after"] is not None:
            eng.schedule(float(owner["complete_after"]), self._owner_complete, si, act["token"], owner)
        if owner["heartbeat_every"]:
            eng.schedule(float(owner["heartbeat_every"]), self._owner_heartbeat, si, act["token"], owner)

    def _action(self, si, token):
        for act in (si.hooks or {}).values():
            if act["token"] == token:
                return act
        return None

    def _owner_complete(self, si, token, owner):
        act = self._action(si, token)
        if act is not None:
            self.eng.ledger.event("lifecycle_owner_completed", instance=si.id, hook=act["name"],
                                  owner=owner["owner"], result=owner["result"])
            self.finish_action(si, act, owner["result"], f"CompleteLifecycleAction by {owner['owner']}")

    def _owner_heartbeat(self, si, token, owner):
        act = self._action(si, token)
        if act is not None:
            self.heartbeat(si, act, by=owner["owner"])
            self.eng.schedule(float(owner["heartbeat_every"]), self._owner_heartbeat, si, token, owner)

    def heartbeat(self, si, act, by=None):
        """RecordLifecycleActionHeartbeat: the heartbeat timeout starts again, never
        past the global timeout."""
        eng = self.eng
        if act["event"]:
            act["event"].cancel()
        wait = max(0.0, min(act["timeout"], act["deadline"] - eng.now()))
        act["event"] = eng.schedule(wait, self._hook_timeout, si, act["token"])
        eng.ledger.event("lifecycle_heartbeat", instance=si.id, hook=act["name"], by=by)

    def _hook_timeout(self, si, token):
        act = self._action(si, token)
        if act is not None:
            how = "global timeout" if self.eng.now() >= act["deadline"] - 1e-6 else "heartbeat timeout"
            self.finish_action(si, act, act["default"], how)

    def cancel_hooks(self, si):
        for act in (si.hooks or {}).values():
            if act["event"]:
                act["event"].cancel()
        si.hooks = None

    def finish_action(self, si, act, result, how):
        eng = self.eng
        if act["event"]:
            act["event"].cancel()
        si.hooks.pop(act["name"], None)
        eng.ledger.event("lifecycle_hook_done", instance=si.id, hook=act["name"], result=result, how=how,
                         waited=round(eng.now() - act["started"], 3))
        if act["transition"] == LAUNCHING:
            if result == "ABANDON" or not si.alive():
                self.cancel_hooks(si)
                si.state.lifecycle_state = "Terminating"
                self.ec2_shutdown(si, "launch lifecycle action abandoned")
            elif not si.hooks:
                si.hooks = None
                si.state.lifecycle_state = "Pending:Proceed"
                self._in_service(si)
        elif not si.hooks:
            si.hooks = None
            si.state.lifecycle_state = "Terminating:Proceed"
            self.ec2_shutdown(si, si.terminate_cause or "scale-in")

    def complete_lifecycle_action(self, group_name, hook_name, result, instance_id=None, token=None,
                                  heartbeat=False):
        """CompleteLifecycleAction and RecordLifecycleActionHeartbeat."""
        if not heartbeat and result not in ("CONTINUE", "ABANDON"):
            raise ValidationError("LifecycleActionResult must be CONTINUE or ABANDON")
        for si in self.eng.instances.values():
            if si.group != group_name or not si.hooks or hook_name not in si.hooks:
                continue
            act = si.hooks[hook_name]
            if (instance_id and si.id == instance_id) or (token and act["token"] == token):
                if heartbeat:
                    self.heartbeat(si, act)
                else:
                    self.finish_action(si, act, result, "CompleteLifecycleAction")
                return
        what = f"instance ID {instance_id}" if instance_id else f"token {token}"
        raise ValidationError(f"No active Lifecycle Action found with {what}")
