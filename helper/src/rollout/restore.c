/* The end of a rollout and of a rollback: the group back to its original
 * size the safe way, its zones even, Launch held while the desired
 * capacity comes down, the processes the rollout suspended. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/decide_impl.h"
#include "util/mem.h"

/* Launch is the one process a rollout needs; it is suspended only by
 * hold_launches, just before the end, never re-suspended here. */
static const char LAUNCH[] = "Launch";

void missing_processes(const struct rollout_snapshot *s, struct rollout_decision *d)
{
    for (size_t i = 0; i < s->state.suspended_by_us.n; i++)
        if (strcmp(s->state.suspended_by_us.v[i], LAUNCH) != 0 &&
            !strv_contains(&s->group.suspended_processes, s->state.suspended_by_us.v[i]))
            strv_push(&d->ids, s->state.suspended_by_us.v[i]);
}

/* The rollout suspended Launch (hold_launches) and needs launches again. */
int release_launches(const struct rollout_snapshot *s, struct rollout_decision *d)
{
    if (!strv_contains(&s->state.suspended_by_us, LAUNCH) ||
        !strv_contains(&s->group.suspended_processes, LAUNCH))
        return 0;
    strv_push(&d->ids, LAUNCH);
    decision_say(d, ACT_RESUME, "resuming Launch: the rollout needs new instances again");
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
int hold_launches(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                  struct rollout_decision *d)
{
    const struct asg_group *g = &s->group;
    if (g->desired_capacity <= s->state.desired_capacity ||
        g->desired_capacity <= a->members_units || strv_contains(&g->suspended_processes, LAUNCH))
        return 0;
    strv_push(&d->ids, LAUNCH);
    decision_say(
        d, ACT_HOLD_LAUNCHES,
        "desired capacity %d is above the %d instance(s) in the group (a launch is still "
        "pending): suspending Launch before lowering it to %d, so that no serving instance is "
        "scaled in",
        g->desired_capacity, a->members, s->state.desired_capacity);
    return 1;
}

/* Draining instances that hold tasks, summarised for a wait message. */
void describe_drain(const struct rollout_assessment *a, char *buf, size_t cap)
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

/* Uneven zones would make AZRebalance, once resumed, launch an instance
 * and terminate another without draining it. Even them out the safe way:
 * one more instance (Auto Scaling puts it in the emptiest zone), then the
 * surplus rule drains one from the fullest zone. Returns 1 with a decision
 * (launch, wait for that launch, or release a held Launch), 0 when the
 * zones are even or evening them is given up.
 *
 * With weights the zones are still balanced by instances, not units: "Auto
 * Scaling group Availability Zone distribution" (an equal number of
 * instances per enabled zone) and "Rebalancing activities" (EC2 Auto
 * Scaling User Guide: launches go to the zone with the fewest instances).
 * One unit above what the group has launches exactly one instance of
 * whatever weight ("Configure instance weighting": a launch may overshoot
 * the desired capacity by less than its weight); one unit above the
 * original would launch nothing while the group has an overage. */
/* One instance more for the zones (see even_zones), whatever their spread:
 * a launch, a wait for that launch, or a held Launch released. Returns 0
 * when the evenings are spent, MaxSize has no room, or the launch is
 * given up. */
static int evening_launch(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                          const struct rollout_options *o, const struct rollout_timers *t,
                          int zones, int spread, struct rollout_decision *d)
{
    const int n_orig = s->state.desired_capacity;
    int units =
        a->members_units > s->group.desired_capacity ? a->members_units : s->group.desired_capacity;
    int target = s->spec.weighted ? units + 1 : n_orig + 1;
    if ((t && t->zone_evenings >= ROLLOUT_ZONE_EVENINGS_PER_ZONE * zones) ||
        s->group.max_size < target)
        return 0;
    if (s->group.desired_capacity > a->members_units) {
        /* Launch is held (see hold_launches): finishing. */
        if (strv_contains(&s->group.suspended_processes, LAUNCH))
            return 0;
        /* The instance launched to even the zones has not shown up yet: wait
         * for it rather than ask again. If it never comes (no capacity, an
         * account limit), finish with uneven zones rather than not at all. */
        if (evening_given_up(s, o, t))
            return 0;
        decision_say(
            d, ACT_WAIT,
            "waiting for the instance launched to even out the zones (desired capacity %d, %d "
            "in the group)",
            s->group.desired_capacity, a->members);
        d->wait = WAIT_NEW_INSTANCES;
        return 1;
    }
    if (release_launches(s, d))
        return 1;
    d->number = target;
    d->evens_zones = 1;
    if (spread > 1)
        decision_say(d, ACT_SET_DESIRED,
                     "zones differ by %d instance(s): launching one more to even them out before "
                     "AZRebalance is resumed",
                     spread);
    else
        decision_say(d, ACT_SET_DESIRED,
                     "nothing in the fullest zone fits the %d surplus capacity unit(s): launching "
                     "one more instance, so that one there does",
                     a->members_units - n_orig);
    return 1;
}

/* An instance the rollback cannot drain (instance_view.drain_unfinished)
 * is never picked to leave (any_active): the zones are evened around it,
 * by what the fullest zone holds besides it (drain_from_fullest). */
int even_zones(const struct rollout_snapshot *s, const struct rollout_assessment *a,
               const struct rollout_options *o, const struct rollout_timers *t,
               struct rollout_decision *d)
{
    int zones, spread = rollout_zone_spread(s, a, &zones);
    if (spread <= 1)
        return 0;
    return evening_launch(s, a, o, t, zones, spread, d);
}

/* How many units of `want` a termination may remove, and whether it
 * lowers the desired capacity. TerminateInstanceInAutoScalingGroup (Auto
 * Scaling API Reference): without ShouldDecrementDesiredCapacity the group
 * launches a replacement only if its members fall below the desired
 * capacity; with it, the desired capacity may not go below MinSize. A group
 * with more members than it wants (a launch that came up after the desired
 * capacity went back, with Launch held) sheds that excess without a
 * decrement, so a desired capacity at MinSize does not refuse it. */
int terminate_budget(const struct rollout_snapshot *s, const struct rollout_assessment *a, int want,
                     struct rollout_decision *d)
{
    int over = a->members_units - s->group.desired_capacity;
    if (over <= 0)
        return want;
    d->keep_desired = 1;
    return want < over ? want : over;
}

/* Terminating `removed` capacity units: with ShouldDecrementDesiredCapacity
 * each instance lowers the desired capacity by its weight, and
 * TerminateInstanceInAutoScalingGroup (Auto Scaling API Reference) refuses
 * to go below MinSize: a weighted instance heavier than the room above it
 * is refused on every re-run. Below the original the group would be short
 * of what it restores. Past either bound the instances go without the
 * decrement; the group would then launch replacements for capacity below
 * its desired capacity, so Launch is held first, as hold_launches does
 * (the rollout releases it when it needs launches again, release_launches;
 * the end lowers the desired capacity with it held). `what` names the
 * instances for the message. Returns 1 when d became that hold, 0 with
 * d->keep_desired set as needed. */
int keep_desired_above_min(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                           int removed, const char *what, struct rollout_decision *d)
{
    const struct asg_group *g = &s->group;
    int orig = s->state.desired_capacity < g->desired_capacity ? s->state.desired_capacity
                                                               : g->desired_capacity;
    int lowest = g->min_size > orig ? g->min_size : orig;
    if (g->desired_capacity - removed >= lowest)
        return 0;
    d->keep_desired = 1;
    if (a->members_units - removed >= g->desired_capacity ||
        strv_contains(&g->suspended_processes, LAUNCH))
        return 0;
    strv_free(&d->ids);
    strv_push(&d->ids, LAUNCH);
    d->keep_desired = 0;
    decision_say(d, ACT_HOLD_LAUNCHES,
                 "%d capacity unit(s) %s go without lowering the desired capacity %d (MinSize "
                 "%d, original %d): suspending Launch first, so that the group launches no "
                 "replacement for them",
                 removed, what, g->desired_capacity, g->min_size, s->state.desired_capacity);
    return 1;
}

/* The units of the instances whose ids are in d. */
int units_in_decision(const struct rollout_assessment *a, const struct rollout_decision *d)
{
    int units = 0;
    for (size_t i = 0; i < a->n; i++)
        if (strv_contains(&d->ids, a->v[i].asg->instance_id))
            units += a->v[i].units;
    return units;
}

/* A rollback removing the new instances that never became ready (their
 * ids in d), within MinSize and the original (keep_desired_above_min). */
int remove_unready(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                   struct rollout_decision *d)
{
    return keep_desired_above_min(s, a, units_in_decision(a, d), "that never became ready", d);
}

/* The end of a rollout: new instances not registered (launching, or never
 * registering) that the group does not need - without them it still has
 * its original capacity - run nothing and are removed rather than awaited
 * (chaos seed 4 rollout 47: a 1-unit overage that never registered was
 * awaited until the rollout failed, every old instance already replaced).
 * Not while the zones are evened: that launch is wanted. Within MinSize
 * and the original as every removal (remove_unready). Returns 1 with a
 * decision. */
int remove_surplus_unready(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                           const struct rollout_timers *t, struct rollout_decision *d)
{
    int surplus = a->members_units - s->state.desired_capacity;
    if ((t && t->zone_evenings > 0) || surplus <= 0 ||
        pick_units(a, new_unready_idle, surplus, BY_ZONE_SIZE, d) == 0)
        return 0;
    if (remove_unready(s, a, d))
        return 1;
    decision_say(d, ACT_TERMINATE,
                 "removing %zu new instance(s) not registered that the group does not need: it "
                 "has its original %d %s without them%s",
                 d->ids.n, s->state.desired_capacity,
                 s->spec.weighted ? "capacity unit(s)" : "instance(s)",
                 d->keep_desired ? " (without lowering the desired capacity)" : "");
    return 1;
}

/* Removes drained surplus instances (up to `surplus` units), each whole.
 * TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity
 * lowers the desired capacity by the instance's weight ("Configure instance
 * weighting", EC2 Auto Scaling User Guide) and is refused below MinSize;
 * without it the group replaces the instance unless its units stay at the
 * desired capacity (terminate_budget). A weighted instance that fits
 * neither way (an evening launch brought more units than the one asked,
 * with the desired capacity near MinSize or the original) has the desired
 * capacity raised to the group's units first: that launches nothing, and
 * the decrement then leaves it at or above the original. Returns 1 with a
 * decision. */
static int remove_drained(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                          int surplus, view_pred drained_p, int evening, struct rollout_decision *d)
{
    const struct asg_group *g = &s->group;
    int n = pick_units(a, drained_p, terminate_budget(s, a, surplus, d), BY_ZONE_SIZE, d);
    if (n == 0 && s->spec.weighted) {
        /* With the decrement instead, keeping the desired capacity at or
         * above the original (and MinSize). */
        d->keep_desired = 0;
        int lowest =
            g->min_size > s->state.desired_capacity ? g->min_size : s->state.desired_capacity;
        int budget = g->desired_capacity - lowest;
        n = pick_units(a, drained_p, budget < surplus ? budget : surplus, BY_ZONE_SIZE, d);
    }
    if (n == 0 && s->spec.weighted && !evening) {
        /* Heavier than either room: without the decrement, Launch held
         * first (keep_desired_above_min); what stays is at or above the
         * original, the surplus being above it. */
        d->keep_desired = 0;
        n = pick_units(a, drained_p, surplus, BY_ZONE_SIZE, d);
        if (n > 0 && keep_desired_above_min(s, a, units_in_decision(a, d), "drained", d))
            return 1;
    }
    if (n > 0) {
        decision_say(d, ACT_TERMINATE, "removing %zu drained surplus instance(s)%s", d->ids.n,
                     d->keep_desired ? " (without lowering the desired capacity)" : "");
        return 1;
    }
    d->keep_desired = 0;
    if (s->spec.weighted && evening && count_units(a, drained_p) > 0 &&
        g->desired_capacity < a->members_units && a->members_units <= g->max_size) {
        d->number = a->members_units;
        decision_say(d, ACT_SET_DESIRED,
                     "desired capacity %d -> %d, the %d capacity units the group has (nothing "
                     "launches): the drained surplus instance can then be removed with its "
                     "weight without going below MinSize %d",
                     g->desired_capacity, a->members_units, a->members_units, g->min_size);
        return 1;
    }
    return 0;
}

/* While the zones are evened, a weighted surplus is drained from the
 * fullest zone only: a smaller instance elsewhere (often the one just
 * launched into the emptiest zone) would undo the evening, launch after
 * launch. A new instance not yet registered limits what may drain: it is
 * awaited. If nothing in the fullest zone fits the surplus, another
 * evening launch adds to it until something does (even_zones). Returns
 * 1 with a decision, 2 to leave the surplus to that launch, 0 when the
 * surplus goes the ordinary way. */
static int drain_from_fullest(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                              const struct rollout_options *o, const struct rollout_timers *t,
                              view_pred active_p, int want, int short_of_room, int draining,
                              enum pick_order order, struct rollout_decision *d)
{
    /* The capacity rule allows less than the surplus until the evening
     * launch registers: the part drained now would be the lighter piece
     * the surplus was raised to avoid. */
    if (!(short_of_room && a->new_not_ready > 0) &&
        pick_units_fullest(a, active_p, want, order, d) > 0) {
        /* Lighter pieces that leave part of the surplus, which then fits
         * nothing else in a fullest zone: the heaviest that fits instead
         * (chaos seed 7 rollout 183: a 1-unit evening launch drained, the
         * 2-unit instance beside the held one left, evening after
         * evening). */
        struct rollout_decision heavy = {0};
        if (units_in_decision(a, d) < want &&
            pick_units_fullest_heaviest(a, active_p, want, order, &heavy) > 0 &&
            units_in_decision(a, &heavy) > units_in_decision(a, d)) {
            struct strv lighter = d->ids;
            d->ids = heavy.ids;
            heavy.ids = lighter;
        }
        rollout_decision_free(&heavy);
        decision_say(d, ACT_DRAIN,
                     "draining %zu surplus instance(s) from the fullest zone to return to %d "
                     "capacity units",
                     d->ids.n, s->state.desired_capacity);
        return 1;
    }
    if (a->new_not_ready > 0) {
        decision_say(d, ACT_WAIT,
                     "waiting for %d new instance(s) to register before draining the surplus from "
                     "the fullest zone",
                     a->new_not_ready);
        wait_or_fail(s, a, o, t, WAIT_NEW_INSTANCES, d);
        return 1;
    }
    /* Zones one apart: whatever goes from a zone that is not the fullest
     * makes them two apart again, and the next evening launch lands there,
     * evening after evening (chaos seed 7 rollout 183: the fullest zone's
     * 1-unit instance held by a task that never stops, its other 2 units,
     * a 1-unit surplus). One more launch makes the surplus fit. */
    int zones, spread = rollout_zone_spread(s, a, &zones);
    if (draining > 0 || spread < 1)
        return 0;
    if (spread == 1)
        return evening_launch(s, a, o, t, zones, spread, d);
    return t && t->zone_evenings < ROLLOUT_ZONE_EVENINGS_PER_ZONE * zones ? 2 : 0;
}

/* The units of the heaviest member. */
static int heaviest_member(const struct rollout_assessment *a)
{
    int most = 0;
    for (size_t i = 0; i < a->n; i++)
        if (view_is_member(&a->v[i]) && a->v[i].units > most)
            most = a->v[i].units;
    return most;
}

/* Back to the original number of instances, the safe way, for the end of
 * a rollout and for a rollback: drained surplus is removed, more is drained
 * (in `order`) while the capacity rule allows, and once the group is back
 * to size what is still DRAINING returns to service. The predicates say
 * which instances count: current ones, or (while a rollback evens the
 * zones) any. Returns 1 with a decision, 0 when nothing of that is left. */
int return_to_original(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                       const struct rollout_options *o, const struct rollout_timers *t,
                       struct rollout_decision *d, view_pred drained_p, view_pred draining_p,
                       view_pred active_p, enum pick_order order)
{
    const int n_orig = s->state.desired_capacity;
    int draining = count_views(a, draining_p);
    int surplus = a->members_units - n_orig;
    const int evening = t && t->zone_evenings > 0;
    /* With weights the group may end above its size (Auto Scaling itself
     * overshoots): a surplus smaller than any instance stays. */
    if (s->spec.weighted && surplus > 0) {
        int least = smallest_units(a, drained_p, active_p);
        if (least != NO_UNITS && surplus < least)
            surplus = 0;
        /* Each removal lowers the desired capacity by what leaves: once it
         * is back at the original, what is above it is Auto Scaling's own
         * overage, not the rollout's to remove (and at MinSize Auto Scaling
         * refuses the decrement: STUCK on every re-run). Once the zones
         * are being evened the rollout has raised the desired capacity
         * above the units the group had: an instance of any weight came
         * for one unit, and the whole surplus is the rollout's (see
         * remove_drained for the decrement). */
        int raised = s->group.desired_capacity - n_orig;
        /* The instance a raise brought may weigh more than the raise (a
         * launch overshoots by less than its weight, "Configure instance
         * weighting"): it is the rollout's all the same, and a surplus
         * smaller than it was waited for until the timeout, on every
         * re-run (chaos seed 4 rollout 39). */
        int own = raised > 0 && least != NO_UNITS && raised < least ? least : raised;
        /* Units above the desired capacity as many as the heaviest member
         * weighs are no overage a launch leaves (less than the weight of
         * the instance launched, "Configure instance weighting"): they go
         * without a decrement (terminate_budget), and nothing launches for
         * them (chaos seed 8 rollout 6: a 1-unit new instance left beside
         * two 1-unit old ones, desired back at 2, the group never
         * settled). */
        int above = a->members_units - s->group.desired_capacity;
        if (above >= heaviest_member(a) && above > own)
            own = above;
        if (!evening && surplus > own)
            surplus = own > 0 ? own : 0;
    }
    if (surplus > 0) {
        /* Each termination lowers the desired capacity by what leaves: while
         * the group still owes a launch (an account limit let only some
         * start), it would launch one for every instance removed, as soon as
         * it can. Launch is held first (not while a zone-evening launch is
         * awaited: that one is wanted). */
        if (count_units(a, drained_p) > 0 && !evening && hold_launches(s, a, d))
            return 1;
        if (remove_drained(s, a, surplus, drained_p, evening, d))
            return 1;
        int want = surplus - count_units(a, draining_p);
        int room = a->active_units - capacity_floor(s, a);
        const int short_of_room = want > room;
        if (want > room)
            want = room;
        int fullest =
            evening && s->spec.weighted && want > 0
                ? drain_from_fullest(s, a, o, t, active_p, want, short_of_room, draining, order, d)
                : 0;
        if (fullest)
            return fullest == 1;
        if (want > 0 && pick_units(a, active_p, want, order, d) > 0) {
            decision_say(d, ACT_DRAIN, "draining %zu surplus instance(s) to return to %d %s",
                         d->ids.n, n_orig, s->spec.weighted ? "capacity units" : "instance(s)");
            return 1;
        }
        if (draining > 0) {
            char what[256];
            describe_drain(a, what, sizeof(what));
            decision_say(d, ACT_WAIT, "%s", what);
            wait_or_fail(s, a, o, t, WAIT_DRAIN, d);
            return 1;
        }
        decision_say(d, ACT_WAIT,
                     "%d %s above the original %d: waiting until they can be drained safely "
                     "(%d launching or registering)",
                     surplus, s->spec.weighted ? "capacity unit(s)" : "instance(s)", n_orig,
                     a->new_not_ready);
        wait_or_fail(s, a, o, t, WAIT_NEW_INSTANCES, d);
        return 1;
    }
    if (draining > 0) {
        pick_views(a, draining_p, draining, d);
        decision_say(d, ACT_ACTIVATE, "returning %zu instance(s) to ACTIVE", d->ids.n);
        return 1;
    }
    return 0;
}

int finishing(const struct rollout_snapshot *s, const struct rollout_assessment *a,
              const struct rollout_options *o, const struct rollout_timers *t,
              struct rollout_decision *d, char *note, size_t cap)
{
    if (wait_for_termination(s, a, o, t, d, note, cap))
        return 1;
    return even_zones(s, a, o, t, d) || hold_launches(s, a, d);
}

static int old_member(const struct instance_view *v)
{
    return view_is_member(v) && v->outdated;
}

static int new_member(const struct instance_view *v)
{
    return view_is_member(v) && !v->outdated;
}

static int old_drained_ours(const struct instance_view *v)
{
    return old_draining_ours(v) && v->phase == PHASE_DRAINED;
}

static int old_emptying_ours(const struct instance_view *v)
{
    return old_draining_ours(v) && v->phase != PHASE_DRAINED;
}

int overage_to_shed(const struct rollout_snapshot *s, const struct rollout_assessment *a)
{
    if (!s->spec.weighted)
        return 0;
    const int n_orig = s->state.desired_capacity;
    int over = count_units(a, old_member) - n_orig;
    int raised = s->group.desired_capacity - n_orig;
    int shed = over < raised ? over : raised;
    return shed > 0 ? shed : 0;
}

int shedding_overage(const struct rollout_snapshot *s, const struct rollout_assessment *a)
{
    return overage_to_shed(s, a) > 0 && count_views(a, new_member) == 0;
}

/* Old members in v's zone. */
static int old_in_zone(const struct rollout_assessment *a, const struct instance_view *v)
{
    int n = 0;
    const char *z = v->asg->availability_zone ? v->asg->availability_zone : "";
    for (size_t i = 0; i < a->n; i++) {
        const char *zi = a->v[i].asg->availability_zone ? a->v[i].asg->availability_zone : "";
        n += old_member(&a->v[i]) && strcmp(zi, z) == 0;
    }
    return n;
}

/* Keeps old instances matching pred, within `left` units, from the zones
 * with the most old members: the group the rollback ends with stays as
 * even as it can (AZRebalance, resumed, would even it by launching and
 * then terminating an instance undrained). Returns the units kept. */
static int keep_for_overage(const struct rollout_assessment *a, view_pred pred, int left,
                            struct strv *keep)
{
    int kept = 0;
    for (;;) {
        const struct instance_view *best = NULL;
        int best_zone = 0;
        for (size_t i = 0; i < a->n; i++) {
            const struct instance_view *v = &a->v[i];
            if (!pred(v) || v->units > left - kept || strv_contains(keep, v->asg->instance_id))
                continue;
            /* Those kept already have left their zone. */
            int zone = old_in_zone(a, v);
            for (size_t k = 0; k < keep->n; k++)
                for (size_t j = 0; j < a->n; j++)
                    if (strcmp(a->v[j].asg->instance_id, keep->v[k]) == 0 &&
                        strcmp(a->v[j].asg->availability_zone ? a->v[j].asg->availability_zone : "",
                               v->asg->availability_zone ? v->asg->availability_zone : "") == 0)
                        zone--;
            if (!best || zone > best_zone ||
                (zone == best_zone && strcmp(v->asg->instance_id, best->asg->instance_id) < 0)) {
                best = v;
                best_zone = zone;
            }
        }
        if (!best)
            return kept;
        strv_push(keep, best->asg->instance_id);
        kept += best->units;
    }
}

int old_back_to_service(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                        struct rollout_decision *d)
{
    struct strv keep = STRV_INIT;
    int left = overage_to_shed(s, a);
    /* Empty ones first: they cost nothing more to remove. One still
     * emptying is kept only once the new instances are gone (the shed's
     * own drain): while they are there it may be one a task holds (a drain
     * that never finished is what failed the rollout). */
    if (left > 0)
        left -= keep_for_overage(a, old_drained_ours, left, &keep);
    if (left > 0 && count_views(a, new_member) == 0)
        keep_for_overage(a, old_emptying_ours, left, &keep);
    for (size_t i = 0; i < a->n; i++)
        if (old_draining_ours(&a->v[i]) && !strv_contains(&keep, a->v[i].asg->instance_id))
            strv_push(&d->ids, a->v[i].asg->instance_id);
    strv_free(&keep);
    return (int)d->ids.n;
}
