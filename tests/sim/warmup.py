"""What a simulator's first start in a process parses that no run changes:
AWS's service models (botocore's JSON, 1-5 MB each for EC2, IAM, Auto Scaling)
in the places the simulator loads them - moto's serializers, moto's
per-service Region lists - and fastjson's ECS model (boto3's default session is
left alone: it reads the environment of the program that makes it). A process that
starts simulators from a parent which warmed these (tests/lib/forkserver.py)
finds them parsed: 0.7 CPU seconds less per test program. Only caches of
immutable data are filled; no backend, no moto state is made."""

# The services a simulator's backends and clients use (httpserver.prewarm, scaling's alarms).
SERVICES = ("ec2", "autoscaling", "ecs", "iam", "sts", "ssm", "elbv2", "cloudwatch")


# What a simulator's first start imports (moto_patches.install, the HTTP front's
# Flask apps, the backends the scenario touches, the engine's parts): 188 modules,
# ~0.3 CPU s of each test program's first start when imported in the child.
MODULES = tuple(f"moto.{s}.{m}" for s in SERVICES + ("elb",) for m in ("models", "responses", "urls")) + (
    "moto.moto_server.werkzeug_app", "moto.events.models", "moto.s3.models", "moto.secretsmanager.models",
    "sim.ecs_agent", "sim.ecs_scheduler", "sim.ecs_tasks", "sim.fastdispatch", "sim.instance_types",
    "moto.iam.access_control", "sim.refresh", "sim.scenario_asg")


def import_modules():
    """Imports MODULES (code only: importing them makes no backend and no moto state)."""
    import importlib
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # the first start imports what it needs, as before


def warm_caches():
    import_modules()
    from moto.core.base_backend import AccountSpecificBackend
    from moto.core.utils import get_service_model

    from . import fastjson
    moto_session = AccountSpecificBackend.get_session()
    for service in SERVICES:
        get_service_model(service)
        for partition in moto_session.get_available_partitions():
            moto_session.get_available_regions(service, partition_name=partition)
    fastjson._shape("ContainerInstance")


class SharedRegionLists:
    """While the package imports moto: boto3 Session().get_available_regions
    answered from one session. moto's EC2 module makes three sessions at import,
    each parsing botocore's endpoint data anew (0.5 CPU s of every program that
    imports the simulator); the lists are the same. Undone on exit."""

    def __enter__(self):
        import boto3
        self._orig = orig = boto3.Session.get_available_regions
        session, answers = boto3.Session(), {}

        def get_available_regions(_self, service_name, partition_name="aws", allow_non_regional=False):
            key = (service_name, partition_name, allow_non_regional)
            if key not in answers:
                answers[key] = orig(session, *key)
            return list(answers[key])
        boto3.Session.get_available_regions = get_available_regions
        return self

    def __exit__(self, *exc):
        import boto3
        boto3.Session.get_available_regions = self._orig
