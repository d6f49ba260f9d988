/* The rollout's marks on the group. See marks.h. */
#include "rollout/marks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/state.h"
#include "util/buf.h"
#include "util/mem.h"

void rollout_marks_free(struct rollout_marks *m)
{
    strv_free(&m->foreign);
    memset(m, 0, sizeof(*m));
}

static int instance_id(const char *s)
{
    if (strncmp(s, "i-", 2) != 0 || !s[2] || strlen(s) > 40)
        return 0;
    for (const char *c = s + 2; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
            return 0;
    return 1;
}

static int foreign_key(const char *k)
{
    size_t n = strlen(ROLLOUT_TAG_FOREIGN);
    if (strncmp(k, ROLLOUT_TAG_FOREIGN, n) != 0)
        return 0;
    if (!k[n])
        return 1;
    return k[n] == '.' && k[n + 1] >= '2' && k[n + 1] <= '9' && !k[n + 2];
}

int rollout_marks_parse(const struct asg_group *g, struct rollout_marks *m, char *why, size_t cap)
{
    memset(m, 0, sizeof(*m));
    why[0] = '\0';
    for (size_t i = 0; i < g->n_tags; i++) {
        const char *k = g->tags[i].key, *v = g->tags[i].value ? g->tags[i].value : "";
        if (strcmp(k, ROLLOUT_TAG_LAUNCHED_AFTER) == 0) {
            char *end = NULL;
            long long t = strtoll(v, &end, 10);
            if (!*v || *end || t <= 0) {
                snprintf(why, cap, "tag %s is \"%.40s\", expected a Unix time", k, v);
                goto bad;
            }
            m->launched_after = t;
        } else if (foreign_key(k)) {
            char *copy = xstrdup(v), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (!instance_id(tok)) {
                    snprintf(why, cap, "tag %s holds \"%.40s\", expected instance ids", k, tok);
                    free(copy);
                    goto bad;
                }
                if (!strv_contains(&m->foreign, tok))
                    strv_push(&m->foreign, tok);
            }
            free(copy);
        }
    }
    return 0;
bad:
    rollout_marks_free(m);
    return -1;
}

static void add_tag(struct asg_tag *t, const char *key, char *value)
{
    t->key = xstrdup(key);
    t->value = value;
    t->propagate_at_launch = 0;
}

int rollout_marks_tags(const struct rollout_marks *m, struct asg_tag **tags, size_t *n, char *why,
                       size_t cap)
{
    struct asg_tag *t = xcalloc(1 + ROLLOUT_FOREIGN_TAGS_MAX, sizeof(*t));
    size_t k = 0;
    why[0] = '\0';
    if (m->launched_after > 0) {
        struct buf b = BUF_INIT;
        buf_printf(&b, "%lld", m->launched_after);
        add_tag(&t[k++], ROLLOUT_TAG_LAUNCHED_AFTER, buf_steal(&b));
    }
    struct buf b = BUF_INIT;
    size_t used_tags = 0;
    for (size_t i = 0; i <= m->foreign.n; i++) {
        const char *id = i < m->foreign.n ? m->foreign.v[i] : NULL;
        if (id && b.len + 1 + strlen(id) <= ROLLOUT_TAG_VALUE_MAX) {
            buf_printf(&b, "%s%s", b.len ? "," : "", id);
            continue;
        }
        /* The value is full, or the list ended: write it out. */
        if (b.len) {
            if (used_tags == ROLLOUT_FOREIGN_TAGS_MAX) {
                buf_free(&b);
                rollout_tags_free(t, k);
                snprintf(why, cap,
                         "%zu instances of the group are already DRAINING: more than a rollout can "
                         "keep apart from its own; let those drains finish (or return them to "
                         "service) first",
                         m->foreign.n);
                return -1;
            }
            char key[64];
            if (used_tags == 0)
                snprintf(key, sizeof(key), "%s", ROLLOUT_TAG_FOREIGN);
            else
                snprintf(key, sizeof(key), "%s.%zu", ROLLOUT_TAG_FOREIGN, used_tags + 1);
            add_tag(&t[k++], key, buf_steal(&b));
            used_tags++;
        }
        if (id)
            buf_printf(&b, "%s", id);
    }
    buf_free(&b);
    *tags = t;
    *n = k;
    return 0;
}

int rollout_launched_during(const struct rollout_marks *m, long long launch_time)
{
    return m->launched_after > 0 && launch_time > m->launched_after;
}
