output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "service_arn" {
  description = "ARN of the ECS service."
  value       = aws_ecs_service.this.id
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition the service runs."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Family of the task definition."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_revision" {
  description = "Revision of the task definition the service runs."
  value       = aws_ecs_task_definition.this.revision
}

output "container_name" {
  description = "Name of the service's container."
  value       = local.container_name
}

output "load_balancer_container_port" {
  description = "Container port registered with the load balancer (null without target_group_arn)."
  value       = var.target_group_arn == null ? null : local.load_balancer_container_port
}
