/* The rollout state kept in group tags: round trip, malformed tags, leases. */
#include <stdlib.h>
#include <string.h>

#include "rollout/state.h"
#include "test.h"

static struct asg_group group_with(struct asg_tag *tags, size_t n)
{
    struct asg_group g;
    memset(&g, 0, sizeof(g));
    g.name = "asg";
    g.tags = tags;
    g.n_tags = n;
    return g;
}

TEST(round_trip_through_tags)
{
    struct rollout_state st;
    memset(&st, 0, sizeof(st));
    st.in_progress = 1;
    st.min_size = 2;
    st.max_size = 4;
    st.desired_capacity = 3;
    strv_push(&st.suspended_by_us, "AZRebalance");
    strv_push(&st.suspended_by_us, "ScheduledActions");
    st.started = 1700000000;
    st.target = strdup("lt-0abc/7");
    st.has_lease = 1;
    st.lease.host = strdup("build-1/abcd");
    st.lease.pid = 4242;
    st.lease.token = strdup("f00d");
    st.lease.expires = 1700000090;

    struct asg_tag *tags;
    size_t n;
    rollout_state_tags(&st, 1, &tags, &n);
    CHECK_INT(n, 5);
    for (size_t i = 0; i < n; i++)
        CHECK(!tags[i].propagate_at_launch);
    struct asg_group g = group_with(tags, n);
    struct rollout_state back;
    CHECK_INT(rollout_state_parse(&g, &back), 0);
    CHECK(back.in_progress);
    CHECK_INT(back.min_size, 2);
    CHECK_INT(back.max_size, 4);
    CHECK_INT(back.desired_capacity, 3);
    CHECK_INT(back.suspended_by_us.n, 2);
    CHECK_STR(back.suspended_by_us.v[1], "ScheduledActions");
    CHECK_INT(back.started, 1700000000);
    CHECK_STR(back.target, "lt-0abc/7");
    CHECK(back.has_lease);
    CHECK_STR(back.lease.host, "build-1/abcd");
    CHECK_INT(back.lease.pid, 4242);
    CHECK_INT(back.lease.expires, 1700000090);

    struct strv keys = STRV_INIT;
    rollout_state_tag_keys(&g, &keys);
    CHECK_INT(keys.n, 5);
    strv_free(&keys);
    rollout_tags_free(tags, n);
    rollout_state_free(&st);
    rollout_state_free(&back);
}

TEST(no_suspended_processes_is_a_dash)
{
    struct rollout_state st;
    memset(&st, 0, sizeof(st));
    st.in_progress = 1;
    st.max_size = 1;
    st.desired_capacity = 1;
    struct asg_tag *tags;
    size_t n;
    rollout_state_tags(&st, 0, &tags, &n);
    CHECK_STR(tags[1].value, "-");
    struct asg_group g = group_with(tags, n);
    struct rollout_state back;
    CHECK_INT(rollout_state_parse(&g, &back), 0);
    CHECK_INT(back.suspended_by_us.n, 0);
    CHECK(!back.has_lease);
    rollout_tags_free(tags, n);
    rollout_state_free(&back);
}

TEST(sizes_still_to_be_read_again_round_trip)
{
    struct rollout_state st;
    memset(&st, 0, sizeof(st));
    st.in_progress = 1;
    st.max_size = 4;
    st.desired_capacity = 2;
    st.sizes_pending = 1;
    struct asg_tag *tags;
    size_t n;
    rollout_state_tags(&st, 0, &tags, &n);
    CHECK_STR(tags[0].value, "min=0,max=4,desired=2,pending=1");
    struct asg_group g = group_with(tags, n);
    struct rollout_state back;
    CHECK_INT(rollout_state_parse(&g, &back), 0);
    CHECK(back.sizes_pending);
    CHECK_INT(back.desired_capacity, 2);
    rollout_state_free(&back);
    rollout_tags_free(tags, n);
    /* recorded: no field at all, as before pending sizes existed */
    st.sizes_pending = 0;
    rollout_state_tags(&st, 0, &tags, &n);
    CHECK_STR(tags[0].value, "min=0,max=4,desired=2");
    g = group_with(tags, n);
    CHECK_INT(rollout_state_parse(&g, &back), 0);
    CHECK(!back.sizes_pending);
    rollout_state_free(&back);
    rollout_tags_free(tags, n);
    rollout_state_free(&st);
}

