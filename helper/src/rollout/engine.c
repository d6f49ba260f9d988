/* The rollout loop: observe, decide, act, repeat. Decisions are in
 * decide.c; this file only performs them, keeps time, holds the lease and
 * reports what happens. */
#include "rollout/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rollout/observe.h"
#include "rollout/preflight.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"

/* How long AWS may keep failing (throttling, 5xx, network) before the
 * rollout gives up and rolls back. Each failed poll has already been
 * retried by the client. */
#define TRANSIENT_GRACE_S 180

/* After writing a lease that was free, how long to wait before reading it
 * back: a run that read it free just before our write lands its own write
 * within a round trip, and the last writer wins. */
#define LEASE_SETTLE_S 1.0
/* Slack for the local elapsed clock against AWS's (rates, Date's whole
 * seconds): a lease this close to its end may be taken by another run. */
#define LEASE_MARGIN_S 5.0

const char *rollout_result_name(enum rollout_result r)
{
    switch (r) {
    case ROLLOUT_DONE:
        return "done";
    case ROLLOUT_NOTHING_TO_DO:
        return "nothing-to-do";
    case ROLLOUT_ROLLED_BACK:
        return "rolled-back";
    case ROLLOUT_REFUSED:
        return "refused";
    case ROLLOUT_INTERRUPTED:
        return "interrupted";
    case ROLLOUT_BUSY:
        return "busy";
    case ROLLOUT_STUCK:
        return "stuck";
    case ROLLOUT_ERROR:
        return "error";
    }
    return "?";
}

struct engine {
    struct aws_client *c;
    const struct rollout_config *cfg;
    struct observer ob;
    struct rollout_summary *sum;
    double t0;
    const char *phase;
    char host[128];
    char token[40];
    double lease_sent_at; /* clock_elapsed_s() when our latest lease write was sent */
    int lease_written;    /* we wrote a lease: it may be on the group */
    int holds_lease;      /* our lease is on the group, as far as we know */
    int lost_lease;       /* another rollout took over: write nothing more */
    int busy;             /* the lease could not be taken: another rollout runs */
    int rollback;
    char failure[1024]; /* why the rollout is rolling back */
    char last_wait[512];
    struct strv initial; /* instance ids at start */
    struct strv launched;
    double first_change; /* when the first instance was launched, for the estimate */
    int batch;           /* the batch size in effect */
    int outdated_at_start;
};

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void emit(struct engine *e, enum rollout_event_kind kind, const char *action,
                 const char *message, const struct strv *ids,
                 const struct rollout_progress *progress)
{
    if (!e->cfg->on_event)
        return;
    struct rollout_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.time = now_s();
    ev.phase = e->phase;
    ev.action = action;
    ev.message = message;
    ev.ids = ids;
    ev.progress = progress;
    ev.summary = kind == EV_DONE ? e->sum : NULL;
    e->cfg->on_event(&ev, e->cfg->userdata);
}

