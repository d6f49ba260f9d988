/* Pre-flight: the read-only checks a rollout passes before its first write. */
#include "rollout/preflight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/target.h"
#include "util/mem.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Capacity providers of the cluster that manage this group. */
static int check_capacity_providers(const struct svc_ops *ops, const struct ecs_cluster *cl,
                                    const struct asg_group *g, struct strv *problems,
                                    struct strv *warnings, struct err *err)
{
    if (!cl->capacity_providers.n)
        return 0;
    struct ecs_capacity_provider *cps = NULL;
    size_t n = 0;
    if (ops->describe_capacity_providers(ops->ctx, (const char *const *)cl->capacity_providers.v,
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

/* What the cluster shapes of issue 12 may make impossible or worth
 * saying before the first write. */
static void check_shapes(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                         struct strv *problems, struct strv *warnings)
{
    const struct asg_group *g = &s->group;
    char why[512];
    if (launch_spec_check_units(&s->spec, g, why, sizeof(why)) != 0)
        strv_pushf(problems, "%s", why);
    struct rollout_marks m = {0};
    for (size_t i = 0; i < s->not_ours.n; i++)
        strv_push(&m.foreign, s->not_ours.v[i]);
    struct asg_tag *tags = NULL;
    size_t n = 0;
    if (rollout_marks_tags(&m, &tags, &n, why, sizeof(why)) != 0)
        strv_pushf(problems, "%s", why);
    else
        rollout_tags_free(tags, n);
    rollout_marks_free(&m);
    int foreign = 0, lost = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        if (v->foreign && v->outdated) {
            foreign++;
            strv_pushf(warnings,
                       "instance %s is already DRAINING (a Spot interruption or an operator's "
                       "drain): not the rollout's, it does not count as serving capacity, is never "
                       "returned to service, and is replaced only once it is empty",
                       v->asg->instance_id);
        }
        if (v->agent_lost) {
            lost++;
            strv_pushf(warnings,
                       "instance %s has its ECS agent disconnected: it cannot drain until the "
                       "agent reconnects (agents reconnect by themselves several times an hour), "
                       "so it is replaced last; if it stays disconnected it is left in service, "
                       "out of date, and the rollout ends incomplete",
                       v->asg->instance_id);
        }
    }
    if (a->outdated > 0 && a->outdated == a->excluded)
        strv_pushf(problems,
                   "no out-of-date instance of group %s can be replaced now: %d are DRAINING by "
                   "someone else and %d have their ECS agent disconnected; run again once those "
                   "drains have ended or the agents reconnected",
                   g->name, foreign, lost);
}

int rollout_preflight(const struct svc_ops *ops, const struct rollout_config *cfg,
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
    if (ops->describe_cluster(ops->ctx, cfg->cluster_name, &cl, &cerr) != 0) {
        if (cerr.kind != ERR_STATE) {
            *err = cerr;
            return -1;
        }
        strv_pushf(problems, "%s", cerr.message);
    } else {
        int rc = check_capacity_providers(ops, &cl, g, problems, warnings, err);
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

    check_shapes(s, a, problems, warnings);

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
