# The instances' security group. Rules are separate resources so that callers
# can add their own rules to ecs_instance_security_group_id without the module
# removing them.

resource "aws_security_group" "instance" {
  name_prefix = local.name_prefix
  description = "ECS container instances of cluster ${var.cluster_name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.cluster_name}-instances" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "all_ipv4" {
  security_group_id = aws_security_group.instance.id
  description       = "All outbound traffic (ECS, ECR, image registries)"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "all_ipv6" {
  security_group_id = aws_security_group.instance.id
  description       = "All outbound traffic (ECS, ECR, image registries)"
  ip_protocol       = "-1"
  cidr_ipv6         = "::/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "ssh_from_cidr" {
  for_each = toset(var.allow_ssh_from_cidr_blocks)

  security_group_id = aws_security_group.instance.id
  description       = "SSH from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
  tags              = var.tags
}

# count, not for_each: the ids are often created in the same configuration and
# unknown at plan time, while the length of the list is known.
resource "aws_vpc_security_group_ingress_rule" "ssh_from_security_group" {
  count = length(var.allow_ssh_from_security_group_ids)

  security_group_id            = aws_security_group.instance.id
  description                  = "SSH from a trusted security group"
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
  referenced_security_group_id = var.allow_ssh_from_security_group_ids[count.index]
  tags                         = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  count = length(var.alb_security_group_ids)

  security_group_id            = aws_security_group.instance.id
  description                  = "Container ports from a load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.alb_ingress_port_range.from_port
  to_port                      = var.alb_ingress_port_range.to_port
  referenced_security_group_id = var.alb_security_group_ids[count.index]
  tags                         = var.tags
}
