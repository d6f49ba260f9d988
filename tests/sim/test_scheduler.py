"""The ECS scheduler: placement, resources, daemon and standalone tasks, task
states and counters, deployments, and the API's limits and filters."""
import json
import unittest

import botocore.exceptions
import testlib

from sim import Simulator
from sim.testing import container_instances, group, scenario, tasks


def running(ecs, cluster="prod", service="web"):
    return [t for t in tasks(ecs, cluster, service=service) if t["lastStatus"] == "RUNNING"
            and t["desiredStatus"] == "RUNNING"]


class Placement(unittest.TestCase):
    def test_spread_over_zones_and_instances(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            cis = container_instances(ecs)
            self.assertEqual(sorted(c["runningTasksCount"] for c in cis), [2, 2, 2])
            ts = running(ecs)
            self.assertEqual(len(ts), 6)
            azs = sorted(t["availabilityZone"] for t in ts)
            self.assertEqual(azs, ["us-east-1a"] * 2 + ["us-east-1b"] * 2 + ["us-east-1c"] * 2)
            for t in ts:
                self.assertEqual(t["group"], "service:web")
                self.assertTrue(t["startedBy"].startswith("ecs-svc/"))
            svc = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
            self.assertEqual((svc["runningCount"], svc["pendingCount"], svc["desiredCount"]), (6, 0, 6))
            self.assertEqual(len(svc["deployments"]), 1)
            self.assertEqual(svc["deployments"][0]["rolloutState"], "COMPLETED")
            self.assertNotIn("networkConfiguration", svc)
            self.assertIn("has reached a steady state", svc["events"][0]["message"])
            free = {r["name"]: r.get("integerValue") for r in cis[0]["remainingResources"]}
            total = {r["name"]: r.get("integerValue") for r in cis[0]["registeredResources"]}
            self.assertEqual(total["CPU"] - free["CPU"], 2 * 256)
            self.assertEqual(total["MEMORY"] - free["MEMORY"], 2 * 512)

    def test_tasks_only_go_where_memory_and_ports_fit(self):
        sc = scenario(instances=3, tasks=0)
        sc["task_definitions"] = [{"family": "big", "cpu": 256, "memory": 5000},
                                  {"family": "port", "cpu": 128, "memory": 128, "host_port": 8080}]
        sc["services"] = [{"cluster": "prod", "name": "big", "task_definition": "big", "desired": 5},
                          {"cluster": "prod", "name": "port", "task_definition": "port", "desired": 4}]
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            ecs, asg = sim.client("ecs"), sim.client("autoscaling")
            self.assertEqual(len(running(ecs, service="big")), 3)
            self.assertEqual(len(running(ecs, service="port")), 3)
            for name in ("big", "port"):
                svc = ecs.describe_services(cluster="prod", services=[name])["services"][0]
                self.assertEqual(svc["runningCount"], 3)
                self.assertTrue(any("was unable to place a task" in e["message"] for e in svc["events"]),
                                svc["events"])
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=5)
            sim.wait_until(lambda: len(running(ecs, service="big")) == 5 and len(running(ecs, service="port")) == 4,
                           message="every task placed once there is room")
            per_instance = {}
            for t in running(ecs, service="port"):
                per_instance[t["containerInstanceArn"]] = per_instance.get(t["containerInstanceArn"], 0) + 1
            self.assertEqual(set(per_instance.values()), {1}, "one static-port task per instance")


