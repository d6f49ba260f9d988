/* The rollout's decisions, from hand-built snapshots, and whole rollouts
 * played against a tiny model of Auto Scaling + ECS that applies each
 * decision, checking the safety rule at every step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/model.h"
#include "test.h"

#define MAX_INST 256

/* A fixture owns every string through these fixed arrays. */
struct fx {
    struct rollout_snapshot s;
    struct rollout_options o;
    struct rollout_timers t;
    struct asg_instance inst[MAX_INST];
    struct ecs_container_instance ci[MAX_INST];
    struct drain_tasks dr[MAX_INST];
    struct ecs_service svc[4];
    char ids[MAX_INST][24];
    char versions[MAX_INST][8];
    char *suspended[8];
    int next_id;
    /* model knobs */
    int tasks_per_instance;
    int stuck_drain;    /* draining never finishes */
    int never_register; /* new instances never register */
    int launch_cap;     /* at most this many members (account limit); 0: none */
};

static struct fx F;

/* The fixture's zones; Auto Scaling in the model launches into the emptiest. */
static const char *const azs[] = {"us-east-1a", "us-east-1b", "us-east-1c"};

/* The fixture's only heap memory: process lists the model changes. */
static void fx_free(void)
{
    strv_free(&F.s.group.suspended_processes);
    strv_free(&F.s.state.suspended_by_us);
    strv_free(&F.s.group.availability_zones);
}

static void fx_init(int desired, int max, int outdated_version)
{
    fx_free();
    memset(&F, 0, sizeof(F));
    F.s.group.name = "asg";
    F.s.group.desired_capacity = desired;
    F.s.group.min_size = desired;
    F.s.group.max_size = max;
    F.s.group.instances = F.inst;
    F.s.target.launch_template_id = "lt-1";
    F.s.target.launch_template_version = 2;
    F.s.cis = F.ci;
    F.s.drains = F.dr;
    F.s.services = F.svc;
    F.s.services_observed = 1;
    F.s.now = 1000;
    F.o.instance_timeout_s = 600;
    F.o.drain_timeout_s = 900;
    F.tasks_per_instance = 2;
    for (int i = 0; i < desired; i++) {
        struct asg_instance *in = &F.inst[F.s.group.n_instances];
        snprintf(F.ids[F.s.group.n_instances], sizeof(F.ids[0]), "i-%04d", F.next_id++);
        snprintf(F.versions[F.s.group.n_instances], sizeof(F.versions[0]), "%d", outdated_version);
        in->instance_id = F.ids[F.s.group.n_instances];
        in->availability_zone = (char *)azs[i % 3];
        in->lifecycle_state = "InService";
        in->launch_template.id = "lt-1";
        in->launch_template.version = F.versions[F.s.group.n_instances];
        struct ecs_container_instance *ci = &F.ci[F.s.n_cis++];
        ci->ec2_instance_id = in->instance_id;
        ci->status = "ACTIVE";
        ci->agent_connected = 1;
        ci->running_tasks_count = F.tasks_per_instance;
        F.s.group.n_instances++;
    }
}

/* The group names its zones (as DescribeAutoScalingGroups does), so zone
 * evening knows the empty ones too. */
static void fx_group_zones(void)
{
    for (int z = 0; z < 3; z++)
        strv_push(&F.s.group.availability_zones, azs[z]);
}

static void fx_begin(void)
{
    F.s.state.in_progress = 1;
    F.s.state.desired_capacity = F.s.group.desired_capacity;
    F.s.state.min_size = F.s.group.min_size;
    F.s.state.max_size = F.s.group.max_size;
}

static struct asg_instance *find_inst(const char *id)
{
    for (size_t i = 0; i < F.s.group.n_instances; i++)
        if (strcmp(F.inst[i].instance_id, id) == 0)
            return &F.inst[i];
    return NULL;
}

static struct ecs_container_instance *find_ci(const char *id)
{
    for (size_t i = 0; i < F.s.n_cis; i++)
        if (F.ci[i].ec2_instance_id && strcmp(F.ci[i].ec2_instance_id, id) == 0)
            return &F.ci[i];
    return NULL;
}

static int count_active(void)
{
    int n = 0;
    for (size_t i = 0; i < F.s.group.n_instances; i++) {
        struct asg_instance *in = &F.inst[i];
        struct ecs_container_instance *ci = find_ci(in->instance_id);
        if (strcmp(in->lifecycle_state, "InService") == 0 && ci && ci->status &&
            strcmp(ci->status, "ACTIVE") == 0 && ci->agent_connected)
            n++;
    }
    return n;
}

static void decide(struct rollout_decision *d)
{
    struct rollout_assessment a;
    rollout_assess(&F.s, &F.o, &a);
    rollout_decide(&F.s, &a, &F.o, &F.t, d);
    rollout_assessment_free(&a);
}

/* ---- the model: applies a decision, then lets time pass one step ---- */

static int members(void)
{
    int n = 0;
    for (size_t i = 0; i < F.s.group.n_instances; i++)
        if (strcmp(F.inst[i].lifecycle_state, "Terminating") != 0)
            n++;
    return n;
}

static void model_apply(const struct rollout_decision *d)
{
    switch (d->action) {
    case ACT_SET_DESIRED:
        F.s.group.desired_capacity = d->number;
        break;
    case ACT_RAISE_MAX:
        F.s.group.max_size = d->number;
        break;
    case ACT_DRAIN:
    case ACT_ACTIVATE:
        for (size_t i = 0; i < d->ids.n; i++) {
            struct ecs_container_instance *ci = find_ci(d->ids.v[i]);
            if (ci)
                ci->status = d->action == ACT_DRAIN ? "DRAINING" : "ACTIVE";
        }
        break;
    case ACT_HOLD_LAUNCHES:
    case ACT_SUSPEND:
        for (size_t i = 0; i < d->ids.n; i++) {
            /* A hold is recorded in the state first, as the engine does. */
            if (d->action == ACT_HOLD_LAUNCHES &&
                !strv_contains(&F.s.state.suspended_by_us, d->ids.v[i]))
                strv_push(&F.s.state.suspended_by_us, d->ids.v[i]);
            if (!strv_contains(&F.s.group.suspended_processes, d->ids.v[i]))
                strv_push(&F.s.group.suspended_processes, d->ids.v[i]);
        }
        break;
    case ACT_RESUME: {
        struct strv keep = STRV_INIT;
        for (size_t i = 0; i < F.s.group.suspended_processes.n; i++)
            if (!strv_contains(&d->ids, F.s.group.suspended_processes.v[i]))
                strv_push(&keep, F.s.group.suspended_processes.v[i]);
        strv_free(&F.s.group.suspended_processes);
        F.s.group.suspended_processes = keep;
        break;
    }
    case ACT_TERMINATE:
        for (size_t i = 0; i < d->ids.n; i++) {
            struct asg_instance *in = find_inst(d->ids.v[i]);
            struct ecs_container_instance *ci = find_ci(d->ids.v[i]);
            if (in) {
                in->lifecycle_state = "Terminating";
                F.s.group.desired_capacity -= !d->keep_desired;
            }
            if (ci && ci->running_tasks_count > 0)
                test_fail(__FILE__, __LINE__, "terminated %s while it ran tasks", d->ids.v[i]);
        }
        break;
    default:
        break;
    }
}

