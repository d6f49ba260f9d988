/* What is left on the draining members, for as few task listings as
 * possible: the observer remembers each drain between polls. */
#include "rollout/drain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strindex.h"

/* Task listings per poll for draining instances: enough to follow a large
 * batch within a few polls, few enough to stay far below ECS' rate limits. */
#define TASK_CHECKS_PER_POLL 40
/* An instance whose task counters have not moved for this long (seconds)
 * is listed to learn which kind of tasks hold it (standalone tasks never
 * move), and again at most this often. With --standalone-tasks stop the
 * wait is short: those tasks are to be stopped. */
#define STALL_SECONDS_WAIT 30
#define STALL_SECONDS_STOP 3
#define RECHECK_SECONDS 30
/* DescribeTasks takes 100 tasks per call. */
#define TASKS_PER_PAGE 100

static const char *memo_instance(const void *v, size_t i)
{
    return ((const struct observer *)v)->memo[i].instance_id;
}

static struct drain_memo *memo_for(struct observer *ob, const char *instance_id)
{
    long i = str_index_find(&ob->memo_ix, instance_id, memo_instance, ob);
    if (i >= 0)
        return &ob->memo[i];
    ob->memo = xgrow(ob->memo, &ob->cap_memo, ob->n_memo + 1, sizeof(*ob->memo));
    struct drain_memo *m = &ob->memo[ob->n_memo++];
    memset(m, 0, sizeof(*m));
    m->instance_id = xstrdup(instance_id);
    str_index_add(&ob->memo_ix, ob->n_memo - 1, memo_instance, ob);
    return m;
}

/* What was learnt about an instance's drain holds for that drain only. An
 * instance seen in any other state (returned to ACTIVE by a rollback, or
 * by hand) starts afresh if drained again: its tasks then stop without
 * being counted, and an "empty" remembered from before would let it be
 * terminated with them. */
static void forget_drain(struct observer *ob, const char *instance_id)
{
    long i = str_index_find(&ob->memo_ix, instance_id, memo_instance, ob);
    if (i < 0)
        return;
    struct drain_memo *m = &ob->memo[i];
    char *id = m->instance_id;
    strv_free(&m->standalone);
    strv_free(&m->pending);
    memset(m, 0, sizeof(*m));
    m->instance_id = id;
}

static int service_is_daemon(const struct observer *ob, const char *name)
{
    return strv_contains(&ob->daemon_services, name);
}

/* Counts one described task into the drain record of its instance. A
 * STOPPED task only tells which services were there. */
static void tally_task(struct observer *ob, const struct ecs_task *t, struct drain_tasks *d)
{
    int stopped = t->last_status && strcmp(t->last_status, "STOPPED") == 0;
    int told_to_stop = t->desired_status && strcmp(t->desired_status, "STOPPED") == 0;
    if (t->group && strncmp(t->group, "service:", 8) == 0) {
        const char *svc = t->group + 8;
        if (!strv_contains(&ob->affected_services, svc))
            strv_push(&ob->affected_services, svc);
        if (stopped)
            return;
        if (told_to_stop)
            d->stopping++;
        else if (service_is_daemon(ob, svc))
            d->daemon_tasks++;
        else
            d->service_tasks++;
    } else if (!stopped) {
        if (told_to_stop)
            d->stopping++;
        else if (t->arn)
            strv_push(&d->standalone, t->arn);
    }
}

/* Lists tasks of the cluster with a desired status, appending ARNs. */
static int list_cluster_tasks(struct observer *ob, const char *ci_arn, const char *desired,
                              struct strv *arns, struct err *err)
{
    struct ecs_task_filter f = {0};
    f.container_instance = ci_arn;
    f.desired_status = desired;
    return ob->ops->list_tasks(ob->ops->ctx, ob->cluster_name, &f, arns, err);
}

/* Describes `arns` a page at a time (thousands of tasks at once would all
 * be in memory together) and counts each task into the listed drain of its
 * container instance; tasks not STOPPED go to that drain's pending list.
 * answered[k] tells whether arns[k] was in the answer. With `progress`:
 * [0] tasks counted, [1] of them STOPPED. */
static const char *drain_ci_arn(const void *v, size_t di)
{
    const struct ecs_container_instance *ci = ((const struct ecs_container_instance *const *)v)[di];
    return ci ? ci->arn : NULL;
}

