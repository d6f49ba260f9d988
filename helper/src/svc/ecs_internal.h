/* Shared by ecs.c and ecs_tasks.c. */
#ifndef ECSR_SVC_ECS_INTERNAL_H
#define ECSR_SVC_ECS_INTERNAL_H

#include <cjson/cJSON.h>

#include "aws/client.h"
#include "util/err.h"

#define ECS_TARGET_PREFIX "AmazonEC2ContainerServiceV20141113"
/* AWS's limits (botocore model and API reference). */
#define ECS_LIST_MAX_RESULTS 100
#define ECS_DESCRIBE_CONTAINER_INSTANCES_BATCH 100
#define ECS_UPDATE_STATE_BATCH 10
#define ECS_DESCRIBE_TASKS_BATCH 100
#define ECS_DESCRIBE_SERVICES_BATCH 10
#define ECS_DESCRIBE_CAPACITY_PROVIDERS_BATCH 100

/* One JSON 1.1 call to ECS; `request` is borrowed. */
int ecs_call(struct aws_client *c, const char *action, const cJSON *request, cJSON **response,
             struct err *err);

/* A new request object holding "cluster" (omitted when NULL). */
cJSON *ecs_request(const char *cluster);

/* A List* call followed across pages: `request` gets maxResults and
 * nextToken set on each page; ARNs under `key` are appended to *arns. */
int ecs_list_all(struct aws_client *c, const char *action, cJSON *request, const char *key,
                 struct strv *arns, struct err *err);

#endif
