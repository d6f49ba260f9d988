/* Auto Scaling and EC2 calls against a loopback server that plays AWS:
 * batch limits, pagination, request contents, and how errors and odd
 * answers surface. (Against a real moto_server: test_svc_moto_asg.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/autoscaling.h"
#include "svc/ec2.h"
#include "svc_fixture.h"
#include "svc_loopback.h"
#include "test.h"
#include "util/buf.h"

TEST(detach_45_instances_in_calls_of_20_20_5)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push_n(e.lb, 3, 200, XML_HEADERS, ASG_OK("DetachInstances"));
    const char **ids;
    char *block = svc_lb_ids("i-", 45, &ids);
    struct err err;
    int rc = asg_detach_instances(&e.c, "web", ids, 45, 1, &err);
    free(ids);
    free(block);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 3);
    static const size_t sizes[] = {20, 20, 5};
    for (size_t r = 0; r < 3; r++) {
        const struct loopback_request *req = svc_lb_request(&e, r);
        CHECK(svc_lb_form_is(req, "Action", "DetachInstances"));
        CHECK(svc_lb_form_is(req, "Version", "2011-01-01"));
        CHECK(svc_lb_form_is(req, "AutoScalingGroupName", "web"));
        CHECK(svc_lb_form_is(req, "ShouldDecrementDesiredCapacity", "true"));
        char key[64], want[32];
        snprintf(key, sizeof(key), "InstanceIds.member.%zu", sizes[r]);
        snprintf(want, sizeof(want), "i-%05zu", r * 20 + sizes[r] - 1);
        CHECK_MSG(svc_lb_form_is(req, key, want), "request %zu lacks %s=%s: %s", r, key, want,
                  req->body);
        snprintf(key, sizeof(key), "InstanceIds.member.%zu", sizes[r] + 1);
        CHECK(!svc_lb_form_has(req, key));
        snprintf(want, sizeof(want), "i-%05zu", r * 20);
        CHECK(svc_lb_form_is(req, "InstanceIds.member.1", want));
    }
    svc_lb_stop(&e);
}

TEST(detach_failure_midway_says_how_far_it_got)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("DetachInstances"));
    loopback_push(e.lb, 400, XML_HEADERS,
                  "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                  "<Message>The instance i-00021 is not part of Auto Scaling group web."
                  "</Message></Error><RequestId>req-2</RequestId></ErrorResponse>");
    const char **ids;
    char *block = svc_lb_ids("i-", 45, &ids);
    struct err err;
    int rc = asg_detach_instances(&e.c, "web", ids, 45, 0, &err);
    free(ids);
    free(block);
    CHECK_INT(rc, -1);
    CHECK_INT(loopback_request_count(e.lb), 2); /* the third batch is not sent */
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "ValidationError");
    CHECK_CONTAINS(err.message, "is not part of Auto Scaling group web");
    CHECK_CONTAINS(err.message, "(20 of 45 instances were detached before this error)");
    CHECK(svc_lb_form_is(svc_lb_request(&e, 1), "ShouldDecrementDesiredCapacity", "false"));
    svc_lb_stop(&e);
}

TEST(instance_protection_120_in_calls_of_50)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push_n(e.lb, 3, 200, XML_HEADERS, ASG_OK("SetInstanceProtection"));
    const char **ids;
    char *block = svc_lb_ids("i-", 120, &ids);
    struct err err;
    int rc = asg_set_instance_protection(&e.c, "web", ids, 120, 1, &err);
    free(ids);
    free(block);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 3);
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "InstanceIds.member.50", "i-00049"));
    CHECK(!svc_lb_form_has(svc_lb_request(&e, 0), "InstanceIds.member.51"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 1), "InstanceIds.member.1", "i-00050"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 2), "InstanceIds.member.20", "i-00119"));
    CHECK(!svc_lb_form_has(svc_lb_request(&e, 2), "InstanceIds.member.21"));
    for (size_t r = 0; r < 3; r++) {
        CHECK(svc_lb_form_is(svc_lb_request(&e, r), "Action", "SetInstanceProtection"));
        CHECK(svc_lb_form_is(svc_lb_request(&e, r), "ProtectedFromScaleIn", "true"));
    }
    svc_lb_stop(&e);
}

/* DescribeAutoScalingGroups: one group per name asked for, two pages per
 * batch (the first one ends with a token). */
