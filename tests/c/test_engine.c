/* The rollout engine over the fake service layer (fake_svc.c): whole
 * rollouts, every write's error path with every kind of error, rollbacks,
 * interruptions and resumes. After every run the cluster must be serving:
 * never fewer ACTIVE members than the group had, no running task killed,
 * nothing left DRAINING; and a run that ends early is resumed by the next. */
#include <signal.h>
#include <stdlib.h>

#include "fake_svc.h"
#include "rollout/engine.h"
#include "rollout/inspect.h"
#include "rollout/state.h"
#include "test.h"

struct eng {
    struct fake_svc f;
    struct svc_ops ops;
    struct rollout_config cfg;
    struct rollout_summary sum;
    struct err err;
    volatile sig_atomic_t stop;
    int events[EV_DONE + 1];
    int actions;
    int bad_event; /* an event without what its kind needs */
    char last_error[512];
    int orig_min, orig_max, orig_desired;
    /* for hooks */
    enum fake_op hook_op;
    unsigned long hook_at;
    enum fake_fault hook_fault;
    int hook_times;
    int rolling_back; /* an event of phase rollback was seen */
};

static void on_event(const struct rollout_event *ev, void *user)
{
    struct eng *t = user;
    if (ev->kind <= EV_DONE)
        t->events[ev->kind]++;
    if (!ev->phase || (ev->kind == EV_ACTION && (!ev->action || !ev->message)) ||
        (ev->kind == EV_PROGRESS && !ev->progress) || (ev->kind == EV_DONE && !ev->summary))
        t->bad_event = 1;
    if (ev->kind == EV_ACTION)
        t->actions++;
    if (ev->phase && !strcmp(ev->phase, "rollback"))
        t->rolling_back = 1;
    if (getenv("ENGINE_TEST_EVENTS"))
        fprintf(stderr, "[%s] %s %s %s\n", ev->phase ? ev->phase : "-",
                ev->kind == EV_ACTION ? ev->action : "", ev->message ? ev->message : "",
                ev->kind == EV_ERROR ? "(error)" : "");
    if (ev->kind == EV_ERROR && ev->message)
        snprintf(t->last_error, sizeof(t->last_error), "%s", ev->message);
}

static struct eng *eng_new(int n, int zones, int tasks_per_instance)
{
    struct eng *t = calloc(1, sizeof(*t));
    fake_init(&t->f, n, zones, tasks_per_instance);
    t->ops = fake_ops(&t->f);
    t->cfg.asg_name = t->f.group;
    t->cfg.cluster_name = t->f.cluster;
    t->cfg.options.instance_timeout_s = 600;
    t->cfg.options.drain_timeout_s = 900;
    t->cfg.poll_min_s = 1;
    t->cfg.poll_max_s = 3;
    t->cfg.on_event = on_event;
    t->cfg.userdata = t;
    t->cfg.stop = &t->stop;
    t->orig_min = t->f.min;
    t->orig_max = t->f.max;
    t->orig_desired = t->f.desired;
    return t;
}

static enum rollout_result run(struct eng *t)
{
    t->stop = 0;
    return rollout_run(&t->ops, &t->cfg, &t->sum, &t->err);
}

/* What must hold after any run. NULL, or what is wrong. */
static const char *serving_problem(const struct eng *t)
{
    static char why[256];
    if (t->f.min_serving < t->f.serving_floor)
        snprintf(why, sizeof(why), "only %d ACTIVE members at one point (the group had %d)",
                 t->f.min_serving, t->f.serving_floor);
    else if (t->f.killed_running)
        snprintf(why, sizeof(why), "%d running task(s) killed by a termination",
                 t->f.killed_running);
    else if (fake_cis_with_status(&t->f, "DRAINING"))
        snprintf(why, sizeof(why), "%d member(s) left DRAINING",
                 fake_cis_with_status(&t->f, "DRAINING"));
    else if (fake_service_running(&t->f, "web") < t->f.svc[0].desired)
        snprintf(why, sizeof(why), "service web runs %d of %d", fake_service_running(&t->f, "web"),
                 t->f.svc[0].desired);
    else if (t->bad_event)
        snprintf(why, sizeof(why), "an event without what its kind needs");
    else
        return NULL;
    return why;
}

