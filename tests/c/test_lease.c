/* Lease fencing over the fake service layer (fake_svc.c), issue 14: a run
 * whose lease is taken over at any moment of its rollout writes nothing
 * after that moment and ends with ROLLOUT_BUSY ("another rollout took
 * over"); lease expiry is judged on AWS's clock (svc_ops.aws_time), not on
 * the machine's wall clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_svc.h"
#include "rollout/engine.h"
#include "rollout/state.h"
#include "test.h"

struct world {
    struct fake_svc f; /* first: the ops' ctx is &f */
    struct svc_ops ops;
    struct rollout_config cfg;
    double aws_offset; /* AWS's clock minus the machine's wall clock */
    /* the takeover */
    long take_over_after; /* writes; < 0: never */
    int taken;
    long writes_before, writes_after;
    int renewals; /* tag writes after the first: the lease's renewals (and a record) */
    /* the lease tag as the first read after the first write saw it */
    char first_lease[256];
    double aws_at_first_lease;
};

static int aws_time(void *ctx, double *earliest, double *latest)
{
    struct world *w = ctx;
    *earliest = w->f.wall + w->aws_offset;
    *latest = *earliest + 1.0;
    return 0;
}

static void set_tag(struct fake_svc *f, const char *key, const char *value)
{
    for (size_t i = 0; i < f->n_tags; i++)
        if (strcmp(f->tags[i].key, key) == 0) {
            snprintf(f->tags[i].value, sizeof(f->tags[i].value), "%s", value);
            return;
        }
    snprintf(f->tags[f->n_tags].key, sizeof(f->tags[f->n_tags].key), "%s", key);
    snprintf(f->tags[f->n_tags].value, sizeof(f->tags[f->n_tags].value), "%s", value);
    f->n_tags++;
}

#define OTHER_LEASE_FMT "host=other-machine/00000000,pid=4242,token=0badc0de,expires=%lld"

/* Another run takes the lease over between two calls, once `take_over_after`
 * writes were made; every write after that is counted. */
static void before_call(struct fake_svc *f, enum fake_op op, void *user)
{
    struct world *w = user;
    if (fake_op_is_write(op)) {
        w->renewals += op == FOP_PUT_TAGS && w->writes_before > 0 && !w->taken;
        if (w->taken)
            w->writes_after++;
        else
            w->writes_before++;
        return;
    }
    const char *lease = fake_tag(f, ROLLOUT_TAG_LEASE);
    if (!w->first_lease[0] && w->writes_before >= 1 && lease) {
        snprintf(w->first_lease, sizeof(w->first_lease), "%s", lease);
        w->aws_at_first_lease = f->wall + w->aws_offset;
    }
    if (!w->taken && w->take_over_after >= 0 && w->writes_before >= w->take_over_after) {
        char v[160];
        snprintf(v, sizeof(v), OTHER_LEASE_FMT, (long long)(f->wall + w->aws_offset) + 600);
        set_tag(f, ROLLOUT_TAG_LEASE, v);
        w->taken = 1;
    }
}

static struct world *world_new(int n_instances)
{
    struct world *w = calloc(1, sizeof(*w));
    fake_init(&w->f, n_instances, 2, 2);
    w->ops = fake_ops(&w->f);
    w->ops.aws_time = aws_time;
    w->cfg.asg_name = w->f.group;
    w->cfg.cluster_name = w->f.cluster;
    w->cfg.options.instance_timeout_s = 600;
    w->cfg.options.drain_timeout_s = 900;
    w->cfg.poll_min_s = 1;
    w->cfg.poll_max_s = 3;
    w->take_over_after = -1;
    w->f.before = before_call;
    w->f.user = w;
    return w;
}

static enum rollout_result run(struct world *w, struct rollout_summary *sum, struct err *err)
{
    return rollout_run(&w->ops, &w->cfg, sum, err);
}

/* A rollout another machine started, with its lease ending `left` seconds
 * from now by AWS's clock. */
