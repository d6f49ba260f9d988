#include "rollout/observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/drain.h"
#include "rollout/target.h"
#include "svc/ec2.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strindex.h"

/* DescribeTasks takes up to 100 tasks per call. */
#define GROUP_TASKS_PER_PAGE 100
/* ListContainerInstances filter: ids per `ec2InstanceId in [...]`. */
#define IDS_PER_FILTER 20

void rollout_snapshot_free(struct rollout_snapshot *s)
{
    if (s->instance_ami) {
        for (size_t i = 0; i < s->group.n_instances; i++)
            free(s->instance_ami[i]);
        free(s->instance_ami);
    }
    snapshot_shapes_free(s);
    asg_group_free(&s->group);
    rollout_target_free(&s->target);
    ecs_container_instances_free(s->cis, s->n_cis);
    for (size_t i = 0; i < s->n_drains; i++) {
        free(s->drains[i].instance_id);
        strv_free(&s->drains[i].standalone);
    }
    free(s->drains);
    ecs_services_free(s->services, s->n_services);
    free(s->service_on_group);
    for (size_t i = 0; s->service_failed_on && i < s->n_services; i++)
        strv_free(&s->service_failed_on[i]);
    free(s->service_failed_on);
    rollout_state_free(&s->state);
    memset(s, 0, sizeof(*s));
}

void observer_init(struct observer *ob, const struct svc_ops *ops, const char *asg_name,
                   const char *cluster_name, const struct rollout_options *o)
{
    memset(ob, 0, sizeof(*ob));
    ob->ops = ops;
    ob->asg_name = asg_name;
    ob->cluster_name = cluster_name;
    ob->options = o;
}

void observer_free(struct observer *ob)
{
    for (size_t i = 0; i < ob->n_records; i++)
        ecs_container_instance_clear(&ob->records[i].ci);
    free(ob->records);
    strv_free(&ob->ci_ids);
    strv_free(&ob->ci_arns);
    str_index_free(&ob->ci_ids_ix);
    str_index_free(&ob->ci_arns_ix);
    strv_free(&ob->ami_ids);
    strv_free(&ob->ami_values);
    strv_free(&ob->affected_services);
    strv_free(&ob->group_services);
    strv_free(&ob->daemon_services);
    strv_free(&ob->short_services);
    free(ob->short_running);
    for (size_t i = 0; i < ob->n_memo; i++) {
        free(ob->memo[i].instance_id);
        strv_free(&ob->memo[i].standalone);
        strv_free(&ob->memo[i].pending);
    }
    free(ob->memo);
    str_index_free(&ob->memo_ix);
    rollout_target_free(&ob->target);
    observer_shapes_free(&ob->sh);
    memset(ob, 0, sizeof(*ob));
}

void observer_note_short_services(struct observer *ob, const struct strv *names, const int *running)
{
    strv_free(&ob->short_services);
    free(ob->short_running);
    ob->short_running = NULL;
    if (!names->n)
        return;
    ob->short_running = xcalloc(names->n, sizeof(*ob->short_running));
    for (size_t i = 0; i < names->n; i++) {
        strv_push(&ob->short_services, names->v[i]);
        ob->short_running[i] = running[i];
    }
}

static long lookup(const struct strv *keys, const char *key)
{
    for (size_t i = 0; i < keys->n; i++)
        if (strcmp(keys->v[i], key) == 0)
            return (long)i;
    return -1;
}

static int in_service(const struct asg_instance *in)
{
    return in->lifecycle_state && strcmp(in->lifecycle_state, "InService") == 0;
}

/* A member on its way out of the group (Terminating*, Detaching): its
 * container instance no longer counts for anything (assess.c takes it as
 * LEAVING from its lifecycle state alone), so it is not described again -
 * a whole batch being terminated cost ten calls a poll at 1,000 instances
 * (issue 16). Its last record is kept. */
static int leaving(const struct asg_instance *in)
{
    const char *ls = in->lifecycle_state ? in->lifecycle_state : "";
    return strncmp(ls, "Terminat", 8) == 0 || strncmp(ls, "Detach", 6) == 0;
}

