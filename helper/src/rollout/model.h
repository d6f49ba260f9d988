/* The rollout's view of a cluster, and the decisions taken over it.
 *
 * A rollout is a reconciler: each poll observes the group and the cluster
 * (observe.c) into a `struct rollout_snapshot`, `rollout_assess` turns it into
 * one view per instance, and `rollout_decide` returns the single next action
 * (or what to wait for). Everything here is pure: no I/O, no clock, no
 * globals, so every decision is unit-tested from hand-built snapshots. The
 * only memory a rollout needs between polls lives on the group itself (tags,
 * see state.h), which is why a killed rollout resumes from any machine.
 *
 * Defined in: assess.c (the assessment, snapshot_ci), decide.c (the
 * decisions, names, batch size), pick.c (zone spread), timers.c (the timer
 * rule), target.c and observe.c (freeing a target and a snapshot). */
#ifndef ECSR_ROLLOUT_MODEL_H
#define ECSR_ROLLOUT_MODEL_H

#include <stddef.h>

#include "rollout/current.h"
#include "rollout/hooks.h"
#include "rollout/marks.h"
#include "rollout/state.h"
#include "svc/autoscaling.h"
#include "svc/ecs.h"
#include "util/strv.h"

enum standalone_mode {
    STANDALONE_WAIT = 0, /* wait for standalone tasks to stop by themselves */
    STANDALONE_STOP,     /* stop them once the instance's service tasks have moved */
};

struct rollout_options {
    int batch_size;    /* instances replaced at once; 0: all (double the group) */
    int keep_max_size; /* never raise MaxSize: batches shrink to fit */
    enum standalone_mode standalone;
    const char *ami;         /* --ami: also out of date when running another AMI */
    long instance_timeout_s; /* new instances must be ready within this */
    long drain_timeout_s;    /* a batch must drain within this */
    /* --bulk-terminate-from: a forward termination of at least this many
     * drained instances is one scale-in (bulk.h); 0: never. */
    int bulk_terminate_from;
};

/* What "current" means for this group. */
struct rollout_target {
    char *launch_template_id; /* NULL when the group uses a launch configuration */
    char *launch_template_name;
    long launch_template_version; /* $Latest/$Default resolved to a number */
    char *launch_configuration;   /* NULL when the group uses a template */
    char *template_image_id;      /* AMI the template launches, NULL when unknown */
};

void rollout_target_free(struct rollout_target *t);

/* What is known about the tasks of one DRAINING container instance. */
struct drain_tasks {
    char *instance_id;
    int known;              /* the fields below come from a task listing */
    int empty;              /* no task in any state but STOPPED */
    int service_tasks;      /* replica service tasks not yet STOPPED */
    int daemon_tasks;       /* daemon service tasks not yet STOPPED */
    int stopping;           /* tasks already told to stop (desired STOPPED), not yet STOPPED */
    struct strv standalone; /* ARNs of standalone tasks still meant to run */
};

