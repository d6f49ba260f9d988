"""The fast renderer of DescribeContainerInstances/DescribeTasks (and
UpdateContainerInstancesState's container instances) says exactly
what moto's own serializer says about the same objects."""
# tier: quick  (make check: a few seconds)
import unittest

import testlib

from sim import Simulator, ecs_api
from sim.testing import container_instances, raw_call, scenario, tasks


class FastJson(unittest.TestCase):
    def both(self, sim, action, params):
        try:
            ecs_api.FAST_RENDER = False
            slow = raw_call(sim, "ecs", action, params)
        finally:
            ecs_api.FAST_RENDER = True
        fast = raw_call(sim, "ecs", action, params)
        self.assertEqual((slow.status_code, fast.status_code), (200, 200))
        self.assertEqual(fast.headers["Content-Type"], slow.headers["Content-Type"])
        self.assertNotIn("status", {k.lower() for k in fast.headers})
        return slow.json(), fast.json()

    def test_same_output_in_every_state(self):
        sc = scenario(instances=4, tasks=3)
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            ecs, asg = sim.client("ecs"), sim.client("autoscaling")
            cis = container_instances(ecs)
            # Both drains happen before the pause: the answers compared below must be
            # about one state (a first drain under the slow renderer let the scheduler
            # stop a task before the fast one answered: CI, runningTasksCount 3 != 2).
            ecs.update_container_instances_state(cluster="prod", status="DRAINING",
                                                 containerInstances=[cis[0]["containerInstanceArn"],
                                                                     cis[2]["containerInstanceArn"]])
            asg.terminate_instance_in_auto_scaling_group(InstanceId=cis[1]["ec2InstanceId"],
                                                         ShouldDecrementDesiredCapacity=False)
            sim.wait_until(lambda: any(t["lastStatus"] == "STOPPED" for t in tasks(ecs)))
            ecs.tag_resource(resourceArn=tasks(ecs)[0]["taskArn"], tags=[{"key": "team", "value": "web"}])
            sim.pause()  # what was already due has run: nothing changes from here on
            all_tasks = [t["taskArn"] for t in tasks(ecs)]
            self.assertGreaterEqual(len({t["lastStatus"] for t in tasks(ecs)}), 2)
            arns = [c["containerInstanceArn"] for c in cis]
            slow, fast = self.both(sim, "DescribeContainerInstances", {"cluster": "prod",
                                                                       "containerInstances": arns + ["nope"]})
            self.assertEqual(fast, slow)
            self.assertTrue({c["status"] for c in fast["containerInstances"]} >= {"DRAINING", "ACTIVE"})
            # Draining again changes nothing: both answers are about the same state.
            slow, fast = self.both(sim, "UpdateContainerInstancesState",
                                   {"cluster": "prod", "containerInstances": [arns[0], arns[2], "nope"],
                                    "status": "DRAINING"})
            self.assertEqual(fast, slow)
            self.assertEqual(len(fast["containerInstances"]), 2)
            for include in ([], ["TAGS"]):
                slow, fast = self.both(sim, "DescribeTasks", {"cluster": "prod", "tasks": all_tasks,
                                                              "include": include})
                self.assertEqual(fast, slow)
            self.assertTrue(any("tags" in t for t in fast["tasks"]))
            sim.resume()


if __name__ == "__main__":
    testlib.main()
