/* ECS response parsing, from fixtures captured from moto_server and fixtures
 * shaped after the AWS API reference. */
#include <stdlib.h>
#include <string.h>

#include "svc/ecs.h"
#include "svc_fixture.h"
#include "test.h"

TEST(clusters_and_missing_cluster)
{
    cJSON *doc = svc_fixture_json("moto-ecs-describe-clusters.json");
    CHECK(doc);
    struct ecs_cluster *v = NULL;
    size_t n = 0, n_failed = 9;
    struct err err;
    CHECK_INT(ecs_parse_describe_clusters(doc, &v, &n, &err), 0);
    CHECK_INT(ecs_parse_failures(doc, "DescribeClusters", 1, &n_failed, &err), 0);
    CHECK_INT(n_failed, 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 1);
    CHECK_STR(v[0].arn, "arn:aws:ecs:us-east-1:123456789012:cluster/prod");
    CHECK_STR(v[0].name, "prod");
    CHECK_STR(v[0].status, "ACTIVE");
    CHECK_INT(v[0].registered_container_instances, 0);
    CHECK_INT(v[0].capacity_providers.n, 1);
    CHECK_STR(v[0].capacity_providers.v[0], "web-cp");
    ecs_cluster_free(&v[0]);
    free(v);

    doc = svc_fixture_json("moto-ecs-describe-clusters-missing.json");
    CHECK(doc);
    v = NULL;
    n = 0;
    CHECK_INT(ecs_parse_describe_clusters(doc, &v, &n, &err), 0);
    CHECK_INT(n, 0);
    CHECK(v == NULL);
    /* MISSING is how ECS says "no such cluster": not a failure here. */
    CHECK_INT(ecs_parse_failures(doc, "DescribeClusters", 1, &n_failed, &err), 0);
    CHECK_INT(n_failed, 0);
    CHECK_INT(ecs_parse_failures(doc, "DescribeClusters", 0, &n_failed, &err), -1);
    CHECK_INT(n_failed, 1);
    cJSON_Delete(doc);
}

