# The rollout really runs during apply, through local-exec and the wrapper,
# with the values the module sets: tests/fake-ecs-rollout stands in for the
# helper and records its argv. tests/terraform runs this file with
# FAKE_ECS_ROLLOUT_RECORD set and checks the records: one for each of the two
# runs that create or replace the rollout resource, none for the others, every
# argument verbatim (shell metacharacters included), nothing run by a shell.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  cluster_name             = "test-cluster"
  cluster_instance_type    = "t3.medium"
  cluster_min_size         = 2
  cluster_max_size         = 4
  vpc_id                   = "vpc-0123456789abcdef0"
  vpc_subnet_ids           = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  cluster_instance_ami     = "ami-0aaaaaaaaaaaaaaa1"
  rollout_helper_path      = "tests/fake-ecs-rollout"
  rollout_endpoint_url     = "http://127.0.0.1:4566"
  rollout_aws_profile      = "ops"
  rollout_batch_size       = 2
  rollout_drain_timeout    = 600
  rollout_instance_timeout = 900
  rollout_extra_args = [
    "--note",
    "$(touch pwned-by-command-substitution)",
    "a;touch pwned-by-semicolon",
    "`touch pwned-by-backticks`",
    "'single' \"double\" and  two  spaces",
    "--flag=$HOME|*",
  ]
  rollout_environment = { FAKE_MARK = "from rollout_environment" }
}

run "first_apply_runs_the_rollout" {
  assert {
    condition     = terraform_data.rollout[0].triggers_replace.launch_template_version == 3
    error_message = "the first apply rolls out template version 3"
  }
}

# A new template version replaces the rollout resource (the trigger itself is
# tested in rollout_wiring.tftest.hcl: the mocked provider cannot plan a new
# latest_version for an existing template). So does a failed rollout, which
# leaves the resource tainted. Either way, replacement runs the helper again.
run "replacing_the_rollout_resource_runs_it_again" {
  plan_options {
    replace = [terraform_data.rollout[0]]
  }
}

run "changed_settings_alone_do_not_run_it" {
  variables {
    rollout_batch_size = 1
  }
  assert {
    condition     = terraform_data.rollout[0].input.ECS_ROLLOUT_BATCH_SIZE == "1"
    error_message = "the stored environment follows the settings"
  }
}

run "rollout_disabled_removes_it_without_running" {
  variables {
    rollout_enabled = false
  }
  assert {
    condition     = length(terraform_data.rollout) == 0
    error_message = "no rollout resource when disabled"
  }
}
