#include "rollout/observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/ec2.h"
#include "util/log.h"
#include "util/mem.h"

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
/* $Latest / $Default are re-resolved this often (seconds). */
#define TARGET_TTL_S 30
/* ListContainerInstances filter: ids per `ec2InstanceId in [...]`. */
#define IDS_PER_FILTER 20

void rollout_target_free(struct rollout_target *t)
{
    free(t->launch_template_id);
    free(t->launch_template_name);
    free(t->launch_configuration);
    free(t->template_image_id);
    memset(t, 0, sizeof(*t));
}

static void target_copy(struct rollout_target *dst, const struct rollout_target *src)
{
    dst->launch_template_id = xstrdup(src->launch_template_id);
    dst->launch_template_name = xstrdup(src->launch_template_name);
    dst->launch_template_version = src->launch_template_version;
    dst->launch_configuration = xstrdup(src->launch_configuration);
    dst->template_image_id = xstrdup(src->template_image_id);
}

void rollout_target_describe(const struct rollout_target *t, char *buf, size_t cap)
{
    if (t->launch_configuration)
        snprintf(buf, cap, "launch configuration %s", t->launch_configuration);
    else if (t->launch_template_name && t->launch_template_id)
        snprintf(buf, cap, "launch template %s (%s) version %ld", t->launch_template_id,
                 t->launch_template_name, t->launch_template_version);
    else
        snprintf(buf, cap, "launch template %s version %ld",
                 t->launch_template_id ? t->launch_template_id : t->launch_template_name,
                 t->launch_template_version);
}

void rollout_snapshot_free(struct rollout_snapshot *s)
{
    if (s->instance_ami) {
        for (size_t i = 0; i < s->group.n_instances; i++)
            free(s->instance_ami[i]);
        free(s->instance_ami);
    }
    asg_group_free(&s->group);
    rollout_target_free(&s->target);
    ecs_container_instances_free(s->cis, s->n_cis);
    for (size_t i = 0; i < s->n_drains; i++) {
        free(s->drains[i].instance_id);
        strv_free(&s->drains[i].standalone);
        strv_free(&s->drains[i].services);
    }
    free(s->drains);
    ecs_services_free(s->services, s->n_services);
    rollout_state_free(&s->state);
    memset(s, 0, sizeof(*s));
}

void observer_init(struct observer *ob, struct aws_client *c, const char *asg_name,
                   const char *cluster_name, const struct rollout_options *o)
{
    memset(ob, 0, sizeof(*ob));
    ob->client = c;
    ob->asg_name = asg_name;
    ob->cluster_name = cluster_name;
    ob->options = o;
}

void observer_free(struct observer *ob)
{
    strv_free(&ob->ci_ids);
    strv_free(&ob->ci_arns);
    strv_free(&ob->ami_ids);
    strv_free(&ob->ami_values);
    strv_free(&ob->drained);
    strv_free(&ob->affected_services);
    strv_free(&ob->daemon_services);
    for (size_t i = 0; i < ob->n_memo; i++) {
        free(ob->memo[i].instance_id);
        strv_free(&ob->memo[i].standalone);
        strv_free(&ob->memo[i].pending);
    }
    free(ob->memo);
    free(ob->target_key);
    rollout_target_free(&ob->target);
    memset(ob, 0, sizeof(*ob));
}

static long lookup(const struct strv *keys, const char *key)
{
    for (size_t i = 0; i < keys->n; i++)
        if (strcmp(keys->v[i], key) == 0)
            return (long)i;
    return -1;
}

const char *snapshot_ci_arn(const struct rollout_snapshot *s, const char *instance_id)
{
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ec2_instance_id && strcmp(s->cis[i].ec2_instance_id, instance_id) == 0)
            return s->cis[i].arn;
    return NULL;
}

static int parse_version(const char *v, long *out)
{
    char *end = NULL;
    if (!v || !*v)
        return -1;
    long n = strtol(v, &end, 10);
    if (*end || n <= 0)
        return -1;
    *out = n;
    return 0;
}

/* What "current" means: the group's launch template with $Latest/$Default
 * resolved to a number, or its launch configuration. */
