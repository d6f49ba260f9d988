/* The rollout report's page from synthetic events: time ticks for short and
 * long rollouts, count ticks, escaping, services known only at some polls,
 * a rollout without progress, and the file it writes. (The page as a
 * browser shows it is tested in tests/integration/test_report.py.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/report.h"
#include "test.h"
#include "util/buf.h"

#define T0 1700000000.0

static void event(struct report *r, enum rollout_event_kind kind, double t, const char *phase,
                  const char *message)
{
    struct rollout_event ev = {.kind = kind, .time = t, .phase = phase, .message = message};
    report_event(&ev, r);
}

static void progress(struct report *r, double t, const char *phase, int current, int outdated,
                     int tasks, const struct ecs_service *services, size_t n_services)
{
    struct rollout_progress p = {.current = current,
                                 .outdated = outdated,
                                 .tasks_to_move = tasks,
                                 .desired_capacity = current + outdated,
                                 .services = services,
                                 .n_services = n_services};
    struct rollout_event ev = {.kind = EV_PROGRESS, .time = t, .phase = phase, .progress = &p};
    report_event(&ev, r);
}

static void done(struct report *r, double t)
{
    struct rollout_summary s = {.result = ROLLOUT_DONE,
                                .replaced = 3,
                                .launched = 3,
                                .tasks_moved = 37,
                                .batches = 1,
                                .elapsed_s = t - T0};
    snprintf(s.message, sizeof(s.message), "replaced 3 instance(s)");
    struct rollout_event ev = {
        .kind = EV_DONE, .time = t, .phase = "done", .message = s.message, .summary = &s};
    report_event(&ev, r);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A rollout of `seconds`, polled every `every` seconds. */
static char *render_rollout(double seconds, double every)
{
    struct report r;
    report_init(&r, "web-asg", "prod");
    event(&r, EV_START, T0, "preflight", "rolling out");
    for (double t = 0; t <= seconds; t += every) {
        const char *phase = t < seconds / 3       ? "scale-out"
                            : t < 2 * seconds / 3 ? "drain"
                                                  : "terminate";
        progress(&r, T0 + t, phase, t < seconds / 3 ? 0 : 3, t < 2 * seconds / 3 ? 3 : 0,
                 strcmp(phase, "drain") == 0 ? 37 : 0, NULL, 0);
    }
    done(&r, T0 + seconds);
    struct buf b = BUF_INIT;
    report_render(&b, &r);
    report_free(&r);
    return buf_steal(&b);
}

TEST(short_rollouts_have_fractional_second_ticks)
{
    char *html = render_rollout(1.2, 0.05);
    CHECK_CONTAINS(html, ">0.0s</text>");
    CHECK_CONTAINS(html, ">0.2s</text>");
    CHECK_CONTAINS(html, ">1.2s</text>");
    CHECK_CONTAINS(html, "<td>+1.20s</td><td>done</td>");
    CHECK_CONTAINS(html, "<td id=\"elapsed\">1.2s</td>");
    free(html);
}

TEST(long_rollouts_have_minute_ticks)
{
    char *html = render_rollout(1500, 10);
    CHECK_CONTAINS(html, ">0s</text>");
    CHECK_CONTAINS(html, ">5m</text>");
    CHECK_CONTAINS(html, ">25m</text>");
    CHECK(!strstr(html, ">1m</text>"));
    CHECK_CONTAINS(html, "<td>+25m00s</td><td>done</td>");
    free(html);
    html = render_rollout(3 * 3600 + 600, 60);
    CHECK_CONTAINS(html, ">30m</text>");
    CHECK_CONTAINS(html, ">1h</text>");
    CHECK_CONTAINS(html, ">1h30m</text>");
    CHECK_CONTAINS(html, ">3h</text>");
    free(html);
}

/* A copy of one chart's <svg>...</svg>, or NULL. */
static char *chart(const char *html, const char *id)
{
    char open[64];
    snprintf(open, sizeof(open), "<svg id=\"%s\"", id);
    const char *a = strstr(html, open);
    const char *z = a ? strstr(a, "</svg>") : NULL;
    return z ? strndup(a, (size_t)(z - a) + 6) : NULL;
}

TEST(count_ticks_are_round_and_above_the_largest_value)
{
    char *html = render_rollout(60, 1);
    char *tasks = chart(html, "tasks"), *inst = chart(html, "instances");
    free(html);
    int ok = tasks && inst;
    /* 37 tasks to move: ticks every 10 up to 40; 6 instances at most (3 old,
     * 3 new): every 2 up to 8. */
    int tasks_ticks = ok && strstr(tasks, ">30</text>") && strstr(tasks, ">40</text>") &&
                      !strstr(tasks, ">37</text>") && !strstr(tasks, ">50</text>");
    int inst_ticks = ok && strstr(inst, ">6</text>") && strstr(inst, ">8</text>") &&
                     !strstr(inst, ">5</text>") && !strstr(inst, ">10</text>");
    free(tasks);
    free(inst);
    CHECK(ok);
    CHECK(tasks_ticks);
    CHECK(inst_ticks);
}