/* Everything one poll observed. Arrays are owned by the snapshot. */
struct rollout_snapshot {
    long long now; /* Unix seconds */
    struct asg_group group;
    struct rollout_target target;
    struct ecs_container_instance *cis; /* the group's members that are registered */
    size_t n_cis;
    /* AMI of each group instance (parallel to group.instances); an entry
     * is NULL when unknown. Filled only with --ami. */
    char **instance_ami;
    struct drain_tasks *drains;
    size_t n_drains;
    /* Services whose stability may gate termination: those that had tasks
     * on the draining instances; when none was seen there (e.g. resumed
     * after the drain), the cluster's services. */
    struct ecs_service *services;
    size_t n_services;
    /* Per services[i]: whether it runs on the group (had tasks on its
     * draining instances, or on its members), NULL: all of them do. Only
     * those gate termination: a service whose tasks run only on other
     * groups' instances is not moved by the rollout, and its shortfall
     * (a crash loop, no room there) is not the new instances' to mend. */
    int *service_on_group;
    /* Per services[i]: the container instances where its tasks failed by
     * themselves since the rollout began (failures.c); NULL, or an empty
     * list: not looked at or none. */
    struct strv *service_failed_on;
    int services_observed; /* services[] is current for this poll */
    /* Services already below their desired count when the rollout began,
     * with the tasks they ran then (borrowed from the observer; n 0 when not
     * known, e.g. after a resume): a drain waits for no more than that. */
    const struct strv *short_services;
    const int *short_running;
    struct rollout_state state; /* parsed from the group's tags */
    /* The group's launch specification resolved per override (current.h);
     * empty (no entries, no launch configuration): judge by `target`. */
    struct launch_spec spec;
    /* EC2 launchTime of each group instance (parallel to group.instances),
     * 0 when not known; NULL when not observed at all. */
    long long *launch_time;
    struct rollout_marks marks; /* launched-after time, foreign drains (marks.h) */
    /* Members DRAINING by someone else: a drain the rollout did not make
     * (marks.foreign, and drains seen start during this run). */
    struct strv not_ours;
    /* Members whose container instance was known but is missing from this
     * poll's answer: never taken for instances that run no task. */
    struct strv ci_lost;
    struct hook_timeout *hooks; /* the group's lifecycle hooks (names owned) */
    size_t n_hooks;
    /* Whether ECS manages the members' scale-in protection (a capacity
     * provider of the group with managed termination protection): 1 yes,
     * 0 no, -1 not known. The bulk scale-in and the restore rule (bulk.h)
     * touch protection only at 0. */
    int protection_managed;
};

void rollout_snapshot_free(struct rollout_snapshot *s);
/* The container instance of a group instance in the snapshot, or NULL. */
const struct ecs_container_instance *snapshot_ci(const struct rollout_snapshot *s,
                                                 const char *instance_id);

/* ---- Assessment: one view per group instance. ---- */

enum instance_phase {
    PHASE_LAUNCHING,    /* Pending (or any pre-InService state) */
    PHASE_UNREGISTERED, /* InService, not (yet) a container instance of the cluster */
    PHASE_DISCONNECTED, /* registered, agent not connected */
    PHASE_ACTIVE,       /* registered ACTIVE, agent connected: can take tasks */
    PHASE_DRAINING,     /* DRAINING, tasks remain (or not yet known) */
    PHASE_DRAINED,      /* DRAINING and confirmed empty */
    PHASE_LEAVING,      /* Terminating, Detaching, Detached, Terminated */
    PHASE_IGNORED,      /* Standby, warm pool: not ours to touch */
};

const char *instance_phase_name(enum instance_phase p);

struct instance_view {
    const struct asg_instance *asg;          /* borrowed from the snapshot */
    const struct ecs_container_instance *ci; /* NULL when not registered */
    const struct drain_tasks *drain;         /* NULL unless DRAINING */
    enum instance_phase phase;
    int outdated;
    char why[192]; /* why it is out of date, "" when current */
    int units;     /* capacity units it counts for (1 without weights) */
    /* Launched after the rollout began, yet judged out of date by its
     * launch template: never replaced (outdated stays 0; why says it). */
    int kept;
    int foreign;    /* DRAINING by someone else (not the rollout's drain) */
    int agent_lost; /* out of date and its agent disconnected: cannot drain */
    int hook_wait;  /* held by a lifecycle hook (Pending:Wait, Terminating:Wait) */
    int ci_lost;    /* its container instance went missing from the answer */
    /* Weighted groups: a drain of it this run gave up on (a task there kept
     * running; set by the engine in a rollback). The rollback returns it to
     * service and drains it no more, neither to shed the overage
     * (restore.c) nor to even the zones - chaos seed 2 rollout 183: the
     * rollback drained it again to even them and was held the same way, on
     * every re-run. The zones are evened around it (even_zones), by what
     * else their fullest one holds. */
    int drain_unfinished;
};

