/* Scaling policies, scheduled actions, lifecycle hooks, instance refreshes
 * (svc/asg_config.c) and CloudWatch alarms (svc/cloudwatch.c) against a
 * loopback server playing AWS: what is sent, how answers shaped like the
 * API Reference's examples are read, pagination, and errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/asg_config.h"
#include "svc/cloudwatch.h"
#include "svc_loopback.h"
#include "test.h"
#include "util/buf.h"

#define NS "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\""

/* The policy ECS puts on a capacity provider's group (managed scaling),
 * then a step policy that scales in; the first page ends with a token. */
static const char POLICIES_PAGE1[] =
    "<DescribePoliciesResponse " NS "><DescribePoliciesResult><ScalingPolicies>"
    "<member><AutoScalingGroupName>web</AutoScalingGroupName>"
    "<PolicyName>ECSManagedAutoScalingPolicy-0d8c</PolicyName>"
    "<PolicyARN>arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:"
    "autoScalingGroupName/web:policyName/ECSManagedAutoScalingPolicy-0d8c</PolicyARN>"
    "<PolicyType>TargetTrackingScaling</PolicyType><StepAdjustments/>"
    "<Alarms>"
    "<member><AlarmName>TargetTracking-web-AlarmHigh-1</AlarmName>"
    "<AlarmARN>arn:aws:cloudwatch:us-east-1:123456789012:alarm:a1</AlarmARN></member>"
    "<member><AlarmName>TargetTracking-web-AlarmLow-2</AlarmName>"
    "<AlarmARN>arn:aws:cloudwatch:us-east-1:123456789012:alarm:a2</AlarmARN></member>"
    "</Alarms>"
    "<TargetTrackingConfiguration><CustomizedMetricSpecification>"
    "<MetricName>CapacityProviderReservation</MetricName>"
    "<Namespace>AWS/ECS/ManagedScaling</Namespace><Statistic>Average</Statistic>"
    "</CustomizedMetricSpecification><TargetValue>100.0</TargetValue>"
    "<DisableScaleIn>false</DisableScaleIn></TargetTrackingConfiguration>"
    "<Enabled>true</Enabled></member>"
    "</ScalingPolicies><NextToken>p2</NextToken></DescribePoliciesResult>"
    "<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribePoliciesResponse>";

static const char POLICIES_PAGE2[] =
    "<DescribePoliciesResponse " NS "><DescribePoliciesResult><ScalingPolicies>"
    "<member><AutoScalingGroupName>web</AutoScalingGroupName><PolicyName>cpu-low</PolicyName>"
    "<PolicyType>StepScaling</PolicyType><AdjustmentType>ChangeInCapacity</AdjustmentType>"
    "<StepAdjustments><member><MetricIntervalUpperBound>0</MetricIntervalUpperBound>"
    "<ScalingAdjustment>-1</ScalingAdjustment></member>"
    "<member><MetricIntervalUpperBound>-10</MetricIntervalUpperBound>"
    "<ScalingAdjustment>-2</ScalingAdjustment></member></StepAdjustments>"
    "<Alarms><member><AlarmName>cpu-low</AlarmName></member></Alarms></member>"
    "<member><PolicyName>add-one</PolicyName><PolicyType>SimpleScaling</PolicyType>"
    "<AdjustmentType>ChangeInCapacity</AdjustmentType><ScalingAdjustment>1</ScalingAdjustment>"
    "<Enabled>true</Enabled></member>"
    "<member><PolicyName>off</PolicyName><PolicyType>SimpleScaling</PolicyType>"
    "<ScalingAdjustment>-1</ScalingAdjustment><Enabled>false</Enabled></member>"
    "</ScalingPolicies></DescribePoliciesResult></DescribePoliciesResponse>";

