/* The observer over the fake service layer (fake_svc.c): one poll's
 * snapshot from answers that are surprising, incomplete or failing. Every
 * failing poll must return -1 with the error and leak nothing (ASan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_svc.h"
#include "rollout/drain.h"
#include "rollout/observe.h"
#include "test.h"

struct obs {
    struct fake_svc f;
    struct svc_ops ops;
    struct rollout_options o;
    struct observer ob;
};

/* Heap-allocated: the fake world is large. */
static struct obs *obs_new(int n_instances, int n_zones, int tasks_per_instance)
{
    struct obs *t = calloc(1, sizeof(*t));
    fake_init(&t->f, n_instances, n_zones, tasks_per_instance);
    t->ops = fake_ops(&t->f);
    t->o.instance_timeout_s = 600;
    t->o.drain_timeout_s = 900;
    observer_init(&t->ob, &t->ops, t->f.group, t->f.cluster, &t->o);
    return t;
}

static void obs_free(struct obs *t)
{
    observer_free(&t->ob);
    free(t);
}

static int poll_(struct obs *t, struct rollout_snapshot *s, struct err *err)
{
    err_clear(err);
    return observe(&t->ob, (long long)t->f.wall, s, err);
}

/* Every container instance of the snapshot belongs to a member, once. */
static const char *check_cis(const struct rollout_snapshot *s)
{
    for (size_t i = 0; i < s->n_cis; i++) {
        const struct ecs_container_instance *ci = &s->cis[i];
        if (!ci->arn || !ci->ec2_instance_id)
            return "a container instance without ARN or instance id";
        int member = 0;
        for (size_t k = 0; k < s->group.n_instances; k++)
            member |= strcmp(s->group.instances[k].instance_id, ci->ec2_instance_id) == 0;
        if (!member)
            return "a container instance of an instance outside the group";
        for (size_t k = 0; k < i; k++)
            if (strcmp(s->cis[k].arn, ci->arn) == 0 ||
                strcmp(s->cis[k].ec2_instance_id, ci->ec2_instance_id) == 0)
                return "a container instance twice";
    }
    return NULL;
}

/* The regression for the crash of issue 13: ListContainerInstances that
 * ignores its filter (as moto does) returns another group's instances; the
 * observer dropped them by freeing one element of the array as if it were
 * the array (double free, or "free on address which was not malloc()-ed"
 * under ASan). */
TEST(an_unfiltered_list_with_another_groups_instances_is_observed_without_a_crash)
{
    struct obs *t = obs_new(3, 2, 1);
    fake_add_foreign_instance(&t->f);
    fake_add_foreign_instance(&t->f);
    t->f.unfiltered_list = 1;
    struct rollout_snapshot s;
    struct err err;
    for (int poll = 0; poll < 3; poll++) {
        CHECK_MSG(poll_(t, &s, &err) == 0, "poll %d: %s", poll, err.message);
        const char *bad = check_cis(&s);
        size_t n = s.n_cis;
        rollout_snapshot_free(&s);
        CHECK_MSG(!bad, "poll %d: %s", poll, bad);
        CHECK_INT(n, 3);
    }
    obs_free(t);
}

TEST(the_foreign_instances_are_dropped_when_the_list_is_filtered_too)
{
    struct obs *t = obs_new(2, 1, 1);
    fake_add_foreign_instance(&t->f);
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) == 0);
    CHECK_INT(s.n_cis, 2);
    CHECK(!check_cis(&s));
    rollout_snapshot_free(&s);
    obs_free(t);
}

TEST(duplicate_container_instances_are_kept_once)
{
    struct obs *t = obs_new(3, 1, 1);
    t->f.duplicate_cis = 1;
    struct rollout_snapshot s;
    struct err err;
    for (int poll = 0; poll < 2; poll++) {
        CHECK(poll_(t, &s, &err) == 0);
        const char *bad = check_cis(&s);
        size_t n = s.n_cis;
        rollout_snapshot_free(&s);
        CHECK_MSG(!bad, "poll %d: %s", poll, bad);
        CHECK_INT(n, 3);
    }
    obs_free(t);
}

TEST(duplicate_draining_instances_make_one_drain_record)
{
    struct obs *t = obs_new(2, 1, 1);
    t->f.duplicate_cis = 1;
    snprintf(t->f.ci[0].status, sizeof(t->f.ci[0].status), "DRAINING");
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) == 0);
    size_t drains = s.n_drains;
    rollout_snapshot_free(&s);
    CHECK_INT(drains, 1);
    obs_free(t);
}

