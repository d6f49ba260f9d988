/* Auto Scaling response parsing, from fixtures captured from moto_server and
 * fixtures shaped after the AWS API reference. */
#include <stdlib.h>
#include <string.h>

#include "svc/autoscaling.h"
#include "svc_fixture.h"
#include "test.h"

struct parsed {
    struct asg_group *groups;
    size_t n;
    char *token;
};

static void parsed_free(struct parsed *p)
{
    asg_groups_free(p->groups, p->n);
    free(p->token);
    memset(p, 0, sizeof(*p));
}

static int parse_fixture(const char *name, struct parsed *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct xml_node *root = svc_fixture_xml(name);
    if (!root)
        return -2;
    int rc = asg_parse_describe_groups(root, &out->groups, &out->n, &out->token, err);
    xml_free(root);
    return rc;
}

static const struct asg_group *find_group(const struct parsed *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->groups[i].name, name) == 0)
            return &p->groups[i];
    return NULL;
}

TEST(moto_groups_every_field)
{
    struct parsed p;
    struct err err;
    CHECK_INT(parse_fixture("moto-asg-describe-groups.xml", &p, &err), 0);
    CHECK_INT(p.n, 2);
    CHECK(p.token == NULL);

    const struct asg_group *g = find_group(&p, "web-asg");
    CHECK(g != NULL);
    CHECK_CONTAINS(g->arn, ":autoScalingGroupName/web-asg");
    CHECK(g->status == NULL);
    CHECK_INT(g->min_size, 0);
    CHECK_INT(g->max_size, 10);
    CHECK_INT(g->desired_capacity, 3);
    CHECK(g->launch_configuration == NULL);
    CHECK_STR(g->launch_template.id, "lt-ee830ed7d9071fa99");
    CHECK_STR(g->launch_template.name, "web");
    CHECK_STR(g->launch_template.version, "$Latest");
    CHECK_INT(g->mixed_instances_policy, 0);
    CHECK_INT(g->n_launch_sources, 1);
    CHECK_INT(g->has_warm_pool, 0);
    CHECK_INT(g->n_instances, 3);
    const struct asg_instance *in = &g->instances[0];
    CHECK_STR(in->instance_id, "i-df9cf7114300f2ff7");
    CHECK_STR(in->availability_zone, "us-east-1a");
    CHECK_STR(in->lifecycle_state, "InService");
    CHECK_STR(in->health_status, "Healthy");
    CHECK_STR(in->instance_type, "t3.micro");
    CHECK(in->launch_configuration == NULL);
    CHECK_STR(in->launch_template.id, "lt-ee830ed7d9071fa99");
    CHECK_STR(in->launch_template.name, "web");
    /* moto reports the template's default version, not the launch-time one. */
    CHECK_STR(in->launch_template.version, "1");
    CHECK_INT(in->protected_from_scale_in, 1);
    CHECK_STR(g->instances[2].instance_id, "i-16535bb9a6efab591");
    CHECK_INT(g->n_tags, 2);
    CHECK_STR(g->tags[0].key, "Name");
    CHECK_STR(g->tags[0].value, "web");
    CHECK_INT(g->tags[0].propagate_at_launch, 1);
    CHECK_INT(g->tags[1].propagate_at_launch, 0);
    CHECK_STR(asg_group_tag(g, "team"), "infra");
    CHECK(asg_group_tag(g, "absent") == NULL);
    CHECK_INT(g->suspended_processes.n, 2);
    CHECK_STR(g->suspended_processes.v[0], "AZRebalance");
    CHECK_STR(g->suspended_processes.v[1], "ReplaceUnhealthy");
    CHECK_INT(g->termination_policies.n, 2);
    CHECK_STR(g->termination_policies.v[0], "OldestInstance");
    CHECK_STR(g->termination_policies.v[1], "Default");
    CHECK_INT(g->availability_zones.n, 2);
    CHECK_STR(g->availability_zones.v[1], "us-east-1b");
    CHECK_INT(g->new_instances_protected_from_scale_in, 1);
    CHECK_INT(g->capacity_rebalance, 1);
    CHECK_INT(g->health_check_grace_period, 120);
    CHECK_STR(g->health_check_type, "EC2");

    g = find_group(&p, "mixed-asg");
    CHECK(g != NULL);
    CHECK_INT(g->mixed_instances_policy, 1);
    CHECK_INT(g->n_launch_sources, 1);
    CHECK_STR(g->launch_template.id, "lt-ee830ed7d9071fa99");
    CHECK_STR(g->launch_template.name, "web");
    CHECK_STR(g->launch_template.version, "$Default");
    CHECK_INT(g->has_warm_pool, 1);
    CHECK_INT(g->n_instances, 1);
    CHECK_INT(g->instances[0].protected_from_scale_in, 0);
    CHECK_INT(g->n_tags, 0);
    CHECK(g->tags == NULL);
    CHECK_INT(g->suspended_processes.n, 0);
    CHECK_INT(g->capacity_rebalance, 0);
    CHECK_INT(g->health_check_grace_period, 300);
    parsed_free(&p);
}

