/* ECS: clusters, capacity providers, container instances, and the helpers
 * every ECS call shares. Tasks and services are in ecs_tasks.c. */
#include "svc/ecs.h"

#include "aws/fanout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/common.h"
#include "svc/ecs_internal.h"
#include "util/buf.h"
#include "util/mem.h"

/* ---- shared ---- */

int ecs_call(struct aws_client *c, const char *action, const cJSON *request, cJSON **response,
             struct err *err)
{
    *response = NULL;
    return aws_json_call(c, &AWS_SVC_ECS, ECS_TARGET_PREFIX, action, request, response, err);
}

cJSON *ecs_request(const char *cluster)
{
    cJSON *req = svc_json_new_object();
    if (cluster)
        svc_json_add_str(req, "cluster", cluster);
    return req;
}

int ecs_parse_arn_page(const cJSON *resp, const char *call, const char *key, struct strv *arns,
                       char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, call, err);
    *next_token = NULL;
    struct strv page = STRV_INIT;
    const cJSON *arr;
    if (svc_json_array(&p, resp, key, SVC_REQUIRED, &arr) < 0 ||
        svc_json_strv(&p, resp, key, &page) < 0 ||
        svc_json_str(&p, resp, "nextToken", SVC_OPTIONAL, next_token) < 0) {
        strv_free(&page);
        return -1;
    }
    for (size_t i = 0; i < page.n; i++) {
        if (!*page.v[i]) {
            size_t old = svc_parse_push(&p, key);
            svc_parse_push_index(&p, i);
            svc_parse_fail(&p, NULL, "is empty");
            svc_parse_pop(&p, old);
            strv_free(&page);
            free(*next_token);
            *next_token = NULL;
            return -1;
        }
    }
    for (size_t i = 0; i < page.n; i++)
        strv_push_owned(arns, page.v[i]);
    free(page.v);
    if (*next_token && !**next_token) {
        free(*next_token);
        *next_token = NULL;
    }
    return 0;
}

/* Parses one page of a response and hands back its next token (NULL at
 * the end). */
typedef int (*ecs_page_fn)(const cJSON *resp, void *ctx, char **next_token, struct err *err);

/* Calls `action` once per page, with the token of the page before, until
 * there is no next one; a token that repeats the last one is an error
 * (svc_next_token_check), not a loop. */
static int ecs_paginate(struct aws_client *c, const char *action, cJSON *request, ecs_page_fn page,
                        void *ctx, struct err *err)
{
    char *token = NULL;
    int rc;
    for (;;) {
        cJSON_DeleteItemFromObjectCaseSensitive(request, "nextToken");
        if (token)
            svc_json_add_str(request, "nextToken", token);
        cJSON *resp;
        char *next = NULL;
        rc = ecs_call(c, action, request, &resp, err);
        if (rc == 0)
            rc = page(resp, ctx, &next, err);
        cJSON_Delete(resp);
        if (rc == 0) {
            struct svc_parse p;
            svc_parse_init(&p, action, err);
            svc_parse_push(&p, "nextToken");
            rc = svc_next_token_check(&p, next, token);
        }
        free(token);
        token = next;
        if (rc < 0 || !token)
            break;
    }
    free(token);
    return rc;
}

struct arn_pages {
    const char *action;
    const char *key;
    struct strv *arns;
};

static int arn_page(const cJSON *resp, void *ctx, char **next_token, struct err *err)
{
    struct arn_pages *ap = ctx;
    return ecs_parse_arn_page(resp, ap->action, ap->key, ap->arns, next_token, err);
}

int ecs_list_all(struct aws_client *c, const char *action, cJSON *request, const char *key,
                 struct strv *arns, struct err *err)
{
    size_t start = arns->n;
    svc_json_add_int(request, "maxResults", ECS_LIST_MAX_RESULTS);
    struct arn_pages ap = {action, key, arns};
    if (ecs_paginate(c, action, request, arn_page, &ap, err) < 0) {
        /* Leave *arns as it was: a partial listing must not pass for a full one. */
        while (arns->n > start)
            free(arns->v[--arns->n]);
        return -1;
    }
    return 0;
}

