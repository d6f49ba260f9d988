"""Scaling policies acting through their CloudWatch alarms, and scheduled actions.

- Target tracking (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html):
  Auto Scaling creates and owns two alarms per policy, `TargetTracking-<group>-AlarmHigh-<uuid>`
  (metric > target for 3 of 3 one-minute datapoints) and `...-AlarmLow-<uuid>` (metric < 90 % of
  target for 15 of 15; none with DisableScaleIn); DescribePolicies lists them under `Alarms`. The
  policy sets the capacity that brings the metric to the target: ceil(capacity x metric / target),
  up on AlarmHigh, down on AlarmLow, within MinSize/MaxSize.
- Alarm actions (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html):
  "Except for Auto Scaling actions, the actions happen only on state transitions": an alarm in
  ALARM invokes its Auto Scaling policy again every period while it stays there.
- Suspended processes (https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-how-suspending-processes-affects-other-processes.html):
  with AlarmNotification suspended the alarms still evaluate and keep their state, but no policy
  runs; once resumed, policies whose alarms are still in breach act. With ScheduledActions
  suspended, actions due meanwhile do not run, and are not run later: on resume only actions
  whose time has not passed are considered.
- Scheduled actions (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html):
  at StartTime the group's MinSize/MaxSize/DesiredCapacity are set; a one-time action is gone
  once its time has passed. Recurrence (cron) is not simulated.

Metrics: `AWS/EC2 CPUUtilization` of a group (and the predefined ASGAverageCPUUtilization) is
the group's CPU load (percent of one instance, summed: `cpu_load`) spread over its InService
instances; `AWS/ECS/ManagedScaling CapacityProviderReservation` comes from
capacity_providers.py. Other metrics have no data (the alarm stays as it is). Alarms are
evaluated once per AWS minute while any exists."""
import datetime
import math
import uuid

from .engine import asg_backend

PERIOD = 60.0


def cloudwatch(region):
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID
    return cloudwatch_backends[DEFAULT_ACCOUNT_ID][region]


def _breaching(op, value, threshold):
    return {"GreaterThanThreshold": value > threshold, "GreaterThanOrEqualToThreshold": value >= threshold,
            "LessThanThreshold": value < threshold, "LessThanOrEqualToThreshold": value <= threshold}.get(op, False)


