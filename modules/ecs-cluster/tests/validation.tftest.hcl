# Every variable validation and cross-variable precondition rejects what it
# should. Each failing run carries an "# error:" line: tests/terraform runs a
# copy of this file without expect_failures and checks that the run fails with
# a message containing that text, so both the culprit and the message are
# tested. All runs are plans against a mocked provider: nothing is created.

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

run "valid_minimal_configuration" {
  command = plan
}

run "valid_everything_set" {
  command = plan
  variables {
    cluster_name                             = "Prod_cluster-01"
    cluster_container_insights               = "enhanced"
    cluster_instance_ami                     = "ami-12345678"
    cluster_instance_user_data               = "#cloud-config\npackages: [jq]\n"
    cluster_instance_root_volume_size        = 50
    cluster_instance_root_volume_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0b5f2c44-1c2d-4f7e-9c1a-4d9bd9a3c111"
    cluster_instance_metadata_hop_limit      = 2
    cluster_desired_capacity                 = 3
    cluster_max_size                         = 6
    cluster_termination_policies             = ["OldestInstance", "arn:aws:lambda:eu-west-1:123456789012:function:pick"]
    cluster_wait_for_capacity_timeout        = "1h30m"
    allow_ssh_from_cidr_blocks               = ["10.0.0.0/16", "2001:db8::/32"]
    allow_ssh_from_security_group_ids        = ["sg-0123456789abcdef0"]
    alb_security_group_ids                   = ["sg-0123456789abcdef1"]
    alb_ingress_port_range                   = { from_port = 8080, to_port = 8080 }
    tags                                     = { Team = "platform" }
    rollout_batch_size                       = 2
    rollout_drain_timeout                    = 600
    rollout_instance_timeout                 = 900
    rollout_extra_args                       = ["--standalone-tasks", "stop"]
    rollout_helper_path                      = "bin/ecs-rollout"
    rollout_aws_profile                      = "ops"
    rollout_endpoint_url                     = "http://127.0.0.1:4566"
    rollout_environment                      = { AWS_CA_BUNDLE = "/etc/ssl/ca.pem" }
  }
}

# ---- names -----------------------------------------------------------------

run "cluster_name_with_space" {
  command = plan
  variables { cluster_name = "my cluster" }
  expect_failures = [var.cluster_name]
  # error: cluster_name must be 1-255 characters
}

run "cluster_name_empty" {
  command = plan
  variables { cluster_name = "" }
  expect_failures = [var.cluster_name]
  # error: cluster_name must be 1-255 characters
}

run "cluster_name_too_long" {
  command = plan
  variables { cluster_name = replace(format("%256s", ""), " ", "a") }
  expect_failures = [var.cluster_name]
  # error: cluster_name must be 1-255 characters
}

run "cluster_name_with_colon" {
  command = plan
  variables { cluster_name = "team:cluster" }
  expect_failures = [var.cluster_name]
  # error: each a letter, digit, hyphen or underscore
}

# A name reaches the helper through the environment, never a shell; it cannot
# even hold shell metacharacters.
run "cluster_name_with_shell_metacharacters" {
  command = plan
  variables { cluster_name = "prod;touch PWNED$(id)`id`|x&y" }
  expect_failures = [var.cluster_name]
  # error: each a letter, digit, hyphen or underscore
}

run "container_insights_unknown_value" {
  command = plan
  variables { cluster_container_insights = "on" }
  expect_failures = [var.cluster_container_insights]
  # error: cluster_container_insights must be "disabled", "enabled" or "enhanced"
}

# ---- instances ---------------------------------------------------------------

run "ami_too_short" {
  command = plan
  variables { cluster_instance_ami = "ami-123" }
  expect_failures = [var.cluster_instance_ami]
  # error: cluster_instance_ami must be an AMI id
}

run "ami_uppercase" {
  command = plan
  variables { cluster_instance_ami = "AMI-0123456789ABCDEF0" }
  expect_failures = [var.cluster_instance_ami]
  # error: cluster_instance_ami must be an AMI id
}

run "ami_ssm_parameter_relative" {
  command = plan
  variables { cluster_instance_ami_ssm_parameter = "aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id" }
  expect_failures = [var.cluster_instance_ami_ssm_parameter]
  # error: must be a full SSM parameter path
}

