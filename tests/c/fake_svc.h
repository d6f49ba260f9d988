/* A fake service layer for the rollout engine's unit tests and fuzzer: a
 * `struct svc_ops` over a small in-memory Auto Scaling group and ECS
 * cluster, with a fake clock. No HTTP, no simulator.
 *
 * The world moves one step per second of fake time (the engine's sleeps
 * advance the clock): launched instances come up and register, tasks on
 * DRAINING container instances move to ACTIVE ones, terminated instances
 * leave. Knobs make the answers surprising (unfiltered lists, duplicates,
 * missing or id-less container instances, `failures`), and any call can
 * be made to fail, once or always, with each kind of AWS error. */
#ifndef ECSR_TEST_FAKE_SVC_H
#define ECSR_TEST_FAKE_SVC_H

#include <stddef.h>

#include "svc/ops.h"

enum fake_op {
    FOP_DESCRIBE_GROUP,
    FOP_SET_DESIRED,
    FOP_UPDATE_SIZE,
    FOP_TERMINATE,
    FOP_SUSPEND,
    FOP_RESUME,
    FOP_PUT_TAGS,
    FOP_DELETE_TAGS,
    FOP_DESCRIBE_LAUNCH_TEMPLATE,
    FOP_LAUNCH_TEMPLATE_IMAGE,
    FOP_DESCRIBE_INSTANCES,
    FOP_DESCRIBE_CLUSTER,
    FOP_DESCRIBE_CAPACITY_PROVIDERS,
    FOP_LIST_CONTAINER_INSTANCES,
    FOP_DESCRIBE_CONTAINER_INSTANCES,
    FOP_UPDATE_CONTAINER_INSTANCES_STATE,
    FOP_LIST_TASKS,
    FOP_DESCRIBE_TASKS,
    FOP_LIST_SERVICES,
    FOP_DESCRIBE_SERVICES,
    FOP_STOP_TASK,
    FOP_GET_CALLER_IDENTITY,
    FOP_DESCRIBE_INSTANCE_REFRESHES,
    FOP_DESCRIBE_POLICIES,
    FOP_DESCRIBE_SCHEDULED_ACTIONS,
    FOP_DESCRIBE_LIFECYCLE_HOOKS,
    FOP_DESCRIBE_ALARMS,
    FOP_DESCRIBE_TAGS,
    FOP_SET_PROTECTION,
    FOP_N,
};

const char *fake_op_name(enum fake_op op);
/* The calls that change something. */
int fake_op_is_write(enum fake_op op);

enum fake_fault {
    FAULT_NONE = 0,
    FAULT_THROTTLE,      /* ThrottlingException, HTTP 400 */
    FAULT_5XX,           /* ServiceUnavailable, HTTP 503 */
    FAULT_ACCESS_DENIED, /* AccessDeniedException, HTTP 400 */
    FAULT_VALIDATION,    /* ValidationError, HTTP 400 */
    FAULT_NETWORK,       /* connection refused */
    FAULT_N,
};

const char *fake_fault_name(enum fake_fault f);
/* Whether the engine is expected to wait the fault out rather than fail. */
int fake_fault_is_transient(enum fake_fault f);

#define FAKE_MAX_INSTANCES 128
#define FAKE_MAX_CIS 192
#define FAKE_MAX_TASKS 768
#define FAKE_MAX_SERVICES 8
#define FAKE_MAX_TAGS 16
#define FAKE_MAX_ZONES 4

struct fake_instance {
    char id[32];
    char zone[32];
    char lifecycle[24]; /* Pending, InService, Terminating */
    long version;       /* launch template version it was launched from */
    int age;            /* steps since launch */
    int in_group;       /* 0: another group's instance in the same cluster */
    int protected_;     /* ProtectedFromScaleIn */
    double launched_at; /* wall clock at launch (EC2 launchTime) */
};

struct fake_ci {
    char arn[160];
    char instance_id[32]; /* "" models a container instance without one */
    char status[16];      /* ACTIVE, DRAINING, INACTIVE */
    int connected;
};

