/* The rollout's decisions: given what one poll observed, the single next
 * action. Pure functions; the engine performs the action and polls again.
 *
 * The safety rule everything rests on: an instance is put into DRAINING only
 * while the cluster keeps at least the group's original number of ACTIVE
 * container instances without it. New instances therefore have to be
 * registered and connected before any old one drains, and the group never
 * serves with less than it had. Instances are removed only once their tasks
 * are all STOPPED and the services they hosted are back at their desired
 * count, by terminating exactly those instances (never by lowering the
 * desired capacity and leaving the choice to the group). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/model.h"
#include "util/mem.h"

/* Processes that would fight a rollout: AZRebalance terminates instances to
 * even out zones, scaling policies and scheduled actions change the desired
 * capacity under our feet. Launch, Terminate, HealthCheck and
 * ReplaceUnhealthy stay on: the rollout needs them. */
const char *const rollout_processes_to_suspend[] = {"AZRebalance", "AlarmNotification",
                                                    "ScheduledActions"};
const size_t rollout_n_processes_to_suspend =
    sizeof(rollout_processes_to_suspend) / sizeof(rollout_processes_to_suspend[0]);

const char *rollout_action_name(enum rollout_action a)
{
    switch (a) {
    case ACT_WAIT:
        return "wait";
    case ACT_NOTHING_TO_DO:
        return "nothing-to-do";
    case ACT_BEGIN:
        return "begin";
    case ACT_SUSPEND:
        return "suspend-processes";
    case ACT_RAISE_MAX:
        return "raise-max-size";
    case ACT_SET_DESIRED:
        return "set-desired-capacity";
    case ACT_DRAIN:
        return "drain";
    case ACT_ACTIVATE:
        return "activate";
    case ACT_STOP_TASKS:
        return "stop-tasks";
    case ACT_TERMINATE:
        return "terminate";
    case ACT_FINISH:
        return "finish";
    case ACT_FAIL:
        return "fail";
    case ACT_HOLD_LAUNCHES:
        return "hold-launches";
    case ACT_RESUME:
        return "resume-processes";
    }
    return "?";
}

const char *rollout_wait_name(enum rollout_wait w)
{
    switch (w) {
    case WAIT_NONE:
        return "none";
    case WAIT_NEW_INSTANCES:
        return "new-instances";
    case WAIT_DRAIN:
        return "drain";
    case WAIT_SERVICES:
        return "services";
    case WAIT_TERMINATION:
        return "termination";
    }
    return "?";
}

void rollout_decision_free(struct rollout_decision *d)
{
    strv_free(&d->ids);
    memset(d, 0, sizeof(*d));
}

static int is_member(const struct instance_view *v);

int rollout_zone_spread(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                        int *zones)
{
    enum { MAX_ZONES = 64 };
    const char *names[MAX_ZONES];
    int count[MAX_ZONES] = {0};
    int n = 0;
    for (size_t i = 0; i < s->group.availability_zones.n && n < MAX_ZONES; i++)
        names[n++] = s->group.availability_zones.v[i];
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        if (!is_member(v) || !v->asg->availability_zone)
            continue;
        int z = 0;
        while (z < n && strcmp(names[z], v->asg->availability_zone) != 0)
            z++;
        if (z == n) {
            if (n == MAX_ZONES)
                continue;
            names[n++] = v->asg->availability_zone;
        }
        count[z]++;
    }
    *zones = n;
    if (n < 2)
        return 0;
    int lo = count[0], hi = count[0];
    for (int z = 1; z < n; z++) {
        lo = count[z] < lo ? count[z] : lo;
        hi = count[z] > hi ? count[z] : hi;
    }
    return hi - lo;
}

int rollout_batch_size(const struct rollout_options *o, int original_desired, int max_size)
{
    int b = o->batch_size > 0 ? o->batch_size : original_desired;
    if (b < 1)
        b = 1;
    if (o->keep_max_size && b > max_size - original_desired)
        b = max_size - original_desired;
    return b;
}