int ecs_parse_failures(const cJSON *resp, const char *call, int missing_ok, size_t *n_failed,
                       struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, call, err);
    *n_failed = 0;
    const cJSON *arr;
    if (svc_json_array(&p, resp, "failures", SVC_OPTIONAL, &arr) < 0)
        return -1;
    if (!arr)
        return 0;
    char *first_arn = NULL, *first_reason = NULL, *first_detail = NULL;
    size_t i = 0;
    const cJSON *f;
    svc_parse_push(&p, "failures");
    cJSON_ArrayForEach(f, arr)
    {
        size_t old = svc_parse_push_index(&p, i++);
        char *arn = NULL, *reason = NULL, *detail = NULL;
        if (!cJSON_IsObject(f) || svc_json_str(&p, f, "arn", SVC_OPTIONAL, &arn) < 0 ||
            svc_json_str(&p, f, "reason", SVC_OPTIONAL, &reason) < 0 ||
            svc_json_str(&p, f, "detail", SVC_OPTIONAL, &detail) < 0) {
            if (!cJSON_IsObject(f))
                svc_parse_fail(&p, NULL, "is not an object");
            free(arn);
            free(reason);
            free(detail);
            free(first_arn);
            free(first_reason);
            free(first_detail);
            return -1;
        }
        svc_parse_pop(&p, old);
        if (missing_ok && reason && strcmp(reason, "MISSING") == 0) {
            free(arn);
            free(reason);
            free(detail);
            continue;
        }
        if (++*n_failed == 1) {
            first_arn = arn;
            first_reason = reason;
            first_detail = detail;
        } else {
            free(arn);
            free(reason);
            free(detail);
        }
    }
    if (!*n_failed)
        return 0;
    struct buf msg = BUF_INIT;
    buf_printf(&msg, "%s: ECS reported a failure for %s", call,
               first_arn && *first_arn ? first_arn : "(no ARN given)");
    if (first_detail && *first_detail)
        buf_printf(&msg, ": %s", first_detail);
    if (*n_failed > 1)
        buf_printf(&msg, " (and %zu more failures)", *n_failed - 1);
    err_service(err, 0, first_reason && *first_reason ? first_reason : "Failure", buf_cstr(&msg),
                NULL);
    buf_free(&msg);
    free(first_arn);
    free(first_reason);
    free(first_detail);
    return -1;
}

/* ---- clusters ---- */

void ecs_cluster_free(struct ecs_cluster *cl)
{
    if (!cl)
        return;
    free(cl->arn);
    free(cl->name);
    free(cl->status);
    strv_free(&cl->capacity_providers);
    memset(cl, 0, sizeof(*cl));
}

static int parse_cluster(struct svc_parse *p, const cJSON *o, struct ecs_cluster *cl)
{
    if (svc_json_str(p, o, "clusterArn", SVC_REQUIRED, &cl->arn) < 0 ||
        svc_json_str(p, o, "clusterName", SVC_REQUIRED, &cl->name) < 0 ||
        svc_json_str(p, o, "status", SVC_REQUIRED, &cl->status) < 0 ||
        svc_json_int(p, o, "registeredContainerInstancesCount", SVC_OPTIONAL,
                     &cl->registered_container_instances) < 0 ||
        svc_json_int(p, o, "runningTasksCount", SVC_OPTIONAL, &cl->running_tasks) < 0 ||
        svc_json_int(p, o, "pendingTasksCount", SVC_OPTIONAL, &cl->pending_tasks) < 0 ||
        svc_json_int(p, o, "activeServicesCount", SVC_OPTIONAL, &cl->active_services) < 0 ||
        svc_json_strv(p, o, "capacityProviders", &cl->capacity_providers) < 0)
        return -1;
    return 0;
}

