/* The bulk scale-in (rollout/bulk.h): when one scale-in may replace the
 * per-instance terminations (each reason it says no), the restore rule,
 * the wait while a scale-in is in flight, and whole rollouts on the fake
 * service layer, with surprising answers: a SetInstanceProtection that
 * fails half way, a desired change refused for MinSize, a victim that was
 * not drained, a stop between protecting and lowering the desired capacity. */
#include <signal.h>
#include <stdlib.h>

#include "fake_svc.h"
#include "rollout/bulk.h"
#include "rollout/engine.h"
#include "rollout/state.h"
#include "test.h"

/* ---- the pure rules, from hand-built snapshots ---- */

#define MAX_INST 64

struct fx {
    struct rollout_snapshot s;
    struct rollout_options o;
    struct rollout_decision d;
    struct asg_instance inst[MAX_INST];
    struct ecs_container_instance ci[MAX_INST];
    long long launch[MAX_INST];
    char ids[MAX_INST][24];
    struct strv protect;
    char why[256];
};

static struct fx F;

static struct asg_instance *fx_add(const char *ci_status, long long launched)
{
    size_t i = F.s.group.n_instances++;
    snprintf(F.ids[i], sizeof(F.ids[i]), "i-%04zu", i);
    struct asg_instance *in = &F.inst[i];
    in->instance_id = F.ids[i];
    in->availability_zone = "us-east-1a";
    in->lifecycle_state = "InService";
    F.launch[i] = launched;
    struct ecs_container_instance *ci = &F.ci[F.s.n_cis++];
    ci->ec2_instance_id = in->instance_id;
    ci->status = (char *)ci_status;
    ci->agent_connected = 1;
    return in;
}

/* k old instances drained, k new ones launched during the rollout, the
 * group at 2k (MinSize k); the decision terminates the drained ones. */
static void fx_init(int k)
{
    strv_free(&F.d.ids);
    strv_free(&F.protect);
    strv_free(&F.s.group.suspended_processes);
    memset(&F, 0, sizeof(F));
    F.s.group.name = "asg";
    F.s.group.instances = F.inst;
    F.s.cis = F.ci;
    F.s.launch_time = F.launch;
    F.s.marks.launched_after = 150;
    F.s.state.in_progress = 1;
    for (int i = 0; i < k; i++)
        fx_add("DRAINING", 100);
    for (int i = 0; i < k; i++)
        fx_add("ACTIVE", 200);
    F.s.group.desired_capacity = 2 * k;
    F.s.group.min_size = k;
    F.s.group.max_size = 4 * k;
    F.s.state.desired_capacity = k;
    F.o.bulk_terminate_from = k;
    F.d.action = ACT_TERMINATE;
    for (int i = 0; i < k; i++)
        strv_push(&F.d.ids, F.ids[i]);
}

static int eligible(int rollback)
{
    strv_free(&F.protect);
    return rollout_bulk_eligible(&F.s, &F.o, &F.d, rollback, &F.protect, F.why, sizeof(F.why));
}

#define CHECK_NO(rollback, text)                                                                   \
    do {                                                                                           \
        CHECK_MSG(!eligible(rollback), "eligible, expected no (%s)", text);                        \
        CHECK_MSG(strstr(F.why, text), "why \"%s\", expected \"%s\"", F.why, text);                \
        CHECK_INT(F.protect.n, 0);                                                                 \
    } while (0)

TEST(a_forward_termination_of_drained_instances_is_one_scale_in)
{
    fx_init(4);
    CHECK_MSG(eligible(0), "refused: %s", F.why);
    /* the new ones, launched during the rollout, are protected first */
    CHECK_INT(F.protect.n, 4);
    CHECK_STR(F.protect.v[0], "i-0004");
    CHECK_STR(F.protect.v[3], "i-0007");
    /* one already protected needs no call */
    F.inst[5].protected_from_scale_in = 1;
    CHECK(eligible(0));
    CHECK_INT(F.protect.n, 3);
    /* an old member protected by its owner stays as it is, and may stay */
    fx_add("ACTIVE", 100)->protected_from_scale_in = 1;
    F.s.group.desired_capacity++;
    CHECK(eligible(0));
    CHECK_INT(F.protect.n, 3);
}

