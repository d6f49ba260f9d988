# ---------------------------------------------------------------------------
# Cluster
# ---------------------------------------------------------------------------

variable "cluster_name" {
  description = "Name of the ECS cluster. Also the name of its Auto Scaling group and the prefix of its launch template, security group, IAM role and instance profile (the IAM prefixes use the first 37 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.cluster_name))
    error_message = "cluster_name must be 1-255 characters, each a letter, digit, hyphen or underscore (the rule ECS applies to cluster names)."
  }
}

variable "cluster_container_insights" {
  description = "CloudWatch Container Insights for the cluster: \"disabled\", \"enabled\", or \"enhanced\" (enhanced needs a recent 5.x AWS provider). Container Insights is billed as custom metrics."
  type        = string
  default     = "disabled"

  validation {
    condition     = contains(["disabled", "enabled", "enhanced"], var.cluster_container_insights)
    error_message = "cluster_container_insights must be \"disabled\", \"enabled\" or \"enhanced\"."
  }
}

# ---------------------------------------------------------------------------
# Instances (launch template)
# ---------------------------------------------------------------------------

variable "cluster_instance_ami" {
  description = "AMI of the cluster's instances. Null (the default) uses the current ECS-optimized Amazon Linux 2023 AMI named by cluster_instance_ami_ssm_parameter. Changing it (or anything else in the launch template) rolls every instance out to the new template during apply when rollout_enabled is true."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_instance_ami == null || can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", var.cluster_instance_ami))
    error_message = "cluster_instance_ami must be an AMI id such as ami-0123456789abcdef0 (\"ami-\" and 8 or 17 lowercase hex digits), or null for the ECS-optimized image."
  }
}

variable "cluster_instance_ami_ssm_parameter" {
  description = "Public SSM parameter that holds the default AMI id, read when cluster_instance_ami is null. For Graviton instances use /aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id."
  type        = string
  default     = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]+$", var.cluster_instance_ami_ssm_parameter))
    error_message = "cluster_instance_ami_ssm_parameter must be a full SSM parameter path starting with \"/\"."
  }
}

variable "cluster_instance_type" {
  description = "EC2 instance type of the cluster's instances, e.g. t3.medium. Null (allowed only with cluster_mixed_instances_policy, whose instance_types then decide): the launch template names no type."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_instance_type == null || can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.cluster_instance_type))
    error_message = "cluster_instance_type must be an EC2 instance type such as t3.medium (family, a dot, size)."
  }
}

variable "cluster_instance_keypair_name" {
  description = "Name of an EC2 key pair to install on the instances for SSH. Null or empty: no key pair (use SSM Session Manager instead, see enable_ssm_session_manager)."
  type        = string
  default     = null
}

variable "cluster_instance_user_data" {
  description = "Your own user data, run after the module's part that joins the instance to the cluster. Plain text (not base64): a script starting with \"#!\", \"#cloud-config\", \"#cloud-boothook\", \"#include\", or a MIME multi-part document. Combined with the module's part as MIME multi-part for cloud-init."
  type        = string
  default     = ""

  validation {
    condition = var.cluster_instance_user_data == "" || anytrue([
      for prefix in ["#!", "#cloud-config", "#cloud-boothook", "#include", "Content-Type:"] :
      startswith(var.cluster_instance_user_data, prefix)
    ])
    error_message = "cluster_instance_user_data must start with \"#!\" (a script), \"#cloud-config\", \"#cloud-boothook\", \"#include\" or \"Content-Type:\" (MIME), so cloud-init knows how to run it. Pass plain text, not base64."
  }

  validation {
    condition     = length(var.cluster_instance_user_data) <= 15360
    error_message = "cluster_instance_user_data must be at most 15360 characters: EC2 limits user data to 16 KiB and the module adds its own part."
  }

  validation {
    condition     = !strcontains(var.cluster_instance_user_data, "==ecs-cluster-module-boundary==")
    error_message = "cluster_instance_user_data must not contain the string \"==ecs-cluster-module-boundary==\": the module uses it as the MIME boundary."
  }
}

