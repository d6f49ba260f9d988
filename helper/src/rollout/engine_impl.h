/* Shared by the parts of the rollout engine: the loop (engine.c), the
 * lease (lease.c), the writes (act.c) and the events (progress.c). Not for
 * use outside src/rollout. */
#ifndef ECSR_ROLLOUT_ENGINE_IMPL_H
#define ECSR_ROLLOUT_ENGINE_IMPL_H

#include "rollout/engine.h"
#include "rollout/observe.h"

/* Where the rollout stands, for the events' "phase". */
enum run_phase {
    RUN_PREFLIGHT,
    RUN_SCALE_OUT,
    RUN_DRAIN,
    RUN_TERMINATE,
    RUN_FINISH,
    RUN_ROLLBACK,
    RUN_ENDED, /* the phase reads as the result's name */
};

struct engine {
    const struct svc_ops *ops;
    const struct rollout_config *cfg;
    struct observer ob;
    struct rollout_summary *sum;
    double t0; /* monotonic */
    enum run_phase phase;
    int ended; /* conclude() has run: sum->result is final */
    /* the lease (lease.c) */
    char host[128];
    char token[40];
    long long lease_renewed;
    int holds_lease;
    /* the rollback */
    int rollback;
    char failure[1024]; /* why the rollout is rolling back */
    struct rollout_timers timers;
    double transient_since; /* monotonic; 0: the last poll went through */
    double interval;        /* before the next poll, adapted to how fast things change */
    double poll_min, poll_max;
    unsigned long last_fingerprint;
    /* progress (progress.c) */
    char last_wait[512];
    struct strv initial; /* instance ids at start */
    struct strv launched;
    double first_change; /* monotonic, when the first instance was launched, for the estimate */
    int batch;           /* the batch size in effect */
    int outdated_at_start;
};

/* Time, through the service boundary. */
double engine_wall_s(const struct engine *e); /* Unix seconds */
double engine_mono_s(const struct engine *e); /* for durations */

/* ---- progress.c: events and the summary ---- */
const char *run_phase_name(const struct engine *e);
void emit(struct engine *e, enum rollout_event_kind kind, const char *action, const char *message,
          const struct strv *ids, const struct rollout_progress *progress);
void emitf(struct engine *e, enum rollout_event_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* emitf with an error's text appended: "PREFIX: ERROR". */
void emit_err(struct engine *e, enum rollout_event_kind kind, const char *prefix,
              const struct err *err);
void progress(struct engine *e, const struct rollout_snapshot *s,
              const struct rollout_assessment *a, struct rollout_progress *p);
/* A compact fingerprint of what changed, to adapt the polling interval. */
unsigned long fingerprint(const struct rollout_snapshot *s, const struct rollout_assessment *a);
/* Fills the summary, sends the final event and ends the run. */
enum rollout_result conclude(struct engine *e, enum rollout_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- lease.c: who runs the rollout ---- */
void lease_identity(struct engine *e);
/* Takes the lease of a rollout in progress, or says who holds it
 * (ROLLOUT_BUSY); ROLLOUT_DONE when it is ours. */
enum rollout_result lease_claim(struct engine *e, const struct rollout_snapshot *s,
                                struct err *err);
/* Re-reads the group: two rollouts that started at once both wrote their
 * lease, only one remains. ROLLOUT_DONE when it is ours. */
enum rollout_result lease_confirm(struct engine *e, struct err *err);
/* Renews the lease when due; a failure is a warning (it lasts a while). */
void lease_renew_if_due(struct engine *e, long long now);
void lease_release(struct engine *e);
/* This process's lease, valid until now + ROLLOUT_LEASE_SECONDS. Its strings are borrowed from e.
 */
void lease_mine(const struct engine *e, long long now, struct rollout_lease *l);

/* ---- act.c: every write the rollout makes ---- */
/* Records the original sizes, the processes to suspend, the target and the
 * lease on the group: the rollout is in progress from then on. */
int act_begin(struct engine *e, const struct rollout_snapshot *s, struct err *err);
/* Carries out a decision's write. */
int act_perform(struct engine *e, const struct rollout_snapshot *s,
                const struct rollout_decision *d, struct err *err);
/* Applies a performed group-level write to the snapshot when its whole
 * effect is known and changes no instance; returns 1 then. */
int act_apply_to_snapshot(struct rollout_snapshot *s, const struct rollout_decision *d);
/* Best effort, for a rollout that ends without finishing its rollback:
 * nothing stays DRAINING. From snapshot s, or (s NULL) a fresh look. */
void act_return_to_service(struct engine *e, const struct rollout_snapshot *s);
int act_put_lease(struct engine *e, const struct rollout_lease *l, struct err *err);
int act_delete_lease(struct engine *e, struct err *err);

#endif
