/* The fake service layer (see fake_svc.h). Answers are built the way the
 * real svc/ calls build theirs (same structures, same ownership), so the
 * rollout frees them the same way. */
#include "fake_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* What a call costs on the fake clock. */
#define FAKE_CALL_SECONDS 0.05
/* Steps a STOPPED task stays visible. */
#define FAKE_STOPPED_STEPS 60
#define ARN_PREFIX "arn:aws:ecs:us-east-1:123456789012:"

static const char *const op_names[FOP_N] = {
    "DescribeAutoScalingGroups",
    "SetDesiredCapacity",
    "UpdateAutoScalingGroup",
    "TerminateInstanceInAutoScalingGroup",
    "SuspendProcesses",
    "ResumeProcesses",
    "CreateOrUpdateTags",
    "DeleteTags",
    "DescribeLaunchTemplates",
    "DescribeLaunchTemplateVersions",
    "DescribeInstances",
    "DescribeClusters",
    "DescribeCapacityProviders",
    "ListContainerInstances",
    "DescribeContainerInstances",
    "UpdateContainerInstancesState",
    "ListTasks",
    "DescribeTasks",
    "ListServices",
    "DescribeServices",
    "StopTask",
    "GetCallerIdentity",
    "DescribeInstanceRefreshes",
    "DescribePolicies",
    "DescribeScheduledActions",
    "DescribeLifecycleHooks",
    "DescribeAlarms",
    "DescribeTags",
    "SetInstanceProtection",
};

const char *fake_op_name(enum fake_op op)
{
    return op < FOP_N ? op_names[op] : "?";
}

int fake_op_is_write(enum fake_op op)
{
    switch (op) {
    case FOP_SET_DESIRED:
    case FOP_UPDATE_SIZE:
    case FOP_TERMINATE:
    case FOP_SUSPEND:
    case FOP_RESUME:
    case FOP_PUT_TAGS:
    case FOP_DELETE_TAGS:
    case FOP_UPDATE_CONTAINER_INSTANCES_STATE:
    case FOP_STOP_TASK:
    case FOP_SET_PROTECTION:
        return 1;
    default:
        return 0;
    }
}

const char *fake_fault_name(enum fake_fault f)
{
    switch (f) {
    case FAULT_NONE:
        return "none";
    case FAULT_THROTTLE:
        return "throttle";
    case FAULT_5XX:
        return "5xx";
    case FAULT_ACCESS_DENIED:
        return "access-denied";
    case FAULT_VALIDATION:
        return "validation";
    case FAULT_NETWORK:
        return "network";
    case FAULT_N:
        break;
    }
    return "?";
}

int fake_fault_is_transient(enum fake_fault f)
{
    return f == FAULT_THROTTLE || f == FAULT_5XX || f == FAULT_NETWORK;
}

/* ---- the world ---- */

/* A loop, not strcmp: the fake compares its own ARNs and states many
 * times a call, and under the fuzzer every strcmp call also feeds
 * libFuzzer's comparison tables (about a tenth of fuzz_rollout's time,
 * for strings that never come from the input). */
