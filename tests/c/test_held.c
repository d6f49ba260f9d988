/* rollout/held.c: a drain that ECS will not finish, because the service of
 * the tasks left on it is at its minimumHealthyPercent with no room for a
 * replacement (issue 12, chaos service-below-desired). */
#include <string.h>

#include "rollout/held.h"
#include "test.h"

static struct ecs_service svc(const char *name, int desired, int running, int pending, int min_pct)
{
    struct ecs_service s;
    memset(&s, 0, sizeof(s));
    s.name = (char *)name;
    s.status = (char *)"ACTIVE";
    s.scheduling_strategy = (char *)"REPLICA";
    s.desired_count = desired;
    s.running_count = running;
    s.pending_count = pending;
    s.minimum_healthy_percent = min_pct;
    s.maximum_percent = 200;
    return s;
}

TEST(a_service_at_its_lower_limit_with_nothing_pending_holds_its_task)
{
    struct ecs_service svcs[] = {svc("big", 4, 4, 0, 100), svc("web", 6, 6, 0, 100)};
    struct strv held = STRV_INIT;
    strv_push(&held, "big");
    char msg[768];
    CHECK_INT(held_by_minimum_healthy(svcs, 2, &held, NULL, 0, msg, sizeof(msg)), 1);
    CHECK_CONTAINS(msg, "service big keeps 1 task(s) there: it runs 4 of desired 4");
    CHECK_CONTAINS(msg, "minimumHealthyPercent 100");
    CHECK_CONTAINS(msg, "lower the desired count of service big to 3");
    strv_free(&held);
}

TEST(an_absent_minimum_healthy_percent_is_ecs_default_100)
{
    struct ecs_service svcs[] = {svc("big", 2, 2, 0, -1)};
    struct strv held = STRV_INIT;
    strv_push(&held, "big");
    char msg[768];
    CHECK_INT(held_by_minimum_healthy(svcs, 1, &held, NULL, 0, msg, sizeof(msg)), 1);
    CHECK_CONTAINS(msg, "minimumHealthyPercent 100");
    strv_free(&held);
}

TEST(tasks_ecs_may_still_move_are_not_held)
{
    char msg[768];
    struct strv held = STRV_INIT;
    strv_push(&held, "big");
    /* Above its lower limit: ECS may stop one. */
    struct ecs_service above[] = {svc("big", 4, 4, 0, 50)};
    CHECK_INT(held_by_minimum_healthy(above, 1, &held, NULL, 0, msg, sizeof(msg)), 0);
    CHECK_STR(msg, "");
    /* A replacement on its way. */
    struct ecs_service pending[] = {svc("big", 4, 4, 1, 100)};
    CHECK_INT(held_by_minimum_healthy(pending, 1, &held, NULL, 0, msg, sizeof(msg)), 0);
    /* A standalone task holds the instance too: not only the services. */
    struct ecs_service at[] = {svc("big", 4, 4, 0, 100)};
    CHECK_INT(held_by_minimum_healthy(at, 1, &held, NULL, 1, msg, sizeof(msg)), 0);
    /* A service that was not described. */
    CHECK_INT(held_by_minimum_healthy(NULL, 0, &held, NULL, 0, msg, sizeof(msg)), 0);
    /* Two services, one of which ECS can move. */
    struct ecs_service two[] = {svc("big", 4, 4, 0, 100), svc("web", 6, 6, 0, 50)};
    strv_push(&held, "web");
    CHECK_INT(held_by_minimum_healthy(two, 2, &held, NULL, 0, msg, sizeof(msg)), 0);
    /* Nothing left at all is no hold. */
    struct strv none = STRV_INIT;
    CHECK_INT(held_by_minimum_healthy(two, 2, &none, NULL, 0, msg, sizeof(msg)), 0);
    strv_free(&held);
}

TEST(each_holding_service_is_named_with_what_it_can_run)
{
    struct ecs_service svcs[] = {svc("big", 4, 4, 0, 100), svc("api", 3, 3, 0, 100)};
    struct strv held = STRV_INIT;
    strv_push(&held, "api");
    strv_push(&held, "big");
    strv_push(&held, "api");
    char msg[768];
    CHECK_INT(held_by_minimum_healthy(svcs, 2, &held, NULL, 0, msg, sizeof(msg)), 1);
    CHECK_CONTAINS(msg, "service api keeps 2 task(s) there");
    CHECK_CONTAINS(msg, "lower the desired count of service api to 1, the desired count of "
                        "service big to 3");
    strv_free(&held);
}

TEST(a_task_told_to_stop_that_still_runs_holds_no_service_above_its_limit)
{
    /* runningCount 5 of desired 4: one of them ignores its stop (chaos seed
     * 11 rollout 49); ECS keeps the 4 meant to run, so the task on the
     * draining instance stays. */
    struct ecs_service svcs[] = {svc("web", 4, 5, 0, 100)};
    struct strv held = STRV_INIT, stopping = STRV_INIT;
    strv_push(&held, "web");
    char msg[768];
    CHECK_INT(held_by_minimum_healthy(svcs, 1, &held, NULL, 0, msg, sizeof(msg)), 0);
    strv_push(&stopping, "web");
    CHECK_INT(held_by_minimum_healthy(svcs, 1, &held, &stopping, 0, msg, sizeof(msg)), 1);
    CHECK_CONTAINS(msg, "it runs 4 of desired 4 (and 1 task(s) told to stop that still run");
    CHECK_CONTAINS(msg, "lower the desired count of service web to 3");
    /* Another service's stopping task changes nothing for this one. */
    struct strv other = STRV_INIT;
    strv_push(&other, "big");
    CHECK_INT(held_by_minimum_healthy(svcs, 1, &held, &other, 0, msg, sizeof(msg)), 0);
    strv_free(&other);
    strv_free(&held);
    strv_free(&stopping);
}
