/* Every write the rollout makes, in one place: the decisions' actions, the
 * state and lease tags, and returning instances to service when a rollout
 * stops. Each write is fenced: the lease is read afresh immediately before
 * it (lease_check), and a run whose lease is no longer its own writes
 * nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/bulk.h"
#include "rollout/engine_impl.h"
#include "util/buf.h"
#include "util/mem.h"

/* The fence before an ordinary write: the lease is still ours. */
#define FENCED(e, err, write) (lease_check((e), LEASE_NEED_OURS, (err)) != 0 ? -1 : (write))

/* A batch of writes issued together (the StopTask calls of one decision,
 * which has no batch form; the parallel TerminateInstanceInAutoScalingGroup
 * calls are one svc call, fenced once by FENCED) is fenced by one check
 * immediately before it, not one per write. As safe as a check per write:
 * no check closes the gap between its read and the write after it (AWS has
 * no conditional write for tags), so what fences is the lease's time.
 * Another run may take the lease only once it ran out by AWS's clock, and
 * the check found it ours with at least ROLLOUT_LEASE_SECONDS -
 * ROLLOUT_LEASE_RENEW_SECONDS (60 s) to run (it renews an older one); the
 * writes that follow it at once land well within that. A batch held up
 * between two writes (a stall, SIGSTOP, slow answers: the monotonic clock
 * counts suspend time) for longer than LEASE_FRESH_S since the check is
 * checked again before its next write, so a run woken mid-batch still
 * learns of a takeover before it writes. *fenced_at < 0: no check yet. */
static int batch_fence(struct engine *e, double *fenced_at, struct err *err)
{
    double now = engine_mono_s(e);
    if (*fenced_at >= 0 && now - *fenced_at <= LEASE_FRESH_S)
        return 0;
    if (lease_check(e, LEASE_NEED_OURS, err) != 0)
        return -1;
    *fenced_at = now; /* from before the read: the conservative end */
    return 0;
}

/* Writes our lease tag, and notes when it was sent: on the monotonic clock
 * the lease lasts ROLLOUT_LEASE_SECONDS from then at least. */
static int put_lease(struct engine *e, struct err *err)
{
    struct rollout_lease l;
    lease_mine(e, &l);
    struct asg_tag tag;
    rollout_lease_tag(&l, &tag);
    double sent = engine_mono_s(e);
    e->lease_written = 1;
    int rc = e->ops->put_tags(e->ops->ctx, e->cfg->asg_name, &tag, 1, err);
    free(tag.key);
    free(tag.value);
    if (rc == 0) {
        e->lease_sent_at = sent;
        e->holds_lease = 1;
    }
    return rc;
}

int act_take_lease(struct engine *e, struct err *err)
{
    if (lease_check(e, LEASE_NEED_TAKE, err) != 0)
        return -1;
    return put_lease(e, err);
}

int act_renew_lease(struct engine *e, struct err *err)
{
    return put_lease(e, err); /* lease_check has just read that it is ours */
}

int act_release_lease(struct engine *e, struct err *err)
{
    int rc = lease_check(e, LEASE_NEED_RELEASE, err);
    if (rc != 0)
        return rc;
    const char *key = ROLLOUT_TAG_LEASE;
    return e->ops->delete_tags(e->ops->ctx, e->cfg->asg_name, &key, 1, err);
}

/* What the rollout records about the group as it begins (marks.h): the
 * newest launch time among its instances, and the drains already under way
 * (someone else's). */
static void begin_marks(const struct rollout_snapshot *s, struct rollout_marks *m)
{
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; s->launch_time && i < s->group.n_instances; i++)
        if (s->launch_time[i] > m->launched_after)
            m->launched_after = s->launch_time[i];
    for (size_t i = 0; i < s->not_ours.n; i++)
        strv_push(&m->foreign, s->not_ours.v[i]);
}

