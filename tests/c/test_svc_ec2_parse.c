/* EC2 response parsing, from fixtures captured from moto_server and fixtures
 * shaped after the AWS API reference. */
#include <stdlib.h>
#include <string.h>

#include "svc/ec2.h"
#include "svc_fixture.h"
#include "test.h"

TEST(launch_templates)
{
    struct xml_node *root = svc_fixture_xml("moto-ec2-describe-launch-templates.xml");
    CHECK(root);
    struct ec2_launch_template *v;
    size_t n;
    struct err err;
    CHECK_INT(ec2_parse_launch_templates(root, &v, &n, &err), 0);
    xml_free(root);
    CHECK_INT(n, 1);
    CHECK_STR(v[0].id, "lt-ee830ed7d9071fa99");
    CHECK_STR(v[0].name, "web");
    CHECK_INT(v[0].latest_version, 2);
    CHECK_INT(v[0].default_version, 1);
    ec2_launch_template_free(&v[0]);
    free(v);
}

TEST(launch_template_version_image)
{
    struct xml_node *root = svc_fixture_xml("moto-ec2-describe-launch-template-versions.xml");
    CHECK(root);
    char *image;
    int found;
    struct err err;
    CHECK_INT(ec2_parse_launch_template_image(root, &image, &found, &err), 0);
    xml_free(root);
    CHECK_INT(found, 1);
    CHECK_STR(image, "ami-12c6146b");
    free(image);

    root = svc_fixture_xml("aws-ec2-describe-launch-template-versions-no-image.xml");
    CHECK(root);
    CHECK_INT(ec2_parse_launch_template_image(root, &image, &found, &err), 0);
    xml_free(root);
    CHECK_INT(found, 1);
    CHECK(image == NULL);

    root = svc_fixture_xml("aws-ec2-describe-launch-template-versions-empty.xml");
    CHECK(root);
    CHECK_INT(ec2_parse_launch_template_image(root, &image, &found, &err), 0);
    xml_free(root);
    CHECK_INT(found, 0);
    CHECK(image == NULL);
}

TEST(instances_across_reservations)
{
    struct xml_node *root = svc_fixture_xml("moto-ec2-describe-instances.xml");
    CHECK(root);
    struct ec2_instance *v = NULL;
    size_t n = 0;
    char *token;
    struct err err;
    CHECK_INT(ec2_parse_instances(root, &v, &n, &token, &err), 0);
    xml_free(root);
    CHECK(token == NULL);
    CHECK_INT(n, 2);
    CHECK_STR(v[0].instance_id, "i-df9cf7114300f2ff7");
    CHECK_STR(v[0].image_id, "ami-12c6146b");
    CHECK_STR(v[0].state, "running");
    CHECK_STR(v[0].availability_zone, "us-east-1a");
    CHECK_INT(v[0].launch_time, 1795620660LL); /* 2026-11-25T15:31:00.000Z */
    CHECK_STR(v[1].instance_id, "i-7ac7d477fce6e869c");

    root = svc_fixture_xml("aws-ec2-describe-instances.xml");
    CHECK(root);
    CHECK_INT(ec2_parse_instances(root, &v, &n, &token, &err), 0);
    xml_free(root);
    CHECK_STR(token, "AAEAAQ-page-2");
    free(token);
    CHECK_INT(n, 5);
    CHECK_STR(v[2].instance_id, "i-1234567890abcdef0");
    CHECK_STR(v[2].image_id, "ami-0abcdef1234567890");
    CHECK_STR(v[2].availability_zone, "us-east-2a");
    CHECK_INT(v[2].launch_time, 1714557607LL); /* 2024-05-01T10:00:07.000Z */
    CHECK_INT(v[3].launch_time, 0);
    CHECK_STR(v[3].state, "shutting-down");
    CHECK_STR(v[3].availability_zone, "us-east-2b");
    CHECK_STR(v[4].instance_id, "i-1234567890abcdef2");
    CHECK_STR(v[4].state, "terminated");
    CHECK(v[4].image_id == NULL);
    CHECK(v[4].availability_zone == NULL);
    ec2_instances_free(v, n);
}