static void model_tick(void)
{
    F.s.now += 10;
    /* terminating instances disappear */
    size_t w = 0;
    for (size_t i = 0; i < F.s.group.n_instances; i++) {
        if (strcmp(F.inst[i].lifecycle_state, "Terminating") == 0) {
            struct ecs_container_instance *ci = find_ci(F.inst[i].instance_id);
            if (ci)
                ci->ec2_instance_id = NULL, ci->status = NULL;
            continue;
        }
        if (w != i) {
            F.inst[w] = F.inst[i];
            memcpy(F.ids[w], F.ids[i], sizeof(F.ids[0]));
            memcpy(F.versions[w], F.versions[i], sizeof(F.versions[0]));
            F.inst[w].instance_id = F.ids[w];
            F.inst[w].launch_template.version = F.versions[w];
            struct ecs_container_instance *ci = NULL;
            for (size_t k = 0; k < F.s.n_cis; k++)
                if (F.ci[k].ec2_instance_id == F.ids[i])
                    ci = &F.ci[k];
            if (ci)
                ci->ec2_instance_id = F.ids[w];
        }
        w++;
    }
    F.s.group.n_instances = w;
    /* pending -> in service + registered */
    for (size_t i = 0; i < F.s.group.n_instances; i++) {
        struct asg_instance *in = &F.inst[i];
        if (strcmp(in->lifecycle_state, "Pending") == 0) {
            in->lifecycle_state = "InService";
        } else if (strcmp(in->lifecycle_state, "InService") == 0 && !find_ci(in->instance_id) &&
                   !F.never_register) {
            struct ecs_container_instance *ci = &F.ci[F.s.n_cis++];
            memset(ci, 0, sizeof(*ci));
            ci->ec2_instance_id = in->instance_id;
            ci->status = "ACTIVE";
            ci->agent_connected = 1;
        }
    }
    /* launch up to desired */
    while (!strv_contains(&F.s.group.suspended_processes, "Launch") &&
           members() < F.s.group.desired_capacity && members() < F.s.group.max_size &&
           (!F.launch_cap || members() < F.launch_cap) && F.s.group.n_instances < MAX_INST) {
        size_t n = F.s.group.n_instances++;
        struct asg_instance *in = &F.inst[n];
        memset(in, 0, sizeof(*in));
        snprintf(F.ids[n], sizeof(F.ids[0]), "i-%04d", F.next_id++);
        snprintf(F.versions[n], sizeof(F.versions[0]), "%ld", F.s.target.launch_template_version);
        in->instance_id = F.ids[n];
        /* Auto Scaling launches into the zone with the fewest instances. */
        int per_zone[3] = {0, 0, 0};
        for (size_t k = 0; k < n; k++)
            for (int z = 0; z < 3; z++)
                if (strcmp(F.inst[k].lifecycle_state, "Terminating") != 0 &&
                    strcmp(F.inst[k].availability_zone, azs[z]) == 0)
                    per_zone[z]++;
        int least = 0;
        for (int z = 1; z < 3; z++)
            if (per_zone[z] < per_zone[least])
                least = z;
        in->availability_zone = (char *)azs[least];
        in->lifecycle_state = "Pending";
        in->launch_template.id = "lt-1";
        in->launch_template.version = F.versions[n];
    }
    /* draining moves tasks to active instances */
    F.s.n_drains = 0;
    for (size_t i = 0; i < F.s.n_cis; i++) {
        struct ecs_container_instance *ci = &F.ci[i];
        if (!ci->status || strcmp(ci->status, "DRAINING") != 0)
            continue;
        struct drain_tasks *dr = &F.dr[F.s.n_drains++];
        memset(dr, 0, sizeof(*dr));
        dr->instance_id = ci->ec2_instance_id;
        if (!F.stuck_drain)
            ci->running_tasks_count = 0;
        dr->known = 1;
        dr->empty = ci->running_tasks_count == 0;
        dr->service_tasks = ci->running_tasks_count;
    }
}

/* Plays decisions until the rollout finishes or fails; checks the safety
 * rule after every action. Returns the final action. */
static enum rollout_action play(int max_steps, int *min_active_seen)
{
    int n_orig = F.s.state.desired_capacity;
    *min_active_seen = count_active();
    for (int step = 0; step < max_steps; step++) {
        struct rollout_decision d;
        decide(&d);
        enum rollout_action act = d.action;
        /* The engine's own timer rule (timers.c). */
        rollout_timers_note(&F.t, &d, F.s.now);
        model_apply(&d);
        rollout_decision_free(&d);
        if (act == ACT_FINISH || act == ACT_FAIL)
            return act;
        int active = count_active();
        if (active < *min_active_seen)
            *min_active_seen = active;
        if (active < n_orig) {
            test_fail(__FILE__, __LINE__, "only %d ACTIVE instances after %s (need %d)", active,
                      rollout_action_name(act), n_orig);
            return ACT_FAIL;
        }
        if (act == ACT_WAIT)
            model_tick();
    }
    return ACT_WAIT;
}

static int all_current(void)
{
    for (size_t i = 0; i < F.s.group.n_instances; i++)
        if (strcmp(F.inst[i].launch_template.version, "2") != 0)
            return 0;
    return 1;
}

TEST(nothing_to_do_when_every_instance_is_current)
{
    fx_init(3, 6, 2);
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_NOTHING_TO_DO);
    rollout_decision_free(&d);
}

