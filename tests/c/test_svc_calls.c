/* The service calls against a loopback server that plays AWS: batch limits,
 * pagination, request contents, and how errors and odd answers surface.
 * (Against a real moto_server: test_svc_moto_*.c.) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "loopback.h"
#include "svc/autoscaling.h"
#include "svc/ec2.h"
#include "svc/ecs.h"
#include "svc_fixture.h"
#include "test.h"
#include "util/buf.h"
#include "util/mem.h"

/* ---- plumbing ---- */

struct env {
    struct loopback *lb;
    struct http_client *http;
    struct cred_provider *creds;
    struct aws_client c;
};

static int env_start(struct env *e)
{
    memset(e, 0, sizeof(*e));
    struct err err;
    struct http_options opts = {0};
    e->lb = loopback_start();
    e->http = http_client_new(&opts, &err);
    if (!e->http) {
        test_fail(__FILE__, __LINE__, "http_client_new: %s", err.message);
        loopback_stop(e->lb);
        return -1;
    }
    e->creds = cred_static_new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL);
    aws_client_init(&e->c, e->http, e->creds, "us-east-1", loopback_url(e->lb));
    /* Each scripted answer is used once: no retries. */
    e->c.retry.max_attempts = 1;
    return 0;
}

static void env_stop(struct env *e)
{
    aws_client_cleanup(&e->c);
    cred_provider_free(e->creds);
    http_client_free(e->http);
    loopback_stop(e->lb);
}

static int hexval(int ch)
{
    return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

/* The decoded value of `key` in a form-encoded body, or NULL. New string. */
static char *form_get(const char *body, const char *key)
{
    size_t klen = strlen(key);
    const char *p = body ? body : "";
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            struct buf v = BUF_INIT;
            for (size_t i = klen + 1; i < len; i++) {
                if (p[i] == '%' && i + 2 < len && isxdigit((unsigned char)p[i + 1]) &&
                    isxdigit((unsigned char)p[i + 2])) {
                    buf_putc(&v, (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2])));
                    i += 2;
                } else {
                    buf_putc(&v, p[i] == '+' ? ' ' : p[i]);
                }
            }
            buf_putc(&v, '\0');
            v.len--;
            return buf_steal(&v);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return NULL;
}

/* Whether the form body has `key` equal to `value`. */
static int form_is(const struct loopback_request *req, const char *key, const char *value)
{
    char *v = form_get(req->body, key);
    int ok = v && strcmp(v, value) == 0;
    free(v);
    return ok;
}

static int form_has(const struct loopback_request *req, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = req->body ? req->body : ""; *p;) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=')
            return 1;
        const char *amp = strchr(p, '&');
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

static const struct loopback_request *request(struct env *e, size_t i)
{
    return loopback_request_at(e->lb, i);
}

static cJSON *request_json(struct env *e, size_t i)
{
    return cJSON_Parse(request(e, i)->body);
}

static char *make_ids(const char *prefix, size_t n, const char ***ids_out)
{
    /* One block holding n NUL-terminated ids of 24 bytes each. */
    char *block = xcalloc(n ? n : 1, 24);
    const char **ids = xcalloc(n ? n : 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        snprintf(block + i * 24, 24, "%s%05zu", prefix, i);
        ids[i] = block + i * 24;
    }
    *ids_out = ids;
    return block;
}

#define ASG_OK(action)                                                                       \
    "<" action "Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"        \
    "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></" action "Response>"
#define XML_HEADERS "Content-Type: text/xml\r\n"
#define JSON_HEADERS "Content-Type: application/x-amz-json-1.1\r\n"

/* ---- Auto Scaling ---- */