TEST(policies_of_a_managed_scaling_group_over_two_pages)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS, POLICIES_PAGE1);
    loopback_push(e.lb, 200, XML_HEADERS, POLICIES_PAGE2);
    struct asg_policy *v;
    size_t n;
    struct err err;
    int rc = asg_describe_policies(&e.c, "web", &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 4);
    CHECK_INT(loopback_request_count(e.lb), 2);
    const struct loopback_request *r0 = svc_lb_request(&e, 0), *r1 = svc_lb_request(&e, 1);
    CHECK(svc_lb_form_is(r0, "Action", "DescribePolicies"));
    CHECK(svc_lb_form_is(r0, "Version", "2011-01-01"));
    CHECK(svc_lb_form_is(r0, "AutoScalingGroupName", "web"));
    CHECK(svc_lb_form_is(r0, "MaxRecords", "100"));
    CHECK(!svc_lb_form_has(r0, "NextToken"));
    CHECK(svc_lb_form_is(r1, "NextToken", "p2"));
    if (n == 4) {
        CHECK_STR(v[0].type, "TargetTrackingScaling");
        CHECK_STR(v[0].metric, "CapacityProviderReservation");
        CHECK_STR(v[0].metric_namespace, "AWS/ECS/ManagedScaling");
        CHECK(v[0].target_value == 100.0);
        CHECK_INT(v[0].alarm_names.n, 2);
        CHECK_STR(v[0].alarm_names.v[1], "TargetTracking-web-AlarmLow-2");
        CHECK_INT(asg_policy_can_scale_in(&v[0]), -1); /* its low alarm does */
        CHECK_STR(v[1].type, "StepScaling");
        CHECK_INT(v[1].min_adjustment, -2);
        CHECK_INT(asg_policy_can_scale_in(&v[1]), 1);
        CHECK_INT(asg_policy_can_scale_in(&v[2]), 0);
        CHECK_INT(v[3].enabled, 0);
        CHECK_INT(asg_policy_can_scale_in(&v[3]), 0);
    }
    asg_policies_free(v, n);
    svc_lb_stop(&e);
}

TEST(target_tracking_without_scale_in_and_alarm_directions)
{
    struct asg_policy p;
    memset(&p, 0, sizeof(p));
    p.enabled = 1;
    p.type = "TargetTrackingScaling";
    p.scale_in_disabled = 1;
    CHECK_INT(asg_policy_can_scale_in(&p), 0);
    p.type = "SimpleScaling";
    p.adjustment_type = "ExactCapacity";
    p.has_adjustment = 1;
    p.min_adjustment = 5;
    CHECK_INT(asg_policy_can_scale_in(&p), 1); /* may set any size */
    p.type = "PredictiveScaling";
    CHECK_INT(asg_policy_can_scale_in(&p), 0);
    CHECK(asg_alarm_comparison_scales_in("LessThanThreshold"));
    CHECK(asg_alarm_comparison_scales_in("LessThanOrEqualToThreshold"));
    CHECK(!asg_alarm_comparison_scales_in("GreaterThanThreshold"));
    CHECK(!asg_alarm_comparison_scales_in(NULL));
}

TEST(malformed_policy_answers_name_the_field)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS,
                  "<DescribePoliciesResponse><DescribePoliciesResult><ScalingPolicies>"
                  "<member><PolicyName>p</PolicyName><TargetTrackingConfiguration>"
                  "<TargetValue>lots</TargetValue></TargetTrackingConfiguration></member>"
                  "</ScalingPolicies></DescribePoliciesResult></DescribePoliciesResponse>");
    loopback_push(e.lb, 200, XML_HEADERS,
                  "<DescribePoliciesResponse><DescribePoliciesResult><ScalingPolicies>"
                  "<member><PolicyType>StepScaling</PolicyType></member>"
                  "</ScalingPolicies></DescribePoliciesResult></DescribePoliciesResponse>");
    loopback_push(e.lb, 200, XML_HEADERS, "<DescribePoliciesResponse/>");
    struct asg_policy *v;
    size_t n;
    struct err err;
    CHECK_INT(asg_describe_policies(&e.c, "web", &v, &n, &err), -1);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(err.message,
                   "DescribePolicies: malformed response: "
                   "ScalingPolicies[0].TargetTrackingConfiguration.TargetValue \"lots\" is not a "
                   "number");
    CHECK(v == NULL && n == 0);
    CHECK_INT(asg_describe_policies(&e.c, "web", &v, &n, &err), -1);
    CHECK_CONTAINS(err.message, "ScalingPolicies[0].PolicyName is missing");
    CHECK_INT(asg_describe_policies(&e.c, "web", &v, &n, &err), -1);
    CHECK_CONTAINS(err.message, "DescribePoliciesResult is missing");
    svc_lb_stop(&e);
}

