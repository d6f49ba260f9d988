/* The rollout report: a self-contained HTML page with SVG charts of
 * instances, tasks to move and services' running counts over time, the
 * phases marked, and the event log. No script, no external resource. */
#include "cli/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/output.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define CHART_W 900
#define CHART_H 220
#define PAD_L 50
#define PAD_R 20
#define PAD_T 20
#define PAD_B 30
/* Samples kept: beyond this, every other one is dropped (a long rollout
 * still fits in a few hundred kilobytes). */
#define MAX_SAMPLES 4000

void report_init(struct report *r, const char *asg_name, const char *cluster_name)
{
    memset(r, 0, sizeof(*r));
    r->asg_name = xstrdup(asg_name);
    r->cluster_name = xstrdup(cluster_name);
}

void report_free(struct report *r)
{
    free(r->asg_name);
    free(r->cluster_name);
    free(r->samples);
    for (size_t i = 0; i < r->n_events; i++) {
        free(r->events[i].phase);
        free(r->events[i].kind);
        free(r->events[i].message);
    }
    free(r->events);
    for (size_t i = 0; i < r->n_series; i++) {
        free(r->series[i].name);
        free(r->series[i].points);
    }
    free(r->series);
    free(r->summary_text);
    memset(r, 0, sizeof(*r));
}

static void thin_samples(struct report *r)
{
    size_t w = 0;
    for (size_t i = 0; i < r->n_samples; i += 2)
        r->samples[w++] = r->samples[i];
    r->n_samples = w;
}

static struct report_series *series_for(struct report *r, const char *name)
{
    for (size_t i = 0; i < r->n_series; i++)
        if (strcmp(r->series[i].name, name) == 0)
            return &r->series[i];
    r->series = xgrow(r->series, &r->cap_series, r->n_series + 1, sizeof(*r->series));
    struct report_series *s = &r->series[r->n_series++];
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(name);
    return s;
}

static void add_event(struct report *r, const struct rollout_event *ev, const char *kind)
{
    r->events = xgrow(r->events, &r->cap_events, r->n_events + 1, sizeof(*r->events));
    struct report_event *e = &r->events[r->n_events++];
    e->t = ev->time;
    e->phase = xstrdup(ev->phase ? ev->phase : "");
    e->kind = xstrdup(kind);
    struct buf b = BUF_INIT;
    buf_puts(&b, ev->message ? ev->message : "");
    if (ev->ids && ev->ids->n) {
        buf_puts(&b, ": ");
        for (size_t i = 0; i < ev->ids->n && i < 20; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", ev->ids->v[i]);
        if (ev->ids->n > 20)
            buf_printf(&b, " and %zu more", ev->ids->n - 20);
    }
    e->message = buf_steal(&b);
    log_scrub(e->message);
}

void report_event(const struct rollout_event *ev, void *userdata)
{
    struct report *r = userdata;
    if (r->t0 == 0)
        r->t0 = ev->time;
    switch (ev->kind) {
    case EV_PROGRESS: {
        const struct rollout_progress *p = ev->progress;
        if (r->n_samples >= MAX_SAMPLES)
            thin_samples(r);
        r->samples = xgrow(r->samples, &r->cap_samples, r->n_samples + 1, sizeof(*r->samples));
        struct report_sample *s = &r->samples[r->n_samples++];
        s->t = ev->time;
        s->current = p->current;
        s->outdated = p->outdated;
        s->draining = p->draining;
        s->tasks_to_move = p->tasks_to_move;
        s->desired = p->desired_capacity;
        snprintf(s->phase, sizeof(s->phase), "%s", ev->phase ? ev->phase : "");
        for (size_t i = 0; i < p->n_services; i++) {
            const struct ecs_service *svc = &p->services[i];
            if (!svc->name)
                continue;
            struct report_series *se = series_for(r, svc->name);
            se->points = xgrow(se->points, &se->cap, se->n + 1, sizeof(*se->points));
            se->points[se->n].t = ev->time;
            se->points[se->n].running = svc->running_count;
            se->points[se->n].desired = svc->desired_count;
            se->n++;
        }
        break;
    }
    case EV_START: add_event(r, ev, "start"); break;
    case EV_ACTION: add_event(r, ev, ev->action ? ev->action : "action"); break;
    case EV_WAIT: add_event(r, ev, "wait"); break;
    case EV_INFO: add_event(r, ev, "info"); break;
    case EV_WARNING: add_event(r, ev, "warning"); break;
    case EV_ERROR: add_event(r, ev, "error"); break;
    case EV_DONE:
        add_event(r, ev, "done");
        if (ev->summary) {
            r->summary = *ev->summary;
            r->have_summary = 1;
        }
        r->t_end = ev->time;
        break;
    }
}

void event_tee_fn(const struct rollout_event *ev, void *userdata)
{
    struct event_tee *tee = userdata;
    if (tee->output)
        output_event(ev, tee->output);
    if (tee->report)
        report_event(ev, tee->report);
}

static void html_escape(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        default: buf_putc(b, *s);
        }
    }
}

