/* Resolving a group's launch specification and judging instances against
 * it. See current.h. */
#include "rollout/current.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void launch_spec_free(struct launch_spec *s)
{
    free(s->launch_configuration);
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].template_id);
        free(s->v[i].template_name);
        free(s->v[i].instance_type);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static int has_ref(const struct asg_template_ref *r)
{
    return r->id || r->name;
}

size_t launch_spec_refs(const struct asg_group *g, const struct asg_template_ref **refs, size_t cap)
{
    size_t n = 0;
    if (has_ref(&g->launch_template) && n < cap)
        refs[n++] = &g->launch_template;
    for (size_t i = 0; i < g->n_overrides && n < cap; i++)
        if (has_ref(&g->overrides[i].launch_template))
            refs[n++] = &g->overrides[i].launch_template;
    return n;
}

static const char *ref_label(const struct asg_template_ref *r)
{
    return r->id ? r->id : r->name ? r->name : "(unnamed)";
}

static const struct ec2_launch_template *
find_template(const struct asg_template_ref *r, const struct ec2_launch_template *lts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r->id ? (lts[i].id && strcmp(lts[i].id, r->id) == 0)
                  : (r->name && lts[i].name && strcmp(lts[i].name, r->name) == 0))
            return &lts[i];
    }
    return NULL;
}

/* A version as a number: "7", or $Latest / $Default (AWS's default when
 * none is given) resolved through the template. */
static int resolve_version(const struct asg_template_ref *r, const struct ec2_launch_template *t,
                           long *out)
{
    const char *v = r->version;
    if (!v || strcmp(v, "$Default") == 0) {
        *out = t->default_version;
        return *out > 0 ? 0 : -1;
    }
    if (strcmp(v, "$Latest") == 0) {
        *out = t->latest_version;
        return *out > 0 ? 0 : -1;
    }
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n <= 0)
        return -1;
    *out = n;
    return 0;
}

static int resolve_entry(const struct asg_template_ref *r, const struct ec2_launch_template *lts,
                         size_t n_lts, const char *what, struct spec_entry *e, char *why,
                         size_t cap)
{
    const struct ec2_launch_template *t = find_template(r, lts, n_lts);
    if (!t) {
        snprintf(why, cap, "launch template %s (%s) was not found", ref_label(r), what);
        return -1;
    }
    if (resolve_version(r, t, &e->version) != 0) {
        snprintf(why, cap,
                 "launch template %s (%s) has version \"%s\", which is neither a number nor "
                 "$Latest/$Default",
                 ref_label(r), what, r->version ? r->version : "");
        return -1;
    }
    e->template_id = xstrdup(t->id ? t->id : r->id);
    e->template_name = xstrdup(t->name ? t->name : r->name);
    return 0;
}

static int same_template(const struct spec_entry *e, const struct asg_template_ref *r)
{
    if (r->id && e->template_id)
        return strcmp(r->id, e->template_id) == 0;
    if (r->name && e->template_name)
        return strcmp(r->name, e->template_name) == 0;
    return 0;
}

static int same_entry(const struct spec_entry *a, const struct spec_entry *b)
{
    return a->version == b->version && a->template_id && b->template_id &&
           strcmp(a->template_id, b->template_id) == 0;
}

int launch_spec_resolve(const struct asg_group *g, const struct ec2_launch_template *lts,
                        size_t n_lts, struct launch_spec *out, char *why, size_t cap)
{
    memset(out, 0, sizeof(*out));
    why[0] = '\0';
    out->weighted = g->desired_capacity_type && strcmp(g->desired_capacity_type, "units") != 0;
    if (g->n_launch_sources > 1) {
        snprintf(why, cap,
                 "Auto Scaling group %s reports %d launch sources (of a launch configuration, a "
                 "launch template and a mixed instances policy); a group has one of them, so "
                 "which one its instances should match is unknown",
                 g->name, g->n_launch_sources);
        return -1;
    }
    if (!has_ref(&g->launch_template)) {
        if (!g->launch_configuration) {
            snprintf(why, cap,
                     "Auto Scaling group %s has neither a launch template nor a launch "
                     "configuration",
                     g->name);
            return -1;
        }
        out->launch_configuration = xstrdup(g->launch_configuration);
        return 0;
    }
    out->v = xcalloc(g->n_overrides + 1, sizeof(*out->v));
    out->n = 1;
    out->v[0].kind = SPEC_GROUP;
    if (resolve_entry(&g->launch_template, lts, n_lts,
                      g->mixed_instances_policy ? "the mixed instances policy's" : "the group's",
                      &out->v[0], why, cap) != 0)
        goto fail;
    for (size_t i = 0; i < g->n_overrides; i++) {
        const struct asg_override *o = &g->overrides[i];
        struct spec_entry *e = &out->v[out->n++];
        e->kind = o->instance_type ? SPEC_TYPED : SPEC_REQUIREMENTS;
        e->instance_type = xstrdup(o->instance_type);
        e->weight = o->weighted_capacity;
        if (o->weighted_capacity > 0)
            out->weighted = 1;
        if (has_ref(&o->launch_template)) {
            char what[160];
            snprintf(what, sizeof(what), "override %s",
                     o->instance_type ? o->instance_type : "by instance requirements");
            if (resolve_entry(&o->launch_template, lts, n_lts, what, e, why, cap) != 0)
                goto fail;
        } else {
            e->template_id = xstrdup(out->v[0].template_id);
            e->template_name = xstrdup(out->v[0].template_name);
            e->version = out->v[0].version;
        }
    }
    /* One instance type, two launch specifications: which one an instance
     * of that type came from cannot be told. */
    for (size_t i = 1; i < out->n; i++)
        for (size_t k = i + 1; k < out->n; k++)
            if (out->v[i].kind == SPEC_TYPED && out->v[k].kind == SPEC_TYPED &&
                strcmp(out->v[i].instance_type, out->v[k].instance_type) == 0 &&
                !same_entry(&out->v[i], &out->v[k])) {
                snprintf(why, cap,
                         "the mixed instances policy has two overrides for instance type %s with "
                         "different launch templates (%s version %ld and %s version %ld): which "
                         "one an instance came from cannot be told",
                         out->v[i].instance_type, out->v[i].template_id, out->v[i].version,
                         out->v[k].template_id, out->v[k].version);
                goto fail;
            }
    return 0;
fail:
    launch_spec_free(out);
    return -1;
}

