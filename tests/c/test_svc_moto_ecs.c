/* ECS calls against a real moto_server: 120 container instances, 230 tasks
 * and 25 services, so every batch limit is crossed, and the parsed results
 * checked against what the test set up.
 *
 * moto defects these tests live with: List* calls never page (so paging is
 * proven in test_svc_calls.c); ListContainerInstances ignores filter and
 * status; ListTasks ignores serviceName; services never place tasks;
 * DescribeServices echoes neither deploymentConfiguration nor
 * capacityProviderStrategy; DescribeCapacityProviders without names answers
 * HTTP 500; container instance attributes come from the EC2 instance, not
 * from the registration. */
#include <stdlib.h>
#include <string.h>

#include "moto.h"
#include "svc/ecs.h"
#include "svc_moto_env.h"
#include "test.h"

#define N_INSTANCES 120
#define N_SERVICES 25
#define AMI "ami-0aaaaaaaaaaaaaaa1"

struct setup {
    struct strv ec2_ids; /* the instances registered */
    struct strv ci_arns; /* their container instance ARNs, in registration order */
    char *task_def_arn;
};

static void setup_free(struct setup *s)
{
    strv_free(&s->ec2_ids);
    strv_free(&s->ci_arns);
    free(s->task_def_arn);
}

static int json_string(const cJSON *o, const char *a, const char *b, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (!cJSON_IsString(v)) {
        test_fail(__FILE__, __LINE__, "setup answer lacks %s.%s", a, b ? b : "");
        return -1;
    }
    *out = strdup(v->valuestring);
    return 0;
}

/* Cluster "prod" with N_INSTANCES container instances (c5.large in
 * us-east-1c), a capacity provider on group "web", task definition "app",
 * N_SERVICES services and 230 tasks: 200 by RunTask (startedBy batch-a, the
 * first 100 in group service:web) and 30 by StartTask on instances 5..14
 * (startedBy batch-b). */