TEST(the_bulk_path_says_no_below_its_threshold_and_when_turned_off)
{
    fx_init(4);
    F.o.bulk_terminate_from = 5;
    CHECK_NO(0, "fewer than --bulk-terminate-from 5");
    F.o.bulk_terminate_from = 0;
    CHECK_NO(0, "--bulk-terminate-from 0");
}

TEST(the_bulk_path_says_no_to_a_rollback_and_to_keeping_the_desired_capacity)
{
    fx_init(4);
    CHECK_NO(1, "rollback");
    F.d.keep_desired = 1;
    CHECK_NO(0, "keeps the desired capacity");
}

TEST(the_bulk_path_says_no_where_ecs_manages_protection_or_it_is_not_known)
{
    fx_init(4);
    F.s.protection_managed = 1;
    CHECK_NO(0, "managed termination protection");
    F.s.protection_managed = -1;
    CHECK_NO(0, "not known whether");
}

TEST(the_bulk_path_says_no_when_new_instances_are_protected_by_default)
{
    fx_init(4);
    F.s.group.new_instances_protected_from_scale_in = 1;
    CHECK_NO(0, "protects new instances");
}

TEST(the_bulk_path_says_no_when_terminate_is_suspended)
{
    fx_init(4);
    strv_push(&F.s.group.suspended_processes, "Terminate");
    CHECK_NO(0, "Terminate process is suspended");
}

TEST(the_bulk_path_says_no_when_members_and_desired_capacity_differ)
{
    fx_init(4);
    F.s.group.desired_capacity = 9; /* a launch owed */
    CHECK_NO(0, "8 member(s) for a desired capacity of 9");
    F.s.group.desired_capacity = 7; /* a scale-in owed */
    CHECK_NO(0, "8 member(s) for a desired capacity of 7");
}

TEST(the_bulk_path_says_no_below_min_size)
{
    fx_init(4);
    F.s.group.min_size = 5;
    CHECK_NO(0, "below MinSize 5");
}

TEST(the_bulk_path_says_no_to_a_victim_that_is_protected_or_not_drained)
{
    fx_init(4);
    F.inst[1].protected_from_scale_in = 1;
    CHECK_NO(0, "i-0001 is not an unprotected drained");
    fx_init(4);
    F.ci[2].status = "ACTIVE";
    CHECK_NO(0, "i-0002 is not an unprotected drained");
}

TEST(the_bulk_path_says_no_to_an_unprotected_member_from_before_the_rollout)
{
    fx_init(4);
    /* an old instance of a later batch: its protection would need a memory */
    fx_add("ACTIVE", 100);
    F.s.group.desired_capacity++;
    CHECK_NO(0, "i-0008 is unprotected and was not launched during the rollout");
    /* launch times unknown: nothing counts as launched during the rollout */
    fx_init(4);
    F.s.launch_time = NULL;
    CHECK_NO(0, "i-0004 is unprotected and was not launched during the rollout");
}

TEST(the_bulk_path_says_no_to_a_member_that_cannot_be_protected_yet_or_is_standby)
{
    fx_init(4);
    F.inst[6].lifecycle_state = "Pending";
    CHECK_NO(0, "i-0006 is Pending: it cannot be protected yet");
    fx_init(4);
    fx_add("ACTIVE", 200)->lifecycle_state = "Standby";
    CHECK_NO(0, "i-0008 is Standby");
    /* leaving members are not counted and do not matter */
    fx_init(4);
    fx_add("ACTIVE", 100)->lifecycle_state = "Terminating:Wait";
    CHECK_MSG(eligible(0), "refused: %s", F.why);
}