static void say(struct rollout_decision *d, enum rollout_action action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct rollout_decision *d, enum rollout_action action, const char *fmt, ...)
{
    d->action = action;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof(d->message), fmt, ap);
    va_end(ap);
}

static int is_draining(const struct instance_view *v)
{
    return v->phase == PHASE_DRAINING || v->phase == PHASE_DRAINED;
}

static int is_member(const struct instance_view *v)
{
    return v->phase != PHASE_LEAVING && v->phase != PHASE_IGNORED;
}

static int tasks_on(const struct instance_view *v)
{
    return v->ci ? v->ci->running_tasks_count + v->ci->pending_tasks_count : 0;
}

/* Which instances to take, when only some of the candidates are needed.
 * Auto Scaling launches into the zones with the fewest instances, so where
 * the rollout removes instances decides where the new ones land. Old
 * instances go first from the zones with the most old instances left (then
 * the most instances in all), which keeps the zones even as the group turns
 * over; other picks take from the zones that keep the most instances, as
 * Auto Scaling's own scale-in does. A group left uneven would be evened out
 * by AZRebalance once resumed - by launching, then terminating an instance
 * without draining it - so the rollout finishes by evening the zones itself
 * (see rollout_decide). */
struct candidate {
    const struct instance_view *v;
    int tasks;
    int taken;
};

static int zone_index(const char **zones, int *n_zones, int cap, const char *az)
{
    const char *z = az ? az : "";
    for (int i = 0; i < *n_zones; i++)
        if (strcmp(zones[i], z) == 0)
            return i;
    if (*n_zones == cap)
        return cap - 1;
    zones[*n_zones] = z;
    return (*n_zones)++;
}

typedef int (*view_pred)(const struct instance_view *v);

enum pick_order { BY_ZONE_SIZE, BY_OLD_IN_ZONE, BY_ZONE_SIZE_NEW_FIRST };

/* Adds up to k instance ids matching `pred` to d->ids. Returns how many. */
static int pick_ordered(const struct rollout_assessment *a, view_pred pred, int k,
                        enum pick_order order, struct rollout_decision *d)
{
    if (k <= 0)
        return 0;
    enum { MAX_ZONES = 64 };
    const char *zones[MAX_ZONES];
    int staying[MAX_ZONES] = {0};
    int old_left[MAX_ZONES] = {0};
    int n_zones = 0;
    struct candidate *c = xcalloc(a->n ? a->n : 1, sizeof(*c));
    int *zone_of = xcalloc(a->n ? a->n : 1, sizeof(*zone_of));
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        int z = zone_index(zones, &n_zones, MAX_ZONES, v->asg->availability_zone);
        if (is_member(v) && !is_draining(v)) {
            staying[z]++;
            old_left[z] += v->outdated;
        }
        if (!pred(v))
            continue;
        c[n].v = v;
        c[n].tasks = tasks_on(v);
        zone_of[n] = z;
        n++;
    }
    int added = 0;
    while (added < k) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (c[i].taken)
                continue;
            if (best == n) {
                best = i;
                continue;
            }
            int oi = order == BY_OLD_IN_ZONE ? old_left[zone_of[i]] : 0;
            int ob = order == BY_OLD_IN_ZONE ? old_left[zone_of[best]] : 0;
            int zi = staying[zone_of[i]], zb = staying[zone_of[best]];
            int ni = order == BY_ZONE_SIZE_NEW_FIRST ? !c[i].v->outdated : 0;
            int nb = order == BY_ZONE_SIZE_NEW_FIRST ? !c[best].v->outdated : 0;
            int better = oi != ob   ? oi > ob
                         : zi != zb ? zi > zb
                         : ni != nb ? ni > nb
                         : c[i].tasks != c[best].tasks
                             ? c[i].tasks < c[best].tasks
                             : strcmp(c[i].v->asg->instance_id, c[best].v->asg->instance_id) < 0;
            if (better)
                best = i;
        }
        if (best == n)
            break;
        c[best].taken = 1;
        if (is_member(c[best].v) && !is_draining(c[best].v)) {
            staying[zone_of[best]]--;
            old_left[zone_of[best]] -= c[best].v->outdated;
        }
        strv_push(&d->ids, c[best].v->asg->instance_id);
        added++;
    }
    free(zone_of);
    free(c);
    return added;
}

