/* Drains that ECS will not finish: service tasks held on draining instances
 * by their service's minimumHealthyPercent (held.c).
 *
 * Amazon ECS Developer Guide, "Draining Amazon ECS container instances": a
 * service's RUNNING tasks on a DRAINING instance are replaced according to
 * minimumHealthyPercent and maximumPercent; minimumHealthyPercent is the
 * lower limit on the service's RUNNING tasks "while any container instances
 * are in the DRAINING state" (DeploymentConfiguration, ECS API Reference).
 * A service at that limit whose replacement cannot be placed (no instance
 * has room: the group at its size runs fewer than desired) keeps its task
 * on the draining instance for as long as that lasts: waiting longer
 * changes nothing, a rollback may be held the same way, and a re-run would
 * be, so the failure says which service holds it and what to change. */
#ifndef ECSR_ROLLOUT_HELD_H
#define ECSR_ROLLOUT_HELD_H

#include <stddef.h>

#include "svc/ecs.h"
#include "util/strv.h"

/* `held` names the service of each task still meant to run on the draining
 * instances (one entry per task, daemon tasks left out); `others` counts the
 * other tasks there (standalone); `stopping` (NULL: none) names the service
 * of each task told to stop that still runs (desiredStatus STOPPED,
 * lastStatus RUNNING): runningCount counts it (lastStatus RUNNING), but it
 * keeps no service at its lower limit, which counts the tasks meant to run.
 * Returns 1 when every one of them is held by its service's
 * minimumHealthyPercent (a REPLICA service, ACTIVE, with no task PENDING,
 * that could not lose one RUNNING task and stay at its lower limit), with
 * msg saying so and what to do; 0 otherwise. Pure. */
int held_by_minimum_healthy(const struct ecs_service *svcs, size_t n, const struct strv *held,
                            const struct strv *stopping, int others, char *msg, size_t cap);

struct engine;
struct rollout_snapshot;
struct rollout_assessment;
/* Lists the tasks left on the rollout's draining members and describes
 * their services: 1 with msg when held_by_minimum_healthy says they stay;
 * 0 otherwise, and when AWS could not tell. */
int drain_held(struct engine *e, const struct rollout_snapshot *s,
               const struct rollout_assessment *a, char *msg, size_t cap);

#endif
