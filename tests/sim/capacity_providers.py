"""ECS Auto Scaling group capacity providers: managed scaling, managed
termination protection and managed draining, as ECS runs them on the group.

- Managed scaling (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html,
  API_ManagedScaling): once a provider with managed scaling ENABLED is associated with a
  cluster, ECS puts a target tracking policy `ECSManagedAutoScalingPolicy-<uuid>` on the group,
  on the metric `CapacityProviderReservation` (namespace AWS/ECS/ManagedScaling, dimensions
  CapacityProviderName and ClusterName) with targetCapacity as target; its alarms take 1
  datapoint to scale out and 15 (one a minute) to scale in. CapacityProviderReservation =
  M / N x 100, N the group's instances, M those needed: instances running tasks other than
  daemon tasks, one more while a service cannot place tasks (100 with N = M = 0, 200 with N = 0
  < M). Scale-out steps are within minimum/maximumScalingStepSize. The policy acts through
  scaling.py, so AlarmNotification suspends it like any other. Turning managed scaling off or
  disassociating the provider removes the policy and its alarms.
- Managed termination protection (.../managed-termination-protection.html): needs
  NewInstancesProtectedFromScaleIn on the group (CreateCapacityProvider/UpdateCapacityProvider
  refuse it otherwise); with managed scaling on too (API_AutoScalingGroupProviderUpdate: "managed
  scaling must also be used otherwise managed termination protection doesn't work") ECS keeps
  scale-in protection on the instances that run tasks other than daemon tasks and takes it off
  the others. Protection keeps instances from being chosen by
  scale-in only: TerminateInstanceInAutoScalingGroup, health check replacement, DetachInstances
  and EC2 TerminateInstances still take protected instances (see fleet.py).
- Managed draining (.../managed-instance-draining.html): with managedDraining ENABLED (on by default
  when a capacity provider is created: .../enable-managed-instance-draining.html) ECS puts the termination lifecycle hook
  `ecs-managed-draining-termination-hook` on the group; when an instance enters Terminating:Wait
  ECS sets its container instance DRAINING, records heartbeats while tasks move (up to the
  hook's global timeout, 48 hours) and completes the action with CONTINUE once no task other
  than daemon tasks is left on it.

Checked once per AWS minute (protection, the metric) and every 5 AWS seconds for draining."""
import uuid

from moto.ecs.exceptions import EcsClientException

from .engine import asg_backend, ecs_backend
from .lifecycle import TERMINATING

DRAINING_HOOK = "ecs-managed-draining-termination-hook"
DRAIN_POLL = 5.0
POLICY_PREFIX = "ECSManagedAutoScalingPolicy-"


def _enabled(value):
    return str(value or "").upper() == "ENABLED"