class DaemonAndStandalone(unittest.TestCase):
    def setUp(self):
        sc = scenario(instances=2, tasks=4)
        sc["task_definitions"].append({"family": "agent", "cpu": 64, "memory": 64})
        sc["task_definitions"].append({"family": "batch", "cpu": 64, "memory": 64})
        sc["services"].append({"cluster": "prod", "name": "agent", "task_definition": "agent",
                               "scheduling": "DAEMON"})
        sc["tasks"] = [{"cluster": "prod", "task_definition": "batch", "count": 2, "started_by": "nightly"}]
        self.sim = Simulator(scenario=sc, time_scale=0.01).start()
        self.ecs = self.sim.client("ecs")
        self.asg = self.sim.client("autoscaling")

    def tearDown(self):
        self.sim.stop()

    def test_daemon_runs_everywhere_and_stops_last_when_draining(self):
        ecs = self.ecs
        self.assertEqual(len(running(ecs, service="agent")), 2)
        self.asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=3)
        self.sim.wait_until(lambda: len(running(ecs, service="agent")) == 3, message="daemon on the new instance")
        svc = ecs.describe_services(cluster="prod", services=["agent"])["services"][0]
        self.assertEqual((svc["desiredCount"], svc["schedulingStrategy"]), (3, "DAEMON"))
        victim = next(c for c in container_instances(ecs)
                      if any(t["group"] == "service:web" for t in tasks(ecs, container_instance=c["containerInstanceArn"])))
        ecs.update_container_instances_state(cluster="prod", containerInstances=[victim["containerInstanceArn"]],
                                             status="DRAINING")

        def settled():
            on = tasks(ecs, container_instance=victim["containerInstanceArn"])
            svc_tasks = [t for t in on if t["group"].startswith("service:")]
            return svc_tasks and all(t["lastStatus"] == "STOPPED" for t in svc_tasks)
        self.sim.wait_until(settled, message="service tasks off the draining instance")
        timeline = self.sim.ledger()["timeline"]
        on_victim = [e for e in timeline if e.get("instance") == victim["ec2InstanceId"]]
        web_stopped = [e["t"] for e in on_victim if e["event"] == "task_stopped" and e["service"] == "web"]
        agent_stop = [e["t"] for e in on_victim if e["event"] == "task_stop_requested" and e["service"] == "agent"]
        self.assertTrue(web_stopped and agent_stop)
        self.assertGreaterEqual(min(agent_stop), max(web_stopped), "the daemon task stops last")
        self.assertEqual(len(running(ecs, service="web")), 4)

    def test_standalone_tasks_survive_draining_until_stopped(self):
        ecs = self.ecs
        batch = [t for t in tasks(ecs) if t["group"] == "family:batch"]
        self.assertEqual(len(batch), 2)
        self.assertEqual({t["startedBy"] for t in batch}, {"nightly"})
        self.assertEqual(sorted(ecs.list_tasks(cluster="prod", startedBy="nightly")["taskArns"]),
                         sorted(t["taskArn"] for t in batch))
        arns = [c["containerInstanceArn"] for c in container_instances(ecs)]
        ecs.update_container_instances_state(cluster="prod", containerInstances=arns, status="DRAINING")
        self.sim.sleep(60)
        for t in tasks(ecs):
            if t["group"] == "family:batch":
                self.assertEqual((t["lastStatus"], t["desiredStatus"]), ("RUNNING", "RUNNING"))
        self.assertFalse(any(c["runningTasksCount"] == 0 for c in container_instances(ecs)))

        target = batch[0]["taskArn"]
        self.sim.pause()
        stopped = ecs.stop_task(cluster="prod", task=target, reason="done for today")["task"]
        self.assertEqual(stopped["desiredStatus"], "STOPPED")
        self.assertEqual(stopped["lastStatus"], "DEACTIVATING")
        ci = ecs.describe_container_instances(cluster="prod", containerInstances=[stopped["containerInstanceArn"]])
        counted = ci["containerInstances"][0]["runningTasksCount"]
        on_ci = [t for t in tasks(ecs, container_instance=stopped["containerInstanceArn"])
                 if t["desiredStatus"] == "RUNNING"]
        self.assertEqual(counted, len(on_ci), "runningTasksCount counts desiredStatus RUNNING only")
        self.assertNotIn(target, ecs.list_tasks(cluster="prod")["taskArns"])
        self.assertIn(target, ecs.list_tasks(cluster="prod", desiredStatus="STOPPED")["taskArns"])
        self.sim.resume()
        done = self.sim.wait_until(lambda: (lambda t: t["lastStatus"] == "STOPPED" and t)(
            ecs.describe_tasks(cluster="prod", tasks=[target])["tasks"][0]))
        self.assertEqual((done["stoppedReason"], done["stopCode"]), ("done for today", "UserInitiated"))
        self.assertIn("stoppedAt", done)


class ApiRegisteredInstancesAndStartTask(unittest.TestCase):
    def test_start_task_on_chosen_instances_and_capacity_provider_name(self):
        with Simulator(scenario=scenario(instances=1, tasks=0), time_scale=0.01) as sim:
            ecs, asg, ec2 = sim.client("ecs"), sim.client("autoscaling"), sim.client("ec2")
            g = group(asg)
            ecs.create_capacity_provider(name="prod-cp", autoScalingGroupProvider={
                "autoScalingGroupArn": g["AutoScalingGroupARN"]})
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
            sim.wait_until(lambda: len(container_instances(ecs)) == 2)
            names = sorted(str(c.get("capacityProviderName")) for c in container_instances(ecs))
            self.assertEqual(names, ["None", "prod-cp"], "only instances launched after the provider existed")
            # An instance whose "agent" is a client calling RegisterContainerInstance.
            iid = ec2.run_instances(ImageId="ami-0c0c0c0c0c0c0c0c0", MinCount=1, MaxCount=1,
                                    InstanceType="t3.small")["Instances"][0]["InstanceId"]
            sim.wait_until(lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
                           ["State"]["Name"] == "running")
            ci = ecs.register_container_instance(cluster="prod", instanceIdentityDocument=json.dumps(
                {"instanceId": iid}))["containerInstance"]
            out = ecs.start_task(cluster="prod", taskDefinition="web", containerInstances=[ci["containerInstanceArn"]],
                                 startedBy="manual")
            self.assertEqual(out["failures"], [])
            task = out["tasks"][0]
            self.assertEqual((task["containerInstanceArn"], task["startedBy"]), (ci["containerInstanceArn"], "manual"))
            sim.wait_until(lambda: ecs.describe_tasks(cluster="prod", tasks=[task["taskArn"]])["tasks"][0]
                           ["lastStatus"] == "RUNNING")
            self.assertEqual(ecs.describe_container_instances(cluster="prod", containerInstances=[
                ci["containerInstanceArn"]])["containerInstances"][0]["runningTasksCount"], 1)


