/* rollout/current.c: resolving a group's launch specification (mixed
 * instances overrides with their own templates, $Latest/$Default) and
 * judging instances against it. */
#include <stdlib.h>
#include <string.h>

#include "rollout/current.h"
#include "test.h"

static const struct ec2_launch_template LTS[] = {
    {"lt-x86", "nodes-x86", 7, 5},
    {"lt-arm", "nodes-arm", 4, 3},
    {"lt-any", "nodes-any", 2, 2},
};
#define N_LTS (sizeof(LTS) / sizeof(LTS[0]))

static struct asg_template_ref ref(const char *id, const char *name, const char *version)
{
    struct asg_template_ref r = {(char *)id, (char *)name, (char *)version};
    return r;
}

/* x86 and Graviton: the policy's template for m5, its own for m6g. */
static void mixed_group(struct asg_group *g, struct asg_override *o)
{
    memset(g, 0, sizeof(*g));
    memset(o, 0, 3 * sizeof(*o));
    g->name = (char *)"web";
    g->mixed_instances_policy = 1;
    g->launch_template = ref("lt-x86", NULL, "$Latest");
    o[0].instance_type = (char *)"m5.large";
    o[1].instance_type = (char *)"m6g.large";
    o[1].launch_template = ref(NULL, "nodes-arm", "$Default");
    g->overrides = o;
    g->n_overrides = 2;
}

static struct asg_instance inst(const char *type, const char *lt_id, const char *version)
{
    struct asg_instance in;
    memset(&in, 0, sizeof(in));
    in.instance_id = (char *)"i-1";
    in.instance_type = (char *)type;
    in.launch_template = ref(lt_id, NULL, version);
    return in;
}

TEST(override_templates_are_current_for_their_type)
{
    struct asg_group g;
    struct asg_override o[3];
    mixed_group(&g, o);
    struct launch_spec s;
    char why[256];
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), 0);
    CHECK_INT(s.n, 3);
    CHECK_STR(s.v[0].template_id, "lt-x86");
    CHECK_INT(s.v[0].version, 7); /* $Latest */
    CHECK_STR(s.v[2].template_id, "lt-arm");
    CHECK_INT(s.v[2].version, 3); /* $Default, by name */
    CHECK_INT(s.weighted, 0);

    struct asg_instance arm = inst("m6g.large", "lt-arm", "3");
    CHECK_INT(launch_spec_judge(&s, &arm, why, sizeof(why)), 0);
    CHECK_STR(why, "");
    struct asg_instance x86 = inst("m5.large", "lt-x86", "7");
    CHECK_INT(launch_spec_judge(&s, &x86, why, sizeof(why)), 0);

    /* An older version of the override's template. */
    struct asg_instance old_arm = inst("m6g.large", "lt-arm", "2");
    CHECK_INT(launch_spec_judge(&s, &old_arm, why, sizeof(why)), 1);
    CHECK_STR(why, "launch template version 2, the group uses version 3 for m6g.large");
    /* An m6g launched from the x86 template (before the override had one). */
    struct asg_instance arm_on_x86 = inst("m6g.large", "lt-x86", "7");
    CHECK_INT(launch_spec_judge(&s, &arm_on_x86, why, sizeof(why)), 1);
    CHECK_STR(why, "launched from launch template lt-x86, the group uses lt-arm for m6g.large");
    struct asg_instance old_x86 = inst("m5.large", "lt-x86", "6");
    CHECK_INT(launch_spec_judge(&s, &old_x86, why, sizeof(why)), 1);
    CHECK_CONTAINS(why, "version 6, the group uses version 7");
    /* A type no override names: current when it matches any of them. */
    struct asg_instance other = inst("c5.large", "lt-arm", "3");
    CHECK_INT(launch_spec_judge(&s, &other, why, sizeof(why)), 0);
    struct asg_instance other_old = inst("c5.large", "lt-arm", "1");
    CHECK_INT(launch_spec_judge(&s, &other_old, why, sizeof(why)), 1);
    CHECK_CONTAINS(why, "version 1, the group uses version 3");
    struct asg_instance symbolic = inst("m5.large", "lt-x86", "$Latest");
    CHECK_INT(launch_spec_judge(&s, &symbolic, why, sizeof(why)), 1);
    CHECK_CONTAINS(why, "is not a number");
    char d[256];
    launch_spec_describe(&s, d, sizeof(d));
    CHECK_STR(d, "launch template lt-x86 (nodes-x86) version 7 and 1 override template(s)");
    launch_spec_free(&s);
}

TEST(plain_template_group_judges_as_before)
{
    struct asg_group g;
    memset(&g, 0, sizeof(g));
    g.name = (char *)"web";
    g.launch_template = ref(NULL, "nodes-x86", NULL); /* no version: $Default */
    struct launch_spec s;
    char why[256];
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), 0);
    CHECK_INT(s.n, 1);
    CHECK_INT(s.v[0].version, 5);
    struct asg_instance a = inst("t3.large", "lt-x86", "5");
    CHECK_INT(launch_spec_judge(&s, &a, why, sizeof(why)), 0);
    struct asg_instance b = inst("t3.large", "lt-any", "5");
    CHECK_INT(launch_spec_judge(&s, &b, why, sizeof(why)), 1);
    CHECK_STR(why, "launched from launch template lt-any, the group uses lt-x86");
    struct asg_instance lc;
    memset(&lc, 0, sizeof(lc));
    lc.launch_configuration = (char *)"old-lc";
    CHECK_INT(launch_spec_judge(&s, &lc, why, sizeof(why)), 1);
    CHECK_STR(why, "launched from launch configuration old-lc, the group uses launch template "
                   "lt-x86");
    launch_spec_free(&s);
}