static void emitf(struct engine *e, enum rollout_event_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emitf(struct engine *e, enum rollout_event_kind kind, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emit(e, kind, NULL, msg, NULL, NULL);
}

static int stop_requested(const struct engine *e)
{
    return e->cfg->stop && *e->cfg->stop;
}

/* Sleeps in short slices so a stop request is seen quickly. */
static void pause_for(const struct engine *e, double seconds)
{
    double until = now_s() + seconds;
    while (!stop_requested(e)) {
        double left = until - now_s();
        if (left <= 0)
            break;
        if (left > 0.1)
            left = 0.1;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* ---- identity and lease ---- */

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

static void make_identity(struct engine *e)
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
            (unsigned long long)now_s() * 2654435761u ^ (unsigned long long)getpid();
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

/* AWS's time now (the Date of its answers, carried forward on the local
 * elapsed clock), within bounds; the local wall clock only when no answer
 * has told it yet. */
static void aws_now(const struct engine *e, double *earliest, double *latest)
{
    if (aws_client_aws_time(e->c, clock_elapsed_s(), earliest, latest) != 0)
        *earliest = *latest = now_s();
}

/* This process's lease. It lasts ROLLOUT_LEASE_SECONDS of AWS's time from
 * the latest AWS's clock can be now, so on the local elapsed clock it lasts
 * at least that long from the moment its write is sent. */
static void my_lease(const struct engine *e, struct rollout_lease *l)
{
    double earliest, latest;
    aws_now(e, &earliest, &latest);
    l->host = (char *)e->host;
    l->pid = (long)getpid();
    l->token = (char *)e->token;
    l->expires = (long long)ceil(latest) + ROLLOUT_LEASE_SECONDS;
}

/* A fresh read of the group's rollout state and lease. */
static int read_state(struct engine *e, struct rollout_state *st, struct err *err)
{
    struct asg_group g;
    memset(st, 0, sizeof(*st));
    if (asg_describe_group(e->c, e->cfg->asg_name, &g, err) != 0)
        return -1;
    int rc = rollout_state_parse(&g, st);
    asg_group_free(&g);
    if (rc != 0) {
        err_set(err, ERR_STATE, "%s", st->problem);
        rollout_state_free(st);
        return -1;
    }
    return 0;
}

static int is_ours(const struct engine *e, const struct rollout_state *st)
{
    return st->has_lease && st->lease.token && strcmp(st->lease.token, e->token) == 0;
}

/* Another rollout holds the group now: this run writes nothing more, not
 * even to release a lease that is no longer its own. */
static int lease_lost(struct engine *e, const struct rollout_state *st, struct err *err)
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
                   st->in_progress ? "" : ", and so is the rollout's state: it was finished");
}

/* Writes our lease. Callers have just read the lease: free, expired, ours. */
static int put_lease(struct engine *e, struct err *err)
{
    struct rollout_lease l;
    my_lease(e, &l);
    struct asg_tag tag;
    rollout_lease_tag(&l, &tag);
    double sent = clock_elapsed_s();
    e->lease_written = 1;
    int rc = asg_put_tags(e->c, e->cfg->asg_name, &tag, 1, err);
    free(tag.key);
    free(tag.value);
    if (rc == 0) {
        e->lease_sent_at = sent;
        e->holds_lease = 1;
    }
    return rc;
}

/* After taking a lease: wait out the writes of runs that read it free at
 * the same time, then read it back; the last writer holds it. */
static int settle_and_confirm(struct engine *e, struct err *err)
{
    pause_for(e, LEASE_SETTLE_S);
    if (stop_requested(e))
        return err_set(err, ERR_INTERRUPTED,
                       "stopped on request; run the same command again to resume");
    struct rollout_state st;
    if (read_state(e, &st, err) != 0)
        return -1;
    int ours = is_ours(e, &st);
    if (!ours) {
        e->holds_lease = 0;
        e->busy = 1;
        err_set(err, ERR_STATE,
                "another rollout of group %s started at the same time (lease held by %s)",
                e->cfg->asg_name, st.has_lease ? st.lease.host : "nobody");
    }
    rollout_state_free(&st);
    return ours ? 0 : -1;
}

/* The fencing check, immediately before every write the rollout makes but
 * the lease's own: a fresh read of the lease, never a renewal on trust.
 * Not ours: another rollout took over (e->lost_lease). Ours: renewed when
 * due; a renewal after the lease may have run out is confirmed like a new
 * claim, as another run may be taking it at this moment. */
static int fence(struct engine *e, struct err *err)
{
    if (e->lost_lease)
        return err_set(err, ERR_STATE, "another rollout took over group %s", e->cfg->asg_name);
    struct rollout_state st;
    if (read_state(e, &st, err) != 0)
        return -1;
    int ours = is_ours(e, &st);
    if (!ours)
        lease_lost(e, &st, err);
    rollout_state_free(&st);
    if (!ours)
        return -1;
    double age = clock_elapsed_s() - e->lease_sent_at;
    if (age < ROLLOUT_LEASE_RENEW_SECONDS)
        return 0;
    if (put_lease(e, err) != 0)
        return -1;
    if (age < ROLLOUT_LEASE_SECONDS - LEASE_MARGIN_S)
        return 0;
    if (settle_and_confirm(e, err) == 0)
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

/* Renews the lease when due (through the fence). A failure to reach AWS
 * is a warning: the lease lasts a while. -1 only when the lease is lost. */
static int keep_lease(struct engine *e, struct err *err)
{
    if (!e->holds_lease || clock_elapsed_s() - e->lease_sent_at < ROLLOUT_LEASE_RENEW_SECONDS)
        return 0;
    struct err lerr;
    if (fence(e, &lerr) == 0)
        return 0;
    if (e->lost_lease) {
        *err = lerr;
        return -1;
    }
    struct buf b = BUF_INIT;
    err_format(&lerr, &b);
    emitf(e, EV_WARNING, "could not renew the lease: %s", buf_cstr(&b));
    buf_free(&b);
    return 0;
}

/* Deletes our lease on the way out, after reading that it is still ours. */
static void release_lease(struct engine *e)
{
    if (!e->lease_written || e->lost_lease)
        return;
    struct err err;
    struct rollout_state st;
    int rc = read_state(e, &st, &err);
    if (rc == 0) {
        int ours = is_ours(e, &st);
        rollout_state_free(&st);
        if (!ours) {
            e->holds_lease = e->lease_written = 0;
            return;
        }
        const char *key = ROLLOUT_TAG_LEASE;
        rc = asg_delete_tags(e->c, e->cfg->asg_name, &key, 1, &err);
    }
    if (rc != 0) {
        struct buf b = BUF_INIT;
        err_format(&err, &b);
        emitf(e, EV_WARNING,
              "could not release the rollout lease (it expires by itself in %ds): %s",
              ROLLOUT_LEASE_SECONDS, buf_cstr(&b));
        buf_free(&b);
    }
    e->holds_lease = e->lease_written = 0;
}

/* ---- actions ---- */

/* Every write below but the lease's own goes through the fence first. */
#define FENCED(e, err, call) (fence((e), (err)) != 0 ? -1 : (call))

static void set_phase(struct engine *e, const char *phase)
{
    e->phase = phase;
}

/* Records the rollout's state and takes the lease, if no other run began
 * since the snapshot: the check is a fresh read right before the write. */
static int begin(struct engine *e, const struct rollout_snapshot *s, struct err *err)
{
    const struct asg_group *g = &s->group;
    struct rollout_state st;
    if (read_state(e, &st, err) != 0)
        return -1;
    double earliest, latest;
    aws_now(e, &earliest, &latest);
    if (st.in_progress || (st.has_lease && st.lease.expires > (long long)floor(earliest))) {
        e->busy = 1;
        err_set(err, ERR_STATE,
                "another rollout of group %s started at the same time (lease held by %s)", g->name,
                st.has_lease ? st.lease.host : "nobody");
        rollout_state_free(&st);
        return -1;
    }
    rollout_state_free(&st);
    memset(&st, 0, sizeof(st));
    st.in_progress = 1;
    st.min_size = g->min_size;
    st.max_size = g->max_size;
    st.desired_capacity = g->desired_capacity;
    for (size_t i = 0; i < rollout_n_processes_to_suspend; i++)
        if (!strv_contains(&g->suspended_processes, rollout_processes_to_suspend[i]))
            strv_push(&st.suspended_by_us, rollout_processes_to_suspend[i]);
    st.started = s->now;
    char target[256];
    if (s->target.launch_configuration)
        snprintf(target, sizeof(target), "lc/%s", s->target.launch_configuration);
    else
        snprintf(target, sizeof(target), "%s/%ld",
                 s->target.launch_template_id ? s->target.launch_template_id
                                              : s->target.launch_template_name,
                 s->target.launch_template_version);
    st.target = target;
    st.has_lease = 1;
    my_lease(e, &st.lease);
    struct asg_tag *tags;
    size_t n;
    rollout_state_tags(&st, 1, &tags, &n);
    st.target = NULL;
    st.lease.host = st.lease.token = NULL;
    double sent = clock_elapsed_s();
    e->lease_written = 1;
    int rc = asg_put_tags(e->c, g->name, tags, n, err);
    rollout_tags_free(tags, n);
    rollout_state_free(&st);
    if (rc != 0)
        return -1;
    e->holds_lease = 1;
    e->lease_sent_at = sent;
    return settle_and_confirm(e, err);
}

static int finish(struct engine *e, const struct rollout_snapshot *s, struct err *err)
{
    const struct rollout_state *st = &s->state;
    const struct asg_group *g = &s->group;
    /* Only what differs is written back (a rollout that never raised
     * MaxSize needs no UpdateAutoScalingGroup at all). */
    if (g->min_size != st->min_size || g->max_size != st->max_size ||
        g->desired_capacity != st->desired_capacity) {
        struct asg_size_update u = {st->min_size, st->max_size, st->desired_capacity};
        if (FENCED(e, err, asg_update_group_size(e->c, g->name, &u, err)) != 0)
            return -1;
    }
    struct strv resume = STRV_INIT;
    for (size_t i = 0; i < st->suspended_by_us.n; i++)
        if (strv_contains(&g->suspended_processes, st->suspended_by_us.v[i]))
            strv_push(&resume, st->suspended_by_us.v[i]);
    int rrc = resume.n ? FENCED(e, err,
                                asg_resume_processes(e->c, g->name, (const char *const *)resume.v,
                                                     resume.n, err))
                       : 0;
    strv_free(&resume);
    if (rrc != 0)
        return -1;
    struct strv keys = STRV_INIT;
    rollout_state_tag_keys(&s->group, &keys);
    int rc =
        keys.n
            ? FENCED(e, err,
                     asg_delete_tags(e->c, s->group.name, (const char *const *)keys.v, keys.n, err))
            : 0;
    strv_free(&keys);
    if (rc == 0)
        e->holds_lease = e->lease_written = 0;
    return rc;
}

/* Adds process names to the ecs-rollout:suspended tag (processes the end
 * of the rollout resumes). */
static int record_suspended(struct engine *e, const struct rollout_snapshot *s,
                            const struct strv *names, struct err *err)
{
    struct strv all = STRV_INIT;
    for (size_t i = 0; i < s->state.suspended_by_us.n; i++)
        strv_push(&all, s->state.suspended_by_us.v[i]);
    size_t before = all.n;
    for (size_t i = 0; i < names->n; i++)
        if (!strv_contains(&all, names->v[i]))
            strv_push(&all, names->v[i]);
    int rc = 0;
    if (all.n != before) {
        struct asg_tag tag;
        rollout_suspended_tag(&all, &tag);
        rc = FENCED(e, err, asg_put_tags(e->c, s->group.name, &tag, 1, err));
        free(tag.key);
        free(tag.value);
    }
    strv_free(&all);
    return rc;
}

static int set_state(struct engine *e, const struct rollout_snapshot *s, const struct strv *ids,
                     const char *status, struct err *err)
{
    struct strv arns = STRV_INIT;
    for (size_t i = 0; i < ids->n; i++) {
        const char *arn = snapshot_ci_arn(s, ids->v[i]);
        if (arn)
            strv_push(&arns, arn);
    }
    int rc = arns.n ? FENCED(e, err,
                             ecs_update_container_instances_state(e->c, e->cfg->cluster_name,
                                                                  (const char *const *)arns.v,
                                                                  arns.n, status, err))
                    : 0;
    strv_free(&arns);
    return rc;
}

static int tasks_on(const struct rollout_snapshot *s, const char *instance_id)
{
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ec2_instance_id && strcmp(s->cis[i].ec2_instance_id, instance_id) == 0)
            return s->cis[i].running_tasks_count + s->cis[i].pending_tasks_count;
    return 0;
}

static int perform(struct engine *e, const struct rollout_snapshot *s,
                   const struct rollout_decision *d, struct err *err)
{
    const char *group = s->group.name;
    switch (d->action) {
    case ACT_SUSPEND:
        return FENCED(
            e, err,
            asg_suspend_processes(e->c, group, (const char *const *)d->ids.v, d->ids.n, err));
    case ACT_RAISE_MAX: {
        struct asg_size_update u = {-1, d->number, -1};
        return FENCED(e, err, asg_update_group_size(e->c, group, &u, err));
    }
    case ACT_SET_DESIRED:
        if (!e->rollback) {
            set_phase(e, "scale-out");
            if (e->first_change == 0)
                e->first_change = now_s();
        }
        return FENCED(e, err, asg_set_desired_capacity(e->c, group, d->number, err));
    case ACT_DRAIN:
        if (!e->rollback)
            set_phase(e, "drain");
        for (size_t i = 0; i < d->ids.n; i++)
            e->sum->tasks_moved += tasks_on(s, d->ids.v[i]);
        return set_state(e, s, &d->ids, "DRAINING", err);
    case ACT_ACTIVATE:
        return set_state(e, s, &d->ids, "ACTIVE", err);
    case ACT_STOP_TASKS:
        for (size_t i = 0; i < d->ids.n; i++) {
            if (FENCED(e, err,
                       ecs_stop_task(e->c, e->cfg->cluster_name, d->ids.v[i],
                                     "ecs-rollout: instance replaced", err)) != 0)
                return -1;
            e->sum->tasks_stopped++;
        }
        return 0;
    case ACT_TERMINATE: {
        if (!e->rollback)
            set_phase(e, "terminate");
        /* A failure is retried from a fresh look: the instances already
         * terminating are no longer candidates then. */
        return FENCED(
            e, err,
            asg_terminate_instances(e->c, (const char *const *)d->ids.v, d->ids.n, 1, NULL, err));
    }
    case ACT_FINISH:
        set_phase(e, "finish");
        return finish(e, s, err);
    case ACT_HOLD_LAUNCHES:
        /* Recorded first: a rollout killed right after the suspension
         * still resumes Launch at its end. */
        if (record_suspended(e, s, &d->ids, err) != 0)
            return -1;
        return FENCED(
            e, err,
            asg_suspend_processes(e->c, group, (const char *const *)d->ids.v, d->ids.n, err));
    case ACT_RESUME:
        return FENCED(
            e, err,
            asg_resume_processes(e->c, group, (const char *const *)d->ids.v, d->ids.n, err));
    case ACT_WAIT:
    case ACT_NOTHING_TO_DO:
    case ACT_BEGIN:
    case ACT_FAIL:
        break;
    }
    return 0;
}

/* Applies the effect of a group-level write to the snapshot, for the writes
 * whose effect is exactly known and changes no instance. */
static int apply_to_snapshot(struct rollout_snapshot *s, const struct rollout_decision *d)
{
    switch (d->action) {
    case ACT_SUSPEND:
        for (size_t i = 0; i < d->ids.n; i++)
            if (!strv_contains(&s->group.suspended_processes, d->ids.v[i]))
                strv_push(&s->group.suspended_processes, d->ids.v[i]);
        return 1;
    case ACT_RAISE_MAX:
        s->group.max_size = d->number;
        return 1;
    default:
        return 0;
    }
}

/* A rollout that ends without finishing its rollback leaves nothing
 * DRAINING: the group's drained instances in snapshot `s` go back to
 * serving (best effort; the state stays on the group and the next run
 * picks up from there). */
static void reactivate_draining(struct engine *e, const struct rollout_snapshot *s)
{
    struct err err;
    struct strv ids = STRV_INIT;
    for (size_t i = 0; i < s->n_cis; i++)
        if (s->cis[i].ec2_instance_id && s->cis[i].status &&
            strcmp(s->cis[i].status, "DRAINING") == 0)
            strv_push(&ids, s->cis[i].ec2_instance_id);
    if (ids.n) {
        if (set_state(e, s, &ids, "ACTIVE", &err) == 0) {
            emit(e, EV_ACTION, rollout_action_name(ACT_ACTIVATE),
                 "returning the instance(s) left DRAINING to service", &ids, NULL);
        } else {
            struct buf b = BUF_INIT;
            err_format(&err, &b);
            emitf(e, EV_WARNING, "could not return %zu instance(s) left DRAINING to service: %s",
                  ids.n, buf_cstr(&b));
            buf_free(&b);
        }
    }
    strv_free(&ids);
}

/* The same when the last poll failed: observe afresh first. */
static void return_to_service(struct engine *e)
{
    struct rollout_snapshot s;
    struct err err;
    /* Only what is needed: a missing permission to list tasks must not
     * keep instances DRAINING. */
    if (observe_instances(&e->ob, (long long)time(NULL), &s, &err) != 0) {
        struct buf b = BUF_INIT;
        err_format(&err, &b);
        emitf(e, EV_WARNING, "could not check for instances left DRAINING: %s", buf_cstr(&b));
        buf_free(&b);
        return;
    }
    reactivate_draining(e, &s);
    rollout_snapshot_free(&s);
}

/* ---- progress ---- */

static void progress(struct engine *e, const struct rollout_snapshot *s,
                     const struct rollout_assessment *a, struct rollout_progress *p)
{
    memset(p, 0, sizeof(*p));
    /* Replaced: instances of the start that are no longer members. */
    int still = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].phase != PHASE_LEAVING && strv_contains(&e->initial, a->v[i].asg->instance_id))
            still++;
    e->sum->replaced = (int)e->initial.n - still;
    p->members = a->members;
    p->current = a->current;
    p->outdated = a->outdated;
    p->draining = a->old_draining + a->new_draining;
    p->new_ready = a->new_ready;
    p->new_not_ready = a->new_not_ready;
    p->leaving = a->leaving;
    p->tasks_to_move = a->tasks_to_move;
    p->desired_capacity = s->group.desired_capacity;
    p->original_desired =
        s->state.in_progress ? s->state.desired_capacity : s->group.desired_capacity;
    p->elapsed_s = now_s() - e->t0;
    p->services = s->services;
    p->n_services = s->n_services;
    int batch = rollout_batch_size(&e->cfg->options, p->original_desired,
                                   s->state.in_progress ? s->state.max_size : s->group.max_size);
    if (batch < 1)
        batch = 1;
    int total = e->outdated_at_start > 0 ? e->outdated_at_start : a->outdated;
    p->n_batches = (total + batch - 1) / batch;
    e->batch = batch;
    p->batch = (e->sum->replaced + batch - 1) / batch;
    p->eta_s = -1;
    if (e->sum->replaced > 0 && !e->rollback && e->first_change > 0) {
        /* The pace so far, applied to what is left. */
        double per_instance = (now_s() - e->first_change) / e->sum->replaced;
        p->eta_s = per_instance * a->outdated;
    }
    for (size_t i = 0; i < s->group.n_instances; i++) {
        const char *id = s->group.instances[i].instance_id;
        if (!strv_contains(&e->initial, id) && !strv_contains(&e->launched, id))
            strv_push(&e->launched, id);
    }
}