struct fake_task {
    char arn[160];
    char ci_arn[160];
    char last[16];        /* PENDING, RUNNING, STOPPED */
    char desired[16];     /* RUNNING, STOPPED */
    char group[64];       /* "service:NAME" or "family:NAME" */
    int stopped_steps;    /* steps since it stopped: ECS forgets stopped tasks after a while */
    char stop_code[32];   /* "" while not stopped */
    long long stopped_at; /* wall clock seconds */
};

struct fake_service {
    char name[32];
    int desired;
    int daemon;
    int elsewhere; /* placed only on other groups' instances (a memberOf constraint) */
    /* its tasks exit as soon as they run (an essential container exits:
     * stopCode EssentialContainerExited, "Amazon ECS stopped task error
     * codes", Amazon ECS Developer Guide; a drain's stops are
     * ServiceSchedulerInitiated):
     * FAKE_CRASH_EVERYWHERE, or FAKE_CRASH_ON_NEW on instances of the
     * group's latest template version only (the new AMI breaks them) */
    int crash;
};

enum { FAKE_CRASH_NONE = 0, FAKE_CRASH_EVERYWHERE, FAKE_CRASH_ON_NEW };

struct fake_tag {
    char key[64];
    char value[256];
};

struct fake_svc;
typedef void (*fake_hook)(struct fake_svc *f, enum fake_op op, void *user);

struct fake_svc {
    /* the clock */
    double wall, mono, stepped; /* stepped: fake seconds already turned into steps */
    /* the group */
    char group[64];
    char cluster[64];
    int min, max, desired;
    char lt_id[32], lt_name[32], lt_version[16]; /* the group's template ref */
    long lt_latest, lt_default;
    struct fake_tag tags[FAKE_MAX_TAGS];
    size_t n_tags;
    char suspended[8][32];
    size_t n_suspended;
    char zones[FAKE_MAX_ZONES][32];
    size_t n_zones;
    struct fake_instance inst[FAKE_MAX_INSTANCES];
    size_t n_inst;
    struct fake_ci ci[FAKE_MAX_CIS];
    size_t n_ci;
    struct fake_task task[FAKE_MAX_TASKS];
    size_t n_task;
    struct fake_service svc[FAKE_MAX_SERVICES];
    size_t n_svc;
    long next_id;

    /* what pre-flight looks at */
    int warm_pool;            /* the group has a warm pool */
    int deleting;             /* the group is being deleted */
    int capacity_provider;    /* 1: a capacity provider of the cluster manages the group, 2: with
                                 managed scaling */
    int template_without_ami; /* the launch template sets no ImageId */
    int new_protected;        /* NewInstancesProtectedFromScaleIn */
    int launch_times;         /* DescribeInstances reports launchTime */

    /* dynamics */
    int launch_steps;   /* steps from Pending to InService and registered (default 2) */
    int never_register; /* launched instances never join the cluster */
    int stuck_drain;    /* tasks never leave a DRAINING instance */
    int launch_cap;     /* at most this many group instances (0: no cap) */
    /* DescribeClusters counts this many container instances more: other
     * groups' instances of a large cluster, not modelled one by one */
    int other_registered;
    unsigned long unfiltered_ci_lists; /* ListContainerInstances calls without a filter */
    unsigned long cluster_task_lists;  /* ListTasks calls without a container instance */

    /* the group's scaling configuration */
    char refresh_status[24]; /* an instance refresh in this status ("" none) */
    int scale_in_alarm;      /* the group has a target tracking policy (alarms high and low) */
    int alarm_low_in_alarm;  /* its low (scale-in) alarm is in ALARM for this many more steps */
    long long scheduled_at;  /* a one-time scheduled action at this wall time (0: none) */