int act_begin(struct engine *e, const struct rollout_snapshot *s, struct err *err)
{
    const struct asg_group *g = &s->group;
    if (lease_check(e, LEASE_NEED_BEGIN, err) != 0)
        return -1;
    struct rollout_state st;
    memset(&st, 0, sizeof(st));
    st.in_progress = 1;
    st.min_size = g->min_size;
    st.max_size = g->max_size;
    st.desired_capacity = g->desired_capacity;
    for (size_t i = 0; i < rollout_n_processes_to_suspend; i++)
        if (!strv_contains(&g->suspended_processes, rollout_processes_to_suspend[i]))
            strv_push(&st.suspended_by_us, rollout_processes_to_suspend[i]);
    /* Sizes read while scaling can still change them are read again once
     * it cannot (ACT_RECORD_SIZES). */
    st.sizes_pending = strv_contains(&st.suspended_by_us, "AlarmNotification") ||
                       strv_contains(&st.suspended_by_us, "ScheduledActions");
    st.started = s->now;
    char target[256];
    if (s->target.launch_configuration)
        snprintf(target, sizeof(target), "lc/%s", s->target.launch_configuration);
    else
        snprintf(target, sizeof(target), "%s/%ld",
                 s->target.launch_template_id ? s->target.launch_template_id
                                              : s->target.launch_template_name,
                 s->target.launch_template_version);
    st.target = target;
    st.has_lease = 1;
    lease_mine(e, &st.lease);
    struct asg_tag *tags, *marks;
    size_t n, n_marks;
    rollout_state_tags(&st, 1, &tags, &n);
    st.target = NULL;
    st.lease.host = st.lease.token = NULL;
    rollout_state_free(&st);
    struct rollout_marks m;
    char why[256];
    begin_marks(s, &m);
    int fits = rollout_marks_tags(&m, &marks, &n_marks, why, sizeof(why)) == 0;
    rollout_marks_free(&m);
    if (!fits) {
        rollout_tags_free(tags, n);
        return err_set(err, ERR_STATE, "%s", why);
    }
    /* One write: the marks exist whenever the state does. */
    tags = xrealloc(tags, (n + n_marks) * sizeof(*tags));
    memcpy(tags + n, marks, n_marks * sizeof(*marks));
    free(marks);
    n += n_marks;
    double sent = engine_mono_s(e);
    e->lease_written = 1;
    int rc = e->ops->put_tags(e->ops->ctx, g->name, tags, n, err);
    rollout_tags_free(tags, n);
    if (rc == 0) {
        e->holds_lease = 1;
        e->lease_sent_at = sent;
    }
    return rc;
}

static int finish(struct engine *e, const struct rollout_snapshot *s, struct err *err)
{
    const struct rollout_state *st = &s->state;
    const struct asg_group *g = &s->group;
    /* Only what differs is written back (a rollout that never raised
     * MaxSize needs no UpdateAutoScalingGroup at all). */
    if (g->min_size != st->min_size || g->max_size != st->max_size ||
        g->desired_capacity != st->desired_capacity) {
        struct asg_size_update u = {st->min_size, st->max_size, st->desired_capacity};
        if (FENCED(e, err, e->ops->update_group_size(e->ops->ctx, g->name, &u, err)) != 0)
            return -1;
    }
    struct strv resume = STRV_INIT;
    for (size_t i = 0; i < st->suspended_by_us.n; i++)
        if (strv_contains(&g->suspended_processes, st->suspended_by_us.v[i]))
            strv_push(&resume, st->suspended_by_us.v[i]);
    int rrc = resume.n
                  ? FENCED(e, err,
                           e->ops->resume_processes(e->ops->ctx, g->name,
                                                    (const char *const *)resume.v, resume.n, err))
                  : 0;
    strv_free(&resume);
    if (rrc != 0)
        return -1;
    struct strv keys = STRV_INIT;
    rollout_state_tag_keys(&s->group, &keys);
    int rc = keys.n ? FENCED(e, err,
                             e->ops->delete_tags(e->ops->ctx, s->group.name,
                                                 (const char *const *)keys.v, keys.n, err))
                    : 0;
    strv_free(&keys);
    if (rc == 0)
        e->holds_lease = e->lease_written = 0;
    return rc;
}

/* Adds process names to the ecs-rollout:suspended tag (processes the end
 * of the rollout resumes). */
static int record_suspended(struct engine *e, const struct rollout_snapshot *s,
                            const struct strv *names, struct err *err)
{
    struct strv all = STRV_INIT;
    for (size_t i = 0; i < s->state.suspended_by_us.n; i++)
        strv_push(&all, s->state.suspended_by_us.v[i]);
    size_t before = all.n;
    for (size_t i = 0; i < names->n; i++)
        if (!strv_contains(&all, names->v[i]))
            strv_push(&all, names->v[i]);
    int rc = 0;
    if (all.n != before) {
        struct asg_tag tag;
        rollout_suspended_tag(&all, &tag);
        rc = FENCED(e, err, e->ops->put_tags(e->ops->ctx, s->group.name, &tag, 1, err));
        free(tag.key);
        free(tag.value);
    }
    strv_free(&all);
    return rc;
}