struct scale {
    double t0, t1;
    double ymax;
};

static double sx(const struct scale *s, double t)
{
    double span = s->t1 - s->t0 > 0 ? s->t1 - s->t0 : 1;
    return PAD_L + (t - s->t0) / span * (CHART_W - PAD_L - PAD_R);
}

static double sy(const struct scale *s, double v)
{
    double top = s->ymax > 0 ? s->ymax : 1;
    return PAD_T + (1 - v / top) * (CHART_H - PAD_T - PAD_B);
}

static const char *phase_color(const char *phase)
{
    if (strcmp(phase, "scale-out") == 0) return "#e3f2fd";
    if (strcmp(phase, "drain") == 0) return "#fff3e0";
    if (strcmp(phase, "terminate") == 0) return "#fce4ec";
    if (strcmp(phase, "rollback") == 0) return "#ffebee";
    if (strcmp(phase, "finish") == 0) return "#e8f5e9";
    return "#f5f5f5";
}

/* Background bands, one per run of samples in the same phase. */
static void phase_bands(struct buf *b, const struct report *r, const struct scale *s, int labels)
{
    size_t i = 0;
    while (i < r->n_samples) {
        size_t j = i;
        while (j + 1 < r->n_samples && strcmp(r->samples[j + 1].phase, r->samples[i].phase) == 0)
            j++;
        double x0 = sx(s, r->samples[i].t);
        double x1 = j + 1 < r->n_samples ? sx(s, r->samples[j + 1].t) : sx(s, s->t1);
        buf_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", x0,
                   PAD_T, x1 - x0 > 0 ? x1 - x0 : 0.5, CHART_H - PAD_T - PAD_B,
                   phase_color(r->samples[i].phase));
        if (labels && x1 - x0 > 40) {
            buf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"phase\">", x0 + 3, PAD_T + 12);
            html_escape(b, r->samples[i].phase);
            buf_puts(b, "</text>");
        }
        i = j + 1;
    }
}

static void axes(struct buf *b, const struct scale *s, const char *title)
{
    buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", PAD_L,
               CHART_H - PAD_B, CHART_W - PAD_R, CHART_H - PAD_B);
    buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", PAD_L, PAD_T,
               PAD_L, CHART_H - PAD_B);
    int ticks = 4;
    for (int i = 0; i <= ticks; i++) {
        double v = s->ymax * i / ticks;
        buf_printf(b, "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%.0f</text>",
                   PAD_L - 6, sy(s, v) + 4, v);
        double t = s->t0 + (s->t1 - s->t0) * i / ticks;
        char d[32];
        output_duration(t - s->t0, d, sizeof(d));
        buf_printf(b, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>",
                   sx(s, t), CHART_H - PAD_B + 16, d);
    }
    buf_printf(b, "<text x=\"%d\" y=\"14\" class=\"title\">", PAD_L);
    html_escape(b, title);
    buf_puts(b, "</text>");
}

typedef double (*sample_value)(const struct report_sample *s);
static double v_current(const struct report_sample *s) { return s->current; }
static double v_outdated(const struct report_sample *s) { return s->outdated; }
static double v_draining(const struct report_sample *s) { return s->draining; }
static double v_tasks(const struct report_sample *s) { return s->tasks_to_move; }

