"""The simulator starts, serves the AWS APIs and the control API, boots
instances and registers them with the cluster named in their user data."""
import contextlib
import io
import json
import os
import socket
import struct
import tempfile
import unittest

import testlib

from sim import Simulator
from sim.testing import AMI_NEW, AMI_OLD, container_instances, control, group, scenario


class StartAndControl(unittest.TestCase):
    def test_env_health_and_unknown_endpoint(self):
        with Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01) as sim:
            env = sim.env()
            self.assertEqual(env["AWS_ENDPOINT_URL"], sim.endpoint)
            self.assertTrue(sim.endpoint.startswith("http://127.0.0.1:"))
            self.assertEqual(env["AWS_REGION"], "us-east-1")
            self.assertEqual(env["AWS_EC2_METADATA_DISABLED"], "true")
            self.assertTrue(env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"])
            status, health = control(sim, "GET", "/_sim/health")
            self.assertEqual((status, health["ok"], health["time_scale"]), (200, True, 0.01))
            status, body = control(sim, "GET", "/_sim/nope")
            self.assertEqual(status, 404)
            self.assertIn("no control endpoint", body["error"])
            print(f"started in {sim.started_in:.2f}s")

    def test_second_simulator_in_process_is_refused(self):
        with Simulator(time_scale=0.01):
            with self.assertRaisesRegex(RuntimeError, "another Simulator"):
                Simulator(time_scale=0.01).start()

    def test_reset_forgets_everything(self):
        with Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            self.assertEqual(len(ecs.list_clusters()["clusterArns"]), 1)
            self.assertEqual(control(sim, "POST", "/_sim/reset")[0], 200)
            self.assertEqual(ecs.list_clusters()["clusterArns"], [])
            self.assertEqual(sim.ledger()["timeline"], [])

    def test_aws_managed_policies_can_be_attached_before_and_after_a_reset(self):
        # The ecs-cluster module attaches AWS managed policies to its instance role.
        arns = ["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        self.assertNotEqual(os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES", "").lower(), "true")
        with Simulator(time_scale=0.01) as sim:
            iam = sim.client("iam")
            for attempt in ("first", "after reset"):
                iam.create_role(RoleName="ecs-instance", AssumeRolePolicyDocument=trust)
                for arn in arns:
                    iam.attach_role_policy(RoleName="ecs-instance", PolicyArn=arn)
                attached = iam.list_attached_role_policies(RoleName="ecs-instance")["AttachedPolicies"]
                self.assertEqual(sorted(p["PolicyArn"] for p in attached), sorted(arns), attempt)
                self.assertEqual(iam.get_policy(PolicyArn=arns[0])["Policy"]["PolicyName"],
                                 "AmazonEC2ContainerServiceforEC2Role")
                self.assertEqual(control(sim, "POST", "/_sim/reset")[0], 200)

    def test_a_security_group_in_a_vpc_that_does_not_exist_is_refused_as_aws_does(self):
        # moto made the group without its default egress rule; the AWS
        # provider's revoke of that rule then failed with
        # InvalidPermission.NotFound, far from the cause (a VPC gone, e.g. by a
        # reset from another test's client).
        with Simulator(time_scale=0.01) as sim:
            ec2 = sim.client("ec2", max_attempts=1)
            with self.assertRaises(ec2.exceptions.ClientError) as cm:
                ec2.create_security_group(GroupName="sg-x", Description="x", VpcId="vpc-0123456789abcdef0")
            self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidVpcID.NotFound")
            self.assertEqual([g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
                              if g["GroupName"] == "sg-x"], [])
            # In a VPC that exists: the default egress rule is there, and
            # revoking it (as the AWS provider does after every create) works.
            vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            gid = ec2.create_security_group(GroupName="sg-y", Description="y", VpcId=vpc)["GroupId"]
            ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
                {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            egress = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"]
            self.assertEqual([r for r in egress if r.get("IpRanges")], [])

    def test_a_client_gone_before_its_answer_is_said_with_the_call(self):
        """The AWS SDKs send a request again when its connection fails, and a
        write moto made is then refused as a duplicate: the simulator's log
        names the call whose answer was lost."""
        with Simulator(time_scale=0.01) as sim:
            sim.set_faults({"api": [{"action": "ec2:CreateKeyPair", "latency_ms": 1000}]})
            body = b"Action=CreateKeyPair&Version=2016-11-15&KeyName=k1"
            s = socket.create_connection((sim.host, sim.port))
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ec2/aws4_request, "
                      b"SignedHeaders=host, Signature=0\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            # The request read (its latency rule matched), the client goes with a
            # reset while it waits: its answer cannot be written.
            sim.wait_until(lambda: sim.engine.faults.describe()["api"][0]["matched"] == 1, timeout=10,
                           message="the request read")
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
                sim.wait_until(lambda: "the connection answering" in err.getvalue(), timeout=10,
                               message="the simulator saying the dropped connection")
            self.assertIn("the connection answering ec2:CreateKeyPair failed:", err.getvalue())
            # moto made the key pair: a client's retry would now be a duplicate.
            self.assertEqual([k["KeyName"] for k in sim.client("ec2").describe_key_pairs()["KeyPairs"]], ["k1"])

    def test_ledger_written_on_stop(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "out", "ledger.json")
            sim = Simulator(scenario=scenario(instances=1, tasks=2), time_scale=0.01, ledger_path=path).start()
            returned = sim.stop()
            with open(path) as f:
                written = json.load(f)
            self.assertEqual(written["services"], returned["services"])
            self.assertTrue(written["zero_downtime"])
            self.assertEqual(written["services"][0]["running"], 2)


class BootAndRegistration(unittest.TestCase):
    def setUp(self):
        sc = scenario(instances=0, tasks=0)
        sc["auto_scaling_groups"][0]["instance_type"] = "t3.medium"
        self.sim = Simulator(scenario=sc, time_scale=0.01).start()
        self.asg = self.sim.client("autoscaling")
        self.ecs = self.sim.client("ecs")
        self.ec2 = self.sim.client("ec2")

    def tearDown(self):
        self.sim.stop()

    def test_instances_boot_then_register_with_real_attributes(self):
        self.sim.pause()  # so the Pending state can be looked at
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
        g = group(self.asg)
        self.assertEqual(len(g["Instances"]), 3)
        self.assertEqual({i["LifecycleState"] for i in g["Instances"]}, {"Pending"})
        ids = [i["InstanceId"] for i in g["Instances"]]
        states = {i["InstanceId"]: i["State"]["Name"] for r in self.ec2.describe_instances(InstanceIds=ids)["Reservations"]
                  for i in r["Instances"]}
        self.assertEqual(set(states.values()), {"pending"})
        self.assertEqual(sorted(i["AvailabilityZone"] for i in g["Instances"]),
                         ["us-east-1a", "us-east-1b", "us-east-1c"], "instances spread over the AZs")
        self.assertEqual(container_instances(self.ecs), [])
        self.sim.resume()

        cis = self.sim.wait_until(lambda: len(container_instances(self.ecs)) == 3 and container_instances(self.ecs),
                                  message="three container instances")
        g = group(self.asg)
        self.assertEqual({i["LifecycleState"] for i in g["Instances"]}, {"InService"})
        az_of = {i["InstanceId"]: i["AvailabilityZone"] for i in g["Instances"]}
        for ci in cis:
            attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
            self.assertEqual(attrs["ecs.ami-id"], AMI_OLD)
            self.assertEqual(attrs["ecs.instance-type"], "t3.medium")
            self.assertEqual(attrs["ecs.availability-zone"], az_of[ci["ec2InstanceId"]])
            self.assertEqual(ci["status"], "ACTIVE")
            self.assertTrue(ci["agentConnected"])
            res = {r["name"]: r.get("integerValue") for r in ci["registeredResources"]}
            self.assertEqual(res["CPU"], 2048)
            self.assertGreater(res["MEMORY"], 3000)
            self.assertLess(res["MEMORY"], 4096)
            self.assertEqual((ci["runningTasksCount"], ci["pendingTasksCount"]), (0, 0))
        # Registration follows boot by the agent delay, in AWS time.
        timeline = self.sim.ledger()["timeline"]
        for iid in ids:
            ev = {e["event"]: e["t"] for e in timeline if e.get("instance") == iid}
            self.assertGreaterEqual(ev["instance_running"] - ev["instance_launched"], 20 - 0.01)
            self.assertGreaterEqual(ev["container_instance_registered"] - ev["instance_running"], 5 - 0.01)
        cluster = self.ecs.describe_clusters(clusters=["prod"])["clusters"][0]
        self.assertEqual(cluster["registeredContainerInstancesCount"], 3)

    def test_instances_report_the_template_version_they_were_launched_with(self):
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
        self.sim.wait_until(lambda: len(container_instances(self.ecs)) == 2)
        self.ec2.create_launch_template_version(LaunchTemplateName="prod-lt", SourceVersion="1",
                                                LaunchTemplateData={"ImageId": AMI_NEW})
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
        self.sim.wait_until(lambda: len(container_instances(self.ecs)) == 4)
        versions = sorted(i["LaunchTemplate"]["Version"] for i in group(self.asg)["Instances"])
        self.assertEqual(versions, ["1", "1", "2", "2"])
        by_ami = sorted(next(a["value"] for a in ci["attributes"] if a["name"] == "ecs.ami-id")
                        for ci in container_instances(self.ecs))
        self.assertEqual(by_ami, [AMI_OLD, AMI_OLD, AMI_NEW, AMI_NEW])
        new_ids = {i["InstanceId"] for i in group(self.asg)["Instances"] if i["LaunchTemplate"]["Version"] == "2"}
        for r in self.ec2.describe_instances(InstanceIds=sorted(new_ids))["Reservations"]:
            for inst in r["Instances"]:
                self.assertEqual(inst["ImageId"], AMI_NEW)
        asi = self.asg.describe_auto_scaling_instances(InstanceIds=sorted(new_ids))["AutoScalingInstances"]
        self.assertEqual({a["LaunchTemplate"]["Version"] for a in asi}, {"2"})

    def test_instance_without_a_cluster_never_registers_and_is_reported(self):
        self.ec2.create_launch_template(LaunchTemplateName="plain-lt",
                                        LaunchTemplateData={"ImageId": AMI_OLD, "InstanceType": "t3.small"})
        self.asg.create_auto_scaling_group(AutoScalingGroupName="plain", MinSize=0, MaxSize=2, DesiredCapacity=1,
                                           LaunchTemplate={"LaunchTemplateName": "plain-lt"},
                                           AvailabilityZones=["us-east-1a"])
        # The group launches its instance a moment later: no instance yet is not InService.
        self.sim.wait_until(lambda: [i for i in group(self.asg, "plain")["Instances"]
                                     if i["LifecycleState"] == "InService"])
        self.sim.sleep(30)
        iid = group(self.asg, "plain")["Instances"][0]["InstanceId"]
        rec = self.sim.wait_until(lambda: [r for r in self.sim.ledger()["never_registered"] if r["instance"] == iid])
        self.assertIn("no ECS_CLUSTER in user data", rec[0]["reason"])
        self.assertEqual(container_instances(self.ecs), [])


if __name__ == "__main__":
    testlib.main()
