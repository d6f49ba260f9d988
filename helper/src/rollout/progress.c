/* What the rollout reports: events for the CLI's output and the report,
 * the progress counts after every poll, and the final summary. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rollout/engine_impl.h"
#include "util/buf.h"

const char *rollout_result_name(enum rollout_result r)
{
    switch (r) {
    case ROLLOUT_DONE:
        return "done";
    case ROLLOUT_NOTHING_TO_DO:
        return "nothing-to-do";
    case ROLLOUT_ROLLED_BACK:
        return "rolled-back";
    case ROLLOUT_REFUSED:
        return "refused";
    case ROLLOUT_INTERRUPTED:
        return "interrupted";
    case ROLLOUT_BUSY:
        return "busy";
    case ROLLOUT_STUCK:
        return "stuck";
    case ROLLOUT_ERROR:
        return "error";
    case ROLLOUT_INCOMPLETE:
        return "incomplete";
    }
    return "?";
}

double engine_wall_s(const struct engine *e)
{
    return e->ops->wall_clock(e->ops->ctx);
}

double engine_mono_s(const struct engine *e)
{
    return e->ops->monotonic(e->ops->ctx);
}

const char *run_phase_name(const struct engine *e)
{
    switch (e->phase) {
    case RUN_PREFLIGHT:
        return "preflight";
    case RUN_SCALE_OUT:
        return "scale-out";
    case RUN_DRAIN:
        return "drain";
    case RUN_TERMINATE:
        return "terminate";
    case RUN_FINISH:
        return "finish";
    case RUN_ROLLBACK:
        return "rollback";
    case RUN_ENDED:
        return rollout_result_name((enum rollout_result)e->sum->result);
    }
    return "?";
}

void emit(struct engine *e, enum rollout_event_kind kind, const char *action, const char *message,
          const struct strv *ids, const struct rollout_progress *progress)
{
    if (!e->cfg->on_event)
        return;
    struct rollout_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.time = engine_wall_s(e);
    ev.phase = run_phase_name(e);
    ev.action = action;
    ev.message = message;
    ev.ids = ids;
    ev.progress = progress;
    ev.summary = kind == EV_DONE ? e->sum : NULL;
    e->cfg->on_event(&ev, e->cfg->userdata);
}

void emitf(struct engine *e, enum rollout_event_kind kind, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emit(e, kind, NULL, msg, NULL, NULL);
}

void emit_err(struct engine *e, enum rollout_event_kind kind, const char *prefix,
              const struct err *err)
{
    struct buf b = BUF_INIT;
    err_format(err, &b);
    emitf(e, kind, "%s: %s", prefix, buf_cstr(&b));
    buf_free(&b);
}

void progress(struct engine *e, const struct rollout_snapshot *s,
              const struct rollout_assessment *a, struct rollout_progress *p)
{
    memset(p, 0, sizeof(*p));
    /* Replaced: instances of the start that are no longer members. */
    int still = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].phase != PHASE_LEAVING && strv_contains(&e->initial, a->v[i].asg->instance_id))
            still++;
    e->sum->replaced = (int)e->initial.n - still;
    p->members = a->members;
    p->current = a->current;
    p->outdated = a->outdated;
    p->draining = a->old_draining + a->new_draining;
    p->new_ready = a->new_ready;
    p->new_not_ready = a->new_not_ready;
    p->leaving = a->leaving;
    p->tasks_to_move = a->tasks_to_move;
    p->desired_capacity = s->group.desired_capacity;
    p->original_desired =
        s->state.in_progress ? s->state.desired_capacity : s->group.desired_capacity;
    p->elapsed_s = engine_mono_s(e) - e->t0;
    p->services = s->services;
    p->n_services = s->n_services;
    int batch = rollout_batch_size(&e->cfg->options, p->original_desired,
                                   s->state.in_progress ? s->state.max_size : s->group.max_size);
    if (batch < 1)
        batch = 1;
    int total = e->outdated_at_start > 0 ? e->outdated_at_start : a->outdated;
    p->n_batches = (total + batch - 1) / batch;
    e->batch = batch;
    p->batch = (e->sum->replaced + batch - 1) / batch;
    p->eta_s = -1;
    if (e->sum->replaced > 0 && !e->rollback && e->first_change > 0) {
        /* The pace so far, applied to what is left. */
        double per_instance = (engine_mono_s(e) - e->first_change) / e->sum->replaced;
        p->eta_s = per_instance * a->outdated;
    }
    for (size_t i = 0; i < s->group.n_instances; i++) {
        const char *id = s->group.instances[i].instance_id;
        if (!strv_contains(&e->initial, id) && !strv_contains(&e->launched, id))
            strv_push(&e->launched, id);
    }
}

unsigned long fingerprint(const struct rollout_snapshot *s, const struct rollout_assessment *a)
{
    unsigned long h = 5381;
    int vals[] = {
        a->members,      a->active,  a->new_ready,     a->new_not_ready,          a->old_draining,
        a->new_draining, a->leaving, a->tasks_to_move, s->group.desired_capacity, (int)s->n_drains};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        h = h * 33 + (unsigned long)vals[i];
    for (size_t i = 0; i < s->n_drains; i++)
        h = h * 33 + (unsigned long)(s->drains[i].empty + 2 * s->drains[i].known);
    return h;
}

enum rollout_result conclude(struct engine *e, enum rollout_result r, const char *fmt, ...)
{
    struct rollout_summary *sum = e->sum;
    sum->result = r;
    sum->elapsed_s = engine_mono_s(e) - e->t0;
    sum->launched = (int)e->launched.n;
    sum->batches = e->batch > 0 ? (sum->replaced + e->batch - 1) / e->batch : 0;
    e->ops->stats(e->ops->ctx, &sum->aws_calls, &sum->aws_attempts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sum->message, sizeof(sum->message), fmt, ap);
    va_end(ap);
    e->phase = RUN_ENDED;
    e->ended = 1;
    emit(e, EV_DONE, NULL, sum->message, NULL, NULL);
    return r;
}
