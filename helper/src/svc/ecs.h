/* ECS calls the rollout needs (JSON 1.1, AmazonEC2ContainerServiceV20141113).
 * Pagination and batch limits are handled inside. */
#ifndef ECSR_SVC_ECS_H
#define ECSR_SVC_ECS_H

#include <stddef.h>

#include "aws/client.h"
#include "util/strv.h"

struct ecs_cluster {
    char *arn;
    char *name;
    char *status; /* ACTIVE, PROVISIONING, DEPROVISIONING, FAILED, INACTIVE */
    int registered_container_instances;
    int running_tasks;
    int pending_tasks;
    int active_services;
    struct strv capacity_providers;
};

/* DescribeClusters for one cluster; a missing or INACTIVE cluster is
 * ERR_STATE "ECS cluster NAME not found in REGION". */
int ecs_describe_cluster(struct aws_client *c, const char *cluster, struct ecs_cluster *out,
                         struct err *err);
void ecs_cluster_free(struct ecs_cluster *cl);

struct ecs_capacity_provider {
    char *name;
    char *arn;
    char *asg_arn;
    int managed_scaling;                /* managedScaling.status == ENABLED */
    int managed_termination_protection; /* == ENABLED */
    int managed_draining;               /* == ENABLED */
};

/* DescribeCapacityProviders for these names (every provider, FARGATE
 * included, when n == 0), following nextToken; unknown names are left out. */
int ecs_describe_capacity_providers(struct aws_client *c, const char *const *names, size_t n,
                                    struct ecs_capacity_provider **out, size_t *n_out,
                                    struct err *err);
void ecs_capacity_providers_free(struct ecs_capacity_provider *v, size_t n);

struct ecs_container_instance {
    char *arn;
    char *ec2_instance_id;
    char *status; /* ACTIVE, DRAINING, REGISTERING, DEREGISTERING, ... */
    char *status_reason;
    char *capacity_provider_name;
    int agent_connected;
    int running_tasks_count;
    int pending_tasks_count;
    /* From attributes; NULL when absent. */
    char *ami_id;
    char *availability_zone;
    char *instance_type;
};

/* ListContainerInstances, following nextToken (maxResults 100). `filter`
 * (cluster query language) and `status` may be NULL. Appends ARNs to
 * *arns; on error *arns is as it was. */
int ecs_list_container_instances(struct aws_client *c, const char *cluster, const char *filter,
                                 const char *status, struct strv *arns, struct err *err);
/* DescribeContainerInstances, 100 per call. ARNs ECS reports as failures
 * (MISSING) are left out of the result. */
int ecs_describe_container_instances(struct aws_client *c, const char *cluster,
                                     const char *const *arns, size_t n,
                                     struct ecs_container_instance **out, size_t *n_out,
                                     struct err *err);
void ecs_container_instances_free(struct ecs_container_instance *v, size_t n);
/* Frees one element's fields and zeroes it (the array stays the caller's). */
void ecs_container_instance_clear(struct ecs_container_instance *ci);
/* UpdateContainerInstancesState, 10 per call, several calls at once
 * (ECS_UPDATE_STATE_WORKERS: a thousand drains are 100 calls, which one
 * after another took seconds); status "ACTIVE" or "DRAINING". Every batch
 * is sent. A failure ECS reports for any ARN is an error (ERR_SERVICE,
 * code = ECS's reason; the first failed batch's) naming it and saying how
 * many were updated. */
#define ECS_UPDATE_STATE_WORKERS 8
int ecs_update_container_instances_state(struct aws_client *c, const char *cluster,
                                         const char *const *arns, size_t n, const char *status,
                                         struct err *err);

struct ecs_task_filter {
    const char *container_instance; /* ARN or id; NULL: any */
    const char *service_name;
    const char *family;
    const char *started_by;
    const char *desired_status; /* RUNNING (ECS default), PENDING, STOPPED */
};

/* ListTasks, following nextToken (maxResults 100); appends ARNs to *arns,
 * which is as it was on error. */
int ecs_list_tasks(struct aws_client *c, const char *cluster, const struct ecs_task_filter *f,
                   struct strv *arns, struct err *err);

struct ecs_task {
    char *arn;
    char *last_status;
    char *desired_status;
    char *group; /* "service:NAME" for service tasks, "family:NAME" otherwise */
    char *started_by;
    char *container_instance_arn;
    char *task_definition_arn;
    char *launch_type;
    char *stopped_reason;
    char *stop_code;      /* TaskFailedToStart, EssentialContainerExited, UserInitiated... */
    long long stopped_at; /* Unix seconds; 0 when absent */
};

/* DescribeTasks, 100 per call; missing tasks are left out. */
int ecs_describe_tasks(struct aws_client *c, const char *cluster, const char *const *arns, size_t n,
                       struct ecs_task **out, size_t *n_out, struct err *err);
void ecs_tasks_free(struct ecs_task *v, size_t n);

/* ListServices, following nextToken (maxResults 100); appends ARNs to
 * *arns, which is as it was on error. */
int ecs_list_services(struct aws_client *c, const char *cluster, struct strv *arns,
                      struct err *err);

struct ecs_service {
    char *arn;
    char *name;
    char *status;              /* ACTIVE, DRAINING, INACTIVE */
    char *scheduling_strategy; /* REPLICA, DAEMON */
    char *launch_type;         /* EC2, FARGATE, EXTERNAL; NULL with a capacity provider strategy */
    int desired_count;
    int running_count;
    int pending_count;
    int minimum_healthy_percent; /* deploymentConfiguration; -1 when absent */
    int maximum_percent;         /* -1 when absent */
    int n_deployments;
    int uses_capacity_providers;
};

/* DescribeServices, 10 per call; missing services are left out. */
int ecs_describe_services(struct aws_client *c, const char *cluster, const char *const *names,
                          size_t n, struct ecs_service **out, size_t *n_out, struct err *err);
void ecs_services_free(struct ecs_service *v, size_t n);

int ecs_stop_task(struct aws_client *c, const char *cluster, const char *task, const char *reason,
                  struct err *err);

/* Response parsers, exposed for unit tests and fuzzing. Each appends what
 * it parsed to the caller's array (or strv) and leaves it unchanged on error
 * (ERR_PROTOCOL naming the call and field); *next_token is a new string,
 * NULL on the last page. */
int ecs_parse_describe_clusters(const cJSON *resp, struct ecs_cluster **v, size_t *n,
                                struct err *err);
int ecs_parse_capacity_providers(const cJSON *resp, struct ecs_capacity_provider **v, size_t *n,
                                 char **next_token, struct err *err);
int ecs_parse_container_instances(const cJSON *resp, struct ecs_container_instance **v, size_t *n,
                                  struct err *err);
int ecs_parse_tasks(const cJSON *resp, struct ecs_task **v, size_t *n, struct err *err);
int ecs_parse_services(const cJSON *resp, struct ecs_service **v, size_t *n, struct err *err);
/* A List* page: the ARN array under `key` (ListTasks: "taskArns"). */
int ecs_parse_arn_page(const cJSON *resp, const char *call, const char *key, struct strv *arns,
                       char **next_token, struct err *err);
/* The "failures" of a Describe/Update response. Failures with reason
 * MISSING are ignored when missing_ok; any other makes an ERR_SERVICE whose
 * code is ECS's reason and whose message names the call, the ARN and the
 * detail. *n_failed counts the failures that were not ignored. */
int ecs_parse_failures(const cJSON *resp, const char *call, int missing_ok, size_t *n_failed,
                       struct err *err);

#endif
