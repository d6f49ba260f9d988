/* The rollout loop: observe -> decide -> act -> wait, until the rollout (or
 * its rollback) ends. Decisions are pure (decide.c, restore.c, timers.c);
 * the writes are in act.c, the lease in lease.c, the events in
 * progress.c. */
#include <stdio.h>
#include <string.h>

#include "rollout/conflict.h"
#include "rollout/decide_impl.h"
#include "rollout/engine_impl.h"
#include "rollout/held.h"
#include "rollout/preflight.h"
#include "rollout/target.h"
#include "util/buf.h"

/* How long AWS may keep failing (throttling, 5xx, network) before the
 * rollout gives up and rolls back. Each failed poll has already been
 * retried by the client. */
#define TRANSIENT_GRACE_S 180

/* How long a wait may show no change before polls back off (seconds). */
#define POLL_STILL_S 60.0

/* poll_once's answer when the poll failed (step_err says why). */
#define POLL_FAILED (-1.0)

int engine_stop_requested(const struct engine *e)
{
    return e->cfg->stop && *e->cfg->stop;
}

void engine_pause(const struct engine *e, double seconds)
{
    double until = engine_mono_s(e) + seconds;
    if (e->ops->idle && seconds > 0)
        e->ops->idle(e->ops->ctx);
    while (!engine_stop_requested(e)) {
        double left = until - engine_mono_s(e);
        if (left <= 0)
            break;
        e->ops->sleep(e->ops->ctx, left > 0.1 ? 0.1 : left);
    }
}

static int is_transient(const struct err *err)
{
    return aws_error_is_retryable(err) || err->kind == ERR_NETWORK || err->kind == ERR_TIMEOUT ||
           err->kind == ERR_PROTOCOL;
}

/* The one way into the rollback, for a decision that gave up and for a
 * failed poll alike. */
static void enter_rollback(struct engine *e, const char *why)
{
    e->rollback = 1;
    snprintf(e->failure, sizeof(e->failure), "%s", why);
    e->phase = RUN_ROLLBACK;
    emitf(e, EV_ERROR, "rollout failed: %s; rolling back", why);
    struct rollout_decision fail = {.action = ACT_FAIL};
    rollout_timers_note(&e->timers, &fail, (long long)engine_wall_s(e));
    e->transient_since = 0;
}

static void conclude_err(struct engine *e, enum rollout_result r, const struct err *err)
{
    struct buf b = BUF_INIT;
    err_format(err, &b);
    conclude(e, r, "%s", buf_cstr(&b));
    buf_free(&b);
}

/* A write of the start refused because AWS is busy with the group
 * (conflict.h): says so and pauses, returning 1 while it is worth trying
 * again. */
static int conflict_persists(struct engine *e, const struct err *err, double since)
{
    enum rollout_conflict c = rollout_conflict_of(err);
    if (c == CONFLICT_NONE || engine_stop_requested(e) ||
        engine_mono_s(e) - since >= ROLLOUT_CONFLICT_GRACE_S)
        return 0;
    emitf(e, EV_INFO, "%s; trying again: %s", rollout_conflict_name(c), err->message);
    engine_pause(e, e->poll_min);
    return !engine_stop_requested(e);
}

/* How long a rollout waits, before it begins, for instances that are
 * launching or registering (seconds). */
#define START_SETTLE_S 120

static int unsettled(const struct rollout_assessment *a)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += a->v[i].phase == PHASE_LAUNCHING || a->v[i].phase == PHASE_UNREGISTERED;
    return n;
}

/* Instances launched during the rollout that report an out-of-date launch
 * specification are kept (assess.c); say so once for each. */
static void warn_kept(struct engine *e, const struct rollout_assessment *a)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct instance_view *v = &a->v[i];
        if (!v->kept || strv_contains(&e->warned_kept, v->asg->instance_id))
            continue;
        strv_push(&e->warned_kept, v->asg->instance_id);
        emitf(e, EV_WARNING, "instance %s: %s", v->asg->instance_id, v->why);
    }
}

/* The pre-flight checks and the lease: returns 1 when the rollout is ours
 * to run, else concludes. */
