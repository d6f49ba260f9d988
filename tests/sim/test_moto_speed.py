"""moto_speed.py changes what moto's responses cost, never what they say: the
same bytes with and without it (request ids aside), and its XML writer gives
xmltodict's output for every kind of value moto's serializers build."""
# tier: quick  (make check: a few seconds)
import re
import unittest

import testlib
import xmltodict

from sim import Simulator, moto_speed
from sim.engine import ec2_backend
from sim.testing import raw_call, scenario

ECS_INSTANCE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
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
        # EC2's bodies are full documents.
        self.assertEqual(moto_speed._XML_DECLARATION + moto_speed.unparse(bodies[0]),
                         xmltodict.unparse(bodies[0], full_document=True, short_empty_elements=True))


class RequestIdInBody(unittest.TestCase):
    def test_same_substitution_as_moto(self):
        """The request id goes where moto's look-behind pattern puts it, in
        every arrangement of the tags (nested, unclosed, several lines)."""
        import random
        from moto.core import responses
        moto_speed.install()
        enrich = responses.BaseResponse._enrich_response
        pieces = ["<RequestId>", "</RequestId>", "a", "\n", "<", "/", "RequestId>"]
        rng = random.Random(3)
        bodies = [None, b"<RequestId>x</RequestId>", "<RequestId>a<RequestId></RequestId>",
                  '{"json": "no id"}'] + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
                                          for _ in range(3000)]
        real = responses.gen_amzn_requestid_long
        try:
            for rid in ("R1d", "a\\nb"):
                responses.gen_amzn_requestid_long = lambda headers, rid=rid: rid
                for body in bodies:
                    try:
                        want = re.sub(r"(?<=<RequestId>).*(?=<\/RequestId>)", rid, body)
                    except TypeError:
                        want = body
                    headers, got = enrich({"status": 200}, body)
                    self.assertEqual(got, want, repr(body))
                    self.assertEqual(headers, {"status": "200"})
        finally:
            responses.gen_amzn_requestid_long = real


