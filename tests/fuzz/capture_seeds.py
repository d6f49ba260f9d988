#!/usr/bin/env python3
"""Captures the seed corpora of the fuzz targets from real answers: starts
moto_server on a free loopback port, builds a small ECS-on-EC2 cluster in it
(launch template, Auto Scaling group, instances registered as container
instances, a service and tasks, a capacity provider), makes every call the
helper makes plus failing ones, and writes each raw answer under
tests/fuzz/corpus/<target>/ in the form that target reads.

Run it again (python3 tests/fuzz/capture_seeds.py) after a moto upgrade or a
new call; it rewrites only the files whose names start with "moto-".
"""
import base64
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import botocore.config

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
REGION = "us-east-1"

captured = []  # (service, operation, status, headers, body)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_before_parse(operation_model, response_dict, **_):
    captured.append((operation_model.service_model.endpoint_prefix, operation_model.name,
                     response_dict["status_code"], dict(response_dict["headers"]),
                     response_dict["body"]))


def clients(url):
    session = boto3.session.Session(aws_access_key_id="AKIDSEEDS0000000001",
                                    aws_secret_access_key="seedsSecretKey/0123456789abcdefghij",
                                    region_name=REGION)
    cfg = botocore.config.Config(retries={"max_attempts": 1})
    out = {}
    for name in ("autoscaling", "ec2", "ecs", "sts", "iam"):
        c = session.client(name, endpoint_url=url, config=cfg)
        c.meta.events.register("before-parse", on_before_parse)
        out[name] = c
    return out


def maybe_error(fn, **kw):
    """A call meant to fail on real AWS; moto accepts some of them. Either
    way the answer is captured."""
    try:
        fn(**kw)
    except Exception:
        pass


