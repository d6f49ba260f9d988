terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

# Every AWS API this configuration and the rollout use goes to the local
# simulator (tests/sim: moto plus ECS dynamics). Its credentials are dummies.
provider "aws" {
  region     = var.aws_region
  access_key = var.aws_access_key_id
  secret_key = var.aws_secret_access_key

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    autoscaling = var.aws_endpoint_url
    ec2         = var.aws_endpoint_url
    ecs         = var.aws_endpoint_url
    iam         = var.aws_endpoint_url
    ssm         = var.aws_endpoint_url
    sts         = var.aws_endpoint_url
  }
}