/* A compact fingerprint of what changed, to adapt the polling interval. */
static unsigned long fingerprint(const struct rollout_snapshot *s,
                                 const struct rollout_assessment *a)
{
    unsigned long h = 5381;
    int vals[] = {
        a->members,      a->active,  a->new_ready,     a->new_not_ready,          a->old_draining,
        a->new_draining, a->leaving, a->tasks_to_move, s->group.desired_capacity, (int)s->n_drains};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        h = h * 33 + (unsigned long)vals[i];
    for (size_t i = 0; i < s->n_drains; i++)
        h = h * 33 + (unsigned long)(s->drains[i].empty + 2 * s->drains[i].known);
    return h;
}

static int is_transient(const struct err *err)
{
    return aws_error_is_retryable(err) || err->kind == ERR_NETWORK || err->kind == ERR_TIMEOUT ||
           err->kind == ERR_PROTOCOL;
}

/* Fills the summary and sends the final event. */
static enum rollout_result conclude(struct engine *e, enum rollout_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum rollout_result conclude(struct engine *e, enum rollout_result r, const char *fmt, ...)
{
    struct rollout_summary *sum = e->sum;
    sum->result = r;
    sum->elapsed_s = now_s() - e->t0;
    sum->launched = (int)e->launched.n;
    sum->batches = e->batch > 0 ? (sum->replaced + e->batch - 1) / e->batch : 0;
    sum->aws_calls = e->c->stats.calls;
    sum->aws_attempts = e->c->stats.attempts;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sum->message, sizeof(sum->message), fmt, ap);
    va_end(ap);
    set_phase(e, rollout_result_name(r));
    emit(e, EV_DONE, NULL, sum->message, NULL, NULL);
    return r;
}