static int start(struct engine *e, struct err *err)
{
    struct rollout_snapshot s;
    struct rollout_assessment a;
    struct rollout_decision d;
    e->phase = RUN_PREFLIGHT;
    if (observe(&e->ob, (long long)engine_wall_s(e), &s, err) != 0) {
        conclude_err(e,
                     err->kind == ERR_STATE         ? ROLLOUT_REFUSED
                     : err->kind == ERR_INTERRUPTED ? ROLLOUT_INTERRUPTED
                                                    : ROLLOUT_ERROR,
                     err);
        return 0;
    }
    rollout_assess(&s, &e->cfg->options, &a);
    /* An instance that is launching, or running but not yet listed as a
     * container instance, is a moment in a group's life, not a reason to
     * refuse: before a rollout begins, wait a while for it to settle. */
    double settle_until = engine_mono_s(e) + START_SETTLE_S;
    while (!s.state.in_progress && unsettled(&a) > 0 && engine_mono_s(e) < settle_until &&
           !engine_stop_requested(e)) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "waiting for %d instance(s) launching or registering before starting",
                 unsettled(&a));
        if (strcmp(e->last_wait, msg) != 0) {
            snprintf(e->last_wait, sizeof(e->last_wait), "%s", msg);
            emit(e, EV_WAIT, NULL, msg, NULL, NULL);
        }
        rollout_assessment_free(&a);
        rollout_snapshot_free(&s);
        engine_pause(e, e->poll_min);
        if (observe(&e->ob, (long long)engine_wall_s(e), &s, err) != 0) {
            conclude_err(e, err->kind == ERR_STATE ? ROLLOUT_REFUSED : ROLLOUT_ERROR, err);
            return 0;
        }
        rollout_assess(&s, &e->cfg->options, &a);
    }
    for (size_t i = 0; i < a.n; i++)
        if (a.v[i].phase != PHASE_LEAVING && a.v[i].phase != PHASE_IGNORED)
            strv_push(&e->initial, a.v[i].asg->instance_id);
    e->outdated_at_start = a.outdated;
    rollout_decide(&s, &a, &e->cfg->options, NULL, &d);
    enum rollout_result r = ROLLOUT_DONE;

    if (d.action == ACT_NOTHING_TO_DO) {
        r = ROLLOUT_NOTHING_TO_DO;
    } else if (d.action == ACT_BEGIN) {
        struct strv problems = STRV_INIT, warnings = STRV_INIT;
        if (rollout_preflight(e->ops, e->cfg, &s, &a, &e->scaling, &problems, &warnings, err) !=
            0) {
            r = err->kind == ERR_INTERRUPTED ? ROLLOUT_INTERRUPTED : ROLLOUT_ERROR;
        } else {
            for (size_t i = 0; i < warnings.n; i++)
                emit(e, EV_WARNING, NULL, warnings.v[i], NULL, NULL);
            if (problems.n) {
                for (size_t i = 0; i < problems.n; i++)
                    emit(e, EV_ERROR, NULL, problems.v[i], NULL, NULL);
                err_set(err, ERR_STATE, "pre-flight refused the rollout: %s%s", problems.v[0],
                        problems.n > 1 ? " (and more, see above)" : "");
                r = ROLLOUT_REFUSED;
            } else {
                char t[256];
                rollout_target_describe(&s.target, t, sizeof(t));
                emitf(e, EV_START, "rolling out %s to group %s in cluster %s: %s", t, s.group.name,
                      e->cfg->cluster_name, d.message);
                observer_note_short_services(&e->ob, &e->scaling.short_services,
                                             e->scaling.short_running);
                int rc;
                double since = engine_mono_s(e);
                while ((rc = act_begin(e, &s, err)) != 0 && conflict_persists(e, err, since))
                    ;
                if (rc != 0 || lease_settle(e, err) != 0)
                    r = lease_failure(e, err);
            }
        }
        strv_free(&problems);
        strv_free(&warnings);
    } else {
        double since = engine_mono_s(e);
        while ((r = lease_claim(e, err)) == ROLLOUT_ERROR && conflict_persists(e, err, since))
            ;
        if (r == ROLLOUT_DONE)
            emitf(e, EV_START,
                  "resuming the rollout of group %s started %llds ago (%d of %d instance(s) out of "
                  "date)",
                  s.group.name, s.now - s.state.started, a.outdated, a.members);
    }
    /* A lease this run may have written (an answer cut short by a stop
     * request, say) must not hold the next run up. */
    if (r != ROLLOUT_DONE)
        lease_release(e);
    if (r == ROLLOUT_NOTHING_TO_DO) {
        conclude(e, r, "nothing to do: %s", d.message);
    } else if (r == ROLLOUT_INTERRUPTED) {
        conclude(e, r,
                 "stopped on request before the rollout changed anything; run the same "
                 "command again to start it");
    } else if (r != ROLLOUT_DONE) {
        conclude_err(e, r, err);
    }
    rollout_decision_free(&d);
    rollout_assessment_free(&a);
    rollout_snapshot_free(&s);
    return r == ROLLOUT_DONE;
}

