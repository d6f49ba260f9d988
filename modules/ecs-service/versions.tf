terraform {
  # Nothing newer is needed to use the module (its tests need 1.9 for mock
  # overrides at plan).
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