static int is_(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static struct fake_instance *find_instance(struct fake_svc *f, const char *id)
{
    for (size_t i = 0; i < f->n_inst; i++)
        if (is_(f->inst[i].id, id))
            return &f->inst[i];
    return NULL;
}

static struct fake_ci *find_ci(struct fake_svc *f, const char *arn)
{
    for (size_t i = 0; i < f->n_ci; i++)
        if (is_(f->ci[i].arn, arn))
            return &f->ci[i];
    return NULL;
}

struct fake_ci *fake_ci_of(struct fake_svc *f, const char *instance_id)
{
    for (size_t i = 0; i < f->n_ci; i++)
        if (f->ci[i].instance_id[0] && is_(f->ci[i].instance_id, instance_id) &&
            !is_(f->ci[i].status, "INACTIVE"))
            return &f->ci[i];
    return NULL;
}

static struct fake_task *find_task(struct fake_svc *f, const char *arn)
{
    for (size_t i = 0; i < f->n_task; i++)
        if (is_(f->task[i].arn, arn))
            return &f->task[i];
    return NULL;
}

static int is_member(const struct fake_instance *in)
{
    return in->in_group && !is_(in->lifecycle, "Terminating");
}

static long resolved_version(const struct fake_svc *f)
{
    if (is_(f->lt_version, "$Latest"))
        return f->lt_latest;
    if (is_(f->lt_version, "$Default"))
        return f->lt_default;
    return strtol(f->lt_version, NULL, 10);
}

static void register_ci(struct fake_svc *f, const struct fake_instance *in)
{
    if (f->n_ci == FAKE_MAX_CIS)
        return;
    struct fake_ci *ci = &f->ci[f->n_ci++];
    memset(ci, 0, sizeof(*ci));
    snprintf(ci->arn, sizeof(ci->arn), ARN_PREFIX "container-instance/%s/%08ld", f->cluster,
             ++f->next_id);
    snprintf(ci->instance_id, sizeof(ci->instance_id), "%s", in->id);
    snprintf(ci->status, sizeof(ci->status), "ACTIVE");
    ci->connected = 1;
}

static struct fake_instance *add_instance(struct fake_svc *f, const char *zone, long version,
                                          const char *lifecycle, int in_group)
{
    if (f->n_inst == FAKE_MAX_INSTANCES)
        return NULL;
    struct fake_instance *in = &f->inst[f->n_inst++];
    memset(in, 0, sizeof(*in));
    snprintf(in->id, sizeof(in->id), "i-%017ld", ++f->next_id);
    snprintf(in->zone, sizeof(in->zone), "%s", zone);
    snprintf(in->lifecycle, sizeof(in->lifecycle), "%s", lifecycle);
    in->version = version;
    in->in_group = in_group;
    in->protected_ = in_group && f->new_protected;
    in->launched_at = f->wall;
    return in;
}

/* Room for one more task: forget STOPPED ones when full (ECS forgets them
 * too, after a while). */
static struct fake_task *new_task(struct fake_svc *f)
{
    if (f->n_task == FAKE_MAX_TASKS) {
        size_t w = 0;
        for (size_t i = 0; i < f->n_task; i++)
            if (!is_(f->task[i].last, "STOPPED"))
                f->task[w++] = f->task[i];
        f->n_task = w;
        if (f->n_task == FAKE_MAX_TASKS)
            return NULL;
    }
    struct fake_task *t = &f->task[f->n_task++];
    memset(t, 0, sizeof(*t));
    snprintf(t->arn, sizeof(t->arn), ARN_PREFIX "task/%s/%016ld", f->cluster, ++f->next_id);
    return t;
}

static int tasks_on(const struct fake_svc *f, const char *ci_arn, const char *last)
{
    int n = 0;
    for (size_t i = 0; i < f->n_task; i++)
        if (is_(f->task[i].last, last) && is_(f->task[i].ci_arn, ci_arn))
            n++;
    return n;
}

/* The ACTIVE connected container instance with the fewest live tasks
 * (among other groups' instances for a service placed elsewhere). */
static struct fake_ci *placement(struct fake_svc *f, const struct fake_service *svc)
{
    struct fake_ci *best = NULL;
    int best_n = 0;
    for (size_t i = 0; i < f->n_ci; i++) {
        struct fake_ci *ci = &f->ci[i];
        if (!is_(ci->status, "ACTIVE") || !ci->connected)
            continue;
        const struct fake_instance *in =
            svc && svc->elsewhere ? find_instance(f, ci->instance_id) : NULL;
        if (in && in->in_group)
            continue;
        int n = tasks_on(f, ci->arn, "RUNNING") + tasks_on(f, ci->arn, "PENDING");
        if (!best || n < best_n)
            best = ci, best_n = n;
    }
    return best;
}

static void place_task(struct fake_svc *f, const struct fake_service *svc, const char *group,
                       const char *last)
{
    struct fake_ci *ci = placement(f, svc);
    if (!ci)
        return;
    struct fake_task *t = new_task(f);
    if (!t)
        return;
    snprintf(t->ci_arn, sizeof(t->ci_arn), "%s", ci->arn);
    snprintf(t->last, sizeof(t->last), "%s", last);
    snprintf(t->desired, sizeof(t->desired), "RUNNING");
    snprintf(t->group, sizeof(t->group), "%s", group);
}

static int serving(const struct fake_svc *f)
{
    int n = 0;
    for (size_t i = 0; i < f->n_inst; i++) {
        const struct fake_instance *in = &f->inst[i];
        if (!is_member(in) || !is_(in->lifecycle, "InService"))
            continue;
        /* the cheap tests first: serving() runs at every call and step */
        for (size_t k = 0; k < f->n_ci; k++)
            if (f->ci[k].connected && is_(f->ci[k].status, "ACTIVE") &&
                is_(f->ci[k].instance_id, in->id))
                n++;
    }
    return n;
}

static void watch_capacity(struct fake_svc *f)
{
    int n = serving(f);
    if (n < f->min_serving)
        f->min_serving = n;
}

static const char *fewest_zone(const struct fake_svc *f)
{
    const char *best = f->zones[0];
    int best_n = -1;
    for (size_t z = 0; z < f->n_zones; z++) {
        int n = 0;
        for (size_t i = 0; i < f->n_inst; i++)
            n += is_member(&f->inst[i]) && is_(f->inst[i].zone, f->zones[z]);
        if (best_n < 0 || n < best_n)
            best = f->zones[z], best_n = n;
    }
    return best;
}

/* Scale-in by the default termination policy ("Configure termination
 * policies", EC2 Auto Scaling User Guide), simplified: from the zone with
 * the most members, an instance of an older launch template first, then
 * the oldest. Only instances not protected from scale-in; with none left
 * the desired capacity stays lowered and nothing is terminated ("Use
 * instance scale-in protection", Considerations). Undrained: its tasks are
 * killed (killed_running). 0 when none could be taken. */
static int scale_in_one(struct fake_svc *f)
{
    struct fake_instance *pick = NULL;
    int pick_zone_n = -1;
    for (size_t i = 0; i < f->n_inst; i++) {
        struct fake_instance *in = &f->inst[i];
        if (!is_member(in) || in->protected_)
            continue;
        int zone_n = 0;
        for (size_t k = 0; k < f->n_inst; k++)
            zone_n += is_member(&f->inst[k]) && is_(f->inst[k].zone, in->zone);
        if (!pick || zone_n > pick_zone_n || (zone_n == pick_zone_n && in->version < pick->version))
            pick = in, pick_zone_n = zone_n;
    }
    if (!pick)
        return 0;
    const struct fake_ci *ci = fake_ci_of(f, pick->id);
    f->scaled_in_drained += ci && is_(ci->status, "DRAINING");
    snprintf(pick->lifecycle, sizeof(pick->lifecycle), "Terminating");
    f->scaled_in++;
    return 1;
}

/* A task of a crashing service exits where its service crashes. */
static int crashes_there(struct fake_svc *f, const struct fake_task *task, const struct fake_ci *ci)
{
    if (strncmp(task->group, "service:", 8) != 0)
        return 0;
    for (size_t s = 0; s < f->n_svc; s++) {
        if (!is_(f->svc[s].name, task->group + 8) || !f->svc[s].crash)
            continue;
        if (f->svc[s].crash == FAKE_CRASH_EVERYWHERE)
            return 1;
        const struct fake_instance *in = ci ? find_instance(f, ci->instance_id) : NULL;
        return in && in->in_group && in->version == f->lt_latest;
    }
    return 0;
}

void fake_step(struct fake_svc *f)
{
    if (f->alarm_low_in_alarm > 0)
        f->alarm_low_in_alarm--;
    /* terminated instances leave, and their container instances with them */
    size_t w = 0;
    for (size_t i = 0; i < f->n_inst; i++) {
        struct fake_instance *in = &f->inst[i];
        if (is_(in->lifecycle, "Terminating")) {
            for (size_t k = 0; k < f->n_ci; k++) {
                struct fake_ci *ci = &f->ci[k];
                if (!is_(ci->instance_id, in->id) || is_(ci->status, "INACTIVE"))
                    continue;
                for (size_t t = 0; t < f->n_task; t++)
                    if (is_(f->task[t].ci_arn, ci->arn) && !is_(f->task[t].last, "STOPPED")) {
                        f->killed_running += is_(f->task[t].last, "RUNNING");
                        snprintf(f->task[t].last, sizeof(f->task[t].last), "STOPPED");
                        snprintf(f->task[t].desired, sizeof(f->task[t].desired), "STOPPED");
                    }
                snprintf(ci->status, sizeof(ci->status), "INACTIVE");
            }
            continue;
        }
        if (is_(in->lifecycle, "Pending") && ++in->age >= f->launch_steps) {
            snprintf(in->lifecycle, sizeof(in->lifecycle), "InService");
            if (!f->never_register)
                register_ci(f, in);
        }
        f->inst[w++] = *in;
    }
    f->n_inst = w;
    /* the group launches up to its desired capacity, and scales in down to
     * it, unless Launch or Terminate is suspended ("Suspend and resume
     * Amazon EC2 Auto Scaling processes", EC2 Auto Scaling User Guide) */
    int members = 0;
    for (size_t i = 0; i < f->n_inst; i++)
        members += is_member(&f->inst[i]);
    while (!fake_is_suspended(f, "Launch") && members < f->desired &&
           (!f->launch_cap || members < f->launch_cap)) {
        if (!add_instance(f, fewest_zone(f), resolved_version(f), "Pending", 1))
            break;
        members++;
    }
    for (; !fake_is_suspended(f, "Terminate") && members > f->desired; members--)
        if (!scale_in_one(f))
            break;
    /* tasks move on; stopped ones are forgotten after a while (ECS keeps
     * them about an hour; the fake, a minute) */
    w = 0;
    for (size_t t = 0; t < f->n_task; t++)
        if (!is_(f->task[t].last, "STOPPED") || ++f->task[t].stopped_steps < FAKE_STOPPED_STEPS)
            f->task[w++] = f->task[t];
    f->n_task = w;
    for (size_t t = 0; t < f->n_task; t++) {
        struct fake_task *task = &f->task[t];
        if (is_(task->last, "STOPPED"))
            continue;
        if (is_(task->desired, "STOPPED")) {
            snprintf(task->last, sizeof(task->last), "STOPPED");
            if (!task->stop_code[0])
                snprintf(task->stop_code, sizeof(task->stop_code), "ServiceSchedulerInitiated");
            task->stopped_at = (long long)f->wall;
            continue;
        }
        if (is_(task->last, "PENDING"))
            snprintf(task->last, sizeof(task->last), "RUNNING");
        const struct fake_ci *ci = find_ci(f, task->ci_arn);
        if (crashes_there(f, task, ci)) {
            snprintf(task->last, sizeof(task->last), "STOPPED");
            snprintf(task->desired, sizeof(task->desired), "STOPPED");
            snprintf(task->stop_code, sizeof(task->stop_code), "EssentialContainerExited");
            task->stopped_at = (long long)f->wall;
            continue;
        }
        int service = strncmp(task->group, "service:", 8) == 0;
        if (ci && is_(ci->status, "DRAINING") && service && !f->stuck_drain)
            snprintf(task->desired, sizeof(task->desired), "STOPPED");
    }
    /* services start replacements where there is room */
    for (size_t s = 0; s < f->n_svc; s++) {
        char group[64];
        snprintf(group, sizeof(group), "service:%s", f->svc[s].name);
        int live = 0;
        for (size_t t = 0; t < f->n_task; t++)
            live += is_(f->task[t].group, group) && is_(f->task[t].desired, "RUNNING");
        for (; live < f->svc[s].desired; live++)
            place_task(f, &f->svc[s], group, "PENDING");
    }
    watch_capacity(f);
}

static void clock_advance(struct fake_svc *f, double seconds)
{
    f->wall += seconds;
    f->mono += seconds;
    while (f->mono - f->stepped >= 1.0) {
        f->stepped += 1.0;
        fake_step(f);
    }
}

void fake_init(struct fake_svc *f, int n_instances, int n_zones, int tasks_per_instance)
{
    memset(f, 0, sizeof(*f));
    f->wall = 1800000000.0;
    f->mono = f->stepped = 1000.0;
    snprintf(f->group, sizeof(f->group), "fake-asg");
    snprintf(f->cluster, sizeof(f->cluster), "fake");
    f->min = n_instances;
    f->max = 2 * n_instances;
    f->desired = n_instances;
    snprintf(f->lt_id, sizeof(f->lt_id), "lt-0fake");
    snprintf(f->lt_name, sizeof(f->lt_name), "fake-template");
    snprintf(f->lt_version, sizeof(f->lt_version), "$Latest");
    f->lt_latest = 2;
    f->lt_default = 1;
    if (n_zones < 1)
        n_zones = 1;
    if (n_zones > FAKE_MAX_ZONES)
        n_zones = FAKE_MAX_ZONES;
    for (int z = 0; z < n_zones; z++)
        snprintf(f->zones[f->n_zones++], sizeof(f->zones[0]), "us-east-1%c", 'a' + z);
    f->launch_steps = 2;
    for (int i = 0; i < n_instances; i++) {
        struct fake_instance *in = add_instance(f, f->zones[i % n_zones], 1, "InService", 1);
        if (in)
            register_ci(f, in);
    }
    snprintf(f->svc[0].name, sizeof(f->svc[0].name), "web");
    f->svc[0].desired = n_instances * tasks_per_instance;
    f->n_svc = 1;
    for (int i = 0; i < f->svc[0].desired; i++)
        place_task(f, &f->svc[0], "service:web", "RUNNING");
    f->serving_floor = n_instances;
    f->min_serving = serving(f);
}

void fake_register_all(struct fake_svc *f)
{
    for (size_t i = 0; i < f->n_inst; i++)
        if (is_(f->inst[i].lifecycle, "InService") && !fake_ci_of(f, f->inst[i].id))
            register_ci(f, &f->inst[i]);
}

void fake_add_foreign_instance(struct fake_svc *f)
{
    struct fake_instance *in = add_instance(f, f->zones[0], 9, "InService", 0);
    if (in)
        register_ci(f, in);
}

struct fake_service *fake_add_service(struct fake_svc *f, const char *name, int desired)
{
    if (f->n_svc == FAKE_MAX_SERVICES)
        return NULL;
    struct fake_service *svc = &f->svc[f->n_svc++];
    memset(svc, 0, sizeof(*svc));
    snprintf(svc->name, sizeof(svc->name), "%s", name);
    svc->desired = desired;
    return svc;
}

void fake_add_standalone_task(struct fake_svc *f, size_t instance_index)
{
    fake_place_task(f, instance_index, "family:batch");
}

void fake_place_task(struct fake_svc *f, size_t instance_index, const char *group)
{
    if (instance_index >= f->n_inst)
        return;
    struct fake_ci *ci = fake_ci_of(f, f->inst[instance_index].id);
    struct fake_task *t = ci ? new_task(f) : NULL;
    if (!t)
        return;
    snprintf(t->ci_arn, sizeof(t->ci_arn), "%s", ci->arn);
    snprintf(t->last, sizeof(t->last), "RUNNING");
    snprintf(t->desired, sizeof(t->desired), "RUNNING");
    snprintf(t->group, sizeof(t->group), "%s", group);
}

const char *fake_tag(const struct fake_svc *f, const char *key)
{
    for (size_t i = 0; i < f->n_tags; i++)
        if (is_(f->tags[i].key, key))
            return f->tags[i].value;
    return NULL;
}

int fake_tag_count(const struct fake_svc *f, const char *prefix)
{
    int n = 0;
    for (size_t i = 0; i < f->n_tags; i++)
        n += strncmp(f->tags[i].key, prefix, strlen(prefix)) == 0;
    return n;
}

int fake_is_suspended(const struct fake_svc *f, const char *process)
{
    for (size_t i = 0; i < f->n_suspended; i++)
        if (is_(f->suspended[i], process))
            return 1;
    return 0;
}

int fake_members(const struct fake_svc *f)
{
    int n = 0;
    for (size_t i = 0; i < f->n_inst; i++)
        n += is_member(&f->inst[i]);
    return n;
}

int fake_protected(const struct fake_svc *f)
{
    int n = 0;
    for (size_t i = 0; i < f->n_inst; i++)
        n += is_member(&f->inst[i]) && f->inst[i].protected_;
    return n;
}

int fake_outdated(const struct fake_svc *f)
{
    int n = 0;
    long v = resolved_version(f);
    for (size_t i = 0; i < f->n_inst; i++)
        n += is_member(&f->inst[i]) && f->inst[i].version != v;
    return n;
}

int fake_cis_with_status(const struct fake_svc *f, const char *status)
{
    int n = 0;
    for (size_t i = 0; i < f->n_inst; i++) {
        if (!is_member(&f->inst[i]))
            continue;
        for (size_t k = 0; k < f->n_ci; k++)
            n += is_(f->ci[k].instance_id, f->inst[i].id) && is_(f->ci[k].status, status);
    }
    return n;
}

int fake_service_running(const struct fake_svc *f, const char *name)
{
    char group[64];
    snprintf(group, sizeof(group), "service:%s", name);
    int n = 0;
    for (size_t t = 0; t < f->n_task; t++)
        n += is_(f->task[t].group, group) && is_(f->task[t].last, "RUNNING");
    return n;
}

void fake_fail_always(struct fake_svc *f, enum fake_op op, enum fake_fault fault)
{
    f->fail_always[op] = fault;
}

void fake_fail_next(struct fake_svc *f, enum fake_op op, enum fake_fault fault, int times)
{
    f->fail_next[op] = fault;
    f->fail_times[op] = times;
}

/* ---- the calls ---- */

static int fault_err(enum fake_op op, enum fake_fault fault, struct err *err)
{
    err_clear(err);
    switch (fault) {
    case FAULT_THROTTLE:
        return err_service(err, 400, "ThrottlingException", "Rate exceeded", "fake-request");
    case FAULT_5XX:
        return err_service(err, 503, "ServiceUnavailable", "Service is unavailable",
                           "fake-request");
    case FAULT_ACCESS_DENIED: {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "User: arn:aws:iam::123456789012:user/fake is not authorized to perform: %s",
                 fake_op_name(op));
        return err_service(err, 400, "AccessDeniedException", msg, "fake-request");
    }
    case FAULT_VALIDATION:
        return err_service(err, 400, "ValidationError", "1 validation error detected",
                           "fake-request");
    case FAULT_NETWORK:
        return err_set(err, ERR_NETWORK, "%s: connection refused", fake_op_name(op));
    case FAULT_NONE:
    case FAULT_N:
        break;
    }
    return err_set(err, ERR_INTERNAL, "fake: no fault");
}

