"""Patches to moto 5.2.1, installed once per process by the Simulator.

Each patch is either a moto defect (named in its comment) or the hook through
which the simulation takes over what AWS does in the background. With no
active engine (engine.ACTIVE is None) every patched function behaves as moto's."""
import copy

from . import asg_api, capacity_providers, ecs_api, group_audit, moto_speed, scaling
from .engine import active

_INSTALLED = False
ORIGINAL = {}


def install():
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _patch_ec2()
    _patch_security_groups()
    _patch_autoscaling()
    _patch_ecs()
    _patch_iam()
    moto_speed.install()  # after _patch_ec2: wraps its get_instance


def _wrap_handlers(cls, handlers, originals):
    """Replaces response-class actions; moto's own stay reachable in `originals`."""
    for name, fn in handlers.items():
        orig = cls.__dict__.get(name)
        originals[name] = orig

        def handler(self, _fn=fn, _orig=orig, _name=name):
            if active() is None:
                if _orig is None:
                    raise NotImplementedError(f"The {_name} action has not been implemented")
                return _orig(self)
            return _fn(self)
        handler.__name__ = name
        setattr(cls, name, handler)


def _patch_iam():
    """moto 5 knows AWS's managed policies but leaves them out unless
    MOTO_IAM_LOAD_MANAGED_POLICIES is set, so attaching one (the ecs-cluster
    module attaches AmazonEC2ContainerServiceforEC2Role) failed with
    NoSuchEntity. The simulator always has them, as AWS does; their 4 MB of JSON
    is parsed once per process, not at every reset."""
    import json
    from moto.iam import models as iam_models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    orig_init = iam_models.IAMBackend._init_aws_policies
    parsed = {}
    # Performance: every partition's backend is made at a simulator's first
    # request (moto looks the access key up in all seven), 1,400 policies each.
    # They are built once per process and account and partition, then copied:
    # what a backend may change (versions, tags, attachment counts) is its own.
    built = {}

    def _init_aws_policies(self):
        if active() is None:
            return orig_init(self)
        key = (self.account_id, self.region_name)
        if key not in built or not moto_speed.ENABLED:
            if "policies" not in parsed:
                parsed["policies"] = json.loads(aws_managed_policies_data)
            built[key] = [iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                          for name, data in parsed["policies"].items()]
        return [_copy_managed_policy(p) for p in built[key]]
    iam_models.IAMBackend._init_aws_policies = _init_aws_policies


def _shallow_copy(obj):
    new = type(obj).__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


def _copy_managed_policy(policy):
    new = _shallow_copy(policy)
    new.tags = copy.deepcopy(policy.tags)
    new.versions = [_shallow_copy(v) for v in policy.versions]
    return new


