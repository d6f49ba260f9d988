/* rollout/hooks.c: how long a wait lasts when lifecycle hooks hold
 * instances (heartbeat timeout, then the global timeout). */
#include "rollout/hooks.h"
#include "test.h"

TEST(aws_defaults)
{
    struct hook_timeout h = {"log-shipper", 1, 0, 0};
    CHECK_INT(hook_heartbeat_s(&h), 3600);
    CHECK_INT(hook_global_s(&h), 172800); /* min(360000, 172800) */
    h.heartbeat_s = 300;
    CHECK_INT(hook_global_s(&h), 30000);
    h.global_s = 1000;
    CHECK_INT(hook_global_s(&h), 1000);
}

TEST(durations_read_well)
{
    char b[32];
    hook_format_duration(45, b, sizeof(b));
    CHECK_STR(b, "45 s");
    hook_format_duration(2400, b, sizeof(b));
    CHECK_STR(b, "40 min");
    hook_format_duration(5400, b, sizeof(b));
    CHECK_STR(b, "90 min");
    hook_format_duration(172800, b, sizeof(b));
    CHECK_STR(b, "48 h");
}

TEST(termination_hold_extends_the_wait_by_the_heartbeat_then_the_global_timeout)
{
    struct hook_timeout hooks[] = {
        {"log-shipper", 1, 2400, 0},
        {"warm-up", 0, 600, 0},
    };
    struct hook_hold h;
    hook_hold_assess(hooks, 2, 1, 3, 600, 10, 0, &h);
    CHECK_INT(h.held, 3);
    CHECK_INT(h.limit_s, 600 + 2400);
    CHECK_INT(h.beyond_heartbeat, 0);
    CHECK_STR(h.what, "3 instance(s) held by lifecycle hook log-shipper, up to 40 min");
    /* Still held after the heartbeat timeout: heartbeats are recorded. */
    hook_hold_assess(hooks, 2, 1, 3, 600, 600 + 2401, 0, &h);
    CHECK_INT(h.beyond_heartbeat, 1);
    CHECK_INT(h.limit_s, 600 + 172800); /* min(100 x 2400, 48 h) */
    CHECK_CONTAINS(h.what, "beyond the heartbeat timeout");
    CHECK_CONTAINS(h.what, "up to 48 h in all");
    /* The launch transition has its own hooks. */
    hook_hold_assess(hooks, 2, 0, 2, 600, 0, 0, &h);
    CHECK_INT(h.limit_s, 1200);
    CHECK_STR(h.what, "2 instance(s) held by lifecycle hook warm-up, up to 10 min");
}

TEST(nothing_held_or_no_hook_keeps_the_own_limit)
{
    struct hook_timeout hooks[] = {{"a", 1, 900, 0}, {"b", 1, 1800, 5000}};
    struct hook_hold h;
    /* Hooks but nothing held yet: the own limit; held any more: the own
     * limit and the time they held instances (counted by the engine's
     * timers), however long, and only that. */
    hook_hold_assess(hooks, 2, 1, 0, 600, 5000, 0, &h);
    CHECK_INT(h.limit_s, 600);
    CHECK_STR(h.what, "");
    hook_hold_assess(hooks, 2, 1, 0, 600, 5000, 20, &h);
    CHECK_INT(h.limit_s, 620);
    CHECK_STR(h.what, "");
    hook_hold_assess(hooks, 2, 1, 0, 600, 9000, 7000, &h); /* heartbeats were recorded */
    CHECK_INT(h.limit_s, 7600);
    hook_hold_assess(hooks, 2, 0, 4, 600, 0, 0, &h);
    CHECK_INT(h.limit_s, 600);
    CHECK_STR(h.what, "");
    /* Two hooks on one transition: the longest timeouts count. */
    hook_hold_assess(hooks, 2, 1, 1, 600, 0, 0, &h);
    CHECK_INT(h.limit_s, 2400);
    CHECK_STR(h.what, "1 instance(s) held by lifecycle hooks a, b, up to 30 min");
    hook_hold_assess(hooks, 2, 1, 1, 600, 2401, 0, &h);
    CHECK_INT(h.limit_s, 600 + 90000); /* a: 100 x 900 */
}