/* The group as it was before the rollout: sizes, processes, no state. */
static const char *restore_problem(const struct eng *t)
{
    static char why[256];
    if (t->f.min != t->orig_min || t->f.max != t->orig_max || t->f.desired != t->orig_desired)
        snprintf(why, sizeof(why), "sizes %d/%d/%d, expected %d/%d/%d", t->f.min, t->f.max,
                 t->f.desired, t->orig_min, t->orig_max, t->orig_desired);
    else if (fake_tag_count(&t->f, ROLLOUT_TAG_PREFIX))
        snprintf(why, sizeof(why), "%d state tag(s) left",
                 fake_tag_count(&t->f, ROLLOUT_TAG_PREFIX));
    else if (t->f.n_suspended)
        snprintf(why, sizeof(why), "process %s left suspended", t->f.suspended[0]);
    else if (fake_protected(&t->f))
        snprintf(why, sizeof(why), "%d member(s) left protected from scale-in",
                 fake_protected(&t->f));
    else if (fake_members(&t->f) != t->orig_desired)
        snprintf(why, sizeof(why), "%d members, expected %d", fake_members(&t->f), t->orig_desired);
    else
        return NULL;
    return why;
}

static void settle(struct eng *t)
{
    /* terminated instances finish leaving */
    for (int i = 0; i < 3; i++)
        fake_step(&t->f);
}

TEST(a_rollout_replaces_every_instance_and_restores_the_group)
{
    struct eng *t = eng_new(3, 2, 2);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(t->sum.replaced, 3);
    CHECK_INT(t->sum.launched, 3);
    CHECK_INT(t->f.drained_instances, 3);
    CHECK(t->sum.aws_calls == t->f.total_calls);
    CHECK_INT(t->events[EV_START], 1);
    CHECK_INT(t->events[EV_DONE], 1);
    CHECK_INT(t->events[EV_ERROR], 0);
    free(t);
}

TEST(batches_of_one_replace_one_at_a_time)
{
    struct eng *t = eng_new(3, 3, 1);
    t->cfg.options.batch_size = 1;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(t->sum.batches, 3);
    free(t);
}

TEST(nothing_to_do_writes_nothing)
{
    struct eng *t = eng_new(2, 1, 1);
    t->f.lt_latest = 1;
    CHECK_INT(run(t), ROLLOUT_NOTHING_TO_DO);
    for (int op = 0; op < FOP_N; op++)
        CHECK_MSG(!fake_op_is_write((enum fake_op)op) || t->f.calls[op] == 0, "%s was called",
                  fake_op_name((enum fake_op)op));
    free(t);
}

TEST(standalone_tasks_are_stopped_in_stop_mode)
{
    struct eng *t = eng_new(2, 1, 1);
    fake_add_standalone_task(&t->f, 0);
    t->cfg.options.standalone = STANDALONE_STOP;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(t->sum.tasks_stopped, 1);
    CHECK(t->f.calls[FOP_STOP_TASK] >= 1);
    free(t);
}

/* Fails the hook_at-th call of hook_op (and hook_times - 1 more). */
static void fail_at(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (op == t->hook_op && f->calls[op] == t->hook_at)
        fake_fail_next(f, op, t->hook_fault, t->hook_times);
}

/* Every write failing once, at its first, second and third call, with each
 * kind of error: transient errors are waited out, the others roll the
 * rollout back; either way the cluster serves throughout and a second run
 * finishes the job. */