/* Every call starts here: counted, the hook, the scripted faults. */
static int enter(struct fake_svc *f, enum fake_op op, struct err *err)
{
    f->calls[op]++;
    f->total_calls++;
    /* a call takes time: the world moves while the engine asks */
    clock_advance(f, FAKE_CALL_SECONDS);
    watch_capacity(f);
    if (f->before)
        f->before(f, op, f->user);
    enum fake_fault fault = f->fail_always[op];
    if (!fault && f->fail_times[op] > 0) {
        fault = f->fail_next[op];
        f->fail_times[op]--;
    }
    if (!fault)
        return 0;
    f->failed_calls++;
    f->failures[op]++;
    return fault_err(op, fault, err);
}

static int check_group(struct fake_svc *f, const char *name, struct err *err)
{
    if (name && is_(name, f->group))
        return 0;
    return err_service(err, 400, "ValidationError",
                       "AutoScalingGroup name not found - AutoScalingGroup not found",
                       "fake-request");
}

static int describe_group(void *ctx, const char *name, struct asg_group *g, struct err *err)
{
    struct fake_svc *f = ctx;
    memset(g, 0, sizeof(*g));
    if (enter(f, FOP_DESCRIBE_GROUP, err) != 0)
        return -1;
    if (!is_(name, f->group))
        return err_set(err, ERR_STATE, "Auto Scaling group %s not found in us-east-1", name);
    g->name = xstrdup(f->group);
    g->arn = xstrdup("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:fake");
    g->min_size = f->min;
    g->max_size = f->max;
    g->desired_capacity = f->desired;
    g->launch_template.id = xstrdup(f->lt_id);
    g->launch_template.name = xstrdup(f->lt_name);
    g->launch_template.version = xstrdup(f->lt_version);
    g->instances = xcalloc(f->n_inst ? f->n_inst : 1, sizeof(*g->instances));
    for (size_t i = 0; i < f->n_inst; i++) {
        const struct fake_instance *in = &f->inst[i];
        if (!in->in_group)
            continue;
        struct asg_instance *a = &g->instances[g->n_instances++];
        char v[32];
        snprintf(v, sizeof(v), "%ld", in->version);
        a->instance_id = xstrdup(in->id);
        a->availability_zone = xstrdup(in->zone);
        a->lifecycle_state = xstrdup(in->lifecycle);
        a->health_status = xstrdup("Healthy");
        a->instance_type = xstrdup("t3.small");
        a->launch_template.id = xstrdup(f->lt_id);
        a->launch_template.name = xstrdup(f->lt_name);
        a->launch_template.version = xstrdup(v);
        a->protected_from_scale_in = in->protected_;
    }
    g->tags = xcalloc(f->n_tags ? f->n_tags : 1, sizeof(*g->tags));
    for (size_t i = 0; i < f->n_tags; i++) {
        g->tags[g->n_tags].key = xstrdup(f->tags[i].key);
        g->tags[g->n_tags++].value = xstrdup(f->tags[i].value);
    }
    for (size_t i = 0; i < f->n_suspended; i++)
        strv_push(&g->suspended_processes, f->suspended[i]);
    for (size_t z = 0; z < f->n_zones; z++)
        strv_push(&g->availability_zones, f->zones[z]);
    strv_push(&g->termination_policies, "Default");
    g->health_check_type = xstrdup("EC2");
    g->has_warm_pool = f->warm_pool;
    g->new_instances_protected_from_scale_in = f->new_protected;
    g->status = f->deleting ? xstrdup("Delete in progress") : NULL;
    return 0;
}

