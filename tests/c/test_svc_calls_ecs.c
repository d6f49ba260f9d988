/* ECS calls against a loopback server that plays AWS: batch limits,
 * pagination, request contents, and how failures and odd answers surface.
 * (Against a real moto_server: test_svc_moto_ecs.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/ecs.h"
#include "svc_fixture.h"
#include "svc_loopback.h"
#include "test.h"
#include "util/buf.h"

/* List* calls: 230 items in pages of 100 (tokens "p2", "p3"). */
static void list_handler(const struct loopback_request *req, struct loopback_reply *reply, void *ud)
{
    const char *key = ud;
    cJSON *body = cJSON_Parse(req->body);
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(body, "nextToken");
    int page = !cJSON_IsString(tok) ? 0 : strcmp(tok->valuestring, "p2") == 0 ? 1 : 2;
    buf_puts(&reply->headers, JSON_HEADERS);
    buf_printf(&reply->body, "{\"%s\":[", key);
    int start = page * 100, end = page == 2 ? 230 : start + 100;
    for (int i = start; i < end; i++)
        buf_printf(&reply->body, "%s\"arn:aws:ecs:us-east-1:1:x/%05d\"", i > start ? "," : "", i);
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

TEST(list_tasks_follows_pages_and_sends_filters)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
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
        CHECK_STR(svc_lb_target(svc_lb_request(&e, i)),
                  "AmazonEC2ContainerServiceV20141113.ListTasks");
        cJSON *j = svc_lb_request_json(&e, i);
        CHECK(j);
        CHECK_STR(svc_lb_json_str(j, "cluster"), "prod");
        CHECK_STR(svc_lb_json_str(j, "containerInstance"), "ci-1");
        CHECK_STR(svc_lb_json_str(j, "serviceName"), "web");
        CHECK_STR(svc_lb_json_str(j, "family"), "app");
        CHECK_STR(svc_lb_json_str(j, "startedBy"), "rollout");
        CHECK_STR(svc_lb_json_str(j, "desiredStatus"), "RUNNING");
        CHECK_INT(cJSON_GetObjectItemCaseSensitive(j, "maxResults")->valuedouble, 100);
        const char *tok = svc_lb_json_str(j, "nextToken");
        if (i == 0)
            CHECK(tok == NULL);
        else
            CHECK_STR(tok, i == 1 ? "p2" : "p3");
        cJSON_Delete(j);
    }
    svc_lb_stop(&e);
}

TEST(list_container_instances_and_services_follow_pages)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, list_handler, "containerInstanceArns");
    struct strv arns = STRV_INIT;
    struct err err;
    int rc = ecs_list_container_instances(&e.c, "prod", "ec2InstanceId in [i-1,i-2]", "ACTIVE",
                                          &arns, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK(check_arns(&arns, 230));
    strv_free(&arns);
    cJSON *j = svc_lb_request_json(&e, 2);
    CHECK_STR(svc_lb_target(svc_lb_request(&e, 2)),
              "AmazonEC2ContainerServiceV20141113.ListContainerInstances");
    CHECK_STR(svc_lb_json_str(j, "filter"), "ec2InstanceId in [i-1,i-2]");
    CHECK_STR(svc_lb_json_str(j, "status"), "ACTIVE");
    CHECK_STR(svc_lb_json_str(j, "nextToken"), "p3");
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
    CHECK_STR(svc_lb_target(svc_lb_request(&e, 5)),
              "AmazonEC2ContainerServiceV20141113.ListServices");
    svc_lb_stop(&e);
}

TEST(a_list_that_fails_midway_returns_nothing)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
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
    svc_lb_stop(&e);
}

TEST(a_repeated_page_token_is_an_error_not_a_loop)
{
    /* A service that hands back the token it was given would page forever. */
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, JSON_HEADERS, "{\"taskArns\":[\"a\"],\"nextToken\":\"t\"}");
    loopback_push(e.lb, 200, JSON_HEADERS, "{\"taskArns\":[\"b\"],\"nextToken\":\"t\"}");
    struct strv arns = STRV_INIT;
    struct err err;
    CHECK_INT(ecs_list_tasks(&e.c, "prod", NULL, &arns, &err), -1);
    CHECK_CONTAINS(err.message, "repeats the previous page's token");
    CHECK_INT(arns.n, 0);
    strv_free(&arns);
    svc_lb_stop(&e);
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

TEST(describe_container_instances_250_in_calls_of_100)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    struct describe_spec spec = {"containerInstances", "containerInstances", "containerInstanceArn",
                                 ",\"status\":\"ACTIVE\",\"attributes\":[{\"name\":\"ecs.ami-id\","
                                 "\"value\":\"ami-1\"}]"};
    loopback_set_handler(e.lb, describe_handler, &spec);
    const char **arns;
    char *block = svc_lb_ids("ci-", 250, &arns);
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
    CHECK_INT(svc_lb_list_size(&e, 0, "containerInstances"), 100);
    CHECK_INT(svc_lb_list_size(&e, 1, "containerInstances"), 100);
    CHECK_INT(svc_lb_list_size(&e, 2, "containerInstances"), 50);
    CHECK_STR(svc_lb_target(svc_lb_request(&e, 0)),
              "AmazonEC2ContainerServiceV20141113.DescribeContainerInstances");
    svc_lb_stop(&e);
}

