"""Performance patches to moto 5.2.1: what made launching instances cost time
proportional to the fleet (so doubling 1,000 instances took a minute of
simulator time, with the engine lock held, while AWS answers at once).
Behaviour is moto's own; only the cost changes. Installed by
moto_patches.install()."""

_INSTALLED = False


def install():
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _patch_get_instance_fallback()
    _patch_offering_filters()


def _patch_get_instance_fallback():
    """moto's get_instance copies every reservation of the region and scans
    them all. moto_patches answers from the engine's index, but an instance
    still being created (RunInstances attaching its root volume looks itself
    up) is not indexed yet: look through the reservations newest first,
    without copying; it is in the last one."""
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models.instances import InstanceBackend

    indexed = InstanceBackend.get_instance  # moto_patches' (engine index, then moto's)

    def get_instance(self, instance_id):
        from .engine import active
        eng = active()
        if eng is None:
            return indexed(self, instance_id)
        si = eng.instances.get(instance_id)
        if si is not None and si.inst.ec2_backend is self:
            return si.inst
        for reservation in reversed(self.reservations.values()):
            for inst in reservation.instances:
                if inst.id == instance_id:
                    return inst
        raise InvalidInstanceIdError(instance_id)
    InstanceBackend.get_instance = get_instance


def _patch_offering_filters():
    """RunInstances checks the instance type against the offerings of the
    Region one by one (500+ before m5), each through moto's closure and
    generator, on every launch. The one-filter case it uses is answered
    directly, with moto's own expression."""
    from moto.ec2.models.instance_types import InstanceTypeOfferingBackend

    orig = InstanceTypeOfferingBackend.matches_filters

    def matches_filters(self, offering, filters, location_type):
        if len(filters) == 1 and "instance-type" in filters:
            return offering.get("InstanceType") in filters["instance-type"]
        return orig(self, offering, filters, location_type)
    InstanceTypeOfferingBackend.matches_filters = matches_filters