class Scaling:
    def __init__(self, eng):
        self.eng = eng
        self.reset()

    def reset(self):
        self.cpu_load = {}       # group name -> summed CPU percent
        self.datapoints = {}     # alarm name -> [value or None], newest last
        self.ticking = False
        self.last_metric = {}    # alarm name -> last value

    def set_cpu_load(self, group, percent):
        self.cpu_load[group] = float(percent)
        self.ensure_ticking()

    # The minute clock.
    def ensure_ticking(self):
        if not self.ticking:
            self.ticking = True
            self.eng.schedule(PERIOD, self._minute)

    def _minute(self):
        region = self.eng.region
        managed = self.eng.capacity.minute(region)  # protection first: what the alarms see follows
        alarms = list(cloudwatch(region).alarms.values())
        if not alarms and not managed and not self.cpu_load:
            self.ticking = False
            return
        for alarm in alarms:
            self._evaluate(region, alarm)
        self.eng.schedule(PERIOD, self._minute)

    # Metrics.
    def metric(self, region, namespace, name, dims):
        if namespace == "AWS/EC2" and name == "CPUUtilization" and "AutoScalingGroupName" in dims:
            return self.group_cpu(region, dims["AutoScalingGroupName"])
        if namespace == "AWS/ECS/ManagedScaling" and name == "CapacityProviderReservation":
            return self.eng.capacity.reservation(region, dims.get("CapacityProviderName"), dims.get("ClusterName"))
        return None

    def group_cpu(self, region, name):
        group = asg_backend(region).autoscaling_groups.get(name)
        if group is None or name not in self.cpu_load:
            return None
        serving = sum(1 for s in group.instance_states if s.lifecycle_state == "InService")
        if not serving:
            return None
        return min(100.0, self.cpu_load[name] / serving)

    # Alarms.
    def _evaluate(self, region, alarm):
        eng = self.eng
        dims = {d.name: d.value for d in alarm.dimensions}
        value = self.metric(region, alarm.namespace, alarm.metric_name, dims)
        points = self.datapoints.setdefault(alarm.name, [])
        points.append(value)
        del points[:-100]
        self.last_metric[alarm.name] = value
        n = int(alarm.evaluation_periods or 1)
        m = int(alarm.datapoints_to_alarm or n)
        window = points[-n:]
        known = [v for v in window if v is not None]
        state = alarm.state_value
        if not known:
            if len(window) >= n:
                state = "INSUFFICIENT_DATA"
        elif sum(1 for v in known if _breaching(alarm.comparison_operator, v, alarm.threshold)) >= m:
            state = "ALARM"
        elif len(window) >= n or state != "ALARM":
            state = "OK"
        if state != alarm.state_value:
            alarm.update_state(f"Threshold Crossed: datapoint {value} vs threshold {alarm.threshold}",
                               "{}", state)
            eng.ledger.event("alarm_state", alarm=alarm.name, state=state, value=value)
        if state == "ALARM" and alarm.actions_enabled:
            for arn in alarm.alarm_actions or []:
                if ":scalingPolicy:" in arn:
                    self._invoke_policy(region, arn, alarm, value)

    def _invoke_policy(self, region, arn, alarm, value):
        eng = self.eng
        backend = asg_backend(region)
        policy = next((p for p in backend.policies.values() if p.arn == arn), None)
        if policy is None:
            return
        group = backend.autoscaling_groups.get(policy.auto_scaling_group_name)
        if group is None:
            return
        if "AlarmNotification" in eng.fleet.suspended(group):
            eng.ledger.event("alarm_action_suspended", alarm=alarm.name, policy=policy.name, group=group.name)
            return
        if policy.policy_type == "TargetTrackingScaling":
            new = self._target_capacity(group, policy, alarm, value)
        else:
            new = self._simple_capacity(group, policy)
        if new is None:
            return
        new = max(group.min_size or 0, min(group.max_size or 0, new))
        if new != group.desired_capacity:
            eng.ledger.event("scaling_policy", policy=policy.name, alarm=alarm.name, group=group.name,
                             value=value, **{"from": group.desired_capacity, "to": new})
            eng.fleet.set_desired(group, new, f"scaling policy {policy.name} (alarm {alarm.name})",
                                  f"At {_now()} a monitor alarm {alarm.name} in state ALARM triggered policy "
                                  f"{policy.name} changing the desired capacity from {group.desired_capacity} "
                                  f"to {new}.")

    def _target_capacity(self, group, policy, alarm, value):
        if value is None:
            return None
        target = float(policy.target_tracking_configuration.TargetValue)
        current = group.desired_capacity or 0
        wanted = math.ceil(max(current, 1) * value / target - 1e-9) if target > 0 else current
        if "AlarmHigh" in alarm.name:
            return self.eng.capacity.scale_out_steps(policy, current, max(current, wanted))
        return min(current, wanted)

    def _simple_capacity(self, group, policy):
        now = self.eng.now()
        cooldown = float(policy.cooldown if policy.cooldown is not None else group.default_cooldown or 300)
        last = getattr(policy, "_sim_last", None)
        if last is not None and now - last < cooldown:
            return None
        policy._sim_last = now
        adj = int(policy.scaling_adjustment or 0)
        current = group.desired_capacity or 0
        if policy.adjustment_type == "ExactCapacity":
            return adj
        if policy.adjustment_type == "PercentChangeInCapacity":
            delta = current * adj / 100.0
            return current + (int(math.copysign(max(1, abs(int(delta))), delta)) if delta else 0)
        return current + adj

    # Target tracking policies own their alarms.
    def policy_put(self, region, policy):
        self.policy_deleted(region, policy)
        if policy.policy_type != "TargetTrackingScaling":
            return
        cfg = policy.target_tracking_configuration
        spec = getattr(cfg, "CustomizedMetricSpecification", None)
        predefined = getattr(cfg, "PredefinedMetricSpecification", None) or {}
        group = policy.auto_scaling_group_name
        if spec:
            namespace, name = spec.get("Namespace"), spec.get("MetricName")
            dims = [{"Name": d["Name"], "Value": d["Value"]} for d in spec.get("Dimensions") or []]
        elif predefined.get("PredefinedMetricType") == "ASGAverageCPUUtilization":
            namespace, name = "AWS/EC2", "CPUUtilization"
            dims = [{"Name": "AutoScalingGroupName", "Value": group}]
        else:
            namespace, name, dims = "AWS/AutoScaling", predefined.get("PredefinedMetricType", "Unknown"), []
        target = float(cfg.TargetValue)
        high, low = getattr(policy, "_sim_alarm_points", (3, 15))
        alarms = [("AlarmHigh", "GreaterThanThreshold", target, high)]
        if not getattr(cfg, "DisableScaleIn", False):
            alarms.append(("AlarmLow", "LessThanThreshold", round(target * 0.9, 6), low))
        policy.alarms = []
        cw = cloudwatch(region)
        for kind, op, threshold, points in alarms:
            alarm_name = f"TargetTracking-{group}-{kind}-{uuid.uuid4()}"
            alarm = cw.put_metric_alarm(
                name=alarm_name, namespace=namespace, metric_name=name, comparison_operator=op,
                evaluation_periods=points, period=int(PERIOD), threshold=threshold, statistic="Average",
                description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy.arn}.",
                dimensions=dims, alarm_actions=[policy.arn], datapoints_to_alarm=points)
            alarm.update_state("Unchecked: Initial alarm creation", "{}", "INSUFFICIENT_DATA")
            policy.alarms.append({"AlarmName": alarm.name, "AlarmARN": alarm.alarm_arn})
        self.eng.ledger.event("scaling_policy_put", policy=policy.name, group=group,
                              alarms=[a["AlarmName"] for a in policy.alarms])
        self.ensure_ticking()

    def policy_deleted(self, region, policy):
        names = [a["AlarmName"] for a in getattr(policy, "alarms", None) or []]
        if names:
            cloudwatch(region).delete_alarms(names)
            for n in names:
                self.datapoints.pop(n, None)
        policy.alarms = []

    # Scheduled actions.
    def scheduled_put(self, region, action):
        start = _parse_time(action.start_time)
        if start is None or action.recurrence:
            return
        wall = (start - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        delay = max(0.0, wall / self.eng.clock.time_scale) if wall > 0 else 0.0
        token = object()
        action._sim_token = token
        self.eng.schedule(delay, self._scheduled_due, region, action, token)

    def _scheduled_due(self, region, action, token):
        eng = self.eng
        backend = asg_backend(region)
        if getattr(action, "_sim_token", None) is not token or \
                backend.scheduled_actions.get(action.scheduled_action_name) is not action:
            return  # replaced or deleted meanwhile
        group = backend.autoscaling_groups.get(action.auto_scaling_group_name)
        # A one-time action is gone once due (DescribeScheduledActions no longer lists it, and
        # deleting it fails: terraform-provider-aws issue 19446); the timeline keeps it.
        backend.scheduled_actions.pop(action.scheduled_action_name, None)
        if group is None:
            return
        if "ScheduledActions" in eng.fleet.suspended(group):
            eng.ledger.event("scheduled_action_skipped", action=action.scheduled_action_name, group=group.name,
                             reason="ScheduledActions suspended")
            return
        lo = group.min_size if action.min_size is None else action.min_size
        hi = group.max_size if action.max_size is None else action.max_size
        desired = group.desired_capacity if action.desired_capacity is None else action.desired_capacity
        desired = max(lo, min(hi, desired))
        group.min_size, group.max_size = lo, hi
        eng.ledger.event("scheduled_action_run", action=action.scheduled_action_name, group=group.name,
                         min=lo, max=hi, desired=desired)
        eng.fleet.set_desired(group, desired, f"scheduled action {action.scheduled_action_name}",
                              f"At {_now()} a scheduled action update of AutoScalingGroup constraints to min: "
                              f"{lo}, max: {hi}, desired: {desired} changing the desired capacity.")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        t = value
    else:
        try:
            t = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def install():
    """Patches moto's Auto Scaling and CloudWatch responses so that policies get
    their alarms and scheduled actions come due (called by moto_patches)."""
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.cloudwatch.responses import CloudWatchResponse

    from .engine import active

    def after(cls, action, fn):
        orig = getattr(cls, action)

        def handler(self):
            eng = active()
            if eng is not None and action == "delete_policy":
                fn(self, eng, None)  # its alarms go with it
            result = orig(self)
            if eng is not None and action != "delete_policy":
                fn(self, eng, result)
            return result
        handler.__name__ = action
        setattr(cls, action, handler)

    def policy_put(self, eng, _):
        backend = self.autoscaling_backend
        policy = backend.policies.get(self._get_param("PolicyName"))
        if policy is not None:
            eng.scaling.policy_put(self.region, policy)

    def policy_delete(self, eng, _):
        policy = self.autoscaling_backend.policies.get(self._get_param("PolicyName"))
        if policy is not None:
            eng.scaling.policy_deleted(self.region, policy)

    def scheduled_put(self, eng, _):
        backend = self.autoscaling_backend
        names = [self._get_param("ScheduledActionName")]
        names += [a.get("ScheduledActionName") for a in self._get_param("ScheduledUpdateGroupActions", []) or []]
        for name in names:
            action = backend.scheduled_actions.get(name) if name else None
            if action is not None:
                eng.scaling.scheduled_put(self.region, action)

    def alarm_put(self, eng, _):
        eng.scaling.ensure_ticking()

    after(AutoScalingResponse, "put_scaling_policy", policy_put)
    after(AutoScalingResponse, "delete_policy", policy_delete)
    after(AutoScalingResponse, "put_scheduled_update_group_action", scheduled_put)
    after(AutoScalingResponse, "batch_put_scheduled_update_group_action", scheduled_put)
    after(CloudWatchResponse, "put_metric_alarm", alarm_put)
