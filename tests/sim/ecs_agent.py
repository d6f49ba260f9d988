"""The ECS container agent on each instance: registers the instance with the
cluster named in its user data once it has booted, and goes away with it.

A registered container instance carries the attributes the real agent reports
(ecs.ami-id of the AMI the instance really runs, its availability zone and
instance type, ...) and resources by instance type. When the EC2 instance shuts
down, the agent disconnects at once; after the `deregister` delay ECS marks its
tasks STOPPED and the container instance INACTIVE."""
from moto.core.utils import utcnow
from moto.ecs.models import ContainerInstance

from . import ecs_disruptions, instance_types
from .engine import asg_backend, ecs_backend

AGENT_VERSION = {"agentVersion": "1.89.2", "agentHash": "b4d3e5a1",
                 "dockerVersion": "DockerVersion: 25.0.6"}
RESERVED_PORTS = ["22", "2375", "2376", "51678", "51679"]


def _resource(name, value):
    return {"doubleValue": 0.0, "integerValue": value, "longValue": 0, "name": name, "type": "INTEGER"}


def _ports(name, ports):
    return {"doubleValue": 0.0, "integerValue": 0, "longValue": 0, "name": name,
            "stringSetValue": list(ports), "type": "STRINGSET"}


class Agent:
    def __init__(self, eng):
        self.eng = eng

    def instance_booted(self, si):
        if si.never_register:
            si.register_note = "fault: the ECS agent never registers"
            return
        self.eng.schedule(self.eng.delay("agent_register"), self.register, si)

    def register(self, si):
        eng = self.eng
        if si.phase != "running" or si.ci_id is not None or si.never_register:
            return
        ecs = ecs_backend(si.region)
        name = si.cluster or "default"
        cluster = ecs.clusters.get(name)
        if cluster is None or cluster.status != "ACTIVE":
            note = f"cluster {name} not found" + ("" if si.cluster else " (no ECS_CLUSTER in user data)")
            if note != si.register_note:
                si.register_note = note
                eng.ledger.event("agent_register_failed", instance=si.id, cluster=name, reason=note)
            eng.schedule(eng.delay("agent_retry"), self.register, si)
            return
        ci = ContainerInstance(si.id, ecs.account_id, si.region, name, backend=ecs)
        cpu, mem = instance_types.registered_resources(si.itype)
        ci.registered_resources = [_resource("CPU", cpu), _resource("MEMORY", mem),
                                   _ports("PORTS", RESERVED_PORTS), _ports("PORTS_UDP", [])]
        ci.remaining_resources = [_resource("CPU", cpu), _resource("MEMORY", mem),
                                  _ports("PORTS", RESERVED_PORTS), _ports("PORTS_UDP", [])]
        inst = si.inst
        attrs = {
            "ecs.ami-id": inst.image_id,
            "ecs.availability-zone": si.az,
            "ecs.instance-type": si.itype,
            "ecs.os-type": "windows" if inst.platform == "windows" else "linux",
            "ecs.cpu-architecture": instance_types.architecture(si.itype),
        }
        if inst.subnet_id:
            attrs["ecs.subnet-id"] = inst.subnet_id
        vpc = inst.vpc_id
        if vpc:
            attrs["ecs.vpc-id"] = vpc
        attrs.update(ecs_disruptions.instance_attributes(si))
        ci.attributes = attrs
        ci.version_info = dict(AGENT_VERSION)
        ci.registered_at = utcnow()
        provider = self._capacity_provider(si, ecs)
        if provider:
            ci.capacity_provider_name = provider
        ecs.container_instances.setdefault(name, {})[ci.id] = ci
        cluster.registered_container_instances_count += 1
        self.adopt(ci, si)

    def adopt(self, ci, si=None):
        """Indexes a container instance (ours, or one a client registered through the API)."""
        eng = self.eng
        res = {r["name"]: r for r in ci.registered_resources}
        ci.agent_update_status = None
        ci.version = getattr(ci, "version", 1)
        ci._sim_instance = ci.ec2_instance_id
        ci._sim_az = ci.attributes.get("ecs.availability-zone") or (si.az if si else None)
        ci._sim_tasks = set()
        ci._sim_cpu = res["CPU"]["integerValue"]
        ci._sim_mem = res["MEMORY"]["integerValue"]
        ci._sim_ports = set(res.get("PORTS", {}).get("stringSetValue") or RESERVED_PORTS)
        ci._sim_registered_t = eng.now()
        ci._sim_draining_t = None
        eng.cis[ci.id] = ci
        eng.ci_by_ec2[ci.ec2_instance_id] = ci.id
        if si is not None:
            si.ci_id = ci.id
            si.register_note = None
        eng.ledger.event("container_instance_registered", instance=ci.ec2_instance_id, cluster=ci.cluster_name,
                         container_instance=ci.container_instance_arn, ami=ci.attributes.get("ecs.ami-id"))
        eng.mark_cluster(ci.region_name, ci.cluster_name)

    @staticmethod
    def _capacity_provider(si, ecs):
        """The capacity provider whose Auto Scaling group launched the instance, if any."""
        name = si.group or si.was_group
        group = asg_backend(si.region).autoscaling_groups.get(name) if name else None
        if group is None:
            return None
        for cp in ecs.capacity_providers.values():
            arn = (cp.auto_scaling_group_provider or {}).get("autoScalingGroupArn")
            if arn in (group.arn, group.name):
                return cp.name
        return None

    def instance_down(self, si, cause):
        """The instance is shutting down: the agent and every container die now."""
        eng = self.eng
        ci = eng.cis.get(si.ci_id) if si.ci_id else None
        if ci is None:
            return
        ci.agent_connected = False
        for tid in list(ci._sim_tasks):
            task = eng.tasks.get(tid)
            if task is not None and task._status != "STOPPED":
                eng.sched.kill(task, si, cause)
        eng.schedule(eng.delay("deregister"), self.deregister_dead, ci, si)

    def deregister_dead(self, ci, si):
        if ci.status == "INACTIVE":
            return
        self.eng.sched.host_gone(ci, f"Host EC2 (instance {si.id}) terminated.")
        self.deregister(ci, "instance terminated")

    def deregister(self, ci, why):
        """ECS forgets the container instance: INACTIVE, out of ListContainerInstances."""
        eng = self.eng
        region = ci.region_name
        ecs = ecs_backend(region)
        ci.status = "INACTIVE"
        ci.agent_connected = False
        ci.version = getattr(ci, "version", 1) + 1
        per_cluster = ecs.container_instances.get(ci.cluster_name, {})
        if per_cluster.get(ci.id) is ci:
            del per_cluster[ci.id]
            cluster = ecs.clusters.get(ci.cluster_name)
            if cluster is not None:
                cluster.registered_container_instances_count -= 1
        eng.ledger.event("container_instance_deregistered", instance=ci.ec2_instance_id,
                         container_instance=ci.container_instance_arn, reason=why)
        eng.mark_cluster(region, ci.cluster_name)
