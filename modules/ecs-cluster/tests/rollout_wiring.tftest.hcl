# The rollout wiring and the group's behaviour across rollouts, on plans (and
# applies without a rollout) against a mocked provider. That the environment
# really reaches the helper's argv through local-exec and the wrapper is tested
# by rollout_exec.tftest.hcl, run from tests/terraform.

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

run "environment_with_defaults" {
  command = plan

  assert {
    condition     = length(terraform_data.rollout) == 1
    error_message = "rollout_enabled defaults to true, so there must be one rollout resource"
  }
  assert {
    condition = jsonencode(terraform_data.rollout[0].input) == jsonencode({
      ECS_ROLLOUT_ASG_NAME                = "test-cluster"
      ECS_ROLLOUT_CLUSTER_NAME            = "test-cluster"
      ECS_ROLLOUT_REGION                  = "eu-west-1"
      ECS_ROLLOUT_ENDPOINT_URL            = ""
      ECS_ROLLOUT_PROFILE                 = ""
      ECS_ROLLOUT_BATCH_SIZE              = ""
      ECS_ROLLOUT_DRAIN_TIMEOUT           = ""
      ECS_ROLLOUT_INSTANCE_TIMEOUT        = ""
      ECS_ROLLOUT_EXTRA_ARGS              = ""
      ECS_ROLLOUT_HELPER                  = null
      ECS_ROLLOUT_LAUNCH_TEMPLATE_ID      = "lt-0123456789abcdef0"
      ECS_ROLLOUT_LAUNCH_TEMPLATE_VERSION = "3"
    })
    error_message = "unexpected helper environment: ${jsonencode(terraform_data.rollout[0].input)}"
  }
}

run "environment_with_every_setting" {
  command = plan
  variables {
    cluster_max_size         = 5
    rollout_batch_size       = 3
    rollout_drain_timeout    = 600
    rollout_instance_timeout = 900
    rollout_extra_args       = ["--standalone-tasks", "stop", "--note=a b; $(c)"]
    rollout_helper_path      = "/opt/ecs-rollout/bin/ecs-rollout"
    rollout_aws_profile      = "ops"
    rollout_endpoint_url     = "http://127.0.0.1:4566"
    rollout_environment      = { AWS_CA_BUNDLE = "/etc/ssl/ca.pem" }
  }

  assert {
    condition = jsonencode(terraform_data.rollout[0].input) == jsonencode({
      ECS_ROLLOUT_ASG_NAME                = "test-cluster"
      ECS_ROLLOUT_CLUSTER_NAME            = "test-cluster"
      ECS_ROLLOUT_REGION                  = "eu-west-1"
      ECS_ROLLOUT_ENDPOINT_URL            = "http://127.0.0.1:4566"
      ECS_ROLLOUT_PROFILE                 = "ops"
      ECS_ROLLOUT_BATCH_SIZE              = "3"
      ECS_ROLLOUT_DRAIN_TIMEOUT           = "600"
      ECS_ROLLOUT_INSTANCE_TIMEOUT        = "900"
      ECS_ROLLOUT_EXTRA_ARGS              = "--standalone-tasks\nstop\n--note=a b; $(c)"
      ECS_ROLLOUT_HELPER                  = "/opt/ecs-rollout/bin/ecs-rollout"
      ECS_ROLLOUT_LAUNCH_TEMPLATE_ID      = "lt-0123456789abcdef0"
      ECS_ROLLOUT_LAUNCH_TEMPLATE_VERSION = "3"
      AWS_CA_BUNDLE                       = "/etc/ssl/ca.pem"
    })
    error_message = "unexpected helper environment: ${jsonencode(terraform_data.rollout[0].input)}"
  }
  assert {
    condition     = output.rollout_command == "ecs-rollout rollout --asg-name test-cluster --cluster-name test-cluster --aws-region eu-west-1 --endpoint-url 'http://127.0.0.1:4566' --profile 'ops'"
    error_message = "unexpected rollout_command: ${output.rollout_command}"
  }
}

