/* AWS answers that mean the world moved under a write: Auto Scaling is busy
 * with a scaling activity or another update of the group, an instance left
 * the group between the look and the write, ECS reported `failures` for
 * some items of a batch it otherwise applied. None is a reason to give up:
 * the rollout looks again and decides afresh (a write that still makes
 * sense is made again). Pure. */
#ifndef ECSR_ROLLOUT_CONFLICT_H
#define ECSR_ROLLOUT_CONFLICT_H

#include "util/err.h"

enum rollout_conflict {
    CONFLICT_NONE = 0,
    /* ScalingActivityInProgress: "The operation can't be performed because
     * there are scaling activities in progress" (Auto Scaling API
     * reference: SetDesiredCapacity, UpdateAutoScalingGroup,
     * TerminateInstanceInAutoScalingGroup, Errors). */
    CONFLICT_SCALING_ACTIVITY,
    /* ResourceContention: "You already have a pending update to an Amazon
     * EC2 Auto Scaling resource" (same pages; HTTP 500). */
    CONFLICT_CONTENTION,
    /* ValidationError naming an instance that is no longer the group's
     * ("Instance Id not found - No managed instance found for instance ID
     * i-...", "The instance i-... is not part of Auto Scaling group ..."). */
    CONFLICT_INSTANCE_GONE,
    /* An ECS `failures` entry (ECS API reference, Failure: MISSING and the
     * other reasons) for a call ECS answered. */
    CONFLICT_ECS_FAILURE,
};

enum rollout_conflict rollout_conflict_of(const struct err *e);
/* "a scaling activity is in progress", ... */
const char *rollout_conflict_name(enum rollout_conflict c);

/* How long the same kind of conflict may go on before the rollout stops
 * (leaving the cluster serving and its state on the group, to be resumed):
 * a scaling activity can take as long as launching an instance. */
#define ROLLOUT_CONFLICT_GRACE_S 900

#endif
