/* Judging a group's scaling configuration for a rollout (see scaling.h for
 * what AWS documents each rule on). Pure. */
#include "rollout/scaling.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int scaling_cp_is_groups(const struct ecs_capacity_provider *cp, const struct asg_group *g)
{
    if (!cp->asg_arn)
        return 0;
    if (g->arn)
        return strcmp(cp->asg_arn, g->arn) == 0;
    /* ...:autoScalingGroupName/NAME */
    char tail[300];
    snprintf(tail, sizeof(tail), "autoScalingGroupName/%s", g->name);
    return ends_with(cp->asg_arn, tail);
}

int scaling_cp_manages_protection(const struct ecs_capacity_provider *cps, size_t n,
                                  const struct asg_group *g)
{
    for (size_t i = 0; i < n; i++)
        if (scaling_cp_is_groups(&cps[i], g) && cps[i].managed_termination_protection)
            return 1;
    return 0;
}

const char *scaling_cp_protecting_tasks(const struct ecs_capacity_provider *cps, size_t n,
                                        const struct asg_group *g)
{
    for (size_t i = 0; i < n; i++)
        if (scaling_cp_is_groups(&cps[i], g) && cps[i].managed_termination_protection &&
            cps[i].managed_scaling)
            return cps[i].name ? cps[i].name : "";
    return NULL;
}

void scaling_cp_notes(const struct ecs_capacity_provider *cps, size_t n, const struct asg_group *g,
                      struct strv *warnings)
{
    for (size_t i = 0; i < n; i++) {
        const struct ecs_capacity_provider *cp = &cps[i];
        if (!scaling_cp_is_groups(cp, g))
            continue;
        if (cp->managed_scaling)
            strv_pushf(warnings,
                       "capacity provider %s scales group %s (managed scaling) through the "
                       "group's target tracking policy: the rollout keeps AlarmNotification "
                       "suspended while it runs, so the policy cannot undo the scale-out, and "
                       "resumes it %s",
                       cp->name, g->name,
                       cp->managed_termination_protection
                           ? "at the end: managed termination protection keeps every instance "
                             "with tasks from scale in"
                           : "once no scale-in alarm is left in ALARM from the doubled period");
        if (cp->managed_termination_protection)
            strv_pushf(warnings,
                       "capacity provider %s protects instances with tasks from scale in "
                       "(managed termination protection): the rollout drains instances and then "
                       "terminates them explicitly, which scale-in protection does not prevent; "
                       "it changes no instance's protection",
                       cp->name);
        if (cp->managed_draining)
            strv_pushf(warnings,
                       "capacity provider %s drains instances before they terminate (managed "
                       "draining): the rollout drains them first, so ECS's termination hook finds "
                       "them empty and lets them go",
                       cp->name);
    }
}

static void format_duration(long s, char *out, size_t cap);

void scaling_hook_notes(const struct asg_lifecycle_hook *hooks, size_t n, struct strv *warnings)
{
    for (size_t i = 0; i < n; i++) {
        const struct asg_lifecycle_hook *h = &hooks[i];
        int terminating = h->transition && strcmp(h->transition, ASG_TRANSITION_TERMINATING) == 0;
        char heartbeat[32], global[32];
        format_duration(h->heartbeat_timeout, heartbeat, sizeof(heartbeat));
        format_duration(h->global_timeout, global, sizeof(global));
        strv_pushf(warnings,
                   "lifecycle hook %s holds each %s instance until its owner completes it (%s "
                   "without a heartbeat, %s at most): the rollout waits for it and never "
                   "completes it",
                   h->name, terminating ? "terminating" : "launching", heartbeat, global);
    }
}