TEST(detach_45_instances_in_calls_of_20_20_5)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_push_n(e.lb, 3, 200, XML_HEADERS, ASG_OK("DetachInstances"));
    const char **ids;
    char *block = make_ids("i-", 45, &ids);
    struct err err;
    int rc = asg_detach_instances(&e.c, "web", ids, 45, 1, &err);
    free(ids);
    free(block);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 3);
    static const size_t sizes[] = {20, 20, 5};
    for (size_t r = 0; r < 3; r++) {
        const struct loopback_request *req = request(&e, r);
        CHECK(form_is(req, "Action", "DetachInstances"));
        CHECK(form_is(req, "Version", "2011-01-01"));
        CHECK(form_is(req, "AutoScalingGroupName", "web"));
        CHECK(form_is(req, "ShouldDecrementDesiredCapacity", "true"));
        char key[64], want[32];
        snprintf(key, sizeof(key), "InstanceIds.member.%zu", sizes[r]);
        snprintf(want, sizeof(want), "i-%05zu", r * 20 + sizes[r] - 1);
        CHECK_MSG(form_is(req, key, want), "request %zu lacks %s=%s: %s", r, key, want,
                  req->body);
        snprintf(key, sizeof(key), "InstanceIds.member.%zu", sizes[r] + 1);
        CHECK(!form_has(req, key));
        snprintf(want, sizeof(want), "i-%05zu", r * 20);
        CHECK(form_is(req, "InstanceIds.member.1", want));
    }
    env_stop(&e);
}

TEST(detach_failure_midway_says_how_far_it_got)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, XML_HEADERS, ASG_OK("DetachInstances"));
    loopback_push(e.lb, 400, XML_HEADERS,
                  "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                  "<Message>The instance i-00021 is not part of Auto Scaling group web."
                  "</Message></Error><RequestId>req-2</RequestId></ErrorResponse>");
    const char **ids;
    char *block = make_ids("i-", 45, &ids);
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
    CHECK(form_is(request(&e, 1), "ShouldDecrementDesiredCapacity", "false"));
    env_stop(&e);
}

TEST(instance_protection_120_in_calls_of_50)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_push_n(e.lb, 3, 200, XML_HEADERS, ASG_OK("SetInstanceProtection"));
    const char **ids;
    char *block = make_ids("i-", 120, &ids);
    struct err err;
    int rc = asg_set_instance_protection(&e.c, "web", ids, 120, 1, &err);
    free(ids);
    free(block);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 3);
    CHECK(form_is(request(&e, 0), "InstanceIds.member.50", "i-00049"));
    CHECK(!form_has(request(&e, 0), "InstanceIds.member.51"));
    CHECK(form_is(request(&e, 1), "InstanceIds.member.1", "i-00050"));
    CHECK(form_is(request(&e, 2), "InstanceIds.member.20", "i-00119"));
    CHECK(!form_has(request(&e, 2), "InstanceIds.member.21"));
    for (size_t r = 0; r < 3; r++) {
        CHECK(form_is(request(&e, r), "Action", "SetInstanceProtection"));
        CHECK(form_is(request(&e, r), "ProtectedFromScaleIn", "true"));
    }
    env_stop(&e);
}

/* DescribeAutoScalingGroups: one group per name asked for, two pages per
 * batch (the first one ends with a token). */
static void describe_groups_handler(const struct loopback_request *req,
                                    struct loopback_reply *reply, void *ud)
{
    (void)ud;
    buf_puts(&reply->headers, XML_HEADERS);
    char *token = form_get(req->body, "NextToken");
    buf_puts(&reply->body, "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
                           "<AutoScalingGroups>");
    for (int i = 1;; i++) {
        char key[64];
        snprintf(key, sizeof(key), "AutoScalingGroupNames.member.%d", i);
        char *name = form_get(req->body, key);
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
    buf_puts(&reply->body, "</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>");
    free(token);
}

TEST(describe_150_groups_in_batches_of_100_with_pages)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, describe_groups_handler, NULL);
    const char **names;
    char *block = make_ids("asg-", 150, &names);
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
    const struct loopback_request *r0 = request(&e, 0), *r1 = request(&e, 1),
                                  *r2 = request(&e, 2), *r3 = request(&e, 3);
    CHECK(form_is(r0, "Action", "DescribeAutoScalingGroups"));
    CHECK(form_is(r0, "MaxRecords", "100"));
    CHECK(form_is(r0, "AutoScalingGroupNames.member.100", "asg-00099"));
    CHECK(!form_has(r0, "AutoScalingGroupNames.member.101"));
    CHECK(!form_has(r0, "NextToken"));
    CHECK(form_is(r1, "NextToken", "page-2"));
    CHECK(form_is(r1, "AutoScalingGroupNames.member.100", "asg-00099"));
    CHECK(form_is(r2, "AutoScalingGroupNames.member.1", "asg-00100"));
    CHECK(form_is(r2, "AutoScalingGroupNames.member.50", "asg-00149"));
    CHECK(!form_has(r2, "AutoScalingGroupNames.member.51"));
    CHECK(form_is(r3, "NextToken", "page-2"));
    env_stop(&e);
}