static int pick(const struct rollout_assessment *a, view_pred pred, int k,
                struct rollout_decision *d)
{
    return pick_ordered(a, pred, k, BY_ZONE_SIZE, d);
}

static int old_drainable(const struct instance_view *v)
{
    return is_member(v) && v->outdated && (v->phase == PHASE_ACTIVE);
}
static int old_disconnected(const struct instance_view *v)
{
    return is_member(v) && v->outdated && v->phase == PHASE_DISCONNECTED;
}
static int old_drained(const struct instance_view *v)
{
    return is_member(v) && v->outdated && v->phase == PHASE_DRAINED;
}
static int old_draining(const struct instance_view *v)
{
    return is_member(v) && v->outdated && is_draining(v);
}
/* Out of date and holding no task at all: launching or never registered.
 * Terminating these kills nothing. */
static int old_idle(const struct instance_view *v)
{
    return is_member(v) && v->outdated &&
           (v->phase == PHASE_LAUNCHING || v->phase == PHASE_UNREGISTERED);
}
static int new_draining(const struct instance_view *v)
{
    return is_member(v) && !v->outdated && is_draining(v);
}
static int new_drained(const struct instance_view *v)
{
    return is_member(v) && !v->outdated && v->phase == PHASE_DRAINED;
}
static int new_active(const struct instance_view *v)
{
    return is_member(v) && !v->outdated && v->phase == PHASE_ACTIVE;
}
static int new_unready_idle(const struct instance_view *v)
{
    return is_member(v) && !v->outdated &&
           (v->phase == PHASE_LAUNCHING || v->phase == PHASE_UNREGISTERED ||
            (v->phase == PHASE_DISCONNECTED && tasks_on(v) == 0));
}
static int any_draining(const struct instance_view *v)
{
    return is_member(v) && is_draining(v);
}
static int any_drained(const struct instance_view *v)
{
    return is_member(v) && v->phase == PHASE_DRAINED;
}
static int any_active(const struct instance_view *v)
{
    return is_member(v) && v->phase == PHASE_ACTIVE;
}

static int count(const struct rollout_assessment *a, view_pred pred)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += pred(&a->v[i]) ? 1 : 0;
    return n;
}

static long timeout_for(enum rollout_wait w, const struct rollout_options *o)
{
    switch (w) {
    case WAIT_NEW_INSTANCES:
    case WAIT_TERMINATION:
        return o->instance_timeout_s;
    case WAIT_DRAIN:
    case WAIT_SERVICES:
        return o->drain_timeout_s;
    case WAIT_NONE:
        break;
    }
    return 0;
}

/* Turns a wait into a failure once it has lasted longer than its timeout. */
static void wait_or_fail(const struct rollout_snapshot *s, const struct rollout_options *o,
                         const struct rollout_timers *t, enum rollout_wait w,
                         struct rollout_decision *d)
{
    d->wait = w;
    long limit = timeout_for(w, o);
    if (t && t->waiting == w && limit > 0 && s->now - t->since > limit) {
        char why[sizeof(d->message)];
        snprintf(why, sizeof(why), "%s", d->message);
        say(d, ACT_FAIL, "timed out after %lds: %s", limit, why);
    }
}

/* Lists the services not yet back at their desired count into buf. */
static int unstable_services(const struct rollout_snapshot *s, char *buf, size_t cap)
{
    int n = 0;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_services; i++) {
        const struct ecs_service *svc = &s->services[i];
        if (svc->status && strcmp(svc->status, "ACTIVE") != 0)
            continue;
        if (svc->running_count >= svc->desired_count)
            continue;
        if (n < 4 && used < cap) {
            int w = snprintf(buf + used, cap - used, "%s%s %d/%d", n ? ", " : "",
                             svc->name ? svc->name : "?", svc->running_count, svc->desired_count);
            if (w > 0)
                used += (size_t)w;
        }
        n++;
    }
    if (n > 4 && used < cap)
        snprintf(buf + used, cap - used, " and %d more", n - 4);
    return n;
}

