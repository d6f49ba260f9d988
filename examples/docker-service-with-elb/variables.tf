variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the cluster, and prefix of everything else the example creates."
  type        = string
  default     = "docker-service-with-elb"
}

variable "vpc_cidr_block" {
  description = "CIDR block of the example's VPC; it gets one public subnet per zone."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0)) && tonumber(split("/", var.vpc_cidr_block)[1]) <= 24
    error_message = "vpc_cidr_block must be an IPv4 CIDR block of /24 or larger."
  }
}

variable "availability_zone_count" {
  description = "Number of Availability Zones to spread the instances and the load balancer over (an ALB needs at least 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 6
    error_message = "availability_zone_count must be from 2 to 6."
  }
}

variable "cluster_instance_ami" {
  description = "AMI of the cluster's instances. Null: the current ECS-optimized Amazon Linux 2023 AMI, which means AWS's next AMI release rolls the cluster on your next apply. Set it to roll out when you decide (see README.md)."
  type        = string
  default     = null
}

variable "cluster_instance_type" {
  description = "x86 instance type of the cluster's instances, the first choice of the mixed instances policy."
  type        = string
  default     = "t3.small"
}

variable "cluster_graviton_instance_types" {
  description = "Graviton (arm64) instance types the group may also launch, from their own launch template and AMI. Empty: x86 only."
  type        = list(string)
  default     = ["t4g.small"]
}

variable "cluster_graviton_instance_ami" {
  description = "AMI of the Graviton instances (an arm64 image). Null: the current ECS-optimized Amazon Linux 2023 arm64 AMI."
  type        = string
  default     = null
}

variable "cluster_on_demand_base_capacity" {
  description = "Instances that are always On-Demand."
  type        = number
  default     = 1
}

variable "cluster_on_demand_percentage_above_base_capacity" {
  description = "Percentage of On-Demand instances above the base; the rest are Spot (100: no Spot)."
  type        = number
  default     = 50
}

variable "cluster_instance_keypair_name" {
  description = "EC2 key pair for SSH to the instances (null: none; enable_ssm_session_manager is on for shell access)."
  type        = string
  default     = null
}

variable "allow_ssh_from_cidr_blocks" {
  description = "CIDR blocks allowed to SSH to the instances."
  type        = list(string)
  default     = []
}

variable "cluster_min_size" {
  description = "Minimum (and initial) number of instances."
  type        = number
  default     = 2
}

variable "cluster_max_size" {
  description = "Maximum number of instances: twice the minimum, so a rollout can start every new instance before it drains the old ones."
  type        = number
  default     = 4
}

variable "allow_http_from_cidr_blocks" {
  description = "CIDR blocks allowed to reach the load balancer on port 80."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "service_image" {
  description = "Docker image of the service."
  type        = string
  default     = "public.ecr.aws/docker/library/nginx:stable-alpine"
}

variable "service_container_port" {
  description = "Port the service's container listens on."
  type        = number
  default     = 80
}

variable "service_desired_count" {
  description = "Number of tasks of the service."
  type        = number
  default     = 2
}

variable "rollout_batch_size" {
  description = "Instances the rollout replaces at a time. Null: the whole group at once (needs cluster_max_size >= 2 x cluster_min_size)."
  type        = number
  default     = null
}

variable "rollout_helper_path" {
  description = "Path of an ecs-rollout binary. Null: $ECS_ROLLOUT_HELPER, ecs-rollout on PATH, or a build from the repository's helper/ sources (once, cached)."
  type        = string
  default     = null
}

variable "rollout_aws_profile" {
  description = "AWS profile for the rollout. Null: the same credentials terraform's environment provides."
  type        = string
  default     = null
}