static void polyline(struct buf *b, const struct report *r, const struct scale *s,
                     sample_value f, const char *color, const char *label)
{
    if (!r->n_samples)
        return;
    buf_printf(b, "<polyline class=\"series\" data-series=\"%s\" stroke=\"%s\" points=\"", label,
               color);
    double prev = 0;
    for (size_t i = 0; i < r->n_samples; i++) {
        double x = sx(s, r->samples[i].t), y = sy(s, f(&r->samples[i]));
        if (i)
            buf_printf(b, "%.1f,%.1f ", x, sy(s, prev)); /* steps, not slopes */
        buf_printf(b, "%.1f,%.1f ", x, y);
        prev = f(&r->samples[i]);
    }
    buf_printf(b, "%.1f,%.1f\"/>", sx(s, s->t1), sy(s, prev));
}

static void legend(struct buf *b, int i, const char *color, const char *label)
{
    int x = CHART_W - PAD_R - 170, y = PAD_T + 4 + 16 * i;
    buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>", x, y, color);
    buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"tick\">", x + 18, y + 6);
    html_escape(b, label);
    buf_puts(b, "</text>");
}

static const char *const palette[] = {"#1565c0", "#c62828", "#2e7d32", "#6a1b9a",
                                      "#ef6c00", "#00838f", "#4e342e", "#ad1457"};

static void chart_open(struct buf *b, const char *id)
{
    buf_printf(b, "<svg id=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                  "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">",
               id, CHART_W, CHART_H, CHART_W, CHART_H);
}