/* Standalone tasks left on draining instances whose service tasks are gone,
 * for --standalone-tasks stop. */
static int standalone_to_stop(const struct rollout_assessment *a, struct rollout_decision *d)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        if (!old_draining(v) || !v->drain || !v->drain->known)
            continue;
        if (v->drain->service_tasks > 0 || v->drain->standalone.n == 0)
            continue;
        for (size_t k = 0; k < v->drain->standalone.n; k++, n++)
            strv_push(&d->ids, v->drain->standalone.v[k]);
    }
    return n;
}

/* Launch is the one process a rollout needs; it is suspended only by
 * hold_launches, just before the end, never re-suspended here. */
static const char LAUNCH[] = "Launch";

static void missing_processes(const struct rollout_snapshot *s, struct rollout_decision *d)
{
    for (size_t i = 0; i < s->state.suspended_by_us.n; i++)
        if (strcmp(s->state.suspended_by_us.v[i], LAUNCH) != 0 &&
            !strv_contains(&s->group.suspended_processes, s->state.suspended_by_us.v[i]))
            strv_push(&d->ids, s->state.suspended_by_us.v[i]);
}

/* The rollout suspended Launch (hold_launches) and needs launches again. */
static int release_launches(const struct rollout_snapshot *s, struct rollout_decision *d)
{
    if (!strv_contains(&s->state.suspended_by_us, LAUNCH) ||
        !strv_contains(&s->group.suspended_processes, LAUNCH))
        return 0;
    strv_push(&d->ids, LAUNCH);
    say(d, ACT_RESUME, "resuming Launch: the rollout needs new instances again");
    return 1;
}

/* The end of a rollout (or rollback) lowers the desired capacity to the
 * original. While the desired capacity is above the number of instances -
 * a launch Auto Scaling keeps retrying after an account limit or a lack of
 * capacity, a replacement not yet started - that launch may succeed just
 * before the capacity is lowered, and the group then scales in and
 * terminates an instance of its own choosing, tasks and all. With Launch
 * suspended first nothing can launch in between; the state records the
 * suspension so that the end of the rollout resumes it, even after a
 * kill. */
static int hold_launches(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                         struct rollout_decision *d)
{
    const struct asg_group *g = &s->group;
    if (g->desired_capacity <= s->state.desired_capacity || g->desired_capacity <= a->members ||
        strv_contains(&g->suspended_processes, LAUNCH))
        return 0;
    strv_push(&d->ids, LAUNCH);
    say(d, ACT_HOLD_LAUNCHES,
        "desired capacity %d is above the %d instance(s) in the group (a launch is still "
        "pending): suspending Launch before lowering it to %d, so that no serving instance is "
        "scaled in",
        g->desired_capacity, a->members, s->state.desired_capacity);
    return 1;
}

/* Draining instances that hold tasks, summarised for a wait message. */
static void describe_drain(const struct rollout_assessment *a, char *buf, size_t cap)
{
    int standalone = 0, waiting = 0, draining = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        if (!any_draining(v))
            continue;
        draining++;
        if (v->phase == PHASE_DRAINED)
            continue;
        waiting++;
        if (v->drain && v->drain->known)
            standalone += (int)v->drain->standalone.n;
    }
    /* Name both counts: "1 draining" while the progress line says 2 draining
     * reads as a contradiction. */
    char who[64];
    if (waiting == draining)
        snprintf(who, sizeof(who), "%d instance(s) draining", draining);
    else
        snprintf(who, sizeof(who), "%d of %d draining instance(s) not yet empty", waiting,
                 draining);
    if (standalone)
        snprintf(buf, cap, "%s, %d task(s) left, %d of them standalone", who, a->tasks_to_move,
                 standalone);
    else
        snprintf(buf, cap, "%s, %d task(s) left to move", who, a->tasks_to_move);
}

