/* What "current" means for a group (target.c). */
#ifndef ECSR_ROLLOUT_TARGET_H
#define ECSR_ROLLOUT_TARGET_H

#include "rollout/observe.h"

/* Resolves the launch specification of the snapshot's group (every mixed
 * instances override's template too) into s->spec, and the group's own
 * template into ob->target, from the observer's cache while it holds
 * ($Latest/$Default are asked again every 30s). ERR_STATE, saying why,
 * when it cannot be resolved unambiguously. */
int target_resolve(struct observer *ob, struct rollout_snapshot *s, long long now, struct err *err);
void launch_spec_copy(struct launch_spec *dst, const struct launch_spec *src);
/* "launch template lt-x (name) version 7" or "launch configuration NAME". */
void rollout_target_describe(const struct rollout_target *t, char *buf, size_t cap);
void rollout_target_copy(struct rollout_target *dst, const struct rollout_target *src);

#endif
