/* What "current" means for a group: its launch specification, resolved.
 *
 * A group launches from one launch template (or a launch configuration),
 * or, with a mixed instances policy, from the policy's template and from
 * the templates its overrides name (one per instance family: x86 and
 * Graviton need different AMIs). An instance launched from an override
 * reports the override's template and version (Auto Scaling API reference,
 * Instance.LaunchTemplate; User Guide, "Use multiple launch templates").
 * $Latest and $Default are resolved to numbers through EC2
 * DescribeLaunchTemplates. Pure: no I/O. */
#ifndef ECSR_ROLLOUT_CURRENT_H
#define ECSR_ROLLOUT_CURRENT_H

#include <stddef.h>

#include "svc/autoscaling.h"
#include "svc/ec2.h"

enum spec_kind {
    SPEC_GROUP,        /* the group's (or the mixed policy's) own template */
    SPEC_TYPED,        /* an override for one instance type */
    SPEC_REQUIREMENTS, /* an override by instance requirements (any type) */
};

struct spec_entry {
    enum spec_kind kind;
    char *template_id; /* resolved through DescribeLaunchTemplates */
    char *template_name;
    long version;        /* $Latest/$Default resolved to a number */
    char *instance_type; /* SPEC_TYPED only */
    int weight;          /* the override's WeightedCapacity, 0 when unset */
};

struct launch_spec {
    char *launch_configuration; /* a launch configuration group: no entries */
    struct spec_entry *v;       /* v[0]: the group's own template */
    size_t n;
    /* Capacity is counted in units (override weights, or DesiredCapacityType
     * vcpu / memory-mib), not in instances. */
    int weighted;
};

void launch_spec_free(struct launch_spec *s);

/* The template references of the group that need resolving: the group's
 * own, then each override's own (references borrowed from g; at most cap).
 * Returns how many. */
size_t launch_spec_refs(const struct asg_group *g, const struct asg_template_ref **refs,
                        size_t cap);

/* Resolves the group's specification against the templates described
 * (lts: what DescribeLaunchTemplates returned for the references). Fails,
 * with why, when it cannot be told unambiguously what an instance should be
 * launched from: a template that does not exist, a version that is neither
 * a number nor $Latest/$Default, one instance type with two templates. */
int launch_spec_resolve(const struct asg_group *g, const struct ec2_launch_template *lts,
                        size_t n_lts, struct launch_spec *out, char *why, size_t cap);

/* 1 and why when the instance is out of date, 0 when it is current. */
int launch_spec_judge(const struct launch_spec *s, const struct asg_instance *in, char *why,
                      size_t cap);

/* Capacity units an instance counts for: its WeightedCapacity, 1 without. */
int instance_units(const struct asg_instance *in);

/* Problems with counting the group's capacity: -1 and why when a weighted
 * group has a member that reports no weight (its units are unknown). */
int launch_spec_check_units(const struct launch_spec *s, const struct asg_group *g, char *why,
                            size_t cap);

/* "lt-0abc (web) version 7 (+ 2 override templates)" or
 * "launch configuration NAME". */
void launch_spec_describe(const struct launch_spec *s, char *buf, size_t cap);

#endif