class Deployments(unittest.TestCase):
    def test_new_task_definition_rolls_without_a_dip(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            ecs = sim.client("ecs")
            td2 = ecs.register_task_definition(family="web", containerDefinitions=[
                {"name": "web", "image": "nginx:2", "cpu": 256, "memory": 512, "essential": True}])["taskDefinition"]
            ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")
            svc = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
            self.assertEqual(len(svc["deployments"]), 2)
            self.assertEqual(svc["deployments"][0]["status"], "PRIMARY")

            def done():
                s = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
                return len(s["deployments"]) == 1 and s["runningCount"] == 6 and s
            svc = sim.wait_until(done, message="deployment completed")
            self.assertEqual(svc["taskDefinition"], td2["taskDefinitionArn"])
            self.assertEqual({t["taskDefinitionArn"] for t in running(ecs)}, {td2["taskDefinitionArn"]})
            led = sim.ledger()["services"][0]
            self.assertEqual(led["min_running"], 6)
            self.assertFalse(led["went_below_allowed"])


class ApiLimitsAndFilters(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01).start()
        cls.ecs = cls.sim.client("ecs", max_attempts=1)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def invalid(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterException")
        return cm.exception.response["Error"]["Message"]

    def test_list_container_instances_pages_filters_and_status(self):
        ecs = self.ecs
        page = ecs.list_container_instances(cluster="prod", maxResults=2)
        self.assertEqual(len(page["containerInstanceArns"]), 2)
        rest = ecs.list_container_instances(cluster="prod", maxResults=2, nextToken=page["nextToken"])
        self.assertEqual(len(rest["containerInstanceArns"]), 1)
        self.assertNotIn("nextToken", rest)
        cis = container_instances(ecs)
        two = [c["ec2InstanceId"] for c in cis[:2]]
        hit = ecs.list_container_instances(cluster="prod", filter=f"ec2InstanceId in [{', '.join(two)}]")
        self.assertEqual(sorted(hit["containerInstanceArns"]), sorted(c["containerInstanceArn"] for c in cis[:2]))
        quoted = ecs.list_container_instances(cluster="prod", filter=f"ec2InstanceId in ['{two[0]}'] and runningTasksCount > 1")
        self.assertEqual(quoted["containerInstanceArns"], [cis[0]["containerInstanceArn"]])
        self.assertEqual(ecs.list_container_instances(cluster="prod", status="DRAINING")["containerInstanceArns"], [])
        self.assertIn("filter expression is invalid",
                      self.invalid(ecs.list_container_instances, cluster="prod", filter="ec2InstanceId in ["))

    def test_limits(self):
        ecs = self.ecs
        arn = container_instances(ecs)[0]["containerInstanceArn"]
        self.assertIn("100", self.invalid(ecs.describe_container_instances, cluster="prod", containerInstances=[arn] * 101))
        self.assertIn("10", self.invalid(ecs.update_container_instances_state, cluster="prod",
                                         containerInstances=[arn] * 11, status="DRAINING"))
        self.assertIn("100", self.invalid(ecs.describe_tasks, cluster="prod", tasks=["x"] * 101))
        self.assertIn("10", self.invalid(ecs.describe_services, cluster="prod", services=["web"] * 11))
        out = ecs.describe_container_instances(cluster="prod", containerInstances=[arn, "nope"])
        self.assertEqual(len(out["containerInstances"]), 1)
        self.assertEqual(out["failures"], [{"arn": "nope", "reason": "MISSING"}])

    def test_list_tasks_by_service_and_pages(self):
        ecs = self.ecs
        self.assertEqual(len(ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]), 6)
        self.assertEqual(ecs.list_tasks(cluster="prod", serviceName="other")["taskArns"], [])
        self.assertEqual(ecs.list_tasks(cluster="prod", desiredStatus="PENDING")["taskArns"], [])
        first = ecs.list_tasks(cluster="prod", maxResults=4)
        second = ecs.list_tasks(cluster="prod", maxResults=4, nextToken=first["nextToken"])
        self.assertEqual(len(set(first["taskArns"]) | set(second["taskArns"])), 6)


if __name__ == "__main__":
    testlib.main()
