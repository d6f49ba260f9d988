#include "svc/autoscaling.h"

#include "aws/fanout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/asg_internal.h"
#include "svc/common.h"
#include "util/mem.h"

#define ASG_VERSION "2011-01-01"
/* AWS's limits (botocore model and API reference). */
#define DESCRIBE_MAX_RECORDS 100 /* also the most names one call may carry */
#define DETACH_BATCH 20
#define PROTECTION_BATCH 50

/* ---- freeing ---- */

void asg_template_ref_free(struct asg_template_ref *t)
{
    free(t->id);
    free(t->name);
    free(t->version);
    memset(t, 0, sizeof(*t));
}

static void instance_free(struct asg_instance *in)
{
    free(in->instance_id);
    free(in->availability_zone);
    free(in->lifecycle_state);
    free(in->health_status);
    free(in->instance_type);
    free(in->launch_configuration);
    asg_template_ref_free(&in->launch_template);
}

void asg_group_free(struct asg_group *g)
{
    if (!g)
        return;
    free(g->name);
    free(g->arn);
    free(g->status);
    free(g->launch_configuration);
    asg_template_ref_free(&g->launch_template);
    asg_overrides_free(g->overrides, g->n_overrides);
    free(g->desired_capacity_type);
    for (size_t i = 0; i < g->n_instances; i++)
        instance_free(&g->instances[i]);
    free(g->instances);
    for (size_t i = 0; i < g->n_tags; i++) {
        free(g->tags[i].key);
        free(g->tags[i].value);
    }
    free(g->tags);
    strv_free(&g->suspended_processes);
    strv_free(&g->termination_policies);
    strv_free(&g->availability_zones);
    free(g->health_check_type);
    memset(g, 0, sizeof(*g));
}

void asg_groups_free(struct asg_group *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        asg_group_free(&v[i]);
    free(v);
}

const char *asg_group_tag(const struct asg_group *g, const char *key)
{
    for (size_t i = 0; i < g->n_tags; i++)
        if (strcmp(g->tags[i].key, key) == 0)
            return g->tags[i].value;
    return NULL;
}

/* ---- parsing DescribeAutoScalingGroups ---- */

static size_t count_members(const struct xml_node *list)
{
    size_t n = 0;
    for (const struct xml_node *m = list ? xml_child(list, "member") : NULL; m;
         m = xml_next_same(m))
        n++;
    return n;
}

int asg_parse_template_ref(struct svc_parse *p, const struct xml_node *node, const char *name,
                           struct asg_template_ref *out)
{
    const struct xml_node *lt = xml_child(node, name);
    if (!lt)
        return 0;
    size_t old = svc_parse_push(p, name);
    int rc = -1;
    if (svc_xml_str(p, lt, "LaunchTemplateId", SVC_OPTIONAL, &out->id) < 0 ||
        svc_xml_str(p, lt, "LaunchTemplateName", SVC_OPTIONAL, &out->name) < 0 ||
        svc_xml_str(p, lt, "Version", SVC_OPTIONAL, &out->version) < 0)
        goto out;
    rc = 0;
out:
    svc_parse_pop(p, old);
    return rc;
}

static int parse_instance(struct svc_parse *p, const struct xml_node *m, struct asg_instance *in)
{
    if (svc_xml_str(p, m, "InstanceId", SVC_REQUIRED, &in->instance_id) < 0 ||
        svc_xml_str(p, m, "AvailabilityZone", SVC_REQUIRED, &in->availability_zone) < 0 ||
        svc_xml_str(p, m, "LifecycleState", SVC_REQUIRED, &in->lifecycle_state) < 0 ||
        svc_xml_str(p, m, "HealthStatus", SVC_REQUIRED, &in->health_status) < 0 ||
        svc_xml_bool(p, m, "ProtectedFromScaleIn", SVC_REQUIRED, &in->protected_from_scale_in) <
            0 ||
        svc_xml_str(p, m, "InstanceType", SVC_OPTIONAL, &in->instance_type) < 0 ||
        svc_xml_str(p, m, "LaunchConfigurationName", SVC_OPTIONAL, &in->launch_configuration) < 0 ||
        svc_xml_int(p, m, "WeightedCapacity", SVC_OPTIONAL, &in->weighted_capacity) < 0 ||
        asg_parse_template_ref(p, m, "LaunchTemplate", &in->launch_template) < 0)
        return -1;
    if (in->weighted_capacity < 0)
        return svc_parse_fail(p, "WeightedCapacity", "is negative");
    return 0;
}