static void describe_groups_handler(const struct loopback_request *req,
                                    struct loopback_reply *reply, void *ud)
{
    (void)ud;
    buf_puts(&reply->headers, XML_HEADERS);
    char *token = svc_lb_form_get(req->body, "NextToken");
    buf_puts(&reply->body, "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
                           "<AutoScalingGroups>");
    for (int i = 1;; i++) {
        char key[64];
        snprintf(key, sizeof(key), "AutoScalingGroupNames.member.%d", i);
        char *name = svc_lb_form_get(req->body, key);
        if (!name)
            break;
        /* Odd-numbered names on the first page, even ones on the second. */
        if ((i % 2 == 1) == (token == NULL))
            buf_printf(&reply->body,
                       "<member><AutoScalingGroupName>%s</AutoScalingGroupName><MinSize>0"
                       "</MinSize><MaxSize>4</MaxSize><DesiredCapacity>%d</DesiredCapacity>"
                       "<AvailabilityZones/><HealthCheckType>EC2</HealthCheckType></member>",
                       name, i);
        free(name);
    }
    buf_puts(&reply->body, "</AutoScalingGroups>");
    if (!token)
        buf_puts(&reply->body, "<NextToken>page-2</NextToken>");
    buf_puts(&reply->body,
             "</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>");
    free(token);
}

TEST(describe_150_groups_in_batches_of_100_with_pages)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, describe_groups_handler, NULL);
    const char **names;
    char *block = svc_lb_ids("asg-", 150, &names);
    struct asg_group *groups;
    size_t n;
    struct err err;
    int rc = asg_describe_groups(&e.c, names, 150, &groups, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 4);
    CHECK_INT(n, 150);
    /* Every name exactly once. */
    for (size_t i = 0; i < 150; i++) {
        int seen = 0;
        for (size_t j = 0; j < n; j++)
            seen += strcmp(groups[j].name, names[i]) == 0;
        CHECK_MSG(seen == 1, "%s seen %d times", names[i], seen);
    }
    asg_groups_free(groups, n);
    free(names);
    free(block);
    const struct loopback_request *r0 = svc_lb_request(&e, 0), *r1 = svc_lb_request(&e, 1),
                                  *r2 = svc_lb_request(&e, 2), *r3 = svc_lb_request(&e, 3);
    CHECK(svc_lb_form_is(r0, "Action", "DescribeAutoScalingGroups"));
    CHECK(svc_lb_form_is(r0, "MaxRecords", "100"));
    CHECK(svc_lb_form_is(r0, "AutoScalingGroupNames.member.100", "asg-00099"));
    CHECK(!svc_lb_form_has(r0, "AutoScalingGroupNames.member.101"));
    CHECK(!svc_lb_form_has(r0, "NextToken"));
    CHECK(svc_lb_form_is(r1, "NextToken", "page-2"));
    CHECK(svc_lb_form_is(r1, "AutoScalingGroupNames.member.100", "asg-00099"));
    CHECK(svc_lb_form_is(r2, "AutoScalingGroupNames.member.1", "asg-00100"));
    CHECK(svc_lb_form_is(r2, "AutoScalingGroupNames.member.50", "asg-00149"));
    CHECK(!svc_lb_form_has(r2, "AutoScalingGroupNames.member.51"));
    CHECK(svc_lb_form_is(r3, "NextToken", "page-2"));
    svc_lb_stop(&e);
}

TEST(describe_all_groups_sends_no_names)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, describe_groups_handler, NULL);
    struct asg_group *groups;
    size_t n;
    struct err err;
    CHECK_INT(asg_describe_groups(&e.c, NULL, 0, &groups, &n, &err), 0);
    CHECK_INT(n, 0);
    CHECK_INT(loopback_request_count(e.lb), 2);
    CHECK(!svc_lb_form_has(svc_lb_request(&e, 0), "AutoScalingGroupNames.member.1"));
    asg_groups_free(groups, n);
    svc_lb_stop(&e);
}

TEST(missing_group_is_a_state_error)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    char *empty = svc_fixture_read("moto-asg-describe-groups-empty.xml", NULL);
    CHECK(empty);
    loopback_push(e.lb, 200, XML_HEADERS, empty);
    free(empty);
    struct asg_group g;
    struct err err;
    CHECK_INT(asg_describe_group(&e.c, "nope", &g, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "Auto Scaling group nope not found in us-east-1");
    CHECK(g.name == NULL);
    svc_lb_stop(&e);
}