TEST(a_scale_in_is_in_flight_until_it_has_taken_the_drained_instances)
{
    fx_init(4);
    for (int i = 4; i < 8; i++)
        F.inst[i].protected_from_scale_in = 1;
    CHECK(!rollout_bulk_in_flight(&F.s));
    F.s.group.desired_capacity = 4;
    CHECK(rollout_bulk_in_flight(&F.s));
    /* nothing else may be taken: in flight; until then no protection comes off */
    struct rollout_decision d;
    memset(&d, 0, sizeof(d));
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 0);
    /* the decisions wait for it, forward and in a rollback */
    struct rollout_assessment a;
    struct rollout_timers t;
    memset(&t, 0, sizeof(t));
    F.o.instance_timeout_s = 600;
    rollout_assess(&F.s, &F.o, &a);
    rollout_decide(&F.s, &a, &F.o, &t, &d);
    CHECK_MSG(d.action == ACT_WAIT && d.wait == WAIT_TERMINATION, "%s: %s",
              rollout_action_name(d.action), d.message);
    rollout_decision_free(&d);
    rollout_decide_rollback(&F.s, &a, &F.o, &t, &d);
    CHECK_MSG(d.action == ACT_WAIT && d.wait == WAIT_TERMINATION, "%s: %s",
              rollout_action_name(d.action), d.message);
    rollout_decision_free(&d);
    rollout_assessment_free(&a);
    /* it has picked: its victims are Terminating */
    for (int i = 0; i < 4; i++)
        F.inst[i].lifecycle_state = "Terminating";
    CHECK(!rollout_bulk_in_flight(&F.s));
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 4);
    CHECK_STR(d.ids.v[0], "i-0004");
    rollout_decision_free(&d);
}

TEST(an_unprotected_member_that_is_not_drained_means_no_scale_in_of_ours_is_in_flight)
{
    fx_init(4);
    F.s.group.desired_capacity = 4; /* members above desired, but i-0004.. unprotected */
    CHECK(!rollout_bulk_in_flight(&F.s));
    strv_push(&F.s.group.suspended_processes, "Terminate");
    for (int i = 4; i < 8; i++)
        F.inst[i].protected_from_scale_in = 1;
    CHECK(!rollout_bulk_in_flight(&F.s)); /* nothing scales in */
}

TEST(no_protection_comes_off_while_a_scale_in_is_owed_even_when_ecs_does_not_show_the_drain)
{
    /* chaos seed 16 rollout 23 (transient-ecs): the desired change had gone
     * through, the drained victim's container instance was missing from
     * ECS's answer, so no scale-in "of ours" looked in flight, and the rule
     * took protection off new instances with tasks; the scale-in took one. */
    fx_init(4);
    for (int i = 4; i < 8; i++)
        F.inst[i].protected_from_scale_in = 1;
    F.s.group.desired_capacity = 4;
    F.ci[0].ec2_instance_id = "i-elsewhere"; /* a victim missing from ECS's answer */
    F.ci[1].status = "ACTIVE";
    CHECK(!rollout_bulk_in_flight(&F.s));
    struct rollout_decision d;
    memset(&d, 0, sizeof(d));
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 0);
    /* the scale-in has taken its 4: the protection comes off */
    for (int i = 0; i < 4; i++)
        F.inst[i].lifecycle_state = "Terminating";
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 4);
    rollout_decision_free(&d);
    /* Terminate suspended: nothing is owed, the protection comes off */
    fx_init(4);
    for (int i = 4; i < 8; i++)
        F.inst[i].protected_from_scale_in = 1;
    F.s.group.desired_capacity = 4;
    strv_push(&F.s.group.suspended_processes, "Terminate");
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 4);
    rollout_decision_free(&d);
}

TEST(the_restore_rule_unprotects_only_what_the_rollout_may_have_protected)
{
    fx_init(4);
    for (int i = 0; i < 8; i++)
        F.inst[i].protected_from_scale_in = 1; /* old ones too: their owner's */
    struct rollout_decision d;
    memset(&d, 0, sizeof(d));
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 4);
    CHECK_STR(d.ids.v[0], "i-0004");
    rollout_decision_free(&d);
    F.s.protection_managed = 1;
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 0);
    F.s.protection_managed = -1;
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 0);
    F.s.protection_managed = 0;
    F.s.group.new_instances_protected_from_scale_in = 1;
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 0);
    F.s.group.new_instances_protected_from_scale_in = 0;
    F.s.state.in_progress = 0;
    CHECK_INT(rollout_protection_to_restore(&F.s, &d), 0);
    F.s.state.in_progress = 1;
    /* the decisions put it first, forward and in a rollback */
    struct rollout_assessment a;
    struct rollout_timers t;
    memset(&t, 0, sizeof(t));
    rollout_assess(&F.s, &F.o, &a);
    rollout_decide(&F.s, &a, &F.o, &t, &d);
    CHECK_MSG(d.action == ACT_UNPROTECT && d.ids.n == 4, "%s: %s", rollout_action_name(d.action),
              d.message);
    rollout_decision_free(&d);
    rollout_decide_rollback(&F.s, &a, &F.o, &t, &d);
    CHECK_MSG(d.action == ACT_UNPROTECT && d.ids.n == 4, "%s: %s", rollout_action_name(d.action),
              d.message);
    rollout_decision_free(&d);
    rollout_assessment_free(&a);
    strv_free(&F.d.ids);
    strv_free(&F.s.group.suspended_processes);
}

