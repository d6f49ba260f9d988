/* CloudWatch calls the rollout needs (Query protocol, 2010-08-01): the
 * state of the alarms that invoke the group's scaling policies. */
#ifndef ECSR_SVC_CLOUDWATCH_H
#define ECSR_SVC_CLOUDWATCH_H

#include <stddef.h>

#include "aws/client.h"
#include "util/strv.h"

struct cw_alarm {
    char *name;
    char *arn;
    char *state;               /* OK, ALARM, INSUFFICIENT_DATA */
    char *state_reason;        /* NULL when absent */
    long long state_updated;   /* StateUpdatedTimestamp, Unix seconds; 0 when absent */
    char *comparison_operator; /* GreaterThanThreshold, LessThanThreshold, ... */
    char *metric_name;         /* NULL for an alarm on a metric math expression */
    char *metric_namespace;
    double threshold;
    int period;              /* seconds; 0 when absent */
    int evaluation_periods;  /* 0 when absent */
    int datapoints_to_alarm; /* 0 when absent: equal to evaluation_periods */
    int actions_enabled;     /* AWS's default: true */
};

void cw_alarms_free(struct cw_alarm *v, size_t n);

/* DescribeAlarms of these metric alarms by name, 100 names per call,
 * following NextToken; names that do not exist are left out. */
int cw_describe_alarms(struct aws_client *c, const char *const *names, size_t n,
                       struct cw_alarm **out, size_t *n_out, struct err *err);

/* Parses one DescribeAlarms response (the root element), appending its
 * MetricAlarms to *v / *n, unchanged on error; *next_token is a new string,
 * NULL on the last page. Exposed for unit tests and fuzzing. */
int cw_parse_describe_alarms(const struct xml_node *root, struct cw_alarm **v, size_t *n,
                             char **next_token, struct err *err);

#endif