static int parse_instances(struct svc_parse *p, const struct xml_node *g, struct asg_group *out)
{
    const struct xml_node *list;
    if (svc_xml_list(p, g, "Instances", SVC_OPTIONAL, &list) < 0)
        return -1;
    size_t n = count_members(list);
    if (!n)
        return 0;
    out->instances = xcalloc(n, sizeof(*out->instances));
    size_t old = svc_parse_push(p, "Instances");
    size_t i = 0;
    for (const struct xml_node *m = xml_child(list, "member"); m; m = xml_next_same(m), i++) {
        size_t old_i = svc_parse_push_index(p, i);
        /* Counted before parsing so asg_group_free releases a partial one. */
        out->n_instances = i + 1;
        if (parse_instance(p, m, &out->instances[i]) < 0)
            return -1;
        svc_parse_pop(p, old_i);
    }
    svc_parse_pop(p, old);
    return 0;
}

static int parse_tags(struct svc_parse *p, const struct xml_node *g, struct asg_group *out)
{
    const struct xml_node *list;
    if (svc_xml_list(p, g, "Tags", SVC_OPTIONAL, &list) < 0)
        return -1;
    size_t n = count_members(list);
    if (!n)
        return 0;
    out->tags = xcalloc(n, sizeof(*out->tags));
    size_t old = svc_parse_push(p, "Tags");
    size_t i = 0;
    for (const struct xml_node *m = xml_child(list, "member"); m; m = xml_next_same(m), i++) {
        struct asg_tag *t = &out->tags[i];
        size_t old_i = svc_parse_push_index(p, i);
        out->n_tags = i + 1;
        if (svc_xml_str(p, m, "Key", SVC_REQUIRED, &t->key) < 0 ||
            svc_xml_str(p, m, "Value", SVC_OPTIONAL, &t->value) < 0 ||
            svc_xml_bool(p, m, "PropagateAtLaunch", SVC_OPTIONAL, &t->propagate_at_launch) < 0)
            return -1;
        if (!t->value) /* a tag's value may be empty; AWS then omits it */
            t->value = xstrdup("");
        svc_parse_pop(p, old_i);
    }
    svc_parse_pop(p, old);
    return 0;
}

static int parse_suspended(struct svc_parse *p, const struct xml_node *g, struct asg_group *out)
{
    const struct xml_node *list;
    if (svc_xml_list(p, g, "SuspendedProcesses", SVC_OPTIONAL, &list) < 0)
        return -1;
    if (!list)
        return 0;
    size_t old = svc_parse_push(p, "SuspendedProcesses");
    size_t i = 0;
    for (const struct xml_node *m = xml_child(list, "member"); m; m = xml_next_same(m), i++) {
        size_t old_i = svc_parse_push_index(p, i);
        char *name;
        if (svc_xml_str(p, m, "ProcessName", SVC_REQUIRED, &name) < 0)
            return -1;
        strv_push_owned(&out->suspended_processes, name);
        svc_parse_pop(p, old_i);
    }
    svc_parse_pop(p, old);
    return 0;
}