    /* surprising answers */
    int unfiltered_list;  /* ListContainerInstances ignores its filter */
    int duplicate_cis;    /* DescribeContainerInstances repeats every element */
    int hide_ci;          /* DescribeContainerInstances leaves out the n-th (1-based) ARN */
    int ci_failure;       /* DescribeContainerInstances reports a non-MISSING failure */
    int update_failure;   /* UpdateContainerInstancesState reports a failure (reason) */
    int reverse_order;    /* Describe* answers in reverse order */
    int tasks_without_ci; /* DescribeTasks answers leave containerInstanceArn out */
    int unfiltered_tags;  /* DescribeTags ignores its key filter (every tag of the group) */

    /* faults: the next fail_times[op] calls of op fail with fail_next[op];
     * fail_always[op] makes every call fail */
    enum fake_fault fail_next[FOP_N];
    int fail_times[FOP_N];
    enum fake_fault fail_always[FOP_N];
    /* every write fails once with this fault, in turn (for sweeps) */

    /* called before every call (may change the world or set faults) */
    fake_hook before;
    void *user;

    /* what happened */
    unsigned long calls[FOP_N];
    unsigned long total_calls;
    unsigned long failed_calls;
    unsigned long failures[FOP_N]; /* failed calls per operation */
    int min_serving;               /* fewest ACTIVE connected group members seen at a step */
    int serving_floor;             /* the capacity the group must keep (desired at start) */
    int killed_running;            /* running tasks on instances that were terminated */
    int scaled_in;                 /* instances the group scaled in by itself (desired < members) */
    int scaled_in_drained;         /* of those, instances whose container instance was DRAINING */
    int protection_calls_on;       /* SetInstanceProtection true calls */
    int protection_calls_off;      /* SetInstanceProtection false calls */
    int drained_instances;         /* UpdateContainerInstancesState DRAINING, instance count */
};

/* A group of n_instances (version 1 of template lt-fake, whose latest is
 * 2: all out of date) spread over n_zones, MaxSize 2n, every instance
 * registered and ACTIVE, with `tasks_per_instance` tasks of service "web"
 * on each. */
void fake_init(struct fake_svc *f, int n_instances, int n_zones, int tasks_per_instance);

/* The table over f (borrowed). */
struct svc_ops fake_ops(struct fake_svc *f);

/* Advances the world one step (the clock does it by itself). */
void fake_step(struct fake_svc *f);

/* Registers every InService instance that has no container instance. */
void fake_register_all(struct fake_svc *f);
/* Adds an instance of another group, registered in the same cluster. */
void fake_add_foreign_instance(struct fake_svc *f);
/* Adds a standalone task (family:batch) on a group instance's container
 * instance. */
void fake_add_standalone_task(struct fake_svc *f, size_t instance_index);
/* Starts a RUNNING task of `group` ("service:web", "family:batch") on a
 * group instance's container instance, as ECS placing one there. */
void fake_place_task(struct fake_svc *f, size_t instance_index, const char *group);

/* Adds a replica service of `desired` tasks (placed by the next steps);
 * returns it, to set elsewhere / crash. */
struct fake_service *fake_add_service(struct fake_svc *f, const char *name, int desired);

/* Queries */
const char *fake_tag(const struct fake_svc *f, const char *key); /* NULL when absent */
int fake_tag_count(const struct fake_svc *f, const char *prefix);
int fake_is_suspended(const struct fake_svc *f, const char *process);
int fake_members(const struct fake_svc *f);   /* group instances not Terminating */
int fake_protected(const struct fake_svc *f); /* members protected from scale-in */
int fake_outdated(const struct fake_svc *f);  /* members not at lt_latest */
int fake_cis_with_status(const struct fake_svc *f, const char *status); /* group members' */
int fake_service_running(const struct fake_svc *f, const char *name);
struct fake_ci *fake_ci_of(struct fake_svc *f, const char *instance_id);

/* Fails every call of op with the fault from now on (FAULT_NONE: stop). */
void fake_fail_always(struct fake_svc *f, enum fake_op op, enum fake_fault fault);
/* Fails the next `times` calls of op. */
void fake_fail_next(struct fake_svc *f, enum fake_op op, enum fake_fault fault, int times);

#endif