static int cluster_parse_cb(struct svc_parse *p, const cJSON *o, void *item)
{
    return parse_cluster(p, o, item);
}

static void cluster_free_cb(void *item)
{
    ecs_cluster_free(item);
}

int ecs_parse_describe_clusters(const cJSON *resp, struct ecs_cluster **v, size_t *n,
                                struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeClusters", err);
    const cJSON *arr;
    if (svc_json_array(&p, resp, "clusters", SVC_REQUIRED, &arr) < 0)
        return -1;
    void *page;
    size_t count;
    if (svc_json_parse_items(&p, arr, "clusters", sizeof(**v), cluster_parse_cb, cluster_free_cb,
                             &page, &count) < 0)
        return -1;
    *v = svc_append(*v, n, page, count, sizeof(**v));
    free(page);
    return 0;
}

int ecs_describe_cluster(struct aws_client *c, const char *cluster, struct ecs_cluster *out,
                         struct err *err)
{
    memset(out, 0, sizeof(*out));
    cJSON *req = ecs_request(NULL);
    svc_json_add_strings(req, "clusters", &cluster, 1);
    cJSON *resp;
    int rc = ecs_call(c, "DescribeClusters", req, &resp, err);
    cJSON_Delete(req);
    struct ecs_cluster *v = NULL;
    size_t n = 0, n_failed;
    if (rc == 0)
        rc = ecs_parse_describe_clusters(resp, &v, &n, err);
    if (rc == 0)
        rc = ecs_parse_failures(resp, "DescribeClusters", 1, &n_failed, err);
    cJSON_Delete(resp);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            ecs_cluster_free(&v[i]);
        free(v);
        return -1;
    }
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (!found && (strcmp(v[i].name, cluster) == 0 || strcmp(v[i].arn, cluster) == 0) &&
            strcmp(v[i].status, "INACTIVE") != 0) {
            *out = v[i];
            memset(&v[i], 0, sizeof(v[i]));
            found = 1;
        }
        ecs_cluster_free(&v[i]);
    }
    free(v);
    if (!found)
        return err_set(err, ERR_STATE,
                       "ECS cluster %s not found in %s: check the cluster name and the region",
                       cluster, c->region ? c->region : "this region");
    return 0;
}

/* ---- capacity providers ---- */

static void capacity_provider_free(struct ecs_capacity_provider *cp)
{
    free(cp->name);
    free(cp->arn);
    free(cp->asg_arn);
    memset(cp, 0, sizeof(*cp));
}

void ecs_capacity_providers_free(struct ecs_capacity_provider *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        capacity_provider_free(&v[i]);
    free(v);
}

static int enabled_field(struct svc_parse *p, const cJSON *o, const char *name, int *out)
{
    char *s;
    if (svc_json_str(p, o, name, SVC_OPTIONAL, &s) < 0)
        return -1;
    *out = s && strcmp(s, "ENABLED") == 0;
    free(s);
    return 0;
}

static int capacity_provider_parse_cb(struct svc_parse *p, const cJSON *o, void *item)
{
    struct ecs_capacity_provider *cp = item;
    const cJSON *asg, *scaling;
    if (svc_json_str(p, o, "name", SVC_REQUIRED, &cp->name) < 0 ||
        svc_json_str(p, o, "capacityProviderArn", SVC_REQUIRED, &cp->arn) < 0 ||
        svc_json_object(p, o, "autoScalingGroupProvider", SVC_OPTIONAL, &asg) < 0)
        return -1;
    if (!asg) /* FARGATE, FARGATE_SPOT */
        return 0;
    size_t old = svc_parse_push(p, "autoScalingGroupProvider");
    if (svc_json_str(p, asg, "autoScalingGroupArn", SVC_REQUIRED, &cp->asg_arn) < 0 ||
        svc_json_object(p, asg, "managedScaling", SVC_OPTIONAL, &scaling) < 0 ||
        enabled_field(p, asg, "managedTerminationProtection", &cp->managed_termination_protection) <
            0 ||
        enabled_field(p, asg, "managedDraining", &cp->managed_draining) < 0)
        return -1;
    if (scaling) {
        svc_parse_push(p, "managedScaling");
        if (enabled_field(p, scaling, "status", &cp->managed_scaling) < 0)
            return -1;
    }
    svc_parse_pop(p, old);
    return 0;
}