run "trigger_follows_launch_template_version" {
  command = plan

  override_resource {
    target          = aws_launch_template.this
    override_during = plan
    values = {
      id             = "lt-0fedcba9876543210"
      latest_version = 42
    }
  }

  assert {
    condition     = terraform_data.rollout[0].triggers_replace == { launch_template_id = "lt-0fedcba9876543210", launch_template_version = 42 }
    error_message = "the trigger must be the template's id and latest_version, got ${jsonencode(terraform_data.rollout[0].triggers_replace)}"
  }
  assert {
    condition     = aws_autoscaling_group.this.launch_template[0].id == "lt-0fedcba9876543210" && aws_autoscaling_group.this.launch_template[0].version == "42"
    error_message = "the group must use the template's latest version as a number, got ${jsonencode(aws_autoscaling_group.this.launch_template)}"
  }
  assert {
    condition     = terraform_data.rollout[0].input.ECS_ROLLOUT_LAUNCH_TEMPLATE_VERSION == "42"
    error_message = "the helper's environment must name the new version"
  }
}

run "rollout_disabled_creates_no_rollout_resource" {
  command = plan
  variables {
    rollout_enabled = false
  }

  assert {
    condition     = length(terraform_data.rollout) == 0
    error_message = "rollout_enabled = false must create no rollout resource"
  }
}

# ---- the group while no rollout is in progress ------------------------------------

run "group_from_configuration" {
  command = plan
  variables {
    cluster_desired_capacity = 3
    tags                     = { Team = "platform" }
  }

  assert {
    condition     = aws_autoscaling_group.this.min_size == 2 && aws_autoscaling_group.this.max_size == 4 && aws_autoscaling_group.this.desired_capacity == 3
    error_message = "sizes must come from the variables"
  }
  assert {
    condition     = length(aws_autoscaling_group.this.suspended_processes) == 0
    error_message = "no process is suspended when no rollout is in progress"
  }
  assert {
    condition = { for t in aws_autoscaling_group.this.tag : t.key => [t.value, t.propagate_at_launch] } == {
      Name             = ["test-cluster", true]
      Team             = ["platform", true]
      AmazonECSManaged = ["true", true]
    }
    error_message = "group tags must be Name, the caller's and the capacity provider's, propagated at launch: ${jsonencode(aws_autoscaling_group.this.tag)}"
  }
  assert {
    condition     = output.rollout_in_progress == false
    error_message = "no rollout is in progress"
  }
  assert {
    condition     = aws_autoscaling_group.this.termination_policies == tolist(["OldestLaunchTemplate", "OldestInstance", "Default"])
    error_message = "default termination policies must remove old-template instances first"
  }
}

run "existing_group_without_rollout_tags_gets_configured_values" {
  command = plan

  override_data {
    target = data.aws_autoscaling_groups.existing
    values = { arns = ["arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:1:autoScalingGroupName/test-cluster"] }
  }
  override_data {
    target = data.aws_autoscaling_group.existing
    values = {
      min_size            = 1
      max_size            = 9
      suspended_processes = ["AZRebalance"]
      tag                 = [{ key = "Owner", value = "someone", propagate_at_launch = false }]
    }
  }

  assert {
    condition     = output.rollout_in_progress == false
    error_message = "tags without the ecs-rollout: prefix are no rollout"
  }
  assert {
    condition     = aws_autoscaling_group.this.min_size == 2 && aws_autoscaling_group.this.max_size == 4 && length(aws_autoscaling_group.this.suspended_processes) == 0
    error_message = "without a rollout in progress, the configured sizes and processes apply"
  }
}

# ---- the group while a rollout is stopped midway -------------------------------------