TEST(a_missing_container_instance_is_an_unregistered_member_until_it_shows_up)
{
    struct obs *t = obs_new(3, 1, 1);
    t->f.hide_ci = 2;
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) == 0);
    struct rollout_assessment a;
    rollout_assess(&s, &t->o, &a);
    int unregistered = 0;
    for (size_t i = 0; i < a.n; i++)
        unregistered += a.v[i].phase == PHASE_UNREGISTERED;
    rollout_assessment_free(&a);
    size_t n = s.n_cis;
    rollout_snapshot_free(&s);
    CHECK_INT(n, 2);
    CHECK_INT(unregistered, 1);
    t->f.hide_ci = 0;
    CHECK(poll_(t, &s, &err) == 0);
    n = s.n_cis;
    rollout_snapshot_free(&s);
    CHECK_INT(n, 3);
    obs_free(t);
}

TEST(container_instances_without_an_instance_id_are_left_out)
{
    struct obs *t = obs_new(3, 1, 1);
    struct rollout_snapshot s;
    struct err err;
    /* known from the first poll, then the id is gone */
    CHECK(poll_(t, &s, &err) == 0);
    rollout_snapshot_free(&s);
    t->f.ci[1].instance_id[0] = '\0';
    t->f.wall += 60; /* a settled container instance is described again after a while */
    CHECK(poll_(t, &s, &err) == 0);
    CHECK_INT(s.n_cis, 2);
    CHECK(!check_cis(&s));
    rollout_snapshot_free(&s);
    obs_free(t);
    /* never known, listed by an unfiltered list */
    t = obs_new(3, 1, 1);
    t->f.unfiltered_list = 1;
    t->f.ci[2].instance_id[0] = '\0';
    CHECK(poll_(t, &s, &err) == 0);
    CHECK_INT(s.n_cis, 2);
    CHECK(!check_cis(&s));
    rollout_snapshot_free(&s);
    obs_free(t);
}

static void leave_before_describe(struct fake_svc *f, enum fake_op op, void *user)
{
    int *armed = user;
    if (op != FOP_DESCRIBE_CONTAINER_INSTANCES || !*armed)
        return;
    *armed = 0;
    /* one member leaves the group, another instance of the cluster joins it */
    f->inst[0].in_group = 0;
    f->inst[f->n_inst - 1].in_group = 1;
}

TEST(instances_that_leave_or_join_the_group_between_two_calls)
{
    struct obs *t = obs_new(3, 1, 1);
    fake_add_foreign_instance(&t->f);
    t->f.unfiltered_list = 1;
    int armed = 1;
    t->f.before = leave_before_describe;
    t->f.user = &armed;
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) == 0);
    /* the snapshot is of the group as described: the joiner is not in it */
    CHECK(!check_cis(&s));
    CHECK_INT(s.group.n_instances, 3);
    rollout_snapshot_free(&s);
    CHECK(poll_(t, &s, &err) == 0);
    CHECK(!check_cis(&s));
    CHECK_INT(s.group.n_instances, 3);
    CHECK_INT(s.n_cis, 3);
    rollout_snapshot_free(&s);
    obs_free(t);
}

TEST(a_failures_entry_fails_the_poll_with_its_reason)
{
    struct obs *t = obs_new(2, 1, 1);
    t->f.ci_failure = 1;
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) != 0);
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "INTERNAL_ERROR");
    CHECK_INT(s.n_cis, 0); /* freed and zeroed */
    t->f.ci_failure = 0;
    CHECK(poll_(t, &s, &err) == 0);
    CHECK_INT(s.n_cis, 2);
    rollout_snapshot_free(&s);
    obs_free(t);
}

TEST(tasks_without_a_container_instance_and_answers_out_of_order)
{
    struct obs *t = obs_new(3, 1, 2);
    snprintf(t->f.ci[0].status, sizeof(t->f.ci[0].status), "DRAINING");
    t->f.reverse_order = 1;
    t->f.tasks_without_ci = 1;
    t->o.standalone = STANDALONE_STOP; /* list a stalled drain soon */
    struct rollout_snapshot s;
    struct err err;
    for (int poll = 0; poll < 6; poll++) {
        CHECK(poll_(t, &s, &err) == 0);
        CHECK(!check_cis(&s));
        CHECK_INT(s.n_drains, 1);
        CHECK(!s.drains[0].empty);
        rollout_snapshot_free(&s);
        t->f.wall += 5;
    }
    obs_free(t);
}