/* ---- whole rollouts on the fake service layer ---- */

struct eng {
    struct fake_svc f;
    struct svc_ops ops;
    struct rollout_config cfg;
    struct rollout_summary sum;
    struct err err;
    volatile sig_atomic_t stop;
    int orig_desired;
    int warned_left, warned_not_taken, one_by_one, warned_fallback;
    char fallback[512];
    int hook; /* what the hook does (test-specific) */
    int hooked;
};

static void on_event(const struct rollout_event *ev, void *user)
{
    struct eng *t = user;
    const char *m = ev->message ? ev->message : "";
    if (ev->kind == EV_WARNING && strstr(m, "left the group during the scale-in"))
        t->warned_left++;
    if (ev->kind == EV_WARNING && strstr(m, "the scale-in did not take"))
        t->warned_not_taken++;
    if (ev->kind == EV_INFO && strstr(m, "one by one"))
        t->one_by_one++;
    if (ev->kind == EV_WARNING && strstr(m, "could not be made; terminating them one by one")) {
        t->warned_fallback++;
        snprintf(t->fallback, sizeof(t->fallback), "%s", m);
    }
    if (getenv("ENGINE_TEST_EVENTS"))
        fprintf(stderr, "[%s] %s %s\n", ev->phase ? ev->phase : "-",
                ev->kind == EV_ACTION ? ev->action : "", m);
}

static struct eng *eng_new(int n, int from)
{
    struct eng *t = calloc(1, sizeof(*t));
    fake_init(&t->f, n, 2, 1);
    t->f.launch_times = 1;
    t->ops = fake_ops(&t->f);
    t->cfg.asg_name = t->f.group;
    t->cfg.cluster_name = t->f.cluster;
    t->cfg.options.instance_timeout_s = 600;
    t->cfg.options.drain_timeout_s = 900;
    t->cfg.options.bulk_terminate_from = from;
    t->cfg.poll_min_s = 1;
    t->cfg.poll_max_s = 3;
    t->cfg.on_event = on_event;
    t->cfg.userdata = t;
    t->cfg.stop = &t->stop;
    t->orig_desired = t->f.desired;
    return t;
}

static enum rollout_result run(struct eng *t)
{
    t->stop = 0;
    return rollout_run(&t->ops, &t->cfg, &t->sum, &t->err);
}

/* After any run: serving, nothing killed, no protection left, no state. */
static const char *problem(const struct eng *t)
{
    static char why[256];
    for (int i = 0; i < 3; i++)
        fake_step((struct fake_svc *)&t->f);
    if (t->f.min_serving < t->f.serving_floor)
        snprintf(why, sizeof(why), "only %d ACTIVE members at one point (the group had %d)",
                 t->f.min_serving, t->f.serving_floor);
    else if (t->f.killed_running)
        snprintf(why, sizeof(why), "%d running task(s) killed", t->f.killed_running);
    else if (fake_cis_with_status(&t->f, "DRAINING"))
        snprintf(why, sizeof(why), "%d member(s) left DRAINING",
                 fake_cis_with_status(&t->f, "DRAINING"));
    else if (fake_protected(&t->f))
        snprintf(why, sizeof(why), "%d member(s) left protected", fake_protected(&t->f));
    else if (fake_tag_count(&t->f, ROLLOUT_TAG_PREFIX))
        snprintf(why, sizeof(why), "%d state tag(s) left",
                 fake_tag_count(&t->f, ROLLOUT_TAG_PREFIX));
    else if (t->f.desired != t->orig_desired || fake_members(&t->f) != t->orig_desired)
        snprintf(why, sizeof(why), "desired %d, %d members, expected %d", t->f.desired,
                 fake_members(&t->f), t->orig_desired);
    else
        return NULL;
    return why;
}