TEST(inactive_cluster_parses_with_its_status)
{
    cJSON *doc = svc_fixture_json("aws-ecs-describe-clusters-inactive.json");
    CHECK(doc);
    struct ecs_cluster *v = NULL;
    size_t n = 0;
    struct err err;
    CHECK_INT(ecs_parse_describe_clusters(doc, &v, &n, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 1);
    CHECK_STR(v[0].status, "INACTIVE");
    CHECK_INT(v[0].capacity_providers.n, 0);
    ecs_cluster_free(&v[0]);
    free(v);
}

TEST(capacity_providers)
{
    cJSON *doc = svc_fixture_json("moto-ecs-describe-capacity-providers.json");
    CHECK(doc);
    struct ecs_capacity_provider *v = NULL;
    size_t n = 0;
    char *token = NULL;
    struct err err;
    CHECK_INT(ecs_parse_capacity_providers(doc, &v, &n, &token, &err), 0);
    cJSON_Delete(doc);
    CHECK(token == NULL);
    CHECK_INT(n, 1);
    CHECK_STR(v[0].name, "web-cp");
    CHECK_STR(v[0].arn, "arn:aws:ecs:us-east-1:123456789012:capacity-provider/web-cp");
    CHECK_CONTAINS(v[0].asg_arn, "autoScalingGroupName/web-asg");
    CHECK_INT(v[0].managed_scaling, 1);
    CHECK_INT(v[0].managed_termination_protection, 1);
    CHECK_INT(v[0].managed_draining, 1);

    doc = svc_fixture_json("aws-ecs-describe-capacity-providers.json");
    CHECK(doc);
    CHECK_INT(ecs_parse_capacity_providers(doc, &v, &n, &token, &err), 0);
    cJSON_Delete(doc);
    CHECK_STR(token, "next-page-token");
    free(token);
    CHECK_INT(n, 4);
    CHECK_STR(v[1].name, "FARGATE");
    CHECK(v[1].asg_arn == NULL);
    CHECK_INT(v[1].managed_scaling + v[1].managed_termination_protection + v[1].managed_draining,
              0);
    CHECK_STR(v[2].name, "asg-plain");
    CHECK_CONTAINS(v[2].asg_arn, "autoScalingGroupName/plain");
    CHECK_INT(v[2].managed_scaling, 0);
    CHECK_INT(v[2].managed_termination_protection, 0);
    CHECK_INT(v[2].managed_draining, 0); /* absent */
    CHECK_INT(v[3].managed_scaling, 1);
    CHECK_INT(v[3].managed_termination_protection, 1);
    CHECK_INT(v[3].managed_draining, 1);
    ecs_capacity_providers_free(v, n);
}

TEST(container_instances_and_attributes)
{
    cJSON *doc = svc_fixture_json("moto-ecs-describe-container-instances.json");
    CHECK(doc);
    struct ecs_container_instance *v = NULL;
    size_t n = 0, n_failed;
    struct err err;
    CHECK_INT(ecs_parse_container_instances(doc, &v, &n, &err), 0);
    CHECK_INT(ecs_parse_failures(doc, "DescribeContainerInstances", 1, &n_failed, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 1);
    CHECK_STR(v[0].arn, "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/"
                        "531d05a0-9a80-4269-93ca-1499a1837e48");
    CHECK_STR(v[0].ec2_instance_id, "i-16535bb9a6efab591");
    CHECK_STR(v[0].status, "ACTIVE");
    CHECK(v[0].status_reason == NULL);
    CHECK(v[0].capacity_provider_name == NULL);
    CHECK_INT(v[0].agent_connected, 1);
    CHECK_INT(v[0].running_tasks_count, 0);
    CHECK_INT(v[0].pending_tasks_count, 0);
    CHECK_STR(v[0].ami_id, "ami-12c6146b");
    CHECK_STR(v[0].availability_zone, "us-east-1a");
    CHECK_STR(v[0].instance_type, "t3.micro");

    doc = svc_fixture_json("aws-ecs-describe-container-instances.json");
    CHECK(doc);
    CHECK_INT(ecs_parse_container_instances(doc, &v, &n, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 3);
    CHECK_STR(v[1].status, "DRAINING");
    CHECK_STR(v[1].status_reason, "Instance scale-in");
    CHECK_STR(v[1].capacity_provider_name, "asg-managed");
    CHECK_INT(v[1].agent_connected, 0);
    CHECK_INT(v[1].running_tasks_count, 3);
    CHECK_INT(v[1].pending_tasks_count, 1);
    CHECK_STR(v[1].ami_id, "ami-0d5e0c48EXAMPLE");
    CHECK_STR(v[1].availability_zone, "us-west-2c");
    CHECK_STR(v[1].instance_type, "c5.xlarge");
    /* An external instance: no EC2 id, no attributes. */
    CHECK_STR(v[2].status, "REGISTERING");
    CHECK(v[2].ec2_instance_id == NULL);
    CHECK(v[2].ami_id == NULL && v[2].availability_zone == NULL && v[2].instance_type == NULL);
    ecs_container_instances_free(v, n);
}

TEST(tasks)
{
    cJSON *doc = svc_fixture_json("moto-ecs-describe-tasks.json");
    CHECK(doc);
    struct ecs_task *v = NULL;
    size_t n = 0, n_failed;
    struct err err;
    CHECK_INT(ecs_parse_tasks(doc, &v, &n, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 2);
    CHECK_STR(v[0].arn,
              "arn:aws:ecs:us-east-1:123456789012:task/prod/4eea30c1-1141-4cc1-af54-90d8eddd707f");
    CHECK_STR(v[0].desired_status, "RUNNING");
    CHECK_STR(v[0].last_status, "DEACTIVATING");
    CHECK_STR(v[0].group, "family:app");
    CHECK_STR(v[0].started_by, "batch-1");
    CHECK_CONTAINS(v[0].container_instance_arn, "container-instance/prod/531d05a0");
    CHECK_STR(v[0].task_definition_arn, "arn:aws:ecs:us-east-1:123456789012:task-definition/app:1");
    CHECK_STR(v[0].launch_type, "EC2");
    CHECK_STR(v[0].stopped_reason, "");

    doc = svc_fixture_json("aws-ecs-describe-tasks.json");
    CHECK(doc);
    CHECK_INT(ecs_parse_tasks(doc, &v, &n, &err), 0);
    CHECK_INT(ecs_parse_failures(doc, "DescribeTasks", 1, &n_failed, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 4);
    CHECK_STR(v[2].group, "service:web");
    CHECK_STR(v[2].desired_status, "STOPPED");
    CHECK_STR(v[2].stopped_reason, "Task stopped by the service scheduler: instance draining");
    CHECK_STR(v[3].launch_type, "FARGATE");
    CHECK(v[3].container_instance_arn == NULL);
    CHECK(v[3].started_by == NULL);
    CHECK(v[3].stopped_reason == NULL);
    ecs_tasks_free(v, n);
}

/* stopCode and stoppedAt (Task, Amazon ECS API Reference): epoch seconds
 * in AWS's JSON, an ISO 8601 string from some compatible endpoints. */
TEST(task_stop_code_and_time)
{
    cJSON *doc = cJSON_Parse(
        "{\"tasks\":[{\"taskArn\":\"a\",\"lastStatus\":\"STOPPED\",\"desiredStatus\":\"STOPPED\","
        "\"stopCode\":\"EssentialContainerExited\",\"stoppedAt\":1733560000.25},"
        "{\"taskArn\":\"b\",\"lastStatus\":\"STOPPED\",\"desiredStatus\":\"STOPPED\","
        "\"stoppedAt\":\"2024-12-07T08:26:40Z\"},"
        "{\"taskArn\":\"c\",\"lastStatus\":\"RUNNING\",\"desiredStatus\":\"RUNNING\","
        "\"stoppedAt\":null}]}");
    CHECK(doc);
    struct ecs_task *v = NULL;
    size_t n = 0;
    struct err err = {0};
    CHECK_INT(ecs_parse_tasks(doc, &v, &n, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 3);
    CHECK_STR(v[0].stop_code, "EssentialContainerExited");
    CHECK(v[0].stopped_at == 1733560000LL);
    CHECK(v[1].stop_code == NULL);
    CHECK(v[1].stopped_at == 1733560000LL);
    CHECK(v[2].stopped_at == 0);
    ecs_tasks_free(v, n);
    /* Unreadable: unknown, not an error (the field is optional). */
    doc = cJSON_Parse("{\"tasks\":[{\"taskArn\":\"a\",\"lastStatus\":\"STOPPED\","
                      "\"desiredStatus\":\"STOPPED\",\"stoppedAt\":\"yesterday\"},"
                      "{\"taskArn\":\"b\",\"lastStatus\":\"STOPPED\","
                      "\"desiredStatus\":\"STOPPED\",\"stoppedAt\":[1]}]}");
    v = NULL;
    n = 0;
    CHECK_INT(ecs_parse_tasks(doc, &v, &n, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 2);
    CHECK(v[0].stopped_at == 0 && v[1].stopped_at == 0);
    ecs_tasks_free(v, n);
}

TEST(services)
{
    cJSON *doc = svc_fixture_json("moto-ecs-describe-services.json");
    CHECK(doc);
    struct ecs_service *v = NULL;
    size_t n = 0, n_failed;
    struct err err;
    CHECK_INT(ecs_parse_services(doc, &v, &n, &err), 0);
    /* The service asked for but absent comes back as a MISSING failure. */
    CHECK_INT(ecs_parse_failures(doc, "DescribeServices", 1, &n_failed, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 3);
    CHECK_STR(v[0].arn, "arn:aws:ecs:us-east-1:123456789012:service/prod/svc-a");
    CHECK_STR(v[0].name, "svc-a");
    CHECK_STR(v[0].status, "ACTIVE");
    CHECK_STR(v[0].scheduling_strategy, "REPLICA");
    CHECK_STR(v[0].launch_type, "EC2");
    CHECK_INT(v[0].desired_count, 2);
    CHECK_INT(v[0].running_count, 0);
    CHECK_INT(v[0].pending_count, 2);
    /* moto does not echo deploymentConfiguration. */
    CHECK_INT(v[0].minimum_healthy_percent, -1);
    CHECK_INT(v[0].maximum_percent, -1);
    CHECK_INT(v[0].n_deployments, 1);
    CHECK_INT(v[0].uses_capacity_providers, 0);
    CHECK_STR(v[2].scheduling_strategy, "DAEMON");

    doc = svc_fixture_json("aws-ecs-describe-services.json");
    CHECK(doc);
    CHECK_INT(ecs_parse_services(doc, &v, &n, &err), 0);
    CHECK_INT(ecs_parse_failures(doc, "DescribeServices", 1, &n_failed, &err), 0);
    cJSON_Delete(doc);
    CHECK_INT(n, 5);
    CHECK_STR(v[3].name, "web");
    CHECK(v[3].launch_type == NULL);
    CHECK_INT(v[3].uses_capacity_providers, 1);
    CHECK_INT(v[3].minimum_healthy_percent, 100);
    CHECK_INT(v[3].maximum_percent, 200);
    CHECK_INT(v[3].n_deployments, 2);
    CHECK_INT(v[3].desired_count, 4);
    CHECK_INT(v[3].running_count, 3);
    CHECK_INT(v[3].pending_count, 1);
    CHECK_STR(v[4].status, "DRAINING");
    CHECK(v[4].scheduling_strategy == NULL);
    CHECK_INT(v[4].minimum_healthy_percent, -1);
    CHECK_INT(v[4].maximum_percent, -1);
    CHECK_INT(v[4].n_deployments, 0);
    ecs_services_free(v, n);
}

TEST(arn_pages)
{
    cJSON *doc = svc_fixture_json("moto-ecs-list-tasks.json");
    CHECK(doc);
    struct strv arns = STRV_INIT;
    strv_push(&arns, "already-there");
    char *token = NULL;
    struct err err;
    CHECK_INT(ecs_parse_arn_page(doc, "ListTasks", "taskArns", &arns, &token, &err), 0);
    CHECK(token == NULL);
    CHECK_INT(arns.n, 3);
    CHECK_STR(arns.v[0], "already-there");
    CHECK_CONTAINS(arns.v[1], "task/prod/4eea30c1");
    /* The wrong key is a missing field. */
    CHECK_INT(ecs_parse_arn_page(doc, "ListServices", "serviceArns", &arns, &token, &err), -1);
    CHECK_STR(err.message, "ListServices: malformed response: serviceArns is missing");
    CHECK_INT(arns.n, 3);
    cJSON_Delete(doc);

    const char *page = "{\"containerInstanceArns\":[\"a\",\"b\"],\"nextToken\":\"t2\"}";
    doc = cJSON_Parse(page);
    CHECK_INT(ecs_parse_arn_page(doc, "ListContainerInstances", "containerInstanceArns", &arns,
                                 &token, &err),
              0);
    CHECK_STR(token, "t2");
    free(token);
    CHECK_INT(arns.n, 5);
    cJSON_Delete(doc);

    doc = cJSON_Parse("{\"taskArns\":[\"a\",7]}");
    CHECK_INT(ecs_parse_arn_page(doc, "ListTasks", "taskArns", &arns, &token, &err), -1);
    CHECK_STR(err.message, "ListTasks: malformed response: taskArns[1] is not a string");
    CHECK_INT(arns.n, 5);
    cJSON_Delete(doc);
    doc = cJSON_Parse("{\"taskArns\":[\"a\",\"\"]}");
    CHECK_INT(ecs_parse_arn_page(doc, "ListTasks", "taskArns", &arns, &token, &err), -1);
    CHECK_STR(err.message, "ListTasks: malformed response: taskArns[1] is empty");
    cJSON_Delete(doc);
    doc = cJSON_Parse("{\"taskArns\":[],\"nextToken\":5}");
    CHECK_INT(ecs_parse_arn_page(doc, "ListTasks", "taskArns", &arns, &token, &err), -1);
    CHECK_STR(err.message, "ListTasks: malformed response: nextToken is not a string");
    CHECK(token == NULL);
    CHECK_INT(arns.n, 5);
    cJSON_Delete(doc);
    strv_free(&arns);
}

TEST(failures_name_the_arn_and_reason)
{
    cJSON *doc = svc_fixture_json("moto-ecs-update-ci-state-failure.json");
    CHECK(doc);
    size_t n_failed;
    struct err err;
    CHECK_INT(ecs_parse_failures(doc, "UpdateContainerInstancesState", 0, &n_failed, &err), -1);
    cJSON_Delete(doc);
    CHECK_INT(n_failed, 1);
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "MISSING");
    CHECK_STR(err.message, "UpdateContainerInstancesState: ECS reported a failure for "
                           "arn:aws:ecs:us-east-1:123456789012:container-instance/"
                           "00000000000000000000000000000000");
    struct buf b = BUF_INIT;
    err_format(&err, &b);
    CHECK_CONTAINS(buf_cstr(&b), "MISSING: UpdateContainerInstancesState: ECS reported a "
                                 "failure for arn:aws:ecs:");
    buf_free(&b);

    doc = svc_fixture_json("aws-ecs-update-ci-state-failures.json");
    CHECK(doc);
    /* Even with MISSING tolerated, the other reason is an error. */
    CHECK_INT(ecs_parse_failures(doc, "UpdateContainerInstancesState", 1, &n_failed, &err), -1);
    CHECK_INT(n_failed, 1);
    CHECK_STR(err.code, "INVALID_STATE");
    CHECK_CONTAINS(err.message, "container-instance/prod/1f8e5ad8c2a44aa5a2cc1b9d1a6a2e02: "
                                "Container instance is DEREGISTERING");
    CHECK_INT(ecs_parse_failures(doc, "UpdateContainerInstancesState", 0, &n_failed, &err), -1);
    CHECK_INT(n_failed, 2);
    CHECK_STR(err.code, "MISSING");
    CHECK_CONTAINS(err.message, "(and 1 more failures)");
    cJSON_Delete(doc);

    /* moto answers UpdateContainerInstancesState with attribute objects
     * that lost their names; only the failures matter there. */
    doc = svc_fixture_json("moto-ecs-update-ci-state.json");
    CHECK(doc);
    CHECK_INT(ecs_parse_failures(doc, "UpdateContainerInstancesState", 0, &n_failed, &err), 0);
    CHECK_INT(n_failed, 0);
    cJSON_Delete(doc);
}

TEST(wrong_types_are_protocol_errors)
{
    static const struct {
        const char *json;
        const char *expect;
    } cases[] = {
        {"{}", "DescribeServices: malformed response: services is missing"},
        {"{\"services\":{}}", "services is not an array"},
        {"{\"services\":[7]}", "services[0] is not an object"},
        {"{\"services\":[{\"serviceArn\":\"a\",\"serviceName\":\"n\",\"status\":\"ACTIVE\","
         "\"desiredCount\":\"2\"}]}",
         "services[0].desiredCount is not a number"},
        {"{\"services\":[{\"serviceArn\":\"a\",\"serviceName\":\"n\",\"status\":\"ACTIVE\","
         "\"desiredCount\":2.5}]}",
         "services[0].desiredCount 2.5 is not an integer"},
        {"{\"services\":[{\"serviceArn\":\"a\",\"serviceName\":\"n\",\"status\":\"ACTIVE\","
         "\"desiredCount\":1e12}]}",
         "services[0].desiredCount 1e+12 is out of range"},
        {"{\"services\":[{\"serviceArn\":\"a\",\"serviceName\":\"n\",\"status\":\"ACTIVE\","
         "\"deploymentConfiguration\":{\"maximumPercent\":true}}]}",
         "services[0].deploymentConfiguration.maximumPercent is not a number"},
        {"{\"services\":[{\"serviceArn\":\"a\",\"serviceName\":\"n\",\"status\":\"ACTIVE\","
         "\"deployments\":{}}]}",
         "services[0].deployments is not an array"},
        {"{\"services\":[{\"serviceName\":\"n\",\"status\":\"ACTIVE\"}]}",
         "services[0].serviceArn is missing"},
        {"{\"services\":[{\"serviceArn\":null,\"serviceName\":\"n\",\"status\":\"ACTIVE\"}]}",
         "services[0].serviceArn is missing"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *doc = cJSON_Parse(cases[i].json);
        CHECK_MSG(doc, "case %zu is not JSON", i);
        struct ecs_service *v = NULL;
        size_t n = 0;
        struct err err;
        int rc = ecs_parse_services(doc, &v, &n, &err);
        cJSON_Delete(doc);
        CHECK_MSG(rc == -1, "case %zu: rc %d", i, rc);
        CHECK_INT(err.kind, ERR_PROTOCOL);
        CHECK_CONTAINS(err.message, "DescribeServices: malformed response: ");
        CHECK_CONTAINS(err.message, cases[i].expect);
        CHECK(v == NULL && n == 0);
    }

    cJSON *doc = cJSON_Parse("{\"containerInstances\":[{\"containerInstanceArn\":\"a\","
                             "\"status\":\"ACTIVE\",\"agentConnected\":\"yes\"}]}");
    struct ecs_container_instance *ci = NULL;
    size_t n = 0;
    struct err err;
    CHECK_INT(ecs_parse_container_instances(doc, &ci, &n, &err), -1);
    CHECK_STR(err.message, "DescribeContainerInstances: malformed response: "
                           "containerInstances[0].agentConnected is not a boolean");
    cJSON_Delete(doc);
    doc = cJSON_Parse("{\"containerInstances\":[{\"containerInstanceArn\":\"a\","
                      "\"status\":\"ACTIVE\",\"attributes\":[{\"value\":\"x\"}]}]}");
    CHECK_INT(ecs_parse_container_instances(doc, &ci, &n, &err), -1);
    CHECK_STR(err.message, "DescribeContainerInstances: malformed response: "
                           "containerInstances[0].attributes[0].name is missing");
    cJSON_Delete(doc);
    doc = cJSON_Parse("{\"failures\":[{\"arn\":1}]}");
    size_t n_failed;
    CHECK_INT(ecs_parse_failures(doc, "DescribeTasks", 1, &n_failed, &err), -1);
    CHECK_STR(err.message, "DescribeTasks: malformed response: failures[0].arn is not a string");
    cJSON_Delete(doc);
    doc = cJSON_Parse("{\"failures\":[\"x\"]}");
    CHECK_INT(ecs_parse_failures(doc, "DescribeTasks", 1, &n_failed, &err), -1);
    CHECK_STR(err.message, "DescribeTasks: malformed response: failures[0] is not an object");
    cJSON_Delete(doc);
}

/* Sweep callbacks: parse, free, and report only protocol errors. */
static int sweep_clusters(const cJSON *resp, struct err *err)
{
    struct ecs_cluster *v = NULL;
    size_t n = 0;
    int rc = ecs_parse_describe_clusters(resp, &v, &n, err);
    for (size_t i = 0; i < n; i++)
        ecs_cluster_free(&v[i]);
    free(v);
    return rc < 0 && (v || n) ? -3 : rc;
}

static int sweep_capacity_providers(const cJSON *resp, struct err *err)
{
    struct ecs_capacity_provider *v = NULL;
    size_t n = 0;
    char *token = NULL;
    int rc = ecs_parse_capacity_providers(resp, &v, &n, &token, err);
    ecs_capacity_providers_free(v, n);
    free(token);
    return rc < 0 && (v || n || token) ? -3 : rc;
}

static int sweep_container_instances(const cJSON *resp, struct err *err)
{
    struct ecs_container_instance *v = NULL;
    size_t n = 0;
    int rc = ecs_parse_container_instances(resp, &v, &n, err);
    ecs_container_instances_free(v, n);
    return rc < 0 && (v || n) ? -3 : rc;
}

static int sweep_tasks(const cJSON *resp, struct err *err)
{
    struct ecs_task *v = NULL;
    size_t n = 0;
    int rc = ecs_parse_tasks(resp, &v, &n, err);
    ecs_tasks_free(v, n);
    return rc < 0 && (v || n) ? -3 : rc;
}

static int sweep_services(const cJSON *resp, struct err *err)
{
    struct ecs_service *v = NULL;
    size_t n = 0;
    int rc = ecs_parse_services(resp, &v, &n, err);
    ecs_services_free(v, n);
    return rc < 0 && (v || n) ? -3 : rc;
}

static int sweep_failures(const cJSON *resp, struct err *err)
{
    size_t n_failed;
    int rc = ecs_parse_failures(resp, "DescribeTasks", 1, &n_failed, err);
    /* A failure that is reported is a correct answer too. */
    return rc < 0 && err->kind == ERR_SERVICE && n_failed ? 0 : rc;
}

static int sweep_list(const cJSON *resp, struct err *err)
{
    struct strv arns = STRV_INIT;
    char *token = NULL;
    int rc = ecs_parse_arn_page(resp, "ListTasks", "taskArns", &arns, &token, err);
    int touched = arns.n || token;
    strv_free(&arns);
    free(token);
    return rc < 0 && touched ? -3 : rc;
}

TEST(every_value_removed_or_retyped_is_handled)
{
    static const struct {
        const char *fixture;
        const char *call;
        svc_json_parse_fn fn;
    } sweeps[] = {
        {"moto-ecs-describe-clusters.json", "DescribeClusters", sweep_clusters},
        {"moto-ecs-describe-capacity-providers.json", "DescribeCapacityProviders",
         sweep_capacity_providers},
        {"aws-ecs-describe-capacity-providers.json", "DescribeCapacityProviders",
         sweep_capacity_providers},
        {"moto-ecs-describe-container-instances.json", "DescribeContainerInstances",
         sweep_container_instances},
        {"aws-ecs-describe-container-instances.json", "DescribeContainerInstances",
         sweep_container_instances},
        {"moto-ecs-describe-tasks.json", "DescribeTasks", sweep_tasks},
        {"aws-ecs-describe-tasks.json", "DescribeTasks", sweep_tasks},
        {"aws-ecs-describe-tasks.json", "DescribeTasks", sweep_failures},
        {"moto-ecs-describe-services.json", "DescribeServices", sweep_services},
        {"aws-ecs-describe-services.json", "DescribeServices", sweep_services},
        {"moto-ecs-list-tasks.json", "ListTasks", sweep_list},
    };
    for (size_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
        long tried = svc_sweep_json(sweeps[i].fixture, sweeps[i].call, sweeps[i].fn);
        CHECK_MSG(tried > 10, "%s: %ld variants", sweeps[i].fixture, tried);
        CHECK_MSG(svc_sweep_rejected > 0 && svc_sweep_rejected < tried,
                  "%s: %ld of %ld variants rejected", sweeps[i].fixture, svc_sweep_rejected, tried);
    }
}