static int describe_and_tally(struct observer *ob, struct rollout_snapshot *s,
                              const struct strv *arns, int *answered, const int *listed,
                              const struct ecs_container_instance **ci_of,
                              const struct str_index *by_ci, struct strv *pending_of,
                              size_t *progress, struct err *err)
{
    for (size_t off = 0; off < arns->n; off += TASKS_PER_PAGE) {
        size_t len = arns->n - off < TASKS_PER_PAGE ? arns->n - off : TASKS_PER_PAGE;
        struct ecs_task *tasks = NULL;
        size_t n = 0;
        if (ob->ops->describe_tasks(ob->ops->ctx, ob->cluster_name,
                                    (const char *const *)arns->v + off, len, &tasks, &n, err) != 0)
            return -1;
        for (size_t k = 0; k < len; k++)
            for (size_t j = 0; j < n && !answered[off + k]; j++)
                answered[off + k] = tasks[j].arn && strcmp(tasks[j].arn, arns->v[off + k]) == 0;
        for (size_t k = 0; k < n; k++) {
            if (!tasks[k].container_instance_arn)
                continue;
            long di = str_index_find(by_ci, tasks[k].container_instance_arn, drain_ci_arn, ci_of);
            if (di < 0 || !listed[di])
                continue;
            tally_task(ob, &tasks[k], &s->drains[di]);
            int stopped = tasks[k].last_status && strcmp(tasks[k].last_status, "STOPPED") == 0;
            if (tasks[k].arn && !stopped)
                strv_push(&pending_of[di], tasks[k].arn);
            if (progress) {
                progress[0]++;
                progress[1] += stopped;
            }
        }
        ecs_tasks_free(tasks, n);
    }
    return 0;
}

/* Drains listed at zero at an earlier poll: only their tasks not STOPPED
 * then can hold them. Those were told to stop about together and stop
 * about together, so one page (100 tasks) is described per poll, starting
 * where the last poll left off, and the next pages too while at least half
 * of a page has stopped: a few calls while they stop, all pages once they
 * have. A drain whose page was not described keeps what was last learnt;
 * one whose task is missing from the answer is unsure, as in
 * observe_drains. */
static int recheck_pending(struct observer *ob, struct rollout_snapshot *s, const size_t *recheck,
                           size_t n_recheck, int *listed, int *unsure,
                           const struct ecs_container_instance **ci_of,
                           const struct str_index *by_ci, struct strv *pending_of, struct err *err)
{
    size_t first = ob->recheck_cursor % n_recheck, done = 0;
    while (done < n_recheck) {
        struct strv page = STRV_INIT;
        size_t page_first = done;
        while (done < n_recheck) {
            size_t di = recheck[(first + done) % n_recheck];
            struct drain_memo *m = memo_for(ob, s->drains[di].instance_id);
            if (page.n && page.n + m->pending.n > TASKS_PER_PAGE)
                break;
            for (size_t k = 0; k < m->pending.n; k++)
                strv_push(&page, m->pending.v[k]);
            listed[di] = 2;
            done++;
        }
        size_t progress[2] = {0, 0};
        int *answered = xcalloc(page.n ? page.n : 1, sizeof(*answered));
        int rc = page.n ? describe_and_tally(ob, s, &page, answered, listed, ci_of, by_ci,
                                             pending_of, progress, err)
                        : 0;
        /* The page holds the drains' pending tasks in order. */
        size_t at = 0;
        for (size_t k = page_first; rc == 0 && k < done; k++) {
            size_t di = recheck[(first + k) % n_recheck];
            const struct drain_memo *m = memo_for(ob, s->drains[di].instance_id);
            for (size_t j = 0; j < m->pending.n; j++, at++)
                if (!answered[at])
                    unsure[di] = 1;
        }
        free(answered);
        strv_free(&page);
        if (rc != 0)
            return -1;
        if (progress[1] * 2 < progress[0])
            break;
    }
    ob->recheck_cursor = first + done;
    for (size_t k = done; k < n_recheck; k++) {
        size_t di = recheck[(first + k) % n_recheck];
        struct drain_tasks *d = &s->drains[di];
        const struct drain_memo *m = memo_for(ob, d->instance_id);
        d->known = 1;
        d->service_tasks = m->service_tasks;
        d->daemon_tasks = m->daemon_tasks;
        d->stopping = m->stopping;
        for (size_t j = 0; j < m->standalone.n; j++)
            strv_push(&d->standalone, m->standalone.v[j]);
    }
    return 0;
}

int drain_cluster_listing_cheaper(size_t n_zero, size_t told, size_t last_listed, size_t registered,
                                  size_t group_cis)
{
    if (told < n_zero)
        told = n_zero; /* at least one task each, for drains first seen at zero */
    size_t estimate = last_listed + told;
    if (!last_listed && group_cis && registered > group_cis)
        estimate = told * registered / group_cis;
    return 2 * ((estimate + TASKS_PER_PAGE - 1) / TASKS_PER_PAGE) < n_zero;
}

/* drain_cluster_listing_cheaper() for this poll's drains at zero; the
 * cluster's size is asked only before its first listing. */