TEST(moto_page_has_next_token)
{
    struct parsed p;
    struct err err;
    CHECK_INT(parse_fixture("moto-asg-describe-groups-page1.xml", &p, &err), 0);
    CHECK_INT(p.n, 1);
    CHECK_STR(p.token, "web-asg");
    parsed_free(&p);
}

TEST(empty_list_is_no_group)
{
    struct parsed p;
    struct err err;
    CHECK_INT(parse_fixture("moto-asg-describe-groups-empty.xml", &p, &err), 0);
    CHECK_INT(p.n, 0);
    CHECK(p.groups == NULL);
    CHECK(p.token == NULL);
    parsed_free(&p);
}

TEST(aws_launch_configuration_and_odd_states)
{
    struct parsed p;
    struct err err;
    CHECK_INT(parse_fixture("aws-asg-describe-groups.xml", &p, &err), 0);
    CHECK_INT(p.n, 3);
    CHECK_STR(p.token, "eyJ2IjoxLCJjIjoibWl4ZWQtbGF0ZXN0In0=");

    const struct asg_group *g = find_group(&p, "legacy-lc");
    CHECK(g != NULL);
    CHECK_STR(g->status, "Delete in progress");
    CHECK_STR(g->launch_configuration, "legacy-lc-20240101");
    CHECK(g->launch_template.id == NULL && g->launch_template.name == NULL &&
          g->launch_template.version == NULL);
    CHECK_INT(g->availability_zones.n, 3);
    CHECK_STR(g->health_check_type, "ELB");
    CHECK_INT(g->n_instances, 2);
    CHECK_STR(g->instances[0].lifecycle_state, "Terminating:Wait");
    CHECK_STR(g->instances[0].health_status, "Unhealthy");
    CHECK_STR(g->instances[0].launch_configuration, "legacy-lc-20240101");
    CHECK(g->instances[0].launch_template.version == NULL);
    CHECK_STR(g->instances[1].lifecycle_state, "Standby");
    CHECK(g->instances[1].instance_type == NULL);
    CHECK_INT(g->instances[1].protected_from_scale_in, 1);
    CHECK_INT(g->instances[1].weighted_capacity, 0);
    CHECK_INT(g->n_overrides, 0);
    CHECK(g->desired_capacity_type == NULL);
    /* A tag whose value is empty: AWS leaves <Value> out. */
    CHECK_STR(asg_group_tag(g, "empty-value"), "");
    CHECK_STR(asg_group_tag(g, "ecs-rollout:original-desired"), "2");
    CHECK_INT(g->suspended_processes.n, 0);
    CHECK_INT(g->termination_policies.n, 1);

    g = find_group(&p, "minimal");
    CHECK(g != NULL);
    CHECK(g->arn == NULL);
    CHECK(g->launch_template.id == NULL);
    CHECK_STR(g->launch_template.name, "minimal-lt");
    CHECK_STR(g->launch_template.version, "$Default");
    CHECK_INT(g->n_instances, 0);
    CHECK(g->instances == NULL);
    CHECK_INT(g->availability_zones.n, 0);
    CHECK_INT(g->health_check_grace_period, 0);
    CHECK_INT(g->termination_policies.n, 0);

    g = find_group(&p, "mixed-latest");
    CHECK(g != NULL);
    CHECK_INT(g->mixed_instances_policy, 1);
    /* The policy's template, not an override's. */
    CHECK_STR(g->launch_template.id, "lt-0123456789abcdef0");
    CHECK_STR(g->launch_template.name, "ecs-nodes");
    CHECK_STR(g->launch_template.version, "$Latest");
    CHECK_INT(g->has_warm_pool, 1);
    CHECK_INT(g->capacity_rebalance, 1);
    CHECK_STR(g->instances[0].lifecycle_state, "Warmed:Stopped");
    CHECK_STR(g->instances[0].launch_template.id, "lt-0fedcba9876543210");
    CHECK_STR(g->instances[0].launch_template.version, "4");
    CHECK_INT(g->instances[0].weighted_capacity, 2);
    CHECK_STR(g->desired_capacity_type, "units");
    CHECK_INT(g->n_overrides, 3);
    CHECK_STR(g->overrides[0].instance_type, "m5.large");
    CHECK_INT(g->overrides[0].weighted_capacity, 0);
    CHECK(g->overrides[0].launch_template.id == NULL &&
          g->overrides[0].launch_template.name == NULL);
    CHECK_INT(g->overrides[0].has_instance_requirements, 0);
    CHECK_STR(g->overrides[1].instance_type, "m6g.large");
    CHECK_INT(g->overrides[1].weighted_capacity, 2);
    CHECK_STR(g->overrides[1].launch_template.id, "lt-0fedcba9876543210");
    CHECK(g->overrides[1].launch_template.name == NULL);
    CHECK_STR(g->overrides[1].launch_template.version, "4");
    CHECK(g->overrides[2].instance_type == NULL);
    CHECK_INT(g->overrides[2].has_instance_requirements, 1);
    CHECK_STR(g->overrides[2].launch_template.name, "ecs-nodes-any");
    CHECK_STR(g->overrides[2].launch_template.version, "$Default");
    CHECK_INT(g->suspended_processes.n, 1);
    CHECK_STR(g->suspended_processes.v[0], "Launch");
    parsed_free(&p);
}