TEST(a_page_token_that_repeats_is_refused)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push_n(e.lb, 2, 200, XML_HEADERS, POLICIES_PAGE1);
    struct asg_policy *v;
    size_t n;
    struct err err;
    CHECK_INT(asg_describe_policies(&e.c, "web", &v, &n, &err), -1);
    CHECK_CONTAINS(err.message, "page forever");
    CHECK(v == NULL && n == 0);
    svc_lb_stop(&e);
}

TEST(scheduled_actions_one_time_and_recurring)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS,
                  "<DescribeScheduledActionsResponse " NS "><DescribeScheduledActionsResult>"
                  "<ScheduledUpdateGroupActions>"
                  "<member><AutoScalingGroupName>web</AutoScalingGroupName>"
                  "<ScheduledActionName>night</ScheduledActionName>"
                  "<ScheduledActionARN>arn:aws:autoscaling:us-east-1:1:scheduledUpdateGroupAction:x"
                  "</ScheduledActionARN><Time>2026-12-07T01:00:00Z</Time>"
                  "<StartTime>2026-12-07T01:00:00Z</StartTime><Recurrence>0 1 * * *</Recurrence>"
                  "<DesiredCapacity>1</DesiredCapacity></member>"
                  "<member><ScheduledActionName>launch-day</ScheduledActionName>"
                  "<Time>2026-12-06T23:30:00.000Z</Time><MinSize>4</MinSize><MaxSize>10</MaxSize>"
                  "</member>"
                  "</ScheduledUpdateGroupActions></DescribeScheduledActionsResult>"
                  "</DescribeScheduledActionsResponse>");
    struct asg_scheduled_action *v;
    size_t n;
    struct err err;
    int rc = asg_describe_scheduled_actions(&e.c, "web", &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 2);
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "Action", "DescribeScheduledActions"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "AutoScalingGroupName", "web"));
    if (n == 2) {
        CHECK_STR(v[0].name, "night");
        CHECK_STR(v[0].recurrence, "0 1 * * *");
        CHECK_INT(v[0].start_time, 1796605200LL); /* 2026-12-07T01:00:00Z */
        CHECK_INT(v[0].desired_capacity, 1);
        CHECK_INT(v[0].min_size, -1);
        CHECK(v[1].recurrence == NULL);
        CHECK_INT(v[1].start_time, 1796599800LL); /* from Time */
        CHECK_INT(v[1].min_size, 4);
        CHECK_INT(v[1].max_size, 10);
        CHECK_INT(v[1].desired_capacity, -1);
    }
    asg_scheduled_actions_free(v, n);
    loopback_push(e.lb, 200, XML_HEADERS,
                  "<DescribeScheduledActionsResponse><DescribeScheduledActionsResult>"
                  "<ScheduledUpdateGroupActions><member><ScheduledActionName>x"
                  "</ScheduledActionName><StartTime>tomorrow</StartTime></member>"
                  "</ScheduledUpdateGroupActions></DescribeScheduledActionsResult>"
                  "</DescribeScheduledActionsResponse>");
    CHECK_INT(asg_describe_scheduled_actions(&e.c, "web", &v, &n, &err), -1);
    CHECK_CONTAINS(err.message,
                   "ScheduledUpdateGroupActions[0].StartTime \"tomorrow\" is not an ISO 8601 time");
    svc_lb_stop(&e);
}

