#include "svc/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds.h"
#include "svc/common.h"
#include "util/mem.h"

#define EC2_VERSION "2016-11-15"
#define DESCRIBE_INSTANCES_BATCH 100

static int ec2_call(struct aws_client *c, const char *action, const struct aws_params *params,
                    struct xml_node **root, struct err *err)
{
    *root = NULL;
    return aws_query_call(c, &AWS_SVC_EC2, action, EC2_VERSION, params, 0, root, err);
}

static int is_service_error(const struct err *err, const char *code_prefix)
{
    return err->kind == ERR_SERVICE && strncmp(err->code, code_prefix, strlen(code_prefix)) == 0;
}

static size_t count_items(const struct xml_node *list)
{
    size_t n = 0;
    for (const struct xml_node *m = list ? xml_child(list, "item") : NULL; m; m = xml_next_same(m))
        n++;
    return n;
}

static const char *template_label(const char *id, const char *name)
{
    return id ? id : name ? name : "(none)";
}

/* ---- launch templates ---- */

void ec2_launch_template_free(struct ec2_launch_template *t)
{
    if (!t)
        return;
    free(t->id);
    free(t->name);
    memset(t, 0, sizeof(*t));
}

int ec2_parse_launch_templates(const struct xml_node *root, struct ec2_launch_template **v,
                               size_t *n, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeLaunchTemplates", err);
    *v = NULL;
    *n = 0;
    const struct xml_node *list;
    if (svc_xml_list(&p, root, "launchTemplates", SVC_REQUIRED, &list) < 0)
        return -1;
    size_t count = count_items(list);
    if (!count)
        return 0;
    struct ec2_launch_template *items = xcalloc(count, sizeof(*items));
    svc_parse_push(&p, "launchTemplates");
    size_t i = 0;
    for (const struct xml_node *it = xml_child(list, "item"); it; it = xml_next_same(it), i++) {
        struct ec2_launch_template *t = &items[i];
        size_t old = svc_parse_push_index(&p, i);
        if (svc_xml_str(&p, it, "launchTemplateId", SVC_REQUIRED, &t->id) < 0 ||
            svc_xml_str(&p, it, "launchTemplateName", SVC_REQUIRED, &t->name) < 0 ||
            svc_xml_long(&p, it, "latestVersionNumber", SVC_REQUIRED, &t->latest_version) < 0 ||
            svc_xml_long(&p, it, "defaultVersionNumber", SVC_REQUIRED, &t->default_version) < 0) {
            for (size_t j = 0; j <= i; j++)
                ec2_launch_template_free(&items[j]);
            free(items);
            return -1;
        }
        svc_parse_pop(&p, old);
    }
    *v = items;
    *n = count;
    return 0;
}

static int template_not_found(struct aws_client *c, const char *id, const char *name,
                              struct err *err)
{
    return err_set(err, ERR_STATE,
                   "launch template %s not found in %s: check the template and the region",
                   template_label(id, name), c->region ? c->region : "this region");
}

int ec2_describe_launch_template(struct aws_client *c, const char *id, const char *name,
                                 struct ec2_launch_template *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct aws_params params = AWS_PARAMS_INIT;
    if (id)
        aws_params_add(&params, "LaunchTemplateId.1", id);
    else
        aws_params_add(&params, "LaunchTemplateName.1", name);
    struct xml_node *root;
    int rc = ec2_call(c, "DescribeLaunchTemplates", &params, &root, err);
    aws_params_free(&params);
    if (rc < 0) {
        xml_free(root);
        /* InvalidLaunchTemplateId.NotFound, InvalidLaunchTemplateName.NotFoundException */
        if (is_service_error(err, "InvalidLaunchTemplateId.NotFound") ||
            is_service_error(err, "InvalidLaunchTemplateName.NotFound"))
            return template_not_found(c, id, name, err);
        return -1;
    }
    struct ec2_launch_template *v;
    size_t n;
    rc = ec2_parse_launch_templates(root, &v, &n, err);
    xml_free(root);
    if (rc < 0)
        return -1;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (!found && (id ? strcmp(v[i].id, id) == 0 : strcmp(v[i].name, name) == 0)) {
            *out = v[i];
            memset(&v[i], 0, sizeof(v[i]));
            found = 1;
        }
        ec2_launch_template_free(&v[i]);
    }
    free(v);
    return found ? 0 : template_not_found(c, id, name, err);
}