static int set_desired_capacity(void *ctx, const char *group, int desired, struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_SET_DESIRED, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    if (desired < f->min || desired > f->max) {
        char msg[160];
        snprintf(msg, sizeof(msg), "New SetDesiredCapacity value %d is outside %d..%d", desired,
                 f->min, f->max);
        return err_service(err, 400, "ValidationError", msg, "fake-request");
    }
    f->desired = desired;
    return 0;
}

static int update_group_size(void *ctx, const char *group, const struct asg_size_update *u,
                             struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_UPDATE_SIZE, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    int min = u->min_size >= 0 ? u->min_size : f->min;
    int max = u->max_size >= 0 ? u->max_size : f->max;
    int desired = u->desired_capacity >= 0 ? u->desired_capacity : f->desired;
    if (min > max || desired < min || desired > max)
        return err_service(err, 400, "ValidationError",
                           "Desired capacity must be between the min and max size", "fake-request");
    f->min = min;
    f->max = max;
    f->desired = desired;
    return 0;
}

static int terminate_instances(void *ctx, const char *const *ids, size_t n, int decrement,
                               int *done, struct err *err)
{
    struct fake_svc *f = ctx;
    if (done)
        *done = 0;
    if (enter(f, FOP_TERMINATE, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct fake_instance *in = find_instance(f, ids[i]);
        struct err e;
        err_clear(&e);
        if (!in || !in->in_group) {
            err_service(&e, 400, "ValidationError", "Instance Id not found", "fake-request");
        } else if (is_(in->lifecycle, "Terminating")) {
            /* already on its way */
        } else if (decrement && f->desired <= f->min) {
            /* TerminateInstanceInAutoScalingGroup (Auto Scaling API
             * Reference): decrementing below MinSize is refused. */
            err_service(&e, 400, "ValidationError",
                        "Terminating instance without replacement will violate group's min size "
                        "constraint",
                        "fake-request");
        } else {
            snprintf(in->lifecycle, sizeof(in->lifecycle), "Terminating");
            if (decrement)
                f->desired--;
        }
        if (e.kind != ERR_NONE) {
            if (rc == 0)
                *err = e;
            rc = -1;
        } else if (done) {
            (*done)++;
        }
    }
    return rc;
}

/* SetInstanceProtection (API Reference): up to 50 ids; an id not in the
 * group fails the call (ValidationError). */
static int set_instance_protection(void *ctx, const char *group, const char *const *ids, size_t n,
                                   int on, struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_SET_PROTECTION, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    if (n == 0 || n > 50)
        return err_service(err, 400, "ValidationError", "1 to 50 instance ids", "fake-request");
    for (size_t i = 0; i < n; i++) {
        const struct fake_instance *in = find_instance(f, ids[i]);
        if (!in || !in->in_group)
            return err_service(err, 400, "ValidationError",
                               "The instance is not part of Auto Scaling group", "fake-request");
    }
    for (size_t i = 0; i < n; i++)
        find_instance(f, ids[i])->protected_ = on;
    if (on)
        f->protection_calls_on++;
    else
        f->protection_calls_off++;
    return 0;
}

static int suspend_processes(void *ctx, const char *group, const char *const *processes, size_t n,
                             struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_SUSPEND, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    if (n == 0)
        return err_set(err, ERR_INTERNAL, "SuspendProcesses of no process");
    for (size_t i = 0; i < n; i++)
        if (!fake_is_suspended(f, processes[i]) && f->n_suspended < 8)
            snprintf(f->suspended[f->n_suspended++], sizeof(f->suspended[0]), "%s", processes[i]);
    return 0;
}

static int resume_processes(void *ctx, const char *group, const char *const *processes, size_t n,
                            struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_RESUME, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    if (n == 0)
        return err_set(err, ERR_INTERNAL, "ResumeProcesses of no process");
    for (size_t i = 0; i < n; i++) {
        size_t w = 0;
        for (size_t k = 0; k < f->n_suspended; k++)
            if (!is_(f->suspended[k], processes[i]))
                memmove(f->suspended[w++], f->suspended[k], sizeof(f->suspended[0]));
        f->n_suspended = w;
    }
    return 0;
}

static int put_tags(void *ctx, const char *group, const struct asg_tag *tags, size_t n,
                    struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_PUT_TAGS, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct fake_tag *t = NULL;
        for (size_t k = 0; k < f->n_tags && !t; k++)
            if (is_(f->tags[k].key, tags[i].key))
                t = &f->tags[k];
        if (!t && f->n_tags < FAKE_MAX_TAGS)
            t = &f->tags[f->n_tags++];
        if (!t)
            return err_service(err, 400, "ValidationError", "too many tags", "fake-request");
        snprintf(t->key, sizeof(t->key), "%s", tags[i].key);
        snprintf(t->value, sizeof(t->value), "%s", tags[i].value ? tags[i].value : "");
    }
    return 0;
}