TEST(malformed_ec2_responses)
{
    static const struct {
        const char *xml;
        const char *expect;
    } cases[] = {
        {"<DescribeInstancesResponse/>",
         "DescribeInstances: malformed response: reservationSet is missing"},
        {"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
         "<imageId>ami-1</imageId><instanceState><name>running</name></instanceState>"
         "</item></instancesSet></item></reservationSet></DescribeInstancesResponse>",
         "reservationSet[0].instancesSet[0].instanceId is missing"},
        {"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
         "<instanceId>i-1</instanceId></item></instancesSet></item></reservationSet>"
         "</DescribeInstancesResponse>",
         "reservationSet[0].instancesSet[0].instanceState is missing"},
        {"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
         "<instanceId>i-1</instanceId><instanceState><code>16</code></instanceState></item>"
         "</instancesSet></item></reservationSet></DescribeInstancesResponse>",
         "reservationSet[0].instancesSet[0].instanceState.name is missing"},
        {"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
         "<instanceId>i-1</instanceId><launchTime>yesterday</launchTime>"
         "<instanceState><name>running</name></instanceState></item>"
         "</instancesSet></item></reservationSet></DescribeInstancesResponse>",
         "reservationSet[0].instancesSet[0].launchTime is not a time"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xml_node *root;
        struct err err;
        CHECK_INT(xml_parse(cases[i].xml, strlen(cases[i].xml), &root, &err), 0);
        struct ec2_instance *v = NULL;
        size_t n = 0;
        char *token = NULL;
        int rc = ec2_parse_instances(root, &v, &n, &token, &err);
        xml_free(root);
        CHECK_MSG(rc == -1, "case %zu: rc %d", i, rc);
        CHECK_INT(err.kind, ERR_PROTOCOL);
        CHECK_CONTAINS(err.message, cases[i].expect);
        CHECK(v == NULL && n == 0 && token == NULL);
    }

    const char *doc = "<DescribeLaunchTemplatesResponse><launchTemplates><item>"
                      "<launchTemplateId>lt-1</launchTemplateId>"
                      "<launchTemplateName>x</launchTemplateName>"
                      "<latestVersionNumber>two</latestVersionNumber>"
                      "<defaultVersionNumber>1</defaultVersionNumber>"
                      "</item></launchTemplates></DescribeLaunchTemplatesResponse>";
    struct xml_node *root;
    struct err err;
    CHECK_INT(xml_parse(doc, strlen(doc), &root, &err), 0);
    struct ec2_launch_template *t;
    size_t n;
    CHECK_INT(ec2_parse_launch_templates(root, &t, &n, &err), -1);
    xml_free(root);
    CHECK_STR(err.message, "DescribeLaunchTemplates: malformed response: "
                           "launchTemplates[0].latestVersionNumber \"two\" is not an integer");
}

static int sweep_templates(const struct xml_node *root, struct err *err)
{
    struct ec2_launch_template *v = NULL;
    size_t n = 0;
    int rc = ec2_parse_launch_templates(root, &v, &n, err);
    for (size_t i = 0; i < n; i++)
        ec2_launch_template_free(&v[i]);
    free(v);
    return rc;
}

static int sweep_image(const struct xml_node *root, struct err *err)
{
    char *image = NULL;
    int found;
    int rc = ec2_parse_launch_template_image(root, &image, &found, err);
    free(image);
    return rc;
}

static int sweep_instances(const struct xml_node *root, struct err *err)
{
    struct ec2_instance *v = NULL;
    size_t n = 0;
    char *token = NULL;
    int rc = ec2_parse_instances(root, &v, &n, &token, err);
    int touched = v || n || token;
    ec2_instances_free(v, n);
    free(token);
    return rc < 0 && touched ? -3 : rc;
}

TEST(every_element_removed_or_garbled_is_handled)
{
    static const struct {
        const char *fixture;
        const char *call;
        svc_xml_parse_fn fn;
    } sweeps[] = {
        {"moto-ec2-describe-launch-templates.xml", "DescribeLaunchTemplates", sweep_templates},
        {"moto-ec2-describe-launch-template-versions.xml", "DescribeLaunchTemplateVersions",
         sweep_image},
        {"moto-ec2-describe-instances.xml", "DescribeInstances", sweep_instances},
        {"aws-ec2-describe-instances.xml", "DescribeInstances", sweep_instances},
    };
    for (size_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
        long tried = svc_sweep_xml(sweeps[i].fixture, sweeps[i].call, sweeps[i].fn);
        CHECK_MSG(tried > 10, "%s: %ld variants", sweeps[i].fixture, tried);
        CHECK_MSG(svc_sweep_rejected > 0 && svc_sweep_rejected < tried,
                  "%s: %ld of %ld variants rejected", sweeps[i].fixture, svc_sweep_rejected, tried);
    }
}
