/* Building a rollout snapshot from AWS, with the caches that keep each poll
 * cheap: a container instance's ARN and an instance's AMI never change, a
 * drained instance stays drained, a settled container instance is described
 * again only now and then, and $Latest is re-resolved only now and then.
 * Requests per poll grow with what is in flight, not with instances. */
#ifndef ECSR_ROLLOUT_OBSERVE_H
#define ECSR_ROLLOUT_OBSERVE_H

#include "rollout/model.h"
#include "svc/ops.h"
#include "util/strindex.h"

/* What a previous poll learnt about one draining instance. */
struct drain_memo {
    char *instance_id;
    int seen;
    int last_counters;         /* running + pending at the last poll */
    long long unchanged_since; /* time since which they have not moved */
    int checked;
    long long last_checked; /* time of the last task listing */
    int confirmed_empty;
    /* What the last listing found, valid while the counters read the same. */
    int listed_counters;
    int peak_counters; /* the most running + pending seen while it drains */
    int service_tasks, daemon_tasks, stopping;
    struct strv standalone;
    /* Listed at zero already: the tasks then not yet STOPPED, which are all
     * that can still hold the instance (nothing new lands on a DRAINING
     * instance), so they are described again instead of listing again. */
    int zero_listed;
    struct strv pending;
};

/* The last answer about one container instance, and when it came. */
struct ci_record {
    struct ecs_container_instance ci;
    long long fetched_at;
    int stale; /* 1: to be described again (we changed it); 2: asked, not answered yet */
};

/* What the observer keeps for the cluster shapes of issue 12
 * (observe_shapes.c, target.c). */
struct observer_shapes {
    /* Launch templates described for the launch specification, and the
     * references ("id|name|version;...") they were described for. */
    struct ec2_launch_template *lts;
    size_t n_lts;
    char *spec_key;
    long long spec_resolved_at;
    struct launch_spec spec;
    /* ec2 instance id -> EC2 launchTime (never changes) */
    struct strv time_ids;
    struct str_index time_ix;
    long long *times;
    size_t cap_times;
    /* Drains this run made, members DRAINING when it started, and members
     * seen not DRAINING since (a foreign drain that ended). */
    struct strv own_drains;
    struct strv draining_at_start;
    int started;
    struct strv seen_undrained;
    /* Members whose container instance the first poll did not show (a
     * MISSING answer): their first sighting counts as the start. */
    struct strv unseen_at_start;
    /* The group's lifecycle hooks, asked again now and then. */
    struct hook_timeout *hooks;
    size_t n_hooks;
    long long hooks_at;
    int hooks_known;
};

struct observer {
    const struct svc_ops *ops; /* borrowed */
    const char *asg_name;
    const char *cluster_name;
    const struct rollout_options *options;
    /* ec2 instance id -> container instance ARN, indexed both ways */
    struct strv ci_ids, ci_arns;
    struct str_index ci_ids_ix, ci_arns_ix;
    /* Container instances by ARN: only those that can have changed are
     * described again (see observe.c). */
    struct ci_record *records;
    size_t n_records, cap_records;
    /* The cluster's registered count at the last full listing, and when. */
    int listed_registered;
    long long listed_at;
    int listed;
    /* The endpoint answered a filtered ListContainerInstances with more
     * than was asked (it ignores filters): list the cluster instead. */
    int filters_ignored;
    /* Tasks on their way to STOPPED at the last listing of the whole
     * cluster's (0: never listed), to weigh the next against listing per
     * instance (drain.c). */
    size_t cluster_stopping_listed;
    /* ec2 instance id -> AMI (with --ami) */
    struct strv ami_ids, ami_values;
    /* services that had tasks on draining instances */
    struct strv affected_services;
    /* services with tasks on the group's members, learnt once when none
     * was seen on the draining instances (observe_services) */
    struct strv group_services;
    int group_services_known;
    /* daemon services (their tasks leave a draining instance last) */
    struct strv daemon_services;
    int daemon_services_known;
    struct drain_memo *memo;
    size_t n_memo, cap_memo;
    struct str_index memo_ix; /* by instance id */
    size_t recheck_cursor;    /* where the next poll's look at stopping tasks starts */
    /* resolved target */
    struct rollout_target target;
    struct observer_shapes sh;
    /* services below their desired count at the start, and what they ran */
    struct strv short_services;
    int *short_running;
};

void observer_init(struct observer *ob, const struct svc_ops *ops, const char *asg_name,
                   const char *cluster_name, const struct rollout_options *o);
void observer_free(struct observer *ob);
/* Services found below their desired count when the rollout began (from
 * pre-flight): termination waits for them to run what they ran then, not
 * their desired count (item 8 of issue 12). */
void observer_note_short_services(struct observer *ob, const struct strv *names,
                                  const int *running);

/* One poll. */
int observe(struct observer *ob, long long now, struct rollout_snapshot *out, struct err *err);

/* Only the group and its members' container instances (no target, tasks or
 * services): what is needed to return instances to service when the
 * rollout cannot go on. */
int observe_instances(struct observer *ob, long long now, struct rollout_snapshot *out,
                      struct err *err);

/* ---- failures.c ---- */
/* For each service of the group below its desired count in s->services:
 * the container instances where its tasks failed by themselves since the
 * rollout began (s->service_failed_on). */
int observe_service_failures(struct observer *ob, struct rollout_snapshot *s, struct err *err);

/* ---- observe_shapes.c ---- */
/* EC2 launch times of the members (each asked once). */
int observe_launch_times(struct observer *ob, struct rollout_snapshot *s, struct err *err);
/* The rollout's marks and whose drains the DRAINING members are. */
int observe_marks(struct observer *ob, struct rollout_snapshot *s, struct err *err);
/* The group's lifecycle hooks into the snapshot (asked again every few
 * minutes: ECS managed draining or an operator may add one). */
int observe_hooks(struct observer *ob, struct rollout_snapshot *s, long long now, struct err *err);
/* The rollout drained these instances itself. */
void observer_note_drains(struct observer *ob, const struct strv *instance_ids);
void observer_shapes_free(struct observer_shapes *sh);
void snapshot_shapes_free(struct rollout_snapshot *s);
/* The rollout told ECS to stop these tasks: until a task listing says
 * otherwise they count as stopping, no longer as standalone tasks still to
 * stop (a drain whose counters have not moved is not listed again). */
void observer_tasks_stopped(struct observer *ob, const struct strv *arns);

/* The rollout changed these instances' container instances (drained or
 * reactivated them): they are described again at the next poll. */
void observer_instances_changed(struct observer *ob, const struct strv *instance_ids);

#endif