TEST(malformed_tags_are_refused_with_the_tag_named)
{
    static const char *const bad[] = {"min=3,max=2,desired=3",  "min=1,desired=1",
                                      "min=a,max=2,desired=1",  "",
                                      "min=-1,max=2,desired=1", "min=1,max=2,desired=1,pending=0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct asg_tag t = {"ecs-rollout:original", (char *)bad[i], 0};
        struct asg_group g = group_with(&t, 1);
        struct rollout_state st;
        CHECK_INT(rollout_state_parse(&g, &st), -1);
        CHECK_CONTAINS(st.problem, "ecs-rollout:original");
        CHECK_CONTAINS(st.problem, "delete");
        rollout_state_free(&st);
    }
    struct asg_tag t = {"ecs-rollout:lease", "host=x,pid=1", 0};
    struct asg_group g = group_with(&t, 1);
    struct rollout_state st;
    CHECK_INT(rollout_state_parse(&g, &st), -1);
    CHECK_CONTAINS(st.problem, "ecs-rollout:lease");
    rollout_state_free(&st);
}

/* Found by fuzz_rollout_state (corpus/rollout_state/regress-*): a second
 * ecs-rollout:target or :lease tag leaked the first one's value, and "-,"
 * read as a suspended process named "-" that was written back as "-",
 * which reads as none. */
TEST(duplicate_tags_and_bad_process_names_are_refused)
{
    struct asg_tag twice[2] = {{"ecs-rollout:target", "lt-1/2", 0},
                               {"ecs-rollout:target", "lt-1/3", 0}};
    struct asg_group g = group_with(twice, 2);
    struct rollout_state st;
    CHECK_INT(rollout_state_parse(&g, &st), -1);
    CHECK_CONTAINS(st.problem, "ecs-rollout:target appears twice");
    rollout_state_free(&st);

    static const char *const bad[] = {"-,", "AZRebalance,-", "Launch,Health Check", ",,;"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct asg_tag t = {"ecs-rollout:suspended", (char *)bad[i], 0};
        g = group_with(&t, 1);
        CHECK_MSG(rollout_state_parse(&g, &st) == -1, "accepted \"%s\"", bad[i]);
        CHECK_CONTAINS(st.problem, "ecs-rollout:suspended");
        rollout_state_free(&st);
    }
    struct asg_tag ok = {"ecs-rollout:suspended", "AZRebalance,,Launch,AZRebalance", 0};
    g = group_with(&ok, 1);
    CHECK_INT(rollout_state_parse(&g, &st), 0);
    CHECK_INT(st.suspended_by_us.n, 2);
    CHECK_STR(st.suspended_by_us.v[1], "Launch");
    rollout_state_free(&st);
}

TEST(other_tags_are_ignored)
{
    struct asg_tag t[2] = {{"Name", "web", 1}, {"ecs-rollout-not-ours", "x", 0}};
    struct asg_group g = group_with(t, 2);
    struct rollout_state st;
    CHECK_INT(rollout_state_parse(&g, &st), 0);
    CHECK(!st.in_progress);
    struct strv keys = STRV_INIT;
    rollout_state_tag_keys(&g, &keys);
    CHECK_INT(keys.n, 0);
    rollout_state_free(&st);
}

static int dead(long pid)
{
    (void)pid;
    return 0;
}
static int alive(long pid)
{
    (void)pid;
    return 1;
}

TEST(lease_verdicts)
{
    struct rollout_state st;
    memset(&st, 0, sizeof(st));
    CHECK_INT(rollout_lease_check(&st, "h", "t", 100, alive), LEASE_FREE);
    st.has_lease = 1;
    st.lease.host = "h";
    st.lease.token = "other";
    st.lease.pid = 7;
    st.lease.expires = 200;
    CHECK_INT(rollout_lease_check(&st, "h", "other", 100, alive), LEASE_OURS);
    CHECK_INT(rollout_lease_check(&st, "h", "mine", 100, alive), LEASE_HELD);
    CHECK_INT(rollout_lease_check(&st, "h", "mine", 100, dead), LEASE_OWNER_DEAD);
    CHECK_INT(rollout_lease_check(&st, "elsewhere", "mine", 100, dead), LEASE_HELD);
    CHECK_INT(rollout_lease_check(&st, "elsewhere", "mine", 200, dead), LEASE_EXPIRED);
}