variable "cluster_instance_root_volume_size" {
  description = "Size in GiB of each instance's root volume (encrypted gp3). At least the AMI's snapshot size (30 GiB for the ECS-optimized Amazon Linux 2023 AMI)."
  type        = number
  default     = 30

  validation {
    condition     = var.cluster_instance_root_volume_size >= 1 && var.cluster_instance_root_volume_size <= 16384 && floor(var.cluster_instance_root_volume_size) == var.cluster_instance_root_volume_size
    error_message = "cluster_instance_root_volume_size must be a whole number of GiB between 1 and 16384 (the gp3 limits)."
  }
}

variable "cluster_instance_root_volume_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the root volumes. Null: the account's default EBS key (aws/ebs). The instances' Auto Scaling service-linked role must be allowed to use a customer managed key."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_instance_root_volume_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.cluster_instance_root_volume_kms_key_arn))
    error_message = "cluster_instance_root_volume_kms_key_arn must be a KMS key or alias ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), or null."
  }
}

variable "cluster_instance_root_device_name" {
  description = "Device name of the AMI's root volume. /dev/xvda for Amazon Linux; change it only with a custom AMI that uses another name."
  type        = string
  default     = "/dev/xvda"

  validation {
    condition     = can(regex("^/dev/[a-z0-9]+$", var.cluster_instance_root_device_name))
    error_message = "cluster_instance_root_device_name must be a device path such as /dev/xvda."
  }
}

variable "cluster_instance_metadata_hop_limit" {
  description = "IMDSv2 PUT response hop limit (IMDSv2 is always required). 1 keeps containers in bridge network mode from reaching the instance metadata service and the instance role's credentials (tasks get their own role through the ECS agent); use 2 if containers must read instance metadata."
  type        = number
  default     = 1

  validation {
    condition     = var.cluster_instance_metadata_hop_limit >= 1 && var.cluster_instance_metadata_hop_limit <= 64 && floor(var.cluster_instance_metadata_hop_limit) == var.cluster_instance_metadata_hop_limit
    error_message = "cluster_instance_metadata_hop_limit must be a whole number from 1 to 64."
  }
}

variable "enable_ssm_session_manager" {
  description = "Attach AmazonSSMManagedInstanceCore to the instance role so you can open shells with SSM Session Manager instead of SSH."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------
# Auto Scaling group
# ---------------------------------------------------------------------------

variable "cluster_min_size" {
  description = "Minimum number of instances in the Auto Scaling group."
  type        = number

  validation {
    condition     = var.cluster_min_size >= 0 && floor(var.cluster_min_size) == var.cluster_min_size
    error_message = "cluster_min_size must be a whole number, 0 or more."
  }
}

variable "cluster_max_size" {
  description = <<-EOT
    Maximum number of instances in the Auto Scaling group. It must leave room for a rollout,
    which starts new instances before it removes old ones: at least cluster_min_size +
    rollout_batch_size, or 2 x cluster_min_size when rollout_batch_size is null (the helper's
    default replaces the whole group at once). The check uses cluster_min_size because after
    creation the group's desired capacity belongs to scaling (the module ignores it), so the
    minimum is the one size known at plan time. When the group runs above it, the helper raises
    MaxSize for the rollout's duration and restores it afterwards (with --keep-max-size in
    rollout_extra_args it rolls in batches that fit instead).
  EOT
  type        = number

  validation {
    condition     = var.cluster_max_size >= 1 && floor(var.cluster_max_size) == var.cluster_max_size
    error_message = "cluster_max_size must be a whole number, 1 or more."
  }
}

variable "cluster_desired_capacity" {
  description = "Number of instances the group starts with. Null: cluster_min_size. Used only when the group is created: afterwards the desired capacity belongs to scaling policies and rollouts, and the module ignores changes to it."
  type        = number
  default     = null

  validation {
    condition     = var.cluster_desired_capacity == null || try(var.cluster_desired_capacity >= 0 && floor(var.cluster_desired_capacity) == var.cluster_desired_capacity, false)
    error_message = "cluster_desired_capacity must be a whole number, 0 or more, or null."
  }
}