def _patch_ec2():
    from moto.core.types import Base64EncodedString
    from moto.ec2.exceptions import InvalidParameterCombination, OperationNotPermitted4
    from moto.ec2.models.instances import InstanceBackend
    from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion
    from moto.ec2.utils import parse_user_data

    orig_run = InstanceBackend.run_instances
    ORIGINAL["run_instances"] = orig_run

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
        res = orig_run(self, image_id, count, user_data, security_group_names, **kwargs)
        eng = active()
        if eng is not None:
            eng.fleet.on_instances_created(res.instances, self.region_name)
        return res
    InstanceBackend.run_instances = run_instances

    orig_terminate = InstanceBackend.terminate_instances

    def terminate_instances(self, instance_ids):
        # moto terminates at once; EC2 takes a while (shutting-down, then terminated),
        # and Auto Scaling only notices on its next health check.
        eng = active()
        if eng is None:
            return orig_terminate(self, instance_ids)
        if not instance_ids:
            raise InvalidParameterCombination("No instances specified")
        out = []
        for inst in self.get_multi_instances_by_id(instance_ids):
            if inst.disable_api_termination is True:
                raise OperationNotPermitted4(inst.id)
            prev = copy.copy(inst._state)
            si = eng.instances.get(inst.id)
            if si is None:
                inst.terminate()
            elif si.alive():
                eng.fleet.on_ec2_terminate(si)
            out.append((inst, prev))
        return out
    InstanceBackend.terminate_instances = terminate_instances

    orig_get = InstanceBackend.get_instance

    def get_instance(self, instance_id):
        # Performance: moto scans (and copies) every reservation per lookup.
        eng = active()
        if eng is not None:
            si = eng.instances.get(instance_id)
            if si is not None and si.inst.ec2_backend is self:
                return si.inst
        return orig_get(self, instance_id)
    InstanceBackend.get_instance = get_instance

    orig_create_version = LaunchTemplate.create_version

    def create_version(self, data, description):
        # moto 5.2 defect: CreateLaunchTemplateVersion keeps UserData as a plain str while
        # LaunchTemplateVersion.user_data asserts a Base64EncodedString, so every launch
        # from such a version fails (SetDesiredCapacity after the Terraform provider
        # changed a template that has user data: "AssertionError", HTTP 500).
        ud = data.get("UserData") if isinstance(data, dict) else None
        if ud is not None and not isinstance(ud, Base64EncodedString):
            data = dict(data, UserData=parse_user_data(ud))
        return orig_create_version(self, data, description)
    LaunchTemplate.create_version = create_version

    from moto.ec2.responses.launch_templates import LaunchTemplates
    orig_cltv = LaunchTemplates.create_launch_template_version

    def create_launch_template_version(self):
        # moto 5.2 defect: SourceVersion is ignored, so a version made from another one
        # with only a new ImageId loses the user data, instance type, security groups...
        # AWS starts from the source version's data and applies the given fields.
        source = self._get_param("SourceVersion")
        if active() is None or not source:
            return orig_cltv(self)
        name, tmpl_id = self._get_param("LaunchTemplateName"), self._get_param("LaunchTemplateId")
        template = (self.ec2_backend.get_launch_template(tmpl_id) if tmpl_id
                    else self.ec2_backend.get_launch_template_by_name(name))
        base = copy.deepcopy(template.get_version(source).data)
        base.update(self._get_param("LaunchTemplateData", {}))
        params = self._get_params()
        params["LaunchTemplateData"] = base
        orig_get_param = self._get_param

        def get_param(key, default=None, *args, **kwargs):
            if key == "LaunchTemplateData":
                return copy.deepcopy(base)
            return orig_get_param(key, default, *args, **kwargs)
        self._get_param = get_param
        try:
            return orig_cltv(self)
        finally:
            del self._get_param
    LaunchTemplates.create_launch_template_version = create_launch_template_version

    def user_data(self):
        ud = self.data.get("UserData")
        if ud is not None and not isinstance(ud, Base64EncodedString):
            ud = self.data["UserData"] = parse_user_data(ud)
        return ud
    LaunchTemplateVersion.user_data = property(user_data)


def _patch_security_groups():
    """moto defect: CreateSecurityGroup with a VpcId that does not exist made a
    group without the default egress rule (its constructor adds it only when
    it finds the VPC), and the AWS provider's next call, revoking that rule,
    failed with InvalidPermission.NotFound. AWS refuses the create with
    InvalidVpcID.NotFound (EC2 API Reference, CreateSecurityGroup and "Error
    codes for the Amazon EC2 API":
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)."""
    from moto.ec2.exceptions import InvalidVPCIdError
    from moto.ec2.models.security_groups import SecurityGroupBackend

    orig = SecurityGroupBackend.create_security_group

    def create_security_group(self, name, description, vpc_id=None, *args, **kwargs):
        if vpc_id and vpc_id not in self.vpcs:
            raise InvalidVPCIdError(vpc_id)
        return orig(self, name, description, vpc_id, *args, **kwargs)
    SecurityGroupBackend.create_security_group = create_security_group