TEST(pages_append)
{
    struct asg_group *groups = NULL;
    size_t n = 0;
    char *token = NULL;
    struct err err;
    struct xml_node *a = svc_fixture_xml("moto-asg-describe-groups-page1.xml");
    struct xml_node *b = svc_fixture_xml("moto-asg-describe-groups.xml");
    CHECK(a && b);
    CHECK_INT(asg_parse_describe_groups(a, &groups, &n, &token, &err), 0);
    CHECK_STR(token, "web-asg");
    free(token);
    CHECK_INT(asg_parse_describe_groups(b, &groups, &n, &token, &err), 0);
    CHECK(token == NULL);
    CHECK_INT(n, 3);
    CHECK_STR(groups[0].name, "web-asg");
    CHECK_STR(groups[1].name, "web-asg");
    CHECK_STR(groups[2].name, "mixed-asg");
    asg_groups_free(groups, n);
    xml_free(a);
    xml_free(b);
}

/* A response built from a fragment of one group. */
static int parse_group_xml(const char *group_xml, struct parsed *out, struct err *err)
{
    char doc[4096];
    snprintf(doc, sizeof(doc),
             "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
             "<AutoScalingGroups><member>%s</member></AutoScalingGroups>"
             "</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>",
             group_xml);
    struct xml_node *root;
    if (xml_parse(doc, strlen(doc), &root, err) < 0)
        return -2;
    memset(out, 0, sizeof(*out));
    int rc = asg_parse_describe_groups(root, &out->groups, &out->n, &out->token, err);
    xml_free(root);
    return rc;
}

#define GOOD_SIZES "<MinSize>1</MinSize><MaxSize>2</MaxSize><DesiredCapacity>1</DesiredCapacity>"
#define GOOD_REST "<AvailabilityZones/><HealthCheckType>EC2</HealthCheckType>"

