"""The simulator's authenticated mode (Simulator(iam_auth=True), iam_auth.py):
requests are authorized against the ARNs AWS uses and conditions are
evaluated, where moto alone checks every Auto Scaling/ECS/EC2 action against
"*" and ignores most condition operators."""
import json
import unittest

import botocore.exceptions
import testlib

from sim import Simulator
from sim.testing import client_as, iam_user, scenario

ACCOUNT = "123456789012"
GROUP_ARN = f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/prod-asg"
CLUSTER_ARN = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resource="*", **cond):
    st = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if cond:
        st["Condition"] = cond
    return st


class IamAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sc = scenario(instances=2, tasks=2)
        sc["clusters"].append({"name": "other"})
        cls.sim = Simulator(scenario=sc, time_scale=0.01, iam_auth=True).start()
        cls.users = 0

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def user(self, *statements):
        IamAuth.users += 1
        key, secret = iam_user(self.sim, f"u{IamAuth.users}", policy(*statements))
        return key, secret

    def denied(self, call, code="AccessDenied"):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call()
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)
        return cm.exception.response

    def test_a_policy_scoped_to_the_group_allows_it_and_nothing_else(self):
        k, s = self.user(allow("autoscaling:SetDesiredCapacity", GROUP_ARN))
        asg = client_as(self.sim, "autoscaling", k, s)
        asg.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=2)
        err = self.denied(lambda: asg.update_auto_scaling_group(AutoScalingGroupName="prod-asg", MaxSize=12))
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 403)
        msg = err["Error"]["Message"]
        self.assertIn(f"User: arn:aws:iam::{ACCOUNT}:user/", msg)
        self.assertIn("is not authorized to perform: autoscaling:UpdateAutoScalingGroup on resource: "
                      f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:", msg)
        self.assertIn("because no identity-based policy allows the autoscaling:UpdateAutoScalingGroup action", msg)
        # Another group's ARN does not match the scoped Resource.
        k2, s2 = self.user(allow("autoscaling:SetDesiredCapacity", GROUP_ARN.replace("prod-asg", "other")))
        self.denied(lambda: client_as(self.sim, "autoscaling", k2, s2).set_desired_capacity(
            AutoScalingGroupName="prod-asg", DesiredCapacity=2))

    def test_terminating_an_instance_is_authorized_against_its_group(self):
        k, s = self.user(allow("autoscaling:TerminateInstanceInAutoScalingGroup",
                               GROUP_ARN.replace("prod-asg", "other")))
        asg = client_as(self.sim, "autoscaling", k, s)
        iid = self.sim.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=["prod-asg"])["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
        self.denied(lambda: asg.terminate_instance_in_auto_scaling_group(
            InstanceId=iid, ShouldDecrementDesiredCapacity=False))

    def test_tag_keys_condition(self):
        k, s = self.user(allow(["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"], GROUP_ARN,
                               **{"ForAllValues:StringLike": {"aws:TagKeys": ["ecs-rollout:*"]}}))
        asg = client_as(self.sim, "autoscaling", k, s)

        def tags(*keys):
            return [{"ResourceId": "prod-asg", "ResourceType": "auto-scaling-group", "Key": key, "Value": "v",
                     "PropagateAtLaunch": False} for key in keys]
        asg.create_or_update_tags(Tags=tags("ecs-rollout:test"))
        self.denied(lambda: asg.create_or_update_tags(Tags=tags("ecs-rollout:test", "owner")))
        self.denied(lambda: asg.delete_tags(Tags=tags("Name")))
        asg.delete_tags(Tags=tags("ecs-rollout:test"))

    def test_ecs_calls_need_their_resources_and_the_cluster_condition(self):
        k, s = self.user(allow(["ecs:ListTasks", "ecs:ListContainerInstances"], "*",
                               ArnEquals={"ecs:cluster": CLUSTER_ARN}),
                         allow("ecs:DescribeContainerInstances",
                               f"arn:aws:ecs:us-east-1:{ACCOUNT}:container-instance/prod/*"))
        ecs = client_as(self.sim, "ecs", k, s)
        arns = ecs.list_container_instances(cluster="prod")["containerInstanceArns"]
        self.assertEqual(len(arns), 2)
        ecs.describe_container_instances(cluster="prod", containerInstances=arns)
        ecs.list_tasks(cluster="prod")
        err = self.denied(lambda: ecs.list_tasks(cluster="other"), "AccessDeniedException")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertIn("not authorized to perform: ecs:ListTasks because", err["Error"]["Message"])
        err = self.denied(lambda: ecs.describe_clusters(clusters=["prod"]), "AccessDeniedException")
        self.assertIn(f"on resource: {CLUSTER_ARN} ", err["Error"]["Message"])

    def test_explicit_deny_wins_and_not_action(self):
        k, s = self.user({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                         {"Effect": "Deny", "Action": "ecs:Describe*", "Resource": "*"})
        ecs = client_as(self.sim, "ecs", k, s)
        ecs.list_clusters()
        err = self.denied(lambda: ecs.describe_clusters(clusters=["prod"]), "AccessDeniedException")
        self.assertIn("with an explicit deny in an identity-based policy", err["Error"]["Message"])
        self.denied(lambda: client_as(self.sim, "iam", k, s).list_users())

    def test_ec2_refusals_are_unauthorized_operation(self):
        k, s = self.user(allow("ec2:DescribeLaunchTemplates"))
        ec2 = client_as(self.sim, "ec2", k, s)
        ec2.describe_launch_templates()
        err = self.denied(lambda: ec2.describe_instances(), "UnauthorizedOperation")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertIn("You are not authorized to perform this operation.", err["Error"]["Message"])

    def test_bad_keys_and_signatures_are_refused_in_each_services_shape(self):
        k, s = self.user(allow("*"))
        self.denied(lambda: client_as(self.sim, "ecs", k, "wrong-secret").list_clusters(),
                    "InvalidSignatureException")
        self.denied(lambda: client_as(self.sim, "ecs", "AKIA0000000000000000", s).list_clusters(),
                    "UnrecognizedClientException")
        self.denied(lambda: client_as(self.sim, "autoscaling", k, "wrong-secret").describe_auto_scaling_groups(),
                    "SignatureDoesNotMatch")
        self.denied(lambda: client_as(self.sim, "ec2", k, "wrong-secret").describe_instances(), "AuthFailure")

    def test_web_identity_is_unsigned(self):
        import botocore
        from botocore.config import Config
        import boto3
        unsigned = Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1, "mode": "standard"})
        kw = dict(endpoint_url=self.sim.endpoint, region_name="us-east-1", config=unsigned)
        self.sim.client("iam").create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(policy(
            {"Effect": "Allow", "Principal": {"Federated": "accounts.example"},
             "Action": "sts:AssumeRoleWithWebIdentity"})))
        out = boto3.client("sts", **kw).assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/web", RoleSessionName="web-session", WebIdentityToken="a.b.c")
        self.assertTrue(out["Credentials"]["SessionToken"])

    def test_get_caller_identity_needs_no_permission(self):
        k, s = self.user(allow("ecs:ListClusters"))
        ident = client_as(self.sim, "sts", k, s).get_caller_identity()
        self.assertEqual(ident["Account"], ACCOUNT)

    def test_an_unsupported_condition_operator_denies_and_is_reported(self):
        k, s = self.user(allow("ecs:ListClusters", "*", NumericLessThan={"aws:MultiFactorAuthAge": "3600"}))
        self.denied(lambda: client_as(self.sim, "ecs", k, s).list_clusters(), "AccessDeniedException")
        errors = self.sim.ledger(timeline=False)["simulator_errors"]
        self.assertTrue(any("NumericLessThan" in e for e in errors), errors)
        self.sim.engine.errors.clear()

    def test_the_simulators_own_key_is_the_accounts_root(self):
        self.assertEqual(len(self.sim.client("ecs").list_clusters()["clusterArns"]), 2)
        self.assertEqual(json.loads(json.dumps(self.sim.state()))["region"], "us-east-1")