static void capacity_provider_free_cb(void *item)
{
    capacity_provider_free(item);
}

int ecs_parse_capacity_providers(const cJSON *resp, struct ecs_capacity_provider **v, size_t *n,
                                 char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeCapacityProviders", err);
    *next_token = NULL;
    const cJSON *arr;
    if (svc_json_array(&p, resp, "capacityProviders", SVC_REQUIRED, &arr) < 0 ||
        svc_json_str(&p, resp, "nextToken", SVC_OPTIONAL, next_token) < 0)
        return -1;
    void *page;
    size_t count;
    if (svc_json_parse_items(&p, arr, "capacityProviders", sizeof(**v), capacity_provider_parse_cb,
                             capacity_provider_free_cb, &page, &count) < 0) {
        free(*next_token);
        *next_token = NULL;
        return -1;
    }
    *v = svc_append(*v, n, page, count, sizeof(**v));
    free(page);
    if (*next_token && !**next_token) {
        free(*next_token);
        *next_token = NULL;
    }
    return 0;
}

struct capacity_provider_pages {
    struct ecs_capacity_provider **out;
    size_t *n_out;
};

static int capacity_provider_page(const cJSON *resp, void *ctx, char **next_token, struct err *err)
{
    struct capacity_provider_pages *cp = ctx;
    size_t n_failed;
    if (ecs_parse_capacity_providers(resp, cp->out, cp->n_out, next_token, err) < 0)
        return -1;
    return ecs_parse_failures(resp, "DescribeCapacityProviders", 1, &n_failed, err);
}

static int describe_capacity_provider_pages(struct aws_client *c, const char *const *names,
                                            size_t n, struct ecs_capacity_provider **out,
                                            size_t *n_out, struct err *err)
{
    cJSON *req = ecs_request(NULL);
    if (n)
        svc_json_add_strings(req, "capacityProviders", names, n);
    struct capacity_provider_pages cp = {out, n_out};
    int rc = ecs_paginate(c, "DescribeCapacityProviders", req, capacity_provider_page, &cp, err);
    cJSON_Delete(req);
    return rc;
}

int ecs_describe_capacity_providers(struct aws_client *c, const char *const *names, size_t n,
                                    struct ecs_capacity_provider **out, size_t *n_out,
                                    struct err *err)
{
    *out = NULL;
    *n_out = 0;
    size_t off = 0;
    do {
        size_t k = n - off < ECS_DESCRIBE_CAPACITY_PROVIDERS_BATCH
                       ? n - off
                       : ECS_DESCRIBE_CAPACITY_PROVIDERS_BATCH;
        if (describe_capacity_provider_pages(c, n ? names + off : NULL, k, out, n_out, err) < 0) {
            ecs_capacity_providers_free(*out, *n_out);
            *out = NULL;
            *n_out = 0;
            return -1;
        }
        off += k;
    } while (off < n);
    return 0;
}

/* ---- container instances ---- */

void ecs_container_instance_clear(struct ecs_container_instance *ci)
{
    free(ci->arn);
    free(ci->ec2_instance_id);
    free(ci->status);
    free(ci->status_reason);
    free(ci->capacity_provider_name);
    free(ci->ami_id);
    free(ci->availability_zone);
    free(ci->instance_type);
    memset(ci, 0, sizeof(*ci));
}

