# The mixed instances policy: instance types, per-family launch templates with
# their own AMIs, and the Spot / On-Demand split. Plans against a mocked
# provider: nothing is created.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  cluster_name     = "test-cluster"
  cluster_min_size = 2
  cluster_max_size = 4
  vpc_id           = "vpc-0123456789abcdef0"
  vpc_subnet_ids   = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

run "single_instance_type_uses_the_template_directly" {
  command = plan
  variables {
    cluster_instance_type = "t3.medium"
  }
  assert {
    condition     = length(aws_autoscaling_group.this.mixed_instances_policy) == 0 && aws_autoscaling_group.this.launch_template[0].version == "3"
    error_message = "without a mixed instances policy the group launches from the main template's latest version"
  }
  assert {
    condition     = length(aws_launch_template.family) == 0 && output.ecs_cluster_family_launch_templates == {}
    error_message = "no per-family template without a policy"
  }
}

run "x86_and_graviton_with_spot" {
  command = plan
  variables {
    cluster_instance_ami = "ami-0a0a0a0a0a0a0a0a0"
    cluster_mixed_instances_policy = {
      instance_types = [
        { instance_type = "m6i.large" },
        { instance_type = "m7g.large", launch_template = "arm64" },
        { instance_type = "c7g.large", launch_template = "arm64" },
      ]
      launch_templates = {
        arm64 = { ami = "ami-0b0b0b0b0b0b0b0b0" }
      }
      on_demand_base_capacity                  = 1
      on_demand_percentage_above_base_capacity = 25
    }
  }

  assert {
    condition     = aws_launch_template.this.instance_type == null && aws_launch_template.this.image_id == "ami-0a0a0a0a0a0a0a0a0"
    error_message = "the main template names no instance type (the overrides do) and keeps cluster_instance_ami"
  }
  assert {
    condition = (
      aws_launch_template.family["arm64"].image_id == "ami-0b0b0b0b0b0b0b0b0" &&
      aws_launch_template.family["arm64"].instance_type == null &&
      aws_launch_template.family["arm64"].user_data == aws_launch_template.this.user_data &&
      aws_launch_template.family["arm64"].metadata_options[0].http_tokens == "required" &&
      aws_launch_template.family["arm64"].iam_instance_profile[0].arn == aws_launch_template.this.iam_instance_profile[0].arn &&
      aws_launch_template.family["arm64"].block_device_mappings[0].ebs[0].encrypted == "true"
    )
    error_message = "the Graviton template must be the main one with its own AMI"
  }
  assert {
    condition     = length(aws_autoscaling_group.this.launch_template) == 0
    error_message = "with a mixed instances policy the group names its template inside the policy only"
  }
  assert {
    condition = jsonencode([for d in aws_autoscaling_group.this.mixed_instances_policy[0].instances_distribution : {
      on_demand_allocation_strategy            = d.on_demand_allocation_strategy
      on_demand_base_capacity                  = d.on_demand_base_capacity
      on_demand_percentage_above_base_capacity = d.on_demand_percentage_above_base_capacity
      spot_allocation_strategy                 = d.spot_allocation_strategy
      }]) == jsonencode([{
      on_demand_allocation_strategy            = "prioritized"
      on_demand_base_capacity                  = 1
      on_demand_percentage_above_base_capacity = 25
      spot_allocation_strategy                 = "price-capacity-optimized"
    }])
    error_message = "the Spot / On-Demand split: ${jsonencode(aws_autoscaling_group.this.mixed_instances_policy[0].instances_distribution)}"
  }
  assert {
    condition = (
      aws_autoscaling_group.this.mixed_instances_policy[0].launch_template[0].launch_template_specification[0].launch_template_id == "lt-0123456789abcdef0" &&
      aws_autoscaling_group.this.mixed_instances_policy[0].launch_template[0].launch_template_specification[0].version == "3"
    )
    error_message = "the policy's template must be the main one, at its latest version as a number"
  }
  assert {
    condition = jsonencode([for o in aws_autoscaling_group.this.mixed_instances_policy[0].launch_template[0].override : [o.instance_type, length(o.launch_template_specification)]]) == jsonencode([
      ["m6i.large", 0], ["m7g.large", 1], ["c7g.large", 1],
    ])
    error_message = "the overrides, in order, the Graviton ones naming their own template"
  }
  assert {
    condition = alltrue([
      for o in aws_autoscaling_group.this.mixed_instances_policy[0].launch_template[0].override :
      o.launch_template_specification[0].launch_template_id == aws_launch_template.family["arm64"].id && o.launch_template_specification[0].version == tostring(aws_launch_template.family["arm64"].latest_version)
      if length(o.launch_template_specification) > 0
    ])
    error_message = "a Graviton override must name the Graviton template at its latest version"
  }
  assert {
    condition     = output.ecs_cluster_family_launch_templates["arm64"].ami_id == "ami-0b0b0b0b0b0b0b0b0"
    error_message = "the output lists the per-family templates"
  }
  assert {
    condition     = terraform_data.rollout[0].triggers_replace.family_launch_templates == { arm64 = "${aws_launch_template.family["arm64"].id}:${aws_launch_template.family["arm64"].latest_version}" }
    error_message = "a new version of a per-family template must trigger a rollout too: ${jsonencode(terraform_data.rollout[0].triggers_replace)}"
  }
}

