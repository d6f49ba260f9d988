/* Rendering the rollout's events for people or programs. */
#ifndef ECSR_CLI_OUTPUT_H
#define ECSR_CLI_OUTPUT_H

#include <stdio.h>

#include "cli/options.h"
#include "rollout/engine.h"

struct output {
    FILE *stream;
    int json;
    int quiet;
    int color;
    int live; /* a status line redrawn in place */
    int status_shown;
    int have_progress;
    char phase[32];
    struct rollout_progress last;    /* latest counts (services not kept) */
    struct rollout_progress printed; /* last counts printed as a line */
    double printed_at;
};

void output_init(struct output *out, const struct cli_options *o, FILE *stream);
/* A rollout_event_fn: userdata is the struct output. */
void output_event(const struct rollout_event *ev, void *userdata);
void output_finish(struct output *out);
/* "42s", "3m05s", "1h02m"; "?" for negative. */
void output_duration(double seconds, char *buf, size_t cap);

#endif
