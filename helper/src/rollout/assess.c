/* Turns a snapshot into one view per instance: is it out of date, and where
 * is it in its life (launching, serving, draining, leaving). Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/model.h"
#include "util/mem.h"
#include "util/strindex.h"

const char *instance_phase_name(enum instance_phase p)
{
    switch (p) {
    case PHASE_LAUNCHING:
        return "launching";
    case PHASE_UNREGISTERED:
        return "not registered";
    case PHASE_DISCONNECTED:
        return "agent disconnected";
    case PHASE_ACTIVE:
        return "active";
    case PHASE_DRAINING:
        return "draining";
    case PHASE_DRAINED:
        return "drained";
    case PHASE_LEAVING:
        return "leaving";
    case PHASE_IGNORED:
        return "ignored";
    }
    return "?";
}

static int starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

const struct ecs_container_instance *snapshot_ci(const struct rollout_snapshot *s,
                                                 const char *instance_id)
{
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ec2_instance_id && strcmp(s->cis[i].ec2_instance_id, instance_id) == 0)
            return &s->cis[i];
    return NULL;
}

static const char *ci_instance(const void *v, size_t i)
{
    return ((const struct rollout_snapshot *)v)->cis[i].ec2_instance_id;
}

static const char *drain_instance(const void *v, size_t i)
{
    return ((const struct rollout_snapshot *)v)->drains[i].instance_id;
}

static enum instance_phase phase_of(const struct asg_instance *in,
                                    const struct ecs_container_instance *ci,
                                    const struct drain_tasks *drain)
{
    const char *ls = in->lifecycle_state ? in->lifecycle_state : "";
    if (starts_with(ls, "Terminat") || starts_with(ls, "Detach"))
        return PHASE_LEAVING;
    if (starts_with(ls, "Pending"))
        return PHASE_LAUNCHING;
    if (strcmp(ls, "InService") != 0)
        return PHASE_IGNORED; /* Standby, EnteringStandby, Warmed:*, ... */
    if (!ci || !ci->status)
        return PHASE_UNREGISTERED;
    if (strcmp(ci->status, "DRAINING") == 0)
        return drain && drain->known && drain->empty ? PHASE_DRAINED : PHASE_DRAINING;
    if (strcmp(ci->status, "ACTIVE") != 0)
        return PHASE_UNREGISTERED; /* REGISTERING, DEREGISTERING, ... */
    return ci->agent_connected ? PHASE_ACTIVE : PHASE_DISCONNECTED;
}

/* Why an instance is out of date, or "" when it is current: against the
 * resolved launch specification (per override), or, in snapshots built
 * without one, against the group's single target. */
static void judge_target(const struct rollout_snapshot *s, size_t idx, char *why, size_t cap)
{
    const struct asg_instance *in = &s->group.instances[idx];
    const struct rollout_target *t = &s->target;
    why[0] = '\0';
    if (t->launch_template_id || t->launch_template_name) {
        const struct asg_template_ref *lt = &in->launch_template;
        if (!lt->id && !lt->name) {
            snprintf(why, cap,
                     "launched from launch configuration %s, the group uses launch template %s",
                     in->launch_configuration ? in->launch_configuration : "(unknown)",
                     t->launch_template_id ? t->launch_template_id : t->launch_template_name);
            return;
        }
        int same_template = (lt->id && t->launch_template_id)
                                ? strcmp(lt->id, t->launch_template_id) == 0
                                : (lt->name && t->launch_template_name &&
                                   strcmp(lt->name, t->launch_template_name) == 0);
        if (!same_template) {
            snprintf(why, cap, "launched from launch template %s, the group uses %s",
                     lt->id ? lt->id : lt->name,
                     t->launch_template_id ? t->launch_template_id : t->launch_template_name);
            return;
        }
        char *end = NULL;
        long v = lt->version ? strtol(lt->version, &end, 10) : -1;
        if (!lt->version || !end || *end || v <= 0) {
            snprintf(why, cap, "launch template version \"%s\" is not a number",
                     lt->version ? lt->version : "");
            return;
        }
        if (v != t->launch_template_version) {
            snprintf(why, cap, "launch template version %ld, the group uses version %ld", v,
                     t->launch_template_version);
            return;
        }
    } else if (t->launch_configuration) {
        if (!in->launch_configuration ||
            strcmp(in->launch_configuration, t->launch_configuration) != 0) {
            snprintf(why, cap, "launched from %s%s, the group uses launch configuration %s",
                     in->launch_configuration ? "launch configuration " : "launch template ",
                     in->launch_configuration ? in->launch_configuration
                     : in->launch_template.id ? in->launch_template.id
                                              : "(unknown)",
                     t->launch_configuration);
            return;
        }
    }
}

static int spec_resolved(const struct launch_spec *spec)
{
    return spec->n > 0 || spec->launch_configuration;
}

static void judge(const struct rollout_snapshot *s, const struct rollout_options *o, size_t idx,
                  char *why, size_t cap)
{
    why[0] = '\0';
    if (spec_resolved(&s->spec))
        launch_spec_judge(&s->spec, &s->group.instances[idx], why, cap);
    else
        judge_target(s, idx, why, cap);
    if (!why[0] && o->ami && s->instance_ami && s->instance_ami[idx] &&
        strcmp(s->instance_ami[idx], o->ami) != 0)
        snprintf(why, cap, "runs %s, not %s", s->instance_ami[idx], o->ami);
}

