/* The adaptive retry mode's client-side rate limiter (see adaptive.h):
 * botocore's arithmetic, one limiter per service behind one mutex. */
#include "aws/adaptive.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define MAX_SERVICES 16
#define MIN_FILL_RATE 0.5         /* TokenBucket's _MIN_RATE, tokens per second */
#define CLOCKER_SMOOTHING 0.8     /* RateClocker's _DEFAULT_SMOOTHING */
#define CLOCKER_BUCKET_S 0.5      /* RateClocker's _TIME_BUCKET_RANGE */
#define CUBIC_SCALE 0.4           /* CubicCalculator's _SCALE_CONSTANT */
#define CUBIC_BETA 0.7            /* CubicCalculator's _BETA */
#define MAX_RATE_ADJUST_SCALE 2.0 /* adaptive.py: at most twice the measured rate */

struct limiter {
    char service[32];
    int enabled;
    /* The token bucket. */
    double max_rate, fill_rate, max_capacity, capacity, last_refill;
    int refilled;
    /* The measured sending rate. */
    double measured_rate, last_bucket;
    double count;
    /* CUBIC: the rate at the last throttle, the time to climb back to it. */
    double w_max, k, last_fail;
};

struct aws_adaptive {
    pthread_mutex_t lock;
    size_t n;
    struct limiter v[MAX_SERVICES];
};

struct aws_adaptive *aws_adaptive_new(void)
{
    struct aws_adaptive *a = xcalloc(1, sizeof(*a));
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void aws_adaptive_free(struct aws_adaptive *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static void refill(struct limiter *l, double now)
{
    if (!l->refilled) {
        l->refilled = 1;
        l->last_refill = now;
        return;
    }
    if (now <= l->last_refill)
        return;
    double filled = l->capacity + (now - l->last_refill) * l->fill_rate;
    l->capacity = filled < l->max_capacity ? filled : l->max_capacity;
    l->last_refill = now;
}

/* TokenBucket.max_rate's setter: the tokens due at the old rate first. */
static void set_max_rate(struct limiter *l, double rate, double now)
{
    refill(l, now);
    l->max_rate = rate;
    l->fill_rate = rate > MIN_FILL_RATE ? rate : MIN_FILL_RATE;
    l->max_capacity = rate >= 1.0 ? rate : 1.0;
    if (l->capacity > l->max_capacity)
        l->capacity = l->max_capacity;
}

static double cubic_zero_point(double w_max)
{
    return cbrt(w_max * (1.0 - CUBIC_BETA) / CUBIC_SCALE);
}

/* The limiter of a service, made at its first request; NULL when the table
 * is full (that service goes unlimited, as in standard mode). */
static struct limiter *limiter_of(struct aws_adaptive *a, const char *service, double now)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].service, service) == 0)
            return &a->v[i];
    if (a->n == MAX_SERVICES || strlen(service) >= sizeof(a->v[0].service))
        return NULL;
    struct limiter *l = &a->v[a->n++];
    memset(l, 0, sizeof(*l));
    strcpy(l->service, service);
    set_max_rate(l, 1.0, now); /* TokenBucket(max_rate=1), empty */
    l->last_bucket = floor(now);
    l->w_max = 0.0; /* CubicCalculator(starting_max_rate=0) */
    l->k = cubic_zero_point(0.0);
    l->last_fail = now;
    return l;
}

double aws_adaptive_acquire(struct aws_adaptive *a, const char *service, double now)
{
    pthread_mutex_lock(&a->lock);
    struct limiter *l = limiter_of(a, service, now);
    double wait = 0.0;
    if (l && l->enabled) {
        refill(l, now);
        /* The token is taken now; one not there yet is owed (negative
         * capacity), and the caller waits until the bucket has made it. */
        l->capacity -= 1.0;
        if (l->capacity < 0.0)
            wait = -l->capacity / l->fill_rate;
    }
    pthread_mutex_unlock(&a->lock);
    return wait;
}

/* RateClocker.record: attempts per second over buckets of 0.5 s, smoothed. */
static double clock_attempt(struct limiter *l, double now)
{
    double bucket = floor(now / CLOCKER_BUCKET_S) * CLOCKER_BUCKET_S;
    l->count += 1.0;
    if (bucket > l->last_bucket) {
        double rate = l->count / (bucket - l->last_bucket);
        l->measured_rate = rate * CLOCKER_SMOOTHING + l->measured_rate * (1.0 - CLOCKER_SMOOTHING);
        l->count = 0.0;
        l->last_bucket = bucket;
    }
    return l->measured_rate;
}

void aws_adaptive_record(struct aws_adaptive *a, const char *service, int throttled, double now)
{
    pthread_mutex_lock(&a->lock);
    struct limiter *l = limiter_of(a, service, now);
    if (l) {
        double measured = clock_attempt(l, now);
        double rate;
        if (!throttled) {
            double dt = now - l->last_fail - l->k;
            rate = CUBIC_SCALE * dt * dt * dt + l->w_max;
        } else {
            double current = l->enabled && l->max_rate < measured ? l->max_rate : measured;
            l->w_max = current;
            l->k = cubic_zero_point(current);
            l->last_fail = now;
            rate = current * CUBIC_BETA;
            l->enabled = 1;
        }
        double cap = MAX_RATE_ADJUST_SCALE * measured;
        set_max_rate(l, rate < cap ? rate : cap, now);
    }
    pthread_mutex_unlock(&a->lock);
}

int aws_adaptive_state(struct aws_adaptive *a, const char *service, struct aws_adaptive_state *out)
{
    int rc = -1;
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->v[i].service, service) != 0)
            continue;
        out->enabled = a->v[i].enabled;
        out->max_rate = a->v[i].max_rate;
        out->capacity = a->v[i].capacity;
        out->measured_rate = a->v[i].measured_rate;
        rc = 0;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}
