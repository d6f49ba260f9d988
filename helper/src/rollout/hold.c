/* What the rollout holds of the group's scaling configuration, around the
 * end: AlarmNotification stays suspended while a scale-in alarm is still in
 * ALARM from the doubled period, and scheduled actions that came due while
 * ScheduledActions was suspended are reported (rollout/scaling.h says
 * why, from AWS's documents). */
#include <stdio.h>
#include <string.h>

#include "rollout/engine_impl.h"
#include "util/buf.h"

static const char ALARM_NOTIFICATION[] = "AlarmNotification";
static const char SCHEDULED_ACTIONS[] = "ScheduledActions";

/* The end resumes this process: the rollout suspended it and it still is. */
static int resumes(const struct rollout_snapshot *s, const char *process)
{
    return strv_contains(&s->state.suspended_by_us, process) &&
           strv_contains(&s->group.suspended_processes, process);
}

int hold_alarm_notification(struct engine *e, const struct rollout_snapshot *s,
                            struct rollout_decision *d, struct err *err)
{
    if (d->action != ACT_FINISH || !resumes(s, ALARM_NOTIFICATION))
        return 0;
    struct alarm_gate gate;
    if (scaling_check_alarms(e->ops, &s->group, e->cfg->cluster_name, s->now, &e->scaling, &gate,
                             err) != 0)
        return -1;
    if (gate.wait) {
        rollout_decision_free(d);
        memset(d, 0, sizeof(*d));
        d->action = ACT_WAIT;
        d->wait = WAIT_ALARMS;
        snprintf(d->message, sizeof(d->message), "%s", gate.message);
        return 1;
    }
    if (gate.expired || gate.protected_)
        emit(e, EV_WARNING, NULL, gate.message, NULL, NULL);
    return 0;
}

void hold_report_scheduled(struct engine *e, const struct rollout_snapshot *s)
{
    if (!strv_contains(&s->state.suspended_by_us, SCHEDULED_ACTIONS))
        return;
    struct strv due = STRV_INIT;
    struct err err;
    err_clear(&err);
    long long started = s->state.started ? s->state.started : s->now;
    if (scaling_scheduled_report(e->ops, s->group.name, started, (long long)engine_wall_s(e),
                                 &e->scaling, &due, &err) != 0)
        emit_err(e, EV_WARNING,
                 "could not check which scheduled actions came due during the "
                 "rollout",
                 &err);
    for (size_t i = 0; i < due.n; i++)
        emit(e, EV_WARNING, NULL, due.v[i], NULL, NULL);
    strv_free(&due);
}