void ecs_container_instances_free(struct ecs_container_instance *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ecs_container_instance_clear(&v[i]);
    free(v);
}

static int parse_attributes(struct svc_parse *p, const cJSON *o, struct ecs_container_instance *ci)
{
    const cJSON *arr;
    if (svc_json_array(p, o, "attributes", SVC_OPTIONAL, &arr) < 0)
        return -1;
    if (!arr)
        return 0;
    size_t old = svc_parse_push(p, "attributes");
    size_t i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, arr)
    {
        size_t old_i = svc_parse_push_index(p, i++);
        if (!cJSON_IsObject(a))
            return svc_parse_fail(p, NULL, "is not an object");
        char *name, *value;
        if (svc_json_str(p, a, "name", SVC_REQUIRED, &name) < 0)
            return -1;
        if (svc_json_str(p, a, "value", SVC_OPTIONAL, &value) < 0) {
            free(name);
            return -1;
        }
        char **slot = NULL;
        if (strcmp(name, "ecs.ami-id") == 0)
            slot = &ci->ami_id;
        else if (strcmp(name, "ecs.availability-zone") == 0)
            slot = &ci->availability_zone;
        else if (strcmp(name, "ecs.instance-type") == 0)
            slot = &ci->instance_type;
        if (slot) {
            free(*slot);
            *slot = value;
        } else {
            free(value);
        }
        free(name);
        svc_parse_pop(p, old_i);
    }
    svc_parse_pop(p, old);
    return 0;
}

static int container_instance_parse_cb(struct svc_parse *p, const cJSON *o, void *item)
{
    struct ecs_container_instance *ci = item;
    if (svc_json_str(p, o, "containerInstanceArn", SVC_REQUIRED, &ci->arn) < 0 ||
        svc_json_str(p, o, "ec2InstanceId", SVC_OPTIONAL, &ci->ec2_instance_id) < 0 ||
        svc_json_str(p, o, "status", SVC_REQUIRED, &ci->status) < 0 ||
        svc_json_str(p, o, "statusReason", SVC_OPTIONAL, &ci->status_reason) < 0 ||
        svc_json_str(p, o, "capacityProviderName", SVC_OPTIONAL, &ci->capacity_provider_name) < 0 ||
        svc_json_bool(p, o, "agentConnected", SVC_OPTIONAL, &ci->agent_connected) < 0 ||
        svc_json_int(p, o, "runningTasksCount", SVC_OPTIONAL, &ci->running_tasks_count) < 0 ||
        svc_json_int(p, o, "pendingTasksCount", SVC_OPTIONAL, &ci->pending_tasks_count) < 0 ||
        parse_attributes(p, o, ci) < 0)
        return -1;
    return 0;
}

static void container_instance_free_cb(void *item)
{
    ecs_container_instance_clear(item);
}

int ecs_parse_container_instances(const cJSON *resp, struct ecs_container_instance **v, size_t *n,
                                  struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeContainerInstances", err);
    const cJSON *arr;
    if (svc_json_array(&p, resp, "containerInstances", SVC_REQUIRED, &arr) < 0)
        return -1;
    void *page;
    size_t count;
    if (svc_json_parse_items(&p, arr, "containerInstances", sizeof(**v),
                             container_instance_parse_cb, container_instance_free_cb, &page,
                             &count) < 0)
        return -1;
    *v = svc_append(*v, n, page, count, sizeof(**v));
    free(page);
    return 0;
}

int ecs_list_container_instances(struct aws_client *c, const char *cluster, const char *filter,
                                 const char *status, struct strv *arns, struct err *err)
{
    cJSON *req = ecs_request(cluster);
    if (filter)
        svc_json_add_str(req, "filter", filter);
    if (status)
        svc_json_add_str(req, "status", status);
    int rc = ecs_list_all(c, "ListContainerInstances", req, "containerInstanceArns", arns, err);
    cJSON_Delete(req);
    return rc;
}