TEST(describe_all_groups_sends_no_names)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, describe_groups_handler, NULL);
    struct asg_group *groups;
    size_t n;
    struct err err;
    CHECK_INT(asg_describe_groups(&e.c, NULL, 0, &groups, &n, &err), 0);
    CHECK_INT(n, 0);
    CHECK_INT(loopback_request_count(e.lb), 2);
    CHECK(!form_has(request(&e, 0), "AutoScalingGroupNames.member.1"));
    asg_groups_free(groups, n);
    env_stop(&e);
}

TEST(missing_group_is_a_state_error)
{
    struct env e;
    if (env_start(&e) < 0)
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
    env_stop(&e);
}

TEST(describe_group_picks_the_exact_name)
{
    struct env e;
    if (env_start(&e) < 0)
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
    CHECK(form_is(request(&e, 0), "AutoScalingGroupNames.member.1", "mixed-asg"));
    asg_group_free(&g);
    env_stop(&e);
}

TEST(a_token_that_repeats_is_a_protocol_error)
{
    struct env e;
    if (env_start(&e) < 0)
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
    env_stop(&e);
}

TEST(group_updates_send_what_aws_expects)
{
    struct env e;
    if (env_start(&e) < 0)
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

    const struct loopback_request *r = request(&e, 0);
    CHECK(form_is(r, "Action", "SetDesiredCapacity"));
    CHECK(form_is(r, "DesiredCapacity", "6"));
    CHECK(form_is(r, "HonorCooldown", "false"));
    r = request(&e, 1);
    CHECK(form_is(r, "Action", "UpdateAutoScalingGroup"));
    CHECK(form_is(r, "MaxSize", "12"));
    CHECK(!form_has(r, "MinSize") && !form_has(r, "DesiredCapacity"));
    r = request(&e, 2);
    CHECK(form_is(r, "Action", "TerminateInstanceInAutoScalingGroup"));
    CHECK(form_is(r, "InstanceId", "i-1"));
    CHECK(form_is(r, "ShouldDecrementDesiredCapacity", "true"));
    r = request(&e, 3);
    CHECK(form_is(r, "Action", "SuspendProcesses"));
    CHECK(form_is(r, "ScalingProcesses.member.2", "ReplaceUnhealthy"));
    r = request(&e, 4);
    CHECK(form_is(r, "Action", "ResumeProcesses"));
    CHECK(form_is(r, "ScalingProcesses.member.1", "ReplaceUnhealthy"));
    CHECK(!form_has(r, "ScalingProcesses.member.2"));
    r = request(&e, 5);
    CHECK(form_is(r, "Action", "CreateOrUpdateTags"));
    CHECK(form_is(r, "Tags.member.1.ResourceId", "web"));
    CHECK(form_is(r, "Tags.member.1.ResourceType", "auto-scaling-group"));
    CHECK(form_is(r, "Tags.member.1.Key", "ecs-rollout:state"));
    CHECK(form_is(r, "Tags.member.1.Value", "a b&c=d"));
    CHECK(form_is(r, "Tags.member.1.PropagateAtLaunch", "false"));
    CHECK(form_is(r, "Tags.member.2.Value", ""));
    CHECK(form_is(r, "Tags.member.2.PropagateAtLaunch", "true"));
    r = request(&e, 6);
    CHECK(form_is(r, "Action", "DeleteTags"));
    CHECK(form_is(r, "Tags.member.1.Key", "ecs-rollout:state"));
    CHECK(form_is(r, "Tags.member.1.ResourceType", "auto-scaling-group"));
    CHECK(!form_has(r, "Tags.member.1.Value"));
    env_stop(&e);
}

