/* Scaling policies, scheduled actions, lifecycle hooks and instance
 * refreshes of a group. Field names and defaults are the Amazon EC2 Auto
 * Scaling API Reference's (DescribePolicies, DescribeScheduledActions,
 * DescribeLifecycleHooks, DescribeInstanceRefreshes; data types
 * ScalingPolicy, StepAdjustment, TargetTrackingConfiguration,
 * ScheduledUpdateGroupAction, LifecycleHook, InstanceRefresh). */
#include "svc/asg_config.h"

#include <stdlib.h>
#include <string.h>

#include "svc/common.h"
#include "util/mem.h"

#define ASG_VERSION "2011-01-01"
#define MAX_RECORDS 100 /* the most DescribePolicies/ScheduledActions/InstanceRefreshes return */

/* LifecycleHook defaults (API Reference, PutLifecycleHook): HeartbeatTimeout
 * 3600 s; the global timeout is 100 times the heartbeat timeout or 48 hours,
 * whichever is smaller. */
#define HOOK_DEFAULT_HEARTBEAT 3600
#define HOOK_MAX_GLOBAL 172800

/* ---- parsing a member list ---- */

typedef int (*item_parse_fn)(struct svc_parse *p, const struct xml_node *m, void *item);
typedef void (*item_free_fn)(void *item);

/* Parses <RESULT><LIST><member>...</member>...</LIST><NextToken/></RESULT>
 * under the response root, appending to *v (elements of `size` bytes). */
static int parse_member_list(struct svc_parse *p, const struct xml_node *root, const char *result,
                             const char *list_name, size_t size, item_parse_fn parse,
                             item_free_fn free_one, void **v, size_t *n, char **next_token)
{
    if (next_token)
        *next_token = NULL;
    const struct xml_node *res = root ? xml_child(root, result) : NULL;
    if (!res)
        return svc_parse_fail(p, result, "is missing");
    const struct xml_node *list;
    if (svc_xml_list(p, res, list_name, SVC_OPTIONAL, &list) < 0)
        return -1;
    size_t count = 0;
    for (const struct xml_node *m = list ? xml_child(list, "member") : NULL; m;
         m = xml_next_same(m))
        count++;
    char *page = count ? xcalloc(count, size) : NULL;
    size_t old = svc_parse_push(p, list_name);
    size_t i = 0;
    for (const struct xml_node *m = list ? xml_child(list, "member") : NULL; m;
         m = xml_next_same(m), i++) {
        size_t old_i = svc_parse_push_index(p, i);
        if (parse(p, m, page + i * size) < 0) {
            for (size_t j = 0; j <= i; j++)
                free_one(page + j * size);
            free(page);
            return -1;
        }
        svc_parse_pop(p, old_i);
    }
    svc_parse_pop(p, old);
    char *token = NULL;
    if (next_token && svc_xml_str(p, res, "NextToken", SVC_OPTIONAL, &token) < 0) {
        for (size_t j = 0; j < count; j++)
            free_one(page + j * size);
        free(page);
        return -1;
    }
    if (token && !*token) {
        free(token);
        token = NULL;
    }
    *v = svc_append(*v, n, page, count, size);
    free(page);
    if (next_token)
        *next_token = token;
    return 0;
}

typedef int (*page_parse_fn)(const struct xml_node *root, void **v, size_t *n, char **next,
                             struct err *err);

struct page_ctx {
    page_parse_fn parse;
    void **v;
    size_t *n;
};

static int parse_page(const struct xml_node *root, void *items, char **next_token, struct err *err)
{
    const struct page_ctx *ctx = items;
    return ctx->parse(root, ctx->v, ctx->n, next_token, err);
}

/* Every page of a group's Describe call (the shared Query paginator), or
 * just the first with first_only. */
