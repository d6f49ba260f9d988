"""Fault injection: each API fault with the exact error AWS returns, and each
cluster fault, set from the scenario or at run time through the control API."""
import time
import unittest

import botocore.exceptions
import requests
import testlib

from sim import Simulator
from sim.faults import FaultConfigError, FaultState
from sim.testing import container_instances, control, group, instance_empty, raw_call, scenario, tasks


class ApiFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.sim.clear_faults()

    def injected(self, call, kind):
        return self.sim.ledger(timeline=False)["faults"]["injected"].get(call, {}).get(kind, 0)

    def test_ecs_throttling_is_a_json_400(self):
        before = self.injected("ecs:ListClusters", "throttle")
        self.sim.set_faults({"api": [{"action": "ecs:ListClusters", "throttle": 1.0, "times": 1}]})
        r = raw_call(self.sim, "ecs", "ListClusters")
        self.assertEqual(r.status_code, 400)
        self.assertEqual(r.json(), {"__type": "ThrottlingException", "message": "Rate exceeded"})
        self.assertEqual(r.headers["Content-Type"], "application/x-amz-json-1.1")
        self.assertTrue(r.headers.get("x-amzn-RequestId"))
        self.assertEqual(raw_call(self.sim, "ecs", "ListClusters").status_code, 200, "times=1: only once")
        self.assertEqual(self.injected("ecs:ListClusters", "throttle"), before + 1)

    def test_query_throttling_codes(self):
        self.sim.set_faults({"api": [{"action": ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances",
                                                 "sts:GetCallerIdentity"], "throttle": 1.0}]})
        r = raw_call(self.sim, "autoscaling", "DescribeAutoScalingGroups")
        self.assertEqual(r.status_code, 400)
        self.assertIn("<Code>Throttling</Code>", r.text)
        self.assertIn("<Type>Sender</Type>", r.text)
        self.assertIn('xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"', r.text)
        r = raw_call(self.sim, "ec2", "DescribeInstances")
        self.assertEqual(r.status_code, 503)
        self.assertIn("<Code>RequestLimitExceeded</Code>", r.text)
        self.assertIn("<Response><Errors><Error>", r.text)
        r = raw_call(self.sim, "sts", "GetCallerIdentity")
        self.assertEqual(r.status_code, 400)
        self.assertIn("<Code>Throttling</Code>", r.text)
        # boto3 sees them as the throttling errors they are.
        asg = self.sim.client("autoscaling", max_attempts=1)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            asg.describe_auto_scaling_groups()
        self.assertEqual(cm.exception.response["Error"]["Code"], "Throttling")

    def test_server_errors(self):
        self.sim.set_faults({"api": [{"action": "ecs:DescribeClusters", "error": 1.0},
                                     {"action": "autoscaling:*", "error": 1.0, "error_status": 503}]})
        r = raw_call(self.sim, "ecs", "DescribeClusters", {"clusters": ["prod"]})
        self.assertEqual(r.status_code, 500)
        self.assertEqual(r.json()["__type"], "ServerException")
        r = raw_call(self.sim, "autoscaling", "DescribeAutoScalingGroups")
        self.assertEqual(r.status_code, 503)
        self.assertIn("<Code>ServiceUnavailable</Code>", r.text)
        self.assertEqual(raw_call(self.sim, "ecs", "ListClusters").status_code, 200, "other actions unaffected")

    def test_connection_reset(self):
        self.sim.set_faults({"api": [{"action": "ecs:ListClusters", "reset": 1.0}]})
        with self.assertRaises(requests.exceptions.ConnectionError):
            raw_call(self.sim, "ecs", "ListClusters")
        ecs = self.sim.client("ecs", max_attempts=1)
        with self.assertRaises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError)):
            ecs.list_clusters()
        self.sim.clear_faults()
        self.assertEqual(len(ecs.list_clusters()["clusterArns"]), 1)
        # A client with retries rides through one reset.
        self.sim.set_faults({"api": [{"action": "ecs:ListClusters", "reset": 1.0, "times": 1}]})
        self.assertEqual(len(self.sim.client("ecs", max_attempts=3).list_clusters()["clusterArns"]), 1)

    def test_latency(self):
        before = self.injected("ecs:ListClusters", "latency")
        self.sim.set_faults({"api": [{"action": "ecs:ListClusters", "latency_ms": 300, "times": 1}]})
        t0 = time.monotonic()
        self.assertEqual(raw_call(self.sim, "ecs", "ListClusters").status_code, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        self.assertEqual(self.injected("ecs:ListClusters", "latency"), before + 1)

    def test_after_and_rate_are_reproducible(self):
        rule = {"action": "ecs:*", "throttle": 0.5, "after": 2}
        a, b = FaultState(seed=3), FaultState(seed=3)
        a.configure({"api": [rule]})
        b.configure({"api": [rule]})
        da = [a.decide("ecs", "DescribeTasks").kind for _ in range(40)]
        db = [b.decide("ecs", "DescribeTasks").kind for _ in range(40)]
        self.assertEqual(da, db)
        self.assertEqual(da[:2], [None, None])
        self.assertIn("throttle", da)
        self.assertIn(None, da[2:])
        self.assertIsNone(a.decide("autoscaling", "DescribeAutoScalingGroups").kind)

    def test_token_bucket_throttles_beyond_the_rate(self):
        state = FaultState(seed=1)
        state.configure({"api": [{"action": ["ecs:DescribeTasks", "ecs:DescribeContainerInstances"],
                                  "rate": 0.001, "burst": 5}]})
        kinds = [state.decide("ecs", "DescribeTasks" if i % 2 else "DescribeContainerInstances").kind
                 for i in range(8)]
        self.assertEqual(kinds, [None] * 5 + ["throttle"] * 3, "one bucket shared by both actions")
        self.assertIsNone(state.decide("ecs", "ListTasks").kind)

    def test_clock_offset_sets_awss_clock_in_the_date_header(self):
        # Every answer carries AWS's time in Date (RFC 9110 section 6.6.1); the fault sets
        # AWS's clock apart from this machine's, as a machine with a wrong clock would see it.
        from email.utils import parsedate_to_datetime
        for offset in (0, -3600, 7200):
            with self.subTest(offset=offset):
                self.sim.set_faults({"cluster": {"clock_offset_s": offset}})
                for service, action in (("autoscaling", "DescribeAutoScalingGroups"), ("ecs", "ListClusters")):
                    before = time.time()
                    r = raw_call(self.sim, service, action)
                    after = time.time()
                    self.assertEqual(r.headers.get_all("Date") if hasattr(r.headers, "get_all")
                                     else [r.headers["Date"]], [r.headers["Date"]])
                    date = parsedate_to_datetime(r.headers["Date"]).timestamp()
                    self.assertGreaterEqual(date, int(before + offset))
                    self.assertLessEqual(date, after + offset)
        self.sim.set_faults({"cluster": {"clock_offset_s": 0}})
        with self.assertRaises(Exception):
            self.sim.set_faults({"cluster": {"clock_offset_s": "soon"}})

    def test_the_ledger_names_who_wrote_and_when_writers_overlap(self):
        # As CloudTrail's userIdentity.accessKeyId: each write is recorded with the key that
        # signed it; reads are not writes. A key that writes again after another one wrote
        # is an overlap (two controllers at once).
        import boto3

        def asg(key):
            return boto3.client("autoscaling", endpoint_url=self.sim.endpoint, region_name=self.sim.region,
                                aws_access_key_id=key, aws_secret_access_key="secret")

        def tag(key, value):
            asg(key).create_or_update_tags(Tags=[{"ResourceId": "prod-asg", "ResourceType": "auto-scaling-group",
                                                  "Key": "owner", "Value": value, "PropagateAtLaunch": False}])

        n = len(self.sim.ledger(timeline=False)["writers"])
        tag("AKIDWRITERA", "a")
        tag("AKIDWRITERA", "a")
        asg("AKIDWRITERB").describe_auto_scaling_groups()
        tag("AKIDWRITERB", "b")
        led = self.sim.ledger(timeline=False)
        self.assertEqual([(w["access_key"], w["writes"]) for w in led["writers"][n:]],
                         [("AKIDWRITERA", 2), ("AKIDWRITERB", 1)])
        self.assertEqual([o for o in led["writer_overlaps"] if o["access_key"].startswith("AKIDWRITER")], [])
        tag("AKIDWRITERA", "a")
        overlaps = [o for o in self.sim.ledger(timeline=False)["writer_overlaps"]
                    if o["access_key"].startswith("AKIDWRITER")]
        self.assertEqual([(o["access_key"], o["after"], o["call"]) for o in overlaps],
                         [("AKIDWRITERA", "AKIDWRITERB", "autoscaling:CreateOrUpdateTags")])

    def test_bad_fault_config_is_refused(self):
        with self.assertRaises(FaultConfigError):
            self.sim.set_faults({"api": [{"action": "*", "throttle": 2}]})
        status, body = control(self.sim, "PUT", "/_sim/faults", {"api": [{"action": "*", "bogus": 1}]})
        self.assertEqual(status, 400)
        self.assertIn("unknown keys ['bogus']", body["error"])

    def test_control_api_sets_and_clears_faults(self):
        status, body = control(self.sim, "PUT", "/_sim/faults",
                               {"api": [{"action": "ecs:ListClusters", "throttle": 1.0}]})
        self.assertEqual(status, 200)
        self.assertEqual(body["api"][0]["action"], ["ecs:ListClusters"])
        self.assertEqual(raw_call(self.sim, "ecs", "ListClusters").status_code, 400)
        self.assertEqual(control(self.sim, "DELETE", "/_sim/faults")[0], 200)
        self.assertEqual(raw_call(self.sim, "ecs", "ListClusters").status_code, 200)


class ClusterFaults(unittest.TestCase):
    def start(self, sc):
        self.sim = Simulator(scenario=sc, time_scale=0.01).start()
        self.addCleanup(self.sim.stop)
        return self.sim.client("ecs"), self.sim.client("autoscaling")

    def test_never_register_from_the_scenario(self):
        sc = scenario(instances=1, tasks=1)
        sc["faults"] = {"cluster": {"never_register": 1}}
        ecs, asg = self.start(sc)
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
        self.sim.wait_until(lambda: len(container_instances(ecs)) == 2)
        self.sim.sleep(60)
        self.assertEqual(len(container_instances(ecs)), 2)
        stuck = self.sim.ledger()["never_registered"]
        self.assertEqual(len(stuck), 1)
        self.assertIn("never registers", stuck[0]["reason"])
        self.assertEqual({i["LifecycleState"] for i in group(asg)["Instances"]}, {"InService"})

    def test_unhealthy_instance_set_at_run_time(self):
        ecs, asg = self.start(scenario(instances=3, tasks=6))
        victim = container_instances(ecs)[0]["ec2InstanceId"]
        status, _ = control(self.sim, "POST", "/_sim/faults", {"cluster": {"unhealthy": {"instances": [victim]}}})
        self.assertEqual(status, 200)
        self.sim.wait_until(lambda: victim not in [i["InstanceId"] for i in group(asg)["Instances"]],
                            message="unhealthy instance replaced")
        led = self.sim.ledger()
        # Its tasks die with it, by the fault's doing (Auto Scaling's health replacement).
        self.assertEqual({k["instance"] for k in led["external_kills"]}, {victim})
        self.assertEqual(led["abrupt_kills"], [])
        self.assertTrue(any(e["event"] == "instance_unhealthy" and e["instance"] == victim for e in led["timeline"]))
        self.sim.wait_until(lambda: len(container_instances(ecs)) == 3, message="replacement registered")

    def test_stuck_task_never_drains(self):
        ecs, asg = self.start(scenario(instances=2, tasks=2))
        ci = next(c for c in container_instances(ecs) if c["runningTasksCount"] == 1)
        task = tasks(ecs, container_instance=ci["containerInstanceArn"])[0]
        self.sim.set_faults({"cluster": {"stuck_tasks": {"tasks": [task["taskArn"]]}}})
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
        self.sim.wait_until(lambda: len(container_instances(ecs)) == 3)
        ecs.update_container_instances_state(cluster="prod", containerInstances=[ci["containerInstanceArn"]],
                                             status="DRAINING")
        self.sim.wait_until(lambda: self.sim.ledger()["services"][0]["running"] == 3, message="replacement running")
        self.sim.sleep(200)
        t = ecs.describe_tasks(cluster="prod", tasks=[task["taskArn"]])["tasks"][0]
        self.assertEqual((t["lastStatus"], t["desiredStatus"]), ("RUNNING", "STOPPED"))
        c = ecs.describe_container_instances(cluster="prod", containerInstances=[ci["containerInstanceArn"]])
        self.assertEqual(c["containerInstances"][0]["runningTasksCount"], 0)
        self.assertFalse(instance_empty(ecs, ci["containerInstanceArn"]))
        self.assertEqual(len(self.sim.ledger()["instances_left_draining"]), 1)

    def test_account_limit_caps_scale_out(self):
        ecs, asg = self.start(scenario(instances=2, tasks=0))
        self.sim.set_faults({"cluster": {"account_limit": 3}})
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=5)
        self.sim.wait_until(lambda: len(container_instances(ecs)) == 3)
        self.sim.sleep(100)
        self.assertEqual(len(group(asg)["Instances"]), 3)
        acts = asg.describe_scaling_activities(AutoScalingGroupName="prod-asg")["Activities"]
        failed = [a for a in acts if a["StatusCode"] == "Failed"]
        self.assertTrue(failed)
        self.assertIn("vCPU", failed[0]["StatusMessage"])
        self.sim.set_faults({"cluster": {"account_limit": None}})
        self.sim.wait_until(lambda: len(container_instances(ecs)) == 5, message="scale-out resumes")


if __name__ == "__main__":
    testlib.main()