static int setup_cluster(struct moto_env *e, struct setup *s)
{
    memset(s, 0, sizeof(*s));
    struct xml_node *r =
        moto_query(e, &AWS_SVC_EC2, "RunInstances", "2016-11-15", "ImageId", AMI, "MinCount",
                   moto_fmt("%d", N_INSTANCES), "MaxCount", moto_fmt("%d", N_INSTANCES),
                   "InstanceType", "c5.large", "Placement.AvailabilityZone", "us-east-1c", NULL);
    if (!r)
        return -1;
    const struct xml_node *set = xml_child(r, "instancesSet");
    for (const struct xml_node *it = set ? xml_child(set, "item") : NULL; it;
         it = xml_next_same(it)) {
        const struct xml_node *id = xml_child(it, "instanceId");
        if (id)
            strv_push(&s->ec2_ids, id->text);
    }
    xml_free(r);
    if (s->ec2_ids.n != N_INSTANCES) {
        test_fail(__FILE__, __LINE__, "RunInstances started %zu instances", s->ec2_ids.n);
        return -1;
    }

    cJSON *j = moto_ecs(e, "CreateCluster", "{\"clusterName\":\"prod\"}");
    if (!j)
        return -1;
    cJSON_Delete(j);
    for (size_t i = 0; i < s->ec2_ids.n; i++) {
        j = moto_ecs(e, "RegisterContainerInstance",
                     "{\"cluster\":\"prod\",\"instanceIdentityDocument\":"
                     "\"{\\\"instanceId\\\":\\\"%s\\\",\\\"region\\\":\\\"us-east-1\\\"}\"}",
                     s->ec2_ids.v[i]);
        char *arn = NULL;
        int rc = j ? json_string(j, "containerInstance", "containerInstanceArn", &arn) : -1;
        cJSON_Delete(j);
        if (rc < 0)
            return -1;
        strv_push_owned(&s->ci_arns, arn);
    }
    j = moto_ecs(e, "RegisterTaskDefinition",
                 "{\"family\":\"app\",\"containerDefinitions\":[{\"name\":\"c\","
                 "\"image\":\"nginx\",\"memory\":16}]}");
    int rc = j ? json_string(j, "taskDefinition", "taskDefinitionArn", &s->task_def_arn) : -1;
    cJSON_Delete(j);
    if (rc < 0)
        return -1;

    /* A capacity provider needs a group. */
    r = moto_query(e, &AWS_SVC_EC2, "CreateLaunchTemplate", "2016-11-15", "LaunchTemplateName",
                   "ecs-lt", "LaunchTemplateData.ImageId", AMI, NULL);
    xml_free(r);
    if (!r)
        return -1;
    r = moto_query(e, &AWS_SVC_AUTOSCALING, "CreateAutoScalingGroup", "2011-01-01",
                   "AutoScalingGroupName", "web", "LaunchTemplate.LaunchTemplateName", "ecs-lt",
                   "MinSize", "0", "MaxSize", "1", "DesiredCapacity", "0",
                   "AvailabilityZones.member.1", "us-east-1c", NULL);
    xml_free(r);
    if (!r)
        return -1;
    r = moto_query(e, &AWS_SVC_AUTOSCALING, "DescribeAutoScalingGroups", "2011-01-01",
                   "AutoScalingGroupNames.member.1", "web", NULL);
    if (!r)
        return -1;
    const struct xml_node *res = xml_child(r, "DescribeAutoScalingGroupsResult");
    const struct xml_node *grp =
        res ? xml_child(xml_child(res, "AutoScalingGroups"), "member") : NULL;
    const struct xml_node *arn = grp ? xml_child(grp, "AutoScalingGroupARN") : NULL;
    if (!arn) {
        xml_free(r);
        test_fail(__FILE__, __LINE__, "no ARN for group web");
        return -1;
    }
    j = moto_ecs(e, "CreateCapacityProvider",
                 "{\"name\":\"web-cp\",\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":"
                 "\"%s\",\"managedScaling\":{\"status\":\"ENABLED\",\"targetCapacity\":100},"
                 "\"managedTerminationProtection\":\"ENABLED\",\"managedDraining\":\"ENABLED\"}}",
                 arn->text);
    xml_free(r);
    cJSON_Delete(j);
    if (!j)
        return -1;
    j = moto_ecs(e, "CreateCapacityProvider",
                 "{\"name\":\"plain-cp\",\"autoScalingGroupProvider\":{\"autoScalingGroupArn\":"
                 "\"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:"
                 "autoScalingGroupName/other\",\"managedScaling\":{\"status\":\"DISABLED\"},"
                 "\"managedTerminationProtection\":\"DISABLED\"}}");
    cJSON_Delete(j);
    if (!j)
        return -1;
    j = moto_ecs(e, "PutClusterCapacityProviders",
                 "{\"cluster\":\"prod\",\"capacityProviders\":[\"web-cp\"],"
                 "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":\"web-cp\","
                 "\"weight\":1}]}");
    cJSON_Delete(j);
    if (!j)
        return -1;

    for (int i = 0; i < N_SERVICES; i++) {
        if (i == 0)
            j = moto_ecs(e, "CreateService",
                         "{\"cluster\":\"prod\",\"serviceName\":\"svc-00\",\"taskDefinition\":"
                         "\"app\",\"schedulingStrategy\":\"DAEMON\",\"launchType\":\"EC2\"}");
        else
            j = moto_ecs(e, "CreateService",
                         "{\"cluster\":\"prod\",\"serviceName\":\"svc-%02d\",\"taskDefinition\":"
                         "\"app\",\"desiredCount\":%d,\"launchType\":\"EC2\","
                         "\"deploymentConfiguration\":{\"minimumHealthyPercent\":50,"
                         "\"maximumPercent\":200}}",
                         i, i % 4);
        cJSON_Delete(j);
        if (!j)
            return -1;
    }

    for (int i = 0; i < 20; i++) {
        j = moto_ecs(e, "RunTask",
                     "{\"cluster\":\"prod\",\"taskDefinition\":\"app\",\"count\":10,"
                     "\"startedBy\":\"batch-a\",\"launchType\":\"EC2\"%s}",
                     i < 10 ? ",\"group\":\"service:web\"" : "");
        cJSON_Delete(j);
        if (!j)
            return -1;
    }
    for (int i = 0; i < 3; i++) {
        j = moto_ecs(e, "StartTask",
                     "{\"cluster\":\"prod\",\"taskDefinition\":\"app\",\"startedBy\":\"batch-b\","
                     "\"containerInstances\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\","
                     "\"%s\",\"%s\",\"%s\"]}",
                     s->ci_arns.v[5], s->ci_arns.v[6], s->ci_arns.v[7], s->ci_arns.v[8],
                     s->ci_arns.v[9], s->ci_arns.v[10], s->ci_arns.v[11], s->ci_arns.v[12],
                     s->ci_arns.v[13], s->ci_arns.v[14]);
        cJSON_Delete(j);
        if (!j)
            return -1;
    }
    return 0;
}