TEST(begins_when_an_instance_is_out_of_date)
{
    fx_init(3, 6, 2);
    F.versions[1][0] = '1';
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_BEGIN);
    CHECK_CONTAINS(d.message, "1 of 3");
    rollout_decision_free(&d);
}

TEST(scales_out_before_draining_anything)
{
    fx_init(3, 6, 1);
    fx_begin();
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_SET_DESIRED);
    CHECK_INT(d.number, 6);
    rollout_decision_free(&d);
    F.s.group.desired_capacity = 6;
    decide(&d);
    CHECK_INT(d.action, ACT_WAIT);
    CHECK_INT(d.wait, WAIT_NEW_INSTANCES);
    rollout_decision_free(&d);
}

TEST(raises_max_size_when_the_group_is_full)
{
    fx_init(3, 3, 1);
    fx_begin();
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_RAISE_MAX);
    CHECK_INT(d.number, 6);
    rollout_decision_free(&d);
}

TEST(keep_max_size_without_room_fails_clearly)
{
    fx_init(3, 3, 1);
    fx_begin();
    F.o.keep_max_size = 1;
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_FAIL);
    CHECK_CONTAINS(d.message, "--keep-max-size");
    rollout_decision_free(&d);
}

TEST(full_rollout_doubles_once_and_never_loses_capacity)
{
    fx_init(3, 6, 1);
    fx_begin();
    int min_active;
    CHECK_INT(play(200, &min_active), ACT_FINISH);
    CHECK(!test_failed());
    CHECK(all_current());
    CHECK_INT(members(), 3);
    CHECK_INT(F.s.group.desired_capacity, 3);
    CHECK(min_active >= 3);
}

TEST(keep_max_size_rolls_in_batches_that_fit)
{
    fx_init(10, 12, 1);
    fx_begin();
    F.o.keep_max_size = 1;
    int min_active;
    CHECK_INT(play(1000, &min_active), ACT_FINISH);
    CHECK(!test_failed());
    CHECK(all_current());
    CHECK_INT(members(), 10);
    CHECK(F.s.group.max_size == 12);
}

TEST(batch_size_one_replaces_one_at_a_time)
{
    fx_init(5, 10, 1);
    fx_begin();
    F.o.batch_size = 1;
    int max_members = 0;
    for (int step = 0; step < 1000; step++) {
        struct rollout_decision d;
        decide(&d);
        enum rollout_action act = d.action;
        model_apply(&d);
        rollout_decision_free(&d);
        if (members() > max_members)
            max_members = members();
        if (act == ACT_FINISH)
            break;
        CHECK(act != ACT_FAIL);
        if (act == ACT_WAIT)
            model_tick();
    }
    CHECK(all_current());
    CHECK_INT(max_members, 6);
}

TEST(large_group_with_batches)
{
    fx_init(100, 100, 1);
    fx_begin();
    F.o.batch_size = 25;
    int min_active;
    CHECK_INT(play(5000, &min_active), ACT_FINISH);
    CHECK(!test_failed());
    CHECK(all_current());
    CHECK_INT(members(), 100);
}

TEST(new_instances_that_never_register_time_out)
{
    fx_init(2, 4, 1);
    fx_begin();
    F.never_register = 1;
    int min_active;
    CHECK_INT(play(1000, &min_active), ACT_FAIL);
    CHECK(!test_failed());
    /* nothing old was drained */
    for (size_t i = 0; i < F.s.n_cis; i++)
        if (F.ci[i].status)
            CHECK_STR(F.ci[i].status, "ACTIVE");
}

TEST(tasks_that_never_drain_time_out)
{
    fx_init(2, 4, 1);
    fx_begin();
    F.stuck_drain = 1;
    int min_active;
    CHECK_INT(play(1000, &min_active), ACT_FAIL);
    CHECK(!test_failed());
    CHECK(min_active >= 2);
}

TEST(account_limit_caps_scale_out_and_times_out)
{
    fx_init(3, 6, 1);
    fx_begin();
    F.launch_cap = 3;
    int min_active;
    CHECK_INT(play(1000, &min_active), ACT_FAIL);
}

TEST(rollback_after_stuck_drain_returns_to_the_original_instances)
{
    fx_init(2, 4, 1);
    fx_begin();
    F.stuck_drain = 1;
    int min_active;
    CHECK_INT(play(1000, &min_active), ACT_FAIL);
    F.stuck_drain = 0; /* the new instances drain normally */
    F.t.waiting = WAIT_NONE;
    for (int step = 0; step < 1000; step++) {
        struct rollout_assessment a;
        struct rollout_decision d;
        rollout_assess(&F.s, &F.o, &a);
        rollout_decide_rollback(&F.s, &a, &F.o, &F.t, &d);
        rollout_assessment_free(&a);
        enum rollout_action act = d.action;
        model_apply(&d);
        rollout_decision_free(&d);
        CHECK(count_active() >= 2 || act == ACT_ACTIVATE || step == 0);
        if (act == ACT_FINISH)
            break;
        CHECK_MSG(act != ACT_FAIL, "rollback failed");
        if (act == ACT_WAIT)
            model_tick();
    }
    CHECK_INT(members(), 2);
    /* the survivors are the original, out-of-date instances, serving */
    for (size_t i = 0; i < F.s.group.n_instances; i++) {
        CHECK_STR(F.inst[i].launch_template.version, "1");
        CHECK_STR(find_ci(F.inst[i].instance_id)->status, "ACTIVE");
    }
}

TEST(resumes_from_a_drain_in_progress)
{
    fx_init(4, 8, 1);
    fx_begin();
    int min_active;
    /* play a few steps, then forget all in-memory timers (a new process) */
    for (int i = 0; i < 6; i++) {
        struct rollout_decision d;
        decide(&d);
        model_apply(&d);
        if (d.action == ACT_WAIT)
            model_tick();
        rollout_decision_free(&d);
    }
    memset(&F.t, 0, sizeof(F.t));
    CHECK_INT(play(500, &min_active), ACT_FINISH);
    CHECK(all_current());
    CHECK_INT(members(), 4);
}

/* Applies decisions until one is `action` (left in *d, unapplied) or
 * max_steps have passed. */
static void play_until(enum rollout_action action, int max_steps, struct rollout_decision *d)
{
    decide(d);
    for (int step = 0; step < max_steps && d->action != action; step++) {
        model_apply(d);
        rollout_decision_free(d);
        model_tick();
        decide(d);
    }
}

