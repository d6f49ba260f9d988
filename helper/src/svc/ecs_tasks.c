/* ECS: tasks and services. */
#include "svc/ecs.h"

#include <stdlib.h>
#include <string.h>

#include "aws/creds.h"
#include "svc/common.h"
#include "svc/ecs_internal.h"
#include "util/mem.h"

/* ---- tasks ---- */

static void task_free(struct ecs_task *t)
{
    free(t->arn);
    free(t->last_status);
    free(t->desired_status);
    free(t->group);
    free(t->started_by);
    free(t->container_instance_arn);
    free(t->task_definition_arn);
    free(t->launch_type);
    free(t->stopped_reason);
    free(t->stop_code);
    memset(t, 0, sizeof(*t));
}

void ecs_tasks_free(struct ecs_task *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        task_free(&v[i]);
    free(v);
}

static int parse_task(struct svc_parse *p, const cJSON *o, struct ecs_task *t)
{
    if (svc_json_str(p, o, "taskArn", SVC_REQUIRED, &t->arn) < 0 ||
        svc_json_str(p, o, "lastStatus", SVC_REQUIRED, &t->last_status) < 0 ||
        svc_json_str(p, o, "desiredStatus", SVC_REQUIRED, &t->desired_status) < 0 ||
        svc_json_str(p, o, "group", SVC_OPTIONAL, &t->group) < 0 ||
        svc_json_str(p, o, "startedBy", SVC_OPTIONAL, &t->started_by) < 0 ||
        svc_json_str(p, o, "containerInstanceArn", SVC_OPTIONAL, &t->container_instance_arn) < 0 ||
        svc_json_str(p, o, "taskDefinitionArn", SVC_OPTIONAL, &t->task_definition_arn) < 0 ||
        svc_json_str(p, o, "launchType", SVC_OPTIONAL, &t->launch_type) < 0 ||
        svc_json_str(p, o, "stoppedReason", SVC_OPTIONAL, &t->stopped_reason) < 0 ||
        svc_json_str(p, o, "stopCode", SVC_OPTIONAL, &t->stop_code) < 0)
        return -1;
    /* A timestamp: epoch seconds in AWS's JSON protocol; an ISO 8601 string
     * from some compatible endpoints. Optional and only a hint (failures.c):
     * one that cannot be read is left unknown (0), not an error. */
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "stoppedAt");
    time_t when;
    if (cJSON_IsNumber(at) && at->valuedouble > 0 && at->valuedouble < 1e15)
        t->stopped_at = (long long)at->valuedouble;
    else if (cJSON_IsString(at) && cred_parse_time(at->valuestring, &when) == 0)
        t->stopped_at = (long long)when;
    return 0;
}

static int parse_task_cb(struct svc_parse *p, const cJSON *o, void *item)
{
    return parse_task(p, o, item);
}

static void task_free_cb(void *item)
{
    task_free(item);
}

int ecs_parse_tasks(const cJSON *resp, struct ecs_task **v, size_t *n, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeTasks", err);
    const cJSON *arr;
    if (svc_json_array(&p, resp, "tasks", SVC_REQUIRED, &arr) < 0)
        return -1;
    void *page;
    size_t count;
    if (svc_json_parse_items(&p, arr, "tasks", sizeof(**v), parse_task_cb, task_free_cb, &page,
                             &count) < 0)
        return -1;
    *v = svc_append(*v, n, page, count, sizeof(**v));
    free(page);
    return 0;
}

int ecs_list_tasks(struct aws_client *c, const char *cluster, const struct ecs_task_filter *f,
                   struct strv *arns, struct err *err)
{
    cJSON *req = ecs_request(cluster);
    if (f) {
        if (f->container_instance)
            svc_json_add_str(req, "containerInstance", f->container_instance);
        if (f->service_name)
            svc_json_add_str(req, "serviceName", f->service_name);
        if (f->family)
            svc_json_add_str(req, "family", f->family);
        if (f->started_by)
            svc_json_add_str(req, "startedBy", f->started_by);
        if (f->desired_status)
            svc_json_add_str(req, "desiredStatus", f->desired_status);
    }
    int rc = ecs_list_all(c, "ListTasks", req, "taskArns", arns, err);
    cJSON_Delete(req);
    return rc;
}

int ecs_describe_tasks(struct aws_client *c, const char *cluster, const char *const *arns, size_t n,
                       struct ecs_task **out, size_t *n_out, struct err *err)
{
    *out = NULL;
    *n_out = 0;
    for (size_t off = 0; off < n; off += ECS_DESCRIBE_TASKS_BATCH) {
        size_t k = n - off < ECS_DESCRIBE_TASKS_BATCH ? n - off : ECS_DESCRIBE_TASKS_BATCH;
        cJSON *req = ecs_request(cluster);
        svc_json_add_strings(req, "tasks", arns + off, k);
        cJSON *resp;
        size_t n_failed;
        int rc = ecs_call(c, "DescribeTasks", req, &resp, err);
        cJSON_Delete(req);
        if (rc == 0)
            rc = ecs_parse_tasks(resp, out, n_out, err);
        if (rc == 0)
            rc = ecs_parse_failures(resp, "DescribeTasks", 1, &n_failed, err);
        cJSON_Delete(resp);
        if (rc < 0) {
            ecs_tasks_free(*out, *n_out);
            *out = NULL;
            *n_out = 0;
            return -1;
        }
    }
    return 0;
}

