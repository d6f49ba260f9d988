/* Shared by the parts of the decision layer: decide.c (the next step),
 * pick.c (which instances), restore.c (the end of a rollout or rollback)
 * and timers.c (the timer rule). Pure functions; not for use outside
 * src/rollout. */
#ifndef ECSR_ROLLOUT_DECIDE_IMPL_H
#define ECSR_ROLLOUT_DECIDE_IMPL_H

#include "rollout/model.h"

/* Sets the action and its message. */
void decision_say(struct rollout_decision *d, enum rollout_action action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- pick.c ---- */
typedef int (*view_pred)(const struct instance_view *v);

int view_is_member(const struct instance_view *v); /* not LEAVING or IGNORED */
int view_is_draining(const struct instance_view *v);
int view_tasks(const struct instance_view *v);
int old_drainable(const struct instance_view *v);
int old_disconnected(const struct instance_view *v);
int old_drained(const struct instance_view *v);
int old_draining(const struct instance_view *v);
int old_idle(const struct instance_view *v);
int new_draining(const struct instance_view *v);
int new_drained(const struct instance_view *v);
int new_active(const struct instance_view *v);
int new_unready_idle(const struct instance_view *v);
int any_draining(const struct instance_view *v);
int any_drained(const struct instance_view *v);
int any_active(const struct instance_view *v);
int count_views(const struct rollout_assessment *a, view_pred pred);

enum pick_order { BY_ZONE_SIZE, BY_OLD_IN_ZONE, BY_ZONE_SIZE_NEW_FIRST };
/* Adds up to k instance ids matching `pred` to d->ids. Returns how many. */
int pick_views_ordered(const struct rollout_assessment *a, view_pred pred, int k,
                       enum pick_order order, struct rollout_decision *d);
int pick_views(const struct rollout_assessment *a, view_pred pred, int k,
               struct rollout_decision *d);

/* ---- timers.c ---- */
/* Turns a wait into a failure once it has lasted longer than its limit. */
void wait_or_fail(const struct rollout_snapshot *s, const struct rollout_options *o,
                  const struct rollout_timers *t, enum rollout_wait w, struct rollout_decision *d);
/* An instance launched to even the zones has been awaited longer than new
 * instances may take. */
int evening_given_up(const struct rollout_snapshot *s, const struct rollout_options *o,
                     const struct rollout_timers *t);

/* ---- restore.c ---- */
/* Processes the rollout suspended that are no longer suspended (Launch
 * aside), into d->ids. */
void missing_processes(const struct rollout_snapshot *s, struct rollout_decision *d);
int release_launches(const struct rollout_snapshot *s, struct rollout_decision *d);
int hold_launches(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                  struct rollout_decision *d);
void describe_drain(const struct rollout_assessment *a, char *buf, size_t cap);
int even_zones(const struct rollout_snapshot *s, const struct rollout_assessment *a,
               const struct rollout_options *o, const struct rollout_timers *t,
               struct rollout_decision *d);
int return_to_original(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                       const struct rollout_options *o, const struct rollout_timers *t,
                       struct rollout_decision *d, view_pred drained_p, view_pred draining_p,
                       view_pred active_p, enum pick_order order);
/* The last steps before restoring the group, for a rollout and a rollback
 * alike: removed instances finish leaving, the zones are evened, Launch is
 * held while the desired capacity comes down. Returns 1 with a decision, 0
 * when the group can be restored. */
int finishing(const struct rollout_snapshot *s, const struct rollout_assessment *a,
              const struct rollout_options *o, const struct rollout_timers *t,
              struct rollout_decision *d);

#endif