TEST(describe_group_picks_the_exact_name)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    char *body = svc_fixture_read("moto-asg-describe-groups.xml", NULL);
    CHECK(body);
    loopback_push(e.lb, 200, XML_HEADERS, body);
    free(body);
    struct asg_group g;
    struct err err;
    CHECK_INT(asg_describe_group(&e.c, "mixed-asg", &g, &err), 0);
    CHECK_STR(g.name, "mixed-asg");
    CHECK_INT(g.mixed_instances_policy, 1);
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "AutoScalingGroupNames.member.1", "mixed-asg"));
    asg_group_free(&g);
    svc_lb_stop(&e);
}

TEST(a_token_that_repeats_is_a_protocol_error)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    const char *page = "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
                       "<AutoScalingGroups><member><AutoScalingGroupName>g</AutoScalingGroupName>"
                       "<MinSize>0</MinSize><MaxSize>1</MaxSize><DesiredCapacity>0"
                       "</DesiredCapacity><AvailabilityZones/><HealthCheckType>EC2"
                       "</HealthCheckType></member></AutoScalingGroups><NextToken>same"
                       "</NextToken></DescribeAutoScalingGroupsResult>"
                       "</DescribeAutoScalingGroupsResponse>";
    loopback_push_n(e.lb, 2, 200, XML_HEADERS, page);
    struct asg_group *groups;
    size_t n;
    struct err err;
    CHECK_INT(asg_describe_groups(&e.c, NULL, 0, &groups, &n, &err), -1);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_STR(err.message, "DescribeAutoScalingGroups: malformed response: NextToken repeats "
                           "the previous page's token: the service would page forever");
    CHECK(groups == NULL && n == 0);
    CHECK_INT(loopback_request_count(e.lb), 2);
    svc_lb_stop(&e);
}

