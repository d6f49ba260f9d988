/* Which instances a decision names, and the predicates over one view that
 * the decisions count and pick by. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/decide_impl.h"
#include "util/mem.h"

int view_is_draining(const struct instance_view *v)
{
    return v->phase == PHASE_DRAINING || v->phase == PHASE_DRAINED;
}

int view_is_member(const struct instance_view *v)
{
    return v->phase != PHASE_LEAVING && v->phase != PHASE_IGNORED;
}

int view_tasks(const struct instance_view *v)
{
    return v->ci ? v->ci->running_tasks_count + v->ci->pending_tasks_count : 0;
}

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
        if (!view_is_member(v) || !v->asg->availability_zone)
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

/* Adds instance ids matching `pred` to d->ids: up to k of them, or with
 * by_units, as many as fit in k capacity units (an instance that does not
 * fit is passed over for a smaller one); with fullest_only 1 from the
 * zones with the most instances only, 2 the heaviest there first. Returns
 * how many. */
static int pick_core(const struct rollout_assessment *a, view_pred pred, int k,
                     enum pick_order order, int by_units, int fullest_only,
                     struct rollout_decision *d)
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
        /* Someone else's drain that still holds tasks stays too: the
         * rollout leaves it alone, and Auto Scaling counts it in its zone
         * as rollout_zone_spread does (chaos seed 31 rollout 0: counted
         * out here, the surplus of each zone evening was the instance the
         * evening had just launched, until the evenings were spent). */
        if (view_is_member(v) && view_is_draining(v) && v->foreign && v->phase != PHASE_DRAINED)
            staying[z]++;
        else if (view_is_member(v) && !view_is_draining(v)) {
            staying[z]++;
            old_left[z] += v->outdated;
        }
        if (!pred(v))
            continue;
        c[n].v = v;
        c[n].tasks = view_tasks(v);
        zone_of[n] = z;
        n++;
    }
    int added = 0, spent = 0;
    while (spent < k) {
        int most = 0;
        for (int z = 0; z < n_zones; z++)
            most = staying[z] > most ? staying[z] : most;
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (c[i].taken || (by_units && c[i].v->units > k - spent) ||
                (fullest_only && staying[zone_of[i]] < most))
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
            int ui = fullest_only > 1 ? c[i].v->units : 0;
            int ub = fullest_only > 1 ? c[best].v->units : 0;
            int better = oi != ob   ? oi > ob
                         : zi != zb ? zi > zb
                         : ui != ub ? ui > ub
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
        if (view_is_member(c[best].v) && !view_is_draining(c[best].v)) {
            staying[zone_of[best]]--;
            old_left[zone_of[best]] -= c[best].v->outdated;
        }
        strv_push(&d->ids, c[best].v->asg->instance_id);
        added++;
        spent += by_units ? c[best].v->units : 1;
    }
    free(zone_of);
    free(c);
    return added;
}

int pick_views_ordered(const struct rollout_assessment *a, view_pred pred, int k,
                       enum pick_order order, struct rollout_decision *d)
{
    return pick_core(a, pred, k, order, 0, 0, d);
}

int pick_units(const struct rollout_assessment *a, view_pred pred, int units, enum pick_order order,
               struct rollout_decision *d)
{
    return pick_core(a, pred, units, order, 1, 0, d);
}

int pick_units_fullest(const struct rollout_assessment *a, view_pred pred, int units,
                       enum pick_order order, struct rollout_decision *d)
{
    return pick_core(a, pred, units, order, 1, 1, d);
}

int pick_units_fullest_heaviest(const struct rollout_assessment *a, view_pred pred, int units,
                                enum pick_order order, struct rollout_decision *d)
{
    return pick_core(a, pred, units, order, 1, 2, d);
}

int pick_views(const struct rollout_assessment *a, view_pred pred, int k,
               struct rollout_decision *d)
{
    return pick_views_ordered(a, pred, k, BY_ZONE_SIZE, d);
}
int old_drainable(const struct instance_view *v)
{
    return view_is_member(v) && v->outdated && (v->phase == PHASE_ACTIVE);
}
/* Drains that are someone else's (a Spot interruption, an operator) are
 * not the rollout's: never waited for or returned to service. Once such an
 * out-of-date instance is empty, removing it kills nothing: it is replaced
 * with the rollout's own drained instances. */
int old_drained(const struct instance_view *v)
{
    return view_is_member(v) && v->outdated && v->phase == PHASE_DRAINED;
}
int old_draining(const struct instance_view *v)
{
    return view_is_member(v) && v->outdated && view_is_draining(v) &&
           (!v->foreign || v->phase == PHASE_DRAINED);
}
int old_draining_ours(const struct instance_view *v)
{
    return view_is_member(v) && v->outdated && !v->foreign && view_is_draining(v);
}
/* Out of date and holding no task at all: launching or never registered.
 * Terminating these kills nothing. One whose container instance was known
 * and is only missing from this answer may still run tasks. */
int old_idle(const struct instance_view *v)
{
    return view_is_member(v) && v->outdated && !v->ci_lost &&
           (v->phase == PHASE_LAUNCHING || v->phase == PHASE_UNREGISTERED);
}
int new_draining(const struct instance_view *v)
{
    return view_is_member(v) && !v->outdated && !v->foreign && view_is_draining(v);
}
int new_drained(const struct instance_view *v)
{
    return view_is_member(v) && !v->outdated && !v->foreign && v->phase == PHASE_DRAINED;
}
int new_active(const struct instance_view *v)
{
    return view_is_member(v) && !v->outdated && v->phase == PHASE_ACTIVE;
}
int new_unready_idle(const struct instance_view *v)
{
    /* A container instance missing from one answer may be serving. */
    return view_is_member(v) && !v->outdated && !v->ci_lost &&
           (v->phase == PHASE_LAUNCHING || v->phase == PHASE_UNREGISTERED ||
            (v->phase == PHASE_DISCONNECTED && view_tasks(v) == 0));
}
int any_draining(const struct instance_view *v)
{
    return view_is_member(v) && !v->foreign && view_is_draining(v);
}
int any_drained(const struct instance_view *v)
{
    return view_is_member(v) && !v->foreign && v->phase == PHASE_DRAINED;
}
int any_active(const struct instance_view *v)
{
    return view_is_member(v) && v->phase == PHASE_ACTIVE && !v->drain_unfinished;
}

int count_views(const struct rollout_assessment *a, view_pred pred)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += pred(&a->v[i]) ? 1 : 0;
    return n;
}

int count_units(const struct rollout_assessment *a, view_pred pred)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += pred(&a->v[i]) ? a->v[i].units : 0;
    return n;
}