static int delete_tags(void *ctx, const char *group, const char *const *keys, size_t n,
                       struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_DELETE_TAGS, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t w = 0;
        for (size_t k = 0; k < f->n_tags; k++)
            if (!is_(f->tags[k].key, keys[i]))
                f->tags[w++] = f->tags[k];
        f->n_tags = w;
    }
    return 0;
}

/* DescribeTags filtered by group and keys; a group that does not exist
 * has no tags (AWS answers an empty list, no error). */
static int describe_group_tags(void *ctx, const char *group, const char *const *keys, size_t n_keys,
                               struct asg_tag **tags, size_t *n, struct err *err)
{
    struct fake_svc *f = ctx;
    *tags = NULL;
    *n = 0;
    if (enter(f, FOP_DESCRIBE_TAGS, err) != 0)
        return -1;
    if (!is_(group, f->group))
        return 0;
    *tags = xcalloc(f->n_tags ? f->n_tags : 1, sizeof(**tags));
    for (size_t i = 0; i < f->n_tags; i++) {
        int want = n_keys == 0 || f->unfiltered_tags;
        for (size_t k = 0; k < n_keys && !want; k++)
            want = is_(f->tags[i].key, keys[k]);
        if (!want)
            continue;
        (*tags)[*n].key = xstrdup(f->tags[i].key);
        (*tags)[(*n)++].value = xstrdup(f->tags[i].value);
    }
    return 0;
}

