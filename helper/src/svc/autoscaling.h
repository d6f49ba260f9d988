/* Auto Scaling calls the rollout needs (Query protocol, 2011-01-01).
 * Pagination and batch limits are handled inside. */
#ifndef ECSR_SVC_AUTOSCALING_H
#define ECSR_SVC_AUTOSCALING_H

#include <stddef.h>

#include "aws/client.h"
#include "util/strv.h"

struct asg_template_ref {
    char *id;      /* NULL when unknown */
    char *name;    /* NULL when unknown */
    char *version; /* "3", "$Latest", "$Default"; NULL when unknown */
};

struct asg_instance {
    char *instance_id;
    char *availability_zone;
    char *lifecycle_state; /* Pending, InService, Terminating, Standby, ... */
    char *health_status;   /* Healthy, Unhealthy */
    char *instance_type;
    char *launch_configuration;              /* NULL when launched from a template */
    struct asg_template_ref launch_template; /* all NULL without a template */
    int protected_from_scale_in;
    /* Capacity units the instance counts for (mixed instances policy
     * weights); 0 when AWS reports none, which counts as 1. */
    int weighted_capacity;
};

/* One override of a mixed instances policy. */
struct asg_override {
    char *instance_type;                     /* NULL with InstanceRequirements */
    int weighted_capacity;                   /* 0 when not set */
    struct asg_template_ref launch_template; /* all NULL: the policy's own template */
    int has_instance_requirements;
};

struct asg_tag {
    char *key;
    char *value;
    int propagate_at_launch;
};

struct asg_group {
    char *name;
    char *arn;
    char *status; /* NULL, or "Delete in progress" */
    int min_size;
    int max_size;
    int desired_capacity;
    char *launch_configuration;              /* NULL without one */
    struct asg_template_ref launch_template; /* the group's, or its mixed policy's */
    int mixed_instances_policy;              /* launch_template came from one */
    /* How many of LaunchConfigurationName, LaunchTemplate and
     * MixedInstancesPolicy the answer gave: AWS gives one (0 or several:
     * launch_spec_resolve refuses). */
    int n_launch_sources;
    struct asg_override *overrides; /* the mixed instances policy's overrides */
    size_t n_overrides;
    /* DesiredCapacityType: NULL or "units" (instances or weights),
     * "vcpu", "memory-mib" (attribute-based instance type selection). */
    char *desired_capacity_type;
    struct asg_instance *instances;
    size_t n_instances;
    struct asg_tag *tags;
    size_t n_tags;
    struct strv suspended_processes;
    struct strv termination_policies;
    struct strv availability_zones;
    int new_instances_protected_from_scale_in;
    int capacity_rebalance;
    int health_check_grace_period;
    char *health_check_type;
    int has_warm_pool; /* WarmPoolConfiguration present */
};

void asg_group_free(struct asg_group *g);
void asg_groups_free(struct asg_group *v, size_t n);
/* The value of a tag on the group, or NULL. */
const char *asg_group_tag(const struct asg_group *g, const char *key);

/* DescribeAutoScalingGroups for these names (all groups when n == 0):
 * 100 names and MaxRecords 100 per call, following NextToken. Names that do
 * not exist are left out. */
int asg_describe_groups(struct aws_client *c, const char *const *names, size_t n,
                        struct asg_group **out, size_t *n_out, struct err *err);
/* One group; a group that does not exist is ERR_STATE "Auto Scaling group
 * NAME not found in REGION". */
int asg_describe_group(struct aws_client *c, const char *name, struct asg_group *out,
                       struct err *err);

/* SetDesiredCapacity with HonorCooldown=false. */
int asg_set_desired_capacity(struct aws_client *c, const char *group, int desired, struct err *err);

/* UpdateAutoScalingGroup of the sizes; a field < 0 is left unchanged. */
struct asg_size_update {
    int min_size;
    int max_size;
    int desired_capacity;
};
int asg_update_group_size(struct aws_client *c, const char *group, const struct asg_size_update *u,
                          struct err *err);

/* TerminateInstanceInAutoScalingGroup. */
int asg_terminate_instance(struct aws_client *c, const char *instance_id,
                           int should_decrement_desired, struct err *err);
/* TerminateInstanceInAutoScalingGroup for many instances, several calls at
 * once (TERMINATE_WORKERS): every instance is tried; *done (may be NULL)
 * counts those terminated; the error is the first failure's. */
#define TERMINATE_WORKERS 8
int asg_terminate_instances(struct aws_client *c, const char *const *ids, size_t n,
                            int should_decrement_desired, int *done, struct err *err);
/* DetachInstances, 20 per call. */
int asg_detach_instances(struct aws_client *c, const char *group, const char *const *ids, size_t n,
                         int should_decrement_desired, struct err *err);
/* SetInstanceProtection, 50 per call. */
int asg_set_instance_protection(struct aws_client *c, const char *group, const char *const *ids,
                                size_t n, int protected_from_scale_in, struct err *err);
/* SuspendProcesses / ResumeProcesses of these process names. n == 0 is
 * refused (ERR_INTERNAL): AWS would act on every process of the group. */
int asg_suspend_processes(struct aws_client *c, const char *group, const char *const *processes,
                          size_t n, struct err *err);
int asg_resume_processes(struct aws_client *c, const char *group, const char *const *processes,
                         size_t n, struct err *err);
/* CreateOrUpdateTags / DeleteTags on the group (ResourceType
 * auto-scaling-group). */
int asg_put_tags(struct aws_client *c, const char *group, const struct asg_tag *tags, size_t n,
                 struct err *err);
int asg_delete_tags(struct aws_client *c, const char *group, const char *const *keys, size_t n,
                    struct err *err);

/* DescribeTags of one group's tags with these keys (filters
 * auto-scaling-group=GROUP and key=KEYS; every key when n_keys == 0), every
 * page: a small answer, where DescribeAutoScalingGroups carries every
 * instance. The answer is filtered again here (only GROUP's tags with one
 * of KEYS are kept), whatever the endpoint did with the filters. A group
 * that does not exist has no tags: AWS answers an empty list. *tags: free
 * with asg_tags_free. */
int asg_describe_group_tags(struct aws_client *c, const char *group, const char *const *keys,
                            size_t n_keys, struct asg_tag **tags, size_t *n, struct err *err);
void asg_tags_free(struct asg_tag *tags, size_t n);

/* Parses one DescribeAutoScalingGroups response (the root element),
 * appending its groups to *groups / *n; *next_token is a new string, NULL on
 * the last page. On error (ERR_PROTOCOL naming the field) *groups and *n are
 * unchanged. Exposed for unit tests and fuzzing. */
int asg_parse_describe_groups(const struct xml_node *root, struct asg_group **groups, size_t *n,
                              char **next_token, struct err *err);

/* Parses one DescribeTags response, appending the tags of `group` with
 * one of `keys` (any key when n_keys == 0) to *tags / *n; *next_token as
 * above. Exposed for unit tests and fuzzing. */
int asg_parse_describe_tags(const struct xml_node *root, const char *group, const char *const *keys,
                            size_t n_keys, struct asg_tag **tags, size_t *n, char **next_token,
                            struct err *err);

#endif
