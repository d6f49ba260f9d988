/* Printing `plan` and `status`, and the flat object of the `external`
 * command, from a rollout_plan. */
#include "cli/views.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/output.h"

static void iso(long long t, char *buf, size_t cap)
{
    if (t <= 0) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_instances(FILE *f, const struct rollout_plan *p, int only_outdated)
{
    for (size_t i = 0; i < p->n_instances; i++) {
        const struct rollout_plan_instance *in = &p->instances[i];
        if (only_outdated && !in->why[0])
            continue;
        fprintf(f, "  %-20s %-12s %-18s %3d task(s)  %s\n", in->instance_id,
                in->availability_zone ? in->availability_zone : "-", in->phase, in->tasks,
                in->why[0] ? in->why : "current");
    }
}

static void print_lists(FILE *f, const struct rollout_plan *p)
{
    for (size_t i = 0; i < p->warnings.n; i++)
        fprintf(f, "warning: %s\n", p->warnings.v[i]);
    for (size_t i = 0; i < p->problems.n; i++)
        fprintf(f, "refused: %s\n", p->problems.v[i]);
}

static void print_in_progress(FILE *f, const struct rollout_plan *p, long long now)
{
    char started[40], left[32];
    iso(p->started, started, sizeof(started));
    fprintf(f, "A rollout is in progress since %s (original desired %d, MaxSize %d).\n", started,
            p->original_desired, p->original_max);
    if (p->lease_owner) {
        output_duration((double)(p->lease_expires - now), left, sizeof(left));
        if (p->lease_live)
            fprintf(f, "It is run by %s (lease expires in %s).\n", p->lease_owner, left);
        else
            fprintf(f,
                    "Its runner %s stopped renewing its lease: run the rollout again to resume.\n",
                    p->lease_owner);
    } else {
        fprintf(f, "Nobody is running it now: run the rollout again to resume.\n");
    }
    if (p->draining)
        fprintf(f, "%d instance(s) draining, %d task(s) still to move.\n", p->draining,
                p->tasks_to_move);
}

void view_print_plan(FILE *f, const struct rollout_plan *p)
{
    fprintf(f, "Group %s in cluster %s: %d instance(s), desired %d, min %d, max %d\n", p->asg_name,
            p->cluster_name, p->members, p->desired_capacity, p->min_size, p->max_size);
    fprintf(f, "Current: %s\n", p->target);
    if (p->in_progress)
        print_in_progress(f, p, (long long)time(NULL));
    if (p->outdated == 0) {
        fprintf(f, "Nothing to do: all %d instance(s) are current.\n", p->members);
        print_lists(f, p);
        return;
    }
    fprintf(f, "Out of date: %d of %d instance(s)\n", p->outdated, p->members);
    print_instances(f, p, 1);
    if (p->batch_size < 1) {
        print_lists(f, p);
        return;
    }
    int batch = p->batch_size < p->outdated ? p->batch_size : p->outdated;
    fprintf(f, "Plan: %d batch(es) of up to %d instance(s).\n", p->n_batches, batch);
    if (!p->in_progress) {
        fprintf(f, "It would:\n");
        fprintf(f, "  - record the group's sizes and a lease in ecs-rollout:* tags on the group\n");
        if (p->processes_to_suspend.n) {
            fprintf(f, "  - suspend");
            for (size_t i = 0; i < p->processes_to_suspend.n; i++)
                fprintf(f, "%s %s", i ? "," : "", p->processes_to_suspend.v[i]);
            fprintf(f, " for the rollout\n");
        }
        if (p->raise_max)
            fprintf(f, "  - raise MaxSize from %d to %d for the rollout\n", p->max_size,
                    p->max_size_needed);
    }
    fprintf(f,
            "  - per batch: raise the desired capacity by up to %d, wait until the new "
            "instances are registered and connected, drain as many old ones, wait until their "
            "tasks run elsewhere and their services are whole, terminate exactly those\n",
            batch);
    fprintf(f,
            "  - at the end: restore desired %d, MaxSize %d and the suspended processes; "
            "remove the tags\n",
            p->in_progress ? p->original_desired : p->desired_capacity,
            p->in_progress ? p->original_max : p->max_size);
    print_lists(f, p);
}

void view_print_status(FILE *f, const struct rollout_plan *p)
{
    fprintf(f, "Group %s in cluster %s: %d instance(s), desired %d, min %d, max %d\n", p->asg_name,
            p->cluster_name, p->members, p->desired_capacity, p->min_size, p->max_size);
    fprintf(f, "Current: %s\n", p->target);
    fprintf(f, "%d current, %d out of date\n", p->current, p->outdated);
    print_instances(f, p, 0);
    if (p->in_progress)
        print_in_progress(f, p, (long long)time(NULL));
    else
        fprintf(f, "No rollout in progress.\n");
}

static void add_num(cJSON *o, const char *k, long long v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

cJSON *view_plan_json(const struct rollout_plan *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "asg_name", p->asg_name);
    cJSON_AddStringToObject(o, "cluster_name", p->cluster_name);
    cJSON_AddStringToObject(o, "target", p->target);
    add_num(o, "desired_capacity", p->desired_capacity);
    add_num(o, "min_size", p->min_size);
    add_num(o, "max_size", p->max_size);
    add_num(o, "instances", p->members);
    add_num(o, "current", p->current);
    add_num(o, "outdated", p->outdated);
    add_num(o, "batch_size", p->batch_size);
    add_num(o, "batches", p->n_batches);
    add_num(o, "max_size_during_rollout", p->max_size_needed);
    cJSON *arr = cJSON_AddArrayToObject(o, "instance_details");
    for (size_t i = 0; i < p->n_instances; i++) {
        const struct rollout_plan_instance *in = &p->instances[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "instance_id", in->instance_id);
        cJSON_AddStringToObject(x, "availability_zone",
                                in->availability_zone ? in->availability_zone : "");
        cJSON_AddStringToObject(x, "phase", in->phase);
        cJSON_AddBoolToObject(x, "outdated", in->why[0] != '\0');
        cJSON_AddStringToObject(x, "reason", in->why);
        add_num(x, "tasks", in->tasks);
        cJSON_AddItemToArray(arr, x);
    }
    cJSON *procs = cJSON_AddArrayToObject(o, "processes_to_suspend");
    for (size_t i = 0; i < p->processes_to_suspend.n; i++)
        cJSON_AddItemToArray(procs, cJSON_CreateString(p->processes_to_suspend.v[i]));
    cJSON *probs = cJSON_AddArrayToObject(o, "problems");
    for (size_t i = 0; i < p->problems.n; i++)
        cJSON_AddItemToArray(probs, cJSON_CreateString(p->problems.v[i]));
    cJSON *warns = cJSON_AddArrayToObject(o, "warnings");
    for (size_t i = 0; i < p->warnings.n; i++)
        cJSON_AddItemToArray(warns, cJSON_CreateString(p->warnings.v[i]));
    cJSON *r = cJSON_AddObjectToObject(o, "rollout");
    cJSON_AddBoolToObject(r, "in_progress", p->in_progress);
    if (p->in_progress) {
        char started[40];
        iso(p->started, started, sizeof(started));
        cJSON_AddStringToObject(r, "started", started);
        add_num(r, "original_desired_capacity", p->original_desired);
        add_num(r, "original_max_size", p->original_max);
        add_num(r, "draining", p->draining);
        add_num(r, "tasks_to_move", p->tasks_to_move);
    }
    if (p->lease_owner) {
        cJSON_AddStringToObject(r, "owner", p->lease_owner);
        cJSON_AddBoolToObject(r, "owner_active", p->lease_live);
    }
    return o;
}

cJSON *view_external_json(const struct rollout_plan *p, const char *region)
{
    cJSON *o = cJSON_CreateObject();
    char n[32], started[40];
#define STR(k, v) cJSON_AddStringToObject(o, k, v)
#define NUM(k, v) (snprintf(n, sizeof(n), "%d", (v)), cJSON_AddStringToObject(o, k, n))
    STR("asg_name", p->asg_name);
    STR("cluster_name", p->cluster_name);
    STR("aws_region", region ? region : "");
    STR("target", p->target);
    NUM("instances", p->members);
    NUM("current_instances", p->current);
    NUM("outdated_instances", p->outdated);
    NUM("draining_instances", p->draining);
    NUM("desired_capacity", p->desired_capacity);
    NUM("min_size", p->min_size);
    NUM("max_size", p->max_size);
    NUM("tasks_to_move", p->tasks_to_move);
    STR("rollout_needed", p->outdated > 0 ? "true" : "false");
    STR("rollout_in_progress", p->in_progress ? "true" : "false");
    iso(p->in_progress ? p->started : 0, started, sizeof(started));
    STR("rollout_started", started);
    STR("rollout_owner", p->lease_owner && p->lease_live ? p->lease_owner : "");
#undef STR
#undef NUM
    return o;
}