/* A settled container instance (ACTIVE, its agent connected, its instance
 * InService) changes only by another hand than the rollout's, or when its
 * agent disconnects: it is described again after CI_REFRESH_S seconds, at
 * most CI_REFRESH_PER_POLL of them per poll (one call). The others - not
 * yet registered, DRAINING, disconnected, leaving - are described every
 * poll, and so is any the rollout itself changed. */
#define CI_REFRESH_S 20
#define CI_REFRESH_PER_POLL 100
/* While members are InService but unregistered, the cluster's registered
 * count (one DescribeClusters) tells whether listing the cluster can find
 * anything new; it is listed anyway at least this often (a registration and
 * a deregistration between two polls leave the count as it was). */
#define LIST_EVERY_S 10

static const char *record_arn(const void *v, size_t i)
{
    return ((const struct ci_record *)v)[i].ci.arn;
}

static const char *record_instance(const void *v, size_t i)
{
    return ((const struct ci_record *)v)[i].ci.ec2_instance_id;
}

static const char *member_id(const void *v, size_t i)
{
    return ((const struct asg_group *)v)->instances[i].instance_id;
}

static void ci_copy(struct ecs_container_instance *dst, const struct ecs_container_instance *src)
{
    *dst = *src;
    dst->arn = xstrdup(src->arn);
    dst->ec2_instance_id = xstrdup(src->ec2_instance_id);
    dst->status = xstrdup(src->status);
    dst->status_reason = xstrdup(src->status_reason);
    dst->capacity_provider_name = xstrdup(src->capacity_provider_name);
    dst->ami_id = xstrdup(src->ami_id);
    dst->availability_zone = xstrdup(src->availability_zone);
    dst->instance_type = xstrdup(src->instance_type);
}

static int settled(const struct ci_record *r, const struct asg_instance *in)
{
    return !r->stale && r->ci.status && strcmp(r->ci.status, "ACTIVE") == 0 &&
           r->ci.agent_connected && in_service(in);
}

void observer_instances_changed(struct observer *ob, const struct strv *instance_ids)
{
    for (size_t i = 0; i < ob->n_records; i++)
        if (ob->records[i].ci.ec2_instance_id &&
            strv_contains(instance_ids, ob->records[i].ci.ec2_instance_id))
            ob->records[i].stale = 1;
}

/* Lists the container instances of `ids` by `ec2InstanceId in [...]`
 * filters, IDS_PER_FILTER at a time. An endpoint that ignores the filter
 * answers with the whole cluster: noted (the observer lists the cluster
 * from then on), and that one answer is all there is to find. */
static int list_by_instance_ids(struct observer *ob, const struct strv *ids, struct strv *found,
                                struct err *err)
{
    for (size_t i = 0; i < ids->n; i += IDS_PER_FILTER) {
        char filter[1024];
        size_t asked = 0, before = found->n;
        size_t used = (size_t)snprintf(filter, sizeof(filter), "ec2InstanceId in [");
        for (size_t k = i; k < ids->n && k < i + IDS_PER_FILTER; k++, asked++)
            used += (size_t)snprintf(filter + used, sizeof(filter) - used, "%s%s", k > i ? "," : "",
                                     ids->v[k]);
        snprintf(filter + used, sizeof(filter) - used, "]");
        if (ob->ops->list_container_instances(ob->ops->ctx, ob->cluster_name, filter, NULL, found,
                                              err) != 0)
            return -1;
        if (found->n - before > asked) {
            ob->filters_ignored = 1;
            break;
        }
    }
    return 0;
}

/* Finds the container instances of unmapped InService members: a few by
 * `ec2InstanceId in [...]` filters; many (a whole batch registering) only
 * when the cluster's registered count moved since the last look (or
 * LIST_EVERY_S passed), then by whichever costs fewer calls: the filters
 * (unmapped/20) or listing the cluster in pages of 100 (registered/100;
 * other groups' instances too, so in a cluster of several groups the
 * filters win). ARNs already known (of any instance) are skipped. */
