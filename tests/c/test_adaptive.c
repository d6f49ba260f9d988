/* The adaptive retry mode's client-side rate limiter (aws/adaptive.c):
 * botocore's arithmetic at chosen times, its sharing between threads, the
 * AWS_RETRY_MODE setting, and a client that waits for its token. */
#include <math.h>
#include <pthread.h>
#include <time.h>

#include "aws/adaptive.h"
#include "aws/fanout.h"
#include "client_fixture.h"
#include "util/clock.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* n attempts of `service` answered without a throttle, evenly from t0 to
 * t1 (exclusive), none held by the limiter. */
static void succeed(struct aws_adaptive *a, const char *service, int n, double t0, double t1)
{
    for (int i = 0; i < n; i++) {
        double t = t0 + (t1 - t0) * i / n;
        CHECK(aws_adaptive_acquire(a, service, t) == 0.0);
        aws_adaptive_record(a, service, 0, t);
    }
}

/* Auto Scaling sent to at 40 attempts a second from t - 3 to t, then
 * throttled at t: the limiter's state after that throttle in *st. */
static void throttle_after_40_a_second(struct aws_adaptive *a, double t,
                                       struct aws_adaptive_state *st)
{
    succeed(a, "autoscaling", 120, t - 3.0, t);
    aws_adaptive_record(a, "autoscaling", 1, t);
    CHECK_INT(aws_adaptive_state(a, "autoscaling", st), 0);
}

TEST(off_until_a_throttle)
{
    struct aws_adaptive *a = aws_adaptive_new();
    struct aws_adaptive_state st;
    CHECK_INT(aws_adaptive_state(a, "ecs", &st), -1);
    succeed(a, "ecs", 500, 100.0, 101.0); /* 500 per second: never held */
    CHECK_INT(aws_adaptive_state(a, "ecs", &st), 0);
    CHECK_INT(st.enabled, 0);
    aws_adaptive_free(a);
}

TEST(a_throttle_cuts_the_rate_to_0_7_of_the_measured_one)
{
    struct aws_adaptive *a = aws_adaptive_new();
    /* 40 attempts a second for 3 s: the smoothed measure nears 40. */
    succeed(a, "autoscaling", 120, 10.0, 13.0);
    double t = 13.0;
    struct aws_adaptive_state before, after;
    CHECK_INT(aws_adaptive_state(a, "autoscaling", &before), 0);
    CHECK(before.measured_rate > 30.0 && before.measured_rate < 41.0);
    aws_adaptive_record(a, "autoscaling", 1, t);
    CHECK_INT(aws_adaptive_state(a, "autoscaling", &after), 0);
    CHECK_INT(after.enabled, 1);
    CHECK_MSG(NEAR(after.max_rate, 0.7 * after.measured_rate), "max rate %f, measured %f",
              after.max_rate, after.measured_rate);
    /* A second throttle at once: 0.7 of the lower of the two. */
    aws_adaptive_record(a, "autoscaling", 1, t);
    struct aws_adaptive_state again;
    CHECK_INT(aws_adaptive_state(a, "autoscaling", &again), 0);
    CHECK(NEAR(again.max_rate, 0.7 * 0.7 * after.measured_rate));
    /* Other services are not held by it. */
    CHECK(aws_adaptive_acquire(a, "ecs", t) == 0.0);
    aws_adaptive_free(a);
}

TEST(requests_are_spaced_at_the_rate_in_the_order_they_came)
{
    struct aws_adaptive *a = aws_adaptive_new();
    double t = 13.0;
    struct aws_adaptive_state st;
    throttle_after_40_a_second(a, t, &st);
    double rate = st.max_rate, tokens = st.capacity;
    CHECK(rate > 1.0);
    for (int i = 1; i <= 50; i++) {
        double wait = aws_adaptive_acquire(a, "autoscaling", t);
        double want = (i - tokens) / rate;
        CHECK_MSG(NEAR(wait, want < 0 ? 0 : want), "request %d waits %f, not %f", i, wait, want);
    }
    /* Ten seconds later the debt is paid and the bucket holds at most one
     * second of tokens: the next request goes at once. */
    CHECK(aws_adaptive_acquire(a, "autoscaling", t + 10.0 + 50.0 / rate) == 0.0);
    aws_adaptive_free(a);
}

