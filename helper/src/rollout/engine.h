/* Running a rollout: the I/O around the pure decisions of model.h. */
#ifndef ECSR_ROLLOUT_ENGINE_H
#define ECSR_ROLLOUT_ENGINE_H

#include <signal.h>

#include "rollout/model.h"
#include "svc/ops.h"
#include "util/err.h"

/* ---- Events: everything the engine reports, for the CLI's output and
 * the report. Pointers are valid only during the callback. ---- */

enum rollout_event_kind {
    EV_START,    /* a rollout begins or resumes */
    EV_ACTION,   /* a write was made */
    EV_WAIT,     /* what the rollout is waiting for (sent when it changes) */
    EV_PROGRESS, /* counts after every poll */
    EV_INFO,
    EV_WARNING,
    EV_ERROR,
    EV_DONE, /* the final summary */
};

struct rollout_progress {
    int members;
    int current;
    int outdated;
    int draining;
    int new_ready;
    int new_not_ready;
    int leaving;
    int tasks_to_move;
    int desired_capacity;
    int original_desired;
    int batch;     /* batches started so far */
    int n_batches; /* estimated batches in all */
    double elapsed_s;
    double eta_s; /* < 0 when unknown */
    /* running / desired of the services watched this poll */
    const struct ecs_service *services;
    size_t n_services;
};

struct rollout_summary {
    int result;        /* enum rollout_result */
    int replaced;      /* out-of-date instances terminated */
    int launched;      /* instances launched by the rollout */
    int tasks_moved;   /* tasks that were on instances when they were drained */
    int tasks_stopped; /* standalone tasks stopped by the rollout */
    int batches;
    int bulk_scale_ins; /* terminations carried out as one scale-in (bulk.h) */
    double elapsed_s;
    unsigned long aws_calls;
    unsigned long aws_attempts;
    char message[2048];
};

struct rollout_event {
    enum rollout_event_kind kind;
    double time; /* Unix seconds, with fractions */
    const char
        *phase; /* "preflight", "scale-out", "drain", "terminate", "finish", "rollback", ... */
    const char *action; /* rollout_action_name for EV_ACTION */
    const char *message;
    const struct strv *ids; /* instance ids or task ARNs for EV_ACTION, may be NULL */
    const struct rollout_progress *progress; /* EV_PROGRESS */
    const struct rollout_summary *summary;   /* EV_DONE */
};

typedef void (*rollout_event_fn)(const struct rollout_event *ev, void *userdata);

enum rollout_result {
    ROLLOUT_DONE = 0,      /* every instance replaced, the group restored */
    ROLLOUT_NOTHING_TO_DO, /* every instance already current */
    ROLLOUT_ROLLED_BACK,   /* failed; the cluster serves as before */
    ROLLOUT_REFUSED,       /* pre-flight refused; nothing was changed */
    ROLLOUT_INTERRUPTED,   /* stopped at a safe point; re-run to resume */
    ROLLOUT_BUSY,          /* another rollout holds the group */
    ROLLOUT_STUCK,         /* failed and could not fully roll back; the cluster serves, re-run */
    ROLLOUT_ERROR,         /* AWS, credential or configuration error before any change */
    /* Finished and restored the group, but left out-of-date instances it
     * could not replace safely (a disconnected agent, someone else's
     * drain): named in the message; run again once that has changed. */
    ROLLOUT_INCOMPLETE,
};

const char *rollout_result_name(enum rollout_result r);

struct rollout_config {
    const char *asg_name;
    const char *cluster_name;
    struct rollout_options options;
    double poll_min_s; /* 0: 1 */
    double poll_max_s; /* 0: 3 */
    rollout_event_fn on_event;
    void *userdata;
    /* Set from a SIGINT/SIGTERM handler: stop at the next safe point. */
    const volatile sig_atomic_t *stop;
};

/* Runs (or resumes) a rollout to its end. Returns the result; `err` holds
 * the reason for anything but DONE and NOTHING_TO_DO. */
enum rollout_result rollout_run(const struct svc_ops *ops, const struct rollout_config *cfg,
                                struct rollout_summary *summary, struct err *err);

#endif
