/* Zone evening on groups whose instances count for different capacity
 * units (a mixed instances policy with WeightedCapacity), played against a
 * small model of Auto Scaling: desired capacity, MinSize and decrements in
 * units, launches (one instance at a time, until the units reach the
 * desired capacity) into the zone with the fewest INSTANCES, a scale-in
 * that never goes below the desired capacity, and AZRebalance, which
 * balances zones by instance count, weights or not ("Auto Scaling group
 * Availability Zone distribution", "Rebalancing activities", EC2 Auto
 * Scaling User Guide). The model fails the test on what AWS would do
 * harmfully or refuse: an instance with tasks terminated (by the rollout, a
 * scale-in at the end, or AZRebalance once resumed), a decrement below
 * MinSize, a desired capacity above MaxSize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/model.h"
#include "test.h"

#define MAX_I 96

enum m_state { M_PENDING, M_IN_SERVICE, M_TERMINATING, M_GONE };

struct m_inst {
    char id[16];
    const char *zone;
    int weight;
    int version;
    enum m_state state;
    int registered;
    const char *ci_status;
    int tasks;
    /* A task there never stops: a drain of it never finishes, and the
     * rollback knows it as the engine marks it (drain_unfinished). */
    int stuck;
};

struct wfx {
    struct m_inst m[MAX_I];
    size_t n;
    int desired, min_size, max_size, n_orig;
    int launch_held;
    const int *cycle; /* the weights launches come with, in turn */
    size_t n_cycle, next_weight;
    /* the snapshot built from the model before each decision */
    struct rollout_snapshot s;
    struct rollout_options o;
    struct rollout_timers t;
    struct asg_instance in[MAX_I];
    struct ecs_container_instance ci[MAX_I];
    struct drain_tasks dr[MAX_I];
    char problem[640];
};

static struct wfx W;

static const char *const zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};

static void problem(const char *what, const char *id)
{
    if (!W.problem[0])
        snprintf(W.problem, sizeof(W.problem), "%s%s%s", what, id ? ": " : "", id ? id : "");
}

static struct m_inst *add(const char *zone, int weight, int version, int tasks)
{
    struct m_inst *x = &W.m[W.n];
    memset(x, 0, sizeof(*x));
    snprintf(x->id, sizeof(x->id), "i-%03zu", W.n);
    W.n++;
    x->zone = zone;
    x->weight = weight;
    x->version = version;
    x->state = M_IN_SERVICE;
    x->registered = 1;
    x->ci_status = "ACTIVE";
    x->tasks = tasks;
    return x;
}

static int is_member(const struct m_inst *x)
{
    return x->state == M_PENDING || x->state == M_IN_SERVICE;
}

static int units(void)
{
    int u = 0;
    for (size_t i = 0; i < W.n; i++)
        u += is_member(&W.m[i]) ? W.m[i].weight : 0;
    return u;
}

static int in_zone(const char *zone)
{
    int n = 0;
    for (size_t i = 0; i < W.n; i++)
        n += is_member(&W.m[i]) && strcmp(W.m[i].zone, zone) == 0;
    return n;
}

static int zone_spread(void)
{
    int lo = in_zone(zones[0]), hi = lo;
    for (int z = 1; z < 3; z++) {
        int c = in_zone(zones[z]);
        lo = c < lo ? c : lo;
        hi = c > hi ? c : hi;
    }
    return hi - lo;
}

static int active_units(void)
{
    int u = 0;
    for (size_t i = 0; i < W.n; i++) {
        const struct m_inst *x = &W.m[i];
        if (x->state == M_IN_SERVICE && x->registered && strcmp(x->ci_status, "ACTIVE") == 0)
            u += x->weight;
    }
    return u;
}

