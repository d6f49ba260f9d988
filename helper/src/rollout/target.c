/* What "current" means for a group: its launch specification - its launch
 * template, and with a mixed instances policy each override's own - with
 * $Latest/$Default resolved to numbers (re-resolved now and then), or its
 * launch configuration (current.c judges instances against it). */
#include "rollout/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

/* $Latest / $Default are re-resolved this often (seconds). */
#define SPEC_TTL_S 30

void rollout_target_free(struct rollout_target *t)
{
    free(t->launch_template_id);
    free(t->launch_template_name);
    free(t->launch_configuration);
    free(t->template_image_id);
    memset(t, 0, sizeof(*t));
}

void rollout_target_copy(struct rollout_target *dst, const struct rollout_target *src)
{
    dst->launch_template_id = xstrdup(src->launch_template_id);
    dst->launch_template_name = xstrdup(src->launch_template_name);
    dst->launch_template_version = src->launch_template_version;
    dst->launch_configuration = xstrdup(src->launch_configuration);
    dst->template_image_id = xstrdup(src->template_image_id);
}

void rollout_target_describe(const struct rollout_target *t, char *buf, size_t cap)
{
    if (t->launch_configuration)
        snprintf(buf, cap, "launch configuration %s", t->launch_configuration);
    else if (t->launch_template_name && t->launch_template_id)
        snprintf(buf, cap, "launch template %s (%s) version %ld", t->launch_template_id,
                 t->launch_template_name, t->launch_template_version);
    else
        snprintf(buf, cap, "launch template %s version %ld",
                 t->launch_template_id ? t->launch_template_id : t->launch_template_name,
                 t->launch_template_version);
}

static void lts_free(struct ec2_launch_template *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ec2_launch_template_free(&v[i]);
    free(v);
}

/* ---- the launch specification ---- */

void launch_spec_copy(struct launch_spec *dst, const struct launch_spec *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->launch_configuration = xstrdup(src->launch_configuration);
    dst->weighted = src->weighted;
    dst->n = src->n;
    dst->v = xcalloc(src->n ? src->n : 1, sizeof(*dst->v));
    for (size_t i = 0; i < src->n; i++) {
        dst->v[i] = src->v[i];
        dst->v[i].template_id = xstrdup(src->v[i].template_id);
        dst->v[i].template_name = xstrdup(src->v[i].template_name);
        dst->v[i].instance_type = xstrdup(src->v[i].instance_type);
    }
}

static int numeric(const char *v)
{
    if (!v || !*v)
        return 0;
    for (const char *c = v; *c; c++)
        if (*c < '0' || *c > '9')
            return 0;
    return 1;
}

/* What the specification depends on: every reference as the group states
 * it (a change of any is a new resolution), and whether one is symbolic. */
static char *spec_key(const struct asg_group *g, int *symbolic)
{
    const struct asg_template_ref *refs[64];
    size_t n = launch_spec_refs(g, refs, 64);
    struct buf b = BUF_INIT;
    *symbolic = 0;
    buf_printf(&b, "lc=%s;w=%s;", g->launch_configuration ? g->launch_configuration : "",
               g->desired_capacity_type ? g->desired_capacity_type : "");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "%s|%s|%s;", refs[i]->id ? refs[i]->id : "",
                   refs[i]->name ? refs[i]->name : "", refs[i]->version ? refs[i]->version : "");
        *symbolic |= !numeric(refs[i]->version);
    }
    for (size_t i = 0; i < g->n_overrides; i++)
        buf_printf(&b, "o=%s/%d;",
                   g->overrides[i].instance_type ? g->overrides[i].instance_type : "",
                   g->overrides[i].weighted_capacity);
    return buf_steal(&b);
}

static const struct ec2_launch_template *described(const struct ec2_launch_template *v, size_t n,
                                                   const struct asg_template_ref *r)
{
    for (size_t i = 0; i < n; i++)
        if (r->id ? (v[i].id && strcmp(v[i].id, r->id) == 0)
                  : (v[i].name && r->name && strcmp(v[i].name, r->name) == 0))
            return &v[i];
    return NULL;
}