int ecs_describe_container_instances(struct aws_client *c, const char *cluster,
                                     const char *const *arns, size_t n,
                                     struct ecs_container_instance **out, size_t *n_out,
                                     struct err *err)
{
    *out = NULL;
    *n_out = 0;
    for (size_t off = 0; off < n; off += ECS_DESCRIBE_CONTAINER_INSTANCES_BATCH) {
        size_t k = n - off < ECS_DESCRIBE_CONTAINER_INSTANCES_BATCH
                       ? n - off
                       : ECS_DESCRIBE_CONTAINER_INSTANCES_BATCH;
        cJSON *req = ecs_request(cluster);
        svc_json_add_strings(req, "containerInstances", arns + off, k);
        cJSON *resp;
        size_t n_failed;
        int rc = ecs_call(c, "DescribeContainerInstances", req, &resp, err);
        cJSON_Delete(req);
        if (rc == 0)
            rc = ecs_parse_container_instances(resp, out, n_out, err);
        if (rc == 0)
            rc = ecs_parse_failures(resp, "DescribeContainerInstances", 1, &n_failed, err);
        cJSON_Delete(resp);
        if (rc < 0) {
            ecs_container_instances_free(*out, *n_out);
            *out = NULL;
            *n_out = 0;
            return -1;
        }
    }
    return 0;
}

/* One UpdateContainerInstancesState call of a fan-out: batch i. */
struct update_state_job {
    const char *cluster;
    const char *const *arns;
    size_t n;
    const char *status;
    size_t *n_failed; /* per batch: the ARNs ECS reported as failures */
};

static int update_state_one(struct aws_client *worker, size_t i, void *userdata, struct err *err)
{
    const struct update_state_job *j = userdata;
    size_t off = i * ECS_UPDATE_STATE_BATCH;
    size_t k = j->n - off < ECS_UPDATE_STATE_BATCH ? j->n - off : ECS_UPDATE_STATE_BATCH;
    cJSON *req = ecs_request(j->cluster);
    svc_json_add_strings(req, "containerInstances", j->arns + off, k);
    svc_json_add_str(req, "status", j->status);
    cJSON *resp;
    int rc = ecs_call(worker, "UpdateContainerInstancesState", req, &resp, err);
    cJSON_Delete(req);
    if (rc == 0)
        rc = ecs_parse_failures(resp, "UpdateContainerInstancesState", 0, &j->n_failed[i], err);
    cJSON_Delete(resp);
    return rc;
}

int ecs_update_container_instances_state(struct aws_client *c, const char *cluster,
                                         const char *const *arns, size_t n, const char *status,
                                         struct err *err)
{
    size_t batches = (n + ECS_UPDATE_STATE_BATCH - 1) / ECS_UPDATE_STATE_BATCH;
    if (batches == 0)
        return 0;
    size_t *n_failed = xcalloc(batches, sizeof(*n_failed));
    int *ok = xcalloc(batches, sizeof(*ok));
    struct update_state_job j = {cluster, arns, n, status, n_failed};
    int rc = aws_fanout(c, batches, ECS_UPDATE_STATE_WORKERS, update_state_one, &j, ok, err);
    if (rc < 0) {
        /* ECS applies the rest of a batch that reports failures. */
        size_t done = 0;
        for (size_t i = 0; i < batches; i++) {
            size_t off = i * ECS_UPDATE_STATE_BATCH;
            size_t k = n - off < ECS_UPDATE_STATE_BATCH ? n - off : ECS_UPDATE_STATE_BATCH;
            done += ok[i] ? k : n_failed[i] && n_failed[i] < k ? k - n_failed[i] : 0;
        }
        char what[64];
        snprintf(what, sizeof(what), "container instances were set to %.20s", status);
        svc_err_progress(err, done, n, what);
    }
    free(ok);
    free(n_failed);
    return rc;
}