static int describe_pages(struct aws_client *c, const char *action, const char *group,
                          int first_only, page_parse_fn parse, void **v, size_t *n, struct err *err)
{
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "AutoScalingGroupName", group);
    aws_params_addf(&params, "MaxRecords", "%d", MAX_RECORDS);
    int rc;
    if (first_only) {
        struct xml_node *root = NULL;
        char *next = NULL;
        rc = aws_query_call(c, &AWS_SVC_AUTOSCALING, action, ASG_VERSION, &params, 0, &root, err);
        if (rc == 0)
            rc = parse(root, v, n, &next, err);
        free(next);
        xml_free(root);
    } else {
        struct page_ctx ctx = {parse, v, n};
        struct svc_query_pages q = {&AWS_SVC_AUTOSCALING, ASG_VERSION, action,
                                    "NextToken",          parse_page,  &ctx};
        rc = svc_query_pages(c, &q, &params, err);
    }
    aws_params_free(&params);
    return rc < 0 ? -1 : 0;
}

/* ---- DescribePolicies ---- */

static void policy_free(void *item)
{
    struct asg_policy *p = item;
    free(p->name);
    free(p->arn);
    free(p->type);
    free(p->adjustment_type);
    free(p->metric);
    free(p->metric_namespace);
    strv_free(&p->alarm_names);
    memset(p, 0, sizeof(*p));
}

void asg_policies_free(struct asg_policy *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        policy_free(&v[i]);
    free(v);
}

static int parse_steps(struct svc_parse *p, const struct xml_node *m, struct asg_policy *out)
{
    const struct xml_node *list;
    if (svc_xml_list(p, m, "StepAdjustments", SVC_OPTIONAL, &list) < 0)
        return -1;
    if (!list)
        return 0;
    size_t old = svc_parse_push(p, "StepAdjustments");
    size_t i = 0;
    for (const struct xml_node *s = xml_child(list, "member"); s; s = xml_next_same(s), i++) {
        size_t old_i = svc_parse_push_index(p, i);
        int adj = 0;
        if (svc_xml_int(p, s, "ScalingAdjustment", SVC_REQUIRED, &adj) < 0)
            return -1;
        if (!out->has_adjustment || adj < out->min_adjustment)
            out->min_adjustment = adj;
        out->has_adjustment = 1;
        svc_parse_pop(p, old_i);
    }
    svc_parse_pop(p, old);
    return 0;
}

static int parse_target_tracking(struct svc_parse *p, const struct xml_node *m,
                                 struct asg_policy *out)
{
    const struct xml_node *tt = xml_child(m, "TargetTrackingConfiguration");
    if (!tt)
        return 0;
    size_t old = svc_parse_push(p, "TargetTrackingConfiguration");
    int rc = -1;
    if (svc_xml_bool(p, tt, "DisableScaleIn", SVC_OPTIONAL, &out->scale_in_disabled) < 0 ||
        svc_xml_double(p, tt, "TargetValue", SVC_OPTIONAL, &out->target_value) < 0)
        goto out;
    const struct xml_node *pre = xml_child(tt, "PredefinedMetricSpecification");
    const struct xml_node *cust = xml_child(tt, "CustomizedMetricSpecification");
    if (pre) {
        svc_parse_push(p, "PredefinedMetricSpecification");
        if (svc_xml_str(p, pre, "PredefinedMetricType", SVC_REQUIRED, &out->metric) < 0)
            goto out;
    } else if (cust) {
        svc_parse_push(p, "CustomizedMetricSpecification");
        if (svc_xml_str(p, cust, "MetricName", SVC_OPTIONAL, &out->metric) < 0 ||
            svc_xml_str(p, cust, "Namespace", SVC_OPTIONAL, &out->metric_namespace) < 0)
            goto out;
    }
    rc = 0;
out:
    svc_parse_pop(p, old);
    return rc;
}

static int parse_policy_alarms(struct svc_parse *p, const struct xml_node *m,
                               struct asg_policy *out)
{
    const struct xml_node *list;
    if (svc_xml_list(p, m, "Alarms", SVC_OPTIONAL, &list) < 0)
        return -1;
    if (!list)
        return 0;
    size_t old = svc_parse_push(p, "Alarms");
    size_t i = 0;
    for (const struct xml_node *a = xml_child(list, "member"); a; a = xml_next_same(a), i++) {
        size_t old_i = svc_parse_push_index(p, i);
        char *name;
        if (svc_xml_str(p, a, "AlarmName", SVC_REQUIRED, &name) < 0)
            return -1;
        strv_push_owned(&out->alarm_names, name);
        svc_parse_pop(p, old_i);
    }
    svc_parse_pop(p, old);
    return 0;
}

