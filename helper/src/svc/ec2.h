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

/* DescribeLaunchTemplates for one template, by id or (id NULL) by name. A
 * template that does not exist is ERR_STATE "launch template X not found in
 * REGION". */
int ec2_describe_launch_template(struct aws_client *c, const char *id, const char *name,
                                 struct ec2_launch_template *out, struct err *err);
void ec2_launch_template_free(struct ec2_launch_template *t);

/* The AMI (ImageId) of one launch template version ("3", "$Latest",
 * "$Default"); *image_id is a new string, NULL when the version sets none.
 * An ImageId given as "resolve:ssm:..." comes back resolved (ResolveAlias).
 * A missing template or version is ERR_STATE. */
int ec2_launch_template_image(struct aws_client *c, const char *id, const char *name,
                              const char *version, char **image_id, struct err *err);

struct ec2_instance {
    char *instance_id;
    char *image_id;
    char *state; /* pending, running, shutting-down, terminated, ... */
    char *availability_zone;
    long long launch_time; /* launchTime, Unix seconds by AWS's clock; 0 when absent */
};

/* DescribeInstances for these ids, 100 per call. Instances AWS does not know
 * are left out of the result, not an error: a batch AWS refuses with
 * InvalidInstanceID.NotFound is asked again through an instance-id filter. */
int ec2_describe_instances(struct aws_client *c, const char *const *ids, size_t n,
                           struct ec2_instance **out, size_t *n_out, struct err *err);
void ec2_instances_free(struct ec2_instance *v, size_t n);

/* Response parsers, exposed for unit tests and fuzzing; ERR_PROTOCOL naming
 * the field on a malformed response. */
/* Every template of a DescribeLaunchTemplates response (*v is new). */
int ec2_parse_launch_templates(const struct xml_node *root, struct ec2_launch_template **v,
                               size_t *n, struct err *err);
/* The first version of a DescribeLaunchTemplateVersions response: *found
 * is 0 when there is none; *image_id is NULL when it sets no ImageId. */
int ec2_parse_launch_template_image(const struct xml_node *root, char **image_id, int *found,
                                    struct err *err);
/* Appends every instance of every reservation to *v / *n (unchanged on
 * error); *next_token is a new string, NULL on the last page. */
int ec2_parse_instances(const struct xml_node *root, struct ec2_instance **v, size_t *n,
                        char **next_token, struct err *err);

#endif