TEST(a_rollout_removes_its_drained_batch_with_one_scale_in)
{
    struct eng *t = eng_new(8, 4);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *p = problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(fake_outdated(&t->f), 0);
    CHECK_INT(t->f.calls[FOP_TERMINATE], 0);
    CHECK_INT(t->sum.bulk_scale_ins, 1);
    CHECK_INT(t->f.scaled_in, 8);
    CHECK_INT(t->f.scaled_in_drained, 8);
    CHECK_INT(t->f.protection_calls_on, 1);
    CHECK_INT(t->f.protection_calls_off, 1);
    CHECK_INT(t->warned_left + t->warned_not_taken, 0);
    free(t);
}

TEST(batches_below_the_threshold_are_terminated_one_by_one)
{
    struct eng *t = eng_new(8, 0);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *p = problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK(t->f.calls[FOP_TERMINATE] > 0);
    CHECK_INT(t->f.calls[FOP_SET_PROTECTION], 0);
    CHECK_INT(t->sum.bulk_scale_ins, 0);
    free(t);
}

TEST(batches_of_a_rollout_in_batches_are_each_one_scale_in)
{
    /* the old instances of later batches are unprotected and from before
     * the rollout: the first batches go one by one; the last, with only
     * the rollout's own instances left, as one scale-in */
    struct eng *t = eng_new(9, 3);
    t->cfg.options.batch_size = 3;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *p = problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(t->sum.bulk_scale_ins, 1);
    CHECK_INT(t->f.calls[FOP_TERMINATE], 2); /* one call of 3 ids each */
    CHECK_INT(t->one_by_one, 2);
    free(t);
}

TEST(managed_termination_protection_or_protected_new_instances_mean_one_by_one)
{
    struct eng *t = eng_new(8, 4);
    t->f.new_protected = 1;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(t->sum.bulk_scale_ins, 0);
    CHECK_INT(t->f.calls[FOP_SET_PROTECTION], 0);
    CHECK_INT(t->f.calls[FOP_TERMINATE], 1); /* one call of 8 ids */
    CHECK_INT(t->one_by_one, 1);
    free(t);
    t = eng_new(8, 4);
    t->f.capacity_provider = 2; /* managed termination protection and scaling */
    t->f.new_protected = 1;
    r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(t->sum.bulk_scale_ins, 0);
    CHECK_INT(t->f.calls[FOP_SET_PROTECTION], 0);
    free(t);
}

/* The second SetInstanceProtection true call fails (ValidationError). */
static void protect_fails_half_way(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (op == FOP_SET_PROTECTION && f->protection_calls_on == 1 && !t->hooked) {
        t->hooked = 1;
        fake_fail_next(f, FOP_SET_PROTECTION, t->hook ? FAULT_THROTTLE : FAULT_VALIDATION, 1);
    }
}

TEST(a_protection_that_fails_half_way_is_taken_off_and_the_batch_goes_one_by_one)
{
    for (int transient = 0; transient < 2; transient++) {
        struct eng *t = eng_new(55, 51); /* 55 to protect: two calls */
        t->hook = transient;
        t->f.before = protect_fails_half_way;
        t->f.user = t;
        enum rollout_result r = run(t);
        CHECK_MSG(t->hooked, "the fault was never injected");
        CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
        const char *p = problem(t);
        CHECK_MSG(!p, "transient %d: %s", transient, p);
        CHECK_INT(t->sum.bulk_scale_ins, 0);
        /* the 50 protected by the first call come off in one call */
        CHECK_INT(t->f.protection_calls_off, 1);
        CHECK_INT(t->f.scaled_in, 0);
        CHECK_INT(t->f.calls[FOP_TERMINATE], 1);
        free(t);
    }
}

/* The bulk desired change meets a MinSize raised meanwhile (once). */
static void min_raised_at_the_desired_change(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (op == FOP_SET_DESIRED && f->protection_calls_on == 1 && !t->hooked) {
        t->hooked = 1;
        t->hook = f->min;
        f->min = f->desired;
    } else if (t->hooked == 1 && op != FOP_SET_DESIRED) {
        t->hooked = 2;
        f->min = t->hook;
    }
}