/* ---- ECS ---- */

static const char *target_of(const struct loopback_request *req)
{
    const char *t = loopback_request_header(req, "X-Amz-Target");
    return t ? t : "";
}

/* List* calls: 230 items in pages of 100 (tokens "p2", "p3"). */
static void list_handler(const struct loopback_request *req, struct loopback_reply *reply,
                         void *ud)
{
    const char *key = ud;
    cJSON *body = cJSON_Parse(req->body);
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(body, "nextToken");
    int page = !cJSON_IsString(tok) ? 0 : strcmp(tok->valuestring, "p2") == 0 ? 1 : 2;
    buf_puts(&reply->headers, JSON_HEADERS);
    buf_printf(&reply->body, "{\"%s\":[", key);
    int start = page * 100, end = page == 2 ? 230 : start + 100;
    for (int i = start; i < end; i++)
        buf_printf(&reply->body, "%s\"arn:aws:ecs:us-east-1:1:x/%05d\"", i > start ? "," : "",
                   i);
    buf_puts(&reply->body, "]");
    if (page < 2)
        buf_printf(&reply->body, ",\"nextToken\":\"p%d\"", page + 2);
    buf_puts(&reply->body, "}");
    cJSON_Delete(body);
}

static int check_arns(const struct strv *arns, size_t n)
{
    if (arns->n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char want[64];
        snprintf(want, sizeof(want), "arn:aws:ecs:us-east-1:1:x/%05zu", i);
        if (strcmp(arns->v[i], want) != 0)
            return 0;
    }
    return 1;
}

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

TEST(list_tasks_follows_pages_and_sends_filters)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, list_handler, "taskArns");
    struct ecs_task_filter f = {"ci-1", "web", "app", "rollout", "RUNNING"};
    struct strv arns = STRV_INIT;
    struct err err;
    int rc = ecs_list_tasks(&e.c, "prod", &f, &arns, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK(check_arns(&arns, 230));
    strv_free(&arns);
    CHECK_INT(loopback_request_count(e.lb), 3);
    for (size_t i = 0; i < 3; i++) {
        CHECK_STR(target_of(request(&e, i)), "AmazonEC2ContainerServiceV20141113.ListTasks");
        cJSON *j = request_json(&e, i);
        CHECK(j);
        CHECK_STR(json_str(j, "cluster"), "prod");
        CHECK_STR(json_str(j, "containerInstance"), "ci-1");
        CHECK_STR(json_str(j, "serviceName"), "web");
        CHECK_STR(json_str(j, "family"), "app");
        CHECK_STR(json_str(j, "startedBy"), "rollout");
        CHECK_STR(json_str(j, "desiredStatus"), "RUNNING");
        CHECK_INT(cJSON_GetObjectItemCaseSensitive(j, "maxResults")->valuedouble, 100);
        const char *tok = json_str(j, "nextToken");
        if (i == 0)
            CHECK(tok == NULL);
        else
            CHECK_STR(tok, i == 1 ? "p2" : "p3");
        cJSON_Delete(j);
    }
    env_stop(&e);
}

