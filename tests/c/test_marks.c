/* rollout/marks.c: the launched-after time and the instances already
 * DRAINING when a rollout began, as tags on the group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/marks.h"
#include "rollout/state.h"
#include "test.h"

static void group_with(struct asg_group *g, struct asg_tag *tags, size_t n)
{
    memset(g, 0, sizeof(*g));
    g->name = (char *)"web";
    g->tags = tags;
    g->n_tags = n;
}

TEST(round_trip)
{
    struct rollout_marks m = {0};
    m.launched_after = 1795620660;
    strv_push(&m.foreign, "i-0123456789abcdef0");
    strv_push(&m.foreign, "i-0aaa");
    struct asg_tag *tags;
    size_t n;
    char why[256];
    CHECK_INT(rollout_marks_tags(&m, &tags, &n, why, sizeof(why)), 0);
    CHECK_INT(n, 2);
    CHECK_STR(tags[0].key, "ecs-rollout:launched-after");
    CHECK_STR(tags[0].value, "1795620660");
    CHECK_STR(tags[1].key, "ecs-rollout:foreign");
    CHECK_STR(tags[1].value, "i-0123456789abcdef0,i-0aaa");
    CHECK_INT(tags[1].propagate_at_launch, 0);

    struct asg_group g;
    group_with(&g, tags, n);
    struct rollout_marks back;
    CHECK_INT(rollout_marks_parse(&g, &back, why, sizeof(why)), 0);
    CHECK_INT(back.launched_after, 1795620660);
    CHECK_INT(back.foreign.n, 2);
    CHECK_STR(back.foreign.v[1], "i-0aaa");
    CHECK_INT(rollout_launched_during(&back, 1795620660), 0);
    CHECK_INT(rollout_launched_during(&back, 1795620661), 1);
    CHECK_INT(rollout_launched_during(&back, 0), 0);
    rollout_marks_free(&back);
    rollout_tags_free(tags, n);
    rollout_marks_free(&m);

    /* Nothing recorded: no tags, and nothing counts as launched during. */
    CHECK_INT(rollout_marks_tags(&m, &tags, &n, why, sizeof(why)), 0);
    CHECK_INT(n, 0);
    rollout_tags_free(tags, n);
    CHECK_INT(rollout_launched_during(&m, 1795620661), 0);
}

TEST(long_foreign_lists_take_several_tags_up_to_a_limit)
{
    struct rollout_marks m = {0};
    for (int i = 0; i < 30; i++)
        strv_pushf(&m.foreign, "i-%017d", i);
    struct asg_tag *tags;
    size_t n;
    char why[256];
    CHECK_INT(rollout_marks_tags(&m, &tags, &n, why, sizeof(why)), 0);
    CHECK_INT(n, 3);
    CHECK_STR(tags[0].key, "ecs-rollout:foreign");
    CHECK_STR(tags[1].key, "ecs-rollout:foreign.2");
    CHECK_STR(tags[2].key, "ecs-rollout:foreign.3");
    for (size_t i = 0; i < n; i++)
        CHECK(strlen(tags[i].value) <= ROLLOUT_TAG_VALUE_MAX);
    struct asg_group g;
    group_with(&g, tags, n);
    struct rollout_marks back;
    CHECK_INT(rollout_marks_parse(&g, &back, why, sizeof(why)), 0);
    CHECK_INT(back.foreign.n, 30);
    CHECK_STR(back.foreign.v[29], "i-00000000000000029");
    rollout_marks_free(&back);
    rollout_tags_free(tags, n);

    for (int i = 30; i < 60; i++)
        strv_pushf(&m.foreign, "i-%017d", i);
    CHECK_INT(rollout_marks_tags(&m, &tags, &n, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "60 instances of the group are already DRAINING");
    rollout_marks_free(&m);
}

TEST(malformed_marks_are_refused)
{
    struct asg_tag t[2] = {{(char *)"ecs-rollout:launched-after", (char *)"soon", 0},
                           {(char *)"ecs-rollout:foreign.4", (char *)"i-1,x", 0}};
    struct asg_group g;
    struct rollout_marks m;
    char why[256];
    group_with(&g, t, 1);
    CHECK_INT(rollout_marks_parse(&g, &m, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "expected a Unix time");
    t[0].value = (char *)"12";
    group_with(&g, t, 2);
    CHECK_INT(rollout_marks_parse(&g, &m, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "holds \"x\", expected instance ids");
    CHECK(m.foreign.n == 0);
    /* Unrelated ecs-rollout tags are not the marks'. */
    t[1].key = (char *)"ecs-rollout:foreignness";
    CHECK_INT(rollout_marks_parse(&g, &m, why, sizeof(why)), 0);
    CHECK_INT(m.launched_after, 12);
    CHECK_INT(m.foreign.n, 0);
    rollout_marks_free(&m);
}
