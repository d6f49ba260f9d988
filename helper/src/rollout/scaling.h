/* What a group's scaling configuration means for a rollout: capacity
 * providers, scaling policies and their alarms, scheduled actions,
 * instance refreshes, Standby instances, services. Pure: the caller
 * observes, these functions judge.
 *
 * How the rollout lives with each (AWS documents named in comments and in
 * README "Cluster shapes"):
 * - Managed scaling acts only through the target tracking policy ECS puts
 *   on the group (metric CapacityProviderReservation; ECS Developer Guide,
 *   "Amazon ECS capacity providers for EC2 workloads", managed scaling).
 *   Suspending AlarmNotification stops the group's target tracking, step
 *   and simple scaling policies without deleting them (EC2 Auto Scaling
 *   User Guide, "Considerations for suspending processes"); the rollout
 *   already suspends it for its duration, so managed scaling no longer
 *   refuses it.
 * - Managed termination protection sets ProtectedFromScaleIn on instances
 *   with tasks; scale-in protection guards against scale in only, not
 *   against TerminateInstanceInAutoScalingGroup (User Guide, "Use instance
 *   scale-in protection"), which the rollout uses after draining. The
 *   rollout changes no instance's protection and not the group's
 *   NewInstancesProtectedFromScaleIn.
 * - Managed draining adds a termination lifecycle hook that ECS completes
 *   once the instance is drained; the rollout terminates instances it has
 *   already drained and never completes a hook it does not own.
 * - Resuming AlarmNotification while a scale-in alarm is still in ALARM
 *   from the doubled period could scale in at once: the rollout first
 *   waits for the group's scale-in alarms to leave ALARM, at most one full
 *   evaluation window of each (plus one period for the metric to arrive):
 *   after that the alarm judges the group at its original size, and what
 *   it does is what it would have done without the rollout. Not when the
 *   group's capacity provider has managed termination protection (and
 *   managed scaling): no scale-in can then take an instance with tasks. */
#ifndef ECSR_ROLLOUT_SCALING_H
#define ECSR_ROLLOUT_SCALING_H

#include <stddef.h>

#include "svc/asg_config.h"
#include "svc/autoscaling.h"
#include "svc/cloudwatch.h"
#include "svc/ecs.h"
#include "util/strv.h"

/* Whether a capacity provider manages this group (its Auto Scaling group
 * ARN is the group's, or ends with its name when the group's ARN is
 * unknown). */
int scaling_cp_is_groups(const struct ecs_capacity_provider *cp, const struct asg_group *g);

/* The name of a capacity provider of the group with managed termination
 * protection and managed scaling both ENABLED, or NULL. ECS then keeps
 * scale-in protection on every instance that runs tasks other than daemon
 * tasks, so a scale-in, whichever policy asks for it, can take only
 * instances without them (ECS Developer Guide, "Control the instances
 * Amazon ECS terminates"; the protection "doesn't work" without managed
 * scaling, API_AutoScalingGroupProviderUpdate). */
const char *scaling_cp_protecting_tasks(const struct ecs_capacity_provider *cps, size_t n,
                                        const struct asg_group *g);

/* Whether a capacity provider of the group has managed termination
 * protection ENABLED (with managed scaling or not): ECS then sets and
 * clears the members' scale-in protection itself, and the rollout's bulk
 * scale-in (bulk.h) leaves protection alone. */
int scaling_cp_manages_protection(const struct ecs_capacity_provider *cps, size_t n,
                                  const struct asg_group *g);

/* Pre-flight notes on the group's capacity providers: what the rollout does
 * with managed scaling, termination protection and draining (warnings). */
void scaling_cp_notes(const struct ecs_capacity_provider *cps, size_t n, const struct asg_group *g,
                      struct strv *warnings);

/* Pre-flight notes on the group's lifecycle hooks: each holds the instances
 * of its transition up to its timeouts, which the rollout waits for (it
 * never completes a hook it does not own). */
void scaling_hook_notes(const struct asg_lifecycle_hook *hooks, size_t n, struct strv *warnings);

/* Refusals with what to do instead: an instance refresh still active, the
 * group being deleted. */
void scaling_refusals(const struct asg_group *g, const struct asg_instance_refresh *refreshes,
                      size_t n_refreshes, struct strv *problems);

/* Refusal of Standby instances that are out of date (ids given): they
 * would come back out of date after the rollout. */
void scaling_standby_refusal(const struct asg_group *g, const struct strv *standby_outdated,
                             struct strv *problems);

/* Services below their desired count (running < desired) at the start: a
 * warning naming them (first 5) and saying the rollout does not wait for
 * them unless they have tasks on the group. */
void scaling_services_below_desired(const struct ecs_service *services, size_t n,
                                    struct strv *warnings);

/* The names of the alarms, of the group's policies, that can make it scale
 * in (asg_policy_can_scale_in; for target tracking, its alarm below the
 * target). `alarms` are those alarms as described. */
void scaling_scale_in_alarms(const struct asg_policy *policies, size_t n_policies,
                             const struct cw_alarm *alarms, size_t n_alarms, struct strv *out);

/* Every alarm name of the group's enabled policies (to describe). */
void scaling_policy_alarm_names(const struct asg_policy *policies, size_t n, struct strv *out);

/* The verdict before resuming AlarmNotification. */
struct alarm_gate {
    int wait;          /* 1: a scale-in alarm is still in ALARM and may clear */
    int expired;       /* some alarm stayed in ALARM beyond its bound */
    int protected_;    /* alarms in ALARM, not waited for: no scale-in can take a task */
    long bound_s;      /* the longest bound of the alarms in ALARM */
    char message[512]; /* what is waited for, or why it is resumed anyway */
};

/* `scale_in` names the scale-in alarms, `alarms` their states; the wait
 * began `waited_s` seconds ago. Each alarm in ALARM is waited for up to
 * Period x (EvaluationPeriods + 1) seconds (60 x 2 when unknown). */
void scaling_alarm_gate(const struct strv *scale_in, const struct cw_alarm *alarms, size_t n,
                        long waited_s, struct alarm_gate *out);

/* A gate (scaling_alarm_gate) over a group whose capacity provider
 * `provider` protects every instance with tasks from scale-in
 * (scaling_cp_protecting_tasks): the alarms in ALARM are not waited for,
 * since resuming AlarmNotification cannot scale in an instance the rollout
 * has not drained; the message says so. No change without alarms in ALARM. */
void scaling_alarm_gate_protected(struct alarm_gate *gate, const char *provider);

/* Scheduled actions that came due in [from, to] (their start time; a
 * recurring action's next start as listed when it was observed): one
 * message each into `out`, saying what the action would have set. Actions
 * named twice (observed at the start and at the end) are reported once. */
void scaling_scheduled_due(const struct asg_scheduled_action *v, size_t n, long long from,
                           long long to, struct strv *out);

#endif
