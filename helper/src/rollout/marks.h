/* What a rollout records when it begins, besides its state (state.h), so
 * that it never mistakes whose an instance is, even resumed from another
 * machine:
 *
 *   ecs-rollout:launched-after  "UNIX"      the newest launch time (EC2 launchTime,
 *                                           AWS's clock) among the group's instances
 *                                           when the rollout began: an instance
 *                                           launched later arrived during the rollout
 *                                           (the rollout's own, or a replacement Auto
 *                                           Scaling made) and is never replaced
 *   ecs-rollout:foreign[.2,.3]  "i-a,i-b"   instances already DRAINING when the rollout
 *                                           began (a Spot interruption, an operator):
 *                                           not the rollout's to drain, count or
 *                                           return to service
 *
 * Like the state tags they are removed when the rollout finishes. Pure. */
#ifndef ECSR_ROLLOUT_MARKS_H
#define ECSR_ROLLOUT_MARKS_H

#include <stddef.h>

#include "svc/autoscaling.h"
#include "util/strv.h"

#define ROLLOUT_TAG_LAUNCHED_AFTER "ecs-rollout:launched-after"
#define ROLLOUT_TAG_FOREIGN "ecs-rollout:foreign"
/* Tags the foreign list may take (a tag value holds 256 characters; a
 * group at most 50 tags), so at most about 12 ids each. */
#define ROLLOUT_FOREIGN_TAGS_MAX 3
#define ROLLOUT_TAG_VALUE_MAX 256

struct rollout_marks {
    long long launched_after; /* 0: not recorded (a rollout begun by an older helper) */
    struct strv foreign;      /* instance ids DRAINING when the rollout began */
};

void rollout_marks_free(struct rollout_marks *m);

/* Reads the marks of a group. -1 and why when one is malformed. */
int rollout_marks_parse(const struct asg_group *g, struct rollout_marks *m, char *why, size_t cap);

/* The tags that record m (*tags owned by the caller: rollout_tags_free).
 * -1 and why when the foreign list does not fit in ROLLOUT_FOREIGN_TAGS_MAX
 * tags. */
int rollout_marks_tags(const struct rollout_marks *m, struct asg_tag **tags, size_t *n, char *why,
                       size_t cap);

/* An instance launched after the rollout began (launch_time: EC2
 * launchTime, 0 when unknown). */
int rollout_launched_during(const struct rollout_marks *m, long long launch_time);

#endif
