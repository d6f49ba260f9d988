/* Shared by the parts of the rollout engine: the loop (engine.c), the
 * lease (lease.c), the writes (act.c) and the events (progress.c). Not for
 * use outside src/rollout. */
#ifndef ECSR_ROLLOUT_ENGINE_IMPL_H
#define ECSR_ROLLOUT_ENGINE_IMPL_H

#include "rollout/engine.h"
#include "rollout/observe.h"
#include "rollout/scaling_io.h"

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
    double lease_sent_at; /* monotonic, when our latest lease write was sent */
    int lease_written;    /* we wrote a lease: it may be on the group */
    int holds_lease;      /* our lease is on the group, as far as we know */
    int lost_lease;       /* another rollout took over: this run writes nothing more */
    int busy;             /* the lease could not be taken: another rollout runs */
    /* the rollback */
    int rollback;
    char failure[1024]; /* why the rollout is rolling back */
    struct rollout_timers timers;
    double transient_since;  /* monotonic; 0: the last poll went through */
    double conflict_since;   /* monotonic; 0: no conflict with AWS going on (conflict.h) */
    struct strv warned_kept; /* instances launched during the rollout, warned about */
    /* Old instances whose drain the rollout gave up on (a task there kept
     * running): the rollback returns them to service and drains them no
     * more (instance_view.drain_unfinished). */
    struct strv unfinished_drains;
    double interval; /* before the next poll, adapted to how fast things change */
    double poll_min, poll_max;
    unsigned long last_fingerprint;
    double still_since; /* monotonic: when the fingerprint last changed; 0: no wait yet */
    int leaving_seen;   /* members leaving at the last poll of a wait for terminations; 0: none */
    double leaving_seen_at; /* monotonic: when */
    /* progress (progress.c) */
    char last_wait[512];
    struct strv initial; /* instance ids at start */
    struct strv launched;
    double first_change; /* monotonic, when the first instance was launched, for the estimate */
    int batch;           /* the batch size in effect */
    int outdated_at_start;
    /* the group's scaling configuration (hold.c) */
    struct scaling_watch scaling;
    /* The bulk scale-in (bulk.h): whether ECS manages the group's
     * protection (-1: not read yet this run; engine.c), the per-instance
     * path only for the rest of this run (a bulk write failed), and what
     * the latest scale-in must take and must not, for the check once it
     * has picked (a warning, never a decision). */
    int protection_managed;
    int bulk_tried; /* this run began a bulk scale-in: it may have protected members */
    int bulk_off;
    struct strv bulk_victims;
    struct strv bulk_kept;
};

/* Time, through the service boundary. */
double engine_wall_s(const struct engine *e); /* Unix seconds */
double engine_mono_s(const struct engine *e); /* for durations */
int engine_stop_requested(const struct engine *e);
/* Sleeps in short slices so a stop request is seen quickly. */
void engine_pause(const struct engine *e, double seconds);

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

/* ---- lease.c: who runs the rollout ----
 * The lease is a fencing token: AWS has no conditional write for tags, so
 * it is read afresh immediately before every write (act.c calls
 * lease_check) and on every poll, and judged against AWS's clock. */
void lease_identity(struct engine *e);
/* How old a lease read may be and still fence a write: an answer that
 * took longer to come, or a batch of writes held up longer since its
 * check, is read again (a takeover may have happened meanwhile). */
#define LEASE_FRESH_S 5.0
/* What a write needs of the lease. */
enum lease_need {
    LEASE_NEED_OURS,    /* an ordinary write: the lease is ours (renewed when due) */
    LEASE_NEED_BEGIN,   /* the first write: no rollout in progress, no live lease */
    LEASE_NEED_TAKE,    /* taking the lease of a rollout in progress: free, expired or dead */
    LEASE_NEED_RELEASE, /* deleting our lease: it is still ours */
};
/* The check before a write, on a fresh read. 0: write; 1 (RELEASE only):
 * nothing to release; -1: do not write, err says why (e->busy: another
 * rollout runs; e->lost_lease: another took this one over). */
