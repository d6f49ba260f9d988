"""What Auto Scaling does when asked through its API (called from asg_api.py
with the engine lock held): desired capacity, detaching, terminating, health,
attaching, deleting (lifecycle actions: lifecycle.py). Mixed into fleet.Fleet."""
from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError

from . import mixed
from .engine import ec2_backend

ASG_TAG = "aws:autoscaling:groupName"
# Lifecycle states that count towards the desired capacity.
COUNTED = ("Pending", "Pending:Wait", "Pending:Proceed", "InService")


class FleetRequests:
    def set_desired(self, group, new, cause, activity_cause=None):
        old = group.desired_capacity
        group.desired_capacity = new
        if old != new:
            self.eng.ledger.desired_change(group.name, old, new, cause)
            group._sim_cause = activity_cause or (f"A user request explicitly set group desired capacity "
                                                  f"changing the desired capacity from {old} to {new}.")
        if old is not None and new < old:
            # The call only records the new size: Auto Scaling then runs the
            # scale-in as a scaling activity of its own, choosing its victims
            # when the activity starts, not during the call (SetDesiredCapacity,
            # UpdateAutoScalingGroup: "Sets the size of the specified Auto Scaling
            # group"; the User Guide's "Verify a scaling activity" has clients
            # look for the activity afterwards). AWS publishes no start time;
            # `scale_in` (engine.DEFAULT_DELAYS) is the simulator's. A client
            # that takes protection off before the victims are Terminating lets
            # the activity choose among every instance.
            delay = self.eng.delay("scale_in")
            group._sim_scale_in_at = self.eng.now() + delay
            group._sim_blocked_at = None
            self.eng.schedule(delay, self.eng.mark_group, group.region, group.name)
        # Launches start right away; the instances then take their time.
        self.reconcile(group.region, group.name)

    def decrement(self, group, new, cause):
        """The desired capacity lowered by the weight of instances that leave
        (ShouldDecrementDesiredCapacity): it accounts for them, it is not a
        scale-in event of its own, so an overage the launches left stays (the
        value reconcile() compares with is carried along)."""
        if getattr(group, "_sim_desired_seen", None) == group.desired_capacity:
            group._sim_desired_seen = new
        self.set_desired(group, new, cause)

    def detach(self, group, instance_ids, decrement):
        eng = self.eng
        states = {s.instance.id: s for s in group.instance_states}
        for iid in instance_ids:
            if iid not in states:
                raise ValidationError(f"The instance {iid} is not part of Auto Scaling group {group.name}.")
            if states[iid].lifecycle_state not in ("InService", "Standby"):
                raise ValidationError(f"The instance {iid} is not in InService or Standby.")
        if decrement:
            new = (group.desired_capacity or 0) - sum(mixed.weight(states[i]) for i in set(instance_ids)
                                                       if states[i].lifecycle_state == "InService")
            if new < (group.min_size or 0):
                raise ValidationError(f"Detaching {len(set(instance_ids))} instance(s) would result in the "
                                      f"group having desired capacity {new}, which is below its minimum "
                                      f"size {group.min_size}.")
        activities = []
        ec2 = ec2_backend(group.region)
        for iid in dict.fromkeys(instance_ids):
            st = states[iid]
            group.instance_states.remove(st)
            ec2.delete_tags([iid], {ASG_TAG: group.name})
            si = eng.instances.get(iid)
            if si is not None:
                si.group, si.state, si.detached_at = None, None, eng.now()
            eng.ledger.event("instance_detached", instance=iid, group=group.name, decrement=bool(decrement))
            activities.append(eng.activity(group.region, group, f"Detaching EC2 instance: {iid}",
                                           f"An instance was detached in response to a user request."))
        if decrement:
            self.decrement(group, new, "DetachInstances")
        eng.mark_group(group.region, group.name)
        return activities

    def terminate_in_group(self, instance_id, decrement):
        eng = self.eng
        si = eng.instances.get(instance_id)
        group = self.group(si.region, si.group) if si is not None and si.group else None
        if group is None or si.state is None:
            raise ValidationError(f"Instance Id not found - No managed instance found for instance ID: {instance_id}")
        new = None
        if decrement and si.state.lifecycle_state in COUNTED:
            new = (group.desired_capacity or 0) - mixed.weight(si.state)  # capacity units (mixed.py)
            if new < (group.min_size or 0):
                raise ValidationError(
                    f"Currently, desiredCapacity={group.desired_capacity} and minSize={group.min_size}. "
                    "Terminating instance without replacement will violate group's min size constraint. "
                    "Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.")
        # The named instance leaves first: the decrement accounts for it, so Auto
        # Scaling must not pick another instance to scale in (as it would if the
        # lower desired capacity were reconciled while the instance still counted).
        si.decremented = new is not None
        self.begin_terminate(si, "TerminateInstanceInAutoScalingGroup")
        if new is not None:
            self.decrement(group, new, "TerminateInstanceInAutoScalingGroup")
        acts = eng.activities.get((group.region, group.name)) or []
        return acts[-1] if acts else None

    def set_health(self, instance_id, status):
        si = self.eng.instances.get(instance_id)
        if si is None or si.state is None:
            raise ValidationError(f"Instance Id not found - No managed instance found for instance ID: {instance_id}")
        si.state.health_status = status
        self.eng.ledger.event("instance_health_set", instance=instance_id, health=status)
        self.watch(si)

    def attach(self, group, states):
        for st in states:
            si = self.eng.instances.get(st.instance.id)
            st._sim_lt, st._sim_lc = None, None
            if si is not None:
                si.group, si.state, si.was_group = group.name, st, group.name
            self.eng.ledger.event("instance_attached", instance=st.instance.id, group=group.name)
        self.eng.mark_group(group.region, group.name)

    def delete_group(self, group, force):
        """DeleteAutoScalingGroup; True while the group stays, "Delete in progress", until its
        instances are gone. ForceDelete terminates them without waiting for lifecycle actions
        (API_DeleteAutoScalingGroup)."""
        if group.instance_states and not force:
            raise AutoscalingClientError(
                "ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or "
                "pending Spot instance request(s) still in the group.")
        self.eng.ledger.event("group_deleting", group=group.name, force=bool(force),
                              instances=len(group.instance_states))
        if not group.instance_states:
            self.eng.ledger.event("group_deleted", group=group.name)
            return False
        group._sim_deleting = True
        group.status = "Delete in progress"  # DescribeAutoScalingGroups: Status
        for st in list(group.instance_states):
            si = self.eng.instances.get(st.instance.id)
            if si is None:
                group.instance_states.remove(st)
                continue
            if si.hooks:
                self.cancel_hooks(si)
            st.lifecycle_state = "Terminating"
            si.terminate_cause = "DeleteAutoScalingGroup ForceDelete"
            if si.alive():
                self.ec2_shutdown(si, si.terminate_cause)
            else:
                self._leave_group(si)
        return True

    def deleted_when_empty(self, group):
        """A group being deleted is gone once its last instance is."""
        if getattr(group, "_sim_deleting", False) and not group.instance_states:
            from .engine import asg_backend
            asg_backend(group.region).autoscaling_groups.pop(group.name, None)
            self.eng.ledger.event("group_deleted", group=group.name)
