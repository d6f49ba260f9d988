/* DescribeTags: one group's tags with given keys, a small answer where
 * DescribeAutoScalingGroups carries every instance of the group. Filters
 * and answer: Amazon EC2 Auto Scaling API Reference, DescribeTags, Filter
 * (auto-scaling-group, key; values of one filter are ORed, filters ANDed)
 * and TagDescription. */
#include "svc/autoscaling.h"

#include <stdlib.h>
#include <string.h>

#include "svc/common.h"
#include "util/mem.h"

#define ASG_VERSION "2011-01-01"
#define TAGS_MAX_RECORDS 100 /* DescribeTags MaxRecords: default 50, at most 100 */

void asg_tags_free(struct asg_tag *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(tags[i].key);
        free(tags[i].value);
    }
    free(tags);
}

static int wanted(const char *key, const char *const *keys, size_t n_keys)
{
    if (n_keys == 0)
        return 1;
    for (size_t i = 0; i < n_keys; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    return 0;
}

int asg_parse_describe_tags(const struct xml_node *root, const char *group, const char *const *keys,
                            size_t n_keys, struct asg_tag **tags, size_t *n, char **next_token,
                            struct err *err)
{
    struct svc_parse p;
    svc_parse_init(&p, "DescribeTags", err);
    *next_token = NULL;
    const struct xml_node *result = root ? xml_child(root, "DescribeTagsResult") : NULL;
    if (!result)
        return svc_parse_fail(&p, "DescribeTagsResult", "is missing");
    const struct xml_node *list;
    if (svc_xml_list(&p, result, "Tags", SVC_REQUIRED, &list) < 0)
        return -1;
    struct asg_tag *page = NULL;
    size_t count = 0, i = 0;
    for (const struct xml_node *m = xml_child(list, "member"); m; m = xml_next_same(m), i++) {
        size_t old = svc_parse_push(&p, "Tags");
        svc_parse_push_index(&p, i);
        struct asg_tag t = {0};
        char *resource = NULL, *type = NULL;
        int rc = svc_xml_str(&p, m, "ResourceId", SVC_REQUIRED, &resource) < 0 ||
                         svc_xml_str(&p, m, "ResourceType", SVC_OPTIONAL, &type) < 0 ||
                         svc_xml_str(&p, m, "Key", SVC_REQUIRED, &t.key) < 0 ||
                         svc_xml_str(&p, m, "Value", SVC_OPTIONAL, &t.value) < 0 ||
                         svc_xml_bool(&p, m, "PropagateAtLaunch", SVC_OPTIONAL,
                                      &t.propagate_at_launch) < 0
                     ? -1
                     : 0;
        /* An endpoint that ignores a filter answers more than was asked
         * (as ListContainerInstances' filter is ignored by some): only the
         * group's own tags with the keys asked for are kept. */
        int keep = rc == 0 && strcmp(resource, group) == 0 &&
                   (!type || strcmp(type, "auto-scaling-group") == 0) &&
                   wanted(t.key, keys, n_keys);
        free(resource);
        free(type);
        if (rc < 0) {
            free(t.key);
            free(t.value);
            asg_tags_free(page, count);
            return -1;
        }
        if (!keep) {
            free(t.key);
            free(t.value);
        } else {
            if (!t.value) /* a tag's value may be empty; AWS then omits it */
                t.value = xstrdup("");
            page = xrealloc(page, (count + 1) * sizeof(*page));
            page[count++] = t;
        }
        svc_parse_pop(&p, old);
    }
    char *token = NULL;
    if (svc_xml_str(&p, result, "NextToken", SVC_OPTIONAL, &token) < 0) {
        asg_tags_free(page, count);
        return -1;
    }
    if (token && !*token) {
        free(token);
        token = NULL;
    }
    if (count) {
        *tags = xrealloc(*tags, (*n + count) * sizeof(**tags));
        memcpy(*tags + *n, page, count * sizeof(*page));
        *n += count;
    }
    free(page);
    *next_token = token;
    return 0;
}

struct tags_out {
    const char *group;
    const char *const *keys;
    size_t n_keys;
    struct asg_tag **tags;
    size_t *n;
};

static int parse_tags_page(const struct xml_node *root, void *items, char **next, struct err *err)
{
    struct tags_out *o = items;
    return asg_parse_describe_tags(root, o->group, o->keys, o->n_keys, o->tags, o->n, next, err);
}

int asg_describe_group_tags(struct aws_client *c, const char *group, const char *const *keys,
                            size_t n_keys, struct asg_tag **tags, size_t *n, struct err *err)
{
    *tags = NULL;
    *n = 0;
    struct tags_out o = {group, keys, n_keys, tags, n};
    struct svc_query_pages q = {&AWS_SVC_AUTOSCALING, ASG_VERSION,     "DescribeTags",
                                "NextToken",          parse_tags_page, &o};
    struct aws_params params = AWS_PARAMS_INIT;
    aws_params_add(&params, "Filters.member.1.Name", "auto-scaling-group");
    aws_params_add(&params, "Filters.member.1.Values.member.1", group);
    if (n_keys) {
        aws_params_add(&params, "Filters.member.2.Name", "key");
        aws_params_add_list(&params, "Filters.member.2.Values", keys, n_keys);
    }
    aws_params_addf(&params, "MaxRecords", "%d", TAGS_MAX_RECORDS);
    int rc = svc_query_pages(c, &q, &params, err);
    aws_params_free(&params);
    if (rc < 0) {
        asg_tags_free(*tags, *n);
        *tags = NULL;
        *n = 0;
    }
    return rc;
}