static void render(struct buf *b, const struct report *r)
{
    struct scale s = {r->t0, r->t_end > r->t0 ? r->t_end : r->t0 + 1, 1};
    if (r->n_samples && r->samples[r->n_samples - 1].t > s.t1)
        s.t1 = r->samples[r->n_samples - 1].t;
    for (size_t i = 0; i < r->n_samples; i++) {
        const struct report_sample *x = &r->samples[i];
        int m = x->current + x->outdated;
        if (m > s.ymax)
            s.ymax = m;
        if (x->desired > s.ymax)
            s.ymax = x->desired;
    }

    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>ecs-rollout report</title><style>"
                "body{font-family:system-ui,sans-serif;margin:24px;color:#222}"
                "h1{font-size:20px}table{border-collapse:collapse;font-size:13px}"
                "td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
                ".axis{stroke:#555}.tick{font-size:11px;fill:#444}.title{font-size:13px;font-weight:600}"
                ".phase{font-size:10px;fill:#777}.series{fill:none;stroke-width:2}"
                ".kv td{border:none;padding:1px 12px 1px 0}.error{color:#c62828}.warning{color:#ef6c00}"
                "svg{display:block;margin:12px 0}"
                "</style></head><body>\n");
    buf_puts(b, "<h1>Rollout of ");
    html_escape(b, r->asg_name);
    buf_puts(b, " in cluster ");
    html_escape(b, r->cluster_name);
    buf_puts(b, "</h1>\n<table class=\"kv\" id=\"summary\">");
    if (r->have_summary) {
        const struct rollout_summary *su = &r->summary;
        char took[32];
        output_duration(su->elapsed_s, took, sizeof(took));
        buf_printf(b, "<tr><td>Result</td><td id=\"result\">%s</td></tr>",
                   rollout_result_name((enum rollout_result)su->result));
        buf_printf(b, "<tr><td>Instances replaced</td><td>%d</td></tr>", su->replaced);
        buf_printf(b, "<tr><td>Instances launched</td><td>%d</td></tr>", su->launched);
        buf_printf(b, "<tr><td>Tasks moved</td><td>%d</td></tr>", su->tasks_moved);
        buf_printf(b, "<tr><td>Standalone tasks stopped</td><td>%d</td></tr>", su->tasks_stopped);
        buf_printf(b, "<tr><td>Batches</td><td>%d</td></tr>", su->batches);
        buf_printf(b, "<tr><td>Time taken</td><td>%s</td></tr>", took);
        buf_printf(b, "<tr><td>AWS requests</td><td>%lu</td></tr>", su->aws_attempts);
        buf_puts(b, "<tr><td>Message</td><td>");
        html_escape(b, su->message);
        buf_puts(b, "</td></tr>");
    }
    buf_puts(b, "</table>\n");

    chart_open(b, "instances");
    phase_bands(b, r, &s, 1);
    axes(b, &s, "Instances");
    polyline(b, r, &s, v_current, palette[0], "current");
    polyline(b, r, &s, v_outdated, palette[1], "out-of-date");
    polyline(b, r, &s, v_draining, palette[4], "draining");
    legend(b, 0, palette[0], "current (new)");
    legend(b, 1, palette[1], "out of date (old)");
    legend(b, 2, palette[4], "draining");
    buf_puts(b, "</svg>\n");

    struct scale ts = s;
    ts.ymax = 1;
    for (size_t i = 0; i < r->n_samples; i++)
        if (r->samples[i].tasks_to_move > ts.ymax)
            ts.ymax = r->samples[i].tasks_to_move;
    chart_open(b, "tasks");
    phase_bands(b, r, &ts, 0);
    axes(b, &ts, "Tasks to move (on draining instances)");
    polyline(b, r, &ts, v_tasks, palette[3], "tasks-to-move");
    buf_puts(b, "</svg>\n");

    if (r->n_series) {
        struct scale ss = s;
        ss.ymax = 1;
        for (size_t k = 0; k < r->n_series; k++)
            for (size_t i = 0; i < r->series[k].n; i++) {
                if (r->series[k].points[i].running > ss.ymax)
                    ss.ymax = r->series[k].points[i].running;
                if (r->series[k].points[i].desired > ss.ymax)
                    ss.ymax = r->series[k].points[i].desired;
            }
        chart_open(b, "services");
        phase_bands(b, r, &ss, 0);
        axes(b, &ss, "Services: running tasks (when watched)");
        for (size_t k = 0; k < r->n_series && k < 8; k++) {
            const struct report_series *se = &r->series[k];
            const char *color = palette[k % 8];
            for (size_t i = 0; i < se->n; i++)
                buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
                           sx(&ss, se->points[i].t), sy(&ss, se->points[i].running), color);
            legend(b, (int)k, color, se->name);
        }
        buf_puts(b, "</svg>\n");
    }

    buf_puts(b, "<h2 style=\"font-size:16px\">Events</h2>\n<table id=\"events\"><tr><th>Time</th>"
                "<th>Phase</th><th>Event</th><th>Details</th></tr>\n");
    for (size_t i = 0; i < r->n_events; i++) {
        const struct report_event *e = &r->events[i];
        char d[32];
        output_duration(e->t - r->t0, d, sizeof(d));
        buf_printf(b, "<tr class=\"%s\"><td>+%s</td><td>", e->kind, d);
        html_escape(b, e->phase);
        buf_puts(b, "</td><td>");
        html_escape(b, e->kind);
        buf_puts(b, "</td><td>");
        html_escape(b, e->message);
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n<p style=\"font-size:11px;color:#777\">ecs-rollout " ECSR_VERSION
                "</p></body></html>\n");
}

int report_write(const struct report *r, const char *path, struct err *err)
{
    struct buf b = BUF_INIT;
    render(&b, r);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    /* A new file only (owner-only from the start), never through a link
     * someone planted at the temporary name: that would truncate the file
     * it points to. A leftover of ours (the same pid, long ago) is removed
     * once - unlink removes a link, not its target. */
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(tmp, flags, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, flags, 0600);
    if (fd < 0) {
        int e = errno;
        buf_free(&b);
        return err_set(err, ERR_IO, "cannot write the report %s: %s", path, strerror(e));
    }
    size_t off = 0;
    while (off < b.len) {
        ssize_t w = write(fd, b.data + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            buf_free(&b);
            return err_set(err, ERR_IO, "cannot write the report %s: %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    buf_free(&b);
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return err_set(err, ERR_IO, "cannot write the report %s: %s", path, strerror(e));
    }
    return 0;
}
