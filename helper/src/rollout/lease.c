/* The lease: one rollout of a group at a time. It lives in a tag on the
 * group (state.h), names its owner (host and pid) and expires unless
 * renewed, so a rollout whose owner died is taken over.
 *
 * AWS has no conditional write for tags, so the lease is a fencing token
 * read afresh right before every write (lease_check, called by act.c for
 * each one) and on every poll: a run that was held up past its lease (a
 * laptop that slept, SIGSTOP, a frozen VM) learns that another took over
 * before it writes anything, and stops. Expiry is judged against AWS's
 * clock (the Date of its answers, carried forward on the local monotonic
 * clock, which counts suspend time), never the local wall clock. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rollout/engine_impl.h"

static void read_first_line(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)cap, f))
        out[strcspn(out, "\r\n")] = '\0';
    fclose(f);
}

void lease_identity(struct engine *e)
{
    char name[64] = "unknown", boot[64] = "";
    if (gethostname(name, sizeof(name) - 1) != 0)
        snprintf(name, sizeof(name), "unknown");
    name[sizeof(name) - 1] = '\0';
    for (char *p = name; *p; p++)
        if (*p == ',' || *p == '=')
            *p = '_';
    /* The boot id tells two machines with the same host name apart. */
    read_first_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    boot[8] = '\0';
    snprintf(e->host, sizeof(e->host), "%s/%s", name, boot[0] ? boot : "-");
    unsigned char rnd[8] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
        unsigned long long x =
            (unsigned long long)engine_wall_s(e) * 2654435761u ^ (unsigned long long)getpid();
        memcpy(rnd, &x, sizeof(rnd));
    }
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(e->token + 2 * i, 3, "%02x", rnd[i]);
}