static void wfx_init(int n_orig, int min_size, int max_size, const int *cycle, size_t n_cycle)
{
    strv_free(&W.s.group.suspended_processes);
    strv_free(&W.s.state.suspended_by_us);
    strv_free(&W.s.group.availability_zones);
    memset(&W, 0, sizeof(W));
    W.desired = W.n_orig = n_orig;
    W.min_size = min_size;
    W.max_size = max_size;
    W.cycle = cycle;
    W.n_cycle = n_cycle;
    W.o.instance_timeout_s = 600;
    W.o.drain_timeout_s = 900;
    W.s.now = 1000;
    for (int z = 0; z < 3; z++)
        strv_push(&W.s.group.availability_zones, zones[z]);
    W.s.state.in_progress = 1;
    W.s.state.desired_capacity = n_orig;
    W.s.state.min_size = min_size;
    W.s.state.max_size = max_size;
}

static void wfx_free(void)
{
    strv_free(&W.s.group.suspended_processes);
    strv_free(&W.s.state.suspended_by_us);
    strv_free(&W.s.group.availability_zones);
}

static const char *const versions[] = {"0", "1", "2"};

static void sync(void)
{
    struct rollout_snapshot *s = &W.s;
    s->group.name = "asg";
    s->group.desired_capacity = W.desired;
    s->group.min_size = W.min_size;
    s->group.max_size = W.max_size;
    s->group.instances = W.in;
    s->group.n_instances = 0;
    s->cis = W.ci;
    s->n_cis = 0;
    s->drains = W.dr;
    s->n_drains = 0;
    s->services_observed = 1;
    s->target.launch_template_id = "lt-1";
    s->target.launch_template_version = 2;
    s->spec.weighted = 1;
    for (size_t i = 0; i < W.n; i++) {
        struct m_inst *x = &W.m[i];
        if (x->state == M_GONE)
            continue;
        struct asg_instance *in = &W.in[s->group.n_instances++];
        memset(in, 0, sizeof(*in));
        in->instance_id = x->id;
        in->availability_zone = (char *)x->zone;
        in->lifecycle_state = x->state == M_PENDING      ? "Pending"
                              : x->state == M_IN_SERVICE ? "InService"
                                                         : "Terminating";
        in->launch_template.id = "lt-1";
        in->launch_template.version = (char *)versions[x->version];
        in->weighted_capacity = x->weight;
        if (!x->registered)
            continue;
        struct ecs_container_instance *ci = &W.ci[s->n_cis++];
        memset(ci, 0, sizeof(*ci));
        ci->ec2_instance_id = x->id;
        ci->arn = x->id;
        ci->status = (char *)x->ci_status;
        ci->agent_connected = 1;
        ci->running_tasks_count = x->tasks;
        if (strcmp(x->ci_status, "DRAINING") == 0) {
            struct drain_tasks *dr = &W.dr[s->n_drains++];
            memset(dr, 0, sizeof(*dr));
            dr->instance_id = x->id;
            dr->known = 1;
            dr->empty = x->tasks == 0;
            dr->service_tasks = x->tasks;
        }
    }
}

static struct m_inst *find(const char *id)
{
    for (size_t i = 0; i < W.n; i++)
        if (strcmp(W.m[i].id, id) == 0)
            return &W.m[i];
    return NULL;
}

/* A scale-in event ("a new value for the desired capacity ... lower than
 * the current capacity"): from the zone with the most instances first,
 * never below the desired capacity. What it terminates is not drained. */
static void scale_in(void)
{
    for (;;) {
        struct m_inst *victim = NULL;
        int victim_zone_n = -1;
        for (size_t i = 0; i < W.n; i++) {
            struct m_inst *x = &W.m[i];
            if (!is_member(x) || units() - x->weight < W.desired)
                continue;
            int zn = in_zone(x->zone);
            if (zn > victim_zone_n)
                victim = x, victim_zone_n = zn;
        }
        if (!victim)
            return;
        if (victim->tasks > 0)
            problem("a scale-in terminated an instance with tasks", victim->id);
        victim->state = M_TERMINATING;
    }
}

