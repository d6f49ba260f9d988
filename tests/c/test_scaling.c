/* rollout/scaling.c: judging capacity providers, scaling policies and
 * their alarms, scheduled actions, instance refreshes, Standby instances
 * and services for a rollout, over hand-built observations. */
#include <stdlib.h>
#include <string.h>

#include "rollout/scaling.h"
#include "test.h"

static struct asg_group group_named(char *name, char *arn)
{
    struct asg_group g;
    memset(&g, 0, sizeof(g));
    g.name = name;
    g.arn = arn;
    return g;
}

#define GROUP_ARN                                                                                  \
    "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0d8c:autoScalingGroupName/web"

TEST(capacity_provider_of_this_group_by_arn_or_name)
{
    struct asg_group g = group_named("web", GROUP_ARN);
    struct ecs_capacity_provider cp;
    memset(&cp, 0, sizeof(cp));
    cp.asg_arn = GROUP_ARN;
    CHECK(scaling_cp_is_groups(&cp, &g));
    cp.asg_arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0d8c:"
                 "autoScalingGroupName/web-canary";
    CHECK(!scaling_cp_is_groups(&cp, &g));
    g.arn = NULL; /* unknown: the name decides, whole */
    CHECK(!scaling_cp_is_groups(&cp, &g));
    cp.asg_arn = GROUP_ARN;
    CHECK(scaling_cp_is_groups(&cp, &g));
    g.name = "eb";
    CHECK(!scaling_cp_is_groups(&cp, &g));
    cp.asg_arn = NULL;
    CHECK(!scaling_cp_is_groups(&cp, &g));
}

TEST(managed_scaling_protection_and_draining_are_rolled_with_notes)
{
    struct asg_group g = group_named("web", GROUP_ARN);
    struct ecs_capacity_provider cps[2];
    memset(cps, 0, sizeof(cps));
    cps[0].name = "web-cp";
    cps[0].asg_arn = GROUP_ARN;
    cps[0].managed_scaling = cps[0].managed_termination_protection = cps[0].managed_draining = 1;
    cps[1].name = "other-cp";
    cps[1].asg_arn = "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/b";
    cps[1].managed_scaling = 1;
    struct strv w = STRV_INIT;
    scaling_cp_notes(cps, 2, &g, &w);
    CHECK_INT(w.n, 3);
    if (w.n == 3) {
        CHECK_CONTAINS(w.v[0], "capacity provider web-cp scales group web (managed scaling)");
        CHECK_CONTAINS(w.v[0], "AlarmNotification");
        CHECK_CONTAINS(w.v[1], "managed termination protection");
        CHECK_CONTAINS(w.v[2], "managed draining");
    }
    strv_free(&w);
}

TEST(lifecycle_hooks_are_named_with_how_long_they_hold)
{
    struct asg_lifecycle_hook h[2];
    memset(h, 0, sizeof(h));
    h[0].name = "ecs-managed-draining-termination-hook";
    h[0].transition = ASG_TRANSITION_TERMINATING;
    h[0].heartbeat_timeout = 3600;
    h[0].global_timeout = 172800;
    h[1].name = "warm-up";
    h[1].transition = ASG_TRANSITION_LAUNCHING;
    h[1].heartbeat_timeout = 90;
    h[1].global_timeout = 9000;
    struct strv w = STRV_INIT;
    scaling_hook_notes(h, 2, &w);
    CHECK_INT(w.n, 2);
    if (w.n == 2) {
        CHECK_CONTAINS(w.v[0], "lifecycle hook ecs-managed-draining-termination-hook holds each "
                               "terminating instance");
        CHECK_CONTAINS(w.v[0], "(60 min without a heartbeat, 48 h at most)");
        CHECK_CONTAINS(w.v[0], "never completes it");
        CHECK_CONTAINS(w.v[1], "warm-up holds each launching instance");
        CHECK_CONTAINS(w.v[1], "(90 s without a heartbeat, 150 min at most)");
    }
    strv_free(&w);
}

