# An ECS cluster on EC2: the cluster, the launch template its instances boot
# from, and the Auto Scaling group that runs them. Security group and IAM are in
# security-group.tf and iam.tf; the automatic rollout is in rollout.tf.

data "aws_region" "current" {}

data "aws_partition" "current" {}

# The current ECS-optimized Amazon Linux 2023 AMI, unless the caller names one.
data "aws_ssm_parameter" "ecs_ami" {
  count = var.cluster_instance_ami == null ? 1 : 0
  name  = var.cluster_instance_ami_ssm_parameter
}

# The AMIs of the per-family launch templates that name an SSM parameter.
data "aws_ssm_parameter" "family_ami" {
  for_each = { for k, lt in local.family_launch_templates : k => lt.ami_ssm_parameter if lt.ami == null }
  name     = each.value
}

# What the live group carries now, to tell whether a rollout is in progress
# (stopped midway: interrupted, or terraform killed). The plural data source
# answers "does it exist" without failing on the first apply.
data "aws_autoscaling_groups" "existing" {
  names = [var.cluster_name]
}

data "aws_autoscaling_group" "existing" {
  count = length(data.aws_autoscaling_groups.existing.arns) > 0 ? 1 : 0
  name  = var.cluster_name
}

locals {
  # IAM name prefixes are limited to 38 characters; the random suffix keeps
  # names unique across regions and replacements.
  name_prefix = "${substr(var.cluster_name, 0, 37)}-"

  ami_id = var.cluster_instance_ami != null ? var.cluster_instance_ami : data.aws_ssm_parameter.ecs_ami[0].insecure_value

  keypair_name = var.cluster_instance_keypair_name == "" ? null : var.cluster_instance_keypair_name

  initial_desired_capacity = var.cluster_desired_capacity != null ? var.cluster_desired_capacity : var.cluster_min_size

  # ---- Mixed instances policy -------------------------------------------------
  mixed_instances_policy  = var.cluster_mixed_instances_policy
  family_launch_templates = local.mixed_instances_policy == null ? {} : local.mixed_instances_policy.launch_templates
  family_ami_ids = {
    for k, lt in local.family_launch_templates : k => lt.ami != null ? lt.ami : data.aws_ssm_parameter.family_ami[k].insecure_value
  }

  # ---- Capacity provider --------------------------------------------------------
  # ECS reserves names starting with aws, ecs or fargate for capacity providers.
  capacity_provider_name = var.capacity_provider_name != null ? var.capacity_provider_name : (
    can(regex("^(?i)(aws|ecs|fargate)", var.cluster_name)) ? substr("cp-${var.cluster_name}", 0, 255) : var.cluster_name
  )
  managed_scaling                = var.capacity_provider_enabled && var.capacity_provider_managed_scaling.enabled
  managed_termination_protection = var.capacity_provider_enabled && var.capacity_provider_managed_termination_protection
  managed_draining               = var.capacity_provider_enabled && var.capacity_provider_managed_draining

  instance_tags = merge({ Name = var.cluster_name }, var.tags)

  # ---- Rollout in progress --------------------------------------------------
  # ecs-rollout keeps its state in tags on the group whose keys start with this
  # prefix, and while it runs it owns the group's sizes and suspended processes.
  # If a rollout stopped midway, the next plan must not undo any of that before
  # the rollout resource re-runs the helper to finish it: shrinking MaxSize below
  # the raised desired capacity would make the group terminate instances of its
  # own choosing, and removing the tags would lose the rollout's state. So while
  # the tags are there, the plan carries the live values over; the configured
  # ones apply on the first apply after the rollout has finished.
  rollout_tag_prefix    = "ecs-rollout:"
  existing_group        = one(data.aws_autoscaling_group.existing[*])
  existing_rollout_tags = local.existing_group == null ? [] : [for t in local.existing_group.tag : t if startswith(t.key, local.rollout_tag_prefix)]
  rollout_in_progress   = length(local.existing_rollout_tags) > 0

  asg_min_size            = local.rollout_in_progress ? local.existing_group.min_size : var.cluster_min_size
  asg_max_size            = local.rollout_in_progress ? local.existing_group.max_size : var.cluster_max_size
  asg_suspended_processes = local.rollout_in_progress ? local.existing_group.suspended_processes : toset([])
  # Managed termination protection needs every new instance protected from
  # scale-in; a rollout may hold that for its duration like the rest.
  asg_protect_from_scale_in = local.rollout_in_progress ? local.existing_group.new_instances_protected_from_scale_in : local.managed_termination_protection
  asg_tags = merge(
    { for t in local.existing_rollout_tags : t.key => { value = t.value, propagate_at_launch = t.propagate_at_launch } },
    { for k, v in local.instance_tags : k => { value = v, propagate_at_launch = true } },
    # ECS adds this tag to a group it manages through a capacity provider; the
    # provider's documentation asks to declare it, or every apply removes it.
    { for k, v in { AmazonECSManaged = { value = "true", propagate_at_launch = true } } : k => v if var.capacity_provider_enabled },
  )

  # Headroom a rollout needs above the group's minimum (see cluster_max_size).
  rollout_headroom = var.rollout_batch_size != null ? var.rollout_batch_size : var.cluster_min_size

  # ---- User data ------------------------------------------------------------
  join_cluster_script = templatefile("${path.module}/templates/join-cluster.sh.tftpl", {
    cluster_name = aws_ecs_cluster.this.name
  })
  caller_user_data_type = (
    startswith(var.cluster_instance_user_data, "#cloud-config") ? "text/cloud-config" :
    startswith(var.cluster_instance_user_data, "#cloud-boothook") ? "text/cloud-boothook" :
    startswith(var.cluster_instance_user_data, "#include") ? "text/x-include-url" :
    startswith(var.cluster_instance_user_data, "Content-Type:") ? "mime" :
    "text/x-shellscript"
  )
  # Alone, the module's script is the whole user data; with the caller's, both
  # go into one MIME multi-part document, which cloud-init runs in order.
  user_data = var.cluster_instance_user_data == "" ? local.join_cluster_script : templatefile("${path.module}/templates/user-data.mime.tftpl", {
    join_cluster_script = local.join_cluster_script
    caller_type         = local.caller_user_data_type
    caller_user_data    = var.cluster_instance_user_data
  })
}