static int cluster_listing_cheaper(struct observer *ob, const struct rollout_snapshot *s,
                                   const int *at_zero, size_t n_zero, int *cheaper, struct err *err)
{
    size_t told = 0, registered = 0;
    for (size_t di = 0; di < s->n_drains; di++)
        if (at_zero[di])
            told += (size_t)memo_for(ob, s->drains[di].instance_id)->peak_counters;
    if (!ob->cluster_stopping_listed) {
        struct ecs_cluster cl;
        memset(&cl, 0, sizeof(cl));
        if (ob->ops->describe_cluster(ob->ops->ctx, ob->cluster_name, &cl, err) != 0)
            return -1;
        if (cl.registered_container_instances > 0)
            registered = (size_t)cl.registered_container_instances;
        ecs_cluster_free(&cl);
    }
    *cheaper = drain_cluster_listing_cheaper(n_zero, told, ob->cluster_stopping_listed, registered,
                                             s->n_cis);
    return 0;
}

/* What is left on each DRAINING member. The counters say most of it and
 * cost nothing; tasks are listed only where the counters cannot tell:
 * at zero, because tasks still DEACTIVATING or STOPPING are not counted
 * (once per instance; when many instances reach zero together, one listing
 * of the cluster's stopping tasks serves them all), and where the counters
 * have stopped moving, to learn whether standalone tasks hold the
 * instance. The tasks found are described together, 100 per call. */
