/* The one timer rule: how long each wait may last, and what restarts its
 * clock. Pure: the engine and test_decide apply the same functions. */
#include <stdio.h>
#include <string.h>

#include "rollout/decide_impl.h"

long rollout_wait_limit(enum rollout_wait w, const struct rollout_options *o)
{
    switch (w) {
    case WAIT_NEW_INSTANCES:
    case WAIT_TERMINATION:
        return o->instance_timeout_s;
    case WAIT_DRAIN:
    case WAIT_SERVICES:
    case WAIT_EXCLUDED:
        return o->drain_timeout_s;
    case WAIT_ALARMS: /* bounded by each alarm's evaluation window (rollout/scaling.h) */
    case WAIT_NONE:
        break;
    }
    return 0;
}

long wait_limit_held(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                     const struct rollout_options *o, const struct rollout_timers *t,
                     enum rollout_wait w, char *what, size_t cap)
{
    what[0] = '\0';
    long base = rollout_wait_limit(w, o);
    if (base <= 0 || (w != WAIT_NEW_INSTANCES && w != WAIT_TERMINATION))
        return base;
    int term = w == WAIT_TERMINATION;
    long waited = t && t->waiting == w ? (long)(s->now - t->since) : 0;
    /* Held at the previous poll: maybe until just now. */
    long held = 0;
    if (t && t->waiting == w && (t->held_last || t->held_until > t->since))
        held = (long)((t->held_last ? s->now : t->held_until) - t->since);
    struct hook_hold h;
    hook_hold_assess(s->hooks, s->n_hooks, term, term ? a->termination_held : a->launch_held, base,
                     waited, held, &h);
    snprintf(what, cap, "%s", h.what);
    return h.limit_s;
}

int wait_expired_held(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                      const struct rollout_options *o, const struct rollout_timers *t,
                      enum rollout_wait w)
{
    char what[256];
    long limit = wait_limit_held(s, a, o, t, w, what, sizeof(what));
    return t && t->waiting == w && limit > 0 && s->now - t->since > limit;
}

int rollout_wait_expired(const struct rollout_timers *t, enum rollout_wait w,
                         const struct rollout_options *o, long long now)
{
    long limit = rollout_wait_limit(w, o);
    return t && t->waiting == w && limit > 0 && now - t->since > limit;
}

void rollout_timers_note(struct rollout_timers *t, const struct rollout_decision *d, long long now)
{
    switch (d->action) {
    case ACT_WAIT:
        if (t->waiting != d->wait) {
            unsigned bit = 1u << d->wait;
            if (!(t->started_set & bit)) {
                t->started[d->wait] = now;
                t->started_set |= bit;
            }
            t->waiting = d->wait;
            t->since = t->started[d->wait];
            t->held_until = 0;
            t->held_last = 0;
        }
        return;
    case ACT_SET_DESIRED:
    case ACT_DRAIN:
    case ACT_TERMINATE:
    case ACT_FINISH:
    case ACT_FAIL:
        t->waiting = WAIT_NONE;
        t->started_set = 0; /* a step forward: every wait starts afresh */
        break;
    case ACT_STOP_TASKS:
    case ACT_ACTIVATE:
    case ACT_SUSPEND:
    case ACT_RAISE_MAX:
    case ACT_HOLD_LAUNCHES:
    case ACT_RESUME:
    case ACT_RECORD_SIZES:
    case ACT_UNPROTECT:
    case ACT_NOTHING_TO_DO:
    case ACT_BEGIN:
        break;
    }
    if (d->evens_zones)
        t->zone_evenings++;
}

void rollout_timers_observe(struct rollout_timers *t, const struct rollout_assessment *a,
                            long long now)
{
    if (t->waiting != WAIT_NEW_INSTANCES && t->waiting != WAIT_TERMINATION)
        return;
    int held = t->waiting == WAIT_TERMINATION ? a->termination_held : a->launch_held;
    if (held > 0 || t->held_last)
        t->held_until = now;
    t->held_last = held > 0;
}

void wait_or_fail(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                  const struct rollout_options *o, const struct rollout_timers *t,
                  enum rollout_wait w, struct rollout_decision *d)
{
    d->wait = w;
    char what[256];
    long limit = wait_limit_held(s, a, o, t, w, what, sizeof(what));
    if (what[0]) {
        size_t used = strlen(d->message);
        snprintf(d->message + used, sizeof(d->message) - used, "; %s", what);
    }
    if (t && t->waiting == w && limit > 0 && s->now - t->since > limit) {
        char why[sizeof(d->message)];
        snprintf(why, sizeof(why), "%s", d->message);
        decision_say(d, ACT_FAIL, "timed out after %lds: %s", limit, why);
    }
}

int evening_given_up(const struct rollout_snapshot *s, const struct rollout_options *o,
                     const struct rollout_timers *t)
{
    return rollout_wait_expired(t, WAIT_NEW_INSTANCES, o, s->now);
}

double rollout_termination_poll(int before, int leaving, double elapsed, double interval)
{
    if (before <= leaving || leaving <= 0 || !(elapsed > 0) || !(interval > 0))
        return interval;
    double due = leaving * elapsed / (before - leaving);
    if (due >= interval)
        return interval;
    return due < interval / 4 ? interval / 4 : due;
}
