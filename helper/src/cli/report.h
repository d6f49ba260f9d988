/* Recording a rollout's events and writing them as an HTML report. */
#ifndef ECSR_CLI_REPORT_H
#define ECSR_CLI_REPORT_H

#include "rollout/engine.h"
#include "util/err.h"

struct output;

struct report_sample {
    double t;
    int current, outdated, draining, tasks_to_move, desired;
    char phase[24];
};

struct report_point {
    double t;
    int running, desired;
    unsigned long seq; /* which progress event: consecutive polls have consecutive seq */
};

struct report_series {
    char *name;
    struct report_point *points;
    size_t n, cap;
};

struct report_event {
    double t;
    char *phase;
    char *kind;
    char *message;
};

struct report {
    char *asg_name;
    char *cluster_name;
    double t0, t_end;
    struct report_sample *samples;
    size_t n_samples, cap_samples;
    struct report_event *events;
    size_t n_events, cap_events;
    struct report_series *series;
    size_t n_series, cap_series;
    unsigned long n_progress;
    struct rollout_summary summary;
    int have_summary;
    char *summary_text;
};

void report_init(struct report *r, const char *asg_name, const char *cluster_name);
void report_free(struct report *r);
/* A rollout_event_fn: userdata is the struct report. */
void report_event(const struct rollout_event *ev, void *userdata);
/* Writes the page (owner-only permissions, replaced atomically). */
int report_write(const struct report *r, const char *path, struct err *err);
/* The page itself (cli/report_html.c). */
struct buf;
void report_render(struct buf *b, const struct report *r);

/* Sends each event to the output and, when set, the report. */
struct event_tee {
    struct output *output;
    struct report *report;
};
void event_tee_fn(const struct rollout_event *ev, void *userdata);

#endif
