"""Instance refreshes as far as a rollout meets them (moto 5.2 implements none
of these calls): StartInstanceRefresh records a refresh that is InProgress, at
most one active per group (InstanceRefreshInProgress otherwise);
DescribeInstanceRefreshes lists a group's refreshes newest first, paged by
MaxRecords (at most 100); CancelInstanceRefresh moves the active one to
Cancelled (ActiveInstanceRefreshNotFound without one). The refresh itself
replaces nothing: a scenario uses one only to find out what a rollout does
while one is under way.

AWS documents: API_StartInstanceRefresh, API_DescribeInstanceRefreshes,
API_CancelInstanceRefresh, API_InstanceRefresh (Status values; Pending,
InProgress, Cancelling, RollbackInProgress and Baking are the active ones)."""
import datetime
import uuid

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.core.responses import ActionResult

from .engine import active

ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"


class ActiveInstanceRefreshNotFound(AutoscalingClientError):
    code = "ActiveInstanceRefreshNotFound"


def _store(eng):
    # (region, group) -> [refresh dicts], oldest first
    if not hasattr(eng, "instance_refreshes"):
        eng.instance_refreshes = {}
    return eng.instance_refreshes


def _group(self):
    name = self._get_param("AutoScalingGroupName")
    group = self.autoscaling_backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def start_instance_refresh(self):
    group = _group(self)
    refreshes = _store(active()).setdefault((self.region, group.name), [])
    if any(r["Status"] in ACTIVE for r in refreshes):
        raise InstanceRefreshInProgress(
            "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
    refresh = {"InstanceRefreshId": str(uuid.uuid4()), "AutoScalingGroupName": group.name,
               "Status": "InProgress", "StatusReason": "Waiting for instances to warm up before continuing.",
               "StartTime": datetime.datetime.now(datetime.timezone.utc), "PercentageComplete": 0,
               "InstancesToUpdate": len(group.instance_states)}
    refreshes.append(refresh)
    return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})


def describe_instance_refreshes(self):
    group = _group(self)
    refreshes = list(reversed(_store(active()).get((self.region, group.name), [])))
    ids = set(self._get_param("InstanceRefreshIds", []) or [])
    if ids:
        refreshes = [r for r in refreshes if r["InstanceRefreshId"] in ids]
    max_records = min(self._get_int_param("MaxRecords", 50) or 50, 100)
    token = self._get_param("NextToken")
    start = int(token) if token and token.isdigit() else 0
    page = refreshes[start:start + max_records]
    nxt = str(start + max_records) if start + max_records < len(refreshes) else None
    return ActionResult({"InstanceRefreshes": page, "NextToken": nxt})


def cancel_instance_refresh(self):
    group = _group(self)
    for r in _store(active()).get((self.region, group.name), []):
        if r["Status"] in ACTIVE:
            r["Status"] = "Cancelled"
            r["StatusReason"] = "Cancelled due to user request."
            r["EndTime"] = datetime.datetime.now(datetime.timezone.utc)
            return ActionResult({"InstanceRefreshId": r["InstanceRefreshId"]})
    raise ActiveInstanceRefreshNotFound("No in progress or pending Instance Refresh found for Auto Scaling "
                                        f"group {group.name}")


HANDLERS = {
    "start_instance_refresh": start_instance_refresh,
    "describe_instance_refreshes": describe_instance_refreshes,
    "cancel_instance_refresh": cancel_instance_refresh,
}