TEST(drain_message_ends_with_the_instances_it_drains)
{
    /* The text output appends ": i-..., i-..." to the message, so the
     * message must end with what those ids are: the old instances. */
    fx_init(2, 4, 1);
    fx_begin();
    struct rollout_decision d;
    play_until(ACT_DRAIN, 20, &d);
    CHECK_INT(d.action, ACT_DRAIN);
    CHECK_STR(d.message, "2 new instance(s) ready; draining 2 out-of-date instance(s)");
    CHECK_INT((int)d.ids.n, 2);
    CHECK_STR(d.ids.v[0], "i-0000");
    CHECK_STR(d.ids.v[1], "i-0001");
    rollout_decision_free(&d);
}

TEST(drain_wait_names_how_many_draining_instances_are_not_yet_empty)
{
    /* Two instances draining, one already empty: "1 instance(s) draining"
     * beside a progress line with 2 draining read as a contradiction. */
    fx_init(2, 4, 1);
    fx_begin();
    struct rollout_decision d;
    play_until(ACT_DRAIN, 20, &d);
    CHECK_INT(d.action, ACT_DRAIN);
    model_apply(&d);
    rollout_decision_free(&d);
    F.stuck_drain = 1;
    int emptied = 0;
    for (size_t i = 0; i < F.s.n_cis && !emptied; i++)
        if (F.ci[i].status && strcmp(F.ci[i].status, "DRAINING") == 0)
            F.ci[i].running_tasks_count = 0, emptied = 1;
    CHECK_INT(emptied, 1);
    model_tick();
    decide(&d);
    CHECK_INT(d.action, ACT_WAIT);
    CHECK_INT(strncmp(d.message, "1 of 2 draining instance(s) not yet empty, ", 43), 0);
    rollout_decision_free(&d);
}

TEST(drains_only_this_groups_out_of_date_instances)
{
    fx_init(2, 4, 1);
    fx_begin();
    /* a container instance of another group in the same cluster */
    struct ecs_container_instance *other = &F.ci[F.s.n_cis++];
    other->ec2_instance_id = "i-other";
    other->status = "ACTIVE";
    other->agent_connected = 1;
    int min_active;
    CHECK_INT(play(500, &min_active), ACT_FINISH);
    CHECK_STR(other->status, "ACTIVE");
}

TEST(waits_for_services_before_terminating)
{
    fx_init(1, 2, 1);
    fx_begin();
    F.s.n_services = 1;
    F.svc[0].name = "web";
    F.svc[0].status = "ACTIVE";
    F.svc[0].desired_count = 2;
    F.svc[0].running_count = 1;
    struct rollout_decision d;
    for (int i = 0; i < 50; i++) {
        decide(&d);
        if (d.action == ACT_WAIT && d.wait == WAIT_SERVICES)
            break;
        model_apply(&d);
        if (d.action == ACT_WAIT)
            model_tick();
        rollout_decision_free(&d);
    }
    CHECK_INT(d.wait, WAIT_SERVICES);
    CHECK_CONTAINS(d.message, "web 1/2");
    rollout_decision_free(&d);
    F.svc[0].running_count = 2;
    decide(&d);
    CHECK_INT(d.action, ACT_TERMINATE);
    rollout_decision_free(&d);
}

/* Plays the one-instance rollout up to its first wait for services (or
 * termination), noting each decision in the timers as the engine does. */
static void play_to_services(struct rollout_decision *d)
{
    for (int i = 0; i < 50; i++) {
        decide(d);
        if (d->action == ACT_TERMINATE || (d->action == ACT_WAIT && d->wait == WAIT_SERVICES))
            return;
        rollout_timers_note(&F.t, d, F.s.now);
        model_apply(d);
        if (d->action == ACT_WAIT)
            model_tick();
        rollout_decision_free(d);
    }
}

/* web (on the group, back at its count) and worker, crash-looping on
 * another group's instances: 0 of 2 (issue 12 item 8, the chaos shape
 * unhealthy-service-elsewhere). */
static int on_group[2];

static void fx_services_elsewhere(int web_running)
{
    F.s.n_services = 2;
    F.svc[0].name = "web";
    F.svc[0].status = "ACTIVE";
    F.svc[0].desired_count = 2;
    F.svc[0].running_count = web_running;
    F.svc[1].name = "worker";
    F.svc[1].status = "ACTIVE";
    F.svc[1].desired_count = 2;
    F.svc[1].running_count = 0;
    on_group[0] = 1;
    on_group[1] = 0;
    F.s.service_on_group = on_group;
}

TEST(an_unhealthy_service_elsewhere_does_not_hold_termination)
{
    fx_init(1, 2, 1);
    fx_begin();
    fx_services_elsewhere(2);
    struct rollout_decision d;
    play_to_services(&d);
    CHECK_MSG(d.action == ACT_TERMINATE, "%s: %s", rollout_action_name(d.action), d.message);
    rollout_decision_free(&d);
    /* The same service on the group (its tasks were on the drained
     * instance) holds it. */
    on_group[1] = 1;
    decide(&d);
    CHECK_INT(d.wait, WAIT_SERVICES);
    CHECK_CONTAINS(d.message, "worker 0/2");
    rollout_decision_free(&d);
}

TEST(a_service_short_on_the_new_instances_still_fails_the_rollout)
{
    /* web's tasks moved to the new instance and fail there: 1 of 2 runs. */
    fx_init(1, 2, 1);
    fx_begin();
    fx_services_elsewhere(1);
    struct rollout_decision d;
    play_to_services(&d);
    CHECK_INT(d.wait, WAIT_SERVICES);
    CHECK_CONTAINS(d.message, "web 1/2");
    CHECK(strstr(d.message, "worker") == NULL);
    rollout_timers_note(&F.t, &d, F.s.now);
    rollout_decision_free(&d);
    F.s.now += F.o.drain_timeout_s + 1;
    decide(&d);
    CHECK_MSG(d.action == ACT_FAIL, "%s: %s", rollout_action_name(d.action), d.message);
    CHECK_CONTAINS(d.message, "web 1/2");
    rollout_decision_free(&d);
}

