/* The parts of the decisions that the cluster shapes of issue 12 add:
 * capacity counted in units (mixed instances weights), the floor of the
 * capacity rule without the instances the rollout leaves alone (someone
 * else's drains, disconnected agents), waits on terminations that
 * lifecycle hooks hold, and the end of a rollout that could not replace
 * everything. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/decide_impl.h"
#include "util/mem.h"

int capacity_floor(const struct rollout_snapshot *s, const struct rollout_assessment *a)
{
    return s->state.desired_capacity - a->excluded_units;
}

static int left_alone(const struct instance_view *v)
{
    return v->outdated && ((v->foreign && v->phase != PHASE_DRAINED) || v->agent_lost);
}

static int replaceable(const struct instance_view *v)
{
    return view_is_member(v) && v->outdated && !left_alone(v);
}

int batch_units(const struct rollout_assessment *a, int k)
{
    if (k <= 0)
        return 0;
    int *u = xcalloc(a->n ? a->n : 1, sizeof(*u));
    int n = 0, total = 0;
    for (size_t i = 0; i < a->n; i++)
        if (replaceable(&a->v[i]))
            u[n++] = a->v[i].units;
    /* The largest first: room for whichever of them goes. */
    for (int taken = 0; taken < k && taken < n; taken++) {
        int best = taken;
        for (int j = taken + 1; j < n; j++)
            if (u[j] > u[best])
                best = j;
        int tmp = u[taken];
        u[taken] = u[best];
        u[best] = tmp;
        total += u[taken];
    }
    free(u);
    return total;
}

int smallest_units(const struct rollout_assessment *a, view_pred p1, view_pred p2)
{
    int least = NO_UNITS;
    for (size_t i = 0; i < a->n; i++)
        if ((p1(&a->v[i]) || p2(&a->v[i])) && a->v[i].units < least)
            least = a->v[i].units;
    return least;
}

void describe_excluded(const struct rollout_assessment *a, char *buf, size_t cap)
{
    size_t used = 0;
    int listed = 0, n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        if (!view_is_member(v) || !left_alone(v))
            continue;
        n++;
        if (listed++ >= 3 || used >= cap)
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s %s", used ? "; " : "", v->asg->instance_id,
                         v->foreign ? "is DRAINING by someone else (a Spot interruption or an "
                                      "operator), not the rollout's to replace"
                                    : "has its ECS agent disconnected, so it cannot drain (ECS "
                                      "stops a draining instance's tasks through its agent)");
        if (w > 0)
            used += (size_t)w;
    }
    if (n > 3 && used < cap)
        snprintf(buf + used, cap - used, "; and %d more", n - 3);
}

int wait_for_termination(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                         const struct rollout_options *o, const struct rollout_timers *t,
                         struct rollout_decision *d, char *note, size_t cap)
{
    note[0] = '\0';
    if (a->leaving <= 0)
        return 0;
    if (!wait_expired_held(s, a, o, t, WAIT_TERMINATION)) {
        decision_say(d, ACT_WAIT, "waiting for %d instance(s) to finish terminating", a->leaving);
        wait_or_fail(s, a, o, t, WAIT_TERMINATION, d);
        return 1;
    }
    snprintf(note, cap,
             " (%d drained instance(s) still terminating%s: nothing of theirs is left to wait "
             "for)",
             a->leaving, a->termination_held ? ", held by a lifecycle hook" : "");
    return 0;
}

void finish_or_wait_excluded(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                             const struct rollout_options *o, const struct rollout_timers *t,
                             struct rollout_decision *d, const char *terminating)
{
    char which[512];
    describe_excluded(a, which, sizeof(which));
    if (!wait_expired_held(s, a, o, t, WAIT_EXCLUDED)) {
        decision_say(d, ACT_WAIT, "every other instance is current; %d cannot be replaced now: %s",
                     a->excluded, which);
        d->wait = WAIT_EXCLUDED;
        return;
    }
    d->incomplete = 1;
    decision_say(d, ACT_FINISH,
                 "restoring the group with %d instance(s) left out of date, which could not be "
                 "replaced safely: %s. Run the same command again once that has changed%s",
                 a->excluded, which, terminating);
}