/* A wait: report it when it changes; poll sooner while things move. */
static double on_wait(struct engine *e, const struct rollout_snapshot *s,
                      const struct rollout_assessment *a, const struct rollout_decision *d)
{
    rollout_timers_note(&e->timers, d, s->now);
    rollout_timers_observe(&e->timers, a, s->now);
    if (strcmp(e->last_wait, d->message) != 0) {
        snprintf(e->last_wait, sizeof(e->last_wait), "%s", d->message);
        emit(e, EV_WAIT, NULL, d->message, NULL, NULL);
    }
    /* Polls stay at poll_min for the first POLL_STILL_S of a wait that shows
     * no change, then back off towards poll_max: what a rollout waits for (a
     * boot, a drain, a termination) usually ends within a minute, and the
     * poll after its end then comes sooner; a wait held longer (a stuck
     * drain) costs fewer requests. */
    unsigned long fp = fingerprint(s, a);
    double now = engine_mono_s(e);
    if (fp != e->last_fingerprint || e->still_since <= 0)
        e->still_since = now;
    double base = e->interval < e->poll_min ? e->poll_min : e->interval;
    double slower = base * 1.5 > e->poll_max ? e->poll_max : base * 1.5;
    e->interval = now - e->still_since < POLL_STILL_S ? e->poll_min : slower;
    e->last_fingerprint = fp;
    /* The end of a burst of terminations (1,000 called within seconds end
     * within seconds) is polled for where it is due, not a whole interval
     * late; each poll of this wait is the group's description alone. */
    if (d->wait == WAIT_TERMINATION) {
        if (e->leaving_seen > 0)
            e->interval = rollout_termination_poll(e->leaving_seen, a->leaving,
                                                   now - e->leaving_seen_at, e->interval);
        e->leaving_seen = a->leaving;
        e->leaving_seen_at = now;
    } else {
        e->leaving_seen = 0;
    }
    return e->interval;
}

/* A decision that gave up: the rollout rolls back; a rollback that gives
 * up ends with the cluster serving. */
static double on_fail(struct engine *e, const struct rollout_snapshot *s,
                      const struct rollout_assessment *a, const struct rollout_decision *d,
                      struct err *err)
{
    /* A drain that ECS will not finish (held.h): the failure says which
     * service holds it and what to change, since a re-run alone would be
     * held by the same tasks. */
    char held[1024];
    int is_held = d->wait == WAIT_DRAIN && drain_held(e, s, a, held, sizeof(held));
    if (!e->rollback && d->wait == WAIT_DRAIN)
        for (size_t i = 0; i < a->n; i++)
            if (any_draining(&a->v[i]) && a->v[i].phase != PHASE_DRAINED)
                strv_push(&e->unfinished_drains, a->v[i].asg->instance_id);
    if (!e->rollback) {
        enter_rollback(e, is_held ? held : d->message);
        return e->interval;
    }
    if (is_held)
        err_set(err, ERR_STATE, "%s", held);
    else
        err_set(err, ERR_STATE, "the rollback could not finish (%s); the rollout had failed: %s",
                d->message, e->failure);
    act_return_to_service(e, s);
    if (e->lost_lease) {
        conclude(e, ROLLOUT_BUSY, "another rollout took over group %s during the rollback",
                 e->cfg->asg_name);
        return 0;
    }
    lease_release(e);
    if (is_held)
        conclude(e, ROLLOUT_STUCK,
                 "the cluster is serving; the rollback could not finish either: %s", held);
    else
        conclude(e, ROLLOUT_STUCK,
                 "the cluster is serving; run the same command again to continue once the cause "
                 "is fixed. %s",
                 err->message);
    return 0;
}

/* A write. Returns 1 in *again when its whole effect is known: the next
 * decision is taken at once instead of asking AWS what we just told it. */