static int set_state(struct engine *e, const struct rollout_snapshot *s, const struct strv *ids,
                     const char *status, struct err *err)
{
    struct strv arns = STRV_INIT;
    for (size_t i = 0; i < ids->n; i++) {
        const struct ecs_container_instance *ci = snapshot_ci(s, ids->v[i]);
        if (ci && ci->arn)
            strv_push(&arns, ci->arn);
    }
    int rc = arns.n ? FENCED(e, err,
                             e->ops->update_container_instances_state(
                                 e->ops->ctx, e->cfg->cluster_name, (const char *const *)arns.v,
                                 arns.n, status, err))
                    : 0;
    /* Changed, or perhaps changed if it failed part way: look again. */
    observer_instances_changed(&e->ob, ids);
    strv_free(&arns);
    return rc;
}

/* Instances chosen for termination because they were not registered when
 * the snapshot was taken may have registered since, and been given tasks
 * (issue 12, chaos: a rollback terminated a "never ready" instance with two
 * RUNNING tasks, on an answer some seconds old). Looks again just before:
 * 1 when one of them is registered now (nothing is terminated; the next poll
 * decides afresh), 0 when none is, -1 when AWS could not tell. */
static int registered_since(struct engine *e, const struct rollout_snapshot *s,
                            const struct strv *ids, struct err *err)
{
    struct buf filter = BUF_INIT;
    for (size_t i = 0; i < ids->n; i++)
        if (!snapshot_ci(s, ids->v[i]))
            buf_printf(&filter, "%s'%s'", filter.len ? ", " : "ec2InstanceId in [", ids->v[i]);
    if (!filter.len)
        return 0;
    buf_puts(&filter, "]");
    struct strv arns = STRV_INIT;
    int rc = e->ops->list_container_instances(e->ops->ctx, e->cfg->cluster_name, buf_cstr(&filter),
                                              NULL, &arns, err);
    buf_free(&filter);
    struct ecs_container_instance *cis = NULL;
    size_t n = 0;
    if (rc == 0 && arns.n)
        rc = e->ops->describe_container_instances(
            e->ops->ctx, e->cfg->cluster_name, (const char *const *)arns.v, arns.n, &cis, &n, err);
    int found = 0;
    /* The filter may not be applied (moto, LocalStack): match by id. */
    for (size_t k = 0; rc == 0 && k < n; k++)
        found |= cis[k].ec2_instance_id && strv_contains(ids, cis[k].ec2_instance_id) &&
                 !snapshot_ci(s, cis[k].ec2_instance_id);
    ecs_container_instances_free(cis, n);
    strv_free(&arns);
    return rc != 0 ? -1 : found;
}

/* SetInstanceProtection takes 50 instance ids per call (API Reference,
 * SetInstanceProtection). */
#define PROTECT_PER_CALL 50

/* SetInstanceProtection of ids, 50 per call, each call fenced as one of a
 * batch (batch_fence). */
static int set_protection(struct engine *e, const char *group, const struct strv *ids, int on,
                          struct err *err)
{
    double fenced_at = -1.0;
    for (size_t off = 0; off < ids->n; off += PROTECT_PER_CALL) {
        size_t k = ids->n - off < PROTECT_PER_CALL ? ids->n - off : PROTECT_PER_CALL;
        if (batch_fence(e, &fenced_at, err) != 0 ||
            e->ops->set_instance_protection(e->ops->ctx, group, (const char *const *)ids->v + off,
                                            k, on, err) != 0)
            return -1;
    }
    return 0;
}

/* The bulk scale-in (bulk.h): protect the other members that are not yet,
 * then lower the desired capacity by the drained ones; Auto Scaling takes
 * exactly those. A failure of either write (a missing permission, a
 * MinSize raised meanwhile, AWS failing past the client's retries) leaves
 * this run to the per-instance path (e->bulk_off), said as a warning, and
 * nothing else: the next poll takes off what was protected (the restore
 * rule; a desired change that went through after all is waited for) and
 * terminates one by one, which fails as it would have without the bulk
 * path if the cause is there too. A lost lease is a failure. */