/* A drained instance (no task left) makes the observer list and describe
 * tasks, then the services: every read of a poll is reached. */
static struct obs *obs_drained(int ami)
{
    struct obs *t = obs_new(2, 1, 1);
    if (ami)
        t->o.ami = "ami-v2";
    snprintf(t->f.ci[0].status, sizeof(t->f.ci[0].status), "DRAINING");
    for (size_t i = 0; i < t->f.n_task; i++)
        if (strcmp(t->f.task[i].ci_arn, t->f.ci[0].arn) == 0) {
            snprintf(t->f.task[i].last, sizeof(t->f.task[i].last), "STOPPED");
            snprintf(t->f.task[i].desired, sizeof(t->f.task[i].desired), "STOPPED");
        }
    if (ami) {
        /* a launching instance: no container instance to tell its AMI */
        t->f.desired++;
        fake_step(&t->f);
    }
    return t;
}

TEST(every_read_failing_fails_the_poll_cleanly_and_the_next_poll_recovers)
{
    int reached[FOP_N] = {0};
    for (int ami = 0; ami < 2; ami++)
        for (int op = 0; op < FOP_N; op++) {
            if (fake_op_is_write((enum fake_op)op))
                continue;
            for (int fault = FAULT_THROTTLE; fault < FAULT_N; fault++) {
                struct obs *t = obs_drained(ami);
                fake_fail_next(&t->f, (enum fake_op)op, (enum fake_fault)fault, 1);
                struct rollout_snapshot s;
                struct err err;
                int rc = poll_(t, &s, &err);
                if (t->f.calls[op] == 0) {
                    CHECK(rc == 0);
                    rollout_snapshot_free(&s);
                    obs_free(t);
                    continue;
                }
                reached[op] = 1;
                CHECK_MSG(rc != 0, "%s failing with %s: the poll went through",
                          fake_op_name((enum fake_op)op), fake_fault_name((enum fake_fault)fault));
                CHECK(err.kind != ERR_NONE && err.message[0]);
                CHECK(s.n_cis == 0 && s.group.n_instances == 0);
                rc = poll_(t, &s, &err);
                CHECK_MSG(rc == 0, "%s: the next poll failed: %s", fake_op_name((enum fake_op)op),
                          err.message);
                CHECK_INT(s.n_cis, 2);
                CHECK_INT(s.n_drains, 1);
                CHECK(s.drains[0].known && s.drains[0].empty);
                CHECK(s.services_observed);
                CHECK(!ami || s.instance_ami);
                rollout_snapshot_free(&s);
                obs_free(t);
            }
        }
    const enum fake_op polled[] = {
        FOP_DESCRIBE_GROUP,     FOP_DESCRIBE_LAUNCH_TEMPLATE, FOP_LAUNCH_TEMPLATE_IMAGE,
        FOP_DESCRIBE_INSTANCES, FOP_LIST_CONTAINER_INSTANCES, FOP_DESCRIBE_CONTAINER_INSTANCES,
        FOP_LIST_TASKS,         FOP_DESCRIBE_TASKS,           FOP_LIST_SERVICES,
        FOP_DESCRIBE_SERVICES,
    };
    for (size_t i = 0; i < sizeof(polled) / sizeof(polled[0]); i++)
        CHECK_MSG(reached[polled[i]], "no poll reached %s", fake_op_name(polled[i]));
}

TEST(a_known_container_instance_is_not_looked_up_again)
{
    struct obs *t = obs_new(4, 2, 1);
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) == 0);
    rollout_snapshot_free(&s);
    unsigned long lists = t->f.calls[FOP_LIST_CONTAINER_INSTANCES];
    CHECK(lists >= 1);
    CHECK(poll_(t, &s, &err) == 0);
    rollout_snapshot_free(&s);
    CHECK_INT(t->f.calls[FOP_LIST_CONTAINER_INSTANCES], lists);
    obs_free(t);
}

