/* Reading what rollout/scaling.c judges. */
#include "rollout/scaling_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void scaling_watch_free(struct scaling_watch *w)
{
    asg_scheduled_actions_free(w->scheduled, w->n_scheduled);
    strv_free(&w->short_services);
    free(w->short_running);
    memset(w, 0, sizeof(*w));
}

/* The group's policies, and the alarms that invoke them. */
static int read_policies_alarms(const struct svc_ops *ops, const char *group,
                                struct asg_policy **pol, size_t *n_pol, struct cw_alarm **alarms,
                                size_t *n_alarms, struct err *err)
{
    *alarms = NULL;
    *n_alarms = 0;
    if (ops->describe_policies(ops->ctx, group, pol, n_pol, err) != 0)
        return -1;
    struct strv names = STRV_INIT;
    scaling_policy_alarm_names(*pol, *n_pol, &names);
    int rc = 0;
    if (names.n)
        rc = ops->describe_alarms(ops->ctx, (const char *const *)names.v, names.n, alarms, n_alarms,
                                  err);
    strv_free(&names);
    if (rc != 0) {
        asg_policies_free(*pol, *n_pol);
        *pol = NULL;
        *n_pol = 0;
    }
    return rc;
}

/* Notes the services below their desired count; with w, remembers them. */
static int services_note(const struct svc_ops *ops, const char *cluster, struct scaling_watch *w,
                         struct strv *warnings, struct err *err)
{
    struct strv arns = STRV_INIT;
    if (ops->list_services(ops->ctx, cluster, &arns, err) != 0) {
        strv_free(&arns);
        return -1;
    }
    struct ecs_service *svcs = NULL;
    size_t n = 0;
    int rc = arns.n ? ops->describe_services(ops->ctx, cluster, (const char *const *)arns.v, arns.n,
                                             &svcs, &n, err)
                    : 0;
    strv_free(&arns);
    if (rc == 0)
        scaling_services_below_desired(svcs, n, warnings);
    for (size_t i = 0; rc == 0 && w && i < n; i++) {
        if (!svcs[i].name || svcs[i].running_count >= svcs[i].desired_count)
            continue;
        w->short_running =
            xrealloc(w->short_running, (w->short_services.n + 1) * sizeof(*w->short_running));
        w->short_running[w->short_services.n] = svcs[i].running_count;
        strv_push(&w->short_services, svcs[i].name);
    }
    ecs_services_free(svcs, n);
    return rc;
}

/* The capacity providers of cluster cl (none when cl is NULL or has none). */
static int cluster_capacity_providers(const struct svc_ops *ops, const struct ecs_cluster *cl,
                                      struct ecs_capacity_provider **cps, size_t *n,
                                      struct err *err)
{
    *cps = NULL;
    *n = 0;
    if (!cl || !cl->capacity_providers.n)
        return 0;
    return ops->describe_capacity_providers(ops->ctx, (const char *const *)cl->capacity_providers.v,
                                            cl->capacity_providers.n, cps, n, err);
}

static int capacity_provider_notes(const struct svc_ops *ops, const struct ecs_cluster *cl,
                                   const struct asg_group *g, struct strv *warnings,
                                   struct err *err)
{
    struct ecs_capacity_provider *cps;
    size_t n;
    if (cluster_capacity_providers(ops, cl, &cps, &n, err) != 0)
        return -1;
    scaling_cp_notes(cps, n, g, warnings);
    ecs_capacity_providers_free(cps, n);
    return 0;
}

int scaling_preflight(const struct svc_ops *ops, const char *cluster, const struct asg_group *g,
                      const struct ecs_cluster *cl, const struct strv *standby_outdated,
                      struct scaling_watch *w, struct strv *problems, struct strv *warnings,
                      struct err *err)
{
    struct asg_instance_refresh *refreshes = NULL;
    size_t n_refreshes = 0;
    if (ops->describe_instance_refreshes(ops->ctx, g->name, &refreshes, &n_refreshes, err) != 0)
        return -1;
    scaling_refusals(g, refreshes, n_refreshes, problems);
    asg_instance_refreshes_free(refreshes, n_refreshes);
    if (standby_outdated)
        scaling_standby_refusal(g, standby_outdated, problems);

    if (capacity_provider_notes(ops, cl, g, warnings, err) != 0)
        return -1;
    struct asg_lifecycle_hook *hooks = NULL;
    size_t n_hooks = 0;
    if (ops->describe_lifecycle_hooks(ops->ctx, g->name, &hooks, &n_hooks, err) != 0)
        return -1;
    scaling_hook_notes(hooks, n_hooks, warnings);
    asg_lifecycle_hooks_free(hooks, n_hooks);
    if (cl && services_note(ops, cluster, w, warnings, err) != 0)
        return -1;

    struct asg_policy *pol = NULL;
    size_t n_pol = 0;
    struct cw_alarm *alarms = NULL;
    size_t n_alarms = 0;
    if (read_policies_alarms(ops, g->name, &pol, &n_pol, &alarms, &n_alarms, err) != 0)
        return -1;
    struct strv scale_in = STRV_INIT;
    scaling_scale_in_alarms(pol, n_pol, alarms, n_alarms, &scale_in);
    struct alarm_gate gate;
    scaling_alarm_gate(&scale_in, alarms, n_alarms, 0, &gate);
    if (gate.wait)
        strv_pushf(warnings,
                   "a scale-in alarm of group %s is in ALARM before the rollout: it will be "
                   "waited for again before AlarmNotification is resumed at the end",
                   g->name);
    strv_free(&scale_in);
    cw_alarms_free(alarms, n_alarms);
    asg_policies_free(pol, n_pol);