variable "cluster_termination_policies" {
  description = "Termination policies of the Auto Scaling group, used when it scales in on its own (a rollout removes exactly the instances it replaced, whatever these say). The default removes instances of older launch templates first."
  type        = list(string)
  default     = ["OldestLaunchTemplate", "OldestInstance", "Default"]

  validation {
    condition = length(var.cluster_termination_policies) > 0 && alltrue([
      for p in var.cluster_termination_policies :
      contains(["OldestInstance", "NewestInstance", "OldestLaunchConfiguration", "ClosestToNextInstanceHour", "OldestLaunchTemplate", "AllocationStrategy", "Default"], p) || startswith(p, "arn:")
    ])
    error_message = "cluster_termination_policies must be a non-empty list of OldestInstance, NewestInstance, OldestLaunchConfiguration, ClosestToNextInstanceHour, OldestLaunchTemplate, AllocationStrategy, Default, or Lambda function ARNs."
  }
}

variable "cluster_wait_for_capacity_timeout" {
  description = "How long apply waits for the group's instances to be InService after creating or resizing it (a Go duration such as \"10m\"); \"0\" does not wait."
  type        = string
  default     = "10m"

  validation {
    condition     = can(regex("^(0|([0-9]+[hms])+)$", var.cluster_wait_for_capacity_timeout))
    error_message = "cluster_wait_for_capacity_timeout must be \"0\" or a duration such as \"10m\" or \"1h30m\"."
  }
}