TEST(every_write_failing_once_with_each_kind_of_error)
{
    int reached[FOP_N] = {0};
    int runs = 0;
    for (int op = 0; op < FOP_N; op++) {
        if (!fake_op_is_write((enum fake_op)op))
            continue;
        for (unsigned long at = 1; at <= 3; at++)
            for (int fault = FAULT_THROTTLE; fault < FAULT_N; fault++) {
                struct eng *t = eng_new(3, 2, 1);
                t->f.max = t->orig_max = 4; /* MaxSize is raised, then restored */
                fake_add_standalone_task(&t->f, 0);
                t->cfg.options.standalone = STANDALONE_STOP;
                /* every other fault, the drained batch leaves by one scale-in
                 * (rollout/bulk.h): SetInstanceProtection is among the writes
                 * that fail, and so is the per-instance termination */
                t->cfg.options.bulk_terminate_from = fault % 2 ? 2 : 0;
                t->f.launch_times = 1;
                t->hook_op = (enum fake_op)op;
                t->hook_at = at;
                t->hook_fault = (enum fake_fault)fault;
                t->hook_times = 1;
                t->f.before = fail_at;
                t->f.user = t;
                enum rollout_result r = run(t);
                runs++;
                char what[160];
                snprintf(what, sizeof(what), "%s failing at call %lu with %s",
                         fake_op_name((enum fake_op)op), at,
                         fake_fault_name((enum fake_fault)fault));
                if (t->f.failed_calls == 0) {
                    CHECK_MSG(r == ROLLOUT_DONE, "%s (never reached): %s", what,
                              rollout_result_name(r));
                    free(t);
                    continue;
                }
                reached[op] = 1;
                const char *p = serving_problem(t);
                CHECK_MSG(!p, "%s: %s", what, p);
                if (op == FOP_PUT_TAGS && at == 1) {
                    /* the rollout's first write: nothing changed */
                    CHECK_MSG(r == ROLLOUT_ERROR, "%s: %s", what, rollout_result_name(r));
                    CHECK_INT(t->f.desired, t->orig_desired);
                } else if (fake_fault_is_transient((enum fake_fault)fault)) {
                    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s: %s", what, rollout_result_name(r),
                              t->sum.message);
                } else {
                    CHECK_MSG(r == ROLLOUT_ROLLED_BACK || r == ROLLOUT_DONE, "%s: %s: %s", what,
                              rollout_result_name(r), t->sum.message);
                    if (r == ROLLOUT_ROLLED_BACK)
                        CHECK_CONTAINS(t->sum.message,
                                       fake_fault_name((enum fake_fault)fault)[0] == 'a'
                                           ? "AccessDeniedException"
                                           : "ValidationError");
                }
                settle(t);
                p = restore_problem(t);
                CHECK_MSG(!p, "%s: %s: %s", what, rollout_result_name(r), p);
                if (r != ROLLOUT_DONE) {
                    t->f.before = NULL;
                    r = run(t);
                    /* (nothing to do when the failure came after the last replacement) */
                    CHECK_MSG(r == ROLLOUT_DONE || r == ROLLOUT_NOTHING_TO_DO,
                              "%s, then again: %s: %s", what, rollout_result_name(r),
                              t->sum.message);
                    settle(t);
                    p = serving_problem(t);
                    CHECK_MSG(!p, "%s, then again: %s", what, p);
                }
                CHECK_INT(fake_outdated(&t->f), 0);
                free(t);
            }
    }
    for (int op = 0; op < FOP_N; op++)
        CHECK_MSG(!fake_op_is_write((enum fake_op)op) || reached[op], "no rollout reached %s",
                  fake_op_name((enum fake_op)op));
    CHECK(runs > 100);
}

TEST(new_instances_that_never_register_are_rolled_back)
{
    struct eng *t = eng_new(3, 2, 1);
    t->f.never_register = 1;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_ROLLED_BACK, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "timed out");
    CHECK_CONTAINS(t->err.message, "timed out");
    settle(t);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(fake_outdated(&t->f), 3); /* the old instances serve on */
    CHECK_INT(fake_cis_with_status(&t->f, "ACTIVE"), 3);
    free(t);
}

/* Registers the never-registering new instances, and places tasks on them,
 * at the first call after the rollback's snapshot has listed the container
 * instances: between the look the decision rests on and its write, as an
 * instance registering late does (issue 12, chaos seed 11 rollout 17). */
static void register_after_the_look(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (!t->rolling_back || t->hook_times)
        return;
    if (!t->hook_at) {
        t->hook_at = op == FOP_LIST_CONTAINER_INSTANCES;
        return;
    }
    t->hook_times = 1;
    f->never_register = 0;
    size_t n = f->n_inst;
    fake_register_all(f);
    for (size_t i = 0; i < n; i++)
        if (f->inst[i].version == f->lt_latest) {
            fake_place_task(f, i, "service:web");
            fake_place_task(f, i, "service:web");
        }
}

