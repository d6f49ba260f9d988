output "asg_name" {
  description = "Auto Scaling group of the cluster: ecs-rollout --asg-name \"$(terraform output -raw asg_name)\"."
  value       = module.ecs_cluster.ecs_cluster_asg_name
}

output "ecs_cluster_name" {
  description = "ECS cluster: ecs-rollout --cluster-name \"$(terraform output -raw ecs_cluster_name)\"."
  value       = module.ecs_cluster.ecs_cluster_name
}

output "aws_region" {
  description = "Region: ecs-rollout --aws-region \"$(terraform output -raw aws_region)\"."
  value       = var.aws_region
}

output "url" {
  description = "URL of the service behind the load balancer."
  value       = "http://${aws_lb.this.dns_name}/"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "ami_id" {
  description = "AMI the cluster's launch template uses."
  value       = module.ecs_cluster.ecs_cluster_ami_id
}

output "launch_template_version" {
  description = "Launch template version every instance runs once a rollout has finished."
  value       = module.ecs_cluster.ecs_cluster_launch_template_version
}

output "rollout_command" {
  description = "The rollout as a standalone command."
  value       = module.ecs_cluster.rollout_command
}

output "rollout_iam_policy_json" {
  description = "Least-privilege IAM policy for whoever runs the rollout (a CI role, say)."
  value       = module.ecs_cluster.rollout_iam_policy_json
}
