"""EC2 and Auto Scaling dynamics: launching, booting, lifecycle hooks, health,
scale-in with termination policies, AZ rebalancing, termination.

Auto Scaling's view of an instance is moto's autoscaling InstanceState (its
lifecycle_state is what DescribeAutoScalingGroups reports); EC2's view is the
moto Instance's state. This module moves both, with the delays of engine.delays."""
import base64
import gzip
import math
import re
from collections import Counter

from moto.autoscaling.models import InstanceState as AsgInstanceState
from moto.core.types import Base64EncodedString
from moto.ec2.models.instances import InstanceState as Ec2InstanceState

from . import mixed
from .engine import asg_backend, ec2_backend
from .fleet_requests import ASG_TAG, COUNTED, FleetRequests
from .lifecycle import LAUNCHING, TERMINATING, Lifecycle
from .termination import Termination, scale_in_protected, state_az

_CLUSTER_RE = re.compile(r"ECS_CLUSTER\s*=\s*[\"']?([A-Za-z0-9_-]{1,255})")


def user_data_text(user_data):
    """The plain text of EC2 user data (base64, possibly gzip-compressed)."""
    if user_data is None:
        return ""
    if isinstance(user_data, Base64EncodedString):
        raw = base64.b64decode(str(user_data))
    elif isinstance(user_data, bytes):
        raw = user_data
    else:
        text = str(user_data)
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            raw = text.encode()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError:
            return ""
    return raw.decode("utf-8", "replace")


def cluster_from_user_data(user_data):
    """The ECS_CLUSTER an ECS agent would read from this user data, or None."""
    m = _CLUSTER_RE.search(user_data_text(user_data))
    return m.group(1) if m else None


def normalize_user_data(user_data):
    """moto 5.2 keeps user data as Base64EncodedString on some paths and as str on
    others (CreateLaunchTemplateVersion); hand EC2 the former."""
    if user_data is None or isinstance(user_data, Base64EncodedString):
        return user_data
    try:
        return Base64EncodedString(str(user_data))
    except ValueError:
        return Base64EncodedString.from_raw_string(str(user_data))


class SimInstance:
    """The simulator's record of one EC2 instance."""

    def __init__(self, inst, region, group=None, state=None, lt=None, lc=None, now=0.0):
        self.id = inst.id
        self.inst = inst
        self.region = region
        self.az = inst.availability_zone
        self.itype = inst.instance_type
        self.ami = inst.image_id
        self.group = group            # Auto Scaling group name, None when standalone/detached
        self.state = state            # moto autoscaling InstanceState while in a group
        self.lt = lt                  # launch template spec it was launched with
        self.lc = lc                  # launch configuration name it was launched with
        self.cluster = cluster_from_user_data(inst.user_data)
        self.launched_at = now
        self.running_at = None
        self.phase = "pending"        # pending, running, shutting-down, terminated
        self.ci_id = None
        self.never_register = False
        self.register_note = None     # why it has not registered yet
        self.boot_event = None
        self.hooks = None             # pending lifecycle actions: hook name -> action (lifecycle.py)
        self.detached_at = None
        self.was_group = group
        self.terminate_cause = None
        self.terminating_at = None    # when Auto Scaling began to terminate it
        self.decremented = False      # terminated through the API with ShouldDecrementDesiredCapacity
        self.unhealthy_cause = None   # why it failed its health check ("fault: ..." when injected)
        self.notice_at = 0.0          # when Auto Scaling's health check sees it gone

    def alive(self):
        return self.phase in ("pending", "running")


