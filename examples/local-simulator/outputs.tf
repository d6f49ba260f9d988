output "asg_name" {
  description = "Auto Scaling group of the cluster (ecs-rollout --asg-name)."
  value       = module.ecs_cluster.ecs_cluster_asg_name
}

output "ecs_cluster_name" {
  description = "ECS cluster (ecs-rollout --cluster-name)."
  value       = module.ecs_cluster.ecs_cluster_name
}

output "ecs_cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = module.ecs_cluster.ecs_cluster_arn
}

output "aws_region" {
  description = "Region (ecs-rollout --aws-region)."
  value       = var.aws_region
}

output "aws_endpoint_url" {
  description = "Simulator endpoint (ecs-rollout --endpoint-url)."
  value       = var.aws_endpoint_url
}

output "launch_template_id" {
  description = "Launch template of the instances."
  value       = module.ecs_cluster.ecs_cluster_launch_template_id
}

output "launch_template_version" {
  description = "Launch template version every instance runs after a rollout."
  value       = module.ecs_cluster.ecs_cluster_launch_template_version
}

output "ami_id" {
  description = "AMI of the launch template."
  value       = module.ecs_cluster.ecs_cluster_ami_id
}

output "service_name" {
  description = "The demo service."
  value       = module.web_service.service_name
}

output "rollout_command" {
  description = "The same rollout by hand."
  value       = module.ecs_cluster.rollout_command
}