static int find_new_container_instances(struct observer *ob, long long now,
                                        const struct strv *unmapped, struct strv *arns,
                                        struct err *err)
{
    struct strv found = STRV_INIT;
    int rc = 0;
    if (unmapped->n > 2 * IDS_PER_FILTER) {
        struct ecs_cluster cl;
        memset(&cl, 0, sizeof(cl));
        if (ob->ops->describe_cluster(ob->ops->ctx, ob->cluster_name, &cl, err) != 0)
            return -1;
        int registered = cl.registered_container_instances;
        ecs_cluster_free(&cl);
        if (ob->listed && registered == ob->listed_registered && now - ob->listed_at < LIST_EVERY_S)
            return 0;
        size_t by_filter = (unmapped->n + IDS_PER_FILTER - 1) / IDS_PER_FILTER;
        size_t by_listing = ((size_t)(registered > 0 ? registered : 0) + 99) / 100;
        if (!ob->filters_ignored && by_filter < by_listing)
            rc = list_by_instance_ids(ob, unmapped, &found, err);
        else
            rc = ob->ops->list_container_instances(ob->ops->ctx, ob->cluster_name, NULL, NULL,
                                                   &found, err);
        if (rc == 0) {
            ob->listed = 1;
            ob->listed_registered = registered;
            ob->listed_at = now;
        }
    } else {
        rc = list_by_instance_ids(ob, unmapped, &found, err);
    }
    struct str_index asked;
    str_index_build(&asked, arns->n, str_index_strv_key, arns);
    for (size_t k = 0; rc == 0 && k < found.n; k++)
        if (str_index_find(&ob->ci_arns_ix, found.v[k], str_index_strv_key, &ob->ci_arns) < 0 &&
            str_index_find(&asked, found.v[k], str_index_strv_key, arns) < 0) {
            strv_push(arns, found.v[k]);
            str_index_add(&asked, arns->n - 1, str_index_strv_key, arns);
        }
    str_index_free(&asked);
    strv_free(&found);
    return rc;
}

/* Puts a described container instance into the records (replacing the
 * last answer about it) and remembers its instance's ARN. */
static void record_answer(struct observer *ob, struct str_index *by_arn,
                          struct ecs_container_instance *ci, long long now)
{
    long r = str_index_find(by_arn, ci->arn, record_arn, ob->records);
    int added = r < 0;
    if (added) {
        ob->records = xgrow(ob->records, &ob->cap_records, ob->n_records + 1, sizeof(*ob->records));
        r = (long)ob->n_records++;
        memset(&ob->records[r], 0, sizeof(ob->records[r]));
        if (str_index_find(&ob->ci_arns_ix, ci->arn, str_index_strv_key, &ob->ci_arns) < 0) {
            strv_push(&ob->ci_ids, ci->ec2_instance_id);
            strv_push(&ob->ci_arns, ci->arn);
            str_index_add(&ob->ci_ids_ix, ob->ci_ids.n - 1, str_index_strv_key, &ob->ci_ids);
            str_index_add(&ob->ci_arns_ix, ob->ci_arns.n - 1, str_index_strv_key, &ob->ci_arns);
        }
    } else {
        ecs_container_instance_clear(&ob->records[r].ci);
    }
    ob->records[r].ci = *ci;
    memset(ci, 0, sizeof(*ci));
    if (added)
        str_index_add(by_arn, (size_t)r, record_arn, ob->records);
    ob->records[r].fetched_at = now;
    ob->records[r].stale = 0;
}

/* Container instances of the group's members, from the records; described
 * again: those not settled, up to CI_REFRESH_PER_POLL settled ones older
 * than CI_REFRESH_S (all of them with `fresh`), and new ones, looked up
 * first for unknown InService members. */
static int observe_container_instances(struct observer *ob, struct rollout_snapshot *s, int fresh,
                                       struct err *err)
{
    const struct asg_group *g = &s->group;
    struct strv unmapped = STRV_INIT, arns = STRV_INIT;
    struct str_index by_arn = {0}, by_id = {0}, members = {0};
    int rc = -1, refresh = CI_REFRESH_PER_POLL;

