/* Pre-flight: the read-only checks a rollout passes before its first write,
 * and the plan/status view built from the same observations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rollout/engine.h"
#include "rollout/observe.h"
#include "rollout/preflight.h"
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

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Capacity providers of the cluster that manage this group. */
static int check_capacity_providers(struct aws_client *c, const struct ecs_cluster *cl,
                                    const struct asg_group *g, struct strv *problems,
                                    struct strv *warnings, struct err *err)
{
    if (!cl->capacity_providers.n)
        return 0;
    struct ecs_capacity_provider *cps = NULL;
    size_t n = 0;
    if (ecs_describe_capacity_providers(c, (const char *const *)cl->capacity_providers.v,
                                        cl->capacity_providers.n, &cps, &n, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct ecs_capacity_provider *cp = &cps[i];
        int ours = cp->asg_arn && ((g->arn && strcmp(cp->asg_arn, g->arn) == 0) ||
                                   ends_with(cp->asg_arn, g->name));
        if (!ours)
            continue;
        if (cp->managed_scaling)
            strv_pushf(problems,
                       "capacity provider %s manages the desired capacity of group %s (managed "
                       "scaling) and would undo the rollout's scale-out; turn managed scaling off "
                       "for the rollout, or replace instances with an Auto Scaling instance "
                       "refresh and ECS managed instance draining",
                       cp->name, g->name);
        else if (cp->managed_termination_protection)
            strv_pushf(warnings,
                       "capacity provider %s has managed termination protection: the rollout "
                       "removes instances explicitly, after draining, so protection does not "
                       "stop it",
                       cp->name);
    }
    ecs_capacity_providers_free(cps, n);
    return 0;
}

int rollout_preflight(struct aws_client *c, const struct rollout_config *cfg,
                      const struct rollout_snapshot *s, const struct rollout_assessment *a,
                      struct strv *problems, struct strv *warnings, struct err *err)
{
    const struct asg_group *g = &s->group;
    const struct rollout_options *o = &cfg->options;

    if (g->status && *g->status)
        strv_pushf(problems, "group %s is being deleted (%s)", g->name, g->status);
    if (g->has_warm_pool)
        strv_pushf(problems,
                   "group %s has a warm pool: instances it keeps warm were prepared from the old "
                   "launch template and would come back out of date; delete the warm pool for "
                   "the rollout or use an instance refresh",
                   g->name);

    struct ecs_cluster cl;
    memset(&cl, 0, sizeof(cl));
    struct err cerr;
    err_clear(&cerr);
    if (ecs_describe_cluster(c, cfg->cluster_name, &cl, &cerr) != 0) {
        if (cerr.kind != ERR_STATE) {
            *err = cerr;
            return -1;
        }
        strv_pushf(problems, "%s", cerr.message);
    } else {
        int rc = check_capacity_providers(c, &cl, g, problems, warnings, err);
        ecs_cluster_free(&cl);
        if (rc != 0)
            return -1;
    }

    int listed = 0, unregistered = 0, pending = 0;
    char ids[256] = "";
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        if (v->phase == PHASE_LAUNCHING)
            pending++;
        if (v->phase != PHASE_UNREGISTERED)
            continue;
        unregistered++;
        if (listed++ < 5) {
            size_t used = strlen(ids);
            snprintf(ids + used, sizeof(ids) - used, "%s%s", used ? ", " : "", v->asg->instance_id);
        }
    }
    if (unregistered)
        strv_pushf(problems,
                   "%d InService instance(s) of group %s are not registered in cluster %s (%s%s): "
                   "their user data may join another cluster or their ECS agent is not running; "
                   "fix or terminate them first",
                   unregistered, g->name, cfg->cluster_name, ids, unregistered > 5 ? ", ..." : "");
    if (pending)
        strv_pushf(problems,
                   "group %s is still launching %d instance(s); run again once it is steady",
                   g->name, pending);

    int batch = rollout_batch_size(o, g->desired_capacity, g->max_size);
    if (batch < 1)
        strv_pushf(problems,
                   "group %s is at its MaxSize (%d) and --keep-max-size forbids raising it: "
                   "raise MaxSize or drop --keep-max-size",
                   g->name, g->max_size);
    if (o->ami && s->target.template_image_id && strcmp(s->target.template_image_id, o->ami) != 0) {
        char t[256];
        rollout_target_describe(&s->target, t, sizeof(t));
        strv_pushf(problems,
                   "--ami %s was given, but the group's %s launches %s: update the launch "
                   "template first, or the new instances would be out of date too",
                   o->ami, t, s->target.template_image_id);
    }
    if (o->ami && !s->target.template_image_id && s->target.launch_template_id)
        strv_pushf(warnings,
                   "cannot tell which AMI the launch template launches (resolved at launch?): "
                   "instances that come up with another AMI than %s will fail the rollout",
                   o->ami);
    return 0;
}

int rollout_inspect(struct aws_client *c, const struct rollout_config *cfg, struct rollout_plan *p,
                    struct err *err)
{
    memset(p, 0, sizeof(*p));
    struct observer ob;
    struct rollout_snapshot s;
    struct rollout_assessment a;
    observer_init(&ob, c, cfg->asg_name, cfg->cluster_name, &cfg->options);
    long long now = (long long)time(NULL);
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
        p->lease_expires = s.state.lease.expires;
        p->lease_live = s.state.lease.expires > now;
    }
    int rc = 0;
    if (!s.state.in_progress && a.outdated > 0)
        rc = rollout_preflight(c, cfg, &s, &a, &p->problems, &p->warnings, err);
    rollout_assessment_free(&a);
    rollout_snapshot_free(&s);
    observer_free(&ob);
    if (rc != 0)
        rollout_plan_free(p);
    return rc;
}
