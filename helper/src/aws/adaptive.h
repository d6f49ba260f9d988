/* Client-side rate limiting of the AWS SDKs' "adaptive" retry mode, one
 * limiter per service, shared by a client and its fan-out's workers.
 *
 * AWS SDKs and Tools Reference Guide, "Retry behavior": adaptive mode is
 * standard mode plus a client-side token bucket whose rate follows the
 * throttling errors met (CUBIC: down to 0.7 of the measured rate on a
 * throttle, a cubic climb back while calls succeed); it stays off until a
 * call of the service is first throttled. The arithmetic is botocore's
 * (botocore/retries/bucket.py TokenBucket, adaptive.py ClientRateLimiter and
 * RateClocker, throttling.py CubicCalculator). Times are seconds on one
 * monotonic clock, passed in, so the arithmetic is testable; the functions
 * lock, so workers may call them at once. */
#ifndef ECSR_AWS_ADAPTIVE_H
#define ECSR_AWS_ADAPTIVE_H

struct aws_adaptive;

struct aws_adaptive *aws_adaptive_new(void);
void aws_adaptive_free(struct aws_adaptive *a);

/* Before sending a request to `service` at time `now`: the seconds to wait
 * before sending it (0: at once). The token is taken either way, so
 * concurrent callers queue one behind the other. */
double aws_adaptive_acquire(struct aws_adaptive *a, const char *service, double now);

/* After an attempt's answer (or failure) at `now`: `throttled` when AWS
 * answered with a throttling error. */
void aws_adaptive_record(struct aws_adaptive *a, const char *service, int throttled, double now);

/* One service's limiter, for tests and debug logs. */
struct aws_adaptive_state {
    int enabled;          /* a throttle was met: requests wait for tokens */
    double max_rate;      /* the bucket's rate (tokens per second) */
    double capacity;      /* tokens in the bucket now (negative: owed by waiters) */
    double measured_rate; /* the smoothed rate of attempts sent */
};
/* 0, or -1 when nothing was sent to `service` yet. */
int aws_adaptive_state(struct aws_adaptive *a, const char *service, struct aws_adaptive_state *out);

#endif