TEST(a_desired_change_refused_for_min_size_falls_back_to_one_by_one)
{
    struct eng *t = eng_new(8, 4);
    t->f.before = min_raised_at_the_desired_change;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(t->hooked, "the refusal was never injected");
    /* the per-instance path instead, which meets MinSize as it was */
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *p = problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(t->f.scaled_in, 0);
    CHECK_INT(t->f.protection_calls_off, 1);
    CHECK_INT(t->f.calls[FOP_TERMINATE], 1);
    CHECK_INT(t->sum.bulk_scale_ins, 0);
    free(t);
}

/* Someone terminates a member the scale-in was to keep, right after the
 * desired change: the scale-in then leaves a drained one. */
static void another_member_goes(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (op != FOP_DESCRIBE_GROUP || t->hooked || f->protection_calls_on != 1)
        return;
    t->hooked = 1;
    for (size_t i = 0; i < f->n_inst; i++)
        if (f->inst[i].in_group && f->inst[i].protected_ &&
            strcmp(f->inst[i].lifecycle, "InService") == 0) {
            snprintf(f->inst[i].lifecycle, sizeof(f->inst[i].lifecycle), "Terminating");
            f->desired++; /* a replacement, as a health check would ask */
            break;
        }
}

TEST(a_victim_that_was_not_drained_is_said)
{
    struct eng *t = eng_new(8, 4);
    t->f.before = another_member_goes;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(t->hooked, "never hooked");
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(t->warned_left, 1);
    CHECK_INT(fake_protected(&t->f), 0);
    CHECK_INT(t->f.killed_running, 1); /* the hook's own termination, undrained */
    free(t);
}

/* A stop (and a failure of the desired change) between protecting and
 * lowering the desired capacity: the stop takes the protection off. */
static void stop_before_the_desired_change(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (op == FOP_SET_DESIRED && f->protection_calls_on == 1 && !t->hooked) {
        t->hooked = 1;
        t->stop = 1;
        fake_fail_next(f, FOP_SET_DESIRED, FAULT_5XX, 1);
    }
}

TEST(a_run_stopped_between_protecting_and_the_desired_change_takes_the_protection_off)
{
    struct eng *t = eng_new(8, 4);
    t->f.before = stop_before_the_desired_change;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(t->hooked, "never hooked");
    CHECK_MSG(r == ROLLOUT_INTERRUPTED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(fake_protected(&t->f), 0);
    CHECK_INT(t->f.protection_calls_off, 1);
    CHECK_INT(t->f.scaled_in, 0);
    t->f.before = NULL;
    r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *p = problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(t->sum.bulk_scale_ins, 1);
    CHECK_INT(t->f.calls[FOP_TERMINATE], 0);
    free(t);
}

/* A stop right after the desired change: the run takes its protection off
 * before it lets go of the lease. */
static void stop_after_the_desired_change(struct fake_svc *f, enum fake_op op, void *user)
{
    struct eng *t = user;
    if (op == FOP_SET_DESIRED && f->protection_calls_on == 1 && !t->hooked) {
        t->hooked = 1;
        t->stop = 1;
    }
}

TEST(a_run_stopped_after_the_scale_in_takes_its_protection_off)
{
    struct eng *t = eng_new(8, 4);
    t->f.before = stop_after_the_desired_change;
    t->f.user = t;
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_INTERRUPTED, "%s: %s", rollout_result_name(r), t->sum.message);
    CHECK_INT(fake_protected(&t->f), 0);
    CHECK_INT(t->f.scaled_in_drained, 8);
    t->f.before = NULL;
    r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *p = problem(t);
    CHECK_MSG(!p, "%s", p);
    free(t);
}

TEST(without_permission_to_protect_the_batch_goes_one_by_one)
{
    struct eng *t = eng_new(8, 4);
    fake_fail_always(&t->f, FOP_SET_PROTECTION, FAULT_ACCESS_DENIED);
    enum rollout_result r = run(t);
    CHECK_MSG(r == ROLLOUT_DONE, "%s: %s", rollout_result_name(r), t->sum.message);
    const char *p = problem(t);
    CHECK_MSG(!p, "%s", p);
    CHECK_INT(t->f.calls[FOP_SET_PROTECTION], 1);
    CHECK_INT(t->sum.bulk_scale_ins, 0);
    CHECK_INT(t->f.calls[FOP_TERMINATE], 1);
    CHECK_INT(t->warned_fallback, 1);
    CHECK_CONTAINS(t->fallback, "SetInstanceProtection");
    free(t);
}