TEST(lifecycle_hooks_and_their_default_timeouts)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS,
                  "<DescribeLifecycleHooksResponse " NS "><DescribeLifecycleHooksResult>"
                  "<LifecycleHooks>"
                  "<member><LifecycleHookName>ecs-managed-draining-termination-hook"
                  "</LifecycleHookName><AutoScalingGroupName>web</AutoScalingGroupName>"
                  "<LifecycleTransition>autoscaling:EC2_INSTANCE_TERMINATING"
                  "</LifecycleTransition><HeartbeatTimeout>3600</HeartbeatTimeout>"
                  "<GlobalTimeout>172800</GlobalTimeout><DefaultResult>CONTINUE"
                  "</DefaultResult></member>"
                  "<member><LifecycleHookName>log-shipper</LifecycleHookName>"
                  "<LifecycleTransition>autoscaling:EC2_INSTANCE_TERMINATING"
                  "</LifecycleTransition><HeartbeatTimeout>600</HeartbeatTimeout></member>"
                  "<member><LifecycleHookName>warm-up</LifecycleHookName>"
                  "<LifecycleTransition>autoscaling:EC2_INSTANCE_LAUNCHING"
                  "</LifecycleTransition></member>"
                  "</LifecycleHooks></DescribeLifecycleHooksResult>"
                  "</DescribeLifecycleHooksResponse>");
    struct asg_lifecycle_hook *v;
    size_t n;
    struct err err;
    int rc = asg_describe_lifecycle_hooks(&e.c, "web", &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "Action", "DescribeLifecycleHooks"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "AutoScalingGroupName", "web"));
    CHECK(!svc_lb_form_has(svc_lb_request(&e, 0), "MaxRecords")); /* not paginated */
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(v[0].transition, ASG_TRANSITION_TERMINATING);
        CHECK_INT(v[0].global_timeout, 172800);
        CHECK_STR(v[0].default_result, "CONTINUE");
        CHECK_INT(v[1].heartbeat_timeout, 600);
        CHECK_INT(v[1].global_timeout, 60000); /* 100 x heartbeat */
        CHECK_STR(v[2].transition, ASG_TRANSITION_LAUNCHING);
        CHECK_INT(v[2].heartbeat_timeout, 3600);
        CHECK_INT(v[2].global_timeout, 172800); /* capped at 48 hours */
    }
    asg_lifecycle_hooks_free(v, n);
    svc_lb_stop(&e);
}

TEST(instance_refreshes_first_page_only_and_which_are_active)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS,
                  "<DescribeInstanceRefreshesResponse " NS "><DescribeInstanceRefreshesResult>"
                  "<InstanceRefreshes>"
                  "<member><InstanceRefreshId>08b91cf7</InstanceRefreshId>"
                  "<AutoScalingGroupName>web</AutoScalingGroupName><Status>InProgress</Status>"
                  "<StatusReason>Waiting for instances to warm up</StatusReason>"
                  "<StartTime>2026-12-06T22:55:00Z</StartTime>"
                  "<PercentageComplete>40</PercentageComplete>"
                  "<InstancesToUpdate>3</InstancesToUpdate></member>"
                  "<member><InstanceRefreshId>dd7728d0</InstanceRefreshId>"
                  "<Status>Successful</Status></member>"
                  "</InstanceRefreshes><NextToken>more</NextToken>"
                  "</DescribeInstanceRefreshesResult></DescribeInstanceRefreshesResponse>");
    struct asg_instance_refresh *v;
    size_t n;
    struct err err;
    int rc = asg_describe_instance_refreshes(&e.c, "web", &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 1); /* the active one is always listed first */
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "Action", "DescribeInstanceRefreshes"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "MaxRecords", "100"));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(v[0].id, "08b91cf7");
        CHECK(asg_instance_refresh_is_active(&v[0]));
        CHECK_INT(v[0].percentage_complete, 40);
        CHECK_INT(v[0].instances_to_update, 3);
        CHECK_INT(v[0].start_time, 1796597700LL);
        CHECK(!asg_instance_refresh_is_active(&v[1]));
    }
    asg_instance_refreshes_free(v, n);
    static const char *const active[] = {"Pending", "InProgress", "Cancelling",
                                         "RollbackInProgress", "Baking"};
    static const char *const over[] = {"Successful", "Failed", "Cancelled", "RollbackFailed",
                                       "RollbackSuccessful"};
    struct asg_instance_refresh r;
    memset(&r, 0, sizeof(r));
    for (size_t i = 0; i < 5; i++) {
        r.status = (char *)active[i];
        CHECK_MSG(asg_instance_refresh_is_active(&r), "%s", active[i]);
        r.status = (char *)over[i];
        CHECK_MSG(!asg_instance_refresh_is_active(&r), "%s", over[i]);
    }
    svc_lb_stop(&e);
}

/* DescribeAlarms: every name asked for comes back (in ALARM when its name
 * ends in 7), two pages per call. */