static int resolve_target(struct observer *ob, const struct asg_group *g, long long now,
                          struct err *err)
{
    const struct asg_template_ref *lt = &g->launch_template;
    if (!lt->id && !lt->name) {
        if (!g->launch_configuration)
            return err_set(err, ERR_STATE,
                           "Auto Scaling group %s has neither a launch template nor a launch "
                           "configuration",
                           g->name);
        rollout_target_free(&ob->target);
        ob->target.launch_configuration = xstrdup(g->launch_configuration);
        return 0;
    }
    char key[512];
    snprintf(key, sizeof(key), "%s|%s|%s", lt->id ? lt->id : "", lt->name ? lt->name : "",
             lt->version ? lt->version : "$Default");
    long version;
    int numeric = parse_version(lt->version, &version) == 0;
    if (ob->target_key && strcmp(ob->target_key, key) == 0 &&
        (numeric || now - ob->target_resolved_at < TARGET_TTL_S))
        return 0;

    struct ec2_launch_template t;
    memset(&t, 0, sizeof(t));
    if (ec2_describe_launch_template(ob->client, lt->id, lt->name, &t, err) != 0)
        return err_prefix(err, "resolving the launch template of group %s: ", g->name);
    if (!numeric) {
        int latest = !lt->version || strcmp(lt->version, "$Latest") == 0;
        int dflt = !lt->version || strcmp(lt->version, "$Default") == 0;
        if (!latest && !dflt) {
            ec2_launch_template_free(&t);
            return err_set(err, ERR_STATE,
                           "group %s uses launch template version \"%s\", which is neither a "
                           "number nor $Latest/$Default",
                           g->name, lt->version);
        }
        version = (lt->version && strcmp(lt->version, "$Latest") == 0) ? t.latest_version
                                                                       : t.default_version;
    }
    rollout_target_free(&ob->target);
    ob->target.launch_template_id = xstrdup(t.id ? t.id : lt->id);
    ob->target.launch_template_name = xstrdup(t.name ? t.name : lt->name);
    ob->target.launch_template_version = version;
    ec2_launch_template_free(&t);
    if (ob->options && ob->options->ami) {
        char v[32];
        snprintf(v, sizeof(v), "%ld", version);
        if (ec2_launch_template_image(ob->client, ob->target.launch_template_id, NULL, v,
                                      &ob->target.template_image_id, err) != 0)
            return err_prefix(err, "reading the AMI of launch template version %ld: ", version);
    }
    free(ob->target_key);
    ob->target_key = xstrdup(key);
    ob->target_resolved_at = now;
    return 0;
}

static int in_service(const struct asg_instance *in)
{
    return in->lifecycle_state && strcmp(in->lifecycle_state, "InService") == 0;
}

/* Finds the container instances of unmapped InService members: a few by
 * `ec2InstanceId in [...]` filters, many (a whole batch registering) by
 * listing the cluster in pages of 100, which costs instances/100 rather
 * than instances/20. ARNs already known (of any instance) are skipped. */
static int find_new_container_instances(struct observer *ob, const struct strv *unmapped,
                                        struct strv *arns, struct err *err)
{
    struct strv found = STRV_INIT;
    int rc = 0;
    if (unmapped->n > 2 * IDS_PER_FILTER) {
        rc = ecs_list_container_instances(ob->client, ob->cluster_name, NULL, NULL, &found, err);
    } else {
        for (size_t i = 0; rc == 0 && i < unmapped->n; i += IDS_PER_FILTER) {
            char filter[1024];
            size_t used = (size_t)snprintf(filter, sizeof(filter), "ec2InstanceId in [");
            for (size_t k = i; k < unmapped->n && k < i + IDS_PER_FILTER; k++)
                used += (size_t)snprintf(filter + used, sizeof(filter) - used, "%s%s",
                                         k > i ? "," : "", unmapped->v[k]);
            snprintf(filter + used, sizeof(filter) - used, "]");
            rc = ecs_list_container_instances(ob->client, ob->cluster_name, filter, NULL, &found,
                                              err);
        }
    }
    for (size_t k = 0; rc == 0 && k < found.n; k++)
        if (lookup(&ob->ci_arns, found.v[k]) < 0 && !strv_contains(arns, found.v[k]))
            strv_push(arns, found.v[k]);
    strv_free(&found);
    return rc;
}

/* Container instances of the group's members: every known ARN is
 * described each poll; unknown InService members are looked up first. */
static int observe_container_instances(struct observer *ob, struct rollout_snapshot *s,
                                       struct err *err)
{
    const struct asg_group *g = &s->group;
    struct strv unmapped = STRV_INIT, arns = STRV_INIT;
    int rc = -1;