/* n answers without a throttle recorded evenly from t0 to t1 (exclusive). */
static void answered(struct aws_adaptive *a, const char *service, int n, double t0, double t1)
{
    for (int i = 0; i < n; i++)
        aws_adaptive_record(a, service, 0, t0 + (t1 - t0) * i / n);
}

TEST(successes_climb_back_along_the_cubic)
{
    struct aws_adaptive *a = aws_adaptive_new();
    succeed(a, "ecs", 600, 0.0, 3.0);
    double t = 3.0; /* 200 a second */
    aws_adaptive_record(a, "ecs", 1, t);
    struct aws_adaptive_state st;
    CHECK_INT(aws_adaptive_state(a, "ecs", &st), 0);
    double w_max = st.max_rate / 0.7;
    double k = cbrt(w_max * 0.3 / 0.4);
    /* Still sent at 200 a second, so the cap (twice the measured rate)
     * stays above the curve: half-way to k the rate is 0.4 (k/2 - k)^3 +
     * w_max, at k back at w_max, the rate of the throttle. */
    answered(a, "ecs", (int)(200 * k / 2), t, t + k / 2);
    aws_adaptive_record(a, "ecs", 0, t + k / 2);
    CHECK_INT(aws_adaptive_state(a, "ecs", &st), 0);
    CHECK_MSG(NEAR(st.max_rate, 0.4 * pow(-k / 2, 3) + w_max), "half-way %f", st.max_rate);
    CHECK(st.max_rate < w_max && st.max_rate > 0.7 * w_max);
    answered(a, "ecs", (int)(200 * k / 2), t + k / 2, t + k);
    aws_adaptive_record(a, "ecs", 0, t + k);
    CHECK_INT(aws_adaptive_state(a, "ecs", &st), 0);
    CHECK_MSG(NEAR(st.max_rate, w_max), "at k: %f, w_max %f", st.max_rate, w_max);
    aws_adaptive_free(a);
}

TEST(a_throttle_before_any_measure_leaves_the_minimum_rate)
{
    struct aws_adaptive *a = aws_adaptive_new();
    aws_adaptive_record(a, "ec2", 1, 5.2);
    struct aws_adaptive_state st;
    CHECK_INT(aws_adaptive_state(a, "ec2", &st), 0);
    CHECK_INT(st.enabled, 1);
    CHECK(NEAR(st.max_rate, 0.0));
    /* Half a token a second (botocore's minimum fill rate), the bucket empty. */
    CHECK(NEAR(aws_adaptive_acquire(a, "ec2", 5.2), 2.0));
    CHECK(NEAR(aws_adaptive_acquire(a, "ec2", 5.2), 4.0));
    aws_adaptive_free(a);
}

struct racer {
    struct aws_adaptive *a;
    double now;
    double waits[200];
};

static void *race(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < 200; i++)
        r->waits[i] = aws_adaptive_acquire(r->a, "autoscaling", r->now);
    return NULL;
}

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

TEST(workers_share_one_limit)
{
    struct aws_adaptive *a = aws_adaptive_new();
    double t = 13.0;
    struct aws_adaptive_state st;
    throttle_after_40_a_second(a, t, &st);
    struct racer r[8];
    pthread_t th[8];
    for (int k = 0; k < 8; k++) {
        r[k].a = a;
        r[k].now = t;
        CHECK_INT(pthread_create(&th[k], NULL, race, &r[k]), 0);
    }
    double all[1600];
    for (int k = 0; k < 8; k++) {
        pthread_join(th[k], NULL);
        memcpy(all + 200 * k, r[k].waits, sizeof(r[k].waits));
    }
    /* 1,600 tokens handed out one by one: each wait a token later than the
     * one before, none twice. */
    qsort(all, 1600, sizeof(all[0]), by_value);
    for (int i = 0; i < 1600; i++) {
        double want = (i + 1 - st.capacity) / st.max_rate;
        CHECK_MSG(NEAR(all[i], want < 0 ? 0 : want), "token %d: %f, not %f", i + 1, all[i], want);
    }
    aws_adaptive_free(a);
}