TEST(group_updates_send_what_aws_expects)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("SetDesiredCapacity"));
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("UpdateAutoScalingGroup"));
    loopback_push(e.lb, 200, XML_HEADERS,
                  "<TerminateInstanceInAutoScalingGroupResponse><"
                  "TerminateInstanceInAutoScalingGroupResult><Activity><ActivityId>a"
                  "</ActivityId></Activity></TerminateInstanceInAutoScalingGroupResult>"
                  "</TerminateInstanceInAutoScalingGroupResponse>");
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("SuspendProcesses"));
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("ResumeProcesses"));
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("CreateOrUpdateTags"));
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("DeleteTags"));
    struct err err;
    CHECK_INT(asg_set_desired_capacity(&e.c, "web", 6, &err), 0);
    struct asg_size_update only_max = {-1, 12, -1}, none = {-1, -1, -1};
    CHECK_INT(asg_update_group_size(&e.c, "web", &only_max, &err), 0);
    CHECK_INT(asg_update_group_size(&e.c, "web", &none, &err), 0); /* no call */
    CHECK_INT(asg_terminate_instance(&e.c, "i-1", 1, &err), 0);
    const char *procs[] = {"AZRebalance", "ReplaceUnhealthy"};
    CHECK_INT(asg_suspend_processes(&e.c, "web", procs, 2, &err), 0);
    CHECK_INT(asg_resume_processes(&e.c, "web", procs + 1, 1, &err), 0);
    struct asg_tag tags[] = {{"ecs-rollout:state", "a b&c=d", 0}, {"Name", "", 1}};
    CHECK_INT(asg_put_tags(&e.c, "web", tags, 2, &err), 0);
    const char *keys[] = {"ecs-rollout:state"};
    CHECK_INT(asg_delete_tags(&e.c, "web", keys, 1, &err), 0);
    /* Refused without a call: AWS would act on every process. */
    CHECK_INT(asg_suspend_processes(&e.c, "web", NULL, 0, &err), -1);
    CHECK_INT(err.kind, ERR_INTERNAL);
    CHECK_INT(asg_resume_processes(&e.c, "web", NULL, 0, &err), -1);
    CHECK_INT(loopback_request_count(e.lb), 7);

    const struct loopback_request *r = svc_lb_request(&e, 0);
    CHECK(svc_lb_form_is(r, "Action", "SetDesiredCapacity"));
    CHECK(svc_lb_form_is(r, "DesiredCapacity", "6"));
    CHECK(svc_lb_form_is(r, "HonorCooldown", "false"));
    r = svc_lb_request(&e, 1);
    CHECK(svc_lb_form_is(r, "Action", "UpdateAutoScalingGroup"));
    CHECK(svc_lb_form_is(r, "MaxSize", "12"));
    CHECK(!svc_lb_form_has(r, "MinSize") && !svc_lb_form_has(r, "DesiredCapacity"));
    r = svc_lb_request(&e, 2);
    CHECK(svc_lb_form_is(r, "Action", "TerminateInstanceInAutoScalingGroup"));
    CHECK(svc_lb_form_is(r, "InstanceId", "i-1"));
    CHECK(svc_lb_form_is(r, "ShouldDecrementDesiredCapacity", "true"));
    r = svc_lb_request(&e, 3);
    CHECK(svc_lb_form_is(r, "Action", "SuspendProcesses"));
    CHECK(svc_lb_form_is(r, "ScalingProcesses.member.2", "ReplaceUnhealthy"));
    r = svc_lb_request(&e, 4);
    CHECK(svc_lb_form_is(r, "Action", "ResumeProcesses"));
    CHECK(svc_lb_form_is(r, "ScalingProcesses.member.1", "ReplaceUnhealthy"));
    CHECK(!svc_lb_form_has(r, "ScalingProcesses.member.2"));
    r = svc_lb_request(&e, 5);
    CHECK(svc_lb_form_is(r, "Action", "CreateOrUpdateTags"));
    CHECK(svc_lb_form_is(r, "Tags.member.1.ResourceId", "web"));
    CHECK(svc_lb_form_is(r, "Tags.member.1.ResourceType", "auto-scaling-group"));
    CHECK(svc_lb_form_is(r, "Tags.member.1.Key", "ecs-rollout:state"));
    CHECK(svc_lb_form_is(r, "Tags.member.1.Value", "a b&c=d"));
    CHECK(svc_lb_form_is(r, "Tags.member.1.PropagateAtLaunch", "false"));
    CHECK(svc_lb_form_is(r, "Tags.member.2.Value", ""));
    CHECK(svc_lb_form_is(r, "Tags.member.2.PropagateAtLaunch", "true"));
    r = svc_lb_request(&e, 6);
    CHECK(svc_lb_form_is(r, "Action", "DeleteTags"));
    CHECK(svc_lb_form_is(r, "Tags.member.1.Key", "ecs-rollout:state"));
    CHECK(svc_lb_form_is(r, "Tags.member.1.ResourceType", "auto-scaling-group"));
    CHECK(!svc_lb_form_has(r, "Tags.member.1.Value"));
    svc_lb_stop(&e);
}

/* DescribeInstances: ids ending in 7 do not exist; by id that fails the
 * whole call (as AWS and moto do), by filter they are left out. */
static void instances_handler(const struct loopback_request *req, struct loopback_reply *reply,
                              void *ud)
{
    (void)ud;
    int by_filter = svc_lb_form_has(req, "Filter.1.Name");
    buf_puts(&reply->headers, XML_HEADERS);
    struct buf items = BUF_INIT;
    for (int i = 1;; i++) {
        char key[48];
        snprintf(key, sizeof(key), by_filter ? "Filter.1.Value.%d" : "InstanceId.%d", i);
        char *id = svc_lb_form_get(req->body, key);
        if (!id)
            break;
        if (id[strlen(id) - 1] == '7') {
            if (!by_filter) {
                reply->status = 400;
                buf_reset(&reply->body);
                buf_printf(&reply->body,
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
                           "<Code>InvalidInstanceID.NotFound</Code><Message>The instance ID "
                           "'%s' does not exist</Message></Error></Errors><RequestID>r"
                           "</RequestID></Response>",
                           id);
                free(id);
                buf_free(&items);
                return;
            }
        } else {
            buf_printf(&items,
                       "<item><instanceId>%s</instanceId><imageId>ami-%s</imageId>"
                       "<instanceState><code>16</code><name>running</name></instanceState>"
                       "<placement><availabilityZone>us-east-1a</availabilityZone></placement>"
                       "</item>",
                       id, id + 2);
        }
        free(id);
    }
    buf_printf(&reply->body,
               "<DescribeInstancesResponse><reservationSet><item><instancesSet>%s"
               "</instancesSet></item></reservationSet></DescribeInstancesResponse>",
               buf_cstr(&items));
    buf_free(&items);
}

