/* Auto Scaling and EC2 calls against a real moto_server: every call, with
 * enough objects to cross each batch and page boundary, and the parsed
 * results checked against what the test set up.
 *
 * moto defects these tests live with (aws-facts.md): group instances report
 * the template's default version, not the one they were launched from; all
 * instances land in one zone; most calls on a missing group or instance
 * (SetDesiredCapacity, SetInstanceProtection, SuspendProcesses,
 * TerminateInstanceInAutoScalingGroup, CreateOrUpdateTags) answer HTTP 500
 * with an HTML page instead of a ValidationError. */
#include <stdlib.h>
#include <string.h>

#include "moto.h"
#include "svc/autoscaling.h"
#include "svc/ec2.h"
#include "svc_moto_env.h"
#include "test.h"
#include "util/buf.h"

#define ASG_VERSION "2011-01-01"
#define EC2_VERSION "2016-11-15"
#define AMI_V1 "ami-0aaaaaaaaaaaaaaa1"
#define AMI_V2 "ami-0bbbbbbbbbbbbbbb2"

static int open_env(struct moto_env *e)
{
    struct moto *m = moto_shared();
    if (!m)
        return -1;
    return moto_env_open(e, m, "AKIDMOTOTEST", "moto-test-secret");
}

/* Template "ecsr-lt": version 1 (default) with AMI_V1, version 2 (latest)
 * with AMI_V2. Its id goes to *id (new string). */
static int setup_template(struct moto_env *e, char **id)
{
    struct xml_node *r = moto_query(e, &AWS_SVC_EC2, "CreateLaunchTemplate", EC2_VERSION,
                                    "LaunchTemplateName", "ecsr-lt", "LaunchTemplateData.ImageId",
                                    AMI_V1, "LaunchTemplateData.InstanceType", "t3.micro", NULL);
    if (!r)
        return -1;
    const struct xml_node *lt = xml_child(r, "launchTemplate");
    const struct xml_node *idn = lt ? xml_child(lt, "launchTemplateId") : NULL;
    *id = idn ? strdup(idn->text) : NULL;
    xml_free(r);
    if (!*id) {
        test_fail(__FILE__, __LINE__, "CreateLaunchTemplate answered no id");
        return -1;
    }
    r = moto_query(e, &AWS_SVC_EC2, "CreateLaunchTemplateVersion", EC2_VERSION,
                   "LaunchTemplateName", "ecsr-lt", "LaunchTemplateData.ImageId", AMI_V2,
                   "LaunchTemplateData.InstanceType", "t3.micro", NULL);
    xml_free(r);
    return r ? 0 : -1;
}

/* Group "web" of `desired` instances from ecsr-lt $Latest. */
static int setup_web_group(struct moto_env *e, int desired)
{
    struct xml_node *r = moto_query(
        e, &AWS_SVC_AUTOSCALING, "CreateAutoScalingGroup", ASG_VERSION, "AutoScalingGroupName",
        "web", "LaunchTemplate.LaunchTemplateName", "ecsr-lt", "LaunchTemplate.Version", "$Latest",
        "MinSize", "0", "MaxSize", "100", "DesiredCapacity", moto_fmt("%d", desired),
        "AvailabilityZones.member.1", "us-east-1a", "AvailabilityZones.member.2", "us-east-1b",
        "HealthCheckType", "EC2", "HealthCheckGracePeriod", "77", "TerminationPolicies.member.1",
        "OldestInstance", "TerminationPolicies.member.2", "Default",
        "NewInstancesProtectedFromScaleIn", "true", "CapacityRebalance", "true",
        "Tags.member.1.Key", "Name", "Tags.member.1.Value", "web",
        "Tags.member.1.PropagateAtLaunch", "true", "Tags.member.2.Key", "ecsr:owner",
        "Tags.member.2.Value", "tests", "Tags.member.2.PropagateAtLaunch", "false", NULL);
    xml_free(r);
    return r ? 0 : -1;
}