run "rollout_in_progress_keeps_sizes_processes_and_tags" {
  command = plan
  variables {
    tags = { Team = "platform" }
  }

  override_data {
    target = data.aws_autoscaling_groups.existing
    values = { arns = ["arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:1:autoScalingGroupName/test-cluster"] }
  }
  override_data {
    target = data.aws_autoscaling_group.existing
    values = {
      min_size            = 2
      max_size            = 8
      desired_capacity    = 6
      suspended_processes = ["AZRebalance", "ScheduledActions"]
      tag = [
        { key = "Name", value = "test-cluster", propagate_at_launch = true },
        { key = "ecs-rollout:state", value = "{\"phase\":\"drain\",\"batch\":1}", propagate_at_launch = false },
        { key = "ecs-rollout:original-max-size", value = "4", propagate_at_launch = false },
      ]
    }
  }

  assert {
    condition     = output.rollout_in_progress
    error_message = "ecs-rollout: tags on the group mean a rollout is in progress"
  }
  assert {
    condition     = aws_autoscaling_group.this.max_size == 8 && aws_autoscaling_group.this.min_size == 2
    error_message = "the rollout's raised MaxSize must be kept, got max ${aws_autoscaling_group.this.max_size}"
  }
  assert {
    condition     = aws_autoscaling_group.this.suspended_processes == toset(["AZRebalance", "ScheduledActions"])
    error_message = "the processes the rollout suspended must stay suspended"
  }
  assert {
    condition = { for t in aws_autoscaling_group.this.tag : t.key => [t.value, t.propagate_at_launch] } == {
      Name                            = ["test-cluster", true]
      Team                            = ["platform", true]
      AmazonECSManaged                = ["true", true]
      "ecs-rollout:state"             = ["{\"phase\":\"drain\",\"batch\":1}", false]
      "ecs-rollout:original-max-size" = ["4", false]
    }
    error_message = "the rollout's tags must be kept alongside the configured ones: ${jsonencode(aws_autoscaling_group.this.tag)}"
  }
}

# ---- launch template ---------------------------------------------------------------

run "launch_template_defaults" {
  command = plan

  assert {
    condition     = length(data.aws_ssm_parameter.ecs_ami) == 1 && data.aws_ssm_parameter.ecs_ami[0].name == "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    error_message = "without cluster_instance_ami the AMI comes from the ECS-optimized Amazon Linux 2023 SSM parameter"
  }
  assert {
    condition     = aws_launch_template.this.image_id == "ami-0ecs0000000000000" && output.ecs_cluster_ami_id == "ami-0ecs0000000000000"
    error_message = "the launch template must use the AMI read from SSM"
  }
  assert {
    condition     = aws_launch_template.this.metadata_options[0].http_tokens == "required" && aws_launch_template.this.metadata_options[0].http_put_response_hop_limit == 1 && aws_launch_template.this.metadata_options[0].http_endpoint == "enabled"
    error_message = "IMDSv2 must be required with hop limit 1 by default"
  }
  assert {
    condition = (
      aws_launch_template.this.block_device_mappings[0].device_name == "/dev/xvda" &&
      aws_launch_template.this.block_device_mappings[0].ebs[0].volume_type == "gp3" &&
      aws_launch_template.this.block_device_mappings[0].ebs[0].encrypted == "true" &&
      aws_launch_template.this.block_device_mappings[0].ebs[0].volume_size == 30 &&
      aws_launch_template.this.block_device_mappings[0].ebs[0].kms_key_id == null
    )
    error_message = "the root volume must be an encrypted 30 GiB gp3 volume: ${jsonencode(aws_launch_template.this.block_device_mappings)}"
  }
  assert {
    condition     = aws_launch_template.this.key_name == null
    error_message = "no key pair by default"
  }
  assert {
    condition     = base64decode(aws_launch_template.this.user_data) == "#!/bin/bash\n# Written by the ecs-cluster Terraform module: join this instance to its ECS\n# cluster. The ECS agent reads /etc/ecs/ecs.config when it starts, after\n# cloud-init has run the user data.\nset -euo pipefail\nmkdir -p /etc/ecs\necho \"ECS_CLUSTER=test-cluster\" >> /etc/ecs/ecs.config\n"
    error_message = "without caller user data, the user data is the script that joins the cluster: ${base64decode(aws_launch_template.this.user_data)}"
  }
  assert {
    condition     = jsonencode([for t in aws_launch_template.this.tag_specifications : t.resource_type]) == jsonencode(["instance", "volume"]) && alltrue([for t in aws_launch_template.this.tag_specifications : t.tags == tomap({ Name = "test-cluster" })])
    error_message = "instances and volumes must be tagged with the Name"
  }
}

