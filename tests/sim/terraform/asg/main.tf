# A launch template with ECS user data and an Auto Scaling group on it; the test
# applies it, changes the AMI and applies again.
variable "ami" {
  type = string
}

variable "cluster" {
  type = string
}

resource "aws_launch_template" "node" {
  name_prefix   = "sim-node-"
  image_id      = var.ami
  instance_type = "t3.medium"
  user_data     = base64encode("#!/bin/bash\necho ECS_CLUSTER=${var.cluster} >> /etc/ecs/ecs.config\n")
}

resource "aws_autoscaling_group" "nodes" {
  name                 = "sim-nodes"
  min_size             = 1
  max_size             = 6
  desired_capacity     = 2
  availability_zones   = ["us-east-1a", "us-east-1b"]
  termination_policies = ["OldestLaunchTemplate", "OldestInstance"]

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}
