/* The service boundary bound to a real AWS client: each entry forwards to
 * the svc/ call of the same name. */
#include "svc/ops.h"

#include <time.h>
#ifdef __GLIBC__ /* defined by the C library's headers above */
#include <malloc.h>
#endif

#include "util/clock.h"

static int describe_group(void *ctx, const char *name, struct asg_group *out, struct err *err)
{
    return asg_describe_group(ctx, name, out, err);
}

static int set_desired_capacity(void *ctx, const char *group, int desired, struct err *err)
{
    return asg_set_desired_capacity(ctx, group, desired, err);
}

static int update_group_size(void *ctx, const char *group, const struct asg_size_update *u,
                             struct err *err)
{
    return asg_update_group_size(ctx, group, u, err);
}

static int terminate_instances(void *ctx, const char *const *ids, size_t n, int decrement,
                               int *done, struct err *err)
{
    return asg_terminate_instances(ctx, ids, n, decrement, done, err);
}

static int set_instance_protection(void *ctx, const char *group, const char *const *ids, size_t n,
                                   int protected_from_scale_in, struct err *err)
{
    return asg_set_instance_protection(ctx, group, ids, n, protected_from_scale_in, err);
}

static int suspend_processes(void *ctx, const char *group, const char *const *processes, size_t n,
                             struct err *err)
{
    return asg_suspend_processes(ctx, group, processes, n, err);
}

static int resume_processes(void *ctx, const char *group, const char *const *processes, size_t n,
                            struct err *err)
{
    return asg_resume_processes(ctx, group, processes, n, err);
}

static int put_tags(void *ctx, const char *group, const struct asg_tag *tags, size_t n,
                    struct err *err)
{
    return asg_put_tags(ctx, group, tags, n, err);
}

static int delete_tags(void *ctx, const char *group, const char *const *keys, size_t n,
                       struct err *err)
{
    return asg_delete_tags(ctx, group, keys, n, err);
}

static int describe_instance_refreshes(void *ctx, const char *group,
                                       struct asg_instance_refresh **out, size_t *n_out,
                                       struct err *err)
{
    return asg_describe_instance_refreshes(ctx, group, out, n_out, err);
}

static int describe_policies(void *ctx, const char *group, struct asg_policy **out, size_t *n_out,
                             struct err *err)
{
    return asg_describe_policies(ctx, group, out, n_out, err);
}

static int describe_scheduled_actions(void *ctx, const char *group,
                                      struct asg_scheduled_action **out, size_t *n_out,
                                      struct err *err)
{
    return asg_describe_scheduled_actions(ctx, group, out, n_out, err);
}

static int describe_lifecycle_hooks(void *ctx, const char *group, struct asg_lifecycle_hook **out,
                                    size_t *n_out, struct err *err)
{
    return asg_describe_lifecycle_hooks(ctx, group, out, n_out, err);
}

static int describe_alarms(void *ctx, const char *const *names, size_t n, struct cw_alarm **out,
                           size_t *n_out, struct err *err)
{
    return cw_describe_alarms(ctx, names, n, out, n_out, err);
}

static int describe_group_tags(void *ctx, const char *group, const char *const *keys, size_t n_keys,
                               struct asg_tag **tags, size_t *n, struct err *err)
{
    return asg_describe_group_tags(ctx, group, keys, n_keys, tags, n, err);
}

static int describe_launch_template(void *ctx, const char *id, const char *name,
                                    struct ec2_launch_template *out, struct err *err)
{
    return ec2_describe_launch_template(ctx, id, name, out, err);
}

static int launch_template_image(void *ctx, const char *id, const char *name, const char *version,
                                 char **image_id, struct err *err)
{
    return ec2_launch_template_image(ctx, id, name, version, image_id, err);
}

static int describe_instances(void *ctx, const char *const *ids, size_t n,
                              struct ec2_instance **out, size_t *n_out, struct err *err)
{
    return ec2_describe_instances(ctx, ids, n, out, n_out, err);
}

static int describe_cluster(void *ctx, const char *cluster, struct ecs_cluster *out,
                            struct err *err)
{
    return ecs_describe_cluster(ctx, cluster, out, err);
}

static int describe_capacity_providers(void *ctx, const char *const *names, size_t n,
                                       struct ecs_capacity_provider **out, size_t *n_out,
                                       struct err *err)
{
    return ecs_describe_capacity_providers(ctx, names, n, out, n_out, err);
}

static int list_container_instances(void *ctx, const char *cluster, const char *filter,
                                    const char *status, struct strv *arns, struct err *err)
{
    return ecs_list_container_instances(ctx, cluster, filter, status, arns, err);
}