variable "cluster_mixed_instances_policy" {
  description = <<-EOT
    Run the group with a mixed instances policy: several instance types, a Spot share, and optionally
    a launch template per instance family (e.g. x86 and Graviton, each with its own AMI). Null (the
    default): one instance type, cluster_instance_type, all On-Demand.
    instance_types: the types the group may launch, most preferred first (the On-Demand order with
    the "prioritized" strategy); per type, weighted_capacity (the capacity units it counts for: set
    for every type or for none) and launch_template (a key of launch_templates; null: the module's
    main template).
    launch_templates: templates the module creates besides the main one, identical to it except for
    the AMI: ami (an id) or ami_ssm_parameter (a public SSM parameter holding one, such as
    /aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id for Graviton).
    on_demand_base_capacity and on_demand_percentage_above_base_capacity: the On-Demand part (0 and
    100, the defaults: all On-Demand; 20 makes 80% of the capacity above the base Spot);
    spot_allocation_strategy and on_demand_allocation_strategy as Auto Scaling defines them.
  EOT
  type = object({
    instance_types = list(object({
      instance_type     = string
      weighted_capacity = optional(number)
      launch_template   = optional(string)
    }))
    launch_templates = optional(map(object({
      ami               = optional(string)
      ami_ssm_parameter = optional(string)
    })), {})
    on_demand_base_capacity                  = optional(number, 0)
    on_demand_percentage_above_base_capacity = optional(number, 100)
    on_demand_allocation_strategy            = optional(string, "prioritized")
    spot_allocation_strategy                 = optional(string, "price-capacity-optimized")
  })
  default = null

  validation {
    condition     = var.cluster_mixed_instances_policy == null || try(length(var.cluster_mixed_instances_policy.instance_types) >= 1 && length(var.cluster_mixed_instances_policy.instance_types) <= 40, false)
    error_message = "cluster_mixed_instances_policy.instance_types must name 1 to 40 instance types (the Auto Scaling limit on overrides)."
  }

  validation {
    condition = var.cluster_mixed_instances_policy == null || try(alltrue([
      for t in var.cluster_mixed_instances_policy.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t.instance_type))
    ]) && length(distinct([for t in var.cluster_mixed_instances_policy.instance_types : t.instance_type])) == length(var.cluster_mixed_instances_policy.instance_types), false)
    error_message = "cluster_mixed_instances_policy.instance_types must hold EC2 instance types such as m7g.large (family, a dot, size), each once."
  }

  validation {
    condition = var.cluster_mixed_instances_policy == null || try(
      length(distinct([for t in var.cluster_mixed_instances_policy.instance_types : t.weighted_capacity == null])) == 1 &&
      alltrue([
        for t in var.cluster_mixed_instances_policy.instance_types :
        t.weighted_capacity == null || try(t.weighted_capacity >= 1 && t.weighted_capacity <= 999 && floor(t.weighted_capacity) == t.weighted_capacity, false)
      ]),
    false)
    error_message = "cluster_mixed_instances_policy.instance_types: weighted_capacity must be a whole number from 1 to 999, set for every instance type or for none."
  }

  validation {
    condition = var.cluster_mixed_instances_policy == null || try(alltrue([
      for t in var.cluster_mixed_instances_policy.instance_types : t.launch_template == null || contains(keys(var.cluster_mixed_instances_policy.launch_templates), coalesce(t.launch_template, "-"))
    ]), false)
    error_message = "cluster_mixed_instances_policy.instance_types: each launch_template must be a key of cluster_mixed_instances_policy.launch_templates (or null for the main template)."
  }

  validation {
    condition = var.cluster_mixed_instances_policy == null || try(alltrue([
      for k, lt in var.cluster_mixed_instances_policy.launch_templates :
      can(regex("^[a-z0-9][a-z0-9_-]{0,31}$", k)) && contains([for t in var.cluster_mixed_instances_policy.instance_types : coalesce(t.launch_template, "-")], k)
    ]), false)
    error_message = "cluster_mixed_instances_policy.launch_templates: each key must be 1-32 lowercase letters, digits, hyphens or underscores, and be the launch_template of at least one instance type."
  }

  validation {
    condition = var.cluster_mixed_instances_policy == null || try(alltrue([
      for k, lt in var.cluster_mixed_instances_policy.launch_templates :
      (lt.ami == null) != (lt.ami_ssm_parameter == null) &&
      (lt.ami == null || can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", coalesce(lt.ami, "-")))) &&
      (lt.ami_ssm_parameter == null || can(regex("^/[A-Za-z0-9_.\\-/]+$", coalesce(lt.ami_ssm_parameter, "-"))))
    ]), false)
    error_message = "cluster_mixed_instances_policy.launch_templates: each needs exactly one of ami (an AMI id such as ami-0123456789abcdef0) and ami_ssm_parameter (a full SSM parameter path starting with \"/\")."
  }

  validation {
    condition = var.cluster_mixed_instances_policy == null || try(
      var.cluster_mixed_instances_policy.on_demand_base_capacity >= 0 && floor(var.cluster_mixed_instances_policy.on_demand_base_capacity) == var.cluster_mixed_instances_policy.on_demand_base_capacity &&
      var.cluster_mixed_instances_policy.on_demand_percentage_above_base_capacity >= 0 && var.cluster_mixed_instances_policy.on_demand_percentage_above_base_capacity <= 100 &&
      floor(var.cluster_mixed_instances_policy.on_demand_percentage_above_base_capacity) == var.cluster_mixed_instances_policy.on_demand_percentage_above_base_capacity,
    false)
    error_message = "cluster_mixed_instances_policy: on_demand_base_capacity must be a whole number, 0 or more, and on_demand_percentage_above_base_capacity a whole number from 0 to 100."
  }

  validation {
    condition = var.cluster_mixed_instances_policy == null || try(
      contains(["prioritized", "lowest-price"], var.cluster_mixed_instances_policy.on_demand_allocation_strategy) &&
      contains(["price-capacity-optimized", "capacity-optimized", "capacity-optimized-prioritized", "lowest-price"], var.cluster_mixed_instances_policy.spot_allocation_strategy),
    false)
    error_message = "cluster_mixed_instances_policy: on_demand_allocation_strategy must be prioritized or lowest-price, and spot_allocation_strategy price-capacity-optimized, capacity-optimized, capacity-optimized-prioritized or lowest-price."
  }
}

