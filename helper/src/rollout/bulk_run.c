/* The engine's side of the bulk scale-in (bulk.h): whether ECS manages
 * the group's protection, the check of a scale-in's victims, and taking
 * the rollout's protection off when a run stops on request. */
#include <stdio.h>
#include <string.h>

#include "rollout/bulk.h"
#include "rollout/decide_impl.h"
#include "rollout/engine_impl.h"

/* Whether the bulk scale-in or its restore rule may look at protection in
 * this snapshot (bulk.h): a member is protected, or enough are DRAINING
 * for a bulk scale-in. */
static int protection_may_matter(const struct engine *e, const struct rollout_snapshot *s)
{
    for (size_t i = 0; i < s->group.n_instances; i++)
        if (s->group.instances[i].protected_from_scale_in)
            return 1;
    int from = e->cfg->options.bulk_terminate_from, draining = 0;
    for (size_t i = 0; from > 0 && i < s->n_cis; i++)
        draining += s->cis[i].status && strcmp(s->cis[i].status, "DRAINING") == 0;
    return from > 0 && draining >= from;
}

/* Fills s->protection_managed, reading the group's capacity providers once
 * a run, when it may matter: a rule that would touch protection must know
 * whether ECS manages it. */
int bulk_note_protection(struct engine *e, struct rollout_snapshot *s, struct err *err)
{
    if (e->protection_managed < 0 && protection_may_matter(e, s)) {
        int managed = 0;
        if (scaling_read_protection_managed(e->ops, e->cfg->cluster_name, &s->group, &managed,
                                            err) != 0)
            return -1;
        e->protection_managed = managed;
    }
    s->protection_managed = e->protection_managed;
    return 0;
}

static int counted_in(const struct asg_group *g, const char *id)
{
    for (size_t i = 0; i < g->n_instances; i++)
        if (g->instances[i].instance_id && strcmp(g->instances[i].instance_id, id) == 0)
            return bulk_counted_state(g->instances[i].lifecycle_state);
    return 0;
}

/* Once the latest bulk scale-in has picked its victims: were they the
 * drained instances? Another member gone meanwhile is said, never hidden
 * (a health check replacement, someone else's termination, or the
 * scale-in itself). */
void bulk_check_victims(struct engine *e, const struct rollout_snapshot *s)
{
    if (!e->bulk_victims.n || rollout_bulk_in_flight(s))
        return;
    for (size_t i = 0; i < e->bulk_kept.n; i++)
        if (!counted_in(&s->group, e->bulk_kept.v[i]))
            emitf(e, EV_WARNING,
                  "instance %s left the group during the scale-in of the drained instances, "
                  "which was to keep it",
                  e->bulk_kept.v[i]);
    for (size_t i = 0; i < e->bulk_victims.n; i++)
        if (counted_in(&s->group, e->bulk_victims.v[i]))
            emitf(e, EV_WARNING, "the scale-in did not take drained instance %s",
                  e->bulk_victims.v[i]);
    strv_free(&e->bulk_victims);
    strv_free(&e->bulk_kept);
}

/* How long a run stopped on request waits for its scale-in to pick its
 * instances before it leaves the protection to the next run (seconds).
 * Auto Scaling starts a scale-in's terminations within moments of the
 * desired change. */
#define UNPROTECT_ON_STOP_S 30.0

/* A run stopped on request after it began a bulk scale-in (its desired
 * change may have gone through even when its answer was cut short): the
 * protection it added comes off before the lease goes, once the scale-in
 * has picked; what is left, the next run's first poll takes off (the
 * restore rule). */
void bulk_unprotect_on_stop(struct engine *e)
{
    double until = engine_mono_s(e) + UNPROTECT_ON_STOP_S;
    while (e->bulk_tried && !e->lost_lease) {
        struct rollout_snapshot s;
        struct err err;
        if (observe(&e->ob, (long long)engine_wall_s(e), &s, &err) != 0) {
            emit_err(e, EV_WARNING, "could not check the scale-in protection it added", &err);
            return;
        }
        s.protection_managed = e->protection_managed;
        struct rollout_decision d;
        memset(&d, 0, sizeof(d));
        int in_flight = rollout_bulk_in_flight(&s);
        int n = in_flight ? 0 : rollout_protection_to_restore(&s, &d);
        if (n > 0) {
            decision_say(&d, ACT_UNPROTECT,
                         "taking scale-in protection off %d instance(s) launched during the "
                         "rollout before stopping",
                         n);
            if (act_perform(e, &s, &d, &err) == 0)
                emit(e, EV_ACTION, rollout_action_name(d.action), d.message, &d.ids, NULL);
            else
                emit_err(e, EV_WARNING, "could not take the scale-in protection off", &err);
        }
        rollout_decision_free(&d);
        rollout_snapshot_free(&s);
        if (!in_flight)
            return;
        if (engine_mono_s(e) >= until) {
            emitf(e, EV_WARNING,
                  "the scale-in of the drained instances had not taken them after %.0fs: the "
                  "scale-in protection it added stays until the next run takes it off",
                  UNPROTECT_ON_STOP_S);
            return;
        }
        e->ops->sleep(e->ops->ctx, e->poll_min);
    }
}