TEST(list_container_instances_and_services_follow_pages)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, list_handler, "containerInstanceArns");
    struct strv arns = STRV_INIT;
    struct err err;
    int rc = ecs_list_container_instances(&e.c, "prod", "ec2InstanceId in [i-1,i-2]", "ACTIVE",
                                          &arns, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK(check_arns(&arns, 230));
    strv_free(&arns);
    cJSON *j = request_json(&e, 2);
    CHECK_STR(target_of(request(&e, 2)),
              "AmazonEC2ContainerServiceV20141113.ListContainerInstances");
    CHECK_STR(json_str(j, "filter"), "ec2InstanceId in [i-1,i-2]");
    CHECK_STR(json_str(j, "status"), "ACTIVE");
    CHECK_STR(json_str(j, "nextToken"), "p3");
    cJSON_Delete(j);

    loopback_set_handler(e.lb, list_handler, "serviceArns");
    /* Appends to what the caller has. */
    strv_push(&arns, "first");
    rc = ecs_list_services(&e.c, "prod", &arns, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(arns.n, 231);
    CHECK_STR(arns.v[0], "first");
    CHECK_STR(arns.v[230], "arn:aws:ecs:us-east-1:1:x/00229");
    strv_free(&arns);
    CHECK_INT(loopback_request_count(e.lb), 6);
    CHECK_STR(target_of(request(&e, 5)), "AmazonEC2ContainerServiceV20141113.ListServices");
    env_stop(&e);
}

TEST(a_list_that_fails_midway_returns_nothing)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, JSON_HEADERS, "{\"taskArns\":[\"a\",\"b\"],\"nextToken\":\"t\"}");
    loopback_push(e.lb, 400, JSON_HEADERS,
                  "{\"__type\":\"ClusterNotFoundException\",\"message\":\"Cluster not found.\"}");
    struct strv arns = STRV_INIT;
    strv_push(&arns, "kept");
    struct err err;
    CHECK_INT(ecs_list_tasks(&e.c, "prod", NULL, &arns, &err), -1);
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "ClusterNotFoundException");
    CHECK_INT(arns.n, 1);
    CHECK_STR(arns.v[0], "kept");
    strv_free(&arns);
    env_stop(&e);
}

/* Describe* calls: one object per requested ARN, except ARNs containing
 * "gone", which come back as MISSING failures. */
struct describe_spec {
    const char *request_key;  /* "tasks" */
    const char *response_key; /* "tasks" */
    const char *arn_key;      /* "taskArn" */
    const char *extra;        /* more members of each object */
};

static void describe_handler(const struct loopback_request *req, struct loopback_reply *reply,
                             void *ud)
{
    const struct describe_spec *spec = ud;
    cJSON *body = cJSON_Parse(req->body);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, spec->request_key);
    struct buf failures = BUF_INIT;
    buf_puts(&reply->headers, JSON_HEADERS);
    buf_printf(&reply->body, "{\"%s\":[", spec->response_key);
    int first = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (strstr(it->valuestring, "gone")) {
            buf_printf(&failures, "%s{\"arn\":\"%s\",\"reason\":\"MISSING\"}",
                       failures.len ? "," : "", it->valuestring);
            continue;
        }
        buf_printf(&reply->body, "%s{\"%s\":\"%s\"%s}", first ? "" : ",", spec->arn_key,
                   it->valuestring, spec->extra);
        first = 0;
    }
    buf_printf(&reply->body, "],\"failures\":[%s]}", buf_cstr(&failures));
    buf_free(&failures);
    cJSON_Delete(body);
}

static size_t request_list_size(struct env *e, size_t i, const char *key)
{
    cJSON *j = request_json(e, i);
    size_t n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, key));
    cJSON_Delete(j);
    return n;
}

TEST(describe_container_instances_250_in_calls_of_100)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    struct describe_spec spec = {"containerInstances", "containerInstances",
                                 "containerInstanceArn",
                                 ",\"status\":\"ACTIVE\",\"attributes\":[{\"name\":\"ecs.ami-id\","
                                 "\"value\":\"ami-1\"}]"};
    loopback_set_handler(e.lb, describe_handler, &spec);
    const char **arns;
    char *block = make_ids("ci-", 250, &arns);
    arns[120] = "ci-gone";
    struct ecs_container_instance *v;
    size_t n;
    struct err err;
    int rc = ecs_describe_container_instances(&e.c, "prod", arns, 250, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 249); /* the MISSING one is left out */
    CHECK_STR(v[0].arn, "ci-00000");
    CHECK_STR(v[248].arn, "ci-00249");
    CHECK_STR(v[248].ami_id, "ami-1");
    ecs_container_instances_free(v, n);
    free(arns);
    free(block);
    CHECK_INT(loopback_request_count(e.lb), 3);
    CHECK_INT(request_list_size(&e, 0, "containerInstances"), 100);
    CHECK_INT(request_list_size(&e, 1, "containerInstances"), 100);
    CHECK_INT(request_list_size(&e, 2, "containerInstances"), 50);
    CHECK_STR(target_of(request(&e, 0)),
              "AmazonEC2ContainerServiceV20141113.DescribeContainerInstances");
    env_stop(&e);
}

