#include "rollout/observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/drain.h"
#include "rollout/target.h"
#include "svc/ec2.h"
#include "util/log.h"
#include "util/mem.h"

/* ListContainerInstances filter: ids per `ec2InstanceId in [...]`. */
#define IDS_PER_FILTER 20

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
        rc = ob->ops->list_container_instances(ob->ops->ctx, ob->cluster_name, NULL, NULL, &found,
                                               err);
    } else {
        for (size_t i = 0; rc == 0 && i < unmapped->n; i += IDS_PER_FILTER) {
            char filter[1024];
            size_t used = (size_t)snprintf(filter, sizeof(filter), "ec2InstanceId in [");
            for (size_t k = i; k < unmapped->n && k < i + IDS_PER_FILTER; k++)
                used += (size_t)snprintf(filter + used, sizeof(filter) - used, "%s%s",
                                         k > i ? "," : "", unmapped->v[k]);
            snprintf(filter + used, sizeof(filter) - used, "]");
            rc = ob->ops->list_container_instances(ob->ops->ctx, ob->cluster_name, filter, NULL,
                                                   &found, err);
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
    if (arns.n && ob->ops->describe_container_instances(ob->ops->ctx, ob->cluster_name,
                                                        (const char *const *)arns.v, arns.n, &cis,
                                                        &n, err) != 0)
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
        /* An answer may repeat an element: keep one (two records of one
         * instance would count its tasks and its drain twice). */
        int repeated = 0;
        for (size_t k = 0; member && cis[i].arn && k < kept && !repeated; k++)
            repeated = strcmp(cis[k].arn, cis[i].arn) == 0;
        if (!member || !cis[i].arn || repeated) {
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
    } else if (ob->ops->list_services(ob->ops->ctx, ob->cluster_name, &names, err) != 0) {
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
    s->services_observed = 1;
    return 0;
}

int observe(struct observer *ob, long long now, struct rollout_snapshot *s, struct err *err)
{
    memset(s, 0, sizeof(*s));
    s->now = now;
    ob->polls++;
    if (ob->ops->describe_group(ob->ops->ctx, ob->asg_name, &s->group, err) != 0)
        goto fail;
    if (rollout_state_parse(&s->group, &s->state) != 0) {
        err_set(err, ERR_STATE, "Auto Scaling group %s: %s", ob->asg_name, s->state.problem);
        goto fail;
    }
    if (target_resolve(ob, &s->group, now, err) != 0)
        goto fail;
    rollout_target_copy(&s->target, &ob->target);
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
    if (ob->ops->describe_group(ob->ops->ctx, ob->asg_name, &s->group, err) != 0 ||
        observe_container_instances(ob, s, err) != 0) {
        rollout_snapshot_free(s);
        return -1;
    }
    return 0;
}