TEST(a_rollback_terminates_no_new_instance_that_registered_after_its_look)
{
    struct eng *t = eng_new(3, 2, 1);
    t->f.never_register = 1;
    t->f.before = register_after_the_look;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_INT(t->hook_times, 1); /* the race was staged */
    CHECK_MSG(r == ROLLOUT_ROLLED_BACK, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(fake_outdated(&t->f), 3); /* the old instances serve on */
    free(t);
}

TEST(a_drain_that_never_ends_is_rolled_back)
{
    struct eng *t = eng_new(2, 1, 1);
    t->f.stuck_drain = 1;
    t->cfg.options.drain_timeout_s = 120;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_ROLLED_BACK, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(fake_outdated(&t->f), 2);
    free(t);
}

/* The worker service (the fake's second) starts crash-looping once the
 * rollout launches: healthy at pre-flight, so not among the services
 * already short, which the rollout never waits for. */
static void worker_crashes_from_the_scale_out(struct fake_svc *f, enum fake_op op, void *user)
{
    (void)user;
    if (op == FOP_SET_DESIRED)
        f->svc[1].crash = FAKE_CRASH_EVERYWHERE;
}

/* Issue 12 item 8: a service crash-looping on another group's instance
 * (placed there by a memberOf constraint: none of its tasks on this group).
 * The drained instances ran no service task, so the services that gate
 * termination are looked up among all of the cluster's. */
TEST(an_unhealthy_service_on_another_group_does_not_stop_the_rollout)
{
    struct eng *t = eng_new(2, 1, 0);
    t->cfg.options.drain_timeout_s = 120;
    fake_add_foreign_instance(&t->f);
    struct fake_service *worker = fake_add_service(&t->f, "worker", 2);
    worker->elsewhere = 1;
    fake_step(&t->f);
    fake_step(&t->f);
    CHECK_INT(fake_service_running(&t->f, "worker"), 2);
    t->f.before = worker_crashes_from_the_scale_out;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    CHECK_INT(fake_service_running(&t->f, "worker"), 0); /* still failing, elsewhere */
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

/* The new instances break a service that ran on the old ones: its tasks
 * exit there only. That is the new instances' fault: rolled back, with the
 * same unhealthy service elsewhere left out of the reason. */
TEST(a_service_failing_only_on_the_new_instances_is_rolled_back)
{
    struct eng *t = eng_new(2, 1, 1);
    t->cfg.options.drain_timeout_s = 120;
    t->f.svc[0].crash = FAKE_CRASH_ON_NEW;
    fake_add_foreign_instance(&t->f);
    struct fake_service *worker = fake_add_service(&t->f, "worker", 2);
    worker->elsewhere = 1;
    worker->crash = FAKE_CRASH_EVERYWHERE;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_ROLLED_BACK, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->last_error, "web");
    CHECK(strstr(t->last_error, "worker") == NULL);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 2); /* the old instances serve on */
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

/* web starts crash-looping everywhere once the rollout launches (a bad
 * deployment of its own, not the new instances). */
static void web_crashes_from_the_scale_out(struct fake_svc *f, enum fake_op op, void *user)
{
    (void)user;
    if (op == FOP_SET_DESIRED)
        f->svc[0].crash = FAKE_CRASH_EVERYWHERE;
}

/* A service the rollout moves that fails on the old and the other group's
 * instances as well: keeping the old instances mends nothing, and the
 * rollout finishes, saying it did not wait for it. */
TEST(a_service_failing_everywhere_does_not_stop_the_rollout)
{
    struct eng *t = eng_new(2, 1, 1);
    t->cfg.options.drain_timeout_s = 120;
    fake_add_foreign_instance(&t->f);
    t->f.before = web_crashes_from_the_scale_out;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    CHECK_INT(t->f.killed_running, 0);
    CHECK(t->f.min_serving >= t->f.serving_floor);
    const char *p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

static void deny_after_failure(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    (void)op;
    if (t->last_error[0]) {
        fake_fail_always(f, FOP_TERMINATE, FAULT_ACCESS_DENIED);
        fake_fail_always(f, FOP_SET_DESIRED, FAULT_ACCESS_DENIED);
    }
}

TEST(a_rollback_that_fails_too_leaves_the_cluster_serving_and_a_rerun_finishes)
{
    struct eng *t = eng_new(3, 2, 1);
    t->f.never_register = 1;
    t->f.before = deny_after_failure;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_STUCK, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "run the same command again");
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK(fake_tag(&t->f, ROLLOUT_TAG_ORIGINAL) != NULL); /* the state is kept */
    CHECK(fake_tag(&t->f, ROLLOUT_TAG_LEASE) == NULL);    /* the lease released */
    /* the cause fixed: the same command finishes */
    t->f.before = NULL;
    t->f.never_register = 0;
    fake_register_all(&t->f);
    fake_fail_always(&t->f, FOP_TERMINATE, FAULT_NONE);
    fake_fail_always(&t->f, FOP_SET_DESIRED, FAULT_NONE);
    t->last_error[0] = '\0';
    r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

static void stop_after_drain(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    (void)op;
    if (f->drained_instances > 0)
        t->stop = 1;
}

TEST(an_interrupted_rollout_resumes_where_it_stopped)
{
    struct eng *t = eng_new(3, 2, 1);
    t->f.before = stop_after_drain;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_INTERRUPTED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(t->err.kind, ERR_INTERRUPTED);
    CHECK(fake_tag(&t->f, ROLLOUT_TAG_ORIGINAL) != NULL);
    CHECK(fake_tag(&t->f, ROLLOUT_TAG_LEASE) == NULL);
    t->f.before = NULL;
    r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

/* A scaling policy's scale-out (or a scheduled action) landing between the
 * rollout's first look and its suspension of the processes that act so;
 * with hook_times set, the run is stopped right after the suspension. */
static void scale_out_before_suspension(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (op != FOP_SUSPEND || f->calls[FOP_SUSPEND] != 1)
        return;
    f->desired++;
    t->orig_desired = f->desired;
    if (t->hook_times)
        t->stop = 1;
}

TEST(a_scale_out_just_before_the_suspension_is_kept_by_the_restore)
{
    struct eng *t = eng_new(3, 2, 1);
    t->f.before = scale_out_before_suspension;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(t->orig_desired, 4);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

TEST(a_run_killed_between_the_suspension_and_recording_the_sizes_restores_them_right)
{
    struct eng *t = eng_new(3, 2, 1);
    t->f.before = scale_out_before_suspension;
    t->f.user = t;
    t->hook_times = 1;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_INTERRUPTED, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *orig = fake_tag(&t->f, ROLLOUT_TAG_ORIGINAL);
    CHECK_MSG(orig && strstr(orig, "desired=3") && strstr(orig, "pending=1"), "original tag %s",
              orig ? orig : "(none)");
    t->f.before = NULL;
    r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

TEST(a_rollout_that_suspends_nothing_records_its_sizes_once)
{
    struct eng *t = eng_new(3, 2, 1);
    const char *names[] = {"AZRebalance", "AlarmNotification", "ScheduledActions"};
    for (size_t i = 0; i < 3; i++)
        snprintf(t->f.suspended[t->f.n_suspended++], sizeof(t->f.suspended[0]), "%s", names[i]);
    t->f.before = stop_after_drain;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_INTERRUPTED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(t->f.calls[FOP_SUSPEND], 0);
    const char *orig = fake_tag(&t->f, ROLLOUT_TAG_ORIGINAL);
    CHECK_MSG(orig && strcmp(orig, "min=3,max=6,desired=3") == 0, "original tag %s",
              orig ? orig : "(none)");
    CHECK_INT(t->f.calls[FOP_PUT_TAGS], 1); /* the state, written once */
    free(t);
}

static void put_tag(struct fake_svc *f, const char *key, const char *value)
{
    struct fake_tag *tag = &f->tags[f->n_tags++];
    snprintf(tag->key, sizeof(tag->key), "%s", key);
    snprintf(tag->value, sizeof(tag->value), "%s", value);
}

static void in_progress(struct eng *t, long long lease_expires)
{
    char v[128];
    snprintf(v, sizeof(v), "min=%d,max=%d,desired=%d", t->f.min, t->f.max, t->f.desired);
    put_tag(&t->f, ROLLOUT_TAG_ORIGINAL, v);
    put_tag(&t->f, ROLLOUT_TAG_SUSPENDED, "-");
    snprintf(v, sizeof(v), "%lld", (long long)t->f.wall - 100);
    put_tag(&t->f, ROLLOUT_TAG_STARTED, v);
    put_tag(&t->f, ROLLOUT_TAG_TARGET, "lt-0fake/2");
    if (lease_expires) {
        snprintf(v, sizeof(v), "host=elsewhere/abc,pid=1,token=feedface,expires=%lld",
                 lease_expires);
        put_tag(&t->f, ROLLOUT_TAG_LEASE, v);
    }
}

TEST(a_live_lease_of_another_rollout_makes_it_busy)
{
    struct eng *t = eng_new(2, 1, 1);
    in_progress(t, (long long)t->f.wall + 60);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_BUSY, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "elsewhere/abc");
    for (int op = 0; op < FOP_N; op++)
        CHECK_MSG(!fake_op_is_write((enum fake_op)op) || t->f.calls[op] == 0, "%s was called",
                  fake_op_name((enum fake_op)op));
    free(t);
}

TEST(an_expired_lease_is_taken_over_and_the_rollout_finished)
{
    struct eng *t = eng_new(2, 1, 1);
    in_progress(t, (long long)t->f.wall - 1);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK(t->events[EV_INFO] >= 1);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

static void drop_tags_after_drain(struct fake_svc *f, enum fake_op op, void *user)
{
    (void)op;
    (void)user;
    if (f->drained_instances > 0)
        f->n_tags = 0;
}

TEST(state_tags_that_vanish_mid_rollout_stop_it)
{
    struct eng *t = eng_new(2, 1, 1);
    t->f.before = drop_tags_after_drain;
    enum rollout_result r = run(t);
    /* The lease went with them: another rollout took over (exit 5), and
     * this run writes nothing more (lease fencing, issue 14). */
    CHECK_MSG(r == ROLLOUT_BUSY, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "disappeared");
    free(t);
}

TEST(a_malformed_state_tag_is_refused_before_any_write)
{
    struct eng *t = eng_new(2, 1, 1);
    put_tag(&t->f, ROLLOUT_TAG_ORIGINAL, "min=banana");
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_REFUSED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, ROLLOUT_TAG_ORIGINAL);
    for (int op = 0; op < FOP_N; op++)
        CHECK_MSG(!fake_op_is_write((enum fake_op)op) || t->f.calls[op] == 0, "%s was called",
                  fake_op_name((enum fake_op)op));
    free(t);
}

TEST(preflight_refuses_an_unregistered_instance_before_any_write)
{
    struct eng *t = eng_new(3, 1, 1);
    snprintf(t->f.ci[1].status, sizeof(t->f.ci[1].status), "INACTIVE");
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_REFUSED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "not registered");
    CHECK(t->events[EV_ERROR] >= 1);
    for (int op = 0; op < FOP_N; op++)
        CHECK_MSG(!fake_op_is_write((enum fake_op)op) || t->f.calls[op] == 0, "%s was called",
                  fake_op_name((enum fake_op)op));
    free(t);
}

TEST(a_group_that_does_not_exist_is_an_error)
{
    struct eng *t = eng_new(2, 1, 1);
    t->cfg.asg_name = "no-such-group";
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_REFUSED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "no-such-group");
    fake_fail_always(&t->f, FOP_DESCRIBE_GROUP, FAULT_ACCESS_DENIED);
    t->cfg.asg_name = t->f.group;
    r = run(t);
    CHECK_MSG(r == ROLLOUT_ERROR, "%s: %s", rollout_result_name(r), t->sum.message);
    free(t);
}

static void throttle_for_a_while(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    (void)op;
    /* from the first drain on, every read fails for hook_times fake seconds */
    if (f->drained_instances > 0 && t->hook_at == 0)
        t->hook_at = (unsigned long)f->mono;
    int failing = t->hook_at && f->mono - (double)t->hook_at < t->hook_times;
    fake_fail_always(f, FOP_DESCRIBE_GROUP, failing ? t->hook_fault : FAULT_NONE);
    fake_fail_always(f, FOP_DESCRIBE_TAGS, failing ? t->hook_fault : FAULT_NONE); /* the fences */
}

TEST(aws_failing_for_a_while_is_waited_out_and_for_long_rolls_back)
{
    struct eng *t = eng_new(2, 1, 1);
    t->f.before = throttle_for_a_while;
    t->f.user = t;
    t->hook_fault = FAULT_THROTTLE;
    t->hook_times = 60;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK(t->events[EV_WARNING] >= 1);
    free(t);

    t = eng_new(2, 1, 1);
    t->f.before = throttle_for_a_while;
    t->f.user = t;
    t->hook_fault = FAULT_5XX;
    t->hook_times = 300; /* beyond the engine's grace (180s), then AWS answers again */
    r = run(t);
    CHECK_MSG(r == ROLLOUT_ROLLED_BACK, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "ServiceUnavailable");
    settle(t);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

TEST(unfiltered_lists_and_duplicate_answers_do_not_disturb_a_rollout)
{
    struct eng *t = eng_new(3, 2, 1);
    fake_add_foreign_instance(&t->f);
    t->f.unfiltered_list = 1;
    t->f.duplicate_cis = 1;
    t->f.reverse_order = 1;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    /* the other group's instance was never touched */
    CHECK_STR(t->f.ci[3].status, "ACTIVE");
    free(t);
}

TEST(a_start_that_fails_after_taking_the_lease_releases_it)
{
    struct eng *t = eng_new(2, 1, 1);
    /* the second DescribeTags is the check that the lease is ours (after
     * the fresh read before the write) */
    t->hook_op = FOP_DESCRIBE_TAGS;
    t->hook_at = 2;
    t->hook_fault = FAULT_ACCESS_DENIED;
    t->hook_times = 1;
    t->f.before = fail_at;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_ERROR, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK(fake_tag(&t->f, ROLLOUT_TAG_ORIGINAL) != NULL);
    CHECK_MSG(fake_tag(&t->f, ROLLOUT_TAG_LEASE) == NULL, "the lease is kept: %s",
              fake_tag(&t->f, ROLLOUT_TAG_LEASE));
    t->f.before = NULL;
    r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    free(t);
}

/* A group at its MinSize with an instance drained before the rollout (by
 * hand, or by an earlier run): removing it first would take the desired
 * capacity below MinSize, which Auto Scaling refuses. Found by
 * fuzz_rollout. */
TEST(an_instance_drained_before_the_rollout_in_a_group_at_its_min_size)
{
    struct eng *t = eng_new(3, 1, 0);
    t->f.max = t->orig_max = 3;
    snprintf(t->f.ci[0].status, sizeof(t->f.ci[0].status), "DRAINING");
    t->f.serving_floor = t->f.min_serving = 2;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    settle(t);
    CHECK_INT(fake_outdated(&t->f), 0);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

/* ---- plan and status (inspect.c): read-only ---- */

TEST(plan_names_every_instance_and_writes_nothing)
{
    struct eng *t = eng_new(3, 2, 2);
    t->f.max = 4;
    struct rollout_plan p;
    CHECK(rollout_inspect(&t->ops, &t->cfg, &p, &t->err) == 0);
    CHECK_INT(p.n_instances, 3);
    CHECK_INT(p.outdated, 3);
    CHECK_INT(p.batch_size, 3);
    CHECK_INT(p.n_batches, 1);
    CHECK_INT(p.max_size_needed, 6);
    CHECK(p.raise_max);
    CHECK_INT(p.problems.n, 0);
    CHECK_INT(p.instances[0].tasks, 2);
    CHECK_CONTAINS(p.target, "version 2");
    CHECK(!p.in_progress);
    rollout_plan_free(&p);
    for (int op = 0; op < FOP_N; op++)
        CHECK_MSG(!fake_op_is_write((enum fake_op)op) || t->f.calls[op] == 0, "%s was called",
                  fake_op_name((enum fake_op)op));
    free(t);
}

TEST(plan_says_why_a_rollout_would_be_refused)
{
    struct eng *t = eng_new(2, 1, 1);
    t->f.max = 2;
    t->cfg.options.keep_max_size = 1;
    snprintf(t->f.ci[1].status, sizeof(t->f.ci[1].status), "INACTIVE");
    struct rollout_plan p;
    CHECK(rollout_inspect(&t->ops, &t->cfg, &p, &t->err) == 0);
    CHECK_INT(p.problems.n, 2);
    CHECK_CONTAINS(p.problems.v[0], "not registered");
    CHECK_CONTAINS(p.problems.v[1], "--keep-max-size");
    rollout_plan_free(&p);
    /* AWS failing: an error, nothing half-built */
    fake_fail_always(&t->f, FOP_DESCRIBE_CLUSTER, FAULT_ACCESS_DENIED);
    CHECK(rollout_inspect(&t->ops, &t->cfg, &p, &t->err) != 0);
    CHECK_STR(t->err.code, "AccessDeniedException");
    fake_fail_always(&t->f, FOP_DESCRIBE_CLUSTER, FAULT_NONE);
    fake_fail_always(&t->f, FOP_DESCRIBE_GROUP, FAULT_5XX);
    CHECK(rollout_inspect(&t->ops, &t->cfg, &p, &t->err) != 0);
    free(t);
}

TEST(status_shows_a_rollout_in_progress)
{
    struct eng *t = eng_new(3, 2, 1);
    t->f.before = stop_after_drain;
    t->f.user = t;
    CHECK_INT(run(t), ROLLOUT_INTERRUPTED);
    t->f.before = NULL;
    struct rollout_plan p;
    CHECK(rollout_inspect(&t->ops, &t->cfg, &p, &t->err) == 0);
    CHECK(p.in_progress);
    CHECK_INT(p.original_desired, 3);
    CHECK(p.draining > 0);
    CHECK(p.started > 0);
    CHECK(!p.lease_owner); /* released when it stopped */
    rollout_plan_free(&p);
    free(t);
}

/* ---- pre-flight (preflight.c): every refusal names its cause ---- */

static int has_problem(const struct rollout_plan *p, const char *what)
{
    for (size_t i = 0; i < p->problems.n; i++)
        if (strstr(p->problems.v[i], what))
            return 1;
    return 0;
}

static int has_warning(const struct rollout_plan *p, const char *what)
{
    for (size_t i = 0; i < p->warnings.n; i++)
        if (strstr(p->warnings.v[i], what))
            return 1;
    return 0;
}

TEST(preflight_names_each_reason_to_refuse)
{
    struct eng *t = eng_new(2, 1, 1);
    t->f.warm_pool = 1;
    t->f.deleting = 1;
    t->f.capacity_provider = 2;
    t->f.desired = 3; /* a launch still pending */
    fake_step(&t->f);
    t->cfg.options.ami = "ami-other";
    struct rollout_plan p;
    CHECK(rollout_inspect(&t->ops, &t->cfg, &p, &t->err) == 0);
    CHECK(has_problem(&p, "being deleted"));
    CHECK(has_problem(&p, "warm pool"));
    /* managed scaling is rolled, not refused (rollout/scaling.h): a note */
    CHECK(!has_problem(&p, "managed scaling"));
    CHECK(has_warning(&p, "managed scaling"));
    CHECK(has_problem(&p, "still launching"));
    CHECK(has_problem(&p, "--ami ami-other"));
    rollout_plan_free(&p);
    /* and a run refuses with the same reasons, writing nothing */
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_REFUSED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_CONTAINS(t->sum.message, "and more, see above");
    for (int op = 0; op < FOP_N; op++)
        CHECK_MSG(!fake_op_is_write((enum fake_op)op) || t->f.calls[op] == 0, "%s was called",
                  fake_op_name((enum fake_op)op));
    free(t);
}

TEST(preflight_warns_of_what_does_not_stop_a_rollout)
{
    struct eng *t = eng_new(2, 1, 1);
    t->f.capacity_provider = 1; /* managed termination protection only */
    t->f.template_without_ami = 1;
    t->cfg.options.ami = "ami-v2";
    struct rollout_plan p;
    CHECK(rollout_inspect(&t->ops, &t->cfg, &p, &t->err) == 0);
    CHECK_INT(p.problems.n, 0);
    CHECK(has_warning(&p, "managed termination protection"));
    CHECK(has_warning(&p, "cannot tell which AMI"));
    rollout_plan_free(&p);
    /* pre-flight that cannot ask AWS is an error, not a refusal */
    fake_fail_always(&t->f, FOP_DESCRIBE_CAPACITY_PROVIDERS, FAULT_ACCESS_DENIED);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_ERROR, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_STR(t->err.code, "AccessDeniedException");
    free(t);
}

/* Issue 13 (fuzz finding rollout/terminate-below-min-after-held-launch): a
 * re-run finds the group with one member more than its desired capacity,
 * which is its MinSize (an instance launched to even out the zones came up
 * after the desired capacity went back). Terminating that surplus with a
 * decrement would take the desired capacity below MinSize, which Auto
 * Scaling refuses: the surplus is terminated without one (the group then
 * has as many members as it wants), and the re-run finishes. */
TEST(a_surplus_above_a_desired_capacity_at_min_size_is_removed_without_decrement)
{
    struct eng *t = eng_new(4, 2, 1);
    for (size_t i = 0; i < t->f.n_inst; i++)
        t->f.inst[i].version = t->f.lt_latest; /* all current */
    t->f.min = t->f.desired = t->orig_min = t->orig_desired = 3;
    t->f.serving_floor = 3;
    /* Auto Scaling keeps more members than the desired capacity only while
     * Terminate is suspended (here by someone else: it stays so) */
    snprintf(t->f.suspended[t->f.n_suspended++], sizeof(t->f.suspended[0]), "Terminate");
    in_progress(t, 0);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s (%s)", rollout_result_name(r), t->sum.message,
              t->last_error);
    settle(t);
    const char *p = serving_problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(t->f.n_suspended, 1);
    t->f.n_suspended = 0;
    p = restore_problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}