static int describe_launch_template(void *ctx, const char *id, const char *name,
                                    struct ec2_launch_template *out, struct err *err)
{
    struct fake_svc *f = ctx;
    memset(out, 0, sizeof(*out));
    if (enter(f, FOP_DESCRIBE_LAUNCH_TEMPLATE, err) != 0)
        return -1;
    if ((id && !is_(id, f->lt_id)) || (!id && (!name || !is_(name, f->lt_name))))
        return err_set(err, ERR_STATE, "launch template %s not found in us-east-1",
                       id     ? id
                       : name ? name
                              : "?");
    out->id = xstrdup(f->lt_id);
    out->name = xstrdup(f->lt_name);
    out->latest_version = f->lt_latest;
    out->default_version = f->lt_default;
    return 0;
}

static int launch_template_image(void *ctx, const char *id, const char *name, const char *version,
                                 char **image_id, struct err *err)
{
    struct fake_svc *f = ctx;
    *image_id = NULL;
    if (enter(f, FOP_LAUNCH_TEMPLATE_IMAGE, err) != 0)
        return -1;
    (void)name;
    if (id && !is_(id, f->lt_id))
        return err_set(err, ERR_STATE, "launch template %s not found in us-east-1", id);
    long v = is_(version, "$Latest")    ? f->lt_latest
             : is_(version, "$Default") ? f->lt_default
                                        : strtol(version, NULL, 10);
    char ami[32];
    snprintf(ami, sizeof(ami), "ami-v%ld", v);
    *image_id = f->template_without_ami ? NULL : xstrdup(ami);
    return 0;
}

static int describe_instances(void *ctx, const char *const *ids, size_t n,
                              struct ec2_instance **out, size_t *n_out, struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_INSTANCES, err) != 0)
        return -1;
    struct ec2_instance *v = xcalloc(n ? n : 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct fake_instance *in = find_instance(f, ids[i]);
        if (!in)
            continue;
        char ami[32];
        snprintf(ami, sizeof(ami), "ami-v%ld", in->version);
        v[k].instance_id = xstrdup(in->id);
        v[k].image_id = xstrdup(ami);
        v[k].state = xstrdup(is_(in->lifecycle, "Pending") ? "pending" : "running");
        if (f->launch_times)
            v[k].launch_time = (long long)in->launched_at;
        v[k++].availability_zone = xstrdup(in->zone);
    }
    *out = v;
    *n_out = k;
    return 0;
}

static int describe_cluster(void *ctx, const char *cluster, struct ecs_cluster *out,
                            struct err *err)
{
    struct fake_svc *f = ctx;
    memset(out, 0, sizeof(*out));
    if (enter(f, FOP_DESCRIBE_CLUSTER, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_set(err, ERR_STATE, "ECS cluster %s not found in us-east-1", cluster);
    out->arn = xstrdup(ARN_PREFIX "cluster/fake");
    out->name = xstrdup(f->cluster);
    out->status = xstrdup("ACTIVE");
    out->registered_container_instances = (int)f->n_ci + f->other_registered;
    if (f->capacity_provider)
        strv_push(&out->capacity_providers, "fake-cp");
    return 0;
}

static int describe_capacity_providers(void *ctx, const char *const *names, size_t n,
                                       struct ecs_capacity_provider **out, size_t *n_out,
                                       struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_CAPACITY_PROVIDERS, err) != 0)
        return -1;
    for (size_t i = 0; i < n && f->capacity_provider; i++) {
        if (strcmp(names[i], "fake-cp") != 0)
            continue;
        struct ecs_capacity_provider *cp = xcalloc(1, sizeof(*cp));
        cp->name = xstrdup("fake-cp");
        cp->arn = xstrdup(ARN_PREFIX "capacity-provider/fake-cp");
        cp->asg_arn = xstrdup("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:fake");
        cp->managed_scaling = f->capacity_provider == 2;
        cp->managed_termination_protection = 1;
        *out = cp;
        *n_out = 1;
        break;
    }
    return 0;
}

static int describe_instance_refreshes(void *ctx, const char *group,
                                       struct asg_instance_refresh **out, size_t *n_out,
                                       struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_INSTANCE_REFRESHES, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    if (!f->refresh_status[0])
        return 0;
    *out = xcalloc(1, sizeof(**out));
    (*out)->id = xstrdup("fake-refresh");
    (*out)->status = xstrdup(f->refresh_status);
    (*out)->percentage_complete = 30;
    *n_out = 1;
    return 0;
}

#define FAKE_ALARM_HIGH "TargetTracking-fake-AlarmHigh"
#define FAKE_ALARM_LOW "TargetTracking-fake-AlarmLow"

static int describe_policies(void *ctx, const char *group, struct asg_policy **out, size_t *n_out,
                             struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_POLICIES, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    if (!f->scale_in_alarm)
        return 0;
    struct asg_policy *p = xcalloc(1, sizeof(*p));
    p->name = xstrdup("ECSManagedAutoScalingPolicy-fake");
    p->type = xstrdup("TargetTrackingScaling");
    p->enabled = 1;
    p->target_value = 100;
    p->metric = xstrdup("CapacityProviderReservation");
    strv_push(&p->alarm_names, FAKE_ALARM_HIGH);
    strv_push(&p->alarm_names, FAKE_ALARM_LOW);
    *out = p;
    *n_out = 1;
    return 0;
}

static int describe_scheduled_actions(void *ctx, const char *group,
                                      struct asg_scheduled_action **out, size_t *n_out,
                                      struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_SCHEDULED_ACTIONS, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    if (!f->scheduled_at)
        return 0;
    struct asg_scheduled_action *a = xcalloc(1, sizeof(*a));
    a->name = xstrdup("fake-scale-up");
    a->start_time = f->scheduled_at;
    a->min_size = a->max_size = -1;
    a->desired_capacity = f->desired + 1;
    *out = a;
    *n_out = 1;
    return 0;
}