TEST(describe_tasks_230_in_calls_of_100)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    struct describe_spec spec = {"tasks", "tasks", "taskArn",
                                 ",\"lastStatus\":\"RUNNING\",\"desiredStatus\":\"RUNNING\""};
    loopback_set_handler(e.lb, describe_handler, &spec);
    const char **arns;
    char *block = make_ids("task-", 230, &arns);
    struct ecs_task *v;
    size_t n;
    struct err err;
    int rc = ecs_describe_tasks(&e.c, "prod", arns, 230, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 230);
    CHECK_STR(v[229].arn, "task-00229");
    ecs_tasks_free(v, n);
    free(arns);
    free(block);
    CHECK_INT(loopback_request_count(e.lb), 3);
    CHECK_INT(request_list_size(&e, 2, "tasks"), 30);
    cJSON *j = request_json(&e, 1);
    CHECK_STR(json_str(j, "cluster"), "prod");
    cJSON_Delete(j);
    env_stop(&e);
}

TEST(describe_services_25_in_calls_of_10)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    struct describe_spec spec = {"services", "services", "serviceArn",
                                 ",\"serviceName\":\"s\",\"status\":\"ACTIVE\""};
    loopback_set_handler(e.lb, describe_handler, &spec);
    const char **names;
    char *block = make_ids("svc-", 25, &names);
    names[24] = "gone";
    struct ecs_service *v;
    size_t n;
    struct err err;
    int rc = ecs_describe_services(&e.c, "prod", names, 25, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 24);
    ecs_services_free(v, n);
    free(names);
    free(block);
    CHECK_INT(loopback_request_count(e.lb), 3);
    CHECK_INT(request_list_size(&e, 0, "services"), 10);
    CHECK_INT(request_list_size(&e, 1, "services"), 10);
    CHECK_INT(request_list_size(&e, 2, "services"), 5);
    env_stop(&e);
}

TEST(an_error_in_a_later_batch_frees_what_was_described)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    char *page = svc_fixture_read("moto-ecs-describe-tasks.json", NULL);
    CHECK(page);
    loopback_push(e.lb, 200, JSON_HEADERS, page);
    free(page);
    loopback_push(e.lb, 200, JSON_HEADERS, "{\"tasks\":[{\"taskArn\":7}]}");
    const char **arns;
    char *block = make_ids("task-", 150, &arns);
    struct ecs_task *v;
    size_t n;
    struct err err;
    CHECK_INT(ecs_describe_tasks(&e.c, "prod", arns, 150, &v, &n, &err), -1);
    free(arns);
    free(block);
    CHECK(v == NULL && n == 0);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_STR(err.message, "DescribeTasks: malformed response: tasks[0].taskArn is not a string");
    env_stop(&e);
}

/* UpdateContainerInstancesState: ARNs containing "bad" fail. */
static void update_state_handler(const struct loopback_request *req, struct loopback_reply *reply,
                                 void *ud)
{
    (void)ud;
    cJSON *body = cJSON_Parse(req->body);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "containerInstances");
    buf_puts(&reply->headers, JSON_HEADERS);
    buf_puts(&reply->body, "{\"containerInstances\":[],\"failures\":[");
    int first = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (strstr(it->valuestring, "bad")) {
            buf_printf(&reply->body,
                       "%s{\"arn\":\"%s\",\"reason\":\"INVALID_STATE\",\"detail\":\"instance "
                       "is DEREGISTERING\"}",
                       first ? "" : ",", it->valuestring);
            first = 0;
        }
    }
    buf_puts(&reply->body, "]}");
    cJSON_Delete(body);
}

