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
 * desired capacity and leaving the choice to the group: a bulk scale-in,
 * bulk.h, lowers it only once every other member is protected from it, so
 * the group has no choice but those). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/bulk.h"
#include "rollout/decide_impl.h"
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
    case ACT_RECORD_SIZES:
        return "record-sizes";
    case ACT_UNPROTECT:
        return "unprotect";
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
    case WAIT_ALARMS:
        return "alarms";
    case WAIT_EXCLUDED:
        return "excluded";
    }
    return "?";
}

void rollout_decision_free(struct rollout_decision *d)
{
    strv_free(&d->ids);
    memset(d, 0, sizeof(*d));
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

void decision_say(struct rollout_decision *d, enum rollout_action action, const char *fmt, ...)
{
    d->action = action;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof(d->message), fmt, ap);
    va_end(ap);
}

/* What a service must run again before drained instances go: its desired
 * count, or, for a service already below it when the rollout began, what it
 * ran then (the rollout cannot make it healthier than it was). */
static int service_goal(const struct rollout_snapshot *s, const struct ecs_service *svc)
{
    int goal = svc->desired_count;
    for (size_t i = 0; s->short_services && svc->name && i < s->short_services->n; i++)
        if (strcmp(s->short_services->v[i], svc->name) == 0 && s->short_running[i] < goal)
            goal = s->short_running[i];
    return goal;
}

/* The service's tasks failed since the rollout began on an instance other
 * than the rollout's new ones (failures.c): it fails everywhere, not
 * because of the new instances. */
static int fails_beyond_new(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                            size_t i)
{
    const struct strv *on = s->service_failed_on ? &s->service_failed_on[i] : NULL;
    for (size_t k = 0; on && k < on->n; k++) {
        int on_new = 0;
        for (size_t j = 0; j < a->n && !on_new; j++) {
            const struct instance_view *v = &a->v[j];
            on_new = !v->outdated && v->ci && v->ci->arn && strcmp(v->ci->arn, on->v[k]) == 0;
        }
        if (!on_new)
            return 1;
    }
    return 0;
}

/* Lists the services of the group not yet back at their goal into buf,
 * and those short but failing beyond the new instances into everywhere. */