/* The safety net under every judgement: an instance launched after the
 * rollout began (the rollout's own, or a replacement Auto Scaling made
 * meanwhile) is never a replacement target, whatever its template says -
 * judging those out of date would replace the replacements, forever. An
 * instance whose launch time is not known yet is given the same benefit
 * for now. */
static int launched_during(const struct rollout_snapshot *s, size_t idx)
{
    if (!s->state.in_progress || s->marks.launched_after <= 0 || !s->launch_time)
        return 0;
    return s->launch_time[idx] == 0 || rollout_launched_during(&s->marks, s->launch_time[idx]);
}

static int is_hook_wait(const char *ls)
{
    return ls && (strcmp(ls, "Pending:Wait") == 0 || strcmp(ls, "Terminating:Wait") == 0);
}

void rollout_assess(const struct rollout_snapshot *s, const struct rollout_options *o,
                    struct rollout_assessment *a)
{
    memset(a, 0, sizeof(*a));
    a->n = s->group.n_instances;
    a->v = xcalloc(a->n ? a->n : 1, sizeof(*a->v));
    /* Indexed: thousands of members, each looked up (issue 16). */
    struct str_index cis, drains;
    str_index_build(&cis, s->n_cis, ci_instance, s);
    str_index_build(&drains, s->n_drains, drain_instance, s);
    for (size_t i = 0; i < a->n; i++) {
        struct instance_view *v = &a->v[i];
        v->asg = &s->group.instances[i];
        long ci = str_index_find(&cis, v->asg->instance_id, ci_instance, s);
        long dr = str_index_find(&drains, v->asg->instance_id, drain_instance, s);
        v->ci = ci >= 0 ? &s->cis[ci] : NULL;
        v->drain = dr >= 0 ? &s->drains[dr] : NULL;
        v->phase = phase_of(v->asg, v->ci, v->drain);
        v->units = instance_units(v->asg);
        v->hook_wait = is_hook_wait(v->asg->lifecycle_state);
        v->ci_lost = strv_contains(&s->ci_lost, v->asg->instance_id);
        if (v->phase == PHASE_LEAVING) {
            a->leaving++;
            a->termination_held += v->hook_wait;
            continue;
        }
        if (v->phase == PHASE_IGNORED) {
            /* Not a member, but pre-flight refuses a Standby instance that
             * would stay out of date (rollout/scaling.h). */
            if (starts_with(v->asg->lifecycle_state ? v->asg->lifecycle_state : "", "Standby")) {
                judge(s, o, i, v->why, sizeof(v->why));
                v->outdated = v->why[0] != '\0';
            }
            continue;
        }
        judge(s, o, i, v->why, sizeof(v->why));
        v->outdated = v->why[0] != '\0';
        if (v->outdated && launched_during(s, i)) {
            char was[sizeof(v->why)];
            snprintf(was, sizeof(was), "%s", v->why);
            snprintf(v->why, sizeof(v->why),
                     "launched during the rollout, so not replaced (%.140s)", was);
            v->outdated = 0;
            v->kept = 1;
            a->kept++;
        }
        int draining = v->phase == PHASE_DRAINING || v->phase == PHASE_DRAINED;
        v->foreign = draining && strv_contains(&s->not_ours, v->asg->instance_id);
        v->agent_lost = v->outdated && v->phase == PHASE_DISCONNECTED;
        a->members++;
        a->members_units += v->units;
        a->launch_held += v->hook_wait;
        /* Someone else's drain that still holds tasks, or an agent that
         * cannot drain: left alone for now (an empty foreign drain is
         * replaced like the rollout's own). */
        if (v->outdated && ((v->foreign && v->phase != PHASE_DRAINED) || v->agent_lost)) {
            a->excluded++;
            a->excluded_units += v->units;
        }
        if (v->outdated) {
            a->outdated++;
            a->outdated_units += v->units;
        } else {
            a->current++;
        }
        if (v->phase == PHASE_ACTIVE) {
            a->active++;
            a->active_units += v->units;
        }
        if (v->outdated && v->phase == PHASE_ACTIVE)
            a->old_active_units += v->units;
        if (!v->outdated && v->phase == PHASE_ACTIVE)
            a->new_ready++;
        if (!v->outdated && (v->phase == PHASE_LAUNCHING || v->phase == PHASE_UNREGISTERED ||
                             v->phase == PHASE_DISCONNECTED))
            a->new_not_ready++;
        if (v->outdated && v->phase == PHASE_ACTIVE)
            a->old_active++;
        if (v->outdated && draining)
            a->old_draining++;
        if (!v->outdated && draining)
            a->new_draining++;
        if (draining && v->ci)
            a->tasks_to_move += v->ci->running_tasks_count + v->ci->pending_tasks_count;
    }
    str_index_free(&cis);
    str_index_free(&drains);
}

void rollout_assessment_free(struct rollout_assessment *a)
{
    free(a->v);
    memset(a, 0, sizeof(*a));
}