TEST(launch_configuration_group)
{
    struct asg_group g;
    memset(&g, 0, sizeof(g));
    g.name = (char *)"web";
    g.launch_configuration = (char *)"lc-2";
    struct launch_spec s;
    char why[256];
    CHECK_INT(launch_spec_resolve(&g, NULL, 0, &s, why, sizeof(why)), 0);
    struct asg_instance a;
    memset(&a, 0, sizeof(a));
    a.launch_configuration = (char *)"lc-2";
    CHECK_INT(launch_spec_judge(&s, &a, why, sizeof(why)), 0);
    a.launch_configuration = (char *)"lc-1";
    CHECK_INT(launch_spec_judge(&s, &a, why, sizeof(why)), 1);
    CHECK_STR(why, "launched from launch configuration lc-1, the group uses launch configuration "
                   "lc-2");
    launch_spec_free(&s);
    g.launch_configuration = NULL;
    CHECK_INT(launch_spec_resolve(&g, NULL, 0, &s, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "neither a launch template nor a launch configuration");
}

TEST(what_cannot_be_resolved_unambiguously_is_refused)
{
    struct asg_group g;
    struct asg_override o[3];
    struct launch_spec s;
    char why[256];

    /* An endpoint that kept a group's old launch template beside the mixed
     * instances policy it was switched to (moto did). */
    mixed_group(&g, o);
    g.n_launch_sources = 2;
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "reports 2 launch sources");
    CHECK(s.v == NULL);

    mixed_group(&g, o);
    o[1].launch_template = ref("lt-gone", NULL, "1");
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), -1);
    CHECK_STR(why, "launch template lt-gone (override m6g.large) was not found");
    CHECK(s.v == NULL);

    mixed_group(&g, o);
    o[1].launch_template = ref("lt-arm", NULL, "latest");
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "has version \"latest\", which is neither a number nor $Latest/$Default");

    mixed_group(&g, o);
    g.launch_template = ref("lt-x86", NULL, "0");
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "the mixed instances policy's");

    /* One type, two templates. */
    mixed_group(&g, o);
    o[2].instance_type = (char *)"m6g.large";
    o[2].launch_template = ref("lt-any", NULL, "2");
    g.n_overrides = 3;
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "two overrides for instance type m6g.large");

    /* The same type twice with the same template is no ambiguity. */
    o[2].launch_template = ref("lt-arm", NULL, "3");
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), 0);
    launch_spec_free(&s);
}

TEST(instance_requirements_overrides_match_any)
{
    struct asg_group g;
    struct asg_override o[3];
    mixed_group(&g, o);
    o[2].has_instance_requirements = 1;
    o[2].launch_template = ref("lt-any", NULL, "$Latest");
    g.n_overrides = 3;
    struct launch_spec s;
    char why[256];
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), 0);
    CHECK_INT(s.v[3].kind, SPEC_REQUIREMENTS);
    struct asg_instance a = inst("r7i.xlarge", "lt-any", "2");
    CHECK_INT(launch_spec_judge(&s, &a, why, sizeof(why)), 0);
    struct asg_instance b = inst("r7i.xlarge", "lt-any", "1");
    CHECK_INT(launch_spec_judge(&s, &b, why, sizeof(why)), 1);
    launch_spec_free(&s);
}

TEST(weights_count_units)
{
    struct asg_group g;
    struct asg_override o[3];
    mixed_group(&g, o);
    struct asg_instance in[2];
    in[0] = inst("m5.large", "lt-x86", "7");
    in[1] = inst("m6g.large", "lt-arm", "3");
    g.instances = in;
    g.n_instances = 2;
    struct launch_spec s;
    char why[256];
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), 0);
    CHECK_INT(s.weighted, 0);
    CHECK_INT(launch_spec_check_units(&s, &g, why, sizeof(why)), 0);
    CHECK_INT(instance_units(&in[0]), 1);
    launch_spec_free(&s);

    o[1].weighted_capacity = 2;
    in[1].weighted_capacity = 2;
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), 0);
    CHECK_INT(s.weighted, 1);
    CHECK_INT(s.v[2].weight, 2);
    CHECK_INT(instance_units(&in[1]), 2);
    /* i-1 (m5) reports no weight in a weighted group. */
    CHECK_INT(launch_spec_check_units(&s, &g, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "reports no WeightedCapacity");
    in[0].weighted_capacity = 1;
    CHECK_INT(launch_spec_check_units(&s, &g, why, sizeof(why)), 0);
    launch_spec_free(&s);

    g.desired_capacity_type = (char *)"vcpu";
    o[1].weighted_capacity = 0;
    CHECK_INT(launch_spec_resolve(&g, LTS, N_LTS, &s, why, sizeof(why)), 0);
    CHECK_INT(s.weighted, 1);
    launch_spec_free(&s);
}
