/* The read-only view of a group and its rollout, for `plan` and `status`
 * (inspect.c). */
#ifndef ECSR_ROLLOUT_INSPECT_H
#define ECSR_ROLLOUT_INSPECT_H

#include "rollout/engine.h"

struct rollout_plan_instance {
    char *instance_id;
    char *availability_zone;
    char *phase;
    char *why; /* "" when current */
    int tasks;
};

struct rollout_plan {
    char *asg_name;
    char *cluster_name;
    char *target; /* "launch template lt-x version 7" */
    int desired_capacity, min_size, max_size;
    int members, outdated, current;
    int batch_size, n_batches;
    int max_size_needed; /* MaxSize during the rollout */
    int raise_max;       /* MaxSize will be raised */
    struct rollout_plan_instance *instances;
    size_t n_instances;
    struct strv processes_to_suspend;
    struct strv problems; /* why it would refuse; empty when it can proceed */
    struct strv warnings;
    /* A rollout in progress (tags on the group). */
    int in_progress;
    int original_desired, original_max;
    long long started;
    char *lease_owner;
    long long lease_expires;
    int lease_live;
    int draining;
    int tasks_to_move;
};

void rollout_plan_free(struct rollout_plan *p);

/* Everything `plan` and `status` print, from read-only calls only. */
int rollout_inspect(const struct svc_ops *ops, const struct rollout_config *cfg,
                    struct rollout_plan *out, struct err *err);

#endif