static int unstable_services(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                             char *buf, size_t cap, char *everywhere, size_t everywhere_cap)
{
    int n = 0;
    size_t used = 0, used_everywhere = 0;
    buf[0] = '\0';
    everywhere[0] = '\0';
    for (size_t i = 0; i < s->n_services; i++) {
        const struct ecs_service *svc = &s->services[i];
        if (svc->status && strcmp(svc->status, "ACTIVE") != 0)
            continue;
        /* A service with no task on the group: the drain moved none of its
         * tasks, and whatever keeps it short (a crash loop, no room on its
         * own instances) the rollout neither caused nor can mend. */
        if (s->service_on_group && !s->service_on_group[i])
            continue;
        if (svc->running_count >= service_goal(s, svc))
            continue;
        if (fails_beyond_new(s, a, i)) {
            if (used_everywhere < everywhere_cap) {
                int w =
                    snprintf(everywhere + used_everywhere, everywhere_cap - used_everywhere,
                             "%s%s %d/%d", used_everywhere ? ", " : "", svc->name ? svc->name : "?",
                             svc->running_count, svc->desired_count);
                if (w > 0)
                    used_everywhere += (size_t)w;
            }
            continue;
        }
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

/* Before any other step of a rollout or rollback in progress (bulk.h): a
 * bulk scale-in in flight is waited for (its drained instances must not be
 * returned to service or counted on, nor its protection touched), and the
 * protection it added comes off once it has picked its victims. */
static int bulk_scale_in_steps(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                               const struct rollout_options *o, const struct rollout_timers *t,
                               struct rollout_decision *d)
{
    if (rollout_bulk_in_flight(s)) {
        int members = bulk_counted_members(&s->group);
        decision_say(d, ACT_WAIT,
                     "waiting for the scale-in to take %d drained instance(s) (desired capacity "
                     "%d, %d member(s))",
                     members - s->group.desired_capacity, s->group.desired_capacity, members);
        wait_or_fail(s, a, o, t, WAIT_TERMINATION, d);
        return 1;
    }
    if (rollout_protection_to_restore(s, d) > 0) {
        decision_say(d, ACT_UNPROTECT,
                     "taking scale-in protection off %zu instance(s) launched during the rollout",
                     d->ids.n);
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
            decision_say(d, ACT_NOTHING_TO_DO, "all %d instance(s) are current", a->members);
            return;
        }
        d->number = rollout_batch_size(o, s->group.desired_capacity, s->group.max_size);
        decision_say(d, ACT_BEGIN, "%d of %d instance(s) are out of date", a->outdated, a->members);
        return;
    }

    if (bulk_scale_in_steps(s, a, o, t, d))
        return;
    /* Processes this rollout suspends stay suspended until it finishes. */
    missing_processes(s, d);
    if (d->ids.n) {
        decision_say(d, ACT_SUSPEND, "suspending %zu process(es) that would fight the rollout",
                     d->ids.n);
        return;
    }
    /* A scale-out or scheduled action that landed between the first look
     * and the suspension is the group's size now: restoring the first look
     * would undo it, and the policy would redo it once resumed. The look
     * this is decided on follows the suspension (act_apply_to_snapshot),
     * and the rollout has changed no size yet. */
    if (st->sizes_pending) {
        decision_say(d, ACT_RECORD_SIZES,
                     "recording the sizes the group has with scaling suspended: min %d, max %d, "
                     "desired %d",
                     s->group.min_size, s->group.max_size, s->group.desired_capacity);
        return;
    }

    const int n_orig = st->desired_capacity;
    int batch = rollout_batch_size(o, n_orig, st->max_size);
    if (batch < 1) {
        decision_say(d, ACT_FAIL,
                     "no room to add instances: MaxSize %d equals the desired capacity %d and "
                     "--keep-max-size forbids raising it",
                     st->max_size, n_orig);
        return;
    }
    /* Out-of-date instances the rollout cannot replace now (a drain that
     * is someone else's, a disconnected agent) are left out of the batches
     * and of the capacity it counts on. */
    const int replaceable = a->outdated - a->excluded;
    const int surge = replaceable < batch ? replaceable : batch;
    const int desired_target = n_orig + batch_units(a, surge);
    const int need_max = desired_target > st->max_size ? desired_target : st->max_size;

    /* New instances left DRAINING (an interrupted rollback) serve again
     * while old ones remain to be replaced. */
    if (replaceable > 0 && pick_views(a, new_draining, a->n ? (int)a->n : 1, d) > 0) {
        decision_say(d, ACT_ACTIVATE, "returning %zu current instance(s) to ACTIVE", d->ids.n);
        return;
    }

    /* Out-of-date instances that never registered hold no task. */
    if (pick_views(a, old_idle, (int)a->n, d) > 0) {
        /* Within MinSize and the original, as every removal (restore.c). */
        if (keep_desired_above_min(s, a, units_in_decision(a, d), "that run no task", d))
            return;
        decision_say(d, ACT_TERMINATE, "removing %zu out-of-date instance(s) that run no task%s",
                     d->ids.n, d->keep_desired ? " (without lowering the desired capacity)" : "");
        return;
    }

    /* A batch is removed once all of it has drained and the services it
     * hosted are whole again: if any of it cannot drain, the rollback
     * returns all of it to service. */
    int drained = count_views(a, old_drained);
    int draining_old = count_views(a, old_draining);
    /* Each termination lowers the desired capacity by one, which Auto
     * Scaling refuses below MinSize: instances drained before the scale-out
     * (by hand, or by an earlier run) in a group at its MinSize wait for
     * it. */
    int above_min = s->group.desired_capacity - s->group.min_size;
    /* With weights the room is in units, and a drained instance heavier
     * than it goes without the decrement instead (keep_desired_above_min). */
    if (drained > above_min && !s->spec.weighted)
        drained = above_min > 0 ? above_min : 0;
    if (drained > 0 && count_views(a, old_drained) == draining_old) {
        char unstable[256], everywhere[200];
        if (!s->services_observed) {
            decision_say(d, ACT_WAIT, "%d drained instance(s): checking their services", drained);
            wait_or_fail(s, a, o, t, WAIT_SERVICES, d);
            return;
        }
        if (unstable_services(s, a, unstable, sizeof(unstable), everywhere, sizeof(everywhere)) >
            0) {
            decision_say(d, ACT_WAIT, "waiting for services to reach their desired count: %s",
                         unstable);
            wait_or_fail(s, a, o, t, WAIT_SERVICES, d);
            return;
        }
        pick_views(a, old_drained, drained, d);
        if (s->spec.weighted && keep_desired_above_min(s, a, units_in_decision(a, d), "drained", d))
            return;
        const char *kept = d->keep_desired ? " without lowering the desired capacity" : "";
        if (everywhere[0])
            decision_say(d, ACT_TERMINATE,
                         "terminating %d drained instance(s)%s; not waiting for %s: its tasks "
                         "fail on instances this rollout did not launch as well",
                         drained, kept, everywhere);
        else
            decision_say(d, ACT_TERMINATE, "terminating %d drained instance(s)%s", drained, kept);
        return;
    }

    if (replaceable > 0) {
        if (release_launches(s, d))
            return;
        if (s->group.max_size < need_max) {
            d->number = need_max;
            decision_say(d, ACT_RAISE_MAX,
                         "raising MaxSize from %d to %d to make room for %d new instance(s)",
                         s->group.max_size, need_max, surge);
            return;
        }
        if (s->group.desired_capacity < desired_target) {
            d->number = desired_target;
            decision_say(d, ACT_SET_DESIRED, "launching %d new %s: desired capacity %d -> %d",
                         desired_target - s->group.desired_capacity,
                         s->spec.weighted ? "capacity unit(s)" : "instance(s)",
                         s->group.desired_capacity, desired_target);
            return;
        }
        /* The capacity rule, in capacity units: drain only while the
         * ACTIVE, connected capacity stays at the floor without them. */
        int room = a->active_units - capacity_floor(s, a);
        if (room > 0 && a->old_active > 0 &&
            pick_units(a, old_drainable, room, BY_OLD_IN_ZONE, d) > 0) {
            /* The ids follow the message: they must read as the drained ones. */
            decision_say(d, ACT_DRAIN,
                         "%d new instance(s) ready; draining %zu out-of-date instance(s)",
                         a->new_ready, d->ids.n);
            return;
        }
        if (o->standalone == STANDALONE_STOP && standalone_to_stop(a, d) > 0) {
            decision_say(d, ACT_STOP_TASKS, "stopping %zu standalone task(s) on draining instances",
                         d->ids.n);
            return;
        }
        if (draining_old > 0) {
            char what[256];
            describe_drain(a, what, sizeof(what));
            decision_say(d, ACT_WAIT, "%s", what);
            wait_or_fail(s, a, o, t, WAIT_DRAIN, d);
            return;
        }
        decision_say(
            d, ACT_WAIT,
            "waiting for new instances: %d ready, %d launching or registering (desired capacity "
            "%d, %d in the group)",
            a->new_ready, a->new_not_ready, s->group.desired_capacity, a->members);
        wait_or_fail(s, a, o, t, WAIT_NEW_INSTANCES, d);
        return;
    }

    /* Every member the rollout can replace is current. Remove any surplus
     * beyond the original size the same safe way, then finish. */
    if (remove_surplus_unready(s, a, t, d))
        return;
    if (return_to_original(s, a, o, t, d, new_drained, new_draining, new_active, BY_ZONE_SIZE))
        return;
    if (a->new_not_ready > 0) {
        decision_say(d, ACT_WAIT, "waiting for %d new instance(s) to register", a->new_not_ready);
        wait_or_fail(s, a, o, t, WAIT_NEW_INSTANCES, d);
        return;
    }
    char terminating[320];
    if (finishing(s, a, o, t, d, terminating, sizeof(terminating)))
        return;
    if (a->excluded > 0) {
        finish_or_wait_excluded(s, a, o, t, d, terminating);
        return;
    }
    decision_say(d, ACT_FINISH, "all %d instance(s) current: restoring the group%s", a->members,
                 terminating);
}

void rollout_decide_rollback(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                             const struct rollout_options *o, const struct rollout_timers *t,
                             struct rollout_decision *d)
{
    memset(d, 0, sizeof(*d));
    if (bulk_scale_in_steps(s, a, o, t, d))
        return;
    const int n_orig = s->state.desired_capacity;
    /* Once the rollback launches an instance to even the zones (the last
     * thing it does), every old instance is back in service: the surplus
     * is then whichever instance the fullest zone can spare, old or new,
     * and an old one drained for it is not returned to service. */
    const int evening = t && t->zone_evenings > 0;

    /* The rollout's drains of old instances end, but for those kept to shed
     * Auto Scaling's overage (decide_impl.h, overage_to_shed). */
    if (!evening && old_back_to_service(s, a, d) > 0) {
        decision_say(d, ACT_ACTIVATE, "returning %zu out-of-date instance(s) to ACTIVE", d->ids.n);
        return;
    }
    /* Every instance the rollback removes lowers the desired capacity by
     * what leaves: while the group still owes a launch (an account limit
     * let only some start), it would launch one for each, as soon as it
     * can. With more than the original capacity present that launch is
     * surplus, and Launch is held first (restore.c); below it (an instance
     * left the group) the launch is a replacement the group needs. */
    if (!evening && a->members_units > n_orig && hold_launches(s, a, d))
        return;
    /* Unready new instances are removed - except the one launched to even
     * the zones, while it may still come up. */
    if ((!evening || evening_given_up(s, o, t)) &&
        pick_views(a, new_unready_idle, (int)a->n, d) > 0) {
        if (remove_unready(s, a, d))
            return;
        decision_say(d, ACT_TERMINATE, "removing %zu new instance(s) that never became ready%s",
                     d->ids.n, d->keep_desired ? " (without lowering the desired capacity)" : "");
        return;
    }
    /* Evening the zones, any instance may be the surplus; shedding the
     * overage (decide_impl.h, overage_to_shed), only old ones are left. */
    int any = evening || shedding_overage(s, a);
    if (return_to_original(s, a, o, t, d, any ? any_drained : new_drained,
                           any ? any_draining : new_draining, any ? any_active : new_active,
                           evening ? BY_ZONE_SIZE_NEW_FIRST : BY_ZONE_SIZE))
        return;
    char terminating[320];
    if (finishing(s, a, o, t, d, terminating, sizeof(terminating)))
        return;
    decision_say(d, ACT_FINISH, "the group is back to %d %s: restoring its settings%s", n_orig,
                 s->spec.weighted ? "capacity unit(s)" : "instance(s)", terminating);
}
