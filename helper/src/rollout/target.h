/* What "current" means for a group (target.c). */
#ifndef ECSR_ROLLOUT_TARGET_H
#define ECSR_ROLLOUT_TARGET_H

#include "rollout/observe.h"

/* Resolves the group's target into ob->target, from the observer's cache
 * while it holds ($Latest/$Default are asked again every 30s). */
int target_resolve(struct observer *ob, const struct asg_group *g, long long now, struct err *err);
/* "launch template lt-x (name) version 7" or "launch configuration NAME". */
void rollout_target_describe(const struct rollout_target *t, char *buf, size_t cap);
void rollout_target_copy(struct rollout_target *dst, const struct rollout_target *src);

#endif
