"""The ECS side of the cluster shapes (issue 12): API fidelity, transient AWS
states, disruptions, services. Each test shows the modelled behaviour on the
simulator itself, through the AWS APIs."""
import unittest

import botocore.exceptions
import testlib

from sim import Simulator
from sim.testing import FAST_DELAYS, container_instances, group, scenario, tasks


def two_groups(**extra):
    """Cluster prod with two groups: prod-asg (2 instances) and batch-asg (1)."""
    sc = scenario(instances=2, tasks=2)
    sc["auto_scaling_groups"].append({"name": "batch-asg", "cluster": "prod", "ami": "ami-0c0c0c0c0c0c0c0c0",
                                      "instance_type": "c5.large", "min": 0, "max": 4, "desired": 1,
                                      "launch_template": "batch-lt"})
    sc.update(extra)
    return sc


def ids_of(sim, name):
    return sorted(i["InstanceId"] for i in group(sim.client("autoscaling"), name)["Instances"])


class ApiFidelity(unittest.TestCase):
    def test_aws_applies_list_filters(self):
        with Simulator(scenario=two_groups(), time_scale=0.01, api_fidelity="aws") as sim:
            ecs = sim.client("ecs")
            one = ids_of(sim, "prod-asg")[0]
            arns = ecs.list_container_instances(cluster="prod", filter=f"ec2InstanceId in [{one}]")
            self.assertEqual(len(arns["containerInstanceArns"]), 1)
            self.assertEqual(ecs.list_container_instances(cluster="prod", status="DRAINING")
                             ["containerInstanceArns"], [])
            self.assertEqual(len(ecs.list_container_instances(cluster="prod", maxResults=1)
                                 ["containerInstanceArns"]), 1)
            ci = ecs.describe_container_instances(cluster="prod", containerInstances=arns["containerInstanceArns"])
            self.assertIn("registeredAt", ci["containerInstances"][0])

    def test_moto_ignores_list_filters_and_omits_optional_fields(self):
        with Simulator(scenario=two_groups(api_fidelity="moto"), time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            one = ids_of(sim, "prod-asg")[0]
            out = ecs.list_container_instances(cluster="prod", filter=f"ec2InstanceId in [{one}]", maxResults=1)
            arns = out["containerInstanceArns"]
            self.assertEqual(len(arns), 3, "the filter, and paging, are ignored: every group's instance")
            self.assertNotIn("nextToken", out)
            self.assertEqual(len(ecs.list_container_instances(cluster="prod", status="DRAINING")
                                 ["containerInstanceArns"]), 3)
            got = ecs.describe_container_instances(cluster="prod", containerInstances=[arns[0], arns[0]])
            self.assertEqual([c["containerInstanceArn"] for c in got["containerInstances"]], [arns[0]] * 2)
            for field in ("registeredAt", "versionInfo", "agentUpdateStatus"):
                self.assertNotIn(field, got["containerInstances"][0])
            self.assertIn("ec2InstanceId", got["containerInstances"][0])
            # ListTasks ignores serviceName: the standalone task comes back too.
            ecs.run_task(cluster="prod", taskDefinition="web", launchType="EC2")
            listed = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
            self.assertEqual(len(listed), 3)
            described = ecs.describe_tasks(cluster="prod", tasks=listed)["tasks"]
            self.assertNotIn("availabilityZone", described[0])
            self.assertIn("lastStatus", described[0])

    def test_fidelity_from_the_environment(self):
        import os
        os.environ["SIM_API_FIDELITY"] = "moto"
        try:
            self.assertEqual(Simulator(scenario=scenario()).engine.api_fidelity, "moto")
            self.assertEqual(Simulator(scenario=scenario(api_fidelity="aws")).engine.api_fidelity, "aws")
            os.environ["SIM_API_FIDELITY"] = "localstack"
            with self.assertRaisesRegex(ValueError, "SIM_API_FIDELITY must be one of"):
                Simulator(scenario=scenario())
        finally:
            del os.environ["SIM_API_FIDELITY"]


class TransientStates(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(scenario=scenario(instances=2, tasks=2), time_scale=0.01, api_fidelity="aws").start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.sim.clear_faults()

    def test_scaling_activity_in_progress_and_resource_contention(self):
        asg = self.sim.client("autoscaling", max_attempts=0)  # botocore: retries after the first
        for key, status, code in (("scaling_activity_in_progress", 400, "ScalingActivityInProgress"),
                                  ("resource_contention", 500, "ResourceContention")):
            self.sim.set_faults({"api": [{"action": "autoscaling:SetDesiredCapacity", key: 1.0, "times": 1}]},
                                replace=True)
            with self.assertRaises(botocore.exceptions.ClientError, msg=key) as cm:
                asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
            err = cm.exception.response
            self.assertEqual((err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]), (status, code))
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)  # times=1: once
        # A rule matching ECS with these keys answers ECS's generic 5xx.
        self.sim.set_faults({"api": [{"action": "ecs:ListClusters", "resource_contention": 1.0, "times": 1}]},
                            replace=True)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sim.client("ecs", max_attempts=0).list_clusters()
        self.assertEqual(cm.exception.response["Error"]["Code"], "ServerException")

    def test_describe_missing(self):
        ecs = self.sim.client("ecs")
        arns = ecs.list_container_instances(cluster="prod")["containerInstanceArns"]
        self.sim.set_faults({"cluster": {"describe_missing": {"count": 1}}})
        out = ecs.describe_container_instances(cluster="prod", containerInstances=arns)
        self.assertEqual(len(out["containerInstances"]), len(arns) - 1)
        self.assertEqual(out["failures"], [{"arn": arns[0], "reason": "MISSING"}])
        out = ecs.describe_container_instances(cluster="prod", containerInstances=arns)
        self.assertEqual((len(out["containerInstances"]), out["failures"]), (len(arns), []))
        task_arns = ecs.list_tasks(cluster="prod")["taskArns"]
        self.sim.set_faults({"cluster": {"describe_missing": 1.0}})
        out = ecs.describe_tasks(cluster="prod", tasks=task_arns)
        self.assertEqual((out["tasks"], [f["reason"] for f in out["failures"]]), ([], ["MISSING"] * len(task_arns)))

    def test_list_lag(self):
        sim = self.sim
        asg, ecs = sim.client("autoscaling"), sim.client("ecs")
        before = set(ecs.list_container_instances(cluster="prod")["containerInstanceArns"])
        sim.sleep(31)  # so the lag hides no instance that is already there
        sim.set_faults({"cluster": {"list_lag": 30}})
        seen = len(sim.ledger()["timeline"])
        g = group(asg)
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=g["DesiredCapacity"] + 1)
        new = sim.wait_until(lambda: [e for e in sim.ledger()["timeline"][seen:]
                                      if e["event"] == "container_instance_registered"], timeout=30)[-1]
        registered_at = new["t"]
        listed = set(ecs.list_container_instances(cluster="prod")["containerInstanceArns"])
        if sim.ledger(timeline=False)["aws_seconds"] - registered_at < 25:
            self.assertEqual(listed, before, "not listed yet")
        # Described by its ARN it is there: only the list lags.
        got = ecs.describe_container_instances(cluster="prod", containerInstances=[new["container_instance"]])
        self.assertEqual(len(got["containerInstances"]), 1)
        sim.wait_until(lambda: new["container_instance"] in
                       ecs.list_container_instances(cluster="prod")["containerInstanceArns"], timeout=30)
        self.assertGreaterEqual(sim.ledger(timeline=False)["aws_seconds"] - registered_at, 30 - 1e-6)
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=g["DesiredCapacity"])


if __name__ == "__main__":
    testlib.main()