struct rollout_assessment {
    struct instance_view *v; /* one per group instance, in the group's order */
    size_t n;
    /* Counts over members (instances not LEAVING or IGNORED). */
    int members;
    int outdated;      /* members out of date */
    int current;       /* members current */
    int active;        /* members ACTIVE (old or new) */
    int new_ready;     /* current and ACTIVE */
    int new_not_ready; /* current, LAUNCHING / UNREGISTERED / DISCONNECTED */
    int old_active;    /* outdated and ACTIVE */
    int old_draining;  /* outdated and DRAINING or DRAINED */
    int new_draining;  /* current and DRAINING or DRAINED */
    int leaving;       /* LEAVING */
    int tasks_to_move; /* running + pending tasks on draining instances */
    /* Out-of-date members the rollout cannot replace now and leaves alone:
     * drained by someone else, or their agent is disconnected. */
    int excluded;
    int excluded_units;
    int kept;             /* members launched during the rollout judged out of date */
    int launch_held;      /* members held in Pending:Wait by a launch hook */
    int termination_held; /* leaving instances held in Terminating:Wait */
    /* Capacity units (= instances without weights), for the capacity rule. */
    int members_units;
    int active_units;
    int outdated_units;
    int old_active_units;
};

void rollout_assess(const struct rollout_snapshot *s, const struct rollout_options *o,
                    struct rollout_assessment *out);
void rollout_assessment_free(struct rollout_assessment *a);

/* ---- Decisions ---- */

enum rollout_action {
    ACT_WAIT = 0,
    ACT_NOTHING_TO_DO, /* no rollout in progress and every instance current */
    ACT_BEGIN,         /* record the original sizes and take the lease */
    ACT_SUSPEND,       /* suspend processes (ids = names) */
    ACT_RAISE_MAX,     /* UpdateAutoScalingGroup MaxSize = number */
    ACT_SET_DESIRED,   /* SetDesiredCapacity = number */
    ACT_DRAIN,         /* container instances of ids -> DRAINING */
    ACT_ACTIVATE,      /* container instances of ids -> ACTIVE */
    ACT_STOP_TASKS,    /* StopTask for ids (task ARNs) */
    ACT_TERMINATE,     /* TerminateInstanceInAutoScalingGroup, decrementing */
    ACT_FINISH,        /* restore sizes, resume processes, drop the tags */
    ACT_HOLD_LAUNCHES, /* record "Launch" in the state, then suspend it (ids = {"Launch"}) */
    ACT_RESUME,        /* resume processes (ids = names) */
    ACT_RECORD_SIZES,  /* record the group's sizes as the original ones (state.h) */
    ACT_UNPROTECT,     /* SetInstanceProtection false for ids (bulk.h, the restore rule) */
    ACT_FAIL,          /* give up: the caller rolls back */
};

const char *rollout_action_name(enum rollout_action a);

enum rollout_wait {
    WAIT_NONE = 0,
    WAIT_NEW_INSTANCES, /* launched instances becoming InService and registered */
    WAIT_DRAIN,         /* tasks leaving draining instances */
    WAIT_SERVICES,      /* affected services back at their desired count */
    WAIT_TERMINATION,   /* removed instances finishing termination */
    WAIT_ALARMS,        /* scale-in alarms leaving ALARM before AlarmNotification resumes */
    /* out-of-date instances the rollout cannot replace now (a disconnected
     * agent, someone else's drain) changing by themselves */
    WAIT_EXCLUDED,
};

const char *rollout_wait_name(enum rollout_wait w);

struct rollout_decision {
    enum rollout_action action;
    enum rollout_wait wait; /* for ACT_WAIT */
    struct strv ids;
    int number;
    int evens_zones; /* an ACT_SET_DESIRED that launches one instance to even out zones */
    /* An ACT_TERMINATE that leaves the desired capacity as it is: the group
     * has more members than it wants (see terminate_budget, restore.c). */
    int keep_desired;
    /* An ACT_FINISH that leaves out-of-date instances it could not replace
     * safely (named in the message): the result is "incomplete". */
    int incomplete;
    char message[512]; /* what and why, for the event log */
};

