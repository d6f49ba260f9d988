#include "rollout/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

void rollout_state_free(struct rollout_state *st)
{
    strv_free(&st->suspended_by_us);
    free(st->lease.host);
    free(st->lease.token);
    free(st->target);
    memset(st, 0, sizeof(*st));
}

static int parse_ll(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* Finds "key=" in a comma-separated "k=v,k=v" list; copies the value. */
static int kv_get(const char *list, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = len - klen - 1;
            if (vlen >= cap)
                return -1;
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = '\0';
            return 0;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return -1;
}

static int kv_int(const char *list, const char *key, long long min, long long *out)
{
    char v[32];
    if (kv_get(list, key, v, sizeof(v)) != 0 || parse_ll(v, out) != 0 || *out < min)
        return -1;
    return 0;
}

static int bad_tag(struct rollout_state *st, const char *key, const char *value,
                   const char *expected)
{
    snprintf(st->problem, sizeof(st->problem),
             "tag %s=\"%.60s\" on the group is malformed (expected %s); if no rollout is "
             "running, delete the ecs-rollout:* tags of the group",
             key, value, expected);
    return -1;
}

/* Auto Scaling process names: letters only ("AZRebalance"). */
static int process_name(const char *s)
{
    for (const char *c = s; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
            return 0;
    return *s != '\0';
}

int rollout_state_parse(const struct asg_group *g, struct rollout_state *st)
{
    memset(st, 0, sizeof(*st));
    for (size_t i = 0; i < g->n_tags; i++) {
        const char *k = g->tags[i].key, *v = g->tags[i].value ? g->tags[i].value : "";
        /* Tag keys are unique on a group; one of ours twice means an answer
         * that cannot be trusted (and would leak the first value). */
        if (strncmp(k, ROLLOUT_TAG_PREFIX, strlen(ROLLOUT_TAG_PREFIX)) == 0)
            for (size_t j = 0; j < i; j++)
                if (strcmp(g->tags[j].key, k) == 0) {
                    snprintf(st->problem, sizeof(st->problem),
                             "tag %s appears twice on the group; if no rollout is running, "
                             "delete the ecs-rollout:* tags of the group",
                             k);
                    return -1;
                }
        if (strcmp(k, ROLLOUT_TAG_ORIGINAL) == 0) {
            long long min, max, desired;
            if (kv_int(v, "min", 0, &min) || kv_int(v, "max", 0, &max) ||
                kv_int(v, "desired", 0, &desired) || min > desired || desired > max || max > 100000)
                return bad_tag(st, k, v, "\"min=N,max=N,desired=N\" with min <= desired <= max");
            st->in_progress = 1;
            st->min_size = (int)min;
            st->max_size = (int)max;
            st->desired_capacity = (int)desired;
            char pending[8];
            if (kv_get(v, "pending", pending, sizeof(pending)) == 0) {
                if (strcmp(pending, "1") != 0)
                    return bad_tag(st, k, v, "\"pending=1\" or no pending field");
                st->sizes_pending = 1;
            }
        } else if (strcmp(k, ROLLOUT_TAG_SUSPENDED) == 0) {
            if (strcmp(v, "-") != 0) {
                char *copy = xstrdup(v), *save = NULL;
                for (char *tok = strtok_r(copy, ",", &save); tok;
                     tok = strtok_r(NULL, ",", &save)) {
                    /* A name that is not a process would be resumed at the
                     * end of the rollout, and fail it then. */
                    if (!process_name(tok)) {
                        free(copy);
                        return bad_tag(st, k, v, "\"-\" or process names separated by commas");
                    }
                    if (!strv_contains(&st->suspended_by_us, tok))
                        strv_push(&st->suspended_by_us, tok);
                }
                free(copy);
            }
        } else if (strcmp(k, ROLLOUT_TAG_LEASE) == 0) {
            char host[256], token[64];
            long long pid, expires;
            if (kv_get(v, "host", host, sizeof(host)) || kv_get(v, "token", token, sizeof(token)) ||
                kv_int(v, "pid", 0, &pid) || kv_int(v, "expires", 0, &expires))
                return bad_tag(st, k, v, "\"host=H,pid=N,token=T,expires=UNIX\"");
            st->has_lease = 1;
            st->lease.host = xstrdup(host);
            st->lease.token = xstrdup(token);
            st->lease.pid = (long)pid;
            st->lease.expires = expires;
        } else if (strcmp(k, ROLLOUT_TAG_STARTED) == 0) {
            if (parse_ll(v, &st->started) != 0)
                return bad_tag(st, k, v, "a Unix time");
        } else if (strcmp(k, ROLLOUT_TAG_TARGET) == 0) {
            st->target = xstrdup(v);
        }
    }
    return 0;
}

static void set_tag(struct asg_tag *t, const char *key, char *value)
{
    t->key = xstrdup(key);
    t->value = value;
    t->propagate_at_launch = 0;
}

void rollout_lease_tag(const struct rollout_lease *l, struct asg_tag *tag)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "host=%s,pid=%ld,token=%s,expires=%lld", l->host, l->pid, l->token, l->expires);
    set_tag(tag, ROLLOUT_TAG_LEASE, buf_steal(&b));
}

