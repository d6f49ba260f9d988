/* The service boundary of the rollout engine: every AWS call the observer,
 * the pre-flight checks and the engine make, plus the clocks and the
 * pause, as a table of function pointers. svc_ops_aws binds it to a real
 * client; the unit tests and the fuzzer bind it to a fake service
 * (tests/c/fake_svc.c) to script every answer, surprising ones included. */
#ifndef ECSR_SVC_OPS_H
#define ECSR_SVC_OPS_H

#include <stddef.h>

#include "aws/client.h"
#include "svc/asg_config.h"
#include "svc/autoscaling.h"
#include "svc/cloudwatch.h"
#include "svc/ec2.h"
#include "svc/ecs.h"
#include "svc/sts.h"
#include "util/err.h"
#include "util/strv.h"

struct svc_ops {
    void *ctx;

    /* Auto Scaling (svc/autoscaling.h) */
    int (*describe_group)(void *ctx, const char *name, struct asg_group *out, struct err *err);
    int (*set_desired_capacity)(void *ctx, const char *group, int desired, struct err *err);
    int (*update_group_size)(void *ctx, const char *group, const struct asg_size_update *u,
                             struct err *err);
    int (*terminate_instances)(void *ctx, const char *const *ids, size_t n,
                               int should_decrement_desired, int *done, struct err *err);
    /* SetInstanceProtection, 50 ids per call (asg_set_instance_protection):
     * the bulk scale-in (rollout/bulk.h). */
    int (*set_instance_protection)(void *ctx, const char *group, const char *const *ids, size_t n,
                                   int protected_from_scale_in, struct err *err);
    int (*suspend_processes)(void *ctx, const char *group, const char *const *processes, size_t n,
                             struct err *err);
    int (*resume_processes)(void *ctx, const char *group, const char *const *processes, size_t n,
                            struct err *err);
    int (*put_tags)(void *ctx, const char *group, const struct asg_tag *tags, size_t n,
                    struct err *err);
    int (*delete_tags)(void *ctx, const char *group, const char *const *keys, size_t n,
                       struct err *err);
    /* DescribeTags: the group's tags with these keys only (a small answer;
     * asg_describe_group_tags). *tags is the caller's (asg_tags_free). */
    int (*describe_group_tags)(void *ctx, const char *group, const char *const *keys, size_t n_keys,
                               struct asg_tag **tags, size_t *n, struct err *err);

    /* The group's configuration (svc/asg_config.h) and its alarms
     * (svc/cloudwatch.h), read by pre-flight and before AlarmNotification
     * is resumed. */
    int (*describe_instance_refreshes)(void *ctx, const char *group,
                                       struct asg_instance_refresh **out, size_t *n_out,
                                       struct err *err);
    int (*describe_policies)(void *ctx, const char *group, struct asg_policy **out, size_t *n_out,
                             struct err *err);
    int (*describe_scheduled_actions)(void *ctx, const char *group,
                                      struct asg_scheduled_action **out, size_t *n_out,
                                      struct err *err);
    int (*describe_lifecycle_hooks)(void *ctx, const char *group, struct asg_lifecycle_hook **out,
                                    size_t *n_out, struct err *err);
    int (*describe_alarms)(void *ctx, const char *const *names, size_t n, struct cw_alarm **out,
                           size_t *n_out, struct err *err);

    /* EC2 (svc/ec2.h) */
    int (*describe_launch_template)(void *ctx, const char *id, const char *name,
                                    struct ec2_launch_template *out, struct err *err);
    int (*launch_template_image)(void *ctx, const char *id, const char *name, const char *version,
                                 char **image_id, struct err *err);
    int (*describe_instances)(void *ctx, const char *const *ids, size_t n,
                              struct ec2_instance **out, size_t *n_out, struct err *err);

    /* ECS (svc/ecs.h) */
    int (*describe_cluster)(void *ctx, const char *cluster, struct ecs_cluster *out,
                            struct err *err);
    int (*describe_capacity_providers)(void *ctx, const char *const *names, size_t n,
                                       struct ecs_capacity_provider **out, size_t *n_out,
                                       struct err *err);
    int (*list_container_instances)(void *ctx, const char *cluster, const char *filter,
                                    const char *status, struct strv *arns, struct err *err);
    int (*describe_container_instances)(void *ctx, const char *cluster, const char *const *arns,
                                        size_t n, struct ecs_container_instance **out,
                                        size_t *n_out, struct err *err);
    int (*update_container_instances_state)(void *ctx, const char *cluster, const char *const *arns,
                                            size_t n, const char *status, struct err *err);
    int (*list_tasks)(void *ctx, const char *cluster, const struct ecs_task_filter *f,
                      struct strv *arns, struct err *err);
    int (*describe_tasks)(void *ctx, const char *cluster, const char *const *arns, size_t n,
                          struct ecs_task **out, size_t *n_out, struct err *err);
    int (*list_services)(void *ctx, const char *cluster, struct strv *arns, struct err *err);
    int (*describe_services)(void *ctx, const char *cluster, const char *const *names, size_t n,
                             struct ecs_service **out, size_t *n_out, struct err *err);
    int (*stop_task)(void *ctx, const char *cluster, const char *task, const char *reason,
                     struct err *err);

    /* STS (svc/sts.h) */
    int (*get_caller_identity)(void *ctx, struct sts_identity *out, struct err *err);

    /* Time: Unix seconds (with fractions), a clock that never goes back,
     * and a sleep (the engine sleeps in short slices to see stop requests). */
    double (*wall_clock)(void *ctx);
    double (*monotonic)(void *ctx);
    void (*sleep)(void *ctx, double seconds);
    /* Called once as the engine starts waiting between two polls: gives
     * the memory freed by the poll back to the system. May be NULL. */
    void (*idle)(void *ctx);
    /* AWS's time now, from the Date of its answers (aws_client_aws_time):
     * no earlier than *earliest, no later than *latest. 0, or -1 when not
     * known yet. May be NULL: the wall clock stands in. Leases are judged
     * on it, so that a machine with a wrong clock cannot take one early. */
    int (*aws_time)(void *ctx, double *earliest, double *latest);

    /* HTTP requests and attempts (retries included) so far. */
    void (*stats)(void *ctx, unsigned long *calls, unsigned long *attempts);
};

/* The table over a real client (borrowed: it must outlive the table). */
struct svc_ops svc_ops_aws(struct aws_client *c);

#endif