TEST(active_instance_refresh_and_deletion_are_refused_with_what_to_do)
{
    struct asg_group g = group_named("web", GROUP_ARN);
    struct asg_instance_refresh r[2];
    memset(r, 0, sizeof(r));
    r[0].id = "08b91cf7";
    r[0].status = "Successful";
    r[1].id = "dd7728d0";
    r[1].status = "InProgress";
    r[1].percentage_complete = 40;
    struct strv p = STRV_INIT;
    scaling_refusals(&g, r, 1, &p);
    CHECK_INT(p.n, 0);
    scaling_refusals(&g, r, 2, &p);
    CHECK_INT(p.n, 1);
    if (p.n == 1) {
        CHECK_CONTAINS(p.v[0], "instance refresh dd7728d0 InProgress (40% done)");
        CHECK_CONTAINS(p.v[0], "cancel-instance-refresh --auto-scaling-group-name web");
    }
    strv_free(&p);
    g.status = "Delete in progress";
    scaling_refusals(&g, NULL, 0, &p);
    CHECK_INT(p.n, 1);
    if (p.n == 1)
        CHECK_CONTAINS(p.v[0], "group web is being deleted (Delete in progress)");
    strv_free(&p);
}

TEST(out_of_date_standby_instances_are_refused_naming_them)
{
    struct asg_group g = group_named("web", GROUP_ARN);
    struct strv ids = STRV_INIT, p = STRV_INIT;
    scaling_standby_refusal(&g, &ids, &p);
    CHECK_INT(p.n, 0);
    strv_push(&ids, "i-0a");
    strv_push(&ids, "i-0b");
    scaling_standby_refusal(&g, &ids, &p);
    CHECK_INT(p.n, 1);
    if (p.n == 1) {
        CHECK_CONTAINS(p.v[0], "2 instance(s) of group web in Standby are out of date (i-0a i-0b)");
        CHECK_CONTAINS(p.v[0],
                       "exit-standby --auto-scaling-group-name web --instance-ids i-0a i-0b");
        CHECK_CONTAINS(p.v[0], "detach");
    }
    strv_free(&ids);
    strv_free(&p);
}

TEST(services_already_below_desired_are_named)
{
    struct ecs_service s[3];
    memset(s, 0, sizeof(s));
    s[0].name = "web";
    s[0].status = "ACTIVE";
    s[0].desired_count = s[0].running_count = 3;
    s[1].name = "api";
    s[1].status = "ACTIVE";
    s[1].desired_count = 3;
    s[1].running_count = 1;
    s[2].name = "gone";
    s[2].status = "DRAINING";
    s[2].desired_count = 2;
    struct strv w = STRV_INIT;
    scaling_services_below_desired(s, 1, &w);
    CHECK_INT(w.n, 0);
    scaling_services_below_desired(s, 3, &w);
    CHECK_INT(w.n, 1);
    if (w.n == 1) {
        CHECK_CONTAINS(w.v[0], "1 service(s) are already below their desired count: api (1 of 3 "
                               "running)");
        CHECK(!strstr(w.v[0], "gone"));
    }
    strv_free(&w);
}

/* The policies of a group with ECS managed scaling plus a step policy. */
struct fixture {
    struct asg_policy p[3];
    struct cw_alarm a[4];
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->p[0].type = "TargetTrackingScaling";
    f->p[0].enabled = 1;
    strv_push(&f->p[0].alarm_names, "TT-AlarmHigh");
    strv_push(&f->p[0].alarm_names, "TT-AlarmLow");
    strv_push(&f->p[0].alarm_names, "TT-Unknown");
    f->p[1].type = "StepScaling";
    f->p[1].enabled = 1;
    f->p[1].has_adjustment = 1;
    f->p[1].min_adjustment = -1;
    strv_push(&f->p[1].alarm_names, "cpu-low");
    f->p[2].type = "StepScaling";
    f->p[2].enabled = 1;
    f->p[2].has_adjustment = 1;
    f->p[2].min_adjustment = 2;
    strv_push(&f->p[2].alarm_names, "cpu-high");
    const char *names[] = {"TT-AlarmHigh", "TT-AlarmLow", "cpu-low", "cpu-high"};
    const char *ops[] = {"GreaterThanThreshold", "LessThanThreshold", "LessThanThreshold",
                         "GreaterThanThreshold"};
    for (int i = 0; i < 4; i++) {
        f->a[i].name = (char *)names[i];
        f->a[i].comparison_operator = (char *)ops[i];
        f->a[i].state = "OK";
        f->a[i].actions_enabled = 1;
        f->a[i].period = 60;
        f->a[i].evaluation_periods = i == 1 ? 15 : 3;
    }
}

static void fixture_free(struct fixture *f)
{
    for (int i = 0; i < 3; i++)
        strv_free(&f->p[i].alarm_names);
}