/* web's moved tasks fail (1 of 2 runs); where they failed decides. */
TEST(a_service_failing_beyond_the_new_instances_does_not_hold_termination)
{
    fx_init(1, 2, 1);
    fx_begin();
    fx_services_elsewhere(1);
    struct strv failed_on[2] = {STRV_INIT, STRV_INIT};
    F.s.service_failed_on = failed_on;
    struct rollout_decision d;
    play_to_services(&d);
    CHECK_INT(d.wait, WAIT_SERVICES);
    rollout_decision_free(&d);
    /* Failed on the new instance only: the new instance's fault. */
    struct ecs_container_instance *fresh = NULL;
    for (size_t i = 0; i < F.s.group.n_instances; i++)
        if (strcmp(F.inst[i].launch_template.version, "2") == 0)
            fresh = find_ci(F.inst[i].instance_id);
    CHECK(fresh != NULL);
    fresh->arn = "arn:ci/new";
    strv_push(&failed_on[0], "arn:ci/new");
    decide(&d);
    CHECK_INT(d.wait, WAIT_SERVICES);
    CHECK_CONTAINS(d.message, "web 1/2");
    rollout_decision_free(&d);
    /* Failing on another instance too (the old one, another group's):
     * broken everywhere, the old instances mend nothing. */
    strv_push(&failed_on[0], "arn:ci/other-group");
    decide(&d);
    CHECK_MSG(d.action == ACT_TERMINATE, "%s: %s", rollout_action_name(d.action), d.message);
    CHECK_CONTAINS(d.message, "not waiting for web 1/2");
    rollout_decision_free(&d);
    strv_free(&failed_on[0]);
}

TEST(standalone_tasks_are_stopped_only_in_stop_mode)
{
    fx_init(1, 2, 1);
    fx_begin();
    F.stuck_drain = 1;
    struct rollout_decision d;
    for (int i = 0; i < 20; i++) {
        decide(&d);
        enum rollout_action act = d.action;
        model_apply(&d);
        rollout_decision_free(&d);
        if (act == ACT_WAIT)
            model_tick();
        if (F.s.n_drains)
            break;
    }
    CHECK_INT(F.s.n_drains, 1);
    F.dr[0].service_tasks = 0;
    strv_push(&F.dr[0].standalone, "arn:task/solo");
    decide(&d);
    CHECK_INT(d.action, ACT_WAIT);
    CHECK_CONTAINS(d.message, "standalone");
    rollout_decision_free(&d);
    F.o.standalone = STANDALONE_STOP;
    decide(&d);
    CHECK_INT(d.action, ACT_STOP_TASKS);
    CHECK_STR(d.ids.v[0], "arn:task/solo");
    rollout_decision_free(&d);
    strv_free(&F.dr[0].standalone);
}

TEST(outdated_reasons_are_specific)
{
    fx_init(2, 4, 2);
    F.inst[0].launch_template.version = "1";
    F.inst[1].launch_template.id = NULL;
    F.inst[1].launch_configuration = "old-lc";
    struct rollout_assessment a;
    rollout_assess(&F.s, &F.o, &a);
    CHECK_INT(a.outdated, 2);
    CHECK_CONTAINS(a.v[0].why, "version 1, the group uses version 2");
    CHECK_CONTAINS(a.v[1].why, "launch configuration old-lc");
    rollout_assessment_free(&a);
}

TEST(ami_flag_marks_instances_on_other_images)
{
    fx_init(2, 4, 2);
    char *amis[2] = {"ami-new", "ami-old"};
    F.s.instance_ami = amis;
    F.o.ami = "ami-new";
    struct rollout_assessment a;
    rollout_assess(&F.s, &F.o, &a);
    CHECK_INT(a.outdated, 1);
    CHECK_CONTAINS(a.v[1].why, "runs ami-old, not ami-new");
    rollout_assessment_free(&a);
}

static int zone_spread(void)
{
    int per_zone[3] = {0, 0, 0};
    for (size_t i = 0; i < F.s.group.n_instances; i++)
        for (int z = 0; z < 3; z++)
            if (strcmp(F.inst[i].availability_zone, azs[z]) == 0)
                per_zone[z]++;
    int lo = per_zone[0], hi = per_zone[0];
    for (int z = 1; z < 3; z++) {
        lo = per_zone[z] < lo ? per_zone[z] : lo;
        hi = per_zone[z] > hi ? per_zone[z] : hi;
    }
    return hi - lo;
}

TEST(zones_stay_balanced_through_batches)
{
    /* Whatever the batch size, the group ends as balanced as it began, so
     * AZRebalance has nothing to do once it is resumed. */
    static const int batches[] = {1, 2, 4, 5, 7, 10};
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        fx_init(10, 20, 1);
        fx_begin();
        F.o.batch_size = batches[b];
        int min_active;
        CHECK_INT(play(2000, &min_active), ACT_FINISH);
        /* let the last terminations finish */
        model_tick();
        CHECK(all_current());
        CHECK_MSG(zone_spread() <= 1, "batch size %d ends with zones %d apart (%d evenings)",
                  batches[b], zone_spread(), F.t.zone_evenings);
    }
}

/* ---- a launch still pending when the rollout ends ---- */

static enum rollout_action rollback_step(struct rollout_decision *d)
{
    struct rollout_assessment a;
    rollout_assess(&F.s, &F.o, &a);
    rollout_decide_rollback(&F.s, &a, &F.o, &F.t, d);
    rollout_assessment_free(&a);
    return d->action;
}

TEST(a_pending_launch_is_held_before_the_rollback_lowers_the_desired_capacity)
{
    /* The account limit lets no new instance start: the rollout times out
     * with the desired capacity doubled and nothing launched. Lowering it
     * then would race with Auto Scaling's next launch attempt. */
    fx_init(3, 6, 1);
    fx_begin();
    F.launch_cap = 3;
    int min_active;
    CHECK_INT(play(1000, &min_active), ACT_FAIL);
    CHECK_INT(F.s.group.desired_capacity, 6);
    struct rollout_decision d;
    CHECK_INT(rollback_step(&d), ACT_HOLD_LAUNCHES);
    CHECK_INT(d.ids.n, 1);
    CHECK_STR(d.ids.v[0], "Launch");
    CHECK_CONTAINS(d.message, "desired capacity 6 is above the 3 instance(s)");
    model_apply(&d);
    rollout_decision_free(&d);
    /* The limit is lifted now: nothing launches while Launch is held. */
    F.launch_cap = 0;
    model_tick();
    CHECK_INT(members(), 3);
    CHECK_INT(rollback_step(&d), ACT_FINISH);
    rollout_decision_free(&d);
    /* The end of the rollout resumes what the state lists. */
    CHECK(strv_contains(&F.s.state.suspended_by_us, "Launch"));
    fx_free();
}

