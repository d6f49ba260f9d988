/* The plan/status view: what a rollout would do, or how far one has got,
 * from read-only calls only (one observation and the pre-flight checks). */
#include "rollout/inspect.h"

#include <stdlib.h>
#include <string.h>

#include "rollout/observe.h"
#include "rollout/preflight.h"
#include "rollout/target.h"
#include "util/mem.h"

void rollout_plan_free(struct rollout_plan *p)
{
    free(p->asg_name);
    free(p->cluster_name);
    free(p->target);
    for (size_t i = 0; i < p->n_instances; i++) {
        free(p->instances[i].instance_id);
        free(p->instances[i].availability_zone);
        free(p->instances[i].phase);
        free(p->instances[i].why);
    }
    free(p->instances);
    strv_free(&p->processes_to_suspend);
    strv_free(&p->problems);
    strv_free(&p->warnings);
    free(p->lease_owner);
    memset(p, 0, sizeof(*p));
}

int rollout_inspect(const struct svc_ops *ops, const struct rollout_config *cfg,
                    struct rollout_plan *p, struct err *err)
{
    memset(p, 0, sizeof(*p));
    struct observer ob;
    struct rollout_snapshot s;
    struct rollout_assessment a;
    observer_init(&ob, ops, cfg->asg_name, cfg->cluster_name, &cfg->options);
    long long now = (long long)ops->wall_clock(ops->ctx);
    if (observe(&ob, now, &s, err) != 0) {
        observer_free(&ob);
        return -1;
    }
    rollout_assess(&s, &cfg->options, &a);

    p->asg_name = xstrdup(cfg->asg_name);
    p->cluster_name = xstrdup(cfg->cluster_name);
    char t[256];
    rollout_target_describe(&s.target, t, sizeof(t));
    p->target = xstrdup(t);
    p->desired_capacity = s.group.desired_capacity;
    p->min_size = s.group.min_size;
    p->max_size = s.group.max_size;
    p->members = a.members;
    p->outdated = a.outdated;
    p->current = a.current;
    p->draining = a.old_draining + a.new_draining;
    p->tasks_to_move = a.tasks_to_move;
    p->instances = xcalloc(a.n ? a.n : 1, sizeof(*p->instances));
    for (size_t i = 0; i < a.n; i++) {
        struct rollout_plan_instance *pi = &p->instances[p->n_instances++];
        pi->instance_id = xstrdup(a.v[i].asg->instance_id);
        pi->availability_zone = xstrdup(a.v[i].asg->availability_zone);
        pi->phase = xstrdup(instance_phase_name(a.v[i].phase));
        pi->why = xstrdup(a.v[i].why);
        pi->tasks = a.v[i].ci ? a.v[i].ci->running_tasks_count + a.v[i].ci->pending_tasks_count : 0;
    }

    int base = s.state.in_progress ? s.state.desired_capacity : s.group.desired_capacity;
    int max = s.state.in_progress ? s.state.max_size : s.group.max_size;
    p->batch_size = rollout_batch_size(&cfg->options, base, max);
    if (p->batch_size > 0 && a.outdated > 0) {
        int batch = p->batch_size < a.outdated ? p->batch_size : a.outdated;
        p->n_batches = (a.outdated + batch - 1) / batch;
        p->max_size_needed = base + batch > max ? base + batch : max;
        p->raise_max = p->max_size_needed > max;
    } else {
        p->max_size_needed = max;
    }
    for (size_t i = 0; i < rollout_n_processes_to_suspend; i++)
        if (!strv_contains(&s.group.suspended_processes, rollout_processes_to_suspend[i]))
            strv_push(&p->processes_to_suspend, rollout_processes_to_suspend[i]);

    p->in_progress = s.state.in_progress;
    if (s.state.in_progress) {
        p->original_desired = s.state.desired_capacity;
        p->original_max = s.state.max_size;
        p->started = s.state.started;
    }
    if (s.state.has_lease) {
        p->lease_owner = xstrdup(s.state.lease.host);
        /* Judged on AWS's clock, as the rollout judges it (lease.c). */
        double aws_earliest, aws_latest;
        if (!ops->aws_time || ops->aws_time(ops->ctx, &aws_earliest, &aws_latest) != 0)
            aws_earliest = (double)now;
        p->lease_expires = s.state.lease.expires;
        p->lease_live = (double)s.state.lease.expires > aws_earliest;
    }
    int rc = 0;
    if (!s.state.in_progress && a.outdated > 0)
        rc = rollout_preflight(ops, cfg, &s, &a, &p->problems, &p->warnings, err);
    rollout_assessment_free(&a);
    rollout_snapshot_free(&s);
    observer_free(&ob);
    if (rc != 0)
        rollout_plan_free(p);
    return rc;
}