static int policy_parse(struct svc_parse *p, const struct xml_node *m, void *item)
{
    struct asg_policy *out = item;
    out->enabled = 1;
    if (svc_xml_str(p, m, "PolicyName", SVC_REQUIRED, &out->name) < 0 ||
        svc_xml_str(p, m, "PolicyARN", SVC_OPTIONAL, &out->arn) < 0 ||
        svc_xml_str(p, m, "PolicyType", SVC_OPTIONAL, &out->type) < 0 ||
        svc_xml_str(p, m, "AdjustmentType", SVC_OPTIONAL, &out->adjustment_type) < 0 ||
        svc_xml_bool(p, m, "Enabled", SVC_OPTIONAL, &out->enabled) < 0)
        return -1;
    if (xml_child(m, "ScalingAdjustment")) {
        if (svc_xml_int(p, m, "ScalingAdjustment", SVC_REQUIRED, &out->min_adjustment) < 0)
            return -1;
        out->has_adjustment = 1;
    }
    if (parse_steps(p, m, out) < 0 || parse_target_tracking(p, m, out) < 0 ||
        parse_policy_alarms(p, m, out) < 0)
        return -1;
    if (!out->type) /* PolicyType's default (API Reference, PutScalingPolicy) */
        out->type = xstrdup("SimpleScaling");
    return 0;
}

int asg_parse_policies(const struct xml_node *root, struct asg_policy **v, size_t *n,
                       char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribePolicies", err);
    return parse_member_list(&p, root, "DescribePoliciesResult", "ScalingPolicies", sizeof(**v),
                             policy_parse, policy_free, (void **)v, n, next_token);
}

static int policies_page(const struct xml_node *root, void **v, size_t *n, char **next,
                         struct err *err)
{
    return asg_parse_policies(root, (struct asg_policy **)v, n, next, err);
}

int asg_describe_policies(struct aws_client *c, const char *group, struct asg_policy **out,
                          size_t *n_out, struct err *err)
{
    *out = NULL;
    *n_out = 0;
    if (describe_pages(c, "DescribePolicies", group, 0, policies_page, (void **)out, n_out, err) <
        0) {
        asg_policies_free(*out, *n_out);
        *out = NULL;
        *n_out = 0;
        return -1;
    }
    return 0;
}

int asg_policy_can_scale_in(const struct asg_policy *p)
{
    if (!p->enabled)
        return 0;
    if (strcmp(p->type, "TargetTrackingScaling") == 0)
        return p->scale_in_disabled ? 0 : -1;
    if (strcmp(p->type, "PredictiveScaling") == 0)
        return 0; /* it only ever raises capacity (User Guide, predictive scaling) */
    /* An ExactCapacity policy may set any size: count it as scaling in. */
    if (p->adjustment_type && strcmp(p->adjustment_type, "ExactCapacity") == 0)
        return 1;
    return p->has_adjustment && p->min_adjustment < 0;
}

int asg_alarm_comparison_scales_in(const char *comparison_operator)
{
    return comparison_operator && strncmp(comparison_operator, "LessThan", 8) == 0;
}

/* ---- DescribeScheduledActions ---- */

static void scheduled_free(void *item)
{
    struct asg_scheduled_action *a = item;
    free(a->name);
    free(a->arn);
    free(a->recurrence);
    free(a->time_zone);
    memset(a, 0, sizeof(*a));
}

void asg_scheduled_actions_free(struct asg_scheduled_action *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        scheduled_free(&v[i]);
    free(v);
}