static int parse_group(struct svc_parse *p, const struct xml_node *g, struct asg_group *out)
{
    if (svc_xml_str(p, g, "AutoScalingGroupName", SVC_REQUIRED, &out->name) < 0)
        return -1;
    /* Name the group in messages rather than its index. */
    size_t len = strlen(p->path);
    char *bracket = strrchr(p->path, '[');
    if (bracket && bracket > p->path && len + strlen(out->name) + 4 < sizeof(p->path))
        snprintf(bracket, sizeof(p->path) - (size_t)(bracket - p->path), "[%s]", out->name);

    if (svc_xml_str(p, g, "AutoScalingGroupARN", SVC_OPTIONAL, &out->arn) < 0 ||
        svc_xml_str(p, g, "Status", SVC_OPTIONAL, &out->status) < 0 ||
        svc_xml_int(p, g, "MinSize", SVC_REQUIRED, &out->min_size) < 0 ||
        svc_xml_int(p, g, "MaxSize", SVC_REQUIRED, &out->max_size) < 0 ||
        svc_xml_int(p, g, "DesiredCapacity", SVC_REQUIRED, &out->desired_capacity) < 0 ||
        svc_xml_str(p, g, "LaunchConfigurationName", SVC_OPTIONAL, &out->launch_configuration) <
            0 ||
        svc_xml_str(p, g, "HealthCheckType", SVC_REQUIRED, &out->health_check_type) < 0 ||
        svc_xml_int(p, g, "HealthCheckGracePeriod", SVC_OPTIONAL, &out->health_check_grace_period) <
            0 ||
        svc_xml_bool(p, g, "NewInstancesProtectedFromScaleIn", SVC_OPTIONAL,
                     &out->new_instances_protected_from_scale_in) < 0 ||
        svc_xml_bool(p, g, "CapacityRebalance", SVC_OPTIONAL, &out->capacity_rebalance) < 0 ||
        svc_xml_str(p, g, "DesiredCapacityType", SVC_OPTIONAL, &out->desired_capacity_type) < 0)
        return -1;

    const struct xml_node *azs;
    if (svc_xml_list(p, g, "AvailabilityZones", SVC_REQUIRED, &azs) < 0 ||
        svc_xml_strv(p, g, "AvailabilityZones", &out->availability_zones) < 0 ||
        svc_xml_strv(p, g, "TerminationPolicies", &out->termination_policies) < 0)
        return -1;

    /* A group has "one of" a launch configuration, a launch template and a
     * mixed instances policy (API_CreateAutoScalingGroup); another
     * endpoint may report a stale one beside the policy. */
    out->n_launch_sources = (out->launch_configuration && out->launch_configuration[0]) +
                            (xml_child(g, "LaunchTemplate") != NULL) +
                            (xml_child(g, "MixedInstancesPolicy") != NULL);
    if (xml_child(g, "LaunchTemplate")) {
        if (asg_parse_template_ref(p, g, "LaunchTemplate", &out->launch_template) < 0)
            return -1;
    } else {
        const struct xml_node *mixed = xml_child(g, "MixedInstancesPolicy");
        if (mixed && asg_parse_mixed_policy(p, mixed, out) < 0)
            return -1;
    }
    out->has_warm_pool = xml_child(g, "WarmPoolConfiguration") != NULL;

    if (parse_instances(p, g, out) < 0 || parse_tags(p, g, out) < 0 ||
        parse_suspended(p, g, out) < 0)
        return -1;
    return 0;
}

int asg_parse_describe_groups(const struct xml_node *root, struct asg_group **groups, size_t *n,
                              char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeAutoScalingGroups", err);
    *next_token = NULL;
    const struct xml_node *result =
        root ? xml_child(root, "DescribeAutoScalingGroupsResult") : NULL;
    if (!result)
        return svc_parse_fail(&p, "DescribeAutoScalingGroupsResult", "is missing");
    const struct xml_node *list;
    if (svc_xml_list(&p, result, "AutoScalingGroups", SVC_REQUIRED, &list) < 0)
        return -1;
    size_t count = count_members(list);
    struct asg_group *page = count ? xcalloc(count, sizeof(*page)) : NULL;
    size_t i = 0;
    for (const struct xml_node *m = xml_child(list, "member"); m; m = xml_next_same(m), i++) {
        size_t old = svc_parse_push(&p, "AutoScalingGroups");
        svc_parse_push_index(&p, i);
        if (parse_group(&p, m, &page[i]) < 0) {
            asg_groups_free(page, count);
            return -1;
        }
        svc_parse_pop(&p, old);
    }
    char *token = NULL;
    if (svc_xml_str(&p, result, "NextToken", SVC_OPTIONAL, &token) < 0) {
        asg_groups_free(page, count);
        return -1;
    }
    if (token && !*token) {
        free(token);
        token = NULL;
    }
    if (count) {
        *groups = xrealloc(*groups, (*n + count) * sizeof(**groups));
        memcpy(*groups + *n, page, count * sizeof(*page));
        *n += count;
    }
    free(page);
    *next_token = token;
    return 0;
}

/* ---- calls ---- */

static int asg_call(struct aws_client *c, const char *action, const struct aws_params *params,
                    struct err *err)
{
    struct xml_node *result = NULL;
    int rc = aws_query_call(c, &AWS_SVC_AUTOSCALING, action, ASG_VERSION, params, 0, &result, err);
    xml_free(result);
    return rc;
}

struct groups_out {
    struct asg_group **v;
    size_t *n;
};

static int parse_groups_page(const struct xml_node *root, void *items, char **next, struct err *err)
{
    struct groups_out *o = items;
    return asg_parse_describe_groups(root, o->v, o->n, next, err);
}