static void foreign_rollout(struct world *w, long long left)
{
    char v[160];
    set_tag(&w->f, ROLLOUT_TAG_ORIGINAL, "min=0,max=4,desired=2");
    set_tag(&w->f, ROLLOUT_TAG_SUSPENDED, "-");
    snprintf(v, sizeof(v), OTHER_LEASE_FMT, (long long)(w->f.wall + w->aws_offset) + left);
    set_tag(&w->f, ROLLOUT_TAG_LEASE, v);
}

TEST(a_machine_whose_clock_is_ahead_does_not_take_over_early)
{
    /* The lease has a minute left by AWS's clock; this machine's wall
     * clock is five minutes ahead, so by it the lease ran out long ago. */
    struct world *w = world_new(2);
    w->aws_offset = -300;
    foreign_rollout(w, 60);
    struct rollout_summary sum;
    struct err err;
    CHECK_INT(run(w, &sum, &err), ROLLOUT_BUSY);
    CHECK_CONTAINS(err.message, "other-machine");
    CHECK_CONTAINS(err.message, "by AWS's clock");
    CHECK_INT(w->writes_before, 0);
    CHECK_CONTAINS(fake_tag(&w->f, ROLLOUT_TAG_LEASE), "token=0badc0de");
    free(w);
}

TEST(a_machine_whose_clock_is_behind_takes_over_a_lease_that_ran_out)
{
    /* Ran out 10 s ago by AWS's clock; by this machine's, 5 minutes left. */
    struct world *w = world_new(2);
    w->aws_offset = 300;
    foreign_rollout(w, -10);
    struct rollout_summary sum;
    struct err err;
    CHECK_MSG(run(w, &sum, &err) == ROLLOUT_DONE, "%s", sum.message);
    CHECK_INT(fake_outdated(&w->f), 0);
    CHECK_INT(fake_tag_count(&w->f, ROLLOUT_TAG_PREFIX), 0);
    free(w);
}

TEST(a_lease_written_by_this_run_runs_on_awss_clock)
{
    /* Whatever the wall clock says, the lease this run writes ends
     * ROLLOUT_LEASE_SECONDS after AWS's time. */
    struct world *w = world_new(2);
    w->aws_offset = -1000;
    w->take_over_after = 1; /* ends the run after its first write */
    struct rollout_summary sum;
    struct err err;
    CHECK_INT(run(w, &sum, &err), ROLLOUT_BUSY);
    struct asg_group g;
    memset(&g, 0, sizeof(g));
    struct asg_tag tag = {(char *)ROLLOUT_TAG_LEASE, w->first_lease, 0};
    g.tags = &tag;
    g.n_tags = 1;
    struct rollout_state st;
    CHECK_MSG(rollout_state_parse(&g, &st) == 0 && st.has_lease, "lease tag \"%s\"",
              w->first_lease);
    double left = (double)st.lease.expires - w->aws_at_first_lease;
    CHECK_MSG(left >= ROLLOUT_LEASE_SECONDS - 2 && left <= ROLLOUT_LEASE_SECONDS + 2,
              "the lease ends %.1f s after AWS's time (%s)", left, w->first_lease);
    rollout_state_free(&st);
    free(w);
}

TEST(a_lease_taken_over_at_any_moment_ends_the_run_without_another_write)
{
    /* A clean run first: how many writes a whole rollout makes. One
     * instance at a time, slow to launch: a rollout long enough to renew
     * its lease (each renewal a write too). */
    struct world *w = world_new(3);
    w->cfg.options.batch_size = 1;
    w->f.launch_steps = 40;
    struct rollout_summary sum;
    struct err err;
    CHECK_MSG(run(w, &sum, &err) == ROLLOUT_DONE, "%s", sum.message);
    long total = w->writes_before;
    CHECK_MSG(total >= 12, "only %ld writes", total);
    CHECK_MSG(w->renewals >= 2, "%d renewals", w->renewals);
    free(w);
    int takeovers = 0;
    for (long n = 0; n < total; n++) {
        w = world_new(3);
        w->cfg.options.batch_size = 1;
        w->f.launch_steps = 40;
        w->take_over_after = n;
        enum rollout_result r = run(w, &sum, &err);
        CHECK_MSG(w->taken, "after %ld writes: the run ended first (%s)", n, sum.message);
        CHECK_MSG(r == ROLLOUT_BUSY, "after %ld writes: %s (%s)", n, rollout_result_name(r),
                  sum.message);
        CHECK_MSG(w->writes_after == 0, "after %ld writes: %ld more writes", n, w->writes_after);
        CHECK_MSG(strstr(sum.message, n <= 1 ? "another rollout" : "another rollout took over"),
                  "after %ld writes: %s", n, sum.message);
        CHECK_CONTAINS(fake_tag(&w->f, ROLLOUT_TAG_LEASE), "token=0badc0de");
        takeovers++;
        free(w);
    }
    printf("lease taken over at each of %d moments of a %ld-write rollout; no write after\n",
           takeovers, total);
}

