"""moto_speed.py changes what moto's responses cost, never what they say: the
same bytes with and without it (request ids aside), and its XML writer gives
xmltodict's output for every kind of value moto's serializers build."""
# tier: quick  (make check: a few seconds)
import re
import unittest

import testlib
import xmltodict

from sim import Simulator, moto_speed
from sim.testing import raw_call, scenario

REQUEST_ID = re.compile(r"<(RequestId|RequestID|requestId)>[^<]*</\1>")


class Unparse(unittest.TestCase):
    def test_same_as_xmltodict(self):
        bodies = [
            {"R": {"@xmlns": "http://x/", "A": "1 < 2 & \"3\" > 'x'", "B": None, "C": "", "D": [],
                   "E": [{"member": ["a", "b"]}], "F": True, "G": False, "H": 7, "I": 1.5,
                   "J": {"member": [{"K": "v", "L": {"entry": [{"key": "k", "value": "v"}]}}, {}]},
                   "M": {"@attr": "q\"uote", "#text": "t&t"}, "N": {"#text": None}, "O": {"#text": ""},
                   "P": ("x", "y"), "Q": b"bytes", "S": {"@xmlns": {"p": "http://p/", "": "http://d/"}},
                   "T": {"@n": None, "@m": 3}, "U": [None, "", {}]}},
            {"A": "x", "B": {"C": {"D": {"E": "deep"}}}},
        ]
        for body in bodies:
            self.assertEqual(moto_speed.unparse(body),
                             xmltodict.unparse(body, full_document=False, short_empty_elements=True))


class SameResponses(unittest.TestCase):
    def test_with_and_without(self):
        sc = scenario(instances=3, tasks=3)
        sc["auto_scaling_groups"][0]["tags"] = {"team": "a&b <c> \"d\" 'e'", "empty": ""}
        sc["auto_scaling_groups"][0]["suspended_processes"] = ["AZRebalance"]
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
            sim.pause()
            calls = [("autoscaling", "DescribeAutoScalingGroups", None),
                     ("autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames.member.1": "prod-asg"}),
                     ("autoscaling", "DescribeAutoScalingInstances", None),
                     ("autoscaling", "DescribeTags", None),
                     ("autoscaling", "SetDesiredCapacity", {"AutoScalingGroupName": "nope", "DesiredCapacity": 1}),
                     ("ec2", "DescribeInstances", None),
                     ("ec2", "DescribeLaunchTemplateVersions", {"LaunchTemplateName": "prod-lt"}),
                     ("ec2", "DescribeInstances", {"InstanceId.1": "i-00000000000000000"}),
                     ("sts", "GetCallerIdentity", None)]
            for service, action, params in calls:
                try:
                    moto_speed.ENABLED = False
                    slow = raw_call(sim, service, action, params)
                finally:
                    moto_speed.ENABLED = True
                fast = raw_call(sim, service, action, params)
                self.assertEqual(fast.status_code, slow.status_code, action)
                self.assertEqual(REQUEST_ID.sub("", fast.text), REQUEST_ID.sub("", slow.text), action)
                self.assertGreater(len(fast.text), 100, action)
            sim.resume()


if __name__ == "__main__":
    testlib.main()
