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


def warm_caches():
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