int lease_check(struct engine *e, enum lease_need need, struct err *err);
/* After a lease write: waits out the writes of runs that read it free at
 * the same moment, then reads it back (the last writer holds it). */
int lease_settle(struct engine *e, struct err *err);
/* Takes the lease of a rollout in progress, or says who holds it
 * (ROLLOUT_BUSY); ROLLOUT_DONE when it is ours. */
enum rollout_result lease_claim(struct engine *e, struct err *err);
/* What a failed lease step means for the run. */
enum rollout_result lease_failure(const struct engine *e, const struct err *err);
/* Whether the lease in a snapshot is ours; when not, the run has lost it
 * (err says to whom). Every poll asks. */
int lease_still_ours(struct engine *e, const struct rollout_state *st, struct err *err);
/* Renews the lease when due (through lease_check). A failure to reach AWS
 * is a warning, as the lease lasts a while; -1 when the lease is lost. */
int lease_keep(struct engine *e, struct err *err);
/* Deletes our lease on the way out, once a fresh read shows it is still
 * ours; never after it was lost. */
void lease_release(struct engine *e);
/* This process's lease, ROLLOUT_LEASE_SECONDS from the latest AWS's clock
 * can be now. Its strings are borrowed from e. */
void lease_mine(const struct engine *e, struct rollout_lease *l);

/* ---- act.c: every write the rollout makes ---- */
/* Records the original sizes, the processes to suspend, the target and the
 * lease on the group: the rollout is in progress from then on. */
int act_begin(struct engine *e, const struct rollout_snapshot *s, struct err *err);
/* Carries out a decision's write: 0 done, -1 failed, ACT_LOOK_AGAIN when
 * what the decision rested on changed meanwhile (nothing was written). */
#define ACT_LOOK_AGAIN 2
int act_perform(struct engine *e, const struct rollout_snapshot *s,
                const struct rollout_decision *d, struct err *err);
/* Applies a performed group-level write to the snapshot when its whole
 * effect is known and changes no instance; returns 1 then. */
int act_apply_to_snapshot(struct rollout_snapshot *s, const struct rollout_decision *d);
/* Best effort, for a rollout that ends without finishing its rollback:
 * nothing stays DRAINING. From snapshot s, or (s NULL) a fresh look. */
void act_return_to_service(struct engine *e, const struct rollout_snapshot *s);
/* Takes the lease of a rollout in progress (after lease_check TAKE). */
int act_take_lease(struct engine *e, struct err *err);
/* Deletes our lease if it is still ours (lease_check RELEASE). */
int act_release_lease(struct engine *e, struct err *err);
/* The lease's renewal, by lease_check itself right after its read. */
int act_renew_lease(struct engine *e, struct err *err);

/* ---- bulk_run.c: the engine's side of the bulk scale-in (bulk.h) ---- */
/* Fills s->protection_managed, reading the group's capacity providers once
 * a run, when it may matter (a member protected, or enough DRAINING for a
 * bulk scale-in). -1 when they could not be read. */
int bulk_note_protection(struct engine *e, struct rollout_snapshot *s, struct err *err);
/* Once the latest bulk scale-in has picked its victims: warns of a member
 * it was to keep that left, and of a drained one it did not take. */
void bulk_check_victims(struct engine *e, const struct rollout_snapshot *s);
/* Before a run stopped on request releases its lease: takes off the
 * protection its bulk scale-in added (best effort; the next run's first
 * poll does otherwise). */
void bulk_unprotect_on_stop(struct engine *e);

/* ---- hold.c: what the rollout holds of the group's scaling ---- */
/* Before a decision to finish resumes AlarmNotification: while a scale-in
 * alarm of the group's policies is still in ALARM from the doubled period
 * (and within its bound), turns the decision into a wait and returns 1;
 * 0 to go ahead, -1 when the alarms could not be read. */
int hold_alarm_notification(struct engine *e, const struct rollout_snapshot *s,
                            struct rollout_decision *d, struct err *err);
/* After the end: warns of the scheduled actions that came due while the
 * rollout kept ScheduledActions suspended. */
void hold_report_scheduled(struct engine *e, const struct rollout_snapshot *s);

#endif