run "launch_template_with_settings" {
  command = plan
  variables {
    cluster_instance_ami                     = "ami-0123456789abcdef0"
    cluster_instance_keypair_name            = "ops-key"
    cluster_instance_metadata_hop_limit      = 2
    cluster_instance_root_volume_size        = 64
    cluster_instance_root_volume_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0b5f2c44-1c2d-4f7e-9c1a-4d9bd9a3c111"
    tags                                     = { Team = "platform", Name = "custom-name" }
  }

  assert {
    condition     = length(data.aws_ssm_parameter.ecs_ami) == 0 && aws_launch_template.this.image_id == "ami-0123456789abcdef0"
    error_message = "cluster_instance_ami must override the SSM parameter, which is then not read"
  }
  assert {
    condition     = aws_launch_template.this.key_name == "ops-key" && aws_launch_template.this.metadata_options[0].http_put_response_hop_limit == 2
    error_message = "key pair and hop limit must follow the variables"
  }
  assert {
    condition     = aws_launch_template.this.block_device_mappings[0].ebs[0].volume_size == 64 && aws_launch_template.this.block_device_mappings[0].ebs[0].kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/0b5f2c44-1c2d-4f7e-9c1a-4d9bd9a3c111"
    error_message = "root volume size and KMS key must follow the variables"
  }
  assert {
    condition     = alltrue([for t in aws_launch_template.this.tag_specifications : t.tags == tomap({ Name = "custom-name", Team = "platform" })])
    error_message = "the caller's tags, including a Name, must reach instances and volumes"
  }
}

run "caller_cloud_config_becomes_second_mime_part" {
  command = plan
  variables {
    cluster_instance_user_data = "#cloud-config\npackages: [jq]\n"
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.this.user_data), "Content-Type: multipart/mixed; boundary=\"==ecs-cluster-module-boundary==\"")
    error_message = "with caller user data, the user data must be MIME multi-part"
  }
  assert {
    condition = (
      strcontains(base64decode(aws_launch_template.this.user_data), "Content-Type: text/x-shellscript; charset=\"us-ascii\"\nMIME-Version: 1.0\n\n#!/bin/bash\n") &&
      strcontains(base64decode(aws_launch_template.this.user_data), "echo \"ECS_CLUSTER=test-cluster\" >> /etc/ecs/ecs.config\n\n--==ecs-cluster-module-boundary==\nContent-Type: text/cloud-config; charset=\"utf-8\"\nMIME-Version: 1.0\n\n#cloud-config\npackages: [jq]\n\n--==ecs-cluster-module-boundary==--\n")
    )
    error_message = "the module's script must come first and the caller's cloud-config second: ${base64decode(aws_launch_template.this.user_data)}"
  }
}

run "caller_script_becomes_second_shell_part" {
  command = plan
  variables {
    cluster_instance_user_data = "#!/bin/bash\necho ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config\n"
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.this.user_data), "--==ecs-cluster-module-boundary==\nContent-Type: text/x-shellscript; charset=\"utf-8\"\nMIME-Version: 1.0\n\n#!/bin/bash\necho ECS_ENABLE_SPOT_INSTANCE_DRAINING=true")
    error_message = "a caller script must be a second shell part: ${base64decode(aws_launch_template.this.user_data)}"
  }
}

# ---- security group ---------------------------------------------------------------

run "security_group_rules" {
  command = plan
  variables {
    allow_ssh_from_cidr_blocks        = ["10.0.0.0/16", "2001:db8::/32"]
    allow_ssh_from_security_group_ids = ["sg-0bbbbbbbbbbbbbbb0"]
    alb_security_group_ids            = ["sg-0ccccccccccccccc0", "sg-0ddddddddddddddd0"]
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.ssh_from_cidr["10.0.0.0/16"].cidr_ipv4 == "10.0.0.0/16" && aws_vpc_security_group_ingress_rule.ssh_from_cidr["2001:db8::/32"].cidr_ipv6 == "2001:db8::/32"
    error_message = "SSH CIDR rules must use the IPv4 or IPv6 field as the block requires"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.ssh_from_cidr["10.0.0.0/16"].from_port == 22 && aws_vpc_security_group_ingress_rule.ssh_from_cidr["10.0.0.0/16"].to_port == 22
    error_message = "SSH rules must open port 22 only"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.ssh_from_security_group[0].referenced_security_group_id == "sg-0bbbbbbbbbbbbbbb0"
    error_message = "SSH from a security group"
  }
  assert {
    condition = [for r in aws_vpc_security_group_ingress_rule.from_alb : [r.referenced_security_group_id, r.from_port, r.to_port]] == [
      ["sg-0ccccccccccccccc0", 32768, 65535],
      ["sg-0ddddddddddddddd0", 32768, 65535],
    ]
    error_message = "one rule per load balancer security group on the dynamic port range"
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.all_ipv4.ip_protocol == "-1" && aws_vpc_security_group_egress_rule.all_ipv4.cidr_ipv4 == "0.0.0.0/0"
    error_message = "all egress must be allowed"
  }
}