# ---------------------------------------------------------------------------
# ECS capacity provider
# ---------------------------------------------------------------------------

variable "capacity_provider_enabled" {
  description = "Create an ECS capacity provider for the group, associate it with the cluster and make it the cluster's default capacity provider strategy (services that name neither a launch type nor a strategy use it). Give services its name (output ecs_capacity_provider_name) as their capacity provider strategy."
  type        = bool
  default     = true
}

variable "capacity_provider_name" {
  description = "Name of the capacity provider. Null: cluster_name, or \"cp-\" followed by cluster_name when that starts with aws, ecs or fargate (names ECS reserves)."
  type        = string
  default     = null

  validation {
    condition     = var.capacity_provider_name == null || try(can(regex("^[a-zA-Z0-9_-]{1,255}$", var.capacity_provider_name)) && !can(regex("^(?i)(aws|ecs|fargate)", var.capacity_provider_name)), false)
    error_message = "capacity_provider_name must be 1-255 letters, digits, hyphens or underscores, and must not start with aws, ecs or fargate (ECS reserves those), or be null."
  }
}

variable "capacity_provider_managed_scaling" {
  description = "ECS managed scaling: ECS puts a target tracking policy on the group (metric CapacityProviderReservation) and sets its desired capacity so that target_capacity percent of the instances run tasks (100: no spare instance). Step sizes bound how many instances one scaling action adds or removes; instance_warmup_period is the seconds a new instance takes before it counts. enabled = false leaves the desired capacity to you."
  type = object({
    enabled                   = optional(bool, true)
    target_capacity           = optional(number, 100)
    minimum_scaling_step_size = optional(number, 1)
    maximum_scaling_step_size = optional(number, 10000)
    instance_warmup_period    = optional(number, 300)
  })
  default  = {}
  nullable = false

  validation {
    condition = (
      var.capacity_provider_managed_scaling.target_capacity >= 1 && var.capacity_provider_managed_scaling.target_capacity <= 100 &&
      floor(var.capacity_provider_managed_scaling.target_capacity) == var.capacity_provider_managed_scaling.target_capacity
    )
    error_message = "capacity_provider_managed_scaling.target_capacity must be a whole percentage from 1 to 100."
  }

  validation {
    condition = (
      var.capacity_provider_managed_scaling.minimum_scaling_step_size >= 1 && var.capacity_provider_managed_scaling.maximum_scaling_step_size <= 10000 &&
      var.capacity_provider_managed_scaling.minimum_scaling_step_size <= var.capacity_provider_managed_scaling.maximum_scaling_step_size &&
      floor(var.capacity_provider_managed_scaling.minimum_scaling_step_size) == var.capacity_provider_managed_scaling.minimum_scaling_step_size &&
      floor(var.capacity_provider_managed_scaling.maximum_scaling_step_size) == var.capacity_provider_managed_scaling.maximum_scaling_step_size
    )
    error_message = "capacity_provider_managed_scaling step sizes must be whole numbers with 1 <= minimum_scaling_step_size <= maximum_scaling_step_size <= 10000."
  }

  validation {
    condition = (
      var.capacity_provider_managed_scaling.instance_warmup_period >= 0 && var.capacity_provider_managed_scaling.instance_warmup_period <= 10000 &&
      floor(var.capacity_provider_managed_scaling.instance_warmup_period) == var.capacity_provider_managed_scaling.instance_warmup_period
    )
    error_message = "capacity_provider_managed_scaling.instance_warmup_period must be a whole number of seconds from 0 to 10000."
  }
}

variable "capacity_provider_managed_termination_protection" {
  description = "ECS managed termination protection: ECS protects instances that run tasks from scale-in, so the group only scales in empty instances. Needs managed scaling. The module then launches every instance protected from scale-in (the group's NewInstancesProtectedFromScaleIn; ECS alone sets and clears protection per instance, the module never does) and destroys the group with force_delete, as protected instances would otherwise keep terraform destroy waiting."
  type        = bool
  default     = true
}