/* An instance launched to even the zones has been awaited longer than
 * new instances may take. */
static int evening_given_up(const struct rollout_snapshot *s, const struct rollout_options *o,
                            const struct rollout_timers *t)
{
    long limit = o->instance_timeout_s;
    return t && t->waiting == WAIT_NEW_INSTANCES && limit > 0 && s->now - t->since > limit;
}

/* Uneven zones would make AZRebalance, once resumed, launch an instance
 * and terminate another without draining it. Even them out the safe way:
 * one more instance (Auto Scaling puts it in the emptiest zone), then the
 * surplus rule drains one from the fullest zone. Returns 1 with a decision
 * (launch, wait for that launch, or release a held Launch), 0 when the
 * zones are even or evening them is given up. */
static int even_zones(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                      const struct rollout_options *o, const struct rollout_timers *t,
                      struct rollout_decision *d)
{
    const int n_orig = s->state.desired_capacity;
    int zones, spread = rollout_zone_spread(s, a, &zones);
    if (spread <= 1 || (t && t->zone_evenings >= ROLLOUT_ZONE_EVENINGS_PER_ZONE * zones) ||
        s->group.max_size <= n_orig)
        return 0;
    if (s->group.desired_capacity > a->members) {
        /* Launch is held (see hold_launches): finishing. */
        if (strv_contains(&s->group.suspended_processes, LAUNCH))
            return 0;
        /* The instance launched to even the zones has not shown up yet: wait
         * for it rather than ask again. If it never comes (no capacity, an
         * account limit), finish with uneven zones rather than not at all. */
        if (evening_given_up(s, o, t))
            return 0;
        say(d, ACT_WAIT,
            "waiting for the instance launched to even out the zones (desired capacity %d, %d "
            "in the group)",
            s->group.desired_capacity, a->members);
        d->wait = WAIT_NEW_INSTANCES;
        return 1;
    }
    if (release_launches(s, d))
        return 1;
    d->number = n_orig + 1;
    d->evens_zones = 1;
    say(d, ACT_SET_DESIRED,
        "zones differ by %d instance(s): launching one more to even them out before "
        "AZRebalance is resumed",
        spread);
    return 1;
}

/* Back to the original number of instances, the safe way, for the end of
 * a rollout and for a rollback: drained surplus is removed, more is drained
 * (in `order`) while the capacity rule allows, and once the group is back
 * to size what is still DRAINING returns to service. The predicates say
 * which instances count: current ones, or (while a rollback evens the
 * zones) any. Returns 1 with a decision, 0 when nothing of that is left. */
static int return_to_original(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                              const struct rollout_options *o, const struct rollout_timers *t,
                              struct rollout_decision *d, view_pred drained_p, view_pred draining_p,
                              view_pred active_p, enum pick_order order)
{
    const int n_orig = s->state.desired_capacity;
    int draining = count(a, draining_p);
    int surplus = a->members - n_orig;
    if (surplus > 0) {
        int drained = count(a, drained_p);
        if (drained > 0) {
            pick(a, drained_p, drained < surplus ? drained : surplus, d);
            say(d, ACT_TERMINATE, "removing %zu drained surplus instance(s)", d->ids.n);
            return 1;
        }
        int want = surplus - draining;
        int room = a->active - n_orig;
        if (want > room)
            want = room;
        if (want > 0) {
            pick_ordered(a, active_p, want, order, d);
            say(d, ACT_DRAIN, "draining %d surplus instance(s) to return to %d instance(s)", want,
                n_orig);
            return 1;
        }
        if (draining > 0) {
            char what[256];
            describe_drain(a, what, sizeof(what));
            say(d, ACT_WAIT, "%s", what);
            wait_or_fail(s, o, t, WAIT_DRAIN, d);
            return 1;
        }
        say(d, ACT_WAIT,
            "%d instance(s) above the original %d: waiting until they can be drained safely "
            "(%d launching or registering)",
            surplus, n_orig, a->new_not_ready);
        wait_or_fail(s, o, t, WAIT_NEW_INSTANCES, d);
        return 1;
    }
    if (draining > 0) {
        pick(a, draining_p, draining, d);
        say(d, ACT_ACTIVATE, "returning %zu instance(s) to ACTIVE", d->ids.n);
        return 1;
    }
    return 0;
}

