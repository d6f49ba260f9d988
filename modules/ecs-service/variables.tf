# ---------------------------------------------------------------------------
# Service
# ---------------------------------------------------------------------------

variable "service_name" {
  description = "Name of the ECS service; also the task definition family."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.service_name))
    error_message = "service_name must be 1-255 characters, each a letter, digit, hyphen or underscore."
  }
}

variable "ecs_cluster_arn" {
  description = "ARN of the ECS cluster to run on (the ecs-cluster module's ecs_cluster_arn output)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[a-zA-Z0-9_-]{1,255}$", var.ecs_cluster_arn))
    error_message = "ecs_cluster_arn must be an ECS cluster ARN such as arn:aws:ecs:eu-west-1:123456789012:cluster/NAME (use the ecs-cluster module's ecs_cluster_arn output)."
  }
}

variable "desired_number_of_tasks" {
  description = "Number of copies of the task to keep running."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_number_of_tasks >= 0 && floor(var.desired_number_of_tasks) == var.desired_number_of_tasks
    error_message = "desired_number_of_tasks must be a whole number, 0 or more."
  }
}

variable "deployment_minimum_healthy_percent" {
  description = "Lower limit on running tasks, as a percentage of the desired count, while ECS replaces tasks: during deployments and while a cluster rollout drains an instance. 100 keeps every task serving (new ones start before old ones stop)."
  type        = number
  default     = 100

  validation {
    condition     = var.deployment_minimum_healthy_percent >= 0 && var.deployment_minimum_healthy_percent <= 100 && floor(var.deployment_minimum_healthy_percent) == var.deployment_minimum_healthy_percent
    error_message = "deployment_minimum_healthy_percent must be a whole number from 0 to 100."
  }
}

variable "deployment_maximum_percent" {
  description = "Upper limit on running tasks, as a percentage of the desired count, while ECS replaces tasks. Above 100 lets new tasks start before old ones stop; the cluster needs room (CPU, memory, ports) for them."
  type        = number
  default     = 200

  validation {
    condition     = var.deployment_maximum_percent >= 100 && floor(var.deployment_maximum_percent) == var.deployment_maximum_percent
    error_message = "deployment_maximum_percent must be a whole number, 100 or more."
  }
}

variable "deployment_circuit_breaker_enabled" {
  description = "Stop a deployment whose tasks keep failing to start."
  type        = bool
  default     = true
}

variable "deployment_circuit_breaker_rollback" {
  description = "When the circuit breaker stops a deployment, roll back to the last deployment that completed."
  type        = bool
  default     = true
}

variable "placement_strategy" {
  description = "Task placement strategies, in order. The default spreads tasks across Availability Zones, then across instances, so losing one instance or zone (or draining one) affects as few tasks as possible."
  type = list(object({
    type  = string
    field = optional(string)
  }))
  default = [
    { type = "spread", field = "attribute:ecs.availability-zone" },
    { type = "spread", field = "instanceId" },
  ]

  validation {
    condition     = length(var.placement_strategy) <= 5 && alltrue([for s in var.placement_strategy : contains(["spread", "binpack", "random"], s.type)])
    error_message = "placement_strategy must hold at most 5 strategies, each of type spread, binpack or random."
  }

  validation {
    condition = alltrue([
      for s in var.placement_strategy :
      s.type == "random" ? s.field == null : (s.type == "binpack" ? contains(["cpu", "memory"], coalesce(s.field, "-")) : s.field != null)
    ])
    error_message = "placement_strategy fields: spread needs a field (instanceId, host or attribute:...), binpack needs cpu or memory, random takes none."
  }
}

variable "capacity_provider_strategy" {
  description = "Capacity providers to run the tasks on, e.g. [{ capacity_provider = module.ecs_cluster.ecs_capacity_provider_name }]: each with a weight (its share of the tasks, relative to the others) and a base (tasks it runs first; one provider at most may have one). Empty (the default): the EC2 launch type, without a capacity provider. ECS applies a changed strategy at the service's next deployment."
  type = list(object({
    capacity_provider = string
    weight            = optional(number, 1)
    base              = optional(number, 0)
  }))
  default  = []
  nullable = false

  validation {
    condition = alltrue([
      for s in var.capacity_provider_strategy : can(regex("^[a-zA-Z0-9_-]{1,255}$", s.capacity_provider))
    ]) && length(distinct([for s in var.capacity_provider_strategy : s.capacity_provider])) == length(var.capacity_provider_strategy)
    error_message = "capacity_provider_strategy must name each capacity provider once, by its name (1-255 letters, digits, hyphens or underscores), such as the ecs-cluster module's ecs_capacity_provider_name output."
  }

  validation {
    condition = alltrue([
      for s in var.capacity_provider_strategy :
      s.weight >= 0 && s.weight <= 1000 && floor(s.weight) == s.weight && s.base >= 0 && s.base <= 100000 && floor(s.base) == s.base
    ])
    error_message = "capacity_provider_strategy: weight must be a whole number from 0 to 1000 and base a whole number from 0 to 100000."
  }

  validation {
    condition     = length([for s in var.capacity_provider_strategy : s if s.base > 0]) <= 1
    error_message = "capacity_provider_strategy: only one capacity provider may have a base above 0 (ECS's rule)."
  }

  validation {
    condition     = length(var.capacity_provider_strategy) == 0 || anytrue([for s in var.capacity_provider_strategy : s.weight > 0])
    error_message = "capacity_provider_strategy: at least one capacity provider needs a weight above 0, or ECS can place no task."
  }
}

