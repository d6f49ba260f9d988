/* What "current" means for a group: its launch template with
 * $Latest/$Default resolved to a number (re-resolved now and then), or its
 * launch configuration. */
#include "rollout/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* $Latest / $Default are re-resolved this often (seconds). */
#define TARGET_TTL_S 30

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

static int parse_version(const char *v, long *out)
{
    char *end = NULL;
    if (!v || !*v)
        return -1;
    long n = strtol(v, &end, 10);
    if (*end || n <= 0)
        return -1;
    *out = n;
    return 0;
}

/* What "current" means: the group's launch template with $Latest/$Default
 * resolved to a number, or its launch configuration. */
int target_resolve(struct observer *ob, const struct asg_group *g, long long now, struct err *err)
{
    const struct asg_template_ref *lt = &g->launch_template;
    if (!lt->id && !lt->name) {
        if (!g->launch_configuration)
            return err_set(err, ERR_STATE,
                           "Auto Scaling group %s has neither a launch template nor a launch "
                           "configuration",
                           g->name);
        rollout_target_free(&ob->target);
        ob->target.launch_configuration = xstrdup(g->launch_configuration);
        return 0;
    }
    char key[512];
    snprintf(key, sizeof(key), "%s|%s|%s", lt->id ? lt->id : "", lt->name ? lt->name : "",
             lt->version ? lt->version : "$Default");
    long version;
    int numeric = parse_version(lt->version, &version) == 0;
    if (ob->target_key && strcmp(ob->target_key, key) == 0 &&
        (numeric || now - ob->target_resolved_at < TARGET_TTL_S))
        return 0;

    struct ec2_launch_template t;
    memset(&t, 0, sizeof(t));
    if (ob->ops->describe_launch_template(ob->ops->ctx, lt->id, lt->name, &t, err) != 0)
        return err_prefix(err, "resolving the launch template of group %s: ", g->name);
    if (!numeric) {
        int latest = !lt->version || strcmp(lt->version, "$Latest") == 0;
        int dflt = !lt->version || strcmp(lt->version, "$Default") == 0;
        if (!latest && !dflt) {
            ec2_launch_template_free(&t);
            return err_set(err, ERR_STATE,
                           "group %s uses launch template version \"%s\", which is neither a "
                           "number nor $Latest/$Default",
                           g->name, lt->version);
        }
        version = (lt->version && strcmp(lt->version, "$Latest") == 0) ? t.latest_version
                                                                       : t.default_version;
    }
    rollout_target_free(&ob->target);
    ob->target.launch_template_id = xstrdup(t.id ? t.id : lt->id);
    ob->target.launch_template_name = xstrdup(t.name ? t.name : lt->name);
    ob->target.launch_template_version = version;
    ec2_launch_template_free(&t);
    if (ob->options && ob->options->ami) {
        char v[32];
        snprintf(v, sizeof(v), "%ld", version);
        if (ob->ops->launch_template_image(ob->ops->ctx, ob->target.launch_template_id, NULL, v,
                                           &ob->target.template_image_id, err) != 0)
            return err_prefix(err, "reading the AMI of launch template version %ld: ", version);
    }
    free(ob->target_key);
    ob->target_key = xstrdup(key);
    ob->target_resolved_at = now;
    return 0;
}
