"""The scheduler's per-service indexes (svc_index.py) against the walk over
every task they replace: with checking on, every reconcile of a drain, a new
deployment, a scale-out and a scale-in compares the two, and a disagreement is
a simulator error."""
import unittest

import testlib

from sim import Simulator, svc_index
from sim.testing import AMI_NEW, container_instances, group, instance_empty, scenario


class Indexes(unittest.TestCase):
    def test_indexes_match_the_walk_through_drain_deploy_and_scaling(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            eng = sim.engine
            eng.sched.check_indexes = True
            ecs, asg, ec2 = sim.client("ecs"), sim.client("autoscaling"), sim.client("ec2")
            # A new deployment (old tasks replaced within 100/200 %).
            ecs.register_task_definition(family="web", containerDefinitions=[
                {"name": "web", "image": "nginx:2", "cpu": 256, "memory": 512, "essential": True}])
            ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")
            sim.wait_until(lambda: len(ecs.describe_services(cluster="prod", services=["web"])
                                       ["services"][0]["deployments"]) == 1, message="deployment done")
            # New instances, then the old ones drained (tasks move off them).
            ec2.create_launch_template_version(LaunchTemplateName="prod-lt", SourceVersion="1",
                                               LaunchTemplateData={"ImageId": AMI_NEW})
            old = [i["InstanceId"] for i in group(asg)["Instances"]]
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=6)
            sim.wait_until(lambda: len(container_instances(ecs, filter=f"attribute:ecs.ami-id == {AMI_NEW}"))
                           == 3, message="new instances registered")
            arns = [c["containerInstanceArn"] for c in
                    container_instances(ecs, filter=f"ec2InstanceId in [{', '.join(old)}]")]
            ecs.update_container_instances_state(cluster="prod", containerInstances=arns, status="DRAINING")
            sim.wait_until(lambda: all(instance_empty(ecs, a) for a in arns), message="old instances empty")
            # Scale out, then in (surplus tasks stopped).
            ecs.update_service(cluster="prod", service="web", desiredCount=9)
            sim.wait_until(lambda: ecs.describe_services(cluster="prod", services=["web"])["services"][0]
                           ["runningCount"] == 9, message="scaled out")
            ecs.update_service(cluster="prod", service="web", desiredCount=2)
            sim.wait_until(lambda: ecs.describe_services(cluster="prod", services=["web"])["services"][0]
                           ["runningCount"] == 2, message="scaled in")
            with eng.lock:
                checked = [svc for svc in eng.services.values() if hasattr(svc, "_sim")]
                for svc in checked:
                    svc_index.check(svc, eng.tasks)
            self.assertTrue(checked)
            self.assertEqual([e for e in eng.errors if "indexes differ" in e], [])
            self.assertEqual(eng.errors, [])

    def test_check_fails_when_an_index_is_wrong(self):
        with Simulator(scenario=scenario(instances=3, tasks=6), time_scale=0.01) as sim:
            eng = sim.engine
            with eng.lock:
                svc = next(s for s in eng.services.values() if hasattr(s, "_sim"))
                svc_index.check(svc, eng.tasks)  # right as built
                svc._sim["idx"]["live_running"] += 1
                with self.assertRaisesRegex(AssertionError, "live_running"):
                    svc_index.check(svc, eng.tasks)
                svc._sim["idx"]["live_running"] -= 1
                key, bucket = next(iter(svc._sim["idx"]["live"].items()))
                tid, task = bucket.popitem()
                with self.assertRaisesRegex(AssertionError, "live"):
                    svc_index.check(svc, eng.tasks)
                bucket[tid] = task


if __name__ == "__main__":
    testlib.main()
