# The capacity provider (on by default, as terraform-aws-modules/ecs has it),
# the group settings it needs, and the rollout permissions that go with each of
# its shapes. Plans against a mocked provider: nothing is created. Applies with
# a capacity provider against the simulator, with a rollout, wait for the
# helper to handle these shapes (issue 12).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  cluster_name          = "test-cluster"
  cluster_instance_type = "t3.medium"
  cluster_min_size      = 2
  cluster_max_size      = 4
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_subnet_ids        = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

run "defaults_manage_scaling_protection_and_draining" {
  command = plan

  assert {
    condition     = length(aws_ecs_capacity_provider.this) == 1 && aws_ecs_capacity_provider.this[0].name == "test-cluster"
    error_message = "one capacity provider, named after the cluster, by default"
  }
  assert {
    condition = (
      aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].auto_scaling_group_arn == aws_autoscaling_group.this.arn &&
      aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].managed_termination_protection == "ENABLED" &&
      aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].managed_draining == "ENABLED"
    )
    error_message = "the provider must manage this group with termination protection and draining on"
  }
  assert {
    condition = jsonencode(aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].managed_scaling[0]) == jsonencode({
      instance_warmup_period    = 300
      maximum_scaling_step_size = 10000
      minimum_scaling_step_size = 1
      status                    = "ENABLED"
      target_capacity           = 100
    })
    error_message = "managed scaling must be on with AWS's defaults: ${jsonencode(aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].managed_scaling)}"
  }
  assert {
    condition = (
      aws_ecs_cluster_capacity_providers.this[0].cluster_name == "test-cluster" &&
      aws_ecs_cluster_capacity_providers.this[0].capacity_providers == toset(["test-cluster"]) &&
      jsonencode(aws_ecs_cluster_capacity_providers.this[0].default_capacity_provider_strategy) == jsonencode([{ base = 0, capacity_provider = "test-cluster", weight = 1 }])
    )
    error_message = "the provider must be the cluster's, and its default strategy"
  }
  assert {
    condition     = output.ecs_capacity_provider_name == "test-cluster"
    error_message = "the output gives services the provider's name"
  }
  assert {
    condition     = aws_autoscaling_group.this.protect_from_scale_in && aws_autoscaling_group.this.force_delete
    error_message = "managed termination protection needs new instances protected from scale-in, and destroy must not wait on protected instances"
  }
  assert {
    condition     = contains([for t in aws_autoscaling_group.this.tag : "${t.key}=${t.value}/${t.propagate_at_launch}"], "AmazonECSManaged=true/true")
    error_message = "the group must declare the AmazonECSManaged tag ECS adds, or every apply would remove it"
  }
  assert {
    condition = jsonencode([for st in jsondecode(output.rollout_iam_policy_json).Statement : st if contains(["ReadScalingAlarms"], st.Sid)]) == jsonencode([
      {
        Action   = ["cloudwatch:DescribeAlarms"]
        Effect   = "Allow"
        Resource = "*"
        Sid      = "ReadScalingAlarms"
      },
    ])
    error_message = "the rollout's permissions for a managed capacity provider: the alarms of its scaling policy: ${output.rollout_iam_policy_json}"
  }
  assert {
    condition     = length([for st in jsondecode(output.rollout_iam_policy_json).Statement : st if contains(["BulkScaleInProtectionInThisGroup"], st.Sid)]) == 0
    error_message = "with managed termination protection ECS owns the members' protection: the rollout never calls SetInstanceProtection"
  }
}

run "reserved_prefix_gets_another_name" {
  command = plan
  variables {
    cluster_name = "ECS-prod"
  }
  assert {
    condition     = aws_ecs_capacity_provider.this[0].name == "cp-ECS-prod" && output.ecs_capacity_provider_name == "cp-ECS-prod"
    error_message = "ECS reserves capacity provider names starting with ecs (any case): the default must avoid them"
  }
}

run "name_given" {
  command = plan
  variables {
    capacity_provider_name = "prod_ondemand"
  }
  assert {
    condition     = aws_ecs_capacity_provider.this[0].name == "prod_ondemand"
    error_message = "capacity_provider_name names the provider"
  }
}

run "disabled_leaves_the_group_as_before" {
  command = plan
  variables {
    capacity_provider_enabled = false
  }
  assert {
    condition     = length(aws_ecs_capacity_provider.this) == 0 && length(aws_ecs_cluster_capacity_providers.this) == 0 && output.ecs_capacity_provider_name == null && output.ecs_capacity_provider_arn == null
    error_message = "no capacity provider when it is disabled"
  }
  assert {
    condition     = !aws_autoscaling_group.this.protect_from_scale_in && !aws_autoscaling_group.this.force_delete
    error_message = "without managed termination protection, instances launch unprotected and destroy waits for them"
  }
  assert {
    condition     = !contains([for t in aws_autoscaling_group.this.tag : t.key], "AmazonECSManaged")
    error_message = "no AmazonECSManaged tag without a capacity provider"
  }
  assert {
    condition     = length([for st in jsondecode(output.rollout_iam_policy_json).Statement : st if contains(["ReadScalingAlarms"], st.Sid)]) == 0
    error_message = "no capacity provider permission without a capacity provider"
  }
  assert {
    condition     = jsonencode([for st in jsondecode(output.rollout_iam_policy_json).Statement : st.Action if contains(["BulkScaleInProtectionInThisGroup"], st.Sid)]) == jsonencode([["autoscaling:SetInstanceProtection"]])
    error_message = "without managed termination protection the bulk scale-in protects members of the group (SetInstanceProtection): ${output.rollout_iam_policy_json}"
  }
}

run "unmanaged_provider_grants_only_what_draining_needs" {
  command = plan
  variables {
    capacity_provider_managed_scaling                = { enabled = false }
    capacity_provider_managed_termination_protection = false
  }
  assert {
    condition = (
      aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].managed_scaling[0].status == "DISABLED" &&
      aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].managed_termination_protection == "DISABLED" &&
      aws_ecs_capacity_provider.this[0].auto_scaling_group_provider[0].managed_draining == "ENABLED"
    )
    error_message = "scaling and protection off, draining on"
  }
  assert {
    condition     = !aws_autoscaling_group.this.protect_from_scale_in && !aws_autoscaling_group.this.force_delete
    error_message = "no protection without managed termination protection"
  }
  assert {
    condition     = length([for st in jsondecode(output.rollout_iam_policy_json).Statement : st if contains(["ReadScalingAlarms"], st.Sid)]) == 0
    error_message = "without managed scaling there are no alarms to read (the draining hook is read like any hook): ${output.rollout_iam_policy_json}"
  }
}

run "rollout_in_progress_keeps_the_groups_protection_setting" {
  command = plan
  override_data {
    target = data.aws_autoscaling_groups.existing
    values = { arns = ["arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:1:autoScalingGroupName/test-cluster"] }
  }
  override_data {
    target = data.aws_autoscaling_group.existing
    values = {
      min_size                              = 2
      max_size                              = 8
      new_instances_protected_from_scale_in = false
      tag                                   = [{ key = "ecs-rollout:state", value = "{}", propagate_at_launch = false }]
    }
  }
  assert {
    condition     = !aws_autoscaling_group.this.protect_from_scale_in
    error_message = "while a rollout holds NewInstancesProtectedFromScaleIn, the plan must keep the live value"
  }
}
