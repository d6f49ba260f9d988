# The instances' IAM role and instance profile, and the least-privilege policy
# for whoever runs the rollout (output rollout_iam_policy_json).

resource "aws_iam_role" "instance" {
  name_prefix = local.name_prefix
  description = "ECS container instances of cluster ${var.cluster_name}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ecs_instance" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_role_policy_attachment" "ssm_session_manager" {
  count = var.enable_ssm_session_manager ? 1 : 0

  role       = aws_iam_role.instance.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "instance" {
  name_prefix = local.name_prefix
  role        = aws_iam_role.instance.name
  tags        = var.tags
}

locals {
  # arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME: the cluster's own ARN gives
  # the partition, region and account without another API call.
  cluster_arn_parts = split(":", aws_ecs_cluster.this.arn)
  policy_partition  = local.cluster_arn_parts[1]
  policy_region     = local.cluster_arn_parts[3]
  policy_account    = local.cluster_arn_parts[4]
  ecs_arn_prefix    = "arn:${local.policy_partition}:ecs:${local.policy_region}:${local.policy_account}"
  # The group's ARN embeds a UUID that changes if the group is re-created; the
  # name is what identifies it.
  asg_arn_pattern = "arn:${local.policy_partition}:autoscaling:${local.policy_region}:${local.policy_account}:autoScalingGroup:*:autoScalingGroupName/${aws_autoscaling_group.this.name}"

  # Every call ecs-rollout makes and nothing else (tests/integration/
  # test_least_privilege.py runs a rollout with exactly this policy, and with
  # each action taken out), scoped to this cluster and group wherever the
  # API supports resource-level permissions. Describe/List calls without
  # resource-level support need "*"; they only read. sts:GetCallerIdentity
  # needs no permission at all. Pre-flight reads the group's instance
  # refreshes (it refuses to fight one), lifecycle hooks (waited for, never
  # completed), scaling policies and scheduled actions (held while it runs,
  # reported at the end) on every group.
  rollout_iam_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid    = "ReadGroupsInstancesTemplates"
        Effect = "Allow"
        Action = [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeInstanceRefreshes",
          "autoscaling:DescribeLifecycleHooks",
          "autoscaling:DescribePolicies",
          "autoscaling:DescribeScheduledActions",
          "autoscaling:DescribeTags",
          "ec2:DescribeInstances",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribeLaunchTemplateVersions",
          "ecs:DescribeCapacityProviders",
        ]
        Resource = "*"
      },
      {
        Sid    = "ResizeAndReplaceInThisGroup"
        Effect = "Allow"
        Action = [
          "autoscaling:SetDesiredCapacity",
          "autoscaling:UpdateAutoScalingGroup",
          "autoscaling:TerminateInstanceInAutoScalingGroup",
          "autoscaling:SuspendProcesses",
          "autoscaling:ResumeProcesses",
        ]
        Resource = local.asg_arn_pattern
      },
      {
        Sid      = "RolloutStateTagsOnThisGroup"
        Effect   = "Allow"
        Action   = ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"]
        Resource = local.asg_arn_pattern
        Condition = {
          "ForAllValues:StringLike" = { "aws:TagKeys" = ["${local.rollout_tag_prefix}*"] }
        }
      },
      {
        Sid      = "ReadThisCluster"
        Effect   = "Allow"
        Action   = ["ecs:DescribeClusters", "ecs:ListContainerInstances"]
        Resource = aws_ecs_cluster.this.arn
      },
      {
        Sid    = "DrainAndInspectThisClustersInstancesTasksServices"
        Effect = "Allow"
        Action = [
          "ecs:DescribeContainerInstances",
          "ecs:UpdateContainerInstancesState",
          "ecs:DescribeTasks",
          "ecs:StopTask",
          "ecs:DescribeServices",
        ]
        Resource = [
          "${local.ecs_arn_prefix}:container-instance/${aws_ecs_cluster.this.name}/*",
          "${local.ecs_arn_prefix}:task/${aws_ecs_cluster.this.name}/*",
          "${local.ecs_arn_prefix}:service/${aws_ecs_cluster.this.name}/*",
        ]
      },
      {
        Sid      = "ListInThisCluster"
        Effect   = "Allow"
        Action   = ["ecs:ListTasks", "ecs:ListServices"]
        Resource = "*"
        Condition = {
          ArnEquals = { "ecs:cluster" = aws_ecs_cluster.this.arn }
        }
      },
    ], local.capacity_provider_statements, local.bulk_scale_in_statements)
  }

  # What the rollout needs for the shapes the capacity provider gives the
  # group (issue 12): with managed scaling, the state of the alarms of the
  # target tracking policy ECS puts on the group (AlarmNotification is resumed
  # only once no scale-in alarm is left in ALARM from the doubled period; a
  # read, and ECS, not this module, names the alarms). Managed draining adds a
  # lifecycle hook, read like any other; managed termination protection needs
  # nothing: the rollout terminates drained instances explicitly, which
  # scale-in protection does not prevent, and changes no instance's
  # protection (its bulk scale-in is not used there, below).
  capacity_provider_statements = local.managed_scaling ? [{
    Sid      = "ReadScalingAlarms"
    Effect   = "Allow"
    Action   = ["cloudwatch:DescribeAlarms"]
    Resource = "*"
  }] : []

  # The bulk scale-in (ecs-rollout --bulk-terminate-from, default 50): a
  # large drained batch leaves by one scale-in, the members that stay
  # protected from it for that moment (SetInstanceProtection) and unprotected
  # after. Only where ECS does not manage the members' protection (managed
  # termination protection off): with it on the helper terminates one by
  # one and never calls SetInstanceProtection.
  bulk_scale_in_statements = local.managed_termination_protection ? [] : [{
    Sid      = "BulkScaleInProtectionInThisGroup"
    Effect   = "Allow"
    Action   = ["autoscaling:SetInstanceProtection"]
    Resource = local.asg_arn_pattern
  }]
}
