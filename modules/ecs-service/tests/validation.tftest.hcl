# Every variable validation and precondition of the service module rejects what
# it should. As in the cluster module, "# error:" lines are the messages that
# tests/terraform checks on a copy of each failing run without expect_failures.

mock_provider "aws" {
  override_during = plan
}

variables {
  service_name    = "web"
  ecs_cluster_arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/test-cluster"
  image           = "public.ecr.aws/docker/library/nginx:stable-alpine"
  port_mappings   = [{ container_port = 80 }]
}

run "valid_minimal_configuration" {
  command = plan
}

run "valid_with_load_balancer" {
  command = plan
  variables {
    target_group_arn   = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
    memory_reservation = 256
    log_configuration  = { log_driver = "awslogs", options = { awslogs-group = "web" } }
  }
}

run "service_name_with_space" {
  command = plan
  variables { service_name = "my web" }
  expect_failures = [var.service_name]
  # error: service_name must be 1-255 characters
}

run "cluster_name_instead_of_arn" {
  command = plan
  variables { ecs_cluster_arn = "test-cluster" }
  expect_failures = [var.ecs_cluster_arn]
  # error: ecs_cluster_arn must be an ECS cluster ARN
}

run "desired_count_negative" {
  command = plan
  variables { desired_number_of_tasks = -1 }
  expect_failures = [var.desired_number_of_tasks]
  # error: desired_number_of_tasks must be a whole number, 0 or more
}

run "minimum_healthy_above_100" {
  command = plan
  variables { deployment_minimum_healthy_percent = 150 }
  expect_failures = [var.deployment_minimum_healthy_percent]
  # error: deployment_minimum_healthy_percent must be a whole number from 0 to 100
}

run "maximum_below_100" {
  command = plan
  variables { deployment_maximum_percent = 50 }
  expect_failures = [var.deployment_maximum_percent]
  # error: deployment_maximum_percent must be a whole number, 100 or more
}

run "deployment_limits_that_block_replacement" {
  command = plan
  variables {
    deployment_minimum_healthy_percent = 100
    deployment_maximum_percent         = 100
  }
  expect_failures = [aws_ecs_service.this]
  # error: leave ECS no way to replace a task
}

run "placement_strategy_unknown_type" {
  command = plan
  variables { placement_strategy = [{ type = "pack", field = "cpu" }] }
  expect_failures = [var.placement_strategy]
  # error: each of type spread, binpack or random
}

run "placement_strategy_spread_without_field" {
  command = plan
  variables { placement_strategy = [{ type = "spread" }] }
  expect_failures = [var.placement_strategy]
  # error: spread needs a field
}

run "image_with_space" {
  command = plan
  variables { image = "nginx latest" }
  expect_failures = [var.image]
  # error: image must be a non-empty image reference without spaces
}

run "container_name_with_dot" {
  command = plan
  variables { container_name = "web.app" }
  expect_failures = [var.container_name]
  # error: container_name must be 1-255 letters
}

run "cpu_negative" {
  command = plan
  variables { cpu = -256 }
  expect_failures = [var.cpu]
  # error: cpu must be a whole number of CPU units
}

run "memory_too_small" {
  command = plan
  variables { memory = 4 }
  expect_failures = [var.memory]
  # error: memory must be a whole number of MiB, at least 6
}

run "memory_reservation_above_memory" {
  command = plan
  variables {
    memory             = 256
    memory_reservation = 512
  }
  expect_failures = [aws_ecs_service.this]
  # error: memory_reservation (512) must not be greater than memory (256)
}

run "port_mapping_out_of_range" {
  command = plan
  variables { port_mappings = [{ container_port = 70000 }] }
  expect_failures = [var.port_mappings]
  # error: port_mappings need container_port 1-65535
}

run "port_mapping_bad_protocol" {
  command = plan
  variables { port_mappings = [{ container_port = 80, protocol = "http" }] }
  expect_failures = [var.port_mappings]
  # error: protocol tcp or udp
}

run "environment_bad_name" {
  command = plan
  variables { environment = { "MY-VAR" = "x" } }
  expect_failures = [var.environment]
  # error: environment keys must be variable names
}

run "task_role_not_arn" {
  command = plan
  variables { task_role_arn = "my-role" }
  expect_failures = [var.task_role_arn]
  # error: task_role_arn must be an IAM role ARN
}

run "target_group_not_arn" {
  command = plan
  variables { target_group_arn = "web-tg" }
  expect_failures = [var.target_group_arn]
  # error: target_group_arn must be a load balancer target group ARN
}

run "load_balancer_without_port_mapping" {
  command = plan
  variables {
    port_mappings    = []
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
  }
  expect_failures = [aws_ecs_service.this]
  # error: target_group_arn needs a container port for the load balancer
}

run "load_balancer_port_not_mapped" {
  command = plan
  variables {
    target_group_arn             = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
    load_balancer_container_port = 8080
  }
  expect_failures = [aws_ecs_service.this]
  # error: load_balancer_container_port (8080) must be one of the container ports in port_mappings
}

run "grace_period_negative" {
  command = plan
  variables { health_check_grace_period_seconds = -1 }
  expect_failures = [var.health_check_grace_period_seconds]
  # error: health_check_grace_period_seconds must be a whole number, 0 or more
}

run "capacity_provider_strategy_valid" {
  command = plan
  variables {
    capacity_provider_strategy = [{ capacity_provider = "prod-cp", base = 1, weight = 1000 }, { capacity_provider = "prod_spot", weight = 0 }]
  }
}

run "capacity_provider_strategy_bad_name" {
  command = plan
  variables { capacity_provider_strategy = [{ capacity_provider = "prod cp" }] }
  expect_failures = [var.capacity_provider_strategy]
  # error: capacity_provider_strategy must name each capacity provider once
}

run "capacity_provider_strategy_repeated_provider" {
  command = plan
  variables { capacity_provider_strategy = [{ capacity_provider = "cp" }, { capacity_provider = "cp", weight = 2 }] }
  expect_failures = [var.capacity_provider_strategy]
  # error: capacity_provider_strategy must name each capacity provider once
}

run "capacity_provider_strategy_weight_too_high" {
  command = plan
  variables { capacity_provider_strategy = [{ capacity_provider = "cp", weight = 1001 }] }
  expect_failures = [var.capacity_provider_strategy]
  # error: weight must be a whole number from 0 to 1000
}

run "capacity_provider_strategy_fractional_base" {
  command = plan
  variables { capacity_provider_strategy = [{ capacity_provider = "cp", base = 1.5 }] }
  expect_failures = [var.capacity_provider_strategy]
  # error: base a whole number from 0 to 100000
}

run "capacity_provider_strategy_two_bases" {
  command = plan
  variables { capacity_provider_strategy = [{ capacity_provider = "a", base = 1 }, { capacity_provider = "b", base = 2 }] }
  expect_failures = [var.capacity_provider_strategy]
  # error: only one capacity provider may have a base above 0
}

run "capacity_provider_strategy_all_weights_zero" {
  command = plan
  variables { capacity_provider_strategy = [{ capacity_provider = "a", weight = 0 }, { capacity_provider = "b", weight = 0 }] }
  expect_failures = [var.capacity_provider_strategy]
  # error: at least one capacity provider needs a weight above 0
}