class SameResponses(unittest.TestCase):
    def test_with_and_without(self):
        sc = scenario(instances=3, tasks=3)
        sc["auto_scaling_groups"][0]["tags"] = {"team": "a&b <c> \"d\" 'e'", "empty": ""}
        sc["auto_scaling_groups"][0]["suspended_processes"] = ["AZRebalance"]
        with Simulator(scenario=sc, time_scale=0.01) as sim:
            asg = sim.client("autoscaling")
            asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=4)
            sim.pause()
            # An instance without tags: moto's transformer drops its empty tagSet.
            untagged = sim.client("ec2").run_instances(ImageId="ami-0c0c0c0c0c0c0c0c0", MinCount=1, MaxCount=1,
                                                       InstanceType="m5.large")["Instances"][0]["InstanceId"]
            member = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
            calls = [("autoscaling", "DescribeAutoScalingGroups", None),
                     ("autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames.member.1": "prod-asg"}),
                     ("autoscaling", "DescribeAutoScalingInstances", None),
                     ("autoscaling", "DescribeTags", None),
                     ("autoscaling", "SetDesiredCapacity", {"AutoScalingGroupName": "nope", "DesiredCapacity": 1}),
                     ("ec2", "DescribeInstances", None),
                     ("ec2", "DescribeLaunchTemplateVersions", {"LaunchTemplateName": "prod-lt"}),
                     ("ec2", "DescribeInstances", {"InstanceId.1": "i-00000000000000000"}),
                     ("ec2", "DescribeInstances", {"InstanceId.1": untagged}),
                     ("ec2", "DescribeInstances", {"InstanceId.1": member, "InstanceId.2": untagged}),
                     ("ec2", "DescribeInstances", {"InstanceId.1": member, "InstanceId.2": "i-0000000000000000f"}),
                     ("ec2", "DescribeInstances", {"Filter.1.Name": "instance-id", "Filter.1.Value.1": member,
                                                   "Filter.1.Value.2": "i-0000000000000000f"}),
                     ("ec2", "DescribeInstances", {"Filter.1.Name": "tag:aws:autoscaling:groupName",
                                                   "Filter.1.Value.1": "prod-asg"}),
                     ("ec2", "DescribeTags", None),
                     ("ec2", "DescribeTags", {"Filter.1.Name": "resource-id", "Filter.1.Value.1": untagged}),
                     ("ec2", "DescribeTags", {"Filter.1.Name": "resource-id", "Filter.1.Value.1": member}),
                     ("ec2", "DescribeTags", {"Filter.1.Name": "resource-id", "Filter.1.Value.1": member[:-1] + "*"}),
                     ("ec2", "DescribeLaunchTemplates", None),
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
        # The fast path answered them (not moto's, as a fallback would).
        for op in ("DescribeAutoScalingGroups", "DescribeAutoScalingInstances", "DescribeInstances",
                   "DescribeTags", "DescribeLaunchTemplateVersions", "DescribeLaunchTemplates"):
            self.assertIn(op, moto_speed.compiled_operations())

    def test_run_instances_result(self):
        """RunInstances' answer (moto's transformer makes every instance
        "pending"), serialized by moto's serializer with and without."""
        from moto.core.utils import get_service_model
        from moto.core.serialize import EC2Serializer, SerializationContext, XFormedAttributePicker
        from moto.ec2.responses._base_response import EC2BaseResponse
        with Simulator(scenario=scenario(instances=2, tasks=2), time_scale=0.01) as sim:
            sim.client("ec2").run_instances(ImageId="ami-0c0c0c0c0c0c0c0c0", MinCount=2, MaxCount=2,
                                            InstanceType="m5.large")
            sim.pause()
            backend = ec2_backend(sim.region)
            reservation = list(backend.reservations.values())[-1]
            op = get_service_model("ec2").operation_model("RunInstances")
            bodies = []
            for enabled in (False, True):
                moto_speed.ENABLED = enabled
                try:
                    picker = XFormedAttributePicker(
                        response_transformers=EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER)
                    ser = EC2Serializer(operation_model=op, value_picker=picker,
                                        context=SerializationContext(request_id="r-1"))
                    bodies.append(ser.serialize(reservation)["body"])
                finally:
                    moto_speed.ENABLED = True
            sim.resume()
        self.assertEqual(bodies[0], bodies[1])
        self.assertEqual(bodies[1].count("<name>pending</name>"), 2)
        self.assertIn("RunInstances", moto_speed.compiled_operations())


class DescribeTags(unittest.TestCase):
    def test_one_resource_as_moto(self):
        """An instance's own tags (what serializing it and tag: filters read)."""
        with Simulator(scenario=scenario(instances=3, tasks=3), time_scale=0.01) as sim:
            sim.pause()
            backend = ec2_backend(sim.region)
            ids = [i["InstanceId"] for i in sim.client("autoscaling").describe_auto_scaling_groups()
                   ["AutoScalingGroups"][0]["Instances"]]
            backend.create_tags([ids[0]], {"x": "1"})
            backend.delete_tags([ids[1]], {k: None for k in backend.tags[ids[1]]})
            for filters in [{"resource-id": [ids[0]]}, {"resource-id": [ids[1]]}, {"resource-id": ["i-missing"]},
                            {"resource-id": [ids[2][:-2] + "?*"]}, {"resource-id": ids}, None]:
                try:
                    moto_speed.ENABLED = False
                    slow = backend.describe_tags(filters)
                finally:
                    moto_speed.ENABLED = True
                self.assertEqual(backend.describe_tags(filters), slow, filters)
            self.assertIn({"resource_id": ids[0], "key": "x", "value": "1", "resource_type": "instance"},
                          backend.describe_tags({"resource-id": [ids[0]]}))
            self.assertNotIn("i-missing", backend.tags)
            sim.resume()