TEST(describe_instances_in_calls_of_100_tolerates_unknown_ids)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, instances_handler, NULL);
    const char **ids;
    char *block = svc_lb_ids("i-", 150, &ids);
    /* Both batches hold unknown ids (i-00007, i-00107, ...). */
    struct ec2_instance *v;
    size_t n;
    struct err err;
    int rc = ec2_describe_instances(&e.c, ids, 150, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 135); /* 15 of 150 end in 7 */
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(v[i].instance_id[strlen(v[i].instance_id) - 1] != '7', "%s returned",
                  v[i].instance_id);
    CHECK_STR(v[0].image_id, "ami-00000");
    CHECK_STR(v[0].state, "running");
    CHECK_STR(v[0].availability_zone, "us-east-1a");
    ec2_instances_free(v, n);
    /* Per batch: by id (refused), then by filter. */
    CHECK_INT(loopback_request_count(e.lb), 4);
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "Action", "DescribeInstances"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "Version", "2016-11-15"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "InstanceId.100", "i-00099"));
    CHECK(!svc_lb_form_has(svc_lb_request(&e, 0), "InstanceId.101"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 1), "Filter.1.Name", "instance-id"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 1), "Filter.1.Value.100", "i-00099"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 2), "InstanceId.50", "i-00149"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 3), "Filter.1.Value.1", "i-00100"));

    /* A batch of known ids takes one call. */
    const char *known[] = {"i-00001", "i-00002"};
    CHECK_INT(ec2_describe_instances(&e.c, known, 2, &v, &n, &err), 0);
    CHECK_INT(n, 2);
    ec2_instances_free(v, n);
    CHECK_INT(loopback_request_count(e.lb), 5);
    free(ids);
    free(block);
    svc_lb_stop(&e);
}

