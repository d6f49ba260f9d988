/* The lease: one rollout of a group at a time. It lives in a tag on the
 * group (state.h), names its owner (host and pid) and expires unless
 * renewed, so a rollout whose owner died is taken over. */
#include <errno.h>
#include <fcntl.h>
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

void lease_mine(const struct engine *e, long long now, struct rollout_lease *l)
{
    l->host = (char *)e->host;
    l->pid = (long)getpid();
    l->token = (char *)e->token;
    l->expires = now + ROLLOUT_LEASE_SECONDS;
}

static int lease_write(struct engine *e, long long now, struct err *err)
{
    struct rollout_lease l;
    lease_mine(e, now, &l);
    if (act_put_lease(e, &l, err) != 0)
        return -1;
    e->lease_renewed = now;
    e->holds_lease = 1;
    return 0;
}

void lease_renew_if_due(struct engine *e, long long now)
{
    if (!e->holds_lease || now - e->lease_renewed < ROLLOUT_LEASE_RENEW_SECONDS)
        return;
    struct err err;
    if (lease_write(e, now, &err) != 0)
        emit_err(e, EV_WARNING, "could not renew the lease", &err);
}

void lease_release(struct engine *e)
{
    if (!e->holds_lease)
        return;
    struct err err;
    if (act_delete_lease(e, &err) != 0) {
        char what[128];
        snprintf(what, sizeof(what),
                 "could not release the rollout lease (it expires by itself in %ds)",
                 ROLLOUT_LEASE_SECONDS);
        emit_err(e, EV_WARNING, what, &err);
    }
    e->holds_lease = 0;
}

enum rollout_result lease_claim(struct engine *e, const struct rollout_snapshot *s, struct err *err)
{
    enum lease_verdict v = rollout_lease_check(&s->state, e->host, e->token, s->now, pid_alive);
    if (v == LEASE_HELD) {
        err_set(err, ERR_STATE,
                "another rollout of group %s is running (lease held by %s, pid %ld, for %llds "
                "more); if it died, its lease expires by itself",
                s->group.name, s->state.lease.host, s->state.lease.pid,
                s->state.lease.expires - s->now);
        return ROLLOUT_BUSY;
    }
    if (v == LEASE_OURS)
        return ROLLOUT_DONE;
    if (v == LEASE_EXPIRED || v == LEASE_OWNER_DEAD)
        emitf(e, EV_INFO, "taking over the rollout of %s from %s (pid %ld, %s)", s->group.name,
              s->state.lease.host, s->state.lease.pid,
              v == LEASE_EXPIRED ? "lease expired" : "process gone");
    if (lease_write(e, s->now, err) != 0)
        return ROLLOUT_ERROR;
    return ROLLOUT_DONE;
}

enum rollout_result lease_confirm(struct engine *e, struct err *err)
{
    struct asg_group g;
    if (e->ops->describe_group(e->ops->ctx, e->cfg->asg_name, &g, err) != 0)
        return ROLLOUT_ERROR;
    struct rollout_state st;
    enum rollout_result r = ROLLOUT_DONE;
    if (rollout_state_parse(&g, &st) != 0 || !st.has_lease ||
        strcmp(st.lease.token, e->token) != 0) {
        e->holds_lease = 0;
        err_set(err, ERR_STATE,
                "another rollout of group %s started at the same time (lease held by %s)",
                e->cfg->asg_name, st.has_lease ? st.lease.host : "?");
        r = ROLLOUT_BUSY;
    }
    rollout_state_free(&st);
    asg_group_free(&g);
    return r;
}
