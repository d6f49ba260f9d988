/* The Query-protocol response parsers of the service layer, each given the
 * same document: DescribeAutoScalingGroups (asg_parse_describe_groups),
 * EC2's DescribeLaunchTemplates, DescribeLaunchTemplateVersions and
 * DescribeInstances, and the Credentials of STS's AssumeRole answers. The
 * rollout state is then read from every group's tags (rollout_state_parse).
 *
 * Input: a raw XML answer (seeds: moto captures and tests/c/fixtures/svc).
 *
 * Properties: a failure is ERR_PROTOCOL naming the call and leaves the
 * caller's arrays as they were; a success fills every required field, and
 * parsing the same document again appends exactly as many equal records
 * with the same next-page token; credentials never show in errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds.h"
#include "fuzz.h"
#include "rollout/state.h"
#include "svc/autoscaling.h"
#include "svc/ec2.h"
#include "svc/sts.h"
#include "util/log.h"

static int nonempty(const char *s)
{
    return s && *s;
}

static void check_error(const struct err *e, const char *call)
{
    FUZZ_CHECK(e->kind == ERR_PROTOCOL, "%s: error kind %d", call, (int)e->kind);
    FUZZ_CHECK(strncmp(e->message, call, strlen(call)) == 0 && e->message[strlen(call)] == ':',
               "%s: message does not start with the call: %s", call, e->message);
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_state(const struct asg_group *g)
{
    struct rollout_state st;
    if (rollout_state_parse(g, &st) != 0) {
        FUZZ_CHECK(st.problem[0], "rollout_state_parse failed without saying why");
        rollout_state_free(&st);
        return;
    }
    struct strv keys = STRV_INIT;
    rollout_state_tag_keys(g, &keys);
    for (size_t i = 0; i < keys.n; i++)
        FUZZ_CHECK(strncmp(keys.v[i], ROLLOUT_TAG_PREFIX, strlen(ROLLOUT_TAG_PREFIX)) == 0,
                   "tag key '%s' is not ours", keys.v[i]);
    strv_free(&keys);
    rollout_state_free(&st);
}

static void groups(const struct xml_node *root)
{
    struct asg_group *v = NULL;
    size_t n = 0;
    char *token = NULL;
    struct err e;
    if (asg_parse_describe_groups(root, &v, &n, &token, &e) != 0) {
        FUZZ_CHECK(!v && !n && !token, "a failed parse changed the result");
        check_error(&e, "DescribeAutoScalingGroups");
        return;
    }
    FUZZ_CHECK(!token || *token, "empty next token");
    size_t k = n;
    for (size_t i = 0; i < k; i++) {
        const struct asg_group *g = &v[i];
        FUZZ_CHECK(nonempty(g->name) && nonempty(g->health_check_type), "group %zu incomplete", i);
        for (size_t j = 0; j < g->n_instances; j++) {
            const struct asg_instance *in = &g->instances[j];
            FUZZ_CHECK(nonempty(in->instance_id) && nonempty(in->availability_zone) &&
                           nonempty(in->lifecycle_state) && nonempty(in->health_status),
                       "group %s instance %zu incomplete", g->name, j);
        }
        for (size_t j = 0; j < g->n_tags; j++)
            FUZZ_CHECK(nonempty(g->tags[j].key) && g->tags[j].value, "tag %zu incomplete", j);
        (void)asg_group_tag(g, "ecs-rollout:original");
        check_state(g);
    }
    char *token2 = NULL;
    FUZZ_CHECK(asg_parse_describe_groups(root, &v, &n, &token2, &e) == 0,
               "the second parse of the same document failed: %s", e.message);
    FUZZ_CHECK(n == 2 * k && same_str(token, token2), "the second parse appended %zu, not %zu",
               n - k, k);
    for (size_t i = 0; i < k; i++)
        FUZZ_CHECK(strcmp(v[i].name, v[k + i].name) == 0 &&
                       v[i].desired_capacity == v[k + i].desired_capacity &&
                       v[i].n_instances == v[k + i].n_instances && v[i].n_tags == v[k + i].n_tags,
                   "group %zu parsed differently the second time", i);
    free(token);
    free(token2);
    asg_groups_free(v, n);
}

static void launch_templates(const struct xml_node *root)
{
    struct ec2_launch_template *v = (void *)1;
    size_t n = 99;
    struct err e;
    if (ec2_parse_launch_templates(root, &v, &n, &e) != 0) {
        FUZZ_CHECK(!v && !n, "a failed parse left a result");
        check_error(&e, "DescribeLaunchTemplates");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(nonempty(v[i].id) && nonempty(v[i].name), "template %zu incomplete", i);
        ec2_launch_template_free(&v[i]);
    }
    free(v);
}

static void template_image(const struct xml_node *root)
{
    char *image = (char *)1;
    int found = 7;
    struct err e;
    if (ec2_parse_launch_template_image(root, &image, &found, &e) != 0) {
        FUZZ_CHECK(!image, "a failed parse left an image id");
        check_error(&e, "DescribeLaunchTemplateVersions");
        return;
    }
    FUZZ_CHECK(found == 0 || found == 1, "found = %d", found);
    FUZZ_CHECK(!image || (found && *image), "image id without a version, or empty");
    free(image);
}

static void instances(const struct xml_node *root)
{
    struct ec2_instance *v = NULL;
    size_t n = 0;
    char *token = NULL;
    struct err e;
    if (ec2_parse_instances(root, &v, &n, &token, &e) != 0) {
        FUZZ_CHECK(!v && !n && !token, "a failed parse changed the result");
        check_error(&e, "DescribeInstances");
        return;
    }
    size_t k = n;
    for (size_t i = 0; i < k; i++)
        FUZZ_CHECK(nonempty(v[i].instance_id) && nonempty(v[i].state), "instance %zu incomplete",
                   i);
    char *token2 = NULL;
    FUZZ_CHECK(ec2_parse_instances(root, &v, &n, &token2, &e) == 0, "second parse failed");
    FUZZ_CHECK(n == 2 * k && same_str(token, token2), "second parse appended %zu, not %zu", n - k,
               k);
    for (size_t i = 0; i < k; i++)
        FUZZ_CHECK(strcmp(v[i].instance_id, v[k + i].instance_id) == 0, "instance %zu differs", i);
    free(token);
    free(token2);
    ec2_instances_free(v, n);
}

static void sts_credentials(const struct xml_node *root, const char *action)
{
    struct aws_credentials c;
    memset(&c, 0, sizeof(c));
    struct err e;
    char path[128];
    snprintf(path, sizeof(path), "%sResult/Credentials/SecretAccessKey", action);
    const char *secret = xml_text(root, path);
    if (sts_parse_credentials(root, action, &c, &e) == 0) {
        FUZZ_CHECK(nonempty(c.access_key_id) && nonempty(c.secret_access_key) &&
                       nonempty(c.session_token) && c.expiration > 0,
                   "%s: incomplete credentials", action);
        FUZZ_CHECK(strcmp(c.secret_access_key, secret) == 0, "%s: another secret", action);
    } else {
        FUZZ_CHECK(e.kind == ERR_PROTOCOL, "%s: error kind %d", action, (int)e.kind);
        FUZZ_CHECK(!secret || strlen(secret) < 8 || !strstr(e.message, secret),
                   "%s: the error shows the secret: %s", action, e.message);
    }
    aws_credentials_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xml_node *root;
    struct err e;
    if (xml_parse((const char *)data, size, &root, &e) != 0)
        return 0;
    groups(root);
    launch_templates(root);
    template_image(root);
    instances(root);
    sts_credentials(root, "AssumeRole");
    sts_credentials(root, "AssumeRoleWithWebIdentity");
    xml_free(root);
    log_clear_secrets();
    return 0;
}