static void set_desired(int n)
{
    if (n > W.max_size)
        problem("SetDesiredCapacity above MaxSize (refused)", NULL);
    int lower = n < W.desired;
    W.desired = n;
    if (lower)
        scale_in();
}

/* AZRebalance, resumed: with zones more than one instance apart it
 * launches into the emptiest and terminates, undrained, in the fullest. */
static void az_rebalance(void)
{
    if (zone_spread() <= 1)
        return;
    const char *full = zones[0];
    for (int z = 1; z < 3; z++)
        if (in_zone(zones[z]) > in_zone(full))
            full = zones[z];
    for (size_t i = 0; i < W.n; i++)
        if (is_member(&W.m[i]) && W.m[i].zone == full) {
            problem(W.m[i].tasks > 0 ? "AZRebalance terminates an instance with tasks"
                                     : "AZRebalance rebalances the zones after the rollout",
                    W.m[i].id);
            return;
        }
}

static void apply(const struct rollout_decision *d)
{
    struct rollout_snapshot *s = &W.s;
    switch (d->action) {
    case ACT_SET_DESIRED:
        set_desired(d->number);
        break;
    case ACT_RAISE_MAX:
        W.max_size = d->number;
        break;
    case ACT_DRAIN:
    case ACT_ACTIVATE:
        for (size_t i = 0; i < d->ids.n; i++)
            find(d->ids.v[i])->ci_status = d->action == ACT_DRAIN ? "DRAINING" : "ACTIVE";
        break;
    case ACT_HOLD_LAUNCHES:
    case ACT_SUSPEND:
        for (size_t i = 0; i < d->ids.n; i++) {
            if (d->action == ACT_HOLD_LAUNCHES &&
                !strv_contains(&s->state.suspended_by_us, d->ids.v[i]))
                strv_push(&s->state.suspended_by_us, d->ids.v[i]);
            if (!strv_contains(&s->group.suspended_processes, d->ids.v[i]))
                strv_push(&s->group.suspended_processes, d->ids.v[i]);
        }
        break;
    case ACT_RESUME: {
        struct strv keep = STRV_INIT;
        for (size_t i = 0; i < s->group.suspended_processes.n; i++)
            if (!strv_contains(&d->ids, s->group.suspended_processes.v[i]))
                strv_push(&keep, s->group.suspended_processes.v[i]);
        strv_free(&s->group.suspended_processes);
        s->group.suspended_processes = keep;
        break;
    }
    case ACT_TERMINATE:
        for (size_t i = 0; i < d->ids.n; i++) {
            struct m_inst *x = find(d->ids.v[i]);
            if (x->tasks > 0)
                problem("the rollout terminated an instance with tasks", x->id);
            if (!d->keep_desired) {
                if (W.desired - x->weight < W.min_size)
                    problem("a decrement below MinSize (refused)", x->id);
                W.desired -= x->weight; /* a decrement is no scale-in event */
            }
            x->state = M_TERMINATING;
        }
        break;
    case ACT_FINISH:
        W.max_size = s->state.max_size;
        W.min_size = s->state.min_size;
        set_desired(s->state.desired_capacity);
        for (size_t i = 0; i < W.n; i++)
            if (W.m[i].state == M_TERMINATING)
                W.m[i].state = M_GONE;
        az_rebalance();
        break;
    default:
        break;
    }
}