run "instance_type_without_size" {
  command = plan
  variables { cluster_instance_type = "t3medium" }
  expect_failures = [var.cluster_instance_type]
  # error: cluster_instance_type must be an EC2 instance type
}

run "user_data_without_interpreter" {
  command = plan
  variables { cluster_instance_user_data = "yum install -y jq" }
  expect_failures = [var.cluster_instance_user_data]
  # error: cluster_instance_user_data must start with
}

run "user_data_base64" {
  command = plan
  variables { cluster_instance_user_data = base64encode("#!/bin/bash\necho hi\n") }
  expect_failures = [var.cluster_instance_user_data]
  # error: Pass plain text, not base64
}

run "user_data_too_long" {
  command = plan
  variables { cluster_instance_user_data = "#!/bin/bash\n${format("%15400s", "# padding")}" }
  expect_failures = [var.cluster_instance_user_data]
  # error: must be at most 15360 characters
}

run "user_data_containing_the_boundary" {
  command = plan
  variables { cluster_instance_user_data = "#!/bin/bash\necho ==ecs-cluster-module-boundary==\n" }
  expect_failures = [var.cluster_instance_user_data]
  # error: the module uses it as the MIME boundary
}

run "root_volume_zero" {
  command = plan
  variables { cluster_instance_root_volume_size = 0 }
  expect_failures = [var.cluster_instance_root_volume_size]
  # error: cluster_instance_root_volume_size must be a whole number of GiB between 1 and 16384
}

run "root_volume_fractional" {
  command = plan
  variables { cluster_instance_root_volume_size = 30.5 }
  expect_failures = [var.cluster_instance_root_volume_size]
  # error: cluster_instance_root_volume_size must be a whole number of GiB
}

run "root_volume_kms_key_id_not_arn" {
  command = plan
  variables { cluster_instance_root_volume_kms_key_arn = "0b5f2c44-1c2d-4f7e-9c1a-4d9bd9a3c111" }
  expect_failures = [var.cluster_instance_root_volume_kms_key_arn]
  # error: must be a KMS key or alias ARN
}

run "root_device_name_without_dev" {
  command = plan
  variables { cluster_instance_root_device_name = "xvda" }
  expect_failures = [var.cluster_instance_root_device_name]
  # error: must be a device path such as /dev/xvda
}

run "hop_limit_zero" {
  command = plan
  variables { cluster_instance_metadata_hop_limit = 0 }
  expect_failures = [var.cluster_instance_metadata_hop_limit]
  # error: must be a whole number from 1 to 64
}

run "hop_limit_65" {
  command = plan
  variables { cluster_instance_metadata_hop_limit = 65 }
  expect_failures = [var.cluster_instance_metadata_hop_limit]
  # error: must be a whole number from 1 to 64
}

# ---- sizes -------------------------------------------------------------------

run "min_size_negative" {
  command = plan
  variables { cluster_min_size = -1 }
  expect_failures = [var.cluster_min_size]
  # error: cluster_min_size must be a whole number, 0 or more
}

run "min_size_fractional" {
  command = plan
  variables { cluster_min_size = 1.5 }
  expect_failures = [var.cluster_min_size]
  # error: cluster_min_size must be a whole number
}

run "max_size_zero" {
  command = plan
  variables {
    cluster_min_size = 0
    cluster_max_size = 0
  }
  expect_failures = [var.cluster_max_size]
  # error: cluster_max_size must be a whole number, 1 or more
}

run "desired_capacity_negative" {
  command = plan
  variables { cluster_desired_capacity = -2 }
  expect_failures = [var.cluster_desired_capacity]
  # error: cluster_desired_capacity must be a whole number, 0 or more, or null
}

run "min_greater_than_max" {
  command = plan
  variables {
    cluster_min_size = 5
    cluster_max_size = 4
  }
  expect_failures = [aws_autoscaling_group.this]
  # error: cluster_min_size (5) must not be greater than cluster_max_size (4)
}

run "desired_above_max" {
  command = plan
  variables { cluster_desired_capacity = 5 }
  expect_failures = [aws_autoscaling_group.this]
  # error: cluster_desired_capacity (5) must be between cluster_min_size (2) and cluster_max_size (4)
}

run "desired_below_min" {
  command = plan
  variables { cluster_desired_capacity = 1 }
  expect_failures = [aws_autoscaling_group.this]
  # error: cluster_desired_capacity (1) must be between cluster_min_size (2) and cluster_max_size (4)
}

run "max_without_room_for_whole_group_rollout" {
  command = plan
  variables {
    cluster_min_size = 3
    cluster_max_size = 5
  }
  expect_failures = [aws_autoscaling_group.this]
  # error: cluster_max_size (5) leaves no room for a rollout: it must be at least cluster_min_size + cluster_min_size (the whole group at once, as rollout_batch_size is null) = 6
}

run "max_without_room_for_batch" {
  command = plan
  variables {
    cluster_min_size   = 3
    cluster_max_size   = 4
    rollout_batch_size = 2
  }
  expect_failures = [aws_autoscaling_group.this]
  # error: it must be at least cluster_min_size + rollout_batch_size = 5
}

run "max_with_room_for_batch" {
  command = plan
  variables {
    cluster_min_size   = 3
    cluster_max_size   = 5
    rollout_batch_size = 2
  }
}

run "max_without_room_is_fine_without_rollout" {
  command = plan
  variables {
    cluster_min_size = 3
    cluster_max_size = 3
    rollout_enabled  = false
  }
}

run "termination_policy_unknown" {
  command = plan
  variables { cluster_termination_policies = ["Oldest"] }
  expect_failures = [var.cluster_termination_policies]
  # error: cluster_termination_policies must be a non-empty list
}

run "termination_policies_empty" {
  command = plan
  variables { cluster_termination_policies = [] }
  expect_failures = [var.cluster_termination_policies]
  # error: cluster_termination_policies must be a non-empty list
}

run "wait_for_capacity_timeout_words" {
  command = plan
  variables { cluster_wait_for_capacity_timeout = "10 minutes" }
  expect_failures = [var.cluster_wait_for_capacity_timeout]
  # error: cluster_wait_for_capacity_timeout must be "0" or a duration
}

# ---- network -------------------------------------------------------------------

run "vpc_id_malformed" {
  command = plan
  variables { vpc_id = "vpc_0123" }
  expect_failures = [var.vpc_id]
  # error: vpc_id must be a VPC id
}

run "subnets_empty" {
  command = plan
  variables { vpc_subnet_ids = [] }
  expect_failures = [var.vpc_subnet_ids]
  # error: vpc_subnet_ids must name at least one subnet
}

run "subnets_malformed" {
  command = plan
  variables { vpc_subnet_ids = ["subnet-0123456789abcdef0", "sub-1"] }
  expect_failures = [var.vpc_subnet_ids]
  # error: vpc_subnet_ids must contain subnet ids
}

run "ssh_cidr_prefix_too_long" {
  command = plan
  variables { allow_ssh_from_cidr_blocks = ["10.0.0.0/33"] }
  expect_failures = [var.allow_ssh_from_cidr_blocks]
  # error: allow_ssh_from_cidr_blocks must contain CIDR blocks
}

run "ssh_cidr_bare_address" {
  command = plan
  variables { allow_ssh_from_cidr_blocks = ["10.0.0.1"] }
  expect_failures = [var.allow_ssh_from_cidr_blocks]
  # error: allow_ssh_from_cidr_blocks must contain CIDR blocks
}

run "ssh_security_group_malformed" {
  command = plan
  variables { allow_ssh_from_security_group_ids = ["bastion"] }
  expect_failures = [var.allow_ssh_from_security_group_ids]
  # error: allow_ssh_from_security_group_ids must contain security group ids
}

run "alb_security_group_malformed" {
  command = plan
  variables { alb_security_group_ids = ["alb-123"] }
  expect_failures = [var.alb_security_group_ids]
  # error: alb_security_group_ids must contain security group ids
}

run "alb_port_range_reversed" {
  command = plan
  variables { alb_ingress_port_range = { from_port = 9000, to_port = 8000 } }
  expect_failures = [var.alb_ingress_port_range]
  # error: alb_ingress_port_range must satisfy 1 <= from_port <= to_port <= 65535
}

run "tags_with_reserved_prefix" {
  command = plan
  variables { tags = { "ecs-rollout:state" = "mine" } }
  expect_failures = [var.tags]
  # error: tags must not use keys starting with "ecs-rollout:"
}

# ---- rollout -------------------------------------------------------------------

run "batch_size_zero" {
  command = plan
  variables { rollout_batch_size = 0 }
  expect_failures = [var.rollout_batch_size]
  # error: rollout_batch_size must be a whole number, 1 or more, or null
}

run "drain_timeout_zero" {
  command = plan
  variables { rollout_drain_timeout = 0 }
  expect_failures = [var.rollout_drain_timeout]
  # error: rollout_drain_timeout must be a whole number of seconds
}

run "instance_timeout_fractional" {
  command = plan
  variables { rollout_instance_timeout = 2.5 }
  expect_failures = [var.rollout_instance_timeout]
  # error: rollout_instance_timeout must be a whole number of seconds
}

run "extra_arg_with_newline" {
  command = plan
  variables { rollout_extra_args = ["--note", "two\nlines"] }
  expect_failures = [var.rollout_extra_args]
  # error: rollout_extra_args must not contain empty strings or newlines
}

run "extra_arg_empty" {
  command = plan
  variables { rollout_extra_args = [""] }
  expect_failures = [var.rollout_extra_args]
  # error: rollout_extra_args must not contain empty strings or newlines
}

run "extra_arg_repeats_module_flag" {
  command = plan
  variables { rollout_extra_args = ["--asg-name=other-group"] }
  expect_failures = [var.rollout_extra_args]
  # error: must not repeat an argument the module sets itself
}

run "extra_arg_repeats_batch_size" {
  command = plan
  variables { rollout_extra_args = ["--batch-size", "3"] }
  expect_failures = [var.rollout_extra_args]
  # error: use the matching rollout_* variable
}

run "helper_path_empty" {
  command = plan
  variables { rollout_helper_path = "" }
  expect_failures = [var.rollout_helper_path]
  # error: rollout_helper_path must be a non-empty path without newlines, or null
}

run "profile_with_space" {
  command = plan
  variables { rollout_aws_profile = "my profile" }
  expect_failures = [var.rollout_aws_profile]
  # error: rollout_aws_profile must be a profile name without spaces
}

run "endpoint_url_without_scheme" {
  command = plan
  variables { rollout_endpoint_url = "localhost:4566" }
  expect_failures = [var.rollout_endpoint_url]
  # error: rollout_endpoint_url must be an http:// or https:// URL
}

run "environment_overriding_module_variable" {
  command = plan
  variables { rollout_environment = { ECS_ROLLOUT_ASG_NAME = "other-group" } }
  expect_failures = [var.rollout_environment]
  # error: must not start with ECS_ROLLOUT_
}

run "environment_invalid_name" {
  command = plan
  variables { rollout_environment = { "1BAD" = "x" } }
  expect_failures = [var.rollout_environment]
  # error: rollout_environment keys must be environment variable names
}

# ---- mixed instances policy ----------------------------------------------------

run "valid_mixed_instances_without_instance_type" {
  command = plan
  variables {
    cluster_instance_type = null
    cluster_mixed_instances_policy = {
      instance_types = [
        { instance_type = "m6i.large", weighted_capacity = 1 },
        { instance_type = "m7g.large", weighted_capacity = 1, launch_template = "graviton_2023" },
      ]
      launch_templates                         = { graviton_2023 = { ami = "ami-12345678" } }
      on_demand_base_capacity                  = 0
      on_demand_percentage_above_base_capacity = 0
      spot_allocation_strategy                 = "capacity-optimized-prioritized"
    }
  }
}

run "no_instance_type_at_all" {
  command = plan
  variables { cluster_instance_type = null }
  expect_failures = [aws_autoscaling_group.this]
  # error: cluster_instance_type is null and there is no cluster_mixed_instances_policy
}

run "mixed_instances_empty" {
  command = plan
  variables { cluster_mixed_instances_policy = { instance_types = [] } }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: must name 1 to 40 instance types
}

run "mixed_instances_bad_type" {
  command = plan
  variables { cluster_mixed_instances_policy = { instance_types = [{ instance_type = "m7g large" }] } }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: cluster_mixed_instances_policy.instance_types must hold EC2 instance types such as m7g.large
}

run "mixed_instances_repeated_type" {
  command = plan
  variables { cluster_mixed_instances_policy = { instance_types = [{ instance_type = "m7g.large" }, { instance_type = "m7g.large" }] } }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: each once
}

run "mixed_instances_some_weights" {
  command = plan
  variables {
    cluster_mixed_instances_policy = { instance_types = [{ instance_type = "m6i.large", weighted_capacity = 2 }, { instance_type = "m6i.xlarge" }] }
  }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: set for every instance type or for none
}

run "mixed_instances_unknown_template" {
  command = plan
  variables {
    cluster_mixed_instances_policy = { instance_types = [{ instance_type = "m7g.large", launch_template = "arm" }] }
  }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: each launch_template must be a key of cluster_mixed_instances_policy.launch_templates
}

run "mixed_instances_unused_template" {
  command = plan
  variables {
    cluster_mixed_instances_policy = {
      instance_types   = [{ instance_type = "m6i.large" }]
      launch_templates = { arm64 = { ami = "ami-12345678" } }
    }
  }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: be the launch_template of at least one instance type
}

run "mixed_instances_template_with_two_amis" {
  command = plan
  variables {
    cluster_mixed_instances_policy = {
      instance_types   = [{ instance_type = "m7g.large", launch_template = "arm64" }]
      launch_templates = { arm64 = { ami = "ami-12345678", ami_ssm_parameter = "/aws/x" } }
    }
  }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: each needs exactly one of ami
}

run "mixed_instances_template_without_ami" {
  command = plan
  variables {
    cluster_mixed_instances_policy = {
      instance_types   = [{ instance_type = "m7g.large", launch_template = "arm64" }]
      launch_templates = { arm64 = {} }
    }
  }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: each needs exactly one of ami
}

run "mixed_instances_spot_percentage_over_100" {
  command = plan
  variables {
    cluster_mixed_instances_policy = { instance_types = [{ instance_type = "m6i.large" }], on_demand_percentage_above_base_capacity = 101 }
  }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: on_demand_percentage_above_base_capacity a whole number from 0 to 100
}

run "mixed_instances_unknown_spot_strategy" {
  command = plan
  variables {
    cluster_mixed_instances_policy = { instance_types = [{ instance_type = "m6i.large" }], spot_allocation_strategy = "cheapest" }
  }
  expect_failures = [var.cluster_mixed_instances_policy]
  # error: spot_allocation_strategy price-capacity-optimized
}

# ---- capacity provider -----------------------------------------------------------

run "valid_capacity_provider_settings" {
  command = plan
  variables {
    capacity_provider_name = "prod-ondemand"
    capacity_provider_managed_scaling = {
      target_capacity           = 80
      minimum_scaling_step_size = 2
      maximum_scaling_step_size = 10
      instance_warmup_period    = 120
    }
    capacity_provider_managed_draining = false
  }
}

run "capacity_provider_reserved_name" {
  command = plan
  variables { capacity_provider_name = "ecs-prod" }
  expect_failures = [var.capacity_provider_name]
  # error: must not start with aws, ecs or fargate
}

run "capacity_provider_bad_name" {
  command = plan
  variables { capacity_provider_name = "prod cp" }
  expect_failures = [var.capacity_provider_name]
  # error: capacity_provider_name must be 1-255 letters, digits, hyphens or underscores
}

run "capacity_provider_target_capacity_zero" {
  command = plan
  variables { capacity_provider_managed_scaling = { target_capacity = 0 } }
  expect_failures = [var.capacity_provider_managed_scaling]
  # error: target_capacity must be a whole percentage from 1 to 100
}

run "capacity_provider_steps_reversed" {
  command = plan
  variables { capacity_provider_managed_scaling = { minimum_scaling_step_size = 5, maximum_scaling_step_size = 2 } }
  expect_failures = [var.capacity_provider_managed_scaling]
  # error: 1 <= minimum_scaling_step_size <= maximum_scaling_step_size <= 10000
}

run "capacity_provider_warmup_too_long" {
  command = plan
  variables { capacity_provider_managed_scaling = { instance_warmup_period = 10001 } }
  expect_failures = [var.capacity_provider_managed_scaling]
  # error: instance_warmup_period must be a whole number of seconds from 0 to 10000
}

run "termination_protection_without_managed_scaling" {
  command = plan
  variables { capacity_provider_managed_scaling = { enabled = false } }
  expect_failures = [aws_autoscaling_group.this]
  # error: capacity_provider_managed_termination_protection needs capacity_provider_managed_scaling.enabled
}