def build_and_call(c):
    ec2, asg, ecs, sts, iam = c["ec2"], c["autoscaling"], c["ecs"], c["sts"], c["iam"]
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    lt = ec2.create_launch_template(
        LaunchTemplateName="ecs-nodes",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.small",
                            "UserData": base64.b64encode(b"#!/bin/sh\necho ECS_CLUSTER=prod\n").decode()})
    lt_id = lt["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=lt_id, SourceVersion="1",
                                       LaunchTemplateData={"ImageId": ami})
    ec2.describe_launch_templates(LaunchTemplateIds=[lt_id])
    ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=["$Latest"])
    ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=["$Default", "2"])
    asg.create_auto_scaling_group(
        AutoScalingGroupName="prod-ecs", MinSize=1, MaxSize=4, DesiredCapacity=2,
        LaunchTemplate={"LaunchTemplateId": lt_id, "Version": "$Latest"},
        AvailabilityZones=["us-east-1a", "us-east-1b"],
        Tags=[{"Key": "ecs-rollout:state", "Value": '{"v":1,"phase":"drain"}',
               "PropagateAtLaunch": False, "ResourceId": "prod-ecs",
               "ResourceType": "auto-scaling-group"},
              {"Key": "Name", "Value": "prod-ecs node", "PropagateAtLaunch": True,
               "ResourceId": "prod-ecs", "ResourceType": "auto-scaling-group"}])
    asg.suspend_processes(AutoScalingGroupName="prod-ecs", ScalingProcesses=["AZRebalance"])
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["prod-ecs"])
    ids = [i["InstanceId"] for i in groups["AutoScalingGroups"][0]["Instances"]]
    asg.set_instance_protection(AutoScalingGroupName="prod-ecs", InstanceIds=ids[:1],
                                ProtectedFromScaleIn=True)
    asg.describe_auto_scaling_groups(AutoScalingGroupNames=["prod-ecs"])
    asg.describe_auto_scaling_groups(AutoScalingGroupNames=["no-such-group"])
    asg.create_or_update_tags(Tags=[{"Key": "ecs-rollout:lock", "Value": "run-1",
                                     "PropagateAtLaunch": False, "ResourceId": "prod-ecs",
                                     "ResourceType": "auto-scaling-group"}])
    asg.set_desired_capacity(AutoScalingGroupName="prod-ecs", DesiredCapacity=3,
                             HonorCooldown=False)
    maybe_error(asg.set_desired_capacity, AutoScalingGroupName="no-such-group",
                 DesiredCapacity=1)
    maybe_error(asg.update_auto_scaling_group, AutoScalingGroupName="prod-ecs", MinSize=5,
                 MaxSize=2)
    ec2.describe_instances(InstanceIds=ids)
    maybe_error(ec2.describe_instances, InstanceIds=["i-00000000000000000"])
    maybe_error(ec2.describe_instances, InstanceIds=["not-an-id"])
    maybe_error(ec2.describe_launch_templates, LaunchTemplateNames=["missing"])

    ecs.create_cluster(clusterName="prod")
    cp = ecs.create_capacity_provider(
        name="prod-cp",
        autoScalingGroupProvider={"autoScalingGroupArn": groups["AutoScalingGroups"][0]["AutoScalingGroupARN"],
                                  "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
                                  "managedTerminationProtection": "DISABLED"})
    ecs.describe_capacity_providers(capacityProviders=["prod-cp"])
    for iid in ids:
        doc = json.dumps({"instanceId": iid, "region": REGION, "availabilityZone": "us-east-1a",
                          "imageId": ami, "instanceType": "t3.small"})
        ecs.register_container_instance(
            cluster="prod", instanceIdentityDocument=doc,
            totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                            {"name": "MEMORY", "type": "INTEGER", "integerValue": 1900}],
            attributes=[{"name": "ecs.ami-id", "value": ami},
                        {"name": "ecs.availability-zone", "value": "us-east-1a"},
                        {"name": "ecs.instance-type", "value": "t3.small"}])
    ecs.describe_clusters(clusters=["prod"])
    ecs.describe_clusters(clusters=["prod", "gone"], include=["STATISTICS"])
    arns = ecs.list_container_instances(cluster="prod")["containerInstanceArns"]
    ecs.list_container_instances(cluster="prod", status="ACTIVE", maxResults=1)
    ecs.describe_container_instances(cluster="prod", containerInstances=arns + ["missing-ci"])
    ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 128, "essential": True}])
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web", desiredCount=2,
                       deploymentConfiguration={"minimumHealthyPercent": 50,
                                                "maximumPercent": 200})
    ecs.run_task(cluster="prod", taskDefinition="web", count=2, startedBy="seed")
    tasks = ecs.list_tasks(cluster="prod")["taskArns"]
    ecs.list_tasks(cluster="prod", containerInstance=arns[0])
    ecs.describe_tasks(cluster="prod", tasks=tasks + ["missing-task"])
    ecs.list_services(cluster="prod")
    ecs.describe_services(cluster="prod", services=["web", "missing"])
    ecs.update_container_instances_state(cluster="prod", containerInstances=arns[:1],
                                         status="DRAINING")
    ecs.describe_container_instances(cluster="prod", containerInstances=arns[:1])
    if tasks:
        ecs.stop_task(cluster="prod", task=tasks[0], reason="ecs-rollout: draining")
    maybe_error(ecs.describe_services, cluster="missing", services=["web"])
    maybe_error(ecs.list_tasks, cluster="missing")
    maybe_error(ecs.update_container_instances_state, cluster="prod",
                 containerInstances=arns[:1], status="BOGUS")

    sts.get_caller_identity()
    role = iam.create_role(RoleName="rollout", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"AWS": "*"}}]}))
    sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="ecs-rollout-seed")
    sts.assume_role_with_web_identity(RoleArn=role["Role"]["Arn"], RoleSessionName="web",
                                      WebIdentityToken="eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
    maybe_error(sts.assume_role, RoleArn="bad", RoleSessionName="x" * 100)


WIRE = {"autoscaling": "query", "ec2": "query", "sts": "query", "ecs": "json"}
KEEP_HEADERS = ("content-type", "x-amzn-requestid", "x-amz-request-id", "x-amzn-errortype",
                "server", "date", "content-length")


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def write_corpora():
    for d in CORPUS.glob("*"):
        for f in d.glob("moto-*"):
            f.unlink()
    seen = {}
    for svc, op, status, headers, body in captured:
        if svc not in WIRE or len(body) > 64 * 1024:  # DescribeImages lists every AMI
            continue
        n = seen.get((svc, op, status), 0)
        seen[(svc, op, status)] = n + 1
        name = f"moto-{svc}-{op}-{status}" + (f"-{n + 1}" if n else "")
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() in KEEP_HEADERS)
        plant = ""
        if op in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            plant = f" {len(body) // 2}"
        first = f"{WIRE[svc]} {op} {status}{plant}\n"
        write("response", name, first.encode() + head.encode() + b"\n" + body)
        if WIRE[svc] == "query":
            write("xml", name + ".xml", body)
            write("svc_xml", name + ".xml", body)
        else:
            write("svc_json", name + ".json", body)
        # redact: selector byte (format | name << 2), secret length byte,
        # secret bytes, then the text (split at 0xff where it is planted).
        half = len(body) // 2
        if WIRE[svc] == "query":
            write("redact", name, bytes([1, 20]) + b"S" * 20 + body[:half] + b"\xff" + body[half:])
        else:
            write("redact", name, bytes([3, 20]) + b"S" * 20 + body)
            write("redact", name + "-cut", bytes([2, 20]) + b"S" * 20 + body[:half] + b"\xff")
    print(f"{len(captured)} answers captured into {CORPUS}")


def main():
    port = free_port()
    server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        build_and_call(clients(url))
    finally:
        server.terminate()
        server.wait()
    write_corpora()
    return 0


if __name__ == "__main__":
    sys.exit(main())
