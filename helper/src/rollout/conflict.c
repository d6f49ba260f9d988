/* Classifying AWS answers that call for a fresh look. See conflict.h. */
#include "rollout/conflict.h"

#include <string.h>

static int contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

enum rollout_conflict rollout_conflict_of(const struct err *e)
{
    if (e->kind != ERR_SERVICE)
        return CONFLICT_NONE;
    if (strcmp(e->code, "ScalingActivityInProgress") == 0)
        return CONFLICT_SCALING_ACTIVITY;
    if (strcmp(e->code, "ResourceContention") == 0)
        return CONFLICT_CONTENTION;
    if (strcmp(e->code, "ValidationError") == 0 &&
        (contains(e->message, "No managed instance found for instance ID") ||
         contains(e->message, "Instance Id not found") ||
         (contains(e->message, "is not part of Auto Scaling group") &&
          contains(e->message, "instance"))))
        return CONFLICT_INSTANCE_GONE;
    /* svc/ecs.c turns `failures` entries into ERR_SERVICE without an HTTP
     * status (the call itself succeeded); their message says so. */
    if (e->http_status == 0 && contains(e->message, "ECS reported a failure for"))
        return CONFLICT_ECS_FAILURE;
    return CONFLICT_NONE;
}

const char *rollout_conflict_name(enum rollout_conflict c)
{
    switch (c) {
    case CONFLICT_NONE:
        return "none";
    case CONFLICT_SCALING_ACTIVITY:
        return "a scaling activity of the group is in progress";
    case CONFLICT_CONTENTION:
        return "another update of the group is pending";
    case CONFLICT_INSTANCE_GONE:
        return "an instance left the group";
    case CONFLICT_ECS_FAILURE:
        return "ECS reported a failure for part of a batch";
    }
    return "?";
}