TEST(describe_tasks_230_in_calls_of_100)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    struct describe_spec spec = {"tasks", "tasks", "taskArn",
                                 ",\"lastStatus\":\"RUNNING\",\"desiredStatus\":\"RUNNING\""};
    loopback_set_handler(e.lb, describe_handler, &spec);
    const char **arns;
    char *block = svc_lb_ids("task-", 230, &arns);
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
    CHECK_INT(svc_lb_list_size(&e, 2, "tasks"), 30);
    cJSON *j = svc_lb_request_json(&e, 1);
    CHECK_STR(svc_lb_json_str(j, "cluster"), "prod");
    cJSON_Delete(j);
    svc_lb_stop(&e);
}

TEST(describe_services_25_in_calls_of_10)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    struct describe_spec spec = {"services", "services", "serviceArn",
                                 ",\"serviceName\":\"s\",\"status\":\"ACTIVE\""};
    loopback_set_handler(e.lb, describe_handler, &spec);
    const char **names;
    char *block = svc_lb_ids("svc-", 25, &names);
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
    CHECK_INT(svc_lb_list_size(&e, 0, "services"), 10);
    CHECK_INT(svc_lb_list_size(&e, 1, "services"), 10);
    CHECK_INT(svc_lb_list_size(&e, 2, "services"), 5);
    svc_lb_stop(&e);
}

TEST(an_error_in_a_later_batch_frees_what_was_described)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    char *page = svc_fixture_read("moto-ecs-describe-tasks.json", NULL);
    CHECK(page);
    loopback_push(e.lb, 200, JSON_HEADERS, page);
    free(page);
    loopback_push(e.lb, 200, JSON_HEADERS, "{\"tasks\":[{\"taskArn\":7}]}");
    const char **arns;
    char *block = svc_lb_ids("task-", 150, &arns);
    struct ecs_task *v;
    size_t n;
    struct err err;
    CHECK_INT(ecs_describe_tasks(&e.c, "prod", arns, 150, &v, &n, &err), -1);
    free(arns);
    free(block);
    CHECK(v == NULL && n == 0);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_STR(err.message, "DescribeTasks: malformed response: tasks[0].taskArn is not a string");
    svc_lb_stop(&e);
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

TEST(update_state_25_in_calls_of_10_side_by_side_and_failures_are_errors)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_set_handler(e.lb, update_state_handler, NULL);
    const char **arns;
    char *block = svc_lb_ids("ci-", 25, &arns);
    struct err err;
    int rc = ecs_update_container_instances_state(&e.c, "prod", arns, 25, "DRAINING", &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(loopback_request_count(e.lb), 3);
    /* The calls go out side by side: in any order, 10 + 10 + 5. */
    size_t sizes[3], tens = 0, fives = 0;
    for (size_t i = 0; i < 3; i++) {
        sizes[i] = svc_lb_list_size(&e, i, "containerInstances");
        tens += sizes[i] == 10;
        fives += sizes[i] == 5;
        cJSON *j = svc_lb_request_json(&e, i);
        CHECK_STR(svc_lb_json_str(j, "status"), "DRAINING");
        CHECK_STR(svc_lb_json_str(j, "cluster"), "prod");
        cJSON_Delete(j);
    }
    CHECK_MSG(tens == 2 && fives == 1, "batch sizes %zu, %zu, %zu", sizes[0], sizes[1], sizes[2]);

    arns[13] = "ci-bad-13";
    rc = ecs_update_container_instances_state(&e.c, "prod", arns, 25, "ACTIVE", &err);
    CHECK_INT(rc, -1);
    CHECK_INT(loopback_request_count(e.lb), 6); /* every batch is sent */
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "INVALID_STATE");
    CHECK_CONTAINS(err.message, "UpdateContainerInstancesState: ECS reported a failure for "
                                "ci-bad-13: instance is DEREGISTERING");
    CHECK_CONTAINS(err.message,
                   "(24 of 25 container instances were set to ACTIVE before this error)");
    free(arns);
    free(block);
    svc_lb_stop(&e);
}

TEST(missing_or_inactive_cluster_is_a_state_error)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
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
    CHECK_INT(
        ecs_describe_cluster(&e.c, "arn:aws:ecs:us-east-1:123456789012:cluster/prod", &cl, &err),
        0);
    CHECK_STR(cl.name, "prod");
    ecs_cluster_free(&cl);
    cJSON *j = svc_lb_request_json(&e, 0);
    CHECK(svc_lb_json_str(j, "cluster") == NULL);
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "clusters"), 0)->valuestring,
              "nope");
    cJSON_Delete(j);
    svc_lb_stop(&e);
}

TEST(capacity_providers_follow_pages)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
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
    cJSON *j = svc_lb_request_json(&e, 1);
    CHECK_STR(svc_lb_json_str(j, "nextToken"), "next-page-token");
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "capacityProviders") == NULL);
    cJSON_Delete(j);
    svc_lb_stop(&e);
}

TEST(stop_task_sends_cluster_task_and_reason)
{
    struct svc_lb e;
    if (svc_lb_start(&e) < 0)
        return;
    loopback_push(e.lb, 200, JSON_HEADERS, "{\"task\":{\"taskArn\":\"t\"}}");
    struct err err;
    CHECK_INT(ecs_stop_task(&e.c, "prod", "t", "replaced by ecs-rollout", &err), 0);
    cJSON *j = svc_lb_request_json(&e, 0);
    CHECK_STR(svc_lb_target(svc_lb_request(&e, 0)), "AmazonEC2ContainerServiceV20141113.StopTask");
    CHECK_STR(svc_lb_json_str(j, "cluster"), "prod");
    CHECK_STR(svc_lb_json_str(j, "task"), "t");
    CHECK_STR(svc_lb_json_str(j, "reason"), "replaced by ecs-rollout");
    cJSON_Delete(j);
    svc_lb_stop(&e);
}