/* One check per batch (act.c, batch_fence): the StopTask calls of one
 * decision are fenced by one read before the first; a run held up in the
 * middle of the batch past LEASE_FRESH_S checks again before its next
 * write, and stops there when another run took over meanwhile. */
struct batch_watch {
    struct world *w;
    int stops, stall_at; /* StopTask calls so far; the one to stall at (0: never) */
    int reads_in_batch;  /* DescribeTags between two StopTask calls, before a stall */
    int stops_after_stall;
};

static void watch_batch(struct fake_svc *f, enum fake_op op, void *user)
{
    struct batch_watch *b = user;
    if (op == FOP_STOP_TASK) {
        if (b->w->taken)
            b->stops_after_stall++;
        b->stops++;
        if (b->stops == b->stall_at) {
            /* held up for two minutes right after this write left; another
             * run takes the lease over meanwhile */
            f->wall += 120;
            f->mono += 120;
            char v[160];
            snprintf(v, sizeof(v), OTHER_LEASE_FMT, (long long)(f->wall + b->w->aws_offset) + 600);
            set_tag(f, ROLLOUT_TAG_LEASE, v);
            b->w->taken = 1;
        }
    } else if (op == FOP_DESCRIBE_TAGS && b->stops > 0 && b->stops < 6 && !b->w->taken) {
        b->reads_in_batch++;
    }
}

static struct world *world_with_standalone_tasks(struct batch_watch *b, int stall_at)
{
    struct world *w = world_new(2);
    for (int i = 0; i < 6; i++)
        fake_add_standalone_task(&w->f, 0);
    w->cfg.options.standalone = STANDALONE_STOP;
    w->cfg.options.batch_size = 1;
    memset(b, 0, sizeof(*b));
    b->w = w;
    b->stall_at = stall_at;
    w->f.before = watch_batch;
    w->f.user = b;
    return w;
}

TEST(a_batch_of_writes_is_fenced_once_and_again_after_a_stall)
{
    struct batch_watch b;
    struct world *w = world_with_standalone_tasks(&b, 0);
    struct rollout_summary sum;
    struct err err;
    CHECK_MSG(run(w, &sum, &err) == ROLLOUT_DONE, "%s", sum.message);
    CHECK_INT(b.stops, 6);
    CHECK_INT(sum.tasks_stopped, 6);
    CHECK_MSG(b.reads_in_batch == 0, "%d lease reads inside the batch of 6 StopTask calls",
              b.reads_in_batch);
    free(w);

    w = world_with_standalone_tasks(&b, 2);
    enum rollout_result r = run(w, &sum, &err);
    CHECK_MSG(r == ROLLOUT_BUSY, "%s (%s)", rollout_result_name(r), sum.message);
    CHECK_CONTAINS(sum.message, "another rollout took over");
    CHECK_MSG(b.stops_after_stall == 0, "%d StopTask calls after the takeover",
              b.stops_after_stall);
    CHECK_INT(b.stops, 2);
    CHECK_CONTAINS(fake_tag(&w->f, ROLLOUT_TAG_LEASE), "token=0badc0de");
    free(w);
}

