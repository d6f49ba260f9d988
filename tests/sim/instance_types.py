"""What an ECS container instance registers as its resources, by instance type.

CPU is 1024 units per vCPU. Memory is what the ECS agent reports: the instance's
memory minus what the operating system and the agent keep (the agent registers
roughly 94-97 % of the nominal memory on the ECS-optimized AMIs)."""
import re

# vCPUs and nominal MiB of the types people run ECS clusters on.
_KNOWN = {
    "t2.nano": (1, 512), "t2.micro": (1, 1024), "t2.small": (1, 2048),
    "t2.medium": (2, 4096), "t2.large": (2, 8192), "t2.xlarge": (4, 16384),
    "t3.nano": (2, 512), "t3.micro": (2, 1024), "t3.small": (2, 2048),
    "t3.medium": (2, 4096), "t3.large": (2, 8192), "t3.xlarge": (4, 16384),
    "t3.2xlarge": (8, 32768),
    "t3a.medium": (2, 4096), "t3a.large": (2, 8192), "t3a.xlarge": (4, 16384),
    "t4g.nano": (2, 512), "t4g.micro": (2, 1024), "t4g.small": (2, 2048),
    "t4g.medium": (2, 4096), "t4g.large": (2, 8192),
}

# Memory per vCPU (GiB) of the families beyond the burstable ones.
_FAMILY_GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8, "x": 16, "z": 8, "i": 8, "d": 8}

_SIZE_VCPUS = {"medium": 1, "large": 2, "xlarge": 4, "metal": 96}


def nominal(instance_type):
    """(vcpus, MiB) of an instance type; unknown types get a size-based guess."""
    itype = (instance_type or "").strip().lower()
    if itype in _KNOWN:
        return _KNOWN[itype]
    family, _, size = itype.partition(".")
    m = re.fullmatch(r"(\d+)xlarge", size)
    if m:
        vcpus = 4 * int(m.group(1))
    else:
        vcpus = _SIZE_VCPUS.get(size, 2)
    gib = _FAMILY_GIB_PER_VCPU.get(family[:1], 4)
    return vcpus, vcpus * gib * 1024


def registered_resources(instance_type):
    """(cpu units, memory MiB) the ECS agent registers for this type."""
    vcpus, mib = nominal(instance_type)
    reserved = max(256, int(mib * 0.04)) if mib > 1024 else int(mib * 0.1)
    return vcpus * 1024, mib - reserved


def architecture(instance_type):
    """x86_64 or arm64 (Graviton families end in g: m6g, c7g, t4g...)."""
    family = (instance_type or "").split(".")[0].lower()
    m = re.fullmatch(r"[a-z]+\d+([a-z]*)", family)
    return "arm64" if m and "g" in m.group(1) else "x86_64"