variable "wait_for_steady_state" {
  description = "Make apply wait until the service has reached its desired count on the new task definition."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------
# Container
# ---------------------------------------------------------------------------

variable "image" {
  description = "Docker image of the container, e.g. public.ecr.aws/docker/library/nginx:stable-alpine."
  type        = string

  validation {
    condition     = can(regex("^[^\\s]+$", var.image))
    error_message = "image must be a non-empty image reference without spaces."
  }
}

variable "container_name" {
  description = "Name of the container in the task definition. Null: service_name."
  type        = string
  default     = null

  validation {
    condition     = var.container_name == null || can(regex("^[a-zA-Z0-9_-]{1,255}$", var.container_name))
    error_message = "container_name must be 1-255 letters, digits, hyphens or underscores, or null."
  }
}

variable "cpu" {
  description = "CPU units reserved for the container (1024 = one vCPU)."
  type        = number
  default     = 256

  validation {
    condition     = var.cpu >= 0 && var.cpu <= 196608 && floor(var.cpu) == var.cpu
    error_message = "cpu must be a whole number of CPU units from 0 to 196608."
  }
}

variable "memory" {
  description = "Hard memory limit of the container in MiB: the container is killed above it."
  type        = number
  default     = 512

  validation {
    condition     = var.memory >= 6 && floor(var.memory) == var.memory
    error_message = "memory must be a whole number of MiB, at least 6 (Docker's minimum)."
  }
}

variable "memory_reservation" {
  description = "Soft memory limit in MiB, what ECS reserves on the instance. Null: the same as memory."
  type        = number
  default     = null

  validation {
    condition     = var.memory_reservation == null || try(var.memory_reservation >= 6 && floor(var.memory_reservation) == var.memory_reservation, false)
    error_message = "memory_reservation must be a whole number of MiB, at least 6, or null."
  }
}

variable "port_mappings" {
  description = "Container ports to publish. host_port 0 (the default) lets ECS pick a free host port per task, so several tasks of the service fit on one instance and new tasks can start beside old ones during deployments and rollouts."
  type = list(object({
    container_port = number
    host_port      = optional(number, 0)
    protocol       = optional(string, "tcp")
  }))
  default = []

  validation {
    condition = alltrue([
      for p in var.port_mappings :
      p.container_port >= 1 && p.container_port <= 65535 && p.host_port >= 0 && p.host_port <= 65535 && contains(["tcp", "udp"], p.protocol)
    ])
    error_message = "port_mappings need container_port 1-65535, host_port 0-65535 (0: dynamic) and protocol tcp or udp."
  }
}

variable "environment" {
  description = "Environment variables of the container. Visible in the task definition: put secrets in AWS Secrets Manager or SSM instead."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "environment keys must be variable names: letters, digits and underscores, not starting with a digit."
  }
}

variable "command" {
  description = "Command of the container, overriding the image's CMD. Null: the image's."
  type        = list(string)
  default     = null
}

variable "log_configuration" {
  description = "Log driver of the container and its options, e.g. { log_driver = \"awslogs\", options = { awslogs-group = \"...\", awslogs-region = \"...\", awslogs-stream-prefix = \"...\" } }. Null: Docker's default (json-file on the instance)."
  type = object({
    log_driver = string
    options    = optional(map(string), {})
  })
  default = null
}

variable "task_role_arn" {
  description = "IAM role the containers run as (their AWS credentials). Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.task_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.task_role_arn))
    error_message = "task_role_arn must be an IAM role ARN, or null."
  }
}

variable "execution_role_arn" {
  description = "IAM role ECS uses to start the task (pull from private registries, fetch secrets). Null: none, and the instance role is used for image pulls and awslogs."
  type        = string
  default     = null

  validation {
    condition     = var.execution_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN, or null."
  }
}

# ---------------------------------------------------------------------------
# Load balancer
# ---------------------------------------------------------------------------

variable "target_group_arn" {
  description = "ARN of an Application or Network Load Balancer target group (target type instance) to register the tasks in. Null: no load balancer."
  type        = string
  default     = null

  validation {
    condition     = var.target_group_arn == null || can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/.+$", var.target_group_arn))
    error_message = "target_group_arn must be a load balancer target group ARN, or null."
  }
}

variable "load_balancer_container_port" {
  description = "Container port the load balancer sends traffic to; one of port_mappings. Null: the first port mapping's."
  type        = number
  default     = null

  validation {
    condition     = var.load_balancer_container_port == null || try(var.load_balancer_container_port >= 1 && var.load_balancer_container_port <= 65535, false)
    error_message = "load_balancer_container_port must be a port from 1 to 65535, or null."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load balancer health checks of a new task (used only with target_group_arn)."
  type        = number
  default     = 60

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647 && floor(var.health_check_grace_period_seconds) == var.health_check_grace_period_seconds
    error_message = "health_check_grace_period_seconds must be a whole number, 0 or more."
  }
}

variable "service_iam_role_arn" {
  description = "IAM role ECS uses to register tasks with the load balancer. Null (recommended): ECS uses its service-linked role AWSServiceRoleForECS, which it creates by itself; name a role only where that role cannot be used."
  type        = string
  default     = null

  validation {
    condition     = var.service_iam_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.service_iam_role_arn))
    error_message = "service_iam_role_arn must be an IAM role ARN, or null."
  }
}

variable "tags" {
  description = "Tags for the service and task definition (and, through the service, its tasks)."
  type        = map(string)
  default     = {}
}