TEST(update_state_25_in_calls_of_10_and_failures_are_errors)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, update_state_handler, NULL);
    const char **arns;
    char *block = make_ids("ci-", 25, &arns);
    struct err err;
    int rc = ecs_update_container_instances_state(&e.c, "prod", arns, 25, "DRAINING", &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 3);
    CHECK_INT(request_list_size(&e, 0, "containerInstances"), 10);
    CHECK_INT(request_list_size(&e, 2, "containerInstances"), 5);
    cJSON *j = request_json(&e, 2);
    CHECK_STR(json_str(j, "status"), "DRAINING");
    CHECK_STR(json_str(j, "cluster"), "prod");
    cJSON_Delete(j);

    arns[13] = "ci-bad-13";
    rc = ecs_update_container_instances_state(&e.c, "prod", arns, 25, "ACTIVE", &err);
    CHECK_INT(rc, -1);
    CHECK_INT(loopback_request_count(e.lb), 5); /* batches 1 and 2; not 3 */
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "INVALID_STATE");
    CHECK_CONTAINS(err.message, "UpdateContainerInstancesState: ECS reported a failure for "
                                "ci-bad-13: instance is DEREGISTERING");
    CHECK_CONTAINS(err.message,
                   "(19 of 25 container instances were set to ACTIVE before this error)");
    free(arns);
    free(block);
    env_stop(&e);
}

TEST(missing_or_inactive_cluster_is_a_state_error)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    char *missing = svc_fixture_read("moto-ecs-describe-clusters-missing.json", NULL);
    char *inactive = svc_fixture_read("aws-ecs-describe-clusters-inactive.json", NULL);
    char *found = svc_fixture_read("moto-ecs-describe-clusters.json", NULL);
    CHECK(missing && inactive && found);
    loopback_push(e.lb, 200, JSON_HEADERS, missing);
    loopback_push(e.lb, 200, JSON_HEADERS, inactive);
    loopback_push(e.lb, 200, JSON_HEADERS, found);
    free(missing);
    free(inactive);
    free(found);
    struct ecs_cluster cl;
    struct err err;
    CHECK_INT(ecs_describe_cluster(&e.c, "nope", &cl, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "ECS cluster nope not found in us-east-1");
    CHECK_INT(ecs_describe_cluster(&e.c, "prod", &cl, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "ECS cluster prod not found in us-east-1");
    /* By ARN as well as by name. */
    CHECK_INT(ecs_describe_cluster(&e.c, "arn:aws:ecs:us-east-1:123456789012:cluster/prod", &cl,
                                   &err),
              0);
    CHECK_STR(cl.name, "prod");
    ecs_cluster_free(&cl);
    cJSON *j = request_json(&e, 0);
    CHECK(json_str(j, "cluster") == NULL);
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "clusters"), 0)->valuestring,
              "nope");
    cJSON_Delete(j);
    env_stop(&e);
}

TEST(capacity_providers_follow_pages)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    char *page1 = svc_fixture_read("aws-ecs-describe-capacity-providers.json", NULL);
    char *page2 = svc_fixture_read("moto-ecs-describe-capacity-providers.json", NULL);
    CHECK(page1 && page2);
    loopback_push(e.lb, 200, JSON_HEADERS, page1);
    loopback_push(e.lb, 200, JSON_HEADERS, page2);
    free(page1);
    free(page2);
    struct ecs_capacity_provider *v;
    size_t n;
    struct err err;
    CHECK_INT(ecs_describe_capacity_providers(&e.c, NULL, 0, &v, &n, &err), 0);
    CHECK_INT(n, 4);
    CHECK_STR(v[0].name, "FARGATE");
    CHECK_STR(v[3].name, "web-cp");
    ecs_capacity_providers_free(v, n);
    CHECK_INT(loopback_request_count(e.lb), 2);
    cJSON *j = request_json(&e, 1);
    CHECK_STR(json_str(j, "nextToken"), "next-page-token");
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "capacityProviders") == NULL);
    cJSON_Delete(j);
    env_stop(&e);
}

