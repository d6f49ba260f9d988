/* What else is configured on an Auto Scaling group besides its sizes and
 * instances: scaling policies, scheduled actions, lifecycle hooks and
 * instance refreshes (Query protocol, 2011-01-01). The rollout reads them to
 * hold what would fight it and to refuse what it cannot roll safely.
 * Pagination is handled inside. */
#ifndef ECSR_SVC_ASG_CONFIG_H
#define ECSR_SVC_ASG_CONFIG_H

#include <stddef.h>

#include "aws/client.h"
#include "util/strv.h"

/* ---- DescribePolicies ---- */

struct asg_policy {
    char *name;
    char *arn;
    char *type; /* SimpleScaling, StepScaling, TargetTrackingScaling, PredictiveScaling */
    char *adjustment_type; /* ChangeInCapacity, ExactCapacity, PercentChangeInCapacity; NULL */
    int enabled;           /* Enabled (AWS's default: true) */
    /* SimpleScaling: ScalingAdjustment; StepScaling: the lowest of the
     * steps' adjustments. has_adjustment is 0 when neither is given. */
    int has_adjustment;
    int min_adjustment;
    /* TargetTrackingScaling */
    int scale_in_disabled; /* TargetTrackingConfiguration.DisableScaleIn */
    double target_value;
    char *metric;            /* the predefined metric type, or the customized metric's name */
    char *metric_namespace;  /* customized metrics only, else NULL */
    struct strv alarm_names; /* the CloudWatch alarms that invoke it */
};

void asg_policies_free(struct asg_policy *v, size_t n);

/* Every scaling policy of the group (MaxRecords 100, following NextToken). */
int asg_describe_policies(struct aws_client *c, const char *group, struct asg_policy **out,
                          size_t *n_out, struct err *err);

/* Whether an alarm of this policy can make it remove instances, from what
 * the policy says alone: 1 yes, 0 no, -1 it depends on the alarm (target
 * tracking: its low alarm scales in; see asg_alarm_comparison_scales_in). */
int asg_policy_can_scale_in(const struct asg_policy *p);
/* For a target tracking policy's alarm: the alarm that fires when the
 * metric is below the target (LessThan...) is the one that scales in. */
int asg_alarm_comparison_scales_in(const char *comparison_operator);

/* ---- DescribeScheduledActions ---- */

struct asg_scheduled_action {
    char *name;
    char *arn;
    long long start_time; /* Unix seconds of its (next) start; 0 when absent */
    long long end_time;   /* 0 when absent */
    char *recurrence;     /* cron expression, NULL for a one-time action */
    char *time_zone;      /* NULL: UTC */
    int min_size;         /* -1 when the action leaves it */
    int max_size;
    int desired_capacity;
};

void asg_scheduled_actions_free(struct asg_scheduled_action *v, size_t n);

/* Every scheduled action of the group (MaxRecords 100, following
 * NextToken). */
int asg_describe_scheduled_actions(struct aws_client *c, const char *group,
                                   struct asg_scheduled_action **out, size_t *n_out,
                                   struct err *err);

/* ---- DescribeLifecycleHooks ---- */

#define ASG_TRANSITION_LAUNCHING "autoscaling:EC2_INSTANCE_LAUNCHING"
#define ASG_TRANSITION_TERMINATING "autoscaling:EC2_INSTANCE_TERMINATING"

struct asg_lifecycle_hook {
    char *name;
    char *transition;            /* ASG_TRANSITION_* */
    int heartbeat_timeout;       /* seconds; AWS's default 3600 when absent */
    int global_timeout;          /* seconds; AWS's default 100 x heartbeat (at most 172800) */
    char *default_result;        /* CONTINUE or ABANDON; NULL when absent */
    char *notification_metadata; /* NULL when absent */
};

void asg_lifecycle_hooks_free(struct asg_lifecycle_hook *v, size_t n);

/* Every lifecycle hook of the group (the call is not paginated). */
int asg_describe_lifecycle_hooks(struct aws_client *c, const char *group,
                                 struct asg_lifecycle_hook **out, size_t *n_out, struct err *err);

/* ---- DescribeInstanceRefreshes ---- */

struct asg_instance_refresh {
    char *id;
    char *status; /* Pending, InProgress, Successful, Failed, Cancelling, Cancelled, Baking,
                     RollbackInProgress, RollbackFailed, RollbackSuccessful */
    char *status_reason;
    long long start_time; /* 0 when absent */
    int percentage_complete;
    int instances_to_update;
};

void asg_instance_refreshes_free(struct asg_instance_refresh *v, size_t n);

/* The group's instance refreshes, newest first: the first page only
 * (MaxRecords 100), since at most one refresh can be active and AWS lists
 * it first. */
int asg_describe_instance_refreshes(struct aws_client *c, const char *group,
                                    struct asg_instance_refresh **out, size_t *n_out,
                                    struct err *err);

/* A refresh in one of these states still replaces instances (or is about
 * to, or is undoing what it did). */
int asg_instance_refresh_is_active(const struct asg_instance_refresh *r);

/* Parsers of one response (the root element), exposed for unit tests and
 * fuzzing: each appends to *v / *n, leaves them unchanged on error
 * (ERR_PROTOCOL naming the field); *next_token is a new string, NULL on the
 * last page (NULL next_token: the call has no pages). */
int asg_parse_policies(const struct xml_node *root, struct asg_policy **v, size_t *n,
                       char **next_token, struct err *err);
int asg_parse_scheduled_actions(const struct xml_node *root, struct asg_scheduled_action **v,
                                size_t *n, char **next_token, struct err *err);
int asg_parse_lifecycle_hooks(const struct xml_node *root, struct asg_lifecycle_hook **v, size_t *n,
                              struct err *err);
int asg_parse_instance_refreshes(const struct xml_node *root, struct asg_instance_refresh **v,
                                 size_t *n, char **next_token, struct err *err);

#endif