void scaling_refusals(const struct asg_group *g, const struct asg_instance_refresh *refreshes,
                      size_t n_refreshes, struct strv *problems)
{
    if (g->status && *g->status)
        strv_pushf(problems,
                   "group %s is being deleted (%s): there is nothing to roll out on a group that "
                   "is going away; let the deletion finish and roll out on the group that "
                   "replaces it",
                   g->name, g->status);
    for (size_t i = 0; i < n_refreshes; i++) {
        const struct asg_instance_refresh *r = &refreshes[i];
        if (!asg_instance_refresh_is_active(r))
            continue;
        strv_pushf(problems,
                   "group %s has instance refresh %s %s (%d%% done): it replaces the same "
                   "instances and would fight the rollout; wait for it to end, or cancel it "
                   "(aws autoscaling cancel-instance-refresh --auto-scaling-group-name %s), then "
                   "run again",
                   g->name, r->id, r->status, r->percentage_complete, g->name);
        break; /* AWS runs one at a time */
    }
}

void scaling_standby_refusal(const struct asg_group *g, const struct strv *standby_outdated,
                             struct strv *problems)
{
    if (!standby_outdated->n)
        return;
    struct buf ids = BUF_INIT;
    for (size_t i = 0; i < standby_outdated->n && i < 5; i++)
        buf_printf(&ids, "%s%s", i ? " " : "", standby_outdated->v[i]);
    strv_pushf(problems,
               "%zu instance(s) of group %s in Standby are out of date (%s%s): the rollout does "
               "not touch Standby instances, so they would stay out of date; put them back in "
               "service (aws autoscaling exit-standby --auto-scaling-group-name %s --instance-ids "
               "%s) or detach them (aws autoscaling detach-instances), then run again",
               standby_outdated->n, g->name, buf_cstr(&ids), standby_outdated->n > 5 ? " ..." : "",
               g->name, buf_cstr(&ids));
    buf_free(&ids);
}

void scaling_services_below_desired(const struct ecs_service *services, size_t n,
                                    struct strv *warnings)
{
    struct buf list = BUF_INIT;
    size_t below = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ecs_service *s = &services[i];
        if (s->status && strcmp(s->status, "ACTIVE") != 0)
            continue;
        if (s->running_count >= s->desired_count)
            continue;
        if (below++ < 5)
            buf_printf(&list, "%s%s (%d of %d running)", below > 1 ? ", " : "", s->name,
                       s->running_count, s->desired_count);
    }
    if (below)
        strv_pushf(warnings,
                   "%zu service(s) are already below their desired count: %s%s; the rollout "
                   "waits for a service only when it drains that service's tasks, and then for "
                   "no more than it was running before",
                   below, buf_cstr(&list), below > 5 ? ", ..." : "");
    buf_free(&list);
}

static const struct cw_alarm *find_alarm(const struct cw_alarm *alarms, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (alarms[i].name && strcmp(alarms[i].name, name) == 0)
            return &alarms[i];
    return NULL;
}

void scaling_policy_alarm_names(const struct asg_policy *policies, size_t n, struct strv *out)
{
    for (size_t i = 0; i < n; i++) {
        if (!policies[i].enabled)
            continue;
        for (size_t j = 0; j < policies[i].alarm_names.n; j++)
            if (!strv_contains(out, policies[i].alarm_names.v[j]))
                strv_push(out, policies[i].alarm_names.v[j]);
    }
}

void scaling_scale_in_alarms(const struct asg_policy *policies, size_t n_policies,
                             const struct cw_alarm *alarms, size_t n_alarms, struct strv *out)
{
    for (size_t i = 0; i < n_policies; i++) {
        const struct asg_policy *p = &policies[i];
        int verdict = asg_policy_can_scale_in(p);
        if (verdict == 0)
            continue;
        for (size_t j = 0; j < p->alarm_names.n; j++) {
            const char *name = p->alarm_names.v[j];
            if (strv_contains(out, name))
                continue;
            if (verdict < 0) {
                /* Target tracking: its alarm below the target scales in; an
                 * alarm that cannot be described is counted (the safe side). */
                const struct cw_alarm *a = find_alarm(alarms, n_alarms, name);
                if (a && !asg_alarm_comparison_scales_in(a->comparison_operator))
                    continue;
            }
            strv_push(out, name);
        }
    }
}

static long alarm_bound_s(const struct cw_alarm *a)
{
    long period = a->period > 0 ? a->period : 60;
    long evals = a->evaluation_periods > 0 ? a->evaluation_periods : 1;
    return period * (evals + 1);
}