int ecs_stop_task(struct aws_client *c, const char *cluster, const char *task, const char *reason,
                  struct err *err)
{
    cJSON *req = ecs_request(cluster);
    svc_json_add_str(req, "task", task);
    if (reason)
        svc_json_add_str(req, "reason", reason);
    cJSON *resp;
    int rc = ecs_call(c, "StopTask", req, &resp, err);
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return rc;
}

/* ---- services ---- */

static void service_free(struct ecs_service *s)
{
    free(s->arn);
    free(s->name);
    free(s->status);
    free(s->scheduling_strategy);
    free(s->launch_type);
    memset(s, 0, sizeof(*s));
}

void ecs_services_free(struct ecs_service *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        service_free(&v[i]);
    free(v);
}

static int parse_service(struct svc_parse *p, const cJSON *o, struct ecs_service *s)
{
    const cJSON *config, *deployments, *strategy;
    s->minimum_healthy_percent = -1;
    s->maximum_percent = -1;
    if (svc_json_str(p, o, "serviceArn", SVC_REQUIRED, &s->arn) < 0 ||
        svc_json_str(p, o, "serviceName", SVC_REQUIRED, &s->name) < 0 ||
        svc_json_str(p, o, "status", SVC_REQUIRED, &s->status) < 0 ||
        svc_json_str(p, o, "schedulingStrategy", SVC_OPTIONAL, &s->scheduling_strategy) < 0 ||
        svc_json_str(p, o, "launchType", SVC_OPTIONAL, &s->launch_type) < 0 ||
        svc_json_int(p, o, "desiredCount", SVC_OPTIONAL, &s->desired_count) < 0 ||
        svc_json_int(p, o, "runningCount", SVC_OPTIONAL, &s->running_count) < 0 ||
        svc_json_int(p, o, "pendingCount", SVC_OPTIONAL, &s->pending_count) < 0 ||
        svc_json_object(p, o, "deploymentConfiguration", SVC_OPTIONAL, &config) < 0 ||
        svc_json_array(p, o, "deployments", SVC_OPTIONAL, &deployments) < 0 ||
        svc_json_array(p, o, "capacityProviderStrategy", SVC_OPTIONAL, &strategy) < 0)
        return -1;
    if (config) {
        size_t old = svc_parse_push(p, "deploymentConfiguration");
        if (svc_json_int(p, config, "minimumHealthyPercent", SVC_OPTIONAL,
                         &s->minimum_healthy_percent) < 0 ||
            svc_json_int(p, config, "maximumPercent", SVC_OPTIONAL, &s->maximum_percent) < 0)
            return -1;
        svc_parse_pop(p, old);
    }
    s->n_deployments = deployments ? cJSON_GetArraySize(deployments) : 0;
    s->uses_capacity_providers = strategy && cJSON_GetArraySize(strategy) > 0;
    return 0;
}

static int parse_service_cb(struct svc_parse *p, const cJSON *o, void *item)
{
    return parse_service(p, o, item);
}

static void service_free_cb(void *item)
{
    service_free(item);
}

int ecs_parse_services(const cJSON *resp, struct ecs_service **v, size_t *n, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeServices", err);
    const cJSON *arr;
    if (svc_json_array(&p, resp, "services", SVC_REQUIRED, &arr) < 0)
        return -1;
    void *page;
    size_t count;
    if (svc_json_parse_items(&p, arr, "services", sizeof(**v), parse_service_cb, service_free_cb,
                             &page, &count) < 0)
        return -1;
    *v = svc_append(*v, n, page, count, sizeof(**v));
    free(page);
    return 0;
}

int ecs_list_services(struct aws_client *c, const char *cluster, struct strv *arns, struct err *err)
{
    cJSON *req = ecs_request(cluster);
    int rc = ecs_list_all(c, "ListServices", req, "serviceArns", arns, err);
    cJSON_Delete(req);
    return rc;
}

int ecs_describe_services(struct aws_client *c, const char *cluster, const char *const *names,
                          size_t n, struct ecs_service **out, size_t *n_out, struct err *err)
{
    *out = NULL;
    *n_out = 0;
    for (size_t off = 0; off < n; off += ECS_DESCRIBE_SERVICES_BATCH) {
        size_t k = n - off < ECS_DESCRIBE_SERVICES_BATCH ? n - off : ECS_DESCRIBE_SERVICES_BATCH;
        cJSON *req = ecs_request(cluster);
        svc_json_add_strings(req, "services", names + off, k);
        cJSON *resp;
        size_t n_failed;
        int rc = ecs_call(c, "DescribeServices", req, &resp, err);
        cJSON_Delete(req);
        if (rc == 0)
            rc = ecs_parse_services(resp, out, n_out, err);
        if (rc == 0)
            rc = ecs_parse_failures(resp, "DescribeServices", 1, &n_failed, err);
        cJSON_Delete(resp);
        if (rc < 0) {
            ecs_services_free(*out, *n_out);
            *out = NULL;
            *n_out = 0;
            return -1;
        }
    }
    return 0;
}
