/* The rollout report: recording the rollout's events, and writing the page
 * (rendered by cli/report_html.c). */
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
        r->n_progress++;
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
            se->points[se->n].seq = r->n_progress;
            se->n++;
        }
        break;
    }
    case EV_START:
        add_event(r, ev, "start");
        break;
    case EV_ACTION:
        add_event(r, ev, ev->action ? ev->action : "action");
        break;
    case EV_WAIT:
        add_event(r, ev, "wait");
        break;
    case EV_INFO:
        add_event(r, ev, "info");
        break;
    case EV_WARNING:
        add_event(r, ev, "warning");
        break;
    case EV_ERROR:
        add_event(r, ev, "error");
        break;
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

int report_write(const struct report *r, const char *path, struct err *err)
{
    struct buf b = BUF_INIT;
    report_render(&b, r);
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
