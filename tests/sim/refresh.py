"""Instance refresh: Auto Scaling replacing a group's instances itself
(StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh).

From https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html,
.../understand-instance-refresh-default-values.html and API_StartInstanceRefresh:
- one refresh at a time per group: another StartInstanceRefresh fails with
  InstanceRefreshInProgress;
- Status Pending -> InProgress -> Successful (or Cancelling -> Cancelled);
- with MaxHealthyPercentage 100 (the default) it terminates first: each round replaces
  max(1, floor(capacity x (100 - MinHealthyPercentage) / 100)) instances (MinHealthyPercentage
  defaults to 90), waits until their replacements are InService and InstanceWarmup has passed
  (default: the group's DefaultInstanceWarmup, else its HealthCheckGracePeriod), then goes on
  until every instance launched before the refresh is replaced (SkipMatching: only those whose
  launch template version differs from the group's);
- PercentageComplete and InstancesToUpdate report the progress.
Not simulated: MaxHealthyPercentage above 100 (launch before terminating), checkpoints,
rollback, alarms, the InstanceRefresh process being suspended."""
import datetime
import math
import uuid

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError

from .engine import asg_backend

ACTIVE = ("Pending", "InProgress", "Cancelling")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class InstanceRefreshes:
    def __init__(self, eng):
        self.eng = eng
        self.reset()

    def reset(self):
        self.refreshes = {}   # group name -> [refresh dict], newest first

    def start(self, group, prefs):
        eng = self.eng
        if any(r["Status"] in ACTIVE for r in self.refreshes.get(group.name, [])):
            raise AutoscalingClientError("InstanceRefreshInProgress",
                                         "An Instance Refresh is already in progress and blocks the execution "
                                         "of this Instance Refresh.")
        prefs = dict(prefs or {})
        min_healthy = int(prefs.get("MinHealthyPercentage", 90))
        max_healthy = int(prefs.get("MaxHealthyPercentage", 100))
        if not 0 <= min_healthy <= 100 or max_healthy < 100:
            raise ValidationError("MinHealthyPercentage must be 0-100 and MaxHealthyPercentage 100-200")
        warmup = prefs.get("InstanceWarmup")
        if warmup is None:
            warmup = getattr(group, "default_instance_warmup", None) or group.health_check_period or 0
        skip = bool(prefs.get("SkipMatching", False))
        todo = [s.instance.id for s in group.instance_states if s.lifecycle_state in ("InService", "Pending")
                and not (skip and self._matches(group, s))]
        refresh = {"InstanceRefreshId": str(uuid.uuid4()), "AutoScalingGroupName": group.name,
                   "Status": "Pending", "StatusReason": "Waiting for instances to warm up before continuing.",
                   "StartTime": _now(), "PercentageComplete": 0, "InstancesToUpdate": len(todo),
                   "Preferences": dict(prefs, MinHealthyPercentage=min_healthy, MaxHealthyPercentage=max_healthy,
                                       InstanceWarmup=int(warmup), SkipMatching=skip),
                   "_todo": todo, "_total": len(todo), "_batch": [], "_warm_until": None,
                   "_warmup": float(warmup), "_min": min_healthy}
        self.refreshes.setdefault(group.name, []).insert(0, refresh)
        eng.ledger.event("instance_refresh_started", group=group.name, id=refresh["InstanceRefreshId"],
                         instances=len(todo), min_healthy=min_healthy, warmup=warmup)
        eng.schedule(1.0, self._step, group.region, group.name, refresh["InstanceRefreshId"])
        return refresh["InstanceRefreshId"]

    def _matches(self, group, state):
        lt = getattr(state, "_sim_lt", None)
        if not lt or group.ec2_launch_template is None:
            return False
        version = group.ec2_launch_template.get_version(group.launch_template_version)
        return lt["LaunchTemplateId"] == group.ec2_launch_template.id and lt["Version"] == str(version.number)

    def cancel(self, group):
        for r in self.refreshes.get(group.name, []):
            if r["Status"] in ("Pending", "InProgress"):
                r["Status"], r["StatusReason"] = "Cancelled", "Cancelled by a CancelInstanceRefresh request."
                r["EndTime"] = _now()
                self.eng.ledger.event("instance_refresh_cancelled", group=group.name, id=r["InstanceRefreshId"])
                return r["InstanceRefreshId"]
        raise AutoscalingClientError("ActiveInstanceRefreshNotFound",
                                     f"No in progress or pending Instance Refresh found for Auto Scaling group "
                                     f"{group.name}")

    def describe(self, group_name, ids=None):
        out = []
        for r in self.refreshes.get(group_name, []):
            if ids and r["InstanceRefreshId"] not in ids:
                continue
            out.append({k: v for k, v in r.items() if not k.startswith("_")})
        return out

    def _step(self, region, name, rid):
        eng = self.eng
        group = asg_backend(region).autoscaling_groups.get(name)
        refresh = next((r for r in self.refreshes.get(name, []) if r["InstanceRefreshId"] == rid), None)
        if group is None or refresh is None or refresh["Status"] not in ("Pending", "InProgress"):
            return
        refresh["Status"] = "InProgress"
        members = {s.instance.id: s for s in group.instance_states}
        batch_left = [i for i in refresh["_batch"] if i in members]
        counted = [s for s in group.instance_states if s.lifecycle_state in ("Pending", "Pending:Wait",
                                                                             "Pending:Proceed", "InService")]
        replacements_ready = len([s for s in counted if s.lifecycle_state == "InService"]) >= (group.desired_capacity or 0)
        if batch_left or not replacements_ready:
            refresh["StatusReason"] = "Waiting for instances to be replaced before continuing."
        elif refresh["_warm_until"] is None and refresh["_batch"]:
            refresh["_warm_until"] = eng.now() + refresh["_warmup"]
            refresh["StatusReason"] = "Waiting for instances to warm up before continuing."
        elif refresh["_warm_until"] is not None and eng.now() < refresh["_warm_until"]:
            pass
        else:
            done = refresh["_total"] - len([i for i in refresh["_todo"] if i in members])
            refresh["PercentageComplete"] = int(100 * done / refresh["_total"]) if refresh["_total"] else 100
            todo = [i for i in refresh["_todo"] if i in members]
            refresh["_todo"], refresh["_warm_until"] = todo, None
            refresh["InstancesToUpdate"] = len(todo)
            if not todo:
                refresh["Status"], refresh["StatusReason"] = "Successful", None
                refresh["PercentageComplete"], refresh["EndTime"] = 100, _now()
                eng.ledger.event("instance_refresh_done", group=name, id=rid)
                return
            size = max(1, math.floor((group.desired_capacity or 0) * (100 - refresh["_min"]) / 100.0))
            refresh["_batch"] = todo[:size]
            for iid in refresh["_batch"]:
                si = eng.instances.get(iid)
                if si is not None:
                    eng.fleet.begin_terminate(si, "instance refresh: an instance was taken out of service in "
                                              "response to an instance refresh")
            eng.ledger.event("instance_refresh_batch", group=name, id=rid, instances=refresh["_batch"])
        eng.schedule(5.0, self._step, region, name, rid)
