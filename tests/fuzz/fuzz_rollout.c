/* A whole rollout (observe -> decide -> act, to its end) over the fake
 * service layer of the C tests (tests/c/fake_svc.c), with the world and
 * every service answer's fate drawn from the fuzzer's bytes.
 *
 * Input: a header of 12 bytes (group size, zones, tasks, options, knobs
 * for surprising answers and a slow world), then one byte per service call:
 * below 200 the call goes through, else it fails with one of the fault
 * kinds, or (250 and up) the world changes under the rollout (an instance
 * leaves the group, a container instance loses its id, a stop request).
 * Past the end every call goes through.
 *
 * Properties: no crash, leak or undefined behaviour; the run ends (the
 * engine's timeouts on the fake clock); with truthful answers (no world
 * changes, no hidden container instance) the group never serves with
 * fewer ACTIVE members than it had and no running task is killed; a DONE
 * rollout leaves every instance current and the group restored; a run ends
 * without its lease unless it warned that releasing it failed; any run
 * that ends early is finished by a second run once the faults stop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_svc.h"
#include "fuzz.h"
#include "rollout/engine.h"
#include "rollout/state.h"

/* A run makes at most this many calls before it is asked to stop. */
#define MAX_CALLS 250

struct run {
    struct fuzz_in in;
    struct svc_ops ops;
    struct rollout_config cfg;
    volatile sig_atomic_t stop;
    int changed_world;
    int faults;
    int release_failed; /* the run said it could not release its lease */
};

static struct fake_svc world; /* large: static, reset for every input */

static void on_event(const struct rollout_event *ev, void *user)
{
    struct run *r = user;
    if (ev->kind == EV_WARNING && ev->message &&
        strstr(ev->message, "could not release the rollout lease"))
        r->release_failed = 1;
    FUZZ_CHECK(ev->phase != NULL, "an event without a phase");
    if (getenv("FUZZ_ROLLOUT_EVENTS") && ev->kind != EV_PROGRESS)
        fprintf(stderr, "[%s] %s %s\n", ev->phase, ev->kind == EV_ACTION ? ev->action : "",
                ev->message ? ev->message : "");
    if (ev->kind == EV_ACTION)
        FUZZ_CHECK(ev->action && ev->message, "an action event without its action");
    if (ev->kind == EV_DONE)
        FUZZ_CHECK(ev->summary && ev->summary->message[0], "a final event without a summary");
}

static void change_world(struct fake_svc *f, struct run *r, uint8_t b)
{
    r->changed_world = 1;
    size_t i = f->n_inst ? (size_t)(b % f->n_inst) : 0;
    switch (b % 4) {
    case 0: /* an instance leaves the group */
        if (f->n_inst)
            f->inst[i].in_group = 0;
        break;
    case 1: /* a container instance loses its instance id */
        if (f->n_ci)
            f->ci[b % f->n_ci].instance_id[0] = '\0';
        break;
    case 2: /* an agent disconnects */
        if (f->n_ci)
            f->ci[b % f->n_ci].connected = !f->ci[b % f->n_ci].connected;
        break;
    default:
        r->stop = 1;
        break;
    }
}

static void before(struct fake_svc *f, enum fake_op op, void *user)
{
    struct run *r = user;
    (void)op;
    if (f->total_calls > MAX_CALLS)
        r->stop = 1;
    if (!r->in.n)
        return;
    uint8_t b = fuzz_byte(&r->in);
    if (b < 200)
        return;
    if (b >= 250) {
        change_world(f, r, b);
        return;
    }
    r->faults++;
    fake_fail_next(f, op, (enum fake_fault)(1 + (b - 200) % (FAULT_N - 1)), 1);
}

static void setup(struct run *r, const uint8_t *data, size_t size)
{
    memset(r, 0, sizeof(*r));
    r->in.p = data;
    r->in.n = size;
    int n = 1 + fuzz_byte(&r->in) % 5;
    int zones = 1 + fuzz_byte(&r->in) % 3;
    int tasks = fuzz_byte(&r->in) % 3;
    fake_init(&world, n, zones, tasks);
    uint8_t opt = fuzz_byte(&r->in);
    uint8_t knobs = fuzz_byte(&r->in);
    uint8_t slow = fuzz_byte(&r->in);
    uint8_t extra = fuzz_byte(&r->in);
    uint8_t sizes = fuzz_byte(&r->in);
    uint8_t drain = fuzz_byte(&r->in);
    uint8_t hide = fuzz_byte(&r->in);
    uint8_t latest = fuzz_byte(&r->in);
    uint8_t standalone = fuzz_byte(&r->in);

    r->cfg.asg_name = world.group;
    r->cfg.cluster_name = world.cluster;
    r->cfg.options.batch_size = opt % 4;
    r->cfg.options.keep_max_size = (opt >> 2) & 1;
    r->cfg.options.standalone = (opt >> 3) & 1 ? STANDALONE_STOP : STANDALONE_WAIT;
    r->cfg.options.ami = (opt >> 4) & 1 ? "ami-v2" : NULL;
    r->cfg.options.instance_timeout_s = 10 + (opt >> 5) * 10;
    r->cfg.options.drain_timeout_s = 10 + (opt >> 5) * 10;
    r->cfg.poll_min_s = 1;
    r->cfg.poll_max_s = 3;
    r->cfg.on_event = on_event;
    r->cfg.userdata = r;
    r->cfg.stop = &r->stop;

    world.unfiltered_list = knobs & 1;
    world.duplicate_cis = (knobs >> 1) & 1;
    world.reverse_order = (knobs >> 2) & 1;
    world.tasks_without_ci = (knobs >> 3) & 1;
    world.update_failure = ((knobs >> 4) & 7) == 7;
    world.launch_steps = 1 + slow % 4;
    world.never_register = (slow >> 2) % 8 == 7;
    world.stuck_drain = (slow >> 5) == 7;
    world.launch_cap = (slow >> 4) % 4 == 3 ? n + 1 : 0;
    for (int i = 0; i < extra % 3; i++)
        fake_add_foreign_instance(&world);
    world.max = n + sizes % (n + 2);
    world.min = sizes & 0x80 ? 1 : n;
    if (world.max < n)
        world.max = n;
    /* some container instances already DRAINING (an earlier rollout) */
    for (size_t i = 0; i < world.n_ci && i < 8; i++)
        if ((drain >> i) & 1 && drain & 0x80)
            snprintf(world.ci[i].status, sizeof(world.ci[i].status), "DRAINING");
    world.hide_ci = hide % 16 == 15 ? 1 + (hide >> 4) % 4 : 0;
    world.lt_latest = latest % 8 == 7 ? 1 : 2;
    for (int i = 0; i < standalone % 3; i++)
        fake_add_standalone_task(&world, (size_t)i);
    world.serving_floor = world.min_serving = 0;
    /* the floor: what the group serves with at the start */
    int serving = 0;
    for (size_t i = 0; i < world.n_inst; i++) {
        struct fake_ci *ci = world.inst[i].in_group ? fake_ci_of(&world, world.inst[i].id) : NULL;
        serving += ci && strcmp(ci->status, "ACTIVE") == 0 && ci->connected;
    }
    world.serving_floor = serving < world.desired ? serving : world.desired;
    world.min_serving = world.serving_floor;
    world.before = before;
    world.user = r;
    r->ops = fake_ops(&world);
}