static int describe_lifecycle_hooks(void *ctx, const char *group, struct asg_lifecycle_hook **out,
                                    size_t *n_out, struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_LIFECYCLE_HOOKS, err) != 0 || check_group(f, group, err) != 0)
        return -1;
    return 0;
}

static int describe_alarms(void *ctx, const char *const *names, size_t n, struct cw_alarm **out,
                           size_t *n_out, struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_ALARMS, err) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int low = is_(names[i], FAKE_ALARM_LOW);
        if (!f->scale_in_alarm || (!low && !is_(names[i], FAKE_ALARM_HIGH)))
            continue;
        *out = xrealloc(*out, (*n_out + 1) * sizeof(**out));
        struct cw_alarm *a = &(*out)[(*n_out)++];
        memset(a, 0, sizeof(*a));
        a->name = xstrdup(names[i]);
        a->state = xstrdup(low && f->alarm_low_in_alarm > 0 ? "ALARM" : "OK");
        a->comparison_operator = xstrdup(low ? "LessThanThreshold" : "GreaterThanThreshold");
        a->period = 60;
        a->evaluation_periods = low ? 15 : 3;
        a->actions_enabled = 1;
    }
    return 0;
}

/* The ids of an `ec2InstanceId in [a,b]` filter contain this one. Ids may
 * be quoted, as in the cluster query language's own examples
 * (`ec2InstanceId in ['i-abcd1234', 'i-wxyz7890']`). */
static int filter_names(const char *filter, const char *id)
{
    const char *p = strchr(filter, '[');
    size_t len = strlen(id);
    while (p && *p) {
        p++;
        while (*p == ' ')
            p++;
        char quote = *p == '\'' || *p == '"' ? *p++ : 0;
        char end = p[len];
        if (strncmp(p, id, len) == 0 &&
            (quote ? end == quote : (end == ',' || end == ']' || end == ' ')))
            return 1;
        p = strchr(p, ',');
    }
    return 0;
}

static int list_container_instances(void *ctx, const char *cluster, const char *filter,
                                    const char *status, struct strv *arns, struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_LIST_CONTAINER_INSTANCES, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_service(err, 400, "ClusterNotFoundException", "Cluster not found.",
                           "fake-request");
    f->unfiltered_ci_lists += !filter;
    for (size_t i = 0; i < f->n_ci; i++) {
        const struct fake_ci *ci = &f->ci[i];
        if (status ? !is_(ci->status, status) : is_(ci->status, "INACTIVE"))
            continue;
        if (filter && !f->unfiltered_list &&
            (!ci->instance_id[0] || !filter_names(filter, ci->instance_id)))
            continue;
        strv_push(arns, ci->arn);
    }
    return 0;
}

static int describe_container_instances(void *ctx, const char *cluster, const char *const *arns,
                                        size_t n, struct ecs_container_instance **out,
                                        size_t *n_out, struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_CONTAINER_INSTANCES, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_service(err, 400, "ClusterNotFoundException", "Cluster not found.",
                           "fake-request");
    if (f->ci_failure && n) {
        err_service(err, 0, "INTERNAL_ERROR", "DescribeContainerInstances: failure", NULL);
        return err_prefix(err, "DescribeContainerInstances: %s: ", arns[0]);
    }
    size_t cap = 2 * n + 1;
    struct ecs_container_instance *v = xcalloc(cap, sizeof(*v));
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = f->reverse_order ? n - 1 - j : j;
        if (f->hide_ci && (size_t)f->hide_ci == i + 1)
            continue; /* as if ECS reported it MISSING */
        const struct fake_ci *ci = find_ci(f, arns[i]);
        if (!ci)
            continue;
        for (int copy = 0; copy < (f->duplicate_cis ? 2 : 1); copy++) {
            struct ecs_container_instance *c = &v[k++];
            const struct fake_instance *in =
                ci->instance_id[0] ? find_instance(f, ci->instance_id) : NULL;
            c->arn = xstrdup(ci->arn);
            c->ec2_instance_id = ci->instance_id[0] ? xstrdup(ci->instance_id) : NULL;
            c->status = xstrdup(ci->status);
            c->agent_connected = ci->connected;
            c->running_tasks_count = tasks_on(f, ci->arn, "RUNNING");
            c->pending_tasks_count = tasks_on(f, ci->arn, "PENDING");
            if (in) {
                char ami[32];
                snprintf(ami, sizeof(ami), "ami-v%ld", in->version);
                c->ami_id = xstrdup(ami);
                c->availability_zone = xstrdup(in->zone);
            }
        }
    }
    *out = v;
    *n_out = k;
    return 0;
}

static int update_container_instances_state(void *ctx, const char *cluster, const char *const *arns,
                                            size_t n, const char *status, struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_UPDATE_CONTAINER_INSTANCES_STATE, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_service(err, 400, "ClusterNotFoundException", "Cluster not found.",
                           "fake-request");
    for (size_t i = 0; i < n; i++) {
        struct fake_ci *ci = find_ci(f, arns[i]);
        if (!ci || is_(ci->status, "INACTIVE") || f->update_failure) {
            err_service(err, 0, ci ? "INACTIVE" : "MISSING", "UpdateContainerInstancesState", NULL);
            return err_prefix(
                err, "UpdateContainerInstancesState: %s (%zu of %zu updated): ", arns[i], i, n);
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct fake_ci *ci = find_ci(f, arns[i]);
        if (is_(status, "DRAINING") && !is_(ci->status, "DRAINING"))
            f->drained_instances++;
        snprintf(ci->status, sizeof(ci->status), "%s", status);
    }
    return 0;
}

static int list_tasks(void *ctx, const char *cluster, const struct ecs_task_filter *flt,
                      struct strv *arns, struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_LIST_TASKS, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_service(err, 400, "ClusterNotFoundException", "Cluster not found.",
                           "fake-request");
    const char *desired = flt && flt->desired_status ? flt->desired_status : "RUNNING";
    f->cluster_task_lists += !flt || !flt->container_instance;
    for (size_t i = 0; i < f->n_task; i++) {
        const struct fake_task *t = &f->task[i];
        if (flt && flt->container_instance && !is_(t->ci_arn, flt->container_instance))
            continue;
        if (flt && flt->service_name &&
            (strncmp(t->group, "service:", 8) != 0 || !is_(t->group + 8, flt->service_name)))
            continue;
        if (!is_(t->desired, desired))
            continue;
        strv_push(arns, t->arn);
    }
    return 0;
}

static int describe_tasks(void *ctx, const char *cluster, const char *const *arns, size_t n,
                          struct ecs_task **out, size_t *n_out, struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_TASKS, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_service(err, 400, "ClusterNotFoundException", "Cluster not found.",
                           "fake-request");
    struct ecs_task *v = xcalloc(n ? n : 1, sizeof(*v));
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = f->reverse_order ? n - 1 - j : j;
        const struct fake_task *t = find_task(f, arns[i]);
        if (!t)
            continue;
        v[k].arn = xstrdup(t->arn);
        v[k].last_status = xstrdup(t->last);
        v[k].desired_status = xstrdup(t->desired);
        v[k].group = xstrdup(t->group);
        v[k].container_instance_arn = f->tasks_without_ci ? NULL : xstrdup(t->ci_arn);
        v[k].stop_code = t->stop_code[0] ? xstrdup(t->stop_code) : NULL;
        v[k].stopped_at = t->stopped_at;
        v[k++].launch_type = xstrdup("EC2");
    }
    *out = v;
    *n_out = k;
    return 0;
}