TEST(malformed_fields_are_protocol_errors_naming_the_field)
{
    static const struct {
        const char *xml;
        const char *expect; /* in the message */
    } cases[] = {
        {"<AutoScalingGroupName>g</AutoScalingGroupName><MinSize>abc</MinSize>"
         "<MaxSize>2</MaxSize><DesiredCapacity>1</DesiredCapacity>" GOOD_REST,
         "AutoScalingGroups[g].MinSize \"abc\" is not an integer"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName><MaxSize>2</MaxSize>"
         "<DesiredCapacity>1</DesiredCapacity>" GOOD_REST,
         "AutoScalingGroups[g].MinSize is missing"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName><MinSize>99999999999</MinSize>"
         "<MaxSize>2</MaxSize><DesiredCapacity>1</DesiredCapacity>" GOOD_REST,
         "MinSize 99999999999 is out of range"},
        {"<AutoScalingGroupName></AutoScalingGroupName>" GOOD_SIZES GOOD_REST,
         "AutoScalingGroups[0].AutoScalingGroupName is empty"},
        {GOOD_SIZES GOOD_REST, "AutoScalingGroups[0].AutoScalingGroupName is missing"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName>" GOOD_SIZES GOOD_REST
         "<CapacityRebalance>yes</CapacityRebalance>",
         "CapacityRebalance \"yes\" is not a boolean"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName>" GOOD_SIZES GOOD_REST
         "<Instances><member><InstanceId>i-1</InstanceId><AvailabilityZone>a</AvailabilityZone>"
         "<LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus>"
         "</member></Instances>",
         "AutoScalingGroups[g].Instances[0].ProtectedFromScaleIn is missing"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName>" GOOD_SIZES GOOD_REST
         "<Instances><member><AvailabilityZone>a</AvailabilityZone></member></Instances>",
         "Instances[0].InstanceId is missing"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName>" GOOD_SIZES GOOD_REST
         "<LaunchTemplate><Version><x/></Version></LaunchTemplate>",
         "LaunchTemplate.Version is an element with children"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName>" GOOD_SIZES GOOD_REST
         "<Tags><member><Value>v</Value></member></Tags>",
         "Tags[0].Key is missing"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName>" GOOD_SIZES
         "<HealthCheckType>EC2</HealthCheckType>",
         "AvailabilityZones is missing"},
        {"<AutoScalingGroupName>g</AutoScalingGroupName>" GOOD_SIZES GOOD_REST
         "<TerminationPolicies><member><a/></member></TerminationPolicies>",
         "TerminationPolicies[0] is an element with children"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct parsed p;
        struct err err;
        err_clear(&err);
        int rc = parse_group_xml(cases[i].xml, &p, &err);
        CHECK_MSG(rc == -1, "case %zu: rc %d", i, rc);
        CHECK_INT(err.kind, ERR_PROTOCOL);
        CHECK_CONTAINS(err.message, "DescribeAutoScalingGroups: malformed response: ");
        CHECK_CONTAINS(err.message, cases[i].expect);
        CHECK(p.groups == NULL && p.n == 0 && p.token == NULL);
    }
}

TEST(values_with_surrounding_whitespace_are_accepted)
{
    struct parsed p;
    struct err err;
    CHECK_INT(parse_group_xml("<AutoScalingGroupName>g</AutoScalingGroupName>"
                              "<MinSize> 1 </MinSize><MaxSize>\n2\n</MaxSize>"
                              "<DesiredCapacity>1</DesiredCapacity>" GOOD_REST
                              "<CapacityRebalance> true </CapacityRebalance>",
                              &p, &err),
              0);
    CHECK_INT(p.groups[0].min_size, 1);
    CHECK_INT(p.groups[0].max_size, 2);
    CHECK_INT(p.groups[0].capacity_rebalance, 1);
    parsed_free(&p);
}

TEST(missing_result_element)
{
    struct parsed p = {0};
    struct err err;
    struct xml_node *root;
    const char *doc = "<DescribeAutoScalingGroupsResponse><ResponseMetadata/>"
                      "</DescribeAutoScalingGroupsResponse>";
    CHECK_INT(xml_parse(doc, strlen(doc), &root, &err), 0);
    CHECK_INT(asg_parse_describe_groups(root, &p.groups, &p.n, &p.token, &err), -1);
    xml_free(root);
    CHECK_INT(err.kind, ERR_PROTOCOL);
    CHECK_STR(err.message, "DescribeAutoScalingGroups: malformed response: "
                           "DescribeAutoScalingGroupsResult is missing");
    CHECK_INT(asg_parse_describe_groups(NULL, &p.groups, &p.n, &p.token, &err), -1);
    CHECK_INT(err.kind, ERR_PROTOCOL);
}

static int parse_and_free(const struct xml_node *root, struct err *err)
{
    struct parsed p = {0};
    int rc = asg_parse_describe_groups(root, &p.groups, &p.n, &p.token, err);
    if (rc < 0 && (p.groups || p.n || p.token))
        return -3; /* outputs must be untouched on error */
    parsed_free(&p);
    return rc;
}

TEST(every_element_removed_or_garbled_is_handled)
{
    const char *fixtures[] = {"moto-asg-describe-groups.xml", "aws-asg-describe-groups.xml",
                              "moto-asg-describe-groups-page1.xml"};
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        long tried = svc_sweep_xml(fixtures[i], "DescribeAutoScalingGroups", parse_and_free);
        CHECK_MSG(tried > 100, "%s: %ld variants", fixtures[i], tried);
        /* Both outcomes occur: optional fields may go, required ones may not. */
        CHECK_MSG(svc_sweep_rejected > 10 && svc_sweep_rejected < tried,
                  "%s: %ld of %ld variants rejected", fixtures[i], svc_sweep_rejected, tried);
    }
}
