# Automatic rollout: whenever the launch template gets a new version, replace
# every instance of the group with zero downtime by running ecs-rollout from
# apply, after the group has switched to the new version.
#
# Values reach the helper only through the environment (read by
# scripts/ecs-rollout-wrapper, which builds the argument vector itself); the
# command is the wrapper's path, run by bash as a file, so nothing here passes
# through a shell. If the helper fails, apply fails with its output and the
# resource is tainted: the next apply runs it again, which resumes or retries.

locals {
  rollout_helper_environment = merge(var.rollout_environment, {
    ECS_ROLLOUT_ASG_NAME         = aws_autoscaling_group.this.name
    ECS_ROLLOUT_CLUSTER_NAME     = aws_ecs_cluster.this.name
    ECS_ROLLOUT_REGION           = data.aws_region.current.name
    ECS_ROLLOUT_ENDPOINT_URL     = var.rollout_endpoint_url == null ? "" : var.rollout_endpoint_url
    ECS_ROLLOUT_PROFILE          = var.rollout_aws_profile == null ? "" : var.rollout_aws_profile
    ECS_ROLLOUT_BATCH_SIZE       = var.rollout_batch_size == null ? "" : tostring(var.rollout_batch_size)
    ECS_ROLLOUT_DRAIN_TIMEOUT    = var.rollout_drain_timeout == null ? "" : tostring(var.rollout_drain_timeout)
    ECS_ROLLOUT_INSTANCE_TIMEOUT = var.rollout_instance_timeout == null ? "" : tostring(var.rollout_instance_timeout)
    # One argument per line; the variable's validation forbids newlines inside.
    ECS_ROLLOUT_EXTRA_ARGS = join("\n", var.rollout_extra_args)
    # Null leaves ECS_ROLLOUT_HELPER from terraform's own environment in effect.
    ECS_ROLLOUT_HELPER = var.rollout_helper_path
    # For the wrapper's log line only.
    ECS_ROLLOUT_LAUNCH_TEMPLATE_ID      = aws_launch_template.this.id
    ECS_ROLLOUT_LAUNCH_TEMPLATE_VERSION = tostring(aws_launch_template.this.latest_version)
  })

  # The per-family templates of a mixed instances policy as a trigger; an empty
  # object without them, so groups without keep their trigger unchanged.
  rollout_family_trigger = {
    for key, versions in {
      family_launch_templates = { for name, t in aws_launch_template.family : name => "${t.id}:${t.latest_version}" }
    } : key => versions if length(aws_launch_template.family) > 0
  }

  # The same command for people and CI (output rollout_command).
  rollout_command = join(" ", concat(
    ["ecs-rollout", "rollout",
      "--asg-name", aws_autoscaling_group.this.name,
      "--cluster-name", aws_ecs_cluster.this.name,
    "--aws-region", data.aws_region.current.name],
    var.rollout_endpoint_url == null ? [] : ["--endpoint-url", "'${replace(var.rollout_endpoint_url, "'", "'\\''")}'"],
    var.rollout_aws_profile == null ? [] : ["--profile", "'${replace(var.rollout_aws_profile, "'", "'\\''")}'"],
  ))
}

resource "terraform_data" "rollout" {
  count = var.rollout_enabled ? 1 : 0

  # A new template version (a new AMI or any other change), or a new template,
  # replaces this resource, and creating it runs the rollout. The per-family
  # templates of a mixed instances policy count too (their key only exists
  # with them, so adding the feature changes nothing for groups without).
  triggers_replace = merge(
    {
      launch_template_id      = aws_launch_template.this.id
      launch_template_version = aws_launch_template.this.latest_version
    },
    local.rollout_family_trigger,
  )

  # What the provisioner passes to the helper, kept in state so plans show it
  # and tests can check it. Changing it alone does not start a rollout.
  input = local.rollout_helper_environment

  # Run only once the group uses the new template version.
  depends_on = [aws_autoscaling_group.this]

  provisioner "local-exec" {
    interpreter = ["bash"]
    command     = "${path.module}/scripts/ecs-rollout-wrapper"
    environment = self.input
  }
}