/* One DescribeAutoScalingGroups query (names or all), every page. */
static int describe_pages(struct aws_client *c, const char *const *names, size_t n,
                          struct asg_group **out, size_t *n_out, struct err *err)
{
    struct groups_out o = {out, n_out};
    struct svc_query_pages q = {&AWS_SVC_AUTOSCALING,        ASG_VERSION,
                                "DescribeAutoScalingGroups", "NextToken",
                                parse_groups_page,           &o};
    struct aws_params params = AWS_PARAMS_INIT;
    if (n)
        aws_params_add_list(&params, "AutoScalingGroupNames", names, n);
    aws_params_addf(&params, "MaxRecords", "%d", DESCRIBE_MAX_RECORDS);
    int rc = svc_query_pages(c, &q, &params, err);
    aws_params_free(&params);
    return rc;
}

int asg_describe_groups(struct aws_client *c, const char *const *names, size_t n,
                        struct asg_group **out, size_t *n_out, struct err *err)
{
    *out = NULL;
    *n_out = 0;
    size_t off = 0;
    do {
        size_t k = n - off < DESCRIBE_MAX_RECORDS ? n - off : DESCRIBE_MAX_RECORDS;
        if (describe_pages(c, n ? names + off : NULL, k, out, n_out, err) < 0) {
            asg_groups_free(*out, *n_out);
            *out = NULL;
            *n_out = 0;
            return -1;
        }
        off += k;
    } while (off < n);
    return 0;
}

int asg_describe_group(struct aws_client *c, const char *name, struct asg_group *out,
                       struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct asg_group *v;
    size_t n;
    if (asg_describe_groups(c, &name, 1, &v, &n, err) < 0)
        return -1;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (!found && strcmp(v[i].name, name) == 0) {
            *out = v[i];
            memset(&v[i], 0, sizeof(v[i]));
            found = 1;
        }
    }
    asg_groups_free(v, n);
    if (!found)
        return err_set(err, ERR_STATE,
                       "Auto Scaling group %s not found in %s: check the group name and the "
                       "region",
                       name, c->region ? c->region : "this region");
    return 0;
}

int asg_set_desired_capacity(struct aws_client *c, const char *group, int desired, struct err *err)
{
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "AutoScalingGroupName", group);
    aws_params_addf(&params, "DesiredCapacity", "%d", desired);
    aws_params_add(&params, "HonorCooldown", "false");
    int rc = asg_call(c, "SetDesiredCapacity", &params, err);
    aws_params_free(&params);
    return rc;
}

int asg_update_group_size(struct aws_client *c, const char *group, const struct asg_size_update *u,
                          struct err *err)
{
    if (u->min_size < 0 && u->max_size < 0 && u->desired_capacity < 0)
        return 0;
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "AutoScalingGroupName", group);
    if (u->min_size >= 0)
        aws_params_addf(&params, "MinSize", "%d", u->min_size);
    if (u->max_size >= 0)
        aws_params_addf(&params, "MaxSize", "%d", u->max_size);
    if (u->desired_capacity >= 0)
        aws_params_addf(&params, "DesiredCapacity", "%d", u->desired_capacity);
    int rc = asg_call(c, "UpdateAutoScalingGroup", &params, err);
    aws_params_free(&params);
    return rc;
}

int asg_terminate_instance(struct aws_client *c, const char *instance_id,
                           int should_decrement_desired, struct err *err)
{
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "InstanceId", instance_id);
    aws_params_add(&params, "ShouldDecrementDesiredCapacity",
                   should_decrement_desired ? "true" : "false");
    int rc = asg_call(c, "TerminateInstanceInAutoScalingGroup", &params, err);
    aws_params_free(&params);
    return rc;
}

struct terminate_job {
    const char *const *ids;
    int decrement;
};

static int terminate_one(struct aws_client *worker, size_t i, void *userdata, struct err *err)
{
    const struct terminate_job *j = userdata;
    return asg_terminate_instance(worker, j->ids[i], j->decrement, err);
}

int asg_terminate_instances(struct aws_client *c, const char *const *ids, size_t n,
                            int should_decrement_desired, int *done, struct err *err)
{
    struct terminate_job j = {ids, should_decrement_desired};
    int *ok = xcalloc(n ? n : 1, sizeof(*ok));
    int rc = aws_fanout(c, n, TERMINATE_WORKERS, terminate_one, &j, ok, err);
    int count = 0;
    for (size_t i = 0; i < n; i++)
        count += ok[i];
    free(ok);
    if (done)
        *done = count;
    if (rc != 0)
        svc_err_progress(err, (size_t)count, n, "instances were terminated");
    return rc;
}