def _patch_autoscaling():
    from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState, LifecycleHook

    from .lifecycle import global_timeout
    from moto.autoscaling.responses import AutoScalingResponse

    orig_lt = InstanceState.launch_template

    def launch_template(self):
        # moto 5.2 defect: every instance reports the group's *current* launch template
        # and its *default* version, so instances launched from an older version look
        # current. AWS reports the version each instance was launched with.
        if hasattr(self, "_sim_lt"):
            return self._sim_lt
        return orig_lt.fget(self)
    InstanceState.launch_template = property(launch_template)

    orig_group_lt = FakeAutoScalingGroup.launch_template

    def group_launch_template(self):
        # moto 5.2 defect: a group updated to a mixed instances policy kept reporting
        # its former LaunchTemplate next to the policy. A group launches from one of
        # a launch configuration, a launch template or a mixed instances policy
        # (API_CreateAutoScalingGroup.html); with the policy its template is the
        # policy's, and DescribeAutoScalingGroups has no LaunchTemplate of the group.
        if self.mixed_instances_policy:
            return None
        return orig_group_lt.fget(self)
    FakeAutoScalingGroup.launch_template = property(group_launch_template)

    orig_lc = InstanceState.launch_configuration_name

    def launch_configuration_name(self):
        # moto 5.2 defect: likewise the group's current launch configuration.
        if hasattr(self, "_sim_lc"):
            return self._sim_lc
        return orig_lc.fget(self)
    InstanceState.launch_configuration_name = property(launch_configuration_name)

    def hook_global_timeout(self):
        # moto 5.2 defect: GlobalTimeout is always 172800; AWS's is the smaller of
        # 48 hours and 100 x HeartbeatTimeout (API_LifecycleHook).
        return int(global_timeout(self.heartbeat_timeout))
    LifecycleHook.global_timeout = property(hook_global_timeout, lambda self, value: None)

    orig_group_desired = FakeAutoScalingGroup.set_desired_capacity

    def group_set_desired_capacity(self, new_capacity):
        # moto launches and terminates on the spot (InService at once) and counts only
        # InService instances; the fleet reconciles over time instead.
        eng = active()
        if eng is None:
            return orig_group_desired(self, new_capacity)
        self.desired_capacity = self.min_size if new_capacity is None else new_capacity
        eng.mark_group(self.region, self.name)
    FakeAutoScalingGroup.set_desired_capacity = group_set_desired_capacity

    orig_backend_desired = AutoScalingBackend.set_desired_capacity

    def backend_set_desired_capacity(self, group_name, desired_capacity):
        eng = active()
        if eng is None:
            return orig_backend_desired(self, group_name, desired_capacity)
        group = self.autoscaling_groups[group_name]
        eng.fleet.set_desired(group, desired_capacity, "scaling policy")
    AutoScalingBackend.set_desired_capacity = backend_set_desired_capacity

    orig_notify = AutoScalingBackend.notify_terminate_instances

    def notify_terminate_instances(self, instance_ids):
        # moto replaces EC2-terminated group members at once; the fleet's health check does.
        if active() is None:
            return orig_notify(self, instance_ids)
    AutoScalingBackend.notify_terminate_instances = notify_terminate_instances

    orig_create = AutoScalingResponse.create_auto_scaling_group

    def create_auto_scaling_group(self):
        result = orig_create(self)
        eng = active()
        if eng is not None:
            group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            eng.ledger.event("group_created", group=group.name, desired=group.desired_capacity,
                             min=group.min_size, max=group.max_size)
            eng.mark_group(group.region, group.name)
        return result
    AutoScalingResponse.create_auto_scaling_group = create_auto_scaling_group

    # Changes after which the group must be looked at again.
    for action in ("suspend_processes", "resume_processes", "set_instance_protection", "put_lifecycle_hook",
                   "delete_lifecycle_hook", "put_scaling_policy", "execute_policy"):
        _mark_group_after(AutoScalingResponse, action)

    _wrap_handlers(AutoScalingResponse, asg_api.HANDLERS, asg_api.ORIGINAL)
    scaling.install()  # policies' alarms, scheduled actions


def _mark_group_after(cls, action):
    orig = getattr(cls, action)

    def handler(self):
        result = orig(self)
        eng = active()
        name = self._get_param("AutoScalingGroupName")
        if eng is not None and name:
            eng.ledger.event("group_changed", group=name, action=action)
            if action == "set_instance_protection":
                # Who changed protection, for the group audit (ECS changes it too).
                group_audit.note_protection_call(eng, name, self._get_param("InstanceIds", []),
                                                 self._get_bool_param("ProtectedFromScaleIn"))
            eng.mark_group(self.region, name)
        return result
    handler.__name__ = action
    setattr(cls, action, handler)


def _patch_ecs():
    from moto.ecs.models import Task
    from moto.ecs.responses import EC2ContainerServiceResponse, format_attributes

    def get_status(self):
        # moto advances tasks through a state machine each time DescribeTasks reads them;
        # the scheduler owns lastStatus here.
        return self._status

    def set_status(self, value):
        self._status = value
    Task.last_status = property(get_status, set_status)

    # moto formats container instance attributes only in some responses.
    paths = dict(EC2ContainerServiceResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER)
    for action in ("UpdateContainerInstancesState", "DeregisterContainerInstance"):
        key = "containerInstances" if action == "UpdateContainerInstancesState" else "containerInstance"
        suffix = ".ContainerInstance.attributes" if key == "containerInstances" else ".attributes"
        paths[f"{action}Response.{key}{suffix}"] = format_attributes
    EC2ContainerServiceResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER = paths

    orig_register = EC2ContainerServiceResponse.register_container_instance

    def register_container_instance(self):
        # A client acting as an ECS agent: index what moto registered.
        result = orig_register(self)
        eng = active()
        if eng is not None:
            for per_cluster in self.ecs_backend.container_instances.values():
                for ci in per_cluster.values():
                    if not hasattr(ci, "_sim_tasks"):
                        eng.agent.adopt(ci, eng.instances.get(ci.ec2_instance_id))
        return result
    EC2ContainerServiceResponse.register_container_instance = register_container_instance

    _wrap_handlers(EC2ContainerServiceResponse, ecs_api.HANDLERS, ecs_api.ORIGINAL)
    capacity_providers.install()  # managed scaling, protection and draining