static int scheduled_parse(struct svc_parse *p, const struct xml_node *m, void *item)
{
    struct asg_scheduled_action *a = item;
    a->min_size = a->max_size = a->desired_capacity = -1;
    if (svc_xml_str(p, m, "ScheduledActionName", SVC_REQUIRED, &a->name) < 0 ||
        svc_xml_str(p, m, "ScheduledActionARN", SVC_OPTIONAL, &a->arn) < 0 ||
        svc_xml_time(p, m, "StartTime", SVC_OPTIONAL, &a->start_time) < 0 ||
        svc_xml_time(p, m, "EndTime", SVC_OPTIONAL, &a->end_time) < 0 ||
        svc_xml_str(p, m, "Recurrence", SVC_OPTIONAL, &a->recurrence) < 0 ||
        svc_xml_str(p, m, "TimeZone", SVC_OPTIONAL, &a->time_zone) < 0 ||
        svc_xml_int(p, m, "MinSize", SVC_OPTIONAL, &a->min_size) < 0 ||
        svc_xml_int(p, m, "MaxSize", SVC_OPTIONAL, &a->max_size) < 0 ||
        svc_xml_int(p, m, "DesiredCapacity", SVC_OPTIONAL, &a->desired_capacity) < 0)
        return -1;
    /* "Time" is the older name of StartTime (still sent by AWS). */
    if (!a->start_time && svc_xml_time(p, m, "Time", SVC_OPTIONAL, &a->start_time) < 0)
        return -1;
    return 0;
}

int asg_parse_scheduled_actions(const struct xml_node *root, struct asg_scheduled_action **v,
                                size_t *n, char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeScheduledActions", err);
    return parse_member_list(&p, root, "DescribeScheduledActionsResult",
                             "ScheduledUpdateGroupActions", sizeof(**v), scheduled_parse,
                             scheduled_free, (void **)v, n, next_token);
}

static int scheduled_page(const struct xml_node *root, void **v, size_t *n, char **next,
                          struct err *err)
{
    return asg_parse_scheduled_actions(root, (struct asg_scheduled_action **)v, n, next, err);
}

int asg_describe_scheduled_actions(struct aws_client *c, const char *group,
                                   struct asg_scheduled_action **out, size_t *n_out,
                                   struct err *err)
{
    *out = NULL;
    *n_out = 0;
    if (describe_pages(c, "DescribeScheduledActions", group, 0, scheduled_page, (void **)out, n_out,
                       err) < 0) {
        asg_scheduled_actions_free(*out, *n_out);
        *out = NULL;
        *n_out = 0;
        return -1;
    }
    return 0;
}

/* ---- DescribeLifecycleHooks ---- */

static void hook_free(void *item)
{
    struct asg_lifecycle_hook *h = item;
    free(h->name);
    free(h->transition);
    free(h->default_result);
    free(h->notification_metadata);
    memset(h, 0, sizeof(*h));
}

void asg_lifecycle_hooks_free(struct asg_lifecycle_hook *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hook_free(&v[i]);
    free(v);
}

static int hook_parse(struct svc_parse *p, const struct xml_node *m, void *item)
{
    struct asg_lifecycle_hook *h = item;
    h->heartbeat_timeout = HOOK_DEFAULT_HEARTBEAT;
    h->global_timeout = -1;
    if (svc_xml_str(p, m, "LifecycleHookName", SVC_REQUIRED, &h->name) < 0 ||
        svc_xml_str(p, m, "LifecycleTransition", SVC_REQUIRED, &h->transition) < 0 ||
        svc_xml_int(p, m, "HeartbeatTimeout", SVC_OPTIONAL, &h->heartbeat_timeout) < 0 ||
        svc_xml_int(p, m, "GlobalTimeout", SVC_OPTIONAL, &h->global_timeout) < 0 ||
        svc_xml_str(p, m, "DefaultResult", SVC_OPTIONAL, &h->default_result) < 0 ||
        svc_xml_str(p, m, "NotificationMetadata", SVC_OPTIONAL, &h->notification_metadata) < 0)
        return -1;
    if (h->heartbeat_timeout < 0)
        return svc_parse_fail(p, "HeartbeatTimeout", "%d is negative", h->heartbeat_timeout);
    if (h->global_timeout < 0) {
        long g = 100L * h->heartbeat_timeout;
        h->global_timeout = g < HOOK_MAX_GLOBAL ? (int)g : HOOK_MAX_GLOBAL;
    }
    return 0;
}