TEST(observe_instances_reads_only_the_group_and_its_container_instances)
{
    struct obs *t = obs_new(3, 1, 1);
    fake_fail_always(&t->f, FOP_LIST_TASKS, FAULT_ACCESS_DENIED);
    fake_fail_always(&t->f, FOP_LIST_SERVICES, FAULT_ACCESS_DENIED);
    struct rollout_snapshot s;
    struct err err;
    CHECK(observe_instances(&t->ob, (long long)t->f.wall, &s, &err) == 0);
    CHECK_INT(s.n_cis, 3);
    rollout_snapshot_free(&s);
    fake_fail_always(&t->f, FOP_DESCRIBE_GROUP, FAULT_5XX);
    CHECK(observe_instances(&t->ob, (long long)t->f.wall, &s, &err) != 0);
    CHECK_INT(err.http_status, 503);
    obs_free(t);
}

TEST(only_container_instances_that_can_have_changed_are_described_again)
{
    struct obs *t = obs_new(6, 2, 1);
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) == 0);
    CHECK_INT(s.n_cis, 6);
    rollout_snapshot_free(&s);
    unsigned long described = t->f.calls[FOP_DESCRIBE_CONTAINER_INSTANCES];
    /* All six ACTIVE and connected: the next poll describes none... */
    t->f.wall += 1;
    CHECK(poll_(t, &s, &err) == 0);
    CHECK_INT(s.n_cis, 6);
    CHECK_INT(t->f.calls[FOP_DESCRIBE_CONTAINER_INSTANCES], described);
    rollout_snapshot_free(&s);
    /* ...but one the rollout drained is described at the next poll... */
    struct strv ids = STRV_INIT;
    strv_push(&ids, t->f.ci[2].instance_id);
    snprintf(t->f.ci[2].status, sizeof(t->f.ci[2].status), "DRAINING");
    observer_instances_changed(&t->ob, &ids);
    strv_free(&ids);
    t->f.wall += 1;
    CHECK(poll_(t, &s, &err) == 0);
    CHECK_INT(t->f.calls[FOP_DESCRIBE_CONTAINER_INSTANCES], described + 1);
    int draining = 0;
    for (size_t i = 0; i < s.n_cis; i++)
        draining += s.cis[i].status && strcmp(s.cis[i].status, "DRAINING") == 0;
    CHECK_INT(draining, 1);
    rollout_snapshot_free(&s);
    /* ...and at every poll while it drains; a change by another hand shows
     * within the refresh period. */
    snprintf(t->f.ci[4].status, sizeof(t->f.ci[4].status), "DRAINING");
    t->f.wall += 60;
    CHECK(poll_(t, &s, &err) == 0);
    draining = 0;
    for (size_t i = 0; i < s.n_cis; i++)
        draining += s.cis[i].status && strcmp(s.cis[i].status, "DRAINING") == 0;
    CHECK_INT(draining, 2);
    rollout_snapshot_free(&s);
    obs_free(t);
}

/* Keeps every task told to stop DEACTIVATING while *user is set. */
static void hold_stopping(struct fake_svc *f, enum fake_op op, void *user)
{
    (void)op;
    if (!*(int *)user)
        return;
    for (size_t i = 0; i < f->n_task; i++)
        if (strcmp(f->task[i].desired, "STOPPED") == 0)
            snprintf(f->task[i].last, sizeof(f->task[i].last), "DEACTIVATING");
}

/* Instances drained together, their tasks told to stop together: while
 * they are stopping, one page of them is described per poll; once a page
 * has stopped, the next ones are described in the same poll. */
