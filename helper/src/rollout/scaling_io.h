/* The observations behind rollout/scaling.c's judgements: the calls that
 * read a group's instance refreshes, capacity providers, scaling policies,
 * their alarms, scheduled actions and the cluster's services. */
#ifndef ECSR_ROLLOUT_SCALING_IO_H
#define ECSR_ROLLOUT_SCALING_IO_H

#include "rollout/scaling.h"
#include "svc/ecs.h"
#include "svc/ops.h"

/* What a rollout remembers of the group's scaling configuration across
 * polls (in memory: a resumed rollout observes afresh). */
struct scaling_watch {
    struct asg_scheduled_action *scheduled; /* as observed at the start */
    size_t n_scheduled;
    long long gate_since; /* when the wait for scale-in alarms began; 0: not begun */
    /* services below their desired count at pre-flight, and what they ran */
    struct strv short_services;
    int *short_running;
};

void scaling_watch_free(struct scaling_watch *w);

/* Pre-flight: refusals (active instance refresh, deletion, the given
 * out-of-date Standby instances) and notes (capacity providers of `cl`
 * that manage the group, lifecycle hooks, services already below desired,
 * scale-in alarms already in ALARM). Also reads the group's scaling policies, their alarms
 * and its scheduled actions, so a missing permission stops the rollout
 * before any change; the scheduled actions go to *w when w is not NULL.
 * -1 only when AWS could not be asked. */
int scaling_preflight(const struct svc_ops *ops, const char *cluster, const struct asg_group *g,
                      const struct ecs_cluster *cl, const struct strv *standby_outdated,
                      struct scaling_watch *w, struct strv *problems, struct strv *warnings,
                      struct err *err);

/* Before AlarmNotification is resumed: reads the group's policies and
 * their alarms and judges them (scaling_alarm_gate), the wait counted from
 * the first call (w->gate_since); with alarms in ALARM, also the cluster's
 * capacity providers (scaling_alarm_gate_protected). */
int scaling_check_alarms(const struct svc_ops *ops, const struct asg_group *g, const char *cluster,
                         long long now, struct scaling_watch *w, struct alarm_gate *out,
                         struct err *err);

/* Whether a capacity provider of group g in `cluster` has managed
 * termination protection (scaling_cp_manages_protection): *managed 1 or 0.
 * Read by the bulk scale-in (bulk.h). */
int scaling_read_protection_managed(const struct svc_ops *ops, const char *cluster,
                                    const struct asg_group *g, int *managed, struct err *err);

/* At the end: the scheduled actions that came due since `started` (those
 * observed at the start and those listed now), one message each. */
int scaling_scheduled_report(const struct svc_ops *ops, const char *group, long long started,
                             long long now, const struct scaling_watch *w, struct strv *out,
                             struct err *err);

#endif