int observe_drains(struct observer *ob, struct rollout_snapshot *s, struct err *err)
{
    const struct rollout_options *o = ob->options;
    long long stall = STALL_SECONDS_WAIT;
    if (o && o->standalone == STANDALONE_STOP)
        stall = STALL_SECONDS_STOP;
    else if (o && o->drain_timeout_s > 0 && o->drain_timeout_s / 2 < stall)
        stall = o->drain_timeout_s / 2; /* so a timeout can say what held the drain */
    struct strv arns = STRV_INIT;
    /* per drain record: 0 not listed, 1 listed for its kinds, 2 listed at zero */
    int *listed = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*listed));
    int *at_zero = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*at_zero));
    int rc = -1, n_zero = 0;
    size_t *recheck = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*recheck)), n_recheck = 0;
    int *answered = NULL;
    struct strv *pending_of = NULL;
    /* Which drain asked for which of arns: [from, to) per drain record, and
     * the cluster-wide listing's range (for every drain at zero). */
    size_t *from = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*from));
    size_t *to = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*to));
    size_t cluster_from = 0, cluster_to = 0;
    int *unsure = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*unsure));
    s->drains = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*s->drains));
    const struct ecs_container_instance **ci_of = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*ci_of));
    struct str_index by_ci = {0}; /* drain record by its container instance's ARN */
    for (size_t i = 0; i < s->n_cis; i++) {
        const struct ecs_container_instance *ci = &s->cis[i];
        if (!ci->status || strcmp(ci->status, "DRAINING") != 0) {
            if (ci->ec2_instance_id)
                forget_drain(ob, ci->ec2_instance_id);
            continue;
        }
        size_t di = s->n_drains++;
        struct drain_tasks *d = &s->drains[di];
        ci_of[di] = ci;
        d->instance_id = xstrdup(ci->ec2_instance_id);
        struct drain_memo *m = memo_for(ob, ci->ec2_instance_id);
        int counters = ci->running_tasks_count + ci->pending_tasks_count;
        if (counters > m->peak_counters)
            m->peak_counters = counters;
        if (counters != m->last_counters || !m->seen) {
            m->seen = 1;
            m->last_counters = counters;
            m->unchanged_since = s->now;
        }
        if (m->confirmed_empty && counters == 0) {
            d->known = 1;
            d->empty = 1;
            continue;
        }
        m->confirmed_empty = 0;
        if (counters > 0) {
            m->zero_listed = 0;
        } else if (m->zero_listed) {
            /* Only the tasks still stopping at the last look can hold it:
             * described below, a page at a time. */
            recheck[n_recheck++] = di;
        } else {
            at_zero[di] = 1;
            n_zero++;
        }
    }

    str_index_build(&by_ci, s->n_drains, drain_ci_arn, ci_of);
    int budget = TASK_CHECKS_PER_POLL;
    int cluster_wide = 0;
    if (n_zero > TASK_CHECKS_PER_POLL &&
        cluster_listing_cheaper(ob, s, at_zero, (size_t)n_zero, &cluster_wide, err) != 0)
        goto out;
    if (cluster_wide) {
        /* Many at once: the cluster's tasks on their way to STOPPED, in
         * pages of 100, instead of one listing per instance. */
        cluster_from = arns.n;
        if (list_cluster_tasks(ob, NULL, "STOPPED", &arns, err) != 0)
            goto out;
        cluster_to = arns.n;
        ob->cluster_stopping_listed = cluster_to - cluster_from;
        for (size_t di = 0; di < s->n_drains; di++)
            if (at_zero[di])
                listed[di] = 2;
        budget = 0;
    }
    for (size_t di = 0; di < s->n_drains && budget > 0; di++) {
        struct drain_tasks *d = &s->drains[di];
        if (d->known)
            continue;
        struct drain_memo *m = memo_for(ob, d->instance_id);
        const char *desired = NULL;
        if (at_zero[di])
            desired = "STOPPED";
        else if (s->now - m->unchanged_since >= stall &&
                 (!m->checked || s->now - m->last_checked >= RECHECK_SECONDS))
            desired = "RUNNING";
        if (!desired)
            continue;
        budget--;
        m->checked = 1;
        m->last_checked = s->now;
        from[di] = arns.n;
        if (list_cluster_tasks(ob, ci_of[di]->arn, desired, &arns, err) != 0)
            goto out;
        to[di] = arns.n;
        listed[di] = at_zero[di] ? 2 : 1;
    }
    for (size_t di = 0; di < s->n_drains; di++) {
        struct drain_tasks *d = &s->drains[di];
        struct drain_memo *m = memo_for(ob, d->instance_id);
        if (listed[di] || d->known || !m->checked || m->listed_counters != m->last_counters ||
            m->last_counters == 0)
            continue;
        /* Nothing moved since the last listing: what it found still holds. */
        d->known = 1;
        d->service_tasks = m->service_tasks;
        d->daemon_tasks = m->daemon_tasks;
        d->stopping = m->stopping;
        for (size_t k = 0; k < m->standalone.n; k++)
            strv_push(&d->standalone, m->standalone.v[k]);
    }
    pending_of = xcalloc(s->n_drains ? s->n_drains : 1, sizeof(*pending_of));
    answered = xcalloc(arns.n ? arns.n : 1, sizeof(*answered));
    if (arns.n && describe_and_tally(ob, s, &arns, answered, listed, ci_of, &by_ci, pending_of,
                                     NULL, err) != 0)
        goto out;
    /* A task listed but missing from the answer (a `failures` entry,
     * eventual consistency) may be the one still running: the drains that
     * asked for it are not known this poll, and list again. */
    for (size_t k = 0; k < arns.n; k++) {
        if (answered[k])
            continue;
        for (size_t di = 0; di < s->n_drains; di++)
            if ((k >= from[di] && k < to[di]) ||
                (k >= cluster_from && k < cluster_to && at_zero[di]))
                unsure[di] = 1;
    }
    if (n_recheck && recheck_pending(ob, s, recheck, n_recheck, listed, unsure, ci_of, &by_ci,
                                     pending_of, err) != 0)
        goto out;
    for (size_t di = 0; di < s->n_drains; di++) {
        if (!listed[di])
            continue;
        struct drain_tasks *d = &s->drains[di];
        if (unsure[di]) {
            struct drain_memo *m = memo_for(ob, d->instance_id);
            d->known = 0;
            d->service_tasks = d->daemon_tasks = d->stopping = 0;
            strv_free(&d->standalone);
            m->zero_listed = 0;
            m->confirmed_empty = 0;
            m->checked = 0;
            continue;
        }
        d->known = 1;
        d->empty = listed[di] == 2 && d->service_tasks == 0 && d->daemon_tasks == 0 &&
                   d->stopping == 0 && d->standalone.n == 0;
        struct drain_memo *m = memo_for(ob, d->instance_id);
        m->confirmed_empty = d->empty;
        if (listed[di] == 2) {
            m->zero_listed = 1;
            strv_free(&m->pending);
            m->pending = pending_of[di];
            memset(&pending_of[di], 0, sizeof(pending_of[di]));
        }
        m->listed_counters = m->last_counters;
        m->service_tasks = d->service_tasks;
        m->daemon_tasks = d->daemon_tasks;
        m->stopping = d->stopping;
        strv_free(&m->standalone);
        for (size_t k = 0; k < d->standalone.n; k++)
            strv_push(&m->standalone, d->standalone.v[k]);
    }
    rc = 0;
out:
    for (size_t di = 0; pending_of && di < s->n_drains; di++)
        strv_free(&pending_of[di]);
    free(pending_of);
    free(from);
    free(to);
    free(unsure);
    free(recheck);
    free(answered);
    str_index_free(&by_ci);
    free(ci_of);
    free(at_zero);
    free(listed);
    strv_free(&arns);
    return rc;
}

void observer_tasks_stopped(struct observer *ob, const struct strv *arns)
{
    for (size_t i = 0; i < ob->n_memo; i++) {
        struct drain_memo *m = &ob->memo[i];
        struct strv left = STRV_INIT;
        for (size_t k = 0; k < m->standalone.n; k++) {
            if (strv_contains(arns, m->standalone.v[k]))
                m->stopping++;
            else
                strv_push(&left, m->standalone.v[k]);
        }
        strv_free(&m->standalone);
        m->standalone = left;
    }
}