static int bulk_scale_in(struct engine *e, const struct rollout_snapshot *s,
                         const struct rollout_decision *d, const struct strv *protect,
                         struct err *err)
{
    const struct asg_group *g = &s->group;
    int desired = g->desired_capacity - (int)d->ids.n;
    e->bulk_tried = 1;
    if (set_protection(e, g->name, protect, 1, err) != 0 ||
        FENCED(e, err, e->ops->set_desired_capacity(e->ops->ctx, g->name, desired, err)) != 0) {
        /* A stop request that cut an answer short: the stop comes first. */
        if (e->lost_lease || e->busy || err->kind == ERR_INTERRUPTED)
            return -1;
        e->bulk_off = 1;
        emit_err(e, EV_WARNING,
                 "the scale-in of the drained instances could not be made; terminating them one "
                 "by one instead",
                 err);
        return ACT_LOOK_AGAIN;
    }
    /* What it must take, and what it must not: checked once it has
     * picked (engine.c, bulk_check_victims). */
    strv_free(&e->bulk_victims);
    strv_free(&e->bulk_kept);
    for (size_t i = 0; i < d->ids.n; i++)
        strv_push(&e->bulk_victims, d->ids.v[i]);
    for (size_t i = 0; i < g->n_instances; i++)
        if (bulk_counted_state(g->instances[i].lifecycle_state) &&
            !strv_contains(&d->ids, g->instances[i].instance_id))
            strv_push(&e->bulk_kept, g->instances[i].instance_id);
    e->sum->bulk_scale_ins++;
    emitf(e, EV_INFO,
          "one scale-in for %zu drained instance(s): %zu other instance(s) protected, desired "
          "capacity %d -> %d",
          d->ids.n, protect->n, g->desired_capacity, desired);
    return 0;
}

int act_perform(struct engine *e, const struct rollout_snapshot *s,
                const struct rollout_decision *d, struct err *err)
{
    const char *group = s->group.name;
    switch (d->action) {
    case ACT_SUSPEND:
        return FENCED(e, err,
                      e->ops->suspend_processes(e->ops->ctx, group, (const char *const *)d->ids.v,
                                                d->ids.n, err));
    case ACT_RAISE_MAX: {
        struct asg_size_update u = {-1, d->number, -1};
        return FENCED(e, err, e->ops->update_group_size(e->ops->ctx, group, &u, err));
    }
    case ACT_SET_DESIRED:
        if (!e->rollback) {
            e->phase = RUN_SCALE_OUT;
            if (e->first_change == 0)
                e->first_change = engine_mono_s(e);
        }
        return FENCED(e, err, e->ops->set_desired_capacity(e->ops->ctx, group, d->number, err));
    case ACT_DRAIN:
        if (!e->rollback)
            e->phase = RUN_DRAIN;
        for (size_t i = 0; i < d->ids.n; i++) {
            const struct ecs_container_instance *ci = snapshot_ci(s, d->ids.v[i]);
            e->sum->tasks_moved += ci ? ci->running_tasks_count + ci->pending_tasks_count : 0;
        }
        /* Noted first: a drain that fails halfway is still the rollout's. */
        observer_note_drains(&e->ob, &d->ids);
        return set_state(e, s, &d->ids, "DRAINING", err);
    case ACT_ACTIVATE:
        return set_state(e, s, &d->ids, "ACTIVE", err);
    case ACT_STOP_TASKS: {
        struct strv stopped = STRV_INIT;
        double fenced_at = -1.0;
        int rc = 0;
        for (size_t i = 0; i < d->ids.n && rc == 0; i++) {
            if (batch_fence(e, &fenced_at, err) != 0) {
                rc = -1;
                break;
            }
            rc = e->ops->stop_task(e->ops->ctx, e->cfg->cluster_name, d->ids.v[i],
                                   "ecs-rollout: instance replaced", err);
            if (rc == 0)
                strv_push(&stopped, d->ids.v[i]);
        }
        /* Stopped once: not asked again while ECS stops them. */
        observer_tasks_stopped(&e->ob, &stopped);
        e->sum->tasks_stopped += (int)stopped.n;
        strv_free(&stopped);
        return rc;
    }
    case ACT_TERMINATE: {
        if (!e->rollback)
            e->phase = RUN_TERMINATE;
        int late = registered_since(e, s, &d->ids, err);
        if (late != 0)
            return late < 0 ? -1 : ACT_LOOK_AGAIN;
        struct strv protect = STRV_INIT;
        char why[256] = "";
        int bulk = !e->bulk_off && rollout_bulk_eligible(s, &e->cfg->options, d, e->rollback,
                                                         &protect, why, sizeof(why));
        int rc = bulk ? bulk_scale_in(e, s, d, &protect, err) : 0;
        strv_free(&protect);
        if (bulk)
            return rc;
        if (e->cfg->options.bulk_terminate_from > 0 &&
            (int)d->ids.n >= e->cfg->options.bulk_terminate_from)
            emitf(e, EV_INFO, "terminating %zu instance(s) one by one, not by one scale-in: %s",
                  d->ids.n, e->bulk_off ? "it failed earlier in this run" : why);
        /* A failure is retried from a fresh look: the instances already
         * terminating are no longer candidates then. */
        return FENCED(e, err,
                      e->ops->terminate_instances(e->ops->ctx, (const char *const *)d->ids.v,
                                                  d->ids.n, !d->keep_desired, NULL, err));
    }
    case ACT_FINISH:
        e->phase = RUN_FINISH;
        return finish(e, s, err);
    case ACT_HOLD_LAUNCHES:
        /* Recorded first: a rollout killed right after the suspension
         * still resumes Launch at its end. */
        if (record_suspended(e, s, &d->ids, err) != 0)
            return -1;
        return FENCED(e, err,
                      e->ops->suspend_processes(e->ops->ctx, group, (const char *const *)d->ids.v,
                                                d->ids.n, err));
    case ACT_RESUME:
        return FENCED(e, err,
                      e->ops->resume_processes(e->ops->ctx, group, (const char *const *)d->ids.v,
                                               d->ids.n, err));
    case ACT_RECORD_SIZES: {
        struct rollout_state st;
        memset(&st, 0, sizeof(st));
        st.min_size = s->group.min_size;
        st.max_size = s->group.max_size;
        st.desired_capacity = s->group.desired_capacity;
        struct asg_tag tag;
        rollout_original_tag(&st, &tag);
        int rc = FENCED(e, err, e->ops->put_tags(e->ops->ctx, group, &tag, 1, err));
        free(tag.key);
        free(tag.value);
        return rc;
    }
    case ACT_UNPROTECT:
        return set_protection(e, group, &d->ids, 0, err);
    case ACT_WAIT:
    case ACT_NOTHING_TO_DO:
    case ACT_BEGIN:
    case ACT_FAIL:
        break;
    }
    return 0;
}

