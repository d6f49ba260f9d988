/* DescribeAutoScalingGroups: a group's mixed instances policy. An override
 * may name its own launch template (one per instance family, e.g. x86 and
 * Graviton), and instances launched from it report that template: the
 * rollout needs every override to tell which instances are current.
 * Shape: AWS Auto Scaling API reference, MixedInstancesPolicy,
 * LaunchTemplate and LaunchTemplateOverrides. */
#include <stdlib.h>

#include "svc/asg_internal.h"
#include "util/mem.h"

void asg_overrides_free(struct asg_override *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].instance_type);
        asg_template_ref_free(&v[i].launch_template);
    }
    free(v);
}

static int parse_override(struct svc_parse *p, const struct xml_node *m, struct asg_override *o)
{
    if (svc_xml_str(p, m, "InstanceType", SVC_OPTIONAL, &o->instance_type) < 0 ||
        svc_xml_int(p, m, "WeightedCapacity", SVC_OPTIONAL, &o->weighted_capacity) < 0 ||
        asg_parse_template_ref(p, m, "LaunchTemplateSpecification", &o->launch_template) < 0)
        return -1;
    if (o->weighted_capacity < 0)
        return svc_parse_fail(p, "WeightedCapacity", "is negative");
    o->has_instance_requirements = xml_child(m, "InstanceRequirements") != NULL;
    return 0;
}

int asg_parse_mixed_policy(struct svc_parse *p, const struct xml_node *mixed, struct asg_group *out)
{
    out->mixed_instances_policy = 1;
    const struct xml_node *lt = xml_child(mixed, "LaunchTemplate");
    if (!lt)
        return 0;
    size_t old = svc_parse_push(p, "MixedInstancesPolicy.LaunchTemplate");
    int rc = -1;
    if (asg_parse_template_ref(p, lt, "LaunchTemplateSpecification", &out->launch_template) < 0)
        goto out;
    const struct xml_node *list;
    if (svc_xml_list(p, lt, "Overrides", SVC_OPTIONAL, &list) < 0)
        goto out;
    size_t n = 0;
    for (const struct xml_node *m = list ? xml_child(list, "member") : NULL; m;
         m = xml_next_same(m))
        n++;
    if (n) {
        out->overrides = xcalloc(n, sizeof(*out->overrides));
        size_t i = 0;
        size_t old_list = svc_parse_push(p, "Overrides");
        for (const struct xml_node *m = xml_child(list, "member"); m; m = xml_next_same(m), i++) {
            size_t old_i = svc_parse_push_index(p, i);
            /* Counted first so asg_group_free releases a partial one. */
            out->n_overrides = i + 1;
            if (parse_override(p, m, &out->overrides[i]) < 0)
                goto out;
            svc_parse_pop(p, old_i);
        }
        svc_parse_pop(p, old_list);
    }
    rc = 0;
out:
    svc_parse_pop(p, old);
    return rc;
}
