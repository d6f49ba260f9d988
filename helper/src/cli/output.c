/* Rendering rollout events: timestamped lines (plain in a pipe or under
 * Terraform), a live status line on a terminal, or one JSON object per line. */
#include "cli/output.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"

#define COLOR_RED "\033[31m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_GREEN "\033[32m"
#define COLOR_BOLD "\033[1m"
#define COLOR_DIM "\033[2m"
#define COLOR_RESET "\033[0m"

void output_init(struct output *out, const struct cli_options *o, FILE *stream)
{
    memset(out, 0, sizeof(*out));
    out->stream = stream;
    out->json = o->output == OUTPUT_JSON;
    out->quiet = o->quiet;
    int tty = isatty(fileno(stream));
    const char *no_color = getenv("NO_COLOR");
    int colors_ok = tty && !o->no_color && !(no_color && *no_color);
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0)
        colors_ok = 0;
    out->color = colors_ok && !out->json;
    out->live = colors_ok && !out->json && !out->quiet;
}

static void clock_text(double t, char *buf, size_t cap)
{
    time_t secs = (time_t)t;
    struct tm tm;
    localtime_r(&secs, &tm);
    strftime(buf, cap, "%H:%M:%S", &tm);
}

static void iso_time(double t, char *buf, size_t cap)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03dZ", (int)((t - (double)secs) * 1000));
}