/* Applies the effect of a group-level write to the snapshot, for the writes
 * whose effect is exactly known and changes no instance. */
int act_apply_to_snapshot(struct rollout_snapshot *s, const struct rollout_decision *d)
{
    switch (d->action) {
    case ACT_SUSPEND:
        /* Sizes still to be recorded are read from a look taken after the
         * suspension, not from this one. */
        if (s->state.sizes_pending)
            return 0;
        for (size_t i = 0; i < d->ids.n; i++)
            if (!strv_contains(&s->group.suspended_processes, d->ids.v[i]))
                strv_push(&s->group.suspended_processes, d->ids.v[i]);
        return 1;
    case ACT_RECORD_SIZES:
        s->state.min_size = s->group.min_size;
        s->state.max_size = s->group.max_size;
        s->state.desired_capacity = s->group.desired_capacity;
        s->state.sizes_pending = 0;
        return 1;
    case ACT_RAISE_MAX:
        s->group.max_size = d->number;
        return 1;
    default:
        return 0;
    }
}

/* A rollout that ends without finishing its rollback leaves nothing
 * DRAINING: the group's drained instances go back to serving (best effort;
 * the state stays on the group and the next run picks up from there). */
void act_return_to_service(struct engine *e, const struct rollout_snapshot *given)
{
    struct rollout_snapshot fresh;
    struct err err;
    const struct rollout_snapshot *s = given;
    /* After a failed poll, a fresh look at only what is needed: a missing
     * permission to list tasks must not keep instances DRAINING. */
    if (!s) {
        if (observe_instances(&e->ob, (long long)engine_wall_s(e), &fresh, &err) != 0) {
            emit_err(e, EV_WARNING, "could not check for instances left DRAINING", &err);
            return;
        }
        s = &fresh;
    }
    struct strv ids = STRV_INIT;
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ec2_instance_id && s->cis[i].status &&
            strcmp(s->cis[i].status, "DRAINING") == 0 &&
            !strv_contains(&s->not_ours, s->cis[i].ec2_instance_id))
            strv_push(&ids, s->cis[i].ec2_instance_id);
    if (ids.n) {
        if (set_state(e, s, &ids, "ACTIVE", &err) == 0) {
            emit(e, EV_ACTION, rollout_action_name(ACT_ACTIVATE),
                 "returning the instance(s) left DRAINING to service", &ids, NULL);
        } else {
            char what[128];
            snprintf(what, sizeof(what),
                     "could not return %zu instance(s) left DRAINING to service", ids.n);
            emit_err(e, EV_WARNING, what, &err);
        }
    }
    strv_free(&ids);
    if (!given)
        rollout_snapshot_free(&fresh);
}