    for (size_t i = 0; i < g->n_instances; i++) {
        const struct asg_instance *in = &g->instances[i];
        long k = lookup(&ob->ci_ids, in->instance_id);
        if (k >= 0)
            strv_push(&arns, ob->ci_arns.v[k]);
        else if (in_service(in))
            strv_push(&unmapped, in->instance_id);
    }
    if (unmapped.n && find_new_container_instances(ob, &unmapped, &arns, err) != 0)
        goto out;

    struct ecs_container_instance *cis = NULL;
    size_t n = 0;
    if (arns.n &&
        ecs_describe_container_instances(ob->client, ob->cluster_name, (const char *const *)arns.v,
                                         arns.n, &cis, &n, err) != 0)
        goto out;
    /* Remember every ARN's instance (a container instance never moves);
     * keep those of this group's members. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = cis[i].ec2_instance_id;
        if (id && cis[i].arn && lookup(&ob->ci_arns, cis[i].arn) < 0) {
            strv_push(&ob->ci_ids, id);
            strv_push(&ob->ci_arns, cis[i].arn);
        }
        int member = 0;
        for (size_t k = 0; id && k < g->n_instances && !member; k++)
            member = strcmp(g->instances[k].instance_id, id) == 0;
        if (!member || !cis[i].arn) {
            ecs_container_instance_clear(&cis[i]);
            continue;
        }
        if (kept != i) {
            cis[kept] = cis[i];
            memset(&cis[i], 0, sizeof(cis[i]));
        }
        kept++;
    }
    s->cis = cis;
    s->n_cis = kept;
    rc = 0;
out:
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
        if (ec2_describe_instances(ob->client, (const char *const *)ask.v, ask.n, &found, &n,
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

static struct drain_memo *memo_for(struct observer *ob, const char *instance_id)
{
    for (size_t i = 0; i < ob->n_memo; i++)
        if (strcmp(ob->memo[i].instance_id, instance_id) == 0)
            return &ob->memo[i];
    ob->memo = xgrow(ob->memo, &ob->cap_memo, ob->n_memo + 1, sizeof(*ob->memo));
    struct drain_memo *m = &ob->memo[ob->n_memo++];
    memset(m, 0, sizeof(*m));
    m->instance_id = xstrdup(instance_id);
    return m;
}

/* What was learnt about an instance's drain holds for that drain only. An
 * instance seen in any other state (returned to ACTIVE by a rollback, or
 * by hand) starts afresh if drained again: its tasks then stop without
 * being counted, and an "empty" remembered from before would let it be
 * terminated with them. */
static void forget_drain(struct observer *ob, const char *instance_id)
{
    for (size_t i = 0; i < ob->n_memo; i++) {
        struct drain_memo *m = &ob->memo[i];
        if (strcmp(m->instance_id, instance_id) != 0)
            continue;
        char *id = m->instance_id;
        strv_free(&m->standalone);
        strv_free(&m->pending);
        memset(m, 0, sizeof(*m));
        m->instance_id = id;
        return;
    }
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
        if (!strv_contains(&d->services, svc))
            strv_push(&d->services, svc);
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
    return ecs_list_tasks(ob->client, ob->cluster_name, &f, arns, err);
}

/* What is left on each DRAINING member. The counters say most of it and
 * cost nothing; tasks are listed only where the counters cannot tell:
 * at zero, because tasks still DEACTIVATING or STOPPING are not counted
 * (once per instance; when many instances reach zero together, one listing
 * of the cluster's stopping tasks serves them all), and where the counters
 * have stopped moving, to learn whether standalone tasks hold the
 * instance. The tasks found are described together, 100 per call. */
static int observe_drains(struct observer *ob, struct rollout_snapshot *s, struct err *err)
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
    struct strv *pending_of = NULL;
    s->drains = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*s->drains));
    const struct ecs_container_instance **ci_of = xcalloc(s->n_cis ? s->n_cis : 1, sizeof(*ci_of));
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
            /* Only the tasks still stopping at the last look can hold it. */
            for (size_t k = 0; k < m->pending.n; k++)
                strv_push(&arns, m->pending.v[k]);
            listed[di] = 2;
        } else {
            at_zero[di] = 1;
            n_zero++;
        }
    }

    int budget = TASK_CHECKS_PER_POLL;
    if (n_zero > TASK_CHECKS_PER_POLL) {
        /* Many at once: the cluster's tasks on their way to STOPPED, in
         * pages of 100, instead of one listing per instance. */
        if (list_cluster_tasks(ob, NULL, "STOPPED", &arns, err) != 0)
            goto out;
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
        if (list_cluster_tasks(ob, ci_of[di]->arn, desired, &arns, err) != 0)
            goto out;
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
    if (arns.n) {
        struct ecs_task *tasks = NULL;
        size_t n = 0;
        if (ecs_describe_tasks(ob->client, ob->cluster_name, (const char *const *)arns.v, arns.n,
                               &tasks, &n, err) != 0)
            goto out;
        for (size_t k = 0; k < n; k++) {
            if (!tasks[k].container_instance_arn)
                continue;
            for (size_t di = 0; di < s->n_drains; di++)
                if (listed[di] && ci_of[di] && ci_of[di]->arn &&
                    strcmp(ci_of[di]->arn, tasks[k].container_instance_arn) == 0) {
                    tally_task(ob, &tasks[k], &s->drains[di]);
                    if (tasks[k].arn &&
                        (!tasks[k].last_status || strcmp(tasks[k].last_status, "STOPPED") != 0))
                        strv_push(&pending_of[di], tasks[k].arn);
                    break;
                }
        }
        ecs_tasks_free(tasks, n);
    }
    for (size_t di = 0; di < s->n_drains; di++) {
        if (!listed[di])
            continue;
        struct drain_tasks *d = &s->drains[di];
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
    free(ci_of);
    free(at_zero);
    free(listed);
    strv_free(&arns);
    return rc;
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
    int rc = ecs_list_services(ob->client, ob->cluster_name, &names, err);
    if (rc == 0 && names.n)
        rc = ecs_describe_services(ob->client, ob->cluster_name, (const char *const *)names.v,
                                   names.n, &svcs, &n, err);
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

/* The services that gate termination: those seen on draining instances, or
 * every service of the cluster when none was seen (e.g. resumed after the
 * drain). Described while some draining member is confirmed empty. */
static int observe_services(struct observer *ob, struct rollout_snapshot *s, struct err *err)
{
    size_t empty = 0;
    for (size_t i = 0; i < s->n_drains; i++)
        empty += s->drains[i].known && s->drains[i].empty;
    if (empty == 0)
        return 0;
    struct strv names = STRV_INIT;
    if (ob->affected_services.n) {
        for (size_t i = 0; i < ob->affected_services.n; i++)
            strv_push(&names, ob->affected_services.v[i]);
    } else if (ecs_list_services(ob->client, ob->cluster_name, &names, err) != 0) {
        strv_free(&names);
        return -1;
    }
    int rc = 0;
    if (names.n)
        rc = ecs_describe_services(ob->client, ob->cluster_name, (const char *const *)names.v,
                                   names.n, &s->services, &s->n_services, err);
    strv_free(&names);
    if (rc != 0)
        return -1;
    s->services_observed = 1;
    return 0;
}

int observe(struct observer *ob, long long now, struct rollout_snapshot *s, struct err *err)
{
    memset(s, 0, sizeof(*s));
    s->now = now;
    ob->polls++;
    if (asg_describe_group(ob->client, ob->asg_name, &s->group, err) != 0)
        goto fail;
    if (rollout_state_parse(&s->group, &s->state) != 0) {
        err_set(err, ERR_STATE, "Auto Scaling group %s: %s", ob->asg_name, s->state.problem);
        goto fail;
    }
    if (resolve_target(ob, &s->group, now, err) != 0)
        goto fail;
    target_copy(&s->target, &ob->target);
    if (observe_container_instances(ob, s, err) != 0)
        goto fail;
    if (ob->options && ob->options->ami && observe_amis(ob, s, err) != 0)
        goto fail;
    if (learn_daemon_services(ob, err) != 0)
        goto fail;
    if (observe_drains(ob, s, err) != 0)
        goto fail;
    if (observe_services(ob, s, err) != 0)
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
    if (asg_describe_group(ob->client, ob->asg_name, &s->group, err) != 0 ||
        observe_container_instances(ob, s, err) != 0) {
        rollout_snapshot_free(s);
        return -1;
    }
    return 0;
}