/* What a failed lease step means for the run. */
static enum rollout_result lease_failure(const struct engine *e, const struct err *err)
{
    if (e->busy || e->lost_lease)
        return ROLLOUT_BUSY;
    return err->kind == ERR_INTERRUPTED ? ROLLOUT_INTERRUPTED : ROLLOUT_ERROR;
}

/* Takes the lease of a rollout in progress, or reports who holds it. The
 * lease is judged on a fresh read, against AWS's clock. */
static enum rollout_result claim(struct engine *e, struct err *err)
{
    struct rollout_state st;
    if (read_state(e, &st, err) != 0)
        return lease_failure(e, err);
    double earliest, latest;
    aws_now(e, &earliest, &latest);
    long long now = (long long)floor(earliest);
    enum lease_verdict v = rollout_lease_check(&st, e->host, e->token, now, pid_alive);
    if (v == LEASE_HELD) {
        e->busy = 1;
        err_set(err, ERR_STATE,
                "another rollout of group %s is running (lease held by %s, pid %ld, for %llds "
                "more by AWS's clock); if it died, its lease expires by itself",
                e->cfg->asg_name, st.lease.host, st.lease.pid, st.lease.expires - now);
        rollout_state_free(&st);
        return ROLLOUT_BUSY;
    }
    if (v == LEASE_EXPIRED || v == LEASE_OWNER_DEAD)
        emitf(e, EV_INFO, "taking over the rollout of %s from %s (pid %ld, %s)", e->cfg->asg_name,
              st.lease.host, st.lease.pid, v == LEASE_EXPIRED ? "lease expired" : "process gone");
    rollout_state_free(&st);
    if (put_lease(e, err) != 0 || settle_and_confirm(e, err) != 0)
        return lease_failure(e, err);
    return ROLLOUT_DONE;
}

