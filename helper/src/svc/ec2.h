/* The few EC2 calls the rollout needs (Query protocol, 2016-11-15):
 * resolving $Latest/$Default and reading an instance's AMI. */
#ifndef ECSR_SVC_EC2_H
#define ECSR_SVC_EC2_H

#include <stddef.h>

#include "aws/client.h"

struct ec2_launch_template {
    char *id;
    char *name;
    long latest_version;
    long default_version;
};

/* DescribeLaunchTemplates for one template, by id or (id NULL) by name. */
int ec2_describe_launch_template(struct aws_client *c, const char *id, const char *name,
                                 struct ec2_launch_template *out, struct err *err);
void ec2_launch_template_free(struct ec2_launch_template *t);

/* The AMI (ImageId) of one launch template version ("3", "$Latest",
 * "$Default"); *image_id is a new string, NULL when the version sets none. */
int ec2_launch_template_image(struct aws_client *c, const char *id, const char *name,
                              const char *version, char **image_id, struct err *err);

struct ec2_instance {
    char *instance_id;
    char *image_id;
    char *state; /* pending, running, shutting-down, terminated, ... */
    char *availability_zone;
};

/* DescribeInstances for these ids, 100 per call. Instances AWS does not know
 * are left out of the result, not an error. */
int ec2_describe_instances(struct aws_client *c, const char *const *ids, size_t n,
                           struct ec2_instance **out, size_t *n_out, struct err *err);
void ec2_instances_free(struct ec2_instance *v, size_t n);

#endif