static int open_env(struct moto_env *e, struct setup *s)
{
    memset(s, 0, sizeof(*s));
    struct moto *m = moto_shared();
    if (!m || moto_env_open(e, m, "AKIDMOTOTEST", "moto-test-secret") < 0)
        return -1;
    if (setup_cluster(e, s) < 0) {
        moto_env_close(e);
        setup_free(s);
        return -1;
    }
    return 0;
}

static void close_env(struct moto_env *e, struct setup *s)
{
    moto_env_close(e);
    setup_free(s);
}

TEST(cluster_and_capacity_providers)
{
    struct moto_env e;
    struct setup s;
    if (open_env(&e, &s) < 0)
        return;
    struct ecs_cluster cl;
    struct err err;
    int rc = ecs_describe_cluster(&e.c, "prod", &cl, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_STR(cl.name, "prod");
    CHECK_STR(cl.arn, "arn:aws:ecs:us-east-1:123456789012:cluster/prod");
    CHECK_STR(cl.status, "ACTIVE");
    CHECK_INT(cl.registered_container_instances, N_INSTANCES);
    CHECK_INT(cl.capacity_providers.n, 1);
    CHECK_STR(cl.capacity_providers.v[0], "web-cp");
    ecs_cluster_free(&cl);

    CHECK_INT(ecs_describe_cluster(&e.c, "staging", &cl, &err), -1);
    CHECK_INT(err.kind, ERR_STATE);
    CHECK_CONTAINS(err.message, "ECS cluster staging not found in us-east-1");

    const char *names[] = {"plain-cp", "web-cp", "no-such-cp"};
    struct ecs_capacity_provider *cps;
    size_t n;
    rc = ecs_describe_capacity_providers(&e.c, names, 3, &cps, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 2);
    for (size_t i = 0; i < n; i++) {
        int web = strcmp(cps[i].name, "web-cp") == 0;
        CHECK(web || strcmp(cps[i].name, "plain-cp") == 0);
        CHECK_CONTAINS(cps[i].arn, web ? "capacity-provider/web-cp" : "capacity-provider/plain-cp");
        CHECK_CONTAINS(cps[i].asg_arn,
                       web ? "autoScalingGroupName/web" : "autoScalingGroupName/other");
        CHECK_INT(cps[i].managed_scaling, web);
        CHECK_INT(cps[i].managed_termination_protection, web);
        CHECK_INT(cps[i].managed_draining, web);
    }
    ecs_capacity_providers_free(cps, n);
    close_env(&e, &s);
}

TEST(container_instances_listed_described_and_drained)
{
    struct moto_env e;
    struct setup s;
    if (open_env(&e, &s) < 0)
        return;
    struct strv arns = STRV_INIT;
    struct err err;
    int rc = ecs_list_container_instances(&e.c, "prod", NULL, NULL, &arns, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(arns.n, N_INSTANCES);
    for (size_t i = 0; i < s.ci_arns.n; i++)
        CHECK_MSG(strv_contains(&arns, s.ci_arns.v[i]), "%s not listed", s.ci_arns.v[i]);
    strv_free(&arns);

    /* 120 plus one unknown ARN: calls of 100 and 21; the unknown one is left out. */
    const char *want[N_INSTANCES + 1];
    for (size_t i = 0; i < N_INSTANCES; i++)
        want[i] = s.ci_arns.v[i];
    want[N_INSTANCES] = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/"
                        "00000000-0000-0000-0000-000000000000";
    struct ecs_container_instance *v;
    size_t n;
    unsigned long before = moto_calls(&e);
    rc = ecs_describe_container_instances(&e.c, "prod", want, N_INSTANCES + 1, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(moto_calls(&e) - before, 2);
    CHECK_INT(n, N_INSTANCES);
    for (size_t i = 0; i < n; i++) {
        CHECK_STR(v[i].arn, s.ci_arns.v[i]);
        CHECK_STR(v[i].ec2_instance_id, s.ec2_ids.v[i]);
        CHECK_STR(v[i].status, "ACTIVE");
        CHECK_INT(v[i].agent_connected, 1);
        CHECK_STR(v[i].ami_id, AMI);
        CHECK_STR(v[i].availability_zone, "us-east-1c");
        CHECK_STR(v[i].instance_type, "c5.large");
        CHECK(v[i].running_tasks_count >= 0 && v[i].pending_tasks_count >= 0);
    }
    /* StartTask put 3 tasks on each of instances 5..14. */
    for (size_t i = 5; i < 15; i++)
        CHECK_MSG(v[i].running_tasks_count + v[i].pending_tasks_count >= 3, "instance %zu", i);
    ecs_container_instances_free(v, n);

    /* Drain 25: calls of 10, 10 and 5. */
    before = moto_calls(&e);
    rc = ecs_update_container_instances_state(&e.c, "prod", want + 10, 25, "DRAINING", &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(moto_calls(&e) - before, 3);
    rc = ecs_describe_container_instances(&e.c, "prod", want, N_INSTANCES, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(v[i].status, i >= 10 && i < 35 ? "DRAINING" : "ACTIVE");
    ecs_container_instances_free(v, n);
    /* moto ignores filter and status here; the request carries them (test_svc_calls). */
    rc = ecs_list_container_instances(&e.c, "prod", "attribute:ecs.instance-type == c5.large",
                                      "DRAINING", &arns, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK(arns.n >= 25);
    strv_free(&arns);

    /* Back to ACTIVE, with an unknown ARN in the second batch: an error
     * naming it; the other batches went through. */
    const char *back[25];
    for (size_t i = 0; i < 25; i++)
        back[i] = want[10 + i];
    back[14] = want[N_INSTANCES];
    rc = ecs_update_container_instances_state(&e.c, "prod", back, 25, "ACTIVE", &err);
    CHECK_INT(rc, -1);
    CHECK_INT(err.kind, ERR_SERVICE);
    CHECK_STR(err.code, "MISSING");
    CHECK_CONTAINS(err.message, "UpdateContainerInstancesState: ECS reported a failure for "
                                "arn:aws:ecs:us-east-1:123456789012:container-instance/");
    CHECK_CONTAINS(err.message, "00000000-0000-0000-0000-000000000000");
    CHECK_CONTAINS(err.message, "(24 of 25 container instances were set to ACTIVE");
    rc = ecs_describe_container_instances(&e.c, "prod", want + 10, 25, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(n, 25);
    CHECK_STR(v[0].status, "ACTIVE");
    CHECK_STR(v[13].status, "ACTIVE");
    CHECK_STR(v[24].status, "ACTIVE"); /* every batch is sent */
    ecs_container_instances_free(v, n);
    close_env(&e, &s);
}

static int count_with(const struct ecs_task *v, size_t n, const char *started_by)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += v[i].started_by && strcmp(v[i].started_by, started_by) == 0;
    return k;
}

TEST(tasks_listed_described_and_stopped)
{
    struct moto_env e;
    struct setup s;
    if (open_env(&e, &s) < 0)
        return;
    struct err err;
    struct strv all = STRV_INIT, some = STRV_INIT;
    struct ecs_task_filter running = {.desired_status = "RUNNING"};
    int rc = ecs_list_tasks(&e.c, "prod", &running, &all, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(all.n, 230);

    struct ecs_task_filter by_starter = {.started_by = "batch-b"};
    CHECK_INT(ecs_list_tasks(&e.c, "prod", &by_starter, &some, &err), 0);
    CHECK_INT(some.n, 30);
    strv_free(&some);
    struct ecs_task_filter by_family = {.family = "app"};
    CHECK_INT(ecs_list_tasks(&e.c, "prod", &by_family, &some, &err), 0);
    CHECK_INT(some.n, 230);
    strv_free(&some);
    struct ecs_task_filter by_service = {.service_name = "svc-01"};
    CHECK_INT(ecs_list_tasks(&e.c, "prod", &by_service, &some, &err), 0);
    for (size_t i = 0; i < some.n; i++)
        CHECK(strv_contains(&all, some.v[i]));
    strv_free(&some);
    struct ecs_task_filter on_instance = {.container_instance = s.ci_arns.v[7]};
    CHECK_INT(ecs_list_tasks(&e.c, "prod", &on_instance, &some, &err), 0);
    CHECK(some.n >= 3);

    /* 230 tasks: calls of 100, 100 and 30. */
    struct ecs_task *v;
    size_t n;
    unsigned long before = moto_calls(&e);
    rc = ecs_describe_tasks(&e.c, "prod", (const char *const *)all.v, all.n, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(moto_calls(&e) - before, 3);
    CHECK_INT(n, 230);
    CHECK_INT(count_with(v, n, "batch-a"), 200);
    CHECK_INT(count_with(v, n, "batch-b"), 30);
    int service_group = 0, family_group = 0, on_7 = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK_STR(v[i].arn, all.v[i]);
        CHECK_STR(v[i].desired_status, "RUNNING");
        CHECK(v[i].last_status != NULL);
        CHECK_STR(v[i].task_definition_arn, s.task_def_arn);
        CHECK_MSG(strv_contains(&s.ci_arns, v[i].container_instance_arn), "task on %s",
                  v[i].container_instance_arn);
        service_group += strcmp(v[i].group, "service:web") == 0;
        family_group += strcmp(v[i].group, "family:app") == 0;
        on_7 += strcmp(v[i].container_instance_arn, s.ci_arns.v[7]) == 0;
    }
    CHECK_INT(service_group, 100);
    CHECK_INT(family_group, 130);
    CHECK_INT(on_7, (int)some.n); /* the containerInstance filter agrees */
    strv_free(&some);

    const char *victim = v[0].arn;
    CHECK_INT(ecs_stop_task(&e.c, "prod", victim, "replaced by ecs-rollout", &err), 0);
    struct ecs_task *stopped;
    size_t n_stopped;
    CHECK_INT(ecs_describe_tasks(&e.c, "prod", &victim, 1, &stopped, &n_stopped, &err), 0);
    CHECK_INT(n_stopped, 1);
    CHECK_STR(stopped[0].desired_status, "STOPPED");
    CHECK_STR(stopped[0].stopped_reason, "replaced by ecs-rollout");
    ecs_tasks_free(stopped, n_stopped);
    struct ecs_task_filter gone = {.desired_status = "STOPPED"};
    CHECK_INT(ecs_list_tasks(&e.c, "prod", &gone, &some, &err), 0);
    CHECK_INT(some.n, 1);
    CHECK_STR(some.v[0], victim);
    strv_free(&some);
    ecs_tasks_free(v, n);
    strv_free(&all);
    close_env(&e, &s);
}

TEST(services_listed_and_described)
{
    struct moto_env e;
    struct setup s;
    if (open_env(&e, &s) < 0)
        return;
    struct strv arns = STRV_INIT;
    struct err err;
    int rc = ecs_list_services(&e.c, "prod", &arns, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(arns.n, N_SERVICES);
    /* By ARN, plus a name that does not exist: calls of 10, 10 and 6. */
    strv_push(&arns, "svc-missing");
    struct ecs_service *v;
    size_t n;
    unsigned long before = moto_calls(&e);
    rc = ecs_describe_services(&e.c, "prod", (const char *const *)arns.v, arns.n, &v, &n, &err);
    CHECK_MSG(rc == 0, "%s", err.message);
    CHECK_INT(moto_calls(&e) - before, 3);
    CHECK_INT(n, N_SERVICES);
    for (int i = 0; i < N_SERVICES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "svc-%02d", i);
        const struct ecs_service *sv = NULL;
        for (size_t k = 0; k < n; k++)
            if (strcmp(v[k].name, name) == 0)
                sv = &v[k];
        CHECK_MSG(sv != NULL, "%s not described", name);
        CHECK_CONTAINS(sv->arn, name);
        CHECK_STR(sv->status, "ACTIVE");
        CHECK_STR(sv->launch_type, "EC2");
        CHECK_STR(sv->scheduling_strategy, i == 0 ? "DAEMON" : "REPLICA");
        if (i > 0)
            CHECK_INT(sv->desired_count, i % 4);
        CHECK_INT(sv->running_count, 0); /* moto never places service tasks */
        CHECK_INT(sv->n_deployments, 1);
        CHECK_INT(sv->uses_capacity_providers, 0);
    }
    ecs_services_free(v, n);
    strv_free(&arns);

    /* By name too. */
    const char *names[] = {"svc-03"};
    CHECK_INT(ecs_describe_services(&e.c, "prod", names, 1, &v, &n, &err), 0);
    CHECK_INT(n, 1);
    CHECK_INT(v[0].desired_count, 3);
    ecs_services_free(v, n);
    close_env(&e, &s);
}