static enum rollout_result start(struct engine *e, struct err *err)
{
    struct rollout_snapshot s;
    struct rollout_assessment a;
    struct rollout_decision d;
    set_phase(e, "preflight");
    if (observe(&e->ob, (long long)time(NULL), &s, err) != 0)
        return err->kind == ERR_STATE         ? ROLLOUT_REFUSED
               : err->kind == ERR_INTERRUPTED ? ROLLOUT_INTERRUPTED
                                              : ROLLOUT_ERROR;
    rollout_assess(&s, &e->cfg->options, &a);
    for (size_t i = 0; i < a.n; i++)
        if (a.v[i].phase != PHASE_LEAVING && a.v[i].phase != PHASE_IGNORED)
            strv_push(&e->initial, a.v[i].asg->instance_id);
    e->outdated_at_start = a.outdated;
    rollout_decide(&s, &a, &e->cfg->options, NULL, &d);
    enum rollout_result r = ROLLOUT_DONE;

    if (d.action == ACT_NOTHING_TO_DO) {
        r = ROLLOUT_NOTHING_TO_DO;
        snprintf(e->failure, sizeof(e->failure), "%s", d.message);
    } else if (d.action == ACT_BEGIN) {
        struct strv problems = STRV_INIT, warnings = STRV_INIT;
        if (rollout_preflight(e->c, e->cfg, &s, &a, &problems, &warnings, err) != 0) {
            r = err->kind == ERR_INTERRUPTED ? ROLLOUT_INTERRUPTED : ROLLOUT_ERROR;
        } else {
            for (size_t i = 0; i < warnings.n; i++)
                emit(e, EV_WARNING, NULL, warnings.v[i], NULL, NULL);
            if (problems.n) {
                for (size_t i = 0; i < problems.n; i++)
                    emit(e, EV_ERROR, NULL, problems.v[i], NULL, NULL);
                err_set(err, ERR_STATE, "pre-flight refused the rollout: %s%s", problems.v[0],
                        problems.n > 1 ? " (and more, see above)" : "");
                r = ROLLOUT_REFUSED;
            } else {
                char t[256];
                rollout_target_describe(&s.target, t, sizeof(t));
                emitf(e, EV_START, "rolling out %s to group %s in cluster %s: %s", t, s.group.name,
                      e->cfg->cluster_name, d.message);
                if (begin(e, &s, err) != 0)
                    r = lease_failure(e, err);
            }
        }
        strv_free(&problems);
        strv_free(&warnings);
    } else {
        r = claim(e, err);
        if (r == ROLLOUT_DONE)
            emitf(e, EV_START,
                  "resuming the rollout of group %s started %llds ago (%d of %d instance(s) out of "
                  "date)",
                  s.group.name, s.now - s.state.started, a.outdated, a.members);
    }
    rollout_decision_free(&d);
    rollout_assessment_free(&a);
    rollout_snapshot_free(&s);
    return r;
}