int asg_detach_instances(struct aws_client *c, const char *group, const char *const *ids, size_t n,
                         int should_decrement_desired, struct err *err)
{
    for (size_t off = 0; off < n; off += DETACH_BATCH) {
        size_t k = n - off < DETACH_BATCH ? n - off : DETACH_BATCH;
        struct aws_params params = AWS_PARAMS_INIT;
        aws_params_add_list(&params, "InstanceIds", ids + off, k);
        aws_params_add(&params, "AutoScalingGroupName", group);
        aws_params_add(&params, "ShouldDecrementDesiredCapacity",
                       should_decrement_desired ? "true" : "false");
        int rc = asg_call(c, "DetachInstances", &params, err);
        aws_params_free(&params);
        if (rc < 0) {
            svc_err_progress(err, off, n, "instances were detached");
            return -1;
        }
    }
    return 0;
}

int asg_set_instance_protection(struct aws_client *c, const char *group, const char *const *ids,
                                size_t n, int protected_from_scale_in, struct err *err)
{
    for (size_t off = 0; off < n; off += PROTECTION_BATCH) {
        size_t k = n - off < PROTECTION_BATCH ? n - off : PROTECTION_BATCH;
        struct aws_params params = AWS_PARAMS_INIT;
        aws_params_add_list(&params, "InstanceIds", ids + off, k);
        aws_params_add(&params, "AutoScalingGroupName", group);
        aws_params_add(&params, "ProtectedFromScaleIn", protected_from_scale_in ? "true" : "false");
        int rc = asg_call(c, "SetInstanceProtection", &params, err);
        aws_params_free(&params);
        if (rc < 0) {
            svc_err_progress(err, off, n, "instances were updated");
            return -1;
        }
    }
    return 0;
}

static int scaling_processes(struct aws_client *c, const char *action, const char *group,
                             const char *const *processes, size_t n, struct err *err)
{
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "AutoScalingGroupName", group);
    aws_params_add_list(&params, "ScalingProcesses", processes, n);
    int rc = asg_call(c, action, &params, err);
    aws_params_free(&params);
    return rc;
}

int asg_suspend_processes(struct aws_client *c, const char *group, const char *const *processes,
                          size_t n, struct err *err)
{
    if (n == 0) /* AWS would suspend every process */
        return err_set(err, ERR_INTERNAL, "SuspendProcesses: no process named for group %s", group);
    return scaling_processes(c, "SuspendProcesses", group, processes, n, err);
}

int asg_resume_processes(struct aws_client *c, const char *group, const char *const *processes,
                         size_t n, struct err *err)
{
    if (n == 0) /* AWS would resume every process, including ones the user suspended */
        return err_set(err, ERR_INTERNAL, "ResumeProcesses: no process named for group %s", group);
    return scaling_processes(c, "ResumeProcesses", group, processes, n, err);
}

static void add_tag_target(struct aws_params *params, size_t i, const char *group, const char *key)
{
    char name[64];
    snprintf(name, sizeof(name), "Tags.member.%zu.ResourceId", i + 1);
    aws_params_add(params, name, group);
    snprintf(name, sizeof(name), "Tags.member.%zu.ResourceType", i + 1);
    aws_params_add(params, name, "auto-scaling-group");
    snprintf(name, sizeof(name), "Tags.member.%zu.Key", i + 1);
    aws_params_add(params, name, key);
}

int asg_put_tags(struct aws_client *c, const char *group, const struct asg_tag *tags, size_t n,
                 struct err *err)
{
    if (n == 0)
        return 0;
    struct aws_params params = AWS_PARAMS_INIT;
    for (size_t i = 0; i < n; i++) {
        char name[64];
        add_tag_target(&params, i, group, tags[i].key);
        snprintf(name, sizeof(name), "Tags.member.%zu.Value", i + 1);
        aws_params_add(&params, name, tags[i].value ? tags[i].value : "");
        snprintf(name, sizeof(name), "Tags.member.%zu.PropagateAtLaunch", i + 1);
        aws_params_add(&params, name, tags[i].propagate_at_launch ? "true" : "false");
    }
    int rc = asg_call(c, "CreateOrUpdateTags", &params, err);
    aws_params_free(&params);
    return rc;
}

int asg_delete_tags(struct aws_client *c, const char *group, const char *const *keys, size_t n,
                    struct err *err)
{
    if (n == 0)
        return 0;
    struct aws_params params = AWS_PARAMS_INIT;
    for (size_t i = 0; i < n; i++)
        add_tag_target(&params, i, group, keys[i]);
    int rc = asg_call(c, "DeleteTags", &params, err);
    aws_params_free(&params);
    return rc;
}
