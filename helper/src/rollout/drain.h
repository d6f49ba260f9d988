/* What is left on the draining members (drain.c). */
#ifndef ECSR_ROLLOUT_DRAIN_H
#define ECSR_ROLLOUT_DRAIN_H

#include "rollout/observe.h"

/* Fills s->drains for every DRAINING member of s->cis. The counters say
 * most of it and cost nothing; tasks are listed only where the counters
 * cannot tell. */
int observe_drains(struct observer *ob, struct rollout_snapshot *s, struct err *err);

#endif