static const struct spec_entry *typed_entry(const struct launch_spec *s, const char *type)
{
    for (size_t i = 1; type && i < s->n; i++)
        if (s->v[i].kind == SPEC_TYPED && strcmp(s->v[i].instance_type, type) == 0)
            return &s->v[i];
    return NULL;
}

static const char *entry_label(const struct spec_entry *e)
{
    return e->template_id ? e->template_id : e->template_name;
}

int launch_spec_judge(const struct launch_spec *s, const struct asg_instance *in, char *why,
                      size_t cap)
{
    why[0] = '\0';
    if (s->launch_configuration) {
        if (in->launch_configuration &&
            strcmp(in->launch_configuration, s->launch_configuration) == 0)
            return 0;
        snprintf(why, cap, "launched from %s%s, the group uses launch configuration %s",
                 in->launch_configuration ? "launch configuration " : "launch template ",
                 in->launch_configuration   ? in->launch_configuration
                 : in->launch_template.id   ? in->launch_template.id
                 : in->launch_template.name ? in->launch_template.name
                                            : "(unknown)",
                 s->launch_configuration);
        return 1;
    }
    if (!s->n)
        return 0;
    const struct asg_template_ref *lt = &in->launch_template;
    if (!has_ref(lt)) {
        snprintf(why, cap,
                 "launched from launch configuration %s, the group uses launch template %s",
                 in->launch_configuration ? in->launch_configuration : "(unknown)",
                 entry_label(&s->v[0]));
        return 1;
    }
    char *end = NULL;
    long v = lt->version ? strtol(lt->version, &end, 10) : -1;
    if (!lt->version || !end || *end || v <= 0) {
        snprintf(why, cap, "launch template version \"%s\" is not a number",
                 lt->version ? lt->version : "");
        return 1;
    }
    /* The override for the instance's type says what it is launched from;
     * an instance of a type no override names (instance requirements, or a
     * type since removed) is current when it matches any of them. */
    const struct spec_entry *want = typed_entry(s, in->instance_type);
    const struct spec_entry *same = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const struct spec_entry *e = want ? want : &s->v[i];
        if (same_template(e, lt)) {
            if (e->version == v)
                return 0;
            same = same ? same : e;
        }
        if (want)
            break;
    }
    const struct spec_entry *ref = want ? want : &s->v[0];
    char whose[96] = "";
    if (want && s->n > 1)
        snprintf(whose, sizeof(whose), " for %s", in->instance_type);
    if (same)
        snprintf(why, cap, "launch template version %ld, the group uses version %ld%s", v,
                 same->version, whose);
    else
        snprintf(why, cap, "launched from launch template %s, the group uses %s%s", ref_label(lt),
                 entry_label(ref), whose);
    return 1;
}

int instance_units(const struct asg_instance *in)
{
    return in->weighted_capacity > 0 ? in->weighted_capacity : 1;
}

int launch_spec_check_units(const struct launch_spec *s, const struct asg_group *g, char *why,
                            size_t cap)
{
    why[0] = '\0';
    if (!s->weighted)
        return 0;
    for (size_t i = 0; i < g->n_instances; i++)
        if (g->instances[i].weighted_capacity <= 0) {
            snprintf(why, cap,
                     "group %s counts its capacity in %s, but instance %s reports no "
                     "WeightedCapacity: the capacity it serves cannot be told",
                     g->name,
                     g->desired_capacity_type && strcmp(g->desired_capacity_type, "units") != 0
                         ? g->desired_capacity_type
                         : "weighted units",
                     g->instances[i].instance_id);
            return -1;
        }
    return 0;
}

void launch_spec_describe(const struct launch_spec *s, char *buf, size_t cap)
{
    if (s->launch_configuration || !s->n) {
        snprintf(buf, cap, "launch configuration %s",
                 s->launch_configuration ? s->launch_configuration : "(none)");
        return;
    }
    const struct spec_entry *e = &s->v[0];
    int n = snprintf(buf, cap, "launch template %s", entry_label(e));
    if (n > 0 && (size_t)n < cap && e->template_name && e->template_id)
        n += snprintf(buf + n, cap - (size_t)n, " (%s)", e->template_name);
    if (n > 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " version %ld", e->version);
    size_t own = 0;
    for (size_t i = 1; i < s->n; i++) {
        int distinct = !same_entry(&s->v[i], e);
        for (size_t k = 1; distinct && k < i; k++)
            distinct = !same_entry(&s->v[i], &s->v[k]);
        own += distinct;
    }
    if (own && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " and %zu override template(s)", own);
}