static void alarms_handler(const struct loopback_request *req, struct loopback_reply *reply,
                           void *ud)
{
    (void)ud;
    buf_puts(&reply->headers, XML_HEADERS);
    char *token = svc_lb_form_get(req->body, "NextToken");
    buf_puts(&reply->body, "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
                           "2010-08-01/\"><DescribeAlarmsResult><MetricAlarms>");
    for (int i = 1;; i++) {
        char key[64];
        snprintf(key, sizeof(key), "AlarmNames.member.%d", i);
        char *name = svc_lb_form_get(req->body, key);
        if (!name)
            break;
        if ((i % 2 == 1) == (token == NULL))
            buf_printf(&reply->body,
                       "<member><AlarmName>%s</AlarmName><StateValue>%s</StateValue>"
                       "<StateUpdatedTimestamp>2026-12-06T23:01:02.345Z</StateUpdatedTimestamp>"
                       "<ComparisonOperator>LessThanThreshold</ComparisonOperator>"
                       "<MetricName>CapacityProviderReservation</MetricName>"
                       "<Namespace>AWS/ECS/ManagedScaling</Namespace><Threshold>90.0</Threshold>"
                       "<Period>60</Period><EvaluationPeriods>15</EvaluationPeriods>"
                       "<ActionsEnabled>true</ActionsEnabled></member>",
                       name, name[strlen(name) - 1] == '7' ? "ALARM" : "OK");
        free(name);
    }
    buf_puts(&reply->body, "</MetricAlarms>");
    if (!token)
        buf_puts(&reply->body, "<NextToken>t2</NextToken>");
    buf_puts(&reply->body, "</DescribeAlarmsResult></DescribeAlarmsResponse>");
    free(token);
}

TEST(alarms_150_names_in_calls_of_100_with_pages)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, alarms_handler, NULL);
    const char **names;
    char *block = svc_lb_ids("alarm-", 150, &names);
    struct cw_alarm *v;
    size_t n;
    struct err err;
    int rc = cw_describe_alarms(&e.c, names, 150, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 150);
    CHECK_INT(loopback_request_count(e.lb), 4);
    const struct loopback_request *r0 = svc_lb_request(&e, 0), *r2 = svc_lb_request(&e, 2);
    CHECK(svc_lb_form_is(r0, "Action", "DescribeAlarms"));
    CHECK(svc_lb_form_is(r0, "Version", "2010-08-01"));
    CHECK(svc_lb_form_is(r0, "AlarmNames.member.100", "alarm-00099"));
    CHECK(!svc_lb_form_has(r0, "AlarmNames.member.101"));
    CHECK(svc_lb_form_is(r2, "AlarmNames.member.50", "alarm-00149"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 1), "NextToken", "t2"));
    /* Signed for CloudWatch's signing name. */
    const char *auth = loopback_request_header(r0, "Authorization");
    CHECK(auth && strstr(auth, "/monitoring/aws4_request"));
    int in_alarm = 0;
    for (size_t i = 0; i < n; i++) {
        in_alarm += strcmp(v[i].state, "ALARM") == 0;
        CHECK_INT(v[i].period, 60);
        CHECK_INT(v[i].evaluation_periods, 15);
        CHECK(v[i].threshold == 90.0);
        CHECK_INT(v[i].state_updated, 1796598062LL);
    }
    CHECK_INT(in_alarm, 15);
    cw_alarms_free(v, n);
    free(names);
    free(block);
    svc_lb_stop(&e);
}

TEST(no_alarm_names_asks_nothing)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    struct cw_alarm *v;
    size_t n;
    struct err err;
    CHECK_INT(cw_describe_alarms(&e.c, NULL, 0, &v, &n, &err), 0);
    CHECK_INT(n, 0);
    CHECK_INT(loopback_request_count(e.lb), 0);
    svc_lb_stop(&e);
}

TEST(access_denied_names_the_cloudwatch_permission)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 403, XML_HEADERS,
                  "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                  "<Message>User: arn:aws:iam::1:user/roller is not authorized to perform: "
                  "cloudwatch:DescribeAlarms</Message></Error><RequestId>q</RequestId>"
                  "</ErrorResponse>");
    const char *name = "TargetTracking-web-AlarmLow-2";
    struct cw_alarm *v;
    size_t n;
    struct err err;
    CHECK_INT(cw_describe_alarms(&e.c, &name, 1, &v, &n, &err), -1);
    CHECK_STR(err.permission, "cloudwatch:DescribeAlarms");
    struct buf b = BUF_INIT;
    err_format(&err, &b);
    CHECK_CONTAINS(buf_cstr(&b), "not allowed cloudwatch:DescribeAlarms");
    buf_free(&b);
    svc_lb_stop(&e);
}
