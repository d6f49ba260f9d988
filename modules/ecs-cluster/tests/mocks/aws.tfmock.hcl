# Values the mocked AWS provider returns, shaped like real ones where the real
# provider validates them (ARNs, ids) or the module parses them (the cluster
# ARN). Shared by every test file of the module.

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_data "aws_ssm_parameter" {
  defaults = {
    insecure_value = "ami-0ecs0000000000000"
    type           = "String"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/test-cluster"
  }
}

mock_resource "aws_launch_template" {
  defaults = {
    id             = "lt-0123456789abcdef0"
    arn            = "arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0123456789abcdef0"
    latest_version = 3
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/test-cluster-20250101000000000000000001"
  }
}

mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::123456789012:instance-profile/test-cluster-20250101000000000000000002"
  }
}

mock_resource "aws_security_group" {
  defaults = {
    id  = "sg-0aaaaaaaaaaaaaaa0"
    arn = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0aaaaaaaaaaaaaaa0"
  }
}

mock_resource "aws_autoscaling_group" {
  defaults = {
    arn = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:11111111-2222-3333-4444-555555555555:autoScalingGroupName/test-cluster"
  }
}

mock_resource "aws_ecs_capacity_provider" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-1:123456789012:capacity-provider/test-cluster"
  }
}