TEST(a_launch_still_owed_is_held_before_the_rollback_terminates_its_surplus)
{
    /* chaos (scaling-policies shape, seed 11 rollout 17): the account limit
     * let 2 of 3 new instances start; the rollback terminated one of them,
     * lowering the desired capacity from 6 to 5 while the group still owed a
     * launch, and Auto Scaling launched it in the slot that freed under the
     * limit: one instance more than the rollout ever asked for. */
    fx_init(3, 6, 1);
    fx_begin();
    F.launch_cap = 5;
    F.stuck_drain = 1; /* and the rollout fails at its drain */
    int min_active;
    CHECK_INT(play(1000, &min_active), ACT_FAIL);
    CHECK_INT(members(), 5);
    CHECK_INT(F.s.group.desired_capacity, 6);
    int next_id = F.next_id;
    F.stuck_drain = 0;
    F.t.waiting = WAIT_NONE; /* the limit stays: a slot freed by a termination is taken at once */
    int held = 0;
    enum rollout_action act = ACT_WAIT;
    for (int step = 0; step < 300 && act != ACT_FINISH; step++) {
        struct rollout_decision d;
        act = rollback_step(&d);
        held |= act == ACT_HOLD_LAUNCHES;
        CHECK_MSG(act != ACT_TERMINATE || held,
                  "terminating with a launch still owed (step %d: %s)", step, d.message);
        model_apply(&d);
        rollout_decision_free(&d);
        CHECK_MSG(act != ACT_FAIL, "rollback failed");
        model_tick();
    }
    CHECK_INT(act, ACT_FINISH);
    CHECK_INT(F.next_id, next_id);
    fx_free();
}

TEST(a_pending_launch_is_held_before_a_finished_rollout_restores_the_group)
{
    fx_init(2, 4, 1);
    fx_begin();
    int min_active;
    CHECK_INT(play(500, &min_active), ACT_FINISH);
    model_tick();
    /* As if a replacement launch were still pending at the end. */
    F.s.group.desired_capacity = 3;
    F.launch_cap = 2;
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_HOLD_LAUNCHES);
    model_apply(&d);
    rollout_decision_free(&d);
    decide(&d);
    CHECK_INT(d.action, ACT_FINISH);
    rollout_decision_free(&d);
    fx_free();
}

/* Issue 13: more members than the desired capacity, which is the MinSize
 * (a launch came up after the desired capacity went back). The surplus is
 * drained, then terminated without lowering the desired capacity: lowering
 * it below MinSize is refused, and the group has as many members as it
 * wants once the surplus is gone. */
TEST(a_surplus_above_the_desired_capacity_is_terminated_without_a_decrement)
{
    fx_init(4, 8, 2);
    fx_begin();
    F.s.group.desired_capacity = F.s.group.min_size = 3;
    F.s.state.desired_capacity = F.s.state.min_size = 3;
    struct rollout_decision d;
    play_until(ACT_TERMINATE, 100, &d);
    CHECK_INT(d.action, ACT_TERMINATE);
    CHECK_INT(d.ids.n, 1);
    CHECK(d.keep_desired);
    model_apply(&d);
    rollout_decision_free(&d);
    CHECK_INT(F.s.group.desired_capacity, 3);
    CHECK_INT(members(), 3);
    /* a termination with members at the desired capacity lowers it */
    fx_init(2, 4, 2);
    fx_begin();
    F.s.state.desired_capacity = 1;
    play_until(ACT_TERMINATE, 100, &d);
    CHECK_INT(d.action, ACT_TERMINATE);
    CHECK(!d.keep_desired);
    rollout_decision_free(&d);
    fx_free();
}

TEST(no_hold_without_a_pending_launch_or_when_launch_is_already_suspended)
{
    fx_init(2, 4, 2);
    fx_begin();
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_FINISH);
    rollout_decision_free(&d);
    /* The owner suspended Launch: nothing can launch, and the end of the
     * rollout must not resume it. */
    F.s.group.desired_capacity = 3;
    strv_push(&F.s.group.suspended_processes, "Launch");
    decide(&d);
    CHECK_INT(d.action, ACT_FINISH);
    rollout_decision_free(&d);
    CHECK(!strv_contains(&F.s.state.suspended_by_us, "Launch"));
    fx_free();
}

TEST(a_held_launch_is_released_when_new_instances_are_needed_and_never_resuspended)
{
    fx_init(2, 4, 1);
    fx_begin();
    strv_push(&F.s.state.suspended_by_us, "AZRebalance");
    strv_push(&F.s.state.suspended_by_us, "Launch");
    struct rollout_decision d;
    /* Missing suspensions are redone, but not Launch's. */
    decide(&d);
    CHECK_INT(d.action, ACT_SUSPEND);
    CHECK_INT(d.ids.n, 1);
    CHECK_STR(d.ids.v[0], "AZRebalance");
    model_apply(&d);
    rollout_decision_free(&d);
    /* Launch held (a resumed rollout whose template changed again). */
    strv_push(&F.s.group.suspended_processes, "Launch");
    decide(&d);
    CHECK_INT(d.action, ACT_RESUME);
    CHECK_STR(d.ids.v[0], "Launch");
    model_apply(&d);
    rollout_decision_free(&d);
    int min_active;
    CHECK_INT(play(500, &min_active), ACT_FINISH);
    CHECK(all_current());
    fx_free();
}

TEST(an_evening_launch_is_awaited_then_given_up_safely)
{
    /* All current, but two zones apart: one instance is launched to even
     * them out. It does not show up (an account limit): the rollout waits
     * for it up to the instance timeout, then holds Launch and finishes. */
    fx_init(3, 6, 2);
    fx_begin();
    fx_group_zones();
    F.inst[1].availability_zone = "us-east-1a";
    F.inst[2].availability_zone = "us-east-1a";
    struct rollout_decision d;
    decide(&d);
    CHECK_INT(d.action, ACT_SET_DESIRED);
    CHECK_INT(d.number, 4);
    CHECK(d.evens_zones);
    model_apply(&d);
    rollout_decision_free(&d);
    F.t.zone_evenings = 1;
    decide(&d);
    CHECK_INT(d.action, ACT_WAIT);
    CHECK_INT(d.wait, WAIT_NEW_INSTANCES);
    CHECK_CONTAINS(d.message, "even out the zones");
    rollout_decision_free(&d);
    F.t.waiting = WAIT_NEW_INSTANCES;
    F.t.since = F.s.now;
    F.s.now += F.o.instance_timeout_s + 1;
    decide(&d);
    CHECK_INT(d.action, ACT_HOLD_LAUNCHES);
    model_apply(&d);
    rollout_decision_free(&d);
    decide(&d);
    CHECK_INT(d.action, ACT_FINISH);
    rollout_decision_free(&d);
    fx_free();
}