static double on_action(struct engine *e, struct rollout_snapshot *s,
                        const struct rollout_decision *d, int *again, struct err *step_err,
                        struct err *err)
{
    if (e->rollback)
        e->phase = RUN_ROLLBACK;
    int done = act_perform(e, s, d, step_err);
    if (done != 0 && done != ACT_LOOK_AGAIN)
        return POLL_FAILED;
    if (done == ACT_LOOK_AGAIN) {
        e->interval = 0;
        return 0;
    }
    rollout_timers_note(&e->timers, d, s->now);
    emit(e, EV_ACTION, rollout_action_name(d->action), d->message, &d->ids, NULL);
    if (act_apply_to_snapshot(s, d)) {
        *again = 1;
        return 0;
    }
    e->interval = 0;
    if (d->action != ACT_FINISH)
        return 0;
    hold_report_scheduled(e, s);
    if (e->rollback) {
        err_set(err, ERR_STATE, "%s", e->failure);
        conclude(e, ROLLOUT_ROLLED_BACK, "rollout failed and was rolled back: %s", e->failure);
    } else if (d->incomplete) {
        err_set(err, ERR_STATE, "%s", d->message);
        conclude(e, ROLLOUT_INCOMPLETE, "replaced %d instance(s), %d task(s) moved; %s",
                 e->sum->replaced, e->sum->tasks_moved, d->message);
    } else {
        conclude(e, ROLLOUT_DONE, "replaced %d instance(s) in %d batch(es), %d task(s) moved",
                 e->sum->replaced, e->batch > 0 ? (e->sum->replaced + e->batch - 1) / e->batch : 0,
                 e->sum->tasks_moved);
    }
    return 0;
}

/* One poll: observe, then decide and act. Returns how long to wait before
 * the next poll, or POLL_FAILED. */
static double poll_once(struct engine *e, long long now, struct err *step_err, struct err *err)
{
    struct rollout_snapshot s;
    struct rollout_assessment a;
    if (observe(&e->ob, now, &s, step_err) != 0)
        return POLL_FAILED;
    if (bulk_note_protection(e, &s, step_err) != 0) {
        rollout_snapshot_free(&s);
        return POLL_FAILED;
    }
    bulk_check_victims(e, &s);
    rollout_assess(&s, &e->cfg->options, &a);
    for (size_t i = 0; e->rollback && s.spec.weighted && i < a.n; i++)
        a.v[i].drain_unfinished = strv_contains(&e->unfinished_drains, a.v[i].asg->instance_id);
    double pause = 0;
    int again = 1;
    if (!lease_still_ours(e, &s.state, err)) {
        /* Every poll reads the lease too: a run that was held up learns
         * here that another took over, before it writes anything. */
        conclude(e, ROLLOUT_BUSY, "%s", err->message);
        again = 0;
    } else if (!s.state.in_progress) {
        /* The tags vanished under us: someone finished or cancelled it. */
        err_set(err, ERR_STATE, "the rollout state tags of group %s disappeared while it ran",
                e->cfg->asg_name);
        conclude(e, ROLLOUT_STUCK, "%s", err->message);
        again = 0;
    }
    warn_kept(e, &a);
    while (again) {
        again = 0;
        struct rollout_decision d;
        if (e->rollback)
            rollout_decide_rollback(&s, &a, &e->cfg->options, &e->timers, &d);
        else
            rollout_decide(&s, &a, &e->cfg->options, &e->timers, &d);
        if (hold_alarm_notification(e, &s, &d, step_err) < 0) {
            rollout_decision_free(&d);
            pause = POLL_FAILED;
            break;
        }
        struct rollout_progress p;
        progress(e, &s, &a, &p);
        emit(e, EV_PROGRESS, NULL, NULL, NULL, &p);
        if (d.action == ACT_WAIT)
            pause = on_wait(e, &s, &a, &d);
        else if (d.action == ACT_FAIL)
            pause = on_fail(e, &s, &a, &d, err);
        else
            pause = on_action(e, &s, &d, &again, step_err, err);
        rollout_decision_free(&d);
    }
    rollout_assessment_free(&a);
    rollout_snapshot_free(&s);
    if (pause != POLL_FAILED)
        e->transient_since = e->conflict_since = 0;
    return pause;
}

/* A failed poll: AWS failing for a while is waited out; anything else
 * rolls the rollout back, and ends a rollback with the cluster serving.
 * Returns how long to wait before the next poll. */