    str_index_build(&by_id, ob->n_records, record_instance, ob->records);
    for (size_t i = 0; i < g->n_instances; i++) {
        const struct asg_instance *in = &g->instances[i];
        long r = str_index_find(&by_id, in->instance_id, record_instance, ob->records);
        if (r >= 0) {
            struct ci_record *rec = &ob->records[r];
            if (!fresh && leaving(in))
                continue;
            if (!fresh && settled(rec, in) &&
                (s->now - rec->fetched_at < CI_REFRESH_S || refresh <= 0))
                continue;
            if (!fresh && settled(rec, in))
                refresh--;
            rec->stale = 2; /* asked: an answer clears it */
            strv_push(&arns, rec->ci.arn);
            continue;
        }
        long k = str_index_find(&ob->ci_ids_ix, in->instance_id, str_index_strv_key, &ob->ci_ids);
        if (k >= 0)
            strv_push(&arns, ob->ci_arns.v[k]);
        else if (in_service(in))
            strv_push(&unmapped, in->instance_id);
    }
    if (unmapped.n && find_new_container_instances(ob, s->now, &unmapped, &arns, err) != 0)
        goto out;

    struct ecs_container_instance *cis = NULL;
    size_t n = 0;
    if (arns.n && ob->ops->describe_container_instances(ob->ops->ctx, ob->cluster_name,
                                                        (const char *const *)arns.v, arns.n, &cis,
                                                        &n, err) != 0)
        goto out;
    /* Every answer replaces the record of its ARN (a container instance
     * never moves to another instance); an ARN asked about and not in the
     * answer is gone (ECS reports it MISSING): its record goes too. */
    str_index_build(&by_arn, ob->n_records, record_arn, ob->records);
    for (size_t i = 0; i < n; i++) {
        if (!cis[i].arn || !cis[i].ec2_instance_id)
            continue;
        record_answer(ob, &by_arn, &cis[i], s->now);
    }
    ecs_container_instances_free(cis, n);
    size_t kept = 0;
    str_index_build(&members, g->n_instances, member_id, g);
    for (size_t i = 0; i < ob->n_records; i++) {
        struct ci_record *rec = &ob->records[i];
        int member = str_index_find(&members, rec->ci.ec2_instance_id, member_id, g) >= 0;
        if (rec->stale == 2 || !member) {
            ecs_container_instance_clear(&rec->ci);
            continue;
        }
        if (kept != i)
            ob->records[kept] = *rec;
        kept++;
    }
    ob->n_records = kept;
    /* The snapshot: a copy of each member's record, one per ARN. */
    s->cis = xcalloc(ob->n_records ? ob->n_records : 1, sizeof(*s->cis));
    for (size_t i = 0; i < ob->n_records; i++)
        ci_copy(&s->cis[s->n_cis++], &ob->records[i].ci);
    /* Members whose container instance was known but is missing from the
     * answer (no record left): never taken for instances that run no task. */
    str_index_free(&by_id);
    str_index_build(&by_id, ob->n_records, record_instance, ob->records);
    for (size_t i = 0; i < g->n_instances; i++) {
        const char *id = g->instances[i].instance_id;
        if (str_index_find(&by_id, id, record_instance, ob->records) >= 0 ||
            str_index_find(&ob->ci_ids_ix, id, str_index_strv_key, &ob->ci_ids) < 0)
            continue;
        strv_push(&s->ci_lost, id);
    }
    rc = 0;
out:
    str_index_free(&by_arn);
    str_index_free(&by_id);
    str_index_free(&members);
    strv_free(&unmapped);
    strv_free(&arns);
    return rc;
}

/* With --ami: the AMI of every member, from the agent's ecs.ami-id
 * attribute, else from EC2 (cached: an instance's AMI never changes). */