class CapacityProviders:
    def __init__(self, eng):
        self.eng = eng
        self.reset()

    def reset(self):
        self.active = False   # any provider with a managed feature

    # Lookups.
    def providers(self, region):
        """(provider, group, [cluster names]) of every provider naming a group."""
        ecs = ecs_backend(region)
        groups = asg_backend(region).autoscaling_groups
        out = []
        for cp in ecs.capacity_providers.values():
            arn = (cp.auto_scaling_group_provider or {}).get("autoScalingGroupArn")
            group = next((g for g in groups.values() if arn in (g.arn, g.name)), None)
            if group is None or cp.status != "ACTIVE":
                continue
            clusters = [c.name for c in ecs.clusters.values() if cp.name in (c.capacity_providers or [])]
            out.append((cp, group, clusters))
        return out

    def _busy_tasks(self, ci):
        """Tasks on a container instance other than daemon tasks, not yet STOPPED."""
        n = 0
        for tid in ci._sim_tasks:
            task = self.eng.tasks.get(tid)
            if task is None or task._status == "STOPPED":
                continue
            svc = task._sim_svc
            if svc is not None and svc.scheduling_strategy == "DAEMON":
                continue
            n += 1
        return n

    def daemon_left_by_design(self, task, si):
        """True for a daemon service's task on an instance that a scale-in took while a
        capacity provider of its group had managed termination protection on: ECS "only
        terminates EC2 instances that don't have any running Amazon ECS tasks. Tasks that are
        run by a service that uses the DAEMON scheduling strategy are ignored and an instance
        can be terminated by cluster auto scaling even when the instance is running these
        tasks" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html).
        Such a kill is Auto Scaling's and ECS's doing as designed, not a rollout's."""
        svc = task._sim_svc
        if svc is None or svc.scheduling_strategy != "DAEMON" or si is None or not si.group:
            return False
        if not (si.terminate_cause or "").startswith("scale-in"):
            return False
        for cp, group, _ in self.providers(si.region):
            asg = cp.auto_scaling_group_provider or {}
            if group.name == si.group and _enabled(asg.get("managedTerminationProtection")):
                return True
        return False

    def _ci(self, si):
        ci = self.eng.cis.get(si.ci_id) if si is not None and si.ci_id else None
        return ci if ci is not None and ci.status != "INACTIVE" else None

    # Managed scaling's metric.
    def reservation(self, region, cp_name, cluster):
        for cp, group, clusters in self.providers(region):
            if cp.name == cp_name and cluster in clusters:
                break
        else:
            return None
        eng = self.eng
        members = [s for s in group.instance_states if s.lifecycle_state in ("Pending", "Pending:Wait",
                                                                             "Pending:Proceed", "InService")]
        n = len(members)
        m = 0
        for st in members:
            ci = self._ci(eng.instances.get(st.instance.id))
            if ci is not None and ci.cluster_name == cluster and self._busy_tasks(ci):
                m += 1
        if self._unplaced(region, cluster):
            m = max(m + 1, n + 1)
        if n == 0:
            return 100.0 if m == 0 else 200.0
        return 100.0 * m / n

    def _unplaced(self, region, cluster):
        for svc in self.eng.services.values():
            if svc.region_name != region or svc.cluster_name != cluster or svc.status != "ACTIVE":
                continue
            if svc.scheduling_strategy == "DAEMON":
                continue
            wanted = sum(1 for t in self.eng.tasks.values() if t._sim_svc is svc and t.desired_status == "RUNNING")
            if wanted < (svc.desired_count or 0):
                return True
        return False

    # Keeping the group in line with its providers.
    def sync(self, region):
        """After a provider or a cluster's providers changed: the managed policy and the
        managed draining hook exist exactly when they should."""
        eng = self.eng
        backend = asg_backend(region)
        wanted_policies = set()
        for cp, group, clusters in self.providers(region):
            asg = cp.auto_scaling_group_provider
            ms = asg.get("managedScaling") or {}
            if _enabled(ms.get("status")) and clusters:
                wanted_policies.add(self._ensure_policy(region, cp, group, clusters[0], ms))
            if _enabled(asg.get("managedDraining", "ENABLED")):
                key = f"{group.name}_{DRAINING_HOOK}"
                if key not in backend.lifecycle_hooks:
                    backend.create_lifecycle_hook(DRAINING_HOOK, group.name, TERMINATING, 3600, "CONTINUE")
                    eng.ledger.event("ecs_managed_hook_put", group=group.name, hook=DRAINING_HOOK)
                eng.hook_owners[(group.name, DRAINING_HOOK)] = {
                    "owner": "ECS managed draining", "complete_after": None, "heartbeat_every": None,
                    "result": "CONTINUE", "on_start": self._drain_for_hook}
            if _enabled(ms.get("status")) or _enabled(asg.get("managedTerminationProtection")) \
                    or _enabled(asg.get("managedDraining", "ENABLED")):
                self.active = True
        for name, policy in list(backend.policies.items()):
            if name.startswith(POLICY_PREFIX) and name not in wanted_policies:
                eng.scaling.policy_deleted(region, policy)
                backend.policies.pop(name, None)
                eng.ledger.event("ecs_managed_policy_deleted", policy=name)
        if self.active:
            eng.scaling.ensure_ticking()

    def _ensure_policy(self, region, cp, group, cluster, ms):
        backend = asg_backend(region)
        target = float(ms.get("targetCapacity") or 100)
        existing = getattr(cp, "_sim_policy", None)
        policy = backend.policies.get(existing) if existing else None
        if policy is not None and float(policy.target_tracking_configuration.TargetValue) == target:
            policy._sim_steps = (int(ms.get("minimumScalingStepSize") or 1),
                                 int(ms.get("maximumScalingStepSize") or 10000))
            return policy.name
        name = existing or f"{POLICY_PREFIX}{uuid.uuid4()}"
        if policy is not None:
            self.eng.scaling.policy_deleted(region, policy)
        policy = backend.put_scaling_policy(
            name=name, policy_type="TargetTrackingScaling", metric_aggregation_type=None, adjustment_type=None,
            as_name=group.name, min_adjustment_magnitude=None, scaling_adjustment=None, cooldown=None,
            target_tracking_config={"CustomizedMetricSpecification": {
                "MetricName": "CapacityProviderReservation", "Namespace": "AWS/ECS/ManagedScaling",
                "Dimensions": [{"Name": "CapacityProviderName", "Value": cp.name},
                               {"Name": "ClusterName", "Value": cluster}],
                "Statistic": "Average"}, "TargetValue": target, "DisableScaleIn": False},
            step_adjustments=None, estimated_instance_warmup=None, predictive_scaling_configuration=None)
        policy._sim_alarm_points = (1, 15)
        policy._sim_steps = (int(ms.get("minimumScalingStepSize") or 1),
                             int(ms.get("maximumScalingStepSize") or 10000))
        cp._sim_policy = name
        self.eng.scaling.policy_put(region, policy)
        return name

    # Once a minute: managed termination protection.
    def minute(self, region):
        if not self.active:
            return False
        eng = self.eng
        for cp, group, clusters in self.providers(region):
            asg = cp.auto_scaling_group_provider
            if not _enabled(asg.get("managedTerminationProtection")) or \
                    not _enabled((asg.get("managedScaling") or {}).get("status")):
                continue  # "managed scaling must also be used otherwise [it] doesn't work"
            for st in group.instance_states:
                if st.lifecycle_state != "InService":
                    continue
                ci = self._ci(eng.instances.get(st.instance.id))
                busy = bool(ci is not None and self._busy_tasks(ci))
                if bool(st.protected_from_scale_in) != busy:
                    st.protected_from_scale_in = busy
                    eng.ledger.event("ecs_scale_in_protection", instance=st.instance.id, group=group.name,
                                     protected=busy)
        return True

    def protect_before_placing(self, ci, svc):
        """ECS "first turns on the instance scale-in protection option for the EC2
        instances in the Auto Scaling group. Then, Amazon ECS places the tasks on
        the instances" (managed-termination-protection.html): a task other than a
        daemon's placed on an unprotected member (one ECS unprotected while it was
        empty) protects it at once, not at the next minute's pass. Taking
        protection off stays with the minute's pass ("When all non-daemon tasks
        are stopped on an instance, Amazon ECS initiates the scale-in process and
        turns off scale-in protection")."""
        if not self.active or (svc is not None and svc.scheduling_strategy == "DAEMON"):
            return
        eng = self.eng
        si = eng.instances.get(ci.ec2_instance_id)
        st = si.state if si is not None else None
        if st is None or st.protected_from_scale_in or st.lifecycle_state.startswith("Terminating"):
            return
        for cp, group, _ in self.providers(si.region):
            asg = cp.auto_scaling_group_provider
            if group.name == si.group and _enabled(asg.get("managedTerminationProtection")) and \
                    _enabled((asg.get("managedScaling") or {}).get("status")):
                st.protected_from_scale_in = True
                eng.ledger.event("ecs_scale_in_protection", instance=st.instance.id, group=group.name,
                                 protected=True)
                return

    def scale_out_steps(self, policy, current, wanted):
        """minimumScalingStepSize/maximumScalingStepSize bound a scale-out (API_ManagedScaling)."""
        steps = getattr(policy, "_sim_steps", None)
        if not steps or wanted <= current:
            return wanted
        lo, hi = steps
        return current + max(lo, min(hi, wanted - current))

    # Managed draining.
    def _drain_for_hook(self, si, act):
        eng = self.eng
        ci = self._ci(si)
        if ci is not None and ci.status == "ACTIVE":
            ci.status = "DRAINING"
            ci.version = getattr(ci, "version", 1) + 1
            ci._sim_draining_t = eng.now()
            eng.ledger.event("container_instance_draining", instance=ci.ec2_instance_id,
                             container_instance=ci.container_instance_arn, cluster=ci.cluster_name,
                             running_tasks=ci.running_tasks_count, by="ECS managed draining")
            eng.mark_cluster(ci.region_name, ci.cluster_name)
        eng.schedule(0.0, self._drain_poll, si, act["token"])

    def _drain_poll(self, si, token):
        eng = self.eng
        act = next((a for a in (si.hooks or {}).values() if a["token"] == token), None)
        if act is None:
            return
        ci = self._ci(si)
        if ci is None or not self._busy_tasks(ci):
            eng.fleet.finish_action(si, act, "CONTINUE", "CompleteLifecycleAction by ECS managed draining")
            return
        if eng.now() - act.get("_sim_beat", act["started"]) >= act["timeout"] / 2:
            act["_sim_beat"] = eng.now()
            eng.fleet.heartbeat(si, act, by="ECS managed draining")
        eng.schedule(DRAIN_POLL, self._drain_poll, si, token)


