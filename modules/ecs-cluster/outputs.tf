output "ecs_cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "ecs_cluster_asg_name" {
  description = "Name of the Auto Scaling group that runs the cluster's instances (ecs-rollout --asg-name)."
  value       = aws_autoscaling_group.this.name
}

output "ecs_cluster_asg_arn" {
  description = "ARN of the Auto Scaling group."
  value       = aws_autoscaling_group.this.arn
}

output "ecs_cluster_launch_template_id" {
  description = "ID of the launch template the instances boot from."
  value       = aws_launch_template.this.id
}

output "ecs_cluster_launch_template_version" {
  description = "Latest version of the launch template, the one the group launches and a rollout converges on."
  value       = aws_launch_template.this.latest_version
}

output "ecs_cluster_family_launch_templates" {
  description = "The per-family launch templates of cluster_mixed_instances_policy, by key: id, latest_version and ami_id. Empty without them."
  value = {
    for k, t in aws_launch_template.family : k => { id = t.id, latest_version = t.latest_version, ami_id = t.image_id }
  }
}

output "ecs_capacity_provider_name" {
  description = "Name of the cluster's capacity provider (null when capacity_provider_enabled is false), once it is associated with the cluster: give it to services as their capacity provider strategy (the ecs-service module's capacity_provider_strategy), so they are created after the association and destroyed before it."
  value       = one(flatten([for a in aws_ecs_cluster_capacity_providers.this : tolist(a.capacity_providers)]))
}

output "ecs_capacity_provider_arn" {
  description = "ARN of the cluster's capacity provider (null when capacity_provider_enabled is false)."
  value       = one(aws_ecs_capacity_provider.this[*].arn)
}

output "ecs_cluster_ami_id" {
  description = "AMI the launch template uses (cluster_instance_ami, or the one read from the SSM parameter)."
  value       = local.ami_id
}

output "ecs_instance_security_group_id" {
  description = "ID of the instances' security group; add your own aws_vpc_security_group_ingress_rule resources to it."
  value       = aws_security_group.instance.id
}

output "ecs_instance_iam_role_name" {
  description = "Name of the instances' IAM role; attach your own policies to it."
  value       = aws_iam_role.instance.name
}

output "ecs_instance_iam_role_arn" {
  description = "ARN of the instances' IAM role."
  value       = aws_iam_role.instance.arn
}

output "ecs_instance_profile_arn" {
  description = "ARN of the instances' IAM instance profile."
  value       = aws_iam_instance_profile.instance.arn
}

output "rollout_iam_policy_json" {
  description = "Least-privilege IAM policy (JSON) for whoever runs ecs-rollout on this cluster: every call it makes, scoped to this cluster and Auto Scaling group where AWS supports resource-level permissions, and rollout state tags limited to keys starting with \"ecs-rollout:\"."
  value       = jsonencode(local.rollout_iam_policy)
}

output "rollout_command" {
  description = "The ecs-rollout command that rolls this cluster out by hand (e.g. with rollout_enabled = false, or to resume outside Terraform)."
  value       = local.rollout_command
}

output "rollout_in_progress" {
  description = "Whether the plan found a rollout in progress on the group (ecs-rollout:* tags), in which case it kept the group's live sizes, suspended processes and rollout tags."
  value       = local.rollout_in_progress
}
