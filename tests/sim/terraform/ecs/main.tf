# A cluster, a task definition and a bridge-mode service (the AWS provider 5.100
# crashed re-reading such a service from plain moto).
resource "aws_ecs_cluster" "this" {
  name = "sim-tf"
}

resource "aws_ecs_task_definition" "web" {
  family       = "sim-tf-web"
  network_mode = "bridge"
  container_definitions = jsonencode([{
    name         = "web"
    image        = "public.ecr.aws/nginx/nginx:latest"
    cpu          = 128
    memory       = 256
    essential    = true
    portMappings = [{ containerPort = 80, hostPort = 0, protocol = "tcp" }]
  }])
}

resource "aws_ecs_service" "web" {
  name                               = "web"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.web.arn
  desired_count                      = 2
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
}