/* Plays rollback decisions to the end; returns the last action. */
static enum rollout_action play_rollback(int max_steps, int *evening_launches)
{
    enum rollout_action act = ACT_WAIT;
    *evening_launches = 0;
    for (int step = 0; step < max_steps && act != ACT_FINISH; step++) {
        struct rollout_decision d;
        act = rollback_step(&d);
        /* The engine's own timer rule (timers.c). */
        rollout_timers_note(&F.t, &d, F.s.now);
        if (d.evens_zones)
            (*evening_launches)++;
        model_apply(&d);
        rollout_decision_free(&d);
        if (act == ACT_FAIL)
            break;
        if (act == ACT_WAIT)
            model_tick();
        if (count_active() < F.s.state.desired_capacity && act != ACT_ACTIVATE)
            test_fail(__FILE__, __LINE__, "only %d ACTIVE instances after %s", count_active(),
                      rollout_action_name(act));
    }
    return act;
}

TEST(a_rollback_evens_zones_whose_fullest_holds_only_old_instances)
{
    /* a: none, b: two old, c: one new. The instance that evens the zones
     * lands in a; the one to drain has to be an old one from b. */
    fx_init(3, 6, 1);
    fx_begin();
    fx_group_zones();
    F.inst[0].availability_zone = "us-east-1b";
    F.versions[2][0] = '2';
    CHECK_INT(zone_spread(), 2);
    int launched;
    CHECK_INT(play_rollback(200, &launched), ACT_FINISH);
    CHECK_INT(launched, 1);
    CHECK(!test_failed());
    model_tick();
    CHECK_INT(members(), 3);
    CHECK_INT(zone_spread(), 0);
    for (size_t i = 0; i < F.s.n_cis; i++)
        if (F.ci[i].status)
            CHECK_STR(F.ci[i].status, "ACTIVE");
    fx_free();
}

TEST(a_rollback_evens_the_zones_before_restoring_the_group)
{
    /* After a failed rollout the survivors sit in two zones of three; once
     * resumed, AZRebalance would terminate one without draining it. The
     * rollback evens them out as the rollout does: one more instance, then
     * a surplus one drained and removed from the fullest zone. */
    fx_init(3, 6, 1);
    fx_begin();
    fx_group_zones();
    F.inst[0].availability_zone = "us-east-1b";
    F.versions[1][0] = '2';
    F.versions[2][0] = '2';
    CHECK_INT(zone_spread(), 2);
    enum rollout_action act = ACT_WAIT;
    int launched = 0;
    for (int step = 0; step < 200 && act != ACT_FINISH; step++) {
        struct rollout_decision d;
        act = rollback_step(&d);
        CHECK_MSG(act != ACT_FAIL, "the rollback failed: %s", d.message);
        /* The engine's own timer rule (timers.c). */
        rollout_timers_note(&F.t, &d, F.s.now);
        if (d.evens_zones)
            launched++;
        model_apply(&d);
        rollout_decision_free(&d);
        if (act == ACT_FAIL)
            break;
        if (act == ACT_WAIT)
            model_tick();
    }
    CHECK_INT(act, ACT_FINISH);
    CHECK_INT(launched, 1);
    CHECK(!test_failed());
    model_tick();
    CHECK_INT(members(), 3);
    CHECK_INT(zone_spread(), 0);
    fx_free();
}

/* The one timer rule (timers.c), as the engine applies it: a wait's clock
 * starts when a decision first waits for that thing; writes that help the
 * same wait along keep it running; writes that change the instances, a
 * different wait, or a failure restart it. */
static void note(struct rollout_timers *t, enum rollout_action action, enum rollout_wait w,
                 long long now)
{
    struct rollout_decision d;
    memset(&d, 0, sizeof(d));
    d.action = action;
    d.wait = w;
    rollout_timers_note(t, &d, now);
}

TEST(one_timer_rule_keeps_the_clock_through_writes_that_help_the_wait_along)
{
    struct rollout_options o;
    memset(&o, 0, sizeof(o));
    o.drain_timeout_s = 100;
    o.instance_timeout_s = 50;
    struct rollout_timers t = {.waiting = WAIT_NONE};
    note(&t, ACT_WAIT, WAIT_DRAIN, 1000);
    CHECK(t.waiting == WAIT_DRAIN && t.since == 1000);
    const enum rollout_action helpers[] = {ACT_STOP_TASKS, ACT_ACTIVATE,      ACT_SUSPEND,
                                           ACT_RAISE_MAX,  ACT_HOLD_LAUNCHES, ACT_RESUME};
    for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
        note(&t, helpers[i], WAIT_NONE, 1010 + (long long)i);
        note(&t, ACT_WAIT, WAIT_DRAIN, 1020 + (long long)i);
        CHECK_MSG(t.waiting == WAIT_DRAIN && t.since == 1000, "%s restarted the drain's clock",
                  rollout_action_name(helpers[i]));
    }
    CHECK(!rollout_wait_expired(&t, WAIT_DRAIN, &o, 1100));
    CHECK(rollout_wait_expired(&t, WAIT_DRAIN, &o, 1101));
    /* only the wait it times */
    CHECK(!rollout_wait_expired(&t, WAIT_SERVICES, &o, 5000));
    CHECK(rollout_wait_limit(WAIT_NEW_INSTANCES, &o) == 50);
    CHECK(rollout_wait_limit(WAIT_TERMINATION, &o) == 50);
    CHECK(rollout_wait_limit(WAIT_SERVICES, &o) == 100);
}