static int observe_amis(struct observer *ob, struct rollout_snapshot *s, struct err *err)
{
    const struct asg_group *g = &s->group;
    struct strv ask = STRV_INIT;
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ami_id && lookup(&ob->ami_ids, s->cis[i].ec2_instance_id) < 0) {
            strv_push(&ob->ami_ids, s->cis[i].ec2_instance_id);
            strv_push(&ob->ami_values, s->cis[i].ami_id);
        }
    for (size_t i = 0; i < g->n_instances; i++)
        if (lookup(&ob->ami_ids, g->instances[i].instance_id) < 0)
            strv_push(&ask, g->instances[i].instance_id);
    if (ask.n) {
        struct ec2_instance *found = NULL;
        size_t n = 0;
        if (ob->ops->describe_instances(ob->ops->ctx, (const char *const *)ask.v, ask.n, &found, &n,
                                        err) != 0) {
            strv_free(&ask);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (found[i].image_id && found[i].instance_id) {
                strv_push(&ob->ami_ids, found[i].instance_id);
                strv_push(&ob->ami_values, found[i].image_id);
            }
        ec2_instances_free(found, n);
    }
    strv_free(&ask);
    s->instance_ami = xcalloc(g->n_instances ? g->n_instances : 1, sizeof(char *));
    for (size_t i = 0; i < g->n_instances; i++) {
        long k = lookup(&ob->ami_ids, g->instances[i].instance_id);
        s->instance_ami[i] = k >= 0 ? xstrdup(ob->ami_values.v[k]) : NULL;
    }
    return 0;
}

/* Daemon services, learnt once: their tasks leave a draining instance
 * last, so they must not count as service tasks still to move. */
static int learn_daemon_services(struct observer *ob, struct err *err)
{
    if (ob->daemon_services_known)
        return 0;
    struct strv names = STRV_INIT;
    struct ecs_service *svcs = NULL;
    size_t n = 0;
    int rc = ob->ops->list_services(ob->ops->ctx, ob->cluster_name, &names, err);
    if (rc == 0 && names.n)
        rc = ob->ops->describe_services(ob->ops->ctx, ob->cluster_name,
                                        (const char *const *)names.v, names.n, &svcs, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (svcs[i].name && svcs[i].scheduling_strategy &&
            strcmp(svcs[i].scheduling_strategy, "DAEMON") == 0)
            strv_push(&ob->daemon_services, svcs[i].name);
    ecs_services_free(svcs, n);
    strv_free(&names);
    if (rc == 0)
        ob->daemon_services_known = 1;
    return rc;
}

/* The services with a task running on one of the group's registered
 * members, from one listing of the cluster's tasks (their
 * containerInstanceArn, as DescribeTasks gives it), learnt once: what
 * observe_services falls back on when no task was seen on the draining
 * instances. */
static int learn_group_services(struct observer *ob, const struct rollout_snapshot *s,
                                struct err *err)
{
    if (ob->group_services_known)
        return 0;
    struct ecs_task_filter f = {0};
    f.desired_status = "RUNNING";
    struct strv arns = STRV_INIT, members = STRV_INIT;
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].arn)
            strv_push(&members, s->cis[i].arn);
    int rc = ob->ops->list_tasks(ob->ops->ctx, ob->cluster_name, &f, &arns, err);
    for (size_t off = 0; rc == 0 && off < arns.n; off += GROUP_TASKS_PER_PAGE) {
        size_t len = arns.n - off < GROUP_TASKS_PER_PAGE ? arns.n - off : GROUP_TASKS_PER_PAGE;
        struct ecs_task *tasks = NULL;
        size_t n = 0;
        rc = ob->ops->describe_tasks(ob->ops->ctx, ob->cluster_name,
                                     (const char *const *)arns.v + off, len, &tasks, &n, err);
        for (size_t k = 0; rc == 0 && k < n; k++) {
            const struct ecs_task *t = &tasks[k];
            if (!t->group || strncmp(t->group, "service:", 8) != 0 || !t->container_instance_arn ||
                !strv_contains(&members, t->container_instance_arn))
                continue;
            if (!strv_contains(&ob->group_services, t->group + 8))
                strv_push(&ob->group_services, t->group + 8);
        }
        ecs_tasks_free(tasks, n);
    }
    strv_free(&arns);
    strv_free(&members);
    if (rc == 0)
        ob->group_services_known = 1;
    return rc;
}