int ec2_parse_launch_template_image(const struct xml_node *root, char **image_id, int *found,
                                    struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeLaunchTemplateVersions", err);
    *image_id = NULL;
    *found = 0;
    const struct xml_node *list;
    if (svc_xml_list(&p, root, "launchTemplateVersionSet", SVC_REQUIRED, &list) < 0)
        return -1;
    const struct xml_node *item = xml_child(list, "item");
    if (!item)
        return 0;
    svc_parse_push(&p, "launchTemplateVersionSet[0]");
    long version = 0;
    if (svc_xml_long(&p, item, "versionNumber", SVC_REQUIRED, &version) < 0)
        return -1;
    const struct xml_node *data = xml_child(item, "launchTemplateData");
    if (data) {
        svc_parse_push(&p, "launchTemplateData");
        if (svc_xml_str(&p, data, "imageId", SVC_OPTIONAL, image_id) < 0)
            return -1;
        if (*image_id && !**image_id) {
            free(*image_id);
            *image_id = NULL;
        }
    }
    *found = 1;
    return 0;
}

int ec2_launch_template_image(struct aws_client *c, const char *id, const char *name,
                              const char *version, char **image_id, struct err *err)
{
    *image_id = NULL;
    struct aws_params params = AWS_PARAMS_INIT;
    if (id)
        aws_params_add(&params, "LaunchTemplateId", id);
    else
        aws_params_add(&params, "LaunchTemplateName", name);
    aws_params_add(&params, "LaunchTemplateVersion.1", version);
    /* An ImageId of "resolve:ssm:..." comes back as the AMI it stands for. */
    aws_params_add(&params, "ResolveAlias", "true");
    struct xml_node *root;
    int rc = ec2_call(c, "DescribeLaunchTemplateVersions", &params, &root, err);
    aws_params_free(&params);
    if (rc < 0) {
        xml_free(root);
        if (is_service_error(err, "InvalidLaunchTemplateId.VersionNotFound"))
            return err_set(err, ERR_STATE, "version %s of launch template %s not found in %s",
                           version, template_label(id, name),
                           c->region ? c->region : "this region");
        if (is_service_error(err, "InvalidLaunchTemplateId.NotFound") ||
            is_service_error(err, "InvalidLaunchTemplateName.NotFound"))
            return template_not_found(c, id, name, err);
        return -1;
    }
    int found;
    rc = ec2_parse_launch_template_image(root, image_id, &found, err);
    xml_free(root);
    if (rc < 0)
        return -1;
    if (!found)
        return err_set(err, ERR_STATE, "version %s of launch template %s not found in %s", version,
                       template_label(id, name), c->region ? c->region : "this region");
    return 0;
}

/* ---- instances ---- */

static void instance_free(struct ec2_instance *in)
{
    free(in->instance_id);
    free(in->image_id);
    free(in->state);
    free(in->availability_zone);
    memset(in, 0, sizeof(*in));
}

void ec2_instances_free(struct ec2_instance *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        instance_free(&v[i]);
    free(v);
}

static int parse_instance(struct svc_parse *p, const struct xml_node *it, struct ec2_instance *in)
{
    char *launch = NULL;
    if (svc_xml_str(p, it, "instanceId", SVC_REQUIRED, &in->instance_id) < 0 ||
        svc_xml_str(p, it, "imageId", SVC_OPTIONAL, &in->image_id) < 0 ||
        svc_xml_str(p, it, "launchTime", SVC_OPTIONAL, &launch) < 0)
        return -1;
    if (launch) {
        time_t t;
        int bad = cred_parse_time(launch, &t) != 0;
        free(launch);
        if (bad)
            return svc_parse_fail(p, "launchTime", "is not a time");
        in->launch_time = (long long)t;
    }
    const struct xml_node *state = xml_child(it, "instanceState");
    if (!state)
        return svc_parse_fail(p, "instanceState", "is missing");
    size_t old = svc_parse_push(p, "instanceState");
    if (svc_xml_str(p, state, "name", SVC_REQUIRED, &in->state) < 0)
        return -1;
    svc_parse_pop(p, old);
    const struct xml_node *placement = xml_child(it, "placement");
    if (placement) {
        svc_parse_push(p, "placement");
        if (svc_xml_str(p, placement, "availabilityZone", SVC_OPTIONAL, &in->availability_zone) < 0)
            return -1;
        svc_parse_pop(p, old);
    }
    return 0;
}