variable "capacity_provider_managed_draining" {
  description = "ECS managed instance draining: when the group terminates an instance (scale-in, instance refresh, Spot interruption), ECS first drains its tasks, through a termination lifecycle hook it adds to the group."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------

variable "vpc_id" {
  description = "ID of the VPC the instances run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "vpc_subnet_ids" {
  description = "IDs of the subnets the instances run in, in one or more Availability Zones of vpc_id. Use subnets in several zones: the rollout keeps capacity in each while it replaces instances."
  type        = list(string)

  validation {
    condition     = length(var.vpc_subnet_ids) > 0
    error_message = "vpc_subnet_ids must name at least one subnet."
  }

  validation {
    condition     = alltrue([for s in var.vpc_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "vpc_subnet_ids must contain subnet ids such as subnet-0123456789abcdef0."
  }
}

variable "allow_ssh_from_cidr_blocks" {
  description = "IPv4 or IPv6 CIDR blocks allowed to reach the instances on port 22. Empty: no SSH from addresses."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allow_ssh_from_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "allow_ssh_from_cidr_blocks must contain CIDR blocks such as 10.0.0.0/16 or 2001:db8::/32."
  }
}

variable "allow_ssh_from_security_group_ids" {
  description = "Security groups (e.g. a bastion's) allowed to reach the instances on port 22."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.allow_ssh_from_security_group_ids : s == null ? false : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "allow_ssh_from_security_group_ids must contain security group ids such as sg-0123456789abcdef0."
  }
}

variable "alb_security_group_ids" {
  description = "Security groups of load balancers allowed to reach the instances on alb_ingress_port_range (the ports ECS maps containers to in bridge mode). One ingress rule per group; the list may hold ids created in the same configuration."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.alb_security_group_ids : s == null ? false : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "alb_security_group_ids must contain security group ids such as sg-0123456789abcdef0."
  }
}

variable "alb_ingress_port_range" {
  description = "Ports the load balancers in alb_security_group_ids may reach. The default is the range ECS picks dynamic host ports from (bridge mode, host port 0)."
  type = object({
    from_port = number
    to_port   = number
  })
  default = {
    from_port = 32768
    to_port   = 65535
  }

  validation {
    condition     = var.alb_ingress_port_range.from_port >= 1 && var.alb_ingress_port_range.to_port <= 65535 && var.alb_ingress_port_range.from_port <= var.alb_ingress_port_range.to_port
    error_message = "alb_ingress_port_range must satisfy 1 <= from_port <= to_port <= 65535."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates, including the instances and their volumes (Name defaults to cluster_name). Keys starting with \"ecs-rollout:\" are reserved for the rollout's own state."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(k, "ecs-rollout:")])
    error_message = "tags must not use keys starting with \"ecs-rollout:\": the rollout keeps its state in such tags on the Auto Scaling group."
  }
}

# ---------------------------------------------------------------------------
# Automatic rollout
# ---------------------------------------------------------------------------

variable "rollout_enabled" {
  description = "Run ecs-rollout during apply whenever the launch template gets a new version (a new AMI or any other template change), replacing every instance with zero downtime. False: apply only updates the template; run the helper yourself (see the rollout_command output)."
  type        = bool
  default     = true
}

variable "rollout_batch_size" {
  description = "Instances the rollout replaces at a time (--batch-size). Null: the helper's default (the whole group at once). See cluster_max_size for the headroom this needs."
  type        = number
  default     = null

  validation {
    condition     = var.rollout_batch_size == null || try(var.rollout_batch_size >= 1 && floor(var.rollout_batch_size) == var.rollout_batch_size, false)
    error_message = "rollout_batch_size must be a whole number, 1 or more, or null."
  }
}