static void tick(void)
{
    W.s.now += 10;
    for (size_t i = 0; i < W.n; i++) {
        struct m_inst *x = &W.m[i];
        if (x->state == M_TERMINATING) {
            x->state = M_GONE;
        } else if (x->state == M_PENDING) {
            x->state = M_IN_SERVICE;
            x->registered = 1;
            x->ci_status = "ACTIVE";
        } else if (x->state == M_IN_SERVICE && strcmp(x->ci_status, "DRAINING") == 0 &&
                   x->tasks > 0 && !x->stuck) {
            /* ECS moves the tasks to the ACTIVE instance with the fewest. */
            struct m_inst *to = NULL;
            for (size_t k = 0; k < W.n; k++) {
                struct m_inst *y = &W.m[k];
                if (y->state == M_IN_SERVICE && y->registered &&
                    strcmp(y->ci_status, "ACTIVE") == 0 && (!to || y->tasks < to->tasks))
                    to = y;
            }
            if (to)
                to->tasks += x->tasks;
            x->tasks = 0;
        }
    }
    /* Launches, one instance at a time, each into the emptiest zone. */
    while (!strv_contains(&W.s.group.suspended_processes, "Launch") && units() < W.desired &&
           W.n < MAX_I) {
        const char *least = zones[0];
        for (int z = 1; z < 3; z++)
            if (in_zone(zones[z]) < in_zone(least))
                least = zones[z];
        struct m_inst *x = add(least, W.cycle[W.next_weight++ % W.n_cycle], 2, 0);
        x->state = M_PENDING;
        x->registered = 0;
    }
}

/* Plays a rollout (or rollback) to its end; returns the last action. */
static enum rollout_action play(int rollback, int max_steps)
{
    enum rollout_action act = ACT_WAIT;
    for (int step = 0; step < max_steps && !W.problem[0]; step++) {
        sync();
        struct rollout_assessment a;
        struct rollout_decision d;
        rollout_assess(&W.s, &W.o, &a);
        for (size_t i = 0; rollback && i < a.n; i++) {
            const struct m_inst *x = find(a.v[i].asg->instance_id);
            a.v[i].drain_unfinished = x && x->stuck;
        }
        if (rollback)
            rollout_decide_rollback(&W.s, &a, &W.o, &W.t, &d);
        else
            rollout_decide(&W.s, &a, &W.o, &W.t, &d);
        rollout_assessment_free(&a);
        act = d.action;
        if (getenv("WDEBUG")) /* each decision on stderr, to follow a failing play */
            fprintf(stderr, "%s: %s [%d units, desired %d, spread %d]\n", rollout_action_name(act),
                    d.message, units(), W.desired, zone_spread());
        rollout_timers_note(&W.t, &d, W.s.now);
        if (act == ACT_FAIL)
            problem(d.message, NULL);
        apply(&d);
        rollout_decision_free(&d);
        if (act == ACT_FINISH || act == ACT_FAIL)
            return act;
        if (active_units() < W.n_orig && act != ACT_ACTIVATE)
            problem("fewer ACTIVE capacity units than the original", rollout_action_name(act));
        if (act == ACT_WAIT)
            tick();
    }
    return act;
}

