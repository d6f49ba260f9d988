/* What is left on the draining members (drain.c). */
#ifndef ECSR_ROLLOUT_DRAIN_H
#define ECSR_ROLLOUT_DRAIN_H

#include "rollout/observe.h"

/* Fills s->drains for every DRAINING member of s->cis. The counters say
 * most of it and cost nothing; tasks are listed only where the counters
 * cannot tell. */
int observe_drains(struct observer *ob, struct rollout_snapshot *s, struct err *err);

/* Whether one listing of the cluster's tasks on their way to STOPPED
 * (ListTasks desiredStatus STOPPED in pages of 100, then as many
 * DescribeTasks) costs fewer calls than one ListTasks per instance for
 * `n_zero` drains at zero. That listing holds every group's stopping tasks
 * and those stopped within the last hour: estimated from the last one
 * (`last_listed` tasks; 0: none yet) plus the `told` tasks told to stop on
 * these drains, or before any, from `told` times the cluster's
 * `registered` container instances over the group's `group_cis`. In a
 * cluster of several groups, listing per instance soon wins: it reads the
 * group's tasks only. */
int drain_cluster_listing_cheaper(size_t n_zero, size_t told, size_t last_listed, size_t registered,
                                  size_t group_cis);

#endif