static void format_duration(long s, char *out, size_t cap)
{
    if (s < 120)
        snprintf(out, cap, "%ld s", s);
    else if (s < 3 * 3600)
        snprintf(out, cap, "%ld min", (s + 59) / 60);
    else
        snprintf(out, cap, "%ld h", (s + 3599) / 3600);
}

void scaling_alarm_gate(const struct strv *scale_in, const struct cw_alarm *alarms, size_t n,
                        long waited_s, struct alarm_gate *out)
{
    memset(out, 0, sizeof(*out));
    struct buf waiting = BUF_INIT, expired = BUF_INIT;
    for (size_t i = 0; i < scale_in->n; i++) {
        const struct cw_alarm *a = find_alarm(alarms, n, scale_in->v[i]);
        if (!a || !a->state || strcmp(a->state, "ALARM") != 0 || !a->actions_enabled)
            continue;
        long bound = alarm_bound_s(a);
        if (bound > out->bound_s)
            out->bound_s = bound;
        struct buf *b = waited_s < bound ? &waiting : &expired;
        buf_printf(b, "%s%s", b->len ? ", " : "", a->name);
        if (waited_s < bound)
            out->wait = 1;
        else
            out->expired = 1;
    }
    char d[32];
    format_duration(out->bound_s, d, sizeof(d));
    if (out->wait)
        snprintf(out->message, sizeof(out->message),
                 "scale-in alarm(s) %s still in ALARM from the doubled period: AlarmNotification "
                 "stays suspended until they clear (up to %s), so resuming it cannot scale in "
                 "instances the rollout has not drained",
                 buf_cstr(&waiting), d);
    else if (out->expired)
        snprintf(out->message, sizeof(out->message),
                 "scale-in alarm(s) %s still in ALARM after a full evaluation window at the "
                 "group's original size: they judge the group as it is now, so AlarmNotification "
                 "is resumed and their policies act as they would have without the rollout",
                 buf_cstr(&expired));
    buf_free(&waiting);
    buf_free(&expired);
}

void scaling_alarm_gate_protected(struct alarm_gate *gate, const char *provider)
{
    if (!gate->wait && !gate->expired)
        return;
    gate->wait = gate->expired = 0;
    gate->protected_ = 1;
    snprintf(gate->message, sizeof(gate->message),
             "scale-in alarm(s) in ALARM, AlarmNotification resumed without waiting for them: "
             "capacity provider %s protects every instance that runs tasks from scale in "
             "(managed termination protection), so a scale-in can take only instances without "
             "tasks, which ECS drains itself",
             provider);
}

static void format_time(long long t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        snprintf(out, 32, "@%lld", t);
    else
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void format_size(struct buf *b, const char *what, int v)
{
    if (v >= 0)
        buf_printf(b, "%s%s %d", b->len ? ", " : "", what, v);
}

void scaling_scheduled_due(const struct asg_scheduled_action *v, size_t n, long long from,
                           long long to, struct strv *out)
{
    struct strv seen = STRV_INIT;
    for (size_t i = 0; i < n; i++) {
        const struct asg_scheduled_action *a = &v[i];
        if (!a->start_time || a->start_time < from || a->start_time > to)
            continue;
        if (strv_contains(&seen, a->name))
            continue;
        strv_push(&seen, a->name);
        struct buf sizes = BUF_INIT;
        format_size(&sizes, "min", a->min_size);
        format_size(&sizes, "max", a->max_size);
        format_size(&sizes, "desired", a->desired_capacity);
        char when[32];
        format_time(a->start_time, when);
        strv_pushf(out,
                   "scheduled action %s came due at %s during the rollout, while ScheduledActions "
                   "was suspended, and was not run%s%s%s: the rollout restored the sizes it "
                   "found; apply the action's sizes yourself if they still matter",
                   a->name, when, sizes.len ? " (it sets " : "", buf_cstr(&sizes),
                   sizes.len ? ")" : "");
        buf_free(&sizes);
    }
    strv_free(&seen);
}