TEST(one_timer_rule_restarts_the_clock_on_writes_that_change_the_instances)
{
    struct rollout_options o;
    memset(&o, 0, sizeof(o));
    o.drain_timeout_s = 100;
    const enum rollout_action restarters[] = {ACT_SET_DESIRED, ACT_DRAIN, ACT_TERMINATE, ACT_FINISH,
                                              ACT_FAIL};
    for (size_t i = 0; i < sizeof(restarters) / sizeof(restarters[0]); i++) {
        struct rollout_timers t = {.waiting = WAIT_NONE};
        note(&t, ACT_WAIT, WAIT_DRAIN, 1000);
        note(&t, restarters[i], WAIT_NONE, 1050);
        CHECK_MSG(t.waiting == WAIT_NONE, "%s kept the clock", rollout_action_name(restarters[i]));
        note(&t, ACT_WAIT, WAIT_DRAIN, 1060);
        CHECK(t.since == 1060);
        CHECK(!rollout_wait_expired(&t, WAIT_DRAIN, &o, 1150));
    }
    /* a different wait starts its own clock */
    struct rollout_timers t = {.waiting = WAIT_NONE};
    note(&t, ACT_WAIT, WAIT_DRAIN, 1000);
    note(&t, ACT_WAIT, WAIT_SERVICES, 1070);
    CHECK(t.waiting == WAIT_SERVICES && t.since == 1070);
    /* no limit: never expires */
    o.drain_timeout_s = 0;
    CHECK(!rollout_wait_expired(&t, WAIT_SERVICES, &o, 1000000));
    /* launches to even the zones are counted */
    struct rollout_decision d;
    memset(&d, 0, sizeof(d));
    d.action = ACT_SET_DESIRED;
    d.evens_zones = 1;
    rollout_timers_note(&t, &d, 1100);
    rollout_timers_note(&t, &d, 1200);
    CHECK(t.zone_evenings == 2);
}

/* Two waits taking turns poll after poll (new instances not ready while a
 * drained instance holds a task that never stops: chaos seed 17, rollout 49)
 * keep their own clocks: each one times out at its limit. */
TEST(one_timer_rule_keeps_each_clock_when_two_waits_take_turns)
{
    struct rollout_options o;
    memset(&o, 0, sizeof(o));
    o.drain_timeout_s = 6;
    o.instance_timeout_s = 10;
    struct rollout_timers t = {.waiting = WAIT_NONE};
    long long now = 1000;
    for (; now < 1007; now++) {
        note(&t, ACT_WAIT, WAIT_NEW_INSTANCES, now);
        CHECK(t.since == 1000);
        note(&t, ACT_WAIT, WAIT_DRAIN, now);
        CHECK(t.since == 1000);
    }
    CHECK(rollout_wait_expired(&t, WAIT_DRAIN, &o, now));
    note(&t, ACT_WAIT, WAIT_NEW_INSTANCES, now);
    CHECK(!rollout_wait_expired(&t, WAIT_NEW_INSTANCES, &o, now));
    CHECK(rollout_wait_expired(&t, WAIT_NEW_INSTANCES, &o, 1011));
    /* a step forward: both start again */
    note(&t, ACT_DRAIN, WAIT_NONE, 1011);
    note(&t, ACT_WAIT, WAIT_NEW_INSTANCES, 1012);
    CHECK(t.since == 1012);
    note(&t, ACT_WAIT, WAIT_DRAIN, 1013);
    CHECK(t.since == 1013);
}

/* The decisions read the same clock: a drain held by standalone tasks that
 * keep coming back (--standalone-tasks stop) fails at its limit although
 * every poll stops some: stopping them does not restart the drain's clock. */
/* Polls of a wait for terminations: placed where the last of a burst is
 * due, from the rate seen between two polls. */
TEST(terminations_ending_together_are_polled_where_the_last_is_due)
{
    /* 1,000 leaving, then 700: 300 left in 1 s, the other 700 are due in
     * 2.33 s, later than the interval. */
    CHECK(rollout_termination_poll(1000, 700, 1.0, 1.0) == 1.0);
    /* 200 left, 300 went in 1 s: due in 0.67 s. */
    double t = rollout_termination_poll(500, 200, 1.0, 1.0);
    CHECK_MSG(t > 0.66 && t < 0.67, "due in %.3f s", t);
    /* 10 left: never sooner than a quarter of the interval. */
    CHECK(rollout_termination_poll(500, 10, 1.0, 1.0) == 0.25);
    /* None left since, none left, no time passed: the interval. */
    CHECK(rollout_termination_poll(500, 500, 1.0, 1.0) == 1.0);
    CHECK(rollout_termination_poll(500, 0, 1.0, 1.0) == 1.0);
    CHECK(rollout_termination_poll(500, 200, 0.0, 1.0) == 1.0);
    CHECK(rollout_termination_poll(600, 700, 1.0, 2.0) == 2.0);
}

TEST(a_drain_fails_at_its_limit_although_tasks_are_stopped_along_the_way)
{
    fx_init(1, 2, 1);
    fx_begin();
    F.stuck_drain = 1;
    struct rollout_decision d;
    for (int i = 0; i < 20 && !F.s.n_drains; i++) {
        decide(&d);
        rollout_timers_note(&F.t, &d, F.s.now);
        enum rollout_action act = d.action;
        model_apply(&d);
        rollout_decision_free(&d);
        if (act == ACT_WAIT)
            model_tick();
    }
    CHECK_INT(F.s.n_drains, 1);
    F.o.standalone = STANDALONE_STOP;
    long long drain_started = F.s.now;
    int stops = 0;
    enum rollout_action act = ACT_WAIT;
    for (int i = 0; i < 1000 && act != ACT_FAIL; i++) {
        /* a task comes back after each stop */
        F.dr[0].service_tasks = 0;
        strv_free(&F.dr[0].standalone);
        if (i % 2 == 0)
            strv_pushf(&F.dr[0].standalone, "arn:task/solo-%d", i);
        decide(&d);
        act = d.action;
        rollout_timers_note(&F.t, &d, F.s.now);
        stops += act == ACT_STOP_TASKS;
        rollout_decision_free(&d);
        strv_free(&F.dr[0].standalone);
        model_tick();
    }
    CHECK_INT(act, ACT_FAIL);
    CHECK(stops > 10);
    CHECK_MSG(F.s.now - drain_started <= F.o.drain_timeout_s + 30,
              "failed only after %llds, the drain limit is %lds", F.s.now - drain_started,
              F.o.drain_timeout_s);
}