/* A lease read whose answer arrives only after a stall (the run stopped
 * while the read was in flight: the answer says "ours", but another run
 * took over before this one went on). The answer is too old to fence a
 * write on (LEASE_FRESH_S): the run reads again, learns of the takeover
 * and writes nothing more. The CI run of 2026-12-06 met this in
 * tests/integration/test_lease_fencing.py (a SIGSTOP that landed while the
 * lease read was queued at the simulator). */
struct read_stall {
    struct world *w;
    int reads, stall_at; /* lease reads so far; the one to stall in (0: never) */
    int pending;         /* the takeover happens before the next call reaches AWS */
    long writes_after;
};

static void stall_in_read(struct fake_svc *f, enum fake_op op, void *user)
{
    struct read_stall *s = user;
    if (s->pending) {
        char v[160];
        snprintf(v, sizeof(v), OTHER_LEASE_FMT, (long long)(f->wall + s->w->aws_offset) + 600);
        set_tag(f, ROLLOUT_TAG_LEASE, v);
        s->w->taken = 1;
        s->pending = 0;
    }
    if (fake_op_is_write(op)) {
        s->writes_after += s->w->taken;
        return;
    }
    if (op == FOP_DESCRIBE_TAGS && ++s->reads == s->stall_at) {
        /* the answer is made now, with the lease still ours; it reaches the
         * run two minutes later */
        f->wall += 120;
        f->mono += 120;
        s->pending = 1;
    }
}

static struct world *world_stalling_in_read(struct read_stall *s, int stall_at)
{
    struct world *w = world_new(3);
    w->cfg.options.batch_size = 1;
    memset(s, 0, sizeof(*s));
    s->w = w;
    s->stall_at = stall_at;
    w->f.before = stall_in_read;
    w->f.user = s;
    return w;
}

TEST(a_lease_read_answered_before_a_stall_is_read_again_before_a_write)
{
    struct read_stall s;
    struct world *w = world_stalling_in_read(&s, 0);
    struct rollout_summary sum;
    struct err err;
    CHECK_MSG(run(w, &sum, &err) == ROLLOUT_DONE, "%s", sum.message);
    int reads = s.reads;
    CHECK_MSG(reads >= 5, "only %d lease reads", reads);
    free(w);
    int taken = 0;
    for (int k = 1; k <= reads; k++) {
        w = world_stalling_in_read(&s, k);
        enum rollout_result r = run(w, &sum, &err);
        if (w->taken) {
            taken++;
            CHECK_MSG(s.writes_after == 0,
                      "stalled in lease read %d: %ld writes after the takeover", k, s.writes_after);
            CHECK_MSG(r == ROLLOUT_BUSY || r == ROLLOUT_DONE, "stalled in lease read %d: %s (%s)",
                      k, rollout_result_name(r), sum.message);
            CHECK_CONTAINS(fake_tag(&w->f, ROLLOUT_TAG_LEASE), "token=0badc0de");
        }
        free(w);
    }
    CHECK_MSG(taken >= reads - 1, "the takeover happened in %d of %d runs", taken, reads);
    printf("stalled in each of %d lease reads: no write after a takeover\n", reads);
}

static void slow_lease_reads(struct fake_svc *f, enum fake_op op, void *user)
{
    (void)user;
    if (op == FOP_DESCRIBE_TAGS) {
        f->wall += 8;
        f->mono += 8;
    }
}

TEST(lease_reads_that_always_come_late_stop_the_run_before_its_first_write)
{
    /* Every answer 8 s late: none is fresh enough to fence a write on. */
    struct world *w = world_new(2);
    w->f.before = slow_lease_reads;
    struct rollout_summary sum;
    struct err err;
    enum rollout_result r = run(w, &sum, &err);
    CHECK_MSG(r == ROLLOUT_ERROR, "%s (%s)", rollout_result_name(r), sum.message);
    CHECK_CONTAINS(sum.message, "could not be read within 5 s (3 tries)");
    unsigned long writes = 0;
    for (int op = 0; op < FOP_N; op++)
        if (fake_op_is_write((enum fake_op)op))
            writes += w->f.calls[op];
    CHECK_MSG(writes == 0, "%lu writes", writes);
    CHECK_INT(fake_outdated(&w->f), 2);
    free(w);
}