class Reset(unittest.TestCase):
    def seen_after_reset(self):
        """What a Simulator sees of what the one before it in this process made
        (moto's reset, and the managed policies each IAM backend gets)."""
        with Simulator(scenario=scenario(instances=2, tasks=2), time_scale=0.01) as sim:
            sim.client("ec2").create_launch_template(LaunchTemplateName="left-behind",
                                                     LaunchTemplateData={"ImageId": "ami-0c0c0c0c0c0c0c0c0"})
            iam = sim.client("iam")
            iam.create_role(RoleName="left-behind", AssumeRolePolicyDocument="{}")
            iam.attach_role_policy(RoleName="left-behind", PolicyArn=ECS_INSTANCE_POLICY)
            self.assertEqual(iam.get_policy(PolicyArn=ECS_INSTANCE_POLICY)["Policy"]["AttachmentCount"], 1)
        with Simulator(scenario=scenario(instances=2, tasks=2), time_scale=0.01) as sim:
            ec2, iam = sim.client("ec2"), sim.client("iam")
            return {
                "templates": sorted(t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]),
                "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
                "instances": len(sim.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]),
                "amazon_images": len(ec2.describe_images(Owners=["amazon"])["Images"]),
                "managed_policy": {k: v for k, v in iam.get_policy(PolicyArn=ECS_INSTANCE_POLICY)["Policy"].items()
                                   if k in ("PolicyName", "AttachmentCount", "DefaultVersionId")},
            }

    def test_a_new_simulator_sees_nothing_of_the_one_before(self):
        seen = self.seen_after_reset()
        self.assertEqual(seen["templates"], ["prod-lt"])
        self.assertEqual(seen["roles"], [])
        self.assertEqual(seen["instances"], 2)
        # What every backend has from its start, as after moto's own reset.
        self.assertGreater(seen["amazon_images"], 1000)
        self.assertEqual(seen["managed_policy"], {"PolicyName": "AmazonEC2ContainerServiceforEC2Role",
                                                  "AttachmentCount": 0, "DefaultVersionId": "v10"})

class ModuleListing(unittest.TestCase):
    def test_same_names_as_moto(self):
        from moto import backends
        moto_speed.install()
        try:
            moto_speed.ENABLED = False
            theirs = set(backends.list_of_moto_modules())
        finally:
            moto_speed.ENABLED = True
        ours = backends.list_of_moto_modules()
        self.assertEqual(set(ours), theirs)
        for name in ("autoscaling", "ec2", "ecs", "sts"):
            self.assertIn(name, ours)
        self.assertNotIn("__pycache__", ours)


class TaskArn(unittest.TestCase):
    def test_built_once_as_moto_builds_it(self):
        with Simulator(scenario=scenario(instances=1, tasks=2), time_scale=0.01) as sim:
            sim.pause()
            tasks = list(sim.engine.tasks.values())
            self.assertEqual(len(tasks), 2)
            for t in tasks:
                ours = t.task_arn
                self.assertIs(t.task_arn, ours)  # built once
                try:
                    moto_speed.ENABLED = False
                    theirs = t.task_arn
                finally:
                    moto_speed.ENABLED = True
                self.assertEqual(ours, theirs)
                self.assertTrue(ours.endswith(f"/{t.cluster_name}/{t.id}"), ours)


class ResourceIds(unittest.TestCase):
    def test_hex_digits_of_the_size_from_motos_generator(self):
        from moto.ec2 import utils
        from moto.moto_api._internal import mock_random
        moto_speed.install()
        for size in (2, 8, 17):
            ids = {utils.random_resource_id(size) for _ in range(400)}
            self.assertTrue(all(re.fullmatch(f"[0-9a-f]{{{size}}}", i) for i in ids), ids)
            self.assertGreater(len(ids), 300 if size > 2 else 150)  # random, not fixed
            # Every digit, leading zeros included, in every position.
            for pos in range(size):
                self.assertEqual({i[pos] for i in ids}, set("0123456789abcdef"), (size, pos))
        self.assertRegex(utils.random_id("vol"), r"\Avol-[0-9a-f]{17}\Z")
        # Seeding moto's generator makes ids repeatable, as it does moto's own.
        mock_random.seed(5)
        first = [utils.random_resource_id(17) for _ in range(3)]
        mock_random.seed(5)
        self.assertEqual([utils.random_resource_id(17) for _ in range(3)], first)
        mock_random.seed()  # unseeded again for the tests after this one
        try:
            moto_speed.ENABLED = False
            self.assertRegex(utils.random_resource_id(8), r"\A[0-9a-f]{8}\Z")
        finally:
            moto_speed.ENABLED = True


