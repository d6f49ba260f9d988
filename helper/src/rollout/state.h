/* The rollout's durable state, kept as tags on the Auto Scaling group
 * itself (PropagateAtLaunch=false), so that a rollout killed at any moment,
 * even with SIGKILL, is resumed by running the same command again from any
 * machine. Everything else a rollout needs is observed afresh each poll.
 *
 *   ecs-rollout:original   "min=3,max=4,desired=3"  sizes to restore; its presence
 *                                                  means a rollout is in progress
 *   ecs-rollout:suspended  "AZRebalance,..." or "-" processes this rollout suspended
 *   ecs-rollout:lease      "host=H,pid=P,token=T,expires=UNIX" the running owner
 *   ecs-rollout:started    "UNIX"                  when the rollout began
 *   ecs-rollout:target     "lt-0abc/7" or "lc/NAME" what instances are replaced with
 */
#ifndef ECSR_ROLLOUT_STATE_H
#define ECSR_ROLLOUT_STATE_H

#include <stddef.h>

#include "svc/autoscaling.h"
#include "util/strv.h"

#define ROLLOUT_TAG_PREFIX "ecs-rollout:"
#define ROLLOUT_TAG_ORIGINAL "ecs-rollout:original"
#define ROLLOUT_TAG_SUSPENDED "ecs-rollout:suspended"
#define ROLLOUT_TAG_LEASE "ecs-rollout:lease"
#define ROLLOUT_TAG_STARTED "ecs-rollout:started"
#define ROLLOUT_TAG_TARGET "ecs-rollout:target"

/* How long a lease lasts without renewal, and how often it is renewed. */
#define ROLLOUT_LEASE_SECONDS 90
#define ROLLOUT_LEASE_RENEW_SECONDS 30

struct rollout_lease {
    char *host;
    long pid;
    char *token;
    long long expires;
};

struct rollout_state {
    int in_progress; /* the original-sizes tag exists */
    int min_size, max_size, desired_capacity;
    /* The sizes were read before the processes that change them were
     * suspended: they are read again once those are ("pending=1"). */
    int sizes_pending;
    struct strv suspended_by_us; /* process names to resume at the end */
    int has_lease;
    struct rollout_lease lease;
    long long started;
    char *target;
    /* Tags exist but cannot be read: refuse to act, say which and why. */
    char problem[256];
};

void rollout_state_free(struct rollout_state *st);

/* Reads the ecs-rollout:* tags of a group. Returns 0, or -1 with
 * st->problem set when a tag is malformed. */
int rollout_state_parse(const struct asg_group *g, struct rollout_state *st);

/* The tags that record `st` (all but the lease when with_lease is 0).
 * *tags is owned by the caller: free with rollout_tags_free. */
/* The tag recording st's original sizes (and whether they are pending);
 * tag's key and value are owned by the caller. */
void rollout_original_tag(const struct rollout_state *st, struct asg_tag *tag);

void rollout_state_tags(const struct rollout_state *st, int with_lease, struct asg_tag **tags,
                        size_t *n);
void rollout_lease_tag(const struct rollout_lease *l, struct asg_tag *tag);
/* The ecs-rollout:suspended tag for these process names. */
void rollout_suspended_tag(const struct strv *names, struct asg_tag *tag);
void rollout_tags_free(struct asg_tag *tags, size_t n);

/* Keys of every ecs-rollout:* tag present on the group (to delete at the end). */
void rollout_state_tag_keys(const struct asg_group *g, struct strv *keys);

enum lease_verdict {
    LEASE_FREE,       /* no lease */
    LEASE_OURS,       /* held by this process */
    LEASE_HELD,       /* held by another live rollout */
    LEASE_EXPIRED,    /* its owner stopped renewing it */
    LEASE_OWNER_DEAD, /* same host, and the owning process is gone */
};

/* pid_alive(pid) is asked only for leases taken on `my_host`. */
enum lease_verdict rollout_lease_check(const struct rollout_state *st, const char *my_host,
                                       const char *my_token, long long now,
                                       int (*pid_alive)(long pid));

#endif
