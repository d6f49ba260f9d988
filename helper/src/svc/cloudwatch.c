/* CloudWatch DescribeAlarms (API Reference: DescribeAlarms, MetricAlarm):
 * AlarmNames takes at most 100 names, MaxRecords 1-100; without AlarmTypes
 * only metric alarms are returned, which are the ones Auto Scaling scaling
 * policies use. */
#include "svc/cloudwatch.h"

#include <stdlib.h>
#include <string.h>

#include "svc/common.h"
#include "util/mem.h"

#define CW_VERSION "2010-08-01"
#define NAMES_PER_CALL 100
#define MAX_RECORDS 100

static void alarm_free(struct cw_alarm *a)
{
    free(a->name);
    free(a->arn);
    free(a->state);
    free(a->state_reason);
    free(a->comparison_operator);
    free(a->metric_name);
    free(a->metric_namespace);
    memset(a, 0, sizeof(*a));
}

void cw_alarms_free(struct cw_alarm *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        alarm_free(&v[i]);
    free(v);
}

static int parse_alarm(struct svc_parse *p, const struct xml_node *m, struct cw_alarm *a)
{
    a->actions_enabled = 1;
    return svc_xml_str(p, m, "AlarmName", SVC_REQUIRED, &a->name) < 0 ||
                   svc_xml_str(p, m, "AlarmArn", SVC_OPTIONAL, &a->arn) < 0 ||
                   svc_xml_str(p, m, "StateValue", SVC_REQUIRED, &a->state) < 0 ||
                   svc_xml_str(p, m, "StateReason", SVC_OPTIONAL, &a->state_reason) < 0 ||
                   svc_xml_time(p, m, "StateUpdatedTimestamp", SVC_OPTIONAL, &a->state_updated) <
                       0 ||
                   svc_xml_str(p, m, "ComparisonOperator", SVC_OPTIONAL, &a->comparison_operator) <
                       0 ||
                   svc_xml_str(p, m, "MetricName", SVC_OPTIONAL, &a->metric_name) < 0 ||
                   svc_xml_str(p, m, "Namespace", SVC_OPTIONAL, &a->metric_namespace) < 0 ||
                   svc_xml_double(p, m, "Threshold", SVC_OPTIONAL, &a->threshold) < 0 ||
                   svc_xml_int(p, m, "Period", SVC_OPTIONAL, &a->period) < 0 ||
                   svc_xml_int(p, m, "EvaluationPeriods", SVC_OPTIONAL, &a->evaluation_periods) <
                       0 ||
                   svc_xml_int(p, m, "DatapointsToAlarm", SVC_OPTIONAL, &a->datapoints_to_alarm) <
                       0 ||
                   svc_xml_bool(p, m, "ActionsEnabled", SVC_OPTIONAL, &a->actions_enabled) < 0
               ? -1
               : 0;
}

int cw_parse_describe_alarms(const struct xml_node *root, struct cw_alarm **v, size_t *n,
                             char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeAlarms", err);
    *next_token = NULL;
    const struct xml_node *res = root ? xml_child(root, "DescribeAlarmsResult") : NULL;
    if (!res)
        return svc_parse_fail(&p, "DescribeAlarmsResult", "is missing");
    const struct xml_node *list;
    if (svc_xml_list(&p, res, "MetricAlarms", SVC_OPTIONAL, &list) < 0)
        return -1;
    size_t count = 0;
    for (const struct xml_node *m = list ? xml_child(list, "member") : NULL; m;
         m = xml_next_same(m))
        count++;
    struct cw_alarm *page = count ? xcalloc(count, sizeof(*page)) : NULL;
    size_t old = svc_parse_push(&p, "MetricAlarms");
    size_t i = 0;
    for (const struct xml_node *m = list ? xml_child(list, "member") : NULL; m;
         m = xml_next_same(m), i++) {
        size_t old_i = svc_parse_push_index(&p, i);
        if (parse_alarm(&p, m, &page[i]) < 0) {
            cw_alarms_free(page, count);
            return -1;
        }
        svc_parse_pop(&p, old_i);
    }
    svc_parse_pop(&p, old);
    char *token = NULL;
    if (svc_xml_str(&p, res, "NextToken", SVC_OPTIONAL, &token) < 0) {
        cw_alarms_free(page, count);
        return -1;
    }
    if (token && !*token) {
        free(token);
        token = NULL;
    }
    *v = svc_append(*v, n, page, count, sizeof(*page));
    free(page);
    *next_token = token;
    return 0;
}

struct alarms_ctx {
    struct cw_alarm **v;
    size_t *n;
};

static int alarms_page(const struct xml_node *root, void *items, char **next_token, struct err *err)
{
    const struct alarms_ctx *ctx = items;
    return cw_parse_describe_alarms(root, ctx->v, ctx->n, next_token, err);
}

/* One DescribeAlarms query, every page (the shared Query paginator). */
static int describe_pages(struct aws_client *c, const char *const *names, size_t n,
                          struct cw_alarm **out, size_t *n_out, struct err *err)
{
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add_list(&params, "AlarmNames", names, n);
    aws_params_addf(&params, "MaxRecords", "%d", MAX_RECORDS);
    struct alarms_ctx ctx = {out, n_out};
    struct svc_query_pages q = {&AWS_SVC_CLOUDWATCH, CW_VERSION,  "DescribeAlarms",
                                "NextToken",         alarms_page, &ctx};
    int rc = svc_query_pages(c, &q, &params, err);
    aws_params_free(&params);
    return rc;
}

int cw_describe_alarms(struct aws_client *c, const char *const *names, size_t n,
                       struct cw_alarm **out, size_t *n_out, struct err *err)
{
    *out = NULL;
    *n_out = 0;
    /* No names would describe every alarm of the account. */
    for (size_t off = 0; off < n; off += NAMES_PER_CALL) {
        size_t k = n - off < NAMES_PER_CALL ? n - off : NAMES_PER_CALL;
        if (describe_pages(c, names + off, k, out, n_out, err) < 0) {
            cw_alarms_free(*out, *n_out);
            *out = NULL;
            *n_out = 0;
            return -1;
        }
    }
    return 0;
}