void output_duration(double s, char *buf, size_t cap)
{
    if (s < 0)
        snprintf(buf, cap, "?");
    else if (s < 60)
        snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, cap, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

static void clear_status(struct output *out)
{
    if (out->status_shown) {
        fputs("\r\033[K", out->stream);
        out->status_shown = 0;
    }
}

static void draw_status(struct output *out)
{
    if (!out->live || !out->have_progress)
        return;
    const struct rollout_progress *p = &out->last;
    char elapsed[32], eta[32], line[256];
    output_duration(p->elapsed_s, elapsed, sizeof(elapsed));
    output_duration(p->eta_s, eta, sizeof(eta));
    int n = snprintf(line, sizeof(line),
                     "%s%-10s%s new %d/%d  old %d (%d draining)  tasks to move %d  %s", COLOR_BOLD,
                     out->phase, COLOR_RESET, p->current, p->original_desired, p->outdated,
                     p->draining, p->tasks_to_move, elapsed);
    if (p->eta_s >= 0 && n > 0 && (size_t)n < sizeof(line))
        snprintf(line + n, sizeof(line) - (size_t)n, "  eta %s", eta);
    fprintf(out->stream, "\r\033[K%s", line);
    fflush(out->stream);
    out->status_shown = 1;
}

static const char *kind_name(enum rollout_event_kind k)
{
    switch (k) {
    case EV_START:
        return "start";
    case EV_ACTION:
        return "action";
    case EV_WAIT:
        return "wait";
    case EV_PROGRESS:
        return "progress";
    case EV_INFO:
        return "info";
    case EV_WARNING:
        return "warning";
    case EV_ERROR:
        return "error";
    case EV_DONE:
        return "done";
    }
    return "event";
}

static void json_event(struct output *out, const struct rollout_event *ev)
{
    cJSON *o = cJSON_CreateObject();
    char t[40];
    iso_time(ev->time, t, sizeof(t));
    cJSON_AddStringToObject(o, "time", t);
    cJSON_AddStringToObject(o, "event", kind_name(ev->kind));
    if (ev->phase)
        cJSON_AddStringToObject(o, "phase", ev->phase);
    if (ev->action)
        cJSON_AddStringToObject(o, "action", ev->action);
    if (ev->message)
        cJSON_AddStringToObject(o, "message", ev->message);
    if (ev->ids && ev->ids->n) {
        cJSON *ids = cJSON_AddArrayToObject(o, "ids");
        for (size_t i = 0; i < ev->ids->n; i++)
            cJSON_AddItemToArray(ids, cJSON_CreateString(ev->ids->v[i]));
    }
    if (ev->progress) {
        const struct rollout_progress *p = ev->progress;
        cJSON_AddNumberToObject(o, "members", p->members);
        cJSON_AddNumberToObject(o, "current", p->current);
        cJSON_AddNumberToObject(o, "outdated", p->outdated);
        cJSON_AddNumberToObject(o, "draining", p->draining);
        cJSON_AddNumberToObject(o, "new_ready", p->new_ready);
        cJSON_AddNumberToObject(o, "new_not_ready", p->new_not_ready);
        cJSON_AddNumberToObject(o, "leaving", p->leaving);
        cJSON_AddNumberToObject(o, "tasks_to_move", p->tasks_to_move);
        cJSON_AddNumberToObject(o, "desired_capacity", p->desired_capacity);
        cJSON_AddNumberToObject(o, "original_desired", p->original_desired);
        cJSON_AddNumberToObject(o, "batch", p->batch);
        cJSON_AddNumberToObject(o, "batches", p->n_batches);
        cJSON_AddNumberToObject(o, "elapsed_s", p->elapsed_s);
        if (p->eta_s >= 0)
            cJSON_AddNumberToObject(o, "eta_s", p->eta_s);
    }
    if (ev->summary) {
        const struct rollout_summary *s = ev->summary;
        cJSON_AddStringToObject(o, "result", rollout_result_name((enum rollout_result)s->result));
        cJSON_AddNumberToObject(o, "replaced", s->replaced);
        cJSON_AddNumberToObject(o, "launched", s->launched);
        cJSON_AddNumberToObject(o, "tasks_moved", s->tasks_moved);
        cJSON_AddNumberToObject(o, "tasks_stopped", s->tasks_stopped);
        cJSON_AddNumberToObject(o, "batches", s->batches);
        cJSON_AddNumberToObject(o, "bulk_scale_ins", s->bulk_scale_ins);
        cJSON_AddNumberToObject(o, "elapsed_s", s->elapsed_s);
        cJSON_AddNumberToObject(o, "aws_requests", (double)s->aws_attempts);
    }
    char *text = cJSON_PrintUnformatted(o);
    if (text) {
        log_scrub(text);
        fprintf(out->stream, "%s\n", text);
        fflush(out->stream);
        free(text);
    }
    cJSON_Delete(o);
}

static void text_line(struct output *out, const struct rollout_event *ev, const char *color,
                      const char *label, const char *msg)
{
    clear_status(out);
    char t[16];
    clock_text(ev->time, t, sizeof(t));
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s", msg ? msg : "");
    if (ev->ids && ev->ids->n) {
        buf_puts(&b, ": ");
        for (size_t i = 0; i < ev->ids->n && i < 8; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", ev->ids->v[i]);
        if (ev->ids->n > 8)
            buf_printf(&b, " and %zu more", ev->ids->n - 8);
    }
    if (b.data)
        log_scrub(b.data);
    if (out->color && color)
        fprintf(out->stream, "%s%s%s %s%s%s%s\n", COLOR_DIM, t, COLOR_RESET, color, label,
                buf_cstr(&b), COLOR_RESET);
    else
        fprintf(out->stream, "%s %s%s\n", t, label, buf_cstr(&b));
    buf_free(&b);
    fflush(out->stream);
}

/* In a pipe, progress becomes a line when something changed, at most every
 * few seconds, so Terraform's log shows movement without a flood. */
static void plain_progress(struct output *out, const struct rollout_event *ev)
{
    const struct rollout_progress *p = ev->progress;
    int changed = p->current != out->printed.current || p->outdated != out->printed.outdated ||
                  p->draining != out->printed.draining ||
                  p->tasks_to_move != out->printed.tasks_to_move ||
                  p->new_ready != out->printed.new_ready;
    if (!changed || (out->printed_at > 0 && ev->time - out->printed_at < 5))
        return;
    char elapsed[32], msg[256];
    output_duration(p->elapsed_s, elapsed, sizeof(elapsed));
    snprintf(msg, sizeof(msg),
             "progress: %d current, %d out of date (%d draining), %d new ready, %d task(s) to "
             "move, %s elapsed",
             p->current, p->outdated, p->draining, p->new_ready, p->tasks_to_move, elapsed);
    text_line(out, ev, NULL, "", msg);
    out->printed = *p;
    out->printed_at = ev->time;
}

void output_event(const struct rollout_event *ev, void *userdata)
{
    struct output *out = userdata;
    if (ev->phase)
        snprintf(out->phase, sizeof(out->phase), "%s", ev->phase);
    if (ev->kind == EV_PROGRESS && ev->progress) {
        out->last = *ev->progress;
        out->last.services = NULL;
        out->have_progress = 1;
    }
    if (out->json) {
        if (!out->quiet || ev->kind == EV_ERROR || ev->kind == EV_DONE)
            json_event(out, ev);
        return;
    }
    if (out->quiet && ev->kind != EV_ERROR && ev->kind != EV_DONE)
        return;
    switch (ev->kind) {
    case EV_PROGRESS:
        if (out->live)
            draw_status(out);
        else if (!out->quiet)
            plain_progress(out, ev);
        return;
    case EV_START:
        text_line(out, ev, COLOR_BOLD, "", ev->message);
        break;
    case EV_ACTION:
        text_line(out, ev, COLOR_BOLD, "", ev->message);
        break;
    case EV_WAIT:
        text_line(out, ev, NULL, "", ev->message);
        break;
    case EV_INFO:
        text_line(out, ev, NULL, "", ev->message);
        break;
    case EV_WARNING:
        text_line(out, ev, COLOR_YELLOW, "warning: ", ev->message);
        break;
    case EV_ERROR:
        text_line(out, ev, COLOR_RED, "error: ", ev->message);
        break;
    case EV_DONE: {
        const struct rollout_summary *s = ev->summary;
        int ok = s && (s->result == ROLLOUT_DONE || s->result == ROLLOUT_NOTHING_TO_DO);
        char took[32], msg[1024];
        output_duration(s ? s->elapsed_s : 0, took, sizeof(took));
        if (s && s->result == ROLLOUT_DONE)
            snprintf(msg, sizeof(msg),
                     "done: %d instance(s) replaced, %d launched, %d task(s) moved, %d standalone "
                     "task(s) stopped, %d batch(es), %s, %lu AWS requests",
                     s->replaced, s->launched, s->tasks_moved, s->tasks_stopped, s->batches, took,
                     s->aws_attempts);
        else
            snprintf(msg, sizeof(msg), "%s", ev->message ? ev->message : "");
        text_line(out, ev, ok ? COLOR_GREEN : COLOR_RED,
                  ok                                     ? ""
                  : s && s->result == ROLLOUT_INCOMPLETE ? "incomplete: "
                                                         : "failed: ",
                  msg);
        return;
    }
    }
    draw_status(out);
}

void output_finish(struct output *out)
{
    clear_status(out);
    fflush(out->stream);
}