TEST(names_and_messages_are_escaped)
{
    struct report r;
    report_init(&r, "<b>asg</b>", "c&\"'");
    event(&r, EV_START, T0, "preflight", "<script>alert(1)</script>");
    struct ecs_service svc = {.name = "<img src=x>", .desired_count = 2, .running_count = 2};
    progress(&r, T0 + 1, "drain", 1, 1, 0, &svc, 1);
    progress(&r, T0 + 2, "drain", 1, 1, 0, &svc, 1);
    done(&r, T0 + 3);
    struct buf b = BUF_INIT;
    report_render(&b, &r);
    const char *html = buf_cstr(&b);
    CHECK(!strstr(html, "<script"));
    CHECK(!strstr(html, "<img"));
    CHECK(!strstr(html, "<b>asg"));
    CHECK_CONTAINS(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK_CONTAINS(html, "&lt;img src=x&gt;");
    CHECK_CONTAINS(html, "c&amp;&quot;&#39;");
    buf_free(&b);
    report_free(&r);
}

TEST(services_are_drawn_only_where_they_were_read)
{
    struct report r;
    report_init(&r, "g", "c");
    event(&r, EV_START, T0, "preflight", "start");
    struct ecs_service svc = {.name = "web", .desired_count = 4, .running_count = 4};
    progress(&r, T0 + 1, "drain", 1, 1, 0, &svc, 1);
    progress(&r, T0 + 2, "drain", 1, 1, 0, &svc, 1);
    progress(&r, T0 + 3, "drain", 1, 1, 0, NULL, 0); /* not read at this poll */
    svc.running_count = 5;
    progress(&r, T0 + 4, "drain", 1, 1, 0, &svc, 1);
    done(&r, T0 + 5);
    struct buf b = BUF_INIT;
    report_render(&b, &r);
    char *services = chart(buf_cstr(&b), "services");
    buf_free(&b);
    report_free(&r);
    CHECK(services);
    size_t points = count(services, "class=\"point\""),
           running = count(services, "data-kind=\"running\""),
           desired = count(services, "data-kind=\"desired\"");
    int late = strstr(services, "web: 5 running of 4 desired") != NULL;
    free(services);
    CHECK_INT(points, 3);
    /* One line for the two consecutive polls; the third point stands alone. */
    CHECK_INT(running, 1);
    CHECK_INT(desired, 1);
    CHECK(late);
}

TEST(a_rollout_without_progress_says_so)
{
    struct report r;
    report_init(&r, "g", "c");
    event(&r, EV_START, T0, "preflight", "start");
    event(&r, EV_ERROR, T0 + 0.5, "preflight", "refused");
    struct rollout_summary s = {.result = ROLLOUT_REFUSED};
    snprintf(s.message, sizeof(s.message), "refused: MaxSize");
    struct rollout_event ev = {
        .kind = EV_DONE, .time = T0 + 0.5, .phase = "refused", .message = s.message, .summary = &s};
    report_event(&ev, &r);
    struct buf b = BUF_INIT;
    report_render(&b, &r);
    const char *html = buf_cstr(&b);
    CHECK_CONTAINS(html, "id=\"no-samples\"");
    CHECK(!strstr(html, "<svg"));
    CHECK_CONTAINS(html, "<td id=\"result\" class=\"bad\">refused</td>");
    CHECK_INT(count(html, "<tr class="), 3);
    buf_free(&b);
    report_free(&r);
}

TEST(the_file_is_private_and_replaced_whole)
{
    char dir[] = "/tmp/ecsr-report-test-XXXXXX";
    CHECK(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/report.html", dir);
    struct report r;
    report_init(&r, "g", "c");
    event(&r, EV_START, T0, "preflight", "start");
    progress(&r, T0 + 1, "scale-out", 0, 2, 0, NULL, 0);
    done(&r, T0 + 2);
    struct err e;
    int rc = report_write(&r, path, &e);
    report_free(&r);
    struct stat st;
    int st_rc = stat(path, &st);
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    int tmp_left = access(tmp, F_OK) == 0;
    unlink(path);
    rmdir(dir);
    CHECK_INT(rc, 0);
    CHECK_INT(st_rc, 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK(!tmp_left);

    report_init(&r, "g", "c");
    rc = report_write(&r, "/nonexistent-dir/report.html", &e);
    report_free(&r);
    CHECK_INT(rc, -1);
    CHECK_CONTAINS(e.message, "/nonexistent-dir/report.html");
}