run "no_optional_ingress_by_default" {
  command = plan
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.ssh_from_cidr) == 0 && length(aws_vpc_security_group_ingress_rule.ssh_from_security_group) == 0 && length(aws_vpc_security_group_ingress_rule.from_alb) == 0
    error_message = "no ingress rule unless asked for"
  }
  assert {
    condition     = length(aws_iam_role_policy_attachment.ssm_session_manager) == 0 && aws_iam_role_policy_attachment.ecs_instance.policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
    error_message = "the ECS instance policy is always attached, SSM only on request"
  }
}

run "ssm_session_manager_policy" {
  command = plan
  variables {
    enable_ssm_session_manager = true
  }
  assert {
    condition     = aws_iam_role_policy_attachment.ssm_session_manager[0].policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    error_message = "enable_ssm_session_manager must attach AmazonSSMManagedInstanceCore"
  }
}

# ---- the rollout's IAM policy ----------------------------------------------------------

# Without the capacity provider: the statements for the shapes it gives the
# group are checked in capacity_provider.tftest.hcl.
run "rollout_policy_covers_every_helper_call_scoped_to_this_cluster" {
  command = plan
  variables {
    capacity_provider_enabled = false
  }

  assert {
    condition = toset(flatten([for s in jsondecode(output.rollout_iam_policy_json).Statement : s.Action])) == toset([
      "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeTags", "autoscaling:DescribeInstanceRefreshes",
      "autoscaling:DescribeLifecycleHooks", "autoscaling:DescribePolicies", "autoscaling:DescribeScheduledActions",
      "autoscaling:SetDesiredCapacity", "autoscaling:UpdateAutoScalingGroup", "autoscaling:TerminateInstanceInAutoScalingGroup",
      "autoscaling:SuspendProcesses", "autoscaling:ResumeProcesses", "autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags",
      "autoscaling:SetInstanceProtection",
      "ecs:DescribeClusters", "ecs:DescribeCapacityProviders", "ecs:ListContainerInstances", "ecs:DescribeContainerInstances",
      "ecs:UpdateContainerInstancesState", "ecs:ListTasks", "ecs:DescribeTasks", "ecs:ListServices", "ecs:DescribeServices",
      "ecs:StopTask", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeInstances",
    ])
    error_message = "the policy must allow exactly the helper's calls"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(output.rollout_iam_policy_json).Statement :
      s.Resource == "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/test-cluster"
      if anytrue([for a in s.Action : contains(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup", "autoscaling:CreateOrUpdateTags", "autoscaling:SetInstanceProtection"], a)])
    ])
    error_message = "group-changing calls must be limited to this group"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(output.rollout_iam_policy_json).Statement :
      contains(s.Action, "autoscaling:CreateOrUpdateTags") && jsonencode(try(s.Condition, null)) == jsonencode({ "ForAllValues:StringLike" = { "aws:TagKeys" = ["ecs-rollout:*"] } })
    ])
    error_message = "tag calls must be limited to ecs-rollout:* keys"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(output.rollout_iam_policy_json).Statement :
      contains(s.Action, "ecs:UpdateContainerInstancesState") && contains(flatten([s.Resource]), "arn:aws:ecs:eu-west-1:123456789012:container-instance/test-cluster/*") && !contains(flatten([s.Resource]), "*")
    ])
    error_message = "draining must be limited to this cluster's container instances"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(output.rollout_iam_policy_json).Statement :
      contains(s.Action, "ecs:ListTasks") && jsonencode(try(s.Condition, null)) == jsonencode({ ArnEquals = { "ecs:cluster" = "arn:aws:ecs:eu-west-1:123456789012:cluster/test-cluster" } })
    ])
    error_message = "listing tasks must be limited to this cluster"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(output.rollout_iam_policy_json).Statement :
      alltrue([for a in s.Action : startswith(a, "ecs:Describe") || startswith(a, "ecs:List") || startswith(a, "ec2:Describe") || startswith(a, "autoscaling:Describe") || startswith(a, "cloudwatch:Describe")])
      if s.Resource == "*" && try(s.Condition, null) == null
    ])
    error_message = "only read calls may have an unconditioned \"*\" resource"
  }
}
