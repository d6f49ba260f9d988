# An ECS cluster running a Docker service behind an Application Load Balancer,
# in a small VPC of its own: one public subnet per zone, an internet gateway,
# no NAT gateway. The instances get public addresses to reach ECS and the image
# registry, but their security group admits only the load balancer (and SSH
# from allow_ssh_from_cidr_blocks, if any). A production setup would rather put
# the instances in private subnets behind NAT gateways or VPC endpoints; the
# modules do not care which: pass those subnets as vpc_subnet_ids.

data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  zones = slice(data.aws_availability_zones.available.names, 0, var.availability_zone_count)
  tags  = { Example = "docker-service-with-elb" }
}

# ---- network ------------------------------------------------------------------

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = length(local.zones)

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.zones[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr_block, 4, count.index)
  map_public_ip_on_launch = true
  tags                    = merge(local.tags, { Name = "${var.name}-public-${local.zones[count.index]}" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-public" })

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
}

resource "aws_route_table_association" "public" {
  count = length(aws_subnet.public)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# ---- the cluster --------------------------------------------------------------------

module "ecs_cluster" {
  # From another repository, use a pinned git source instead:
  # source = "git::https://github.com/OWNER/ecs-rollout.git//modules/ecs-cluster?ref=v0.1.0"
  source = "../../modules/ecs-cluster"

  cluster_name                  = var.name
  cluster_instance_ami          = var.cluster_instance_ami
  cluster_instance_type         = var.cluster_instance_type
  cluster_instance_keypair_name = var.cluster_instance_keypair_name
  enable_ssm_session_manager    = true

  # x86 and Graviton instances, each family from its own launch template and
  # AMI (nginx's image is built for both), with a Spot share above the
  # On-Demand base. The capacity provider (managed scaling, termination
  # protection and draining) is the module's default.
  cluster_mixed_instances_policy = {
    instance_types = concat(
      [{ instance_type = var.cluster_instance_type }],
      [for t in var.cluster_graviton_instance_types : { instance_type = t, launch_template = "graviton" }],
    )
    launch_templates = {
      for k, lt in {
        graviton = var.cluster_graviton_instance_ami != null ? { ami = var.cluster_graviton_instance_ami, ami_ssm_parameter = null } : {
          ami               = null
          ami_ssm_parameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
        }
      } : k => lt if length(var.cluster_graviton_instance_types) > 0
    }
    on_demand_base_capacity                  = var.cluster_on_demand_base_capacity
    on_demand_percentage_above_base_capacity = var.cluster_on_demand_percentage_above_base_capacity
  }

  # Twice the minimum: room for the rollout to start new instances first.
  cluster_min_size = var.cluster_min_size
  cluster_max_size = var.cluster_max_size

  vpc_id = aws_vpc.this.id
  # Through the route table associations: instances must not boot before
  # their subnets route to the internet, or they cannot register with ECS.
  # (A depends_on on the module would defer its data sources to apply time.)
  vpc_subnet_ids = aws_route_table_association.public[*].subnet_id

  allow_ssh_from_cidr_blocks = var.allow_ssh_from_cidr_blocks
  # The load balancer reaches the tasks on their dynamic host ports.
  alb_security_group_ids = [aws_security_group.alb.id]

  rollout_batch_size  = var.rollout_batch_size
  rollout_helper_path = var.rollout_helper_path
  rollout_aws_profile = var.rollout_aws_profile

  tags = local.tags
}

# ---- the load balancer ---------------------------------------------------------------

resource "aws_security_group" "alb" {
  name_prefix = "${var.name}-alb-"
  description = "Load balancer of ${var.name}"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  for_each = toset(var.allow_http_from_cidr_blocks)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_instances" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the tasks' dynamic host ports"
  ip_protocol                  = "tcp"
  from_port                    = 32768
  to_port                      = 65535
  referenced_security_group_id = module.ecs_cluster.ecs_instance_security_group_id
}

resource "aws_lb" "this" {
  name_prefix        = "ecsalb"
  load_balancer_type = "application"
  internal           = false
  subnets            = aws_subnet.public[*].id
  security_groups    = [aws_security_group.alb.id]
  tags               = merge(local.tags, { Name = var.name })
}

resource "aws_lb_target_group" "service" {
  name_prefix = "ecssvc"
  vpc_id      = aws_vpc.this.id
  target_type = "instance"
  protocol    = "HTTP"
  # ECS registers each task with its own dynamic host port; this is a default.
  port = var.service_container_port
  # Connections of a task being replaced get this long to finish. A rollout
  # waits for it, so keep it short for short requests.
  deregistration_delay = 30

  health_check {
    path                = "/"
    matcher             = "200-399"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service.arn
  }
}

# ---- the service -------------------------------------------------------------------

module "service" {
  source = "../../modules/ecs-service"

  service_name            = "${var.name}-web"
  ecs_cluster_arn         = module.ecs_cluster.ecs_cluster_arn
  image                   = var.service_image
  cpu                     = 256
  memory                  = 256
  port_mappings           = [{ container_port = var.service_container_port }]
  desired_number_of_tasks = var.service_desired_count

  # On the cluster's capacity provider, so managed scaling counts its tasks.
  capacity_provider_strategy = [{ capacity_provider = module.ecs_cluster.ecs_capacity_provider_name }]

  # Keep every task serving while ECS replaces them (deployments, rollouts).
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  target_group_arn                  = aws_lb_target_group.service.arn
  health_check_grace_period_seconds = 30

  tags = local.tags

  # ECS refuses a target group that no load balancer uses yet.
  depends_on = [aws_lb_listener.http]
}