variable "rollout_drain_timeout" {
  description = "Seconds the rollout waits for a batch's tasks to leave the old instances before it gives up and restores the cluster (--drain-timeout). Null: the helper's default."
  type        = number
  default     = null

  validation {
    condition     = var.rollout_drain_timeout == null || try(var.rollout_drain_timeout >= 1 && floor(var.rollout_drain_timeout) == var.rollout_drain_timeout, false)
    error_message = "rollout_drain_timeout must be a whole number of seconds, 1 or more, or null."
  }
}

variable "rollout_instance_timeout" {
  description = "Seconds the rollout waits for new instances to be InService and registered in the cluster before it gives up and restores the cluster (--instance-timeout). Null: the helper's default."
  type        = number
  default     = null

  validation {
    condition     = var.rollout_instance_timeout == null || try(var.rollout_instance_timeout >= 1 && floor(var.rollout_instance_timeout) == var.rollout_instance_timeout, false)
    error_message = "rollout_instance_timeout must be a whole number of seconds, 1 or more, or null."
  }
}

variable "rollout_extra_args" {
  description = "More ecs-rollout arguments, one per element, passed verbatim after the ones the module sets (e.g. [\"--standalone-tasks\", \"stop\"]). They never pass through a shell."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.rollout_extra_args : a != "" && !strcontains(a, "\n")])
    error_message = "rollout_extra_args must not contain empty strings or newlines: each element is one argument."
  }

  validation {
    condition = alltrue([
      for a in var.rollout_extra_args : !contains(
        ["--asg-name", "--cluster-name", "--aws-region", "--endpoint-url", "--profile", "--batch-size", "--drain-timeout", "--instance-timeout"],
        split("=", a)[0]
      )
    ])
    error_message = "rollout_extra_args must not repeat an argument the module sets itself (--asg-name, --cluster-name, --aws-region, --endpoint-url, --profile, --batch-size, --drain-timeout, --instance-timeout): use the matching rollout_* variable."
  }
}

variable "rollout_helper_path" {
  description = "Path of the ecs-rollout program to run (relative paths are relative to the directory terraform runs in). Null: $ECS_ROLLOUT_HELPER if set in terraform's environment, else ecs-rollout on PATH, else a build from the helper sources next to this module, made once into ~/.cache/ecs-rollout."
  type        = string
  default     = null

  validation {
    condition     = var.rollout_helper_path == null || try(var.rollout_helper_path != "" && !strcontains(var.rollout_helper_path, "\n"), false)
    error_message = "rollout_helper_path must be a non-empty path without newlines, or null."
  }
}

variable "rollout_aws_profile" {
  description = "AWS profile the helper uses (--profile). Null: the helper uses the standard credential chain of the environment terraform runs in (AWS_* variables, AWS_PROFILE, instance or container role). Credentials given only in the provider block do not reach it."
  type        = string
  default     = null

  validation {
    condition     = var.rollout_aws_profile == null || can(regex("^[^\\s]+$", var.rollout_aws_profile))
    error_message = "rollout_aws_profile must be a profile name without spaces or newlines, or null."
  }
}

variable "rollout_endpoint_url" {
  description = "One endpoint URL for every AWS API the helper calls (--endpoint-url), e.g. a local simulator. Null: the regular AWS endpoints."
  type        = string
  default     = null

  validation {
    condition     = var.rollout_endpoint_url == null || can(regex("^https?://[^\\s]+$", var.rollout_endpoint_url))
    error_message = "rollout_endpoint_url must be an http:// or https:// URL without spaces, or null."
  }
}

variable "rollout_environment" {
  description = "Extra environment variables for the helper, e.g. AWS_CA_BUNDLE or HTTPS_PROXY. They are stored in the Terraform state: do not put long-lived secrets here, give the helper credentials through terraform's own environment or rollout_aws_profile. (A sensitive value here would also make Terraform hide the rollout's output.)"
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.rollout_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k)) && !startswith(k, "ECS_ROLLOUT_")])
    error_message = "rollout_environment keys must be environment variable names (letters, digits, underscores, not starting with a digit) and must not start with ECS_ROLLOUT_, which the module sets itself."
  }
}
