/* rollout/conflict.c: which AWS answers mean "look again", never "give up". */
#include <string.h>

#include "rollout/conflict.h"
#include "test.h"

static struct err service(long status, const char *code, const char *message)
{
    struct err e;
    err_clear(&e);
    err_service(&e, status, code, message, NULL);
    return e;
}

TEST(auto_scaling_busy_and_instances_gone)
{
    struct err e = service(400, "ScalingActivityInProgress",
                           "Scaling activities are in progress for the AutoScalingGroup");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_SCALING_ACTIVITY);
    e = service(500, "ResourceContention",
                "You already have a pending update to an Auto Scaling resource");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_CONTENTION);
    e = service(400, "ValidationError",
                "Instance Id not found - No managed instance found for instance ID: i-0abc");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_INSTANCE_GONE);
    e = service(400, "ValidationError",
                "The instance i-0abc is not part of Auto Scaling group web.");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_INSTANCE_GONE);
    CHECK_STR(rollout_conflict_name(CONFLICT_INSTANCE_GONE), "an instance left the group");
}

TEST(ecs_failures_entries)
{
    struct err e = service(0, "MISSING",
                           "UpdateContainerInstancesState: ECS reported a failure for "
                           "arn:aws:ecs:us-east-1:1:container-instance/c/1");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_ECS_FAILURE);
}

TEST(other_errors_are_not_conflicts)
{
    struct err e = service(400, "ValidationError",
                           "New SetDesiredCapacity value 13 is above max value 12 for the "
                           "AutoScalingGroup.");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_NONE);
    e = service(400, "AccessDenied", "not authorized to perform autoscaling:SetDesiredCapacity");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_NONE);
    e = service(400, "ClientException", "ECS reported a failure for nothing");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_NONE); /* an HTTP error, not a failures entry */
    err_clear(&e);
    err_set(&e, ERR_NETWORK, "connection refused");
    CHECK_INT(rollout_conflict_of(&e), CONFLICT_NONE);
}