static int pid_alive(long pid)
{
    if (pid <= 0)
        return 0;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* After writing a lease that was free, how long to wait before reading it
 * back: a run that read it free just before our write lands its own write
 * within a round trip, and the last writer wins. */
#define LEASE_SETTLE_S 1.0
/* Slack for the local monotonic clock against AWS's (rates, Date's whole
 * seconds): a lease this close to its end may be taken by another run. */
#define LEASE_MARGIN_S 5.0

/* AWS's time now, within bounds; the wall clock when no answer has told
 * it yet. */
static void aws_now(const struct engine *e, double *earliest, double *latest)
{
    if (!e->ops->aws_time || e->ops->aws_time(e->ops->ctx, earliest, latest) != 0)
        *earliest = *latest = engine_wall_s(e);
}

void lease_mine(const struct engine *e, struct rollout_lease *l)
{
    double earliest, latest;
    aws_now(e, &earliest, &latest);
    l->host = (char *)e->host;
    l->pid = (long)getpid();
    l->token = (char *)e->token;
    /* From the latest AWS's clock can be: on the local monotonic clock the
     * lease then lasts at least ROLLOUT_LEASE_SECONDS from its sending. */
    l->expires = (long long)ceil(latest) + ROLLOUT_LEASE_SECONDS;
}

/* The tags the lease and state are judged on. */
static const char *const state_keys[] = {ROLLOUT_TAG_ORIGINAL, ROLLOUT_TAG_SUSPENDED,
                                         ROLLOUT_TAG_LEASE, ROLLOUT_TAG_STARTED,
                                         ROLLOUT_TAG_TARGET};

/* A fresh read of the group's rollout state and lease: DescribeTags of
 * these keys only, a few hundred bytes, where DescribeAutoScalingGroups
 * answers with every instance of the group (hundreds of KB at 1,000). */
static int read_state(struct engine *e, struct rollout_state *st, struct err *err)
{
    struct asg_group g;
    memset(&g, 0, sizeof(g));
    memset(st, 0, sizeof(*st));
    if (e->ops->describe_group_tags(e->ops->ctx, e->cfg->asg_name, state_keys,
                                    sizeof(state_keys) / sizeof(state_keys[0]), &g.tags, &g.n_tags,
                                    err) != 0)
        return -1;
    int rc = rollout_state_parse(&g, st);
    asg_tags_free(g.tags, g.n_tags);
    if (rc != 0) {
        err_set(err, ERR_STATE, "%s", st->problem);
        rollout_state_free(st);
        return -1;
    }
    return 0;
}

/* A read fences only while it is fresh: an answer that took longer than
 * LEASE_FRESH_S to come (the run stopped while it was in flight, SIGSTOP,
 * a frozen VM, a slow network) may predate a takeover that happened
 * meanwhile, so it is read again before anything is written on it. */
#define LEASE_FRESH_TRIES 3

static int read_state_fresh(struct engine *e, struct rollout_state *st, struct err *err)
{
    for (int i = 0; i < LEASE_FRESH_TRIES; i++) {
        double sent = engine_mono_s(e);
        if (read_state(e, st, err) != 0)
            return -1;
        if (engine_mono_s(e) - sent <= LEASE_FRESH_S)
            return 0;
        rollout_state_free(st);
    }
    return err_set(err, ERR_TIMEOUT,
                   "the rollout lease of group %s could not be read within %.0f s (%d tries); "
                   "nothing was written on an answer that old",
                   e->cfg->asg_name, LEASE_FRESH_S, LEASE_FRESH_TRIES);
}

static int is_ours(const struct engine *e, const struct rollout_state *st)
{
    return st->has_lease && st->lease.token && strcmp(st->lease.token, e->token) == 0;
}

/* Another rollout holds the group now: this run writes nothing more, not
 * even to release a lease that is no longer its own. */
static int lost(struct engine *e, const struct rollout_state *st, struct err *err)
{
    e->lost_lease = 1;
    e->holds_lease = 0;
    if (st->has_lease)
        return err_set(err, ERR_STATE,
                       "another rollout took over group %s (its lease is held by %s, pid %ld); "
                       "this run stopped without writing anything more",
                       e->cfg->asg_name, st->lease.host, st->lease.pid);
    return err_set(err, ERR_STATE,
                   "another rollout took over group %s (this run's lease is gone%s); this run "
                   "stopped without writing anything more",
                   e->cfg->asg_name,
                   st->in_progress ? ""
                                   : " and the rollout state tags disappeared with it: the "
                                     "rollout was finished or cancelled");
}

static int busy(struct engine *e, const struct rollout_state *st, struct err *err)
{
    e->busy = 1;
    return err_set(err, ERR_STATE,
                   "another rollout of group %s started at the same time (lease held by %s)",
                   e->cfg->asg_name, st->has_lease ? st->lease.host : "nobody");
}

/* Whether a lease in st, not ours, may be taken now: free, run out by
 * AWS's clock, or its process gone from this machine. */
static int may_take(struct engine *e, const struct rollout_state *st, struct err *err)
{
    double earliest, latest;
    aws_now(e, &earliest, &latest);
    long long now = (long long)floor(earliest);
    enum lease_verdict v = rollout_lease_check(st, e->host, e->token, now, pid_alive);
    if (v == LEASE_HELD) {
        e->busy = 1;
        err_set(err, ERR_STATE,
                "another rollout of group %s is running (lease held by %s, pid %ld, for %llds "
                "more by AWS's clock); if it died, its lease expires by itself",
                e->cfg->asg_name, st->lease.host, st->lease.pid, st->lease.expires - now);
        return 0;
    }
    if (v == LEASE_EXPIRED || v == LEASE_OWNER_DEAD)
        emitf(e, EV_INFO, "taking over the rollout of %s from %s (pid %ld, %s)", e->cfg->asg_name,
              st->lease.host, st->lease.pid, v == LEASE_EXPIRED ? "lease expired" : "process gone");
    return 1;
}

int lease_settle(struct engine *e, struct err *err)
{
    engine_pause(e, LEASE_SETTLE_S);
    if (engine_stop_requested(e))
        return err_set(err, ERR_INTERRUPTED,
                       "stopped on request; run the same command again to resume");
    struct rollout_state st;
    if (read_state_fresh(e, &st, err) != 0)
        return -1;
    int ours = is_ours(e, &st);
    if (!ours) {
        e->holds_lease = 0;
        busy(e, &st, err);
    }
    rollout_state_free(&st);
    return ours ? 0 : -1;
}

/* An ordinary write: the lease is ours. Renewed when due, after this very
 * read (never blindly); a renewal after the lease may have run out is read
 * back like a new claim, as another run may be taking it at this moment. */
static int check_ours(struct engine *e, struct err *err)
{
    struct rollout_state st;
    if (read_state_fresh(e, &st, err) != 0)
        return -1;
    int ours = is_ours(e, &st);
    if (!ours)
        lost(e, &st, err);
    rollout_state_free(&st);
    if (!ours)
        return -1;
    double age = engine_mono_s(e) - e->lease_sent_at;
    if (age < ROLLOUT_LEASE_RENEW_SECONDS)
        return 0;
    if (act_renew_lease(e, err) != 0)
        return -1;
    if (age < ROLLOUT_LEASE_SECONDS - LEASE_MARGIN_S || lease_settle(e, err) == 0)
        return 0;
    if (e->busy) {
        e->busy = 0;
        e->lost_lease = 1;
        err_set(err, ERR_STATE,
                "another rollout took over group %s while this run was held up past its lease; "
                "this run stopped without writing anything more",
                e->cfg->asg_name);
    }
    return -1;
}

int lease_check(struct engine *e, enum lease_need need, struct err *err)
{
    if (e->lost_lease)
        return err_set(err, ERR_STATE,
                       "another rollout took over group %s; this run writes nothing more",
                       e->cfg->asg_name);
    if (need == LEASE_NEED_OURS)
        return check_ours(e, err);
    if (need == LEASE_NEED_RELEASE && !e->lease_written)
        return 1;
    struct rollout_state st;
    if (read_state_fresh(e, &st, err) != 0)
        return -1;
    int rc = 0;
    if (need == LEASE_NEED_RELEASE) {
        rc = is_ours(e, &st) ? 0 : 1;
        if (rc == 1)
            e->holds_lease = e->lease_written = 0;
    } else if (need == LEASE_NEED_BEGIN) {
        /* Another run began since our snapshot: its state is the truth. */
        if (st.in_progress || (st.has_lease && !is_ours(e, &st) && !may_take(e, &st, err)))
            rc = busy(e, &st, err);
    } else if (!is_ours(e, &st) && !may_take(e, &st, err)) {
        rc = -1;
    }
    rollout_state_free(&st);
    return rc;
}

enum rollout_result lease_failure(const struct engine *e, const struct err *err)
{
    if (e->busy || e->lost_lease)
        return ROLLOUT_BUSY;
    return err->kind == ERR_INTERRUPTED ? ROLLOUT_INTERRUPTED : ROLLOUT_ERROR;
}

enum rollout_result lease_claim(struct engine *e, struct err *err)
{
    if (act_take_lease(e, err) != 0 || lease_settle(e, err) != 0)
        return lease_failure(e, err);
    return ROLLOUT_DONE;
}

int lease_still_ours(struct engine *e, const struct rollout_state *st, struct err *err)
{
    if (is_ours(e, st))
        return 1;
    lost(e, st, err);
    return 0;
}

int lease_keep(struct engine *e, struct err *err)
{
    if (!e->holds_lease || engine_mono_s(e) - e->lease_sent_at < ROLLOUT_LEASE_RENEW_SECONDS)
        return 0;
    struct err lerr;
    if (check_ours(e, &lerr) == 0)
        return 0;
    if (e->lost_lease) {
        *err = lerr;
        return -1;
    }
    emit_err(e, EV_WARNING, "could not renew the lease", &lerr);
    return 0;
}

void lease_release(struct engine *e)
{
    if (!e->lease_written || e->lost_lease)
        return;
    struct err err;
    if (act_release_lease(e, &err) < 0) {
        char what[128];
        snprintf(what, sizeof(what),
                 "could not release the rollout lease (it expires by itself in %ds)",
                 ROLLOUT_LEASE_SECONDS);
        emit_err(e, EV_WARNING, what, &err);
    }
    e->holds_lease = e->lease_written = 0;
}
