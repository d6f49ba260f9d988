/* Waiting on instances held by lifecycle hooks. Pure.
 *
 * A lifecycle hook holds an instance in Pending:Wait (launch) or
 * Terminating:Wait (termination) until its owner completes the action or
 * the heartbeat timeout passes; each RecordLifecycleActionHeartbeat
 * restarts the heartbeat timeout, up to the global timeout, which is
 * 100 times the heartbeat timeout or 48 hours, whichever is smaller
 * (Amazon EC2 Auto Scaling User Guide, "Amazon EC2 Auto Scaling lifecycle
 * hooks" and "Configure a notification target"; API reference,
 * LifecycleHook). The rollout never completes a hook: the hook belongs to
 * whoever made it (a log shipper, ECS managed draining). It waits as long
 * as AWS lets the hook hold the instance. */
#ifndef ECSR_ROLLOUT_HOOKS_H
#define ECSR_ROLLOUT_HOOKS_H

#include <stddef.h>

#define HOOK_DEFAULT_HEARTBEAT_S 3600L
#define HOOK_MAX_GLOBAL_S 172800L

struct hook_timeout {
    const char *name;
    int terminating;  /* 1: autoscaling:EC2_INSTANCE_TERMINATING, 0: LAUNCHING */
    long heartbeat_s; /* 0: AWS's default, 3600 */
    long global_s;    /* 0: AWS's default, min(100 x heartbeat, 172800) */
};

/* The heartbeat and global timeouts of a hook, AWS's defaults applied. */
long hook_heartbeat_s(const struct hook_timeout *h);
long hook_global_s(const struct hook_timeout *h);

struct hook_hold {
    int held;             /* instances held in the transition's wait state */
    long limit_s;         /* how long the wait may last in all */
    int beyond_heartbeat; /* held longer than any heartbeat timeout: heartbeats are recorded */
    char what[256];       /* "3 instance(s) held by lifecycle hook log-shipper, up to 40 min"; "" */
};

/* How long a wait may last when the transition (terminating or launching)
 * has lifecycle hooks: while `held` instances are in the wait state, its
 * own limit `base_s` plus the longest heartbeat timeout of those hooks (an
 * instance may sit that long in the wait state before it goes on), or plus
 * the longest global timeout once the wait (`waited_s` so far) has
 * outlasted that (their owner is recording heartbeats). When none is held,
 * base_s plus the time the wait saw instances held (`held_s`; the hold was
 * bounded by the limits above): a hook that let its instances go after 20 s
 * excuses 20 s, not its whole heartbeat timeout (issue 12, chaos seed 11
 * rollout 35: new instances that never registered after a 20 s launch hook
 * were waited for 5 minutes). Without hooks the limit is base_s.
 * `what` says what holds the instances, when any is held. */
void hook_hold_assess(const struct hook_timeout *hooks, size_t n, int terminating, int held,
                      long base_s, long waited_s, long held_s, struct hook_hold *out);

/* "45 s", "40 min", "90 min", "48 h". */
void hook_format_duration(long seconds, char *buf, size_t cap);

#endif