static int describe_container_instances(void *ctx, const char *cluster, const char *const *arns,
                                        size_t n, struct ecs_container_instance **out,
                                        size_t *n_out, struct err *err)
{
    return ecs_describe_container_instances(ctx, cluster, arns, n, out, n_out, err);
}

static int update_container_instances_state(void *ctx, const char *cluster, const char *const *arns,
                                            size_t n, const char *status, struct err *err)
{
    return ecs_update_container_instances_state(ctx, cluster, arns, n, status, err);
}

static int list_tasks(void *ctx, const char *cluster, const struct ecs_task_filter *f,
                      struct strv *arns, struct err *err)
{
    return ecs_list_tasks(ctx, cluster, f, arns, err);
}

static int describe_tasks(void *ctx, const char *cluster, const char *const *arns, size_t n,
                          struct ecs_task **out, size_t *n_out, struct err *err)
{
    return ecs_describe_tasks(ctx, cluster, arns, n, out, n_out, err);
}

static int list_services(void *ctx, const char *cluster, struct strv *arns, struct err *err)
{
    return ecs_list_services(ctx, cluster, arns, err);
}

static int describe_services(void *ctx, const char *cluster, const char *const *names, size_t n,
                             struct ecs_service **out, size_t *n_out, struct err *err)
{
    return ecs_describe_services(ctx, cluster, names, n, out, n_out, err);
}

static int stop_task(void *ctx, const char *cluster, const char *task, const char *reason,
                     struct err *err)
{
    return ecs_stop_task(ctx, cluster, task, reason, err);
}

static int get_caller_identity(void *ctx, struct sts_identity *out, struct err *err)
{
    return sts_get_caller_identity(ctx, out, err);
}

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_clock(void *ctx)
{
    (void)ctx;
    return clock_seconds(CLOCK_REALTIME);
}

/* Counts the time the machine was suspended too: a lease that ran out
 * while a laptop slept has run out. */
static double monotonic(void *ctx)
{
    (void)ctx;
    return clock_elapsed_s();
}

static int aws_time(void *ctx, double *earliest, double *latest)
{
    return aws_client_aws_time(ctx, clock_elapsed_s(), earliest, latest);
}

static void sleep_for(void *ctx, double seconds)
{
    (void)ctx;
    if (seconds <= 0)
        return;
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Between polls nothing is allocated: the pages a poll freed (thousands
 * of parsed container instances, tasks, the group's answer) go back to the
 * system, so that a poll's peak does not add to the last one's leftovers
 * (issue 16: heap below 8 MB at 1,000 instances). */
static void idle(void *ctx)
{
    (void)ctx;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static void stats(void *ctx, unsigned long *calls, unsigned long *attempts)
{
    const struct aws_client *c = ctx;
    *calls = c->stats.calls;
    *attempts = c->stats.attempts;
}

struct svc_ops svc_ops_aws(struct aws_client *c)
{
    struct svc_ops o = {
        .ctx = c,
        .describe_group = describe_group,
        .set_desired_capacity = set_desired_capacity,
        .update_group_size = update_group_size,
        .terminate_instances = terminate_instances,
        .set_instance_protection = set_instance_protection,
        .suspend_processes = suspend_processes,
        .resume_processes = resume_processes,
        .put_tags = put_tags,
        .delete_tags = delete_tags,
        .describe_instance_refreshes = describe_instance_refreshes,
        .describe_policies = describe_policies,
        .describe_scheduled_actions = describe_scheduled_actions,
        .describe_lifecycle_hooks = describe_lifecycle_hooks,
        .describe_alarms = describe_alarms,
        .describe_group_tags = describe_group_tags,
        .describe_launch_template = describe_launch_template,
        .launch_template_image = launch_template_image,
        .describe_instances = describe_instances,
        .describe_cluster = describe_cluster,
        .describe_capacity_providers = describe_capacity_providers,
        .list_container_instances = list_container_instances,
        .describe_container_instances = describe_container_instances,
        .update_container_instances_state = update_container_instances_state,
        .list_tasks = list_tasks,
        .describe_tasks = describe_tasks,
        .list_services = list_services,
        .describe_services = describe_services,
        .stop_task = stop_task,
        .get_caller_identity = get_caller_identity,
        .wall_clock = wall_clock,
        .monotonic = monotonic,
        .sleep = sleep_for,
        .idle = idle,
        .aws_time = aws_time,
        .stats = stats,
    };
    return o;
}