void rollout_decide(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                    const struct rollout_options *o, const struct rollout_timers *t,
                    struct rollout_decision *d)
{
    memset(d, 0, sizeof(*d));
    const struct rollout_state *st = &s->state;

    if (!st->in_progress) {
        if (a->outdated == 0) {
            say(d, ACT_NOTHING_TO_DO, "all %d instance(s) are current", a->members);
            return;
        }
        d->number = rollout_batch_size(o, s->group.desired_capacity, s->group.max_size);
        say(d, ACT_BEGIN, "%d of %d instance(s) are out of date", a->outdated, a->members);
        return;
    }

    const int n_orig = st->desired_capacity;
    int batch = rollout_batch_size(o, n_orig, st->max_size);
    if (batch < 1) {
        say(d, ACT_FAIL,
            "no room to add instances: MaxSize %d equals the desired capacity %d and "
            "--keep-max-size forbids raising it",
            st->max_size, n_orig);
        return;
    }
    const int surge = a->outdated < batch ? a->outdated : batch;
    const int desired_target = n_orig + surge;
    const int need_max = desired_target > st->max_size ? desired_target : st->max_size;

    /* Processes this rollout suspends stay suspended until it finishes. */
    missing_processes(s, d);
    if (d->ids.n) {
        say(d, ACT_SUSPEND, "suspending %zu process(es) that would fight the rollout", d->ids.n);
        return;
    }

    /* New instances left DRAINING (an interrupted rollback) serve again
     * while old ones remain to be replaced. */
    if (a->outdated > 0 && pick(a, new_draining, a->n ? (int)a->n : 1, d) > 0) {
        say(d, ACT_ACTIVATE, "returning %zu current instance(s) to ACTIVE", d->ids.n);
        return;
    }

    /* Out-of-date instances that never registered hold no task. */
    if (pick(a, old_idle, (int)a->n, d) > 0) {
        say(d, ACT_TERMINATE, "removing %zu out-of-date instance(s) that run no task", d->ids.n);
        return;
    }

    /* A batch is removed once all of it has drained and the services it
     * hosted are whole again: if any of it cannot drain, the rollback
     * returns all of it to service. */
    int drained = count(a, old_drained);
    if (drained > 0 && drained == a->old_draining) {
        char unstable[256];
        if (!s->services_observed) {
            say(d, ACT_WAIT, "%d drained instance(s): checking their services", drained);
            wait_or_fail(s, o, t, WAIT_SERVICES, d);
            return;
        }
        if (unstable_services(s, unstable, sizeof(unstable)) > 0) {
            say(d, ACT_WAIT, "waiting for services to reach their desired count: %s", unstable);
            wait_or_fail(s, o, t, WAIT_SERVICES, d);
            return;
        }
        pick(a, old_drained, drained, d);
        say(d, ACT_TERMINATE, "terminating %d drained instance(s)", drained);
        return;
    }

