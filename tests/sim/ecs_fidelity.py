"""How faithfully the ECS API answers, and the transient states AWS's answers
show now and then.

API fidelity ("aws", the default, or "moto"; a scenario's `api_fidelity`, the
Simulator's `api_fidelity=` or the SIM_API_FIDELITY environment variable). With
"moto" the list and describe calls answer as moto 5.2 and LocalStack do rather
than as ECS documents them (ECS API Reference, ListContainerInstances and
ListTasks, Request Parameters):

- ListContainerInstances ignores `filter` and `status`: every container
  instance registered with the cluster comes back, other groups' and DRAINING
  ones included (moto's ecs/models.py list_container_instances);
- ListContainerInstances and ListTasks ignore `maxResults`/`nextToken`: one
  page with everything, no nextToken;
- ListTasks ignores `serviceName` (moto: "We can't filter on service_name");
- DescribeContainerInstances and DescribeTasks answer once per reference, so a
  reference given twice comes back twice, and leave out optional fields moto
  does not fill (OPTIONAL_* below).

Transient states (cluster faults, see faults.py):
- `describe_missing`: DescribeContainerInstances/DescribeTasks put existing
  items in `failures` with reason MISSING (ECS API Reference, Failure: "MISSING"
  is what ECS answers for a resource it cannot find at that moment, e.g. just
  registered: ECS is eventually consistent, "Amazon ECS API request eventual
  consistency", ECS Developer Guide);
- `list_lag`: a container instance registered during the run less than N AWS
  seconds ago is not yet listed by ListContainerInstances (the same
  eventual-consistency page).
"""
import os

FIDELITIES = ("aws", "moto")

# Optional members of the ECS shapes (botocore ecs/2014-11-13 service-2.json)
# that moto 5.2 leaves out or that a compatible endpoint may omit.
OPTIONAL_CI = ("registeredAt", "versionInfo", "agentUpdateStatus", "capacityProviderName", "attachments",
               "healthStatus", "tags")
OPTIONAL_TASK = ("availabilityZone", "connectivity", "connectivityAt", "healthStatus", "pullStartedAt",
                 "pullStoppedAt", "stopCode", "stoppingAt", "executionStoppedAt", "version",
                 "capacityProviderName")


class FidelityError(ValueError):
    pass


def resolve(explicit=None, scenario=None):
    """The fidelity in force: the Simulator's argument, else the scenario's, else
    SIM_API_FIDELITY, else "aws"."""
    for source, value in (("api_fidelity", explicit), ("scenario api_fidelity", scenario),
                          ("SIM_API_FIDELITY", os.environ.get("SIM_API_FIDELITY") or None)):
        if value is not None:
            if value not in FIDELITIES:
                raise FidelityError(f"{source} must be one of {list(FIDELITIES)}, got {value!r}")
            return value
    return "aws"


def moto(eng):
    return getattr(eng, "api_fidelity", "aws") == "moto"


def strip(items, optional):
    for item in items:
        for key in optional:
            item.pop(key, None)
    return items


def lagging(eng, ci):
    """True while a container instance registered during the run (not one of the
    scenario's) is not yet listed."""
    lag = eng.faults.cluster_value("list_lag")
    if not lag:
        return False
    registered = getattr(ci, "_sim_registered_t", -1e9)
    return registered > eng.ledger.t0 and eng.now() - registered < lag


def take_missing(eng, kind, ref):
    """True if this existing item is answered as a MISSING failure this time."""
    if not eng.faults.roll_missing():
        return False
    eng.ledger.event("fault_describe_missing", call=kind, item=ref)
    return True