static int find_instance(const struct asg_group *g, const char *id)
{
    for (size_t i = 0; i < g->n_instances; i++)
        if (strcmp(g->instances[i].instance_id, id) == 0)
            return (int)i;
    return -1;
}

TEST(describe_groups_every_field_across_pages_and_batches)
{
    struct moto_env e;
    if (open_env(&e) < 0)
        return;
    char *lt_id = NULL;
    if (setup_template(&e, &lt_id) < 0 || setup_web_group(&e, 50) < 0)
        goto out;
    struct xml_node *r = moto_query(
        &e, &AWS_SVC_AUTOSCALING, "CreateAutoScalingGroup", ASG_VERSION, "AutoScalingGroupName",
        "mixed", "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateId",
        lt_id, "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.Version",
        "$Default", "MixedInstancesPolicy.LaunchTemplate.Overrides.member.1.InstanceType",
        "t3.small", "MinSize", "0", "MaxSize", "2", "DesiredCapacity", "1",
        "AvailabilityZones.member.1", "us-east-1a", NULL);
    xml_free(r);
    if (!r)
        goto out;
    r = moto_query(&e, &AWS_SVC_AUTOSCALING, "PutWarmPool", ASG_VERSION, "AutoScalingGroupName",
                   "mixed", "MinSize", "1", NULL);
    xml_free(r);
    if (!r)
        goto out;
    /* 105 more groups: 107 in all, more than one page of 100. */
    const char *all_names[107];
    for (int i = 0; i < 105; i++) {
        const char *name = moto_fmt("extra-%03d", i);
        r = moto_query(&e, &AWS_SVC_AUTOSCALING, "CreateAutoScalingGroup", ASG_VERSION,
                       "AutoScalingGroupName", name, "LaunchTemplate.LaunchTemplateName", "ecsr-lt",
                       "MinSize", "0", "MaxSize", "1", "DesiredCapacity", "0",
                       "AvailabilityZones.member.1", "us-east-1a", NULL);
        xml_free(r);
        if (!r)
            goto out;
    }
    static char name_store[107][24];
    for (int i = 0; i < 105; i++) {
        snprintf(name_store[i], sizeof(name_store[i]), "extra-%03d", i);
        all_names[i] = name_store[i];
    }
    all_names[105] = "web";
    all_names[106] = "mixed";

    struct asg_group *groups;
    size_t n;
    struct err err;
    unsigned long before = moto_calls(&e);
    int rc = asg_describe_groups(&e.c, NULL, 0, &groups, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(moto_calls(&e) - before, 2); /* pages of 100 and 7 */
    CHECK_INT(n, 107);
    asg_groups_free(groups, n);

    before = moto_calls(&e);
    rc = asg_describe_groups(&e.c, all_names, 107, &groups, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(moto_calls(&e) - before, 2); /* batches of 100 and 7 names */
    CHECK_INT(n, 107);
    for (size_t i = 0; i < 107; i++) {
        int seen = 0;
        for (size_t j = 0; j < n; j++)
            seen += strcmp(groups[j].name, all_names[i]) == 0;
        CHECK_MSG(seen == 1, "%s described %d times", all_names[i], seen);
    }
    asg_groups_free(groups, n);

    struct asg_group g;
    rc = asg_describe_group(&e.c, "web", &g, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(g.name, "web");
    CHECK_CONTAINS(g.arn, ":autoScalingGroupName/web");
    CHECK_INT(g.min_size, 0);
    CHECK_INT(g.max_size, 100);
    CHECK_INT(g.desired_capacity, 50);
    CHECK_STR(g.launch_template.id, lt_id);
    CHECK_STR(g.launch_template.name, "ecsr-lt");
    CHECK_STR(g.launch_template.version, "$Latest");
    CHECK_INT(g.mixed_instances_policy, 0);
    CHECK(g.launch_configuration == NULL);
    CHECK_INT(g.n_instances, 50);
    for (size_t i = 0; i < g.n_instances; i++) {
        const struct asg_instance *in = &g.instances[i];
        CHECK(strncmp(in->instance_id, "i-", 2) == 0);
        CHECK(strcmp(in->availability_zone, "us-east-1a") == 0 ||
              strcmp(in->availability_zone, "us-east-1b") == 0);
        CHECK_STR(in->lifecycle_state, "InService");
        CHECK_STR(in->health_status, "Healthy");
        CHECK_STR(in->instance_type, "t3.micro");
        CHECK_STR(in->launch_template.id, lt_id);
        CHECK_STR(in->launch_template.name, "ecsr-lt");
        CHECK(in->launch_template.version != NULL); /* moto: the default version */
        CHECK_INT(in->protected_from_scale_in, 1);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(g.instances[j].instance_id, in->instance_id) != 0);
    }
    CHECK_INT(g.n_tags, 2);
    CHECK_STR(asg_group_tag(&g, "Name"), "web");
    CHECK_STR(asg_group_tag(&g, "ecsr:owner"), "tests");
    CHECK_INT(g.termination_policies.n, 2);
    CHECK_STR(g.termination_policies.v[0], "OldestInstance");
    CHECK_STR(g.termination_policies.v[1], "Default");
    CHECK_INT(g.availability_zones.n, 2);
    CHECK_INT(g.new_instances_protected_from_scale_in, 1);
    CHECK_INT(g.capacity_rebalance, 1);
    CHECK_INT(g.health_check_grace_period, 77);
    CHECK_STR(g.health_check_type, "EC2");
    CHECK_INT(g.has_warm_pool, 0);
    CHECK_INT(g.suspended_processes.n, 0);
    asg_group_free(&g);

    rc = asg_describe_group(&e.c, "mixed", &g, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(g.mixed_instances_policy, 1);
    CHECK_STR(g.launch_template.id, lt_id);
    CHECK_STR(g.launch_template.version, "$Default");
    CHECK_INT(g.has_warm_pool, 1);
    CHECK_INT(g.desired_capacity, 1);
    asg_group_free(&g);

    rc = asg_describe_group(&e.c, "nope", &g, &err);
    CHECK_INT(rc, -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "Auto Scaling group nope not found in us-east-1");
out:
    free(lt_id);
    moto_env_close(&e);
}

TEST(group_changes_take_effect)
{
    struct moto_env e;
    if (open_env(&e) < 0)
        return;
    char *lt_id = NULL;
    struct asg_group g = {0};
    struct err err;
    if (setup_template(&e, &lt_id) < 0 || setup_web_group(&e, 50) < 0)
        goto out;

    CHECK_INT(asg_set_desired_capacity(&e.c, "web", 55, &err), 0);
    struct asg_size_update sizes = {1, 120, -1};
    CHECK_INT(asg_update_group_size(&e.c, "web", &sizes, &err), 0);
    CHECK_INT(asg_describe_group(&e.c, "web", &g, &err), 0);
    CHECK_INT(g.desired_capacity, 55);
    CHECK_INT(g.min_size, 1);
    CHECK_INT(g.max_size, 120);
    CHECK_INT(g.n_instances, 55);

    /* Protection off for all 55: calls of 50 and 5. */
    const char *ids[55];
    for (size_t i = 0; i < 55; i++)
        ids[i] = g.instances[i].instance_id;
    unsigned long before = moto_calls(&e);
    CHECK_INT(asg_set_instance_protection(&e.c, "web", ids, 55, 0, &err), 0);
    CHECK_INT(moto_calls(&e) - before, 2);
    struct asg_group after;
    CHECK_INT(asg_describe_group(&e.c, "web", &after, &err), 0);
    for (size_t i = 0; i < after.n_instances; i++)
        CHECK_MSG(!after.instances[i].protected_from_scale_in, "%s still protected",
                  after.instances[i].instance_id);
    asg_group_free(&after);

    /* Detach 45: calls of 20, 20 and 5. */
    before = moto_calls(&e);
    CHECK_INT(asg_detach_instances(&e.c, "web", ids, 45, 1, &err), 0);
    CHECK_INT(moto_calls(&e) - before, 3);
    CHECK_INT(asg_describe_group(&e.c, "web", &after, &err), 0);
    CHECK_INT(after.desired_capacity, 10);
    CHECK_INT(after.n_instances, 10);
    for (size_t i = 0; i < 45; i++)
        CHECK_MSG(find_instance(&after, ids[i]) < 0, "%s still in the group", ids[i]);
    for (size_t i = 45; i < 55; i++)
        CHECK_MSG(find_instance(&after, ids[i]) >= 0, "%s left the group", ids[i]);
    asg_group_free(&after);

    /* Terminate one, lowering the desired capacity. */
    CHECK_INT(asg_terminate_instance(&e.c, ids[50], 1, &err), 0);
    CHECK_INT(asg_describe_group(&e.c, "web", &after, &err), 0);
    CHECK_INT(after.desired_capacity, 9);
    CHECK(find_instance(&after, ids[50]) < 0);
    asg_group_free(&after);

    const char *procs[] = {"AZRebalance", "Launch", "ReplaceUnhealthy"};
    CHECK_INT(asg_suspend_processes(&e.c, "web", procs, 3, &err), 0);
    CHECK_INT(asg_resume_processes(&e.c, "web", procs + 1, 1, &err), 0);
    CHECK_INT(asg_describe_group(&e.c, "web", &after, &err), 0);
    CHECK_INT(after.suspended_processes.n, 2);
    CHECK(strv_contains(&after.suspended_processes, "AZRebalance"));
    CHECK(strv_contains(&after.suspended_processes, "ReplaceUnhealthy"));
    CHECK(!strv_contains(&after.suspended_processes, "Launch"));
    asg_group_free(&after);

    struct asg_tag tags[] = {{"ecsr:state", "draining 3/10 & more", 0}, {"Name", "web-2", 1}};
    CHECK_INT(asg_put_tags(&e.c, "web", tags, 2, &err), 0);
    CHECK_INT(asg_describe_group(&e.c, "web", &after, &err), 0);
    CHECK_STR(asg_group_tag(&after, "ecsr:state"), "draining 3/10 & more");
    CHECK_STR(asg_group_tag(&after, "Name"), "web-2");
    CHECK_STR(asg_group_tag(&after, "ecsr:owner"), "tests");
    asg_group_free(&after);
    /* DescribeTags of chosen keys: one small call with the group's values. */
    const char *wanted[] = {"ecsr:state", "ecsr:none"};
    struct asg_tag *got;
    size_t n_got;
    before = moto_calls(&e);
    CHECK_INT(asg_describe_group_tags(&e.c, "web", wanted, 2, &got, &n_got, &err), 0);
    CHECK_INT(moto_calls(&e) - before, 1);
    CHECK_INT(n_got, 1);
    if (n_got == 1) {
        CHECK_STR(got[0].key, "ecsr:state");
        CHECK_STR(got[0].value, "draining 3/10 & more");
    }
    asg_tags_free(got, n_got);
    CHECK_INT(asg_describe_group_tags(&e.c, "web", NULL, 0, &got, &n_got, &err), 0);
    CHECK_INT(n_got, 3); /* Name, ecsr:state, ecsr:owner */
    asg_tags_free(got, n_got);
    CHECK_INT(asg_describe_group_tags(&e.c, "nope", wanted, 2, &got, &n_got, &err), 0);
    CHECK_INT(n_got, 0);
    asg_tags_free(got, n_got);
    const char *keys[] = {"ecsr:state", "ecsr:owner"};
    CHECK_INT(asg_delete_tags(&e.c, "web", keys, 2, &err), 0);
    CHECK_INT(asg_describe_group(&e.c, "web", &after, &err), 0);
    CHECK_INT(after.n_tags, 1);
    CHECK_STR(after.tags[0].key, "Name");
    asg_group_free(&after);

    /* A service error comes through with AWS's code and message. */
    struct asg_size_update bigger = {-1, 3, -1};
    CHECK_INT(asg_update_group_size(&e.c, "nope", &bigger, &err), -1);
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "ValidationError");
    CHECK_CONTAINS(err.message, "UpdateAutoScalingGroup: AutoScalingGroup name not found");
out:
    asg_group_free(&g);
    free(lt_id);
    moto_env_close(&e);
}

TEST(launch_templates_and_instances)
{
    struct moto_env e;
    if (open_env(&e) < 0)
        return;
    char *lt_id = NULL;
    struct asg_group g = {0};
    struct err err;
    if (setup_template(&e, &lt_id) < 0 || setup_web_group(&e, 50) < 0)
        goto out;

    struct ec2_launch_template t;
    CHECK_INT(ec2_describe_launch_template(&e.c, NULL, "ecsr-lt", &t, &err), 0);
    CHECK_STR(t.id, lt_id);
    CHECK_STR(t.name, "ecsr-lt");
    CHECK_INT(t.latest_version, 2);
    CHECK_INT(t.default_version, 1);
    ec2_launch_template_free(&t);
    CHECK_INT(ec2_describe_launch_template(&e.c, lt_id, NULL, &t, &err), 0);
    CHECK_STR(t.name, "ecsr-lt");
    ec2_launch_template_free(&t);
    CHECK_INT(ec2_describe_launch_template(&e.c, NULL, "no-such-template", &t, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "launch template no-such-template not found in us-east-1");

    static const struct {
        const char *version, *image;
    } versions[] = {{"$Latest", AMI_V2}, {"$Default", AMI_V1}, {"1", AMI_V1}, {"2", AMI_V2}};
    for (size_t i = 0; i < 4; i++) {
        char *image = NULL;
        int rc = ec2_launch_template_image(&e.c, i % 2 ? lt_id : NULL, i % 2 ? NULL : "ecsr-lt",
                                           versions[i].version, &image, &err);
        CHECK_MSG(rc == 0, "%s: %s", versions[i].version, err.message);
        CHECK_STR(image, versions[i].image);
        free(image);
    }

    CHECK_INT(asg_describe_group(&e.c, "web", &g, &err), 0);
    CHECK_INT(g.n_instances, 50);
    /* 50 known ids among 60 unknown ones: two batches, each refused by id
     * (InvalidInstanceID.NotFound) and answered by filter. */
    const char *ids[110];
    char unknown[60][24];
    for (size_t i = 0; i < 110; i++) {
        if (i % 2 == 0 && i / 2 < 50) {
            ids[i] = g.instances[i / 2].instance_id;
        } else {
            size_t u = i < 100 ? i / 2 : 50 + (i - 100);
            snprintf(unknown[u], sizeof(unknown[u]), "i-0ffff%012zx", u);
            ids[i] = unknown[u];
        }
    }
    struct ec2_instance *v;
    size_t n;
    unsigned long before = moto_calls(&e);
    int rc = ec2_describe_instances(&e.c, ids, 110, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(moto_calls(&e) - before, 4);
    CHECK_INT(n, 50);
    for (size_t i = 0; i < n; i++) {
        int k = find_instance(&g, v[i].instance_id);
        CHECK_MSG(k >= 0, "%s is not in the group", v[i].instance_id);
        CHECK_STR(v[i].image_id, AMI_V2); /* launched from $Latest */
        CHECK_STR(v[i].state, "running");
        CHECK_STR(v[i].availability_zone, g.instances[k].availability_zone);
    }
    ec2_instances_free(v, n);

    /* Known ids only: one call. A terminated instance is still described. */
    CHECK_INT(asg_terminate_instance(&e.c, g.instances[0].instance_id, 1, &err), 0);
    const char *two[] = {g.instances[0].instance_id, g.instances[1].instance_id};
    before = moto_calls(&e);
    CHECK_INT(ec2_describe_instances(&e.c, two, 2, &v, &n, &err), 0);
    CHECK_INT(moto_calls(&e) - before, 1);
    CHECK_INT(n, 2);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(v[i].state, strcmp(v[i].instance_id, two[0]) == 0 ? "terminated" : "running");
    ec2_instances_free(v, n);
out:
    asg_group_free(&g);
    free(lt_id);
    moto_env_close(&e);
}
