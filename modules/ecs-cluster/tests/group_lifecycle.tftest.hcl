# The group across applies: its desired capacity belongs to scaling and to
# rollouts once it exists. Applies against a mocked provider with the rollout
# switched off (an apply would run the helper's provisioner otherwise).
# Mock values are generated at apply here (no override_during = plan), so that
# planned and applied values agree.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  cluster_name          = "test-cluster"
  cluster_instance_type = "t3.medium"
  cluster_min_size      = 2
  cluster_max_size      = 4
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_subnet_ids        = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

run "create_group" {
  variables {
    rollout_enabled = false
  }
  assert {
    condition     = aws_autoscaling_group.this.desired_capacity == 2
    error_message = "the group starts at cluster_min_size when cluster_desired_capacity is null"
  }
}

run "desired_capacity_change_is_ignored_after_creation" {
  command = plan
  variables {
    rollout_enabled          = false
    cluster_desired_capacity = 4
  }
  assert {
    condition     = aws_autoscaling_group.this.desired_capacity == 2
    error_message = "a plan must not change the desired capacity of an existing group (a rollout or scaling owns it)"
  }
}