enum rollout_result rollout_run(struct aws_client *c, const struct rollout_config *cfg,
                                struct rollout_summary *sum, struct err *err)
{
    struct engine e;
    memset(&e, 0, sizeof(e));
    memset(sum, 0, sizeof(*sum));
    err_clear(err);
    e.c = c;
    e.cfg = cfg;
    e.sum = sum;
    e.t0 = now_s();
    make_identity(&e);
    observer_init(&e.ob, c, cfg->asg_name, cfg->cluster_name, &cfg->options);
    const double poll_min = cfg->poll_min_s > 0 ? cfg->poll_min_s : 1.0;
    const double poll_max = cfg->poll_max_s > 0 ? cfg->poll_max_s : 3.0;

    enum rollout_result r = start(&e, err);
    if (r != ROLLOUT_DONE) {
        /* A lease this run may have written (an answer cut short by a stop
         * request, say) must not hold the next run up. */
        release_lease(&e);
        if (r == ROLLOUT_INTERRUPTED)
            r = conclude(&e, r,
                         "stopped on request before the rollout made any change; run the "
                         "same command again to start it");
        else if (r == ROLLOUT_NOTHING_TO_DO)
            r = conclude(&e, r, "nothing to do: %s", e.failure);
        else {
            struct buf b = BUF_INIT;
            err_format(err, &b);
            r = conclude(&e, r, "%s", buf_cstr(&b));
            buf_free(&b);
        }
        goto out;
    }