class Evaluator(unittest.TestCase):
    """iam_auth.evaluate on its own: IAM's rules for statements and conditions."""

    def verdict(self, statement, action="ecs:ListTasks", resource="*", **ctx):
        from sim import iam_auth
        return iam_auth.evaluate([json.dumps(policy(statement))], action, resource,
                                 {k.replace("__", ":"): v for k, v in ctx.items()})

    def test_actions_match_without_case_and_with_wildcards(self):
        self.assertEqual(self.verdict(allow("ECS:list*")), "Allow")
        self.assertEqual(self.verdict(allow("ecs:List?asks")), "Allow")
        self.assertEqual(self.verdict(allow("ecs:Describe*")), "ImplicitDeny")
        self.assertEqual(self.verdict({"Effect": "Allow", "NotAction": "ecs:ListTasks", "Resource": "*"}),
                         "ImplicitDeny")

    def test_resources_match_with_wildcards_and_not_resource(self):
        arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/prod/abc"
        self.assertEqual(self.verdict(allow("ecs:StopTask", "arn:aws:ecs:*:*:task/prod/*"), "ecs:StopTask", arn),
                         "Allow")
        self.assertEqual(self.verdict(allow("ecs:StopTask", "arn:aws:ecs:*:*:task/other/*"), "ecs:StopTask", arn),
                         "ImplicitDeny")
        self.assertEqual(self.verdict({"Effect": "Allow", "Action": "ecs:StopTask",
                                       "NotResource": "arn:aws:ecs:*:*:task/prod/*"}, "ecs:StopTask", arn),
                         "ImplicitDeny")

    def test_condition_operators_and_missing_keys(self):
        st = allow("ecs:ListTasks", "*", ArnLike={"ecs:cluster": "arn:aws:ecs:*:*:cluster/prod"})
        self.assertEqual(self.verdict(st, ecs__cluster=[CLUSTER_ARN]), "Allow")
        self.assertEqual(self.verdict(st, ecs__cluster=[CLUSTER_ARN + "x"]), "ImplicitDeny")
        self.assertEqual(self.verdict(st), "ImplicitDeny")  # key missing
        neg = allow("ecs:ListTasks", "*", StringNotEquals={"aws:username": "eve"})
        self.assertEqual(self.verdict(neg), "Allow")
        self.assertEqual(self.verdict(neg, aws__username=["eve"]), "ImplicitDeny")
        ife = allow("ecs:ListTasks", "*", StringEqualsIfExists={"aws:username": "bob"})
        self.assertEqual(self.verdict(ife), "Allow")
        self.assertEqual(self.verdict(ife, aws__username=["eve"]), "ImplicitDeny")
        null = allow("ecs:ListTasks", "*", Null={"aws:TagKeys": "true"})
        self.assertEqual(self.verdict(null), "Allow")
        self.assertEqual(self.verdict(null, aws__TagKeys=["a"]), "ImplicitDeny")

    def test_set_operators(self):
        every = allow("ecs:ListTasks", "*", **{"ForAllValues:StringLike": {"aws:TagKeys": ["ecs-rollout:*"]}})
        self.assertEqual(self.verdict(every, aws__TagKeys=["ecs-rollout:a", "ecs-rollout:b"]), "Allow")
        self.assertEqual(self.verdict(every, aws__TagKeys=["ecs-rollout:a", "Name"]), "ImplicitDeny")
        self.assertEqual(self.verdict(every), "Allow")  # no keys at all: vacuously true, as in IAM
        some = allow("ecs:ListTasks", "*", **{"ForAnyValue:StringEquals": {"aws:TagKeys": ["Name"]}})
        self.assertEqual(self.verdict(some, aws__TagKeys=["a", "Name"]), "Allow")
        self.assertEqual(self.verdict(some, aws__TagKeys=["a"]), "ImplicitDeny")
        self.assertEqual(self.verdict(some), "ImplicitDeny")

    def test_unsupported_operators_are_refused_loudly(self):
        from sim import iam_auth
        with self.assertRaises(iam_auth.PolicyError):
            self.verdict(allow("ecs:ListTasks", "*", DateGreaterThan={"aws:CurrentTime": "2020-01-01T00:00:00Z"}))


class IamAuthOff(unittest.TestCase):
    def test_authentication_ends_with_the_simulator(self):
        from moto import settings
        before = settings.INITIAL_NO_AUTH_ACTION_COUNT
        with Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01, iam_auth=True):
            self.assertEqual(settings.INITIAL_NO_AUTH_ACTION_COUNT, 0)
        self.assertEqual(settings.INITIAL_NO_AUTH_ACTION_COUNT, before)
        with Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01) as sim:
            # Without iam_auth any key is accepted, as before.
            client_as(sim, "ecs", "AKIA0000000000000000", "whatever").list_clusters()


if __name__ == "__main__":
    testlib.main()