TEST(stopping_tasks_are_described_a_page_a_poll_until_they_stop)
{
    struct obs *t = obs_new(30, 1, 5);
    int hold = 1;
    t->f.before = hold_stopping;
    t->f.user = &hold;
    for (size_t i = 0; i < t->f.n_ci; i++)
        snprintf(t->f.ci[i].status, sizeof(t->f.ci[i].status), "DRAINING");
    for (size_t i = 0; i < t->f.n_task; i++) {
        snprintf(t->f.task[i].desired, sizeof(t->f.task[i].desired), "STOPPED");
        snprintf(t->f.task[i].last, sizeof(t->f.task[i].last), "DEACTIVATING");
    }
    struct rollout_snapshot s;
    struct err err;
    CHECK(poll_(t, &s, &err) == 0); /* at zero: listed, 150 tasks still stopping */
    CHECK_INT(s.n_drains, 30);
    for (size_t i = 0; i < s.n_drains; i++)
        CHECK(s.drains[i].known && !s.drains[i].empty && s.drains[i].stopping == 5);
    rollout_snapshot_free(&s);
    unsigned long described = t->f.calls[FOP_DESCRIBE_TASKS];
    t->f.wall += 1;
    CHECK(poll_(t, &s, &err) == 0); /* still stopping: one page */
    CHECK_INT(t->f.calls[FOP_DESCRIBE_TASKS], described + 1);
    for (size_t i = 0; i < s.n_drains; i++)
        CHECK(s.drains[i].known && !s.drains[i].empty);
    rollout_snapshot_free(&s);
    hold = 0;
    for (size_t i = 0; i < t->f.n_task; i++)
        snprintf(t->f.task[i].last, sizeof(t->f.task[i].last), "STOPPED");
    described = t->f.calls[FOP_DESCRIBE_TASKS];
    t->f.wall += 1;
    CHECK(poll_(t, &s, &err) == 0); /* stopped: every page, every drain empty */
    CHECK_INT(t->f.calls[FOP_DESCRIBE_TASKS], described + 2);
    int empty = 0;
    for (size_t i = 0; i < s.n_drains; i++)
        empty += s.drains[i].known && s.drains[i].empty;
    CHECK_INT(empty, 30);
    rollout_snapshot_free(&s);
    obs_free(t);
}

/* A batch registering in a cluster of several groups (many container
 * instances of other groups): found by its instance ids, 20 per filter,
 * not by listing the whole cluster; in a cluster of the group alone, by
 * listing it (fewer calls). */
TEST(new_members_are_looked_up_by_their_ids_in_a_cluster_of_several_groups)
{
    for (int others = 0; others < 2; others++) {
        struct obs *t = obs_new(60, 1, 1);
        t->f.other_registered = others ? 1000 : 0;
        struct rollout_snapshot s;
        struct err err;
        CHECK_MSG(poll_(t, &s, &err) == 0, "%s", err.message);
        CHECK_INT(s.n_cis, 60);
        CHECK(!check_cis(&s));
        rollout_snapshot_free(&s);
        CHECK_INT(t->f.calls[FOP_LIST_CONTAINER_INSTANCES], others ? 3 : 1);
        CHECK_INT(t->f.unfiltered_ci_lists, others ? 0 : 1);
        obs_free(t);
    }
}

/* An endpoint that ignores the filter answers the first filtered listing
 * with the whole cluster: that answer is all there is, asked once. */
TEST(an_endpoint_ignoring_the_filter_is_asked_once)
{
    struct obs *t = obs_new(30, 1, 1);
    fake_add_foreign_instance(&t->f);
    fake_add_foreign_instance(&t->f);
    t->f.unfiltered_list = 1;
    struct rollout_snapshot s;
    struct err err;
    CHECK_MSG(poll_(t, &s, &err) == 0, "%s", err.message);
    CHECK_INT(s.n_cis, 30);
    CHECK(!check_cis(&s));
    rollout_snapshot_free(&s);
    CHECK_INT(t->f.calls[FOP_LIST_CONTAINER_INSTANCES], 1);
    CHECK(t->ob.filters_ignored);
    obs_free(t);
}

/* Many drains at zero together: one listing of the cluster's stopping
 * tasks when the cluster is the group's, one listing per instance (at most
 * 40 a poll) when other groups' tasks would make the cluster's listing the
 * dearer. */