    struct rollout_timers timers = {WAIT_NONE, 0, 0};
    double interval = poll_min;
    unsigned long last_print = 0;
    double transient_since = 0;
    for (;;) {
        if (stop_requested(&e)) {
            release_lease(&e);
            err_set(err, ERR_INTERRUPTED,
                    "stopped on request; run the same command again to resume");
            r = conclude(&e, ROLLOUT_INTERRUPTED, "%s", err->message);
            goto out;
        }
        long long now = (long long)time(NULL);
        if (keep_lease(&e, err) != 0) {
            r = conclude(&e, ROLLOUT_BUSY, "%s", err->message);
            goto out;
        }

        struct rollout_snapshot s;
        struct rollout_assessment a;
        struct rollout_decision d;
        struct err step_err;
        err_clear(&step_err);
        if (observe(&e.ob, now, &s, &step_err) != 0)
            goto step_failed;
        rollout_assess(&s, &cfg->options, &a);
        if (!is_ours(&e, &s.state)) {
            /* Every poll reads the lease too: a run held up (a machine that
             * slept) learns here that another took over, before any write. */
            lease_lost(&e, &s.state, err);
            rollout_assessment_free(&a);
            rollout_snapshot_free(&s);
            r = conclude(&e, ROLLOUT_BUSY, "%s", err->message);
            goto out;
        }
        if (!s.state.in_progress) {
            /* The tags vanished under us: someone finished or cancelled it. */
            rollout_assessment_free(&a);
            rollout_snapshot_free(&s);
            err_set(err, ERR_STATE, "the rollout state tags of group %s disappeared while it ran",
                    cfg->asg_name);
            r = conclude(&e, ROLLOUT_STUCK, "%s", err->message);
            goto out;
        }
    redecide:
        if (e.rollback)
            rollout_decide_rollback(&s, &a, &cfg->options, &timers, &d);
        else
            rollout_decide(&s, &a, &cfg->options, &timers, &d);

        struct rollout_progress p;
        progress(&e, &s, &a, &p);
        emit(&e, EV_PROGRESS, NULL, NULL, NULL, &p);

        if (d.action == ACT_WAIT) {
            if (timers.waiting != d.wait) {
                timers.waiting = d.wait;
                timers.since = now;
            }
            if (strcmp(e.last_wait, d.message) != 0) {
                snprintf(e.last_wait, sizeof(e.last_wait), "%s", d.message);
                emit(&e, EV_WAIT, NULL, d.message, NULL, NULL);
            }
            unsigned long fp = fingerprint(&s, &a);
            interval = fp == last_print ? (interval * 1.5 > poll_max ? poll_max : interval * 1.5)
                                        : poll_min;
            last_print = fp;
        } else if (d.action == ACT_FAIL) {
            if (!e.rollback) {
                e.rollback = 1;
                snprintf(e.failure, sizeof(e.failure), "%s", d.message);
                set_phase(&e, "rollback");
                emitf(&e, EV_ERROR, "rollout failed: %s; rolling back", d.message);
                timers.waiting = WAIT_NONE;
            } else {
                err_set(err, ERR_STATE,
                        "the rollback could not finish (%s); the rollout had failed: %s", d.message,
                        e.failure);
                rollout_decision_free(&d);
                reactivate_draining(&e, &s);
                rollout_assessment_free(&a);
                rollout_snapshot_free(&s);
                release_lease(&e);
                r = conclude(&e, ROLLOUT_STUCK,
                             "the cluster is serving; run the same command again to continue "
                             "once the cause is fixed. %s",
                             err->message);
                goto out;
            }
        } else {
            if (e.rollback && e.phase && strcmp(e.phase, "rollback") != 0)
                set_phase(&e, "rollback");
            int rc = perform(&e, &s, &d, &step_err);
            if (rc == 0 && d.evens_zones)
                timers.zone_evenings++;
            if (rc == 0 && apply_to_snapshot(&s, &d)) {
                /* The write's whole effect is known: decide again at once
                 * instead of asking AWS what we just told it. */
                emit(&e, EV_ACTION, rollout_action_name(d.action), d.message, &d.ids, NULL);
                rollout_decision_free(&d);
                goto redecide;
            }
            if (rc == 0) {
                emit(&e, EV_ACTION, rollout_action_name(d.action), d.message, &d.ids, NULL);
                if (d.wait == WAIT_NONE && d.action != ACT_STOP_TASKS && d.action != ACT_ACTIVATE &&
                    d.action != ACT_SUSPEND && d.action != ACT_HOLD_LAUNCHES &&
                    d.action != ACT_RESUME)
                    timers.waiting = WAIT_NONE;
                interval = 0;
            }
            if (rc == 0 && d.action == ACT_FINISH) {
                rollout_decision_free(&d);
                rollout_assessment_free(&a);
                rollout_snapshot_free(&s);
                if (e.rollback) {
                    err_set(err, ERR_STATE, "%s", e.failure);
                    r = conclude(&e, ROLLOUT_ROLLED_BACK, "rollout failed and was rolled back: %s",
                                 e.failure);
                } else {
                    r = conclude(&e, ROLLOUT_DONE,
                                 "replaced %d instance(s) in %d batch(es), %d task(s) moved",
                                 sum->replaced,
                                 e.batch > 0 ? (sum->replaced + e.batch - 1) / e.batch : 0,
                                 sum->tasks_moved);
                }
                goto out;
            }
            if (rc != 0) {
                rollout_decision_free(&d);
                rollout_assessment_free(&a);
                rollout_snapshot_free(&s);
                goto step_failed;
            }
        }
        rollout_decision_free(&d);
        rollout_assessment_free(&a);
        rollout_snapshot_free(&s);
        transient_since = 0;
        if (interval > 0)
            pause_for(&e, interval);
        continue;

    step_failed:
        if (e.lost_lease) {
            *err = step_err;
            r = conclude(&e, ROLLOUT_BUSY, "%s", err->message);
            goto out;
        }
        if (step_err.kind == ERR_INTERRUPTED)
            continue; /* the stop request is handled at the top */
        {
            struct buf b = BUF_INIT;
            err_format(&step_err, &b);
            if (is_transient(&step_err)) {
                if (transient_since == 0)
                    transient_since = now_s();
                if (now_s() - transient_since < TRANSIENT_GRACE_S) {
                    emitf(&e, EV_WARNING, "AWS is failing, retrying: %s", buf_cstr(&b));
                    buf_free(&b);
                    pause_for(&e, poll_max);
                    continue;
                }
            }
            if (!e.rollback) {
                e.rollback = 1;
                snprintf(e.failure, sizeof(e.failure), "%s", buf_cstr(&b));
                set_phase(&e, "rollback");
                emitf(&e, EV_ERROR, "rollout failed: %s; rolling back", buf_cstr(&b));
                buf_free(&b);
                transient_since = 0;
                timers.waiting = WAIT_NONE;
                pause_for(&e, poll_min);
                continue;
            }
            *err = step_err;
            return_to_service(&e);
            release_lease(&e);
            /* What to do first: both errors can be long (and are often
             * the same one, a missing permission). */
            if (strcmp(e.failure, buf_cstr(&b)) == 0)
                r = conclude(&e, ROLLOUT_STUCK,
                             "the rollout failed and so did rolling it back; the state is kept on "
                             "the group: run the same command again to continue once the cause is "
                             "fixed. Both failed with: %s",
                             e.failure);
            else
                r = conclude(&e, ROLLOUT_STUCK,
                             "the rollout failed and so did rolling it back; the state is kept on "
                             "the group: run the same command again to continue once the cause is "
                             "fixed. The rollout failed with: %s. The rollback failed with: %s",
                             e.failure, buf_cstr(&b));
            buf_free(&b);
            goto out;
        }
    }
out:
    strv_free(&e.initial);
    strv_free(&e.launched);
    observer_free(&e.ob);
    return r;
}