    if (a->outdated > 0) {
        if (release_launches(s, d))
            return;
        if (s->group.max_size < need_max) {
            d->number = need_max;
            say(d, ACT_RAISE_MAX,
                "raising MaxSize from %d to %d to make room for %d new instance(s)",
                s->group.max_size, need_max, surge);
            return;
        }
        if (s->group.desired_capacity < desired_target) {
            d->number = desired_target;
            say(d, ACT_SET_DESIRED, "launching %d new instance(s): desired capacity %d -> %d",
                desired_target - s->group.desired_capacity, s->group.desired_capacity,
                desired_target);
            return;
        }
        /* Disconnected old instances serve nothing ECS can schedule; draining
         * them costs no capacity. */
        if (pick(a, old_disconnected, (int)a->n, d) > 0) {
            say(d, ACT_DRAIN, "draining %zu out-of-date instance(s) whose agent is disconnected",
                d->ids.n);
            return;
        }
        int room = a->active - n_orig;
        int k = a->old_active < room ? a->old_active : room;
        if (k > 0) {
            pick_ordered(a, old_drainable, k, BY_OLD_IN_ZONE, d);
            /* The ids follow the message: they must read as the drained ones. */
            say(d, ACT_DRAIN, "%d new instance(s) ready; draining %d out-of-date instance(s)",
                a->new_ready, k);
            return;
        }
        if (o->standalone == STANDALONE_STOP && standalone_to_stop(a, d) > 0) {
            say(d, ACT_STOP_TASKS, "stopping %zu standalone task(s) on draining instances",
                d->ids.n);
            return;
        }
        if (a->old_draining > 0) {
            char what[256];
            describe_drain(a, what, sizeof(what));
            say(d, ACT_WAIT, "%s", what);
            wait_or_fail(s, o, t, WAIT_DRAIN, d);
            return;
        }
        say(d, ACT_WAIT,
            "waiting for new instances: %d ready, %d launching or registering (desired capacity "
            "%d, %d in the group)",
            a->new_ready, a->new_not_ready, s->group.desired_capacity, a->members);
        wait_or_fail(s, o, t, WAIT_NEW_INSTANCES, d);
        return;
    }

    /* Every member is current. Remove any surplus beyond the original size
     * the same safe way, then finish. */
    if (return_to_original(s, a, o, t, d, new_drained, new_draining, new_active, BY_ZONE_SIZE))
        return;
    if (a->new_not_ready > 0) {
        say(d, ACT_WAIT, "waiting for %d new instance(s) to register", a->new_not_ready);
        wait_or_fail(s, o, t, WAIT_NEW_INSTANCES, d);
        return;
    }
    if (a->leaving > 0) {
        say(d, ACT_WAIT, "waiting for %d instance(s) to finish terminating", a->leaving);
        wait_or_fail(s, o, t, WAIT_TERMINATION, d);
        return;
    }
    if (even_zones(s, a, o, t, d))
        return;
    if (hold_launches(s, a, d))
        return;
    say(d, ACT_FINISH, "all %d instance(s) current: restoring the group", a->members);
}

void rollout_decide_rollback(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                             const struct rollout_options *o, const struct rollout_timers *t,
                             struct rollout_decision *d)
{
    memset(d, 0, sizeof(*d));
    const int n_orig = s->state.desired_capacity;
    /* Once the rollback launches an instance to even the zones (the last
     * thing it does), every old instance is back in service: the surplus
     * is then whichever instance the fullest zone can spare, old or new,
     * and an old one drained for it is not returned to service. */
    const int evening = t && t->zone_evenings > 0;

    if (!evening && pick(a, old_draining, (int)a->n, d) > 0) {
        say(d, ACT_ACTIVATE, "returning %zu out-of-date instance(s) to ACTIVE", d->ids.n);
        return;
    }
    /* Unready new instances are removed - except the one launched to even
     * the zones, while it may still come up. */
    if ((!evening || evening_given_up(s, o, t)) && pick(a, new_unready_idle, (int)a->n, d) > 0) {
        say(d, ACT_TERMINATE, "removing %zu new instance(s) that never became ready", d->ids.n);
        return;
    }
    if (evening ? return_to_original(s, a, o, t, d, any_drained, any_draining, any_active,
                                     BY_ZONE_SIZE_NEW_FIRST)
                : return_to_original(s, a, o, t, d, new_drained, new_draining, new_active,
                                     BY_ZONE_SIZE))
        return;
    if (a->leaving > 0) {
        say(d, ACT_WAIT, "waiting for %d instance(s) to finish terminating", a->leaving);
        wait_or_fail(s, o, t, WAIT_TERMINATION, d);
        return;
    }
    if (even_zones(s, a, o, t, d))
        return;
    if (hold_launches(s, a, d))
        return;
    say(d, ACT_FINISH, "the group is back to %d instance(s): restoring its settings", n_orig);
}
