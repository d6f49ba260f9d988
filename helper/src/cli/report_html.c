/* The rollout report as a page: a summary, three SVG charts over time
 * (instances, tasks to move, services' running tasks) with the phases as
 * background bands, and the event log. Self-contained: inline CSS and SVG,
 * no script, no external resource.
 *
 * Layout is computed here, without a browser, so text widths are estimated
 * generously (LEGEND_CHAR_W, TITLE_CHAR_W) and every label gets a place of
 * its own: title and legend above the plot, phase names in a strip between
 * them and the plot, tick labels and axis titles outside the plot. */
#include "cli/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/output.h"
#include "util/buf.h"

#define CHART_W 900
#define PAD_L 64 /* y tick labels, then the rotated y-axis title */
#define PAD_R 28 /* room for the last x tick label */
#define PLOT_H 180
#define PAD_B 46 /* x tick labels, then the x-axis title */
#define ROW_H 16
#define LEGEND_CHAR_W 6.8 /* 11px sans-serif, generous */
#define TITLE_CHAR_W 8.6  /* 13px bold */
#define PHASE_CHAR_W 6.4  /* 10px */
#define MAX_LEGEND 12
#define MAX_SERVICES 8

static void html_escape(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

/* ---- scales and ticks ---- */

struct legend_item {
    const char *label;
    const char *color;
    const char *dash; /* stroke-dasharray, or NULL for solid */
    double width;
    double x;
    int row;
};

struct chart {
    const char *id;
    const char *title;
    const char *y_title;
    double t0, t1;
    double ymax, ystep;
    double plot_top, plot_bottom;
    int height;
    struct legend_item legend[MAX_LEGEND];
    size_t n_legend;
};

static double plot_left(void)
{
    return PAD_L;
}
static double plot_right(void)
{
    return CHART_W - PAD_R;
}

static double sx(const struct chart *c, double t)
{
    double span = c->t1 - c->t0 > 0 ? c->t1 - c->t0 : 1;
    double x = plot_left() + (t - c->t0) / span * (plot_right() - plot_left());
    return x < plot_left() ? plot_left() : x > plot_right() ? plot_right() : x;
}

static double sy(const struct chart *c, double v)
{
    double y = c->plot_bottom - v / c->ymax * (c->plot_bottom - c->plot_top);
    return y < c->plot_top ? c->plot_top : y > c->plot_bottom ? c->plot_bottom : y;
}

/* Whole-number ticks (1, 2, 5 x 10^k apart), the top one above the largest
 * value so that no line runs along the frame. */
static void count_scale(struct chart *c, double max_value)
{
    static const double mult[] = {1, 2, 5};
    double step = 1;
    for (double mag = 1; mag < 1e9; mag *= 10) {
        int found = 0;
        for (size_t i = 0; i < 3 && !found; i++) {
            step = mult[i] * mag;
            found = max_value / step <= 5;
        }
        if (found)
            break;
    }
    c->ystep = step;
    c->ymax = (floor(max_value / step) + 1) * step;
}

/* Seconds between time ticks: a round step giving at most 8 of them. */
static double time_step(double span)
{
    static const double steps[] = {0.1, 0.2, 0.5, 1,    2,    5,    10,    15,    30,    60,   120,
                                   300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (span / steps[i] <= 8)
            return steps[i];
    return ceil(span / 8 / 86400) * 86400;
}

static void time_label(double t, double step, char *out, size_t cap)
{
    long s = lround(t);
    if (step < 1)
        snprintf(out, cap, "%.1fs", t);
    else if (s < 60)
        snprintf(out, cap, "%lds", s);
    else if (s < 3600)
        snprintf(out, cap, s % 60 ? "%ldm%02lds" : "%ldm", s / 60, s % 60);
    else
        snprintf(out, cap, (s % 3600) / 60 ? "%ldh%02ldm" : "%ldh", s / 3600, (s % 3600) / 60);
}

/* "+0.42s" in a short rollout, "+3m05s" in a long one. */
static void offset_label(double d, double span, char *out, size_t cap)
{
    if (span < 60) {
        snprintf(out, cap, "+%.2fs", d < 0 ? 0 : d);
    } else if (cap > 1) {
        out[0] = '+';
        output_duration(d < 0 ? 0 : d, out + 1, cap - 1);
    }
}

/* ---- phases ---- */

static const char *phase_color(const char *phase)
{
    if (strcmp(phase, "preflight") == 0)
        return "#eeeeee";
    if (strcmp(phase, "scale-out") == 0)
        return "#e3f2fd";
    if (strcmp(phase, "drain") == 0)
        return "#fff3e0";
    if (strcmp(phase, "terminate") == 0)
        return "#fce4ec";
    if (strcmp(phase, "finish") == 0)
        return "#e8f5e9";
    if (strcmp(phase, "rollback") == 0)
        return "#ffcdd2";
    return "#f5f5f5";
}

/* Calls fn for each run of samples in the same phase, with its time span
 * (a run lasts until the next run's first sample). */
typedef void (*phase_run_fn)(struct buf *b, const struct chart *c, const char *phase, double t0,
                             double t1);

static void each_phase_run(struct buf *b, const struct report *r, const struct chart *c,
                           phase_run_fn fn)
{
    size_t i = 0;
    while (i < r->n_samples) {
        size_t j = i;
        while (j + 1 < r->n_samples && strcmp(r->samples[j + 1].phase, r->samples[i].phase) == 0)
            j++;
        double t1 = j + 1 < r->n_samples ? r->samples[j + 1].t : c->t1;
        fn(b, c, r->samples[i].phase, r->samples[i].t, t1);
        i = j + 1;
    }
}

static void phase_band(struct buf *b, const struct chart *c, const char *phase, double t0,
                       double t1)
{
    double x0 = sx(c, t0), x1 = sx(c, t1);
    buf_printf(b, "<rect class=\"phase-band\" data-phase=\"");
    html_escape(b, phase);
    buf_printf(b, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", x0,
               c->plot_top, x1 - x0, c->plot_bottom - c->plot_top, phase_color(phase));
    html_escape(b, phase);
    buf_puts(b, "</title></rect>");
}

/* Phase names in the strip above the plot, where they fit in their band. */
static void phase_label(struct buf *b, const struct chart *c, const char *phase, double t0,
                        double t1)
{
    double x0 = sx(c, t0), x1 = sx(c, t1);
    if ((double)strlen(phase) * PHASE_CHAR_W + 4 > x1 - x0)
        return;
    buf_printf(b, "<text class=\"phase-label\" x=\"%.1f\" y=\"%.1f\">", x0 + 2, c->plot_top - 5);
    html_escape(b, phase);
    buf_puts(b, "</text>");
}

/* ---- chart frame ---- */

static void legend_add(struct chart *c, const char *label, const char *color, const char *dash,
                       double width)
{
    if (c->n_legend < MAX_LEGEND)
        c->legend[c->n_legend++] = (struct legend_item){label, color, dash, width, 0, 0};
}

static double legend_width(const struct legend_item *it)
{
    size_t n = strlen(it->label);
    return 22 + (double)(n > 40 ? 41 : n) * LEGEND_CHAR_W + 14;
}

/* Places the legend after the title, wrapping to new rows; sets the
 * plot's vertical extent from the rows used. */
static void chart_layout(struct chart *c)
{
    double x = plot_left() + (double)strlen(c->title) * TITLE_CHAR_W + 28;
    int row = 0;
    for (size_t i = 0; i < c->n_legend; i++) {
        double w = legend_width(&c->legend[i]);
        if (x + w > plot_right() && x > plot_left()) {
            row++;
            x = plot_left();
        }
        c->legend[i].x = x;
        c->legend[i].row = row;
        x += w;
    }
    c->plot_top = 8 + ROW_H * (row + 1) + ROW_H; /* title/legend rows, then the phase strip */
    c->plot_bottom = c->plot_top + PLOT_H;
    c->height = (int)(c->plot_bottom + PAD_B);
}

static void legend_draw(struct buf *b, const struct chart *c)
{
    for (size_t i = 0; i < c->n_legend; i++) {
        const struct legend_item *it = &c->legend[i];
        double y = 20 + ROW_H * it->row;
        buf_printf(b,
                   "<g class=\"legend\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"%s\" stroke-width=\"%.1f\"",
                   it->x, y - 4, it->x + 16, y - 4, it->color, it->width > 4 ? 4.0 : it->width);
        if (it->dash)
            buf_printf(b, " stroke-dasharray=\"%s\"", it->dash);
        buf_printf(b, "/><text class=\"legend-label\" x=\"%.1f\" y=\"%.1f\">", it->x + 22, y);
        if (strlen(it->label) > 40) {
            char cut[41];
            memcpy(cut, it->label, 40);
            cut[40] = '\0';
            html_escape(b, cut);
            buf_puts(b, "\xe2\x80\xa6<title>");
            html_escape(b, it->label);
            buf_puts(b, "</title>");
        } else {
            html_escape(b, it->label);
        }
        buf_puts(b, "</text></g>");
    }
}

static void chart_open(struct buf *b, struct chart *c, const struct report *r)
{
    chart_layout(c);
    buf_printf(b,
               "<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"",
               c->id, CHART_W, c->height, CHART_W, c->height);
    html_escape(b, c->title);
    buf_puts(b, "\">");
    buf_printf(b, "<text class=\"chart-title\" x=\"%.1f\" y=\"20\">", plot_left());
    html_escape(b, c->title);
    buf_puts(b, "</text>");
    legend_draw(b, c);

    each_phase_run(b, r, c, phase_band);
    each_phase_run(b, r, c, phase_label);

    /* Grid and y ticks. */
    for (double v = 0; v <= c->ymax + 1e-9; v += c->ystep) {
        double y = sy(c, v);
        if (v > 0)
            buf_printf(b, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                       plot_left(), y, plot_right(), y);
        buf_printf(
            b, "<text class=\"tick ytick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
            plot_left() - 6, y + 4, v);
    }
    /* x ticks: round times since the start. */
    double span = c->t1 - c->t0, step = time_step(span > 0 ? span : 1);
    for (int i = 0; i * step <= span + 1e-9; i++) {
        char label[32];
        double x = sx(c, c->t0 + i * step);
        time_label(i * step, step, label, sizeof(label));
        buf_printf(b, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x,
                   c->plot_bottom, x, c->plot_bottom + 4);
        buf_printf(
            b, "<text class=\"tick xtick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
            x, c->plot_bottom + 18, label);
    }
    buf_printf(b,
               "<rect class=\"plot-area\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
               plot_left(), c->plot_top, plot_right() - plot_left(), c->plot_bottom - c->plot_top);
    buf_printf(b,
               "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
               "time since the rollout started</text>",
               (plot_left() + plot_right()) / 2, c->plot_bottom + 38);
    double mid = (c->plot_top + c->plot_bottom) / 2;
    buf_printf(b,
               "<text class=\"axis-title\" x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
               "transform=\"rotate(-90 16 %.1f)\">",
               mid, mid);
    html_escape(b, c->y_title);
    buf_puts(b, "</text>");
}

/* ---- series ---- */

typedef double (*sample_value)(const struct report_sample *s);
static double v_current(const struct report_sample *s)
{
    return s->current;
}
static double v_outdated(const struct report_sample *s)
{
    return s->outdated;
}
static double v_draining(const struct report_sample *s)
{
    return s->draining;
}
static double v_desired(const struct report_sample *s)
{
    return s->desired;
}
static double v_tasks(const struct report_sample *s)
{
    return s->tasks_to_move;
}

static void series_open(struct buf *b, const char *name, const char *color, const char *dash,
                        double width)
{
    buf_puts(b, "<polyline class=\"series\" data-series=\"");
    html_escape(b, name);
    buf_printf(b, "\" stroke=\"%s\" stroke-width=\"%.1f\"", color, width);
    if (dash)
        buf_printf(b, " stroke-dasharray=\"%s\"", dash);
    buf_puts(b, " points=\"");
}

/* A step line: each value holds until the next sample, the last one until
 * the end of the chart. */
static void sample_series(struct buf *b, const struct report *r, const struct chart *c,
                          sample_value f, const char *name, const char *color, const char *dash,
                          double width)
{
    if (!r->n_samples)
        return;
    series_open(b, name, color, dash, width);
    double prev = 0;
    for (size_t i = 0; i < r->n_samples; i++) {
        double x = sx(c, r->samples[i].t), v = f(&r->samples[i]);
        if (i)
            buf_printf(b, "%.1f,%.1f ", x, sy(c, prev));
        buf_printf(b, "%.1f,%.1f ", x, sy(c, v));
        prev = v;
    }
    buf_printf(b, "%.1f,%.1f\"/>", sx(c, c->t1), sy(c, prev));
}

/* A service is known only at the polls that described it: one step line
 * per run of consecutive polls, and a dot at each poll. */
static void service_series(struct buf *b, const struct chart *c, const struct report_series *se,
                           const char *color)
{
    size_t i = 0;
    while (i < se->n) {
        size_t j = i;
        while (j + 1 < se->n && se->points[j + 1].seq == se->points[j].seq + 1)
            j++;
        for (int desired = 1; desired >= 0 && j > i; desired--) {
            series_open(b, se->name, color, desired ? "5 3" : NULL, desired ? 1.2 : 2);
            for (size_t k = i; k <= j; k++) {
                int v = desired ? se->points[k].desired : se->points[k].running;
                if (k > i) {
                    int pv = desired ? se->points[k - 1].desired : se->points[k - 1].running;
                    buf_printf(b, "%.1f,%.1f ", sx(c, se->points[k].t), sy(c, pv));
                }
                buf_printf(b, "%.1f,%.1f ", sx(c, se->points[k].t), sy(c, v));
            }
            buf_puts(b, desired ? "\" data-kind=\"desired\"/>" : "\" data-kind=\"running\"/>");
        }
        for (size_t k = i; k <= j; k++) {
            buf_printf(b, "<circle class=\"point\" data-series=\"");
            html_escape(b, se->name);
            buf_printf(b, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>",
                       sx(c, se->points[k].t), sy(c, se->points[k].running), color);
            html_escape(b, se->name);
            buf_printf(b, ": %d running of %d desired</title></circle>", se->points[k].running,
                       se->points[k].desired);
        }
        i = j + 1;
    }
}

static const char *const palette[MAX_SERVICES] = {"#1565c0", "#c62828", "#2e7d32", "#6a1b9a",
                                                  "#ef6c00", "#00838f", "#4e342e", "#ad1457"};
#define COLOR_CURRENT "#1565c0"
#define COLOR_OUTDATED "#c62828"
#define COLOR_DRAINING "#ef6c00"
#define COLOR_DESIRED "#757575"
#define COLOR_TASKS "#6a1b9a"
#define DASH_DRAINING "6 3"
#define DASH_DESIRED "2 3"

/* ---- page ---- */

static void summary_table(struct buf *b, const struct report *r, double span)
{
    buf_puts(b, "<table class=\"kv\" id=\"summary\">");
    if (r->have_summary) {
        const struct rollout_summary *su = &r->summary;
        const char *result = rollout_result_name((enum rollout_result)su->result);
        int ok = su->result == ROLLOUT_DONE || su->result == ROLLOUT_NOTHING_TO_DO;
        char took[32];
        if (su->elapsed_s < 10)
            snprintf(took, sizeof(took), "%.1fs", su->elapsed_s);
        else
            output_duration(su->elapsed_s, took, sizeof(took));
        buf_printf(b, "<tr><td>Result</td><td id=\"result\" class=\"%s\">%s</td></tr>",
                   ok ? "ok" : "bad", result);
        buf_puts(b, "<tr><td>Message</td><td id=\"message\">");
        html_escape(b, su->message);
        buf_puts(b, "</td></tr>");
        buf_printf(b, "<tr><td>Instances replaced</td><td id=\"replaced\">%d</td></tr>",
                   su->replaced);
        buf_printf(b, "<tr><td>Instances launched</td><td id=\"launched\">%d</td></tr>",
                   su->launched);
        buf_printf(b, "<tr><td>Tasks moved</td><td id=\"tasks_moved\">%d</td></tr>",
                   su->tasks_moved);
        buf_printf(b, "<tr><td>Standalone tasks stopped</td><td id=\"tasks_stopped\">%d</td></tr>",
                   su->tasks_stopped);
        buf_printf(b, "<tr><td>Batches</td><td id=\"batches\">%d</td></tr>", su->batches);
        buf_printf(b, "<tr><td>Time taken</td><td id=\"elapsed\">%s</td></tr>", took);
        buf_printf(b, "<tr><td>AWS requests</td><td id=\"aws_requests\">%lu</td></tr>",
                   su->aws_attempts);
    } else {
        buf_puts(b, "<tr><td>Result</td><td id=\"result\" class=\"bad\">unknown: the rollout "
                    "ended without a summary</td></tr>");
    }
    if (r->t0 > 0) {
        char when[40];
        time_t t = (time_t)r->t0;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        char d[32];
        offset_label(span, span, d, sizeof(d));
        buf_printf(b, "<tr><td>Started</td><td id=\"started\">%s (the charts span %s)</td></tr>",
                   when, d + 1);
    }
    buf_puts(b, "</table>\n");
}

/* The phases that occurred, in order, with their band colors. */
static void phase_key(struct buf *b, const struct report *r)
{
    const char *seen[16];
    size_t n = 0;
    for (size_t i = 0; i < r->n_samples && n < 16; i++) {
        size_t k = 0;
        while (k < n && strcmp(seen[k], r->samples[i].phase) != 0)
            k++;
        if (k == n)
            seen[n++] = r->samples[i].phase;
    }
    if (!n)
        return;
    buf_puts(b, "<p class=\"phases\" id=\"phase-key\">Phases (chart backgrounds):");
    for (size_t k = 0; k < n; k++) {
        buf_printf(b, " <span class=\"swatch\" style=\"background:%s\"></span>",
                   phase_color(seen[k]));
        html_escape(b, seen[k]);
    }
    buf_puts(b, "</p>\n");
}

static void events_table(struct buf *b, const struct report *r, double span)
{
    buf_puts(b, "<h2>Events</h2>\n<table id=\"events\"><tr><th>Time</th><th>Phase</th>"
                "<th>Event</th><th>Details</th></tr>\n");
    for (size_t i = 0; i < r->n_events; i++) {
        const struct report_event *e = &r->events[i];
        char d[32];
        offset_label(e->t - r->t0, span, d, sizeof(d));
        buf_puts(b, "<tr class=\"");
        html_escape(b, e->kind);
        buf_printf(b, "\"><td>%s</td><td>", d);
        html_escape(b, e->phase);
        buf_puts(b, "</td><td>");
        html_escape(b, e->kind);
        buf_puts(b, "</td><td>");
        html_escape(b, e->message);
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n");
}

static void services_chart(struct buf *b, const struct report *r, double t1)
{
    size_t shown = r->n_series < MAX_SERVICES ? r->n_series : MAX_SERVICES;
    if (shown) {
        struct chart s = {.id = "services",
                          .title = "Services",
                          .y_title = "running tasks",
                          .t0 = r->t0,
                          .t1 = t1};
        double max = 1;
        for (size_t k = 0; k < shown; k++)
            for (size_t i = 0; i < r->series[k].n; i++)
                max =
                    fmax(max, fmax(r->series[k].points[i].running, r->series[k].points[i].desired));
        count_scale(&s, max);
        for (size_t k = 0; k < shown; k++)
            legend_add(&s, r->series[k].name, palette[k], NULL, 2);
        legend_add(&s, "desired (dashed)", COLOR_DESIRED, "5 3", 1.2);
        chart_open(b, &s, r);
        for (size_t k = 0; k < shown; k++)
            service_series(b, &s, &r->series[k], palette[k]);
        buf_puts(b, "</svg>\n");
    }
    buf_puts(b, "<p class=\"note\" id=\"services-note\">Services are read when the instances of a "
                "batch have drained, before they are terminated: the chart shows their running "
                "tasks where they were read.");
    if (!shown)
        buf_puts(b, " No service was read in this run, so there is no services chart.");
    if (r->n_series > shown)
        buf_printf(b, " %zu more service(s) not shown.", r->n_series - shown);
    buf_puts(b, "</p>\n");
}

static const char page_style[] =
    "body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:24px;color:#222;max-width:960px}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
    "table{border-collapse:collapse;font-size:13px}"
    "td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
    "#events td:nth-child(-n+3){white-space:nowrap}"
    ".kv td{border:none;padding:1px 16px 1px 0}.kv "
    "td:first-child{white-space:nowrap}.ok{color:#2e7d32;font-weight:600}"
    ".bad{color:#c62828;font-weight:600}tr.error td{color:#c62828}tr.warning td{color:#ef6c00}"
    ".phases{font-size:12px;color:#555}.swatch{display:inline-block;width:12px;height:12px;"
    "border:1px solid #bbb;vertical-align:-2px;margin:0 3px 0 8px}"
    "svg.chart{display:block;margin:18px 0 6px;max-width:100%;height:auto;font-family:inherit}"
    ".chart-title{font-size:13px;font-weight:700;fill:#222}.legend-label,.tick{font-size:11px;fill:"
    "#444}"
    ".axis-title{font-size:11px;fill:#666}.phase-label{font-size:10px;fill:#666}"
    ".axis{stroke:#555}.grid{stroke:#ddd;stroke-width:1}"
    ".plot-area{fill:none;stroke:#999;stroke-width:1}.series{fill:none;stroke-linejoin:round}"
    ".note{font-size:12px;color:#666}";

void report_render(struct buf *b, const struct report *r)
{
    double t1 = r->t_end > r->t0 ? r->t_end : r->t0 + 1;
    if (r->n_samples && r->samples[r->n_samples - 1].t > t1)
        t1 = r->samples[r->n_samples - 1].t;
    double span = t1 - r->t0;

    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>ecs-rollout report: ");
    html_escape(b, r->asg_name);
    buf_printf(b, "</title><style>%s</style></head><body>\n<h1>Rollout of ", page_style);
    html_escape(b, r->asg_name);
    buf_puts(b, " in cluster ");
    html_escape(b, r->cluster_name);
    buf_puts(b, "</h1>\n");
    summary_table(b, r, span);

    if (!r->n_samples) {
        buf_puts(b,
                 "<p class=\"note\" id=\"no-samples\">No progress was recorded: the rollout ended "
                 "before its first poll, so there is nothing to chart.</p>\n");
    } else {
        phase_key(b, r);

        struct chart c = {
            .id = "instances", .title = "Instances", .y_title = "instances", .t0 = r->t0, .t1 = t1};
        double max = 1;
        for (size_t i = 0; i < r->n_samples; i++) {
            const struct report_sample *x = &r->samples[i];
            max = fmax(max, fmax(x->current + x->outdated, x->desired));
        }
        count_scale(&c, max);
        legend_add(&c, "current (new)", COLOR_CURRENT, NULL, 6);
        legend_add(&c, "out of date (old)", COLOR_OUTDATED, NULL, 2.5);
        legend_add(&c, "draining", COLOR_DRAINING, DASH_DRAINING, 2.5);
        legend_add(&c, "desired capacity", COLOR_DESIRED, DASH_DESIRED, 1.5);
        chart_open(b, &c, r);
        /* Lines often coincide (2 new, 2 old): the ones drawn first are
         * wider, so each stays visible around the next. */
        sample_series(b, r, &c, v_current, "current", COLOR_CURRENT, NULL, 6);
        sample_series(b, r, &c, v_outdated, "out-of-date", COLOR_OUTDATED, NULL, 2.5);
        sample_series(b, r, &c, v_desired, "desired-capacity", COLOR_DESIRED, DASH_DESIRED, 1.5);
        sample_series(b, r, &c, v_draining, "draining", COLOR_DRAINING, DASH_DRAINING, 2.5);
        buf_puts(b, "</svg>\n");

        struct chart t = {
            .id = "tasks", .title = "Tasks to move", .y_title = "tasks", .t0 = r->t0, .t1 = t1};
        max = 1;
        for (size_t i = 0; i < r->n_samples; i++)
            max = fmax(max, r->samples[i].tasks_to_move);
        count_scale(&t, max);
        legend_add(&t, "tasks still on draining instances", COLOR_TASKS, NULL, 2.5);
        chart_open(b, &t, r);
        sample_series(b, r, &t, v_tasks, "tasks-to-move", COLOR_TASKS, NULL, 2.5);
        buf_puts(b, "</svg>\n");

        services_chart(b, r, t1);
    }
    events_table(b, r, span);
    buf_puts(b, "<p class=\"note\">ecs-rollout " ECSR_VERSION "</p></body></html>\n");
}
