/* Where a short service's tasks fail (issue 12 item 8).
 *
 * A service the rollout moved that stays below its goal holds termination
 * (decide.c): if its tasks fail only on the new instances, the new instances
 * are at fault and the rollback needs the old ones. If they fail as well on
 * instances the rollout did not launch (the old ones, another group's), the
 * service is broken everywhere and keeping the old instances mends nothing.
 * A task that fails stops by itself: stopCode TaskFailedToStart or
 * EssentialContainerExited ("Amazon ECS stopped task error codes", Amazon ECS
 * Developer Guide; Task.stopCode, Amazon ECS API Reference); a drain's stops
 * are ServiceSchedulerInitiated and do not count. Stopped tasks stay
 * visible for at least an hour (DescribeTasks, Amazon ECS API Reference), so
 * only failures since the rollout began count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/observe.h"
#include "util/mem.h"

/* Services looked at per poll, and stopped tasks described per service:
 * one ListTasks and one DescribeTasks each. */
#define FAILURES_SERVICES_PER_POLL 4
#define FAILURES_TASKS_PER_SERVICE 100

static int failed_by_itself(const struct ecs_task *t)
{
    return t->stop_code && (strcmp(t->stop_code, "EssentialContainerExited") == 0 ||
                            strcmp(t->stop_code, "TaskFailedToStart") == 0);
}

/* The container instances where the service's tasks failed since `since`. */
static int failed_on(struct observer *ob, const char *service, long long since, struct strv *out,
                     struct err *err)
{
    struct ecs_task_filter f = {0};
    f.service_name = service;
    f.desired_status = "STOPPED";
    struct strv arns = STRV_INIT;
    int rc = ob->ops->list_tasks(ob->ops->ctx, ob->cluster_name, &f, &arns, err);
    struct ecs_task *tasks = NULL;
    size_t n = 0;
    if (rc == 0 && arns.n) {
        size_t len = arns.n < FAILURES_TASKS_PER_SERVICE ? arns.n : FAILURES_TASKS_PER_SERVICE;
        rc = ob->ops->describe_tasks(ob->ops->ctx, ob->cluster_name, (const char *const *)arns.v,
                                     len, &tasks, &n, err);
    }
    char group[300];
    snprintf(group, sizeof(group), "service:%s", service);
    for (size_t k = 0; rc == 0 && k < n; k++) {
        const struct ecs_task *t = &tasks[k];
        /* An endpoint that ignores the filter answers other services' too. */
        if (!t->group || strcmp(t->group, group) != 0 || !failed_by_itself(t) ||
            !t->container_instance_arn || t->stopped_at < since)
            continue;
        if (!strv_contains(out, t->container_instance_arn))
            strv_push(out, t->container_instance_arn);
    }
    ecs_tasks_free(tasks, n);
    strv_free(&arns);
    return rc;
}

int observe_service_failures(struct observer *ob, struct rollout_snapshot *s, struct err *err)
{
    if (!s->n_services || !s->state.in_progress || s->state.started <= 0)
        return 0;
    int looked = 0;
    for (size_t i = 0; i < s->n_services && looked < FAILURES_SERVICES_PER_POLL; i++) {
        const struct ecs_service *svc = &s->services[i];
        if (!svc->name || svc->running_count >= svc->desired_count ||
            (s->service_on_group && !s->service_on_group[i]))
            continue;
        if (!s->service_failed_on)
            s->service_failed_on = xcalloc(s->n_services, sizeof(*s->service_failed_on));
        looked++;
        if (failed_on(ob, svc->name, s->state.started, &s->service_failed_on[i], err) != 0)
            return -1;
    }
    return 0;
}
