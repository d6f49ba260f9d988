# The cluster and a small service on the local simulator: the configuration
# `make demo` and the end-to-end tests apply, once with one AMI and then with
# another, to show the rollout running inside `terraform apply`.
#
# It uses the simulator's default VPC (nothing to create or destroy there) and
# no load balancer: creating an aws_lb costs about a minute on moto, which the
# docker-service-with-elb example pays on real AWS instead.

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

module "ecs_cluster" {
  source = "../../modules/ecs-cluster"

  cluster_name          = var.cluster_name
  cluster_instance_ami  = var.cluster_instance_ami
  cluster_instance_type = var.cluster_instance_type
  cluster_min_size      = var.cluster_min_size
  cluster_max_size      = var.cluster_max_size

  # With cluster_instance_types or cluster_family_launch_templates, a mixed
  # instances policy: the families' types first, each launched from its
  # family's own template (the module's main template with the family's AMI).
  cluster_mixed_instances_policy = length(var.cluster_instance_types) + length(var.cluster_family_launch_templates) == 0 ? null : {
    instance_types = concat(
      flatten([for name, f in var.cluster_family_launch_templates : [for t in f.instance_types : { instance_type = t, launch_template = name }]]),
      [for t in var.cluster_instance_types : { instance_type = t, launch_template = null }],
    )
    launch_templates                         = { for name, f in var.cluster_family_launch_templates : name => { ami = f.ami } }
    on_demand_percentage_above_base_capacity = var.cluster_on_demand_percentage
  }

  # A capacity provider for the group, the service's strategy, with the
  # module's defaults: managed scaling, managed termination protection and
  # managed draining on, as the AWS console and terraform-aws-modules create
  # it. The rollout holds ECS's scaling policy while it runs and leaves the
  # provider, policy, hooks and protection as it found them.
  capacity_provider_managed_scaling                = { enabled = var.capacity_provider_managed }
  capacity_provider_managed_termination_protection = var.capacity_provider_managed
  capacity_provider_managed_draining               = var.capacity_provider_managed

  cluster_wait_for_capacity_timeout = var.cluster_wait_for_capacity_timeout

  vpc_id = data.aws_vpc.default.id
  # A few zones are plenty, and keep the plan readable.
  vpc_subnet_ids = slice(sort(data.aws_subnets.default.ids), 0, min(3, length(data.aws_subnets.default.ids)))

  rollout_enabled          = var.rollout_enabled
  rollout_helper_path      = var.rollout_helper_path
  rollout_batch_size       = var.rollout_batch_size
  rollout_drain_timeout    = var.rollout_drain_timeout
  rollout_instance_timeout = var.rollout_instance_timeout
  rollout_extra_args       = var.rollout_extra_args
  rollout_endpoint_url     = var.aws_endpoint_url
  # The helper reads credentials from its environment, not from the provider
  # block above; these are the simulator's dummies.
  rollout_environment = {
    AWS_ACCESS_KEY_ID     = var.aws_access_key_id
    AWS_SECRET_ACCESS_KEY = var.aws_secret_access_key
  }

  tags = {
    Example = "local-simulator"
  }
}

module "web_service" {
  source = "../../modules/ecs-service"

  service_name            = "${var.cluster_name}-web"
  ecs_cluster_arn         = module.ecs_cluster.ecs_cluster_arn
  image                   = "public.ecr.aws/docker/library/nginx:stable-alpine"
  cpu                     = 128
  memory                  = 128
  port_mappings           = [{ container_port = 80 }]
  desired_number_of_tasks = var.service_desired_count

  capacity_provider_strategy = [{ capacity_provider = module.ecs_cluster.ecs_capacity_provider_name }]

  tags = {
    Example = "local-simulator"
  }
}