TEST(stop_task_sends_cluster_task_and_reason)
{
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, JSON_HEADERS, "{\"task\":{\"taskArn\":\"t\"}}");
    struct err err;
    CHECK_INT(ecs_stop_task(&e.c, "prod", "t", "replaced by ecs-rollout", &err), 0);
    cJSON *j = request_json(&e, 0);
    CHECK_STR(target_of(request(&e, 0)), "AmazonEC2ContainerServiceV20141113.StopTask");
    CHECK_STR(json_str(j, "cluster"), "prod");
    CHECK_STR(json_str(j, "task"), "t");
    CHECK_STR(json_str(j, "reason"), "replaced by ecs-rollout");
    cJSON_Delete(j);
    env_stop(&e);
}

/* ---- EC2 ---- */

/* DescribeInstances: ids ending in 7 do not exist; by id that fails the
 * whole call (as AWS and moto do), by filter they are left out. */
static void instances_handler(const struct loopback_request *req, struct loopback_reply *reply,
                              void *ud)
{
    (void)ud;
    int by_filter = form_has(req, "Filter.1.Name");
    buf_puts(&reply->headers, XML_HEADERS);
    struct buf items = BUF_INIT;
    for (int i = 1;; i++) {
        char key[48];
        snprintf(key, sizeof(key), by_filter ? "Filter.1.Value.%d" : "InstanceId.%d", i);
        char *id = form_get(req->body, key);
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
    struct env e;
    if (env_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, instances_handler, NULL);
    const char **ids;
    char *block = make_ids("i-", 150, &ids);
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
    CHECK(form_is(request(&e, 0), "Action", "DescribeInstances"));
    CHECK(form_is(request(&e, 0), "Version", "2016-11-15"));
    CHECK(form_is(request(&e, 0), "InstanceId.100", "i-00099"));
    CHECK(!form_has(request(&e, 0), "InstanceId.101"));
    CHECK(form_is(request(&e, 1), "Filter.1.Name", "instance-id"));
    CHECK(form_is(request(&e, 1), "Filter.1.Value.100", "i-00099"));
    CHECK(form_is(request(&e, 2), "InstanceId.50", "i-00149"));
    CHECK(form_is(request(&e, 3), "Filter.1.Value.1", "i-00100"));

    /* A batch of known ids takes one call. */
    const char *known[] = {"i-00001", "i-00002"};
    CHECK_INT(ec2_describe_instances(&e.c, known, 2, &v, &n, &err), 0);
    CHECK_INT(n, 2);
    ec2_instances_free(v, n);
    CHECK_INT(loopback_request_count(e.lb), 5);
    free(ids);
    free(block);
    env_stop(&e);
}

TEST(launch_template_calls)
{
    struct env e;
    if (env_start(&e) < 0)
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
    CHECK(form_is(request(&e, 0), "Action", "DescribeLaunchTemplates"));
    CHECK(form_is(request(&e, 0), "LaunchTemplateName.1", "web"));

    CHECK_INT(ec2_describe_launch_template(&e.c, "lt-0nope", NULL, &t, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "launch template lt-0nope not found in us-east-1");
    CHECK(form_is(request(&e, 1), "LaunchTemplateId.1", "lt-0nope"));

    char *image;
    CHECK_INT(ec2_launch_template_image(&e.c, "lt-ee830ed7d9071fa99", NULL, "$Latest", &image,
                                        &err),
              0);
    CHECK_STR(image, "ami-12c6146b");
    free(image);
    const struct loopback_request *r = request(&e, 2);
    CHECK(form_is(r, "Action", "DescribeLaunchTemplateVersions"));
    CHECK(form_is(r, "LaunchTemplateId", "lt-ee830ed7d9071fa99"));
    CHECK(form_is(r, "LaunchTemplateVersion.1", "$Latest"));
    CHECK(form_is(r, "ResolveAlias", "true"));

    CHECK_INT(ec2_launch_template_image(&e.c, NULL, "web", "9", &image, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "version 9 of launch template web not found in us-east-1");
    CHECK(form_is(request(&e, 3), "LaunchTemplateName", "web"));
    env_stop(&e);
}
