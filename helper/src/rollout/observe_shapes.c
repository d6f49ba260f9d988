/* Observing what the cluster shapes of issue 12 add to a snapshot: the
 * members' launch times, the rollout's marks and whose drains are whose,
 * and the group's lifecycle hooks. Each costs a call only when something
 * is not known yet (or now and then for what can change: hooks). The
 * launch specification with every mixed instances override is resolved in
 * target.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/observe.h"
#include "svc/asg_config.h"
#include "svc/ec2.h"
#include "util/mem.h"
#include "util/strindex.h"

/* ---- freeing ---- */

static void hooks_free(struct hook_timeout *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)h[i].name);
    free(h);
}

void observer_shapes_free(struct observer_shapes *sh)
{
    for (size_t i = 0; i < sh->n_lts; i++)
        ec2_launch_template_free(&sh->lts[i]);
    free(sh->lts);
    free(sh->spec_key);
    launch_spec_free(&sh->spec);
    strv_free(&sh->time_ids);
    str_index_free(&sh->time_ix);
    free(sh->times);
    strv_free(&sh->own_drains);
    strv_free(&sh->draining_at_start);
    strv_free(&sh->seen_undrained);
    strv_free(&sh->unseen_at_start);
    hooks_free(sh->hooks, sh->n_hooks);
    memset(sh, 0, sizeof(*sh));
}

void snapshot_shapes_free(struct rollout_snapshot *s)
{
    launch_spec_free(&s->spec);
    free(s->launch_time);
    s->launch_time = NULL;
    rollout_marks_free(&s->marks);
    strv_free(&s->not_ours);
    strv_free(&s->ci_lost);
    hooks_free(s->hooks, s->n_hooks);
    s->hooks = NULL;
    s->n_hooks = 0;
}

/* ---- launch times ---- */

/* The launch time known for an instance: > 0, -1 when EC2 gave none, 0 when
 * not asked yet (or EC2 did not list it yet). */
static long long time_of(const struct observer_shapes *sh, const char *id)
{
    long i = str_index_find(&sh->time_ix, id, str_index_strv_key, &sh->time_ids);
    return i >= 0 ? sh->times[i] : 0;
}

int observe_launch_times(struct observer *ob, struct rollout_snapshot *s, struct err *err)
{
    struct observer_shapes *sh = &ob->sh;
    const struct asg_group *g = &s->group;
    struct strv ask = STRV_INIT;
    for (size_t i = 0; i < g->n_instances; i++)
        if (!time_of(sh, g->instances[i].instance_id))
            strv_push(&ask, g->instances[i].instance_id);
    if (ask.n) {
        struct ec2_instance *found = NULL;
        size_t n = 0;
        if (ob->ops->describe_instances(ob->ops->ctx, (const char *const *)ask.v, ask.n, &found, &n,
                                        err) != 0) {
            strv_free(&ask);
            return err_prefix(err, "reading the launch times of group %s's instances: ", g->name);
        }
        for (size_t i = 0; i < n; i++) {
            if (!found[i].instance_id || time_of(sh, found[i].instance_id))
                continue;
            /* An answer without launchTime (an endpoint that leaves it out)
             * is not asked again: -1, unknown for good. */
            sh->times = xgrow(sh->times, &sh->cap_times, sh->time_ids.n + 1, sizeof(*sh->times));
            sh->times[sh->time_ids.n] = found[i].launch_time > 0 ? found[i].launch_time : -1;
            strv_push(&sh->time_ids, found[i].instance_id);
            str_index_add(&sh->time_ix, sh->time_ids.n - 1, str_index_strv_key, &sh->time_ids);
        }
        ec2_instances_free(found, n);
    }
    strv_free(&ask);
    s->launch_time = xcalloc(g->n_instances ? g->n_instances : 1, sizeof(*s->launch_time));
    for (size_t i = 0; i < g->n_instances; i++) {
        long long t = time_of(sh, g->instances[i].instance_id);
        s->launch_time[i] = t > 0 ? t : 0;
    }
    return 0;
}

/* ---- marks and foreign drains ---- */

static int is_draining_ci(const struct ecs_container_instance *ci)
{
    return ci->status && strcmp(ci->status, "DRAINING") == 0;
}

static int ci_of_instance(const struct rollout_snapshot *s, const char *id)
{
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ec2_instance_id && strcmp(s->cis[i].ec2_instance_id, id) == 0)
            return 1;
    return 0;
}

/* Removes id from v; 1 when it was there. */
static int take_id(struct strv *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], id) == 0) {
            free(v->v[i]);
            v->v[i] = v->v[--v->n];
            return 1;
        }
    return 0;
}

