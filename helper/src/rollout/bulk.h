/* The bulk scale-in: removing a large batch of drained instances with one
 * scale-in rather than one TerminateInstanceInAutoScalingGroup each
 * (issue 16: 1,000 calls against Auto Scaling's bucket take >= 47.5 s).
 *
 * Auto Scaling's own way to remove chosen instances in one request:
 * protect every member that must stay (SetInstanceProtection, 50 ids per
 * call), then lower the desired capacity by the number of drained ones
 * (SetDesiredCapacity, HonorCooldown false). A scale-in takes only
 * instances not protected from scale-in, and runs the group's termination
 * lifecycle hooks like any termination (EC2 Auto Scaling User Guide, "Use
 * instance scale-in protection",
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html;
 * "Control which Auto Scaling instances terminate during scale in",
 * .../as-instance-termination.html). Protection "starts when the instance
 * state is InService": a Pending member cannot be kept, so the bulk path
 * is taken only when every other member is InService.
 *
 * Afterwards the protection the rollout added is taken off again, by a
 * rule over the snapshot (no memory): the group's default is unprotected,
 * ECS does not manage protection, a member launched during the rollout is
 * protected, and no bulk scale-in is in flight -> unprotect it.
 *
 * Pure functions over a snapshot; act.c makes the writes. */
#ifndef ECSR_ROLLOUT_BULK_H
#define ECSR_ROLLOUT_BULK_H

#include <stddef.h>

#include "rollout/model.h"

/* The default of --bulk-terminate-from: Auto Scaling's (assumed) bucket of
 * 50 tokens; fewer per-instance calls than that do not throttle. */
#define ROLLOUT_BULK_FROM_DEFAULT 50

/* Whether Auto Scaling counts an instance in this lifecycle state towards
 * the desired capacity (Pending*, InService). */
int bulk_counted_state(const char *lifecycle_state);
/* How many members of g are counted against its desired capacity
 * (bulk_counted_state). */
int bulk_counted_members(const struct asg_group *g);

/* Whether the termination `d` (an ACT_TERMINATE) may be carried out as one
 * bulk scale-in. 1: yes, with the other members to protect first in
 * *protect (may be none); 0: no, the per-instance path, and why. */
int rollout_bulk_eligible(const struct rollout_snapshot *s, const struct rollout_options *o,
                          const struct rollout_decision *d, int rollback, struct strv *protect,
                          char *why, size_t cap);

/* A bulk scale-in is in flight: the group has more counted members than
 * its desired capacity, Terminate runs, and the only members a scale-in
 * may take are enough unprotected drained (DRAINING in ECS) instances.
 * While it is, nothing that would touch those instances or the protection
 * may happen: the next step is to wait for the scale-in. */
int rollout_bulk_in_flight(const struct rollout_snapshot *s);

/* The restore rule: members launched during the rollout that are protected
 * from scale-in, in a group whose default is unprotected and whose
 * protection ECS does not manage, while Auto Scaling owes no scale-in
 * (counted members <= desired capacity, or Terminate suspended): their
 * protection is the rollout's and comes off (ids into d->ids). Never
 * while one is owed, whoever lowered the desired capacity: the scale-in
 * could then take an instance with tasks.
 * Returns how many. */
int rollout_protection_to_restore(const struct rollout_snapshot *s, struct rollout_decision *d);

#endif