int ec2_parse_instances(const struct xml_node *root, struct ec2_instance **v, size_t *n,
                        char **next_token, struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeInstances", err);
    *next_token = NULL;
    const struct xml_node *reservations;
    if (svc_xml_list(&p, root, "reservationSet", SVC_REQUIRED, &reservations) < 0)
        return -1;
    size_t total = 0;
    for (const struct xml_node *r = xml_child(reservations, "item"); r; r = xml_next_same(r))
        total += count_items(xml_child(r, "instancesSet"));
    struct ec2_instance *items = total ? xcalloc(total, sizeof(*items)) : NULL;
    size_t k = 0, ri = 0;
    for (const struct xml_node *r = xml_child(reservations, "item"); r;
         r = xml_next_same(r), ri++) {
        size_t old = svc_parse_push(&p, "reservationSet");
        svc_parse_push_index(&p, ri);
        svc_parse_push(&p, "instancesSet");
        size_t ii = 0;
        for (const struct xml_node *it = xml_child(xml_child(r, "instancesSet"), "item"); it;
             it = xml_next_same(it), ii++, k++) {
            size_t old_i = svc_parse_push_index(&p, ii);
            if (parse_instance(&p, it, &items[k]) < 0) {
                ec2_instances_free(items, total);
                return -1;
            }
            svc_parse_pop(&p, old_i);
        }
        svc_parse_pop(&p, old);
    }
    if (svc_xml_str(&p, root, "nextToken", SVC_OPTIONAL, next_token) < 0) {
        ec2_instances_free(items, total);
        return -1;
    }
    if (*next_token && !**next_token) {
        free(*next_token);
        *next_token = NULL;
    }
    *v = svc_append(*v, n, items, total, sizeof(*items));
    free(items);
    return 0;
}

/* One batch, by InstanceId.N or, when `by_filter`, by an instance-id filter
 * (which leaves unknown ids out instead of failing), every page. */
struct instances_out {
    struct ec2_instance **v;
    size_t *n;
};

static int parse_instances_page(const struct xml_node *root, void *items, char **next,
                                struct err *err)
{
    struct instances_out *o = items;
    return ec2_parse_instances(root, o->v, o->n, next, err);
}

static int describe_batch(struct aws_client *c, const char *const *ids, size_t n, int by_filter,
                          struct ec2_instance **out, size_t *n_out, struct err *err)
{
    struct instances_out o = {out, n_out};
    struct svc_query_pages q = {&AWS_SVC_EC2, EC2_VERSION,          "DescribeInstances",
                                "nextToken",  parse_instances_page, &o};
    struct aws_params params = AWS_PARAMS_INIT;
    if (by_filter)
        aws_params_add(&params, "Filter.1.Name", "instance-id");
    for (size_t i = 0; i < n; i++) {
        char key[48];
        if (by_filter)
            snprintf(key, sizeof(key), "Filter.1.Value.%zu", i + 1);
        else
            snprintf(key, sizeof(key), "InstanceId.%zu", i + 1);
        aws_params_add(&params, key, ids[i]);
    }
    int rc = svc_query_pages(c, &q, &params, err);
    aws_params_free(&params);
    return rc;
}

int ec2_describe_instances(struct aws_client *c, const char *const *ids, size_t n,
                           struct ec2_instance **out, size_t *n_out, struct err *err)
{
    *out = NULL;
    *n_out = 0;
    for (size_t off = 0; off < n; off += DESCRIBE_INSTANCES_BATCH) {
        size_t k = n - off < DESCRIBE_INSTANCES_BATCH ? n - off : DESCRIBE_INSTANCES_BATCH;
        size_t before = *n_out;
        int rc = describe_batch(c, ids + off, k, 0, out, n_out, err);
        /* AWS fails the whole call when one id is unknown (terminated long
         * ago, or not yet visible); ask again with a filter, which simply
         * leaves the unknown ones out. */
        if (rc < 0 && is_service_error(err, "InvalidInstanceID.NotFound") && *n_out == before)
            rc = describe_batch(c, ids + off, k, 1, out, n_out, err);
        if (rc < 0) {
            ec2_instances_free(*out, *n_out);
            *out = NULL;
            *n_out = 0;
            return -1;
        }
    }
    return 0;
}