int observe_marks(struct observer *ob, struct rollout_snapshot *s, struct err *err)
{
    struct observer_shapes *sh = &ob->sh;
    char why[256];
    if (rollout_marks_parse(&s->group, &s->marks, why, sizeof(why)) != 0)
        return err_set(err, ERR_STATE, "Auto Scaling group %s: %s", s->group.name, why);
    /* Whose drain: before the rollout, every drain is someone else's (the
     * rollout records them when it begins). During it, a drain is someone
     * else's when it was recorded so at the start (and has not ended
     * since), or when it began during this run without this run making
     * it; a drain present when this run started (a previous run of the
     * same rollout) and not recorded is the rollout's. */
    int first = !sh->started;
    /* A member whose container instance this run's first poll did not see
     * (ECS answered MISSING, an eventually consistent Describe; Amazon ECS
     * API Reference, "Failure") counts as seen at the start when it first
     * shows up: a drain it then shows is as old as this run, not one that
     * began during it (chaos seed 31 rollout 0: a resumed run took the
     * previous run's stuck drain for someone else's). Only when resumed:
     * before the rollout begins, every drain is someone else's. */
    if (first && s->state.in_progress)
        for (size_t k = 0; k < s->group.n_instances; k++)
            if (!ci_of_instance(s, s->group.instances[k].instance_id))
                strv_push(&sh->unseen_at_start, s->group.instances[k].instance_id);
    for (size_t i = 0; i < s->n_cis; i++) {
        const struct ecs_container_instance *ci = &s->cis[i];
        if (!ci->ec2_instance_id)
            continue;
        const char *id = ci->ec2_instance_id;
        int late_first_sight = !first && take_id(&sh->unseen_at_start, id);
        if (!is_draining_ci(ci)) {
            if (!strv_contains(&sh->seen_undrained, id))
                strv_push(&sh->seen_undrained, id);
            continue;
        }
        if ((first || late_first_sight) && !strv_contains(&sh->draining_at_start, id))
            strv_push(&sh->draining_at_start, id);
        int mine = strv_contains(&sh->own_drains, id);
        int foreign;
        if (!s->state.in_progress)
            foreign = 1;
        else if (strv_contains(&s->marks.foreign, id) && !strv_contains(&sh->seen_undrained, id))
            foreign = !mine;
        else
            foreign = !mine && !strv_contains(&sh->draining_at_start, id);
        if (foreign && !strv_contains(&s->not_ours, id))
            strv_push(&s->not_ours, id);
    }
    sh->started = 1;
    return 0;
}

void observer_note_drains(struct observer *ob, const struct strv *ids)
{
    for (size_t i = 0; i < ids->n; i++) {
        if (!strv_contains(&ob->sh.own_drains, ids->v[i]))
            strv_push(&ob->sh.own_drains, ids->v[i]);
    }
}

/* ---- lifecycle hooks ---- */

/* The hooks are asked again this often (seconds): ECS managed draining or
 * an operator may add one during a long rollout. */
#define HOOKS_TTL_S 300

static void hooks_copy_out(const struct observer_shapes *sh, struct rollout_snapshot *s)
{
    s->hooks = xcalloc(sh->n_hooks ? sh->n_hooks : 1, sizeof(*s->hooks));
    s->n_hooks = sh->n_hooks;
    for (size_t i = 0; i < sh->n_hooks; i++) {
        s->hooks[i] = sh->hooks[i];
        s->hooks[i].name = xstrdup(sh->hooks[i].name);
    }
}

int observe_hooks(struct observer *ob, struct rollout_snapshot *s, long long now, struct err *err)
{
    struct observer_shapes *sh = &ob->sh;
    if (!sh->hooks_known || now - sh->hooks_at >= HOOKS_TTL_S) {
        struct asg_lifecycle_hook *v = NULL;
        size_t n = 0;
        if (ob->ops->describe_lifecycle_hooks(ob->ops->ctx, s->group.name, &v, &n, err) != 0)
            return err_prefix(err, "reading the lifecycle hooks of group %s: ", s->group.name);
        hooks_free(sh->hooks, sh->n_hooks);
        sh->hooks = xcalloc(n ? n : 1, sizeof(*sh->hooks));
        sh->n_hooks = n;
        for (size_t i = 0; i < n; i++) {
            sh->hooks[i].name = xstrdup(v[i].name ? v[i].name : "?");
            sh->hooks[i].terminating =
                v[i].transition && strcmp(v[i].transition, ASG_TRANSITION_TERMINATING) == 0;
            sh->hooks[i].heartbeat_s = v[i].heartbeat_timeout;
            sh->hooks[i].global_s = v[i].global_timeout;
        }
        asg_lifecycle_hooks_free(v, n);
        sh->hooks_known = 1;
        sh->hooks_at = now;
    }
    hooks_copy_out(sh, s);
    return 0;
}