class ImageLookup(unittest.TestCase):
    def test_exact_image_id_as_moto(self):
        with Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01) as sim:
            sim.pause()
            backend = ec2_backend(sim.region)
            known = sorted(backend.amis)[7]
            for value in (known, "ami-00000000000000000", known[:-2] + "*", known[:-1] + "?"):
                ours = backend.describe_images(filters={"image-id": value})
                try:
                    moto_speed.ENABLED = False
                    theirs = backend.describe_images(filters={"image-id": value})
                finally:
                    moto_speed.ENABLED = True
                self.assertEqual([a.id for a in ours], [a.id for a in theirs], value)
            self.assertEqual([a.id for a in backend.describe_images(filters={"image-id": known})], [known])


class DefaultAmis(unittest.TestCase):
    ACCOUNT, REGION = "111122223333", "us-east-1"  # an account no other test uses

    def fresh(self):
        """A new EC2 backend of ACCOUNT and REGION, as after a reset."""
        from moto.ec2.models import ec2_backends
        account = ec2_backends[self.ACCOUNT]
        dict.pop(account, self.REGION, None)  # its own `in` answers for every Region it knows
        return account[self.REGION]

    @staticmethod
    def look(backend):
        """Every AMI with its snapshot, volume and tags, but for what is random or now."""
        out = {}
        for ami in backend.describe_images():
            snap = ami.ebs_snapshot
            self_ = {k: v for k, v in vars(ami).items() if k not in ("ec2_backend", "ebs_snapshot", "creation_date")}
            self_["snapshot"] = {k: v for k, v in vars(snap).items()
                                 if k not in ("ec2_backend", "id", "start_time", "volume")}
            self_["volume"] = {k: v for k, v in vars(snap.volume).items() if k not in ("ec2_backend", "id", "create_time")}
            self_["tags"] = backend.tags.get(ami.id)
            self_["owned"] = (ami.ec2_backend, snap.ec2_backend, snap.volume.ec2_backend, backend.snapshots[snap.id]) \
                == (backend, backend, backend, snap)
            out[ami.id] = self_
        return out

    def test_copies_are_what_moto_makes(self):
        moto_speed.install()
        try:
            moto_speed.ENABLED = False
            theirs = self.look(self.fresh())
        finally:
            moto_speed.ENABLED = True
        from moto.core.utils import utcnow
        before = utcnow()
        first, second = self.fresh(), self.fresh()  # made by moto, then copied
        # Made now, as moto dates them (its files give no creation dates).
        for backend in (first, second):
            self.assertTrue(all(a.creation_date >= before and a.ebs_snapshot.start_time >= before
                                for a in backend.amis.values()))
        self.assertGreater(len(theirs), 1000)
        self.assertEqual(self.look(first), theirs)
        self.assertEqual(self.look(second), theirs)
        self.assertTrue(all(a["owned"] for a in theirs.values()))
        # A copy is its own: what an API call changes on one reaches no other.
        ami_id = sorted(second.amis)[0]
        second.create_tags([ami_id], {"mine": "yes"})
        second.amis[ami_id].launch_permissions.append({"UserId": "123456789012"})
        second.amis[ami_id].ebs_snapshot.create_volume_permission_groups.add("all")
        third = self.fresh()
        self.assertEqual(self.look(third), theirs)
        self.assertNotIn("mine", third.tags[ami_id])
        self.assertEqual(self.look(second)[ami_id]["tags"]["mine"], "yes")


if __name__ == "__main__":
    testlib.main()
