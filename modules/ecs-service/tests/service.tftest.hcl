# What the service module builds: the task definition's container and the
# service's deployment, placement and load balancer settings.

mock_provider "aws" {
  override_during = plan
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn      = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"
      revision = 7
    }
  }
}

variables {
  service_name    = "web"
  ecs_cluster_arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/test-cluster"
  image           = "public.ecr.aws/docker/library/nginx:stable-alpine"
  port_mappings   = [{ container_port = 80 }]
}

run "defaults" {
  command = plan

  assert {
    condition = jsondecode(aws_ecs_task_definition.this.container_definitions) == [{
      name         = "web"
      image        = "public.ecr.aws/docker/library/nginx:stable-alpine"
      essential    = true
      cpu          = 256
      memory       = 512
      portMappings = [{ containerPort = 80, hostPort = 0, protocol = "tcp" }]
      environment  = []
    }]
    error_message = "unexpected container definition: ${aws_ecs_task_definition.this.container_definitions}"
  }
  assert {
    condition     = aws_ecs_task_definition.this.network_mode == "bridge" && aws_ecs_task_definition.this.requires_compatibilities == toset(["EC2"])
    error_message = "tasks must use bridge networking on EC2"
  }
  assert {
    condition     = aws_ecs_service.this.cluster == "arn:aws:ecs:eu-west-1:123456789012:cluster/test-cluster" && aws_ecs_service.this.launch_type == "EC2" && aws_ecs_service.this.desired_count == 2
    error_message = "the service must run 2 tasks on the given cluster's EC2 instances"
  }
  assert {
    condition     = aws_ecs_service.this.task_definition == "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"
    error_message = "the service must run the task definition's revision"
  }
  assert {
    condition     = aws_ecs_service.this.deployment_minimum_healthy_percent == 100 && aws_ecs_service.this.deployment_maximum_percent == 200
    error_message = "defaults must keep every task serving while replacing them"
  }
  assert {
    condition     = aws_ecs_service.this.deployment_circuit_breaker[0].enable && aws_ecs_service.this.deployment_circuit_breaker[0].rollback
    error_message = "the circuit breaker must be on, with rollback"
  }
  assert {
    condition = jsonencode([for s in aws_ecs_service.this.ordered_placement_strategy : [s.type, s.field]]) == jsonencode([
      ["spread", "attribute:ecs.availability-zone"],
      ["spread", "instanceId"],
    ])
    error_message = "tasks must be spread across zones, then instances"
  }
  assert {
    condition     = length(aws_ecs_service.this.load_balancer) == 0 && aws_ecs_service.this.health_check_grace_period_seconds == null
    error_message = "no load balancer or grace period without target_group_arn"
  }
}

run "container_settings" {
  command = plan
  variables {
    container_name     = "app"
    cpu                = 512
    memory             = 1024
    memory_reservation = 768
    port_mappings      = [{ container_port = 8080, host_port = 8080 }, { container_port = 9090, protocol = "udp" }]
    environment        = { B_VAR = "2", A_VAR = "1" }
    command            = ["serve", "--port", "8080"]
    log_configuration  = { log_driver = "awslogs", options = { awslogs-group = "web" } }
  }

  assert {
    condition = jsondecode(aws_ecs_task_definition.this.container_definitions) == [{
      name              = "app"
      image             = "public.ecr.aws/docker/library/nginx:stable-alpine"
      essential         = true
      cpu               = 512
      memory            = 1024
      memoryReservation = 768
      portMappings = [
        { containerPort = 8080, hostPort = 8080, protocol = "tcp" },
        { containerPort = 9090, hostPort = 0, protocol = "udp" },
      ]
      environment      = [{ name = "A_VAR", value = "1" }, { name = "B_VAR", value = "2" }]
      command          = ["serve", "--port", "8080"]
      logConfiguration = { logDriver = "awslogs", options = { awslogs-group = "web" } }
    }]
    error_message = "unexpected container definition: ${aws_ecs_task_definition.this.container_definitions}"
  }
}

run "load_balancer" {
  command = plan
  variables {
    port_mappings                     = [{ container_port = 9000 }, { container_port = 80 }]
    target_group_arn                  = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
    load_balancer_container_port      = 80
    health_check_grace_period_seconds = 30
  }

  assert {
    condition = jsonencode([for lb in aws_ecs_service.this.load_balancer : [lb.target_group_arn, lb.container_name, lb.container_port]]) == jsonencode([
      ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef", "web", 80],
    ])
    error_message = "the tasks' container port 80 must be registered in the target group"
  }
  assert {
    condition     = aws_ecs_service.this.health_check_grace_period_seconds == 30 && output.load_balancer_container_port == 80
    error_message = "grace period and port must follow the variables"
  }
}

run "load_balancer_port_defaults_to_first_mapping" {
  command = plan
  variables {
    port_mappings    = [{ container_port = 9000 }, { container_port = 80 }]
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
  }
  assert {
    condition     = one(aws_ecs_service.this.load_balancer).container_port == 9000
    error_message = "without load_balancer_container_port the first mapping's port is used"
  }
}

# (Without a strategy the launch type is left to the provider, unknown in a
# plan: the run below shows the EC2 launch type is set only without one.)
run "capacity_provider_strategy_replaces_the_launch_type" {
  command = plan
  variables {
    capacity_provider_strategy = [
      { capacity_provider = "on-demand", base = 2 },
      { capacity_provider = "spot", weight = 3 },
    ]
  }
  assert {
    condition = (
      length(aws_ecs_service.this.capacity_provider_strategy) == 2 &&
      anytrue([for s in aws_ecs_service.this.capacity_provider_strategy : s.capacity_provider == "on-demand" && s.base == 2 && s.weight == 1]) &&
      anytrue([for s in aws_ecs_service.this.capacity_provider_strategy : s.capacity_provider == "spot" && s.base == 0 && s.weight == 3])
    )
    error_message = "the strategy must be passed as given, weight 1 and base 0 by default: ${jsonencode(aws_ecs_service.this.capacity_provider_strategy)}"
  }
}

run "no_strategy_keeps_the_ec2_launch_type" {
  command = plan
  assert {
    condition     = aws_ecs_service.this.launch_type == "EC2" && length(aws_ecs_service.this.capacity_provider_strategy) == 0
    error_message = "without a strategy the service runs on the EC2 launch type, as before"
  }
}
