/* The rollout's state, read back from the group's tags
 * (rollout_state_parse) and written again (rollout_state_tags).
 *
 * Input: one tag per line, "KEY<TAB>VALUE" (a line without a tab is a key
 * with an empty value); after an empty line, a line "NOW HOST TOKEN" for
 * the lease check.
 *
 * Properties: a refusal says why; a rollout in progress written back as
 * tags reads back as the same state; rollout_state_tag_keys lists exactly
 * the ecs-rollout:* keys; the lease check holds together (no lease: free;
 * our token: ours; expired otherwise when past its time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rollout/state.h"

static int dead(long pid)
{
    return pid % 2 == 0 ? 0 : 1;
}

static void same_state(const struct rollout_state *a, const struct rollout_state *b)
{
    FUZZ_CHECK(a->in_progress == b->in_progress && a->min_size == b->min_size &&
                   a->max_size == b->max_size && a->desired_capacity == b->desired_capacity,
               "sizes do not survive a round trip: %d/%d/%d -> %d/%d/%d", a->min_size, a->max_size,
               a->desired_capacity, b->min_size, b->max_size, b->desired_capacity);
    FUZZ_CHECK(a->suspended_by_us.n == b->suspended_by_us.n, "suspended processes: %zu -> %zu",
               a->suspended_by_us.n, b->suspended_by_us.n);
    for (size_t i = 0; i < a->suspended_by_us.n; i++)
        FUZZ_CHECK(strcmp(a->suspended_by_us.v[i], b->suspended_by_us.v[i]) == 0,
                   "suspended process '%s' -> '%s'", a->suspended_by_us.v[i],
                   b->suspended_by_us.v[i]);
    FUZZ_CHECK(a->has_lease == b->has_lease, "lease lost or invented");
    if (a->has_lease)
        FUZZ_CHECK(strcmp(a->lease.host, b->lease.host) == 0 &&
                       strcmp(a->lease.token, b->lease.token) == 0 &&
                       a->lease.pid == b->lease.pid && a->lease.expires == b->lease.expires,
                   "lease '%s' does not survive a round trip", a->lease.host);
    FUZZ_CHECK(a->started == b->started, "started %lld -> %lld", a->started, b->started);
    FUZZ_CHECK((!a->target && !b->target) ||
                   (a->target && b->target && strcmp(a->target, b->target) == 0),
               "target does not survive a round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct asg_group g;
    memset(&g, 0, sizeof(g));
    size_t cap = 0;
    while (in.n) {
        char *line = fuzz_line(&in);
        if (!line[0]) {
            free(line);
            break;
        }
        if (g.n_tags == cap) {
            cap = cap ? 2 * cap : 8;
            g.tags = realloc(g.tags, cap * sizeof(*g.tags));
        }
        char *tab = strchr(line, '\t');
        struct asg_tag *t = &g.tags[g.n_tags++];
        t->key = fuzz_dup(line, tab ? (size_t)(tab - line) : strlen(line));
        t->value = fuzz_dup(tab ? tab + 1 : "", tab ? strlen(tab + 1) : 0);
        t->propagate_at_launch = 0;
        free(line);
    }
    long long now = 0;
    char host[64] = "", token[64] = "";
    char *check = fuzz_line(&in);
    sscanf(check, "%lld %63s %63s", &now, host, token);
    free(check);

    struct rollout_state st;
    if (rollout_state_parse(&g, &st) != 0) {
        FUZZ_CHECK(st.problem[0] && memchr(st.problem, 0, sizeof(st.problem)),
                   "refused without a reason");
    } else {
        size_t ours = 0;
        for (size_t i = 0; i < g.n_tags; i++)
            ours += strncmp(g.tags[i].key, ROLLOUT_TAG_PREFIX, strlen(ROLLOUT_TAG_PREFIX)) == 0;
        struct strv keys = STRV_INIT;
        rollout_state_tag_keys(&g, &keys);
        FUZZ_CHECK(keys.n == ours, "tag keys: %zu listed, %zu present", keys.n, ours);
        strv_free(&keys);

        enum lease_verdict v =
            rollout_lease_check(&st, host[0] ? host : NULL, token[0] ? token : NULL, now, dead);
        if (!st.has_lease)
            FUZZ_CHECK(v == LEASE_FREE, "no lease but verdict %d", (int)v);
        else if (token[0] && strcmp(st.lease.token, token) == 0)
            FUZZ_CHECK(v == LEASE_OURS, "our token but verdict %d", (int)v);
        else if (st.lease.expires <= now)
            FUZZ_CHECK(v == LEASE_EXPIRED, "expired lease but verdict %d", (int)v);
        else
            FUZZ_CHECK(v == LEASE_HELD || v == LEASE_OWNER_DEAD, "live lease but verdict %d",
                       (int)v);

        if (st.in_progress) {
            struct asg_group g2;
            memset(&g2, 0, sizeof(g2));
            rollout_state_tags(&st, 1, &g2.tags, &g2.n_tags);
            struct rollout_state back;
            FUZZ_CHECK(rollout_state_parse(&g2, &back) == 0,
                       "the tags written for a state do not read back: %s", back.problem);
            same_state(&st, &back);
            rollout_state_free(&back);
            rollout_tags_free(g2.tags, g2.n_tags);
        }
    }
    rollout_state_free(&st);
    rollout_tags_free(g.tags, g.n_tags);
    return 0;
}