run "family_ami_from_ssm_and_weights" {
  command = plan
  variables {
    cluster_instance_type = "m6i.large"
    cluster_mixed_instances_policy = {
      instance_types = [
        { instance_type = "m6i.large", weighted_capacity = 2 },
        { instance_type = "m7g.xlarge", weighted_capacity = 4, launch_template = "arm64" },
      ]
      launch_templates = {
        arm64 = { ami_ssm_parameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id" }
      }
      on_demand_allocation_strategy = "lowest-price"
      spot_allocation_strategy      = "capacity-optimized"
    }
  }
  override_data {
    target = data.aws_ssm_parameter.family_ami["arm64"]
    values = { insecure_value = "ami-0c0c0c0c0c0c0c0c0" }
  }
  assert {
    condition     = aws_launch_template.family["arm64"].image_id == "ami-0c0c0c0c0c0c0c0c0" && data.aws_ssm_parameter.family_ami["arm64"].name == "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    error_message = "a family's AMI can come from a public SSM parameter"
  }
  assert {
    condition     = aws_launch_template.this.instance_type == "m6i.large"
    error_message = "cluster_instance_type still goes into the main template when given"
  }
  assert {
    condition     = jsonencode([for o in aws_autoscaling_group.this.mixed_instances_policy[0].launch_template[0].override : o.weighted_capacity]) == jsonencode(["2", "4"])
    error_message = "weights must be passed as given"
  }
  assert {
    condition = (
      aws_autoscaling_group.this.mixed_instances_policy[0].instances_distribution[0].on_demand_allocation_strategy == "lowest-price" &&
      aws_autoscaling_group.this.mixed_instances_policy[0].instances_distribution[0].spot_allocation_strategy == "capacity-optimized" &&
      aws_autoscaling_group.this.mixed_instances_policy[0].instances_distribution[0].on_demand_percentage_above_base_capacity == 100
    )
    error_message = "the allocation strategies must be passed as given, all On-Demand by default"
  }
}

run "instance_types_only_keeps_the_trigger_unchanged" {
  command = plan
  variables {
    cluster_mixed_instances_policy = {
      instance_types = [{ instance_type = "t3.medium" }, { instance_type = "t3a.medium" }]
    }
  }
  assert {
    condition     = terraform_data.rollout[0].triggers_replace == { launch_template_id = "lt-0123456789abcdef0", launch_template_version = 3 }
    error_message = "without per-family templates the rollout trigger must stay what it was: ${jsonencode(terraform_data.rollout[0].triggers_replace)}"
  }
}