TEST(scale_in_alarms_of_target_tracking_and_step_policies)
{
    struct fixture f;
    fixture_init(&f);
    struct strv names = STRV_INIT, in = STRV_INIT;
    scaling_policy_alarm_names(f.p, 3, &names);
    CHECK_INT(names.n, 5);
    scaling_scale_in_alarms(f.p, 3, f.a, 4, &in);
    /* The low alarm, the one that could not be described, the step policy's. */
    CHECK_INT(in.n, 3);
    CHECK(strv_contains(&in, "TT-AlarmLow"));
    CHECK(strv_contains(&in, "TT-Unknown"));
    CHECK(strv_contains(&in, "cpu-low"));
    CHECK(!strv_contains(&in, "TT-AlarmHigh"));
    CHECK(!strv_contains(&in, "cpu-high"));
    /* Disabled policies and target tracking without scale in do not count. */
    f.p[0].scale_in_disabled = 1;
    f.p[1].enabled = 0;
    strv_free(&in);
    scaling_scale_in_alarms(f.p, 3, f.a, 4, &in);
    CHECK_INT(in.n, 0);
    strv_free(&in);
    strv_free(&names);
    fixture_free(&f);
}

TEST(alarm_gate_waits_for_a_scale_in_alarm_then_resumes_after_its_window)
{
    struct fixture f;
    fixture_init(&f);
    struct strv in = STRV_INIT;
    scaling_scale_in_alarms(f.p, 3, f.a, 4, &in);
    struct alarm_gate g;
    scaling_alarm_gate(&in, f.a, 4, 0, &g);
    CHECK(!g.wait && !g.expired); /* all OK */
    f.a[0].state = "ALARM";       /* a scale-out alarm never holds it */
    scaling_alarm_gate(&in, f.a, 4, 0, &g);
    CHECK(!g.wait && !g.expired);
    f.a[1].state = "ALARM";
    scaling_alarm_gate(&in, f.a, 4, 10, &g);
    CHECK(g.wait);
    CHECK_INT(g.bound_s, 960); /* 60 s x (15 + 1) */
    CHECK_CONTAINS(g.message, "TT-AlarmLow still in ALARM");
    CHECK_CONTAINS(g.message, "up to 16 min");
    scaling_alarm_gate(&in, f.a, 4, 959, &g);
    CHECK(g.wait);
    scaling_alarm_gate(&in, f.a, 4, 960, &g);
    CHECK(!g.wait && g.expired);
    CHECK_CONTAINS(g.message, "after a full evaluation window");
    /* Each alarm has its own bound: the step alarm's is 4 min. */
    f.a[2].state = "ALARM";
    scaling_alarm_gate(&in, f.a, 4, 300, &g);
    CHECK(g.wait && g.expired);
    CHECK_CONTAINS(g.message, "TT-AlarmLow");
    CHECK(!strstr(g.message, "cpu-low"));
    /* An alarm whose actions are disabled invokes nothing. */
    f.a[1].actions_enabled = 0;
    scaling_alarm_gate(&in, f.a, 4, 10, &g);
    CHECK(g.wait);
    CHECK_CONTAINS(g.message, "cpu-low");
    CHECK(!strstr(g.message, "TT-AlarmLow"));
    strv_free(&in);
    fixture_free(&f);
}

TEST(scheduled_actions_that_came_due_are_reported_once)
{
    struct asg_scheduled_action v[4];
    memset(v, 0, sizeof(v));
    v[0].name = "night"; /* before the rollout */
    v[0].start_time = 1000;
    v[0].min_size = v[0].max_size = v[0].desired_capacity = -1;
    v[1].name = "scale-up"; /* during */
    v[1].start_time = 2000;
    v[1].min_size = 4;
    v[1].max_size = -1;
    v[1].desired_capacity = 6;
    v[2].name = "later";
    v[2].start_time = 5000;
    v[3] = v[1]; /* observed again at the end */
    struct strv out = STRV_INIT;
    scaling_scheduled_due(v, 4, 1500, 3000, &out);
    CHECK_INT(out.n, 1);
    if (out.n == 1) {
        CHECK_CONTAINS(out.v[0], "scheduled action scale-up came due at 1970-01-01T00:33:20Z");
        CHECK_CONTAINS(out.v[0], "(it sets min 4, desired 6)");
    }
    strv_free(&out);
}