    struct asg_scheduled_action *sched = NULL;
    size_t n_sched = 0;
    if (ops->describe_scheduled_actions(ops->ctx, g->name, &sched, &n_sched, err) != 0)
        return -1;
    if (w) {
        asg_scheduled_actions_free(w->scheduled, w->n_scheduled);
        w->scheduled = sched;
        w->n_scheduled = n_sched;
    } else {
        asg_scheduled_actions_free(sched, n_sched);
    }
    return 0;
}

/* The capacity providers of `cluster` (*cps owned by the caller:
 * ecs_capacity_providers_free, also on failure). */
static int read_cluster_providers(const struct svc_ops *ops, const char *cluster,
                                  struct ecs_capacity_provider **cps, size_t *n, struct err *err)
{
    *cps = NULL;
    *n = 0;
    struct ecs_cluster cl;
    memset(&cl, 0, sizeof(cl));
    if (ops->describe_cluster(ops->ctx, cluster, &cl, err) != 0)
        return -1;
    int rc = cluster_capacity_providers(ops, &cl, cps, n, err);
    ecs_cluster_free(&cl);
    return rc;
}

/* The capacity provider of group g in `cluster` that protects its
 * instances with tasks from scale-in, into name (empty: none). */
static int protecting_provider(const struct svc_ops *ops, const struct asg_group *g,
                               const char *cluster, char *name, size_t cap, struct err *err)
{
    name[0] = '\0';
    struct ecs_capacity_provider *cps;
    size_t n;
    int rc = read_cluster_providers(ops, cluster, &cps, &n, err);
    const char *p = rc == 0 ? scaling_cp_protecting_tasks(cps, n, g) : NULL;
    if (p)
        snprintf(name, cap, "%s", p);
    ecs_capacity_providers_free(cps, n);
    return rc;
}

int scaling_read_protection_managed(const struct svc_ops *ops, const char *cluster,
                                    const struct asg_group *g, int *managed, struct err *err)
{
    *managed = 0;
    struct ecs_capacity_provider *cps;
    size_t n;
    int rc = read_cluster_providers(ops, cluster, &cps, &n, err);
    if (rc == 0)
        *managed = scaling_cp_manages_protection(cps, n, g);
    ecs_capacity_providers_free(cps, n);
    return rc;
}

int scaling_check_alarms(const struct svc_ops *ops, const struct asg_group *g, const char *cluster,
                         long long now, struct scaling_watch *w, struct alarm_gate *out,
                         struct err *err)
{
    const char *group = g->name;
    struct asg_policy *pol = NULL;
    size_t n_pol = 0;
    struct cw_alarm *alarms = NULL;
    size_t n_alarms = 0;
    if (read_policies_alarms(ops, group, &pol, &n_pol, &alarms, &n_alarms, err) != 0)
        return -1;
    if (!w->gate_since)
        w->gate_since = now;
    struct strv scale_in = STRV_INIT;
    scaling_scale_in_alarms(pol, n_pol, alarms, n_alarms, &scale_in);
    scaling_alarm_gate(&scale_in, alarms, n_alarms, (long)(now - w->gate_since), out);
    strv_free(&scale_in);
    cw_alarms_free(alarms, n_alarms);
    asg_policies_free(pol, n_pol);
    /* An alarm that stays in ALARM because the group as it is now is below
     * its target (a capacity provider's instance left without tasks) would
     * hold the end a whole evaluation window for nothing (issue 12, chaos
     * seed 9 rollout 16: 16 AWS minutes, measured on this machine's clock,
     * outlasted the simulator's run). */
    if (out->wait || out->expired) {
        char provider[256];
        if (protecting_provider(ops, g, cluster, provider, sizeof(provider), err) != 0)
            return -1;
        if (provider[0])
            scaling_alarm_gate_protected(out, provider);
    }
    return 0;
}

int scaling_scheduled_report(const struct svc_ops *ops, const char *group, long long started,
                             long long now, const struct scaling_watch *w, struct strv *out,
                             struct err *err)
{
    struct asg_scheduled_action *now_listed = NULL;
    size_t n_now = 0;
    if (ops->describe_scheduled_actions(ops->ctx, group, &now_listed, &n_now, err) != 0)
        return -1;
    /* Observed at the start first: a recurring action's listed start has
     * moved on by now. */
    size_t n_all = w->n_scheduled + n_now;
    struct asg_scheduled_action *all = xcalloc(n_all ? n_all : 1, sizeof(*all));
    if (w->n_scheduled)
        memcpy(all, w->scheduled, w->n_scheduled * sizeof(*all));
    if (n_now)
        memcpy(all + w->n_scheduled, now_listed, n_now * sizeof(*all));
    scaling_scheduled_due(all, n_all, started, now, out);
    free(all); /* the elements are borrowed */
    asg_scheduled_actions_free(now_listed, n_now);
    return 0;
}