TEST(launch_template_calls)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    char *lt = svc_fixture_read("moto-ec2-describe-launch-templates.xml", NULL);
    char *missing = svc_fixture_read("moto-ec2-describe-launch-templates-missing.xml", NULL);
    char *versions = svc_fixture_read("moto-ec2-describe-launch-template-versions.xml", NULL);
    char *empty = svc_fixture_read("aws-ec2-describe-launch-template-versions-empty.xml", NULL);
    CHECK(lt && missing && versions && empty);
    loopback_push(e.lb, 200, XML_HEADERS, lt);
    loopback_push(e.lb, 400, XML_HEADERS, missing);
    loopback_push(e.lb, 200, XML_HEADERS, versions);
    loopback_push(e.lb, 200, XML_HEADERS, empty);
    free(lt);
    free(missing);
    free(versions);
    free(empty);
    struct ec2_launch_template t;
    struct err err;
    CHECK_INT(ec2_describe_launch_template(&e.c, NULL, "web", &t, &err), 0);
    CHECK_STR(t.id, "lt-ee830ed7d9071fa99");
    CHECK_INT(t.latest_version, 2);
    CHECK_INT(t.default_version, 1);
    ec2_launch_template_free(&t);
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "Action", "DescribeLaunchTemplates"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 0), "LaunchTemplateName.1", "web"));

    CHECK_INT(ec2_describe_launch_template(&e.c, "lt-0nope", NULL, &t, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "launch template lt-0nope not found in us-east-1");
    CHECK(svc_lb_form_is(svc_lb_request(&e, 1), "LaunchTemplateId.1", "lt-0nope"));

    char *image;
    CHECK_INT(
        ec2_launch_template_image(&e.c, "lt-ee830ed7d9071fa99", NULL, "$Latest", &image, &err), 0);
    CHECK_STR(image, "ami-12c6146b");
    free(image);
    const struct loopback_request *r = svc_lb_request(&e, 2);
    CHECK(svc_lb_form_is(r, "Action", "DescribeLaunchTemplateVersions"));
    CHECK(svc_lb_form_is(r, "LaunchTemplateId", "lt-ee830ed7d9071fa99"));
    CHECK(svc_lb_form_is(r, "LaunchTemplateVersion.1", "$Latest"));
    CHECK(svc_lb_form_is(r, "ResolveAlias", "true"));

    CHECK_INT(ec2_launch_template_image(&e.c, NULL, "web", "9", &image, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "version 9 of launch template web not found in us-east-1");
    CHECK(svc_lb_form_is(svc_lb_request(&e, 3), "LaunchTemplateName", "web"));
    svc_lb_stop(&e);
}

/* DescribeTags as the lease reads it: filtered by group and keys, every
 * page; an endpoint that ignores the filters (another group's lease, a key
 * not asked for) does not change the answer. */
#define TAG_XML(group, key, value)                                                                 \
    "<member><ResourceId>" group "</ResourceId><ResourceType>auto-scaling-group</ResourceType>"    \
    "<Key>" key "</Key>" value "<PropagateAtLaunch>false</PropagateAtLaunch></member>"
#define TAGS_XML(members, token)                                                                   \
    "<DescribeTagsResponse><DescribeTagsResult><Tags>" members "</Tags>" token                     \
    "</DescribeTagsResult></DescribeTagsResponse>"

TEST(describe_group_tags_filters_pages_and_keeps_only_what_was_asked)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS,
                  TAGS_XML(TAG_XML("other", "ecs-rollout:lease", "<Value>host=x</Value>")
                               TAG_XML("web", "ecs-rollout:lease", "<Value>host=me</Value>")
                                   TAG_XML("web", "Name", "<Value>web</Value>"),
                           "<NextToken>p2</NextToken>"));
    loopback_push(e.lb, 200, XML_HEADERS,
                  TAGS_XML(TAG_XML("web", "ecs-rollout:suspended", ""), ""));
    const char *keys[] = {"ecs-rollout:lease", "ecs-rollout:suspended"};
    struct asg_tag *tags;
    size_t n;
    struct err err;
    CHECK_INT(asg_describe_group_tags(&e.c, "web", keys, 2, &tags, &n, &err), 0);
    CHECK_INT(n, 2);
    CHECK_STR(tags[0].key, "ecs-rollout:lease");
    CHECK_STR(tags[0].value, "host=me");
    CHECK_STR(tags[1].key, "ecs-rollout:suspended");
    CHECK_STR(tags[1].value, "");
    asg_tags_free(tags, n);
    CHECK_INT(loopback_request_count(e.lb), 2);
    for (size_t i = 0; i < 2; i++) {
        const struct loopback_request *r = svc_lb_request(&e, i);
        CHECK(svc_lb_form_is(r, "Action", "DescribeTags"));
        CHECK(svc_lb_form_is(r, "Filters.member.1.Name", "auto-scaling-group"));
        CHECK(svc_lb_form_is(r, "Filters.member.1.Values.member.1", "web"));
        CHECK(!svc_lb_form_has(r, "Filters.member.1.Values.member.2"));
        CHECK(svc_lb_form_is(r, "Filters.member.2.Name", "key"));
        CHECK(svc_lb_form_is(r, "Filters.member.2.Values.member.1", "ecs-rollout:lease"));
        CHECK(svc_lb_form_is(r, "Filters.member.2.Values.member.2", "ecs-rollout:suspended"));
        CHECK(svc_lb_form_is(r, "MaxRecords", "100"));
    }
    CHECK(!svc_lb_form_has(svc_lb_request(&e, 0), "NextToken"));
    CHECK(svc_lb_form_is(svc_lb_request(&e, 1), "NextToken", "p2"));

    /* A group without tags (or none at all): an empty answer, no error. */
    loopback_push(e.lb, 200, XML_HEADERS, TAGS_XML("", ""));
    CHECK_INT(asg_describe_group_tags(&e.c, "gone", keys, 2, &tags, &n, &err), 0);
    CHECK_INT(n, 0);
    asg_tags_free(tags, n);
    /* A tag that does not say whose it is cannot be trusted. */
    loopback_push(
        e.lb, 200, XML_HEADERS,
        TAGS_XML(
            TAG_XML(
                "web", "ecs-rollout:lease",
                "<Value>a</Value>") "<member><Key>ecs-rollout:lease</Key><Value>b</Value></member>",
            ""));
    CHECK_INT(asg_describe_group_tags(&e.c, "web", keys, 2, &tags, &n, &err), -1);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_CONTAINS(err.message, "Tags[1].ResourceId");
    CHECK(tags == NULL && n == 0);
    svc_lb_stop(&e);
}