static int list_services(void *ctx, const char *cluster, struct strv *arns, struct err *err)
{
    struct fake_svc *f = ctx;
    if (enter(f, FOP_LIST_SERVICES, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_service(err, 400, "ClusterNotFoundException", "Cluster not found.",
                           "fake-request");
    for (size_t s = 0; s < f->n_svc; s++)
        strv_pushf(arns, ARN_PREFIX "service/%s/%s", f->cluster, f->svc[s].name);
    return 0;
}

static int describe_services(void *ctx, const char *cluster, const char *const *names, size_t n,
                             struct ecs_service **out, size_t *n_out, struct err *err)
{
    struct fake_svc *f = ctx;
    *out = NULL;
    *n_out = 0;
    if (enter(f, FOP_DESCRIBE_SERVICES, err) != 0)
        return -1;
    if (!is_(cluster, f->cluster))
        return err_service(err, 400, "ClusterNotFoundException", "Cluster not found.",
                           "fake-request");
    struct ecs_service *v = xcalloc(n ? n : 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *slash = strrchr(names[i], '/');
        const char *name = slash ? slash + 1 : names[i];
        for (size_t s = 0; s < f->n_svc; s++) {
            if (!is_(f->svc[s].name, name))
                continue;
            char arn[160];
            snprintf(arn, sizeof(arn), ARN_PREFIX "service/%s/%s", f->cluster, name);
            v[k].arn = xstrdup(arn);
            v[k].name = xstrdup(name);
            v[k].status = xstrdup("ACTIVE");
            v[k].scheduling_strategy = xstrdup(f->svc[s].daemon ? "DAEMON" : "REPLICA");
            v[k].launch_type = xstrdup("EC2");
            v[k].desired_count = f->svc[s].desired;
            v[k].running_count = fake_service_running(f, name);
            v[k].minimum_healthy_percent = 100;
            v[k].maximum_percent = 200;
            v[k++].n_deployments = 1;
            break;
        }
    }
    *out = v;
    *n_out = k;
    return 0;
}

static int stop_task(void *ctx, const char *cluster, const char *task, const char *reason,
                     struct err *err)
{
    struct fake_svc *f = ctx;
    (void)reason;
    if (enter(f, FOP_STOP_TASK, err) != 0)
        return -1;
    struct fake_task *t = is_(cluster, f->cluster) ? find_task(f, task) : NULL;
    if (!t)
        return err_service(err, 400, "InvalidParameterException",
                           "The referenced task was not found.", "fake-request");
    snprintf(t->desired, sizeof(t->desired), "STOPPED");
    return 0;
}

static int get_caller_identity(void *ctx, struct sts_identity *out, struct err *err)
{
    struct fake_svc *f = ctx;
    memset(out, 0, sizeof(*out));
    if (enter(f, FOP_GET_CALLER_IDENTITY, err) != 0)
        return -1;
    out->account = xstrdup("123456789012");
    out->arn = xstrdup("arn:aws:iam::123456789012:user/fake");
    out->user_id = xstrdup("AIDAFAKE");
    return 0;
}

static double wall_clock(void *ctx)
{
    return ((struct fake_svc *)ctx)->wall;
}

static double monotonic(void *ctx)
{
    return ((struct fake_svc *)ctx)->mono;
}

static void sleep_for(void *ctx, double seconds)
{
    if (seconds > 0)
        clock_advance(ctx, seconds);
}

static void stats(void *ctx, unsigned long *calls, unsigned long *attempts)
{
    const struct fake_svc *f = ctx;
    *calls = f->total_calls;
    *attempts = f->total_calls;
}

struct svc_ops fake_ops(struct fake_svc *f)
{
    struct svc_ops o = {
        .ctx = f,
        .describe_group = describe_group,
        .set_desired_capacity = set_desired_capacity,
        .update_group_size = update_group_size,
        .terminate_instances = terminate_instances,
        .set_instance_protection = set_instance_protection,
        .suspend_processes = suspend_processes,
        .resume_processes = resume_processes,
        .put_tags = put_tags,
        .delete_tags = delete_tags,
        .describe_instance_refreshes = describe_instance_refreshes,
        .describe_policies = describe_policies,
        .describe_scheduled_actions = describe_scheduled_actions,
        .describe_lifecycle_hooks = describe_lifecycle_hooks,
        .describe_alarms = describe_alarms,
        .describe_group_tags = describe_group_tags,
        .describe_launch_template = describe_launch_template,
        .launch_template_image = launch_template_image,
        .describe_instances = describe_instances,
        .describe_cluster = describe_cluster,
        .describe_capacity_providers = describe_capacity_providers,
        .list_container_instances = list_container_instances,
        .describe_container_instances = describe_container_instances,
        .update_container_instances_state = update_container_instances_state,
        .list_tasks = list_tasks,
        .describe_tasks = describe_tasks,
        .list_services = list_services,
        .describe_services = describe_services,
        .stop_task = stop_task,
        .get_caller_identity = get_caller_identity,
        .wall_clock = wall_clock,
        .monotonic = monotonic,
        .sleep = sleep_for,
        .stats = stats,
    };
    return o;
}
