"""Auto Scaling actions the simulator answers itself (patched onto moto's
response class by moto_patches.py): capacity changes become simulated launches
and terminations instead of moto's instant ones, with AWS's validation."""
from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.core.responses import ActionResult, EmptyResult

from .engine import active


def _group(self, name):
    group = self.autoscaling_backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def _modifiable(group, message="The AutoScaling group may not be modified while it is pending delete"):
    """A group being deleted (Status "Delete in progress") refuses changes, as AWS does."""
    if getattr(group, "_sim_deleting", False):
        raise ValidationError(message)
    return group


def set_desired_capacity(self):
    eng = active()
    group = _modifiable(_group(self, self._get_param("AutoScalingGroupName")))
    desired = self._get_int_param("DesiredCapacity")
    if desired is None:
        raise ValidationError("DesiredCapacity is required")
    if group.max_size is not None and desired > group.max_size:
        raise ValidationError(f"New SetDesiredCapacity value {desired} is above max value {group.max_size} "
                              "for the AutoScalingGroup.")
    if group.min_size is not None and desired < group.min_size:
        raise ValidationError(f"New SetDesiredCapacity value {desired} is below min value {group.min_size} "
                              "for the AutoScalingGroup.")
    eng.fleet.set_desired(group, desired, "SetDesiredCapacity")
    return EmptyResult()