class Fleet(FleetRequests, Lifecycle, Termination):
    def __init__(self, eng):
        self.eng = eng
        self.run_instances = None     # moto's unpatched run_instances, set by moto_patches

    # Lookups.
    def group(self, region, name):
        return asg_backend(region).autoscaling_groups.get(name)

    def suspended(self, group):
        return {p["ProcessName"] for p in group.suspended_processes}

    def _live_inc(self, region, n):
        self.eng.live_instances[region] = self.eng.live_instances.get(region, 0) + n

    # Instances coming into existence.
    def adopt(self, inst, region, group=None, state=None, lt=None, lc=None):
        eng = self.eng
        si = SimInstance(inst, region, group=group, state=state, lt=lt, lc=lc, now=eng.now())
        inst._state = Ec2InstanceState("pending", 0)
        eng.instances[si.id] = si
        self._live_inc(region, 1)
        eng.ledger.event("instance_launched", instance=si.id, group=group, az=si.az, ami=si.ami,
                         instance_type=si.itype, launch_template=lt, cluster=si.cluster)
        if eng.faults.take("never_register", si.id):
            si.never_register = True
            eng.ledger.event("fault_never_register", instance=si.id)
        si.boot_event = eng.schedule(eng.delay("boot"), self._boot_done, si)
        return si

    def on_instances_created(self, instances, region):
        """Instances made by RunInstances outside of Auto Scaling boot too."""
        for inst in instances:
            if inst.id not in self.eng.instances:
                self.adopt(inst, region)

    def _boot_done(self, si):
        eng = self.eng
        if si.phase != "pending":
            return
        si.inst._state = Ec2InstanceState("running", 16)
        si.phase = "running"
        si.running_at = eng.now()
        eng.ledger.event("instance_running", instance=si.id, group=si.group)
        st = si.state
        if st is not None and st.lifecycle_state == "Pending":
            group = self.group(si.region, si.group)
            hooks = self.hooks(group, LAUNCHING) if group else []
            if hooks:
                st.lifecycle_state = "Pending:Wait"
                self.start_hooks(si, hooks)
            else:
                self._in_service(si)
        eng.agent.instance_booted(si)

    def _in_service(self, si):
        eng = self.eng
        si.state.lifecycle_state = "InService"
        eng.ledger.event("instance_in_service", instance=si.id, group=si.group)
        if eng.faults.take("unhealthy", si.id):
            eng.schedule(eng.faults.unhealthy_after(), self.fail_health, si, "fault: failed health check")
        group = self.group(si.region, si.group)
        if group is not None and getattr(group, "_sim_rebalance", None) == si.id:
            eng.mark_group(si.region, si.group)

    def fail_health(self, si, cause):
        """The instance fails its health check; Auto Scaling replaces it."""
        if not si.alive() or si.state is None:
            return
        si.state.health_status = "Unhealthy"
        si.unhealthy_cause = cause
        self.eng.ledger.event("instance_unhealthy", instance=si.id, group=si.group, cause=cause)
        self.watch(si)

    # Launching.
    def launch_spec(self, group, override=None):
        """What the group launches now: image, type, user data, security groups, template
        version (a mixed instances override's own template and type when it has them)."""
        spec = {"lt": None, "lc": None, "sg_names": [], "sg_ids": [], "tags": {}}
        lt, version_ref = group.ec2_launch_template, group.launch_template_version
        own = (override or {}).get("LaunchTemplateSpecification")
        if own:
            ec2 = ec2_backend(group.region)
            lt = (ec2.get_launch_template(own["LaunchTemplateId"]) if own.get("LaunchTemplateId")
                  else ec2.get_launch_template_by_name(own["LaunchTemplateName"]))
            version_ref = own.get("Version") or "$Default"
        if lt is not None:
            version = lt.get_version(version_ref)
            data = version.data
            itype = (override or {}).get("InstanceType") or data.get("InstanceType")
            sg_ids = list(data.get("SecurityGroupIds") or [])
            for nic in data.get("NetworkInterfaces") or []:
                sg_ids.extend(nic.get("Groups") or [])
            spec.update(image=version.image_id, itype=itype or "m1.small",
                        user_data=normalize_user_data(data.get("UserData")),
                        sg_names=list(data.get("SecurityGroups") or []), sg_ids=sg_ids,
                        tags=dict(version.instance_tags),
                        lt={"LaunchTemplateId": lt.id, "LaunchTemplateName": lt.name,
                            "Version": str(version.number)},
                        run_lt={"LaunchTemplateId": lt.id, "Version": str(version.number)})
        else:
            lc = group.launch_config
            spec.update(image=lc.image_id, itype=lc.instance_type, user_data=normalize_user_data(lc.user_data),
                        sg_names=list(lc.security_groups or []), lc=lc.name, run_lt=None,
                        public_ip=lc.associate_public_ip_address)
        return spec

    def subnet_for(self, group, az):
        if not group.vpc_zone_identifier:
            return None
        ec2 = ec2_backend(group.region)
        for sid in group.vpc_zone_identifier.split(","):
            sid = sid.strip()
            try:
                if ec2.get_subnet(sid).availability_zone == az:
                    return sid
            except Exception:
                continue
        return None

    def launch(self, group, n, counted, cause):
        eng = self.eng
        region = group.region
        by_az = Counter(state_az(s) for s in counted)
        azs = list(group.availability_zones) or [region + "a"]
        launched = []
        decided_at = eng.now()
        for _ in range(n):
            limit = eng.faults.account_limit()
            if limit is not None and eng.live_instances.get(region, 0) >= limit:
                self._launch_failed(group, f"You have requested more vCPU capacity than your current vCPU "
                                    f"limit of {limit} instances allows for the instance bucket that the "
                                    f"specified instance type belongs to. Please visit "
                                    f"http://aws.amazon.com/contact-us/ec2-request to request an adjustment "
                                    f"to this limit. Launching EC2 instance failed.", "account_limit")
                break
            az = min(azs, key=lambda a: (by_az[a], azs.index(a)))
            try:
                si = self._run_one(group, az, counted + [x.state for x in launched])
            except Exception as e:  # what EC2 refused (bad AMI, security group...)
                msg = getattr(e, "message", None) or str(e)
                self._launch_failed(group, f"{msg}. Launching EC2 instance failed.", "ec2_error")
                break
            by_az[az] += 1
            launched.append(si)
            self._boot_from(si, decided_at)
            eng.activity(region, group, f"Launching a new EC2 instance: {si.id}", cause)
        return launched

    def _boot_from(self, si, decided_at):
        """Auto Scaling launches a scaling activity's instances side by side
        ("Scaling activities" in the Auto Scaling user guide); moto creates
        them one at a time, milliseconds each, which for a thousand would
        put the last boot many seconds after the first. Each boots `boot`
        AWS seconds after the group decided to launch."""
        if si.boot_event is None or si.launched_at <= decided_at:
            return
        si.boot_event.cancel()
        si.launched_at = decided_at
        si.boot_event = self.eng.clock.schedule_at(decided_at + self.eng.delay("boot"), self._boot_done, si)

    def _launch_failed(self, group, message, kind):
        eng = self.eng
        eng.activity(group.region, group, "Launching a new EC2 instance.  Status Reason: " + message,
                     "An instance was started in response to a difference between desired and actual capacity.",
                     status="Failed", message=message)
        eng.ledger.event("launch_failed", group=group.name, reason=kind, message=message)
        if not getattr(group, "_sim_retry_pending", False):
            group._sim_retry_pending = True
            eng.schedule(eng.delay("launch_retry"), self._retry, group.region, group.name)
        group._sim_retry_at = eng.now() + eng.delay("launch_retry")

    def _retry(self, region, name):
        group = self.group(region, name)
        if group is not None:
            group._sim_retry_pending = False
            self.eng.mark_group(region, name)

    def _run_one(self, group, az, counted):
        region = group.region
        override, market = mixed.choose(group, counted, self.eng.unavailable_types.get(group.name, ()))
        spec = self.launch_spec(group, override)
        tags = group.get_propagated_tags()
        tags[ASG_TAG] = group.name
        tags.update(spec["tags"])
        kwargs = dict(instance_type=spec["itype"], is_instance_type_default=False, tags={"instance": tags},
                      placement=az, region_name=region, launch_config=group.launch_config)
        subnet = self.subnet_for(group, az)
        if subnet:
            kwargs["subnet_id"] = subnet
        if spec.get("run_lt"):
            kwargs["launch_template"] = spec["run_lt"]
        if spec["sg_ids"]:
            kwargs["security_group_ids"] = list(spec["sg_ids"])
        if spec.get("public_ip") is not None:
            kwargs["associate_public_ip"] = spec["public_ip"]
        res = self.run_instances(ec2_backend(region), spec["image"], 1, spec["user_data"],
                                 list(spec["sg_names"]), **kwargs)
        inst = res.instances[0]
        inst.autoscaling_group = group
        if market == "spot":
            inst.lifecycle = "spot"  # EC2 DescribeInstances: InstanceLifecycle
        state = AsgInstanceState(inst, lifecycle_state="Pending",
                                 protected_from_scale_in=bool(group.new_instances_protected_from_scale_in),
                                 autoscaling_group=group)
        state._sim_lt = spec["lt"]
        state._sim_lc = spec["lc"]
        state._sim_market = market
        if override and override.get("WeightedCapacity"):
            state.weighted_capacity = str(override["WeightedCapacity"])
        group.instance_states.append(state)
        return self.adopt(inst, region, group=group.name, state=state, lt=spec["lt"], lc=spec["lc"])

    # Reconciling a group with its desired capacity.
    def reconcile(self, region, name):
        eng = self.eng
        group = self.group(region, name)
        if group is None:
            return
        if getattr(group, "_sim_deleting", False):
            return  # being deleted: nothing launches, its instances are going
        suspended = self.suspended(group)
        self._health(group, suspended)
        counted = [s for s in group.instance_states if s.lifecycle_state in COUNTED]
        desired = group.desired_capacity or 0
        rebalancing = getattr(group, "_sim_rebalance", None)
        if rebalancing:
            si = eng.instances.get(rebalancing)
            if si is not None and si.alive() and si.state is not None and si.state.lifecycle_state in COUNTED[:3]:
                return  # wait for the rebalancing launch before terminating
            group._sim_rebalance = None
            # Only AZRebalance's own launch is followed by its termination; a
            # Capacity Rebalancing launch is followed by the scale-in that takes
            # the instance at risk (ecs_disruptions.rebalance_recommendation).
            az_rebalance, group._sim_az_rebalance = getattr(group, "_sim_az_rebalance", False), False
            if az_rebalance and self._rebalance_terminate(group, counted, suspended):
                return
        have = mixed.capacity(counted)  # instances, or their weights (mixed.py)
        if have > desired and eng.now() < getattr(group, "_sim_scale_in_at", 0.0):
            return  # the scale-in activity has not started yet (FleetRequests.set_desired)
        # A scale-in event is "a new value for the desired capacity ... lower than
        # the current capacity" (as-instance-termination.html); launches fulfil the
        # desired capacity "even if this results in an overage" (weights, mixed.py).
        # So an overage left by a launch, a replacement's included, stays until
        # the desired capacity changes.
        new_value = getattr(group, "_sim_desired_seen", None) != desired
        if not (have > desired and "Terminate" in suspended):
            group._sim_desired_seen = desired
        if have < desired:
            if "Launch" in suspended or getattr(group, "_sim_retry_pending", False):
                return
            cause = getattr(group, "_sim_cause", None) or "An instance was started in response to a " \
                "difference between desired and actual capacity."
            if not mixed.weighted(group):
                self.launch(group, desired - have, counted, cause)
                return
            while have < desired:  # each launch's weight decides whether another is needed
                launched = self.launch(group, 1, counted, cause)
                if not launched:
                    break
                counted.append(launched[0].state)
                have += mixed.weight(launched[0].state)
        elif have > desired:
            if "Terminate" in suspended:
                return
            if mixed.weighted(group) and not new_value:
                # An overage is kept; the zones are still balanced by count.
                if not suspended & {"AZRebalance", "Launch"}:
                    self._maybe_rebalance(group, counted)
                return
            for state in self.choose_victims(group, counted, len(counted)):
                if have - mixed.weight(state) < desired:
                    continue  # scale-in never goes below the desired capacity
                have -= mixed.weight(state)
                si = eng.instances.get(state.instance.id)
                if si is not None:
                    self.begin_terminate(si, "scale-in: desired capacity "
                                         f"{desired} < {have + mixed.weight(state)} capacity units")
            if any(have - mixed.weight(s) >= desired for s in counted if scale_in_protected(s)):
                self._scale_in_blocked(group, counted, have, desired)  # not a weighted overage
        elif not suspended & {"AZRebalance", "Launch", "Terminate"}:
            self._maybe_rebalance(group, counted)

    def watch(self, si):
        """Asks the group's health check to look at this member on its next pass."""
        group = self.group(si.region, si.group) if si.group else None
        if group is not None:
            if not hasattr(group, "_sim_watch"):
                group._sim_watch = set()
            group._sim_watch.add(si.id)
            self.eng.mark_group(si.region, si.group)

    def _health(self, group, suspended):
        """Members terminated through EC2 fail the health check; unhealthy members are
        replaced (unless HealthCheck or ReplaceUnhealthy is suspended)."""
        watch = getattr(group, "_sim_watch", None)
        if not watch:
            return
        now = self.eng.now()
        for iid in sorted(watch):
            si = self.eng.instances.get(iid)
            st = si.state if si is not None else None
            if st is None or si.group != group.name or st.lifecycle_state.startswith("Terminating"):
                watch.discard(iid)
                continue
            if not si.alive() and st.health_status != "Unhealthy":
                if "HealthCheck" in suspended or si.notice_at > now:
                    continue
                st.health_status = "Unhealthy"
                self.eng.ledger.event("instance_unhealthy", instance=si.id, group=group.name,
                                      cause="EC2 instance no longer running")
            if st.health_status != "Unhealthy":
                watch.discard(iid)
            elif st.lifecycle_state in COUNTED + ("Standby",) and "ReplaceUnhealthy" not in suspended:
                self.begin_terminate(si, "failed health check: an instance was taken out of service "
                                     "in response to a health check")

    def _maybe_rebalance(self, group, counted):
        if any(s.lifecycle_state != "InService" for s in counted):
            return
        if any(s.lifecycle_state.startswith("Terminating") for s in group.instance_states):
            return
        azs = list(group.availability_zones)
        if len(azs) < 2:
            return
        by_az = Counter({a: 0 for a in azs})
        by_az.update(state_az(s) for s in counted if state_az(s) in by_az)
        if max(by_az.values()) - min(by_az.values()) <= 1:
            return
        max_size = group.max_size or 0
        if mixed.capacity(counted) + 1 > max_size + max(1, math.ceil(0.1 * max_size)):
            return  # MaxSize counts capacity units (weights, mixed.py)
        launched = self.launch(group, 1, counted, "An instance was launched to aid in balancing the "
                               "group's zones.")
        if launched:
            group._sim_rebalance = launched[0].id
            group._sim_az_rebalance = True
            self.eng.ledger.event("az_rebalance", group=group.name, instance=launched[0].id)

    def _rebalance_terminate(self, group, counted, suspended):
        """The second half of a rebalancing activity: once its launch is in
        service, one instance goes from the zone with the most instances (then
        the termination policies), without draining ("Rebalancing activities":
        launch first, then terminate). Zones are balanced by instance count,
        weights or not ("Auto Scaling group Availability Zone distribution":
        an equal number of instances per enabled zone), so the instance may
        weigh more or less than the one launched; a shortfall is then
        launched as any other (reconcile). Returns True if one was terminated."""
        if "Terminate" in suspended:
            return False
        victims = self.choose_victims(group, counted, 1)
        si = self.eng.instances.get(victims[0].instance.id) if victims else None
        if si is None:
            return False
        self.begin_terminate(si, "AZRebalance: an instance was taken out of service to aid in balancing "
                             "the group's zones")
        return True

    # Termination.
    def begin_terminate(self, si, cause):
        """Auto Scaling terminates an instance of its group (scale-in, unhealthy, API)."""
        st = si.state
        if st is None:
            self.ec2_shutdown(si, cause)
            return
        if st.lifecycle_state.startswith("Terminating"):
            return
        si.terminate_cause = cause
        si.terminating_at = self.eng.now()
        group = self.group(si.region, si.group)
        self.eng.ledger.event("instance_terminating", instance=si.id, group=si.group, cause=cause)
        if group is not None:
            self.eng.activity(si.region, group, f"Terminating EC2 instance: {si.id}", cause)
        hooks = self.hooks(group, TERMINATING) if group is not None and si.alive() else []
        if si.hooks:  # pending launch actions are overtaken by the termination
            self.cancel_hooks(si)
        if hooks:
            st.lifecycle_state = "Terminating:Wait"
            self.start_hooks(si, hooks)
        else:
            st.lifecycle_state = "Terminating"
            if si.phase == "terminated":
                self._leave_group(si)
            else:
                self.ec2_shutdown(si, cause)

    def ec2_shutdown(self, si, cause):
        """EC2 starts terminating the instance: its containers die now."""
        eng = self.eng
        if not si.alive():
            return
        si.phase = "shutting-down"
        si.inst._state = Ec2InstanceState("shutting-down", 32)
        if si.boot_event:
            si.boot_event.cancel()
        eng.ledger.event("instance_shutting_down", instance=si.id, group=si.group, cause=cause)
        eng.agent.instance_down(si, cause)
        eng.schedule(eng.delay("terminate"), self._terminated, si)

    def on_ec2_terminate(self, si):
        """TerminateInstances called on an instance; a group notices on its health check."""
        self.ec2_shutdown(si, "TerminateInstances")
        if si.state is not None and not si.state.lifecycle_state.startswith("Terminating"):
            si.notice_at = self.eng.now() + self.eng.delay("health_check")
            self.eng.schedule(self.eng.delay("health_check"), self.watch, si)

    def _terminated(self, si):
        eng = self.eng
        if si.phase == "terminated":
            return
        si.inst.terminate()  # moto: state terminated, network interfaces and volumes released
        si.phase = "terminated"
        self._live_inc(si.region, -1)
        eng.ledger.event("instance_terminated", instance=si.id, group=si.group or si.was_group)
        if si.ci_id is None and si.running_at is not None:
            eng.ledger.terminated_unregistered.append(
                {"instance": si.id, "group": si.group or si.was_group, "cluster": si.cluster,
                 "reason": si.register_note or ("fault: never registers" if si.never_register else "agent not yet registered")})
        if si.state is not None and si.state.lifecycle_state.startswith("Terminating"):
            self._leave_group(si)
        elif si.group:
            self.watch(si)

    def _leave_group(self, si):
        group = self.group(si.region, si.group) if si.group else None
        if group is not None and si.state in group.instance_states:
            group.instance_states.remove(si.state)
        if si.group:
            self.eng.mark_group(si.region, si.group)
        si.group, si.state = None, None
        if group is not None:
            self.deleted_when_empty(group)