TEST(drains_at_zero_list_the_cluster_only_when_it_is_cheaper)
{
    for (int others = 0; others < 2; others++) {
        struct obs *t = obs_new(50, 1, 1);
        int hold = 1;
        t->f.before = hold_stopping;
        t->f.user = &hold;
        t->f.other_registered = others ? 10000 : 0;
        for (size_t i = 0; i < t->f.n_ci; i++)
            snprintf(t->f.ci[i].status, sizeof(t->f.ci[i].status), "DRAINING");
        for (size_t i = 0; i < t->f.n_task; i++)
            snprintf(t->f.task[i].desired, sizeof(t->f.task[i].desired), "STOPPED");
        struct rollout_snapshot s;
        struct err err;
        CHECK_MSG(poll_(t, &s, &err) == 0, "%s", err.message);
        size_t known = 0;
        for (size_t i = 0; i < s.n_drains; i++) {
            known += s.drains[i].known;
            CHECK(!s.drains[i].empty);
        }
        rollout_snapshot_free(&s);
        CHECK_INT(t->f.cluster_task_lists, others ? 0 : 1);
        CHECK_INT(t->f.calls[FOP_LIST_TASKS], others ? 40 : 1);
        CHECK_INT(known, others ? 40 : 50);
        obs_free(t);
    }
    /* The estimate, with a rollout's figures: 1,000 instances of 3 tasks in
     * a cluster of 2,000 (the group's old and new), then in one of 10,000
     * (five such groups), then after a listing that found 15,000, and
     * before any in a cluster of 50,000. */
    CHECK(drain_cluster_listing_cheaper(1000, 3000, 0, 2000, 2000));
    CHECK(drain_cluster_listing_cheaper(41, 0, 0, 0, 0));
    CHECK(!drain_cluster_listing_cheaper(200, 600, 15000, 10000, 2000));
    CHECK(drain_cluster_listing_cheaper(400, 1200, 15000, 10000, 2000));
    CHECK(!drain_cluster_listing_cheaper(100, 300, 0, 50000, 2000));
}

static int contains_id(const struct strv *v, const char *id)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], id) == 0)
            return 1;
    return 0;
}

static int shows_instance(const struct rollout_snapshot *s, const char *id)
{
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ec2_instance_id && strcmp(s->cis[i].ec2_instance_id, id) == 0)
            return 1;
    return 0;
}

static void rollout_in_progress(struct fake_svc *f)
{
    struct fake_tag *tag = &f->tags[f->n_tags++];
    snprintf(tag->key, sizeof(tag->key), "%s", ROLLOUT_TAG_ORIGINAL);
    snprintf(tag->value, sizeof(tag->value), "min=%d,max=%d,desired=%d", f->min, f->max,
             f->desired);
    tag = &f->tags[f->n_tags++];
    snprintf(tag->key, sizeof(tag->key), "%s", ROLLOUT_TAG_SUSPENDED);
    snprintf(tag->value, sizeof(tag->value), "-");
}

/* Chaos seed 31 rollout 0 (transient-ecs): a resumed run's first poll had
 * ECS answer MISSING for the instance the killed run had drained; seen
 * DRAINING at the next poll, the drain was taken for someone else's (a
 * drain that began during this run without this run making it), so the
 * rollout left it alone, ended incomplete, and AZRebalance killed its
 * stuck task. A member not shown at the first poll counts as seen at the
 * start when it first shows up. */
TEST(a_resumed_runs_drain_hidden_from_its_first_poll_is_still_the_rollouts)
{
    int hidden = 0;
    for (int k = 1; k <= 3 && !hidden; k++) {
        struct obs *t = obs_new(3, 1, 1);
        rollout_in_progress(&t->f);
        /* drained by the run that was killed, recorded nowhere as foreign */
        snprintf(t->f.ci[0].status, sizeof(t->f.ci[0].status), "DRAINING");
        const char *id = t->f.ci[0].instance_id;
        t->f.hide_ci = k; /* the k-th ARN asked about is answered MISSING */
        struct rollout_snapshot s;
        struct err err;
        CHECK_MSG(poll_(t, &s, &err) == 0, "%s", err.message);
        CHECK(s.state.in_progress);
        hidden = !shows_instance(&s, id);
        rollout_snapshot_free(&s);
        if (hidden) {
            t->f.hide_ci = 0;
            CHECK_MSG(poll_(t, &s, &err) == 0, "%s", err.message);
            CHECK(shows_instance(&s, id));
            CHECK_MSG(!contains_id(&s.not_ours, id),
                      "%s, drained before this run began, is taken for someone else's drain", id);
            rollout_snapshot_free(&s);
            /* a drain that begins during this run, by someone else, on an
             * instance the first poll saw ACTIVE: still someone else's */
            const char *other = t->f.ci[1].instance_id;
            snprintf(t->f.ci[1].status, sizeof(t->f.ci[1].status), "DRAINING");
            t->f.wall += 600; /* past the observer's refresh of settled records */
            CHECK_MSG(poll_(t, &s, &err) == 0, "%s", err.message);
            CHECK(contains_id(&s.not_ours, other));
            CHECK(!contains_id(&s.not_ours, id));
            rollout_snapshot_free(&s);
        }
        obs_free(t);
    }
    CHECK_MSG(hidden, "no hide_ci value hid the drained instance from the first poll");
}