void rollout_suspended_tag(const struct strv *names, struct asg_tag *tag)
{
    struct buf b = BUF_INIT;
    for (size_t k = 0; k < names->n; k++)
        buf_printf(&b, "%s%s", k ? "," : "", names->v[k]);
    if (!names->n)
        buf_puts(&b, "-");
    set_tag(tag, ROLLOUT_TAG_SUSPENDED, buf_steal(&b));
}

void rollout_original_tag(const struct rollout_state *st, struct asg_tag *tag)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "min=%d,max=%d,desired=%d%s", st->min_size, st->max_size, st->desired_capacity,
               st->sizes_pending ? ",pending=1" : "");
    set_tag(tag, ROLLOUT_TAG_ORIGINAL, buf_steal(&b));
}

void rollout_state_tags(const struct rollout_state *st, int with_lease, struct asg_tag **tags,
                        size_t *n)
{
    struct asg_tag *t = xcalloc(5, sizeof(*t));
    size_t i = 0;
    struct buf b = BUF_INIT;

    rollout_original_tag(st, &t[i++]);

    rollout_suspended_tag(&st->suspended_by_us, &t[i++]);

    buf_printf(&b, "%lld", st->started);
    set_tag(&t[i++], ROLLOUT_TAG_STARTED, buf_steal(&b));

    if (st->target)
        set_tag(&t[i++], ROLLOUT_TAG_TARGET, xstrdup(st->target));
    if (with_lease && st->has_lease)
        rollout_lease_tag(&st->lease, &t[i++]);
    *tags = t;
    *n = i;
}

void rollout_tags_free(struct asg_tag *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(tags[i].key);
        free(tags[i].value);
    }
    free(tags);
}

void rollout_state_tag_keys(const struct asg_group *g, struct strv *keys)
{
    for (size_t i = 0; i < g->n_tags; i++)
        if (strncmp(g->tags[i].key, ROLLOUT_TAG_PREFIX, strlen(ROLLOUT_TAG_PREFIX)) == 0)
            strv_push(keys, g->tags[i].key);
}

enum lease_verdict rollout_lease_check(const struct rollout_state *st, const char *my_host,
                                       const char *my_token, long long now,
                                       int (*pid_alive)(long pid))
{
    if (!st->has_lease)
        return LEASE_FREE;
    if (my_token && strcmp(st->lease.token, my_token) == 0)
        return LEASE_OURS;
    if (st->lease.expires <= now)
        return LEASE_EXPIRED;
    if (my_host && strcmp(st->lease.host, my_host) == 0 && pid_alive && !pid_alive(st->lease.pid))
        return LEASE_OWNER_DEAD;
    return LEASE_HELD;
}
