/* Shared by the Auto Scaling parsers (autoscaling.c, asg_mixed.c). */
#ifndef ECSR_SVC_ASG_INTERNAL_H
#define ECSR_SVC_ASG_INTERNAL_H

#include "aws/xml.h"
#include "svc/autoscaling.h"
#include "svc/common.h"

void asg_template_ref_free(struct asg_template_ref *t);
/* The <name> child of node (LaunchTemplate, LaunchTemplateSpecification)
 * into *out; absent: *out stays all NULL. */
int asg_parse_template_ref(struct svc_parse *p, const struct xml_node *node, const char *name,
                           struct asg_template_ref *out);
/* A group's <MixedInstancesPolicy>: its template into out->launch_template,
 * its overrides into out->overrides. */
int asg_parse_mixed_policy(struct svc_parse *p, const struct xml_node *mixed,
                           struct asg_group *out);
void asg_overrides_free(struct asg_override *v, size_t n);

#endif
