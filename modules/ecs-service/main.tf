# A long-running ECS service on an EC2 cluster: one task definition (one
# container, bridge networking) and the service that keeps it running, spread
# across zones and instances, optionally behind a load balancer.

locals {
  container_name = var.container_name != null ? var.container_name : var.service_name

  load_balancer_container_port = (
    var.load_balancer_container_port != null ? var.load_balancer_container_port :
    length(var.port_mappings) > 0 ? var.port_mappings[0].container_port : null
  )

  # Keys left out rather than set to null, so the provider's normalised copy
  # of the definition matches and plans stay empty.
  container_definition = merge(
    {
      name      = local.container_name
      image     = var.image
      essential = true
      cpu       = var.cpu
      memory    = var.memory
      portMappings = [for p in var.port_mappings : {
        containerPort = p.container_port
        hostPort      = p.host_port
        protocol      = p.protocol
      }]
      environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
    },
    var.memory_reservation == null ? {} : { memoryReservation = var.memory_reservation },
    var.command == null ? {} : { command = var.command },
    var.log_configuration == null ? {} : {
      logConfiguration = {
        logDriver = var.log_configuration.log_driver
        options   = var.log_configuration.options
      }
    },
  )
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.service_name
  network_mode             = "bridge"
  requires_compatibilities = ["EC2"]
  container_definitions    = jsonencode([local.container_definition])
  task_role_arn            = var.task_role_arn
  execution_role_arn       = var.execution_role_arn

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name            = var.service_name
  cluster         = var.ecs_cluster_arn
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_number_of_tasks
  # A service has either a launch type or a capacity provider strategy.
  launch_type = length(var.capacity_provider_strategy) == 0 ? "EC2" : null

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy
    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent

  deployment_circuit_breaker {
    enable   = var.deployment_circuit_breaker_enabled
    rollback = var.deployment_circuit_breaker_rollback
  }

  dynamic "ordered_placement_strategy" {
    for_each = var.placement_strategy
    content {
      type  = ordered_placement_strategy.value.type
      field = ordered_placement_strategy.value.field
    }
  }

  dynamic "load_balancer" {
    for_each = var.target_group_arn == null ? [] : [var.target_group_arn]
    content {
      target_group_arn = load_balancer.value
      container_name   = local.container_name
      container_port   = local.load_balancer_container_port
    }
  }

  health_check_grace_period_seconds = var.target_group_arn == null ? null : var.health_check_grace_period_seconds
  iam_role                          = var.target_group_arn == null ? null : var.service_iam_role_arn

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  wait_for_steady_state   = var.wait_for_steady_state

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.deployment_maximum_percent > 100 || var.deployment_minimum_healthy_percent < 100
      error_message = "deployment_minimum_healthy_percent (${var.deployment_minimum_healthy_percent}) and deployment_maximum_percent (${var.deployment_maximum_percent}) leave ECS no way to replace a task: it may neither start one more nor stop one first. A deployment would hang, and so would a cluster rollout draining an instance. Raise deployment_maximum_percent above 100 or lower deployment_minimum_healthy_percent below 100."
    }
    precondition {
      condition     = var.memory_reservation == null || try(var.memory_reservation <= var.memory, false)
      error_message = "memory_reservation (${coalesce(var.memory_reservation, 0)}) must not be greater than memory (${var.memory})."
    }
    precondition {
      condition     = var.target_group_arn == null || local.load_balancer_container_port != null
      error_message = "target_group_arn needs a container port for the load balancer: add a port_mappings entry (or set load_balancer_container_port to one)."
    }
    precondition {
      condition     = var.target_group_arn == null || local.load_balancer_container_port == null || contains([for p in var.port_mappings : p.container_port], coalesce(local.load_balancer_container_port, 0))
      error_message = "load_balancer_container_port (${coalesce(local.load_balancer_container_port, 0)}) must be one of the container ports in port_mappings."
    }
  }
}