static double on_poll_failed(struct engine *e, const struct err *step_err, struct err *err)
{
    if (e->lost_lease) {
        *err = *step_err;
        conclude_err(e, ROLLOUT_BUSY, step_err);
        return 0;
    }
    if (step_err->kind == ERR_INTERRUPTED)
        return 0; /* the stop request is handled at the top of the loop */
    struct buf b = BUF_INIT;
    err_format(step_err, &b);
    double pause = 0;
    /* AWS busy with the group, an instance gone, part of an ECS batch
     * refused: look again and decide afresh. Never a reason to roll back;
     * if it does not clear, stop with the cluster serving, resumable. */
    enum rollout_conflict conflict = rollout_conflict_of(step_err);
    if (conflict != CONFLICT_NONE) {
        if (e->conflict_since == 0)
            e->conflict_since = engine_mono_s(e);
        if (engine_mono_s(e) - e->conflict_since < ROLLOUT_CONFLICT_GRACE_S) {
            emitf(e, EV_INFO, "%s; looking again: %s", rollout_conflict_name(conflict),
                  buf_cstr(&b));
            buf_free(&b);
            return e->poll_min;
        }
        *err = *step_err;
        act_return_to_service(e, NULL);
        lease_release(e);
        conclude(e, ROLLOUT_STUCK,
                 "%s for %ds; the cluster is serving and the state is kept on the group: run the "
                 "same command again once it has cleared. Last: %s",
                 rollout_conflict_name(conflict), ROLLOUT_CONFLICT_GRACE_S, buf_cstr(&b));
        buf_free(&b);
        return 0;
    }
    if (is_transient(step_err) && e->transient_since == 0)
        e->transient_since = engine_mono_s(e);
    if (is_transient(step_err) && engine_mono_s(e) - e->transient_since < TRANSIENT_GRACE_S) {
        emitf(e, EV_WARNING, "AWS is failing, retrying: %s", buf_cstr(&b));
        pause = e->poll_max;
    } else if (!e->rollback) {
        enter_rollback(e, buf_cstr(&b));
        pause = e->poll_min;
    } else {
        *err = *step_err;
        act_return_to_service(e, NULL);
        if (e->lost_lease) {
            conclude(e, ROLLOUT_BUSY, "another rollout took over group %s during the rollback",
                     e->cfg->asg_name);
            buf_free(&b);
            return 0;
        }
        lease_release(e);
        /* What to do first: both errors can be long (and are often the
         * same one, a missing permission). */
        if (strcmp(e->failure, buf_cstr(&b)) == 0)
            conclude(e, ROLLOUT_STUCK,
                     "the rollout failed and so did rolling it back; the state is kept on the "
                     "group: run the same command again to continue once the cause is fixed. Both "
                     "failed with: %s",
                     e->failure);
        else
            conclude(e, ROLLOUT_STUCK,
                     "the rollout failed and so did rolling it back; the state is kept on the "
                     "group: run the same command again to continue once the cause is fixed. The "
                     "rollout failed with: %s. The rollback failed with: %s",
                     e->failure, buf_cstr(&b));
    }
    buf_free(&b);
    return pause;
}

static void interrupt(struct engine *e, struct err *err)
{
    bulk_unprotect_on_stop(e);
    lease_release(e);
    err_set(err, ERR_INTERRUPTED, "stopped on request; run the same command again to resume");
    conclude(e, ROLLOUT_INTERRUPTED, "%s", err->message);
}

static void engine_init(struct engine *e, const struct svc_ops *ops,
                        const struct rollout_config *cfg, struct rollout_summary *sum)
{
    memset(e, 0, sizeof(*e));
    memset(sum, 0, sizeof(*sum));
    e->ops = ops;
    e->cfg = cfg;
    e->sum = sum;
    e->t0 = engine_mono_s(e);
    e->poll_min = cfg->poll_min_s > 0 ? cfg->poll_min_s : 1.0;
    e->poll_max = cfg->poll_max_s > 0 ? cfg->poll_max_s : 3.0;
    e->interval = e->poll_min;
    e->protection_managed = -1;
    lease_identity(e);
    observer_init(&e->ob, ops, cfg->asg_name, cfg->cluster_name, &cfg->options);
}

enum rollout_result rollout_run(const struct svc_ops *ops, const struct rollout_config *cfg,
                                struct rollout_summary *sum, struct err *err)
{
    struct engine e;
    engine_init(&e, ops, cfg, sum);
    err_clear(err);
    int running = start(&e, err);
    while (running && !e.ended) {
        if (engine_stop_requested(&e)) {
            interrupt(&e, err);
            break;
        }
        long long now = (long long)engine_wall_s(&e);
        if (lease_keep(&e, err) != 0) {
            conclude(&e, ROLLOUT_BUSY, "%s", err->message);
            break;
        }
        struct err step_err;
        err_clear(&step_err);
        double pause = poll_once(&e, now, &step_err, err); /* observe -> decide -> act */
        if (pause == POLL_FAILED)
            pause = on_poll_failed(&e, &step_err, err);
        if (!e.ended && pause > 0)
            engine_pause(&e, pause); /* wait */
    }
    strv_free(&e.initial);
    strv_free(&e.launched);
    scaling_watch_free(&e.scaling);
    strv_free(&e.warned_kept);
    strv_free(&e.unfinished_drains);
    strv_free(&e.bulk_victims);
    strv_free(&e.bulk_kept);
    observer_free(&e.ob);
    return (enum rollout_result)sum->result;
}