/* Standalone tasks still meant to run (in --standalone-tasks wait mode
 * they hold their instance until they stop by themselves). */
static int standalone_tasks(const struct fake_svc *f)
{
    int n = 0;
    for (size_t i = 0; i < f->n_task; i++)
        n += strncmp(f->task[i].group, "family:", 7) == 0 &&
             strcmp(f->task[i].desired, "RUNNING") == 0;
    return n;
}

/* ASan's defaults for this target (ASAN_OPTIONS overrides them). Every
 * execution makes thousands of small allocations, and recording each one's
 * call stack took an eighth of the time; the checks stay the same, only a
 * report loses its allocation and free stacks: replay the input with
 * ASAN_OPTIONS=malloc_context_size=30 to see them. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "malloc_context_size=0";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_log();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run r;
    setup(&r, data, size);
    int truthful = !world.hide_ci && !world.update_failure && !world.tasks_without_ci;
    struct rollout_summary sum;
    struct err err;
    enum rollout_result res = rollout_run(&r.ops, &r.cfg, &sum, &err);
    FUZZ_CHECK(res >= ROLLOUT_DONE && res <= ROLLOUT_INCOMPLETE, "result %d", (int)res);
    FUZZ_CHECK(sum.result == (int)res && sum.message[0], "summary does not match the result");
    if (truthful && !r.changed_world) {
        FUZZ_CHECK(world.min_serving >= world.serving_floor,
                   "only %d ACTIVE members at one point (the group had %d)", world.min_serving,
                   world.serving_floor);
        FUZZ_CHECK(world.killed_running == 0, "%d running task(s) killed", world.killed_running);
    }
    if (res == ROLLOUT_DONE && !r.changed_world && truthful) {
        for (int i = 0; i < 3; i++)
            fake_step(&world);
        FUZZ_CHECK(fake_outdated(&world) == 0, "done with %d instance(s) out of date",
                   fake_outdated(&world));
        FUZZ_CHECK(fake_tag_count(&world, ROLLOUT_TAG_PREFIX) == 0, "done with the state left");
    }
    /* A run ends without its lease, unless releasing it failed. */
    const char *lease = fake_tag(&world, ROLLOUT_TAG_LEASE);
    char mine[32];
    snprintf(mine, sizeof(mine), ",pid=%ld,", (long)getpid());
    if (lease && strstr(lease, mine)) {
        FUZZ_CHECK(r.release_failed, "the run ended (%s) and kept its lease without a word",
                   rollout_result_name(res));
        /* the next run is another process: this one's lease is a dead one's */
        size_t w = 0;
        for (size_t i = 0; i < world.n_tags; i++)
            if (strcmp(world.tags[i].key, ROLLOUT_TAG_LEASE) != 0)
                world.tags[w++] = world.tags[i];
        world.n_tags = w;
    }
    /* The faults stop: a second run finishes what the first left. */
    int held = standalone_tasks(&world) && r.cfg.options.standalone == STANDALONE_WAIT;
    if (!r.changed_world && truthful && !world.never_register && !world.stuck_drain &&
        !world.launch_cap && !held && res != ROLLOUT_REFUSED) {
        world.before = NULL;
        r.stop = 0;
        res = rollout_run(&r.ops, &r.cfg, &sum, &err);
        /* INCOMPLETE: finished and restored, leaving only instances that are
         * not the rollout's to replace (someone else's drain, a lost agent). */
        FUZZ_CHECK(res == ROLLOUT_DONE || res == ROLLOUT_NOTHING_TO_DO || res == ROLLOUT_REFUSED ||
                       res == ROLLOUT_INCOMPLETE,
                   "a second run without faults: %s: %s", rollout_result_name(res), sum.message);
    }
    return 0;
}
