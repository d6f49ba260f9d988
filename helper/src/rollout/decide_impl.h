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
int old_drained(const struct instance_view *v);
int old_draining(const struct instance_view *v);
int old_draining_ours(const struct instance_view *v); /* the rollout's own drains */
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
/* Picks within a budget of capacity units (instances, without weights). */
int pick_units(const struct rollout_assessment *a, view_pred pred, int units, enum pick_order order,
               struct rollout_decision *d);
/* The same, from the zones with the most instances only (zone evening:
 * taking from another zone would undo it). */
int pick_units_fullest(const struct rollout_assessment *a, view_pred pred, int units,
                       enum pick_order order, struct rollout_decision *d);
/* The same, the heaviest that fits first. */
int pick_units_fullest_heaviest(const struct rollout_assessment *a, view_pred pred, int units,
                                enum pick_order order, struct rollout_decision *d);
/* Capacity units of the instances matching pred. */
int count_units(const struct rollout_assessment *a, view_pred pred);

/* ---- timers.c ---- */
/* How long a wait may last for this snapshot: rollout_wait_limit, plus
 * what lifecycle hooks may hold new or terminating instances for
 * (hooks.h); `what` says what holds them ("" when nothing does). */
long wait_limit_held(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                     const struct rollout_options *o, const struct rollout_timers *t,
                     enum rollout_wait w, char *what, size_t cap);
int wait_expired_held(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                      const struct rollout_options *o, const struct rollout_timers *t,
                      enum rollout_wait w);
/* Turns a wait into a failure once it has lasted longer than its limit;
 * says what holds it when lifecycle hooks do. */
void wait_or_fail(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                  const struct rollout_options *o, const struct rollout_timers *t,
                  enum rollout_wait w, struct rollout_decision *d);
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
/* The units of `want` a termination may remove; sets d->keep_desired when
 * it must not lower the desired capacity (members above it). */
int terminate_budget(const struct rollout_snapshot *s, const struct rollout_assessment *a, int want,
                     struct rollout_decision *d);
/* Sets d->keep_desired for a termination of `removed` units that a
 * decrement would take below MinSize or the original; returns 1 with d
 * turned into holding Launch when that must come first. */
int keep_desired_above_min(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                           int removed, const char *what, struct rollout_decision *d);
int units_in_decision(const struct rollout_assessment *a, const struct rollout_decision *d);
/* Sets d->keep_desired for a rollback's removal of unready new instances
 * (ids in d) that a decrement would take below MinSize or the original;
 * returns 1 with d turned into holding Launch when that must come first. */
int remove_unready(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                   struct rollout_decision *d);
/* The end of a rollout: removes new instances not registered that the
 * group has its original capacity without (ids into d); 1 with a
 * decision. */
int remove_surplus_unready(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                           const struct rollout_timers *t, struct rollout_decision *d);
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
 * when the group can be restored; `note` then says what is still
 * terminating, if anything (capacity.c, wait_for_termination). */
/* Auto Scaling's own overage, rolled back (weights). A launch fulfils the
 * desired capacity "even if this results in an overage" (Auto Scaling User
 * Guide, "Configure instance weighting"), so a group may start with more
 * units than its desired capacity. The scale-out absorbs that overage:
 * once what the rollout launched is removed, each with decrement, the
 * desired capacity is still above the original by it, and lowering it by
 * an update is a scale-in event in which Auto Scaling terminates instances
 * of its own choosing, undrained ("Control which instances terminate
 * during scale in"); so a rollback sheds it the safe way, draining old
 * instances and removing them with decrement (chaos seed 2 rollout 183:
 * "1 capacity unit(s) above the original 4" on every re-run). The units to
 * shed (0: none, and always without weights). */
int overage_to_shed(const struct rollout_snapshot *s, const struct rollout_assessment *a);
/* The overage is being shed: none of the rollout's new instances is left. */
int shedding_overage(const struct rollout_snapshot *s, const struct rollout_assessment *a);
/* The rollout's own drains of old instances, into d->ids to return to
 * service, less those kept draining to shed the overage. Returns how many. */
int old_back_to_service(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                        struct rollout_decision *d);
int finishing(const struct rollout_snapshot *s, const struct rollout_assessment *a,
              const struct rollout_options *o, const struct rollout_timers *t,
              struct rollout_decision *d, char *note, size_t cap);

/* ---- capacity.c ---- */
/* The capacity rule's floor: the group's original capacity, less what the
 * rollout leaves alone (out-of-date instances drained by someone else or
 * whose agent is disconnected: not capacity the rollout could count on).
 * An instance is drained only while the ACTIVE, connected capacity stays at
 * or above it without the instance. */
int capacity_floor(const struct rollout_snapshot *s, const struct rollout_assessment *a);
/* The units a batch of k replaceable out-of-date instances counts for. */
int batch_units(const struct rollout_assessment *a, int k);
/* The fewest units an instance matching either predicate counts for,
 * NO_UNITS when none does. */
#define NO_UNITS (1 << 30)
int smallest_units(const struct rollout_assessment *a, view_pred p1, view_pred p2);
/* Names the out-of-date instances the rollout cannot replace now, and why. */
void describe_excluded(const struct rollout_assessment *a, char *buf, size_t cap);
/* Instances the rollout (or its rollback) terminated, finishing their
 * termination. Those are drained already: however long a lifecycle hook
 * holds them, they never fail the rollout. The wait lasts as long as AWS
 * lets the hooks hold them (else --instance-timeout); past that, the
 * rollout finishes and `note` says what is still terminating. Returns 1
 * with a wait decision. */
int wait_for_termination(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                         const struct rollout_options *o, const struct rollout_timers *t,
                         struct rollout_decision *d, char *note, size_t cap);
/* Everything else done: wait (up to --drain-timeout) for the instances the
 * rollout cannot replace to change by themselves, then finish incomplete. */
void finish_or_wait_excluded(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                             const struct rollout_options *o, const struct rollout_timers *t,
                             struct rollout_decision *d, const char *terminating);

#endif