static int describe_templates(struct observer *ob, const struct asg_group *g,
                              struct ec2_launch_template **out, size_t *n_out, struct err *err)
{
    const struct asg_template_ref *refs[64];
    size_t n = launch_spec_refs(g, refs, 64);
    struct ec2_launch_template *v = xcalloc(n ? n : 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (described(v, k, refs[i]))
            continue;
        if (ob->ops->describe_launch_template(ob->ops->ctx, refs[i]->id, refs[i]->name, &v[k],
                                              err) != 0) {
            lts_free(v, k);
            const char *what = i == 0 ? "the group's launch template"
                                      : "the launch template of an "
                                        "override";
            if (err->kind == ERR_STATE)
                return err_prefix(err,
                                  "the launch specification of group %s cannot be resolved "
                                  "unambiguously, so nothing was changed: %s: ",
                                  g->name, what);
            return err_prefix(err, "resolving %s of group %s: ", what, g->name);
        }
        k++;
    }
    *out = v;
    *n_out = k;
    return 0;
}

int target_resolve(struct observer *ob, struct rollout_snapshot *s, long long now, struct err *err)
{
    struct observer_shapes *sh = &ob->sh;
    const struct asg_group *g = &s->group;
    int symbolic;
    char *key = spec_key(g, &symbolic);
    int fresh = sh->spec_key && strcmp(sh->spec_key, key) == 0 &&
                (!symbolic || now - sh->spec_resolved_at < SPEC_TTL_S);
    if (!fresh) {
        struct ec2_launch_template *lts = NULL;
        size_t n = 0;
        struct launch_spec spec;
        char why[512];
        if (describe_templates(ob, g, &lts, &n, err) != 0) {
            free(key);
            return -1;
        }
        if (launch_spec_resolve(g, lts, n, &spec, why, sizeof(why)) != 0) {
            lts_free(lts, n);
            free(key);
            return err_set(err, ERR_STATE,
                           "the launch specification of group %s cannot be resolved "
                           "unambiguously: %s",
                           g->name, why);
        }
        /* The group's own template is the rollout's target (its tag, --ami). */
        struct rollout_target t;
        memset(&t, 0, sizeof(t));
        if (spec.launch_configuration) {
            t.launch_configuration = xstrdup(spec.launch_configuration);
        } else {
            t.launch_template_id = xstrdup(spec.v[0].template_id);
            t.launch_template_name = xstrdup(spec.v[0].template_name);
            t.launch_template_version = spec.v[0].version;
        }
        int same_target = ob->target.launch_template_id && t.launch_template_id &&
                          strcmp(ob->target.launch_template_id, t.launch_template_id) == 0 &&
                          ob->target.launch_template_version == t.launch_template_version;
        if (same_target && ob->target.template_image_id)
            t.template_image_id = xstrdup(ob->target.template_image_id);
        if (ob->options && ob->options->ami && t.launch_template_id && !t.template_image_id) {
            char v[32];
            snprintf(v, sizeof(v), "%ld", t.launch_template_version);
            if (ob->ops->launch_template_image(ob->ops->ctx, t.launch_template_id, NULL, v,
                                               &t.template_image_id, err) != 0) {
                rollout_target_free(&t);
                launch_spec_free(&spec);
                lts_free(lts, n);
                free(key);
                return err_prefix(err, "reading the AMI of launch template version %s: ", v);
            }
        }
        rollout_target_free(&ob->target);
        ob->target = t;
        lts_free(sh->lts, sh->n_lts);
        sh->lts = lts;
        sh->n_lts = n;
        launch_spec_free(&sh->spec);
        sh->spec = spec;
        free(sh->spec_key);
        sh->spec_key = key;
        key = NULL;
        sh->spec_resolved_at = now;
    }
    free(key);
    launch_spec_copy(&s->spec, &sh->spec);
    return 0;
}