/* The services that gate termination: those seen on draining instances, or,
 * when none was seen (e.g. resumed after the drain), the cluster's services,
 * each marked by whether it runs on the group (the decision waits only for
 * those, decide.c). Described while some draining member is confirmed
 * empty. */
static int observe_services(struct observer *ob, struct rollout_snapshot *s, struct err *err)
{
    size_t empty = 0;
    for (size_t i = 0; i < s->n_drains; i++)
        empty += s->drains[i].known && s->drains[i].empty;
    if (empty == 0)
        return 0;
    struct strv names = STRV_INIT;
    int fallback = ob->affected_services.n == 0;
    if (!fallback) {
        for (size_t i = 0; i < ob->affected_services.n; i++)
            strv_push(&names, ob->affected_services.v[i]);
    } else if (ob->ops->list_services(ob->ops->ctx, ob->cluster_name, &names, err) != 0 ||
               (names.n && learn_group_services(ob, s, err) != 0)) {
        strv_free(&names);
        return -1;
    }
    int rc = 0;
    if (names.n)
        rc =
            ob->ops->describe_services(ob->ops->ctx, ob->cluster_name, (const char *const *)names.v,
                                       names.n, &s->services, &s->n_services, err);
    strv_free(&names);
    if (rc != 0)
        return -1;
    if (fallback && s->n_services) {
        s->service_on_group = xcalloc(s->n_services, sizeof(*s->service_on_group));
        for (size_t i = 0; i < s->n_services; i++)
            s->service_on_group[i] =
                s->services[i].name && strv_contains(&ob->group_services, s->services[i].name);
    }
    s->services_observed = 1;
    return 0;
}

int observe(struct observer *ob, long long now, struct rollout_snapshot *s, struct err *err)
{
    memset(s, 0, sizeof(*s));
    s->now = now;
    s->short_services = &ob->short_services;
    s->short_running = ob->short_running;
    if (ob->ops->describe_group(ob->ops->ctx, ob->asg_name, &s->group, err) != 0)
        goto fail;
    if (rollout_state_parse(&s->group, &s->state) != 0) {
        err_set(err, ERR_STATE, "Auto Scaling group %s: %s", ob->asg_name, s->state.problem);
        goto fail;
    }
    if (target_resolve(ob, s, now, err) != 0)
        goto fail;
    rollout_target_copy(&s->target, &ob->target);
    if (observe_container_instances(ob, s, 0, err) != 0)
        goto fail;
    if (observe_launch_times(ob, s, err) != 0 || observe_marks(ob, s, err) != 0 ||
        observe_hooks(ob, s, now, err) != 0)
        goto fail;
    if (ob->options && ob->options->ami && observe_amis(ob, s, err) != 0)
        goto fail;
    if (learn_daemon_services(ob, err) != 0)
        goto fail;
    if (observe_drains(ob, s, err) != 0)
        goto fail;
    if (observe_services(ob, s, err) != 0 || observe_service_failures(ob, s, err) != 0)
        goto fail;
    return 0;
fail:
    rollout_snapshot_free(s);
    return -1;
}

int observe_instances(struct observer *ob, long long now, struct rollout_snapshot *s,
                      struct err *err)
{
    memset(s, 0, sizeof(*s));
    s->now = now;
    if (ob->ops->describe_group(ob->ops->ctx, ob->asg_name, &s->group, err) != 0 ||
        observe_container_instances(ob, s, 1, err) != 0) {
        rollout_snapshot_free(s);
        return -1;
    }
    /* Whose drains are whose, so that someone else's are left alone. */
    struct err ignored;
    if (rollout_state_parse(&s->group, &s->state) == 0)
        observe_marks(ob, s, &ignored);
    return 0;
}