def _stored_policy(group):
    """The group's mixed instances policy, to hand back to moto's update: moto
    stores its template spec with both LaunchTemplateId and LaunchTemplateName
    and then refuses that very spec ("Valid requests must contain either
    launchTemplateId or LaunchTemplateName"), so an update with sizes only
    failed for every mixed instances group; AWS changes just what the request
    names (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html)."""
    mip = group.mixed_instances_policy
    spec = ((mip or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    if not spec or not (spec.get("LaunchTemplateId") and spec.get("LaunchTemplateName")):
        return mip
    spec = {k: v for k, v in spec.items() if k != "LaunchTemplateName"}
    return dict(mip, LaunchTemplate=dict(mip["LaunchTemplate"], LaunchTemplateSpecification=spec))


def update_auto_scaling_group(self):
    eng = active()
    group = _modifiable(_group(self, self._get_param("AutoScalingGroupName")))
    min_p, max_p = self._get_int_param("MinSize"), self._get_int_param("MaxSize")
    des_p = self._get_int_param("DesiredCapacity")
    new_min = group.min_size if min_p is None else min_p
    new_max = group.max_size if max_p is None else max_p
    desired = group.desired_capacity if des_p is None else des_p
    if des_p is None:
        # AWS raises/lowers the desired capacity to a new min/max (moto compares the
        # instance count instead).
        if min_p is not None and desired < new_min:
            desired = new_min
        if max_p is not None and desired > new_max:
            desired = new_max
    if new_min > new_max:
        raise ValidationError(f"Max bound, {new_max}, must be greater than or equal to min bound, {new_min}")
    if not new_min <= desired <= new_max:
        raise ValidationError(f"Desired capacity:{desired} must be between the specified min size:{new_min} "
                              f"and max size:{new_max}")
    mip = self._get_param("MixedInstancesPolicy")
    if mip is None:
        # A request naming a launch template or configuration switches the group
        # to it, away from a mixed instances policy (a group launches from one of
        # them, API_CreateAutoScalingGroup.html; "If you specify LaunchTemplate in
        # your update request, you can't specify LaunchConfigurationName or
        # MixedInstancesPolicy", API_UpdateAutoScalingGroup.html); a request naming
        # none of them keeps the policy.
        switches = self._get_param("LaunchTemplate") or self._get_param("LaunchConfigurationName")
        mip = None if switches else _stored_policy(group)
    old_desired = group.desired_capacity
    self.autoscaling_backend.update_auto_scaling_group(
        name=group.name,
        availability_zones=self._get_param("AvailabilityZones", []),
        desired_capacity=None, max_size=max_p, min_size=min_p,
        launch_config_name=self._get_param("LaunchConfigurationName"),
        launch_template=self._get_param("LaunchTemplate", {}),
        vpc_zone_identifier=self._get_param("VPCZoneIdentifier"),
        health_check_period=self._get_int_param("HealthCheckGracePeriod"),
        health_check_type=self._get_param("HealthCheckType"),
        new_instances_protected_from_scale_in=self._get_bool_param("NewInstancesProtectedFromScaleIn", None),
        # moto 5.2 clears the mixed instances policy on every update that does not repeat it.
        mixed_instances_policy=mip,
    )
    # moto 5.2 ignores these on update; the Terraform provider sets them there.
    policies = self._get_param("TerminationPolicies")
    if policies:
        group.termination_policies = list(policies)
    for param, attr in (("DefaultCooldown", "default_cooldown"), ("MaxInstanceLifetime", "max_instance_lifetime"),
                        ("DefaultInstanceWarmup", "default_instance_warmup")):
        value = self._get_int_param(param)
        if value is not None:
            setattr(group, attr, value)
    rebalance = self._get_bool_param("CapacityRebalance", None)
    if rebalance is not None:
        group.capacity_rebalance = rebalance
    group.desired_capacity = old_desired  # moto's update guesses one from the instance count
    eng.fleet.set_desired(group, desired, "UpdateAutoScalingGroup")
    return EmptyResult()


def delete_auto_scaling_group(self):
    eng = active()
    group = _group(self, self._get_param("AutoScalingGroupName"))
    if not eng.fleet.delete_group(group, self._get_bool_param("ForceDelete", False)):
        self.autoscaling_backend.autoscaling_groups.pop(group.name, None)
    return EmptyResult()


def _processes(action, verb):
    def handler(self):
        _modifiable(_group(self, self._get_param("AutoScalingGroupName")),
                    f"Processes may not be {verb} while the AutoScaling group is pending delete")
        return ORIGINAL[action](self)
    return handler


def detach_instances(self):
    eng = active()
    group = _group(self, self._get_param("AutoScalingGroupName"))
    ids = self._get_param("InstanceIds", [])
    if len(ids) > 20:
        raise ValidationError("The number of instances to detach must be between 1 and 20.")
    acts = eng.fleet.detach(group, ids, self._get_bool_param("ShouldDecrementDesiredCapacity", False))
    return ActionResult({"Activities": acts})


def terminate_instance_in_auto_scaling_group(self):
    eng = active()
    act = eng.fleet.terminate_in_group(self._get_param("InstanceId"),
                                       self._get_bool_param("ShouldDecrementDesiredCapacity", False))
    return ActionResult({"Activity": act})


def set_instance_health(self):
    eng = active()
    status = self._get_param("HealthStatus")
    if status not in ("Healthy", "Unhealthy"):
        raise ValidationError("Valid instance health states are: [Healthy, Unhealthy]")
    eng.fleet.set_health(self._get_param("InstanceId"), status)
    return EmptyResult()


def attach_instances(self):
    eng = active()
    group = _group(self, self._get_param("AutoScalingGroupName"))
    ids = self._get_param("InstanceIds", [])
    before = set(id(s) for s in group.instance_states)
    if group.max_size is not None and (group.desired_capacity or 0) + len(ids) > group.max_size:
        raise ValidationError(f"AutoScalingGroup {group.name} has min-size={group.min_size}, "
                              f"max-size={group.max_size}, and desired-size={group.desired_capacity}. "
                              f"To attach {len(ids)} instance(s), please update the AutoScalingGroup sizes "
                              "appropriately.")
    old = group.desired_capacity
    self.autoscaling_backend.attach_instances(group.name, ids)
    new_states = [s for s in group.instance_states if id(s) not in before]
    eng.fleet.attach(group, new_states)
    new = group.desired_capacity
    group.desired_capacity = old
    eng.fleet.set_desired(group, new, "AttachInstances")
    return EmptyResult()


# SetInstanceProtection takes at most this many instance ids per call
# (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceProtection.html:
# "You can specify up to 50 instances"; "If you exceed your maximum limit of
# instance IDs, which is 50 per Auto Scaling group, the call fails").
PROTECTION_IDS_MAX = 50


def set_instance_protection(self):
    """SetInstanceProtection as AWS answers it; moto 5.2 raises a KeyError (HTTP
    500) for a group that does not exist, and sets the flag on the instances it
    finds, ignoring the others and any count.
    - the group must exist (the ValidationError every Auto Scaling action sends
      for an unknown group name);
    - more than 50 ids fail the call (API reference above). Its error list names
      LimitExceeded (HTTP 400) as the answer for a limit exceeded, so that is the
      code; the message is the simulator's wording (AWS publishes none);
    - every id must be a member of the group, or the call fails and changes
      nothing: ValidationError "The instance ID is not part of Auto Scaling group
      NAME." (the text the AWS provider for Terraform met on this call, its
      CHANGELOG for hashicorp/terraform-provider-aws#35071, "Fix `ValidationError:
      The instance ... is not part of Auto Scaling group ...` errors on resource
      Delete when disabling scale-in protection for instances that are already
      fully terminated"): an instance that has left the group, terminated or
      detached, is refused;
    - a member already Terminating keeps terminating: protection keeps an
      instance from being chosen for scale-in
      (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html),
      and it was chosen already; its flag changes as asked and Describe* show it.
    Protection of a Pending instance only starts when it is InService (same
    page; termination.scale_in_protected)."""
    group = _group(self, self._get_param("AutoScalingGroupName"))
    ids = self._get_param("InstanceIds", []) or []
    if len(ids) > PROTECTION_IDS_MAX:
        raise AutoscalingClientError(
            "LimitExceeded", f"SetInstanceProtection takes up to {PROTECTION_IDS_MAX} instance IDs "
            f"per call; {len(ids)} were given.")
    members = {s.instance.id for s in group.instance_states}
    for iid in ids:
        if iid not in members:
            raise ValidationError(f"The instance {iid} is not part of Auto Scaling group {group.name}.")
    return ORIGINAL["set_instance_protection"](self)


def _standby(action):
    def handler(self):
        eng = active()
        group = _group(self, self._get_param("AutoScalingGroupName"))
        old = group.desired_capacity
        result = ORIGINAL[action](self)
        if group.desired_capacity != old:
            new, group.desired_capacity = group.desired_capacity, old
            eng.fleet.set_desired(group, new, "EnterStandby" if action == "enter_standby" else "ExitStandby")
        eng.mark_group(group.region, group.name)
        return result
    return handler


def describe_scaling_activities(self):
    eng = active()
    name = self._get_param("AutoScalingGroupName")
    ids = set(self._get_param("ActivityIds", []) or [])
    acts = []
    for (region, group), lst in eng.activities.items():
        if region == self.region and (not name or group == name):
            acts.extend(lst)
    acts.sort(key=lambda a: a["StartTime"], reverse=True)
    if ids:
        acts = [a for a in acts if a["ActivityId"] in ids]
    max_records = self._get_int_param("MaxRecords", 100)
    token = self._get_param("NextToken")
    start = int(token) if token and token.isdigit() else 0
    page = acts[start:start + max_records]
    nxt = str(start + max_records) if start + max_records < len(acts) else None
    return ActionResult({"Activities": page, "NextToken": nxt})


def complete_lifecycle_action(self):
    # moto 5.2 defect: CompleteLifecycleAction is not implemented.
    eng = active()
    _group(self, self._get_param("AutoScalingGroupName"))
    eng.fleet.complete_lifecycle_action(self._get_param("AutoScalingGroupName"),
                                        self._get_param("LifecycleHookName"),
                                        self._get_param("LifecycleActionResult"),
                                        instance_id=self._get_param("InstanceId"),
                                        token=self._get_param("LifecycleActionToken"))
    return EmptyResult()


def record_lifecycle_action_heartbeat(self):
    # moto 5.2 defect: RecordLifecycleActionHeartbeat is not implemented.
    eng = active()
    _group(self, self._get_param("AutoScalingGroupName"))
    eng.fleet.complete_lifecycle_action(self._get_param("AutoScalingGroupName"),
                                        self._get_param("LifecycleHookName"), None,
                                        instance_id=self._get_param("InstanceId"),
                                        token=self._get_param("LifecycleActionToken"), heartbeat=True)
    return EmptyResult()


def start_instance_refresh(self):
    # moto 5.2 does not implement instance refreshes (refresh.py).
    eng = active()
    group = _modifiable(_group(self, self._get_param("AutoScalingGroupName")))
    rid = eng.refresh.start(group, self._get_param("Preferences", {}))
    return ActionResult({"InstanceRefreshId": rid})


def describe_instance_refreshes(self):
    eng = active()
    group = _group(self, self._get_param("AutoScalingGroupName"))
    found = eng.refresh.describe(group.name, self._get_param("InstanceRefreshIds", []))
    return ActionResult({"InstanceRefreshes": found, "NextToken": None})


def cancel_instance_refresh(self):
    eng = active()
    group = _group(self, self._get_param("AutoScalingGroupName"))
    return ActionResult({"InstanceRefreshId": eng.refresh.cancel(group)})


ORIGINAL = {}

HANDLERS = {
    "set_desired_capacity": set_desired_capacity,
    "update_auto_scaling_group": update_auto_scaling_group,
    "delete_auto_scaling_group": delete_auto_scaling_group,
    "detach_instances": detach_instances,
    "terminate_instance_in_auto_scaling_group": terminate_instance_in_auto_scaling_group,
    "set_instance_health": set_instance_health,
    "attach_instances": attach_instances,
    "describe_scaling_activities": describe_scaling_activities,
    "enter_standby": _standby("enter_standby"),
    "suspend_processes": _processes("suspend_processes", "suspended"),
    "resume_processes": _processes("resume_processes", "resumed"),
    "exit_standby": _standby("exit_standby"),
    "complete_lifecycle_action": complete_lifecycle_action,
    "start_instance_refresh": start_instance_refresh,
    "describe_instance_refreshes": describe_instance_refreshes,
    "cancel_instance_refresh": cancel_instance_refresh,
    "record_lifecycle_action_heartbeat": record_lifecycle_action_heartbeat,
    "set_instance_protection": set_instance_protection,
}