void rollout_decision_free(struct rollout_decision *d);

/* How long each kind of wait has lasted, kept by the engine across polls. */
struct rollout_timers {
    enum rollout_wait waiting; /* what the previous decision waited for */
    long long since;           /* when that wait started */
    /* When each kind of wait started since the rollout last stepped forward
     * (bit w of `started_set`: kind w has started): two waits that take
     * turns, poll after poll, keep their clocks rather than restarting each
     * other's, so neither outlasts its limit. */
    long long started[WAIT_EXCLUDED + 1];
    unsigned started_set;
    int zone_evenings; /* instances launched so far to even out the zones */
    /* A wait for new instances or terminations: until when it saw instances
     * held by a lifecycle hook (0: never; counted up to the first poll that
     * saw none held), and whether the previous poll saw one held. */
    long long held_until;
    int held_last;
};

/* The one timer rule (timers.c), applied by the engine and the tests alike.
 *
 * How long a wait may last: new instances and terminations within
 * --instance-timeout, drains and services within --drain-timeout (0: no
 * limit). */
long rollout_wait_limit(enum rollout_wait w, const struct rollout_options *o);
/* The wait w started longer ago than its limit (at `now`). */
int rollout_wait_expired(const struct rollout_timers *t, enum rollout_wait w,
                         const struct rollout_options *o, long long now);
/* What restarts a wait's clock: called with each decision once carried out
 * (a wait observed, a write made, a failure that starts the rollback). A
 * wait's clock starts when a decision first waits for that thing; a write
 * that changes the instances (set desired, drain, terminate, finish) or a
 * failure stops it. Writes that only help the same wait along keep it
 * running: stopping standalone tasks one by one, returning instances to
 * ACTIVE, suspending or resuming processes, raising MaxSize must not
 * extend a timeout without end. */
void rollout_timers_note(struct rollout_timers *t, const struct rollout_decision *d, long long now);
/* Notes, at each poll of a wait, whether lifecycle hooks hold instances of
 * it: the time they held them lengthens the wait's limit (hooks.h). */
void rollout_timers_observe(struct rollout_timers *t, const struct rollout_assessment *a,
                            long long now);

/* When to poll a wait for terminations again (seconds from now): members
 * terminated together finish about together, so from the rate at which they
 * left between two polls (`before` leaving `elapsed` seconds ago, `leaving`
 * now) the next poll goes where the last of them is due, when that is sooner
 * than `interval`, and never sooner than a quarter of it. `interval` while
 * none left since, or none is left. */
double rollout_termination_poll(int before, int leaving, double elapsed, double interval);

/* At most this many instances per zone are launched to even out the zones
 * at the end of a rollout (Auto Scaling may keep placing them elsewhere). */
#define ROLLOUT_ZONE_EVENINGS_PER_ZONE 2

/* The next step forward. Returns ACT_FAIL (with the reason) when a wait has
 * outlasted its timeout. */
void rollout_decide(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                    const struct rollout_options *o, const struct rollout_timers *t,
                    struct rollout_decision *out);

/* The next step of undoing a failed rollout: old instances back to ACTIVE,
 * unready new instances removed, surplus new instances drained and removed,
 * sizes and processes restored. */
void rollout_decide_rollback(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                             const struct rollout_options *o, const struct rollout_timers *t,
                             struct rollout_decision *out);

/* Auto Scaling processes a rollout suspends for its duration (those not
 * already suspended), and resumes at the end. */
extern const char *const rollout_processes_to_suspend[];
extern const size_t rollout_n_processes_to_suspend;

/* Instances per zone, most minus fewest, over the group's zones; *zones
 * gets how many zones the group has. */
int rollout_zone_spread(const struct rollout_snapshot *s, const struct rollout_assessment *a,
                        int *zones);

/* The batch size in effect for a group of `original_desired` instances. */
int rollout_batch_size(const struct rollout_options *o, int original_desired, int max_size);

#endif
