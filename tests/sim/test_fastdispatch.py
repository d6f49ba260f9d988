"""fastdispatch.py answers without Flask exactly what moto's Flask apps
answer: the same status, the same headers in the same order, the same body
(request ids, and what depends on them, aside), for reads, writes and
errors of each service it serves; anything else still goes through Flask."""
# tier: quick  (make check: a few seconds)
import re
import unittest

import testlib

from sim import Simulator
from sim.testing import raw_call, scenario

REQUEST_ID = re.compile(r"<(RequestId|RequestID|requestId)>[^<]*</\1>")
# Differ from one answer to the next: the request id, the CRC of a body
# holding it, the server's clock.
VARYING = {"x-amzn-requestid", "x-amz-crc32", "date"}


def answer(sim, service, action, params, fast):
    app = sim.server.app
    app.fast.enabled = fast
    before = app.fast.answered
    try:
        r = raw_call(sim, service, action, params)
    finally:
        app.fast.enabled = True
    headers = [(k.lower(), None if k.lower() in VARYING else v) for k, v in r.headers.items()]
    return r.status_code, headers, REQUEST_ID.sub("", r.text), app.fast.answered - before


class SameAnswers(unittest.TestCase):
    def test_with_and_without_flask(self):
        with Simulator(scenario=scenario(instances=3, tasks=3), time_scale=0.01) as sim:
            sim.pause()
            member = sim.client("autoscaling").describe_auto_scaling_groups()[
                "AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
            calls = [("autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames.member.1": "prod-asg"}),
                     ("autoscaling", "DescribeTags", None),
                     ("autoscaling", "SetDesiredCapacity", {"AutoScalingGroupName": "nope", "DesiredCapacity": 1}),
                     ("autoscaling", "TerminateInstanceInAutoScalingGroup",
                      {"InstanceId": "i-00000000000000000", "ShouldDecrementDesiredCapacity": "false"}),
                     ("ecs", "ListContainerInstances", {"cluster": "prod"}),
                     ("ecs", "DescribeClusters", {"clusters": ["prod"]}),
                     ("ecs", "DescribeServices", {"cluster": "nope", "services": ["x"]}),
                     ("ecs", "NoSuchAction", {}),
                     ("ec2", "DescribeInstances", {"InstanceId.1": member}),
                     ("ec2", "DescribeInstances", {"InstanceId.1": "i-00000000000000000"}),
                     ("sts", "GetCallerIdentity", None)]
            for service, action, params in calls:
                slow = answer(sim, service, action, params, fast=False)
                fast = answer(sim, service, action, params, fast=True)
                self.assertEqual(slow[3], 0, action)
                self.assertEqual(fast[3], 1, f"{action}: not answered by the fast path")
                self.assertEqual(fast[:3], slow[:3], action)
                self.assertGreater(len(fast[2]), 50, action)
            # A write, once each way: the same change, the same answer.
            ids = [i["InstanceId"] for i in sim.client("autoscaling").describe_auto_scaling_groups()[
                "AutoScalingGroups"][0]["Instances"]]
            done = [answer(sim, "autoscaling", "TerminateInstanceInAutoScalingGroup",
                           {"InstanceId": iid, "ShouldDecrementDesiredCapacity": "false"}, fast=fast)
                    for iid, fast in zip(ids, (False, True))]
            self.assertEqual(done[0][0], 200)
            self.assertEqual(done[0][:2], done[1][:2])
            # Activity ids and times differ; the shape does not.
            strip = re.compile(r">[^<]*<")
            self.assertEqual(strip.sub("><", done[0][2]), strip.sub("><", done[1][2]))
            sim.resume()

    def test_other_requests_go_through_flask(self):
        import requests
        with Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01) as sim:
            app = sim.server.app
            before = app.fast.answered
            # IAM is not among its services; an unsigned request names none.
            self.assertEqual(answer(sim, "autoscaling", "DescribeTags", None, fast=True)[3], 1)
            r = requests.post(sim.endpoint + "/", data="Action=GetCallerIdentity&Version=2011-06-15",
                              headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
            self.assertEqual(r.status_code, 200)
            self.assertEqual(app.fast.answered, before + 1)


class RequestUrl(unittest.TestCase):
    def test_the_short_way_gives_werkzeugs_url_or_steps_aside(self):
        from sim.fastdispatch import Request, _url
        shortcuts = 0
        for host in ("127.0.0.1:5000", "localhost", "LocalHost:1", "ecs.us-east-1.amazonaws.com", "a:80",
                     "[::1]:5", "h:443", "b\u00fccher.example", ""):
            for query in ("", "Action=X"):
                environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": query, "SCRIPT_NAME": "",
                           "wsgi.url_scheme": "http", "HTTP_HOST": host, "SERVER_NAME": "127.0.0.1",
                           "SERVER_PORT": "5000"}
                url = _url(environ)
                if url is not None:
                    shortcuts += 1
                    self.assertEqual(url, Request(environ).url, (host, query))
        self.assertEqual(shortcuts, 5)


if __name__ == "__main__":
    testlib.main()