TEST(a_weighted_group_left_uneven_by_count_is_evened_before_the_end)
{
    /* Every instance current and the units right (2 + 1 + 1 + 1 = 5), but
     * by count the zones are 3, 1 and 0 apart: AZRebalance, resumed, would
     * launch into c and terminate one of a's instances with its tasks. */
    static const int ones[] = {1};
    wfx_init(5, 5, 10, ones, 1);
    add(zones[0], 1, 2, 2);
    add(zones[0], 1, 2, 2);
    add(zones[0], 1, 2, 2);
    add(zones[1], 2, 2, 4);
    CHECK_INT(play(0, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK_INT(zone_spread(), 1);
    CHECK_INT(units(), 5);
    wfx_free();
}

TEST(an_evening_launch_of_a_heavier_instance_is_removed_within_min_size)
{
    /* Desired capacity at MinSize and every launch two units: the evening
     * launch (one unit more asked) brings two, and the drained instance
     * from the fullest zone goes without a decrement below MinSize. */
    static const int twos[] = {2};
    wfx_init(6, 6, 12, twos, 1);
    add(zones[0], 2, 2, 2);
    add(zones[0], 2, 2, 2);
    add(zones[1], 2, 2, 2);
    /* a 2, b 1, c 0: spread 2 */
    CHECK_INT(play(0, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK(zone_spread() <= 1);
    CHECK(units() >= 6);
    wfx_free();
}

TEST(the_evening_launch_asks_for_one_unit_above_the_group_s_units)
{
    /* With an overage (7 units for a desired capacity of 6), one unit above
     * the original would launch nothing: the evening asks for one more than
     * the group has. */
    static const int ones[] = {1};
    wfx_init(6, 0, 12, ones, 1);
    add(zones[0], 3, 2, 2);
    add(zones[0], 2, 2, 2);
    add(zones[0], 2, 2, 2);
    sync();
    struct rollout_assessment a;
    struct rollout_decision d;
    rollout_assess(&W.s, &W.o, &a);
    rollout_decide(&W.s, &a, &W.o, &W.t, &d);
    rollout_assessment_free(&a);
    CHECK_INT(d.action, ACT_SET_DESIRED);
    CHECK(d.evens_zones);
    CHECK_INT(d.number, 8);
    rollout_decision_free(&d);
    wfx_free();
}

TEST(weighted_rollouts_end_with_zones_even_by_count)
{
    /* Whole rollouts: old instances of mixed weights, new ones launched
     * with the weights of each cycle, every batch size. */
    static const int c1[] = {2, 1, 1}, c2[] = {1, 2}, c3[] = {3, 1, 1, 2}, c4[] = {2};
    static const int *const cycles[] = {c1, c2, c3, c4};
    static const size_t n_cycles[] = {3, 2, 4, 1};
    static const int batches[] = {0, 1, 2, 3};
    for (size_t c = 0; c < 4; c++)
        for (size_t b = 0; b < 4; b++) {
            wfx_init(8, 4, 16, cycles[c], n_cycles[c]);
            W.o.batch_size = batches[b];
            add(zones[0], 2, 1, 2);
            add(zones[1], 1, 1, 2);
            add(zones[2], 1, 1, 2);
            add(zones[0], 2, 1, 2);
            add(zones[1], 2, 1, 2);
            enum rollout_action act = play(0, 3000);
            CHECK_MSG(act == ACT_FINISH && !W.problem[0],
                      "cycle %zu, batch %d: %s after %s (zones %d apart)", c, batches[b],
                      W.problem[0] ? W.problem : "no problem", rollout_action_name(act),
                      zone_spread());
            for (size_t i = 0; i < W.n; i++)
                CHECK_MSG(!is_member(&W.m[i]) || W.m[i].version == 2, "%s left out of date",
                          W.m[i].id);
            CHECK_MSG(units() >= 8, "cycle %zu, batch %d: %d units", c, batches[b], units());
        }
    wfx_free();
}

TEST(a_weighted_rollback_evens_the_zones_too)
{
    /* A rollback's end: old instances back in service, the new ones
     * removed, zones 2 apart by count. */
    static const int ones[] = {1};
    wfx_init(4, 4, 8, ones, 1);
    add(zones[0], 1, 1, 2);
    add(zones[0], 1, 1, 2);
    add(zones[1], 2, 1, 2);
    CHECK_INT(play(1, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK(zone_spread() <= 1);
    wfx_free();
}

TEST(a_rollback_removes_an_old_overage_the_raised_desired_capacity_would_scale_in)
{
    /* chaos seed 6 rollout 36: four old instances, 5 units for a desired
     * capacity of 4 (Auto Scaling's overage); the rollout raised it by 5,
     * the new instances brought 4 and the rollback removed them with their
     * weights: desired 5, 5 units, no new instance left. Restoring 4 is a
     * scale-in that takes a 1-unit instance undrained; before, the rollback
     * waited for a new instance to drain until it timed out, on every
     * re-run. */
    static const int ones[] = {1};
    wfx_init(4, 2, 16, ones, 1);
    W.desired = 5;
    add(zones[0], 1, 1, 2);
    add(zones[1], 1, 1, 2);
    add(zones[2], 1, 1, 2);
    add(zones[0], 2, 1, 2);
    CHECK_INT(play(1, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK_INT(W.desired, 4);
    CHECK_INT(units(), 4);
    CHECK(zone_spread() <= 1);
    wfx_free();
}

TEST(an_evening_surplus_goes_from_the_fullest_zone_only)
{
    /* test_e2e_mixed_instances: two 2-unit instances in one zone, launches
     * of 1 unit. The 1-unit evening launch lands in an empty zone and is
     * the only instance the 1-unit surplus fits: removing it undid the
     * evening, six times over, and AZRebalance then killed a task. A second
     * evening launch makes the surplus 2, and a 2-unit instance goes from
     * the fullest zone. */
    static const int ones[] = {1};
    wfx_init(4, 4, 8, ones, 1);
    add(zones[0], 2, 2, 2);
    add(zones[0], 2, 2, 2);
    CHECK_INT(play(0, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK(zone_spread() <= 1);
    CHECK_INT(units(), 4);
    CHECK_INT(W.desired, 4);
    wfx_free();
}

TEST(a_never_registered_instance_is_removed_without_going_below_min_size)
{
    /* A rollback removing a new instance that never registered with a
     * decrement below MinSize is refused by Auto Scaling. Here the rollout
     * raised the desired capacity to 4, a 1-unit instance came up, a 2-unit
     * one never registered, one old instance was drained and terminated
     * (desired 3): 3 - 2 is below MinSize 2. Without the decrement the group
     * would launch a replacement (2 units for a desired capacity of 3):
     * Launch is held first, and nothing launches. */
    static const int ones[] = {1};
    wfx_init(2, 2, 6, ones, 1);
    W.desired = 3;
    add(zones[0], 1, 1, 2);
    add(zones[1], 1, 2, 2);
    add(zones[2], 2, 2, 0)->registered = 0;
    size_t launched = W.n;
    CHECK_INT(play(1, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK_INT(W.desired, 2);
    CHECK_INT(units(), 2);
    CHECK_INT(W.n, launched);
    /* chaos seed 6 rollouts 51 and 151 as they ran (--shapes
     * mixed-instances): the old instances gone with their decrements, the
     * desired capacity back at MinSize = 2, the group above it by the
     * instance that never registered; its decrement was refused ("desired
     * Capacity=2 and minSize=2"), exit 4 on every re-run. Without it the
     * group keeps what it wants: nothing to hold. */
    wfx_init(2, 2, 6, ones, 1);
    W.desired = 2;
    add(zones[0], 2, 2, 4);
    add(zones[1], 1, 2, 0)->registered = 0;
    launched = W.n;
    CHECK_INT(play(1, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK_INT(W.desired, 2);
    CHECK_INT(units(), 2);
    CHECK_INT(W.n, launched);
    CHECK(!strv_contains(&W.s.state.suspended_by_us, "Launch"));
    /* With room above MinSize the decrement stays (nothing to hold). */
    wfx_init(2, 1, 6, ones, 1);
    W.desired = 4;
    add(zones[0], 1, 1, 2);
    add(zones[1], 1, 1, 2);
    add(zones[2], 2, 2, 0)->registered = 0;
    launched = W.n;
    CHECK_INT(play(1, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK_INT(W.desired, 2);
    CHECK_INT(W.n, launched);
    CHECK(!strv_contains(&W.s.state.suspended_by_us, "Launch"));
    wfx_free();
}

TEST(an_out_of_date_instance_that_never_registered_goes_without_a_decrement_below_min_size)
{
    /* The rollout's first step removes out-of-date instances that run no
     * task. With the desired capacity at MinSize 4, the decrement of a
     * 2-unit instance that never registered is refused
     * (TerminateInstanceInAutoScalingGroup, Auto Scaling API Reference):
     * exit 4 on every re-run. Without it the group would launch a
     * replacement: Launch is held first, then released for the batch. */
    static const int twos[] = {2};
    wfx_init(4, 4, 8, twos, 1);
    W.n_orig = 2; /* what served when the rollout began */
    add(zones[0], 2, 1, 2);
    add(zones[1], 2, 1, 0)->registered = 0;
    CHECK_INT(play(0, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    for (size_t i = 0; i < W.n; i++)
        CHECK_MSG(!is_member(&W.m[i]) || W.m[i].version == 2, "%s left out of date", W.m[i].id);
    CHECK_INT(W.desired, 4);
    CHECK(units() >= 4);
    wfx_free();
}

TEST(drained_instances_heavier_than_the_room_above_min_size_go_without_a_decrement_below_it)
{
    /* Batches of one, a launch of 3 units for the 2 asked: the capacity
     * rule drains both old instances (3 units) at once, and the room above
     * MinSize 3 is 2 instances but 2 units: the decrement of both, 5 - 3,
     * is refused. */
    static const int threes[] = {3};
    wfx_init(3, 3, 8, threes, 1);
    W.o.batch_size = 1;
    add(zones[0], 1, 1, 2);
    add(zones[1], 2, 1, 2);
    CHECK_INT(play(0, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    for (size_t i = 0; i < W.n; i++)
        CHECK_MSG(!is_member(&W.m[i]) || W.m[i].version == 2, "%s left out of date", W.m[i].id);
    CHECK_INT(W.desired, 3);
    CHECK(units() >= 3);
    wfx_free();
}

TEST(a_rollback_removes_a_new_instance_heavier_than_the_raise)
{
    /* chaos seed 4 rollout 39 (--shapes mixed-instances): three 1-unit old
     * instances, the desired capacity raised 3 -> 4 for a batch of one, and
     * the launch brought 2 units. A stuck task failed the rollout; the
     * rollback returned the old instances to service and then waited for
     * the 1-unit surplus (the raise) to fit the 2-unit new instance until
     * it timed out, exit 4 on every re-run. The whole new instance is the
     * rollout's: it is drained and goes without a decrement below the
     * original (4 - 2 < 3), Launch held first. */
    static const int ones[] = {1};
    wfx_init(3, 2, 16, ones, 1);
    W.desired = 4;
    add(zones[0], 1, 1, 3);
    add(zones[1], 1, 1, 3);
    add(zones[2], 1, 1, 3);
    add(zones[0], 2, 2, 0);
    size_t launched = W.n;
    CHECK_INT(play(1, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK_INT(W.desired, 3);
    CHECK_INT(units(), 3);
    CHECK_INT(W.n, launched);
    for (size_t i = 0; i < W.n; i++)
        CHECK_MSG(!is_member(&W.m[i]) || W.m[i].version == 1, "%s left after the rollback",
                  W.m[i].id);
    wfx_free();
}

TEST(a_rollback_sheds_the_overage_and_evens_the_zones_around_a_drain_that_never_finished)
{
    /* chaos seed 7 rollout 183 (--shapes mixed-instances, AZRebalance
     * suspended by the operator): four old instances, 5 units for a
     * desired capacity of 4 (a: 1 + 2, b: 1, c: 1). The rollout raised it
     * to 9; a 1-unit new instance came up in a, two (b: 1, c: 2) never
     * registered; it drained a's 1-unit instance, where a task never
     * stops, and c's, which emptied. The drain timed out. The rollback
     * kept c's drained instance to shed the overage and removed it: zones
     * 2, 1 and 0, on 2 re-runs in 3. a's 1-unit instance cannot go (its
     * task), a's 2-unit one alone would leave 3 units: the zones are
     * evened around it, as AWS's own scale-in would leave them (the zone
     * with the most instances first, "Control which Auto Scaling
     * instances terminate during scale in"), with nothing killed. */
    static const int ones[] = {1};
    static const int twos[] = {2};
    static const int *const cycles[] = {ones, twos};
    for (size_t c = 0; c < 2; c++) {
        wfx_init(4, 2, 16, cycles[c], 1);
        W.desired = 9;
        struct m_inst *held = add(zones[0], 1, 1, 1);
        held->ci_status = "DRAINING";
        held->stuck = 1;
        add(zones[0], 2, 1, 1);
        add(zones[1], 1, 1, 1);
        add(zones[2], 1, 1, 0)->ci_status = "DRAINING";
        add(zones[0], 1, 2, 1);
        add(zones[1], 1, 2, 0)->registered = 0;
        add(zones[2], 2, 2, 0)->registered = 0;
        enum rollout_action act = play(1, 600);
        CHECK_MSG(act == ACT_FINISH && !W.problem[0], "launches of %d: %s after %s", cycles[c][0],
                  W.problem[0] ? W.problem : "no problem", rollout_action_name(act));
        CHECK_MSG(zone_spread() <= 1, "launches of %d: zones %d, %d, %d", cycles[c][0],
                  in_zone(zones[0]), in_zone(zones[1]), in_zone(zones[2]));
        CHECK_INT(W.desired, 4);
        CHECK(units() >= 4);
        CHECK(is_member(held));
    }
    wfx_free();
}

TEST(a_surplus_new_instance_that_never_registers_is_removed_not_awaited_into_a_rollback)
{
    /* chaos seed 4 rollout 47 (--shapes mixed-instances,...): two 1-unit
     * old instances, desired 2 -> 4; the launches brought a 1-unit
     * instance that never registers and a 2-unit one. Both old instances
     * were drained onto the 2-unit one and removed with their decrements
     * (desired 2): the group serves its original 2 units, the 1-unit
     * instance is Auto Scaling's overage above them and runs nothing. The
     * rollout waited for it to register until the wait timed out, and
     * "rolled back" a group already all current (exit 1). It goes now, as
     * the rollback would have removed it: without a decrement below the
     * original, nothing launched for it. */
    static const int ones[] = {1};
    wfx_init(2, 2, 16, ones, 1);
    W.desired = 2;
    add(zones[0], 2, 2, 6);
    struct m_inst *never = add(zones[2], 1, 2, 0);
    never->registered = 0;
    size_t launched = W.n;
    CHECK_INT(play(0, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK(!is_member(never));
    CHECK_INT(W.desired, 2);
    CHECK_INT(units(), 2);
    CHECK_INT(W.n, launched);
    wfx_free();
}

TEST(a_rollback_removes_a_new_instance_left_above_the_original_desired_capacity)
{
    /* chaos seed 8 rollout 6 (--shapes mixed-instances): two 1-unit old
     * instances, desired 2 -> 4 brought a 1-unit and a 2-unit instance; a
     * stuck task failed the rollout. The rollback removed the 2-unit one
     * with its decrement (desired back at 2) and left the 1-unit one as
     * if it were Auto Scaling's overage: 3 units for a desired capacity of
     * 2, which no launch leaves (an overage is less than the weight of the
     * instance launched, "Configure instance weighting"), and the group
     * never settled. What is above the desired capacity goes without a
     * decrement: nothing launches for it. */
    static const int ones[] = {1};
    wfx_init(2, 2, 16, ones, 1);
    W.desired = 2;
    add(zones[0], 1, 1, 3);
    add(zones[1], 1, 1, 3);
    struct m_inst *left = add(zones[2], 1, 2, 0);
    size_t launched = W.n;
    CHECK_INT(play(1, 400), ACT_FINISH);
    CHECK_MSG(!W.problem[0], "%s", W.problem);
    CHECK(!is_member(left));
    CHECK_INT(W.desired, 2);
    CHECK_INT(units(), 2);
    CHECK_INT(W.n, launched);
    wfx_free();
}
