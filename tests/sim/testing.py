"""Helpers for tests that drive the simulator (the simulator's own and others')."""
import copy
import json

import requests

# Short AWS delays so a test's rollout takes a fraction of a second at time_scale 0.01.
FAST_DELAYS = {"boot": 20, "agent_register": 5, "task_start": 5, "task_deactivate": 2, "task_stop": 5,
               "terminate": 10, "deregister": 5, "health_check": 5, "launch_retry": 5, "agent_retry": 10}

AMI_OLD = "ami-0a0a0a0a0a0a0a0a0"
AMI_NEW = "ami-0b0b0b0b0b0b0b0b0"


def scenario(instances=3, tasks=6, min_healthy=100, max_percent=200, **extra):
    """One cluster `prod`, one group `prod-asg` over three AZs, one service `web`."""
    sc = {
        "region": "us-east-1",
        "seed": 11,
        "delays": dict(FAST_DELAYS),
        "clusters": [{"name": "prod"}],
        "task_definitions": [{"family": "web", "cpu": 256, "memory": 512}],
        "auto_scaling_groups": [{"name": "prod-asg", "cluster": "prod", "ami": AMI_OLD,
                                 "instance_type": "m5.large", "min": 0, "max": 12, "desired": instances,
                                 "launch_template": "prod-lt"}],
        "services": [{"cluster": "prod", "name": "web", "task_definition": "web", "desired": tasks,
                      "minimum_healthy_percent": min_healthy, "maximum_percent": max_percent}],
    }
    for k, v in extra.items():
        sc[k] = copy.deepcopy(v)
    return sc


def group(asg, name="prod-asg"):
    return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def container_instances(ecs, cluster="prod", filter=None, status=None):
    """Every container instance (described), following pagination."""
    arns, token = [], None
    while True:
        kw = {"cluster": cluster, "maxResults": 100}
        if filter:
            kw["filter"] = filter
        if status:
            kw["status"] = status
        if token:
            kw["nextToken"] = token
        out = ecs.list_container_instances(**kw)
        arns += out["containerInstanceArns"]
        token = out.get("nextToken")
        if not token:
            break
    found = []
    for i in range(0, len(arns), 100):
        found += ecs.describe_container_instances(cluster=cluster, containerInstances=arns[i:i + 100])["containerInstances"]
    return found


def tasks(ecs, cluster="prod", container_instance=None, service=None):
    """Every task ECS still shows (desired RUNNING and STOPPED), described."""
    arns = []
    for desired in ("RUNNING", "STOPPED"):
        token = None
        while True:
            kw = {"cluster": cluster, "desiredStatus": desired}
            if container_instance:
                kw["containerInstance"] = container_instance
            if service:
                kw["serviceName"] = service
            if token:
                kw["nextToken"] = token
            out = ecs.list_tasks(**kw)
            arns += out["taskArns"]
            token = out.get("nextToken")
            if not token:
                break
    found = []
    for i in range(0, len(arns), 100):
        found += ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])["tasks"]
    return found


def instance_empty(ecs, ci_arn, cluster="prod"):
    """True when no task on the container instance is in any state but STOPPED
    (the counters alone can read 0 while tasks are still DEACTIVATING/STOPPING)."""
    return all(t["lastStatus"] == "STOPPED" for t in tasks(ecs, cluster, container_instance=ci_arn))


def raw_call(sim, service, action, params=None):
    """Signs and sends one AWS request with requests; returns the requests.Response.
    ECS gets a JSON 1.1 body; other services a Query form."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    from .simulator import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY
    if service == "ecs":
        body = json.dumps(params or {})
        headers = {"Content-Type": "application/x-amz-json-1.1",
                   "X-Amz-Target": f"AmazonEC2ContainerServiceV20141113.{action}"}
    else:
        version = {"autoscaling": "2011-01-01", "ec2": "2016-11-15", "sts": "2011-06-15"}[service]
        form = {"Action": action, "Version": version}
        form.update(params or {})
        body = "&".join(f"{k}={requests.utils.quote(str(v), safe='')}" for k, v in form.items())
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    req = botocore.awsrequest.AWSRequest(method="POST", url=sim.endpoint + "/", data=body, headers=headers)
    creds = botocore.credentials.Credentials(DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY)
    botocore.auth.SigV4Auth(creds, service, sim.region).add_auth(req)
    return requests.post(sim.endpoint + "/", data=body, headers=dict(req.headers.items()), timeout=30)


def control(sim, method, path, body=None):
    r = requests.request(method, sim.endpoint + path, json=body, timeout=30)
    return r.status_code, r.json()


def iam_user(sim, name, policy):
    """An IAM user holding one inline policy (a dict or JSON text); returns
    (access key id, secret). For Simulator(iam_auth=True)."""
    iam = sim.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy",
                        PolicyDocument=policy if isinstance(policy, str) else json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def client_as(sim, service, key_id, secret, session_token=None):
    """A boto3 client of the simulator signing with the given credentials, no retries."""
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=sim.endpoint, region_name=sim.region, aws_access_key_id=key_id,
                        aws_secret_access_key=secret, aws_session_token=session_token,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def advance(sim, aws_seconds):
    """Lets `aws_seconds` of AWS time pass at once, running every event in order
    (as Engine.settle does), whatever the machine's load."""
    eng = sim.engine
    with eng.lock:
        target = eng.now() + aws_seconds
        while True:
            eng.step(rounds=1000)
            due = eng.clock.next_due()
            now = eng.now()
            if due is None or due > target:
                eng.clock.fast_forward(max(0.0, target - now))
                eng.step(rounds=1000)
                return
            eng.clock.fast_forward(max(0.0, due - now))
