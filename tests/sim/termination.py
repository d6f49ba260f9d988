"""Which instances a scale-in terminates, as Auto Scaling chooses them (Amazon EC2
Auto Scaling User Guide, "Configure termination policies",
https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html,
and "Use instance scale-in protection",
https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html):
protection, the zones, the termination policies, and what a scale-in that
protection blocks leaves. Mixed into fleet.Fleet."""
from collections import Counter

from . import mixed
from .engine import asg_backend


def state_az(state):
    """AZ of an Auto Scaling InstanceState (moto keeps a placement object there)."""
    return state.instance.availability_zone


def scale_in_protected(state):
    """Whether scale-in must pass this member over: its ProtectedFromScaleIn
    flag, which only counts once it is InService ("Instance scale-in protection
    starts when the instance state is InService", Amazon EC2 Auto Scaling User
    Guide, "Use instance scale-in protection",
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html):
    a Pending instance (Pending:Wait, Pending:Proceed) may be chosen whatever
    its flag (NewInstancesProtectedFromScaleIn, SetInstanceProtection)."""
    return bool(state.protected_from_scale_in) and state.lifecycle_state == "InService"


class Termination:
    def _scale_in_blocked(self, group, counted, have, desired):
        """Fewer unprotected instances than the decrease: "If all instances in an
        Auto Scaling group are protected from scale in, and a scale in event
        occurs, its desired capacity is decremented. However, the Auto Scaling
        group can't terminate the required number of instances until their
        instance scale in protection settings are disabled", with the Activity
        history message quoted below (Amazon EC2 Auto Scaling User Guide, "Use
        instance scale-in protection",
        https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html).
        The surplus stays InService; SetInstanceProtection marks the group
        (moto_patches._mark_group_after), so taking protection off lets the next
        pass terminate it. Recorded once per desired value."""
        if getattr(group, "_sim_blocked_at", None) == desired:
            return
        group._sim_blocked_at = desired
        message = "Could not scale to desired capacity because all remaining instances are protected from scale-in."
        self.eng.activity(group.region, group, message, getattr(group, "_sim_cause", None) or "",
                          status="Failed", message=message)
        self.eng.ledger.event("scale_in_blocked", group=group.name, desired=desired, capacity=have,
                              protected=sum(1 for s in counted if scale_in_protected(s)))

    def choose_victims(self, group, counted, n):
        """Which instances scale-in terminates (Amazon EC2 Auto Scaling User Guide,
        "Configure termination policies",
        https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html):
        only unprotected instances (scale_in_protected); the AZ with the most
        instances *and at least one unprotected instance* first, then the group's
        termination policies, then Default, then at random."""
        cands = [s for s in counted if not scale_in_protected(s)]
        if not cands or n <= 0:
            return []
        # Capacity rebalancing replaced these: they go first (ecs_disruptions.py).
        evict = [s for s in counted if getattr(s, "_sim_evict", False)][:n]
        if evict:
            return evict + self.choose_victims(group, [s for s in counted if s not in evict], n - len(evict))
        keyf = self._policy_key(group)
        by_az = {}
        for s in cands:
            by_az.setdefault(state_az(s), []).append(s)
        for lst in by_az.values():
            lst.sort(key=keyf, reverse=True)  # best victim last, popped first
        remaining = Counter(state_az(s) for s in counted)
        victims = []
        while len(victims) < n and by_az:
            # "If one Availability Zone has more instances than others, Amazon EC2
            # Auto Scaling applies the termination policy to the imbalanced zone
            # first. If the Availability Zones are balanced, it applies the
            # termination policy across all Zones" (termination policies page):
            # among the zones tied for the most, the one holding the policy's pick.
            top = max(remaining[a] for a in by_az)
            az = min((a for a in by_az if remaining[a] == top), key=lambda a: (keyf(by_az[a][-1]), a))
            victims.append(by_az[az].pop())
            remaining[az] -= 1
            if not by_az[az]:
                del by_az[az]
        return victims

    def _policy_key(self, group):
        eng = self.eng
        now = eng.now()
        current = mixed.current_templates(group)  # the group's template and its overrides' own
        lcs = asg_backend(group.region).launch_configurations

        def info(state):
            si = eng.instances.get(state.instance.id)
            lt = getattr(state, "_sim_lt", None)
            lc = getattr(state, "_sim_lc", None)
            launched = si.launched_at if si else 0.0
            return si, lt, lc, launched

        def lc_age(lc):
            conf = lcs.get(lc)
            return conf.created_time.timestamp() if conf is not None else 0.0

        def current_lt(lt):
            return lt["LaunchTemplateId"] in current or ("name", lt.get("LaunchTemplateName")) in current

        parts = []
        for policy in list(group.termination_policies or []) + ["Default"]:
            if policy == "OldestInstance":
                parts.append(lambda s: info(s)[3])
            elif policy == "NewestInstance":
                parts.append(lambda s: -info(s)[3])
            elif policy == "OldestLaunchConfiguration":
                parts.append(lambda s: (0, lc_age(info(s)[2])) if info(s)[2] else (1, 0))
            elif policy == "OldestLaunchTemplate":
                parts.append(lambda s: ((0, 0) if not info(s)[1] or not current_lt(info(s)[1])
                                        else (1, int(info(s)[1]["Version"]))))
            elif policy == "ClosestToNextInstanceHour":
                parts.append(lambda s: -((now - info(s)[3]) % 3600))
            elif policy == "Default":
                parts.append(lambda s: 0 if info(s)[2] else 1)  # launch configurations go first
                parts.append(lambda s: 0 if info(s)[1] and not current_lt(info(s)[1]) else 1)
                # "Finally, check for instances using the oldest version of the
                # current launch template" (termination policies page above).
                parts.append(lambda s: int(info(s)[1]["Version"]) if info(s)[1] and current_lt(info(s)[1])
                             and str(info(s)[1].get("Version", "")).isdigit() else 0)
                parts.append(lambda s: -((now - info(s)[3]) % 3600))
                break
        tiebreak = {}

        def key(state):
            if state.instance.id not in tiebreak:
                tiebreak[state.instance.id] = eng.rng.random()
            return tuple(p(state) for p in parts) + (tiebreak[state.instance.id],)
        return key