int asg_parse_lifecycle_hooks(const struct xml_node *root, struct asg_lifecycle_hook **v, size_t *n,
                              struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeLifecycleHooks", err);
    return parse_member_list(&p, root, "DescribeLifecycleHooksResult", "LifecycleHooks",
                             sizeof(**v), hook_parse, hook_free, (void **)v, n, NULL);
}

int asg_describe_lifecycle_hooks(struct aws_client *c, const char *group,
                                 struct asg_lifecycle_hook **out, size_t *n_out, struct err *err)
{
    *out = NULL;
    *n_out = 0;
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "AutoScalingGroupName", group);
    struct xml_node *root = NULL;
    int rc = aws_query_call(c, &AWS_SVC_AUTOSCALING, "DescribeLifecycleHooks", ASG_VERSION, &params,
                            0, &root, err);
    aws_params_free(&params);
    if (rc == 0)
        rc = asg_parse_lifecycle_hooks(root, out, n_out, err);
    xml_free(root);
    return rc;
}

/* ---- DescribeInstanceRefreshes ---- */

static void refresh_free(void *item)
{
    struct asg_instance_refresh *r = item;
    free(r->id);
    free(r->status);
    free(r->status_reason);
    memset(r, 0, sizeof(*r));
}

void asg_instance_refreshes_free(struct asg_instance_refresh *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        refresh_free(&v[i]);
    free(v);
}

static int refresh_parse(struct svc_parse *p, const struct xml_node *m, void *item)
{
    struct asg_instance_refresh *r = item;
    if (svc_xml_str(p, m, "InstanceRefreshId", SVC_REQUIRED, &r->id) < 0 ||
        svc_xml_str(p, m, "Status", SVC_REQUIRED, &r->status) < 0 ||
        svc_xml_str(p, m, "StatusReason", SVC_OPTIONAL, &r->status_reason) < 0 ||
        svc_xml_time(p, m, "StartTime", SVC_OPTIONAL, &r->start_time) < 0 ||
        svc_xml_int(p, m, "PercentageComplete", SVC_OPTIONAL, &r->percentage_complete) < 0 ||
        svc_xml_int(p, m, "InstancesToUpdate", SVC_OPTIONAL, &r->instances_to_update) < 0)
        return -1;
    return 0;
}

int asg_parse_instance_refreshes(const struct xml_node *root, struct asg_instance_refresh **v,
                                 size_t *n, char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeInstanceRefreshes", err);
    return parse_member_list(&p, root, "DescribeInstanceRefreshesResult", "InstanceRefreshes",
                             sizeof(**v), refresh_parse, refresh_free, (void **)v, n, next_token);
}

static int refreshes_page(const struct xml_node *root, void **v, size_t *n, char **next,
                          struct err *err)
{
    return asg_parse_instance_refreshes(root, (struct asg_instance_refresh **)v, n, next, err);
}

int asg_describe_instance_refreshes(struct aws_client *c, const char *group,
                                    struct asg_instance_refresh **out, size_t *n_out,
                                    struct err *err)
{
    *out = NULL;
    *n_out = 0;
    if (describe_pages(c, "DescribeInstanceRefreshes", group, 1, refreshes_page, (void **)out,
                       n_out, err) < 0) {
        asg_instance_refreshes_free(*out, *n_out);
        *out = NULL;
        *n_out = 0;
        return -1;
    }
    return 0;
}

int asg_instance_refresh_is_active(const struct asg_instance_refresh *r)
{
    static const char *const active[] = {"Pending", "InProgress", "Cancelling",
                                         "RollbackInProgress", "Baking"};
    for (size_t i = 0; i < sizeof(active) / sizeof(active[0]); i++)
        if (r->status && strcmp(r->status, active[i]) == 0)
            return 1;
    return 0;
}