resource "aws_ecs_cluster" "this" {
  name = var.cluster_name

  setting {
    name  = "containerInsights"
    value = var.cluster_container_insights
  }

  tags = var.tags
}

resource "aws_launch_template" "this" {
  name_prefix = local.name_prefix
  description = "ECS container instances of cluster ${var.cluster_name}"

  image_id      = local.ami_id
  instance_type = var.cluster_instance_type
  key_name      = local.keypair_name
  user_data     = base64encode(local.user_data)

  vpc_security_group_ids = [aws_security_group.instance.id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = var.cluster_instance_metadata_hop_limit
  }

  block_device_mappings {
    device_name = var.cluster_instance_root_device_name

    ebs {
      volume_type           = "gp3"
      volume_size           = var.cluster_instance_root_volume_size
      encrypted             = true
      kms_key_id            = var.cluster_instance_root_volume_kms_key_arn
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.instance_tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.instance_tags
  }

  # Each change makes a new version; the default follows it so that anything
  # launching "the template" without a version gets the current one too.
  update_default_version = true

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# One template per instance family of the mixed instances policy (e.g.
# Graviton): the main template's settings with the family's own AMI; the
# instance types come from the policy's overrides.
resource "aws_launch_template" "family" {
  for_each = local.family_launch_templates

  name_prefix = "${local.name_prefix}${each.key}-"
  description = "ECS container instances of cluster ${var.cluster_name}, ${each.key} family"

  image_id  = local.family_ami_ids[each.key]
  key_name  = local.keypair_name
  user_data = base64encode(local.user_data)

  vpc_security_group_ids = [aws_security_group.instance.id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = var.cluster_instance_metadata_hop_limit
  }

  block_device_mappings {
    device_name = var.cluster_instance_root_device_name

    ebs {
      volume_type           = "gp3"
      volume_size           = var.cluster_instance_root_volume_size
      encrypted             = true
      kms_key_id            = var.cluster_instance_root_volume_kms_key_arn
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.instance_tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.instance_tags
  }

  update_default_version = true

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_autoscaling_group" "this" {
  name = var.cluster_name

  min_size            = local.asg_min_size
  max_size            = local.asg_max_size
  desired_capacity    = local.initial_desired_capacity
  vpc_zone_identifier = var.vpc_subnet_ids

  # Versions are numbers, never $Latest: the rollout and the group must agree
  # on which version is current, and the change must show in the plan.
  dynamic "launch_template" {
    for_each = local.mixed_instances_policy == null ? [aws_launch_template.this] : []
    content {
      id      = launch_template.value.id
      version = launch_template.value.latest_version
    }
  }

  dynamic "mixed_instances_policy" {
    for_each = local.mixed_instances_policy == null ? [] : [local.mixed_instances_policy]
    content {
      instances_distribution {
        on_demand_base_capacity                  = mixed_instances_policy.value.on_demand_base_capacity
        on_demand_percentage_above_base_capacity = mixed_instances_policy.value.on_demand_percentage_above_base_capacity
        on_demand_allocation_strategy            = mixed_instances_policy.value.on_demand_allocation_strategy
        spot_allocation_strategy                 = mixed_instances_policy.value.spot_allocation_strategy
      }

      launch_template {
        launch_template_specification {
          launch_template_id = aws_launch_template.this.id
          version            = aws_launch_template.this.latest_version
        }

        dynamic "override" {
          for_each = mixed_instances_policy.value.instance_types
          content {
            instance_type     = override.value.instance_type
            weighted_capacity = override.value.weighted_capacity == null ? null : tostring(override.value.weighted_capacity)

            dynamic "launch_template_specification" {
              for_each = override.value.launch_template == null ? [] : [aws_launch_template.family[override.value.launch_template]]
              content {
                launch_template_id = launch_template_specification.value.id
                version            = launch_template_specification.value.latest_version
              }
            }
          }
        }
      }
    }
  }

  termination_policies      = var.cluster_termination_policies
  health_check_type         = "EC2"
  wait_for_capacity_timeout = var.cluster_wait_for_capacity_timeout
  suspended_processes       = local.asg_suspended_processes

  # ECS sets and clears protection per instance under managed termination
  # protection; this is only the group's setting for new instances. Protected
  # instances would keep a plain delete waiting forever.
  protect_from_scale_in = local.asg_protect_from_scale_in
  force_delete          = local.managed_termination_protection

  dynamic "tag" {
    for_each = local.asg_tags
    content {
      key                 = tag.key
      value               = tag.value.value
      propagate_at_launch = tag.value.propagate_at_launch
    }
  }

  # Instances must not boot before their role can register them in the
  # cluster (and on destroy, keep the permissions until they are gone).
  depends_on = [
    aws_iam_role_policy_attachment.ecs_instance,
    aws_iam_role_policy_attachment.ssm_session_manager,
  ]

  lifecycle {
    # The desired capacity belongs to scaling and to rollouts once the group
    # exists; see rollout_in_progress above for sizes, processes and tags.
    ignore_changes = [desired_capacity]

    # Checks that involve several variables (variable validations may only
    # refer to their own variable before Terraform 1.9).
    precondition {
      condition     = var.cluster_instance_type != null || local.mixed_instances_policy != null
      error_message = "cluster_instance_type is null and there is no cluster_mixed_instances_policy: set one of them, so the group knows which instance type to launch."
    }
    precondition {
      condition     = !local.managed_termination_protection || local.managed_scaling
      error_message = "capacity_provider_managed_termination_protection needs capacity_provider_managed_scaling.enabled: without managed scaling ECS never lifts the protection, and the group could not scale in at all. Turn both on, or managed termination protection off."
    }
    precondition {
      condition     = var.cluster_min_size <= var.cluster_max_size
      error_message = "cluster_min_size (${var.cluster_min_size}) must not be greater than cluster_max_size (${var.cluster_max_size})."
    }
    precondition {
      condition     = local.initial_desired_capacity >= var.cluster_min_size && local.initial_desired_capacity <= var.cluster_max_size
      error_message = "cluster_desired_capacity (${local.initial_desired_capacity}) must be between cluster_min_size (${var.cluster_min_size}) and cluster_max_size (${var.cluster_max_size})."
    }
    precondition {
      condition     = !var.rollout_enabled || var.cluster_max_size >= var.cluster_min_size + local.rollout_headroom
      error_message = "cluster_max_size (${var.cluster_max_size}) leaves no room for a rollout: it must be at least cluster_min_size + ${var.rollout_batch_size != null ? "rollout_batch_size" : "cluster_min_size (the whole group at once, as rollout_batch_size is null)"} = ${var.cluster_min_size + local.rollout_headroom}, because the rollout starts new instances before it removes old ones. Raise cluster_max_size or set a smaller rollout_batch_size."
    }
  }
}
