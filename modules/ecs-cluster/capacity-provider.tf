# The ECS capacity provider of the group (capacity_provider_enabled): managed
# scaling, managed termination protection and managed draining as the
# capacity_provider_* variables say, associated with the cluster as its default
# strategy. What each setting does:
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers.html

resource "aws_ecs_capacity_provider" "this" {
  count = var.capacity_provider_enabled ? 1 : 0

  name = local.capacity_provider_name

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.this.arn
    managed_termination_protection = local.managed_termination_protection ? "ENABLED" : "DISABLED"
    managed_draining               = local.managed_draining ? "ENABLED" : "DISABLED"

    managed_scaling {
      status                    = local.managed_scaling ? "ENABLED" : "DISABLED"
      target_capacity           = var.capacity_provider_managed_scaling.target_capacity
      minimum_scaling_step_size = var.capacity_provider_managed_scaling.minimum_scaling_step_size
      maximum_scaling_step_size = var.capacity_provider_managed_scaling.maximum_scaling_step_size
      instance_warmup_period    = var.capacity_provider_managed_scaling.instance_warmup_period
    }
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  count = var.capacity_provider_enabled ? 1 : 0

  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = [aws_ecs_capacity_provider.this[0].name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.this[0].name
    base              = 0
    weight            = 1
  }
}