TEST(retry_mode_from_the_environment)
{
    struct err e;
    int adaptive = -1;
    unsetenv("AWS_RETRY_MODE");
    CHECK_INT(aws_retry_mode_adaptive(1, &adaptive, &e), 0);
    CHECK_INT(adaptive, 1);
    setenv("AWS_RETRY_MODE", "standard", 1);
    CHECK_INT(aws_retry_mode_adaptive(1, &adaptive, &e), 0);
    CHECK_INT(adaptive, 0);
    setenv("AWS_RETRY_MODE", "legacy", 1);
    CHECK_INT(aws_retry_mode_adaptive(1, &adaptive, &e), 0);
    CHECK_INT(adaptive, 0);
    setenv("AWS_RETRY_MODE", "adaptive", 1);
    CHECK_INT(aws_retry_mode_adaptive(0, &adaptive, &e), 0);
    CHECK_INT(adaptive, 1);
    setenv("AWS_RETRY_MODE", "Adaptive ", 1);
    CHECK_INT(aws_retry_mode_adaptive(0, &adaptive, &e), -1);
    CHECK_INT(e.kind, ERR_USAGE);
    CHECK_CONTAINS(e.message, "AWS_RETRY_MODE='Adaptive '");
    unsetenv("AWS_RETRY_MODE");
}

static int describe(struct fixture *f, struct err *e)
{
    struct xml_node *root = NULL;
    int rc = aws_query_call(&f->client, &AWS_SVC_AUTOSCALING, "DescribeAutoScalingGroups",
                            "2011-01-01", NULL, 0, &root, e);
    xml_free(root);
    return rc;
}

/* Waits until the clock is early in a whole second: the limiter measures the
 * sending rate over half-second buckets counted from the whole second of its
 * first request (botocore's RateClocker), so a few requests made now all fall
 * in its first bucket and none is measured yet, whatever the clock's phase. */
static void wait_for_early_in_a_second(void)
{
    while (fmod(clock_elapsed_s(), 1.0) >= 0.05) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

TEST(a_throttled_client_waits_for_its_token_before_the_next_attempt)
{
    struct fixture f;
    fixture_start(&f);
    wait_for_early_in_a_second();
    f.client.retry.max_attempts = 3;
    f.random_value = 0.0; /* no backoff: the sleeps recorded are the limiter's */
    struct aws_adaptive *a = aws_adaptive_new();
    f.client.adaptive = a;
    loopback_push(f.lb, 200, XML_HDR, "<DescribeAutoScalingGroupsResponse/>");
    loopback_push(f.lb, 400, XML_HDR, query_error_body("Throttling", "Rate exceeded"));
    loopback_push(f.lb, 200, XML_HDR, "<DescribeAutoScalingGroupsResponse/>");
    struct err e;
    CHECK_MSG(describe(&f, &e) == 0, "%s", e.message);
    CHECK_INT(f.n_sleeps, 0); /* not throttled yet: nothing held */
    CHECK_MSG(describe(&f, &e) == 0, "%s", e.message);
    CHECK_INT(loopback_request_count(f.lb), 3);
    CHECK_INT(f.client.stats.throttled, 1);
    /* The retry: a backoff of 0 ms, then the token, at the minimum rate
     * (a throttle before any measure: half a token a second) about 2 s. */
    CHECK_INT(f.n_sleeps, 2);
    CHECK_INT(f.sleeps[0], 0);
    CHECK_MSG(f.sleeps[1] > 1000 && f.sleeps[1] <= 2000, "token wait %ld ms", f.sleeps[1]);
    struct aws_adaptive_state st;
    CHECK_INT(aws_adaptive_state(a, "autoscaling", &st), 0);
    CHECK_INT(st.enabled, 1);
    /* Interrupted while waiting for a token: the call ends, nothing sent. */
    f.interrupt_after_sleeps = f.n_sleeps + 1;
    CHECK_INT(describe(&f, &e), -1);
    CHECK_INT(e.kind, ERR_INTERRUPTED);
    CHECK_CONTAINS(e.message, "client-side rate limit");
    CHECK_INT(loopback_request_count(f.lb), 3);
    fixture_stop(&f);
    aws_adaptive_free(a);
}