def install():
    """Patches moto's ECS responses: capacity providers and clusters keep the groups in line."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    from .engine import active

    def check_protection(self):
        asg = self._get_param("autoScalingGroupProvider") or {}
        if not _enabled(asg.get("managedTerminationProtection")):
            return
        arn = asg.get("autoScalingGroupArn")
        if arn is None:
            name = self._get_param("name")
            cp = self.ecs_backend.capacity_providers.get(str(name).split("/")[-1])
            arn = (cp.auto_scaling_group_provider or {}).get("autoScalingGroupArn") if cp else None
        group = next((g for g in asg_backend(self.region).autoscaling_groups.values() if arn in (g.arn, g.name)),
                     None)
        if group is not None and not group.new_instances_protected_from_scale_in:
            raise EcsClientException(
                "The managed termination protection setting for the capacity provider is invalid. To enable "
                "managed termination protection for a capacity provider, the Auto Scaling group must have "
                "instance protection from scale in enabled.")

    for action in ("create_capacity_provider", "update_capacity_provider", "delete_capacity_provider",
                   "put_cluster_capacity_providers", "create_cluster", "delete_cluster"):
        orig = getattr(EC2ContainerServiceResponse, action)

        def handler(self, _orig=orig, _action=action):
            eng = active()
            if eng is not None and _action in ("create_capacity_provider", "update_capacity_provider"):
                check_protection(self)
            result = _orig(self)
            if eng is not None:
                if _action == "create_capacity_provider":
                    # Managed draining is on by default when you create a capacity provider
                    # (enable-managed-instance-draining.html); moto leaves the field out.
                    cp = self.ecs_backend._get_provider(self._get_param("name"))
                    if cp is not None:
                        cp.auto_scaling_group_provider.setdefault("managedDraining", "ENABLED")
                if _action == "update_capacity_provider":
                    # moto 5.2 defect: UpdateCapacityProvider ignores managedDraining.
                    asg = self._get_param("autoScalingGroupProvider") or {}
                    cp = self.ecs_backend._get_provider(self._get_param("name"))
                    if cp is not None and "managedDraining" in asg:
                        cp.auto_scaling_group_provider["managedDraining"] = asg["managedDraining"]
                eng.capacity.sync(self.region)
            return result
        handler.__name__ = action
        setattr(EC2ContainerServiceResponse, action, handler)

