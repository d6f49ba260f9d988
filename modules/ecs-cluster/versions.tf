terraform {
  # 1.5: terraform_data (1.4), strcontains (1.5); nothing newer is
  # needed to use the module (its tests need 1.9 for mock overrides at plan).
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
